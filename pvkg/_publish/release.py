"""Stage 8 (output), for integrators: the graph in every export format, and the release bundle.

`export_bytes` writes the ontology, the data or both in one format; `write_release` writes a whole
release into one folder: the graph in every format (all, ontology and data), the findings as
nanopublications, the JSON-LD context, VoID/DCAT, ROBOT's report profile for the ontology, the ontology
documentation, the evidence report and the version's CHANGELOG entry.

The ontology in every file is merged with its import module (pvkg.load.load_ontology): one owl:Ontology,
pvkg's, and no owl:imports, so the OWL API, Protégé and owlready2 load any file offline with no catalog.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.term import Node

from pvkg import _resources as resources
from pvkg._build.describe import write_description
from pvkg._build.load import load_ontology
from pvkg._build.pipeline import GRAPH_FILE, Build, Stages, load_built, write_build
from pvkg._files import PAGE_FOLDERS, check_replaceable, encoded, replace_folder, write_all_atomic, write_atomic
from pvkg._namespaces import BASE, ONTOLOGY_IRI, PVKG
from pvkg._publish.export import EXTENSIONS, GRAPH_FORMATS, GRAPH_WRITERS
from pvkg._publish.nanopub import check_created, nanopub_chunks
from pvkg._rdftext import Progress, Triple, TripleSource, UnionSource, as_source, no_progress, trig_chunks
from pvkg._sparql.stores import rdflib_term
from pvkg._version import __version__
from pvkg.errors import PvkgError, UsageError, display_path

WHAT = ("all", "ontology", "data")
EXPORT_FORMATS = (*GRAPH_FORMATS, "trig", "nanopub")
DATA_GRAPH = URIRef(BASE + "graph/data")  # the data's named graph in TriG; the ontology's is its own IRI
NANOPUB_FILE = "pvkg.nanopub.trig"
CHANGELOG_FILE = "CHANGELOG.md"
ROBOT_FOLDER = "robot"  # ROBOT's report profile, whose rules name their queries as file:./robot/...


class IndexedTriples(TripleSource):
    """Triples with no blank node, kept as N-Triples text in one buffer with an index of where each subject's
    lines are, and made rdflib terms only a subject at a time, as they are written. The text of the 1.27
    million triples of the 1M bench corpus takes under 0.2 GB, where rdflib's graph of them takes over 2 GB.
    (An Oxigraph store would take 0.6 GB, but it keeps a number by its value: "7"^^xsd:positiveInteger comes
    back as "7"^^xsd:integer, another literal.) The text is Oxigraph's parser's, which keeps every literal as
    written but for its language tag, put in lower case."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._spans: dict[str, list[tuple[int, int]]] = {}  # subject IRI -> (start, end) of its lines
        self._types: dict[str, list[str]] = defaultdict(list)  # class IRI -> its instances' IRIs
        self._predicates: set[str] = set()
        self._count = 0

    def add(self, quad: ox.Quad) -> None:
        subject = quad.subject.value
        start = len(self._text)
        self._text += f"{quad.subject} {quad.predicate} {quad.object} .\n".encode()
        spans = self._spans.setdefault(subject, [])
        if spans and spans[-1][1] == start:  # the lines of a subject mostly come together
            spans[-1] = (spans[-1][0], len(self._text))
        else:
            spans.append((start, len(self._text)))
        self._predicates.add(quad.predicate.value)
        if quad.predicate.value == _RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            self._types[quad.object.value].append(subject)
        self._count += 1

    def subjects(self) -> list[Node]:
        return [URIRef(s) for s in self._spans]

    def about(self, subject: Node) -> list[Triple]:
        spans = self._spans.get(str(subject)) if isinstance(subject, URIRef) else None
        if not spans:
            return []
        text = b"".join(self._text[start:end] for start, end in spans)
        return [(subject, _iri(q.predicate.value),
                 _iri(q.object.value) if isinstance(q.object, ox.NamedNode) else rdflib_term(q.object))
                for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]

    def blank(self) -> list[Triple]:
        return []

    def predicates(self) -> set[Node]:
        return {URIRef(p) for p in self._predicates}

    def instances(self, kind: URIRef) -> list[Node]:
        return [URIRef(s) for s in dict.fromkeys(self._types.get(str(kind), ()))]

    def __len__(self) -> int:
        return self._count


_RDF_TYPE = str(RDF.type)


@functools.lru_cache(maxsize=1 << 16)
def _iri(value: str) -> URIRef:
    """An IRI as an rdflib term; the predicates, classes and concepts the triples share are made once."""
    return URIRef(value)


