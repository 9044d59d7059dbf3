"""Stage 1: study and vocabulary files -> a checked Corpus.

Reads the YAML files (with line numbers), checks their shape field by field, and then checks the corpus as
a whole: ids unique across files, every concept, work and cited work referred to is declared. Every defect
becomes a Problem naming the file, the line and the item; all of them are collected and raised together
as one InputError, so a user fixes a file in one pass. The format is documented in docs/encoding.md.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvkg import _resources as resources
from pvkg._build.studyformat import (
    CHOICE,
    CITED_WORK,
    CITY,
    CONCEPT,
    CONCEPT_IDS,
    CONTEXT,
    COUNTRY,
    DESIGN,
    FINDING,
    FRACTION,
    INTEGER,
    KIND_FIELDS,
    KIND_SPECIFIC,
    LANG_TEXT,
    MAPPING,
    MAPPINGS,
    RESEARCH_QUESTION,
    SAMPLE,
    SLUG,
    STUDY,
    TEXT,
    TEXT_LIST,
    VOCABULARY,
    WORK,
    Section,
)
from pvkg.errors import INVISIBLE, InputError, Problem, UsageError, display_path
from pvkg._namespaces import CONCEPT_PREFIXES, SLUG_PATTERN, person_iri, venue_iri
from pvkg._text import LANG_TAG, did_you_mean
from pvkg._yamlfile import LineList, LineMap, MarkedYAMLError, RefusedError, YAMLError
from pvkg._yamlfile import load as load_yaml

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")  # becomes an IRI: no space, nothing an IRI cannot hold
CONCEPT_ID = re.compile(r"^([a-z]+):([a-z0-9]+(?:-[a-z0-9]+)*)$")
COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")
ET_AL = "et al."  # as the last of `authors`: further authors that the source does not name
MAX_FILE_BYTES = 1_000_000  # a study file is a few KB; a bigger file is refused unread, whatever it holds


# ------------------------------------------------------------------------------------------------------
# The corpus
# ------------------------------------------------------------------------------------------------------

LangText = dict[str, str]  # language tag -> text


@dataclass(frozen=True)
class Where:
    file: str
    line: int


@dataclass
class Concept:
    id: str
    type: str | None
    label: LangText
    alt_labels: dict[str, list[str]]
    definition: LangText
    broader: list[str]
    note: str | None
    step_count: int | None
    source_study: str | None  # the study that names it: the declaring study, or 'source' in vocabulary/
    where: Where
    placed_by_editors: bool = False  # its 'broader' is pvkg's editors' placement, which no source states


@dataclass
class Country:
    code: str
    label: LangText
    where: Where


@dataclass
class City:
    id: str
    label: LangText
    country: str
    where: Where


@dataclass
class Sample:
    size: int
    unit: LangText


@dataclass
class Context:
    locator: str | None
    countries: list[str]  # several where the evidence comes from several countries
    cities: list[str]
    city_count: int | None
    population: LangText
    setting: LangText
    channels: list[str]
    sample: Sample | None
    where: Where
    region: LangText = field(default_factory=dict)  # a named region no country list covers ("Latin America")


@dataclass
class Design:
    locator: str | None
    methods: list[str]
    statement: LangText
    quality_threshold: float | None
    where: Where


@dataclass
class Work:
    """A bibliographic record: of an encoded study, or of a catalogued work a cited work is identified as."""

    id: str
    type: str | None  # None where the source does not say what kind of publication it is
    title: LangText
    authors: list[str]
    author_note: str | None
    year: int | None
    venue: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_number: str | None
    doi: str | None
    url: str | None
    language: str | None
    where: Where
    key_lines: dict[str, int] = field(default_factory=dict)  # the line of each field given
    author_lines: list[int] = field(default_factory=list)  # the line of each of `authors`

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.where.line)

    @property
    def named_authors(self) -> list[str]:
        return [a for a in self.authors if a != ET_AL]

    @property
    def has_unnamed_authors(self) -> bool:
        return ET_AL in self.authors


@dataclass
class ResearchQuestion:
    id: str
    locator: str
    statement: LangText
    where: Where


@dataclass
class CitedWork:
    id: str
    cited_as: str
    locator: str
    identified_as: str | None
    correction: LangText
    design: Design | None
    context: Context | None
    where: Where


@dataclass
class Finding:
    id: str
    kind: str
    study: str
    locator: str
    statement: LangText
    about: list[str]
    link_from: list[str]
    link_to: list[str]
    direction: str | None
    level: str | None
    work: str | None
    note: str | None
    where: Where
    support: str = "first-hand"  # derived from `work` and `known-from` where the file does not say
    status: str = "result"
    strength: str = "stated"
    inference: str | None = None


@dataclass
class Study:
    record: Work
    source_file: str | None
    research_questions: list[ResearchQuestion]
    design: Design | None
    context: Context | None
    cites: list[CitedWork]
    findings: list[Finding]
    known_from: str | None = None  # the study whose account of this one is all pvkg has of it
    revision_of: str | None = None  # the earlier version this study revises (a conference paper...)
    source_url: str | None = None  # where the encoder read the source: provenance of the encoding

    @property
    def id(self) -> str:
        return self.record.id


@dataclass
class Corpus:
    studies: list[Study] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)  # catalogued works that are not encoded studies
    concepts: list[Concept] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    cities: list[City] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of the bytes read from it
    # study files read beside those asked for, for the concepts they declare: file -> those concepts' ids
    also_read: dict[str, list[str]] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.studies for f in s.findings]

    def used_concepts(self) -> set[str]:
        """Ids of the concepts something refers to: a finding, a design's methods, a context's channels."""
        used: set[str] = set()
        for study in self.studies:
            for owner in (study, *study.cites):
                if owner.design is not None:
                    used.update(owner.design.methods)
                if owner.context is not None:
                    used.update(owner.context.channels)
            for f in study.findings:
                used.update(f.about, f.link_from, f.link_to)
        return used

    def unused_concepts(self, used: set[str] | None = None) -> list[str]:
        """Declared concepts that nothing refers to, neither directly nor through a narrower concept."""
        reached = _reachable(self.used_concepts() if used is None else used,
                             {c.id: c.broader for c in self.concepts})
        return sorted(c.id for c in self.concepts if c.id not in reached)


# ------------------------------------------------------------------------------------------------------
# Reading one mapping, with positions
# ------------------------------------------------------------------------------------------------------


class _ValueReaders:
    """The readers of each kind of value: text, language-tagged text, whole numbers, fractions, choices, lists,
    mappings and slugs, each recording a Problem for a defect. A part of _Map, whose state it uses."""

    def text(self, key: str, what: str, required: bool = False) -> str | None:
        if not self.has(key):
            if required:
                self._missing(key, what)
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(f"field {key!r} must be text ({what}), not {_kind(value)}", key)
            return None
        value = str(value).strip()
        if not value:
            self.problem(f"field {key!r} is empty; give {what}", key)
            return None
        if not shows_something(value):
            self.problem(f"field {key!r} {_invisible(value)}; give {what}", key)
            return None
        return value

    def lang_text(self, key: str, what: str, required: bool = False) -> LangText:
        """Plain text (English) or a mapping of language tags to text; English must be present."""
        if not self.has(key):
            if required:
                self._missing(key, what)
            return {}
        value = self.data[key]
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            self.problem(f"field {key!r} must be text or a mapping of language tags to text ({what}), "
                         f"not {_kind(value)}", key)
            return {}
        if not value:
            self.problem(f"field {key!r} is an empty mapping; give the text ({what}), or leave the field out",
                         key)
            return {}
        result: LangText = {}
        for tag, text in value.items():
            if not isinstance(tag, str) or not LANG_TAG.match(tag):
                self.problem(f"field {key!r} has {tag!r}, which is not a language tag; use a lower-case "
                             "BCP 47 tag such as 'en', 'fa' or 'es'", key)
            elif not isinstance(text, str) or not text.strip():
                self.problem(f"field {key!r} needs non-empty text for language {tag!r}", key)
            elif not shows_something(text):
                self.problem(f"field {key!r} {_invisible(text)} for language {tag!r}; give the text ({what})", key)
            else:
                result[tag] = " ".join(text.split())
        if result and "en" not in result:
            self.problem(f"field {key!r} needs an English ('en') text beside the other languages", key)
        return result

    def integer(self, key: str, what: str, minimum: int = 0, maximum: int | None = None,
                required: bool = False) -> int | None:
        if not self.has(key):
            if required:
                self._missing(key, what)
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"field {key!r} must be a whole number ({what}), not {_kind(value)} {value!r}", key)
            return None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.problem(f"field {key!r} is {value}; it must be {bounds} ({what})", key)
            return None
        return value

    def fraction(self, key: str, what: str) -> float | None:
        if not self.has(key):
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.problem(f"field {key!r} must be a number between 0 and 1 ({what}), not {value!r}", key)
            return None
        return float(value)

    def choice(self, key: str, choices: Iterable[str], what: str, required: bool = False) -> str | None:
        value = self.text(key, what, required)
        choices = tuple(choices)
        if value is not None and value not in choices:
            self.problem(f"field {key!r} is {value!r}; it must be one of: {', '.join(choices)}"
                         f"{did_you_mean(value, choices)}", key)
            return None
        return value

    def text_list(self, key: str, what: str, required: bool = False) -> list[str]:
        return [item for item, _ in self.text_items(key, what, required)]

    def text_items(self, key: str, what: str, required: bool = False) -> list[tuple[str, int]]:
        """The items of a list of texts (or of one text), each with its line."""
        if not self.has(key):
            if required:
                self._missing(key, what)
            return []
        value = self.data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(f"field {key!r} must be a list ({what}), not {_kind(value)}", key)
            return []
        items, bad_items = [], False
        for i, item in enumerate(value):
            line = value.item_lines[i] if isinstance(value, LineList) else self.line_of(key)
            if not isinstance(item, str) or not item.strip():
                self.problem(f"item {i + 1} of {key!r} must be non-empty text ({what})", line=line)
                bad_items = True
            elif not shows_something(item):
                self.problem(f"item {i + 1} of {key!r} {_invisible(item)}; give the text ({what})", line=line)
                bad_items = True
            else:
                items.append((item.strip(), line))
        if required and not items and not bad_items:
            self.problem(f"field {key!r} is empty; give at least one ({what})", key)
        return items

    def mapping(self, key: str, what: str) -> LineMap | None:
        if not self.has(key):
            return None
        value = self.data[key]
        if not isinstance(value, LineMap):
            self.problem(f"field {key!r} must be a mapping ({what}), not {_kind(value)}", key)
            return None
        return value

    def mappings(self, key: str, what: str) -> list[tuple[LineMap, int]]:
        """The mappings of a list field, each with its line."""
        if not self.has(key):
            return []
        value = self.data[key]
        if not isinstance(value, LineList):
            self.problem(f"field {key!r} must be a list of mappings ({what}), not {_kind(value)}", key)
            return []
        result = []
        for i, item in enumerate(value):
            line = value.item_lines[i]
            if isinstance(item, LineMap):
                result.append((item, line))
            else:
                self.problem(f"item {i + 1} of {key!r} must be a mapping ({what}), not {_kind(item)}",
                             line=line)
        return result

    def slug(self, key: str, what: str) -> str | None:
        value = self.text(key, what, required=True)
        if value is not None and not SLUG_PATTERN.match(value):
            self.problem(f"{key} {value!r} must be lower-case letters, digits and single hyphens "
                         f"(e.g. 'luna-2024')", key)
            return None
        return value


class _Map(_ValueReaders):
    """A YAML mapping being read: hands out typed fields and records a Problem for each defect."""

    def __init__(self, data: LineMap, file: str, subject: str | None, problems: list[Problem],
                 section: Section, line: int | None = None):
        self.data = data
        self.file = file
        self.subject = subject
        self.problems = problems
        self.section = section
        self.line = line if line is not None else data.line
        allowed = section.names
        for key in data:
            if key not in allowed:
                self.problem(f"unknown field {key!r}{did_you_mean(str(key), allowed)} "
                             f"(allowed: {', '.join(allowed)})", key)

    def get(self, key: str, required: bool | None = None) -> Any:
        """A field read as its declaration (pvkg/_build/studyformat.py) says, a problem recorded for each defect;
        None (or an empty text, list or mapping) where it is missing or wrong. `required` overrides the
        declaration's for a field required only in some places (a locator in a study, not in a cited work)."""
        f = self.section.field(key)
        required = f.required if required is None else required
        if f.kind == TEXT:
            return self.text(key, f.what, required)
        if f.kind == LANG_TEXT:
            return self.lang_text(key, f.what, required)
        if f.kind == SLUG:
            return self.slug(key, f.what)
        if f.kind == INTEGER:
            return self.integer(key, f.what, int(f.minimum or 0), None if f.maximum is None else int(f.maximum),
                                required)
        if f.kind == FRACTION:
            return self.fraction(key, f.what)
        if f.kind == CHOICE:
            return self.choice(key, f.choices, f.what, required)
        if f.kind in (TEXT_LIST, CONCEPT_IDS):
            return self.text_list(key, f.what, required)
        if f.kind == MAPPING:
            return self.mapping(key, f.what)
        if f.kind == MAPPINGS:
            return self.mappings(key, f.what)
        raise AssertionError(f"{key}: {f.kind} is read by its own code")

    def line_of(self, key: str | None = None) -> int:
        if key is not None and key in self.data:
            return self.data.key_lines[key]
        return self.line

    def where(self, key: str | None = None) -> Where:
        return Where(self.file, self.line_of(key))

    def problem(self, message: str, key: str | None = None, line: int | None = None) -> None:
        self.problems.append(Problem(self.file, line or self.line_of(key), self.subject, message))

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def _missing(self, key: str, what: str) -> None:
        self.problem(f"missing required field {key!r} ({what})")


