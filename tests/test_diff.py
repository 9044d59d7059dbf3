"""`pvkg diff OLD NEW` and the build summary's tally against the last build (pvkg._query.changes,
pvkg._query.builddiff): real builds of copies of the seed studies, edited as a researcher would, and a real git
repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import STUDIES

DATA = Path(__file__).parent / "data" / "diff"
ADDED = DATA / "bertot-2010.yaml"  # a new study with one finding and one new concept
REMOVED = "twizeyimana-andersson-2019.yaml"  # three findings; its two authors write nothing else
OLD_STATEMENT = "The delivery of a service is seen as a sequence of stages"
NEW_STATEMENT = "The delivery of a service is seen as a series of stages"

EDIT_TALLY = ("studies 1 added, 1 removed; findings 1 added, 3 removed, 1 changed; concepts 1 added; "
              "persons 3 added, 2 removed")
UNCHANGED = "no study, finding, concept or person changed"
EXPECTED = {
    "added": {("study", "bertot-2010"), ("finding", "bertot2010-01"), ("concept", "value:anti-corruption"),
              ("person", "bertot-john-carlo"), ("person", "jaeger-paul-t"), ("person", "grimes-justin-m")},
    "removed": {("study", "twizeyimana-andersson-2019"), ("finding", "ta2019-01"), ("finding", "ta2019-02"),
                ("finding", "ta2019-03"), ("person", "twizeyimana-j-d"), ("person", "andersson-a")},
    "changed": {("finding", "luna2019-01")},
}


def edit(studies: Path) -> None:
    """Add a study, remove one, change a finding's statement (the added study declares a concept)."""
    shutil.copy(ADDED, studies / ADDED.name)
    (studies / REMOVED).unlink()
    luna = studies / "luna-2019.yaml"
    text = luna.read_text(encoding="utf-8")
    assert OLD_STATEMENT in text
    luna.write_text(text.replace(OLD_STATEMENT, NEW_STATEMENT), encoding="utf-8")


