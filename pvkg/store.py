"""Stage 6: the stores queries run on. One interface, three engines:

- `oxigraph` (the default): pyoxigraph, an embedded Rust SPARQL engine. It loads a million triples in a few
  seconds and answers pvkg's aggregates in well under a second, where rdflib's pure-Python engine takes
  tens of seconds (see bench/results.md);
- `rdflib`: rdflib's own engine over an in-memory graph, the reference the other engines are tested against;
- an endpoint: any SPARQL 1.1 server, through SPARQLWrapper, optionally scoped to one named graph with the
  protocol's `default-graph-uri`.

Every store returns rows of rdflib terms, normalised so that the same data gives the same rows on each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import UsageError
from .remote import DEFAULT_MAX_ROWS, Endpoint, RemoteError, rows_from_json

ENGINES = ("oxigraph", "rdflib")
DEFAULT_ENGINE = "oxigraph"

Rows = tuple[list[str], list[tuple[Node | None, ...]]]


class Store(ABC):
    name: str

    @abstractmethod
    def select(self, text: str) -> Rows:
        """The column names and rows of a SELECT query."""

    def label(self, resource: URIRef) -> str | None:
        """A resource's rdfs:label (the smallest, when it has several), or None."""
        _, rows = self.select(f"SELECT ?label WHERE {{ <{resource}> <http://www.w3.org/2000/01/rdf-schema#label> "
                              f"?label }} ORDER BY ?label LIMIT 1")
        return str(rows[0][0]) if rows and rows[0][0] is not None else None


class RdflibStore(Store):
    name = "rdflib"

    def __init__(self, graph: Graph):
        self.graph = graph

    def select(self, text: str) -> Rows:
        result = self.graph.query(text)
        return [str(v) for v in result.vars], [tuple(row) for row in result]


def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    # rdflib keeps a simple literal untyped where RDF 1.1 (and Oxigraph) says xsd:string
    return Literal(term.value) if datatype == str(XSD.string) else Literal(term.value, datatype=URIRef(datatype))


class OxigraphStore(Store):
    name = "oxigraph"

    def __init__(self, store: ox.Store):
        self.store = store

    @classmethod
    def from_file(cls, path: Path) -> OxigraphStore:
        store = ox.Store()
        store.bulk_load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix.lstrip(".")))
        return cls(store)

    @classmethod
    def from_graph(cls, graph: Graph) -> OxigraphStore:
        store = ox.Store()
        store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return cls(store)

    def select(self, text: str) -> Rows:
        solutions = self.store.query(text)
        columns = [v.value for v in solutions.variables]
        # answers repeat the same labels and studies: convert each distinct term once (rdflib's Literal
        # constructor is the costly part, 8 us a term)
        converted: dict = {}

        def term(value):
            if value is None:
                return None
            found = converted.get(value)
            if found is None:
                found = converted[value] = rdflib_term(value)
            return found

        return columns, [tuple(term(solution[c]) for c in columns) for solution in solutions]


class EndpointStore(Store):
    def __init__(self, endpoint: Endpoint, graph: str | None = None, max_rows: int = DEFAULT_MAX_ROWS):
        self.endpoint = endpoint
        self.graph = graph
        self.max_rows = max_rows
        self.name = endpoint.display

    def select(self, text: str) -> Rows:
        columns, rows = rows_from_json(self.endpoint.select_json_via_sparqlwrapper(text, self.graph))
        # servers such as Virtuoso cut results at a row limit without saying so
        if self.max_rows and len(rows) >= self.max_rows:
            raise RemoteError(f"{self.endpoint.display}: the answer has {len(rows)} rows, the server's result "
                              f"limit (--max-rows {self.max_rows}): it is probably cut short; raise the server's "
                              f"limit (Virtuoso: ResultSetMaxRows) and --max-rows")
        return columns, rows


def as_store(source: Store | Graph) -> Store:
    return source if isinstance(source, Store) else RdflibStore(source)


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise UsageError(f"--store {engine!r} is not one of: {', '.join(ENGINES)}")
    return engine


def open_built(path: Path, engine: str = DEFAULT_ENGINE, graph: Graph | None = None) -> Store:
    """A store over a built graph file, on the chosen embedded engine (reusing `graph` if already parsed)."""
    if check_engine(engine) == "oxigraph":
        return OxigraphStore.from_file(path)
    return RdflibStore(graph if graph is not None else Graph().parse(path, format="turtle"))
