"""`pvkg serve`, one area of the server: every resource at its IRI path: a page (a study's, a finding's or a concept's
view first), or its description as Turtle, N-Triples or JSON-LD."""

from __future__ import annotations

import asyncio

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from pvkg import _resources as resources
from pvkg._namespaces import BASE, ONTOLOGY_IRI, PVKG
from pvkg._publish import pages, views
from pvkg._publish.docs import documented_terms
from pvkg._serve.http import (
    GRAPH_MEDIA_TYPES,
    INCOMING_LIMIT,
    grouped,
    negotiate,
    text_type,
    valid_iri,
)
from pvkg._serve.workers import QueryFailure
from pvkg._sparql.stores import AskResult, GraphResult


class ResourcePages:
    """Every resource at its IRI path: a page (a study's, a finding's or a concept's view first), or its description as
    Turtle, N-Triples or JSON-LD. A part of PvkgServer (pvkg/_serve/app.py), whose state and plumbing it uses."""

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
            return Response(kept, media_type=text_type(media_type) if not html else media_type,
                            headers={"Vary": "Accept"})
        try:
            if not html:
                triples = await self._description(iri)
                if not triples and not await self._occurs(iri):
                    return PlainTextResponse(f"no resource <{iri}> in this graph\n", status_code=404)
                response = Response(self._graph_bytes(media_type, triples), media_type=text_type(media_type),
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
        properties = grouped((p, o) for p, o in outgoing if p != RDF.type and p not in name_properties)
        referred = grouped((p, s) for p, s in incoming)
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
        """What the page of a study, a finding or a concept shows first (pvkg/_publish/views.py), from its own triples
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
