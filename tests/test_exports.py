"""`pvkg export` and the files a release is made of: every format parses back, by an independent reader,
to the graph it was written from; the bytes depend on the graph only; JSON-LD reads like plain JSON and
expands offline with PyLD; nanopublications have the guidelines' shape; VoID/DCAT counts and sizes are
those of the files."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import REPO
from pyld import jsonld
from rdflib import OWL, RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from terminal import RecordedStages, counted, on_a_terminal, shown_lines
from test_export import awkward_graph

from pvkg import __version__
from pvkg import _resources as resources
from pvkg._build.describe import dataset_description
from pvkg._build.load import load_ontology
from pvkg._publish.export import CONTEXT_IRI, GRAPH_FORMATS, jsonld_context, rdfxml_bytes
from pvkg._publish.nanopub import MAX_TRIPLES, NP, nanopublications
from pvkg._publish.release import (
    EXPORT_FORMATS,
    WHAT,
    GraphParts,
    export_built,
    export_bytes,
    export_file_name,
    release_exports,
    write_release,
)
from pvkg._rdftext import turtle_bytes
from pvkg.errors import PvkgError

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PVKG = Namespace("https://w3id.org/pvkg/ontology#")


def offline_loader(url, options=None):
    """PyLD's document loader for pvkg's context: the shipped file, never the network."""
    if url != CONTEXT_IRI:
        raise AssertionError(f"JSON-LD asked for {url}")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(resources.context_file().read_text(encoding="utf-8"))}


def read_back(fmt: str, data: bytes) -> Graph:
    """The graph in `data`, read by a reader other than the writer: PyLD for JSON-LD, rdflib for the rest
    (named graphs merged)."""
    if fmt == "jsonld":
        nquads = jsonld.to_rdf(json.loads(data), {"format": "application/n-quads", "documentLoader": offline_loader})
        return Graph().parse(data=nquads, format="nt")
    if fmt in ("trig", "nanopub"):
        dataset = Dataset()
        dataset.parse(data=data, format="trig")
        merged = Graph()
        for s, p, o, _ in dataset.quads():
            merged.add((s, p, o))
        return merged
    return Graph().parse(data=data, format={"turtle": "turtle", "nt": "nt", "rdfxml": "xml"}[fmt])


def as_graph(triples) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def plain_strings(graph) -> Graph:
    """RDF 1.1 makes "x"^^xsd:string and "x" one literal; rdflib keeps them apart, PyLD does not."""
    result = Graph()
    for s, p, o in graph:
        result.add((s, p, Literal(str(o)) if isinstance(o, Literal) and o.datatype == XSD.string else o))
    return result


@pytest.mark.parametrize("fmt", [*GRAPH_FORMATS, "trig"])
def test_every_format_round_trips_awkward_text_and_blank_nodes(fmt):
    graph = awkward_graph()
    parts = GraphParts(ontology=[], data=list(graph))
    data = export_bytes(parts, "data", fmt)
    assert isomorphic(plain_strings(read_back(fmt, data)), plain_strings(graph))


@pytest.mark.parametrize("fmt", [*GRAPH_FORMATS, "trig"])
def test_bytes_do_not_depend_on_triple_order(fmt):
    triples = list(awkward_graph())
    first = export_bytes(GraphParts([], triples), "data", fmt)
    for seed in range(3):
        random.Random(seed).shuffle(triples)
        assert export_bytes(GraphParts([], triples), "data", fmt) == first


@pytest.fixture(scope="module")
def built(tmp_path_factory, seed_build):
    """The seed graph, built into a folder, and its parts as `pvkg export` reads them from the file."""
    from pvkg._build.pipeline import write_build
    folder = tmp_path_factory.mktemp("dist")
    path = write_build(seed_build, folder)
    return path, GraphParts.from_file(path)


def test_parts_read_from_the_file_are_the_builds(seed_build, built):
    from_build = GraphParts.from_build(seed_build)
    _, from_file = built
    for what in WHAT:
        assert isomorphic(as_graph(from_file.of(what)), as_graph(from_build.of(what))), what
    assert len(from_file.data) > 1000 and len(from_file.ontology) > 500


@pytest.mark.parametrize("what", WHAT)
@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f != "nanopub"])
def test_cli_export_round_trips_to_the_build(cli, built, tmp_path, what, fmt):
    path, parts = built
    out = tmp_path / f"export.{fmt}"
    code, _, err = cli("export", "--format", fmt, "--what", what, "--out", out, "--dist", path.parent)
    assert code == 0, err
    expected = as_graph(parts.of(what))
    assert isomorphic(plain_strings(read_back(fmt, out.read_bytes())), plain_strings(expected))
    if fmt in ("turtle", "nt", "trig"):  # a second, independent parser
        parsed = list(ox.parse(out.read_bytes(), format={"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                                                          "trig": ox.RdfFormat.TRIG}[fmt]))
        assert len(parsed) == len(expected)


def test_export_of_all_as_turtle_is_the_built_file_byte_for_byte(cli, built, tmp_path):
    path, _ = built
    out = tmp_path / "all.ttl"
    assert cli("export", "--out", out, "--dist", path.parent)[0] == 0
    assert out.read_bytes() == path.read_bytes()


def test_every_export_read_from_the_file_is_the_builds_byte_for_byte(seed_build, built):
    """`pvkg export` reads the built file (Oxigraph's parser, the text kept by subject: IndexedTriples), a release
    writes from the build's own triples: the same bytes either way, for every part in every format; and the
    whole graph as Turtle is the built file itself."""
    path, from_file = built
    from_build = GraphParts.from_build(seed_build)
    for what in WHAT:
        for fmt in EXPORT_FORMATS:
            if (what, fmt) != ("ontology", "nanopub"):
                assert export_bytes(from_file, what, fmt) == export_bytes(from_build, what, fmt), (what, fmt)
    assert export_bytes(from_file, "all", "turtle") == path.read_bytes()


def test_what_pvkg_reads_back_from_its_turtle_gives_the_same_bytes(tmp_path):
    """Every export of a graph read back from the Turtle pvkg wrote of it is what the graph itself gives: awkward
    text and blank nodes, numbers of derived types (an Oxigraph store would read "7"^^xsd:positiveInteger back
    as "7"^^xsd:integer, another literal), a region tag (Oxigraph's parser puts a tag in lower case, and so do
    pvkg's writers: RDF 1.1's value space)."""
    graph = awkward_graph()
    subject = URIRef("https://w3id.org/pvkg/id/test/numbers")
    graph.add((subject, PVKG.stepCount, Literal("7", datatype=XSD.positiveInteger)))
    graph.add((subject, PVKG.qualityThreshold, Literal("0.75", datatype=XSD.decimal)))
    graph.add((subject, PVKG.statement, Literal("متن فارسی", lang="fa-IR")))
    path = tmp_path / "pvkg.ttl"
    path.write_bytes(turtle_bytes(graph))
    blank = {t for t in graph if isinstance(t[0], BNode) or isinstance(t[2], BNode)}
    from_graph = GraphParts(list(blank), [t for t in graph if t not in blank])  # as from_file splits it
    from_file = GraphParts.from_file(path)
    for what in WHAT:
        for fmt in (*GRAPH_FORMATS, "trig"):
            assert export_bytes(from_file, what, fmt) == export_bytes(from_graph, what, fmt), (what, fmt)
    written = export_bytes(from_file, "all", "nt").decode()
    assert '"7"^^<http://www.w3.org/2001/XMLSchema#positiveInteger>' in written and '"متن فارسی"@fa-ir' in written


def _findings_graph(findings: int) -> list:
    """A graph shaped like pvkg's data: findings of 8 triples each, 20 to a study."""
    dcterms = Namespace("http://purl.org/dc/terms/")
    studies = [URIRef(f"https://w3id.org/pvkg/id/work/study-{s}") for s in range(max(1, findings // 20))]
    triples = [t for study in studies for t in ((study, RDF.type, PVKG.Study),
                                                (study, dcterms.title, Literal(f"{study} on services", lang="en")))]
    for i in range(findings):
        finding, study = URIRef(f"https://w3id.org/pvkg/id/finding/f-{i:05d}"), studies[i % len(studies)]
        triples += [(finding, RDF.type, PVKG.Finding), (finding, RDF.type, PVKG.LinkFinding),
                    (finding, PVKG.statement, Literal(f"Citizens see value {i} in the services they use", lang="en")),
                    (finding, PVKG.locator, Literal(f"p. {i % 300}")), (finding, PVKG.reportedIn, study),
                    (finding, PVKG.linkTo, URIRef(f"https://w3id.org/pvkg/id/value/v{i % 50}")),
                    (finding, PVKG.sampleSize, Literal(str(i), datatype=XSD.nonNegativeInteger)),
                    (finding, dcterms.identifier, Literal(f"f-{i:05d}"))]
    return triples


def _peak_of_export(path: Path, fmt: str) -> int:
    """The most memory Python held (tracemalloc) while `pvkg export --what data` read the file and wrote `fmt`."""
    import tracemalloc

    from pvkg._publish import release
    release._iri.cache_clear()  # a cache the previous export filled would count against this one
    tracemalloc.start()
    try:
        for _ in release.export_built(path, None, "data", fmt):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_an_export_holds_a_small_part_of_the_graph_at_once(tmp_path, fmt):
    """Every export must stay under 1 GiB at a million triples: it may not hold the graph as rdflib terms (about
    2 KB a triple, 1.7 to 2.5 GiB at 1M when the exports read the file into an rdflib graph). What an export
    holds grows by under 700 bytes a triple in every format: the memory it needs most, measured on a graph and
    on one three times larger (their difference takes out what every export holds, the ontology, the modules)."""
    peaks, sizes = [], []
    for findings in (15, 500, 1500):  # the first warms up what is made once (imports, the ontology's parse)
        triples = _findings_graph(findings)
        path = tmp_path / f"{findings}.ttl"
        path.write_bytes(turtle_bytes(triples))
        peaks.append(_peak_of_export(path, fmt))
        sizes.append(len(triples))
    per_triple = (peaks[2] - peaks[1]) / (sizes[2] - sizes[1])
    assert per_triple < 700, f"{per_triple:.0f} bytes a triple"


def test_every_export_counts_its_work_up_to_its_total(built):
    """An export tells its stages what it counts, with a total, and advances by exactly that total: the bytes of
    the built file it reads, then the triples it writes (the findings, for nanopublications); the graph as
    Turtle is the built file, copied, its bytes counted."""
    path, _ = built
    size = path.stat().st_size
    for what in WHAT:
        for fmt in EXPORT_FORMATS:
            if (what, fmt) == ("ontology", "nanopub"):
                continue
            stages = RecordedStages()
            written = b"".join(export_built(path, None, what, fmt, stages=stages))
            counted = [(total, unit) for _, total, unit, advanced in stages.counted() if total == advanced]
            if (what, fmt) == ("all", "turtle"):
                assert counted == [(size, "bytes")] and written == path.read_bytes()
            else:
                assert counted[0] == (size, "bytes") and counted[1][0] > 0, (what, fmt, stages.rows)
                assert counted[1][1] == ("findings" if fmt == "nanopub" else "triples")
            assert len(counted) == len(stages.counted()), stages.rows  # no count short of its total


def test_export_on_a_terminal_shows_the_triples_it_writes(built, tmp_path):
    """On a terminal, `pvkg export` shows its stage with the triples written against their total, and writes
    the file as elsewhere."""
    path, parts = built
    out = tmp_path / "pvkg.nt"
    code, terminal, stdout = on_a_terminal(["export", "--format", "nt", "--dist", path.parent, "--out", out])
    assert code == 0 and stdout == "", terminal
    counts = counted(shown_lines(terminal), "writing the graph as nt", "triples")
    assert counts and counts[-1] == f"{len(parts.of('all')):,}", shown_lines(terminal)
    assert out.read_bytes() == export_bytes(parts, "all", "nt")


def test_export_piped_shows_nothing_but_its_output(built, tmp_path):
    """Piped or logged, `pvkg export` writes what it writes and its one line, nothing of its progress."""
    path, parts = built
    out = tmp_path / "pvkg.jsonld"
    command = [sys.executable, "-m", "pvkg", "export", "--format", "jsonld", "--dist", str(path.parent)]
    done = subprocess.run([*command, "--out", str(out)], cwd=REPO, capture_output=True, timeout=300)
    assert done.returncode == 0 and done.stdout == b""
    assert done.stderr.decode() == f"Wrote {out} ({out.stat().st_size:,} bytes)\n"
    done = subprocess.run(command, cwd=REPO, capture_output=True, timeout=300)
    assert done.returncode == 0 and done.stderr == b"" and done.stdout == out.read_bytes()


def test_export_writes_to_standard_output_and_refuses_bad_options(cli, built):
    path, _ = built
    code, out, _ = cli("export", "--format", "nt", "--what", "ontology", "--dist", path.parent)
    assert code == 0 and out.count(" .\n") > 500 and "<https://w3id.org/pvkg/ontology>" in out
    code, _, err = cli("export", "--format", "xml", "--dist", path.parent)
    assert code == 2 and "--format 'xml' is not one of: turtle, nt, jsonld, rdfxml, trig, nanopub" in err
    code, _, err = cli("export", "--format", "nanopub", "--what", "ontology", "--dist", path.parent)
    assert code == 2 and "use --what data or all" in err
    code, out, err = cli("export", "--format", "nanopub", "--created", "yesterday", "--dist", path.parent)
    assert code == 2 and "--created 'yesterday' is not an xsd:dateTime" in err and out == ""
    assert "Traceback" not in err


def test_jsonld_reads_like_plain_json(built):
    _, parts = built
    document = json.loads(export_bytes(parts, "all", "jsonld"))
    assert document["@context"] == CONTEXT_IRI
    nodes = {node["@id"]: node for node in document["@graph"]}
    finding = nodes["id:finding/luna2024-02"]
    assert finding["@type"] == ["pvkg:Finding", "pvkg:LinkFinding"]
    assert finding["reportedIn"] == "id:work/luna-2024" and finding["locator"] == "Abstract"
    assert finding["linkTo"] == "id:value/individual-benefits"
    assert finding["statement"]["en"].startswith("Citizens tie the values")  # a language map
    study = nodes["pvkg:Study"]
    assert set(study["label"]) == {"en", "fa"} and isinstance(study["definition"]["en"], str)
    assert [n["@id"] for n in document["@graph"]] == sorted(n["@id"] for n in document["@graph"])


def test_shipped_context_is_made_from_the_ontology():
    """ontology/context.jsonld is what jsonld_context() makes; PVKG_REGENERATE=1 rewrites it."""
    made = json.dumps(jsonld_context(load_ontology()), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("PVKG_REGENERATE"):
        resources.context_file().write_text(made, encoding="utf-8")
    assert resources.context_file().read_text(encoding="utf-8") == made, \
        "ontology/context.jsonld is out of date: run PVKG_REGENERATE=1 pytest tests/test_exports.py"
    context = json.loads(made)["@context"]
    declared = {str(p) for kind in ("ObjectProperty", "DatatypeProperty")
                for p in load_ontology().subjects(RDF.type, URIRef(f"http://www.w3.org/2002/07/owl#{kind}"))
                if str(p).startswith(str(PVKG))}
    keyed = {v["@id"].replace("pvkg:", str(PVKG)) for v in context.values() if isinstance(v, dict)}
    assert declared <= keyed, declared - keyed


def test_rdfxml_refuses_text_xml_cannot_carry():
    graph = Graph()
    graph.add((URIRef("https://w3id.org/pvkg/id/x"), PVKG.statement, Literal("bell\x07")))
    with pytest.raises(PvkgError, match="control character"):
        rdfxml_bytes(graph)


def test_every_finding_is_a_nanopublication_of_four_graphs(built):
    _, parts = built
    nanopubs = list(nanopublications(parts.data))
    findings = {s for s, p, o in parts.data if p == RDF.type and o == PVKG.Finding}
    assert len(nanopubs) == len(findings) == 43
    data = set(parts.data)
    for this, graphs in nanopubs:
        (head, head_triples), (assertion, asserted), (provenance, prov), (pubinfo, info) = graphs
        assert set(head_triples) == {(this, RDF.type, NP.Nanopublication), (this, NP.hasAssertion, assertion),
                                     (this, NP.hasProvenance, provenance), (this, NP.hasPublicationInfo, pubinfo)}
        assert set(asserted) <= data and any(p == PVKG.locator for _, p, _ in asserted)
        assert any(s == assertion for s, _, _ in prov)  # provenance is about the assertion
        assert any(s == this for s, _, _ in info)  # publication info is about the nanopublication
        assert sum(len(triples) for _, triples in graphs) < MAX_TRIPLES
    # together, the assertions are exactly what the data says of its findings
    asserted_union = {t for _, graphs in nanopubs for t in graphs[1][1]}
    assert asserted_union == {t for t in parts.data if t[0] in findings}
    data = export_bytes(parts, "data", "nanopub")
    dataset = Dataset()
    dataset.parse(data=data, format="trig")
    assert len([g for g in dataset.graphs() if g.identifier != dataset.default_graph.identifier]) == 4 * 43
    assert b"dcterms:created" not in data
    stamped = export_bytes(parts, "data", "nanopub", created="2026-11-24T00:00:00Z")
    assert stamped.count(b'dcterms:created "2026-11-24T00:00:00Z"^^xsd:dateTime') == 43


def test_every_build_writes_void_and_dcat(built, seed_build):
    path, _ = built
    void = Graph().parse(path.parent / "void.ttl")
    dataset = URIRef("https://w3id.org/pvkg/id/dataset")
    graph = Graph().parse(path)

    def number(prop):
        return int(void.value(dataset, prop))

    assert number(VOID.triples) == len(graph)
    assert number(VOID.classes) == len(set(graph.objects(None, RDF.type)))
    assert number(VOID.properties) == len(set(graph.predicates()))
    assert number(VOID.entities) == len({s for s in graph.subjects() if str(s).startswith("https://w3id.org/pvkg/id/")})
    assert str(void.value(dataset, URIRef("http://purl.org/dc/terms/hasVersion"))) == __version__
    assert void.value(dataset, URIRef("http://purl.org/dc/terms/license")) is not None
    (distribution,) = void.objects(dataset, DCAT.distribution)
    assert str(distribution).endswith(f"/release/{__version__}/pvkg.ttl")
    assert int(void.value(distribution, DCAT.byteSize)) == path.stat().st_size
    assert str(void.value(distribution, DCAT.mediaType)).endswith("/text/turtle")
    checksum = void.value(distribution, SPDX.checksum)
    assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(path.read_bytes()).hexdigest()
    studies = set(void.objects(dataset, URIRef("http://purl.org/dc/terms/source")))
    assert len(studies) == len(seed_build.corpus.studies)
    # described the same way twice: same bytes
    from pvkg._build.describe import description_bytes
    assert description_bytes(dataset_description(graph, {path.name: path.read_bytes()})) == \
        (path.parent / "void.ttl").read_bytes()


def test_version_comes_from_pyproject(seed_build):
    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == declared
    ontology_iri = URIRef("https://w3id.org/pvkg/ontology")
    assert str(seed_build.graph.value(ontology_iri, OWL.versionInfo)) == declared
    assert str(seed_build.graph.value(ontology_iri, OWL.versionIRI)).endswith(f"/{declared}")
    source = Graph().parse(resources.ontology_file())  # the file agrees, for tools that read it directly
    assert str(source.value(ontology_iri, OWL.versionInfo)) == declared, \
        "bump owl:versionInfo and owl:versionIRI in ontology/pvkg.ttl with the version in pyproject.toml"
    assert str(source.value(ontology_iri, OWL.versionIRI)).endswith(f"/{declared}")


RELEASE_GRAPH_FILES = [f"{stem}.{ext}" for stem in ("pvkg", "pvkg-ontology", "pvkg-data")
                       for ext in ("ttl", "nt", "jsonld", "rdf", "trig")]


def test_release_writes_every_format_void_docs_report_and_changelog(cli, tmp_path):
    out = tmp_path / "dist"
    changelog = Path(__file__).parents[1] / "CHANGELOG.md"
    code, stdout, err = cli("release", "--studies", Path(__file__).parents[1] / "studies", "--out", out,
                            "--changelog", changelog)
    assert code == 0, err
    assert f"Released pvkg {__version__}" in stdout
    for name in [*RELEASE_GRAPH_FILES, "pvkg.nanopub.trig", "context.jsonld", "study-file.schema.json", "void.ttl",
                 "CHANGELOG.md", "docs/index.html", "report/index.html"]:
        assert (out / name).is_file(), name
    assert (out / "study-file.schema.json").read_bytes() == resources.study_schema_file().read_bytes()
    whole = Graph().parse(out / "pvkg.ttl")
    fmt_of = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld", "rdf": "rdfxml", "trig": "trig"}
    for name in RELEASE_GRAPH_FILES:
        if name.startswith("pvkg."):
            assert isomorphic(plain_strings(read_back(fmt_of[name.rsplit(".", 1)[1]], (out / name).read_bytes())),
                              plain_strings(whole)), name
    # VoID describes every graph file of the release with its true size
    void = Graph().parse(out / "void.ttl")
    sizes = {str(d).rsplit("/", 1)[1]: int(void.value(d, DCAT.byteSize))
             for d in void.objects(URIRef("https://w3id.org/pvkg/id/dataset"), DCAT.distribution)}
    assert sizes == {name: (out / name).stat().st_size for name in [*RELEASE_GRAPH_FILES, "pvkg.nanopub.trig"]}
    entry = (out / "CHANGELOG.md").read_text()
    assert entry.startswith(f"# pvkg {__version__}\n\n## [{__version__}]") and "### Ontology" in entry
    # a second release over the first gives the same bytes
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert cli("release", "--studies", Path(__file__).parents[1] / "studies", "--out", out,
               "--changelog", changelog)[0] == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts} == before


def test_a_release_counts_each_export_file_it_writes(seed_build, tmp_path):
    """A release tells its stages each file as it writes it; each export file's stage counts its triples (its
    findings) up to the total it gave."""
    stages = RecordedStages()
    written = write_release(seed_build, tmp_path / "dist", REPO / "CHANGELOG.md", stages=stages)
    exports = {row[0].split(" ")[1].rsplit("/", 1)[-1]: row for row in stages.counted()}
    assert sorted(exports) == sorted(export_file_name(what, fmt) for what, fmt in release_exports())
    assert all(total == advanced > 0 for _, total, _, advanced in exports.values()), stages.rows
    assert {path.name for path in written} >= set(exports)


def test_release_needs_a_changelog_entry_for_the_version(cli, tmp_path):
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [0.0.1] - 2020-01-01\n\nOld.\n")
    code, _, err = cli("release", "--out", tmp_path / "dist", "--changelog", changelog)
    assert code == 1 and f"no entry for version {__version__}" in err and "Traceback" not in err
    assert not (tmp_path / "dist").exists()
    code, _, err = cli("release", "--out", tmp_path / "dist", "--changelog", tmp_path / "missing.md")
    assert code == 2 and "no such file" in err


def test_release_never_replaces_a_folder_of_someone_elses_files(cli, tmp_path):
    out = tmp_path / "checkout"
    (out / "docs").mkdir(parents=True)
    (out / "docs" / "encoding.md").write_text("# notes of our own\n")
    code, _, err = cli("release", "--out", out, "--changelog", Path(__file__).parents[1] / "CHANGELOG.md")
    assert code == 2 and "docs: holds files pvkg does not write (encoding.md)" in err
    assert (out / "docs" / "encoding.md").read_text() == "# notes of our own\n"
    assert sorted(p.name for p in out.iterdir()) == ["docs"]  # refused before building or writing anything


def test_docs_and_report_replace_their_folder_whole_and_only_a_folder_of_pages(cli, built, tmp_path):
    path, _ = built
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scheme-removed.html").write_text("<p>a page of an earlier run</p>")
    assert cli("docs", "--out", docs, "--dist", path.parent)[0] == 0
    assert (docs / "index.html").is_file() and not (docs / "scheme-removed.html").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("my own notes\n")
    for command in ("docs", "report"):
        code, _, err = cli(command, "--out", mine, "--dist", path.parent)
        assert code == 2 and "mine: holds files pvkg does not write (notes.md)" in err, err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.md"]
