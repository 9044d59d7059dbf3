"""The one layer every file pvkg writes goes through (below every stage): atomic writes, folders of pages
swapped in whole, and the inputs of the running command, which no write may replace. An OSError becomes a
WriteError (one line: the path, what failed in plain words, what to do), and only what a dead process left
behind is ever cleaned up."""


import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from pvkg.errors import CREATE_FOLDER, PvkgError, UsageError, WriteError, display_path, file_in_the_way

# ------------------------------------------------------------------------------------------------------
# Writing files: the one layer every output of pvkg goes through. It writes atomically, turns an OSError
# into a WriteError (one line: the path, what failed in plain words, what to do), never replaces a file the
# running command reads, and cleans up only what a dead process left behind.
# ------------------------------------------------------------------------------------------------------

TEMPORARY_SUFFIX = ".tmp"
NEW_FOLDER_SUFFIX, OLD_FOLDER_SUFFIX = ".new", ".old"


@contextmanager
def reporting_write_errors(path: Path, action: str = "write this file") -> Iterator[None]:
    """Run a block that writes `path`; an OSError in it becomes a WriteError about `path`."""
    try:
        yield
    except OSError as error:
        raise WriteError.from_os_error(path, action, error) from None


def make_folder(folder: Path) -> None:
    with reporting_write_errors(folder, CREATE_FOLDER):
        folder.mkdir(parents=True, exist_ok=True)


def check_folder(folder: Path) -> None:
    """Refuse, before any work, a folder to write into that is a file or lies under one."""
    blocking = file_in_the_way(folder)
    if blocking is not None:
        raise WriteError.not_a_folder(blocking)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _try_lock(fd: int) -> bool:
    """Take the advisory lock of an open file or folder without waiting; False when a live process holds it.
    A writer holds the lock of its staging file until the file is in place, and the kernel drops it when
    the writer dies, however it dies: so a staging file whose lock can be taken is a dead writer's."""
    if fcntl is None:  # pragma: no cover - no flock (Windows): there an open file cannot be removed anyway
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_named(fd: int, path: str) -> bool:
    """Whether `path` still names the open file `fd` (a cleaner may have removed it before it was locked)."""
    try:
        named, held = os.stat(path), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _locked_temporary(path: Path, folder: bool = False) -> tuple[int, str]:
    """A new, locked, empty temporary file (or folder) beside `path`: (descriptor, name). Another run's
    cleanup may take one between its making and its locking; then another is made."""
    while True:
        if folder:
            name = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=NEW_FOLDER_SUFFIX, dir=path.parent)
            try:
                fd = os.open(name, os.O_RDONLY)
            except FileNotFoundError:
                continue
        else:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
        if _try_lock(fd) and _still_named(fd, name):
            return fd, name
        os.close(fd)


Content = bytes | Iterable[bytes]  # what a file is written with: its bytes, or its pieces one after the other


