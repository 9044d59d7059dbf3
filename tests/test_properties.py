"""Property-based tests (hypothesis) of the whole path from a study file to the answers of the canned queries.

- Random valid study documents, written as YAML the way an editor could write them (block, flow, all
  double-quoted, ASCII-escaped, narrow-folded), load, build (validation and quality checks included), go
  into an Oxigraph store, and come back unchanged through the `evidence` and `studies` queries: every
  statement, locator, title, label and year exactly as written, after only what docs/encoding.md says the
  loader does (language-tagged text has its runs of whitespace collapsed; other text is stripped).
- Random invalid documents (valid ones with one defect, arbitrary YAML values, arbitrary text and bytes)
  give a PvkgError, from read_corpus or build_graph, and never another exception.

Every property is derandomized and writes no example database, so a run in CI is the same run as on a
laptop. Each example works in its own tempfile.TemporaryDirectory: pytest's function-scoped fixtures are
not reset between the examples of one hypothesis test.

Defects these properties found are kept at the end of the file as their minimal examples.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tempfile
import traceback
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from pvkg import _resources as resources
from pvkg._build.pipeline import build_graph
from pvkg._sparql.queries import load_queries, run_query
from pvkg._sparql.stores import OxigraphStore
from pvkg._yamlfile import CORE_SCHEMA
from pvkg._yamlfile import load as load_yaml
from pvkg.errors import PvkgError

# Deterministic in CI and nothing written into the repository: no example database, and hypothesis's own
# caches (Unicode tables, constants) in the temporary folder instead of ./.hypothesis/. A settings object
# used as a parent, not a loaded profile: loading a profile would change every other hypothesis test too.
BASE = settings(derandomize=True, database=None, deadline=None, print_blob=False)
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "pvkg-hypothesis")

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # docs/encoding.md 3: a slug
LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")  # docs/encoding.md 3: a lower-case BCP 47 tag
ET_AL = "et al."
QUERIES = load_queries()


def collapse(text: str) -> str:
    """What the loader does to language-tagged text: runs of whitespace become one space."""
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------------------
# The shared vocabulary, read with pvkg's own YAML reader from the files every corpus uses
# ------------------------------------------------------------------------------------------------------


def _english(label) -> str:
    return collapse(label if isinstance(label, str) else label["en"])


def _vocabulary() -> tuple[dict[str, str], dict[str, str], list[str]]:
    concepts: dict[str, str] = {}
    countries: dict[str, str] = {}
    cities: list[str] = []
    for path in resources.vocabulary_files():
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        for item in data.get("concepts") or []:
            concepts[item["id"]] = _english(item["label"])
        for item in data.get("countries") or []:
            countries[item["code"]] = _english(item["label"])
        for item in data.get("cities") or []:
            cities.append(item["id"])
    return concepts, countries, cities


VOCABULARY, COUNTRIES, CITIES = _vocabulary()


def _ids(prefix: str) -> list[str]:
    return sorted(c for c in VOCABULARY if c.startswith(prefix + ":"))


VALUES, METHODS, CHANNELS, CONSTRUCTS = _ids("value"), _ids("method"), _ids("channel"), _ids("construct")


def test_the_vocabulary_has_what_the_strategies_draw_from():
    assert VALUES and METHODS and CHANNELS and CONSTRUCTS and COUNTRIES


# ------------------------------------------------------------------------------------------------------
# Writing YAML that pvkg reads back as written
# ------------------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper quotes the strings YAML 1.1 would read as something else; pvkg reads YAML 1.2's
    core schema, so the dumper must also quote what 1.2 reads as a number, a boolean or null (0o17, 1e5,
    .inf, True). A string written plain is then one that any YAML reader reads as that string."""


for _tag, _pattern, _first in CORE_SCHEMA:  # the reader's own rules
    _Dumper.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))

YAML_STYLES = ("block", "flow", "double-quoted", "ascii", "narrow")


def dump(doc, style: str) -> str:
    options: dict = {"Dumper": _Dumper, "allow_unicode": True, "sort_keys": False}
    if style == "flow":
        options["default_flow_style"] = True
    elif style == "double-quoted":
        options["default_style"] = '"'
    elif style == "ascii":
        options["allow_unicode"] = False  # every non-ASCII character as a \u or \U escape
    elif style == "narrow":
        options["width"] = 24  # long scalars folded over several lines
    return "# written by tests/test_properties.py\n" + yaml.dump(doc, **options)


# ------------------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------------------

# Every character a study's text may hold: no surrogates (not UTF-8), no C0/C1 control characters other
# than tab, line feed and carriage return, no U+FFFE/U+FFFF (see test_a_control_character_is_refused_...).
_CHAR = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff",
                      include_characters="\t\n\r")
