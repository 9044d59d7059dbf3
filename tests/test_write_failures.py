"""Writing that fails, and writing that must not happen. `pvkg build`, `docs` and `export` onto a full disk, a
read-only file system, /proc, or an --out that is a file: one line each (the path, the operating system's
reason in plain words, what to do), exit 1 or 2, the previous output intact and no temporary file left. No
command may write over a file it reads. Two builds into one folder never remove each other's staging files.

The full disk and the read-only file system are real: a small tmpfs mounted in a mount namespace of the
test's own (`unshare`), unprivileged where the kernel allows user namespaces, else as root. Where the kernel
allows neither the tests are skipped; a missing `unshare` or `mount` fails them under CI=true."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, STUDIES

PVKG = [sys.executable, "-m", "pvkg"]


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) by its path, with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.endswith((".tmp", ".new", ".old")))


# ------------------------------------------------------------------------------------------------------
# A file system of the test's own
# ------------------------------------------------------------------------------------------------------


def _mount_namespace(probe: Path) -> list[str]:
    """A command prefix that runs a command as root of a mount namespace of its own, where it may mount a
    tmpfs (tried on the folder `probe`): unprivileged (a user namespace) where the kernel allows it, else as
    root."""
    tools = {name: shutil.which(name) for name in ("unshare", "mount")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (Debian: util-linux, mount)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    for prefix in ([tools["unshare"], "--user", "--map-root-user", "--mount"], [tools["unshare"], "--mount"]):
        probed = subprocess.run([*prefix, tools["mount"], "-t", "tmpfs", "tmpfs", probe], capture_output=True)
        if probed.returncode == 0:
            return prefix
    pytest.skip("the kernel lets this process make no mount namespace (no user namespaces, and not root)")


# Outputs made on the small file system before it fills up or turns read-only, then the same commands again
# on the edited corpus (which changes the graph, so every output would change). R holds each run's exit code
# and stderr, and copies of the outputs before and after, outside the file system that goes with the namespace.
_SCENARIO = """
mount -t tmpfs -o size=4m tmpfs "$DISK"
run() {{ name=$1; shift; set +e; "$@" >/dev/null 2>"$R/$name.err"; echo $? >"$R/$name.rc"; set -e; }}
run first-build $PY -m pvkg build --studies "$SEED" --out "$DISK/dist" --no-reason
run first-docs $PY -m pvkg docs --studies "$SEED" --dist "$DISK/dist" --out "$DISK/docs"
run first-export $PY -m pvkg export --studies "$SEED" --dist "$DISK/dist" --format jsonld --out "$DISK/pvkg.jsonld"
cp -a "$DISK" "$R/before"
{break_it}
run build $PY -m pvkg build --studies "$EDITED" --out "$DISK/dist" --no-reason
run docs $PY -m pvkg docs --studies "$SEED" --dist "$DISK/dist" --out "$DISK/docs"
run export $PY -m pvkg export --studies "$SEED" --dist "$DISK/dist" --format nt --out "$DISK/pvkg.jsonld"
rm -f "$DISK/filler"
cp -a "$DISK" "$R/after"
"""


def _on_a_small_disk(tmp_path: Path, edited: Path, break_it: str) -> Path:
    """Run the scenario with `break_it` (shell) between the outputs and the commands that must fail; returns
    the folder of what it recorded."""
    disk, record = tmp_path / "disk", tmp_path / "record"
    disk.mkdir()
    record.mkdir()
    prefix = _mount_namespace(disk)
    env = {**os.environ, "DISK": str(disk), "R": str(record), "PY": sys.executable, "SEED": str(STUDIES),
           "EDITED": str(edited)}
    done = subprocess.run([*prefix, "sh", "-euc", _SCENARIO.format(break_it=break_it)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    for first in ("first-build", "first-docs", "first-export"):
        assert (record / f"{first}.rc").read_text().strip() == "0", (record / f"{first}.err").read_text()
    return record


def _assert_one_line(record: Path, command: str, code: int, says: str) -> str:
    stderr = (record / f"{command}.err").read_text()
    assert (record / f"{command}.rc").read_text().strip() == str(code), stderr
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert says in stderr, stderr
    return stderr


def test_a_full_disk_is_one_line_and_the_old_output_stays(tmp_path, edited_corpus):
    """`.../dist/pvkg.ttl: cannot write this file: no space left on the device; free some space there, or
    write somewhere else` (exit 1), and likewise for docs and export; every earlier output byte for byte as it
    was, and no temporary file or folder left on the full disk."""
    record = _on_a_small_disk(tmp_path, edited_corpus, 'cat /dev/zero >"$DISK/filler" 2>/dev/null || true')
    for command, path in (("build", "dist/pvkg.ttl"), ("docs", "docs"), ("export", "pvkg.jsonld")):
        line = _assert_one_line(record, command, 1, "no space left on the device; free some space there")
        assert line.startswith(str(tmp_path / "disk" / path)), line
    assert _tree(record / "after") == _tree(record / "before")
    assert _leftovers(record / "after") == []


def test_a_read_only_file_system_is_one_line_and_the_old_output_stays(tmp_path, edited_corpus):
    """`...: cannot write this file: read-only file system; write on a writable file system` (exit 2: the
    path given cannot be written), for build, docs and export; the earlier output intact."""
    record = _on_a_small_disk(tmp_path, edited_corpus, 'mount -o remount,ro "$DISK"')
    for command in ("build", "docs", "export"):
        _assert_one_line(record, command, 2, "read-only file system; write on a writable file system")
    assert _tree(record / "after") == _tree(record / "before")


@pytest.mark.parametrize("args, line", [
    (["build", "--no-reason", "--out", "/proc/pvkg-test"],
     "/proc/pvkg-test: cannot create this folder: the file system does not let files be made there"),
    (["docs", "--out", "/proc/pvkg-test"],
     "/proc/pvkg-test: cannot create this folder: the file system does not let files be made there"),
    (["export", "--out", "/proc/pvkg-test.ttl"],
     "/proc/pvkg-test.ttl: cannot write this file: the file system does not let files be made there"),
])
def test_writing_into_proc_is_one_line(tmp_path, args, line):
    dist = tmp_path / "dist"
    if args[0] != "build":
        assert subprocess.run([*PVKG, "build", "--no-reason", "--out", dist], cwd=REPO).returncode == 0
        args = [*args, "--dist", str(dist)]
    done = subprocess.run([*PVKG, *args], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(line), done.stderr


@pytest.mark.parametrize("command", ["build", "docs", "report", "release"])
def test_an_out_that_is_a_file_is_one_line(cli, tmp_path, command):
    """`FILE: is a file, not a folder; give a folder...` (exit 2), the file as it was; the same for a path
    under a file (`--out FILE/sub`)."""
    existing = tmp_path / "existing.txt"
    existing.write_text("mine")
    for out in (existing, existing / "sub"):
        code, _, stderr = cli(command, "--out", out, "--dist", tmp_path / "dist") if command in ("docs", "report") \
            else cli(command, "--out", out, *(["--no-reason"] if command == "build" else []))
        assert code == 2, stderr
        assert stderr.startswith(f"{existing}: is a file, not a folder; give a folder") and stderr.count("\n") == 1
        assert existing.read_text() == "mine"


def test_export_to_a_folder_is_one_line(cli, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    code, _, stderr = cli("export", "--dist", tmp_path / "dist", "--out", folder)
    assert code == 2 and stderr.splitlines()[-1] == f"{folder}: is a folder, not a file; give a file name"
    assert list(folder.iterdir()) == [] and _leftovers(tmp_path) == []


def test_export_to_a_full_standard_output_is_one_line():
    with open("/dev/full", "wb") as full:
        done = subprocess.run([*PVKG, "export"], cwd=REPO, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=600)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == ("standard output: cannot write to it: no space left on the device; "
                                            "free some space there, or write somewhere else")


# ------------------------------------------------------------------------------------------------------
# No command writes over what it reads
# ------------------------------------------------------------------------------------------------------


def test_export_never_writes_over_the_study_file_it_reads(cli, tmp_path):
    """`--out studies/x.yaml` (or a link or hard link to it, or the built graph export reads):
    `PATH: is a file this command reads; write its output somewhere else`, exit 2, the file unchanged."""
    studies = tmp_path / "studies"
    shutil.copytree(STUDIES, studies)
    study = studies / "luna-2024.yaml"
    before = study.read_bytes()
    os.symlink(study, tmp_path / "link.yaml")
    os.link(study, tmp_path / "hard-link.yaml")
    dist = tmp_path / "dist"
    assert cli("build", "--no-reason", "--studies", studies, "--out", dist)[0] == 0
    graph = (dist / "pvkg.ttl").read_bytes()
    for out in (study, tmp_path / "link.yaml", tmp_path / "hard-link.yaml", dist / "pvkg.ttl"):
        code, _, stderr = cli("export", "--studies", studies, "--dist", dist, "--format", "nt", "--out", out)
        assert code == 2, stderr
        assert stderr == f"{out}: is a file this command reads; write its output somewhere else\n"
        assert study.read_bytes() == before
    assert (dist / "pvkg.ttl").read_bytes() == graph


def test_a_build_never_writes_over_the_ontology_it_reads(cli):
    """`pvkg build --out ontology` in a checkout would replace ontology/pvkg.ttl with the built graph: refused
    before building."""
    ontology = REPO / "ontology" / "pvkg.ttl"
    before = ontology.read_bytes()
    started = time.monotonic()
    code, _, stderr = cli("build", "--out", REPO / "ontology")
    assert code == 2 and stderr == f"{ontology}: is a file this command reads; write its output somewhere else\n"
    assert time.monotonic() - started < 10  # refused before the build
    assert ontology.read_bytes() == before


def test_a_release_never_writes_over_its_changelog(cli, tmp_path):
    """A release into a folder holding the changelog it reads would replace it with this version's entry."""
    changelog = tmp_path / "CHANGELOG.md"
    shutil.copy(REPO / "CHANGELOG.md", changelog)
    before = changelog.read_bytes()
    code, _, stderr = cli("release", "--out", tmp_path, "--changelog", changelog)
    assert code == 2 and stderr == (f"{tmp_path}: holds {changelog}, which this command reads; write its output "
                                    "somewhere else\n")
    assert changelog.read_bytes() == before


