"""HermiT (through owlready2) finds ontology + seed data consistent, and reports what is not: a finding
with both directions, a finding of two disjoint kinds, a class that can have no members."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pvkg._build.pipeline import require_consistent
from pvkg._build.reason import check_consistency
from pvkg.errors import InconsistencyError

PREFIXES = """
@prefix pvkg: <https://w3id.org/pvkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix finding: <https://w3id.org/pvkg/id/finding/> .
@prefix ex:   <https://example.org/> .
"""


def with_addition(seed_build, turtle: str):
    graph = seed_build.graph.__class__()
    graph += seed_build.graph
    graph.parse(data=PREFIXES + turtle, format="turtle")
    return graph


def test_seed_graph_is_consistent(seed_build):
    report = check_consistency(seed_build.graph)
    assert report.consistent and report.unsatisfiable == []


def test_a_finding_that_is_both_driver_and_barrier_is_inconsistent(seed_build):
    # smsf-02 is a barrier; direction is functional and Driver and Barrier are distinct
    graph = with_addition(seed_build, "finding:smsf-02 pvkg:direction pvkg:Driver .")
    assert check_consistency(graph).consistent is False


def test_a_direction_outside_the_closed_set_is_inconsistent(seed_build):
    graph = with_addition(seed_build, """
        ex:sideways a owl:NamedIndividual .
        ex:sideways owl:differentFrom pvkg:Driver, pvkg:Barrier, pvkg:NoEffect, pvkg:Mixed .
        finding:luna2024-02 pvkg:direction ex:sideways .""")
    assert check_consistency(graph).consistent is False


def test_a_finding_of_two_disjoint_kinds_is_inconsistent(seed_build):
    graph = with_addition(seed_build, "finding:luna2024-01 a pvkg:FactorFinding .")
    with pytest.raises(InconsistencyError, match="inconsistent"):
        require_consistent(graph)


def test_a_class_under_two_disjoint_kinds_is_named_as_unsatisfiable(seed_build):
    graph = with_addition(seed_build, """
        ex:OddFinding a owl:Class ; rdfs:subClassOf pvkg:ValueFinding, pvkg:FactorFinding .""")
    report = check_consistency(graph)
    assert report.consistent
    assert report.unsatisfiable == ["https://example.org/OddFinding"]
    with pytest.raises(InconsistencyError) as caught:
        require_consistent(graph)
    assert "https://example.org/OddFinding" in str(caught.value)


def test_pvkg_check_reports_an_inconsistent_file_in_one_line(cli, tmp_path):
    extra = tmp_path / "both-directions.ttl"
    extra.write_text(PREFIXES + "finding:smsf-02 pvkg:direction pvkg:Barrier, pvkg:Driver .\n"
                     "finding:smsf-02 a pvkg:FactorFinding .\n")
    code, stdout, stderr = cli("check", "--graph", extra)
    assert code == 1
    assert stderr.count("\n") == 1 and "inconsistent" in stderr and "Traceback" not in stderr


def test_pvkg_check_on_the_seed_studies(cli):
    code, stdout, stderr = cli("check")
    assert code == 0, stderr
    assert stdout.startswith("consistent:")


# --- file by file, as a build checks -------------------------------------------------------------------------

ID = "https://w3id.org/pvkg/id/"
# Clashes planted in the triples of one or two files: each kind of clash the ontology's axioms allow, within
# one file and across files. The whole graph is inconsistent in each; the modules name the files planted in.
PLANTED = {
    "a finding of two disjoint kinds": {"studies/luna-2024.yaml": "finding:luna2024-01 a pvkg:FactorFinding ."},
    "both directions (functional, distinct values)": {
        "studies/social-media-service-factors.yaml": "finding:smsf-02 pvkg:direction pvkg:Driver ."},
    "a direction outside the closed set": {"studies/luna-2024.yaml": """
        ex:sideways owl:differentFrom pvkg:Driver, pvkg:Barrier, pvkg:NoEffect, pvkg:Mixed .
        finding:luna2024-02 pvkg:direction ex:sideways ."""},
    "a method as a finding's value (range against another file's type)": {
        "studies/luna-2024.yaml": f"finding:luna2024-01 pvkg:aboutValue <{ID}method/review> ."},
    "a concept of another file said to be a study": {
        "studies/eom-2018.yaml": f"<{ID}value/transparency> a pvkg:Study ."},
    "a second sample size (functional datatype property, across files)": {
        "studies/eom-2018.yaml": f'<{ID}work/luna-2024/sample> pvkg:sampleSize "7"^^xsd:nonNegativeInteger .'},
    "one resource a study in one file and a cited work in another (seen through stand-ins)": {
        "studies/eom-2018.yaml": "ex:a pvkg:reportedIn ex:thing .",
        "studies/rodriguez-2018.yaml": "ex:b pvkg:aboutWork ex:thing ."},
    "two studies made one by a shared research question (inverse-functional)": {
        "studies/eom-2018.yaml": f"<{ID}work/eom-2018> pvkg:hasResearchQuestion <{ID}work/luna-2024/question/rq1> ."},
}


def planted(seed_build, additions: dict[str, str]):
    from rdflib import Graph

    from pvkg._build.load import DataParts

    triples = {file: list(part) for file, part in seed_build.parts.triples.items()}
    for file, turtle in additions.items():
        triples[file] += list(Graph().parse(data=PREFIXES + "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                                            + turtle, format="turtle"))
    return DataParts(triples, seed_build.parts.sources)


@pytest.fixture(scope="module")
def proofs(seed_build):
    """One proof cache for the module: the seed's modules are proved once, so each case checks only what it
    changed (as a rebuild does)."""
    from pvkg._build.reason import ProofCache, check_file_modules

    cache = ProofCache(None, "")
    report = check_file_modules(seed_build.ontology, seed_build.parts, cache)
    assert report.consistent and report.unsatisfiable == [] and report.checked == len(seed_build.parts.triples)
    return cache


@pytest.mark.parametrize("case", PLANTED)
def test_file_modules_find_every_planted_clash_the_whole_graph_check_finds(seed_build, proofs, case):
    from pvkg._build.reason import check_file_modules

    parts = planted(seed_build, PLANTED[case])
    assert check_consistency(seed_build.ontology + parts.graph()).consistent is False
    report = check_file_modules(seed_build.ontology, parts, proofs)
    assert report.consistent is False
    assert set(PLANTED[case]) <= set(report.inconsistent_files)


def test_a_rebuild_checks_only_the_modules_an_edit_changed(seed_build, proofs):
    from pvkg._build.reason import check_file_modules

    report = check_file_modules(seed_build.ontology, seed_build.parts, proofs)
    assert (report.checked, report.proved_before) == (0, len(seed_build.parts.triples))
    # a new finding statement in one file changes that file's module only (nothing else names the finding)
    parts = planted(seed_build, {"studies/luna-2024.yaml": 'finding:luna2024-01 rdfs:comment "edited" .'})
    report = check_file_modules(seed_build.ontology, parts, proofs)
    assert report.consistent and report.checked == 1


def test_a_clash_stops_the_build_with_a_line_for_each_file(seed_build, proofs):
    from dataclasses import replace

    from pvkg._build.pipeline import check_build

    build = replace(seed_build, parts=planted(seed_build, PLANTED["a finding of two disjoint kinds"]), proofs=proofs)
    with pytest.raises(InconsistencyError) as caught:
        check_build(build, pipeline_stages())
    assert caught.value.lines() == ["studies/luna-2024.yaml: the data are inconsistent with the ontology under "
                                    "OWL 2 DL (HermiT); a resource breaks a disjointness or a closed set, e.g. a "
                                    "finding of two kinds or with both directions"]


def pipeline_stages():
    from pvkg._build.pipeline import Stages

    return Stages()


def test_an_ontology_with_an_axiom_kind_modules_do_not_cover_is_checked_whole(seed_build):
    """A property chain can make a clash of resources no module holds together: the build then checks the
    whole graph, and still finds the seed consistent."""
    from rdflib import Graph

    from pvkg._build.reason import check_file_modules, unsupported_axioms

    ontology = Graph() + seed_build.ontology
    ontology.parse(data=PREFIXES + "pvkg:about owl:propertyChainAxiom ( pvkg:reportedIn pvkg:about ) .",
                   format="turtle")
    assert unsupported_axioms(ontology) == ["http://www.w3.org/2002/07/owl#propertyChainAxiom"]
    assert unsupported_axioms(seed_build.ontology) == []
    report = check_file_modules(ontology, seed_build.parts)
    assert report.consistent and report.checked == len(seed_build.parts.triples)


def _hermit_children() -> list[int]:
    """The HermiT Java processes this test process started that are still running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"HermiT" in command:
            found.append(int(stat.parent.name))
    return found