# Pieces that break naive quoting in YAML, Turtle, N-Triples and SPARQL, and scripts and symbols
_SPECIAL = (
    '"""', "'''", '"', "'", "\\", "\\n", "\\u0041", "\\U0001F600", "<", ">", "<http://example.org/x>", "{", "}",
    "[", "]", "#", " # not a comment", "@prefix ex: <http://example.org/> .", "@en", '"^^xsd:string', "?concept",
    "$lang", "} UNION {", "&", "*", "!", "|", ">-", ": ", " - ", "---", "...", "%", "`", "\t", "\n", "\n\n", "   ",
    "\r\n", "\r", "\u00a0", "\u2028", "\u2029", "\u3000", "\u200b", "\u200c", "\u200d", "\u202e", "\ufeff",
    "شفافیت و پاسخگویی", "مرحبا", "Ελληνικά", "中文", "😀", "👍🏽", "👨\u200d👩\u200d👧", "\U0010fffd", "İ", "ß", "ǅ",
    "ﬁ", "null", "true", "~", "0o17", "1e5", ".inf", "0x1F", "yes", "NO", "2024-01-01", "1_000", "=", "<<",
)
TEXT = st.lists(st.one_of(st.text(_CHAR, max_size=6), st.sampled_from(_SPECIAL)), max_size=4).map("".join)
_LATIN_WORDS = ("Citizens", "trust", "Público", "Ærø", "value", "x-ray", "Ünïcode", "ſtate", "O'Brien")
_PERSIAN_WORDS = ("شفافیت", "پاسخگویی", "اعتماد", "مشارکت")
_LOCATOR_WORDS = ("Abstract", "Results – Human factors", "§5", "p. 12", "Table 3", "نتایج", "related-facts.md §4")


def _around(word: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(TEXT, word, TEXT).map("".join)


# English text has a Latin letter and Persian text an Arabic-script letter: the language-tag quality check
# (queries/qc/language-tag-violation.rq) refuses text in Arabic script tagged as English, and text tagged
# Persian with no Arabic-script letter.
EN_TEXT = _around(st.sampled_from(_LATIN_WORDS))
FA_TEXT = _around(st.sampled_from(_PERSIAN_WORDS))
ES_TEXT = _around(st.sampled_from(_LATIN_WORDS))
LOCATOR = _around(st.sampled_from(_LOCATOR_WORDS))  # plain text: stripped, not collapsed
SLUGS = st.from_regex(r"[a-z0-9]{1,6}(?:-[a-z0-9]{1,6}){0,2}", fullmatch=True)


@st.composite
def lang_text(draw, suffix: str = ""):
    """Language-tagged text: a plain string (English), or English with at most one Persian and one Spanish
    text, under a tag with or without a region. (Two tags of one language, such as en and en-GB, are left
    out here: see test_evidence_lists_each_finding_once.)"""
    texts = {"en": draw(EN_TEXT) + suffix}
    if draw(st.booleans()):
        texts[draw(st.sampled_from(("fa", "fa-IR")))] = draw(FA_TEXT) + suffix
    if draw(st.booleans()):
        texts[draw(st.sampled_from(("es", "es-MX", "es-419")))] = draw(ES_TEXT) + suffix
    if len(texts) == 1 and draw(st.booleans()):
        return texts["en"]
    return texts


def tagged(value) -> dict[str, str]:
    """Language-tagged text as the graph holds it: tag (lower case) -> collapsed text."""
    if isinstance(value, str):
        value = {"en": value}
    return {tag.lower(): collapse(text) for tag, text in value.items()}


def in_language(value, lang: str) -> str:
    """The text the evidence query gives in `lang`: the text whose tag matches it, else the English."""
    texts = tagged(value)
    matching = [t for tag, t in texts.items() if tag == lang or tag.startswith(lang + "-")]
    return matching[0] if matching else texts["en"]


# ------------------------------------------------------------------------------------------------------
# Valid study documents
# ------------------------------------------------------------------------------------------------------


@st.composite
def author_lists(draw, token: str, min_size: int, max_size: int):
    """'Family, Given' names (or a family name alone), optionally ending in 'et al.'. Each family name
    has a Latin letter and a token of its own, so that no two authors get one person IRI (see
    test_authors_with_non_latin_or_look_alike_names_build)."""
    names = []
    for i in range(draw(st.integers(min_size, max_size))):
        family = (draw(TEXT) + draw(st.sampled_from(_LATIN_WORDS)) + f"Q{token}{i}Q" + draw(TEXT)).replace(",", "")
        given = draw(st.one_of(st.none(), TEXT))
        # a family name alone of several words ends in a comma, as pvkg asks (it reads 'Dolores Luna' as a
        # name in the wrong order)
        alone = f"{family}," if len(family.split()) > 1 else family
        names.append(alone if given is None else f"{family}, {given}")
    if names and draw(st.booleans()):
        names.append(ET_AL)
    return names


def expected_label(authors: list[str], title, year: int | None, lang: str = "en") -> str:
    """docs/encoding.md 3.1: up to three family names ('A, B & C (2017)'), else the first and 'et al.'; the
    title where no author is named, in `lang` where the title has it (the answers' label in that language)."""
    named = [a.strip() for a in authors if a.strip() != ET_AL]
    families = [a.partition(",")[0].strip() for a in named]
    when = f" ({year})" if year is not None else ""
    if not families:
        return in_language(title, lang) + when
    if len(families) > 3 or len(named) < len(authors):
        return f"{families[0]} et al.{when}"
    return (families[0] if len(families) == 1 else ", ".join(families[:-1]) + " & " + families[-1]) + when


@st.composite
def concept_declarations(draw):
    """A factor category with sub-factors, service characteristics and a value under a shared one: the
    concepts that the vocabulary does not have. Labels end in a counter, so no two concepts of a scheme
    share a label (the duplicate-label quality check)."""
    name = draw(SLUGS)
    concepts, counter = [], iter(range(1000))

    def declare(cid: str, **fields):
        n = next(counter)
        item = {"id": cid, **fields, "label": draw(lang_text(suffix=f" (c{n})")),
                "definition": draw(lang_text())}
        if draw(st.booleans()):
            item["alt-labels"] = {"en": [draw(EN_TEXT) + f" (a{n})"]}
        if draw(st.booleans()):
            item["note"] = draw(EN_TEXT)
        concepts.append(item)
        return cid

    category = declare(f"factor:{name}-g0", type="category")
    factors = [category] + [declare(f"factor:{name}-g{i}", broader=[category])
                            for i in range(1, draw(st.integers(1, 2)) + 1)]
    characteristics = [declare(f"characteristic:{name}-g{i}") for i in range(draw(st.integers(1, 2)))]
    values = [declare(f"value:{name}-g0", broader=[draw(st.sampled_from(VALUES))])] if draw(st.booleans()) else []
    return concepts, factors, characteristics, values


def _some(draw, pool: list[str], min_size: int, max_size: int, without=()) -> list[str]:
    left = [c for c in pool if c not in without]
    return draw(st.lists(st.sampled_from(left), unique=True, min_size=min_size, max_size=max_size)) if left else []


@st.composite
def findings(draw, ids: list[str], factors, characteristics, values, cites: list[str]):
    """One finding of each id, of a random kind, following the kind rules of docs/encoding.md 4. A concept
    has at most one role in a finding (see test_evidence_lists_each_finding_once)."""
    pool = VALUES + values + characteristics + factors + CHANNELS + CONSTRUCTS
    kinds = ["values", "characteristics", "link", "factor"] + (["cited-work"] if cites else [])
    result = []
    for fid in ids:
        kind = draw(st.sampled_from(kinds))
        item: dict = {"id": fid, "kind": kind, "locator": draw(LOCATOR), "statement": draw(lang_text())}
        if kind in ("values", "characteristics"):
            first = draw(st.sampled_from(VALUES + values if kind == "values" else characteristics))
            item["about"] = [first] + _some(draw, pool, 0, 2, without={first})
            if kind == "values" and draw(st.booleans()):
                item["level"] = draw(st.sampled_from(("individual", "societal")))
        elif kind == "factor":
            first = draw(st.sampled_from(factors))
            direction = draw(st.sampled_from((None, "driver", "barrier")))
            others = set(factors) if direction else {first}
            item["about"] = [first] + _some(draw, pool, 0, 2, without=others)
            if direction:
                item["direction"] = direction
        elif kind == "link":
            item["from"] = _some(draw, pool, 1, 2)
            item["to"] = _some(draw, pool, 1, 2, without=set(item["from"]))
            about = _some(draw, pool, 0, 1, without=set(item["from"]) | set(item["to"]))
            if about:
                item["about"] = about
            if draw(st.booleans()):
                item["direction"] = draw(st.sampled_from(("driver", "barrier")))
        else:
            item["work"] = draw(st.sampled_from(cites))
            about = _some(draw, pool, 0, 2)
            if about:
                item["about"] = about
        if draw(st.booleans()):
            item["note"] = draw(EN_TEXT)
        result.append(item)
    return result


def _maybe(draw, doc: dict, key: str, strategy) -> None:
    if draw(st.booleans()):
        doc[key] = draw(strategy)


DOIS = st.tuples(st.sampled_from(("", "https://doi.org/", "http://dx.doi.org/", "doi:", "DOI:")),
                 st.from_regex(r"10\.[0-9]{4,9}", fullmatch=True),
                 st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
                                       exclude_characters="\ufffe\uffff\ufeff\u200b\u180e"), min_size=1, max_size=8)
                 .filter(lambda s: not any(c.isspace() for c in s)))