def tally(summary: str) -> str:
    """The value of the build summary's last row, which must be the tally."""
    key, value = re.split(r"\s{2,}", summary.rstrip("\n").splitlines()[-1].strip(), maxsplit=1)
    assert key == "since the last build"
    return value


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two builds into one folder, the first kept as `old`: the seed studies, then the edited copy. Returns
    (old build folder, new build folder, the first build's output, the second's)."""
    from typer.testing import CliRunner

    from pvkg._cli import app

    root = tmp_path_factory.mktemp("diff")
    studies, out = root / "studies", root / "out"
    shutil.copytree(STUDIES, studies)
    runner = CliRunner()
    first = runner.invoke(app, ["build", "--studies", str(studies), "--out", str(out), "--no-reason"])
    assert first.exit_code == 0, first.stderr
    shutil.copytree(out, root / "old")
    edit(studies)
    second = runner.invoke(app, ["build", "--studies", str(studies), "--out", str(out), "--no-reason"])
    assert second.exit_code == 0, second.stderr
    return root / "old", out, first.stdout, second.stdout


def kinds_and_ids(items: list[dict]) -> set[tuple[str, str]]:
    return {(item["kind"], item["id"]) for item in items}


def test_first_build_says_so_and_a_rebuild_tallies_the_edit(builds):
    _, _, first, second = builds
    assert tally(first) == "none: the first build in this folder"
    assert tally(second) == EDIT_TALLY


def test_unchanged_rebuild_tallies_nothing(builds, tmp_path, cli):
    old, _, _, _ = builds
    out = tmp_path / "out"
    shutil.copytree(old, out)
    code, stdout, stderr = cli("build", "--studies", STUDIES, "--out", out, "--no-reason")
    assert code == 0, stderr
    assert tally(stdout) == UNCHANGED


def test_diff_reports_each_change_and_nothing_else(builds, cli):
    old, new, _, _ = builds
    code, stdout, stderr = cli("diff", old, new, "--format", "json")
    assert code == 0, stderr
    found = json.loads(stdout)
    for how, expected in EXPECTED.items():
        assert kinds_and_ids(found[how]) == expected, how
    [changed] = found["changed"]
    assert [change["name"] for change in changed["changes"]] == ["statement"]
    assert changed["changes"][0]["old"].startswith(OLD_STATEMENT)
    assert changed["changes"][0]["new"].startswith(NEW_STATEMENT)
    persons = {item["id"]: item["label"] for item in found["added"] if item["kind"] == "person"}
    assert persons["bertot-john-carlo"] == "John Carlo Bertot"


def test_diff_names_the_canned_answers_that_changed(builds, cli):
    old, new, _, _ = builds
    found = json.loads(cli("diff", old, new, "--format", "json")[1])
    answers = {a["query"]: a for a in found["answers"]}
    studies = answers["studies"]
    cited = studies["columns"].index("study")
    assert [row[cited] for row in studies["added"]] == ["Bertot, Jaeger & Grimes (2010)"]
    assert [row[cited] for row in studies["removed"]] == ["Twizeyimana & Andersson (2019)"]
    assert "evidence" in found["queries_needing_a_parameter"]
    assert set(answers) <= set(found["queries_compared"])
    # a query whose answer cannot change with these edits is not listed
    assert "contested" not in answers


def test_diff_text_is_what_a_researcher_reads(builds, cli):
    old, new, _, _ = builds
    code, stdout, _ = cli("diff", old, new)
    assert code == 0
    assert f"Since {old}: {EDIT_TALLY}" in stdout
    assert "+ study bertot-2010: Using ICTs to create a culture of transparency" in stdout
    assert "- study twizeyimana-andersson-2019" in stdout
    assert f'    statement: "{OLD_STATEMENT}' in stdout
    assert "studies (The encoded studies): 1 row(s) added, 1 removed" in stdout
    markdown = cli("diff", old, new, "--format", "md")[1]
    assert markdown.startswith("# pvkg diff") and "- + study bertot-2010" in markdown


def test_a_build_compared_with_itself_has_no_changes(builds, cli):
    _, new, _, _ = builds
    code, stdout, _ = cli("diff", new, new)
    assert code == 0
    assert f"Since {new}: {UNCHANGED}" in stdout
    assert "Canned queries: 0 of " in stdout


def test_a_folder_of_study_files_is_built_first(builds, tmp_path, cli):
    old, _, _, _ = builds
    studies = tmp_path / "studies"
    shutil.copytree(STUDIES, studies)
    (studies / REMOVED).unlink()
    found = json.loads(cli("diff", old, studies, "--format", "json")[1])
    assert kinds_and_ids(found["removed"]) == EXPECTED["removed"]
    assert not found["added"] and not found["changed"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=pvkg test", "-c", "user.email=test@example.org",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A git repository whose studies/ holds the seed studies (first commit), then the edit (second commit)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(STUDIES, repo / "studies")
    git(repo, "init", "-q")
    git(repo, "add", "studies")
    git(repo, "commit", "-q", "-m", "seed studies")
    edit(repo / "studies")
    git(repo, "add", "-A", "studies")
    git(repo, "commit", "-q", "-m", "edit")
    return repo


def test_two_git_revisions(repo, cli):
    code, stdout, stderr = cli("diff", "HEAD~1", "git:HEAD", "--studies", repo / "studies", "--format", "json")
    assert code == 0, stderr
    found = json.loads(stdout)
    for how, expected in EXPECTED.items():
        assert kinds_and_ids(found[how]) == expected, how


def test_a_revision_against_the_working_tree(repo, cli):
    studies = repo / "studies"
    (studies / ADDED.name).unlink()  # not committed: only the working tree lacks it
    code, stdout, stderr = cli("diff", "HEAD", studies, "--studies", studies, "--format", "json")
    assert code == 0, stderr
    found = json.loads(stdout)
    assert kinds_and_ids(found["removed"]) == {("study", "bertot-2010"), ("finding", "bertot2010-01"),
                                               ("concept", "value:anti-corruption"), ("person", "bertot-john-carlo"),
                                               ("person", "jaeger-paul-t"), ("person", "grimes-justin-m")}
    assert not found["added"] and not found["changed"]


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_folder_with_no_graph_is_one_line_saying_what_to_give(builds, tmp_path, cli):
    old, _, _, _ = builds
    empty = tmp_path / "empty"
    empty.mkdir()
    code, stdout, stderr = cli("diff", empty, old)
    assert code == 2 and stdout == ""
    assert one_line(stderr) == (f"{empty}: no pvkg.ttl in this folder; give OLD as a folder `pvkg build --out` "
                                "wrote, a folder of study files, or a git revision (git:REV)")


def test_an_unknown_revision_is_one_line(repo, cli):
    code, _, stderr = cli("diff", "no-such-revision", "HEAD", "--studies", repo / "studies")
    assert code == 2
    line = one_line(stderr)
    assert line.startswith("no-such-revision: neither a folder nor a revision of the git repository")
    assert "give OLD as a folder `pvkg build --out` wrote, a folder of study files, or a revision" in line


def test_a_revision_outside_a_repository_is_one_line(tmp_path, cli):
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, stderr = cli("diff", "HEAD~1", "HEAD", "--studies", plain)
    assert code == 2
    assert "not in a git repository, so a revision cannot be read" in one_line(stderr)


def test_a_build_without_a_record_or_with_a_changed_graph_is_one_line(builds, tmp_path, cli):
    old, new, _, _ = builds
    unrecorded = tmp_path / "unrecorded"
    shutil.copytree(old, unrecorded)
    (unrecorded / ".cache" / "holdings.jsonl").unlink()
    code, _, stderr = cli("diff", unrecorded, new)
    assert code == 1
    assert one_line(stderr).endswith(f"build it again with `pvkg build --out {unrecorded}`")
    edited = tmp_path / "edited"
    shutil.copytree(old, edited)
    with open(edited / "pvkg.ttl", "a", encoding="utf-8") as graph:
        graph.write("# edited by hand\n")
    code, _, stderr = cli("diff", edited, new)
    assert code == 1
    assert "pvkg.ttl: changed since the build that recorded what it holds" in one_line(stderr)


def test_a_build_after_one_that_kept_no_record_says_so(builds, tmp_path, cli):
    old, _, _, _ = builds
    out = tmp_path / "out"
    shutil.copytree(old, out)
    (out / ".cache" / "holdings.jsonl").unlink()
    code, stdout, _ = cli("build", "--studies", STUDIES, "--out", out, "--no-reason")
    assert code == 0
    assert tally(stdout).startswith("not known: the last build left no record")


def test_bad_format_is_a_usage_error(builds, cli):
    old, new, _, _ = builds
    code, _, stderr = cli("diff", old, new, "--format", "csv")
    assert code == 2 and "--format 'csv' is not one of: text, json, md" in stderr


def test_a_concepts_label_and_broader_concept_changed(tmp_path, cli):
    from pvkg._build import pipeline

    studies, out = tmp_path / "studies", tmp_path / "out"
    shutil.copytree(STUDIES, studies)
    pipeline.write_build(pipeline.build_graph([studies], reason=False, cache_dir=out / ".cache"), out)
    shutil.copytree(out, tmp_path / "old")
    luna = studies / "luna-2019.yaml"
    text = luna.read_text(encoding="utf-8")
    old = "    label: {en: stages of service delivery}\n"
    assert old in text
    new = "    label: {en: service delivery stages}\n    broader: [characteristic:service-characteristics]\n"
    luna.write_text(text.replace(old, new), encoding="utf-8")
    rebuilt = pipeline.build_graph([studies], reason=False, cache_dir=out / ".cache")
    pipeline.write_build(rebuilt, out)
    changed = [(i.kind, i.id) for i in rebuilt.since_last.changed]
    assert changed == [("concept", "characteristic:service-delivery-stages")]
    assert not rebuilt.since_last.added and not rebuilt.since_last.removed
    text = cli("diff", tmp_path / "old", out)[1]
    assert '    label: "stages of service delivery" -> "service delivery stages"' in text
    assert '    broader: (none) -> "characteristic:service-characteristics"' in text


def test_a_damaged_record_leaves_the_tally_unknown_and_the_build_done(builds, tmp_path, cli):
    old, _, _, _ = builds
    out = tmp_path / "out"
    shutil.copytree(old, out)
    (out / ".cache" / "holdings.jsonl").write_bytes(b'{"format": 1}\n["studies/x.yaml", "0"]\t{"study": \n')
    code, stdout, stderr = cli("build", "--studies", STUDIES, "--out", out, "--no-reason")
    assert code == 0, stderr
    assert tally(stdout).startswith("not known: ")
    assert tally(cli("build", "--studies", STUDIES, "--out", out, "--no-reason")[1]) == UNCHANGED


def test_the_tally_does_not_read_the_last_graph(builds, tmp_path, cli):
    """The last build's graph is not what the tally compares with (its record is): a graph file gone bad
    since is written again whole, and the tally is still the edit's."""
    old, _, _, _ = builds
    studies, out = tmp_path / "studies", tmp_path / "out"
    shutil.copytree(STUDIES, studies)
    shutil.copytree(old, out)
    (out / "pvkg.ttl").write_text("not Turtle at all", encoding="utf-8")
    edit(studies)
    code, stdout, stderr = cli("build", "--studies", studies, "--out", out, "--no-reason")
    assert code == 0, stderr
    assert tally(stdout) == EDIT_TALLY



