"""pvkg against real SPARQL servers (Oxigraph server and Virtuoso, started on 127.0.0.1 by the fixtures in
servers.py): `pvkg publish` loads the built graph into a named graph and checks the count; every canned
query then gives the embedded store's rows there; failures (a server that is down or silent, a wrong
password, a cut result) are one clear line, and a password never appears in any output."""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
import sys
import threading

import pytest
from conftest import REPO
from rdflib import RDF, RDFS, SKOS, Graph, Literal
from rdflib.namespace import DCTERMS
from servers import oxigraph_server, virtuoso_bulk_load, virtuoso_server  # noqa: F401  (pytest fixtures)
from terminal import counted, on_a_terminal, shown_lines

from pvkg._build import pipeline
from pvkg._namespaces import DEFAULT_GRAPH, ID, PVKG
from pvkg._publish.publish import count_triples
from pvkg._sparql.queries import load_queries, run_query
from pvkg._sparql.remote import Endpoint
from pvkg._sparql.results import render
from pvkg._sparql.stores import EndpointStore, OxigraphStore

QUERIES = load_queries()
PARAMS = {"evidence": {"concept": "value:transparency"}}
SECRET = "s3cret-Pa55-never-shown"


@pytest.fixture(scope="module")
def built(seed_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    pipeline.write_build(seed_build, out)
    return out


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request):
    return request.getfixturevalue(f"{request.param}_server")


def publish_args(server, built, *extra: str) -> list:
    return ["publish", "--endpoint", server.update_url, "--query-endpoint", server.query_url, "--out", built, *extra]


def rows(result) -> list[list[str]]:
    """A result as CSV rows, the header first and the rest sorted: servers may order ties differently."""
    header, *body = list(csv.reader(io.StringIO(render(result, "csv"))))
    return [header, *sorted(body)]


def test_publish_then_every_query_answers_as_on_the_embedded_store(server, built, cli):
    code, stdout, stderr = cli(*publish_args(server, built, "--gsp", server.gsp_url))
    assert code == 0, stderr
    local = len(pipeline.load_built(built / pipeline.GRAPH_FILE))
    assert "Graph Store protocol" in stdout and re.search(rf"triples there +{local}\n", stdout)
    embedded = OxigraphStore.from_file(built / pipeline.GRAPH_FILE)
    remote = EndpointStore(Endpoint(server.query_url), graph=DEFAULT_GRAPH)
    for name, query in QUERIES.items():
        for lang in ("en", "fa"):
            given = {**PARAMS.get(name, {}), "lang": lang}
            expected = run_query(embedded, query, given)
            assert rows(run_query(remote, query, given)) == rows(expected), f"{server.name}: {name} ({lang})"


def test_publishing_again_replaces_the_graph(server, built, tmp_path, cli, seed_build):
    assert cli(*publish_args(server, built))[0] == 0  # by SPARQL Update this time
    endpoint = Endpoint(server.query_url)
    assert count_triples(endpoint, DEFAULT_GRAPH) == len(seed_build.triples)
    smaller = tmp_path / "dist"
    smaller.mkdir()
    ontology_only = pipeline.Build(seed_build.corpus, seed_build.ontology, seed_build.parts, seed_build.validation)
    ontology_only.__dict__["triples"] = list(seed_build.ontology)  # a smaller graph to publish over the last
    pipeline.write_build(ontology_only, smaller)
    code, stdout, stderr = cli("publish", "--endpoint", server.update_url, "--query-endpoint", server.query_url,
                               "--gsp", server.gsp_url, "--out", smaller, "--studies", smaller)
    assert code == 0, stderr
    assert count_triples(endpoint, DEFAULT_GRAPH) == len(seed_build.ontology)


def test_a_query_on_the_endpoint_prints_what_the_embedded_store_prints(server, built, cli):
    assert cli(*publish_args(server, built, "--gsp", server.gsp_url))[0] == 0
    here = cli("query", "factors", "--format", "csv", "--out", built)
    there = cli("query", "factors", "--format", "csv", "--endpoint", server.query_url)
    assert here[0] == there[0] == 0, there[2]
    assert sorted(here[1].splitlines()) == sorted(there[1].splitlines())