URLS = st.tuples(st.sampled_from(("http://", "https://")),
                 st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){1,2}", fullmatch=True),
                 st.text(st.one_of(st.sampled_from("abcXYZ019-._~/"), st.characters(categories=("Ll", "Lu", "Lo"))),
                         max_size=10)).map(lambda t: t[0] + t[1] + "/" + t[2])


@st.composite
def valid_documents(draw):
    """A study document (Python data, as the YAML file holds it) that docs/encoding.md says is valid."""
    sid = draw(SLUGS)
    concepts, factors, characteristics, values = draw(concept_declarations())
    doc: dict = {"id": sid, "type": draw(st.sampled_from(("journal-article", "conference-paper")))}
    authors = draw(author_lists("s", 0, 4))
    if authors:
        doc["authors"] = authors
        _maybe(draw, doc, "title", lang_text())
    else:
        doc["title"] = draw(lang_text())
        doc["author-note"] = draw(EN_TEXT)
    _maybe(draw, doc, "year", st.integers(1500, 2100))
    _maybe(draw, doc, "venue", EN_TEXT)
    for key in ("volume", "issue", "pages", "article-number", "source-file"):
        _maybe(draw, doc, key, LOCATOR)
    _maybe(draw, doc, "doi", DOIS.map(lambda t: f"{t[0]}{t[1]}/{t[2]}"))
    _maybe(draw, doc, "url", URLS)
    _maybe(draw, doc, "language", st.sampled_from(("en", "fa", "es", "es-MX", "fa-IR")))
    rqs = [{"id": f"rq{i}", "locator": draw(LOCATOR), "statement": draw(lang_text())}
           for i in range(1, draw(st.integers(0, 2)) + 1)]
    if rqs:
        doc["research-questions"] = rqs
    if draw(st.booleans()):
        doc["design"] = {"locator": draw(LOCATOR), "methods": _some(draw, METHODS, 1, 3),
                         "statement": draw(lang_text())}
        _maybe(draw, doc["design"], "quality-threshold", st.floats(0, 1))
    if draw(st.booleans()):
        context: dict = {"locator": draw(LOCATOR)}
        _maybe(draw, context, "country", st.sampled_from(sorted(COUNTRIES)))
        _maybe(draw, context, "cities", st.lists(st.sampled_from(CITIES), unique=True, min_size=1))
        _maybe(draw, context, "city-count", st.integers(1, 10**6))
        _maybe(draw, context, "population", lang_text())
        _maybe(draw, context, "setting", lang_text())
        _maybe(draw, context, "channels", st.lists(st.sampled_from(CHANNELS), unique=True, min_size=1))
        if draw(st.booleans()):
            context["sample"] = {"size": draw(st.integers(0, 10**9)), "unit": draw(lang_text())}
        doc["context"] = context
    doc["concepts"] = concepts
    works = []
    if draw(st.booleans()):
        work: dict = {"id": f"{sid}-w1", "title": draw(lang_text())}
        _maybe(draw, work, "authors", author_lists("w", 1, 3))
        _maybe(draw, work, "year", st.integers(1500, 2100))
        works.append(work)
        doc["works"] = works
    cites = []
    for i in range(draw(st.integers(0, 2))):
        cite: dict = {"id": f"c{i}", "cited-as": draw(EN_TEXT), "locator": draw(LOCATOR)}
        if works:  # a study citing itself is refused
            _maybe(draw, cite, "identified-as", st.sampled_from([w["id"] for w in works]))
        _maybe(draw, cite, "correction", lang_text())
        _maybe(draw, cite, "design", st.builds(lambda m: {"methods": m},
                                               st.lists(st.sampled_from(METHODS), unique=True, min_size=1)))
        _maybe(draw, cite, "context", st.fixed_dictionaries(
            {}, optional={"setting": lang_text(), "channels": st.lists(st.sampled_from(CHANNELS), unique=True,
                                                                       min_size=1)}))
        cites.append(cite)
    if cites:
        doc["cites"] = cites
    finding_ids = draw(st.lists(SLUGS, unique=True, min_size=1, max_size=4))
    doc["findings"] = draw(findings(finding_ids, factors, characteristics, values, [c["id"] for c in cites]))
    return _composed(doc)