def _named(what: str, data: LineMap) -> str:
    """The subject of problems with an item, named by its id when it has a usable one: 'work doe-2019'."""
    item_id = data.get("id")
    return f"{what} {item_id}" if isinstance(item_id, str) and item_id.strip() else what


def _checked_url(m: _Map, key: str) -> str | None:
    """A field holding a web address, or None (with a problem) where it is not one an IRI can be made of."""
    url = m.get(key)
    problem = _url_problem(url, key) if url is not None else None
    if problem:
        m.problem(problem, key)
        return None
    return url


def _url_problem(url: str, key: str = "url") -> str | None:
    """What is wrong with a url, which becomes an IRI (foaf:page), and what to do; None when nothing is."""
    bad = re.search(r"[\s<>\"{}|\\^`]", url)
    if bad and bad.group().isspace():
        return (f"{key} {url!r} holds a space, which a web address cannot; write it as %20 (or remove it), "
                "as the address bar of a browser shows it")
    if bad:
        return (f"{key} {url!r} holds {bad.group()!r}, which a web address cannot; write it as "
                f"%{ord(bad.group()):02X}")
    if not URL.match(url):
        return f"{key} {url!r} is not a web address; give one that starts with https:// or http://"
    from pyoxigraph import NamedNode  # the IRI syntax of RFC 3987, as the stores that load the graph read it

    try:
        NamedNode(url)
    except ValueError as e:
        return (f"{key} {url!r} is not a valid address ({e}); percent-encode what does not belong (a '%' as %25, "
                "a second '#' as %23)")
    return None


