"""`pvkg serve` against a hostile client on 127.0.0.1: what an attacker tried in the second security review, each
as it was tried, on a real server process (both embedded engines where the engine matters)."""

from __future__ import annotations

import http.server as http_server
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from servers import HOST, PVKG_TEST_OPTIONS, PvkgServer, pvkg_server, start_pvkg  # noqa: F401
from test_serve import http

from pvkg._build.pipeline import CACHE_DIR
from pvkg._sparql.syntax import MAX_NESTING

STUDIES = Path(__file__).resolve().parents[1] / "studies"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def oxigraph(pvkg_server) -> PvkgServer:  # noqa: F811
    return pvkg_server


@pytest.fixture(scope="module")
def rdflib_server(pvkg_server) -> Iterator[PvkgServer]:  # noqa: F811
    """`pvkg serve --store rdflib` over the same build: the engine that decodes escapes before it parses."""
    server, stop = start_pvkg("--studies", str(STUDIES), "--store", "rdflib", *PVKG_TEST_OPTIONS,
                              out=pvkg_server.directory / "dist")
    yield server
    stop()


@pytest.fixture(scope="module")
def strict_server(pvkg_server) -> Iterator[PvkgServer]:  # noqa: F811
    """A server with limits small enough to reach: few connections, a short idle time, short answers."""
    server, stop = start_pvkg("--studies", str(STUDIES), *PVKG_TEST_OPTIONS, "--max-connections", "20",
                              "--idle-timeout", "1", "--max-answer-chars", "100000",
                              "--base-url", "https://pvkg.example.org/kg/", out=pvkg_server.directory / "dist")
    yield server
    stop()


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that records every request: what a SERVICE call would reach."""
    hits: list[str] = []

    class Record(http_server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http_server.HTTPServer((HOST, 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


# Every way the keyword can be written so that one engine or another reads SERVICE: codepoint escapes of
# each form in each position (rdflib decodes them before parsing), case, a name glued on, a keyword after a dot,
# and a prefixed name with an escaped quote that a naive lexer takes for the start of a string.
SERVICE_SPELLINGS = [
    "\\u0053ERVICE <{e}/a> {{ ?s ?p ?o }}", "\\U00000053ERVICE <{e}/b> {{ ?s ?p ?o }}",
    "SERVIC\\u0045 <{e}/c> {{ ?s ?p ?o }}", "S\\u0045RV\\u0049CE <{e}/d> {{ ?s ?p ?o }}",
    "\\u0073\\u0065\\u0072\\u0076\\u0069\\u0063\\u0065 <{e}/e> {{ ?s ?p ?o }}", "sErViCe <{e}/f> {{ ?s ?p ?o }}",
    "SERVICE SILENT <{e}/g> {{ ?s ?p ?o }}", "\\u0053ERVICE \\u0053ILENT <{e}/h> {{ ?s ?p ?o }}",
    "?a ?b ?c .SERVICE<{e}/i>{{ ?s ?p ?o }}", "SERVICE:x {{ ?s ?p ?o }}",
    "?s <urn:p>\\u0020\\u0053ERVICE <{e}/j> {{ }}",
    "?s ex:x\\' ?o . SERVICE <{e}/k> {{ }} ?s ex:y\\' ?o . FILTER(?o != 'x')",
]


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("spelling", SERVICE_SPELLINGS)
def test_service_in_any_spelling_is_refused_and_nothing_is_fetched(engine, spelling, listener, request):
    server = request.getfixturevalue("oxigraph" if engine == "oxigraph" else "rdflib_server")
    address, hits = listener
    query = (f"PREFIX : <{address}/colon> PREFIX ex: <http://example.org/> "
             f"SELECT * WHERE {{ {spelling.format(e=address)} }}")
    status, _, body = http(server.sparql_url, urllib.parse.urlencode({"query": query}).encode(), FORM)
    assert status in (400, 403), body  # refused, or a syntax error to the engine that does not decode escapes
    assert hits == []


@pytest.mark.parametrize("update", ["\\u0049NSERT DATA { <urn:a> <urn:b> <urn:c> }",
                                    "DROP \\u0041LL", "\\u004cOAD <http://example.org/x>"])
def test_an_update_spelled_with_escapes_changes_nothing(oxigraph, rdflib_server, update):
    for server in (oxigraph, rdflib_server):
        status, _, _ = http(server.sparql_url, urllib.parse.urlencode({"query": update}).encode(), FORM)
        assert status in (400, 403)
        _, _, body = http(f"{server.sparql_url}?{urllib.parse.urlencode({'query': 'ASK { <urn:a> ?p ?o }'})}",
                          headers={"Accept": "application/sparql-results+json"})
        assert json.loads(body)["boolean"] is False


def test_an_answer_over_the_character_limit_is_refused(strict_server):
    """The 1.4 KB query that doubled a string into one 268 MB row: refused by the worker, so the server process
    never holds it."""
    binds = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(12))
    query = f'SELECT ?v12 WHERE {{ BIND("{"x" * 64}" AS ?v0) {binds} }}'  # 64 * 4,096 = 262,144 characters
    status, _, body = http(strict_server.sparql_url, urllib.parse.urlencode({"query": query}).encode(), FORM)
    assert status == 422 and "100,000 characters" in body.decode()
    shorter = query.replace(f'"{"x" * 64}"', '"x"')  # 4,096 characters
    assert http(strict_server.sparql_url, urllib.parse.urlencode({"query": shorter}).encode(), FORM)[0] == 200


def _exchange(server: PvkgServer, head: bytes, body_parts=(), pause: float = 0.0) -> bytes:
    """Send a raw request (head, then the body parts) and return what the server answers before it closes."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection((HOST, port), timeout=30) as connection:
        connection.sendall(head)
        try:
            for part in body_parts:
                connection.sendall(part)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what the test wants
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"Connection: close" not in answer and len(answer) > 100:
                break
        return answer


