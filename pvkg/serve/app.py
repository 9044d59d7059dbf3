"""Stage 9 (serving), part 3: `pvkg serve`, the graph over HTTP (Starlette on uvicorn).

- `/sparql`: the SPARQL 1.1 Protocol for queries, read-only. Updates, Graph Store writes and SERVICE are
  refused; each query runs in a worker process under a time, row and memory limit (pvkg/serve/workers.py).
- `/api/queries[/{name}]`: the canned queries as a REST API, described at `/openapi.json`: each answer whole, or
  a page of it (`?limit=&offset=`, with `Link` headers to the next and previous pages); an answer longer than
  `--max-rows` rows is always sent in pages.
- Pages: `/` (what the graph is), `/queries/{name}` (a question, its answer and its SPARQL), `/compare` (studies
  side by side), `/editor` (YASGUI, served from the package), and every resource of the graph at its own IRI
  path, as HTML or, on request, Turtle, N-Triples or JSON-LD.

The graph does not change while the server runs, so the pages' and the API's answers are cached; the canned
queries' answers are computed once per version of the graph and kept on disk (pvkg/serve/answers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
import resource
import socket
import tempfile
import time
import urllib.parse
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from pathlib import Path

import h11
import uvicorn
from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import VOID
from rdflib.term import Node
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.protocols.http.h11_impl import H11Protocol

from pvkg import resources
from pvkg.build.describe import DATASET, DESCRIPTION_FILE, description_bytes
from pvkg.errors import PvkgError, UsageError
from pvkg.files import PAGE_FOLDERS, write_atomic
from pvkg.namespaces import BASE, ONTOLOGY_IRI, PVKG, finding_iri, work_iri
from pvkg.publish import pages, views
from pvkg.publish.docs import documented_terms
from pvkg.publish.export import GRAPH_FORMATS, jsonld_bytes
from pvkg.query import compare
from pvkg.serve.answerfiles import StoredAnswer
from pvkg.serve.answers import CannedAnswers, answer_folder
from pvkg.serve.caching import CachingHeaders
from pvkg.serve.workers import QueryFailure, QueryPool, StoreSource
from pvkg.sparql.queries import (
    CannedQuery,
    QueryError,
    QueryResult,
    UnknownConceptError,
    asking_study,
    canned_text,
    check_columns,
    concept_lookups,
    load_queries,
)
from pvkg.sparql.remote import Endpoint
from pvkg.sparql.results import ASK_MEDIA_TYPES, SELECT_MEDIA_TYPES, render
from pvkg.sparql.stores import AskResult, GraphResult, QueryOutcome, SelectResult
from pvkg.sparql.syntax import request_form
from pvkg.version import __version__

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
MAX_QUERY_BYTES = 1 << 20  # longer requests are refused (413): no canned or hand-written query comes close
INCOMING_LIMIT = 500  # references to a resource shown on its page
PAGE_ROWS = 100  # rows of an answer a question page shows at a time
MAX_COMPARED = 50  # studies the comparison page lays side by side
PAGING = ("limit", "offset")  # parameters of the API and the question pages that choose rows, not answers
# ?format= names, for links and clients that cannot set Accept
FORMAT_NAMES = {
    "json": ("application/sparql-results+json", "application/ld+json"), "xml": ("application/sparql-results+xml",),
    "csv": ("text/csv",), "tsv": ("text/tab-separated-values",), "turtle": ("text/turtle",),
    "ttl": ("text/turtle",), "nt": ("application/n-triples",), "jsonld": ("application/ld+json",),
    "html": ("text/html",),
}
GRAPH_MEDIA_TYPES = {media_type: writer for media_type, writer, _ in GRAPH_FORMATS.values()}
DOWNLOADS = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld", "rdf": "rdfxml"}  # file extension: format
READ_METHODS = ["GET", "HEAD", "POST", "OPTIONS"]
EDITOR_QUERY = """PREFIX pvkg: <https://w3id.org/pvkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?study ?title WHERE {
  ?study a pvkg:Study ; rdfs:label ?title .
}
ORDER BY ?title
LIMIT 20"""


@dataclass(frozen=True)
class ServeSettings:
    """The server's limits (docs/serving.md lists them with their flags) and its public address."""

    timeout: float = 20.0  # seconds a query may run, and a request may wait for a canned answer
    answer_timeout: float = 300.0  # seconds a canned query's answer may take to compute, once per graph version
    answer_disk_mb: int = 1024  # disk the stored canned answers may take
    max_rows: int = 10000  # rows (or triples) an answer may have
    max_answer_chars: int = 32 * 1024 * 1024  # characters of the terms of an answer
    workers: int = 2
    worker_memory_mb: int = 4096
    queue: int = 64  # queries that may wait for a worker before the server answers 503
    base_url: str = "http://127.0.0.1:8080/"  # where clients reach the server; never taken from a request
    max_connections: int = 256  # open connections; more are closed at once
    idle_timeout: float = 10.0  # seconds a connection may take to send a request's head, or to stay idle
    body_timeout: float = 30.0  # seconds a request body may take to arrive
    max_header_bytes: int = 16 * 1024  # size of a request's head (request line and headers)

    def url(self, path: str) -> str:
        """The public URL of a path of the server."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def negotiate(request: Request, offered: list[str]) -> str:
    """The offered media type the client prefers: `?format=` first, then Accept (q-values and wildcards),
    else the first offered. A client asking only for what is not offered gets the default rather than 406:
    SPARQL clients send many Accept variants."""
    name = request.query_params.get("format")
    if name:
        for media_type in FORMAT_NAMES.get(name.lower(), ()):
            if media_type in offered:
                return media_type
    ranges = []
    for position, part in enumerate(request.headers.get("accept", "").split(",")):
        media_range, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                with contextlib.suppress(ValueError):
                    quality = float(value)
        if media_range and quality > 0:
            specificity = 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2
            ranges.append((-quality, -specificity, position, media_range.lower()))
    for _, _, _, media_range in sorted(ranges):
        for media_type in offered:
            if media_range in ("*/*", media_type) or (media_range.endswith("/*")
                                                      and media_type.startswith(media_range[:-1])):
                return media_type
    return offered[0]


@dataclass(frozen=True)
class Window:
    """The rows of an answer a request asks for: `limit` rows from row `offset` (counted from 0)."""

    offset: int
    limit: int

    @classmethod
    def asked(cls, request: Request, default_limit: int | None, max_limit: int) -> Window | None:
        """The window of `?limit=&offset=` (a limit of 1 to max_limit, by default default_limit or else
        max_limit; an offset from 0); None, for the whole answer, when neither is given and there is no default.
        QueryError for a value that is no whole number in its range."""
        params = request.query_params
        if "limit" not in params and "offset" not in params and default_limit is None:
            return None
        return cls(offset=_whole_number(params.get("offset"), "offset", 0, 0, None),
                   limit=_whole_number(params.get("limit"), "limit", min(default_limit or max_limit, max_limit), 1,
                                       max_limit))

    def links(self, request: Request, total: int) -> dict[str, str]:
        """The query strings of the first, previous, next and last windows of an answer of `total` rows (those
        there are), each with the request's other parameters."""
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in PAGING]

        def at(offset: int) -> str:
            return urllib.parse.urlencode([*kept, ("limit", str(self.limit)), ("offset", str(offset))])

        links = {"first": at(0)}
        if self.offset > 0:
            links["prev"] = at(max(0, self.offset - self.limit))
        if self.offset + self.limit < total:
            links["next"] = at(self.offset + self.limit)
        if total > 0:  # the last window in the stride of this one
            links["last"] = at(max(0, self.offset + (total - 1 - self.offset) // self.limit * self.limit))
        return links


def _whole_number(text: str | None, name: str, default: int, least: int, most: int | None) -> int:
    if text is None:
        return default
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else -1
    if value < least or (most is not None and value > most):
        within = f"from {least:,} to {most:,}" if most is not None else f"of {least} or more"
        raise QueryError(f"{name!r} must be a whole number {within}, not {text!r}")
    return value


def _retry(failure: QueryFailure) -> dict[str, str]:
    """The Retry-After header of a failure that says when asking again is worth it."""
    return {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}


def _text_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8"


# characters SPARQL's IRIREF allows between <> (so a request path cannot inject syntax)
_IRI_CHARACTERS = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')


def valid_iri(iri: str) -> bool:
    """An absolute IRI that can be written between <> in SPARQL (so a request path cannot inject syntax)."""
    return ":" in iri and _IRI_CHARACTERS.fullmatch(iri) is not None


class AnswerFileResponse(FileResponse):
    """A stored answer's file, read in parts of 1 MiB rather than Starlette's 64 KiB: each part is read in a
    thread, and under many clients every switch back to the event loop waits for the GIL (at a million triples,
    16 clients took 20 s to receive 1.2 GB of answers in 64 KiB parts)."""

    chunk_size = 1 << 20


RESOURCE_CACHE_BYTES = 64 << 20  # resource pages and descriptions kept by the server


class KeptBodies:
    """Response bodies by key, up to `max_bytes` in all; the least recently used go first."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._bodies: OrderedDict[object, bytes] = OrderedDict()

    def get(self, key: object) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: object, body: bytes) -> None:
        if len(body) > self.max_bytes // 16:  # one huge page would push out many small ones
            return
        self.size += len(body) - len(self._bodies.pop(key, b""))
        self._bodies[key] = body
        while self.size > self.max_bytes:
            self.size -= len(self._bodies.popitem(last=False)[1])


@dataclass
class Facts:
    studies: int
    findings: int
    concepts: int
    triples: int
    version: str | None
    license: str | None

    @property
    def license_name(self) -> str:
        known = {"https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0"}
        return known.get(self.license or "", self.license or "")


class PvkgServer:
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

    # -- plumbing ---------------------------------------------------------------------------------------

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

    # -- SPARQL protocol --------------------------------------------------------------------------------

    async def sparql(self, request: Request) -> Response:
        try:
            text = await self._query_text(request)
        except QueryFailure as e:
            return PlainTextResponse(str(e) + "\n", status_code=e.status)
        if text is None:  # no query: a browser opening the endpoint goes to the editor, a client gets the
            if "text/html" in request.headers.get("accept", ""):  # service description (SPARQL 1.1 SD)
                return RedirectResponse("/editor", status_code=303)
            media_type = negotiate(request, list(GRAPH_MEDIA_TYPES))
            return Response(self._graph_bytes(media_type, self._service_description()),
                            media_type=_text_type(media_type))
        if request_form(text) == "UPDATE":
            return PlainTextResponse("this endpoint is read-only: SPARQL Update is refused\n", status_code=403)
        try:  # SERVICE and queries nested too deep are refused by the worker's store, as its engine reads them
            outcome = await self.run(text, cache=False)
        except QueryFailure as e:
            return PlainTextResponse(str(e) + "\n", status_code=e.status)
        return await self._serialize(request, outcome)

    async def _query_text(self, request: Request) -> str | None:
        """The query of a protocol request; None for a plain GET from a browser; QueryFailure otherwise."""
        params = request.query_params
        fields = dict(params.multi_items()) if request.method != "POST" else {}
        if request.method == "POST":
            body = await self._body(request)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "application/sparql-update":
                raise QueryFailure("this endpoint is read-only: SPARQL Update is refused", 403)
            try:
                decoded = body.decode("utf-8")
            except UnicodeDecodeError:
                raise QueryFailure("the request body is not UTF-8", 400) from None
            if content_type == "application/sparql-query":
                fields = {"query": decoded, **{k: v for k, v in params.multi_items() if k != "query"}}
            elif content_type == "application/x-www-form-urlencoded":
                pairs = urllib.parse.parse_qsl(decoded, keep_blank_values=True)
                if sum(1 for k, _ in pairs if k == "query") > 1:
                    raise QueryFailure("give one 'query' parameter, not several", 400)
                fields = dict(pairs)
            else:
                raise QueryFailure("send the query as application/x-www-form-urlencoded (query=...) or as "
                                   "application/sparql-query", 415)
        elif len(params.getlist("query")) > 1:
            raise QueryFailure("give one 'query' parameter, not several", 400)
        if "update" in fields:
            raise QueryFailure("this endpoint is read-only: SPARQL Update is refused", 403)
        if "default-graph-uri" in fields or "named-graph-uri" in fields:
            raise QueryFailure("this endpoint serves one graph: default-graph-uri and named-graph-uri are not "
                               "supported; leave them out", 400)
        text = fields.get("query")
        if text is None:
            if request.method in ("GET", "HEAD") and set(fields) <= {"format"}:
                return None
            raise QueryFailure("no query: give one as ?query=..., as a form field, or as an "
                               "application/sparql-query body", 400)
        if not text.strip():
            raise QueryFailure("the query is empty", 400)
        return text

    async def _body(self, request: Request) -> bytes:
        """The request body, read as it arrives and refused (413) as soon as it passes MAX_QUERY_BYTES, so that
        a huge body never sits in memory; a body that trickles in slower than the body time-out is given up."""
        too_long = QueryFailure(f"the request is longer than {MAX_QUERY_BYTES:,} bytes, the limit", 413)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_QUERY_BYTES:
            raise too_long
        chunks, size = [], 0

        async def read() -> None:
            nonlocal size
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_QUERY_BYTES:
                    raise too_long
                chunks.append(chunk)

        try:
            await asyncio.wait_for(read(), self.settings.body_timeout)
        except TimeoutError:
            raise QueryFailure(f"the request body did not arrive within {self.settings.body_timeout:g} s",
                               408) from None
        return b"".join(chunks)

    async def _serialize(self, request: Request, outcome: QueryOutcome) -> Response:
        if isinstance(outcome, SelectResult):
            media_type = negotiate(request, list(SELECT_MEDIA_TYPES))
            body = await asyncio.to_thread(SELECT_MEDIA_TYPES[media_type], QueryResult(outcome.columns,
                                                                                       outcome.rows))
        elif isinstance(outcome, AskResult):
            media_type = negotiate(request, list(ASK_MEDIA_TYPES))
            body = ASK_MEDIA_TYPES[media_type](outcome.value)
        else:
            media_type = negotiate(request, list(GRAPH_MEDIA_TYPES))
            body = await asyncio.to_thread(self._graph_bytes, media_type, outcome.triples)
        return Response(body, media_type=_text_type(media_type), headers={"Vary": "Accept"})

    def _graph_bytes(self, media_type: str, triples) -> bytes:
        """Triples in a graph format; JSON-LD names this server's copy of pvkg's context, so that a client
        can expand it without reaching w3id.org. Its address is the configured base URL, never the request's
        Host header, which any client can set (and a shared cache would keep)."""
        if media_type == "application/ld+json":
            return jsonld_bytes(triples, context_url=self.settings.url("context.jsonld"))
        return GRAPH_MEDIA_TYPES[media_type](triples)

    def _service_description(self) -> list:
        """What the endpoint is, in the SPARQL 1.1 Service Description vocabulary: its address, the language it
        answers (queries, not updates; no SERVICE), its result formats, and where the dataset is described."""
        endpoint = URIRef(self.settings.url("sparql"))
        formats = URIRef("http://www.w3.org/ns/formats/")
        dataset, graph = BNode("dataset"), BNode("graph")
        return [
            (endpoint, RDF.type, SD.Service), (endpoint, SD.endpoint, endpoint),
            (endpoint, SD.supportedLanguage, SD.SPARQL11Query),
            *((endpoint, SD.resultFormat, URIRef(formats + name)) for name in (
                "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "JSON-LD")),
            (endpoint, SD.defaultDataset, dataset), (dataset, RDF.type, SD.Dataset),
            (dataset, SD.defaultGraph, graph), (graph, RDF.type, SD.Graph),
            (dataset, RDFS.seeAlso, URIRef(self.settings.url(".well-known/void"))),
        ]

    async def context(self, request: Request) -> Response:
        return FileResponse(resources.context_file(), media_type="application/ld+json")

    async def dataset_description(self, request: Request) -> Response:
        """VoID's well-known place for the dataset's description, as the build wrote it."""
        path = self.built.parent / DESCRIPTION_FILE if self.built is not None else None
        if path is None or not path.is_file():
            return PlainTextResponse("no dataset description here\n", status_code=404)
        description = Graph().parse(path, format="turtle")
        description.add((DATASET, VOID.sparqlEndpoint, URIRef(self.settings.url("sparql"))))
        return Response(description_bytes(description), media_type="text/turtle; charset=utf-8")

    async def refuse_write(self, request: Request) -> Response:
        return PlainTextResponse("this endpoint is read-only: Graph Store writes are refused\n", status_code=405,
                                 headers={"Allow": "GET, HEAD, POST, OPTIONS"})

    # -- canned queries: API and pages -------------------------------------------------------------------

    def _canned(self, name: str) -> CannedQuery | None:
        return self.queries.get(name)

    async def _answer(self, query: CannedQuery, given: dict[str, str]) -> StoredAnswer:
        """The canned query's stored answer; QueryError for wrong parameters, UnknownConceptError for a concept the
        graph does not hold (asked of the graph, like check_concepts), QueryFailure from the workers."""
        text = _canned_text(query, tuple(sorted(given.items())))
        for lookup in concept_lookups(query, given):
            if not (await self.select(lookup.found_text)).rows:
                raise lookup.error((await self.select(lookup.names_text)).rows)
        assert self.answers is not None, "the application has started"
        label = query.name + (f"?{urllib.parse.urlencode(sorted(given.items()))}" if given else "")
        answer = await self.answers.get(text, label, self.settings.timeout, query.order)
        check_columns(query, list(answer.columns))
        return answer

    def _query_description(self, query: CannedQuery) -> dict:
        return {
            "name": query.name, "title": query.title, "question": query.question, "asked_by": query.asked_by,
            "description": query.description, "columns": list(query.columns),
            "parameters": [{"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                           for p in query.parameters],
            "api": f"/api/queries/{query.name}", "page": f"/queries/{query.name}",
        }

    async def api_list(self, request: Request) -> Response:
        return JSONResponse({"queries": [self._query_description(q) for q in self.queries.values()]})

    async def api_query(self, request: Request) -> Response:
        """A canned query's answer: whole (sent from its file as it is read), or the page `?limit=&offset=` asks
        for, with `Link` headers to the first, previous, next and last pages; `X-Total-Count` says how many
        rows the whole answer has. An answer of more than --max-rows rows is too long for one response: without
        `limit` and `offset`, its first page of --max-rows rows is sent."""
        query = self._canned(request.path_params["name"])
        if query is None:
            return JSONResponse({"error": f"no query {request.path_params['name']!r}; see /api/queries"},
                                status_code=404)
        given = {k: v for k, v in request.query_params.items() if k != "format" and k not in PAGING}
        try:
            window = Window.asked(request, default_limit=None, max_limit=self.settings.max_rows)
            answer = await self._answer(query, given)
        except QueryFailure as e:
            return JSONResponse({"error": str(e)}, status_code=e.status, headers=_retry(e))
        except UnknownConceptError as e:  # the graph holds no such concept
            return JSONResponse({"error": str(e), "suggestions": e.suggestions}, status_code=404)
        except PvkgError as e:  # wrong parameters
            return JSONResponse({"error": str(e)}, status_code=400)
        media_type = negotiate(request, ["application/sparql-results+json", "application/json", "text/csv"])
        form = "csv" if media_type == "text/csv" else "json"
        headers = {"Vary": "Accept", "X-Total-Count": str(answer.rows)}
        if window is None and answer.rows <= self.settings.max_rows:
            return AnswerFileResponse(answer.path(form), media_type=_text_type(media_type), headers=headers)
        window = window or Window(offset=0, limit=self.settings.max_rows)  # too long for one response: paged
        body = await asyncio.to_thread(answer.page, form, window.offset, window.limit)
        links = window.links(request, answer.rows)
        headers["Link"] = ", ".join(f'<{self.settings.url(request.url.path)}?{target}>; rel="{rel}"'
                                    for rel, target in links.items())
        return Response(body, media_type=_text_type(media_type), headers=headers)

    async def query_page(self, request: Request) -> Response:
        query = self._canned(request.path_params["name"])
        if query is None:
            return self.error_page(404, f"There is no query named {request.path_params['name']!r}.")
        given = {k: v for k, v in request.query_params.items() if v != "" and k not in PAGING}
        values = {p.name: given.get(p.name, p.default or "") for p in query.parameters}
        answer, rows, window, error, status, retry = None, [], None, None, 200, {}
        missing = [p.name for p in query.parameters if p.default is None and p.name not in given]
        if not missing:
            try:
                window = Window.asked(request, default_limit=PAGE_ROWS, max_limit=self.settings.max_rows)
                answer = await self._answer(query, given)
                rows = await asyncio.to_thread(answer.page_rows, window.offset, window.limit)
            except QueryFailure as e:
                error, status, retry = str(e), e.status, _retry(e)
            except UnknownConceptError as e:
                error, status = str(e), 404
            except PvkgError as e:
                error, status = str(e), 400
        asked_by = await self._asked_by(query)
        link_params = urllib.parse.urlencode({k: v for k, v in values.items() if v})
        editor = urllib.parse.urlencode({"query": canned_text(query, values) if not missing and not error
                                         else query.text})
        page_links = {rel: f"/queries/{query.name}?{target}" for rel, target in
                      window.links(request, answer.rows).items()} if answer is not None and window is not None else {}
        csv_params = urllib.parse.urlencode({**values, "format": "csv"})
        response = self.page("query.html", code=status, title=query.title, query=query, asked_by=asked_by,
                             values=values, answer=answer, rows=rows, window=window, page_links=page_links,
                             max_rows=self.settings.max_rows,
                             error=error, editor_query=editor, api_path=f"/api/queries/{query.name}?{link_params}",
                             csv_path=f"/api/queries/{query.name}?{csv_params}")
        response.headers.update(retry)
        return response

    async def _asked_by(self, query: CannedQuery) -> str:
        """The label of the study that asked the query's question, else the header's text (also when the label
        cannot be looked up in time: it is not worth failing a page for)."""
        study = asking_study(query)
        if study is not None:
            with contextlib.suppress(QueryFailure):
                return (await self._labels([str(study)])).of(str(study)) or str(query.asked_by)
        return str(query.asked_by or "")

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.queries, self.settings.max_rows))

    # -- comparison of studies ---------------------------------------------------------------------------

    async def compare_page(self, request: Request) -> Response:
        """Studies side by side (pvkg/query/compare.py): `?study=` once per study, in the order given, with a form to
        pick them from every study of the graph; `?format=csv` sends the comparison as CSV. An id the graph
        does not hold is a 404 naming the nearest ids, with the form to pick again."""
        ids = list(dict.fromkeys(study for study in request.query_params.getlist("study") if study))
        lang = request.query_params.get("lang") or "en"
        studies, comparison, error, status = [], None, None, 200
        try:
            if len(ids) > MAX_COMPARED:  # each study is two queries on the workers
                raise QueryError(f"a page compares at most {MAX_COMPARED} studies, not {len(ids)}; "
                                 "`pvkg compare` takes any number")
            listing = await self.select(compare.listing_text(lang))
            studies = compare.study_list((listing.columns, listing.rows))
            chosen = compare.chosen_studies(ids, studies)
            texts = compare.study_queries(chosen, lang)
            answers = await asyncio.gather(*(self.select(text) for text in texts.values()))
            comparison = compare.comparison(chosen, {key: (answer.columns, answer.rows)
                                                     for key, answer in zip(texts, answers, strict=True)})
        except QueryFailure as e:
            return self.error_page(e.status, str(e))
        except compare.UnknownStudyError as e:
            error, status = " ".join(e.lines()), 404
        except PvkgError as e:  # a malformed lang
            error, status = str(e), 400
        if comparison is not None and request.query_params.get("format") == "csv":
            return Response(render(comparison.table(), "csv"), media_type=_text_type("text/csv"),
                            headers={"Content-Disposition": 'attachment; filename="pvkg-comparison.csv"'})
        chosen_ids = [s.id for s in comparison.studies] if comparison is not None else ids
        csv_path = "/compare?" + urllib.parse.urlencode([*(("study", i) for i in chosen_ids),
                                                         *([("lang", lang)] if lang != "en" else []),
                                                         ("format", "csv")])
        return self.page("compare.html", code=status, title="Compare studies", studies=studies,
                         chosen=set(chosen_ids), comparison=comparison, error=error, csv_path=csv_path,
                         lang=lang, work_path=lambda study: pages.local_path(str(work_iri(study))),
                         finding_path=lambda finding: pages.local_path(str(finding_iri(finding))))

    # -- the start page, the editor, downloads ----------------------------------------------------------

    async def facts(self) -> Facts:
        if self._facts is None:
            prefixes = (f"PREFIX pvkg: <{PVKG._NS}> PREFIX skos: <{SKOS}> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
                        f"PREFIX dcterms: <http://purl.org/dc/terms/> ")
            counts = {}
            for key, pattern in (("studies", "?x a pvkg:Study"), ("findings", "?x a pvkg:Finding"),
                                 ("concepts", f"?x a skos:Concept FILTER(STRSTARTS(STR(?x), \"{BASE}\"))"),
                                 ("triples", "?x ?p ?o")):  # concepts: pvkg's own, as the build counts them
                distinct = "" if key == "triples" else "DISTINCT "
                counts[key] = await self._count(f"{prefixes}SELECT (COUNT({distinct}?x) AS ?n) WHERE {{ {pattern} }}")
            about = (await self.select(
                f"{prefixes}SELECT ?version ?license WHERE {{ <{ONTOLOGY_IRI}> owl:versionInfo ?version "
                f"OPTIONAL {{ <{ONTOLOGY_IRI}> dcterms:license ?license }} }} ORDER BY ?version ?license LIMIT 1")).rows
            version, license_ = (str(t) if t is not None else None for t in about[0]) if about else (None, None)
            self._facts = Facts(version=version, license=license_, **counts)
        return self._facts

    async def home(self, request: Request) -> Response:
        try:
            facts = await self.facts()
        except QueryFailure as e:
            return self.error_page(e.status, str(e))
        questions = sorted((q for q in self.queries.values() if q.question), key=lambda q: (q.answer or 99, q.name))
        others = [q for q in self.queries.values() if not q.question]
        described = [{"name": q.name, "title": q.title, "question": q.question, "asked_by": await self._asked_by(q)}
                     for q in questions]
        downloads = [{"path": f"/download/pvkg.{ext}", "label": GRAPH_FORMATS[name][2]}
                     for ext, name in DOWNLOADS.items()] if self.built is not None else []
        written = [folder for folder in PAGE_FOLDERS
                   if self.built is not None and (self.built.parent / folder / "index.html").is_file()]
        return self.page("home.html", title="pvkg", facts=facts, questions=described, others=others,
                         downloads=downloads, written=written)

    def written_pages(self, folder: str):
        """An endpoint serving the files of a folder of pages beside the built graph (index.html for the
        folder itself), found when asked for, so that pages written while the server runs are served too."""

        async def endpoint(request: Request) -> Response:
            root = self.built.parent / folder if self.built is not None else None
            relative = request.path_params["path"] or "index.html"
            # no file name pvkg writes holds a control character, and a NUL cannot reach the file system
            named = root is not None and not any(ord(c) < 0x20 or c == "\x7f" for c in relative)
            target = (root / relative).resolve() if named else None
            if target is None or not target.is_file() or not target.is_relative_to(root.resolve()):
                return self.error_page(404, f"Nothing here: run pvkg {folder} to write the {folder} beside the "
                                            "graph.")
            return FileResponse(target)

        return endpoint

    async def editor(self, request: Request) -> Response:
        return self.page("editor.html", title="Query editor", query=request.query_params.get("query", EDITOR_QUERY),
                         timeout=f"{self.settings.timeout:g}", max_rows=f"{self.settings.max_rows:,}")

    async def download(self, request: Request) -> Response:
        extension = request.path_params["extension"]
        if self.built is None or extension not in DOWNLOADS:
            return self.error_page(404, "No such download here.")
        media_type = GRAPH_FORMATS[DOWNLOADS[extension]][0]
        if extension == "ttl":
            path = self.built
        else:
            path = await self._converted(self.built, extension, media_type)
        return FileResponse(path, media_type=_text_type(media_type), filename=f"pvkg.{extension}")

    async def _converted(self, built: Path, extension: str, media_type: str) -> Path:
        """The built graph in another format, written once into the server's cache; the conversions of an
        earlier graph or base URL are removed then, so that the cache holds one file per format."""
        assert self.cache_dir is not None
        context = hashlib.sha256(self.settings.url("context.jsonld").encode()).hexdigest()[:12]
        version = f"{built.stat().st_mtime_ns}-{context}"
        target = self.cache_dir / "downloads" / f"{version}.{extension}"
        async with self._downloads_lock:
            if not target.is_file():
                def convert() -> None:
                    triples = list(Graph().parse(built, format="turtle"))
                    write_atomic(target, self._graph_bytes(media_type, triples))
                    for old in target.parent.glob(f"*.{extension}"):
                        if old != target:
                            old.unlink(missing_ok=True)
                await asyncio.to_thread(convert)
        return target

    # -- resources at their IRIs ------------------------------------------------------------------------

    async def resource_at_path(self, request: Request) -> Response:
        return await self._resource(request, BASE + request.path_params["path"])

    async def resource_by_iri(self, request: Request) -> Response:
        iri = request.query_params.get("iri", "")
        path = pages.local_path(iri)
        if not path.startswith("/resource?"):  # pvkg's own resources have their own paths
            return RedirectResponse(path, status_code=301)
        return await self._resource(request, iri)

    async def _resource(self, request: Request, iri: str) -> Response:
        media_type = negotiate(request, ["text/html", *GRAPH_MEDIA_TYPES])
        html = media_type == "text/html"
        if not valid_iri(iri):
            return self.error_page(404, "No such resource.") if html else PlainTextResponse("not found\n", 404)
        kept = self.resources.get((iri, media_type))
        if kept is not None:
            return Response(kept, media_type=_text_type(media_type) if not html else media_type,
                            headers={"Vary": "Accept"})
        try:
            if not html:
                triples = await self._description(iri)
                if not triples and not await self._occurs(iri):
                    return PlainTextResponse(f"no resource <{iri}> in this graph\n", status_code=404)
                response = Response(self._graph_bytes(media_type, triples), media_type=_text_type(media_type),
                                    headers={"Vary": "Accept"})
            else:
                response = await self._resource_page(iri)
        except QueryFailure as e:
            return self.error_page(e.status, str(e)) if html else PlainTextResponse(str(e) + "\n", e.status)
        if response.status_code == 200 and iri != str(ONTOLOGY_IRI):  # the ontology's page links the docs of
            self.resources.put((iri, media_type), response.body)  # its terms, which `pvkg docs` may write later
        return response

    async def _description(self, iri: str) -> list:
        """The resource's triples (and those of blank nodes it leads to); the whole ontology for its IRI."""
        if iri == str(ONTOLOGY_IRI):
            return list(Graph().parse(resources.ontology_file(), format="turtle"))
        outcome = await self.run(
            f"CONSTRUCT {{ <{iri}> ?p ?o . ?o ?p2 ?o2 }} WHERE {{ <{iri}> ?p ?o "
            f"OPTIONAL {{ ?o ?p2 ?o2 FILTER(isBlank(?o)) }} }}", max_rows=None)
        assert isinstance(outcome, GraphResult)
        return outcome.triples

    async def _occurs(self, iri: str) -> bool:
        outcome = await self.run(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} UNION {{ ?s <{iri}> ?o }} }}")
        return isinstance(outcome, AskResult) and outcome.value

    async def _count(self, text: str) -> int:
        """The number a one-cell COUNT query answers."""
        rows = (await self.select(text)).rows
        return int(rows[0][0].toPython()) if rows and rows[0][0] is not None else 0

    async def _labels(self, iris: list[str]) -> pages.Labels:
        iris = sorted({i for i in iris if valid_iri(i)})
        if not iris:
            return pages.Labels()
        values = " ".join(f"<{i}>" for i in iris)
        result = await self.select(f"SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }} "
                                   f"?x <{RDFS.label}>|<{SKOS.prefLabel}> ?label }}")
        return pages.Labels.from_rows(result.rows)

    async def _resource_page(self, iri: str) -> Response:
        outgoing = (await self.select(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} ORDER BY ?p ?o")).rows
        incoming = (await self.select(f"SELECT ?p ?s WHERE {{ ?s ?p <{iri}> }} ORDER BY ?p ?s "
                                      f"LIMIT {INCOMING_LIMIT + 1}")).rows
        terms = []
        if iri == str(ONTOLOGY_IRI):
            terms = (await self.select(
                f"SELECT ?t ?kind ?definition WHERE {{ ?t a ?kind FILTER(STRSTARTS(STR(?t), \"{iri}#\")) "
                f"OPTIONAL {{ ?t <{SKOS.definition}> ?definition FILTER(langMatches(lang(?definition), \"en\")) }} }} "
                f"ORDER BY ?t ?kind")).rows
        uses_as_property = await self._count(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{iri}> ?o }}")
        if not outgoing and not incoming and not terms and not uses_as_property:
            return self.error_page(404, f"There is no resource <{iri}> in this graph.")
        types = [o for p, o in outgoing if p == RDF.type]
        view = await self._view(iri, types, outgoing)
        findings = [] if view is not None else (await self.select(
            f"SELECT DISTINCT ?finding ?statement ?study ?locator WHERE {{ ?finding ?p <{iri}> ; "
            f"a <{PVKG.Finding}> ; <{PVKG.reportedIn}> ?study ; <{PVKG.locator}> ?locator . "
            f"OPTIONAL {{ ?finding <{PVKG.statement}> ?statement FILTER(langMatches(lang(?statement), \"en\")) }} }} "
            f"ORDER BY ?finding ?statement LIMIT 1000")).rows
        cut = len(incoming) > INCOMING_LIMIT
        incoming = incoming[:INCOMING_LIMIT]
        mentioned = [iri] + [str(t) for row in outgoing + incoming + findings + terms for t in row
                             if isinstance(t, URIRef)] + [str(i) for i in (view.iris if view is not None else [])]
        labels = await self._labels(mentioned)
        if view is not None:  # its authors and venue by name, here and in the tables below
            labels.chosen.update(view.names)
        name_properties = {RDFS.label: "label", SKOS.prefLabel: "preferred label", SKOS.altLabel: "other label"}
        names = sorted(({"language": o.language or "", "text": str(o), "kind": name_properties[p]}
                        for p, o in outgoing if p in name_properties and isinstance(o, Literal)),
                       key=lambda n: (n["kind"] != "preferred label", n["kind"], n["language"], n["text"]))
        properties = _grouped((p, o) for p, o in outgoing if p != RDF.type and p not in name_properties)
        referred = _grouped((p, s) for p, s in incoming)
        title = labels.of(iri) or pages.readable(iri)
        formats = {name: f"{pages.local_path(iri)}{'&' if '?' in pages.local_path(iri) else '?'}format={name}"
                   for name in ("turtle", "jsonld", "nt")}
        return self.page(
            "resource.html", title=title, iri=iri, labels=labels, names=names, types=types, properties=properties,
            incoming=referred, incoming_cut=INCOMING_LIMIT if cut else 0, formats=formats,
            uses_as_property=uses_as_property, view=view,
            findings=[dict(zip(("finding", "statement", "study", "locator"), row, strict=True)) for row in findings],
            terms=pages.defined_terms(terms, labels, await self._documented_terms()) if terms else [])

    async def _view(self, iri: str, types: list, outgoing: list) -> views.View | None:
        """What the page of a study, a finding or a concept shows first (pvkg/publish/views.py), from its own triples
        and the answers of the view's queries; None for other resources."""
        name = views.view_of(iri, types)
        if name is None:
            return None
        kind = views.VIEWS[name]
        rows = await self._rows(kind.queries(iri))
        if kind.then is not None:
            rows |= await self._rows(kind.then(rows))
        return kind.make(iri, outgoing, rows)

    async def _rows(self, texts: dict[str, str]) -> dict[str, list]:
        """The rows of each named query, asked at once of the query pool."""
        answers = await asyncio.gather(*(self.select(text) for text in texts.values()))
        return {key: answer.rows for key, answer in zip(texts, answers, strict=True)}

    async def _documented_terms(self) -> dict[str, str]:
        """Where the documentation beside the graph (`pvkg docs`, served at /docs/) describes each term."""
        if self.built is None:
            return {}
        found = await asyncio.to_thread(documented_terms, self.built.parent / "docs")
        return {iri: f"/docs/{target}" for iri, target in found.items()}


