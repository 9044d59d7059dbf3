"""pvkg's output checked by implementations that share no code with the ones that made it: Apache Jena's `riot`
(Debian's libapache-jena-java, see tests/jena.py) reads every file of a release of the seed graph, and Jena's
SHACL validates the graph and a set of deliberately violating graphs as pyshacl does.

riot: every export (all of EXPORT_FORMATS for the graph, its ontology and its data; the nanopublications; the
build's void.ttl) must parse in strict mode with no error and no warning, to the count of triples (quads for
TriG) pvkg wrote, and to the same graph: riot's own N-Quads of each file are compared with the triples pvkg
wrote, graph by graph. The five runs (one per syntax) go side by side. The JSON-LD files name their context
by its w3id IRI, which riot must not fetch: they are read from copies that name pvkg's shipped context file
by a file: URL instead. (Titanium, Jena's JSON-LD 1.1 reader, loads remote contexts itself: a Jena
location-mapping.ttl, in the working directory or on the class path, does not reach it, and jsonld-java's
jarcache.json serves only Jena's older JSON-LD 1.0 reader, which cannot read pvkg's JSON-LD 1.1; see
tests/jena.py.) A test checks that the files as released, read as they are, make riot ask its proxy (on
loopback, where nothing answers) for w3id.org and fail, rather than reach the network.

SHACL: pyshacl, run as pvkg runs it (pvkg._build.validate._shacl: no inference, SHACL-AF on, the ontology in the
data graph), and Jena SHACL must agree: the seed graph conforms under both, and each graph in
tests/data/shacl/ gives under both exactly the results (focus node, constraint component, path) its header
names. The one justified difference is named in its fixture with `jena-only:` and checked as such: rdflib
(7.x) has no lexical check for xsd:gYear, so pyshacl takes "MMXXIV"^^xsd:gYear for a gYear, where Jena
(rightly, SHACL counts an ill-typed literal as not of its datatype) reports it. pvkg's own graphs cannot hold
such a literal: the loader accepts only whole-number years from 1500 to 2100.

Jena SHACL reads one data file per run, so the violating graphs are validated together, in one run (one
JVM start), each in a namespace of its own; results are sorted back to their graph by that namespace, and
pyshacl shows that validating them together gives each the results it gets alone.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO
from jena import SH, Jena, jena_fixture  # noqa: F401  (the pytest fixture `jena`)
from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node
from servers import HOST

from pvkg import _resources as resources
from pvkg._build.describe import DESCRIPTION_FILE, dataset_description
from pvkg._build.pipeline import Build
from pvkg._build.validate import load_shapes
from pvkg._publish.export import CONTEXT_IRI
from pvkg._publish.nanopub import nanopublications
from pvkg._publish.release import (
    DATA_GRAPH,
    EXPORT_FORMATS,
    WHAT,
    GraphParts,
    check_export,
    export_file_name,
    write_release,
)
from pvkg.errors import UsageError

# A plain Namespace: pytest probes module attributes, and rdflib's XSD warns on every unknown one.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ONTOLOGY_GRAPH = URIRef("https://w3id.org/pvkg/ontology")
SHACL_DATA = Path(__file__).parent / "data" / "shacl"
FIXTURE_NAMESPACE = "http://example.org/pvkg-shacl/{}/"
# riot's --syntax for each of pvkg's export formats
SYNTAX = {"turtle": "turtle", "nt": "ntriples", "jsonld": "jsonld", "rdfxml": "rdfxml", "trig": "trig",
          "nanopub": "trig"}

Graphs = dict[URIRef | None, list]  # graph name (None: the default graph) -> triples


# --- the release, and what pvkg wrote into each file ------------------------------------------------------


@dataclass
class Release:
    folder: Path
    files: dict[str, list[Path]]  # riot syntax -> files, as riot is to read them
    expected: dict[Path, Graphs]  # file -> the triples pvkg wrote into it, graph by graph
    released_jsonld: list[Path]  # the JSON-LD files as released (naming the context by its w3id IRI)


def local_context_copy(path: Path, folder: Path) -> Path:
    """A copy of a JSON-LD file of the release whose @context is pvkg's shipped context file (by a file: URL)
    instead of its w3id IRI; nothing else changes, byte for byte."""
    data = path.read_bytes()
    named = f'"@context": "{CONTEXT_IRI}"'.encode()
    assert data.count(named) == 1, f"{path.name}: expected one {named.decode()}"
    copy = folder / path.name
    copy.write_bytes(data.replace(named, f'"@context": "{resources.context_file().resolve().as_uri()}"'.encode()))
    return copy


def expected_graphs(parts: GraphParts, what: str, fmt: str) -> Graphs:
    """The triples `export_bytes(parts, what, fmt)` writes, graph by graph."""
    if fmt == "nanopub":
        return {name: triples for _, graphs in nanopublications(parts.data) for name, triples in graphs}
    if fmt == "trig":
        graphs = {ONTOLOGY_GRAPH: parts.ontology, DATA_GRAPH: parts.data}
        return {name: triples for name, triples in graphs.items()
                if what == "all" or name == {"ontology": ONTOLOGY_GRAPH, "data": DATA_GRAPH}[what]}
    return {None: parts.of(what)}


@pytest.fixture(scope="module")
def release(seed_build: Build, tmp_path_factory) -> Release:
    """A release of the seed graph (write_release, with the repository's CHANGELOG.md), and for each export
    file in it, what pvkg wrote: every format of EXPORT_FORMATS for every part it takes (the nanopublications
    are one file, of the data whether asked for `all` or `data`), and the VoID description."""
    folder = tmp_path_factory.mktemp("release")
    written = write_release(seed_build, folder, REPO / "CHANGELOG.md")
    parts = GraphParts.from_build(seed_build)
    files: dict[str, list[Path]] = defaultdict(list)
    expected: dict[Path, Graphs] = {}
    local = tmp_path_factory.mktemp("jsonld-local-context")
    released_jsonld = []
    for fmt in EXPORT_FORMATS:
        for what in WHAT:
            try:
                check_export(what, fmt)
            except UsageError:
                continue  # nanopublications of the ontology
            path = folder / export_file_name(what, fmt)
            assert path in written, path
            if fmt == "jsonld":
                released_jsonld.append(path)
                path = local_context_copy(path, local)
            if path not in expected:
                files[SYNTAX[fmt]].append(path)
                expected[path] = expected_graphs(parts, what, fmt)
    void = folder / DESCRIPTION_FILE
    described = written[:written.index(void)]  # what write_release describes: the graph files before it
    files["turtle"].append(void)
    expected[void] = {None: list(dataset_description(seed_build.triples,
                                                     {p.name: p.read_bytes() for p in described}))}
    return Release(folder, dict(files), expected, released_jsonld)


def test_the_release_holds_every_export(release):
    """Every graph format of every part (15 files), the nanopublications and the VoID description."""
    names = sorted(p.name for paths in release.files.values() for p in paths)
    assert len(names) == len(WHAT) * (len(EXPORT_FORMATS) - 1) + 2 == 17
    assert {"pvkg.ttl", "pvkg-ontology.jsonld", "pvkg-data.rdf", "pvkg.nanopub.trig", "void.ttl"} <= set(names)
    assert sorted(release.files) == sorted(set(SYNTAX.values()))


# --- riot -------------------------------------------------------------------------------------------------


def plain(term: Node) -> Node:
    """RDF 1.1 makes "x"^^xsd:string and "x" one literal; Jena writes the first as the second."""
    return Literal(str(term)) if isinstance(term, Literal) and term.datatype == XSD.string else term


def as_graph(triples) -> Graph:
    graph = Graph()
    for s, p, o in triples:
        graph.add((plain(s), p, plain(o)))
    return graph


def read_nquads(text: str) -> dict[URIRef | None, Graph]:
    """riot's N-Quads, graph by graph (None: the default graph). Split by pyoxigraph, each graph read back
    as N-Triples by rdflib (whose own N-Quads reader warns at every triple)."""
    lines: dict[URIRef | None, list[str]] = defaultdict(list)
    for quad in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS):
        name = None if isinstance(quad.graph_name, ox.DefaultGraph) else URIRef(quad.graph_name.value)
        lines[name].append(f"{quad.subject} {quad.predicate} {quad.object} .\n")
    return {name: as_graph(Graph().parse(data="".join(triples), format="nt")) for name, triples in lines.items()}


@pytest.fixture(scope="module")
def riot_results(jena: Jena, release) -> dict[str, tuple[int, dict]]:
    """One riot run per syntax over all the release's files in it, the five runs side by side (JSON-LD's
    only if the packages it needs are there: its test says which are missing)."""
    syntaxes = [s for s in release.files if s != "jsonld" or jena.jsonld_installed()]
    return dict(zip(syntaxes, jena.riot_runs([(release.files[s], s) for s in syntaxes]), strict=True))


@pytest.mark.parametrize("syntax", sorted(set(SYNTAX.values())))
def test_riot_reads_every_export_without_error_or_warning(jena: Jena, riot_results, release, syntax):
    """No message at all from riot, and for each file the count and the graph pvkg wrote."""
    if syntax == "jsonld":
        jena.require_jsonld()
    code, results = riot_results[syntax]
    messages = [f"{f.path.name}: {m}" for f in results.values() for m in f.messages]
    assert messages == [], "riot complained about pvkg's output:\n" + "\n".join(messages)
    assert code == 0
    for path, result in results.items():
        graphs = release.expected[path]
        assert result.count == sum(len(set(triples)) for triples in graphs.values()), path.name
        assert result.unit == ("Quads" if syntax == "trig" else "Triples"), path.name
        read = read_nquads(result.nquads)
        assert set(read) == set(graphs), path.name
        for name, triples in graphs.items():
            assert isomorphic(read[name], as_graph(triples)), f"{path.name}: graph {name}"


def test_riot_reports_each_files_warnings_and_errors(jena: Jena, tmp_path):
    """The checks above would pass vacuously if riot's messages were lost (slf4j drops them when it has no
    logging back end) or went to the wrong file: a file with an ill-typed literal and one with a broken IRI,
    read in one run with a good file between them."""
    warned, good, broken = tmp_path / "warned.nt", tmp_path / "good.nt", tmp_path / "broken.nt"
    triple = "<http://example.org/s> <http://example.org/p> {} .\n"
    warned.write_text(triple.format('"x"^^<http://www.w3.org/2001/XMLSchema#integer>'))
    good.write_text(triple.format('"1"^^<http://www.w3.org/2001/XMLSchema#integer>'))
    broken.write_text(triple.format("<http://example.org/o o>"))
    code, results = jena.riot_files([warned, good, broken], "ntriples")
    assert code == 1
    assert [m for m in results[warned].messages if " WARN " in m and "Lexical form 'x'" in m], results[warned]
    assert results[warned].count == 1
    assert results[good].messages == [] and results[good].count == 1
    assert results[good].nquads.startswith("<http://example.org/s> ")
    assert [m for m in results[broken].messages if " ERROR " in m], results[broken]
    assert results[broken].count is None


def test_riot_never_fetches_the_jsonld_context(jena: Jena, release):
    """The JSON-LD files as released name their context by its w3id IRI: riot must not fetch it. Its JVM's
    only way out is an HTTP(S) proxy on loopback: here one that listens, records what it is asked and
    answers nothing, in place of the usual unreachable port. riot asks it for w3id.org, gets nothing, and
    reports that it could not load the context."""
    asked: list[bytes] = []
    with socket.create_server((HOST, 0)) as proxy:
        proxy.settimeout(0.2)

        def listen(stop: threading.Event) -> None:
            while not stop.is_set():
                try:
                    connection, _ = proxy.accept()
                except TimeoutError:
                    continue
                with connection:
                    connection.settimeout(5)
                    asked.append(connection.recv(1000).split(b"\r\n", 1)[0])

        stop = threading.Event()
        listener = threading.Thread(target=listen, args=(stop,), daemon=True)
        listener.start()
        port = proxy.getsockname()[1]
        path = release.released_jsonld[0]
        try:
            code, results = jena.riot_files([path], "jsonld", jvm_options=(f"-Dhttps.proxyPort={port}",
                                                                          f"-Dhttp.proxyPort={port}"))
        finally:
            stop.set()
            listener.join()
    assert code != 0
    assert results[path].count is None
    assert any("remote context" in m and " ERROR " in m for m in results[path].messages), results[path].messages
    assert asked and all(line == b"CONNECT w3id.org:443 HTTP/1.1" for line in asked), asked


# --- SHACL ------------------------------------------------------------------------------------------------

Row = tuple[Node, URIRef, URIRef | str | None]  # focus node, constraint component, path ("[]": not one IRI)


def rows(report: Graph) -> set[Row]:
    found = set()
    for result in report.subjects(SH.resultSeverity, None):
        path = report.value(result, SH.resultPath)
        found.add((report.value(result, SH.focusNode), report.value(result, SH.sourceConstraintComponent),
                   "[]" if isinstance(path, BNode) else path))
    return found


def pyshacl_rows(data: Graph, shapes: Graph) -> tuple[bool, set[Row]]:
    """pyshacl with the options pvkg._build.validate._shacl gives it."""
    conforms, report, _ = pyshacl_validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                           allow_warnings=True, inplace=True)
    return conforms, rows(report)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def shapes_file(tmp_path_factory) -> Path:
    """The shapes as one file (Jena SHACL reads one)."""
    files = resources.shapes_files()
    if len(files) == 1:
        return files[0]
    joined = tmp_path_factory.mktemp("shapes") / "shapes.ttl"
    joined.write_text("\n".join(f.read_text(encoding="utf-8") for f in files), encoding="utf-8")
    return joined


def test_the_seed_graph_conforms_under_pyshacl_and_jena(jena: Jena, seed_build, release, shapes, shapes_file):
    data = Graph()
    data += seed_build.graph  # the ontology and the data, as pvkg validates them
    conforms, found = pyshacl_rows(data, shapes)
    assert conforms and found == set()
    graph_file = release.folder / "pvkg.ttl"  # the same graph, as the build wrote it
    report = jena.shacl_validate(graph_file, shapes_file)
    assert report.conforms is True and rows(report.graph) == set(), report.graph.serialize(format="turtle")
    assert report.stderr == ""


@dataclass
class Fixture:
    name: str
    path: Path
    namespace: str
    graph: Graph
    shape: str  # the NodeShape the header says the graph violates ("" for a graph that conforms)
    expect: set[Row]  # what both validators must report
    jena_only: set[Row]  # what Jena must report and pyshacl does not (the header says why)


_HEADER_ROW = re.compile(r"^# (expect|jena-only): (\S+) (\S+) (\S+)\s*$")


def load_fixture(path: Path) -> Fixture:
    text = path.read_text(encoding="utf-8")
    graph = Graph().parse(data=text, format="turtle")
    namespace = FIXTURE_NAMESPACE.format(path.stem)

    def term(curie: str) -> URIRef | str | None:
        if curie in ("-", "[]"):
            return None if curie == "-" else curie
        return graph.namespace_manager.expand_curie(curie)

    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    found: dict[str, set[Row]] = {"expect": set(), "jena-only": set()}
    for line in header:
        match = _HEADER_ROW.match(line)
        if match:
            found[match.group(1)].add((term(match.group(2)), term(match.group(3)), term(match.group(4))))
    shape = re.match(r"^# Violates pvkgsh:(\w+)", header[0]) if header else None
    return Fixture(path.stem, path, namespace, graph, shape.group(1) if shape else "", found["expect"],
                   found["jena-only"])


FIXTURES = [load_fixture(p) for p in sorted(SHACL_DATA.glob("*.ttl"))]


def own(found: set[Row], fixture: Fixture) -> set[Row]:
    return {r for r in found if str(r[0]).startswith(fixture.namespace)}


def test_the_fixtures_say_what_they_violate(shapes):
    """Each violating graph names its shape (one of shapes/pvkg-shapes.ttl) and what must be reported; only
    the valid control has no results; its IRIs are in its own namespace."""
    shape_names = {str(s).rsplit("#", 1)[1] for s in shapes.subjects(None, SH.NodeShape)}
    violating = [f for f in FIXTURES if not f.name.startswith("valid-")]
    assert len(violating) >= 6
    for f in FIXTURES:
        assert f.graph.namespace_manager.expand_curie("fx:x") == URIRef(f.namespace + "x"), f.name
        subjects = {s for s in f.graph.subjects() if isinstance(s, URIRef)}
        assert all(str(s).startswith(f.namespace) for s in subjects), f.name
        if f in violating:
            assert f.shape in shape_names, f"{f.name}: its first line must say '# Violates pvkgsh:SHAPE'"
            assert f.expect | f.jena_only, f"{f.name}: no '# expect:' line"
            assert all(str(r[0]).startswith(f.namespace) for r in f.expect | f.jena_only), f.name
        else:
            assert f.expect == f.jena_only == set(), f.name


@pytest.fixture(scope="module")
def fixture_results(jena: Jena, seed_build, release, shapes, shapes_file, tmp_path_factory):
    """Each fixture under pyshacl alone; all of them together (with the ontology) under pyshacl and, in one
    run, under Jena SHACL. Jena reads the files' own Turtle, one after the other after the ontology's."""
    ontology = Graph()
    for triple in seed_build.ontology:
        ontology.add(triple)
    alone = {}
    together = Graph()
    together += ontology
    for f in FIXTURES:
        data = Graph()
        data += ontology
        data += f.graph
        alone[f.name] = pyshacl_rows(data, shapes)
        together += f.graph
    pyshacl_together = pyshacl_rows(together, shapes)
    union = tmp_path_factory.mktemp("shacl") / "fixtures.ttl"
    ontology_ttl = (release.folder / export_file_name("ontology", "turtle")).read_text(encoding="utf-8")
    union.write_text("\n".join([ontology_ttl, *(f.path.read_text(encoding="utf-8") for f in FIXTURES)]),
                     encoding="utf-8")
    report = jena.shacl_validate(union, shapes_file)
    return alone, pyshacl_together, (report.conforms, rows(report.graph)), report.stderr


def test_the_fixtures_do_not_interfere(fixture_results):
    """Validated together, each graph gets exactly the results it gets alone (pyshacl), and no result is
    about anything but a fixture's own resources (pyshacl and Jena): so Jena's one run over all of them
    gives each its own results."""
    alone, (_, together), (_, jena_rows), _ = fixture_results
    for f in FIXTURES:
        assert own(together, f) == alone[f.name][1], f.name
    for found in (together, jena_rows):
        assert {r for r in found if not any(str(r[0]).startswith(f.namespace) for f in FIXTURES)} == set()


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_pyshacl_and_jena_agree_on_a_graph(fixture: Fixture, fixture_results):
    alone, _, (jena_conforms, jena_rows), jena_log = fixture_results
    py_conforms, py_rows = alone[fixture.name]

    def show(found: set[Row]) -> str:
        return "\n  ".join(sorted(" ".join(str(x) for x in r) for r in found)) or "(none)"

    assert py_rows == fixture.expect, f"pyshacl reported:\n  {show(py_rows)}"
    assert py_conforms is not bool(fixture.expect)
    jena_own = own(jena_rows, fixture)
    assert jena_own == fixture.expect | fixture.jena_only, f"Jena reported:\n  {show(jena_own)}"
    if fixture.expect | fixture.jena_only:
        assert jena_conforms is False


def test_jena_warns_only_about_the_deliberately_ill_typed_literal(fixture_results):
    """Jena SHACL's log over the fixtures holds its parser's warning about study-year-ill-typed.ttl's year,
    and nothing else."""
    *_, jena_log = fixture_results
    lines = jena_log.splitlines()
    assert lines and all(" WARN " in line and "Lexical form 'MMXXIV' not valid for datatype XSD gYear" in line
                         for line in lines), jena_log
