"""What a build holds, in a researcher's terms, and what changed since the last build into the same folder.

Each build keeps a small record of what it holds (`holdings.json` in its cache folder): for each study, finding,
concept and person, by id, the fields a researcher reads (a finding's statement, status, support...), as text.
It is made from the study files as read, not from the Turtle, so that a build compares itself with the last one
in its folder without parsing the graph it replaces (the one-line tally the build summary ends with);
`pvkg diff` (pvkg/_query/changes.py) compares two builds' records and runs the canned queries on each graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pvkg._build.studies import Concept, Context, Corpus, Design, Finding, Study, Work, display_name
from pvkg._namespaces import slugify

HOLDINGS_FILE = "holdings.jsonl"  # in the build's cache folder (see Record.to_bytes)
RECORD_FORMAT = 1  # a record of another format is no record: the build after an upgrade says so

KINDS = ("study", "finding", "concept", "person")
PLURALS = {"study": "studies", "finding": "findings", "concept": "concepts", "person": "persons"}

Fields = dict[str, str]  # field name -> its value as text
Holdings = dict[str, dict[str, Fields]]  # kind -> id -> fields


# ------------------------------------------------------------------------------------------------------
# What a build holds
# ------------------------------------------------------------------------------------------------------


def _put(fields: Fields, name: str, value: object) -> None:
    """Set a field unless it is empty; a list is joined, a text in several languages is one field a
    language ('statement' for English, 'statement (fa)' for Persian)."""
    if isinstance(value, dict):
        for lang in sorted(value):
            _put(fields, name if lang == "en" else f"{name} ({lang})", value[lang])
    elif isinstance(value, list):
        _put(fields, name, ", ".join(str(v) for v in value))
    elif value is not None and value != "" and value is not False:
        fields[name] = "yes" if value is True else str(value)


def _work_fields(work: Work) -> Fields:
    fields: Fields = {}
    _put(fields, "title", work.title)
    _put(fields, "authors", "; ".join(work.authors))
    for name, value in (("author note", work.author_note), ("year", work.year), ("type", work.type),
                        ("venue", work.venue), ("volume", work.volume), ("issue", work.issue),
                        ("pages", work.pages), ("article number", work.article_number), ("DOI", work.doi),
                        ("URL", work.url), ("language", work.language)):
        _put(fields, name, value)
    return fields


def _design_fields(fields: Fields, prefix: str, design: Design | None) -> None:
    if design is not None:
        _put(fields, f"{prefix}methods", design.methods)
        _put(fields, f"{prefix}design", design.statement)
        _put(fields, f"{prefix}quality threshold", design.quality_threshold)


def _context_fields(fields: Fields, prefix: str, context: Context | None) -> None:
    if context is not None:
        for name, value in (("countries", context.countries), ("cities", context.cities),
                            ("region", context.region), ("number of cities", context.city_count),
                            ("population", context.population), ("setting", context.setting),
                            ("channels", context.channels)):
            _put(fields, prefix + name, value)
        if context.sample is not None:
            unit = context.sample.unit.get("en") or next(iter(context.sample.unit.values()), "")
            _put(fields, prefix + "sample", f"{context.sample.size} {unit}".strip())


def study_fields(study: Study) -> Fields:
    """A study's bibliographic record, research questions, design, context and cited works; its findings are
    held on their own."""
    fields = _work_fields(study.record)
    _put(fields, "source", study.source_file)
    _put(fields, "known from", study.known_from)
    _put(fields, "revision of", study.revision_of)
    for question in study.research_questions:
        _put(fields, f"research question {question.id}", question.statement)
    _design_fields(fields, "", study.design)
    _context_fields(fields, "", study.context)
    for cited in study.cites:
        prefix = f"cited work {cited.id}: "
        _put(fields, f"cited work {cited.id}", cited.cited_as)
        _put(fields, prefix + "identified as", cited.identified_as)
        _put(fields, prefix + "correction", cited.correction)
        _design_fields(fields, prefix, cited.design)
        _context_fields(fields, prefix, cited.context)
    return fields


def finding_fields(finding: Finding) -> Fields:
    fields: Fields = {}
    for name, value in (("kind", finding.kind), ("study", finding.study), ("locator", finding.locator),
                        ("statement", finding.statement), ("about", finding.about),
                        ("link from", finding.link_from), ("link to", finding.link_to),
                        ("direction", finding.direction), ("level", finding.level), ("cited work", finding.work),
                        ("support", finding.support), ("status", finding.status), ("strength", finding.strength),
                        ("inference", finding.inference), ("note", finding.note)):
        _put(fields, name, value)
    return fields


def concept_fields(concept: Concept) -> Fields:
    fields: Fields = {}
    _put(fields, "scheme", concept.id.partition(":")[0])
    _put(fields, "type", concept.type)
    _put(fields, "label", concept.label)
    for lang in sorted(concept.alt_labels):
        _put(fields, "other labels" if lang == "en" else f"other labels ({lang})", concept.alt_labels[lang])
    _put(fields, "definition", concept.definition)
    _put(fields, "broader", concept.broader)
    _put(fields, "broader placed by the editors", concept.placed_by_editors)
    _put(fields, "note", concept.note)
    _put(fields, "steps", concept.step_count)
    _put(fields, "named by", concept.source_study)
    return fields


def _by_file(corpus: Corpus) -> dict[str, tuple[list[Study], list[Concept]]]:
    """The studies and concepts each input file declares (a study's findings are in its file)."""
    files: dict[str, tuple[list[Study], list[Concept]]] = {}
    for study in corpus.studies:
        files.setdefault(study.record.where.file, ([], []))[0].append(study)
    for concept in corpus.concepts:
        files.setdefault(concept.where.file, ([], []))[1].append(concept)
    return files


def file_holdings(studies: list[Study], concepts: list[Concept]) -> Holdings:
    """What one file holds, by kind and id (persons are held across files: see persons)."""
    return {"study": {s.id: study_fields(s) for s in studies},
            "finding": {f.id: finding_fields(f) for s in studies for f in s.findings},
            "concept": {c.id: concept_fields(c) for c in concepts}}


def persons(corpus: Corpus) -> dict[str, Fields]:
    """Every author named, by the id of the person the graph makes of them (pvkg._namespaces.person_iri)."""
    names = {name for work in [*(s.record for s in corpus.studies), *corpus.works] for name in work.named_authors}
    found: dict[str, Fields] = {}
    for name in sorted(names):  # two spellings of one id are refused by the reader; sorted, should one pass
        found.setdefault(slugify(name), {"name": display_name(name)})
    return found


@dataclass
class Record:
    """What a build holds, as it keeps it: for each input file, the SHA-256 of its bytes and what it holds
    (JSON bytes, parsed only for the files compared); the persons; the pvkg code that read the files (another
    may read the same bytes otherwise); the graph file's SHA-256."""

    code: str
    files: dict[str, list]  # file -> [SHA-256 of its bytes, its file_holdings as JSON bytes]
    persons: dict[str, Fields]
    graph_sha256: str = ""

    def holdings(self, files: Iterable[str] | None = None) -> Holdings:
        """What the build holds (only what `files` hold, with every person, when they are given)."""
        held: Holdings = {kind: {} for kind in KINDS}
        for file in self.files if files is None else files:
            if file in self.files:
                for kind, things in json.loads(self.files[file][1]).items():
                    held[kind].update(things)
        held["person"] = self.persons
        return held

    def to_bytes(self) -> bytes:
        """A line of JSON with everything but the files, then a line per file: JSON [file, SHA-256], a tab,
        what it holds (JSON on one line: no tab or line break is left unescaped in either). What files hold is
        kept as the bytes read, never decoded unless compared: at 1M triples it is some 40 MB."""
        head = json.dumps({"format": RECORD_FORMAT, "code": self.code, "graph-sha256": self.graph_sha256,
                           "persons": self.persons}, ensure_ascii=False, sort_keys=True).encode("utf-8")
        pieces = [head, b"\n"]
        for file, (digest, held) in self.files.items():
            pieces += [json.dumps([file, digest], ensure_ascii=False).encode("utf-8"), b"\t", held, b"\n"]
        return b"".join(pieces)

    @classmethod
    def from_bytes(cls, data: bytes) -> Record | None:
        """A record as to_bytes wrote it; None when it is not one of this format. Raises ValueError for a
        damaged one."""
        end = data.index(b"\n")
        stored = json.loads(data[:end])
        if stored["format"] != RECORD_FORMAT:
            return None
        files = {}
        start = end + 1
        while start < len(data):
            tab, end = data.index(b"\t", start), data.index(b"\n", start)
            if not (tab < end and data[tab + 1:tab + 2] == b"{" and data[end - 1:end] == b"}"):
                raise ValueError("not a line of a record")
            file, digest = json.loads(data[start:tab])
            files[file] = [digest, data[tab + 1:end]]
            start = end + 1
        return cls(stored["code"], files, stored["persons"], stored["graph-sha256"])


def record_of(corpus: Corpus, code: str, previous: Record | None) -> Record:
    """The record of a corpus read by pvkg code `code`: what a file holds is taken from `previous` where the
    file's bytes and the code are the same, else made."""
    reusable = previous.files if previous is not None and previous.code == code else {}
    files = {}
    for file, (studies, concepts) in sorted(_by_file(corpus).items()):
        digest = corpus.digests.get(file, "")
        kept = reusable.get(file)
        files[file] = kept if kept is not None and digest and kept[0] == digest else \
            [digest, json.dumps(file_holdings(studies, concepts), ensure_ascii=False, sort_keys=True).encode("utf-8")]
    return Record(code, files, persons(corpus))


def changes_since(previous: Record, current: Record) -> HoldingChanges:
    """What changed from one record to the next, reading only the files whose holdings differ."""
    files = [f for f in previous.files.keys() | current.files.keys()
             if not _same(previous.files.get(f), current.files.get(f))]
    return compare_holdings(previous.holdings(files), current.holdings(files))


def _same(before: list | None, after: list | None) -> bool:
    """Whether a file holds the same in two records: an entry record_of took over is the very same object, so
    that a rebuild compares no bytes of the files that did not change."""
    return before is after or (before is not None and after is not None and before[1] == after[1])


def read_record(cache_dir: Path) -> Record | None:
    """The record a build left in `cache_dir`; None when there is none, or one this pvkg cannot read."""
    try:
        return Record.from_bytes((cache_dir / HOLDINGS_FILE).read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------------------------------------
# Comparing two records
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str | None  # None: the field was not there
    new: str | None


@dataclass
class Item:
    """A study, finding, concept or person: its id, a label for it, and (for a changed one) what changed."""
    kind: str
    id: str
    label: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class HoldingChanges:
    added: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)

    def count(self, kind: str, how: str) -> int:
        return sum(1 for item in getattr(self, how) if item.kind == kind)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def label_of(kind: str, id: str, fields: Fields) -> str:
    """What a researcher knows the thing by, besides its id."""
    if kind == "study":
        return fields.get("title") or next((v for k, v in fields.items() if k.startswith("title")), "")
    if kind == "concept":
        return fields.get("label") or next((v for k, v in fields.items() if k.startswith("label")), "")
    if kind == "person":
        return fields.get("name", "")
    return fields.get("statement") or next((v for k, v in fields.items() if k.startswith("statement")), "")


def compare_holdings(old: Holdings, new: Holdings) -> HoldingChanges:
    """Added, removed and changed things, by kind (in KINDS' order), then id."""
    result = HoldingChanges()
    for kind in KINDS:
        before, after = old.get(kind, {}), new.get(kind, {})
        for id in sorted(before.keys() | after.keys()):
            if id not in before:
                result.added.append(Item(kind, id, label_of(kind, id, after[id])))
            elif id not in after:
                result.removed.append(Item(kind, id, label_of(kind, id, before[id])))
            elif before[id] != after[id]:
                names = sorted(before[id].keys() | after[id].keys())
                result.changed.append(Item(kind, id, label_of(kind, id, after[id]), [
                    FieldChange(n, before[id].get(n), after[id].get(n)) for n in names
                    if before[id].get(n) != after[id].get(n)]))
    return result


def tally(changes: HoldingChanges) -> str:
    """The changes counted in one line: '1 study added, 3 findings changed'."""
    parts = []
    for kind in KINDS:
        counts = [(changes.count(kind, how), how) for how in ("added", "removed", "changed")]
        counts = [f"{count} {how}" for count, how in counts if count]
        if counts:
            parts.append(f"{PLURALS[kind]} {', '.join(counts)}")
    return "; ".join(parts) if parts else "no study, finding, concept or person changed"


def since_last_build(changes: HoldingChanges | None, first_in_folder: bool) -> str:
    """The build summary's last row: this build against the last one in its folder."""
    if changes is not None:
        return tally(changes)
    if first_in_folder:
        return "none: the first build in this folder"
    return "not known: the last build left no record of what it held (the next build will tell)"
