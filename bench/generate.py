"""A deterministic synthetic corpus of study files, for timing pvkg builds at scale.

    python -m bench.generate --triples 100000 --out bench/corpora/100k [--seed 0]

The corpus is the real seed studies (copied verbatim into `seed/`) plus synthetic studies in `generated/`,
shaped like the seed files (docs/encoding.md): each has 10-40 findings of every kind, a design with its
methods, a context with a country, population and sample, research questions, cited works, authors, a
venue, a year and a DOI. The seed files are copied because they declare concepts the shared vocabulary
lacks (the factor categories, for instance) and the synthetic studies refer to them, as a new study would.
Synthetic studies also declare concepts of their own (drawn from a fixed catalogue, each declared once, by
the first study that uses it), and later studies reuse them, so the concept graph grows like a real one.

The number of studies is chosen so that the built graph (ontology + vocabulary + data, what `pvkg build`
prints as "triples") has about `target_triples` triples: every synthetic study's triples are counted as it
is made, mirroring pvkg/_build/load.py, on top of the triples of the ontology, vocabulary and seed studies.

Output depends only on the seed: one random.Random drives every choice, and nothing iterates over a set.
The YAML is written as text (no emitter round trip), quoting every scalar that plain style would misread.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SEED_STUDIES = REPO / "studies"
VOCABULARY = REPO / "vocabulary"
MARKER = ".pvkg-bench-corpus"  # marks a folder this module made, so that it may be emptied and rewritten
BASE_TRIPLES_FALLBACK = 2267  # ontology + vocabulary + seed studies, when pvkg itself cannot be imported
WRAP = 110  # folded scalars are wrapped at this column, as in the seed files


@dataclass(frozen=True)
class GeneratedCorpus:
    folder: Path
    study_files: int  # seed and synthetic
    findings: int  # seed and synthetic
    estimated_triples: int  # of the built graph: ontology + vocabulary + data


def slugify(text: str) -> str:
    """As pvkg._namespaces.slugify: person and venue IRIs are minted from these."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


# ------------------------------------------------------------------------------------------------------
# Word pools. Fixed lists, so that the output depends only on the seed.
# ------------------------------------------------------------------------------------------------------

# Researchers by region: (family names, given names). Seed authors join their region's pool as written.
NAMES = {
    "es": ("García Hernández López Martínez González Rodríguez Pérez Sánchez Ramírez Torres Flores Rivera Gómez "
           "Díaz Cruz Morales Ortiz Gutiérrez Chávez Ramos Vargas Castillo Jiménez Mendoza Ruiz Aguilar Herrera "
           "Medina Castro Romero".split(),
           "María;José;Juan Carlos;Ana;Luis;Carmen;Jorge;Laura;Ricardo;Patricia;Fernando;Gabriela;Alejandro;"
           "Verónica;Rodrigo;Claudia;Eduardo;Adriana;Rosa María;Héctor".split(";")),
    "ko": ("Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Jeon Hong".split(),
           "Ji-woo Min-jun Seo-yeon Hyun-woo Eun-ji Sung-ho Ji-hoon Yoo-jin Dong-hyun Hye-jin Jae-won Soo-min".split()),
    "zh": ("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Hu Guo He Lin Gao Luo Zheng".split(),
           "Wei Fang Xiaoming Jing Lei Yan Hao Min Jun Ying Tao Lina Qiang Xin Yu".split()),
    "fa": ("Ahmadi Hosseini Mohammadi Rezaei Moradi Karimi Jafari Rahimi Ghasemi Sadeghi Kazemi Hashemi Mousavi "
           "Heidari Ebrahimi Nazari Ansari Sharifi Bagheri Azizi".split(),
           "Ali Reza Maryam Zahra Mohammad Fatemeh Hossein Sara Mehdi Narges Amir Leila".split()),
    "en": ("Smith Johnson Brown Miller Davis Wilson Anderson Taylor Thomas Moore Martin Thompson White Clark Lewis "
           "Walker Hall Young Allen King Müller Schmidt Janssen Nielsen Lindqvist Rossi Dubois Novak Kowalski "
           "O'Brien".split(),
           "John Mary David Sarah Michael Emma James Anna Robert Laura Peter Julia Thomas Sofia Daniel Inês Mark "
           "Eva".split()),
}
# Where a study's evidence comes from: (weight, author region, country code or None, publication language)
REGIONS = [(18, "es", "MEX", "en"), (7, "es", "MEX", "es"), (4, "es", None, "en"), (12, "ko", "KOR", "en"),
           (10, "zh", "CHN", "en"), (6, "fa", "IRN", "en"), (6, "fa", "IRN", "fa"), (25, "en", "USA", "en"),
           (12, "en", None, "en")]
NO_COUNTRY_SETTINGS = {"es": ["Latin American local governments", "municipal governments in Latin America"],
                       "en": ["European municipalities", "national governments of the European Union",
                              "OECD member governments"]}

# (name, DOI prefix, DOI infix) of journals, and proceedings; each venue keeps one type in every study.
JOURNALS = [("Government Information Quarterly", "10.1016", "j.giq"), ("Information Polity", "10.3233", "IP"),
            ("Public Administration Review", "10.1111", "puar"),
            ("Transforming Government: People, Process and Policy", "10.1108", "TG"),
            ("International Journal of Public Administration", "10.1080", "01900692"),
            ("Public Management Review", "10.1080", "14719037"),
            ("Digital Government: Research and Practice", "10.1145", "dgov"),
            ("International Journal of Electronic Government Research", "10.4018", "IJEGR")]
JOURNALS_BY_LANGUAGE = {"es": [("Gestión y Política Pública", "10.29265", "gypp")],
                        "fa": [("New Media Studies", None, None), ("Public Administration Perspective", None, None)]}


def ordinal(n: int) -> str:
    return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def proceedings(year: int) -> tuple[str, str]:
    """(name, DOI prefix) of the dg.o or ICEGOV proceedings of a year, named as the seed names dg.o 2019."""
    if year % 3 == 0:
        return (f"ICEGOV {year}: {ordinal(year - 2006)} International Conference on Theory and Practice of "
                "Electronic Governance", "10.1145")
    return f"dg.o {year}: {ordinal(year - 1999)} Annual International Conference on Digital Government Research", \
        "10.1145"


SERVICES = ["online tax filing", "digital identity services", "e-procurement portals", "municipal service apps",
            "online permit applications", "telehealth services", "open data portals", "online payment of fees",
            "online civil registration", "social benefit portals", "online vehicle registration",
            "one-stop government portals", "digital public services", "e-government websites",
            "online business registration", "government chatbots"]