def _composed(value):
    """The document with all its text in Unicode's composed form (NFC), as pvkg reads text: an accent drawn
    apart from its letter comes back joined to it."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_composed(v) for v in value]
    if isinstance(value, dict):
        return {_composed(k): _composed(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------------------------
# Running pvkg on one file
# ------------------------------------------------------------------------------------------------------


def _outcome(folder: Path) -> tuple[str, object]:
    """('refused', the PvkgError) or ('built', the Build). Any other exception is a bug: it becomes an
    AssertionError that names it, with its traceback, so that hypothesis reports (and shrinks) the input."""
    try:
        return "built", build_graph([folder], reason=False)  # read_corpus first, then SHACL and the checks
    except PvkgError as e:
        return "refused", e
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException as e:  # RecursionError, UnicodeDecodeError, KeyError, TypeError, ValueError...
        raise AssertionError(f"pvkg raised {type(e).__name__}, not a PvkgError: {e}\n"
                             + "".join(traceback.format_exception(e))[-3000:]) from None


def run_on(files: dict[str, bytes]) -> tuple[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        return _outcome(folder)


# The columns each property checks (the queries have more: how findings are supported, cities...)
CHECKED = {"evidence": ("finding", "statement", "study", "locator"),
           "studies": ("study", "year", "method", "country", "sample", "doi")}


def _rows(store, name: str, **params) -> list[tuple]:
    result = run_query(store, QUERIES[name], params)
    rows = result.pick(*CHECKED[name]) if name in CHECKED else result.rows
    return [tuple(None if v is None else str(v) for v in row) for row in rows]


def _uses(finding: dict) -> list[str]:
    return [*finding.get("about", []), *finding.get("from", []), *finding.get("to", [])]


# ------------------------------------------------------------------------------------------------------
# Property 1: a valid document comes back unchanged
# ------------------------------------------------------------------------------------------------------


@settings(BASE, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(doc=valid_documents(), style=st.sampled_from(YAML_STYLES))
def test_a_valid_study_comes_back_through_the_queries_as_written(doc, style):
    # too_slow: one example draws a whole study (a few hundred choices); that is the point, not a defect.
    text = dump(doc, style)
    note(text)
    assert yaml.load(text, Loader=yaml.SafeLoader) == doc, "the test wrote YAML that does not say what it meant"
    outcome, build = run_on({f"{doc['id']}.yaml": text.encode("utf-8")})
    assert outcome == "built", "a valid study was refused:\n" + "\n".join(build.lines())
    store = OxigraphStore.from_graph(build.graph)
    label = expected_label(doc.get("authors", []), doc.get("title"), doc.get("year"))
    study_iri = f"https://w3id.org/pvkg/id/work/{doc['id']}"

    # evidence: every finding that uses the concept, by id, and by label for a concept the study declares
    used = sorted({c for f in doc["findings"] for c in _uses(f)})
    for concept in used:
        expected = sorted((f"https://w3id.org/pvkg/id/finding/{f['id']}", in_language(f["statement"], "en"), label,
                           f["locator"].strip()) for f in doc["findings"] if concept in _uses(f))
        assert _rows(store, "evidence", concept=concept) == expected, concept
    declared = {c["id"]: c for c in doc["concepts"]}
    for concept in [c for c in used if c in declared][:1]:
        by_label = _rows(store, "evidence", concept=tagged(declared[concept]["label"])["en"])
        assert by_label == _rows(store, "evidence", concept=concept)
    for lang in ("fa", "es"):  # statements in another language, English where a finding has none in it
        concept = used[0]
        label_in = expected_label(doc.get("authors", []), doc.get("title"), doc.get("year"), lang)
        expected = sorted((f"https://w3id.org/pvkg/id/finding/{f['id']}", in_language(f["statement"], lang),
                           label_in, f["locator"].strip()) for f in doc["findings"] if concept in _uses(f))
        assert _rows(store, "evidence", concept=concept, lang=lang) == expected

    # studies: label, year, methods, country, sample and DOI
    design, context = doc.get("design"), doc.get("context") or {}
    methods = "; ".join(sorted({VOCABULARY[m] for m in design["methods"]})) if design else None
    sample = context.get("sample")
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doc["doi"], flags=re.I) if "doi" in doc else None
    assert _rows(store, "studies") == [(
        label, str(doc["year"]) if "year" in doc else None, methods,
        COUNTRIES[context["country"]] if "country" in context else None,
        f"{sample['size']} {tagged(sample['unit'])['en']}" if sample else None, doi)]

    # the title, in every language, which the label shows only when no author is named
    _, titles = store.select(f"SELECT ?t WHERE {{ <{study_iri}> <http://purl.org/dc/terms/title> ?t }}")
    assert {(t.language, str(t)) for (t,) in titles} == set(tagged(doc.get("title", {})).items())


HOSTILE = st.lists(st.sampled_from(_SPECIAL), min_size=1, max_size=6).map("".join)


@settings(BASE, max_examples=30)
@given(label=st.tuples(HOSTILE, st.sampled_from(_LATIN_WORDS), HOSTILE).map("".join),
       statement=st.tuples(HOSTILE, st.sampled_from(_LATIN_WORDS), HOSTILE).map("".join),
       locator=st.tuples(HOSTILE, st.sampled_from(_LOCATOR_WORDS), HOSTILE).map("".join),
       style=st.sampled_from(YAML_STYLES))
def test_a_concept_is_found_by_its_label_whatever_the_label_holds(label, statement, locator, style):
    """The evidence query takes a label as well as an id; the label is bound into the SPARQL text as a
    value. Labels, statements and locators made of the pieces that break quoting (\"\"\", backslashes,
    escapes such as \\u0041, '} UNION {', '?concept', '#', line separators) must find the concept and come
    back as written."""
    doc = {"id": "s1", "type": "journal-article", "authors": ["Doe, Jane"], "year": 2020,
           "concepts": [{"id": "characteristic:c1", "label": label, "definition": "A characteristic."}],
           "findings": [{"id": "f1", "kind": "characteristics", "locator": locator, "statement": statement,
                         "about": ["characteristic:c1"]}]}
    outcome, build = run_on({"s1.yaml": dump(doc, style).encode("utf-8")})
    assert outcome == "built", build.lines()
    store = OxigraphStore.from_graph(build.graph)
    expected = [("https://w3id.org/pvkg/id/finding/f1", collapse(statement), "Doe (2020)", locator.strip())]
    assert _rows(store, "evidence", concept="characteristic:c1") == expected
    assert _rows(store, "evidence", concept=collapse(label)) == expected


# ------------------------------------------------------------------------------------------------------
# Property 2: an invalid document gives a PvkgError, and nothing else
# ------------------------------------------------------------------------------------------------------

_NOT_SLUGS = st.sampled_from(("Bad Id", "", "-x", "x-", "x--y", "X1", "é", "a_b", "a/b", "a.b", "a\nb"))
_BAD_TAGS = st.one_of(st.sampled_from(("EN", "english", "e", "en_US", "1en", "en-", "-en", "en-a", "", "en US")),
                      st.text(max_size=6).filter(lambda t: not LANG_TAG.match(t)))
_WRONG = {  # field -> values of a wrong type or form for it, each refused
    "text": [["x"], {"a": "b"}, True, "", "   ", {"en": "x"}],
    "lang": [["x"], 5, True, {"en": ""}, {"en": None}, {"en": ["x"]}, {"en": {"en": "x"}}],
    "list": [5, {"a": 1}, True, [5], [""], [None], [["value:trust"]], [{"id": "x"}]],
    "mappings": ["text", 5, True, {"a": 1}, ["text"], [5], [None]],
    "year": ["2020", 2020.5, True, [2020], {"y": 2020}, 1499, 2101, -2020, 10**6],
}


def _a(draw, items):
    return items[draw(st.integers(0, len(items) - 1))]


MUTATIONS = ("drop", "wrong type", "unknown field", "bad id", "id differs from file name", "bad year",
             "bad language tag", "no English", "unknown concept", "concept of the wrong scheme", "kind rule",
             "duplicate finding", "duplicate concept", "duplicate key", "bad doi", "bad url", "bad country",
             "bad sample", "bad method", "broader loop")


def _mutations(draw, doc: dict, kind: str) -> tuple[str, str]:
    """Give a valid document one defect of a kind that docs/encoding.md says must be refused; returns what
    was done and the file name to write it under."""
    name = f"{doc['id']}.yaml"
    finding = _a(draw, doc["findings"])
    concept = _a(draw, doc["concepts"])
    if kind == "drop":
        required = [(doc, "id"), (doc, "findings"), (finding, "id"), (finding, "kind"), (finding, "locator"),
                    (finding, "statement"), (concept, "id"), (concept, "label"), (concept, "definition")]
        required += [(finding, k) for k in {"values": ["about"], "characteristics": ["about"], "factor": ["about"],
                                            "link": ["from", "to"], "cited-work": ["work"]}[finding["kind"]]]
        for part in ("design", "context"):
            if part in doc:
                required.append((doc[part], "locator"))
        if "design" in doc:
            required += [(doc["design"], "methods"), (doc["design"], "statement")]
        owner, key = _a(draw, required)
        del owner[key]
        return f"drop {key}", name
    if kind == "wrong type":
        owner, key, form = _a(draw, [
            (doc, "findings", "mappings"), (doc, "year", "year"), (doc, "title", "lang"), (doc, "authors", "list"),
            (doc, "concepts", "mappings"), (finding, "statement", "lang"), (finding, "locator", "text"),
            (finding, "kind", "text"), (finding, "id", "text"), (concept, "label", "lang"),
            (concept, "definition", "lang"), (concept, "id", "text"),
            *([(finding, "about", "list")] if finding["kind"] != "link" else [(finding, "from", "list")])])
        owner[key] = copy.deepcopy(_a(draw, _WRONG[form]))
        return f"{key} of a wrong type: {owner.get(key)!r}", name
    if kind == "unknown field":
        key = draw(st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(("statment", "Title", "ID", "finding")),
                             st.integers(), st.booleans()))
        owner, allowed = _a(draw, [(doc, "id type title authors author-note year venue volume issue pages "
                                         "article-number doi url language source-file known-from revision-of "
                                         "research-questions design context concepts cites works findings"),
                                   (finding, "id kind locator statement about from to direction level work note"),
                                   (concept, "id type label alt-labels definition broader note step-count source")])
        if str(key) in allowed.split():
            key = f"x-{key}"
        owner[key] = draw(st.one_of(st.none(), st.text(max_size=5), st.integers()))
        return f"unknown field {key!r}", name
    if kind == "bad id":
        owner = _a(draw, [doc, finding])
        owner["id"] = draw(_NOT_SLUGS)
        return f"bad id {owner['id']!r}", name
    if kind == "id differs from file name":
        return "file named after another id", f"{doc['id']}-other.yaml"
    if kind == "bad year":
        doc["year"] = draw(st.one_of(st.integers(max_value=1499), st.integers(min_value=2101)))
        return f"year {doc['year']}", name
    if kind in ("bad language tag", "no English"):
        owner, key = _a(draw, [(doc, "title"), (finding, "statement"), (concept, "label"), (concept, "definition")])
        if kind == "no English":
            owner[key] = {"fa": draw(FA_TEXT)}
        else:
            owner[key] = {"en": draw(EN_TEXT), draw(_BAD_TAGS): draw(EN_TEXT)}
        return f"{key}: {owner[key]!r}", name
    if kind in ("unknown concept", "concept of the wrong scheme"):
        bad = (draw(st.sampled_from(("value:", "factor:", "characteristic:", "channel:", "construct:")))
               + "nowhere-" + draw(SLUGS)) if kind == "unknown concept" else draw(st.sampled_from(
                   METHODS + ["transparency", "Value:trust", "place:seoul", "value:", ":trust", "value:Trust"]))
        key = "from" if finding["kind"] == "link" else "about"
        finding[key] = [*finding.get(key, []), bad]
        return f"{key} {bad!r}", name
    if kind == "kind rule":
        wrong = {"values": ("direction", "driver"), "characteristics": ("level", "individual"),
                 "link": ("level", "individual"), "factor": ("to", ["value:trust"]),
                 "cited-work": ("direction", "barrier")}  # a finding of any kind may report a cited work
        key, value = wrong[finding["kind"]]
        if draw(st.booleans()):
            finding.clear()
            finding.update({"id": "two-factors", "kind": "factor", "locator": "Results", "statement": "Factors.",
                            "about": [c["id"] for c in doc["concepts"] if c["id"].startswith("factor:")][:2],
                            "direction": "driver"})
            return "a factor finding with a direction about two factors", name
        finding[key] = value
        return f"a {finding['kind']} finding with {key}", name
    if kind == "duplicate finding":
        doc["findings"].append(copy.deepcopy(finding))
        return f"finding {finding['id']} twice", name
    if kind == "duplicate concept":
        doc["concepts"].append(copy.deepcopy(concept) if draw(st.booleans()) else
                               {"id": draw(st.sampled_from(VALUES)), "label": "again", "definition": "Again."})
        return f"concept {doc['concepts'][-1]['id']} declared twice", name
    if kind == "duplicate key":
        return "duplicate key", name  # written by invalid_inputs, which adds a second 'id:' line
    if kind == "bad doi":
        doc["doi"] = draw(st.sampled_from(("11.1234/x", "10.12/x", "10.1234/", "10.1234/a b", "doi 10.1234/x",
                                           "10.1234", "https://doi.org/")))
        return f"doi {doc['doi']!r}", name
    if kind == "bad url":
        doc["url"] = draw(st.sampled_from(("ftp://example.org/", "http://a b", "example.org", "http://", "http:// x",
                                           'http://a"b', "http://a<b>", "http://a{b}", "mailto:x@example.org")))
        return f"url {doc['url']!r}", name
    if kind == "bad country":
        doc["context"] = {"locator": "Abstract", "country": draw(st.sampled_from(("mex", "MEXICO", "ZZZ", "MX", 5)))}
        return f"country {doc['context']['country']!r}", name
    if kind == "bad sample":
        doc["context"] = {"locator": "Abstract", "sample": draw(st.sampled_from((
            {"size": -1, "unit": "people"}, {"size": "13", "unit": "people"}, {"size": 1.5, "unit": "people"},
            {"size": True, "unit": "people"}, {"size": 3}, {"unit": "people"}, {"size": 3, "unit": ""}, [3])))}
        return f"sample {doc['context']['sample']!r}", name
    if kind == "bad method":
        doc["design"] = {"locator": "Methods", "statement": "A survey.", "methods": draw(st.sampled_from((
            [], ["value:trust"], ["method:nowhere"], "method:Survey", [5], None)))}
        return f"methods {doc['design']['methods']!r}", name
    # broader loop
    concept["broader"] = draw(st.sampled_from(([concept["id"]], ["value:trust"] if concept["id"].startswith(
        "factor:") else ["factor:nowhere"], ["method:survey"])))
    return f"concept {concept['id']} broader {concept['broader']}", name


@st.composite
def mutated_documents(draw, kind: str):
    """A valid document given one defect, written as YAML; (what was done, file name, bytes)."""
    doc = draw(valid_documents())
    what, name = _mutations(draw, doc, kind)
    text = dump(doc, draw(st.sampled_from(YAML_STYLES)))
    if kind == "duplicate key":
        text += f"id: {doc['id']}\n"
    return what, name, text.encode("utf-8")


def _must_be_refused(what: str, name: str, content: bytes) -> None:
    note(what)
    note(content.decode("utf-8", "replace"))
    outcome, result = run_on({name: content})
    assert outcome == "refused", f"accepted an invalid document ({what})"
    assert isinstance(result, PvkgError) and result.lines()


@pytest.mark.parametrize("kind", MUTATIONS)
@settings(BASE, max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_study_with_one_defect_gives_a_pvkg_error_and_nothing_else(kind, data):
    # too_slow: each example is a whole valid study first (a few hundred choices), then its defect.
    _must_be_refused(*data.draw(mutated_documents(kind)))


# Arbitrary YAML values: scalars of every type the core schema knows, nested in lists and mappings
YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(_CHAR, max_size=12),
                         st.sampled_from(("value:trust", "factor", "values", "Abstract", "en", "2020")))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(YAML_SCALARS.filter(lambda v: v == v)), inner, max_size=4)),
    max_leaves=25)
STUDY_SHAPED = st.fixed_dictionaries({}, optional={
    key: YAML_VALUES for key in ("id", "type", "title", "authors", "author-note", "year", "doi", "url", "language",
                                 "design", "context", "concepts", "cites", "works", "findings")})


@st.composite
def arbitrary_inputs(draw):
    """(what it is, file name, bytes) for a file that is no study at all: any YAML value, a mapping with a
    study's keys and any values, any text, any bytes."""
    source = draw(st.sampled_from(("yaml value", "study-shaped", "text", "bytes")))
    event(f"input: {source}")
    if source in ("yaml value", "study-shaped"):
        value = draw(YAML_VALUES if source == "yaml value" else STUDY_SHAPED)
        name = "fuzz.yaml"
        if isinstance(value, dict) and isinstance(value.get("id"), str) and SLUG.match(value["id"]):
            name = f"{value['id']}.yaml"  # so that the checks go past 'id differs from the file name'
        return f"{source}: {value!r}", name, dump(value, draw(st.sampled_from(YAML_STYLES))).encode("utf-8")
    if source == "text":
        text = draw(st.text(max_size=200))
        return f"text {text!r}", "fuzz.yaml", text.encode("utf-8")
    data = draw(st.binary(max_size=200))
    return f"bytes {data!r}", "fuzz.yaml", data


