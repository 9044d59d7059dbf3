"""Stage 6: the stores queries run on. One interface, three engines:

- `oxigraph` (the default): pyoxigraph, an embedded Rust SPARQL engine. It loads a million triples in a few
  seconds and answers pvkg's aggregates in well under a second, where rdflib's pure-Python engine takes
  tens of seconds (see bench/results.md);
- `rdflib`: rdflib's own engine over an in-memory graph, the reference the other engines are tested against;
- an endpoint: any SPARQL 1.1 server, through SPARQLWrapper, optionally scoped to one named graph with the
  protocol's `default-graph-uri`.

Every store returns rows of rdflib terms, normalised so that the same data gives the same rows on each, and
runs any query form (`execute`): SELECT rows, an ASK boolean, or the triples of a CONSTRUCT or DESCRIBE.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import pyoxigraph as ox
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.plugins import sparql as rdflib_sparql
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from pvkg._sparql.remote import DEFAULT_MAX_ROWS, Endpoint, RemoteError, rows_from_json
from pvkg._sparql.syntax import MAX_NESTING, Refusable, refusable, request_form
from pvkg.errors import PvkgError, UsageError

ENGINES = ("oxigraph", "rdflib")
DEFAULT_ENGINE = "oxigraph"

Rows = tuple[list[str], list[tuple[Node | None, ...]]]
Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class SelectResult:
    columns: list[str]
    rows: list[tuple[Node | None, ...]]


@dataclass(frozen=True)
class AskResult:
    value: bool


@dataclass(frozen=True)
class GraphResult:
    """The triples of a CONSTRUCT or DESCRIBE query."""

    triples: list[Triple]


QueryOutcome = SelectResult | AskResult | GraphResult


class ResultLimitError(PvkgError):
    """An answer longer than the caller's row (or triple) limit."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"the answer has more than {limit:,} rows, the limit; add a LIMIT to the query, or "
                         f"narrow it")


def _bounded(items, max_rows: int | None) -> list:
    """The items as a list, or ResultLimitError when there are more than max_rows (None: no limit)."""
    if max_rows is None:
        return list(items)
    taken = list(islice(items, max_rows + 1))
    if len(taken) > max_rows:
        raise ResultLimitError(max_rows)
    return taken


class RefusedQueryError(PvkgError):
    """A query no store of pvkg runs: one that would make the engine call another server (SERVICE), or one
    nested deep enough to crash an engine's parser."""


SERVICE_REFUSED = "SERVICE is refused: pvkg never queries other endpoints; query this graph itself"


class Store(ABC):
    name: str

    def execute(self, text: str, max_rows: int | None = None) -> QueryOutcome:
        """Run a query of any form; more than max_rows rows or triples raise ResultLimitError, and a query pvkg
        never runs raises RefusedQueryError before the engine sees it."""
        read = refusable(text)
        if read.nesting > MAX_NESTING:
            raise RefusedQueryError(f"the query nests brackets {read.nesting} deep, more than the {MAX_NESTING} "
                                    f"an engine's parser is known to survive; flatten it")
        self.refuse_remote_calls(read)
        return self._execute(text, max_rows)

    def refuse_remote_calls(self, read: Refusable) -> None:
        """RefusedQueryError if the engine could read the query as calling another endpoint. Engines that do not
        expose their parse are judged on the SPARQL tokens of the text in both its readings (sparql.py)."""
        if read.may_call_service:
            raise RefusedQueryError(SERVICE_REFUSED)

    @abstractmethod
    def _execute(self, text: str, max_rows: int | None) -> QueryOutcome:
        """Run a query on the engine."""

    def select(self, text: str) -> Rows:
        """The column names and rows of a SELECT query."""
        outcome = self.execute(text)
        if not isinstance(outcome, SelectResult):
            raise UsageError(f"{self.name}: expected a SELECT query, got a {type(outcome).__name__}")
        return outcome.columns, outcome.rows

    def label(self, resource: URIRef) -> str | None:
        """A resource's rdfs:label (the smallest, when it has several), or None."""
        _, rows = self.select(f"SELECT ?label WHERE {{ <{resource}> <http://www.w3.org/2000/01/rdf-schema#label> "
                              f"?label }} ORDER BY ?label LIMIT 1")
        return str(rows[0][0]) if rows and rows[0][0] is not None else None


# rdflib's engine would fetch the URL of a query's FROM clause from the web: never, in pvkg
rdflib_sparql.SPARQL_LOAD_GRAPHS = False


def _calls_service(node) -> bool:
    """Whether rdflib's algebra of a query holds a SERVICE call anywhere (its nodes are dicts and lists)."""
    if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
        return True
    if isinstance(node, dict):
        return any(_calls_service(value) for value in node.values())
    return isinstance(node, list | tuple) and any(_calls_service(item) for item in node)