POPULATIONS = ["citizens", "public servants", "municipal managers", "IT managers of public agencies",
               "small business owners", "university students", "older adults", "health professionals",
               "local elected officials", "users of government social media accounts", "rural residents"]
OUTCOMES = ["government service delivery through digital channels", "the adoption of digital public services",
            "citizens' use of online services", "e-government adoption in local government",
            "the continued use of government apps", "public agencies' use of social media",
            "the take-up of open government data"]
DOMAINS = ["tax", "health", "social benefits", "civil registration", "transport", "education",
           "business licensing", "municipal"]

# Design archetypes: methods (vocabulary ids and catalogue ids), sample units, sample sizes, locators.
DESIGNS = {
    "qualitative": ([["method:focus-groups"], ["method:semi-structured-interviews"], ["method:case-study"],
                     ["method:semi-structured-interviews", "method:thematic-analysis"],
                     ["method:case-study", "method:document-analysis"], ["method:focus-groups",
                                                                         "method:thematic-analysis"]],
                    ["focus groups", "interviewees", "cases", "municipalities", "agencies"], (4, 60),
                    "Methodology"),
    "survey": ([["method:telephone-survey", "method:structural-equation-modelling"],
                ["method:online-survey", "method:structural-equation-modelling"],
                ["method:online-survey", "method:regression-analysis"], ["method:household-survey"],
                ["method:online-survey"]],
               ["respondents", "citizens", "households", "users", "public employees"], (120, 6000),
               "Research design"),
    "review": ([["method:systematic-review"], ["method:narrative-review"], ["method:meta-synthesis"],
                ["method:systematic-review", "method:bibliometric-analysis"],
                ["method:meta-synthesis", "method:sandelowski-barroso-seven-steps", "method:glynn-appraisal-tool"]],
               ["articles", "studies", "papers reviewed in full"], (15, 250), "Methodology"),
    "mixed": ([["method:semi-structured-interviews", "method:online-survey"],
               ["method:focus-groups", "method:online-survey", "method:structural-equation-modelling"],
               ["method:case-study", "method:household-survey"]],
              ["respondents", "participants", "cases"], (30, 900), "Research design"),
}
DESIGN_WEIGHTS = [("qualitative", 30), ("survey", 35), ("review", 20), ("mixed", 15)]
SECTIONS = {"values": ["Results – Public values", "Findings", "Results", "Discussion", "Abstract",
                       "Table 4", "Section 5.1"],
            "characteristics": ["Results – Service characteristics", "Findings", "Results", "Section 4.2"],
            "link": ["Results – Structural model", "Results", "Table 5", "Discussion", "Abstract", "Figure 2"],
            "factor": ["Results – Adoption factors", "Findings", "Results", "Table 3", "Discussion"],
            "cited-work": ["Literature review", "Introduction", "Background", "Literature review – Prior studies"]}

# Concept catalogue: declared by the first study that uses an entry. Methods and channels are named here;
# values, characteristics, factors and constructs are hand-named heads, then the same heads per domain.
METHODS = {  # id name: (label, family, definition)
    "semi-structured-interviews": ("semi-structured interviews", "qualitative",
                                   "Interviews that follow a guide of open questions but let the talk range."),
    "case-study": ("case study", "qualitative", "An in-depth study of one or a few cases in their setting."),
    "thematic-analysis": ("thematic analysis", "qualitative",
                          "Coding qualitative data and grouping the codes into themes."),
    "document-analysis": ("document analysis", "qualitative",
                          "Systematic reading of policy documents, reports and web pages."),
    "online-survey": ("online survey", "survey", "A survey whose questionnaire respondents fill in on the web."),
    "household-survey": ("household survey", "survey", "A survey of a sample of households, often national."),
    "regression-analysis": ("regression analysis", "survey",
                            "Estimating how an outcome varies with explanatory variables."),
    "bibliometric-analysis": ("bibliometric analysis", "review",
                              "Counting and mapping publications, citations and co-authorships."),
    "narrative-review": ("narrative literature review", "review",
                         "A review that organises research into themes without a fixed screening protocol."),
}
CHANNELS = {  # id name: (label, broader or None, definition)
    "mobile-apps": ("mobile apps", None, "Applications on smartphones through which government delivers services."),
    "chatbots": ("chatbots", None, "Conversational software that answers citizens' questions automatically."),
    "call-centres": ("call centres", None, "Telephone services through which citizens reach public agencies."),
    "service-counters": ("service counters", None, "Offices where citizens are served in person."),
    "whatsapp": ("WhatsApp", "social-media", "The WhatsApp messaging platform."),
    "youtube": ("YouTube", "social-media", "The YouTube video platform."),
    "instagram": ("Instagram", "social-media", "The Instagram photo and video platform."),
    "telegram": ("Telegram", "social-media", "The Telegram messaging platform."),
    "wechat": ("WeChat", "social-media", "The Chinese messaging and payment platform WeChat."),
    "kakaotalk": ("KakaoTalk", "social-media", "The South Korean messaging platform KakaoTalk."),
}
VALUES = {  # id name: (label, broader value in vocabulary/)
    "efficiency": ("efficiency", "improved-administrative-efficiency"),
    "cost-savings": ("cost savings", "improved-administrative-efficiency"),
    "effectiveness": ("effectiveness", "improved-administrative-efficiency"),
    "time-savings": ("time savings", "improved-public-services"),
    "accessibility": ("accessibility", "improved-public-services"),
    "service-quality": ("service quality", "improved-public-services"),
    "responsiveness": ("responsiveness", "improved-public-services"),
    "user-centricity": ("user centricity", "improved-public-services"),
    "inclusion": ("social inclusion", "improved-social-value-and-well-being"),
    "environmental-sustainability": ("environmental sustainability", "improved-social-value-and-well-being"),
    "social-cohesion": ("social cohesion", "improved-social-value-and-well-being"),
    "privacy": ("privacy", "improved-ethical-behaviour-and-professionalism"),
    "integrity": ("integrity", "improved-ethical-behaviour-and-professionalism"),
    "fairness": ("fairness", "improved-ethical-behaviour-and-professionalism"),
    "legitimacy": ("legitimacy", "improved-trust-and-confidence-in-government"),
    "security": ("security", "improved-trust-and-confidence-in-government"),
    "openness": ("openness", "open-government-capabilities"),
    "citizen-empowerment": ("citizen empowerment", "open-government-capabilities"),
    "co-creation": ("co-creation", "collaboration"),
    "e-participation": ("e-participation", "participation"),
}
CHARACTERISTIC_ADJECTIVES = ["online", "mobile", "automated", "personalised", "integrated", "proactive",
                             "multilingual", "real-time", "self-service", "accessible", "secure", "transparent"]
