"""`pvkg new`: a starter study file from one entry of a reference manager's export, or a commented skeleton.

An entry of a BibTeX, RIS or CSL-JSON file (what Zotero, Mendeley, JabRef and publishers' "cite" buttons
export) is read with a maintained parser (bibtexparser, with pylatexenc for LaTeX escapes; rispy; json),
turned into the bibliographic record of a study file (docs/encoding.md, 3.1), and written as YAML text with
`findings: []` and hints of what to add next. Every value is written plain only where pvkg's own YAML reader
gives the same text back, quoted otherwise, so the file reads back as it was meant. The same entry always
gives the same bytes. Nothing here writes a file: the CLI writes what `new_study` returns.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from pvkg._build.studies import DOI, ET_AL, URL, shows_something, study_files
from pvkg.errors import InputError, Problem, UsageError, display_path
from pvkg._files import check_folder
from pvkg._namespaces import SLUG_PATTERN
from pvkg._resources import study_schema_file
from pvkg._text import LANG_TAG, did_you_mean
from pvkg._yamlfile import LineMap, YAMLError
from pvkg._yamlfile import load as load_yaml

FORMATS = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON"}
SKELETON_ID = "new-study"


@dataclass(frozen=True)
class Entry:
    """One entry of an export as the export gives it (LaTeX escapes decoded), before it becomes a record."""

    key: str  # what --key chooses it by: the citation key; RIS: its ID, else its number; CSL-JSON: its id
    kind: str | None  # the export's own type: 'article', 'JOUR', 'article-journal'...
    title: str | None = None
    names: tuple[tuple[str, str], ...] = ()  # (family, given); given is '' for a corporate author
    more_authors: bool = False  # the list ends with 'and others'
    date: str | None = None  # the text that holds the year
    venue: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    article_number: str | None = None
    doi: str | None = None
    url: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Candidate:
    """An entry of an export by its key, read into an Entry only when it is chosen or listed: decoding LaTeX
    takes milliseconds a field, and the export of a whole library holds thousands of entries."""

    key: str
    read: Callable[[], Entry]


@dataclass(frozen=True)
class Record:
    """The bibliographic record of a study file (docs/encoding.md, 3.1) made from an entry. `hints` holds,
    by field, what the entry gave that the record could not take, said as what to do."""

    type: str | None
    title: str | None
    title_language: str  # the tag the title is written under
    authors: tuple[str, ...]  # 'Family, Given'; 'et al.' last where the entry ends with 'and others'
    year: int | None
    venue: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    article_number: str | None
    doi: str | None
    url: str | None
    language: str | None
    hints: dict[str, str]


@dataclass(frozen=True)
class NewStudy:
    """What `pvkg new` writes: the study file's path, its id and its text."""

    path: Path
    id: str
    text: str
    entry: Entry | None  # None for a skeleton


# ------------------------------------------------------------------------------------------------------
# Reading an export
# ------------------------------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    """The text of an export file (UTF-8, a byte-order mark allowed); a UsageError for a file that is not
    there, an InputError with the line for one that is not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; give the file your reference manager exported") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder; give the file your reference manager exported") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot be read ({e.strerror}); make it readable") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError([Problem(str(path), line, None, f"is not UTF-8 (byte 0x{data[e.start]:02X} cannot be "
                                  "read); export it again as UTF-8 (Unicode)")]) from None


