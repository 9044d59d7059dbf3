"""Stage 3: SHACL validation of the built graph, reported in plain words with the file and line each
offending resource came from (never as raw report Turtle).

The data is validated file by file: each part (the triples made from one input file) together with the
ontology and the types and schemes of the resources it refers to in other files (enough for every
sh:class and scheme check); the results kept are those about resources the part describes. (pyshacl's
focus_nodes option would save the work on the others, but it fails qualified value shapes.) Results are
cached by a hash of exactly what was validated, so a rebuild after editing one study file runs pyshacl on
that file's part only. Parts that need validating are validated together, in batches, so a cold build of
a large corpus pays pyshacl's fixed cost per batch rather than per file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, SKOS, Graph, Namespace, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node
from rdflib.util import from_n3

from pvkg import _resources as resources
from pvkg._build.load import DataParts, SourceMap, Triple
from pvkg.errors import Problem
from pvkg._files import write_atomic
from pvkg._rdftext import Progress, no_progress, nt_term
from pvkg._version import __version__

SH = Namespace("http://www.w3.org/ns/shacl#")


def load_shapes(paths: list[Path] | None = None) -> Graph:
    shapes = Graph()
    for path in paths or resources.shapes_files():
        shapes.parse(path, format="turtle")
    return shapes


@dataclass
class ValidationReport:
    conforms: bool
    problems: list[Problem]


def _short(node) -> str:
    text = str(node)
    for cut in ("#", "/"):
        if cut in text:
            text = text.rsplit(cut, 1)[1]
    return text


@dataclass(frozen=True)
class Result:
    """One SHACL result, by terms rather than file and line, so it stays right when lines move."""

    focus: Node
    message: str
    path: Node | None
    value: Node | None


@functools.lru_cache(maxsize=256)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once. pyshacl runs a SPARQL constraint's query for
    every focus node, and rdflib parses the text anew each time: most of the constraint's cost."""

    def query(self, query_object, *args, **kwargs):
        if isinstance(query_object, str) and not kwargs.get("initNs"):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


def _shacl(graph: Graph, shapes: Graph) -> list[Result]:
    _, report, _ = shacl_validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                         allow_warnings=True, inplace=True)
    results = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        message = report.value(result, SH.resultMessage) or "does not conform to its shape"
        results.append(Result(report.value(result, SH.focusNode), str(message), report.value(result, SH.resultPath),
                              report.value(result, SH.value)))
    return results


def _problem(result: Result, sources: SourceMap | None) -> Problem:
    focus, path, value = result.focus, result.path, result.value
    place = sources.get(focus) if sources else None
    if place:
        where, subject = place
        file, line = where.file, where.line
    else:
        file, line, subject = "<graph>", None, f"<{focus}>" if isinstance(focus, URIRef) else str(focus)
    detail = []
    if isinstance(path, URIRef):
        detail.append(f"property {_short(path)}")
    if value is not None and value != focus:
        detail.append(f"value {value.n3()}")
    suffix = f" ({', '.join(detail)})" if detail else ""
    return Problem(file, line, subject, f"{result.message}{suffix}")


def _report(results: list[Result], sources: SourceMap | None) -> ValidationReport:
    problems = sorted({_problem(r, sources) for r in results}, key=str)
    return ValidationReport(conforms=not problems, problems=problems)


# --- part by part, with a cache -------------------------------------------------------------------------

# Triples of other files that a part's checks look at: what a resource is, and which scheme it is in
CONTEXT_PREDICATES = (RDF.type, SKOS.inScheme)
BATCH_TRIPLES = 40000  # parts validated in one pyshacl run: big enough to amortise its fixed cost