CHARACTERISTIC_NOUNS = ["service access", "payment", "status tracking", "notification", "appointment booking",
                        "form filling", "identity verification", "feedback", "information provision",
                        "case handling", "document exchange", "complaint handling"]
FACTOR_CATEGORIES = {"technological": "technological factors", "environmental": "environmental factors",
                     "political": "political factors"}
FACTOR_HEADS = {
    "managerial": ["leadership support", "top management commitment", "budget allocation", "change management",
                   "performance measurement", "project governance", "strategic planning"],
    "organizational": ["interagency coordination", "staff capacity", "organisational culture", "process redesign",
                       "internal communication", "incentive structures", "records management"],
    "human": ["digital literacy", "computer self-efficacy", "privacy concerns", "awareness of e-services",
              "language barriers", "prior online experience", "age-related barriers"],
    "infrastructural": ["broadband coverage", "payment infrastructure", "digital identity infrastructure",
                        "interoperability standards", "cybersecurity capacity", "mobile network coverage"],
    "technological": ["system compatibility", "software complexity", "relative advantage", "vendor support",
                      "cloud readiness"],
    "environmental": ["citizen demand", "peer government pressure", "regulatory pressure", "media attention",
                      "international rankings"],
    "political": ["political commitment", "electoral cycles", "central government mandates",
                  "anti-corruption agenda", "decentralisation policy"],
}
CONSTRUCTS = ["perceived usefulness", "perceived ease of use", "behavioural intention", "continuance intention",
              "information quality", "social influence", "facilitating conditions", "habit", "perceived risk",
              "self-efficacy", "effort expectancy", "performance expectancy", "word of mouth",
              "complaint intention", "trust in the service"]
PLURAL = {"is": "are", "goes": "go", "holds": "hold", "leads": "lead", "feeds": "feed"}
EDITORS_NOTE = "Placed under {} by the pvkg editors; no source states this placement."

# Bilingual titles: (English, other language); {c} is the country's label in that language.
TITLES_ES = [("Public value of digital services in {c}", "Valor público de los servicios digitales en {c}"),
             ("Factors in the adoption of digital government in {c}",
              "Factores que inciden en la adopción del gobierno digital en {c}"),
             ("Social media and citizen participation in the local governments of {c}",
              "Redes sociales y participación ciudadana en gobiernos locales de {c}"),
             ("Quality of online public services: the citizens' view in {c}",
              "Calidad de los servicios públicos en línea: la perspectiva ciudadana en {c}")]
TITLES_FA = [("Public value of e-government services in Iran", "ارزش عمومی خدمات دولت الکترونیک در ایران"),
             ("Factors affecting the adoption of e-government services",
              "عوامل مؤثر بر پذیرش خدمات دولت الکترونیک"),
             ("Social media and citizen participation in government", "رسانه های اجتماعی و مشارکت شهروندان در دولت"),
             ("Quality of government electronic services from the citizens' perspective",
              "کیفیت خدمات الکترونیک دولت از دیدگاه شهروندان")]
TITLES_EN = ["Public value of {s}: evidence from {c}", "How citizens perceive {s} in {c}",
             "Drivers and barriers of {s} adoption", "{S} and trust in government",
             "Creating public value through {s}", "What makes {s} work? A study of {c}",
             "From adoption to value: {s} in {c}", "Digital service delivery and its public values",
             "Social media in government service provision: the case of {c}", "Citizens, channels and {s}"]
UNITS_ES = {"respondents": "encuestados", "citizens": "ciudadanos", "focus groups": "grupos focales",
            "articles": "artículos", "interviewees": "entrevistados", "municipalities": "municipios"}


