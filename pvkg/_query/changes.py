"""What changed between two builds, in a researcher's terms: the records of what each holds compared (see
pvkg/_build/holdings.py), and the canned queries whose answers changed; as text, Markdown or JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pvkg._build.holdings import HOLDINGS_FILE, HoldingChanges, Item, Record, read_record, tally
from pvkg._sparql.queries import CannedQuery, load_queries, run_query
from pvkg._sparql.results import _readable
from pvkg._sparql.stores import Store
from pvkg.errors import PvkgError, UsageError, display_path, printable

# ------------------------------------------------------------------------------------------------------
# The canned queries' answers
# ------------------------------------------------------------------------------------------------------


@dataclass
class AnswerChange:
    query: str
    title: str
    columns: list[str]
    added: list[list[str]]  # rows, each a list of cell texts (empty for an unbound cell)
    removed: list[list[str]]


def runnable_queries() -> list[CannedQuery]:
    """The canned queries that run without a parameter given (every parameter has a default)."""
    return [q for q in load_queries().values() if all(p.default is not None for p in q.parameters)]


def _rows(store: Store, query: CannedQuery) -> tuple[list[str], Counter]:
    result = run_query(store, query)
    return result.columns, Counter(tuple(_readable(term) for term in row) for row in result.rows)


def compare_answers(old: Store, new: Store, queries: list[CannedQuery]) -> list[AnswerChange]:
    """The queries whose rows differ between the two stores, each with the rows only one of them gives (a row
    given twice in one and once in the other counts once)."""
    changed = []
    for query in queries:
        columns, before = _rows(old, query)
        _, after = _rows(new, query)
        added, removed = after - before, before - after
        if added or removed:
            changed.append(AnswerChange(query.name, query.title, columns, [list(r) for r in sorted(added.elements())],
                                        [list(r) for r in sorted(removed.elements())]))
    return changed


# ------------------------------------------------------------------------------------------------------
# A whole diff
# ------------------------------------------------------------------------------------------------------


@dataclass
class Diff:
    old: str  # what was compared, as the user named it
    new: str
    holdings: HoldingChanges
    answers: list[AnswerChange]
    queries: list[str]  # the canned queries compared
    not_compared: list[str]  # those that need a parameter

    @property
    def empty(self) -> bool:
        return self.holdings.empty and not self.answers


class NoBuildError(PvkgError):
    """A folder given to compare that holds no build pvkg can compare."""


def graph_sha256(path: Path) -> str:
    with open(path, "rb") as graph:
        return hashlib.file_digest(graph, "sha256").hexdigest()


def read_build_record(folder: Path, graph_file: str, cache_dir: str, name: str) -> Record:
    """The record of the build in `folder`, checked against the graph beside it; `name` is how the user gave
    the folder (OLD or NEW), for the message."""
    graph = folder / graph_file
    shown = display_path(folder)
    if not graph.is_file():
        raise UsageError(f"{shown}: no {graph_file} in this folder; give {name} as a folder `pvkg build --out` "
                         f"wrote, a folder of study files, or a git revision (git:REV)")
    record = read_record(folder / cache_dir)
    if record is None:
        raise NoBuildError(f"{shown}: no record of what this build holds ({cache_dir}/{HOLDINGS_FILE}; an older "
                           f"pvkg's build); build it again with `pvkg build --out {shown}`")
    if record.graph_sha256 != graph_sha256(graph):
        raise NoBuildError(f"{display_path(graph)}: changed since the build that recorded what it holds; build it "
                           f"again with `pvkg build --out {shown}`")
    return record


# ------------------------------------------------------------------------------------------------------
# Showing a diff
# ------------------------------------------------------------------------------------------------------

DIFF_FORMATS = ("text", "json", "md")
SHOWN_ROWS = 5  # rows added or removed shown per query in text and Markdown; JSON has them all


def diff_json(diff: Diff) -> str:
    def items(found: list[Item]) -> list[dict]:
        return [{"kind": i.kind, "id": i.id, "label": i.label,
                 **({"changes": [c.__dict__ for c in i.changes]} if i.changes else {})} for i in found]

    document = {"old": diff.old, "new": diff.new, "added": items(diff.holdings.added),
                "removed": items(diff.holdings.removed), "changed": items(diff.holdings.changed),
                "answers": [a.__dict__ for a in diff.answers], "queries_compared": diff.queries,
                "queries_needing_a_parameter": diff.not_compared}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _quoted(value: str | None) -> str:
    """A field's value in quotes, on one line (a line break as \\n), with controls and bidi overrides escaped."""
    return "(none)" if value is None else printable(json.dumps(value, ensure_ascii=False))


def _item_lines(sign: str, item: Item, bullet: str) -> list[str]:
    lines = [f"{bullet}{sign} {item.kind} {item.id}" + (f": {printable(item.label)}" if item.label else "")]
    for change in item.changes:
        lines.append(f"    {bullet}{change.name}: {_quoted(change.old)} -> {_quoted(change.new)}")
    return lines


def _answer_lines(answer: AnswerChange, bullet: str) -> list[str]:
    lines = [f"{bullet}{answer.query} ({answer.title}): {len(answer.added)} row(s) added, "
             f"{len(answer.removed)} removed", f"    {bullet}columns: {' | '.join(answer.columns)}"]
    for sign, rows in (("+", answer.added), ("-", answer.removed)):
        for row in rows[:SHOWN_ROWS]:
            lines.append((f"    {bullet}{sign} " + " | ".join(printable(cell) for cell in row)).rstrip())
        if len(rows) > SHOWN_ROWS:
            lines.append(f"    {bullet}{sign} ... {len(rows) - SHOWN_ROWS} more (--format json lists them all)")
    return lines


def diff_text(diff: Diff, markdown: bool = False) -> str:
    """The diff as a researcher reads it; with `markdown`, headings and lists."""
    bullet = "- " if markdown else ""
    heading = "## " if markdown else ""
    lines = [f"{'# ' if markdown else ''}pvkg diff {diff.old} {diff.new}", "",
             f"{heading}Since {diff.old}: {tally(diff.holdings)}"]
    for how, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
        for item in getattr(diff.holdings, how):
            lines.extend(_item_lines(sign, item, bullet))
    lines += ["", f"{heading}Canned queries: {len(diff.answers)} of {len(diff.queries)} answers changed"]
    for answer in diff.answers:
        lines.extend(_answer_lines(answer, bullet))
    if diff.not_compared:
        lines.append(f"(not compared, as they need a parameter: {', '.join(diff.not_compared)})")
    return "\n".join(lines) + "\n"


def render_diff(diff: Diff, fmt: str) -> str:
    if fmt == "json":
        return diff_json(diff)
    return diff_text(diff, markdown=fmt == "md")