def _oxigraph_term(term: Node) -> ox.NamedNode | ox.Literal:
    """An IRI or a literal as pyoxigraph's term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


@dataclass
class GraphParts:
    ontology: TripleSource  # the ontology merged with its import module (a list of triples is taken too)
    data: TripleSource  # what the study and vocabulary files say

    def __post_init__(self) -> None:
        self.ontology, self.data = as_source(self.ontology), as_source(self.data)

    def of(self, what: str) -> TripleSource:
        if what == "all":
            return UnionSource(self.ontology, self.data)
        return {"ontology": self.ontology, "data": self.data}[what]

    @classmethod
    def from_build(cls, build: Build) -> GraphParts:
        ontology = list(build.ontology)
        known = set(ontology)
        return cls(ontology, [t for t in build.triples if t not in known])

    @classmethod
    def from_file(cls, path: Path, progress: Progress = no_progress) -> GraphParts:
        """Split a built graph file into ontology and data, the data indexed (IndexedTriples), the ontology
        (a few thousand triples) in memory. The data have no blank nodes, so every triple with one belongs
        to the ontology. `progress` is told of the bytes read."""
        known = {ox.Quad(*(_oxigraph_term(x) for x in triple)) for triple in load_ontology()
                 if not any(isinstance(x, BNode) for x in triple)}
        ontology, data = [], IndexedTriples()
        with open(path, "rb") as file:
            for quad in ox.parse(_CountedReader(file, progress), format=ox.RdfFormat.TURTLE):
                if quad in known or isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
                    ontology.append(tuple(rdflib_term(term) for term in (quad.subject, quad.predicate, quad.object)))
                else:
                    data.add(quad)
        return cls(ontology, data)


class _CountedReader:
    """A file read by a parser, each read told to `progress` (in bytes)."""

    def __init__(self, file: BinaryIO, progress: Progress):
        self.file, self.progress = file, progress

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.progress(len(data))
        return data


def check_export(what: str, fmt: str, created: str | None = None) -> None:
    if what not in WHAT:
        raise UsageError(f"--what {what!r} is not one of: {', '.join(WHAT)}")
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(EXPORT_FORMATS)}")
    if fmt == "nanopub" and what == "ontology":
        raise UsageError("--format nanopub writes the findings, which are data; use --what data or all")
    if fmt == "nanopub":
        check_created(created)  # before anything is built or written


def _named_graphs(parts: GraphParts, what: str) -> list[tuple[URIRef, TripleSource]]:
    """The named graphs of a TriG export: the ontology's (named by its IRI) and the data's."""
    return [(name, source) for name, source in ((ONTOLOGY_IRI, parts.ontology), (DATA_GRAPH, parts.data))
            if what == "all" or name == {"ontology": ONTOLOGY_IRI, "data": DATA_GRAPH}[what]]


def export_size(parts: GraphParts, what: str, fmt: str) -> tuple[int, str]:
    """How many things an export writes one by one, and what they are: its progress's total and unit."""
    if fmt == "nanopub":
        return len(parts.data.instances(PVKG.Finding)), "findings"
    if fmt == "trig":
        return sum(len(source) for _, source in _named_graphs(parts, what)), "triples"
    return len(parts.of(what)), "triples"


def export_chunks(parts: GraphParts, what: str, fmt: str, created: str | None = None,
                  progress: Progress = no_progress) -> Iterator[str]:
    """The ontology, the data or both in one format, a piece at a time; the same graph always gives the same
    text. `progress` is told of the triples written (of each finding, for nanopublications)."""
    check_export(what, fmt, created)
    if fmt == "nanopub":
        return nanopub_chunks(parts.data, created, progress)
    if fmt == "trig":
        return trig_chunks(_named_graphs(parts, what), progress)
    return GRAPH_WRITERS[fmt](parts.of(what), progress=progress)


def export_bytes(parts: GraphParts, what: str, fmt: str, created: str | None = None) -> bytes:
    """export_chunks, whole."""
    return "".join(export_chunks(parts, what, fmt, created)).encode("utf-8")


def export_built(path: Path, build: Build | None, what: str, fmt: str, created: str | None = None,
                 stages: Stages | None = None) -> Iterator[bytes]:
    """`pvkg export`: the graph built into `path` (made by `build` when the command just built it) in one
    format, as pieces of bytes to write one after the other. The whole graph as Turtle is that file itself;
    any other export reads the file into an Oxigraph store (or takes the build's triples) first."""
    stages = stages or Stages()
    check_export(what, fmt, created)
    if what == "all" and fmt == "turtle":
        stages.start(f"copying {display_path(path)}", path.stat().st_size, "bytes")
        return _pieces_of(path, stages.advance)
    if build is not None:
        parts = GraphParts.from_build(build)
    else:
        stages.start(f"reading {display_path(path)}", path.stat().st_size, "bytes")
        parts = GraphParts.from_file(path, stages.advance)
    stages.start(f"writing the {'graph' if what == 'all' else what} as {fmt}", *export_size(parts, what, fmt))
    return encoded(export_chunks(parts, what, fmt, created, stages.advance))


