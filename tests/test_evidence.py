"""How each finding is supported (issue 16): support (first-hand or second-hand), status (result, background,
proposition, editors' reading), strength (stated, hedged, weak), inference (correlational or causal) and the
four directions. Study files written before these fields existed keep validating and mean what they meant:
each field has a default, and support is derived from `work` and `known-from`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import STUDIES, select

from pvkg import pipeline
from pvkg.errors import InputError

MINIMAL = """\
id: {id}
type: journal-article
title: A minimal study
authors:
  - Doe, Jane
year: 2020
{extra}"""


def build(tmp_path: Path, *files: tuple[str, str]) -> pipeline.Build:
    """The seed studies with `files` (name, text) beside them, built without the reasoner."""
    folder = tmp_path / "studies"
    folder.mkdir(exist_ok=True)
    for study in STUDIES.glob("*.yaml"):
        (folder / study.name).write_bytes(study.read_bytes())
    for name, text in files:
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return pipeline.build_graph([folder], reason=False)


def evidence_of(graph, fid: str) -> dict[str, str]:
    rows = select(graph, f"""
        SELECT ?p ?o WHERE {{
          <https://w3id.org/pvkg/id/finding/{fid}> ?p ?o .
          FILTER (?p IN (pvkg:support, pvkg:status, pvkg:strength, pvkg:inference, pvkg:direction))
        }}""")
    return {str(p).rsplit("#", 1)[1]: str(o).rsplit("#", 1)[1] for p, o in rows}


def test_every_seed_finding_says_how_it_is_supported(seed_build):
    graph = seed_build.graph
    findings = select(graph, "SELECT ?f WHERE { ?f a pvkg:Finding }")
    assert findings
    for (finding,) in findings:
        fid = str(finding).rsplit("/", 1)[1]
        evidence = evidence_of(graph, fid)
        assert {"support", "status", "strength"} <= set(evidence), fid


def test_a_file_in_the_old_format_gets_the_defaults(seed_build):
    """luna-2024.yaml says nothing of support, status or strength: its findings are first-hand stated results."""
    assert evidence_of(seed_build.graph, "luna2024-01") == {"support": "FirstHand", "status": "Result",
                                                           "strength": "Stated"}


def test_support_is_derived_from_work_and_known_from(seed_build):
    assert evidence_of(seed_build.graph, "smsf-18")["support"] == "SecondHand"  # a cited-work finding
    assert evidence_of(seed_build.graph, "smsf-02")["support"] == "FirstHand"


def test_every_field_reaches_the_graph(tmp_path):
    extra = """\
cites:
  - id: roe-2019
    cited-as: Roe (2019)
    locator: Literature review
findings:
  - id: new-01
    kind: link
    locator: Literature review
    statement: Roe found that heavier use of open data went with agencies no more answerable than before.
    from: [value:transparency]
    to: [value:accountability]
    direction: no-effect
    work: roe-2019
    status: background
    strength: hedged
    inference: correlational
  - id: new-02
    kind: factor
    locator: Discussion
    statement: The authors propose that training may help in some agencies and hinder in others.
    about: [factor:transparency]
    direction: mixed
    status: proposition
    strength: weak
"""
    result = build(tmp_path, ("new", MINIMAL.format(id="new", extra=extra)))
    assert evidence_of(result.graph, "new-01") == {"support": "SecondHand", "status": "Background",
                                                  "strength": "Hedged", "inference": "Correlational",
                                                  "direction": "NoEffect"}
    assert evidence_of(result.graph, "new-02") == {"support": "FirstHand", "status": "Proposition",
                                                  "strength": "Weak", "direction": "Mixed"}


def test_a_study_known_from_another_needs_no_findings_and_its_findings_are_second_hand(tmp_path):
    reporting = MINIMAL.format(id="reporter", extra="""\
findings:
  - id: reporter-01
    kind: values
    locator: Abstract
    statement: Citizens value transparency.
    about: [value:transparency]
""")
    record_only = MINIMAL.format(id="known", extra="known-from: reporter\n")
    legacy = MINIMAL.format(id="legacy", extra="""\
known-from: reporter
findings:
  - id: legacy-01
    kind: values
    locator: Literature review (reporter)
    statement: Citizens value accountability.
    about: [value:accountability]
""")
    result = build(tmp_path, ("reporter", reporting), ("known", record_only), ("legacy", legacy))
    assert evidence_of(result.graph, "reporter-01")["support"] == "FirstHand"
    assert evidence_of(result.graph, "legacy-01")["support"] == "SecondHand"


@pytest.mark.parametrize("finding, message", [
    ("    support: first-hand\n", "this study is known only from 'reporter''s account"),
])
def test_a_known_from_study_cannot_claim_first_hand_findings(tmp_path, finding, message):
    reporting = MINIMAL.format(id="reporter", extra="""\
findings:
  - id: reporter-01
    kind: values
    locator: Abstract
    statement: Citizens value transparency.
    about: [value:transparency]
""")
    legacy = MINIMAL.format(id="legacy", extra="""\
known-from: reporter
findings:
  - id: legacy-01
    kind: values
    locator: Literature review (reporter)
    statement: Citizens value accountability.
    about: [value:accountability]
""" + finding)
    with pytest.raises(InputError) as caught:
        build(tmp_path, ("reporter", reporting), ("legacy", legacy))
    assert any(message in line for line in caught.value.lines()), caught.value.lines()