def shows_something(text: str) -> bool:
    """Whether text has a character that shows: a letter, digit, punctuation or symbol that is not one of the
    invisible ones (white space, format characters, variation selectors and lone combining marks show
    nothing)."""
    return any(unicodedata.category(c)[0] in "LNPS" for c in INVISIBLE.sub("", text))


def _invisible(text: str) -> str:
    """'has no visible character (only U+200B, U+2060)'."""
    shown = sorted({f"U+{ord(c):04X}" for c in text if not c.isspace()})
    only = f" (only {', '.join(shown[:4])}{'...' if len(shown) > 4 else ''})" if shown else ""
    return f"has no visible character{only}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text"


# ------------------------------------------------------------------------------------------------------
# Reading files
# ------------------------------------------------------------------------------------------------------

class _StudyFile:
    """One study or vocabulary file as far as its YAML: read (a plain file, of sensible size, in UTF-8, its
    SHA-256 kept) and parsed with line numbers; each way it can fail is a Problem with what to do."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.file = _display(path)
        self.problems = problems
        self.digest: str | None = None  # of the bytes read

    def load(self) -> LineMap | None:
        data = self._read()
        text = None if data is None else self._decode(data)
        if text is None:
            return None
        try:
            data = load_yaml(text)
        except RefusedError as e:
            self._problem(e.problem_mark.line + 1 if e.problem_mark else None, str(e.problem))
            return None
        except MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(str(e.problem or e.context or "malformed YAML").split())
            start = e.context_mark.line + 1 if e.context_mark and e.problem_mark else None
            if e.context and start is not None and start != line:
                what += f" ({' '.join(e.context.split())} that starts at line {start})"
                self._problem(line, f"malformed YAML: {what}; fix the syntax at this line or at line {start}")
            else:
                self._problem(line, f"malformed YAML: {what}; fix the syntax at this line")
            return None
        except YAMLError as e:
            self._problem(None, f"malformed YAML: {' '.join(str(e).split())}")
            return None
        if data is None:
            self._problem(None, "is empty; a study file needs at least id, title (or authors) and findings")
            return None
        if not isinstance(data, LineMap):
            self._problem(getattr(data, "line", 1),
                          f"must be a mapping of fields (id, title, findings...), not {_kind(data)}")
            return None
        return data

    def _read(self) -> bytes | None:
        """The file's bytes; None, with a problem, for what is not a readable regular file of sensible size.
        A pipe is never opened (reading it would wait forever), nor more than MAX_FILE_BYTES read."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            if self.path.is_symlink():
                self._problem(None, f"is a link to {os.readlink(self.path)!r}, which does not exist; fix the "
                                    "link or remove it")
            else:
                self._problem(None, "does not exist (it went away while pvkg was reading); run pvkg again")
            return None
        except OSError as e:
            if e.errno == errno.ELOOP:
                self._problem(None, "is a link that leads back to itself (a loop of links); point it at a "
                                    "study file or remove it")
            else:
                self._problem(None, f"cannot be read ({e.strerror}); check that it exists and that you may "
                                    "read it")
            return None
        if stat.S_ISDIR(info.st_mode):
            self._problem(None, "is a folder, not a study file; rename it so that its name does not end in "
                                ".yaml or .yml")
            return None
        if not stat.S_ISREG(info.st_mode):
            self._problem(None, "is not a plain file (a pipe, socket or device); a study file must be a plain "
                                "text file")
            return None
        if info.st_size > MAX_FILE_BYTES:
            self._too_big(info.st_size)
            return None
        try:
            with open(self.path, "rb") as f:
                want = min(info.st_size, MAX_FILE_BYTES) + 1  # no 1 MB buffer for a 2 kB file
                data = f.read(want)
                if len(data) == want:  # it grew since stat(), or stat() does not know its size
                    data += f.read(MAX_FILE_BYTES + 1 - len(data))
        except OSError as e:
            self._problem(None, f"cannot be read ({e.strerror}); make it readable (chmod a+r) or move it out "
                                "of the studies folder")
            return None
        if len(data) > MAX_FILE_BYTES:
            self._too_big(max(info.st_size, len(data)))
            return None
        self.digest = hashlib.sha256(data).hexdigest()
        return data

    def _too_big(self, size: int) -> None:
        self._problem(None, f"is {size / 1e6:.1f} MB, more than the {MAX_FILE_BYTES / 1e6:g} MB a study file may "
                            "have (study files are a few KB); check that it is a study file, or split it into one "
                            "file per study")

    def _decode(self, data: bytes) -> str | None:
        """The text of a UTF-8 file (a leading byte-order mark, which YAML allows, removed); None, with a
        problem, for UTF-16, UTF-32 and other encodings."""
        for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                          (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
            if data.startswith(bom):
                self._problem(None, f"is {name} (it starts with a {name} byte-order mark); save it as UTF-8")
                return None
        head = data[:400]
        if len(head) >= 4 and any(2 * half.count(0) > len(half) for half in (head[0::2], head[1::2])):
            self._problem(None, "is UTF-16 without a byte-order mark (every other byte is zero); save it as "
                                "UTF-8")
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            column = len(data[data.rfind(b"\n", 0, e.start) + 1:e.start].decode("utf-8", "replace")) + 1
            self._problem(line, f"is not UTF-8: byte 0x{data[e.start]:02X} at column {column} cannot be read "
                                "(Latin-1 or Windows-1252?); save the file as UTF-8")
            return None
        return text[1:] if text.startswith("\ufeff") else text

    def _problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, None, message))


