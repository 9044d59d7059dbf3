"""Stage 9 (serving), part 3: `pvkg serve`, the graph over HTTP (Starlette on uvicorn).

- `/sparql`: the SPARQL 1.1 Protocol for queries, read-only. Updates, Graph Store writes and SERVICE are
  refused; each query runs in a worker process under a time, row and memory limit (pvkg/_serve/workers.py).
- `/api/queries[/{name}]`: the canned queries as a REST API, described at `/openapi.json`: each answer whole, or
  a page of it (`?limit=&offset=`, with `Link` headers to the next and previous pages); an answer longer than
  `--max-rows` rows is always sent in pages.
- Pages: `/` (what the graph is), `/queries/{name}` (a question, its answer and its SPARQL), `/compare` (studies
  side by side), `/editor` (YASGUI, served from the package), and every resource of the graph at its own IRI
  path, as HTML or, on request, Turtle, N-Triples or JSON-LD.

The graph does not change while the server runs, so the pages' and the API's answers are cached; the canned
queries' answers are computed once per version of the graph and kept on disk (pvkg/_serve/answers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import tempfile
import time
import urllib.parse
from pathlib import Path

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.protocols.http.h11_impl import H11Protocol

from pvkg import _resources as resources
from pvkg._files import PAGE_FOLDERS
from pvkg._publish import pages
from pvkg._serve.answers import CannedAnswers, answer_folder
from pvkg._serve.caching import CachingHeaders
from pvkg._serve.canned import CannedQueries
from pvkg._serve.http import (
    READ_METHODS,
    RESOURCE_CACHE_BYTES,
    Facts,
    KeptBodies,
    ServeSettings,
    valid_iri,
)
from pvkg._serve.protocol import SparqlProtocol
from pvkg._serve.resource_pages import ResourcePages
from pvkg._serve.site import SitePages
from pvkg._serve.workers import QueryPool, StoreSource
from pvkg._sparql.queries import (
    load_queries,
)
from pvkg._sparql.remote import Endpoint
from pvkg._sparql.stores import QueryOutcome, SelectResult
from pvkg.errors import UsageError


class PvkgServer(SparqlProtocol, CannedQueries, SitePages, ResourcePages):
    """The server: its query workers, settings and stored answers, and what every area uses (running a query,
    rendering a page). The areas (their own modules) hold the handlers."""

    def __init__(self, pool: QueryPool, settings: ServeSettings, built: Path | None, cache_dir: Path | None):
        self.pool = pool
        self.settings = settings
        self.built = built  # the built Turtle, offered for download; None when proxying an endpoint
        self.cache_dir = cache_dir
        self.queries = load_queries()
        self.answers: CannedAnswers | None = None  # made as the application starts
        self._facts: Facts | None = None
        self._downloads_lock = asyncio.Lock()
        # the graph does not change while the server runs: a resource's page (or Turtle...) is made once, not
        # once per request (a concept that thousands of findings name takes the event loop ~0.1 s to lay out)
        self.resources = KeptBodies(RESOURCE_CACHE_BYTES)

    async def run(self, text: str, cache: bool = True, max_rows: int | None = -1) -> QueryOutcome:
        return await self.pool.execute(text, max_rows=max_rows, cache=cache)

    async def select(self, text: str) -> SelectResult:
        outcome = await self.run(text, max_rows=None)
        assert isinstance(outcome, SelectResult)
        return outcome

    def page(self, template: str, code: int = 200, **context) -> Response:
        return Response(pages.render(template, **context), status_code=code, media_type="text/html")

    def error_page(self, status: int, message: str) -> Response:
        headings = {400: "That request cannot be answered", 404: "Not found", 503: "Not answered in time"}
        return self.page("error.html", code=status, title=str(status), status=status,
                         heading=headings.get(status, "Something went wrong"), message=message)


def create_app(source: StoreSource, settings: ServeSettings, built: Path | None = None,
               cache_dir: Path | None = None) -> Starlette:
    """The ASGI application. Its query workers start with the application and stop with it."""
    pool = QueryPool(source, workers=settings.workers, timeout=settings.timeout, max_rows=settings.max_rows,
                     memory_mb=settings.worker_memory_mb, queue=settings.queue, max_chars=settings.max_answer_chars)
    server = PvkgServer(pool, settings, built, cache_dir)
    log = logging.getLogger("uvicorn.error")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await asyncio.to_thread(pool.start)
        if source.engine != "endpoint":
            log.info("query workers: %s", "no network (each in a network namespace of its own)" if pool.isolated else
                     "this kernel allows no network namespace; SERVICE is refused by reading the query only")
        with _answers_folder(source, built, cache_dir) as folder:
            server.answers = CannedAnswers(pool, folder, settings.answer_timeout, settings.answer_disk_mb << 20, log)
            try:
                await asyncio.to_thread(server.answers.open)
                yield
            finally:
                server.answers.close()
                pool.close()

    static = resources.package_dir() / "static"
    routes = [
        Route("/", server.home),
        Route("/sparql", server.sparql, methods=["GET", "HEAD", "POST"]),
        Route("/sparql", server.refuse_write, methods=["PUT", "DELETE", "PATCH"]),
        Route("/api/queries", server.api_list),
        Route("/api/queries/{name}", server.api_query),
        Route("/openapi.json", server.openapi),
        Route("/queries/{name}", server.query_page),
        Route("/editor", server.editor),
        Route("/compare", server.compare_page),
        Route("/download/pvkg.{extension}", server.download),
        Route("/context.jsonld", server.context, name="context"),
        Route("/.well-known/void", server.dataset_description),
        Route("/resource", server.resource_by_iri),
        Mount("/static", app=StaticFiles(directory=static), name="static"),
        # what `pvkg docs` and `pvkg report` (or a release) wrote beside the built graph, once they have
        *(Route(f"/{folder}/{{path:path}}", server.written_pages(folder)) for folder in PAGE_FOLDERS),
        Route("/{path:path}", server.resource_at_path),
    ]
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=READ_METHODS,
                             allow_headers=["Accept", "Content-Type", "If-None-Match"], max_age=3600,
                             expose_headers=["Link", "X-Total-Count", "Retry-After"]),  # paging, for scripts
                  Middleware(CachingHeaders, last_modified=built.stat().st_mtime if built is not None else None),
                  Middleware(HeadLimit, max_bytes=settings.max_header_bytes)]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.server = server
    return app


@contextlib.contextmanager
def _answers_folder(source: StoreSource, built: Path | None, cache_dir: Path | None):
    """Where the canned answers are kept: beside the built graph, for every run of the server over that version of
    it; for a remote endpoint, whose graph has no version pvkg knows, in a temporary folder for this run."""
    if built is not None and cache_dir is not None:
        yield answer_folder(cache_dir, built, source.engine)
    else:
        with tempfile.TemporaryDirectory(prefix="pvkg-answers-") as folder:
            yield Path(folder)


def store_source(engine: str, built: Path | None, endpoint: Endpoint | None = None,
                 graph: str | None = None) -> StoreSource:
    """What the workers open: the built graph on an embedded engine (each worker loads it into its memory), or a
    remote endpoint."""
    if endpoint is not None:
        return StoreSource("endpoint", endpoint=endpoint, graph=graph)
    assert built is not None
    return StoreSource(engine, path=built)


def check_base_url(url: str) -> str:
    """The --base-url, ending in '/': an absolute http(s) URL with no query or fragment."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or not valid_iri(url):
        raise UsageError(f"--base-url {url!r} is not an absolute http(s) URL such as https://example.org/pvkg/")
    return url if url.endswith("/") else url + "/"