def encoded(chunks: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """Pieces of text as UTF-8, gathered into pieces of about `size` characters: fewer, larger writes."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending).encode("utf-8")
            pending, length = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def write_atomic(path: Path, data: Content) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place: a reader (or a
    crash) sees either the old file or the new one, never a half-written one. Pieces are written as they
    come, so a file need never be whole in memory."""
    write_all_atomic({path: data})


def write_all_atomic(files: dict[Path, Content]) -> None:
    """Write several files that belong together (a graph and its description): every one to a temporary
    file on disk first, and only then all renamed into place, so that a failure or a kill before the renames
    leaves every old file as it was. Each temporary file stays locked until it is in place (see
    remove_leftovers); none is left behind when writing fails."""
    for path in files:
        refuse_inputs(path)
    staged: list[tuple[int, str, Path]] = []
    renamed: set[str] = set()
    try:
        for path, data in files.items():
            make_folder(path.parent)
            with reporting_write_errors(path):
                fd, tmp = _locked_temporary(path)
                staged.append((fd, tmp, path))
                os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are for all to read
                _write_all(fd, data)
                os.fsync(fd)
        for _, tmp, path in staged:
            with reporting_write_errors(path):
                os.replace(tmp, path)
            renamed.add(tmp)
        for folder in sorted({path.parent for _, _, path in staged}):
            with reporting_write_errors(folder, "record the new files in this folder"):
                _sync_folder(folder)  # the renames themselves reach the disk
    finally:
        for fd, tmp, _ in staged:
            if tmp not in renamed:
                with suppress(OSError):
                    os.unlink(tmp)
            os.close(fd)  # and with it, the lock


def write_new(path: Path, data: bytes, exists: Callable[[], PvkgError]) -> None:
    """Write a file that must not exist yet: staged beside it, then linked into place, which fails if a file of
    that name is there by then (made meanwhile by someone else too); `exists()` is the error raised then. An
    existing file is never replaced, and a failure leaves no part of the file behind."""
    refuse_inputs(path)
    make_folder(path.parent)
    with reporting_write_errors(path):
        fd, tmp = _locked_temporary(path)
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; study files are for all to read
            _write_all(fd, data)
            os.fsync(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise exists() from None
        finally:
            os.unlink(tmp)
            os.close(fd)
    with reporting_write_errors(path.parent, "record the new files in this folder"):
        _sync_folder(path.parent)


def _write_all(fd: int, data: Content) -> None:
    for piece in [data] if isinstance(data, bytes) else data:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view):]


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_stream(stream: BinaryIO, data: Content, name: str = "standard output") -> None:
    """Write to an open stream such as standard output, piece by piece; a reader that went away (`| head`)
    ends the output quietly, any other failure (`> /dev/full`) is a WriteError."""
    try:
        for piece in [data] if isinstance(data, bytes) else data:
            stream.write(piece)
        stream.flush()
    except BrokenPipeError:
        with suppress(OSError):  # nothing more can reach the reader; stop Python complaining at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
    except OSError as error:
        raise WriteError.from_os_error(Path(name), "write to it", error) from None


def remove_leftovers(folder: Path, names: list[str]) -> None:
    """Remove the temporary files of writes to these names that a dead process left behind (killed while
    writing); those of a running writer, which holds their lock, stay."""
    for name in names:
        for leftover in folder.glob(f".{name}.*{TEMPORARY_SUFFIX}"):
            _remove_if_abandoned(leftover, lambda path: path.unlink(missing_ok=True))


def _remove_if_abandoned(path: Path, remove: Callable[[Path], None]) -> None:
    """Remove a staging file or folder when no live process holds its lock."""
    with reporting_write_errors(path, "remove this leftover of an earlier run"):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, NotADirectoryError):
            return  # gone meanwhile: its writer put it in place
        except PermissionError:
            return  # another user's, whose lock this process cannot even test: left as it is
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            path.unlink(missing_ok=True)  # a link named like a leftover: no writer of pvkg made it
            return
        try:
            if _try_lock(fd):
                remove(path)
        finally:
            os.close(fd)


PAGE_FOLDERS = ("docs", "report")  # what `pvkg docs` and `pvkg report` write beside the built graph
PAGE_SUFFIXES = {".html", ".svg", ".css"}  # what such a folder of pages holds