# ------------------------------------------------------------------------------------------------------
# YAML text: the few shapes the study files use, written directly
# ------------------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z\u00c0-\u024f\u0600-\u06ff][^\n\"\\\t]*")  # starts with a letter, no escapes
_PLAIN_UNSAFE = re.compile(r": | #|[: ]$")  # a key, a comment, or a trailing colon or space
_FLOW_UNSAFE = re.compile(r"[,?\[\]{}]")  # inside [...] or {...}, libyaml ends a plain scalar at any of these
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def scalar(value: Any, flow: bool = False) -> str:
    """A scalar as plain YAML when it reads back as the same string, else double-quoted (JSON escapes are
    valid YAML). In flow context (inside [...] or {...}) commas, brackets and '?' need quotes too."""
    if isinstance(value, bool) or not isinstance(value, str):
        return json.dumps(value)
    if (_PLAIN.fullmatch(value) and not _PLAIN_UNSAFE.search(value) and value.lower() not in _RESERVED
            and not (flow and _FLOW_UNSAFE.search(value))):
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _folded(text: str, indent: int) -> list[str]:
    """A long text as a folded block scalar (`>-`), wrapped like the seed files."""
    lines, line = [], ""
    for word in text.split():
        if line and indent + len(line) + 1 + len(word) > WRAP:
            lines.append(" " * indent + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(" " * indent + line)
    return lines


def _is_small(value: Any) -> bool:
    """Whether a list or mapping goes on one line in flow style, as the seed writes ids and {en: ...}."""
    text = _flow(value)
    return len(text) <= 90 and not (isinstance(value, list) and any(isinstance(v, dict) for v in value)) \
        and not (isinstance(value, list) and any("," in v for v in value if isinstance(v, str)))


def emit(mapping: dict[str, Any], indent: int = 0, out: list[str] | None = None) -> list[str]:
    """Block-style YAML for a mapping of scalars, small flow collections, nested mappings and lists."""
    out = [] if out is None else out
    pad = " " * indent
    for key, value in mapping.items():
        if isinstance(value, str) and len(value) + indent + len(key) + 2 > WRAP:
            out.append(f"{pad}{key}: >-")
            out.extend(_folded(value, indent + 2))
        elif not isinstance(value, dict | list):
            out.append(f"{pad}{key}: {scalar(value)}")
        elif _is_small(value):
            out.append(f"{pad}{key}: {_flow(value)}")
        elif isinstance(value, dict):
            out.append(f"{pad}{key}:")
            emit(value, indent + 2, out)
        else:
            out.append(f"{pad}{key}:")
            for item in value:
                if isinstance(item, dict):
                    start = len(out)
                    emit(item, indent + 4, out)
                    out[start] = f"{pad}  - {out[start][indent + 4:]}"
                else:
                    out.append(f"{pad}  - {scalar(item)}")
    return out


# ------------------------------------------------------------------------------------------------------
# What the corpus already holds: vocabulary and seed studies
# ------------------------------------------------------------------------------------------------------


@dataclass
class Known:
    """The concepts, places, people, venues and ids of the corpus so far."""

    labels: dict[str, str] = field(default_factory=dict)  # concept id -> English label
    pickable: dict[str, list[str]] = field(default_factory=dict)  # prefix -> ids findings may name
    categories: list[str] = field(default_factory=list)  # factor categories declared so far
    countries: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {lang: label}
    cities: dict[str, list[str]] = field(default_factory=dict)  # country code -> city ids
    people: dict[str, list[str]] = field(default_factory=dict)  # region -> names as written
    person_names: dict[str, str] = field(default_factory=dict)  # slug -> the one name written with it
    person_slugs: set[str] = field(default_factory=set)  # persons whose triples are counted already
    venues: set[str] = field(default_factory=set)  # venue slugs already in the graph
    ids: set[str] = field(default_factory=set)  # study and work ids
    finding_prefixes: set[str] = field(default_factory=set)
    citable: list[tuple[str, list[str], int | None]] = field(default_factory=list)  # (id, authors, year)
    conference_papers: list[tuple[str, list[str], int]] = field(default_factory=list)

    def add_concept(self, cid: str, label: str, category: bool = False, dimension: bool = False) -> None:
        self.labels[cid] = label
        prefix = cid.split(":", 1)[0]
        if category:
            self.categories.append(cid)
        elif not dimension and prefix != "method":  # findings name neither methods nor the broad dimensions
            self.pickable.setdefault(prefix, []).append(cid)


def _load_yaml(path: Path) -> Any:
    from pvkg._yamlfile import load  # the reader pvkg itself uses

    return load(path.read_text(encoding="utf-8"))


def _en(text: str | dict[str, str]) -> str:
    """The English of a language-tagged text (a plain string is English)."""
    return text if isinstance(text, str) else text["en"]


def read_known() -> tuple[Known, int, list[Path]]:
    """What the vocabulary and seed studies declare; also the seed findings count and the seed files."""
    known = Known()
    for path in sorted(VOCABULARY.glob("*.yaml")):
        data = _load_yaml(path) or {}
        for c in data.get("concepts", []):
            known.add_concept(c["id"], _en(c["label"]), dimension=c.get("type") == "dimension")
        for c in data.get("countries", []):
            known.countries[c["code"]] = c["label"] if isinstance(c["label"], dict) else {"en": c["label"]}
        for c in data.get("cities", []):
            known.cities.setdefault(c["country"], []).append(c["id"])
    seed_files = sorted(SEED_STUDIES.rglob("*.yaml"))
    findings = 0
    region_of = {"MEX": "es", "KOR": "ko", "CHN": "zh", "IRN": "fa"}
    for path in seed_files:
        data = _load_yaml(path)
        for c in data.get("concepts", []):
            known.add_concept(c["id"], _en(c["label"]), category=c.get("type") == "category",
                              dimension=c.get("type") == "dimension")
        authors = [a for a in data.get("authors", []) if a != "et al."]
        region = region_of.get((data.get("context") or {}).get("country"), "en")
        for name in authors:
            if slugify(name) not in known.person_slugs:
                known.person_slugs.add(slugify(name))
                known.person_names[slugify(name)] = name
                if "," in name:  # only "Family, Given" names write further papers
                    known.people.setdefault(region, []).append(name)
        if data.get("venue"):
            known.venues.add(slugify(data["venue"]))
        known.ids.add(data["id"])
        known.ids.update(w["id"] for w in data.get("works", []))
        if authors:  # the citations are written author-year
            known.citable.append((data["id"], authors, data.get("year")))
        for f in data.get("findings", []):
            findings += 1
            known.finding_prefixes.add(f["id"].rsplit("-", 1)[0])
    return known, findings, seed_files


def base_triples() -> int:
    """Triples of the ontology, vocabulary and seed studies, measured with pvkg's own loader (no SHACL).
    pvkg is edited alongside this module, so any failure falls back to the figure measured when it was
    written rather than stopping the benchmark."""
    try:
        from pvkg import _resources as resources
        from pvkg._build.load import corpus_to_graph, load_ontology
        from pvkg._build.studies import read_corpus

        data, _ = corpus_to_graph(read_corpus([SEED_STUDIES], resources.vocabulary_files()))
        return len(load_ontology() + data)
    except Exception as e:  # noqa: BLE001 - see the docstring
        print(f"bench.generate: cannot measure the seed graph with pvkg ({e}); assuming "
              f"{BASE_TRIPLES_FALLBACK} triples", file=sys.stderr)
        return BASE_TRIPLES_FALLBACK


# ------------------------------------------------------------------------------------------------------
# Triples: what pvkg/_build/load.py makes of a study, counted without building it
# ------------------------------------------------------------------------------------------------------


def _langs(text: Any) -> int:
    return 0 if not text else len(text) if isinstance(text, dict) else 1


def count_work(work: dict, known: Known, is_study: bool) -> int:
    n = 4 + _langs(work.get("title")) + is_study  # type, identifier, label, citation (+ pvkg:Study)
    for name in work.get("authors", []):
        if name == "et al.":
            continue
        n += 1
        if slugify(name) not in known.person_slugs:  # a person's type and name are made once
            known.person_slugs.add(slugify(name))
            n += 2
    if "venue" in work:
        n += 1
        if slugify(work["venue"]) not in known.venues:
            known.venues.add(slugify(work["venue"]))
            n += 2
    n += sum(1 for k in ("author-note", "year", "volume", "issue", "article-number", "doi", "url", "language",
                         "known-from", "revision-of") if k in work)
    return n + (2 if "pages" in work else 0)


def count_design(design: dict | None) -> int:
    if design is None:
        return 0
    return 3 + len(design["methods"]) + _langs(design.get("statement")) + ("quality-threshold" in design)


def count_context(ctx: dict | None) -> int:
    if ctx is None:
        return 0
    n = 3 + ("country" in ctx) + len(ctx.get("cities", [])) + ("city-count" in ctx) + len(ctx.get("channels", []))
    n += _langs(ctx.get("population")) + _langs(ctx.get("setting"))
    if "sample" in ctx:
        n += 3 + _langs(ctx["sample"]["unit"])
    return n


def count_concept(c: dict) -> int:
    n = 4 + ("type" in c) + _langs(c["label"]) + _langs(c["definition"]) + ("note" in c)
    n += sum(len(v) for v in c.get("alt-labels", {}).values())
    n += len(c["broader"]) if c.get("broader") else 2  # a top concept is linked both ways to its scheme
    return n + 1  # dcterms:source, the declaring study


def count_study(study: dict, known: Known) -> int:
    n = count_work(study, known, is_study=True)
    n += sum(3 + _langs(rq["statement"]) for rq in study.get("research-questions", []))
    n += count_design(study.get("design")) + count_context(study.get("context"))
    n += sum(count_concept(c) for c in study.get("concepts", []))
    for cite in study.get("cites", []):
        n += 5 + ("identified-as" in cite) + _langs(cite.get("correction"))
        n += count_design(cite.get("design")) + count_context(cite.get("context"))
    n += sum(count_work(w, known, is_study=False) for w in study.get("works", []))
    for f in study["findings"]:
        n += 5 + _langs(f["statement"]) + len(f.get("about", [])) + len(f.get("from", [])) + len(f.get("to", []))
        n += sum(1 for k in ("direction", "level", "work", "note") if k in f)
    return n


# ------------------------------------------------------------------------------------------------------
# One synthetic study
# ------------------------------------------------------------------------------------------------------


class Generator:
    def __init__(self, known: Known, seed: int):
        self.known = known
        self.rng = random.Random(seed)
        self.doi_counter = 0
        self.catalogue = self._catalogue()

    # --- the concept catalogue ------------------------------------------------------------------------

    def _catalogue(self) -> dict[str, list[dict]]:
        """Concepts a synthetic study may introduce, per prefix, in a fixed order: the named heads first,
        then the same heads qualified by a service domain."""
        taken = set(self.known.labels)
        cat: dict[str, list[dict]] = {"value": [], "characteristic": [], "factor": [], "construct": []}
        for name, (label, broader) in VALUES.items():
            parent = f"value:{broader}"
            cat["value"].append({"id": f"value:{name}", "label": {"en": label},
                                 "definition": f"A public value of digital government: {label}, as the study "
                                               "names it.",
                                 "broader": [parent], "note": EDITORS_NOTE.format(self.known.labels[parent])})
        for domain in ["", *DOMAINS]:
            for adjective in CHARACTERISTIC_ADJECTIVES:
                for noun in CHARACTERISTIC_NOUNS:
                    label = f"{adjective} {noun}" + (f" ({domain} services)" if domain else "")
                    cat["characteristic"].append({
                        "id": f"characteristic:{slugify(label)}", "label": {"en": label},
                        "definition": f"A digital public service offering {adjective} {noun}"
                                      + (f" in {domain} services." if domain else ".")})
            for category, heads in FACTOR_HEADS.items():
                parent = f"factor:{category}"
                for head in heads:
                    label = head + (f" ({domain} services)" if domain else "")
                    cat["factor"].append({
                        "id": f"factor:{slugify(label)}", "label": {"en": label},
                        "definition": f"How far {head} shapes government's adoption of digital services"
                                      + (f" in {domain}." if domain else "."),
                        "broader": [parent], "note": EDITORS_NOTE.format(
                            self.known.labels.get(parent) or FACTOR_CATEGORIES[category])})
            for head in CONSTRUCTS:
                label = head + (f" ({domain} services)" if domain else "")
                cat["construct"].append({"id": f"construct:{slugify(label)}", "label": {"en": label},
                                         "definition": f"The model construct {label}, as the study measures it."})
        for prefix in cat:
            cat[prefix] = [c for c in cat[prefix] if c["id"] not in taken]
        return cat

    def _declare_named(self, cid: str, declared: list[dict]) -> None:
        """Declare a named method, channel or factor category the first time a study uses it."""
        if cid in self.known.labels:
            return
        prefix, name = cid.split(":", 1)
        if prefix == "method":
            label, family, definition = METHODS[name]
            c = {"id": cid, "label": {"en": label}, "definition": definition, "broader": [f"method:{family}"]}
        elif prefix == "channel":
            label, broader, definition = CHANNELS[name]
            c = {"id": cid, "label": {"en": label}, "definition": definition}
            if broader:
                c["broader"] = [f"channel:{broader}"]
        else:  # a factor category
            label = FACTOR_CATEGORIES[name]
            c = {"id": cid, "type": "category", "label": {"en": label},
                 "definition": f"Factors that lie in the {name} environment of digital government."}
        declared.append(c)
        self.known.add_concept(cid, label, category=c.get("type") == "category")

    def _declare_new(self, prefix: str, declared: list[dict]) -> str | None:
        """Declare the next catalogue concept of a prefix (with its category, for a factor)."""
        pool = self.catalogue[prefix]
        if not pool:
            return None
        c = pool.pop(self.rng.randrange(min(len(pool), 40)))
        if prefix == "factor" and c["broader"][0] not in self.known.labels:
            self._declare_named(c["broader"][0], declared)
        declared.append(c)
        self.known.add_concept(c["id"], c["label"]["en"])
        return c["id"]

    def pick(self, prefix: str, k: int = 1, include: list[str] | None = None) -> list[str]:
        """k distinct concepts of a prefix, skewed toward the early (common, shared) ones, as real corpora
        keep returning to transparency or trust."""
        pool = self.known.pickable.get(prefix, [])
        chosen = [c for c in include or [] if c.startswith(prefix + ":")]
        k = min(k, len(pool))
        while len(chosen) < k:
            c = pool[int(len(pool) * self.rng.random() ** 1.5)]
            if c not in chosen:
                chosen.append(c)
        return chosen

    def label(self, cid: str) -> str:
        return self.known.labels[cid]

    def labels(self, ids: list[str]) -> str:
        names = [self.label(c) for c in ids]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    # --- authors and ids ------------------------------------------------------------------------------

    def person(self, region: str) -> str:
        """An existing researcher of the region (often), or a new one, each always written the same way."""
        pool = self.known.people.setdefault(region, [])
        if pool and self.rng.random() < 0.6:
            return pool[int(len(pool) * self.rng.random() ** 1.5)]
        families, givens = NAMES[region]
        for _ in range(50):
            family, given = self.rng.choice(families), self.rng.choice(givens)
            if self.rng.random() < 0.3:  # initials, as many papers print them
                given = " ".join(part[0].upper() + "." for part in re.split(r"[ -]", given))
            name = f"{family}, {given}"
            # One IRI per person: a new name must not slugify like another one (pvkg allows one foaf:name)
            if self.known.person_names.setdefault(slugify(name), name) == name:
                if name not in pool:
                    pool.append(name)
                return name
        return self.rng.choice(pool)

    def study_id(self, authors: list[str], year: int) -> tuple[str, str]:
        """The study id by the seed convention (family-year, family-family-year, up to three families, else
        the first), with a letter on a clash; and its finding-id prefix (family+year)."""
        families = [slugify(a.partition(",")[0]) for a in authors]
        base = "-".join(families if len(families) <= 3 else families[:1])
        sid, letter = f"{base}-{year}", 0
        while sid in self.known.ids:
            letter += 1
            sid = f"{base}-{year}{chr(ord('a') + letter)}"
        self.known.ids.add(sid)
        stem = families[0].replace("-", "") + str(year)
        prefix, letter = stem, 0
        while prefix in self.known.finding_prefixes:
            letter += 1
            prefix = stem + chr(ord("a") + letter)
        self.known.finding_prefixes.add(prefix)
        return sid, prefix

    def citation(self, authors: list[str], year: int | None) -> str:
        families = [a.partition(",")[0] for a in authors if a != "et al."] or ["Anonymous"]
        names = families[0] if len(families) == 1 else f"{families[0]} and {families[1]}" \
            if len(families) == 2 else f"{families[0]} et al."
        return f"{names} ({year})" if year else names

    # --- the study ------------------------------------------------------------------------------------

    def study(self, number: int) -> tuple[str, dict]:
        rng = self.rng
        _, region, country, language = rng.choices(REGIONS, weights=[r[0] for r in REGIONS])[0]
        kind = "conference-paper" if language == "en" and rng.random() < 0.25 else "journal-article"
        year = rng.randint(2008, 2025)
        authors: list[str] = []
        revision_of = None
        if kind == "journal-article" and self.known.conference_papers and rng.random() < 0.06:
            revision_of, authors, earlier = rng.choice(self.known.conference_papers)
            year = min(2025, earlier + rng.randint(1, 3))  # the journal version of an earlier paper
        if not authors:
            for _ in range(rng.choices([1, 2, 3, 4, 5], weights=[12, 30, 30, 18, 10])[0]):
                name = self.person(region if rng.random() < 0.8 else "en")
                if name not in authors:
                    authors.append(name)
        sid, fprefix = self.study_id(authors, year)
        country_label = self.known.countries[country]["en"] if country else "Latin America" \
            if region == "es" else "Europe"
        service = rng.choice(SERVICES)

        s: dict[str, Any] = {"id": sid, "type": kind, "title": self.title(language, country, country_label, service),
                             "authors": authors, "year": year}
        self.venue(s, kind, language, year)
        s["language"] = language
        s["source-file"] = f"{sid}.pdf"
        if revision_of:
            s["revision-of"] = revision_of

        archetype = rng.choices([d for d, _ in DESIGN_WEIGHTS], weights=[w for _, w in DESIGN_WEIGHTS])[0]
        method_sets, units, (low, high), section = DESIGNS[archetype]
        methods = list(rng.choice(method_sets))
        population = "published studies" if archetype == "review" else rng.choice(POPULATIONS)
        declared: list[dict] = []
        for method in methods:
            self._declare_named(method, declared)

        s["research-questions"] = [{"id": f"rq{i + 1}", "locator": rng.choice(["Introduction", "Abstract"]),
                                    "statement": self.question(population, service, country_label)}
                                   for i in range(rng.choices([1, 2, 3], weights=[50, 35, 15])[0])]
        s["design"] = {"locator": section, "methods": methods,
                       "statement": self.design_statement(archetype, methods, population, country_label)}
        if archetype == "review" and rng.random() < 0.5:
            s["design"]["quality-threshold"] = rng.choice([0.6, 0.7, 0.75, 0.8])
        s["context"] = self.context(section, region, country, language, population, units, low, high, declared)

        # Concepts the study introduces (the catalogue's next entries); each is used by a finding below.
        introduced = []
        for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]):
            prefix = rng.choices(["characteristic", "factor", "construct", "value"], weights=[35, 35, 20, 10])[0]
            if (cid := self._declare_new(prefix, declared)) is not None:
                introduced.append(cid)
        free = [f"channel:{c}" for c in CHANNELS if f"channel:{c}" not in self.known.labels]
        if free and rng.random() < 0.03:  # now and then a study names a new channel
            introduced.append(rng.choice(free))
            self._declare_named(introduced[-1], declared)

        cites, works = self.cites(archetype, sid, year)
        s["findings"] = self.findings(fprefix, archetype, introduced, cites, population, service)
        if declared:
            s["concepts"] = declared
        if cites:
            s["cites"] = cites
        if works:
            s["works"] = works
        order = ["id", "type", "title", "authors", "year", "venue", "volume", "issue", "pages", "article-number",
                 "doi", "url", "language", "source-file", "revision-of", "research-questions", "design", "context",
                 "concepts", "cites", "works", "findings"]
        s = {k: s[k] for k in order if k in s}

        self.known.citable.append((sid, authors, year))
        if kind == "conference-paper":
            self.known.conference_papers.append((sid, authors, year))
        header = (f"# Synthetic study {number} made by bench/generate.py; not a real publication. Its locators name "
                  f"sections of\n# a fictitious {archetype} paper on {service} ({country_label}).\n")
        return sid, {"header": header, "study": s}

    def title(self, language: str, country: str | None, country_label: str, service: str) -> dict[str, str]:
        rng = self.rng
        if language == "es":
            en, es = rng.choice(TITLES_ES)
            es_country = self.known.countries.get(country or "", {}).get("es", "América Latina")
            return {"en": en.format(c=country_label), "es": es.format(c=es_country)}
        if language == "fa":
            en, fa = rng.choice(TITLES_FA)
            return {"en": en, "fa": fa}
        text = rng.choice(TITLES_EN).format(s=service, S=service[0].upper() + service[1:], c=country_label)
        return {"en": text}

    def venue(self, s: dict, kind: str, language: str, year: int) -> None:
        rng = self.rng
        self.doi_counter += 1
        if kind == "conference-paper":
            name, prefix = proceedings(year)
            s["venue"] = name
            start = rng.randint(1, 600)
            s["pages"] = f"{start}–{start + rng.randint(6, 11)}"
            s["doi"] = f"{prefix}/{3000000 + self.doi_counter}.{3000000 + year * 10 + rng.randint(0, 9)}"
            return
        name, prefix, infix = rng.choice(JOURNALS_BY_LANGUAGE.get(language, JOURNALS))
        s["venue"] = name
        s["volume"] = str(year - 1983 if language == "en" else year - 1990)
        s["issue"] = str(rng.randint(1, 4))
        if prefix is None:  # Persian journals: an article number and a web page, no DOI
            s["article-number"] = str(10000 + self.doi_counter)
            s["url"] = f"https://journals.example.ir/article_{10000 + self.doi_counter}.html"
        elif rng.random() < 0.5:
            s["article-number"] = str(100000 + self.doi_counter)
            s["doi"] = f"{prefix}/{infix}.{year}.{100000 + self.doi_counter}"
        else:
            start = rng.randint(1, 900)
            s["pages"] = f"{start}–{start + rng.randint(9, 24)}"
            s["doi"] = f"{prefix}/{infix}.{year}.{self.doi_counter:06d}"

    def question(self, population: str, service: str, place: str) -> str:
        rng = self.rng
        templates = [f"How do {population} perceive the public value of {service}?",
                     f"Which factors drive or hinder {rng.choice(OUTCOMES)} in {place}?",
                     f"Does the quality of {service} shape how much {population} trust government?",
                     f"What public values do {population} associate with {service}?",
                     f"Which characteristics of {service} matter most to {population}?"]
        return rng.choice(templates)

    def design_statement(self, archetype: str, methods: list[str], population: str, place: str) -> str:
        names = self.labels(methods)
        return {"qualitative": f"A qualitative study of {population} in {place}, using {names}.",
                "survey": f"A survey of {population} in {place}, analysed with {names}.",
                "review": f"A review of published research on digital government, by {names}; the included "
                          "studies were screened against stated criteria.",
                "mixed": f"A mixed-methods study combining {names}, with {population} in {place}."}[archetype]

    def context(self, section: str, region: str, country: str | None, language: str, population: str,
                units: list[str], low: int, high: int, declared: list[dict]) -> dict:
        rng = self.rng
        ctx: dict[str, Any] = {"locator": section}
        if country:
            ctx["country"] = country
            cities = self.known.cities.get(country, [])
            if cities and rng.random() < 0.4:
                ctx["cities"] = [rng.choice(cities)]
            elif rng.random() < 0.3:
                ctx["city-count"] = rng.randint(2, 12)
        ctx["population"] = {"en": population}
        if not country:
            ctx["setting"] = {"en": rng.choice(NO_COUNTRY_SETTINGS[region])}
        elif rng.random() < 0.3:
            ctx["setting"] = {"en": rng.choice(["local government", "national government", "the public health sector",
                                                "tax administration"])}
        if rng.random() < 0.5:
            regional = {"zh": "wechat", "ko": "kakaotalk", "fa": "telegram"}.get(region)
            options = ["channel:social-media", "channel:government-websites", "channel:twitter", "channel:facebook",
                       "channel:mobile-apps"] + ([f"channel:{regional}"] if regional else [])
            ctx["channels"] = sorted(set(rng.sample(options, rng.randint(1, 2))))
            for channel in ctx["channels"]:
                self._declare_named(channel, declared)
        unit = rng.choice(units)
        sample = {"size": rng.randint(low, high), "unit": {"en": unit}}
        if language == "es" and unit in UNITS_ES:
            sample["unit"]["es"] = UNITS_ES[unit]
        ctx["sample"] = sample
        return ctx

    def cites(self, archetype: str, sid: str, year: int) -> tuple[list[dict], list[dict]]:
        """Works the study cites: mostly earlier studies of the corpus (identified-as), now and then a
        misspelt citation with its correction, or a work outside the corpus catalogued under `works`."""
        rng = self.rng
        count = rng.randint(4, 10) if archetype == "review" else rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0]
        cites, works, used = [], [], set()
        for _ in range(count):
            if rng.random() < 0.15:  # a work outside the corpus
                authors = list(dict.fromkeys(self.person(rng.choice(list(NAMES))) for _ in range(rng.randint(1, 3))))
                work_year = rng.randint(1995, min(year, 2020))
                family = slugify(authors[0].partition(",")[0])
                work_id, letter = f"{family}-{work_year}", 0
                while work_id in self.known.ids:
                    letter += 1
                    work_id = f"{family}-{work_year}{chr(ord('a') + letter)}"
                self.known.ids.add(work_id)
                name, prefix, infix = rng.choice(JOURNALS)
                self.doi_counter += 1
                works.append({"id": work_id, "authors": authors, "year": work_year, "venue": name,
                              "doi": f"{prefix}/{infix}.{work_year}.{self.doi_counter:06d}"})
                target, target_authors, target_year = work_id, authors, work_year
            else:
                for _ in range(20):  # a work published no later than the citing study, recent ones more often
                    target, target_authors, target_year = self.known.citable[
                        int(len(self.known.citable) * (1 - rng.random() ** 2))]
                    if target_year is None or target_year <= year:
                        break
                else:
                    continue
            if target in used:
                continue
            used.add(target)
            cited_as = self.citation(target_authors, target_year)
            cite = {"id": target, "cited-as": cited_as, "locator": rng.choice(SECTIONS["cited-work"]),
                    "identified-as": target}
            if rng.random() < 0.05 and target_year:  # the source got the year wrong
                cite["cited-as"] = self.citation(target_authors, target_year + 1)
                cite["correction"] = f"The work appeared in {target_year}; the citation gives {target_year + 1}."
            if rng.random() < 0.3:
                cite["context"] = {"country": rng.choice(sorted(self.known.countries)),
                                   "population": {"en": rng.choice(POPULATIONS)}}
            cites.append(cite)
        return cites, works

    # --- findings ---------------------------------------------------------------------------------------

    def findings(self, prefix: str, archetype: str, introduced: list[str], cites: list[dict], population: str,
                 service: str) -> list[dict]:
        rng = self.rng
        count = rng.randint(10, 40)
        kinds = ["values", "characteristics", "link", "factor"] + (["cited-work"] if cites else [])
        weights = [30, 12, 28, 22] + ([25 if archetype == "review" else 8] if cites else [])
        # Each introduced concept is used first, by a finding of the kind that names its prefix.
        plan = [({"value": "values", "characteristic": "characteristics", "factor": "factor",
                  "construct": "link", "channel": "link"}[c.split(":", 1)[0]], c) for c in introduced]
        plan += [(k, None) for k in rng.choices(kinds, weights=weights, k=max(0, count - len(plan)))]
        out = []
        for i, (kind, concept) in enumerate(plan):
            f = {"id": f"{prefix}-{i + 1:02d}", "kind": kind,
                 "locator": rng.choice(SECTIONS[kind])}
            f.update(getattr(self, "_" + kind.replace("-", "_"))(concept, population, service, cites))
            if rng.random() < 0.08:
                f["note"] = rng.choice([
                    "The source states this in passing; the finding records it as reported.",
                    "The direction is the editors' reading of a correlation, not a proven effect.",
                    "The study's own summary adds a recommendation that is not encoded."])
            out.append(f)
        return out

    def _values(self, concept, population, service, cites) -> dict:
        values = self.pick("value", self.rng.choices([1, 2, 3, 4], weights=[40, 30, 20, 10])[0],
                           [concept] if concept else None)
        text = self.rng.choice([f"{population.capitalize()} see {self.labels(values)} in {service}.",
                                f"{service.capitalize()} create {self.labels(values)}, as {population} report it.",
                                f"The study finds {self.labels(values)} among the public values {population} "
                                f"credit to {service}."])
        f: dict[str, Any] = {"statement": text, "about": values}
        if self.rng.random() < 0.5:
            f["level"] = self.rng.choice(["individual", "societal"])
        return f

    def _characteristics(self, concept, population, service, cites) -> dict:
        chars = self.pick("characteristic", self.rng.randint(1, 2), [concept] if concept else None)
        text = self.rng.choice([f"{population.capitalize()} value {self.labels(chars)} in {service}.",
                                f"In {service}, {population} find {self.labels(chars)}."])
        return {"statement": text, "about": chars}

    def _link(self, concept, population, service, cites) -> dict:
        rng = self.rng
        start_prefix = rng.choices(["characteristic", "value", "construct", "channel", "factor"],
                                   weights=[35, 20, 25, 12, 8])[0]
        end_prefix = rng.choices(["value", "construct"], weights=[60, 40])[0]
        include = [concept] if concept else None
        if concept and concept.startswith("construct:"):
            end_prefix = "construct"
        if concept and concept.startswith("channel:"):
            start_prefix = "channel"
        start = self.pick(start_prefix, rng.choices([1, 2], weights=[80, 20])[0], include)
        end = [c for c in self.pick(end_prefix, rng.choices([1, 2, 3], weights=[60, 30, 10])[0], include)
               if c not in start] or self.pick("value", 1)
        f: dict[str, Any] = {}
        if rng.random() < 0.6:
            f["direction"] = rng.choice(["driver", "driver", "barrier"])
        verb = rng.choice({"driver": ["raises", "strengthens", "predicts more", "leads to more"],
                           "barrier": ["lowers", "holds back", "goes with less"],
                           None: ["is tied to", "shapes", "feeds into"]}[f.get("direction")])
        if len(start) > 1:  # plural subject
            first, _, rest = verb.partition(" ")
            verb = " ".join(filter(None, [PLURAL.get(first, first.removesuffix("s")), rest]))
        text = f"{self.labels(start)[0].upper()}{self.labels(start)[1:]} {verb} {self.labels(end)} among {population}."
        f = {"statement": text, "from": start, "to": end, **f}
        if rng.random() < 0.12:
            f["about"] = self.pick("channel", 1)
        return f

    def _factor(self, concept, population, service, cites) -> dict:
        rng = self.rng
        outcome = rng.choice(OUTCOMES)
        if concept is None and rng.random() < 0.15 and len(self.known.categories) >= 2:
            groups = rng.sample(self.known.categories, rng.randint(2, min(4, len(self.known.categories))))
            count = ["Two", "Three", "Four"][len(groups) - 2]
            return {"statement": f"{count} groups of factors shape {outcome}: {self.labels(groups)}.",
                    "about": groups}
        factor = self.pick("factor", 1, [concept] if concept else None)
        if rng.random() < 0.2:
            return {"statement": f"{self.label(factor[0]).capitalize()} comes into play in {outcome}.",
                    "about": factor}
        direction = rng.choice(["driver", "barrier"])
        text = rng.choice([f"{self.label(factor[0]).capitalize()} is judged a {direction} to {outcome}.",
                           f"{population.capitalize()} name {self.label(factor[0])} as a {direction} of {outcome}."])
        return {"statement": text, "about": factor, "direction": direction}

    def _cited_work(self, concept, population, service, cites) -> dict:
        rng = self.rng
        cite = rng.choice(cites)
        about = self.pick(rng.choice(["value", "channel", "factor"]), rng.randint(1, 2))
        text = rng.choice([f"{cite['cited-as']} reports that {self.labels(about)} matter for {service}.",
                           f"As cited, {cite['cited-as']} finds {self.labels(about)} among {population}."])
        return {"work": cite["id"], "statement": text, "about": about}


