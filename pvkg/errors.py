"""The errors a user can cause. The CLI catches only PvkgError and prints its lines, never a traceback."""

from __future__ import annotations

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
    """The reasoner found the ontology and data inconsistent, or some classes unsatisfiable."""

    def __init__(self, message: str, unsatisfiable: list[str] | None = None):
        self.unsatisfiable = unsatisfiable or []
        super().__init__(message)


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


def display_path(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