def replace_folder(target: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write a folder of pages beside `target` (with `write`, which returns the files it wrote), then swap it
    in: no page of an earlier run stays behind, and a failure leaves the earlier folder as it was. The new
    folder has a name of its own and stays locked until it is in place, so that concurrent runs neither
    remove nor mix each other's pages."""
    check_replaceable(target)
    refuse_inputs(target, whole_folder=True)
    make_folder(target.parent)
    for leftover in sorted(target.parent.glob(f".{target.name}.*")):
        if leftover.name.endswith((NEW_FOLDER_SUFFIX, OLD_FOLDER_SUFFIX)):
            _remove_if_abandoned(leftover, lambda path: shutil.rmtree(path, ignore_errors=True))
    with reporting_write_errors(target, CREATE_FOLDER):
        lock, name = _locked_temporary(target, folder=True)
        fresh = Path(name)
        os.fchmod(lock, 0o777 & ~_umask())  # mkdtemp makes the folder private; pages are for everyone to read
    try:
        written = write(fresh)
        asides = _swap_in(fresh, target)
    except WriteError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        raise error.moved(fresh, target) from None
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    finally:
        os.close(lock)
    for aside in asides:
        shutil.rmtree(aside, ignore_errors=True)
    return [target / path.relative_to(fresh) for path in written]


def _swap_in(fresh: Path, target: Path, tries: int = 5) -> list[Path]:
    """Move `target` (if any) aside and `fresh` into its place; returns the folders moved aside. Another run
    may put its own folder there between the two renames: then that one is moved aside in turn (the last
    run's pages stay). On any other failure the folder moved aside is put back."""
    stem = fresh.name[: -len(NEW_FOLDER_SUFFIX)]
    asides = []
    with reporting_write_errors(target, "replace this folder"):
        for attempt in range(tries):
            aside = fresh.with_name(f"{stem}-{attempt}{OLD_FOLDER_SUFFIX}")
            with suppress(FileNotFoundError):
                target.rename(aside)
                asides.append(aside)
            try:
                fresh.rename(target)
                return asides
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == tries - 1:
                    if asides and asides[-1] == aside:
                        with suppress(OSError):
                            aside.rename(target)
                    raise
    return asides  # pragma: no cover - the loop returns or raises


def check_replaceable(target: Path) -> None:
    """Refuse to replace a folder that holds anything but pages pvkg writes (`--out .`, or `--out docs` in a
    checkout, would otherwise swap away files of someone's own), or that is a file."""
    check_folder(target)
    foreign = sorted(str(f.relative_to(target)) for f in target.rglob("*")
                     if f.is_file() and f.suffix not in PAGE_SUFFIXES) if target.is_dir() else []
    if foreign:
        raise UsageError(f"{target}: holds files pvkg does not write ({', '.join(foreign[:3])}), "
                         "and pvkg replaces this folder whole; choose another --out")


# --- the inputs of the running command, which no write may replace ---------------------------------------


@dataclass(frozen=True)
class _Inputs:
    paths: tuple[Path, ...]
    real: tuple[str, ...]  # each path with its links resolved (a loop of links left as it is)
    identities: frozenset[tuple[int, int]]  # (device, inode) of each: hard links too


_INPUTS: ContextVar[_Inputs | None] = ContextVar("pvkg_inputs", default=None)


@contextmanager
def keeping_inputs(paths: Iterable[Path]) -> Iterator[None]:
    """While the block runs, no write may replace one of these files (nor a folder holding one): the
    study, vocabulary and ontology files a command reads, the built graph it exports..."""
    paths = tuple(paths)
    identities = set()
    for path in paths:
        with suppress(OSError):
            info = path.stat()
            identities.add((info.st_dev, info.st_ino))
    token = _INPUTS.set(_Inputs(paths, tuple(os.path.realpath(p) for p in paths), frozenset(identities)))
    try:
        yield
    finally:
        _INPUTS.reset(token)


def refuse_inputs(target: Path, whole_folder: bool = False) -> None:
    """A UsageError when writing `target` would replace a file the running command reads (the same file,
    through a link or a hard link too) or, for a folder replaced whole, a folder that holds one."""
    inputs = _INPUTS.get()
    if inputs is None:
        return
    real = os.path.realpath(target)
    same = real in inputs.real
    if not same:
        with suppress(OSError):
            info = target.stat()
            same = (info.st_dev, info.st_ino) in inputs.identities
    if same:
        raise UsageError(f"{target}: is a file this command reads; write its output somewhere else")
    if whole_folder:
        inside = next((path for path, path_real in zip(inputs.paths, inputs.real, strict=True)
                       if path_real.startswith(real.rstrip(os.sep) + os.sep)), None)
        if inside is not None:
            raise UsageError(f"{target}: holds {display_path(inside)}, which this command reads; write its output "
                             "somewhere else")

