"""Study files in, problems out: each file under data/invalid/ says in its header what it must produce,
and the CLI must print exactly that kind of line (file, line, subject, what to do), exit 1, name the
good files as fine, and write nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import STUDIES

from pvkg import resources
from pvkg.errors import InputError
from pvkg.pipeline import build_graph
from pvkg.studies import read_corpus

DATA = Path(__file__).parent / "data"
INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def expectations(path: Path) -> tuple[str, int | None]:
    header = path.read_text(encoding="utf-8")
    expect = re.search(r"^# expect: (.+)$", header, re.M).group(1)
    line = re.search(r"^# line: (\d+)$", header, re.M)
    return expect, int(line.group(1)) if line else None


def test_the_invalid_corpus_is_there():
    assert len(INVALID) >= 20


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_gives_one_clear_line(path, cli, tmp_path):
    expect, line = expectations(path)
    out = tmp_path / "dist"
    code, stdout, stderr = cli("build", "--studies", _corpus_with(path, tmp_path), "--out", out, "--no-reason")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    matching = [text for text in lines if expect in text]
    assert matching, f"no line says {expect!r}:\n{stderr}"
    assert all(text.startswith(str(tmp_path)) or "<graph>" in text for text in matching)
    if line is not None:
        assert any(f"{path.name}:{line}:" in text for text in matching), stderr
    assert lines[-1].startswith("pvkg build: ") and lines[-1].endswith("nothing was written")
    assert "twizeyimana-andersson-2019.yaml: fine" in stderr  # good files beside the bad one are named
    assert not out.exists()


def _corpus_with(bad: Path, tmp_path: Path) -> Path:
    """A studies folder holding the seed studies and one bad file (ids must be unique across them)."""
    folder = tmp_path / "studies"
    folder.mkdir()
    for study in STUDIES.glob("*.yaml"):
        (folder / study.name).write_bytes(study.read_bytes())
    (folder / bad.name).write_bytes(bad.read_bytes())
    return folder


def test_valid_minimal_study_beside_the_seed_studies(cli, seed_build):
    code, stdout, stderr = cli("validate", STUDIES, DATA / "valid" / "minimal-study.yaml")
    assert code == 0, stderr
    assert "minimal-study.yaml: fine" in stdout
    studies, findings = len(seed_build.corpus.studies) + 1, len(seed_build.corpus.findings) + 1
    assert f"valid: {studies} studies, {findings} findings" in stdout


def test_every_problem_is_collected_in_one_pass(tmp_path):
    bad = tmp_path / "two-problems.yaml"
    text = (DATA / "valid" / "minimal-study.yaml").read_text().replace("minimal-study", "two-problems")
    bad.write_text(text.replace("year: 2020", "year: soon").replace("value:transparency", "value:nothing"))
    with pytest.raises(InputError) as caught:
        read_corpus([bad], resources.vocabulary_files())
    messages = [p.message for p in caught.value.problems]
    assert any("'year' must be a whole number" in m for m in messages)
    assert any("unknown concept id 'value:nothing'" in m for m in messages)


def test_same_concept_id_in_two_files_names_the_first(tmp_path):
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    concept = "concepts:\n  - id: value:speed\n    label: speed\n    definition: Getting things done quickly.\n"
    base = (DATA / "valid" / "minimal-study.yaml").read_text()
    first.write_text(base.replace("minimal-study", "a").replace("minimal-01", "a-01") + concept)
    second.write_text(base.replace("minimal-study", "b").replace("minimal-01", "b-01") + concept)
    with pytest.raises(InputError) as caught:
        read_corpus([tmp_path], resources.vocabulary_files())
    [problem] = caught.value.problems
    assert problem.file.endswith("b.yaml")
    assert "duplicate concept id 'value:speed', first declared at" in problem.message
    assert "a.yaml:" in problem.message


def test_text_with_syntax_characters_stays_literal_text(tmp_path, seed_build):
    tricky = 'He said "x" } ; DROP ALL ; # <b> \\ """ @prefix : <x> .'
    path = tmp_path / "tricky.yaml"
    base = (DATA / "valid" / "minimal-study.yaml").read_text().replace("minimal-study", "tricky")
    path.write_text(base.replace("statement: Citizens value transparency.",
                                 "statement: '" + tricky.replace("'", "''") + "'"))
    build = build_graph([path], reason=False)
    from rdflib import Graph, Literal, URIRef

    from pvkg.export import turtle_bytes
    reparsed = Graph().parse(data=turtle_bytes(build.graph), format="turtle")
    finding = URIRef("https://w3id.org/pvkg/id/finding/minimal-01")
    statements = set(reparsed.objects(finding, URIRef("https://w3id.org/pvkg/ontology#statement")))
    assert statements == {Literal(tricky, lang="en")}