@dataclass
class ValidationCache:
    """Results of validating parts, by content hash; one JSON file, replaced atomically."""

    path: Path | None
    fingerprint: str = ""  # of the ontology and shapes files: when they change, no entry is valid
    entries: dict[str, list[list[str | None]]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    hits: int = 0
    misses: int = 0

    @classmethod
    def open(cls, path: Path | None, inputs: list[Path]) -> ValidationCache:
        """The cache in `path` for results made with these ontology and shapes files (and this pvkg)."""
        fingerprint = _digest([__version__, *(hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs)])
        entries = {}
        if path is not None and path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
                if stored["fingerprint"] == fingerprint:
                    entries = stored["parts"]
            except (ValueError, KeyError, TypeError):
                entries = {}  # a damaged cache only makes a slower build
        return cls(path, fingerprint, entries)

    def get(self, key: str) -> list[Result] | None:
        if key not in self.entries:
            self.misses += 1
            return None
        self.hits += 1
        self.used.add(key)
        return [Result(from_n3(focus), message, from_n3(path) if path else None, from_n3(value) if value else None)
                for focus, message, path, value in self.entries[key]]

    def put(self, key: str, results: list[Result]) -> None:
        self.used.add(key)
        self.entries[key] = sorted([r.focus.n3(), r.message, r.path.n3() if r.path is not None else None,
                                    r.value.n3() if r.value is not None else None] for r in results)

    def save(self) -> None:
        """Write the entries this build used (so the file does not grow with every edit)."""
        if self.path is None:
            return
        kept = {k: self.entries[k] for k in sorted(self.used)}
        write_atomic(self.path, json.dumps({"fingerprint": self.fingerprint, "parts": kept}, ensure_ascii=False,
                                           separators=(",", ":")).encode("utf-8"))


def _digest(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def validate_parts(ontology: Graph, parts: DataParts, shapes: Graph | None = None,
                   cache: ValidationCache | None = None, batch_triples: int = BATCH_TRIPLES,
                   workers: int | None = None, progress: Progress = no_progress) -> ValidationReport:
    """Validate the data file by file (see the module's docstring), using and filling `cache`. Batches
    run in up to `workers` processes (default: one per CPU) when there is more than one. `progress` is told
    of the files done: those found in the cache at once, the others batch by batch."""
    shapes = shapes if shapes is not None else load_shapes()
    cache = cache if cache is not None else ValidationCache(None)
    index: dict[Node, list[Triple]] = defaultdict(list)
    for part in parts.triples.values():
        for t in part:
            if t[1] in CONTEXT_PREDICATES:
                index[t[0]].append(t)
    results: list[Result] = []
    pending: list[tuple[str, list[str], set[Node]]] = []
    for triples in parts.triples.values():
        subjects = {t[0] for t in triples}
        context = {c for t in triples if isinstance(t[2], URIRef) and t[2] not in subjects for c in index.get(t[2], ())}
        lines = sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ." for s, p, o in [*triples, *context]})
        key = _digest(lines)
        cached = cache.get(key)
        if cached is not None:
            results += cached
            progress(1)
        else:
            pending.append((key, lines, subjects))
    batches = list(_batches(pending, batch_triples))
    for batch, found in zip(batches, _run_batches(ontology, shapes, [[line for _, lines, _ in batch for line in lines]
                                                                     for batch in batches], workers), strict=True):
        owners: dict[Node, list[str]] = defaultdict(list)
        for key, _, subjects in batch:
            for s in subjects:
                owners[s].append(key)
        by_key: dict[str, list[Result]] = {key: [] for key, _, _ in batch}
        for r in found:  # results about context resources are dropped: their own part reports them
            for key in owners.get(r.focus, ()):
                by_key[key].append(r)
        for key, part_results in by_key.items():
            cache.put(key, part_results)
            results += part_results
        progress(len(batch))
    return _report(results, parts.sources)


# The ontology and shapes of a worker process, parsed once by _start_worker
_worker: dict[str, Graph] = {}


def _start_worker(ontology_nt: str, shapes_nt: str) -> None:
    _worker["ontology"] = Graph().parse(data=ontology_nt, format="nt")
    _worker["shapes"] = Graph().parse(data=shapes_nt, format="nt")


def _validate_lines(lines: list[str], ontology: Graph | None = None, shapes: Graph | None = None) -> list[Result]:
    """pyshacl over the ontology plus these N-Triples lines (a batch of parts with their context)."""
    graph = _PreparedQueryGraph()
    for triple in ontology if ontology is not None else _worker["ontology"]:
        graph.add(triple)
    graph.parse(data="\n".join(lines), format="nt")
    return _shacl(graph, shapes if shapes is not None else _worker["shapes"])


def _run_batches(ontology: Graph, shapes: Graph, batches: list[list[str]], workers: int | None
                 ) -> Iterator[list[Result]]:
    """The results of each batch, in order, each as soon as it (and those before it) are done."""
    workers = min(len(batches), workers or os.cpu_count() or 1)
    if workers <= 1:
        for lines in batches:
            yield _validate_lines(lines, ontology, shapes)
        return
    # 'spawn', not fork: a forked child would slowly copy the whole corpus as reference counts touch it
    context = multiprocessing.get_context("spawn")
    initargs = (ontology.serialize(format="nt"), shapes.serialize(format="nt"))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=initargs) as pool:
        yield from pool.map(_validate_lines, batches)


def _batches(pending: list, limit: int):
    batch, size = [], 0
    for item in pending:
        if batch and size + len(item[1]) > limit:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item[1])
    if batch:
        yield batch