@settings(BASE, max_examples=200)
@given(case=arbitrary_inputs())
def test_arbitrary_yaml_text_or_bytes_give_a_pvkg_error_and_nothing_else(case):
    _must_be_refused(*case)


@settings(BASE, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(doc=valid_documents(), cut=st.integers(0, 10**6), flips=st.lists(st.tuples(st.integers(0, 10**6),
                                                                                    st.integers(0, 255)), max_size=3))
def test_a_damaged_file_is_refused_or_built_never_a_crash(doc, cut, flips):
    """A valid file cut short or with a few bytes changed may still be valid; either way pvkg answers with
    a graph (that a store can load) or a PvkgError, never with another exception."""
    data = bytearray(dump(doc, "block").encode("utf-8"))
    data = data[: cut % (len(data) + 1)]
    for at, byte in flips:
        if data:
            data[at % len(data)] = byte
    outcome, result = run_on({f"{doc['id']}.yaml": bytes(data)})
    event(outcome)
    if outcome == "built":
        OxigraphStore.from_graph(result.graph)


# ------------------------------------------------------------------------------------------------------
# Control characters: what the loader refuses, and what it lets through
# ------------------------------------------------------------------------------------------------------

MINIMAL = """\
id: s1
type: journal-article
title: A study
authors:
  - Doe, Jane
year: 2020
findings:
  - id: s1-01
    kind: values
    locator: Abstract
    statement: Citizens value transparency.
    about: [value:transparency]
"""


def minimal(*replacements: tuple[str, str]) -> bytes:
    """The minimal valid study, with some of its text replaced."""
    text = MINIMAL
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode("utf-8")


_CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))] + [
    "\ufffe", "\uffff"]