@functools.lru_cache(maxsize=4096)
def _canned_text(query: CannedQuery, given: tuple[tuple[str, str], ...]) -> str:
    """canned_text once per query and parameters: tokenising a query costs the event loop more than sending its
    stored answer."""
    return canned_text(query, dict(given))


def _grouped(pairs) -> list[tuple[Node, list[Node]]]:
    """The values of each key, each once, in the order first seen; the keys in the order of their text."""
    grouped: dict[Node, dict[Node, None]] = defaultdict(dict)
    for key, value in pairs:
        grouped[key][value] = None
    return sorted(((key, list(values)) for key, values in grouped.items()), key=lambda item: str(item[0]))


def openapi_document(queries: dict[str, CannedQuery], max_rows: int) -> dict:
    """OpenAPI 3.1 for the canned-query API: one GET operation per query, carrying its title, research
    question and parameters (in the spirit of grlc), and the paging parameters (at most `max_rows` rows a page)."""
    sparql_json = {"type": "object", "required": ["head", "results"],
                   "properties": {"head": {"type": "object"}, "results": {"type": "object"}}}
    error = {"description": "The parameters are wrong, or the query could not be answered in time.",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, dict] = {
        "/api/queries": {"get": {
            "operationId": "listQueries", "summary": "The canned queries and their parameters",
            "responses": {"200": {"description": "Every canned query", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"queries": {"type": "array", "items": {
                    "type": "object"}}}}}}}}}},
    }
    for query in queries.values():
        parameters = [{
            "name": p.name, "in": "query", "required": p.default is None, "description": p.description,
            "schema": {"type": "string", **({"default": p.default} if p.default is not None else {}),
                       **({"pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"} if p.type == "language" else {})},
        } for p in query.parameters]
        parameters += [
            {"name": "format", "in": "query", "required": False,
             "description": "json (SPARQL 1.1 results JSON) or csv; overrides Accept",
             "schema": {"type": "string", "enum": ["json", "csv"]}},
            {"name": "limit", "in": "query", "required": False,
             "description": f"Rows of one page (with offset, or alone from the first row). Without limit and "
                            f"offset the whole answer is sent, or its first {max_rows:,} rows when it is longer "
                            f"(X-Total-Count and the Link header's next page tell). Default with offset: "
                            f"{max_rows:,}",
             "schema": {"type": "integer", "minimum": 1, "maximum": max_rows}},
            {"name": "offset", "in": "query", "required": False,
             "description": "The first row of the page, counted from 0, in the answer's fixed order",
             "schema": {"type": "integer", "minimum": 0, "default": 0}},
        ]
        description = query.description
        if query.question:
            description = f"Research question (asked by {query.asked_by}): {query.question}\n\n{description}"
        paths[f"/api/queries/{query.name}"] = {"get": {
            "operationId": _operation_id(query.name), "summary": query.title, "description": description,
            "tags": ["research questions" if query.question else "queries"], "parameters": parameters,
            "responses": {
                "200": {"description": f"Rows with the columns {', '.join(query.columns)}", "headers": PAGE_HEADERS,
                        "content": {"application/sparql-results+json": {"schema": sparql_json},
                                    "application/json": {"schema": sparql_json},
                                    "text/csv": {"schema": {"type": "string"}}}},
                "400": error, "503": error,
                **({"404": {"description": "No concept of the graph has the given id or label; the error names "
                                           "the nearest ids.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
                   if any(p.type == "concept" for p in query.parameters) else {}),
            },
        }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "pvkg: the public-value knowledge graph of digital government", "version": __version__,
                 "description": "The research questions pvkg answers, as a read-only API. The graph itself is "
                                "also open to any SPARQL 1.1 client at /sparql.",
                 "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"}},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "required": ["error"],
                                             "properties": {"error": {"type": "string"},
                                                            "suggestions": {"type": "array",
                                                                            "items": {"type": "string"}}}}}},
    }


PAGE_HEADERS = {
    "X-Total-Count": {"description": "The rows of the whole answer", "schema": {"type": "integer"}},
    "Link": {"description": "With limit or offset: the first, previous (prev), next and last pages of the answer, "
                            "as RFC 8288 links (those there are)", "schema": {"type": "string"}},
}


def _operation_id(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


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