class _PartReader:
    """The pieces study and vocabulary files share: concept declarations, a design, a context, a bibliographic record.
    A part of _RecordReader, whose state it uses."""

    def concepts(self, top: _Map, declared_in: str | None) -> list[Concept]:
        concepts = []
        for data, line in top.get("concepts"):
            cid = data.get("id")
            m = _Map(data, self.file, f"concept {cid}" if isinstance(cid, str) else "concept", self.problems,
                     CONCEPT, line)
            cid = m.get("id")
            if cid is None:
                continue
            match = CONCEPT_ID.match(cid)
            if not match:
                m.problem(f"concept id {cid!r} must be 'prefix:name' with a prefix among "
                          f"{', '.join(CONCEPT_PREFIXES)} and a lower-case hyphenated name", "id")
                continue
            prefix = match.group(1)
            if prefix not in CONCEPT_PREFIXES:
                m.problem(f"concept id {cid!r} has unknown prefix {prefix!r}{did_you_mean(prefix, CONCEPT_PREFIXES)}"
                          f" (known: {', '.join(CONCEPT_PREFIXES)})", "id")
                continue
            subtypes = CONCEPT_PREFIXES[prefix].subtypes
            ctype = None
            if subtypes:
                ctype = m.choice("type", subtypes, f"the kind of {prefix} concept")
            elif m.has("type"):
                m.problem(f"field 'type' is not for {prefix} concepts (only value: 'dimension' and factor: "
                          "'category')", "type")
            step_count = m.get("step-count")
            if step_count is not None and prefix != "method":
                m.problem("field 'step-count' is only for method concepts", "step-count")
            alt = m.mapping("alt-labels", "language tag -> list of labels") or {}
            alt_labels: dict[str, list[str]] = {}
            for tag, labels in alt.items():
                if not isinstance(tag, str) or not LANG_TAG.match(tag):
                    m.problem(f"alt-labels has {tag!r}, which is not a language tag", "alt-labels")
                elif not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
                    m.problem(f"alt-labels for {tag!r} must be a list of labels", "alt-labels")
                elif invisible := next((x for x in labels if not shows_something(x)), None):
                    m.problem(f"an alt-label for {tag!r} {_invisible(invisible)}; give the label or remove it",
                              "alt-labels")
                else:
                    alt_labels[tag] = [" ".join(x.split()) for x in labels]
            placed_by = m.get("placed-by")
            if placed_by and not m.has("broader"):
                m.problem("'placed-by: editors' says the editors chose the 'broader' concept; give 'broader' or "
                          "remove 'placed-by'", "placed-by")
            source = m.get("source")
            if source is not None and declared_in is not None:
                m.problem("'source' is only for vocabulary files; a concept declared in a study file has that "
                          "study as its source", "source")
            elif source is not None and not SLUG_PATTERN.match(source):
                m.problem(f"source {source!r} must be a study id such as 'luna-2024'", "source")
            concepts.append(Concept(
                id=cid, type=ctype,
                label=m.get("label"), alt_labels=alt_labels, definition=m.get("definition"),
                broader=m.get("broader"), note=m.get("note"),
                step_count=step_count, source_study=declared_in or source, where=Where(self.file, line),
                placed_by_editors=placed_by == "editors"))
        return concepts

    def context(self, data: LineMap, subject: str, locator_required: bool) -> Context:
        m = _Map(data, self.file, subject, self.problems, CONTEXT)
        sample = None
        sample_data = m.get("sample")
        if sample_data is not None:
            s = _Map(sample_data, self.file, subject, self.problems, SAMPLE)
            size, unit = s.get("size"), s.get("unit")
            if size is not None and unit:
                sample = Sample(size, unit)
        countries = m.get("country")
        for country in countries:
            if not COUNTRY_CODE.match(country):
                m.problem(f"country {country!r} must be a three-letter upper-case code such as 'MEX'", "country")
        return Context(
            locator=m.get("locator", required=locator_required),
            countries=[c for c in countries if COUNTRY_CODE.match(c)],
            region=m.get("region"), cities=m.get("cities"), city_count=m.get("city-count"),
            population=m.get("population"), setting=m.get("setting"), channels=m.get("channels"),
            sample=sample, where=m.where())

    def design(self, data: LineMap, subject: str, locator_required: bool) -> Design:
        m = _Map(data, self.file, subject, self.problems, DESIGN)
        return Design(locator=m.get("locator", required=locator_required), methods=m.get("methods"),
                      statement=m.get("statement", required=locator_required),
                      quality_threshold=m.get("quality-threshold"), where=m.where())

    def work(self, m: _Map, is_study: bool) -> Work | None:
        work_id = m.get("id")
        if work_id is None:
            return None
        m.subject = f"{'study' if is_study else 'work'} {work_id}"
        doi = m.get("doi")
        if doi is not None:
            doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi, flags=re.I)
            if re.search(r"\s", doi):
                m.problem(f"doi {doi!r} holds a space, which a DOI cannot; remove it", "doi")
                doi = None
            elif not DOI.match(doi):
                m.problem(f"doi {doi!r} is not a DOI; it must look like '10.1016/j.giq.2024.101928'", "doi")
                doi = None
        url = _checked_url(m, "url")
        language = m.get("language")
        if language is not None and not LANG_TAG.match(language):
            m.problem(f"language {language!r} is not a language tag such as 'en' or 'fa'", "language")
            language = None
        title = m.get("title")
        author_items = m.text_items("authors", "authors as 'Family, Given'")
        authors = [name for name, _ in author_items]
        if ET_AL in authors[:-1] or authors == [ET_AL]:
            m.problem(f"'{ET_AL}' may only end a list of named authors (e.g. [Reddick, {ET_AL}])", "authors")
        _check_author_names(m, author_items)
        author_note = m.get("author-note")
        if not title and not authors:
            m.problem("a work needs a title or authors so that people can find it")
        if is_study and not authors and author_note is None:
            m.problem("a study needs 'authors' or, where the source does not name them, an 'author-note'")
        return Work(
            id=work_id,
            type=m.get("type"), title=title, authors=authors, author_note=author_note, year=m.get("year"),
            venue=m.get("venue"), volume=m.get("volume"), issue=m.get("issue"), pages=m.get("pages"),
            article_number=m.get("article-number"),
            doi=doi, url=url, language=language, where=m.where("id"),
            key_lines=dict(m.data.key_lines), author_lines=[line for _, line in author_items])