def refused_at(files: dict[str, bytes], name: str) -> list[str]:
    """The problem lines of the PvkgError the files give; each must say which file and which line."""
    outcome, error = run_on(files)
    assert outcome == "refused", f"accepted: {files}"
    lines = error.lines()
    assert lines and any(re.search(rf"{re.escape(name)}:\d+: ", line) for line in lines), lines
    return lines


@settings(BASE, max_examples=40)
@given(control=st.sampled_from(_CONTROLS), where=st.sampled_from(("statement", "locator", "title")), raw=st.booleans())
def test_a_control_character_is_refused_with_its_line(control, where, raw):
    """No text may hold a control character (docs/encoding.md 3), typed into the file or written as a YAML
    escape ("\\x01", "\\0", "\\uFFFE"): each is refused with a line naming the file and the line."""
    raw = raw and control != "\x85"  # NEL typed into a file is a YAML line break, not a character of the text
    written = control if raw else (f"\\x{ord(control):02X}" if ord(control) < 0x100 else f"\\u{ord(control):04X}")
    change = {"statement": ("statement: Citizens value transparency.", f'statement: "Citizens{written}value"'),
              "locator": ("locator: Abstract", f'locator: "Abs{written}tract"'),
              "title": ("title: A study", f'title: {{en: "A{written}study"}}')}[where]
    refused_at({"s1.yaml": minimal(change)}, "s1.yaml")


