"""How long commands show their progress (pvkg/_progress.py): a stage that counts its work draws its count, rate
and time left on a terminal; the benchmarks count their stages on a terminal and print only their lines
elsewhere. (The commands' own terminal tests are beside them: test_build, test_exports, test_remote.)"""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO
from rich.progress import Progress
from terminal import counted, on_a_terminal, shown_lines

from pvkg._build import pipeline
from pvkg._progress import _Count


def test_a_counted_stage_shows_its_count_rate_and_time_left():
    clock = [0.0]
    progress = Progress(get_time=lambda: clock[0])
    task = progress.add_task("writing", total=1000, counted=True, unit="triples")
    for second in (1.0, 2.0):
        clock[0] = second
        progress.advance(task, 100)
    assert _Count().render(progress.tasks[0]).plain == "200/1,000 triples  100 triples/s  0:08 left"
    progress.update(task, completed=1000)
    assert _Count().render(progress.tasks[0]).plain == "1,000 triples"  # done: the count alone
    plain = progress.add_task("reading", total=None, counted=False)
    assert _Count().render(progress.tasks[plain]).plain == ""  # a stage that counts nothing shows no count


def _bench_folders(tmp_path, seed_build) -> list[str]:
    """Arguments for `python -m bench` that run one quick stage on the seed graph, built where the bench
    looks for its 10k graph (the corpus folder is marked as generated, so that none is made)."""
    corpora, work = tmp_path / "corpora", tmp_path / "work"
    shutil.copytree(REPO / "studies", corpora / "10k" / "seed")
    (corpora / "10k" / ".pvkg-bench-corpus").write_text("")
    pipeline.write_build(seed_build, work / "10k")
    return ["--sizes", "10k", "--stages", "turtle-rdflib", "--corpora", str(corpora), "--work", str(work),
            "--results", str(tmp_path)]


def test_the_benchmarks_count_their_stages_on_a_terminal_and_only_print_their_lines_elsewhere(tmp_path, seed_build):
    args = _bench_folders(tmp_path, seed_build)
    code, terminal, stdout = on_a_terminal(args, module="bench")
    lines = shown_lines(terminal)
    assert code == 0 and stdout.startswith("# pvkg benchmarks"), lines
    assert counted(lines, "running 1 stage(s) at 1 size(s)", "stages")[-1] == "1", lines
    assert any(line.startswith("bench: 10k turtle-rdflib: {") for line in lines)
    done = subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0 and done.stdout.startswith("# pvkg benchmarks")
    assert done.stderr.splitlines() == ["bench: 10k turtle-rdflib ...", done.stderr.splitlines()[1]]
    assert done.stderr.splitlines()[1].startswith("bench: 10k turtle-rdflib: {")
