"""The ontology quality gate (queries/qc/*-violation.rq): each check finds exactly the problems planted in
its fixture (tests/data/qc/<check>.ttl, whose opening comment lists them), finds none in the seed graph, and
answers the same on rdflib and on Oxigraph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, SKOS, Graph, Literal, URIRef

from pvkg import _resources as resources
from pvkg._build import quality
from pvkg._build.quality import QualityProblem, check_quality, load_checks, quality_store, require_quality
from pvkg._rdftext import turtle_bytes
from pvkg._sparql.queries import QueryError, load_queries
from pvkg._sparql.stores import RdflibStore
from pvkg.errors import PvkgError, QualityError

DATA = Path(__file__).parent / "data" / "qc"
CHECKS = {check.name: check for check in load_checks()}

# check -> the rows its fixture must give: (offending term, as printed; words its message must contain)
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "missing-label-or-definition": [
        ("pvkg:NoEnglishLabel", "class has no English rdfs:label"),
        ("pvkg:noDefinition", "object property has no English skos:definition"),
        ("http://example.org/note", "annotation property has no English skos:definition"),
        ("pvkg:Undefined", "named individual has no English skos:definition"),
        ("id:value/no-definition", "concept has no English skos:definition"),
        ("id:value/persian-only", "concept has no English skos:prefLabel"),
        ("country:XXX", "concept has no English skos:prefLabel"),
        ("id:scheme/undefined", "concept scheme has no English skos:definition"),
        ("http://example.org/untitled-scheme", "concept scheme has no English skos:prefLabel (or dcterms:title)"),
        ("id:scheme/unlabelled", "concept scheme has no English rdfs:label"),
    ],
    "ontology-header": [
        ("http://example.org/other", "no dcterms:license"),
        ("http://example.org/other", "no owl:versionIRI (an IRI)"),
        ("http://example.org/other", "no owl:versionInfo"),
    ],
    "undeclared-term": [
        ("pvkg:unknown", "used as a property but not declared"),
        ("rdfs:lable", "used as a property but not declared"),
        ("pvkg:onlyFunctional", "used as a property but not declared"),
        ("pvkg:Unknown", "used as a class (object of rdf:type) but not declared"),
        ("pvkg:known", "used as a class (object of rdf:type) but not declared"),
    ],
    "unconnected-class": [
        ("pvkg:Lonely", "class is unconnected"),
        ("pvkg:SelfOnly", "class is unconnected"),
        ("pvkg:InDisjointList", "class is unconnected"),
    ],
    "property-domain-range": [
        ("pvkg:noRange", "datatype property has no rdfs:range"),
        ("pvkg:nothing", "object property has no rdfs:domain"),
        ("pvkg:nothing", "object property has no rdfs:range"),
        ("pvkg:partial", "object property has no rdfs:domain"),
    ],
    "concept-without-scheme": [
        ("id:value/none", "concept is in no concept scheme"),
        ("id:value/subclass-only", "concept is in no concept scheme"),
        ("id:value/typo", "is in id:scheme/vaules, which is not declared a skos:ConceptScheme"),
    ],
    "duplicate-label": [
        ("id:value/a1", 'same skos:prefLabel "Trust"@en as id:value/a2 in scheme id:scheme/values'),
        ("id:value/a3", 'skos:altLabel "Transparency"@en, which is the skos:prefLabel of id:value/a4'),
        ("id:value/a5", 'skos:altLabel "equity"@en, the same as its own skos:prefLabel'),
        ("id:value/a7", 'same skos:prefLabel "public   value"@en as id:value/a8'),
        ("pvkg:Support", 'same rdfs:label "support"@en as pvkg:support; give one of them a distinct label'),
    ],
    "multiple-labels": [
        ("pvkg:TwoEnglish", 'has 2 different rdfs:label values in @en ("finding" ... "result")'),
        ("pvkg:TagCase", "has 2 different rdfs:label values in @en"),
        ("pvkg:Untagged", "has 2 different rdfs:label values without a language tag"),
        ("id:value/two-pref", "has 2 different skos:prefLabel values in @fa"),
    ],
    "language-tag": [
        ("id:work/a", 'rdfs:label "untagged" has no language tag'),
        ("id:work/b", 'dcterms:title "A study title" has no language tag'),
        ("id:work/c", 'skos:prefLabel "word"@english has a malformed language tag'),
        ("id:work/d", 'skos:altLabel "word"@en-abcdefghij has a malformed language tag'),
        ("id:work/e", 'skos:prefLabel "پیشران" is in Arabic script but tagged @en'),
        ("id:work/f", 'rdfs:label "driver" is tagged @fa, a language written in Arabic script, but has no Arabic'),
        ("id:work/g", 'pvkg:statement "A statement without a tag." has no language tag'),
        ("id:work/h", "rdfs:label has id:work/fine, not text"),
        ("id:work/k", 'skos:prefLabel "متن" is in Arabic script but tagged @fa-latn'),
        ("id:work/n", 'rdfs:label "رحیمی" is in Arabic script but tagged @en'),
    ],
}


def on_both_engines(graph: Graph, name: str) -> list[QualityProblem]:
    """The problems one check finds in the graph, the same on Oxigraph and on rdflib's engine."""
    check = [CHECKS[name]]
    on_oxigraph = check_quality(quality_store(graph), check)
    on_rdflib = check_quality(RdflibStore(graph), check)
    assert on_oxigraph == on_rdflib, name
    return on_oxigraph


