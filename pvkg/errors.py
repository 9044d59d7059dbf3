"""The errors a user can cause. The CLI catches only PvkgError and prints its lines, never a traceback."""

from __future__ import annotations

import errno
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where it is, what it concerns, what is wrong and what to do."""

    file: str
    line: int | None
    subject: str | None  # e.g. "finding smsf-02"; None when the problem is about the file as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = f" {self.subject}:" if self.subject else ""
        return f"{where}:{subject} {self.message}"


class PvkgError(Exception):
    """Base of every error pvkg reports to its user. `lines()` gives what to print, one line each."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


class InputError(PvkgError):
    """Study or vocabulary files that cannot become a valid graph; carries one Problem per defect."""

    def __init__(self, problems: list[Problem], files: list[str] | None = None):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.subject or "", p.message))
        bad = {p.file for p in self.problems}
        self.fine_files = [f for f in files or [] if f not in bad]  # the input files with no problem
        super().__init__(f"{len(self.problems)} problem(s) in the input")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class ValidationError(InputError):
    """The graph built from the input does not conform to the SHACL shapes."""


class QualityError(PvkgError):
    """The ontology or the data fails the quality checks (queries/qc/*-violation.rq); carries one
    pvkg.quality.QualityProblem per row a check returned."""

    def __init__(self, problems: list):
        self.problems = sorted(problems, key=str)
        super().__init__(f"{len(self.problems)} quality problem(s) in the ontology or the data")

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class InconsistencyError(PvkgError):
    """The reasoner found the ontology and data inconsistent, or some classes unsatisfiable. With `files`,
    one line per file whose data clashes with the ontology."""

    def __init__(self, message: str, unsatisfiable: list[str] | None = None, files: list[str] | None = None):
        self.unsatisfiable = unsatisfiable or []
        self.files = files or []
        super().__init__(message)

    def lines(self) -> list[str]:
        return [f"{file}: {self}" for file in self.files] if self.files else [str(self)]


class ReasonerError(PvkgError):
    """The reasoner could not run (for example, no Java)."""

    exit_code = 2


class UsageError(PvkgError):
    """A command was called with arguments that cannot work (a folder that does not exist...)."""

    exit_code = 2


_ESCAPED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15): characters that show
# nothing by themselves (zero-width spaces and joiners, bidi controls, variation selectors, Hangul fillers,
# tag characters...). Python's unicodedata does not expose the property.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]")
# What must not reach a terminal raw: controls (a line break forges a line of its own), surrogates (an
# undecodable byte of a file name), line and paragraph separators, format characters (bidi controls: U+202E
# turns the rest of a line around) and the other invisible ones (two names that differ only by one look the
# same). U+200C and U+200D (ZWNJ, ZWJ) stay: Persian words and emoji need them, and they move nothing.
_UNPRINTABLE_CATEGORIES = {"Cc", "Cs", "Zl", "Zp", "Cf"}
_KEPT = {"\u200c", "\u200d"}


def _escape(char: str) -> str:
    code = ord(char)
    return _ESCAPED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                                  else f"\\U{code:08x}")


def _shows_raw(char: str) -> bool:
    return char in _KEPT or not (unicodedata.category(char) in _UNPRINTABLE_CATEGORIES or INVISIBLE.match(char))


def printable(text: str) -> str:
    """Text as one line a terminal shows as it is: every control, separator, format or other invisible
    character (bidi controls included) written as an escape (\\n, \\u202e, \\ufe0f...). Every line pvkg prints
    about a file or a user's text goes through here, so one problem is always one printed line."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if _shows_raw(c) else _escape(c) for c in text)


class WriteError(PvkgError):
    """A file or folder pvkg writes could not be written: a full disk, a read-only file system, a path that
    is a file where a folder is needed... Made from the OSError in one place, pvkg._files, the writing layer."""

    def __init__(self, path: Path, what: str, advice: str, exit_code: int):
        self.path, self.what, self.advice = path, what, advice
        self.exit_code = exit_code
        super().__init__(f"{path}: {what}; {advice}")  # the path as the user gave it

    def moved(self, staging: Path, target: Path) -> WriteError:
        """The same error about the place a file written under `staging` was going to (a folder of pages is
        written under a temporary name, then renamed to `target`)."""
        if not self.path.is_relative_to(staging):
            return self
        return WriteError(target / self.path.relative_to(staging), self.what, self.advice, self.exit_code)

    @classmethod
    def not_a_folder(cls, path: Path) -> WriteError:
        return cls(path, "is a file, not a folder", "give a folder, or a name that does not exist yet", 2)

    @classmethod
    def from_os_error(cls, path: Path, action: str, error: OSError) -> WriteError:
        """The error of `action` ('write this file', 'create this folder'...) on `path`, in plain words."""
        code = error.errno
        if code in (errno.EEXIST, errno.ENOTDIR) and action == CREATE_FOLDER:
            return cls.not_a_folder(file_in_the_way(path) or path)
        if code == errno.EISDIR:
            return cls(path, "is a folder, not a file", "give a file name", 2)
        reason, advice = _REASONS.get(code, (None, None))
        reason = reason or (error.strerror or str(error)).lower()
        advice = advice or "write somewhere else"
        exit_code = 1 if code in _NOT_THE_PATHS_FAULT else 2
        return cls(path, f"cannot {action}: {reason}", advice, exit_code)


CREATE_FOLDER = "create this folder"
_REASONS = {
    errno.ENOSPC: ("no space left on the device", "free some space there, or write somewhere else"),
    errno.EDQUOT: ("your disk quota is used up", "free some space there, or write somewhere else"),
    errno.EFBIG: ("the file is too large for that file system", "write somewhere else"),
    errno.EIO: ("an input/output error (a failing disk or a lost network drive?)", "check the disk, or write "
                "somewhere else"),
    errno.EROFS: ("read-only file system", "write on a writable file system"),
    errno.EACCES: ("permission denied", "make it writable for you, or write somewhere else"),
    errno.EPERM: ("the operation is not permitted there", "write somewhere else"),
    errno.ENOENT: ("the file system does not let files be made there (as in /proc or /sys)", "write "
                   "somewhere else"),
    errno.ENAMETOOLONG: ("the name is too long", "give a shorter name"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "give a path whose folders are folders"),
}
# Failures of the machine rather than of the path given: exit 1, like bad input; the others are usage (2)
_NOT_THE_PATHS_FAULT = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def file_in_the_way(folder: Path) -> Path | None:
    """The file that stands where `folder`, or a folder on the way to it, should be; None when none does."""
    return next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when it lies below it."""
    try:  # realpath, not resolve(): a loop of links is left as it is rather than raised
        return str(Path(os.path.realpath(path)).relative_to(os.path.realpath(Path.cwd())))
    except ValueError:
        return str(path)
