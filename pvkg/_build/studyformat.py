"""Stage 1 (reading study files), its declaration: the fields of a study file and of a vocabulary file, once.

The reader (pvkg/_build/studies.py) takes from here which fields each mapping accepts and how each is read and
checked; `study_file_schema` makes the JSON Schema that editors use to complete and check study files as they
are typed (`pvkg schema`, shipped as schema/study-file.schema.json); `field_tables` makes the field tables of
docs/encoding.md. Rules that join several fields or files (a finding's kind and what it may carry, references
to concepts and works, ids unique in the corpus) are the reader's; the kinds' fields are declared here too, so
that the reader and the schema share them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pvkg._namespaces import CONCEPT_PREFIXES, DIRECTIONS, INFERENCES, LEVELS, STATUSES, STRENGTHS, SUPPORT
from pvkg._text import LANG_TAG

# How a value is written. Each has one reading in the reader (studies._Map.get) and one JSON Schema here.
TEXT = "text"  # non-empty text (a number is taken as its text)
LANG_TEXT = "language-tagged text"  # text (English) or {language tag: text}, English among them
SLUG = "slug"  # lower-case letters, digits and single hyphens
INTEGER = "whole number"
FRACTION = "number from 0 to 1"
CHOICE = "one of"
TEXT_LIST = "list of texts"  # one text is a list of one
CONCEPT_IDS = "list of concept ids"
ALT_LABELS = "language tag -> list of labels"
MAPPING = "mapping"
MAPPINGS = "list of mappings"

LANG_TAG_PATTERN = LANG_TAG.pattern  # the reader's own
SLUG_REGEX = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
CONCEPT_ID_REGEX = r"^([a-z]+):([a-z0-9]+(?:-[a-z0-9]+)*)$"
DOI_REGEX = r"^(?:(?:https?://(?:dx\.)?doi\.org/|doi:))?10\.\d{4,9}/\S+$"
COUNTRY_REGEX = r"^[A-Z]{3}$"
WORK_TYPES = ("journal-article", "conference-paper")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    what: str  # what the value is, as the reader's messages say it
    required: bool = False  # always required; a condition under which it is goes in `required_text`
    required_text: str = ""  # the docs' "Required" column, where "yes"/"no" is not all
    accepts: str = ""  # the docs' "Accepts" column
    example: str = ""
    becomes: str = ""  # what the field becomes in the graph
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # what each value (each item of a list) must match
    prefixes: tuple[str, ...] = ()  # CONCEPT_IDS: the prefixes allowed; empty for any
    min_items: int = 0  # MAPPINGS: the fewest items a list may have when it is given
    section: Section | None = None  # MAPPING, MAPPINGS: the fields of the mapping


@dataclass(frozen=True)
class Section:
    name: str  # as the docs' heading and the schema's $defs name it
    fields: tuple[Field, ...]
    becomes: str = ""  # what the mapping itself becomes, where it is a resource of its own
    # pairs of fields of which a mapping needs one at least (the reader says why in its own words)
    one_of: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _concept_ids(name: str, what: str, prefixes: tuple[str, ...], **rest) -> Field:
    return Field(name, CONCEPT_IDS, what, prefixes=prefixes, pattern=CONCEPT_ID_REGEX, **rest)


# --- the bibliographic record: of a study (top level) and of a catalogued work (`works`) --------------------

RECORD = (
    Field("id", SLUG, "the work's id", required=True, pattern=SLUG_REGEX,
          accepts="slug; must equal the file name without `.yaml`; unique among all studies and works",
          example="`luna-2024`", becomes="the study IRI `id:work/luna-2024`, typed `pvkg:Study` and "
          "`bibo:AcademicArticle`; `dcterms:identifier`"),
    Field("type", CHOICE, "the kind of publication", choices=WORK_TYPES,
          required_text="no; leave it out when the source does not say",
          accepts="`journal-article` or `conference-paper`", example="`journal-article`",
          becomes="only chooses the venue's class: `bibo:Journal` or `bibo:Proceedings`"),
    Field("title", LANG_TEXT, "the title",
          required_text="yes, unless `authors` are given and the source does not give the title",
          accepts="language-tagged text, English required", example="`{en: ..., fa: ...}`",
          becomes="`dcterms:title`, one per language"),
    Field("authors", TEXT_LIST, "authors as 'Family, Given'", required_text="yes, unless `author-note` is given",
          pattern=r"^\s*[^,\s]",  # a family name first
          accepts="list of names, each written `Family, Given`, as a block list (one `- ` line each); "
          "`et al.` may end it", example="`- Luna, Dolores E.`",
          becomes="`dcterms:creator` pointing to `id:person/<slug of name>`, a `foaf:Person` with `foaf:name` "
          "\"Dolores E. Luna\""),
    Field("author-note", TEXT, "who the authors are when the source does not name them",
          required_text="only if there are no `authors`",
          accepts="text: who the authors are when the source does not name them",
          example="see `social-media-service-factors.yaml`", becomes="`dcterms:description` (`@en`)"),
    Field("year", INTEGER, "the publication year", minimum=1500, maximum=2100,
          accepts="whole number from 1500 to 2100", example="`2024`", becomes="`dcterms:issued` (`xsd:gYear`)"),
    Field("venue", TEXT, "the journal or proceedings", accepts="text: journal or proceedings",
          example="`Government Information Quarterly`",
          becomes="`dcterms:isPartOf` pointing to `id:venue/<slug>`, which gets a `dcterms:title`"),
    Field("volume", TEXT, "the volume", accepts="text", example='`"41"`', becomes="`bibo:volume`"),
    Field("issue", TEXT, "the issue", accepts="text", example='`"2"`', becomes="`bibo:issue`"),
    Field("pages", TEXT, "the page range", accepts="text: a page, or a range with a hyphen or en dash",
          example="`167–178`", becomes="`bibo:pageStart`, plus `bibo:pageEnd` for a range"),
    Field("article-number", TEXT, "the article number", accepts="text", example='`"101928"`',
          becomes="`bibo:number`"),
    Field("doi", TEXT, "the DOI without 'https://doi.org/'", pattern=DOI_REGEX,
          accepts="a DOI `10.<digits>/...`; a leading `https://doi.org/`, `http://dx.doi.org/` or `doi:` is removed",
          example="`10.1016/j.giq.2024.101928`", becomes="`bibo:doi`"),
    Field("url", TEXT, "a web address", pattern=r"^https?://[^\s<>\"{}|\\^`]+$",
          accepts="an `http` or `https` address that is a valid IRI (RFC 3987): no spaces, none of `<` `>` `\"` "
          "`{` `}` `\\|` `\\` `^` and the backquote, a `%` only before two hex digits, one `#` at most",
          example="`https://nms.atu.ac.ir/article_16410.html`", becomes="`foaf:page` (an IRI)"),
    Field("language", TEXT, "the publication's language tag", pattern=LANG_TAG_PATTERN,
          accepts="language tag of the publication", example="`fa`", becomes="`dcterms:language`"),
)


# --- the parts of a study ---------------------------------------------------------------------------------------

RESEARCH_QUESTION = Section("research-questions", (
    Field("id", SLUG, "the question's id, such as 'rq1'", required=True, pattern=SLUG_REGEX,
          accepts="slug, unique within the study", example="`rq1`",
          becomes="`id:work/<study>/question/rq1`, a `pvkg:ResearchQuestion` linked from the study by "
          "`pvkg:hasResearchQuestion`"),
    Field("locator", TEXT, "where in the source the question is stated", required=True, accepts="text",
          example="`Abstract`", becomes="`pvkg:locator`"),
    Field("statement", LANG_TEXT, "the question in your own words", required=True,
          accepts="language-tagged text: the question in your own words", example="see above",
          becomes="`pvkg:statement`"),
))

_CITED_LOCATOR = "yes for the study; optional in a cited work, where the cited work's locator is used"

DESIGN = Section("design", (
    Field("locator", TEXT, "where in the source the method is described", required_text=_CITED_LOCATOR,
          accepts="text", example="`Abstract`", becomes="`pvkg:locator`"),
    _concept_ids("methods", "ids of method concepts", ("method",), required=True,
                 accepts="list of at least one `method:` id", example="`[method:focus-groups]`",
                 becomes="`pvkg:usesMethod`"),
    Field("statement", LANG_TEXT, "a short paraphrase of the method",
          required_text="yes for the study; optional in a cited work",
          accepts="language-tagged text: the method in your own words", becomes="`pvkg:statement`"),
    Field("quality-threshold", FRACTION, "the appraisal score every source exceeded", minimum=0, maximum=1,
          accepts="number from 0 to 1: the appraisal score that every included source exceeded", example="`0.75`",
          becomes="`pvkg:qualityThreshold` (`xsd:decimal`)"),
), becomes="`id:work/<study>/design` (or `.../cites/<cite>/design`), a `pvkg:StudyDesign` linked by "
   "`pvkg:hasDesign`")

SAMPLE = Section("sample", (
    Field("size", INTEGER, "how many units", required=True, minimum=0,
          required_text="yes, if `sample` is given", accepts="whole number, 0 or more", example="`13`",
          becomes="`pvkg:sampleSize` (`xsd:nonNegativeInteger`)"),
    Field("unit", LANG_TEXT, "what the units are, e.g. 'focus groups'", required=True,
          required_text="yes, if `sample` is given", accepts="language-tagged text", example="`{en: focus groups}`",
          becomes="`pvkg:sampleUnit`"),
))

CONTEXT = Section("context", (
    Field("locator", TEXT, "where in the source the context is stated", required_text=_CITED_LOCATOR,
          accepts="text", example="`Abstract`", becomes="`pvkg:locator`"),
    Field("country", TEXT_LIST, "a three-letter country code such as 'MEX', or a list of them",
          pattern=COUNTRY_REGEX,
          accepts="three upper-case letters, declared under `countries` in `vocabulary/places.yaml`; a list of "
          "them where the evidence comes from several countries", example="`MEX`, `[KOR, USA]`",
          becomes="`dcterms:spatial` pointing to `http://publications.europa.eu/resource/authority/country/MEX`, "
          "one per country"),
    Field("region", LANG_TEXT, "a named region, such as Latin America",
          accepts="language-tagged text: a named region the source gives instead of countries",
          example="`{en: Latin America}`", becomes="`pvkg:region`"),
    Field("cities", TEXT_LIST, "ids of cities declared in vocabulary/places.yaml", pattern=SLUG_REGEX,
          accepts="list of city ids declared in `vocabulary/places.yaml`", example="`[seoul]`",
          becomes="`dcterms:spatial` pointing to `id:place/seoul`"),
    Field("city-count", INTEGER, "in how many cities data were collected", minimum=1,
          accepts="whole number, at least 1: in how many cities data were collected", example="`4`",
          becomes="`pvkg:cityCount` (`xsd:nonNegativeInteger`)"),
    Field("population", LANG_TEXT, "whom the evidence comes from",
          accepts="language-tagged text: whom the evidence comes from", example="`{en: citizens}`",
          becomes="`pvkg:population`"),
    Field("setting", LANG_TEXT, "a free-text setting", accepts="language-tagged text: a setting no vocabulary covers",
          example="`{en: public health sector}`", becomes="`pvkg:setting`"),
    _concept_ids("channels", "ids of channel concepts", ("channel",), accepts="list of `channel:` ids",
                 example="`[channel:social-media]`", becomes="`pvkg:channel`"),
    Field("sample", MAPPING, "size and unit", section=SAMPLE, accepts="mapping with `size` and `unit`",
          example="`{size: 39, unit: {en: articles}}`",
          becomes="`pvkg:hasSample` pointing to `id:work/<study>/sample` (or `.../cites/<cite>/sample`), a "
          "`pvkg:Sample`"),
), becomes="`id:work/<study>/context` (or `.../cites/<cite>/context`), a `pvkg:StudyContext` linked by "
   "`pvkg:hasContext`")

CONCEPT = Section("concepts", (
    Field("id", TEXT, "the concept id, such as 'value:transparency'", required=True, pattern=CONCEPT_ID_REGEX,
          accepts="`prefix:name` (section 5); unique in the corpus", example="`factor:enforcement`",
          becomes="`id:factor/enforcement`, typed `skos:Concept` and the prefix's class; `dcterms:identifier`; "
          "`skos:inScheme` the prefix's scheme"),
    Field("type", CHOICE, "the kind of concept",
          choices=tuple(sorted({t for p in CONCEPT_PREFIXES.values() for t in p.subtypes})),
          accepts="`dimension` (only for `value:`) or `category` (only for `factor:`); other prefixes take no "
          "`type`", example="`category`", becomes="also typed `pvkg:ValueDimension` or `pvkg:FactorCategory`"),
    Field("label", LANG_TEXT, "the concept's name", required=True, accepts="language-tagged text",
          example="`{en: managerial factors, fa: مدیریتی}`", becomes="`skos:prefLabel`, one per language"),
    Field("alt-labels", ALT_LABELS, "language tag -> list of labels",
          accepts="mapping from a language tag to a **list** of labels", example="`{en: [user education]}`",
          becomes="`skos:altLabel`"),
    Field("definition", LANG_TEXT, "what the concept means, in one sentence", required=True,
          accepts="language-tagged text, one sentence in your own words", becomes="`skos:definition`"),
    _concept_ids("broader", "ids of broader concepts", (),
                 accepts="list of ids with the **same prefix**; not the concept itself, no cycles",
                 example="`[factor:managerial]`",
                 becomes="`skos:broader`; a concept without `broader` becomes `skos:topConceptOf` its scheme"),
    Field("placed-by", CHOICE, "who placed the concept under its broader one", choices=("editors",),
          required_text="no; only with `broader`",
          accepts="`editors`: the `broader` concept is pvkg's editors' placement, which no source states (say why "
          "in `note`)", example="`editors`",
          becomes="`pvkg:placedByEditors true`; every answer that shows the placement marks it as the editors'"),
    Field("note", TEXT, "an editorial note",
          accepts="text (English): an editorial note, such as where names differ or a placement no source states",
          becomes="`skos:editorialNote` (`@en`)"),
    Field("step-count", INTEGER, "the number of steps of a procedure", minimum=1,
          required_text="no; only for `method:`", accepts="whole number, at least 1", example="`7`",
          becomes="`pvkg:stepCount` (`xsd:positiveInteger`)"),
    Field("source", TEXT, "the id of the study that names the concept", pattern=SLUG_REGEX,
          required_text="no; only in vocabulary files", accepts="the id of the study that names the concept",
          example="`twizeyimana-andersson-2019`", becomes="`dcterms:source` `id:work/<source>`"),
))

CITED_WORK = Section("cites", (
    Field("id", SLUG, "a short id for the cited work, unique in this file", required=True, pattern=SLUG_REGEX,
          accepts="slug, unique within the study", example="`aizhan-2017`",
          becomes="`id:work/<study>/cites/aizhan-2017`, a `pvkg:CitedWork`; the study links to it by `cito:cites`"),
    Field("cited-as", TEXT, "the citation exactly as the study gives it", required=True,
          accepts="text: the citation exactly as the source gives it, mistakes included",
          example="`Aizhan et al. (2017)`", becomes="`pvkg:citedAs`, and `rdfs:label` (`@en`)"),
    Field("locator", TEXT, "where the study cites it", required=True, accepts="text: where the source cites it",
          example="`Literature review`", becomes="`pvkg:locator`"),
    Field("identified-as", TEXT, "the id of the catalogued work", pattern=SLUG_REGEX,
          accepts="the id of a study, or of an entry under `works` in any study file",
          example="`tursunbayeva-franco-pagliari-2017`", becomes="`pvkg:identifiedAs` pointing to `id:work/<id>`"),
    Field("correction", LANG_TEXT, "what is wrong in the citation and what is right",
          accepts="language-tagged text: what is wrong and what is right", example="see above",
          becomes="`pvkg:correctionNote`"),
    Field("design", MAPPING, "the cited work's methods", section=DESIGN,
          accepts="design mapping (3.3); `methods` required", example="`{methods: [method:systematic-review]}`",
          becomes="`pvkg:hasDesign` pointing to `.../cites/<id>/design`"),
    Field("context", MAPPING, "the cited work's context", section=CONTEXT, accepts="context mapping (3.4)",
          example="see above", becomes="`pvkg:hasContext` pointing to `.../cites/<id>/context`"),
))

WORK = Section("works", tuple(
    Field(f.name, f.kind, f.what, required=f.required, pattern=f.pattern, choices=f.choices, minimum=f.minimum,
          maximum=f.maximum, required_text=f.required_text, accepts=f.accepts, example=f.example, becomes=f.becomes)
    if f.name != "id" else
    Field("id", SLUG, "the work's id", required=True, pattern=SLUG_REGEX,
          accepts="slug, unique among all studies and works", example="`tursunbayeva-franco-pagliari-2017`",
          becomes="`id:work/<id>`, a `bibo:AcademicArticle` (not a `pvkg:Study`)")
    for f in RECORD), one_of=(("title", "authors"),), notes=("A work needs `title` or `authors` (or both).",))

# What each kind of finding may carry besides the fields every finding has; the reader refuses the others.
KIND_FIELDS = {"values": ("about", "level", "work"), "characteristics": ("about", "work"),
               "link": ("from", "to", "about", "direction", "work"), "factor": ("about", "direction", "work"),
               "cited-work": ("work", "about")}
KIND_REQUIRES = {"link": ("from", "to"), "cited-work": ("work",)}
KIND_ABOUT = {"values": "value", "characteristics": "characteristic", "factor": "factor"}  # `about` names one
KIND_SPECIFIC = ("about", "from", "to", "direction", "level", "work")
# what a finding may be about (and a link start from or end at): the schemes with a property for it
ABOUT_PREFIXES = tuple(p for p, spec in CONCEPT_PREFIXES.items() if spec.about is not None)

FINDING = Section("findings", (
    Field("id", SLUG, "the finding's id, unique in the corpus", required=True, pattern=SLUG_REGEX,
          accepts="slug, unique in the corpus", example="`smsf-02`",
          becomes="`id:finding/smsf-02`, typed `pvkg:Finding` and the kind's class; `dcterms:identifier`; "
          "`pvkg:reportedIn` pointing to `id:work/<study>`"),
    Field("kind", CHOICE, "what the finding claims", required=True, choices=tuple(KIND_FIELDS),
          accepts=" or ".join([", ".join(f"`{k}`" for k in list(KIND_FIELDS)[:-1]), f"`{list(KIND_FIELDS)[-1]}`"])
          + " (section 4)", example="`factor`",
          becomes="`rdf:type` `pvkg:ValueFinding`, `pvkg:CharacteristicFinding`, `pvkg:LinkFinding`, "
          "`pvkg:FactorFinding` or `pvkg:CitedWorkFinding`"),
    Field("locator", TEXT, "the section of the source that supports the finding", required=True,
          accepts="text: the section of the source that supports the finding", example="`Results – Managerial factors`",
          becomes="`pvkg:locator`"),
    Field("statement", LANG_TEXT, "a short paraphrase in your own words", required=True,
          accepts="language-tagged text: a short paraphrase", becomes="`pvkg:statement`"),
    _concept_ids("about", "ids of the concepts the finding is about", ABOUT_PREFIXES,
                 required_text="depends on the kind",
                 accepts=f"list of {', '.join(f'`{p}:`' for p in ABOUT_PREFIXES)} ids (not `method:`)",
                 example="`[factor:transparency]`",
                 becomes="by prefix: `pvkg:aboutValue`, `pvkg:aboutCharacteristic`, `pvkg:aboutFactor`, "
                 "`pvkg:aboutChannel` or `pvkg:aboutConstruct`"),
    _concept_ids("from", "ids of the concepts the link starts from", ABOUT_PREFIXES,
                 required_text="`link` only; required there", accepts="list of ids, same prefixes as `about`",
                 example="`[characteristic:service-characteristics]`", becomes="`pvkg:linkFrom`"),
    _concept_ids("to", "ids of the concepts the link ends at", ABOUT_PREFIXES,
                 required_text="`link` only; required there", accepts="list of ids, same prefixes as `about`",
                 example="`[value:individual-benefits]`", becomes="`pvkg:linkTo`"),
    Field("direction", CHOICE, "whether it drives or hinders", choices=tuple(DIRECTIONS),
          required_text="`link` and `factor` only", accepts="`driver`, `barrier`, `no-effect` or `mixed`",
          example="`barrier`",
          becomes="`pvkg:direction` with value `pvkg:Driver`, `pvkg:Barrier`, `pvkg:NoEffect` or `pvkg:Mixed`"),
    Field("level", CHOICE, "the level at which the values are seen", choices=tuple(LEVELS),
          required_text="`values` only", accepts="`individual` or `societal`", example="`individual`",
          becomes="`pvkg:atLevel` with value `pvkg:IndividualLevel` or `pvkg:SocietalLevel`"),
    Field("work", TEXT, "the id of the cited work the finding is about", pattern=SLUG_REGEX,
          required_text="required for `cited-work`; any kind may have it, which makes the finding second-hand",
          accepts="the id of an entry under **this study's** `cites`", example="`aizhan-2017`",
          becomes="`pvkg:aboutWork` pointing to `id:work/<study>/cites/<work>`"),
    Field("support", CHOICE, "the study's own result, or its account of another work", choices=tuple(SUPPORT),
          required_text="no; derived",
          accepts="`first-hand` or `second-hand`. Leave it out: a finding with `work`, or in a study with "
          "`known-from`, is `second-hand`, any other `first-hand`; a value that contradicts this is an error",
          example="`second-hand`", becomes="`pvkg:support` with value `pvkg:FirstHand` or `pvkg:SecondHand`"),
    Field("status", CHOICE, "what kind of statement it is in the source", choices=tuple(STATUSES),
          required_text="no; default `result`",
          accepts="`result`, `background`, `proposition` or `editors-reading` (section 4.1)", example="`background`",
          becomes="`pvkg:status` with value `pvkg:Result`, `pvkg:Background`, `pvkg:Proposition` or "
          "`pvkg:EditorsReading`"),
    Field("strength", CHOICE, "how firmly the source says it", choices=tuple(STRENGTHS),
          required_text="no; default `stated`", accepts="`stated`, `hedged` or `weak` (section 4.1)",
          example="`hedged`", becomes="`pvkg:strength` with value `pvkg:Stated`, `pvkg:Hedged` or `pvkg:Weak`"),
    Field("inference", CHOICE, "association or cause, where the source says which", choices=tuple(INFERENCES),
          required_text="no; leave it out unless the source says which", accepts="`correlational` or `causal`",
          example="`correlational`", becomes="`pvkg:inference` with value `pvkg:Correlational` or `pvkg:Causal`"),
    Field("note", TEXT, "an editorial note", accepts="text (English): an editorial note",
          becomes="`skos:editorialNote` (`@en`)"),
))

STUDY = Section("study", (
    *RECORD,
    Field("source-file", TEXT, "the source document read",
          accepts="text: the file in `../shared/sources/` that you read", example="`related-facts.md`",
          becomes="nothing; it is read but not put into the graph"),
    Field("source-url", TEXT, "where you read the source, as a web address", pattern=RECORD[12].pattern,
          accepts="an `http` or `https` address, as for `url`: the page where you read the source (its abstract "
          "page, a PDF)", example="`https://doi.org/10.1016/j.giq.2010.03.001`",
          becomes="`pvkg:encodedFrom` (an IRI): provenance of the encoding, not a claim about the study"),
    Field("known-from", TEXT, "the id of the study whose account of this study is encoded", pattern=SLUG_REGEX,
          accepts="the id of another study whose account of this study is all pvkg has (a study known only from "
          "another study's literature review); such a study needs no `findings`: encode what the account says in "
          "the reporting study's file, as second-hand findings with `work` (section 4.1)",
          example="`social-media-service-factors`", becomes="`pvkg:knownFrom`"),
    Field("revision-of", TEXT, "the id of the earlier version of this study", pattern=SLUG_REGEX,
          accepts="the id of an earlier version of this study, such as the conference paper a journal article "
          "extends", example="`luna-2019`", becomes="`prov:wasRevisionOf`"),
    Field("research-questions", MAPPINGS, "research questions", section=RESEARCH_QUESTION, accepts="list, see 3.2"),
    Field("design", MAPPING, "the study's methods", section=DESIGN, accepts="mapping, see 3.3"),
    Field("context", MAPPING, "where and on whom the study was done", section=CONTEXT, accepts="mapping, see 3.4"),
    Field("concepts", MAPPINGS, "concept declarations", section=CONCEPT, accepts="list, see 3.5"),
    Field("cites", MAPPINGS, "works the study cites", section=CITED_WORK, accepts="list, see 3.6"),
    Field("works", MAPPINGS, "catalogued works referred to", section=WORK, accepts="list, see 3.7"),
    Field("findings", MAPPINGS, "the study's findings", section=FINDING, min_items=1,
          required_text="yes, unless `known-from` is given", accepts="list with at least one finding, see 3.8"),
), one_of=(("title", "authors"), ("authors", "author-note"), ("findings", "known-from")))

COUNTRY = Section("countries", (
    Field("code", TEXT, "the three-letter code", required=True, pattern=COUNTRY_REGEX,
          accepts="three upper-case letters (ISO 3166-1 alpha-3, as the EU's country authority table has them)",
          example="`MEX`",
          becomes="`http://publications.europa.eu/resource/authority/country/MEX`, a `dcterms:Location` and a "
          "`skos:Concept` of the EU's country table, with `skos:notation`"),
    Field("label", LANG_TEXT, "the name", required=True, accepts="language-tagged text", example="`{en: Mexico}`",
          becomes="`skos:prefLabel`"),
))

CITY = Section("cities", (
    Field("id", SLUG, "the city's id", required=True, pattern=SLUG_REGEX, accepts="slug", example="`seoul`",
          becomes="`id:place/seoul`, a `dcterms:Location`"),
    Field("label", LANG_TEXT, "the name", required=True, accepts="language-tagged text", example="`{en: Seoul}`",
          becomes="`skos:prefLabel`"),
    Field("country", TEXT, "the city's country code", required=True, pattern=COUNTRY_REGEX,
          accepts="a code declared under `countries`", example="`KOR`",
          becomes="`dcterms:isPartOf` the country"),
))

VOCABULARY = Section("vocabulary", (
    Field("concepts", MAPPINGS, "concept declarations", section=CONCEPT, accepts="list, see 3.5"),
    Field("countries", MAPPINGS, "countries", section=COUNTRY, accepts="list"),
    Field("cities", MAPPINGS, "cities", section=CITY, accepts="list"),
))

# The sections of a study file, in the order docs/encoding.md documents them
STUDY_SECTIONS = (STUDY, RESEARCH_QUESTION, DESIGN, CONTEXT, SAMPLE, CONCEPT, CITED_WORK, WORK, FINDING)


# --- the JSON Schema ------------------------------------------------------------------------------------------

SCHEMA_ID = "https://w3id.org/pvkg/schema/study-file.schema.json"
_SHOWS_SOMETHING = r"\S"  # not empty, not only spaces (the reader's further checks are its own)


def _text_schema(pattern: str | None) -> dict:
    if pattern is not None:
        return {"type": "string", "pattern": pattern}
    return {"anyOf": [{"type": "string", "pattern": _SHOWS_SOMETHING}, {"type": "number"}]}


def _lang_text_schema() -> dict:
    text = {"type": "string", "pattern": _SHOWS_SOMETHING}
    return {"anyOf": [text, {"type": "object", "minProperties": 1, "required": ["en"],
                             "propertyNames": {"pattern": LANG_TAG_PATTERN}, "additionalProperties": text}]}


def _concept_id_schema(f: Field, concepts: dict[str, list[str]]) -> dict:
    prefixes = f.prefixes or tuple(CONCEPT_PREFIXES)
    item: dict = {"type": "string", "pattern": f"^(?:{'|'.join(prefixes)}):[a-z0-9]+(?:-[a-z0-9]+)*$"}
    known = sorted(cid for prefix in prefixes for cid in concepts.get(prefix, ()))
    if known:
        item["examples"] = known  # what an editor offers to complete; an id declared in the file itself is fine too
    return item


def _field_schema(f: Field, concepts: dict[str, list[str]]) -> dict:
    if f.kind == TEXT:
        schema = _text_schema(f.pattern)
    elif f.kind == LANG_TEXT:
        schema = _lang_text_schema()
    elif f.kind == SLUG:
        schema = {"type": "string", "pattern": f.pattern or SLUG_REGEX}
    elif f.kind in (INTEGER, FRACTION):
        schema = {"type": "integer" if f.kind == INTEGER else "number"}
        schema |= {k: v for k, v in (("minimum", f.minimum), ("maximum", f.maximum)) if v is not None}
    elif f.kind == CHOICE:
        schema = {"enum": list(f.choices)}
    elif f.kind in (TEXT_LIST, CONCEPT_IDS):
        item = _concept_id_schema(f, concepts) if f.kind == CONCEPT_IDS else \
            {"type": "string", "pattern": f.pattern or _SHOWS_SOMETHING}
        schema = {"anyOf": [item, {"type": "array", "items": item}]}
    elif f.kind == ALT_LABELS:
        labels = {"type": "array", "items": {"type": "string", "pattern": _SHOWS_SOMETHING}}
        schema = {"type": "object", "propertyNames": {"pattern": LANG_TAG_PATTERN}, "additionalProperties": labels}
    else:
        assert f.section is not None, f.name
        inner = _section_schema(f.section, concepts)
        schema = inner if f.kind == MAPPING else {"type": "array", "items": inner}
        if f.min_items:
            schema["minItems"] = f.min_items
    return {"description": _described(f), **schema}


def _described(f: Field) -> str:
    text = f.accepts.replace("`", "") if f.accepts else f.what
    return f"{text}. Becomes: {f.becomes.replace('`', '')}" if f.becomes else text


def _section_schema(section: Section, concepts: dict[str, list[str]]) -> dict:
    schema = {"type": "object", "additionalProperties": False,
              "properties": {f.name: _field_schema(f, concepts) for f in section.fields}}
    required = [f.name for f in section.fields if f.required]
    if required:
        schema["required"] = required
    rules = [{"anyOf": [{"required": [a]}, {"required": [b]}]} for a, b in section.one_of]
    if section is FINDING:
        rules += _kind_rules()
    if rules:
        schema["allOf"] = rules
    return schema


def _kind_rules() -> list[dict]:
    """Per kind of finding, what it must have and what it cannot (as the reader's _check_finding_kind)."""
    rules = []
    for kind, allowed in KIND_FIELDS.items():
        then: dict = {"not": {"anyOf": [{"required": [name]} for name in KIND_SPECIFIC if name not in allowed]}}
        if kind in KIND_REQUIRES:
            then["required"] = list(KIND_REQUIRES[kind])
        if kind in KIND_ABOUT:
            one = {"type": "string", "pattern": f"^{KIND_ABOUT[kind]}:"}
            then["required"] = ["about"]
            then["properties"] = {"about": {"anyOf": [one, {"type": "array", "contains": one}]}}
        rules.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
    return rules


def study_file_schema(concepts: dict[str, list[str]] | None = None) -> dict:
    """The JSON Schema (draft-07, which editors' YAML language servers read) of a study file. The fields that
    take concept ids offer the ids in `concepts` (prefix -> ids), e.g. those of vocabulary/, for completion.
    What the schema cannot see is the reader's alone: references to concepts, works and places declared
    elsewhere, ids unique in the corpus, the file's name, names spelled two ways."""
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
            "title": "pvkg study file",
            "description": "One study, its findings and the concepts it introduces, as pvkg reads it "
                           "(docs/encoding.md).",
            **_section_schema(STUDY, concepts or {})}


