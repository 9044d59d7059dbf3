"""Real SPARQL 1.1 servers for tests: an Oxigraph server and a Virtuoso Open Source server, each started on
127.0.0.1 from a temporary directory and stopped (and the directory removed) at the end of the session.

A test module uses them by importing the fixtures:

    from servers import oxigraph_server, virtuoso_server  # noqa: F401  (pytest fixtures)

Each fixture yields a `SparqlServer`. If a server's binary is not installed the tests that use it are skipped,
naming the package to install; with the environment variable CI=true they fail instead.

  - Oxigraph: `pip install oxigraph` (the wheel ships the `oxigraph` command).
  - Virtuoso: `apt-get install virtuoso-opensource-7-bin` (Debian; `virtuoso-t` and `isql-vt`).

Outside pytest, start_oxigraph() and start_virtuoso() return (server, stop).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HOST = "127.0.0.1"
OXIGRAPH_STARTUP_S = 30
VIRTUOSO_STARTUP_S = 90
STOP_S = 30


@dataclass(frozen=True)
class SparqlServer:
    """A running SPARQL 1.1 server.

    query_url, update_url and gsp_url (SPARQL Graph Store Protocol, `?graph=IRI`) need no credentials.
    Virtuoso also has endpoints behind HTTP digest authentication (basic authentication is refused):
    auth_sparql_url (queries and updates) and auth_gsp_url, for user/password; these are None for Oxigraph."""

    name: str
    query_url: str
    update_url: str
    gsp_url: str
    directory: Path
    log: Path
    user: str | None = None
    password: str | None = None
    auth_sparql_url: str | None = None
    auth_gsp_url: str | None = None
    sql_port: int | None = None  # Virtuoso's SQL listener, for isql (its bulk loader)


# --- helpers --------------------------------------------------------------------------------------------------------

# Without proxies: a proxy set in the environment must not see requests to our loopback servers.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _missing(what: str, install: str) -> None:
    message = f"{what} is not installed; to run these tests: {install}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _tail(log: Path, lines: int = 40) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _answers(url: str) -> bool:
    """True once the SPARQL endpoint at url answers a trivial query."""
    query = urllib.parse.urlencode({"query": "SELECT * WHERE {} LIMIT 1"})
    request = urllib.request.Request(f"{url}?{query}", headers={"Accept": "application/sparql-results+json"})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:
    """In the child before exec: on Linux, have the kernel send SIGTERM to the server if the test process dies
    without its teardown (killed, or timed out in CI)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class _Process:
    """A server process whose stdout and stderr go to a log file."""

    def __init__(self, name: str, argv: list[str], cwd: Path, log: Path):
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> float:
        """Poll until ready() is true; returns the seconds it took. Fails with the log's tail if the process
        exits or the timeout passes first."""
        start = time.monotonic()
        while not ready():
            if self.proc.poll() is not None:
                self.fail(f"exited with status {self.proc.returncode} while starting")
            if time.monotonic() - start > timeout:
                self.fail(f"did not answer within {timeout} s")
            time.sleep(0.1)
        return time.monotonic() - start

    def fail(self, why: str) -> None:
        self.stop()
        pytest.fail(f"{self.name} {why}; the end of its log:\n{_tail(self.log)}", pytrace=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


# One server per session even when several test modules import a fixture: each importing module gets its own
# definition of a session-scoped fixture (and would start its own server), so the servers are shared here.
_running: dict[str, list] = {}  # name -> [server, stop, number of fixture definitions using it]


def _shared(name: str, start: Callable[[], tuple[SparqlServer | PvkgServer, Callable[[], None]]]) -> Iterator:
    if name not in _running:
        server, stop = start()
        _running[name] = [server, stop, 0]
    entry = _running[name]
    entry[2] += 1
    try:
        yield entry[0]
    finally:
        entry[2] -= 1
        if entry[2] == 0:
            del _running[name]
            entry[1]()


def _started(process: _Process, remove: Callable[[], None], ready: Callable[[], None]) -> Callable[[], None]:
    """Wait until the server is ready (stopping it and removing its directory if it never is); the function
    that stops and removes it."""
    def stop() -> None:
        process.stop()
        remove()

    try:
        ready()
    except BaseException:
        stop()
        raise
    return stop


def _temporary_directory(name: str) -> tuple[Path, Callable[[], None]]:
    directory = Path(tempfile.mkdtemp(prefix=f"pvkg-{name}-"))
    return directory, lambda: shutil.rmtree(directory, ignore_errors=True)


# --- Oxigraph -------------------------------------------------------------------------------------------------------


def _oxigraph_binary() -> str | None:
    # The wheel puts the command next to the Python that runs the tests, which need not be on PATH.
    beside = Path(sysconfig.get_path("scripts")) / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


def start_oxigraph() -> tuple[SparqlServer, Callable[[], None]]:
    binary = _oxigraph_binary()
    if binary is None:
        _missing("The Oxigraph server (`oxigraph` command)", "pip install oxigraph")
    directory, remove = _temporary_directory("oxigraph")
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = directory / "server.log"
    process = _Process("oxigraph", [binary, "serve", "--location", str(directory / "db"),
                                    "--bind", f"{HOST}:{port}"], directory, log)
    server = SparqlServer(name="oxigraph", query_url=f"{base}/query", update_url=f"{base}/update",
                          gsp_url=f"{base}/store", directory=directory, log=log)
    return server, _started(process, remove, lambda: process.wait_until(lambda: _answers(server.query_url),
                                                                        OXIGRAPH_STARTUP_S))


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[SparqlServer]:
    """An Oxigraph server (`oxigraph serve`) with an empty on-disk store."""
    yield from _shared("oxigraph", start_oxigraph)


# --- Virtuoso -------------------------------------------------------------------------------------------------------

VIRTUOSO_MAX_ROWS = 1000000  # ResultSetMaxRows: longer answers are cut short (without saying so)
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the dba password of a new database

# Both listeners (SQL, for isql; HTTP, for SPARQL) bind to loopback only. A query or update that runs longer than
# MaxQueryExecutionTime fails (HTTP 500, "SR171: Transaction timed out"); without a limit a runaway query would keep
# a CPU busy after its client gave up. One estimated to take longer than MaxQueryCostEstimationTime is refused.
VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx

[Parameters]
ServerPort        = {host}:{sql_port}
DisableUnixSocket = 1
DirsAllowed       = ., {dir}
NumberOfBuffers   = 20000
MaxDirtyBuffers   = 15000

[HTTPServer]
ServerPort    = {host}:{http_port}
ServerRoot    = {dir}
ServerThreads = 10
Charset       = UTF-8

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 120
"""


def _isql(binary: str, sql_port: int, statement: str, timeout: float = 60) -> None:
    result = subprocess.run([binary, f"{HOST}:{sql_port}", VIRTUOSO_USER, VIRTUOSO_PASSWORD, f"exec={statement}"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or "*** Error" in result.stdout + result.stderr:
        raise RuntimeError(f"isql {statement!r} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def start_virtuoso() -> tuple[SparqlServer, Callable[[], None]]:
    binary = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt")
    if binary is None or isql is None:
        _missing("Virtuoso Open Source (`virtuoso-t`, `isql-vt`)",
                 "apt-get install virtuoso-opensource-7-bin")
    directory, remove = _temporary_directory("virtuoso")
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=directory, host=HOST, sql_port=sql_port, http_port=http_port,
                                   max_rows=VIRTUOSO_MAX_ROWS))
    base = f"http://{HOST}:{http_port}"
    log = directory / "server.log"
    process = _Process("virtuoso", [binary, "+foreground", "+configfile", str(ini)], directory, log)
    server = SparqlServer(name="virtuoso", query_url=f"{base}/sparql", update_url=f"{base}/sparql",
                          gsp_url=f"{base}/sparql-graph-crud", directory=directory, log=log,
                          user=VIRTUOSO_USER, password=VIRTUOSO_PASSWORD,
                          auth_sparql_url=f"{base}/sparql-auth", auth_gsp_url=f"{base}/sparql-graph-crud-auth",
                          sql_port=sql_port)
    def ready() -> None:
        # A new database takes a few seconds: it is created and checkpointed before the listeners open.
        process.wait_until(lambda: _answers(server.query_url), VIRTUOSO_STARTUP_S)
        # Let the anonymous endpoints (/sparql, /sparql-graph-crud) write; the server only listens on loopback.
        try:
            _isql(isql, sql_port, 'grant SPARQL_UPDATE to "SPARQL";')
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            process.fail(f"could not be set up: {error}")

    return server, _started(process, remove, ready)


def virtuoso_bulk_load(server: SparqlServer, path: Path, graph: str, timeout: float = 3600) -> None:
    """Load an RDF file into a named graph of a Virtuoso started by start_virtuoso, with Virtuoso's bulk loader
    (ld_dir, rdf_loader_run), much faster than any protocol for a large graph. The file is linked (or copied)
    into the server's directory, the only one it may read."""
    target = server.directory / f"load-{uuid.uuid4().hex}{path.suffix}"
    try:
        os.link(path, target)
    except OSError:
        shutil.copyfile(path, target)
    try:
        _isql(shutil.which("isql-vt") or "isql-vt", server.sql_port,
              f"ld_dir('{server.directory}', '{target.name}', '{graph}'); rdf_loader_run(); checkpoint;", timeout)
    finally:
        target.unlink()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[SparqlServer]:
    """A Virtuoso Open Source 7 server with a new database; anonymous SPARQL Update and Graph Store writes are
    allowed (granted SPARQL_UPDATE to the SPARQL user)."""
    yield from _shared("virtuoso", start_virtuoso)


# --- pvkg serve -----------------------------------------------------------------------------------------------------

PVKG_STARTUP_S = 120  # a first start builds the graph


@dataclass(frozen=True)
class PvkgServer:
    """A running `pvkg serve`: its base URL (http://127.0.0.1:PORT) and its working directory."""

    url: str
    directory: Path
    log: Path

    @property
    def sparql_url(self) -> str:
        return f"{self.url}/sparql"


def start_pvkg(*options: str, out: Path | None = None,
               launcher: tuple[str, ...] = ()) -> tuple[PvkgServer, Callable[[], None]]:
    """`pvkg serve` with the given options on a free loopback port, run from a new temporary directory (through
    `launcher`, such as prlimit, if given); its build goes to `out`, by default into that directory (never into
    the working tree)."""
    directory, remove = _temporary_directory("serve")
    port = free_port()
    log = directory / "server.log"
    argv = [*launcher, sys.executable, "-m", "pvkg", "serve", "--host", HOST, "--port", str(port), "--out",
            str(out or directory / "dist"), *options]
    process = _Process("pvkg serve", argv, directory, log)
    server = PvkgServer(url=f"http://{HOST}:{port}", directory=directory, log=log)
    return server, _started(process, remove, lambda: process.wait_until(lambda: _answers(server.sparql_url),
                                                                        PVKG_STARTUP_S))


# Limits small enough for the tests to reach: a three-way join of the seed graph outlasts the time limit, and
# sorting its self-join outgrows the memory limit
PVKG_TEST_OPTIONS = ("--timeout", "3", "--max-rows", "1000", "--workers", "2", "--worker-memory", "1536")


@pytest.fixture(scope="session")
def pvkg_server() -> Iterator[PvkgServer]:
    """`pvkg serve` over the repository's studies, with PVKG_TEST_OPTIONS."""
    studies = Path(__file__).resolve().parents[1] / "studies"
    yield from _shared("pvkg", lambda: start_pvkg("--studies", str(studies), *PVKG_TEST_OPTIONS))
