"""Stage 7: the canned queries. Each queries/*.rq file is plain SPARQL 1.1 whose opening `#+` comment lines
hold a YAML header (title, research question, who asked it, description, parameters, columns); the file
stays runnable by any SPARQL engine.

Parameters are substituted for their variables token by token (never inside a string, an IRI or a
comment), each value written as an escaped RDF literal: a parameter value can only ever be a value. This
one mechanism serves rdflib, Oxigraph and remote servers alike; engines' own binding mechanisms differ
(rdflib's initBindings joins in subqueries, pyoxigraph's substitutions accept projected variables only, a
trailing VALUES joins after the FILTERs that need the value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from pvkg import _resources as resources
from pvkg._namespaces import SLUG_PATTERN, work_iri
from pvkg._sparql.stores import Store, as_store
from pvkg._sparql.syntax import request_form, substitute, uses_service, without_comments
from pvkg._text import LANG_TAG, did_you_mean, nearest, suggestion
from pvkg._yamlfile import YAMLError
from pvkg._yamlfile import load as load_yaml
from pvkg.errors import PvkgError

HEADER_LINE = re.compile(r"^#\+ ?(.*)$")
HEADER_FIELDS = {"title", "question", "asked-by", "description", "parameters", "columns", "order", "answer"}
PARAMETER_FIELDS = {"name", "type", "default", "description"}
PARAMETER_TYPES = {"text", "language", "concept"}  # concept: a concept's id or label, looked up in the graph


READ_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class QueryError(PvkgError):
    """A canned query that cannot be found, is malformed, or was given parameters it does not take."""

    exit_code = 2


class UnknownConceptError(PvkgError):
    """A parameter names no concept of the graph: bad input (exit code 1; 404 over HTTP). The message names the
    nearest concept ids the graph holds."""

    exit_code = 1

    def __init__(self, message: str, value: str, suggestions: list[str]):
        self.value = value
        self.suggestions = suggestions
        super().__init__(message)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    description: str


@dataclass(frozen=True)
class CannedQuery:
    name: str
    path: Path
    title: str
    question: str | None  # the research question the query answers, if any
    asked_by: str | None  # the study that asked it, as written in the header
    description: str
    parameters: tuple[Parameter, ...]
    columns: tuple[str, ...]
    answer: int | None  # position among the answers `pvkg answer` prints; None when not printed
    text: str
    # the order pvkg puts the rows in, for a query whose rows hold lists too long for a server to sort (see
    # ordered_rows); empty when the query's own ORDER BY orders them
    order: tuple[SortKey, ...] = ()


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Node | None, ...]]

    def pick(self, *names: str) -> list[tuple[Node | None, ...]]:
        """The rows with only the named columns, in that order: code that reads an answer by column name keeps
        working when a query gains columns."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise QueryError(f"the answer has no column {missing[0]!r}; it has: {', '.join(self.columns)}")
        where = [self.columns.index(n) for n in names]
        return [tuple(row[i] for i in where) for row in self.rows]

    def records(self) -> list[dict[str, str | None]]:
        """The rows as mappings from column to text (None where unbound): what a notebook or a table wants."""
        return [{column: None if value is None else str(value) for column, value in zip(self.columns, row, strict=True)}
                for row in self.rows]


def _header(path: Path, text: str) -> dict:
    lines = []
    for line in text.splitlines():
        match = HEADER_LINE.match(line)
        if not match:
            break
        lines.append(match.group(1))
    if not lines:
        raise QueryError(f"{path}: no '#+' header; a canned query opens with '#+ title: ...' lines")
    try:
        header = load_yaml("\n".join(lines))
    except YAMLError as e:
        raise QueryError(f"{path}: malformed '#+' header: {' '.join(str(e).split())}") from None
    if not isinstance(header, dict):
        raise QueryError(f"{path}: the '#+' header must be a mapping of fields (title, question...)")
    return header