# ------------------------------------------------------------------------------------------------------
# Two runs into one folder
# ------------------------------------------------------------------------------------------------------


def _held(path: Path) -> bool:
    """Whether a live process holds the lock of a staging file or folder (which pvkg takes just after making
    it; another run's cleanup may rightly remove one caught before that)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _stop_while_staging(command: list[str], folder: Path, staging: tuple[str, str],
                        tries: int = 20) -> tuple[subprocess.Popen, Path]:
    """Start `command` until it is caught (SIGSTOP) while a staging file or folder (named with the prefix
    and suffix `staging`) is in `folder`: the process and that staging path."""
    for _ in range(tries):
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while process.poll() is None:
            found = [p for p in (folder.iterdir() if folder.is_dir() else [])
                     if p.name.startswith(staging[0]) and p.name.endswith(staging[1])]
            if found:
                process.send_signal(signal.SIGSTOP)
                if _held(found[0]):  # caught after it locked its staging path, not between making and locking
                    return process, found[0]
                process.send_signal(signal.SIGCONT)
        process.wait()
    pytest.fail(f"no run of {command[3]} was caught while it staged its output")


@pytest.mark.parametrize("command, staging", [("build", (".pvkg.ttl.", ".tmp")), ("docs", (".docs.", ".new"))])
def test_a_concurrent_run_does_not_remove_another_runs_staging_output(tmp_path, edited_corpus, command, staging):
    """Run A is stopped while its staging file (or folder) exists; run B writes into the same folder,
    cleaning up as it starts; A's staging output survives B, and A, continued, finishes and leaves its own
    output. (B used to remove every `.pvkg.ttl.*.tmp` and `.docs.new` it found.)"""
    out = tmp_path / "out"
    dist = tmp_path / "dist"
    assert subprocess.run([*PVKG, "build", "--no-reason", "--studies", edited_corpus, "--out", dist],
                          cwd=REPO).returncode == 0
    if command == "build":
        args = [*PVKG, "build", "--no-reason", "--out", str(out)]
        first, second = [*args, "--studies", str(edited_corpus)], [*args, "--studies", str(STUDIES)]
    else:
        first = second = [*PVKG, "docs", "--studies", str(edited_corpus), "--dist", str(dist), "--out",
                          str(out / "docs")]
    out.mkdir()
    stopped, staged = _stop_while_staging(first, out, staging)
    try:
        other = subprocess.run(second, cwd=REPO, capture_output=True, text=True, timeout=600)
        assert other.returncode == 0, other.stderr
        assert staged.exists(), f"the other run removed {staged.name}"
    finally:
        stopped.send_signal(signal.SIGCONT)
    assert stopped.wait(600) == 0, stopped.stderr.read()
    assert _leftovers(out) == []
    if command == "build":  # A renamed its graph into place last
        assert b"Edited. " in (out / "pvkg.ttl").read_bytes()
    else:
        assert (out / "docs" / "index.html").is_file()
        assert (out / "docs").stat().st_mode & 0o005 == 0o005  # pages for everyone to read, as before


def test_a_killed_runs_leftovers_are_removed_by_the_next(tmp_path):
    """What a dead writer left (its lock went with it) is removed by the next build; a file that only looks
    like a staging file but is held by a live process is not."""
    out = tmp_path / "out"
    out.mkdir()
    dead = out / ".pvkg.ttl.abandoned.tmp"
    dead.write_bytes(b"half a graph")
    held = out / ".void.ttl.held.tmp"
    held.write_bytes(b"being written")
    holder = subprocess.Popen([sys.executable, "-c", f"import fcntl, sys, time; f = open({str(held)!r}, 'rb'); "
                               "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        done = subprocess.run([*PVKG, "build", "--no-reason", "--out", str(out)], cwd=REPO, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert not dead.exists() and held.exists()
    finally:
        holder.kill()
        holder.wait()