def clean(text: object) -> str | None:
    """Text as a study file holds it: composed Unicode (NFC), one space for each run of white space, none of
    the characters the reader refuses (controls, surrogates, U+FFFE and U+FFFF); None for nothing."""
    if text is None or isinstance(text, bool):
        return None
    cleaned = " ".join(unicodedata.normalize("NFC", str(text)).split())
    cleaned = "".join(c for c in cleaned if unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufffe\uffff")
    return cleaned if shows_something(cleaned) else None  # text of invisible characters only is none


@functools.cache
def _latex_decoder():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text()


def _latex(text: str | None) -> str | None:
    """A BibTeX value with its LaTeX decoded: {\\'e} and \\"{o} as é and ö, braces protecting capitals
    removed, \\& as &."""
    return None if text is None else clean(_latex_decoder().latex_to_text(text))


def _verbatim(text: str | None) -> str | None:
    """A BibTeX DOI or URL, which LaTeX decoding would spoil (a '%' starts a comment there): only the
    escapes of special characters (\\_, \\%, \\&, \\#) and the braces are removed."""
    return None if text is None else clean(re.sub(r"\\([_%&#$~])", r"\1", text).replace("{", "").replace("}", ""))


def _bibtex_failure(block, text: str) -> str:
    """What is wrong with a block bibtexparser could not read, and what to do."""
    from bibtexparser.exceptions import BlockAbortedException
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    kind = re.match(r"\s*@(\w+)", block.raw or "")
    what = f"the @{kind.group(1)} entry that starts here" if kind else "the entry that starts here"
    if isinstance(block, DuplicateBlockKeyBlock):
        first = block.previous_block.start_line
        return (f"the key {block.key!r} is used again (first at line {first + 1}); give each entry a key of its "
                "own")
    if isinstance(block, DuplicateFieldKeyBlock):
        return f"{what} gives {', '.join(sorted(block.duplicate_keys))} twice; keep one of each"
    error = block.error
    if isinstance(error, BlockAbortedException):
        reason = " ".join(error.abort_reason.split()).rstrip(". ")
        reason = reason[:1].lower() + reason[1:]
        if error.end_index is not None and error.end_index < len(text.rstrip()):
            reason += f" (at line {text.count(chr(10), 0, error.end_index) + 1})"
        return f"{what} cannot be read: {reason}; fix its braces, quotes and commas"
    return f"{what} cannot be read: {' '.join(str(error).split())}; fix it, or export it again"


def bibtex_entries(path: Path) -> list[Candidate]:
    import bibtexparser
    from bibtexparser import middlewares

    text = _read_text(path)
    parser_log = logging.getLogger("bibtexparser")
    level = parser_log.level
    parser_log.setLevel(logging.CRITICAL)  # it logs each broken block; pvkg says what is wrong in its own words
    try:
        library = bibtexparser.parse_string(text, append_middleware=[
            middlewares.NormalizeFieldKeys(), middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    finally:
        parser_log.setLevel(level)
    if library.failed_blocks:
        raise InputError([Problem(str(path), b.start_line + 1 if b.start_line is not None else None, None,
                                  _bibtex_failure(b, text)) for b in library.failed_blocks])
    return [Candidate(e.key, functools.partial(_bibtex_entry, e)) for e in library.entries]


def _bibtex_name(parts) -> tuple[str, str]:
    """(family, given) of one of bibtexparser's NameParts; 'Jr.' goes after the given names, so that the
    name reads 'Given Jr. Family' when pvkg turns it round."""
    family = _latex(" ".join([*parts.von, *parts.last])) or ""
    given = _latex(" ".join([*parts.first, *parts.jr])) or ""
    return family, given


def _bibtex_entry(entry) -> Entry:
    fields = {f.key: f.value for f in entry.fields}
    names = [_bibtex_name(p) for p in fields.get("author", [])]
    more = bool(names) and names[-1] == ("others", "")
    text = {key: _latex(value) if isinstance(value, str) else None for key, value in fields.items()}
    kind = entry.entry_type.lower()
    return Entry(
        key=entry.key, kind=kind,
        title=text.get("title"), names=tuple(names[:-1] if more else names), more_authors=more,
        date=text.get("year") or text.get("date"),
        venue=text.get("journal") or text.get("journaltitle") or text.get("booktitle"),
        volume=text.get("volume"),
        issue=text.get("number") if kind == "article" else text.get("issue"),
        pages=text.get("pages"),
        article_number=text.get("eid") or text.get("articleno") or text.get("article-number"),
        doi=_verbatim(fields.get("doi")), url=_verbatim(fields.get("url")),
        language=text.get("langid") or text.get("language"))


def _check_ris_records(text: str, path: Path) -> None:
    """Refuse a RIS file whose records do not each start with 'TY' and end with 'ER': rispy silently drops a
    record with no 'ER' line and merges two records where one lacks it. Checked line by line, with rispy's
    own reading of a line."""
    import rispy

    parse_line = rispy.RisParser().parse_line
    open_at, problems = None, []
    for number, line in enumerate(text.split("\n"), 1):  # as rispy splits it
        tag, _ = parse_line(line)
        starts_record = line.startswith("TY") if open_at is None else tag == "TY"  # as rispy tells a start
        if starts_record:
            if open_at is not None:
                problems.append(Problem(str(path), number, None, f"a record starts here before the one at line "
                                        f"{open_at} ended; end that one with a line 'ER  - '"))
            open_at = number
        elif tag == "ER":
            if open_at is None:
                problems.append(Problem(str(path), number, None, "'ER' ends no record here; start the record with "
                                        "a line 'TY  - JOUR' (or its type), or remove this line"))
            open_at = None
        elif tag is not None and open_at is None:
            problems.append(Problem(str(path), number, None, f"the tag {tag} stands outside a record; put it between "
                                    "a 'TY' line and an 'ER' line"))
    if open_at is not None:
        problems.append(Problem(str(path), open_at, None, "the record that starts here has no end; add a line "
                                "'ER  - ' after its last tag"))
    if problems:
        raise InputError(problems)


def ris_entries(path: Path) -> list[Candidate]:
    import rispy

    text = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")  # Zotero writes CRLF
    _check_ris_records(text, path)
    tags = {tag: tag for tag in rispy.TAG_KEY_MAPPING}  # records keyed by the RIS tags themselves
    return [Candidate(_first(record, "ID") or str(number), functools.partial(_ris_entry, record, number))
            for number, record in enumerate(rispy.loads(text, mapping=tags), 1)]


def _first(record: dict, *tags: str) -> str | None:
    for tag in tags:
        value = record.get(tag)
        value = value[0] if isinstance(value, list) and value else value
        if clean(value):
            return clean(value)
    return None


def _ris_entry(record: dict, number: int) -> Entry:
    names = []
    for name in record.get("AU") or record.get("A1") or []:
        family, _, given = name.partition(",")
        names.append((clean(family) or "", clean(given) or ""))
    start, end = _first(record, "SP"), _first(record, "EP")
    urls = [u for u in record.get("UR", []) if clean(u)]
    return Entry(
        key=_first(record, "ID") or str(number), kind=_first(record, "TY"),
        title=_first(record, "TI", "T1"), names=tuple(names), date=_first(record, "PY", "Y1", "DA"),
        venue=_first(record, "JF", "JO", "T2", "C3"), volume=_first(record, "VL"), issue=_first(record, "IS"),
        pages=f"{start}-{end}" if start and end and start != end else start, doi=_first(record, "DO"),
        url=clean(urls[0]) if urls else None, language=_first(record, "LA"))


def csl_json_entries(path: Path) -> list[Candidate]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError([Problem(str(path), e.lineno, None, f"is not JSON: {e.msg} at column {e.colno}; fix it, "
                                  "or export it again as CSL JSON")]) from None
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise InputError([Problem(str(path), None, None, "is not CSL-JSON: it must hold one item (a JSON object) "
                                  "or a list of them; export it again as CSL JSON")])
    return [Candidate(_csl_text(item.get("id")) or str(number), functools.partial(_csl_entry, item, number))
            for number, item in enumerate(items, 1)]


def _csl_text(value: object) -> str | None:
    """A CSL-JSON text: the first of a list (Crossref gives titles as lists), without the rich-text markup
    CSL allows (<i>, <b>, <sup>, <sub>, <span ...>)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    return clean(html.unescape(re.sub(r"</?(i|b|sup|sub|span)\b[^>]*>", "", str(value))))


def _csl_name(name: dict) -> tuple[str, str]:
    if _csl_text(name.get("literal")):  # an organisation
        return _csl_text(name.get("literal")) or "", ""
    family = " ".join(filter(None, (_csl_text(name.get("non-dropping-particle")), _csl_text(name.get("family")))))
    given = " ".join(filter(None, (_csl_text(name.get("given")), _csl_text(name.get("dropping-particle")),
                                   _csl_text(name.get("suffix")))))
    return family, given


def _csl_date(item: dict) -> str | None:
    issued = item.get("issued")
    if not isinstance(issued, dict):
        return _csl_text(issued)
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return _csl_text(parts[0][0])
    return _csl_text(issued.get("raw") or issued.get("literal"))


def _csl_entry(item: dict, number: int) -> Entry:
    title, subtitle = _csl_text(item.get("title")), _csl_text(item.get("subtitle"))
    if title and subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    authors = item.get("author") if isinstance(item.get("author"), list) else []
    return Entry(
        key=_csl_text(item.get("id")) or str(number), kind=_csl_text(item.get("type")), title=title,
        names=tuple(_csl_name(a) for a in authors if isinstance(a, dict)), date=_csl_date(item),
        venue=_csl_text(item.get("container-title")), volume=_csl_text(item.get("volume")),
        issue=_csl_text(item.get("issue")), pages=_csl_text(item.get("page")),
        article_number=_csl_text(item.get("article-number")), doi=_csl_text(item.get("DOI")),
        url=_csl_text(item.get("URL")), language=_csl_text(item.get("language")))


READERS: dict[str, Callable[[Path], list[Candidate]]] = {
    "bibtex": bibtex_entries, "ris": ris_entries, "csl-json": csl_json_entries}


LISTED = 20  # entries named when --key is missing or wrong


def _listing(entries: list[Candidate]) -> str:
    """'bertot_using_2010 (Bertot 2010), bonson_local_2012 (Bonsón 2012)': the first entries of a file, by key,
    first author and year (only these are read)."""
    labels = []
    for candidate in entries[:LISTED]:
        entry = candidate.read()
        year = re.search(r"\d{4}", entry.date or "")
        who = entry.names[0][0] if entry.names else (entry.title or "")[:30]
        labels.append(f"{entry.key} ({' '.join(filter(None, (who, year.group() if year else None)))})")
    more = f" and {len(entries) - LISTED} more" if len(entries) > LISTED else ""
    return ", ".join(labels) + more


def choose_entry(entries: list[Candidate], key: str | None, path: Path, fmt: str) -> Entry:
    """The entry `key` names, or the only one; a UsageError naming the entries where that is not one."""
    if not entries:
        raise InputError([Problem(str(path), None, None, f"holds no {FORMATS[fmt]} entry; check that it is the "
                                  f"file exported as {FORMATS[fmt]}")])
    if key is None:
        if len(entries) == 1:
            return entries[0].read()
        raise UsageError(f"{path}: holds {len(entries)} entries ({_listing(entries)}); choose one with --key KEY")
    chosen = [e for e in entries if e.key == key]
    if not chosen:
        raise UsageError(f"{path}: holds no entry {key!r}{did_you_mean(key, [e.key for e in entries])}; its "
                         f"entries: {_listing(entries)}")
    if len(chosen) > 1:
        raise UsageError(f"{path}: holds {len(chosen)} entries {key!r}; give each a key of its own")
    return chosen[0].read()


# ------------------------------------------------------------------------------------------------------
# Entry -> record
# ------------------------------------------------------------------------------------------------------

TYPES = {  # each format's types of a journal article and of a conference paper (CSL's 'article' is a preprint)
    "bibtex": {"article": "journal-article", "inproceedings": "conference-paper", "conference": "conference-paper"},
    "ris": {"JOUR": "journal-article", "EJOUR": "journal-article", "CONF": "conference-paper",
            "CPAPER": "conference-paper"},
    "csl-json": {"article-journal": "journal-article", "journal-article": "journal-article",  # Crossref's API
                 "paper-conference": "conference-paper", "proceedings-article": "conference-paper"},
}
LANGUAGES = {  # names and ISO 639-2 codes exports use, by BCP 47 tag
    "en": ("english", "eng", "american", "british"), "es": ("spanish", "spa", "castilian"),
    "fa": ("persian", "farsi", "fas", "per"), "de": ("german", "ngerman", "deu", "ger"),
    "fr": ("french", "fra", "fre"), "pt": ("portuguese", "brazilian", "por"), "it": ("italian", "ita"),
    "nl": ("dutch", "nld", "dut"), "zh": ("chinese", "zho", "chi"), "ja": ("japanese", "jpn"),
    "ko": ("korean", "kor"), "ar": ("arabic", "ara"), "ru": ("russian", "rus"), "tr": ("turkish", "tur"),
    "sv": ("swedish", "swe"), "da": ("danish", "dan"), "fi": ("finnish", "fin"), "pl": ("polish", "pol"),
    "el": ("greek", "ell", "gre"), "id": ("indonesian", "ind"), "ca": ("catalan", "cat"),
}
_LANGUAGE_TAGS = {name: tag for tag, names in LANGUAGES.items() for name in names}
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)


def _language(value: str | None) -> str | None:
    """The BCP 47 tag of an export's language ('English', 'en-US', 'eng' -> 'en'); None if unknown."""
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    tag = _LANGUAGE_TAGS.get(value) or value.split("-")[0]
    return tag if LANG_TAG.match(tag) and (len(tag) == 2 or tag in LANGUAGES) else None


def _year(date: str | None) -> int | None:
    found = re.search(r"(?<!\d)(\d{4})(?!\d)", date or "")
    return int(found.group(1)) if found and 1500 <= int(found.group(1)) <= 2100 else None


def _pages(pages: str | None) -> str | None:
    """'123--132', '123-132' or '123 – 132' as '123–132' (an en dash, as the study files write ranges)."""
    if not pages:
        return None
    return re.sub(r"^(\S+?)\s*(?:-{1,3}|–|—)\s*(\S+)$", r"\1–\2", pages)


def doi_of(text: object) -> str | None:
    """A DOI without a resolver or 'doi:' in front, percent-escapes decoded and in lower case (DOIs ignore
    case): the same DOI, however given, is one text. None for what is no DOI."""
    if not isinstance(text, str):
        return None
    doi = unquote(_DOI_PREFIX.sub("", text.strip())).lower()
    return doi if DOI.match(doi) else None


def _doi(entry: Entry) -> str | None:
    """The entry's DOI, or the one its url links to where it gives it only there."""
    return doi_of(entry.doi) or (doi_of(entry.url) if entry.url and _DOI_PREFIX.match(entry.url) else None)


def _url(url: str | None, doi: str | None) -> tuple[str | None, str | None]:
    """(the url to write, a hint where the entry's url cannot be one). A DOI link is left out (the DOI
    says it); characters an IRI cannot hold are percent-encoded, as a browser's address bar shows them."""
    if not url or (_DOI_PREFIX.match(url) and doi and doi_of(url) == doi):
        return None, None
    head, hash_sign, fragment = quote(re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url),
                                      safe="!#$&'()*+,/:;=?@[]~%-._").partition("#")
    encoded = head + hash_sign + fragment.replace("#", "%23")  # an IRI holds one '#' at most
    if not URL.match(encoded):
        return None, f"the entry's url {url!r} is not an http(s) address; give one, or leave this out"
    from pyoxigraph import NamedNode  # the IRI syntax the reader checks url against

    try:
        NamedNode(encoded)
    except ValueError:
        return None, f"the entry's url {url!r} is not a valid address; give a valid one, or leave this out"
    return encoded, None


def _author(family: str, given: str) -> str:
    """'Family, Given'; a family name alone of several words ends in a comma, as the reader asks."""
    if given:
        return f"{family}, {given}"
    return f"{family}," if len(family.split()) > 1 else family


def record_from(entry: Entry, fmt: str) -> Record:
    hints = {}
    kind = TYPES[fmt].get(entry.kind or "")
    if kind is None and entry.kind:
        hints["type"] = (f"the entry is a {FORMATS[fmt]} '{entry.kind}'; pvkg knows journal-article and "
                         "conference-paper only, so type stays out")
    language = _language(entry.language)
    if entry.language and not language:
        hints["language"] = f"the entry says {entry.language!r}; give its language tag, such as en, es or fa"
    year = _year(entry.date)
    if not year:
        hints["year"] = (f"the entry's date {entry.date!r} holds no year; give the year" if entry.date
                         else "the entry gives no year; add it if the source gives one")
    authors = tuple(_author(f, g) for f, g in entry.names if f)
    if not authors:
        hints["author-note"] = ("the entry names no authors; give `authors` as the source does, or say here who "
                                "they are where it does not")
    doi = _doi(entry)
    if entry.doi and not doi:
        hints["doi"] = f"the entry's DOI {entry.doi!r} is not a DOI (10.<digits>/...); check it"
    url, url_hint = _url(entry.url, doi)
    if url_hint:
        hints["url"] = url_hint
    return Record(
        type=kind, title=entry.title, title_language=language or "en",
        authors=authors + ((ET_AL,) if entry.more_authors and authors else ()),
        year=year, venue=entry.venue, volume=entry.volume, issue=entry.issue, pages=_pages(entry.pages),
        article_number=entry.article_number, doi=doi, url=url, language=language, hints=hints)


# ------------------------------------------------------------------------------------------------------
# The study's id
# ------------------------------------------------------------------------------------------------------

_ASCII = str.maketrans({"ø": "o", "Ø": "o", "ß": "ss", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae", "œ": "oe",
                        "Œ": "oe", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ı": "i", "ð": "d", "Ð": "d"})
_TITLE_SKIPS = {"a", "an", "the", "of", "for", "and", "in", "on", "to", "with", "by", "at", "from", "as"}


def _ascii_slug(text: str) -> str:
    """'Bonsón' -> 'bonson', 'Pe Ña-López' -> 'pe-na-lopez': a study id is ASCII (lower-case letters, digits,
    hyphens); letters of other scripts are dropped."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.translate(_ASCII))
                     if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def study_id(record: Record) -> str | None:
    """The usual id: the family names the author-year label names (up to three; the first alone for more,
    or where the list ends with 'et al.') and the year: 'luna-2024', 'tursunbayeva-franco-pagliari-2017'.
    Without authors whose names give letters, the first words of the title; None where neither gives one."""
    families = [_ascii_slug(a.partition(",")[0]) for a in record.authors if a != ET_AL]
    named = families[:1] if len(families) > 3 or ET_AL in record.authors else families
    if named and all(named):
        base = "-".join(named)
    else:
        words = [w for w in _ascii_slug(record.title or "").split("-") if w not in _TITLE_SKIPS]
        base = "-".join(words[:4])
    return f"{base}-{record.year}" if base and record.year else base or None  # a year alone says too little


# ------------------------------------------------------------------------------------------------------
# The starter text
# ------------------------------------------------------------------------------------------------------

# Where a value stands in the file, as a YAML document with VALUE in its place
BLOCK, FLOW, ITEM, NESTED = "k: VALUE\n", "k: {en: VALUE}\n", "k:\n  - VALUE\n", "k:\n  xx: VALUE\n"


def yaml_scalar(text: str, document: str = BLOCK) -> str:
    """`text` as written where VALUE stands in `document`: plain where pvkg's own reader reads it back as the
    same text, double-quoted otherwise (a title with ': ', a volume '41' that must stay text, 'yes', a
    leading '&' or '['...). JSON's quoting is YAML's double-quoted style."""
    quoted = json.dumps(text, ensure_ascii=False)
    try:
        same = load_yaml(document.replace("VALUE", text)) == load_yaml(document.replace("VALUE", quoted))
    except YAMLError:
        same = False
    return text if same else quoted


def _hint(key: str, text: str) -> str:
    return f"# {key}: {text}"


def _title_lines(record: Record) -> list[str]:
    if not record.title:
        return [_hint("title", "the entry gives none; give the title as the source gives it: {en: ...}")]
    tag = record.title_language
    if tag == "en":
        return [f"title: {{en: {yaml_scalar(record.title, FLOW)}}}"]
    return ["title:", f"  {tag}: {yaml_scalar(record.title, NESTED)}",
            "  " + _hint("en", "the English title, which pvkg needs beside the others (the source's own where it "
                               "gives one)")]


def _record_lines(record: Record) -> list[str]:
    lines = []
    if record.type:
        lines.append(f"type: {record.type}")
    elif "type" in record.hints:
        lines.append(_hint("type", record.hints["type"]))
    lines += _title_lines(record)
    if record.authors:
        lines += ["authors:", *(f"  - {yaml_scalar(a, ITEM)}" for a in record.authors)]
    else:
        lines.append(_hint("author-note", record.hints["author-note"]))
    values = {"year": record.year, "venue": record.venue, "volume": record.volume, "issue": record.issue,
              "pages": record.pages, "article-number": record.article_number, "doi": record.doi,
              "url": record.url, "language": record.language}
    for key, value in values.items():
        if value is not None:
            lines.append(f"{key}: {value if isinstance(value, int) else yaml_scalar(value)}")
        elif key in record.hints:
            lines.append(_hint(key, record.hints[key]))
    return lines


NEXT_STEPS = (
    "# source-file: the file you read in ../shared/sources/ (docs/encoding.md §3.1)",
    "# source-url: the web address where you read the source (its abstract page, a PDF)",
    "",
    "# What to add next, each with the locator of the place in the source that says it (docs/encoding.md);",
    "# `pvkg validate studies` checks the file as you go:",
    "# research-questions: (§3.2) a list of: id, locator, statement",
    "# design: (§3.3) locator, methods (method: ids), statement",
    "# context: (§3.4) locator, country, cities, city-count, population, setting, channels, sample (size, unit)",
    "# concepts: (§3.5) only those no file declares yet (`pvkg concepts TEXT` looks ids up): id, label,",
    "#   definition, broader",
    "# cites: (§3.6) works it cites that findings are about: id, cited-as, locator, identified-as",
    "# findings: (§3.8, §4) a list of: id, kind, locator, statement, about (or from and to), direction, level;",
    "#   support, status, strength and inference say how far each one goes (§4.1)",
    "findings: []",
)


def schema_comment(folder: Path) -> str:
    """The first line of a study file in `folder`: where editors find the JSON Schema of study files."""
    return f"# yaml-language-server: $schema={Path(os.path.relpath(study_schema_file(), folder.resolve())).as_posix()}"


def starter_text(record: Record, sid: str, source_name: str, key: str, id_hint: bool = False,
                 folder: Path = Path("studies")) -> str:
    """The study file for `record`: a comment naming where it came from, the record, hints, `findings: []`;
    with `id_hint`, a hint that the id is a stand-in."""
    header = [schema_comment(folder), f"# Started by `pvkg new` from {clean(source_name)}, entry {clean(key)}.",
              "# Replace this comment with the source you encode (a file in ../shared/sources/) and what its",
              "# locators point into (docs/encoding.md §1)."]
    if id_hint:
        header.append(_hint("id", "the entry's authors and title give no id; give one here and name the file after "
                                  "it (docs/encoding.md §2)"))
    header.append(f"id: {sid}")
    return "\n".join([*header, *_record_lines(record), *NEXT_STEPS]) + "\n"


SKELETON_FIELDS = (  # every top-level field of a study file, as the skeleton shows it
    "# type: journal-article          # or conference-paper; leave it out where the source does not say",
    '# title: {en: "The title: as the source gives it"}   # other languages beside English: {en: ..., fa: ...}',
    "# authors:                       # one per line, 'Family, Given'; end with 'et al.' where the source names",
    "#   - Family, Given              # only the first authors",
    "# author-note: ...               # instead of authors, where the source does not name them: who they are",
    "# year: 2024",
    "# venue: Government Information Quarterly",
    '# volume: "41"                   # quoted, so that it stays text',
    '# issue: "2"',
    "# pages: 167–178",
    '# article-number: "101928"',
    "# doi: 10.1016/j.giq.2024.101928",
    "# url: https://...",
    "# language: en                   # the publication's language tag",
    "# source-file: ...               # the file you read in ../shared/sources/",
    "# source-url: https://...        # where you read the source (its abstract page, a PDF)",
    "# known-from: <study id>         # a study known only from another study's account (§3.1, §4.1)",
    "# revision-of: <study id>        # the earlier version this study revises",
    "# works: (§3.7) catalogued works that cited works are identified as: id, title, authors, year, venue...",
)


def skeleton_text(sid: str, folder: Path = Path("studies")) -> str:
    """A study file with every top-level field, commented out, for a study with no reference to start from."""
    header = [schema_comment(folder),
              "# A new study file started by `pvkg new`. Fill in the fields the source gives (docs/encoding.md §3),",
              "# remove the `#` before each, and keep the file named after its id. Replace this comment with the",
              "# source you encode and what its locators point into (docs/encoding.md §1).",
              f"id: {sid}"]
    steps = [line for line in NEXT_STEPS if not line.startswith("# source-file")]
    return "\n".join([*header, *SKELETON_FIELDS, *steps]) + "\n"


# ------------------------------------------------------------------------------------------------------
# The study in its folder
# ------------------------------------------------------------------------------------------------------


def _recorded(path: Path) -> list[tuple[str, str, int, str | None, int]]:
    """(what, id, line of the id, DOI, line of the DOI) of the study and of each work a study file records;
    nothing for a file that cannot be read (pvkg validate says what is wrong with it)."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return []
    if not isinstance(data, LineMap):
        return []
    works = data.get("works")
    records = [("study", data), *(("work", w) for w in works if isinstance(w, LineMap))] if isinstance(
        works, list) else [("study", data)]
    return [(what, str(r.get("id")), r.key_lines.get("id", r.line), doi_of(r.get("doi")),
             r.key_lines.get("doi", r.line)) for what, r in records if r.get("id") is not None]


def _another_id(sid: str) -> str:
    """An id to suggest beside one that is taken: 'luna-2024b', as citations tell two works of a year apart."""
    return f"{sid}b" if sid[-1].isdigit() else f"{sid}-2"


def already_exists(target: Path, sid: str) -> UsageError:
    return UsageError(f"{target}: already exists, and pvkg new never replaces a file; edit that one, or give the "
                      f"new study another id with --id (such as {_another_id(sid)}) or another folder with --out")


def check_free(out: Path, sid: str, doi: str | None) -> None:
    """Refuse a study that `out` already holds: a file of its name (UsageError), a study or work with its id or
    its DOI (InputError at that record's line)."""
    check_folder(out)
    target = out / f"{sid}.yaml"
    if target.exists() or target.is_symlink():
        raise already_exists(target, sid)
    if not out.is_dir():
        return
    problems = []
    for path in study_files([out]):
        for what, record_id, line, record_doi, doi_line in _recorded(path):
            file = display_path(path)
            if record_id == sid:
                problems.append(Problem(file, line, f"{what} {record_id}", f"has the id the new study would get; "
                                        f"give the new one another with --id, such as --id {_another_id(sid)}"))
            if doi and record_doi == doi:
                problems.append(Problem(file, doi_line, f"{what} {record_id}", f"records the DOI {doi} already (a "
                                        "DOI names one work); add to this record rather than start another"))
    if problems:
        raise InputError(problems)


def new_study(out: Path, source: tuple[str, Path] | None = None, key: str | None = None,
              given_id: str | None = None) -> NewStudy:
    """The starter study file `pvkg new` writes into `out`: from the entry `key` (or the only one) of the
    export `source` (format, path), or a skeleton without one. Refuses what would clash with `out`."""
    if given_id is not None and not SLUG_PATTERN.match(given_id):
        raise UsageError(f"--id {given_id!r} must be lower-case letters, digits and single hyphens, such as "
                         "luna-2024")
    if source is None:
        if key is not None:
            raise UsageError("--key chooses an entry of --bibtex, --ris or --csl-json; give one of them too")
        sid = given_id or SKELETON_ID
        check_free(out, sid, None)
        return NewStudy(out / f"{sid}.yaml", sid, skeleton_text(sid, out), None)
    fmt, path = source
    entry = choose_entry(READERS[fmt](path), key, path, fmt)
    record = record_from(entry, fmt)
    made_id = study_id(record)
    sid = given_id or made_id or SKELETON_ID
    check_free(out, sid, record.doi)
    text = starter_text(record, sid, path.name, entry.key, id_hint=not (given_id or made_id), folder=out)
    return NewStudy(out / f"{sid}.yaml", sid, text, entry)