def test_text_from_the_study_files_can_neither_forge_nor_turn_a_line(tmp_path, cli):
    """A statement holding a bidi override (and a line break, which the reader folds) is shown on its own line,
    the override escaped."""
    from pvkg._build import pipeline

    studies, out = tmp_path / "studies", tmp_path / "out"
    shutil.copytree(STUDIES, studies)
    pipeline.write_build(pipeline.build_graph([studies], reason=False, cache_dir=out / ".cache"), out)
    shutil.copytree(out, tmp_path / "old")
    luna = studies / "luna-2019.yaml"
    old = ("    statement: >-\n      The delivery of a service is seen as a sequence of stages, and three families of "
           "services share\n      similar stages of interaction between citizen and government.\n")
    text = luna.read_text(encoding="utf-8")
    assert old in text
    luna.write_text(text.replace(old, '    statement: "Stages \\u202Ereversed\\n+ study forged"\n'), encoding="utf-8")
    pipeline.write_build(pipeline.build_graph([studies], reason=False, cache_dir=out / ".cache"), out)
    code, stdout, _ = cli("diff", tmp_path / "old", out)
    assert code == 0
    assert "\u202e" not in stdout and "\n+ study forged" not in stdout
    assert "~ finding luna2019-01: Stages \\u202ereversed + study forged" in stdout


def test_the_rows_of_a_changed_answer_are_those_rdflib_finds_on_one_graph_only(builds, cli):
    """The `studies` answer of each graph, run by rdflib on the Turtle files (not by pvkg's store), differs by
    exactly the rows the diff reports."""
    from rdflib import Graph

    from pvkg._sparql.queries import canned_text, get_query

    old, new, _, _ = builds
    text = canned_text(get_query("studies"), {})
    answers = [{tuple("" if term is None else str(term) for term in row)
                for row in Graph().parse(folder / "pvkg.ttl", format="turtle").query(text)} for folder in (old, new)]
    reported = next(a for a in json.loads(cli("diff", old, new, "--format", "json")[1])["answers"]
                    if a["query"] == "studies")
    assert {tuple(row) for row in reported["added"]} == answers[1] - answers[0]
    assert {tuple(row) for row in reported["removed"]} == answers[0] - answers[1]