def test_a_huge_body_is_refused_before_it_is_read(oxigraph):
    # declared: refused on its Content-Length alone
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 314572800\r\n\r\n")
    assert _exchange(oxigraph, head).startswith(b"HTTP/1.1 413")
    # chunked, with no length: refused once the first megabyte has passed, while the client is still sending
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % (256 * 1024) + b"#" * (256 * 1024) + b"\r\n"
    assert _exchange(oxigraph, head, [chunk] * 64).startswith(b"HTTP/1.1 413")


def test_the_host_header_reaches_neither_answers_nor_the_cache(strict_server, oxigraph):
    """JSON-LD names the context at the configured --base-url, whatever Host a client sends, and every Host gets
    the one cached download."""
    for host in ("evil.example", "127.0.0.1:1", "pvkg.example.org"):
        _, _, body = http(f"{strict_server.url}/id/finding/luna2024-01",
                          headers={"Accept": "application/ld+json", "Host": host})
        assert json.loads(body)["@context"] == "https://pvkg.example.org/kg/context.jsonld"
        status, _, body = http(f"{strict_server.url}/download/pvkg.jsonld", headers={"Host": host})
        assert status == 200 and json.loads(body)["@context"] == "https://pvkg.example.org/kg/context.jsonld"
    cached = oxigraph.directory / "dist" / CACHE_DIR / "downloads"  # the build strict_server serves
    assert [path.suffix for path in cached.iterdir() if path.suffix == ".jsonld"] == [".jsonld"]