def test_a_check_started_early_reports_every_file_once_shown(seed_build):
    """build_graph starts the check before validating; the progress it made meanwhile is told when its stage
    starts, and then the rest, so that the stage's count reaches its total."""
    from pvkg._build.reason import ModuleCheck, ProofCache

    check = ModuleCheck(seed_build.ontology, seed_build.parts, ProofCache(None, ""))
    time.sleep(1)  # it proves some files before anyone shows them
    told = []
    report = check.report(told.append)
    assert report.consistent and sum(told) == len(seed_build.parts.triples)


def test_a_stopped_check_leaves_no_java_running(seed_build):
    """A build that fails in another stage while HermiT runs stops the check: its Java processes are killed and
    none starts after."""
    from pvkg._build.reason import ModuleCheck, ProofCache, _Stopped

    check = ModuleCheck(seed_build.ontology, seed_build.parts, ProofCache(None, ""))
    deadline = time.monotonic() + 60
    while not _hermit_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _hermit_children(), "HermiT never started"
    check.stop()
    deadline = time.monotonic() + 3  # killed: HermiT itself takes longer than this over the seed's modules
    while _hermit_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _hermit_children() == []
    with pytest.raises(_Stopped):
        check.report(lambda count: None)


# The end of what HermiT printed when it ran out of its Java heap over bench.generate's 1M corpus: the stack
# passes through a method named after the exception that means "inconsistent"
OUT_OF_MEMORY = """Exception in thread "main" java.lang.OutOfMemoryError: Java heap space
\tat org.semanticweb.HermiT.tableau.TupleIndex.resizeBuckets(Unknown Source)
\tat org.semanticweb.HermiT.tableau.Tableau.isSatisfiable(Unknown Source)
\tat org.semanticweb.HermiT.Reasoner.isConsistent(Reasoner.java:604)
\tat org.semanticweb.HermiT.Reasoner.throwInconsistentOntologyExceptionIfNecessary(Reasoner.java:2163)
\tat org.semanticweb.HermiT.Reasoner.checkPreConditions(Reasoner.java:2154)
\tat org.semanticweb.HermiT.cli.CommandLine.main(CommandLine.java:853)
"""


def test_hermit_out_of_memory_is_a_failure_not_an_inconsistency():
    from pvkg._build.reason import INCONSISTENT, _failure

    assert not INCONSISTENT.search(OUT_OF_MEMORY)
    assert "ran out of memory" in str(_failure(OUT_OF_MEMORY))
    assert INCONSISTENT.search('Exception in thread "main" org.semanticweb.owlapi.reasoner.'
                               'InconsistentOntologyException: Inconsistent ontology\n')


def test_a_check_that_runs_out_of_memory_says_so(seed_build, tmp_path):
    """HermiT given too small a heap for the seed graph: an error that says why, never a verdict."""
    from pvkg._build.reason import _first_inconsistent, _lines, _ntriples, _Processes
    from pvkg.errors import ReasonerError

    path = _ntriples(_lines(seed_build.graph), tmp_path / "graph.nt")
    with pytest.raises(ReasonerError, match="ran out of memory"):
        _first_inconsistent([path], lambda i: None, _Processes(heap="-Xmx3m"))
