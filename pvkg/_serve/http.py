"""What the server's areas share: its settings, content negotiation, windows of rows, the checks of what a request
names, the bodies kept once made, and the OpenAPI description of the canned queries."""

from __future__ import annotations

import contextlib
import functools
import re
import urllib.parse
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from rdflib import Namespace
from rdflib.term import Node
from starlette.requests import Request
from starlette.responses import FileResponse

from pvkg._publish.export import GRAPH_FORMATS
from pvkg._serve.workers import QueryFailure
from pvkg._sparql.queries import (
    CannedQuery,
    QueryError,
    canned_text,
)
from pvkg._version import __version__

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
        return cls(offset=whole_number(params.get("offset"), "offset", 0, 0, None),
                   limit=whole_number(params.get("limit"), "limit", min(default_limit or max_limit, max_limit), 1,
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


def whole_number(text: str | None, name: str, default: int, least: int, most: int | None) -> int:
    if text is None:
        return default
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else -1
    if value < least or (most is not None and value > most):
        within = f"from {least:,} to {most:,}" if most is not None else f"of {least} or more"
        raise QueryError(f"{name!r} must be a whole number {within}, not {text!r}")
    return value


def retry_headers(failure: QueryFailure) -> dict[str, str]:
    """The Retry-After header of a failure that says when asking again is worth it."""
    return {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}


def text_type(media_type: str) -> str:
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


@functools.lru_cache(maxsize=4096)
def bound_canned_text(query: CannedQuery, given: tuple[tuple[str, str], ...]) -> str:
    """canned_text once per query and parameters: tokenising a query costs the event loop more than sending its
    stored answer."""
    return canned_text(query, dict(given))


def grouped(pairs) -> list[tuple[Node, list[Node]]]:
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
            "operationId": operation_id(query.name), "summary": query.title, "description": description,
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


def operation_id(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)
