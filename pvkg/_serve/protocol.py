"""`pvkg serve`, one area of the server: the SPARQL 1.1 Protocol: queries (GET and POST, every result format), the
service description, the JSON-LD context and the dataset's description; updates and Graph Store writes refused."""

from __future__ import annotations

import asyncio
import urllib.parse

from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.namespace import VOID
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

from pvkg import _resources as resources
from pvkg._build.describe import DATASET, DESCRIPTION_FILE, description_bytes
from pvkg._publish.export import jsonld_bytes
from pvkg._serve.http import (
    GRAPH_MEDIA_TYPES,
    MAX_QUERY_BYTES,
    SD,
    negotiate,
    text_type,
)
from pvkg._serve.workers import QueryFailure
from pvkg._sparql.queries import (
    QueryResult,
)
from pvkg._sparql.results import ASK_MEDIA_TYPES, SELECT_MEDIA_TYPES
from pvkg._sparql.stores import AskResult, QueryOutcome, SelectResult
from pvkg._sparql.syntax import request_form


class SparqlProtocol:
    """The SPARQL 1.1 Protocol: queries (GET and POST, every result format), the service description, the JSON-LD
    context and the dataset's description; updates and Graph Store writes refused. A part of PvkgServer
    (pvkg/_serve/app.py), whose state and plumbing it uses."""

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
                            media_type=text_type(media_type))
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
        return Response(body, media_type=text_type(media_type), headers={"Vary": "Accept"})

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
