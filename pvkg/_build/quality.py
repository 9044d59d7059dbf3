"""The ontology quality gate. Each check is an ODK-style SPARQL SELECT in queries/qc/<name>-violation.rq
that must return no rows; every row it returns is one problem, naming the offending term (`?term`) and what
is wrong with it and what to do (`?problem`). The files have the `#+` header of the canned queries (title,
description of what a row means and how to fix it, columns), but live in a subfolder, so they are never
listed or served as canned queries.

The checks are plain SPARQL 1.1 and give the same rows on rdflib and on Oxigraph (the test suite compares
the two). The build checks the Turtle it is about to write, loaded into an embedded Oxigraph store: 2.7 s
in all at 1M triples (bench/results.md), of which the checks themselves take under 1 s; rdflib's engine
takes 16 s at 100k.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from pvkg import _resources as resources
from pvkg._build.load import SourceMap
from pvkg.errors import QualityError
from pvkg._rdftext import Compactor, Progress, no_progress, prefix_map
from pvkg._sparql.queries import CannedQuery, QueryError, parse_query_file, run_query
from pvkg._sparql.stores import OxigraphStore, Store

QC_FOLDER = "qc"  # under queries/
SUFFIX = "-violation"
COLUMNS = ("term", "problem")

_IRI_IN_TEXT = re.compile(r"<([^<>\s\"]+)>")


@dataclass(frozen=True)
class QualityCheck:
    name: str  # the file name without '-violation.rq', e.g. 'missing-label-or-definition'
    query: CannedQuery

    @property
    def title(self) -> str:
        return self.query.title

    @property
    def path(self) -> Path:
        return self.query.path


@dataclass(frozen=True)
class QualityProblem:
    """One row of one check: the offending term (an IRI, or a literal or blank node in N-Triples form) and
    what is wrong. With a SourceMap, the file, line and subject of a data resource the term came from."""

    check: str
    term: str
    message: str
    file: str | None = None
    line: int | None = None
    subject: str | None = None  # e.g. "concept value:transparency", as SHACL problems name it

    def __str__(self) -> str:
        if self.file:
            where = f"{self.file}:{self.line}" if self.line else self.file
            return f"{where}: {self.subject or compact(self.term)}: {self.message} [{self.check}]"
        return f"{compact(self.term)}: {self.message} [{self.check}]"


# An IRI as prefix:local with pvkg's prefixes (pvkg:Study, skos:Concept, id:value/transparency), or the IRI
# itself when no prefix fits
compact = Compactor(prefix_map())


def _compact_text(text: str) -> str:
    """A message with each <IRI> in it written compactly where a prefix fits (left as <IRI> otherwise)."""

    def replace(match: re.Match) -> str:
        short = compact(match.group(1))
        return short if short != match.group(1) else match.group(0)

    return _IRI_IN_TEXT.sub(replace, text)


def check_files(folder: Path | None = None) -> list[Path]:
    """The query files in queries/qc/ (or `folder`)."""
    return sorted((folder or resources.data_dir("queries") / QC_FOLDER).glob("*.rq"))


def load_checks(folder: Path | None = None) -> list[QualityCheck]:
    """The checks in queries/qc/, by name. A file there that is not a '<name>-violation.rq' SELECT with a
    valid header and the columns [term, problem] raises a QueryError naming it."""
    folder = folder or resources.data_dir("queries") / QC_FOLDER
    checks = []
    for path in check_files(folder):
        if not path.stem.endswith(SUFFIX) or path.stem == SUFFIX:
            raise QueryError(f"{path}: a quality check's file is named '<name>{SUFFIX}.rq'; rename it")
        query = parse_query_file(path)
        if query.columns != COLUMNS:
            raise QueryError(f"{path}: a quality check returns the columns {list(COLUMNS)}, not {list(query.columns)}")
        if query.parameters:
            raise QueryError(f"{path}: a quality check takes no parameters")
        checks.append(QualityCheck(path.stem[: -len(SUFFIX)], query))
    if not checks:
        raise QueryError(f"{folder}: no quality checks ('*{SUFFIX}.rq') found")
    return checks


def quality_store(graph: Graph | bytes) -> OxigraphStore:
    """An Oxigraph store holding the graph, or the graph's Turtle (which the build writes anyway, and which
    Oxigraph reads several times faster than rdflib writes N-Triples). Loaded leniently: Oxigraph's parser
    would refuse a malformed language tag, which is what one check is there to report."""
    store = ox.Store()
    if isinstance(graph, bytes):
        store.bulk_load(graph, format=ox.RdfFormat.TURTLE, lenient=True)
    else:
        store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    return OxigraphStore(store)


def _term_text(node: Node | None) -> str:
    if node is None:
        return ""
    return str(node) if isinstance(node, URIRef) else node.n3()


def check_quality(source: Store | Graph | bytes, checks: list[QualityCheck] | None = None,
                  sources: SourceMap | None = None, progress: Progress = no_progress) -> list[QualityProblem]:
    """Run every check (or the ones given) on a store, or on a graph (or its Turtle) loaded into an Oxigraph
    store, and return one problem per row, sorted. With `sources` (the build's SourceMap), a problem about a data
    resource says the file and line it came from. `progress` is told of each check when it has run."""
    store = quality_store(source) if isinstance(source, Graph | bytes) else source
    problems = set()
    for check in checks if checks is not None else load_checks():
        for term, message in run_query(store, check.query).rows:
            place = sources.get(term) if sources is not None and isinstance(term, URIRef) else None
            file, line, subject = (place[0].file, place[0].line, place[1]) if place else (None, None, None)
            problems.add(QualityProblem(check.name, _term_text(term), _compact_text(str(message or "")),
                                        file, line, subject))
        progress(1)
    return sorted(problems, key=lambda p: (p.check, p.term, p.message))


def require_quality(source: Store | Graph | bytes, checks: list[QualityCheck] | None = None,
                    sources: SourceMap | None = None, progress: Progress = no_progress) -> None:
    """Raise a QualityError carrying every problem when any check returns a row."""
    problems = check_quality(source, checks, sources, progress)
    if problems:
        raise QualityError(problems)