def test_the_checks_are_the_nine_of_the_gate():
    assert set(CHECKS) == set(EXPECTED)
    assert {p.name for p in DATA.glob("*.ttl")} == {f"{name}.ttl" for name in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_finds_exactly_the_planted_problems(name):
    graph = Graph().parse(DATA / f"{name}.ttl", format="turtle")
    found = [(quality.compact(p.term), p.message) for p in on_both_engines(graph, name)]
    unmatched = list(found)
    for term, words in EXPECTED[name]:
        matches = [row for row in unmatched if row[0] == term and words in row[1]]
        assert len(matches) == 1, f"{name}: expected one row for {term} saying {words!r}; rows: {found}"
        unmatched.remove(matches[0])
    assert unmatched == [], f"{name}: unexpected rows {unmatched}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_seed_graph_passes_the_check(name, seed_build):
    assert [str(p) for p in on_both_engines(seed_build.graph, name)] == []


def test_a_graph_without_the_pvkg_ontology_header_is_caught():
    problems = on_both_engines(Graph(), "ontology-header")
    assert [(p.term, "no pvkg ontology header" in p.message) for p in problems] == \
        [("https://w3id.org/pvkg/ontology", True)]


def test_every_check_has_a_header_that_says_what_a_row_means():
    for check in CHECKS.values():
        assert check.path.name == f"{check.name}-violation.rq"
        assert check.path.parent == resources.data_dir("queries") / "qc"
        assert check.query.text.startswith("#+ title: "), check.name
        assert check.title and len(check.query.description) > 100, check.name
        assert check.query.columns == ("term", "problem"), check.name
        assert not check.query.parameters and check.query.question is None, check.name


def test_checks_are_not_canned_queries():
    canned = load_queries()
    assert not set(canned) & {f"{name}-violation" for name in CHECKS}
    assert all(q.path.parent == resources.data_dir("queries") for q in canned.values())


def test_a_check_file_that_is_not_a_violation_query_is_refused(tmp_path):
    (tmp_path / "labels.rq").write_text("#+ title: t\n#+ description: d\n#+ columns: [term, problem]\n"
                                        "SELECT ?term ?problem WHERE { }\n")
    with pytest.raises(QueryError, match="-violation.rq"):
        load_checks(tmp_path)
    (tmp_path / "labels.rq").rename(tmp_path / "labels-violation.rq")
    (tmp_path / "other-violation.rq").write_text("#+ title: t\n#+ description: d\n#+ columns: [subject]\n"
                                                 "SELECT ?subject WHERE { }\n")
    with pytest.raises(QueryError, match=r"columns \['term', 'problem'\]"):
        load_checks(tmp_path)


def test_require_quality_raises_with_one_line_per_problem():
    graph = Graph().parse(DATA / "unconnected-class.ttl", format="turtle")
    with pytest.raises(QualityError) as caught:
        require_quality(graph, [CHECKS["unconnected-class"]])
    assert isinstance(caught.value, PvkgError) and caught.value.exit_code == 1
    assert [line.split(":", 2)[:2] for line in caught.value.lines()] == \
        [["pvkg", "InDisjointList"], ["pvkg", "Lonely"], ["pvkg", "SelfOnly"]]
    assert all(line.endswith("[unconnected-class]") for line in caught.value.lines())
    require_quality(graph, [CHECKS["duplicate-label"]])  # no rows: no error


def test_check_quality_runs_every_check_on_a_graph(seed_build):
    assert check_quality(seed_build.graph) == []
    require_quality(seed_build.graph)


def test_a_problem_in_the_data_names_the_file_and_line_it_came_from(seed_build):
    graph = Graph()
    graph += seed_build.graph
    transparency = URIRef("https://w3id.org/pvkg/id/value/transparency")
    graph.add((transparency, SKOS.altLabel, Literal("Accountability", lang="en")))
    graph.add((URIRef("https://w3id.org/pvkg/id/value/orphan"), RDF.type, SKOS.Concept))
    problems = check_quality(graph, sources=seed_build.sources)
    # the build hands the checks the Turtle it writes: the same problems
    assert check_quality(turtle_bytes(graph), sources=seed_build.sources) == problems
    by_term = {p.term: p for p in problems}
    assert set(by_term) == {str(transparency), "https://w3id.org/pvkg/id/value/orphan"}
    duplicate = by_term[str(transparency)]
    assert duplicate.check == "duplicate-label"
    assert Path(duplicate.file).parts[-2:] == ("vocabulary", "values.yaml") and duplicate.line
    assert duplicate.subject == "concept value:transparency"
    assert str(duplicate).startswith(f"{duplicate.file}:{duplicate.line}: concept value:transparency: has the "
                                     'skos:altLabel "Accountability"@en, which is the skos:prefLabel of '
                                     "id:value/accountability")
    orphan = [p for p in problems if p.term == "https://w3id.org/pvkg/id/value/orphan"]
    assert {(p.check, p.file) for p in orphan} == {("concept-without-scheme", None),
                                                   ("missing-label-or-definition", None)}
    assert str(orphan[0]).startswith("id:value/orphan: ")
