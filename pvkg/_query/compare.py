"""Comparison of studies, ORKG-style: one column per study, one row per property (its record: year, country,
methods, sample, research questions...; and what it found: values, characteristics, factors with their
directions, links), each finding with how it is supported, as encoded.

The data come from the graph through the SPARQL files of queries/compare/ (the `#+` header of the canned
queries, in a subfolder, so that they are never listed or served as canned queries): `studies.rq` lists the
studies and their ids, `record.rq` and `findings.rq` describe one study each. They run on any store, the
embedded one the server's workers use included; this module only lays their rows out.

A column holds the findings its study reports and the second-hand findings other studies report about it.
A second-hand finding therefore shows in two columns when both studies are compared: under the study that
reports it ("this study's account of ...") and under the study it is about ("as ... reports it"), with its one
finding id in both, so that it reads as one claim and never as two studies agreeing.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import Literal
from rdflib.term import Node

from pvkg import _resources as resources
from pvkg._sparql.queries import CannedQuery, QueryResult, canned_text, parse_query_file
from pvkg._sparql.stores import Store
from pvkg._text import nearest, suggestion
from pvkg.errors import PvkgError

QUERY_FOLDER = "compare"  # under queries/
SEPARATOR = "; "  # between the values of one cell, in text, CSV and JSON

Rows = tuple[list[str], list[tuple[Node | None, ...]]]
Record = dict[str, str]  # a row of an answer by column, unbound columns left out


class UnknownStudyError(PvkgError):
    """A study id the graph does not hold: bad input (exit code 1; 404 over HTTP). Each line names one id and
    the nearest ids the graph holds."""

    exit_code = 1

    def __init__(self, unknown: list[str], known: Iterable[str]):
        known = sorted(known)
        self.suggestions = {study: nearest(study, known) for study in unknown}
        self._lines = [f"no study in the graph has the id {study!r}{suggestion(near)}"
                       + ("" if near else "; `pvkg compare` without ids lists the studies")
                       for study, near in self.suggestions.items()]
        super().__init__(self._lines[0])

    def lines(self) -> list[str]:
        return self._lines


@dataclass(frozen=True)
class StudyColumn:
    id: str  # as in its study file
    label: str  # its author-year label


@dataclass(frozen=True)
class Entry:
    """One value of a cell. For a finding: what it says (`text`), its id, and how it is supported (`support`:
    support, status and strength, with the inference where the source gives one) and, for a second-hand
    finding, whose account it is (`provenance`)."""

    text: str
    finding: str | None = None
    support: str = ""
    provenance: str = ""

    def __str__(self) -> str:
        if self.finding is None:
            return self.text
        # not '; ', which separates the values of a cell
        provenance = f" — {self.provenance}" if self.provenance else ""
        return f"{self.text} ({self.finding}: {self.support}{provenance})"


@dataclass(frozen=True)
class ComparedProperty:
    name: str
    cells: tuple[tuple[Entry, ...], ...]  # one per study, in the order of the columns


@dataclass(frozen=True)
class Comparison:
    studies: tuple[StudyColumn, ...]
    properties: tuple[ComparedProperty, ...]

    def table(self) -> QueryResult:
        """The comparison as an answer table: a column `property`, then one per study, named by its id; a cell's
        values joined by '; ' (empty where the study has none), so that pvkg's result formats print it."""
        rows = [(Literal(p.name), *(Literal(SEPARATOR.join(map(str, cell))) if cell else None for cell in p.cells))
                for p in self.properties]
        return QueryResult(["property", *(s.id for s in self.studies)], rows)


@functools.cache
def _query(name: str) -> CannedQuery:
    return parse_query_file(resources.data_dir("queries") / QUERY_FOLDER / f"{name}.rq")


def listing_text(lang: str) -> str:
    """The SPARQL that lists the studies (id, label)."""
    return canned_text(_query("studies"), {"lang": lang})


def study_queries(studies: list[StudyColumn], lang: str) -> dict[tuple[str, str], str]:
    """The SPARQL a comparison of the studies needs, by (study id, "record" or "findings"): each study's record
    and its findings. The CLI runs them one after the other, the server on its query workers at once."""
    return {(study.id, name): canned_text(_query(name), {"study": study.id, "lang": lang})
            for study in studies for name in ("record", "findings")}


def _records(rows: Rows) -> list[Record]:
    columns, values = rows
    return [{c: str(v) for c, v in zip(columns, row, strict=True) if v is not None} for row in values]


def study_list(rows: Rows) -> list[StudyColumn]:
    """The studies of an answer of studies.rq, in its order (by label, then id)."""
    return [StudyColumn(r["id"], r.get("label", r["id"])) for r in _records(rows)]


def chosen_studies(ids: Iterable[str], studies: list[StudyColumn]) -> list[StudyColumn]:
    """The studies of the given ids, in the order given, each once; UnknownStudyError for ids the graph does not
    hold."""
    by_id = {s.id: s for s in studies}
    ids = list(dict.fromkeys(ids))
    unknown = [study for study in ids if study not in by_id]
    if unknown:
        raise UnknownStudyError(unknown, by_id)
    return [by_id[study] for study in ids]


# -- laying the rows out -------------------------------------------------------------------------------------------

