"""Stage 9 (serving), part 2b: what the pages of a study, a finding and a concept show first.

The server shows every resource at its IRI with the triples that describe it (resource.html's tables). A work or
study, a finding and one of pvkg's concepts are shown first as what they are: a study by its citation, research
questions, design, context, findings and the works it cites; a finding by its statement and how it is supported; a
concept by its labels, definition, place in its scheme and the findings about it. This module holds the SPARQL each
of those pages asks (each anchored on the page's IRI, so that a page stays quick in a large graph) and makes the
page's view from the rows. It runs nothing itself: the server runs the queries through its query pool.

The words are the graph's: support, status, strength and direction are shown by their labels in the ontology (and
link to their definitions), a second-hand finding as the reporting study's account of the work it is about, and an
editors' placement as the editors'.
"""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import RDF, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF
from rdflib.term import Node

from pvkg._namespaces import (
    BASE,
    BIBO,
    CITO,
    CONCEPT_PREFIXES,
    EU_COUNTRY,
    FINDING_KINDS,
    PROV,
    PVKG,
    STATUSES,
    SUPPORT,
    slugify,
)

LANGUAGE = "en"
FINDINGS_PER_KIND = 25  # findings of each kind a concept's page lists; the evidence query's page has them all
# the properties by which a finding names a concept, and the role each gives it
ROLES: dict[URIRef, str] = {
    **{spec.about: "about" for spec in CONCEPT_PREFIXES.values() if spec.about is not None},
    PVKG.linkFrom: "from", PVKG.linkTo: "to",
}
KINDS = list(FINDING_KINDS.values())  # in the order the pages group findings
# how a finding goes, as the finding page lists it: (property, heading)
QUALIFIERS = [(PVKG.direction, "Direction"), (PVKG.atLevel, "Level"), (PVKG.support, "Support"),
              (PVKG.status, "Status"), (PVKG.strength, "Strength"), (PVKG.inference, "Inference")]