def test_idle_and_slow_clients_are_cut_off_and_others_still_answered(strict_server):
    port = int(strict_server.url.rsplit(":", 1)[1])
    idle = [socket.create_connection((HOST, port), timeout=10) for _ in range(30)]  # 10 past --max-connections
    trickle = socket.create_connection((HOST, port), timeout=10)
    try:
        # at once, before any idle time has passed: a new client takes the place of the longest-idle connection
        assert http(f"{strict_server.url}/api/queries")[0] == 200
        started = time.monotonic()
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\n":  # never finishes its head
            try:
                trickle.send(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - started > 4:
                break
        closed = 0
        for connection in [*idle, trickle]:
            try:
                closed += connection.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == 31  # those past the limit at once, the rest (and the trickle) after one idle second
        assert http(f"{strict_server.url}/api/queries")[0] == 200
    finally:
        for connection in [*idle, trickle]:
            connection.close()


def test_a_flood_of_connections_under_a_low_file_limit_logs_no_traceback(oxigraph):
    """1,100 idle connections against a server whose open-file limit starts at 200: it raises its limit to what
    --max-connections needs, answers a new client at once, and its log stays clean (before, every refused
    accept logged a traceback: 68 MB in 25 s)."""
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is not installed")
    server, stop = start_pvkg("--studies", str(STUDIES), *PVKG_TEST_OPTIONS, "--max-connections", "100",
                              out=oxigraph.directory / "dist", launcher=("prlimit", "--nofile=200:4096"))
    port = int(server.url.rsplit(":", 1)[1])
    flood = []
    try:
        for _ in range(1100):
            flood.append(socket.create_connection((HOST, port), timeout=10))
        assert http(f"{server.url}/api/queries")[0] == 200
        log = server.log.read_text(encoding="utf-8")
    finally:
        for connection in flood:
            connection.close()
        stop()
    assert "Traceback" not in log and "Too many open files" not in log
    # a limit the system cannot give is refused at the start, in one line
    refused = subprocess.run(["prlimit", "--nofile=200:4096", sys.executable, "-m", "pvkg", "serve", "--studies",
                              str(STUDIES), "--out", str(oxigraph.directory / "dist"), "--max-connections", "100000",
                              "--port", "0"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "--max-connections 100000 needs 100" in refused.stderr and "lower --max-connections" in refused.stderr


def test_no_redirect_leaves_the_site(oxigraph):
    for iri in ("https://w3id.org/pvkg//evil.example/x", "https://w3id.org/pvkg/\\evil.example",
                "https://w3id.org/pvkg/%2F%2Fevil.example"):
        status, headers, _ = http(f"{oxigraph.url}/resource?{urllib.parse.urlencode({'iri': iri})}")
        location = headers.get("Location") or ""
        assert not location.startswith(("//", "\\", "/\\", "http")), (iri, status, location)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE " + "{" * 10_000 + "}" * 10_000,
    "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "SELECT * WHERE " + "\\u007B" * 5_000 + "\\u007D" * 5_000,
    "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1),
])
def test_a_query_nested_deep_enough_to_crash_the_engine_never_reaches_it(oxigraph, text):
    status, _, body = http(oxigraph.sparql_url, urllib.parse.urlencode({"query": text}).encode(), FORM)
    assert status == 403 and b"nests brackets" in body
    within = "SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING
    assert http(oxigraph.sparql_url, urllib.parse.urlencode({"query": within}).encode(), FORM)[0] == 200


@pytest.mark.parametrize("path", ["/docs/%00", "/report/%00x", "/docs/a%0Ab", "/id/%00"])
def test_control_characters_in_a_path_are_404_not_500(oxigraph, path):
    status, _, body = http(f"{oxigraph.url}{path}")
    assert status == 404 and b"Traceback" not in body


def test_answers_carry_caching_headers_and_revalidate(oxigraph):
    for path, accept in (("/id/value/transparency", "text/html"), ("/id/value/transparency", "text/turtle"),
                         ("/api/queries/studies", "application/json"), ("/", "text/html")):
        status, headers, body = http(f"{oxigraph.url}{path}", headers={"Accept": accept})
        assert status == 200
        assert "accept" in headers["Vary"].lower(), path
        assert headers["Cache-Control"].startswith("public, max-age="), path
        assert headers["ETag"] and headers["Last-Modified"], path
        status, again, rest = http(f"{oxigraph.url}{path}", headers={"Accept": accept,
                                                                     "If-None-Match": headers["ETag"]})
        assert (status, rest, again["ETag"]) == (304, b"", headers["ETag"])
    status, headers, _ = http(f"{oxigraph.url}/id/value/no-such-value", headers={"Accept": "text/html"})
    assert status == 404 and headers["Cache-Control"] == "no-store"


def test_the_endpoint_describes_itself(strict_server):
    status, headers, body = http(strict_server.sparql_url, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    description = Graph().parse(data=body, format="turtle")
    endpoint = URIRef("https://pvkg.example.org/kg/sparql")
    assert (endpoint, SD.endpoint, endpoint) in description
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in description
    status, headers, _ = http(strict_server.sparql_url, headers={"Accept": "text/html"})
    assert status == 200  # a browser is sent on to the editor
    status, _, body = http(f"{strict_server.url}/.well-known/void")
    void = Graph().parse(data=body, format="turtle")
    assert (URIRef("https://w3id.org/pvkg/id/dataset"), VOID.sparqlEndpoint, endpoint) in void


def test_a_request_head_over_the_limit_is_refused(oxigraph):
    status, _, _ = http(f"{oxigraph.url}/api/queries", headers={"X-Padding": "x" * 20_000})
    assert status in (400, 431)
    assert http(f"{oxigraph.url}/api/queries")[0] == 200
