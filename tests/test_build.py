"""`pvkg build`: deterministic Turtle that re-parses to the same graph, atomic output, clear exits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, STUDIES
from rdflib import Graph
from rdflib.compare import isomorphic
from terminal import counted, on_a_terminal, shown_lines

from pvkg import _resources as resources
from pvkg._build.quality import load_checks
from pvkg._files import write_atomic


def _build_in_process(out: Path, seed: str) -> bytes:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    subprocess.run([sys.executable, "-m", "pvkg", "build", "--studies", str(STUDIES), "--out", str(out),
                    "--no-reason"], check=True, env=env, cwd=REPO, capture_output=True)
    return (out / "pvkg.ttl").read_bytes()


def test_two_builds_are_byte_identical(tmp_path):
    # separate processes with different hash seeds: nothing may depend on set or dict order
    first = _build_in_process(tmp_path / "a", "1")
    second = _build_in_process(tmp_path / "b", "2")
    assert first == second


def test_built_turtle_reparses_isomorphic_to_the_build(cli, tmp_path, seed_build):
    code, stdout, stderr = cli("build", "--out", tmp_path, "--no-reason")
    assert code == 0, stderr
    reparsed = Graph().parse(tmp_path / "pvkg.ttl", format="turtle")
    assert isomorphic(reparsed, seed_build.graph)
    assert "@prefix pvkg: <https://w3id.org/pvkg/ontology#> ." in (tmp_path / "pvkg.ttl").read_text()


def test_build_prints_the_summary(cli, tmp_path, seed_build):
    code, stdout, stderr = cli("build", "--out", tmp_path)
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert lines[0] == f"Built {tmp_path / 'pvkg.ttl'}"
    summary = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in lines[1:]
                   if not line.strip().startswith("never used"))
    assert int(summary["studies"]) == len(list(STUDIES.glob("*.yaml")))
    assert int(summary["findings"]) == len(seed_build.corpus.findings) >= 32
    assert int(summary["violations"]) == 0
    assert int(summary["triples"]) == len(seed_build.graph)
    used, unused = int(summary["concepts used"]), int(summary["concepts never used"])
    assert used + unused <= int(summary["concepts"])
    assert summary["consistent"].startswith("yes")
    # the README shows what `make run` prints: the same summary, word for word, on the seed studies
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = readme[readme.index("`make run` prints a summary of the build"):]
    shown = shown[shown.index("```\n") + 4:].split("\n")
    assert shown[:len(lines)] == [lines[0].replace(str(tmp_path), "dist"), *lines[1:]]


def test_invalid_input_leaves_the_previous_build_untouched(cli, tmp_path):
    code, _, _ = cli("build", "--out", tmp_path, "--no-reason")
    assert code == 0
    before = (tmp_path / "pvkg.ttl").read_bytes()
    bad = tmp_path / "studies"
    bad.mkdir()
    (bad / "broken.yaml").write_text("id: broken\nfindings: [\n")
    code, _, stderr = cli("build", "--studies", bad, "--out", tmp_path)
    assert code == 1 and "malformed YAML" in stderr
    assert (tmp_path / "pvkg.ttl").read_bytes() == before
    # no temporary left over, and the validation cache as the good build left it
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "pvkg.ttl", "studies", "void.ttl"]
    assert sorted(p.name for p in (tmp_path / ".cache").iterdir()) == ["built-by.json", "holdings.jsonl",
                                                                      "turtle-blocks.json", "validation.json"]


def test_write_atomic_leaves_no_temporary_when_writing_fails(tmp_path):
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old")

    class Boom:
        def __len__(self):
            raise OSError("disk full")

    try:
        write_atomic(target, Boom())  # type: ignore[arg-type]
    except (OSError, TypeError):
        pass
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


def test_usage_errors_exit_2(cli, tmp_path):
    code, _, stderr = cli("build", "--studies", tmp_path / "missing")
    assert code == 2 and "no such file or folder" in stderr
    code, _, _ = cli("build", "--no-such-option")
    assert code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, stderr = cli("validate", empty)
    assert code == 2 and "no study files" in stderr


@pytest.mark.parametrize("args, expect", [
    (["build", "--no-such-option"], "pvkg build: No such option: --no-such-option; see pvkg build --help"),
    (["query"], "pvkg query: Missing argument 'name'; see pvkg query --help"),
    (["serve", "--port", "abc"], "pvkg serve: Invalid value for '--port'"),
    (["serve", "--port", "70000"], "pvkg serve: Invalid value for '--port'"),  # was OverflowError from bind()
    (["no-such-command"], "pvkg: No such command 'no-such-command'; see pvkg --help"),
])
def test_a_usage_error_is_one_line_whatever_typer_draws(args, expect):
    """The installed `pvkg` (its console script and `python -m pvkg` both run pvkg._cli.main): one line on
    stderr, exit 2, nothing on stdout. typer 0.29 with rich would draw a box over several lines."""
    result = subprocess.run([sys.executable, "-m", "pvkg", *args], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(expect), result.stderr
    assert not any(char in result.stderr for char in "\u2500\u2502\u256d\u256e\u2570\u256f"), result.stderr


def test_no_arguments_print_the_help_and_exit_2():
    result = subprocess.run([sys.executable, "-m", "pvkg"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Usage: pvkg" in result.stdout and result.stderr == ""


def test_the_console_script_is_main():
    import tomllib
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts == {"pvkg": "pvkg._cli:main"}


def test_every_command_has_help_and_is_in_the_readme(cli):
    from conftest import REPO

    from pvkg._cli import app
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code, stdout, _ = cli("--help")
    assert code == 0
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert len(commands) >= 13
    for command in commands:
        assert command in stdout
        code, text, _ = cli(command, "--help")
        assert code == 0 and len(text.strip()) > 40, command
        assert f"pvkg {command}" in readme, f"the README does not show `pvkg {command}`"


def test_a_build_shows_its_stageson_a_terminal(tmp_path):
    """On a terminal, stderr shows each stage as it runs, with its counts and its elapsed time; stdout (the
    summary) is as without a terminal."""
    code, terminal, stdout = on_a_terminal(["build", "--studies", STUDIES, "--out", tmp_path, "--no-reason"])
    assert code == 0, terminal
    studies = len(list(STUDIES.glob("*.yaml")))
    for stage in ("reading the study files in", f"converting {studies} studies (", "validating the triples of ",
                  " files with SHACL", f"running {len(load_checks())} quality checks on ",
                  f"writing {tmp_path / 'pvkg.ttl'}"):
        assert stage in terminal, (stage, terminal[-2000:])
    assert re.search(r"done\S* reading the study files in \S+ +\S*0:00:\d\d", terminal), terminal[-2000:]
    assert stdout.startswith(f"Built {tmp_path / 'pvkg.ttl'}\n  study files")


def test_a_build_on_a_terminal_counts_its_files_triples_and_checks(tmp_path):
    """The stages that count their work show their count on the terminal, up to its total: the files
    validated, the triples written as Turtle, the quality checks run."""
    code, terminal, stdout = on_a_terminal(["build", "--studies", STUDIES, "--out", tmp_path, "--no-reason"])
    assert code == 0, terminal
    lines = shown_lines(terminal)
    files = len(list(STUDIES.glob("*.yaml"))) + len(resources.vocabulary_files())
    triples = int(re.search(r"triples\s+(\d+)", stdout).group(1))
    checks = len(load_checks())
    for description, unit, total in (("files with SHACL", "files", files), ("as Turtle", "triples", triples),
                                     ("quality checks on", "checks", checks)):
        counts = counted(lines, description, unit)
        assert counts and counts[-1] == f"{total:,}", (description, counts, lines[-20:])
        assert all(int(c.split("/")[-1].replace(",", "")) == total for c in counts)  # never another total


def test_a_build_piped_or_logged_shows_no_progress(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pvkg", "build", "--studies", str(STUDIES), "--out", str(tmp_path),
                           "--no-reason"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("Built ")


def test_a_large_graph_says_so_before_the_reasoner_runs(cli, tmp_path, monkeypatch):
    """Above pipeline.REASONER_NOTE_TRIPLES (lowered here to below the seed graph's size), the build says how
    large the graph is and that --no-reason skips the reasoner, piped or not; below it, nothing."""
    from pvkg._build import pipeline

    code, _, stderr = cli("build", "--out", tmp_path)
    assert code == 0 and stderr == ""
    monkeypatch.setattr(pipeline, "REASONER_NOTE_TRIPLES", 1000)
    code, stdout, stderr = cli("build", "--out", tmp_path)
    triples = re.search(r"triples\s+(\d+)", stdout).group(1)
    assert code == 0 and stderr == (f"pvkg: the graph has {int(triples):,} triples; HermiT may take minutes "
                                    "and gigabytes of memory to check what changed in it (--no-reason skips the "
                                    "consistency check)\n")


def test_a_command_that_builds_first_says_how_to_skip_the_reasoner(cli, tmp_path, monkeypatch):
    """`pvkg query` has no --no-reason: the note names the build that skips the reasoner instead."""
    from pvkg._build import pipeline

    monkeypatch.setattr(pipeline, "REASONER_NOTE_TRIPLES", 1000)
    code, _, stderr = cli("query", "studies", "--out", tmp_path)
    assert code == 0, stderr
    assert stderr.splitlines()[0].endswith(f"(`pvkg build --no-reason --out {tmp_path}` first skips it)"), stderr