class _RecordReader(_PartReader):
    """The mappings of one study or vocabulary file (as _StudyFile loaded them) read into the corpus, each field
    as pvkg/_build/studyformat.py declares it, each defect a Problem at its line."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def read_vocabulary(self, data: LineMap, corpus: Corpus) -> None:
        top = _Map(data, self.file, None, self.problems, VOCABULARY)
        corpus.concepts += self.concepts(top, None)
        for item, line in top.get("countries"):
            m = _Map(item, self.file, f"country {item.get('code')}", self.problems, COUNTRY, line)
            code = m.get("code")
            if code is not None and not COUNTRY_CODE.match(code):
                m.problem(f"country code {code!r} must be three upper-case letters", "code")
            elif code is not None:
                corpus.countries.append(Country(code, m.get("label"), m.where()))
        for item, line in top.get("cities"):
            m = _Map(item, self.file, f"city {item.get('id')}", self.problems, CITY, line)
            city_id, country, label = m.get("id"), m.get("country"), m.get("label")
            if city_id and country:
                corpus.cities.append(City(city_id, label, country, m.where()))

    def read_study(self, data: LineMap, corpus: Corpus) -> None:
        top = _Map(data, self.file, None, self.problems, STUDY)
        record = self.work(top, is_study=True)
        if record is None:
            return
        sid = record.id
        subject = f"study {sid}"
        expected = Path(self.file).stem
        if expected != sid:
            top.problem(f"study id {sid!r} differs from the file name {expected!r}; name the file {sid}.yaml",
                        "id")

        rqs = []
        for item, line in top.get("research-questions"):
            m = _Map(item, self.file, _named(f"{subject} question", item), self.problems, RESEARCH_QUESTION, line)
            rq_id = m.get("id")
            m.subject = f"{subject} question {rq_id}"
            locator, statement = m.get("locator"), m.get("statement")
            if rq_id and locator and statement:
                rqs.append(ResearchQuestion(rq_id, locator, statement, Where(self.file, line)))
        _unique(((rq.id, rq.where) for rq in rqs), "research question", self.problems, subject)

        design_data, context_data = top.get("design"), top.get("context")
        corpus.concepts += self.concepts(top, sid)

        cites = []
        for item, line in top.get("cites"):
            m = _Map(item, self.file, _named(f"{subject} cited work", item), self.problems, CITED_WORK, line)
            cite_id = m.get("id")
            m.subject = f"{subject} cited work {cite_id}"
            cited_as, locator, d, c = m.get("cited-as"), m.get("locator"), m.get("design"), m.get("context")
            if cite_id and cited_as and locator:
                cites.append(CitedWork(
                    cite_id, cited_as, locator, m.get("identified-as"), m.get("correction"),
                    self.design(d, m.subject, locator_required=False) if d is not None else None,
                    self.context(c, m.subject, locator_required=False) if c is not None else None,
                    Where(self.file, line)))
        _unique(((c.id, c.where) for c in cites), "cited work", self.problems, subject)

        for item, line in top.get("works"):
            work = self.work(_Map(item, self.file, _named("work", item), self.problems, WORK, line), is_study=False)
            if work is not None:
                corpus.works.append(work)

        known_from = top.get("known-from")
        findings = [f for item, line in top.get("findings")
                    if (f := self.finding(item, line, sid, known_from)) is not None]
        # A study known only from another's account may hold no findings: what that account says of it is
        # encoded once, as second-hand findings of the reporting study (with `work`).
        if not top.has("findings") and not known_from:
            top.problem("missing required field 'findings' (the study's findings); a study without findings "
                        "adds nothing to the graph")
        corpus.studies.append(Study(
            record=record, source_file=top.get("source-file"), source_url=_checked_url(top, "source-url"),
            research_questions=rqs,
            design=self.design(design_data, subject, True) if design_data is not None else None,
            context=self.context(context_data, subject, True) if context_data is not None else None,
            cites=cites, findings=findings, known_from=known_from,
            revision_of=top.get("revision-of")))

    def finding(self, data: LineMap, line: int, study: str, known_from: str | None) -> Finding | None:
        fid = data.get("id")
        m = _Map(data, self.file, f"finding {fid}" if isinstance(fid, str) else "finding", self.problems,
                 FINDING, line)
        fid, kind, locator, statement = m.get("id"), m.get("kind"), m.get("locator"), m.get("statement")
        direction, level, work = m.get("direction"), m.get("level"), m.get("work")
        finding = Finding(
            id=fid or "", kind=kind or "", study=study, locator=locator or "", statement=statement,
            about=m.get("about"), link_from=m.get("from"), link_to=m.get("to"),
            direction=direction, level=level, work=work, note=m.get("note"), where=Where(self.file, line),
            support=_support(m, work, known_from), status=m.get("status") or "result",
            strength=m.get("strength") or "stated", inference=m.get("inference"))
        if kind is not None:
            _check_finding_kind(finding, m)
        # Kept even with other defects (the InputError stops the build anyway) so that its references are
        # still checked in the same pass.
        return finding if fid is not None and kind is not None else None


INITIAL = re.compile(r"^(?:[^\W\d_]\.-?)+$|^[^\W\d_]$")  # "D.", "J.-P.", "A": a given name as initials


def _initials(name: str) -> bool:
    return all(INITIAL.match(word) for word in name.split())


def _check_author_names(m: _Map, items: list[tuple[str, int]]) -> None:
    """Names not written 'Family, Given', each reported at its line with the fix: a list a reference manager
    gave as 'Family, Given, Family, Given' in brackets (YAML splits it at every comma, so each half became a
    person), a lone given name, a name in the wrong order ('Dolores E. Luna'). Family names alone, as some
    sources give them ('[Medaglia, Zhu]'), are fine (one of several words ends in a comma: 'Van Dijk,'), but a
    list in brackets of four or more names alone, an even number, is taken for a split one."""
    named = [(name, line) for name, line in items if name != ET_AL]
    bare = [(name, line) for name, line in named if "," not in name]
    in_brackets = len({line for _, line in items}) == 1 and len(items) > 1
    if in_brackets and len(bare) == len(named) >= 2 and (
            any(_initials(name) for name, _ in bare) or (len(bare) >= 4 and len(bare) % 2 == 0)):
        pairs = [f"{bare[i][0]}, {bare[i + 1][0]}" for i in range(0, len(bare) - 1, 2)]
        m.problem(f"authors {', '.join(repr(n) for n, _ in bare)} look like 'Family, Given' names taken apart: a "
                  "list in brackets is split at every comma; write one line per author: "
                  + "; ".join(f"'- {pair}'" for pair in pairs), line=bare[0][1])
        return
    for name, line in named:
        if not name.partition(",")[0].strip():
            m.problem(f"author {name!r} has no family name; write 'Family, Given' (e.g. 'Luna, Dolores E.')",
                      line=line)
        elif "," in name:
            continue
        elif _initials(name):
            m.problem(f"author {name!r} is a given name alone; write it after its family name, as "
                      f"'Family, {name}'", line=line)
        elif len(name.split()) > 1:
            family = name.split()[-1]
            m.problem(f"author {name!r} is not written 'Family, Given'; write '{family}, "
                      f"{name[:-len(family)].strip()}' (a family name alone ends in a comma: '{name},'; an "
                      "organisation goes in 'author-note')", line=line)


def _support(m: _Map, work: str | None, known_from: str | None) -> str:
    """First-hand or second-hand: what the file says, else derived. A finding about a cited work (`work`),
    or in a study known only from another study's account (`known-from`), is second-hand."""
    derived = "second-hand" if work or known_from else "first-hand"
    given = m.get("support")
    if given == "first-hand" and work:
        m.problem("a finding about a cited work ('work') is second-hand: the study reports what that work found; "
                  "remove 'support: first-hand', or remove 'work' if the result is the study's own", "support")
    elif given == "first-hand" and known_from:
        m.problem(f"this study is known only from {known_from!r}'s account, so its findings are second-hand; "
                  "remove 'support: first-hand'", "support")
    elif given == "second-hand" and not derived == "second-hand":
        m.problem("a second-hand finding needs 'work': the id of the entry under 'cites' for the work it reports "
                  "on", "support")
    return given or derived