class RdflibStore(Store):
    name = "rdflib"

    def __init__(self, graph: Graph):
        self.graph = graph

    def refuse_remote_calls(self, read: Refusable) -> None:
        pass  # decided in _execute, on the parse rdflib then runs

    def _execute(self, text: str, max_rows: int | None) -> QueryOutcome:
        # The same parse is checked and run: rdflib decodes escapes and reads keywords as it alone does
        query = prepareQuery(text, initNs=dict(self.graph.namespaces()))
        if _calls_service(query.algebra):
            raise RefusedQueryError(SERVICE_REFUSED)
        result = self.graph.query(query)
        if result.type == "ASK":
            return AskResult(bool(result.askAnswer))
        if result.type == "SELECT":
            return SelectResult([str(v) for v in result.vars], _bounded((tuple(row) for row in result), max_rows))
        return GraphResult(_bounded(iter(result.graph), max_rows))


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

    def _execute(self, text: str, max_rows: int | None) -> QueryOutcome:
        result = self.store.query(text)
        if isinstance(result, ox.QueryBoolean):
            return AskResult(bool(result))
        # answers repeat the same labels and studies: convert each distinct term once (rdflib's Literal
        # constructor is the costly part, 8 us a term)
        converted: dict = {None: None}  # an unbound cell stays None
        known = converted.get

        def term(value):
            found = known(value, converted)
            if found is converted:
                found = converted[value] = rdflib_term(value)
            return found

        if isinstance(result, ox.QuerySolutions):
            columns = [v.value for v in result.variables]
            # a solution iterates its values in the order of the variables (by position: a third of the cost
            # of looking each up by name, on answers of 40k rows)
            return SelectResult(columns, _bounded((tuple(map(term, s)) for s in result), max_rows))
        return GraphResult(_bounded(((term(t.subject), term(t.predicate), term(t.object)) for t in result),
                                    max_rows))


class EndpointStore(Store):
    def __init__(self, endpoint: Endpoint, graph: str | None = None, max_rows: int = DEFAULT_MAX_ROWS):
        self.endpoint = endpoint
        self.graph = graph
        self.max_rows = max_rows
        self.name = endpoint.display

    def _execute(self, text: str, max_rows: int | None) -> QueryOutcome:
        form = request_form(text)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return GraphResult(_bounded(iter(self.endpoint.graph_query(text, self.graph)), max_rows))
        results = self.endpoint.select_json_via_sparqlwrapper(text, self.graph)
        if "boolean" in results:
            return AskResult(results["boolean"])
        columns, rows = rows_from_json(results)
        if form == "ASK":  # Virtuoso answers ASK with a one-cell table: 1 or 0
            return AskResult(any(str(value) in ("1", "true") for row in rows for value in row))
        # servers such as Virtuoso cut results at a row limit without saying so
        if self.max_rows and len(rows) >= self.max_rows:
            raise RemoteError(f"{self.endpoint.display}: the answer has {len(rows)} rows, the server's result "
                              f"limit (--max-rows {self.max_rows}): it is probably cut short; raise the server's "
                              f"limit (Virtuoso: ResultSetMaxRows) and --max-rows")
        return SelectResult(columns, _bounded(iter(rows), max_rows))


class QueryTimeoutError(PvkgError):
    """A query that ran longer than the caller's time limit."""


class TimeLimitedStore(Store):
    """Another store, whose queries give up after `timeout` seconds. Neither engine can stop a running
    query, so it runs in a daemon thread (both engines let other threads run meanwhile) and is abandoned
    when the time is up: for a command that ends soon after, such as `pvkg query`. A server, which goes on
    running, stops such queries by killing their worker process instead (see workers.py)."""

    def __init__(self, store: Store, timeout: float):
        self.store = store
        self.timeout = timeout
        self.name = store.name

    def refuse_remote_calls(self, read: Refusable) -> None:
        self.store.refuse_remote_calls(read)  # as the store that runs the query reads it

    def _execute(self, text: str, max_rows: int | None) -> QueryOutcome:
        outcome: list = []

        def run() -> None:
            try:
                outcome.append(("ok", self.store.execute(text, max_rows)))
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread, raised there
                outcome.append(("error", e))

        thread = threading.Thread(target=run, name="pvkg-query", daemon=True)
        thread.start()
        thread.join(self.timeout)
        if not outcome:
            raise QueryTimeoutError(f"the query ran longer than {self.timeout:g} s and was given up; narrow it, "
                                    "or allow more time with --timeout")
        status, value = outcome[0]
        if status == "error":
            raise value
        return value


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