# The properties of the record, in their order: (row name, the record's properties it shows)
RECORD_PROPERTIES = (
    ("study", ("label",)), ("year", ("year",)), ("known only from", ("known-from",)), ("country", ("country",)),
    ("region", ("region",)), ("cities", ("city", "city-count")), ("population", ("population",)),
    ("setting", ("setting",)), ("channels", ("channel",)), ("methods", ("method",)), ("sample", ("sample",)),
    ("research questions", ("research-question",)),
)


def _record_entries(records: list[Record], shown: tuple[str, ...]) -> tuple[Entry, ...]:
    """The values of the record's properties `shown`: research questions in the order of their ids, others in
    the order of their text, a city count ("4 cities") after the cities' names."""
    chosen = [r for r in records if r["property"] in shown]
    if "research-question" in shown:
        chosen.sort(key=lambda r: (_natural(r.get("key", "")), r["value"]))
    else:
        chosen.sort(key=lambda r: (r["property"] == "city-count", r["value"].casefold(), r["value"]))
    return tuple(dict.fromkeys(Entry(_city_count(r["value"]) if r["property"] == "city-count" else r["value"])
                               for r in chosen))


def _natural(key: str) -> tuple:
    """A key to sort ids by with their numbers as numbers (rq2 before rq10)."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))


def _city_count(count: str) -> str:
    return f"{count} {'city' if count == '1' else 'cities'}"


def _support(r: Record) -> tuple[str, str]:
    """How a finding is supported, and whose account a second-hand one is, as its column shows them."""
    support = ", ".join(r[c] for c in ("support", "status", "strength", "inference") if c in r)
    if "reported_by" in r:
        return support, f"as {r['reported_by']} reports it"
    if "work" in r:
        return support, f"this study's account of {r['work']}"
    return support, ""


def _about(r: Record) -> str:
    """What a finding says of one concept it is about."""
    kind = r["concept_kind"]
    if kind == "value":
        return r["concept"] + (f", {r['level']} level" if "level" in r else "")
    if kind == "factor":
        text = r["concept"] + (" (a category of factors)" if r.get("category_itself") == "yes" else "")
        if "category" in r:
            text += f", under {r['category']}"
            text += " (placed there by the pvkg editors)" if r.get("placement") == "pvkg editors" else ""
        return text + (f": {r['direction']}" if "direction" in r else "")
    if kind in ("channel", "construct"):
        return f"{r['concept']}, a {kind}"
    return r["concept"]


def _links(records: list[Record]) -> list[Entry]:
    """One entry per link finding: the concepts it leads from, those it leads to, its direction."""
    ends: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"from": set(), "to": set()})
    first: dict[str, Record] = {}
    for r in records:
        if r["role"] in ("from", "to"):
            ends[r["finding"]][r["role"]].add(r["concept"])
            first.setdefault(r["finding"], r)
    entries = []
    for finding, sides in ends.items():
        r = first[finding]
        text = " → ".join(", ".join(sorted(sides[side], key=lambda c: (c.casefold(), c))) for side in ("from", "to"))
        entries.append(Entry(text + (f": {r['direction']}" if "direction" in r else ""), finding, *_support(r)))
    return entries


def _about_entries(kinds: tuple[str, ...]) -> Callable[[list[Record]], list[Entry]]:
    def entries(records: list[Record]) -> list[Entry]:
        return [Entry(_about(r), r["finding"], *_support(r))
                for r in records if r["role"] == "about" and r["concept_kind"] in kinds]

    return entries


# The properties of what a study found, in their order: (row name, the entries of a study's finding rows)
FINDING_PROPERTIES: tuple[tuple[str, Callable[[list[Record]], list[Entry]]], ...] = (
    ("values found", _about_entries(("value",))),
    ("characteristics found", _about_entries(("characteristic",))),
    ("factors and directions", _about_entries(("factor",))),
    ("links and directions", _links),
    ("channels and constructs found", _about_entries(("channel", "construct"))),
)


def _ordered(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    return tuple(sorted(set(entries), key=lambda e: (e.text.casefold(), e.text, e.finding or "", str(e))))


def comparison(studies: list[StudyColumn], answers: dict[tuple[str, str], Rows]) -> Comparison:
    """The comparison of the studies from the answers to study_queries. A row is left out when no study has a
    value for it, but for the row naming the studies."""
    record_of = {s.id: _records(answers[s.id, "record"]) for s in studies}
    findings_of = {s.id: _records(answers[s.id, "findings"]) for s in studies}
    properties = [ComparedProperty(name, tuple(_record_entries(record_of[s.id], shown) for s in studies))
                  for name, shown in RECORD_PROPERTIES]
    properties += [ComparedProperty(name, tuple(_ordered(entries(findings_of[s.id])) for s in studies))
                   for name, entries in FINDING_PROPERTIES]
    return Comparison(tuple(studies), tuple(p for p in properties if p.name == "study" or any(p.cells)))


def compare(store: Store, ids: Iterable[str], lang: str = "en") -> Comparison:
    """Compare the studies of the given ids (as in their study files) on a store; UnknownStudyError for an id the
    graph does not hold, naming the nearest."""
    studies = chosen_studies(ids, study_list(store.select(listing_text(lang))))
    return comparison(studies, {key: store.select(text) for key, text in study_queries(studies, lang).items()})


def studies_table(store: Store, lang: str = "en") -> QueryResult:
    """The studies a comparison can show: id and label."""
    studies = study_list(store.select(listing_text(lang)))
    return QueryResult(["id", "study"], [(Literal(s.id), Literal(s.label)) for s in studies])