# --- the field tables of docs/encoding.md -------------------------------------------------------------------

def _required_text(f: Field) -> str:
    return f.required_text or ("yes" if f.required else "no")


def field_table(section: Section, prefix: str = "") -> list[str]:
    """A section's fields as the rows of a Markdown table (a nested mapping's fields after it, as `sample.size`)."""
    rows = []
    for f in section.fields:
        name = f"`{prefix}{f.name}`"
        rows.append(f"| {name} | {_required_text(f)} | {f.accepts} | {f.example} | {f.becomes} |")
        if f.kind == MAPPING and f.section is SAMPLE:  # documented in the table of the mapping that holds it
            rows += field_table(f.section, f"{f.name}.")
    return rows


def field_tables() -> dict[str, str]:
    """Each documented section's table, by the section's name (docs/encoding.md holds each between the markers
    `<!-- fields: NAME -->` and `<!-- /fields -->`)."""
    tables = {}
    for section in (*(s for s in STUDY_SECTIONS if s is not SAMPLE), VOCABULARY, COUNTRY, CITY):
        lines = ["| Field | Required | Accepts | Example | Becomes |", "| --- | --- | --- | --- | --- |"]
        if section.becomes:
            lines.append(f"| (the mapping) | | | | {section.becomes} |")
        lines += field_table(section)
        lines += [""] + list(section.notes) if section.notes else []
        tables[section.name] = "\n".join(lines)
    return tables


def schema_text(concepts: dict[str, list[str]] | None = None) -> str:
    """study_file_schema as the file pvkg ships and `pvkg schema` prints: the same bytes for the same ids."""
    return json.dumps(study_file_schema(concepts), indent=2, ensure_ascii=False) + "\n"