# ------------------------------------------------------------------------------------------------------
# The corpus
# ------------------------------------------------------------------------------------------------------


def _prepare(out_dir: Path) -> None:
    """An empty folder to write into: a new one, or one this module made before (never anything else)."""
    if out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
            raise SystemExit(f"bench.generate: {out_dir} exists and was not made by bench.generate; "
                             "give a new or empty folder")
        shutil.rmtree(out_dir)
    (out_dir / "seed").mkdir(parents=True)
    (out_dir / "generated").mkdir()
    (out_dir / MARKER).write_text("made by bench/generate.py; emptied and rewritten on each run\n")


def generate(out_dir: Path, target_triples: int, seed: int = 0) -> GeneratedCorpus:
    """Write a corpus whose built graph has about `target_triples` triples into `out_dir` (emptied first if
    this module made it). The same seed always gives the same bytes."""
    known, seed_findings, seed_files = read_known()
    estimate = base_triples()
    out_dir = Path(out_dir)
    _prepare(out_dir)
    for path in seed_files:
        shutil.copyfile(path, out_dir / "seed" / path.name)
    gen = Generator(known, seed)
    files, findings = len(seed_files), seed_findings
    while estimate < target_triples:
        sid, made = gen.study(files - len(seed_files) + 1)
        triples = count_study(made["study"], known)
        # Stop short of the target when this study overshoots it by more than it undershoots without it.
        if estimate + triples - target_triples > target_triples - estimate:
            break
        text = made["header"] + "\n".join(emit(made["study"])) + "\n"
        (out_dir / "generated" / f"{sid}.yaml").write_text(text, encoding="utf-8")
        estimate += triples
        files += 1
        findings += len(made["study"]["findings"])
    return GeneratedCorpus(out_dir, files, findings, estimate)


def _size(text: str) -> int:
    """'10000', '10k', '1M' -> a number of triples."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of triples such as 10000, 100k or 1M")
    return int(float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=_size, required=True, help="target size of the built graph (10k, 1M)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (made by this tool, or new)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    corpus = generate(args.out, args.triples, args.seed)
    print(f"{corpus.folder}: {corpus.study_files} study files, {corpus.findings} findings, "
          f"about {corpus.estimated_triples} triples ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