def check_port(host: str, port: int) -> None:
    """Refuse, in one line, an address the server could not listen on (uvicorn would log a traceback)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port} ({e.strerror}); choose another --port or --host") from None


class HeadLimit:
    """ASGI middleware refusing (431) a request whose target and headers together pass `max_bytes`. h11 bounds
    only a head still arriving; one that arrives whole in a single read passes it."""

    def __init__(self, app, max_bytes: int):  # noqa: ANN001 - any ASGI application
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI's signature
        if scope["type"] == "http":
            size = len(scope.get("raw_path") or b"") + len(scope.get("query_string", b"")) + sum(
                len(name) + len(value) for name, value in scope["headers"])
            if size > self.max_bytes:
                response = PlainTextResponse(f"the request's head is longer than {self.max_bytes:,} bytes, the "
                                             "limit\n", status_code=431)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


FILES_IN_RESERVE = 64  # open files the server needs besides its connections: workers' pipes, pages, the cache
BACKLOG = 128  # connections the kernel queues; asyncio accepts up to this many at a time


def allow_connections(settings: ServeSettings) -> None:
    """Raise this process's open-file limit to what --max-connections needs, as far as the system allows, or
    refuse in one line: past the limit every accept fails, and asyncio logs a traceback for each."""
    # asyncio accepts up to BACKLOG connections in one go, and the connections they displace close only after
    needed = settings.max_connections + 2 * BACKLOG + settings.workers * 4 + FILES_IN_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise UsageError(f"--max-connections {settings.max_connections} needs {needed} open files, and this "
                             f"system allows {hard} (ulimit -n); lower --max-connections")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class _BoundedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 connection with two bounds it lacks. uvicorn times out an idle connection only after
    a response, so a client that connects and sends nothing, or a byte at a time, would hold its connection for
    ever: here a connection must send each request's head within `idle_timeout` seconds of opening or of the
    last response. And past `max_connections` a new connection takes the place of the one that has waited
    longest for a request head (or is closed, when every other is being answered), so that idle connections
    cannot keep clients out."""

    idle_timeout = 10.0
    max_connections = 256

    def connection_made(self, transport) -> None:  # noqa: ANN001 - uvicorn's signature
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_since = self.loop.time()
        if len(self.connections) > self.max_connections:
            waiting = [c for c in self.connections if c is not self and isinstance(c, _BoundedH11Protocol)
                       and c.conn.their_state is h11.IDLE and not c.transport.is_closing()]
            (min(waiting, key=lambda c: c._waiting_since).transport if waiting else transport).close()
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = self.loop.time()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.idle_timeout, self._too_slow)

    def _too_slow(self) -> None:
        # still no whole request head (h11 leaves IDLE when one arrives): a request being answered is not cut
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class _AcceptErrorsInOneLine(logging.Filter):
    """asyncio logs a traceback each time accept() finds no file descriptor left (it then stops accepting for a
    second and tries again). A burst of connections can still reach the limit for a moment, since connections
    displaced past --max-connections close only on a later turn of the event loop: this says so in one line, at
    most once a minute, instead of a traceback a time."""

    MESSAGE = "socket.accept() out of system resource"
    EVERY_S = 60.0

    def __init__(self) -> None:
        super().__init__()
        self.said = -self.EVERY_S

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(self.MESSAGE):
            return True
        now = time.monotonic()
        if now - self.said < self.EVERY_S:
            return False
        self.said = now
        record.msg, record.args, record.exc_info, record.exc_text = (
            "the open-file limit was reached for a moment; new connections wait a second (a larger ulimit -n or a "
            "lower --max-connections avoids it)", (), None, None)
        return True


def run(app: Starlette, host: str, port: int, settings: ServeSettings) -> None:
    """Serve `app` with uvicorn under the settings' connection limits (the CLI calls allow_connections first)."""
    logging.getLogger("asyncio").addFilter(_AcceptErrorsInOneLine())
    protocol = type("BoundedH11Protocol", (_BoundedH11Protocol,), {
        "idle_timeout": settings.idle_timeout, "max_connections": settings.max_connections})
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True, server_header=False, http=protocol,
                timeout_keep_alive=max(1, min(5, round(settings.idle_timeout))), backlog=BACKLOG,
                h11_max_incomplete_event_size=settings.max_header_bytes)