# ------------------------------------------------------------------------------------------------------
# Input that once escaped as another exception than PvkgError, or built a graph no store could load
# (found by the properties above, fixed in pvkg._yamlfile and pvkg._build.studies while they were written)
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["[" * 400 + "]" * 400, "a: " + "{a: " * 400 + "1" + "}" * 400,
                                  MINIMAL + "venue: " + "[" * 400 + "]" * 400 + "\n"],
                         ids=["list", "mapping", "inside-a-study"])
def test_deeply_nested_yaml_is_refused(text):
    """~330 levels of nesting (a 700-byte file) raised RecursionError."""
    refused_at({"s1.yaml": text.encode("utf-8")}, "s1.yaml")


def test_very_deeply_nested_yaml_does_not_crash_the_interpreter(tmp_path):
    """~50,000 levels of nesting (a 100 kB file) crashed the interpreter with SIGSEGV in libyaml's own
    recursive composer; run in a child process, so that a crash cannot take the test run with it."""
    (tmp_path / "s1.yaml").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    script = ("import sys; from pathlib import Path; from pvkg import _resources as resources\n"
              "from pvkg.errors import PvkgError\n"
              "from pvkg._build.studies import read_corpus\n"
              "try: read_corpus([Path(sys.argv[1])], resources.vocabulary_files())\n"
              "except PvkgError: sys.exit(3)\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, timeout=120)
    assert done.returncode == 3, f"exit {done.returncode}: {done.stderr.decode()[-500:]}"


@pytest.mark.parametrize("change", [("year: 2020", "year: 1" + "0" * 5000),
                                    ("id: s1", "id: s1\n1" + "0" * 5000 + ": x")], ids=["year", "key"])
def test_a_huge_integer_is_refused(change):
    """An integer of more than 4,300 digits raised ValueError (Python's int_max_str_digits)."""
    refused_at({"s1.yaml": minimal(change)}, "s1.yaml")


@pytest.mark.parametrize("url", ["https://example.org/report-100%", "http://example.org/a#b#c", "http://[",
                                 "http://example.org/a\x01b"], ids=["percent", "two-hashes", "bracket", "control"])
def test_a_url_that_is_not_an_iri_is_refused(url):
    """The url check let these through: the build passed and wrote dist/pvkg.ttl, which Oxigraph then
    refused to load (a SyntaxError traceback from `pvkg query`)."""
    written = yaml.dump(url, Dumper=_Dumper, default_style='"').strip()
    refused_at({"s1.yaml": minimal(("year: 2020", f"year: 2020\nurl: {written}"))}, "s1.yaml")


# ------------------------------------------------------------------------------------------------------
# Defects the properties above found, each kept as its minimal example.
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [
    [("kind: values", "kind: link"),
     ("about: [value:transparency]", "from: [value:transparency]\n    to: [value:transparency]")],
    [("kind: values", "kind: link"),
     ("about: [value:transparency]", "about: [value:transparency]\n    from: [value:transparency]\n"
                                     "    to: [value:trust]")],
    [("statement: Citizens value transparency.",
      "statement: {en: Citizens value transparency., en-GB: Citizens value transparency (British English).}")],
], ids=["from-and-to", "about-and-from", "en-and-en-GB"])
def test_evidence_lists_each_finding_once(changes):
    outcome, build = run_on({"s1.yaml": minimal(*changes)})
    assert outcome == "built", build.lines()
    rows = _rows(OxigraphStore.from_graph(build.graph), "evidence", concept="value:transparency")
    assert len(rows) == 1, rows


@pytest.mark.parametrize("authors", [["رضایی, علی"], ["رضایی, علی", "محمدی, حسن"], ["Doe, Jane", "Doé, Jane"]],
                         ids=["one-persian", "two-persian", "accent"])
def test_authors_with_non_latin_or_look_alike_names_build(authors):
    listed = "\n".join(f"  - {a}" for a in authors)
    outcome, build = run_on({"s1.yaml": minimal(("  - Doe, Jane", listed))})
    assert outcome == "built", build.lines()


def test_a_study_without_type_builds():
    """docs/encoding.md 3.1: 'type' may be left out when the source does not say what kind of publication a
    study is (seven seed studies are known only from another study's account)."""
    assert run_on({"s1.yaml": minimal(("type: journal-article\n", ""))})[0] == "built"