def parse_query_file(path: Path) -> CannedQuery:
    """A canned query from its file; any defect in the header raises a QueryError naming the file."""
    text = path.read_text(encoding="utf-8")
    header = _header(path, text)
    unknown = set(header) - HEADER_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise QueryError(f"{path}: unknown header field {name!r}{did_you_mean(name, HEADER_FIELDS)}")
    for required in ("title", "description", "columns"):
        if not header.get(required):
            raise QueryError(f"{path}: the header needs {required!r}")
    if bool(header.get("question")) != bool(header.get("asked-by")):
        raise QueryError(f"{path}: 'question' and 'asked-by' go together (the study that asked the question)")
    parameters = []
    for item in header.get("parameters") or []:
        if not isinstance(item, dict) or set(item) - PARAMETER_FIELDS or "name" not in item:
            raise QueryError(f"{path}: each parameter needs name, type, default and description")
        if item.get("type") not in PARAMETER_TYPES:
            raise QueryError(f"{path}: parameter {item['name']!r} has type {item.get('type')!r}; "
                             f"use one of {', '.join(sorted(PARAMETER_TYPES))}")
        default = item.get("default")
        parameters.append(Parameter(str(item["name"]), item["type"], None if default is None else str(default),
                                    str(item.get("description", ""))))
    form = request_form(text)
    if form not in READ_FORMS:
        raise QueryError(f"{path}: {'is a SPARQL Update' if form == 'UPDATE' else 'is not a SPARQL query'}; a "
                         f"canned query reads the graph with {', '.join(READ_FORMS)} and never changes it")
    if uses_service(text):
        raise QueryError(f"{path}: uses SERVICE, which pvkg never runs (no query reaches another server); "
                         "query the graph itself")
    columns = tuple(str(c) for c in header["columns"])
    order = _order(path, header.get("order"), columns)
    answer = header.get("answer")
    if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int) or not header.get("question")):
        raise QueryError(f"{path}: 'answer' is the position (1, 2...) of a query that answers a 'question'")
    return CannedQuery(
        name=path.stem, path=path, title=str(header["title"]), question=header.get("question"),
        asked_by=header.get("asked-by"), description=" ".join(str(header["description"]).split()),
        parameters=tuple(parameters), columns=columns, answer=answer, text=text, order=order)


@dataclass(frozen=True)
class SortKey:
    column: int  # its position among the columns
    descending: bool


def _order(path: Path, order: object, columns: tuple[str, ...]) -> tuple[SortKey, ...]:
    """The header's `order` (columns, each optionally followed by ' desc') as sort keys."""
    if order is None:
        return ()
    if not isinstance(order, list) or not order:
        raise QueryError(f"{path}: 'order' lists the columns the rows are sorted by, such as [kind desc, element]")
    keys = []
    for item in order:
        name, *direction = str(item).split()
        if name not in columns or direction not in ([], ["desc"], ["asc"]):
            raise QueryError(f"{path}: 'order' item {item!r} must be one of the columns ({', '.join(columns)}), "
                             f"optionally followed by 'desc'")
        keys.append(SortKey(columns.index(name), direction == ["desc"]))
    return tuple(keys)


def _term_order(term: Node | None) -> tuple:
    """A term's place in SPARQL's ORDER BY: unbound, then blank nodes, IRIs, literals (numbers by value)."""
    if term is None:
        return (0,)
    if isinstance(term, BNode):
        return (1, str(term))
    if isinstance(term, URIRef):
        return (2, str(term))
    value = term.value if isinstance(term, Literal) else None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (3, 0, value, str(term))
    return (3, 1, 0, str(term))


def ordered_rows(rows: list[tuple[Node | None, ...]], order: tuple[SortKey, ...]) -> list[tuple[Node | None, ...]]:
    """The rows sorted by the keys, then by every column left to right (so that ties come out the same on every
    engine). A query whose cells are lists joined by GROUP_CONCAT is ordered here rather than by ORDER BY:
    Virtuoso 7 refuses to sort rows longer than about 4 KB (SR319, SR478), and such lists grow with the graph."""
    if not order:
        return rows
    rows = sorted(rows, key=lambda row: tuple(map(_term_order, row)))
    for key in reversed(order):  # stable sorts, the last key first
        rows.sort(key=lambda row, i=key.column: _term_order(row[i]), reverse=key.descending)
    return rows