def test_a_comparison_of_studies_on_the_endpoint_is_the_one_on_the_embedded_store(server, built, cli):
    """pvkg compare's SPARQL (queries/compare/) runs on the servers too, and pvkg lays the rows out in one order
    whatever order a server gives them in."""
    assert cli(*publish_args(server, built))[0] == 0
    studies = ["luna-2024", "mergel-2016", "social-media-service-factors", "buyannemekh-2024"]
    here = cli("compare", *studies, "--format", "csv", "--out", built)
    there = cli("compare", *studies, "--format", "csv", "--endpoint", server.query_url)
    assert here[0] == there[0] == 0, there[2]
    assert there[1] == here[1] and "smsf-18" in here[1]


def test_a_result_as_long_as_the_row_limit_is_reported_as_cut(server, built, cli):
    assert cli(*publish_args(server, built))[0] == 0
    code, _, stderr = cli("query", "factors", "--endpoint", server.query_url, "--max-rows", "5")
    assert code == 1 and "probably cut short" in stderr and "ResultSetMaxRows" in stderr


def test_virtuoso_with_credentials_and_without(virtuoso_server, built, cli, monkeypatch):  # noqa: F811
    server = virtuoso_server
    monkeypatch.setenv("PVKG_TEST_PASSWORD", server.password)
    code, stdout, stderr = cli("publish", "--endpoint", server.auth_sparql_url, "--gsp", server.auth_gsp_url,
                               "--user", server.user, "--password-env", "PVKG_TEST_PASSWORD", "--out", built)
    assert code == 0, stderr
    monkeypatch.setenv("PVKG_TEST_PASSWORD", SECRET)
    code, stdout, stderr = cli("publish", "--endpoint", server.auth_sparql_url, "--user", server.user,
                               "--password-env", "PVKG_TEST_PASSWORD", "--out", built)
    assert code == 1
    assert "refused" in stderr and "HTTP 401" in stderr and f"user {server.user!r}" in stderr
    assert SECRET not in stdout + stderr


LONG_LISTS_GRAPH = "https://w3id.org/pvkg/test/long-lists"


def long_lists(graph: Graph) -> Graph:
    """The graph with lists far past Virtuoso's 4 KB row (as a large corpus has them): 80 more drivers in one
    factor category, one factor judged a driver by 80 studies and a barrier by one more, and 80 more links
    between two elements of the Twizeyimana & Andersson frame."""
    long = "with a name as long as those a large corpus gives its studies and concepts"
    frame_from, frame_to = ID["value/improved-public-services"], ID["value/improved-administrative-efficiency"]
    contested = ID["factor/long-0"]
    triples = []
    for i in range(80):
        factor, study = ID[f"factor/long-{i}"], ID[f"work/long-{i}"]
        triples += [(factor, RDF.type, SKOS.Concept), (factor, SKOS.broader, ID["factor/human"]),
                    (factor, SKOS.prefLabel, Literal(f"factor {long} {i:02}", lang="en")),
                    (study, RDF.type, PVKG.Study), (study, RDFS.label, Literal(f"study {long} {i:02}"))]
        for finding, about in ((ID[f"finding/long-driver-{i}"], factor), (ID[f"finding/long-judge-{i}"], contested)):
            triples += [(finding, RDF.type, PVKG.FactorFinding), (finding, PVKG.direction, PVKG.Driver),
                        (finding, PVKG.status, PVKG.Result), (finding, PVKG.aboutFactor, about),
                        (finding, PVKG.reportedIn, study)]
        link = ID[f"finding/long-link-{i}"]
        triples += [(link, RDF.type, PVKG.LinkFinding), (link, PVKG.linkFrom, frame_from),
                    (link, PVKG.linkTo, frame_to), (link, DCTERMS.identifier, Literal(f"link {i:02} {long}"))]
    barrier, study = ID["finding/long-barrier"], ID["work/long-barrier"]
    triples += [(barrier, RDF.type, PVKG.FactorFinding), (barrier, PVKG.direction, PVKG.Barrier),
                (barrier, PVKG.status, PVKG.Result), (barrier, PVKG.aboutFactor, contested),
                (barrier, PVKG.reportedIn, study), (study, RDF.type, PVKG.Study),
                (study, RDFS.label, Literal(f"the other study {long}"))]
    larger = Graph() + graph
    for triple in triples:
        larger.add(triple)
    return larger


