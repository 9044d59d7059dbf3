"""Words every stage uses: language tags as study files and queries take them, and "did you mean" for a word
that is almost one of its candidates."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

# A BCP 47 tag as study files use them: a lower-case language, then an optional script (Arab), region (IR,
# 419) and variants; no extensions or private use. The quality check (queries/qc/language-tag) agrees.
LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
                      r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$")


def nearest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `word`, nearest first."""
    return difflib.get_close_matches(word, sorted(set(candidates)), n=n, cutoff=0.6)


def suggestion(near: list[str]) -> str:
    """'; did you mean 'a' or 'b'?', or nothing when there is nothing near."""
    return f"; did you mean {' or '.join(repr(c) for c in near)}?" if near else ""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    return suggestion(nearest(word, candidates))