def load_queries(folder: Path | None = None) -> dict[str, CannedQuery]:
    folder = folder or resources.data_dir("queries")
    return {path.stem: parse_query_file(path) for path in sorted(folder.glob("*.rq"))}


def get_query(name: str, queries: dict[str, CannedQuery] | None = None) -> CannedQuery:
    queries = queries if queries is not None else load_queries()
    if name not in queries:
        raise QueryError(f"unknown query {name!r}{did_you_mean(name, queries)}; the queries are: "
                         f"{', '.join(queries)}")
    return queries[name]


def bind_parameters(query: CannedQuery, given: dict[str, str]) -> dict[str, Literal]:
    """The query's parameters as RDF literals: the given values, else the defaults. Unknown names, missing
    values and malformed language tags raise a QueryError that lists what the query takes."""
    known = {p.name: p for p in query.parameters}
    for name in given:
        if name not in known:
            takes = ", ".join(known) or "no parameters"
            raise QueryError(f"query {query.name!r} has no parameter {name!r}{did_you_mean(name, known)}; "
                             f"it takes: {takes}")
    bindings = {}
    for parameter in query.parameters:
        value = given.get(parameter.name, parameter.default)
        if value is None:
            raise QueryError(f"query {query.name!r} needs --param {parameter.name}=... ({parameter.description})")
        if parameter.type == "language" and not LANG_TAG.match(value):
            raise QueryError(f"parameter {parameter.name!r} must be a language tag such as 'en', 'fa' or 'es', "
                             f"not {value!r}")
        bindings[parameter.name] = Literal(value)
    return bindings


# The concepts a finding can be about, by class, as the evidence query names their kinds. A `concept`
# parameter must be the id, or a label in any language ignoring case, of one of them: the same match the
# queries that take such a parameter make.
CONCEPT_KINDS = """
  VALUES ?kind_class {
    <https://w3id.org/pvkg/ontology#PublicValue> <https://w3id.org/pvkg/ontology#ServiceCharacteristic>
    <https://w3id.org/pvkg/ontology#AdoptionFactor> <http://data.europa.eu/m8g/Channel>
    <https://w3id.org/pvkg/ontology#Construct>
  }
  ?c a ?kind_class ."""
CONCEPT_FOUND = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?c WHERE {
  { ?c dcterms:identifier ?id FILTER(STR(?id) = STR(?value)) }
  UNION
  { ?c skos:prefLabel|skos:altLabel ?label FILTER(LCASE(STR(?label)) = LCASE(STR(?value))) }""" + CONCEPT_KINDS + """
}
LIMIT 1"""
CONCEPT_NAMES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?id ?label WHERE {""" + CONCEPT_KINDS + """
  ?c dcterms:identifier ?id .
  OPTIONAL { ?c skos:prefLabel|skos:altLabel ?label }
}"""
CONCEPT_KIND_NAMES = "value, characteristic, factor, channel or construct"


@dataclass(frozen=True)
class ConceptLookup:
    """A `concept` parameter to look up in the graph before its query runs. `found_text` is a SELECT with a
    row when the value names a concept; when it has none, `names_text` lists the concepts' ids and labels, and
    `error` turns them into the error to raise."""

    query: CannedQuery
    parameter: str
    value: str

    @property
    def found_text(self) -> str:
        return substitute(CONCEPT_FOUND, {"value": Literal(self.value)})

    names_text = CONCEPT_NAMES

    def error(self, rows) -> UnknownConceptError:
        ids_of: dict[str, set[str]] = {}
        for identifier, label in rows:
            ids_of.setdefault(str(identifier), set()).add(str(identifier))
            if label is not None:
                ids_of.setdefault(str(label).casefold(), set()).add(str(identifier))
        word = self.value.casefold()
        near = nearest(word, ids_of, n=5)
        suggestions = []
        for name in near:  # nearest first; a label shared by several concepts gives each of their ids
            for identifier in sorted(ids_of[name]):
                if identifier not in suggestions:
                    suggestions.append(identifier)
        suggestions = suggestions[:3]
        return UnknownConceptError(
            f"query {self.query.name!r}: no {CONCEPT_KIND_NAMES} in the graph has the id or label "
            f"{self.value!r}{suggestion(suggestions)}",
            self.value, suggestions)