def _check_finding_kind(f: Finding, m: _Map) -> None:
    """What each kind of finding must and must not carry."""
    allowed = KIND_FIELDS[f.kind]
    for key in KIND_SPECIFIC:
        if m.has(key) and key not in allowed:
            m.problem(f"a {f.kind!r} finding cannot have {key!r} (it takes: {', '.join(sorted(allowed))})", key)
    prefixes = [a.split(":", 1)[0] for a in f.about]
    if f.kind == "values" and "value" not in prefixes:
        m.problem("a 'values' finding must be about at least one value (about: [value:...])", "about")
    elif f.kind == "characteristics" and "characteristic" not in prefixes:
        m.problem("a 'characteristics' finding must be about at least one characteristic "
                  "(about: [characteristic:...])", "about")
    elif f.kind == "factor":
        factors = prefixes.count("factor")
        if not factors:
            m.problem("a 'factor' finding must be about at least one factor (about: [factor:...])", "about")
        elif f.direction and factors != 1:
            m.problem(f"a 'factor' finding with a direction must be about exactly one factor, not {factors}; "
                      "split it into one finding per factor", "direction")
    elif f.kind == "link":
        if not f.link_from:
            m.problem("a 'link' finding needs 'from': the concepts the link starts from", None)
        if not f.link_to:
            m.problem("a 'link' finding needs 'to': the concepts the link ends at", None)
    elif f.kind == "cited-work" and not f.work:
        m.problem("a 'cited-work' finding needs 'work': the id of an entry under 'cites'", None)


def _unique(items: Iterable[tuple[str, Where]], what: str, problems: list[Problem], subject: str | None,
            study_files: Iterable[str] = ()) -> None:
    """A problem at each repeat of an id. A repeat of an id first declared in another of `study_files` is also
    reported at that first declaration, so that neither file is called fine: which of the two should change
    is the user's call. (A vocabulary file declares first; the study file is the one to change.)"""
    seen: dict[str, Where] = {}
    both = set(study_files)
    for key, where in items:
        if key in seen:
            first = seen[key]
            if first.file == where.file:
                problems.append(Problem(where.file, where.line, subject, f"duplicate {what} id {key!r}, first "
                                        f"declared at line {first.line}; give it a new id"))
            elif first.file not in both:
                problems.append(Problem(where.file, where.line, subject, f"duplicate {what} id {key!r}, first "
                                        f"declared at {first.file}:{first.line}; give it a new id"))
            else:
                problems.append(Problem(where.file, where.line, subject, f"duplicate {what} id {key!r}, first "
                                        f"declared at {first.file}:{first.line}; give one of them a new id"))
                problems.append(Problem(first.file, first.line, subject, f"duplicate {what} id {key!r}, declared "
                                        f"again at {where.file}:{where.line}; give one of them a new id"))
        else:
            seen[key] = where


# ------------------------------------------------------------------------------------------------------
# The corpus as a whole
# ------------------------------------------------------------------------------------------------------


def _check_references(corpus: Corpus, problems: list[Problem]) -> None:
    concepts = {c.id: c for c in corpus.concepts}
    countries = {c.code for c in corpus.countries}
    cities = {c.id for c in corpus.cities}
    study_ids = {s.id for s in corpus.studies}
    works = {w.id for w in corpus.works} | study_ids

    def check(ids: Iterable[str], where: Where, subject: str, prefixes: tuple[str, ...], what: str) -> None:
        for cid in ids:
            prefix = cid.split(":", 1)[0] if ":" in cid else ""
            if cid not in concepts:
                near = did_you_mean(cid, concepts)
                problems.append(Problem(where.file, where.line, subject,
                                        f"unknown concept id {cid!r}{near}; declare it under 'concepts' "
                                        "of a study file or in vocabulary/, or fix the id"))
            elif prefix not in prefixes:
                problems.append(Problem(where.file, where.line, subject,
                                        f"{cid!r} cannot be {what}; use a concept with prefix "
                                        f"{' or '.join(p + ':' for p in prefixes)}"))

    def check_context(ctx: Context | None, subject: str) -> None:
        if ctx is None:
            return
        for country in ctx.countries:
            if country not in countries:
                problems.append(Problem(ctx.where.file, ctx.where.line, subject,
                                        f"unknown country code {country!r}{did_you_mean(country, countries)}; "
                                        "add it to vocabulary/places.yaml"))
        for city in ctx.cities:
            if city not in cities:
                problems.append(Problem(ctx.where.file, ctx.where.line, subject,
                                        f"unknown city {city!r}{did_you_mean(city, cities)}; "
                                        "add it to vocabulary/places.yaml"))
        check(ctx.channels, ctx.where, subject, ("channel",), "a channel")

    def check_design(design: Design | None, subject: str) -> None:
        if design is not None:
            check(design.methods, design.where, subject, ("method",), "a method")

    for c in corpus.concepts:
        prefix = c.id.split(":", 1)[0]
        check(c.broader, c.where, f"concept {c.id}", (prefix,), "broader than a concept of another scheme")
        if c.id in c.broader:
            problems.append(Problem(c.where.file, c.where.line, f"concept {c.id}",
                                    "a concept cannot be broader than itself"))
    for city in corpus.cities:
        if city.country not in countries:
            problems.append(Problem(city.where.file, city.where.line, f"city {city.id}",
                                    f"unknown country code {city.country!r}; add it under 'countries'"))

    about_prefixes = tuple(p for p, spec in CONCEPT_PREFIXES.items() if spec.about is not None)
    for study in corpus.studies:
        subject = f"study {study.id}"
        check_design(study.design, subject)
        check_context(study.context, subject)
        cites = {c.id for c in study.cites}
        for cite in study.cites:
            cite_subject = f"{subject} cited work {cite.id}"
            check_design(cite.design, cite_subject)
            check_context(cite.context, cite_subject)
            if cite.identified_as and cite.identified_as not in works:
                problems.append(Problem(cite.where.file, cite.where.line, cite_subject,
                                        f"identified-as {cite.identified_as!r} is neither a study nor a work"
                                        f"{did_you_mean(cite.identified_as, works)}; add it under 'works'"))
            if cite.identified_as == study.id:
                problems.append(Problem(cite.where.file, cite.where.line, cite_subject,
                                        f"identified-as {cite.identified_as!r} is this study itself: a study does not "
                                        "cite itself; identify the cited work as the work it is (an earlier "
                                        "version has an id of its own)"))
        for field_name, target in (("known-from", study.known_from), ("revision-of", study.revision_of)):
            if target is not None and (target not in study_ids or target == study.id):
                problems.append(Problem(study.record.where.file, study.record.line_of(field_name), subject,
                                        f"{field_name} {target!r} is not another study of the corpus"
                                        f"{did_you_mean(target, study_ids - {study.id})}"))
        for f in study.findings:
            fs = f"finding {f.id}"
            check(f.about, f.where, fs, about_prefixes, "what a finding is about")
            check(f.link_from, f.where, fs, about_prefixes, "the start of a link")
            check(f.link_to, f.where, fs, about_prefixes, "the end of a link")
            if f.work and f.work not in cites:
                problems.append(Problem(f.where.file, f.where.line, fs,
                                        f"work {f.work!r} is not among this study's 'cites'"
                                        f"{did_you_mean(f.work, cites)}"))

    files = corpus.files
    _unique(((c.id, c.where) for c in corpus.concepts), "concept", problems, None, files)
    _unique(((c.code, c.where) for c in corpus.countries), "country", problems, None, files)
    _unique(((c.id, c.where) for c in corpus.cities), "city", problems, None, files)
    _unique(((w.id, w.where) for w in [s.record for s in corpus.studies] + corpus.works), "study or work",
            problems, None, files)
    _unique(((f.id, f.where) for f in corpus.findings), "finding", problems, None, files)
    _check_cycles(corpus.concepts, problems)
    for link in ("known-from", "revision-of"):
        _check_study_cycles(corpus.studies, link, problems)
    _check_dois(corpus, problems)
    _check_minted_names(corpus, problems)