def _pieces_of(path: Path, progress: Progress, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while piece := file.read(size):
            yield piece
            progress(len(piece))


def export_file_name(what: str, fmt: str) -> str:
    if fmt == "nanopub":
        return NANOPUB_FILE
    return ("pvkg" if what == "all" else f"pvkg-{what}") + "." + EXTENSIONS[fmt]


def changelog_entry(changelog: Path, version: str = __version__) -> str:
    """The CHANGELOG section of `version` (a '## [version]' or '## version' heading up to the next '## ')."""
    try:
        text = changelog.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{changelog}: no such file; run the release from a pvkg checkout, or pass "
                         "--changelog") from None
    heading = re.compile(rf"^## \[?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    match = heading.search(text)
    if match is None:
        raise PvkgError(f"{changelog}:1: no entry for version {version} (the version in pyproject.toml); add a "
                        f"'## [{version}] - YYYY-MM-DD' section saying what changed")
    end = text.find("\n## ", match.end())
    return text[match.start(): end if end != -1 else len(text)].rstrip() + "\n"


def check_release(out_dir: Path, changelog: Path) -> str:
    """What a release needs before anything is built or written: the version's CHANGELOG entry (returned),
    and page folders it may replace."""
    entry = changelog_entry(changelog)
    for folder in PAGE_FOLDERS:
        check_replaceable(out_dir / folder)
    return entry


def release_exports() -> list[tuple[str, str]]:
    """(what, format) of every export file of a release but the graph file the build writes, in order."""
    exports = [(what, fmt) for what in WHAT for fmt in (*GRAPH_FORMATS, "trig")
               if export_file_name(what, fmt) != GRAPH_FILE]
    return [*exports, ("data", "nanopub")]


def _whole_graph(build: Build, path: Path) -> Graph:
    """The build's whole graph as rdflib's, for the documentation: the build's own if something (the reasoner)
    made it, else read from the file the build wrote, and let go once the pages are written. (Build.graph
    would make and keep two more graphs of it, the data's and the whole: 1.4 GB more at 1M triples.)"""
    graph = build.__dict__.get("graph")  # a cached_property keeps what it made in the instance's __dict__
    return graph if graph is not None else load_built(path)


def write_release(build: Build, out_dir: Path, changelog: Path, lang: str = "en",
                  stages: Stages | None = None) -> list[Path]:
    """Write the release bundle of a build into out_dir; returns the files written, graph files first. Each
    file is told to `stages` as it starts, an export's subjects as they are written."""
    from pvkg._publish.docs import write_docs
    from pvkg._publish.report import write_report
    from pvkg._sparql.stores import OxigraphStore

    stages = stages or Stages()
    entry = check_release(out_dir, changelog)
    stages.start(f"writing {display_path(out_dir / GRAPH_FILE)}")
    written = [write_build(build, out_dir)]
    parts = GraphParts.from_build(build)
    exports = release_exports()
    for number, (what, fmt) in enumerate(exports, 1):
        path = out_dir / export_file_name(what, fmt)
        stages.start(f"writing {display_path(path)} (export {number} of {len(exports)})",
                     *export_size(parts, what, fmt))
        write_atomic(path, encoded(export_chunks(parts, what, fmt, progress=stages.advance)))
        written.append(path)
    del parts
    stages.start(f"describing the {len(written)} graph files (VoID and DCAT)")
    written.append(write_description(build.triples, out_dir, list(written)))  # the graph's files, not the rest
    # files shipped as they are: the JSON-LD context the exports name, the JSON Schema of study files
    shipped = {out_dir / f.name: f.read_bytes() for f in (resources.context_file(), resources.study_schema_file())}
    write_all_atomic(shipped)
    written += list(shipped)
    robot = {out_dir / ROBOT_FOLDER / f.name: f.read_bytes() for f in resources.robot_report_files()}
    write_all_atomic(robot)
    written += list(robot)
    stages.start(f"writing the ontology documentation into {display_path(out_dir / PAGE_FOLDERS[0])}")
    written += replace_folder(out_dir / PAGE_FOLDERS[0], lambda folder: write_docs(_whole_graph(build, written[0]),
                                                                                   folder))
    stages.start(f"writing the evidence report into {display_path(out_dir / PAGE_FOLDERS[1])}")
    written += replace_folder(out_dir / PAGE_FOLDERS[1],
                              lambda folder: write_report(OxigraphStore.from_file(written[0]), folder, lang))
    write_atomic(out_dir / CHANGELOG_FILE, f"# pvkg {__version__}\n\n{entry}".encode())
    written.append(out_dir / CHANGELOG_FILE)
    return written