def concept_lookups(query: CannedQuery, given: dict[str, str]) -> list[ConceptLookup]:
    """The graph look-ups the query's `concept` parameters need before the query runs (after
    bind_parameters has checked them)."""
    return [ConceptLookup(query, p.name, str(given.get(p.name, p.default)))
            for p in query.parameters if p.type == "concept" and given.get(p.name, p.default) is not None]


def check_concepts(store: Store | Graph, query: CannedQuery, given: dict[str, str] | None = None) -> None:
    """Ask the graph whether each `concept` parameter names a concept; UnknownConceptError, with the nearest
    ids, when one does not. run_query does not call this: a concept that matches nothing is a valid query with
    no rows; `pvkg query` and the HTTP API call it so that a typing mistake is not mistaken for no evidence."""
    store = as_store(store)
    for lookup in concept_lookups(query, given or {}):
        if not store.select(lookup.found_text)[1]:
            raise lookup.error(store.select(lookup.names_text)[1])


def run_query(store: Store | Graph, query: CannedQuery, given: dict[str, str] | None = None) -> QueryResult:
    """Run a canned query on a store (or an rdflib graph) with its parameters bound as values."""
    store = as_store(store)
    text = canned_text(query, given or {})
    try:
        columns, rows = store.select(text)
    except PvkgError:
        raise
    except Exception as e:  # the engine's own failure: one line naming the query, not a traceback
        raise QueryError(f"{query.path}: the SPARQL engine ({store.name}) failed on this query "
                         f"({type(e).__name__}: {' '.join(str(e).split())[:200]})") from e
    check_columns(query, columns)
    return QueryResult(columns, ordered_rows(rows, query.order))


def canned_text(query: CannedQuery, given: dict[str, str]) -> str:
    """The SPARQL sent to an engine for a canned query: parameters bound as values, comments dropped."""
    return without_comments(substitute(query.text, bind_parameters(query, given)))


def check_columns(query: CannedQuery, columns: list[str]) -> None:
    if tuple(columns) != query.columns:
        raise QueryError(f"{query.path}: the header's columns {list(query.columns)} differ from the columns the "
                         f"query returns {columns}; make them the same")


@dataclass
class Answer:
    query: CannedQuery
    asked_by: str  # the label of the study that asked the question, or the header's text
    result: QueryResult


def asking_study(query: CannedQuery) -> URIRef | None:
    """The IRI of the study that asked the query's question; None when 'asked-by' is free text such as
    "pvkg editors" (the editors' own questions) or missing."""
    if query.asked_by is not None and SLUG_PATTERN.match(query.asked_by):
        return work_iri(query.asked_by)
    return None


def answers(store: Store | Graph, lang: str | None = None,
            queries: dict[str, CannedQuery] | None = None) -> list[Answer]:
    """Every query tied to a research question, in its 'answer' order, run on the store."""
    store = as_store(store)
    chosen = sorted((q for q in (queries or load_queries()).values() if q.answer is not None),
                    key=lambda q: (q.answer, q.name))
    out = []
    for query in chosen:
        params = {"lang": lang} if lang and any(p.name == "lang" for p in query.parameters) else {}
        study = asking_study(query)
        label = store.label(study) if study is not None else None
        out.append(Answer(query, label or str(query.asked_by), run_query(store, query, params)))
    return out