def _check_study_cycles(studies: list[Study], link: str, problems: list[Problem]) -> None:
    """A chain of known-from (or revision-of) links that comes back to its start (a -> b -> a): a problem
    at each study on it, naming the whole cycle."""
    target = {s.id: (s.known_from if link == "known-from" else s.revision_of) for s in studies}
    for study in studies:
        path, current = [study.id], target[study.id]
        while current in target and current not in path:
            path.append(current)
            current = target[current]
        if current == study.id and len(path) > 1:  # a link to itself is reported as not another study
            cycle = " -> ".join([*path, study.id])
            problems.append(Problem(study.record.where.file, study.record.line_of(link), f"study {study.id}",
                                    f"its {link} links lead back to it ({cycle}); break the cycle"))


def _check_dois(corpus: Corpus, problems: list[Problem]) -> None:
    """One DOI names one work: two records with one DOI (DOIs ignore case) are one work recorded twice, or
    one DOI is wrong. Reported at every record that has it, each naming the others."""
    records: dict[str, list[tuple[str, Work]]] = {}
    for what, work in [*(("study", s.record) for s in corpus.studies), *(("work", w) for w in corpus.works)]:
        if work.doi:
            records.setdefault(work.doi.casefold(), []).append((what, work))
    for same in records.values():
        for what, work in same:
            others = "; ".join(f"{w} {o.id} at {o.where.file}:{o.line_of('doi')}" for w, o in same
                               if o is not work)
            if others:
                problems.append(Problem(work.where.file, work.line_of("doi"), f"{what} {work.id}",
                                        f"doi {work.doi!r} is also the DOI of {others}; a DOI names one work: keep "
                                        "one record of it, or correct the DOI"))


def display_name(name: str) -> str:
    """'Luna, Dolores E.' -> 'Dolores E. Luna'; a name without a comma stays as it is."""
    family, _, given = name.partition(",")
    return f"{given.strip()} {family.strip()}" if given.strip() else family.strip()


def _check_minted_names(corpus: Corpus, problems: list[Problem]) -> None:
    """Authors (and venues) become resources whose IRI is minted from the name (pvkg._namespaces.slugify folds
    case and punctuation). Two names written differently that mint one IRI would give one person two names,
    which SHACL could only blame on the graph: reported at the first place of each spelling, naming the
    others."""
    spellings: dict[str, dict[str, Where]] = {}
    for work in [*(s.record for s in corpus.studies), *corpus.works]:
        for author, line in zip(work.authors, work.author_lines, strict=False):
            if author != ET_AL:
                spellings.setdefault(person_iri(author), {}).setdefault(display_name(author),
                                                                        Where(work.where.file, line))
        if work.venue:
            spellings.setdefault(venue_iri(work.venue), {}).setdefault(
                work.venue, Where(work.where.file, work.line_of("venue")))
    for iri, names in spellings.items():
        kind = "person" if "/person/" in iri else "venue"
        for name, where in names.items():
            others = "; ".join(f"{other!r} at {at.file}:{at.line}" for other, at in names.items() if other != name)
            if others:
                problems.append(Problem(where.file, where.line, None,
                                        f"{kind} {name!r} and {others} become one {kind} <{iri}>; write the name "
                                        "the same way everywhere, or make the names differ in letters"))


def _reachable(start: Iterable[str], broader: dict[str, list[str]]) -> set[str]:
    """The ids in `start` and every concept above them along broader links."""
    reached, stack = set(), list(start)
    while stack:
        current = stack.pop()
        if current not in reached:
            reached.add(current)
            stack.extend(broader.get(current, []))
    return reached


def _check_cycles(concepts: list[Concept], problems: list[Problem]) -> None:
    """A broader chain that comes back to its start would make a concept broader than itself."""
    broader = {c.id: c.broader for c in concepts}
    for c in concepts:
        if c.id in _reachable(c.broader, broader):
            problems.append(Problem(c.where.file, c.where.line, f"concept {c.id}",
                                    "its broader concepts lead back to it; break the cycle"))


STUDY_FILE_SUFFIXES = (".yaml", ".yml")


def _display(path: Path) -> str:
    """A path as the user should see it, a link by its own name (resolving a broken link or a loop of links
    would name its target, or fail)."""
    return str(Path(display_path(path.parent)) / path.name)


