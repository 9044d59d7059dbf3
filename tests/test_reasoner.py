"""HermiT (through owlready2) finds ontology + seed data consistent, and reports what is not: a finding
with both directions, a finding of two disjoint kinds, a class that can have no members."""

from __future__ import annotations

import pytest

from pvkg.errors import InconsistencyError
from pvkg.pipeline import require_consistent
from pvkg.reason import check_consistency

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
