"""`pvkg diff OLD NEW`: two builds compared in a researcher's terms (pvkg.changes).

OLD and NEW are each a folder `pvkg build --out` wrote (its graph and the record of what it holds), a folder of
study files, or a git revision of the study files (`git:REV`, or REV alone when no such folder exists). A folder
of study files and a revision are built first, each into a temporary folder, by pvkg's own build without the
consistency check (a diff compares what the files say; `pvkg build` checks them); a revision's files are taken
from the local repository with `git archive`, nothing is fetched.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

from pvkg._build import pipeline
from pvkg._build.holdings import changes_since
from pvkg._build.studies import study_files
from pvkg._query.changes import Diff, NoBuildError, compare_answers, read_build_record, runnable_queries
from pvkg._sparql.queries import load_queries
from pvkg._sparql.stores import OxigraphStore
from pvkg.errors import InputError, UsageError, display_path

GIT_PREFIX = "git:"


def diff_builds(old: str, new: str, studies: Path, stages: pipeline.Stages | None = None) -> Diff:
    """Compare OLD and NEW (see the module's docstring); `studies` is the folder of study files whose git
    revisions REV names (its path in the repository is the same at every revision)."""
    stages = stages or pipeline.Stages()
    with tempfile.TemporaryDirectory(prefix="pvkg-diff-") as scratch:
        folders = [_build_folder(given, name, studies, Path(scratch) / name, stages)
                   for given, name in ((old, "OLD"), (new, "NEW"))]
        records = [read_build_record(folder, pipeline.GRAPH_FILE, pipeline.CACHE_DIR, name)
                   for folder, name in zip(folders, ("OLD", "NEW"), strict=True)]
        try:
            changes = changes_since(records[0], records[1])
        except ValueError:
            raise NoBuildError(f"{old} or {new}: the record of what the build holds is damaged; build them again "
                               "with `pvkg build --out`") from None
        queries = runnable_queries()
        stages.start(f"running {len(queries)} canned queries on both graphs")
        stores = [OxigraphStore.from_file(folder / pipeline.GRAPH_FILE) for folder in folders]
        answers = compare_answers(stores[0], stores[1], queries)
    compared = sorted(q.name for q in queries)
    return Diff(old, new, changes, answers, compared, sorted(set(load_queries()) - set(compared)))


def _build_folder(given: str, name: str, studies: Path, scratch: Path, stages: pipeline.Stages) -> Path:
    """The build folder OLD or NEW stands for, building it into `scratch` first where it is study files."""
    if given.startswith(GIT_PREFIX):
        return _build_revision(given.removeprefix(GIT_PREFIX), name, studies, scratch, stages)
    path = Path(given)
    if path.is_dir():
        if (path / pipeline.GRAPH_FILE).exists() or not study_files([path]):
            return path  # a build folder; without a graph, read_build_record says what to give instead
        return _build_studies(path, scratch / "build", stages)
    if path.exists():
        raise UsageError(f"{given}: a file, not a folder; give {name} as a folder `pvkg build --out` wrote, a "
                         "folder of study files, or a git revision (git:REV)")
    return _build_revision(given, name, studies, scratch, stages)


def _build_studies(studies: Path, out: Path, stages: pipeline.Stages, shown_as: str | None = None) -> Path:
    """Build a folder of study files into `out`, without the consistency check. `shown_as`: how to name the
    folder in a problem's file names (a revision's files are read from a temporary copy)."""
    try:
        result = pipeline.build_graph([studies], reason=False, cache_dir=out / pipeline.CACHE_DIR, stages=stages)
    except InputError as error:
        if shown_as is None:
            raise
        raise _renamed(error, str(studies), shown_as) from None
    pipeline.write_build(result, out)
    return out


def _renamed(error: InputError, folder: str, shown_as: str) -> InputError:
    def name(file: str) -> str:
        return shown_as + file[len(folder):] if file.startswith(folder) else file

    return type(error)([replace(p, file=name(p.file)) for p in error.problems], [name(f) for f in error.fine_files])


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=False,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except FileNotFoundError:
        raise UsageError("git is not installed; give OLD and NEW as build folders instead") from None


def _repository(studies: Path) -> tuple[Path, str]:
    """The root of the git repository holding `studies`, and the folder's path in it."""
    folder = studies if studies.is_dir() else Path.cwd()
    found = _git(folder, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise UsageError(f"{display_path(folder)}: not in a git repository, so a revision cannot be read; give OLD "
                         "and NEW as build folders or folders of study files, or --studies a folder in a git "
                         "repository")
    root = Path(found.stdout.decode().strip())
    try:
        inside = Path(os.path.realpath(studies.absolute())).relative_to(os.path.realpath(root))
    except ValueError:
        raise UsageError(f"{display_path(studies)}: not inside the git repository {root}; give --studies a folder "
                         "in it") from None
    return root, inside.as_posix()


def _build_revision(revision: str, name: str, studies: Path, scratch: Path, stages: pipeline.Stages) -> Path:
    """Build the study files of a git revision into `scratch`."""
    root, inside = _repository(studies)
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if revision.startswith("-") or commit.returncode != 0:
        raise UsageError(f"{revision}: neither a folder nor a revision of the git repository {root}; give {name} "
                         "as a folder `pvkg build --out` wrote, a folder of study files, or a revision such as "
                         "HEAD~1 (git log lists them)")
    stages.start(f"reading {inside} at {revision} from git")
    archive = _git(root, "archive", "--format=tar", commit.stdout.decode().strip(), "--", inside)
    if archive.returncode != 0:
        raise UsageError(f"{revision}: has no folder {inside}; give a revision that has the study files, or "
                         "--studies the folder they are in")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # the "data" filter refuses links and paths out of the folder; Python 3.11 has it from 3.11.4 on
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(scratch / "files", **safe)
    stages.start(f"building the study files of {revision}")
    return _build_studies(scratch / "files" / inside, scratch / "build", stages, f"{revision}:{inside}")