def _values(iris: Iterable[URIRef]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _english_first(texts: Iterable[Node]) -> list[Literal]:
    """Literals in English first, then those without a language, then the others by language."""
    literals = {t for t in texts if isinstance(t, Literal)}
    return sorted(literals, key=lambda t: (t.language != LANGUAGE, bool(t.language), t.language or "", str(t)))


def _first(values: list[Node]) -> Node | None:
    return values[0] if values else None


def _by_subject(rows: Iterable[tuple[Node | None, ...]]) -> dict[Node, dict[Node, list[Node]]]:
    """Rows of (subject, predicate, object) as subject -> predicate -> objects, each once, in a fixed order (not the
    engine's, so that every engine gives one page)."""
    found: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
    for subject, predicate, value in rows:
        if subject is not None and predicate is not None and value is not None:
            found[subject][predicate].add(value)
    return {s: {p: sorted(values, key=_term_key) for p, values in properties.items()}
            for s, properties in found.items()}


def _term_key(term: Node) -> tuple[str, str, str]:
    if isinstance(term, Literal):
        return "literal", str(term), term.language or str(term.datatype or "")
    return type(term).__name__, str(term), ""


def _own(iri: str, outgoing: list[tuple[Node | None, ...]]) -> dict[Node, list[Node]]:
    """A resource's own triples, rows of (predicate, object), as predicate -> objects."""
    return _by_subject((URIRef(iri), p, o) for p, o in outgoing).get(URIRef(iri), {})


def _sorted_iris(values: Iterable[Node]) -> list[URIRef]:
    return sorted((v for v in values if isinstance(v, URIRef)), key=str)


# --- findings, as every one of these pages lists them -----------------------------------------------------------


@dataclass
class FindingView:
    """A finding as the graph holds it: its kind, statement, study and locator, the concepts it names by role,
    and how far it goes."""

    iri: URIRef
    kind: URIRef | None
    statements: list[Literal]
    study: URIRef | None
    locator: Literal | None
    concepts: dict[str, list[URIRef]]  # role (about, from, to) -> concepts, the roles in that order
    qualifiers: dict[URIRef, URIRef]  # direction, level, support, status, strength, inference -> the graph's value
    work: URIRef | None  # the cited work a second-hand finding is about
    notes: list[Literal]

    @classmethod
    def from_properties(cls, iri: URIRef, properties: dict[Node, list[Node]]) -> FindingView:
        kinds = [k for k in KINDS if k in properties.get(RDF.type, [])]
        roles: dict[str, list[URIRef]] = {}
        for role in ("about", "from", "to"):
            named = _sorted_iris(c for p, values in properties.items() if ROLES.get(p) == role for c in values)
            if named:
                roles[role] = named
        qualifiers = {p: v for p, _ in QUALIFIERS if isinstance(v := _first(properties.get(p, [])), URIRef)}
        return cls(iri=iri, kind=_first(kinds), statements=_english_first(properties.get(PVKG.statement, [])),
                   study=_first(properties.get(PVKG.reportedIn, [])), locator=_first(properties.get(PVKG.locator, [])),
                   concepts=roles, qualifiers=qualifiers, work=_first(properties.get(PVKG.aboutWork, [])),
                   notes=_english_first(properties.get(SKOS.editorialNote, [])))

    @property
    def statement(self) -> Literal | None:
        return _first(self.statements)

    @property
    def second_hand(self) -> bool:
        return self.support == PVKG.SecondHand

    def get(self, qualifier: URIRef) -> URIRef | None:
        return self.qualifiers.get(qualifier)

    @property
    def direction(self) -> URIRef | None:
        return self.qualifiers.get(PVKG.direction)

    @property
    def support(self) -> URIRef | None:
        return self.qualifiers.get(PVKG.support)

    @property
    def status(self) -> URIRef | None:
        return self.qualifiers.get(PVKG.status)

    @property
    def strength(self) -> URIRef | None:
        return self.qualifiers.get(PVKG.strength)

    @property
    def iris(self) -> list[URIRef]:
        return [i for i in (self.kind, self.study, self.work, *self.qualifiers.values(),
                            *(c for cs in self.concepts.values() for c in cs)) if isinstance(i, URIRef)]


@dataclass
class Tally:
    """How many findings of a group have one support and status."""

    support: URIRef | None
    status: URIRef | None
    count: int


@dataclass
class FindingGroup:
    """The findings of one kind: how many there are, by support and status, and those listed."""

    kind: URIRef
    count: int
    tallies: list[Tally]
    findings: list[FindingView]

    @property
    def anchor(self) -> str:
        return "findings-" + str(self.kind).rpartition("#")[2]


def _tallies(counts: dict[tuple[Node | None, Node | None], int]) -> list[Tally]:
    """First-hand before second-hand, results before the other statuses (the orders of pvkg._namespaces)."""
    supports, statuses = list(SUPPORT.values()), list(STATUSES.values())

    def rank(value: Node | None, order: list[URIRef]) -> tuple[int, str]:
        return (order.index(value) if value in order else len(order), str(value))

    return [Tally(support, status, n) for (support, status), n in sorted(
        counts.items(), key=lambda item: (rank(item[0][0], supports), rank(item[0][1], statuses)))]


def finding_views(rows: Iterable[tuple[Node | None, ...]]) -> list[FindingView]:
    """The findings in rows of (finding, predicate, object), by kind (in KINDS' order), then by IRI."""
    views = [FindingView.from_properties(f, properties) for f, properties in _by_subject(rows).items()
             if isinstance(f, URIRef)]
    return sorted(views, key=lambda v: (KINDS.index(v.kind) if v.kind in KINDS else len(KINDS), str(v.iri)))


def grouped(findings: list[FindingView], counts: list[tuple[Node | None, ...]] | None = None) -> list[FindingGroup]:
    """Findings by kind. The counts, rows of (kind, support, status, number), are those of all the findings when
    only some are listed; without them the listed findings are counted."""
    if counts is None:
        counts = [(f.kind, f.support, f.status, 1) for f in findings]
    by_kind: dict[Node, dict[tuple[Node | None, Node | None], int]] = defaultdict(lambda: defaultdict(int))
    for kind, support, status, number in counts:
        by_kind[kind][(support, status)] += int(number.toPython() if isinstance(number, Literal) else number)
    listed: dict[Node, list[FindingView]] = defaultdict(list)
    for finding in findings:
        listed[finding.kind].append(finding)
    return [FindingGroup(kind, sum(by_kind[kind].values()), _tallies(by_kind[kind]), listed[kind])
            for kind in KINDS if by_kind.get(kind)]


def _finding_triples(selection: str) -> str:
    """Every triple of the findings a pattern selects as ?f."""
    return f"SELECT ?f ?p ?o WHERE {{ {selection} ?f ?p ?o }}"


# --- studies and other works ------------------------------------------------------------------------------------


@dataclass
class Person:
    iri: URIRef
    name: str


def ordered_authors(citation: str | None, people: dict[URIRef, str]) -> tuple[list[Person], bool]:
    """The authors in the order their study file gives, and whether the list ends in 'et al.'.

    dcterms:creator has no order. The work's dcterms:bibliographicCitation (pvkg.load.full_citation) begins with
    the authors' names as written, in order, and each person's IRI ends in the slug of that name
    (pvkg._namespaces.person_iri): the slugs are found one after another at the start of the citation's slug, the
    longest first where two begin at one place. A person not found there (a graph made some other way) follows,
    by name."""
    slugs = {iri: urllib.parse.unquote(str(iri).rpartition("/")[2]) for iri in people}
    text = slugify(citation or "") + "-"
    position, ordered = 0, []
    while len(ordered) < len(slugs):
        here = [iri for iri, slug in slugs.items() if iri not in ordered and text.startswith(slug + "-", position)]
        if not here:
            break
        found = max(here, key=lambda iri: len(slugs[iri]))
        ordered.append(found)
        position += len(slugs[found]) + 1
    et_al = bool(ordered) and text.startswith("et-al-", position)
    rest = sorted((iri for iri in people if iri not in ordered), key=lambda iri: (people[iri], str(iri)))
    return [Person(iri, people[iri]) for iri in ordered + rest], et_al


@dataclass
class Citation:
    """A work's bibliographic record as the graph holds it."""

    titles: list[Literal]
    authors: list[Person]
    et_al: bool
    author_notes: list[Literal]
    year: Node | None
    venue: URIRef | None
    venue_title: str | None
    volume: Node | None
    issue: Node | None
    number: Node | None
    pages: str | None
    doi: Node | None
    url: URIRef | None
    language: Node | None
    text: Node | None  # dcterms:bibliographicCitation

    @property
    def title(self) -> Literal | None:
        return _first(self.titles)

    @property
    def doi_url(self) -> str | None:
        return "https://doi.org/" + urllib.parse.quote(str(self.doi), safe="/:;()._-") if self.doi else None


@dataclass
class Question:
    iri: URIRef
    statements: list[Literal]
    locator: Node | None


@dataclass
class Part:
    """A study's design or context (or a cited work's): its values by property."""

    iri: URIRef
    values: dict[Node, list[Node]]

    def all(self, predicate: URIRef) -> list[Node]:
        return self.values.get(predicate, [])

    def one(self, predicate: URIRef) -> Node | None:
        return _first(self.values.get(predicate, []))

    def texts(self, predicate: URIRef) -> list[Literal]:
        return _english_first(self.all(predicate))

    def iris(self, predicate: URIRef) -> list[URIRef]:
        return _sorted_iris(self.all(predicate))


@dataclass
class Context(Part):
    sample: Part | None = None

    @property
    def countries(self) -> list[URIRef]:
        return [i for i in self.iris(DCTERMS.spatial) if str(i).startswith(str(EU_COUNTRY))]

    @property
    def places(self) -> list[URIRef]:
        return [i for i in self.iris(DCTERMS.spatial) if not str(i).startswith(str(EU_COUNTRY))]


@dataclass
class CitedWork:
    iri: URIRef
    cited_as: Node | None
    identified_as: URIRef | None
    locator: Node | None
    corrections: list[Literal]


@dataclass
class StudyView:
    """What a work's page shows first: its citation; for a study, its questions, design, context and findings; the
    works it cites; and what other studies report of it (second-hand)."""

    template = "view_study.html"
    iri: URIRef
    is_study: bool
    citation: Citation
    known_from: URIRef | None
    revision_of: URIRef | None
    questions: list[Question]
    design: Part | None
    context: Context | None
    groups: list[FindingGroup]
    reported_by_others: list[FindingView]
    cites: list[CitedWork]
    # links to other views of the study, shown beside its citation (a comparison page adds one)
    actions: list[tuple[str, str]] = field(default_factory=list)
    encoded_from: list[URIRef] = field(default_factory=list)  # where pvkg's encoders read it (source-url)
    names: dict[str, str] = field(default_factory=dict)  # names of its authors and venue, for the labels

    @property
    def findings(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def second_hand(self) -> int:
        return sum(f.second_hand for g in self.groups for f in g.findings)

    @property
    def iris(self) -> list[URIRef]:
        parts = [p for p in (self.design, self.context, self.context and self.context.sample) if p is not None]
        return [i for i in (
            self.known_from, self.revision_of, *(f for g in self.groups for v in g.findings for f in v.iris),
            *(f for v in self.reported_by_others for f in v.iris), *(c.identified_as for c in self.cites),
            *(v for p in parts for values in p.values.values() for v in values)) if isinstance(i, URIRef)]


def study_queries(iri: str) -> dict[str, str]:
    """The queries of a work's page beyond its own triples, by name (study_view reads their rows)."""
    return {
        "names": f"SELECT ?x ?name WHERE {{ <{iri}> <{DCTERMS.creator}>|<{DCTERMS.isPartOf}> ?x . "
                 f"?x <{FOAF.name}>|<{DCTERMS.title}> ?name }}",
        "questions": f"SELECT ?q ?p ?o WHERE {{ <{iri}> <{PVKG.hasResearchQuestion}> ?q . ?q ?p ?o }}",
        "parts": f"SELECT ?part ?p ?o WHERE {{ <{iri}> (<{PVKG.hasDesign}>|<{PVKG.hasContext}>)/<{PVKG.hasSample}>? "
                 f"?part . ?part ?p ?o }}",
        "findings": _finding_triples(f"?f <{PVKG.reportedIn}> <{iri}> ."),
        "others": _finding_triples(f"?cited <{PVKG.identifiedAs}> <{iri}> . ?f <{PVKG.aboutWork}> ?cited ."),
        "cites": f"SELECT ?c ?p ?o WHERE {{ <{iri}> <{CITO.cites}> ?c . ?c ?p ?o }}",
    }


def _citation(own: dict[Node, list[Node]], names: dict[URIRef, str]) -> Citation:
    people = {p: names.get(p) or str(p) for p in _sorted_iris(own.get(DCTERMS.creator, []))}
    text = _first(own.get(DCTERMS.bibliographicCitation, []))
    authors, et_al = ordered_authors(str(text) if text is not None else None, people)
    venue = _first(_sorted_iris(own.get(DCTERMS.isPartOf, [])))
    start, end = _first(own.get(BIBO.pageStart, [])), _first(own.get(BIBO.pageEnd, []))
    pages = f"{start}–{end}" if start is not None and end is not None else str(start) if start is not None else None
    url = _first(own.get(FOAF.page, []))
    return Citation(
        titles=_english_first(own.get(DCTERMS.title, [])),
        authors=authors, et_al=et_al, author_notes=_english_first(own.get(DCTERMS.description, [])),
        year=_first(own.get(DCTERMS.issued, [])), venue=venue, venue_title=names.get(venue) if venue else None,
        volume=_first(own.get(BIBO.volume, [])), issue=_first(own.get(BIBO.issue, [])),
        number=_first(own.get(BIBO.number, [])), pages=pages, doi=_first(own.get(BIBO.doi, [])),
        url=url if isinstance(url, URIRef) else None, language=_first(own.get(DCTERMS.language, [])), text=text)


def study_view(iri: str, outgoing: list[tuple[Node | None, ...]], rows: dict[str, list]) -> StudyView:
    """A work's view from its own triples (rows of predicate and object) and the rows of study_queries."""
    own = _own(iri, outgoing)
    names = {x: str(name) for x, name in rows["names"] if isinstance(x, URIRef) and name is not None}
    parts = _by_subject(rows["parts"])
    design = _first(_sorted_iris(own.get(PVKG.hasDesign, [])))
    context = _first(_sorted_iris(own.get(PVKG.hasContext, [])))
    context_view = None
    if context is not None:
        sample = _first(_sorted_iris(parts.get(context, {}).get(PVKG.hasSample, [])))
        context_view = Context(context, parts.get(context, {}),
                               Part(sample, parts.get(sample, {})) if sample is not None else None)
    questions = [Question(q, _english_first(values.get(PVKG.statement, [])), _first(values.get(PVKG.locator, [])))
                 for q, values in sorted(_by_subject(rows["questions"]).items(), key=lambda item: str(item[0]))]
    cites = [CitedWork(c, _first(values.get(PVKG.citedAs, [])), _first(_sorted_iris(values.get(PVKG.identifiedAs, []))),
                       _first(values.get(PVKG.locator, [])), _english_first(values.get(PVKG.correctionNote, [])))
             for c, values in sorted(_by_subject(rows["cites"]).items(), key=lambda item: str(item[0]))]
    is_study = PVKG.Study in own.get(RDF.type, [])
    study_id = iri.rpartition("/")[2]
    actions = [(f"/compare?{urllib.parse.urlencode({'study': study_id})}", "Compare this study with others…")] \
        if is_study else []
    return StudyView(
        iri=URIRef(iri), is_study=is_study, citation=_citation(own, names), actions=actions,
        encoded_from=_sorted_iris(own.get(PVKG.encodedFrom, [])),
        known_from=_first(own.get(PVKG.knownFrom, [])), revision_of=_first(own.get(PROV.wasRevisionOf, [])),
        questions=questions, design=Part(design, parts.get(design, {})) if design is not None else None,
        context=context_view, groups=grouped(finding_views(rows["findings"])),
        reported_by_others=finding_views(rows["others"]), cites=cites,
        names={str(k): v for k, v in names.items()})


# --- a finding --------------------------------------------------------------------------------------------------


@dataclass
class FindingPage:
    """What a finding's page shows first: its statement, the study that reports it and where, what it is about, how
    far it goes (each value with its definition) and, for a second-hand finding, the work it is about."""

    template = "view_finding.html"
    finding: FindingView
    identified_as: URIRef | None  # and as pvkg identifies it
    known_from: URIRef | None  # the study whose account is all pvkg has of the reporting study
    definitions: dict[str, Literal]  # the definitions of its direction, support, status...
    names: dict[str, str] = field(default_factory=dict)

    def definition(self, term: Node) -> Literal | None:
        return self.definitions.get(str(term))

    @property
    def iris(self) -> list[URIRef]:
        return [i for i in (*self.finding.iris, self.identified_as, self.known_from) if isinstance(i, URIRef)]


def finding_queries(iri: str) -> dict[str, str]:
    values = _values(p for p, _ in QUALIFIERS)
    return {
        # the cited work a second-hand finding is about, and the study whose account is all pvkg has of the reporting
        # study (an older form of a second-hand finding)
        "around": f"SELECT ?x ?p ?o WHERE {{ {{ <{iri}> <{PVKG.aboutWork}> ?x }} UNION "
                  f"{{ <{iri}> <{PVKG.reportedIn}> ?x }} "
                  f"VALUES ?p {{ <{PVKG.identifiedAs}> <{PVKG.knownFrom}> }} ?x ?p ?o }}",
        "definitions": f"SELECT ?t ?definition WHERE {{ VALUES ?p {{ {values} }} <{iri}> ?p ?t . "
                       f"?t <{SKOS.definition}> ?definition FILTER(langMatches(lang(?definition), \"{LANGUAGE}\")) }}",
    }


def finding_page(iri: str, outgoing: list[tuple[Node | None, ...]], rows: dict[str, list]) -> FindingPage:
    finding = FindingView.from_properties(URIRef(iri), _own(iri, outgoing))
    around = _by_subject(rows["around"])
    work = around.get(finding.work, {}) if finding.work is not None else {}
    study = around.get(finding.study, {}) if finding.study is not None else {}
    definitions = {str(t): d for t, d in sorted(rows["definitions"], key=lambda r: (str(r[0]), str(r[1])))
                   if isinstance(d, Literal)}
    return FindingPage(finding, identified_as=_first(_sorted_iris(work.get(PVKG.identifiedAs, []))),
                       known_from=_first(_sorted_iris(study.get(PVKG.knownFrom, []))), definitions=definitions)


# --- a concept --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrower:
    iri: URIRef
    placed_by_editors: bool


@dataclass
class ConceptView:
    """What a concept's page shows first: its labels and definition, its scheme, its broader concepts (an editors'
    placement marked as theirs) and narrower ones, the study recorded as its source, and the findings that name it,
    counted by kind, support and status, with the first FINDINGS_PER_KIND of each kind listed."""

    template = "view_concept.html"
    iri: URIRef
    identifier: Node | None
    labels: list[tuple[str, Literal]]  # (preferred label | other label, the label)
    definitions: list[Literal]
    schemes: list[URIRef]
    broader: list[URIRef]
    top: bool  # a top concept of its scheme
    placed_by_editors: bool
    narrower: list[Narrower]
    source: URIRef | None
    notes: list[Literal]
    groups: list[FindingGroup]
    names: dict[str, str] = field(default_factory=dict)

    @property
    def findings(self) -> int:
        return sum(g.count for g in self.groups)

    @property
    def listed(self) -> int:
        return sum(len(g.findings) for g in self.groups)

    @property
    def evidence_path(self) -> str | None:
        """The question page that lists every finding about the concept (the evidence query, by the concept's id)."""
        if self.identifier is None:
            return None
        return "/queries/evidence?" + urllib.parse.urlencode({"concept": str(self.identifier)})

    @property
    def iris(self) -> list[URIRef]:
        return [i for i in (*self.schemes, *self.broader, *(n.iri for n in self.narrower), self.source,
                            *(f for g in self.groups for v in g.findings for f in v.iris)) if isinstance(i, URIRef)]


def _naming(iri: str) -> str:
    """The findings (?f) that name a concept. The concept's incoming triples, filtered by property: Oxigraph joins
    a VALUES list of properties first (1.1 s against 0.06 s for 7,000 findings at a million triples)."""
    return f"?f ?role <{iri}> FILTER(?role IN ({', '.join(f'<{r}>' for r in ROLES)}))"


def _kind_filter() -> str:
    return f"?f a ?kind FILTER(?kind IN ({', '.join(f'<{k}>' for k in KINDS)}))"


def concept_queries(iri: str) -> dict[str, str]:
    return {
        "narrower": f"SELECT ?n ?editors WHERE {{ ?n <{SKOS.broader}> <{iri}> "
                    f"OPTIONAL {{ ?n <{PVKG.placedByEditors}> ?editors }} }}",
        "counts": f"SELECT ?kind ?support ?status (COUNT(DISTINCT ?f) AS ?n) WHERE {{ {_naming(iri)} {_kind_filter()} "
                  f"OPTIONAL {{ ?f <{PVKG.support}> ?support }} OPTIONAL {{ ?f <{PVKG.status}> ?status }} }} "
                  f"GROUP BY ?kind ?support ?status",
        # every finding, with its kind: the first of each kind are chosen here (SPARQL has no limit per group, and a
        # subquery per kind, sorted and cut, took Oxigraph 0.5 s where this takes 0.1 s)
        "naming": f"SELECT DISTINCT ?f ?kind WHERE {{ {_naming(iri)} {_kind_filter()} }}",
    }


def listed_findings_query(rows: dict[str, list]) -> dict[str, str]:
    """The triples of the findings a concept's page lists: the first FINDINGS_PER_KIND of each kind, by IRI."""
    by_kind: dict[Node, list[str]] = defaultdict(list)
    for finding, kind in rows["naming"]:
        if isinstance(finding, URIRef):
            by_kind[kind].append(str(finding))
    listed = sorted(f for findings in by_kind.values() for f in sorted(findings)[:FINDINGS_PER_KIND])
    if not listed:
        return {"findings": "SELECT ?f ?p ?o WHERE { FILTER(false) }"}
    return {"findings": f"SELECT ?f ?p ?o WHERE {{ VALUES ?f {{ {_values(listed)} }} ?f ?p ?o }}"}


def concept_view(iri: str, outgoing: list[tuple[Node | None, ...]], rows: dict[str, list]) -> ConceptView:
    own = _own(iri, outgoing)
    labels = [("preferred label", t) for t in _english_first(own.get(SKOS.prefLabel, []))] + [
        ("other label", t) for t in _english_first(own.get(SKOS.altLabel, []))]
    narrower = sorted({Narrower(n, _true(editors)) for n, editors in rows["narrower"] if isinstance(n, URIRef)},
                      key=lambda n: str(n.iri))
    return ConceptView(
        iri=URIRef(iri), identifier=_first(own.get(DCTERMS.identifier, [])), labels=labels,
        definitions=_english_first(own.get(SKOS.definition, [])), schemes=_sorted_iris(own.get(SKOS.inScheme, [])),
        broader=_sorted_iris(own.get(SKOS.broader, [])), top=bool(own.get(SKOS.topConceptOf)),
        placed_by_editors=any(_true(v) for v in own.get(PVKG.placedByEditors, [])), narrower=narrower,
        source=_first(_sorted_iris(own.get(DCTERMS.source, []))), notes=_english_first(own.get(SKOS.editorialNote, [])),
        groups=grouped(finding_views(rows["findings"]), rows["counts"]))


def _true(value: Node | None) -> bool:
    return isinstance(value, Literal) and value.toPython() is True


# --- which view a resource has -----------------------------------------------------------------------------------

View = StudyView | FindingPage | ConceptView


@dataclass(frozen=True)
class ViewKind:
    """How a view is made: its queries (by name), the queries that need their answers first (None if none), and
    the view made from the resource's own triples (predicate, object) and every query's rows."""

    queries: Callable[[str], dict[str, str]]
    make: Callable[[str, list, dict[str, list]], View]
    then: Callable[[dict[str, list]], dict[str, str]] | None = None


VIEWS = {
    "study": ViewKind(study_queries, study_view),
    "finding": ViewKind(finding_queries, finding_page),
    "concept": ViewKind(concept_queries, concept_view, listed_findings_query),
}


def view_of(iri: str, types: list[Node]) -> str | None:
    """The name of the view a resource's page shows first, from its types; None for the others, whose page is its
    triples alone. Only pvkg's own resources: a country of the EU's table is a concept, but no finding is about it."""
    if not iri.startswith(BASE):
        return None
    if PVKG.Finding in types:
        return "finding"
    if PVKG.Study in types or BIBO.AcademicArticle in types:
        return "study"
    if SKOS.Concept in types:
        return "concept"
    return None
