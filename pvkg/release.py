"""Stage 8 (output), for integrators: the graph in every export format, and the release bundle.

`export_bytes` writes the ontology, the data or both in one format; `write_release` writes a whole
release into one folder: the graph in every format (all, ontology and data), the findings as
nanopublications, the JSON-LD context, VoID/DCAT, ROBOT's report profile for the ontology, the ontology
documentation, the evidence report and the version's CHANGELOG entry.

The ontology in every file is merged with its import module (pvkg.load.load_ontology): one owl:Ontology,
pvkg's, and no owl:imports, so the OWL API, Protégé and owlready2 load any file offline with no catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, URIRef

from . import __version__, resources
from .describe import write_description
from .errors import PvkgError, UsageError
from .export import (
    EXTENSIONS,
    GRAPH_FORMATS,
    PAGE_FOLDERS,
    Triple,
    check_replaceable,
    replace_folder,
    trig_bytes,
    write_all_atomic,
    write_atomic,
)
from .load import load_ontology
from .namespaces import BASE, ONTOLOGY_IRI
from .nanopub import nanopub_bytes
from .pipeline import GRAPH_FILE, Build, load_built, write_build

WHAT = ("all", "ontology", "data")
EXPORT_FORMATS = (*GRAPH_FORMATS, "trig", "nanopub")
DATA_GRAPH = URIRef(BASE + "graph/data")  # the data's named graph in TriG; the ontology's is its own IRI
NANOPUB_FILE = "pvkg.nanopub.trig"
CHANGELOG_FILE = "CHANGELOG.md"
ROBOT_FOLDER = "robot"  # ROBOT's report profile, whose rules name their queries as file:./robot/...


@dataclass
class GraphParts:
    ontology: list[Triple]  # the ontology merged with its import module
    data: list[Triple]  # what the study and vocabulary files say

    def of(self, what: str) -> list[Triple]:
        return {"ontology": self.ontology, "data": self.data, "all": self.ontology + self.data}[what]

    @classmethod
    def from_build(cls, build: Build) -> GraphParts:
        ontology = list(build.ontology)
        known = set(ontology)
        return cls(ontology, [t for t in build.triples if t not in known])

    @classmethod
    def from_file(cls, path: Path) -> GraphParts:
        """Split a built graph file into ontology and data. The data have no blank nodes, so every triple
        with one belongs to the ontology (whose blank nodes were relabelled on reading)."""
        known = {t for t in load_ontology() if not any(isinstance(x, BNode) for x in t)}
        ontology, data = [], []
        for triple in load_built(path):
            is_ontology = triple in known or any(isinstance(x, BNode) for x in triple)
            (ontology if is_ontology else data).append(triple)
        return cls(ontology, data)


def check_export(what: str, fmt: str) -> None:
    if what not in WHAT:
        raise UsageError(f"--what {what!r} is not one of: {', '.join(WHAT)}")
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(EXPORT_FORMATS)}")
    if fmt == "nanopub" and what == "ontology":
        raise UsageError("--format nanopub writes the findings, which are data; use --what data or all")


def export_bytes(parts: GraphParts, what: str, fmt: str, created: str | None = None) -> bytes:
    """The ontology, the data or both in one format; the same graph always gives the same bytes."""
    check_export(what, fmt)
    if fmt == "nanopub":
        return nanopub_bytes(parts.data, created)
    if fmt == "trig":
        graphs = [(ONTOLOGY_IRI, parts.ontology), (DATA_GRAPH, parts.data)]
        return trig_bytes([(name, triples) for name, triples in graphs
                           if what == "all" or name == {"ontology": ONTOLOGY_IRI, "data": DATA_GRAPH}[what]])
    return GRAPH_FORMATS[fmt][1](parts.of(what))


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


def write_release(build: Build, out_dir: Path, changelog: Path, lang: str = "en") -> list[Path]:
    """Write the release bundle of a build into out_dir; returns the files written, graph files first."""
    from .docs import write_docs
    from .report import write_report
    from .store import OxigraphStore

    entry = check_release(out_dir, changelog)
    written = [write_build(build, out_dir)]
    parts = GraphParts.from_build(build)
    for what in WHAT:
        for fmt in (*GRAPH_FORMATS, "trig"):
            name = export_file_name(what, fmt)
            if name == GRAPH_FILE:
                continue  # written by the build, byte for byte what this would write
            write_atomic(out_dir / name, export_bytes(parts, what, fmt))
            written.append(out_dir / name)
    write_atomic(out_dir / NANOPUB_FILE, export_bytes(parts, "data", "nanopub"))
    written.append(out_dir / NANOPUB_FILE)
    written.append(write_description(build.triples, out_dir, list(written)))  # the graph's files, not the rest
    context = out_dir / resources.context_file().name
    write_atomic(context, resources.context_file().read_bytes())
    written.append(context)
    robot = {out_dir / ROBOT_FOLDER / f.name: f.read_bytes() for f in resources.robot_report_files()}
    write_all_atomic(robot)
    written += list(robot)
    written += replace_folder(out_dir / PAGE_FOLDERS[0], lambda folder: write_docs(build.graph, folder))
    written += replace_folder(out_dir / PAGE_FOLDERS[1],
                               lambda folder: write_report(OxigraphStore.from_graph(build.graph), folder, lang))
    write_atomic(out_dir / CHANGELOG_FILE, f"# pvkg {__version__}\n\n{entry}".encode())
    written.append(out_dir / CHANGELOG_FILE)
    return written