def study_files(paths: Iterable[Path], problems: list[Problem] | None = None) -> list[Path]:
    """The .yaml and .yml files named by `paths` (files, or folders searched recursively), in a stable order.

    Links to folders are followed, and each folder is searched once; a link that leads back to a folder it
    sits in (a loop) is not followed but recorded in `problems`. Hidden files and folders (names starting with
    '.', such as editors' lock files and .git) are skipped. Entries named like study files that are not plain
    files (a broken link, a folder called x.yaml) are returned too: reading them says what is wrong."""
    problems = [] if problems is None else problems
    files: set[Path] = set()
    searched: set[str] = set()
    for path in paths:
        if path.is_dir():
            _search(path, files, searched, problems)
        elif path.exists() or path.is_symlink():  # a file, or what reading it will say is wrong with it
            files.add(path)
        else:
            raise UsageError(f"{path}: no such file or folder; give study files or a folder of them")
    return sorted(files)


def _search(root: Path, files: set[Path], searched: set[str], problems: list[Problem]) -> None:
    """Add the study files under `root` to `files`, without recursion (so a deep tree cannot exhaust the
    stack) and without entering a folder twice (so links cannot make it search forever)."""
    stack = [(root, (os.path.realpath(root),))]
    while stack:
        folder, ancestors = stack.pop()
        if ancestors[-1] in searched:
            continue
        searched.add(ancestors[-1])
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as e:
            problems.append(Problem(_display(folder), None, None, f"cannot be searched for study files "
                                    f"({e.strerror}); make it readable or remove it"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_folder = entry.is_dir()  # through a link too
            except OSError:  # pragma: no cover - is_dir() reports a broken link or a loop as False
                is_folder = False
            if entry.name.endswith(STUDY_FILE_SUFFIXES):
                files.add(path)
            if not is_folder:
                continue
            real = os.path.realpath(path) if entry.is_symlink() else os.path.join(ancestors[-1], entry.name)
            if any(a == real or a.startswith(real.rstrip(os.sep) + os.sep) for a in ancestors):
                problems.append(Problem(_display(path), None, None,
                                        f"is a link to {display_path(Path(real))}, a folder that holds this link, "
                                        "so searching it would never end; remove the link or point it elsewhere"))
                continue
            subfolders.append((path, (*ancestors, real)))
        stack.extend(reversed(subfolders))  # depth first, in name order: the first path to a folder names it


def read_corpus(paths: Iterable[Path], vocabulary: Iterable[Path], context: Iterable[Path] = ()) -> Corpus:
    """Read vocabulary and study files into one checked Corpus, or raise InputError with every problem.
    `context`: folders of other study files; a file there that declares a concept the files read refer to is
    read too (recorded in Corpus.also_read), so that a subset of a corpus is checked as it stands in it."""
    problems: list[Problem] = []
    corpus = Corpus()
    for path in vocabulary:
        _read_file(path, corpus, problems, study=False)
    files = study_files(paths, problems)
    if not files and not problems:
        raise UsageError(f"no study files (*.yaml) in {', '.join(str(p) for p in paths)}")
    for path in files:
        _read_study_file(path, corpus, problems)
    if context:
        _read_declaring_files(corpus, [f for f in study_files(context) if f not in set(files)], problems)
    # Cross-file checks run even when a file has other defects, so one pass shows every problem. A concept
    # with a defect is still registered by its id, so a defect does not cascade into "unknown id" lines.
    _check_references(corpus, problems)
    if problems:
        raise InputError(problems, files=corpus.files)
    return corpus


def concept_ids_by_prefix(concepts: Iterable[Concept]) -> dict[str, list[str]]:
    """Concept ids by their prefix, each list sorted: what a study file's schema offers to complete."""
    found: dict[str, list[str]] = {}
    for concept in concepts:
        found.setdefault(concept.id.split(":", 1)[0], []).append(concept.id)
    return {prefix: sorted(ids) for prefix, ids in sorted(found.items())}


def vocabulary_concept_ids() -> dict[str, list[str]]:
    """The ids of the concepts pvkg's own vocabulary files declare (every corpus has them), by prefix."""
    problems: list[Problem] = []
    corpus = Corpus()
    for path in resources.vocabulary_files():
        _read_file(path, corpus, problems, study=False)
    if problems:
        raise InputError(problems)
    return concept_ids_by_prefix(corpus.concepts)


def _read_study_file(path: Path, corpus: Corpus, problems: list[Problem]) -> None:
    _read_file(path, corpus, problems, study=True)


def _read_file(path: Path, corpus: Corpus, problems: list[Problem], study: bool) -> None:
    """A study file (`study`) or a vocabulary file into the corpus; its digest kept, whatever it holds."""
    source = _StudyFile(path, problems)
    data = source.load()
    if data is not None:
        reader = _RecordReader(source.file, problems)
        (reader.read_study if study else reader.read_vocabulary)(data, corpus)
    if study:
        corpus.files.append(source.file)
    corpus.digests[source.file] = source.digest or ""


def _declarations(path: Path) -> list[str]:
    """What a study file declares that others refer to, from its YAML alone: its concepts' ids, and its study's and
    works' ids (a file that cannot be read declares nothing)."""
    data = _StudyFile(path, []).load()
    if not isinstance(data, LineMap):
        return []
    items = [item for key in ("concepts", "works") if isinstance(data.get(key), LineList)
             for item in data[key] if isinstance(item, LineMap)]
    return [i for i in [data.get("id"), *(item.get("id") for item in items)] if isinstance(i, str)]


def _references(corpus: Corpus) -> set[str]:
    """The concepts, studies and works the corpus refers to."""
    studies = [s.known_from for s in corpus.studies] + [s.revision_of for s in corpus.studies]
    works = [c.identified_as for s in corpus.studies for c in s.cites]
    return (corpus.used_concepts() | {b for c in corpus.concepts for b in c.broader}
            | {i for i in studies + works if i is not None})


def _read_declaring_files(corpus: Corpus, others: list[Path], problems: list[Problem]) -> None:
    """Read, of `others`, each file that declares a concept, study or work the corpus refers to but does not
    hold, until nothing is missing that one of them declares (the reader reports the rest as unknown)."""
    declared_in: dict[str, Path] = {}
    for path in others:
        for key in _declarations(path):
            declared_in.setdefault(key, path)
    while True:
        held = {c.id for c in corpus.concepts} | {s.id for s in corpus.studies} | {w.id for w in corpus.works}
        missing = sorted(key for key in _references(corpus) - held if key in declared_in)
        if not missing:
            return
        wanted_from: dict[Path, list[str]] = {}
        for key in missing:
            wanted_from.setdefault(declared_in[key], []).append(key)
        for path, keys in sorted(wanted_from.items()):
            _read_study_file(path, corpus, problems)
            corpus.also_read[_display(path)] = keys
        declared_in = {key: where for key, where in declared_in.items() if where not in wanted_from}  # read once