def test_virtuoso_answers_lists_longer_than_its_rows_as_the_embedded_store(virtuoso_server, seed_build,  # noqa: F811
                                                                           tmp_path):
    """Virtuoso 7 refuses to sort rows past about 4 KB (SR319, SR478): a query whose cells are GROUP_CONCAT
    lists leaves its row order to pvkg (the header's `order`), and answers there as here, in the same order."""
    graph = long_lists(seed_build.graph)
    path = tmp_path / "long-lists.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    virtuoso_bulk_load(virtuoso_server, path, LONG_LISTS_GRAPH)
    embedded = OxigraphStore.from_file(path)
    remote = EndpointStore(Endpoint(virtuoso_server.query_url), graph=LONG_LISTS_GRAPH)
    for name in ("drivers-and-barriers", "contested", "value-framework"):
        expected = run_query(embedded, QUERIES[name])
        assert max(len(str(cell)) for row in expected.rows for cell in row) > 4096, name  # past Virtuoso's rows
        assert render(run_query(remote, QUERIES[name]), "csv") == render(expected, "csv"), name


def test_an_unreachable_server_is_one_line(built, cli):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, stderr = cli("publish", "--endpoint", f"http://127.0.0.1:{port}/update", "--out", built)
    assert code == 1 and stderr.count("\n") == 1
    assert "cannot reach the server" in stderr
    code, _, stderr = cli("answer", "--endpoint", f"http://127.0.0.1:{port}/sparql")
    assert code == 1 and "cannot reach the server" in stderr


def test_a_silent_server_times_out(built, cli):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        code, _, stderr = cli("query", "factors", "--endpoint", url, "--timeout", "1")
        assert code == 1 and "no answer within 1 s" in stderr
    finally:
        for connection, _ in accepted:
            connection.close()
        listener.close()


def test_credentials_in_the_url_or_a_missing_variable_are_refused(built, cli, monkeypatch):
    code, _, stderr = cli("publish", "--endpoint", f"http://dba:{SECRET}@127.0.0.1:9/sparql", "--out", built)
    assert code == 1 and "do not put credentials in the URL" in stderr and SECRET not in stderr
    monkeypatch.delenv("PVKG_NO_SUCH_VARIABLE", raising=False)
    code, _, stderr = cli("publish", "--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba",
                          "--password-env", "PVKG_NO_SUCH_VARIABLE", "--out", built)
    assert code == 2 and "PVKG_NO_SUCH_VARIABLE is not set" in stderr
    code, _, stderr = cli("publish", "--endpoint", "http://127.0.0.1:9/sparql", "--graph", "not an iri",
                          "--out", built)
    assert code == 2 and "is not an absolute IRI" in stderr


def test_a_graph_store_that_refuses_the_put_falls_back_to_update(oxigraph_server, built, cli):  # noqa: F811
    server = oxigraph_server  # its query endpoint is no Graph Store: a PUT there is refused
    code, stdout, stderr = cli(*publish_args(server, built, "--gsp", server.query_url))
    assert code == 0, stderr
    assert "by SPARQL Update (the Graph Store PUT failed: " in stdout
    assert count_triples(Endpoint(server.query_url), DEFAULT_GRAPH) == len(pipeline.load_built(built / "pvkg.ttl"))


def test_publish_on_a_terminal_counts_the_triples_it_sends(oxigraph_server, built):  # noqa: F811
    """On a terminal, publishing by SPARQL Update shows the triples sent against their total; piped, nothing
    but the report on stdout."""
    args = ["publish", "--endpoint", oxigraph_server.update_url, "--query-endpoint", oxigraph_server.query_url,
            "--out", built]
    code, terminal, stdout = on_a_terminal(args)
    assert code == 0 and stdout.startswith("Published "), terminal
    triples = len(pipeline.load_built(built / pipeline.GRAPH_FILE))
    counts = counted(shown_lines(terminal), "by SPARQL Update", "triples")
    assert counts and counts[-1] == f"{triples:,}", shown_lines(terminal)
    done = subprocess.run([sys.executable, "-m", "pvkg", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.startswith("Published ")
