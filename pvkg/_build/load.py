"""Stage 2: a checked Corpus -> an RDF graph, and the ontology with its imports resolved from local files.

Every resource gets an IRI minted from ids in the study files (pvkg._namespaces), never a blank node, so the
same input always gives the same triples. Alongside the graph the loader keeps a SourceMap from each IRI
to the file and line it came from, which later stages use to word their messages.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL
from rdflib.term import Node

from pvkg import _resources as resources
from pvkg._build.studies import Concept, Context, Corpus, Design, Finding, LangText, Study, Where, Work, display_name
from pvkg.errors import PvkgError
from pvkg._namespaces import (
    BIBO,
    CITO,
    CONCEPT_PREFIXES,
    DIRECTIONS,
    EU_COUNTRY_SCHEME,
    FINDING_KINDS,
    INFERENCES,
    LEVELS,
    ONTOLOGY_IRI,
    PREFIXES,
    PROV,
    PVKG,
    STATUSES,
    STRENGTHS,
    SUPPORT,
    Terms,
    city_iri,
    concept_iri,
    country_iri,
    finding_iri,
    part_iri,
    person_iri,
    venue_iri,
    work_iri,
)
from pvkg._version import __version__


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


# ------------------------------------------------------------------------------------------------------
# The ontology
# ------------------------------------------------------------------------------------------------------


def _catalog(catalog: Path) -> dict[str, Path]:
    """Import IRI -> local file, from an OASIS XML catalog as Protégé writes it."""
    ns = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
    root = ET.parse(catalog).getroot()
    return {e.get("name"): (catalog.parent / e.get("uri")).resolve() for e in root.iter(f"{ns}uri")}


def load_ontology(path: Path | None = None, catalog: Path | None = None) -> Graph:
    """The ontology merged with its import closure, as ROBOT's `merge --collapse-import-closure` makes it:
    every axiom of each imported module (read from its local copy through the catalog, never the network) is
    folded in, while the modules' own headers and every owl:imports are left out. What pvkg builds and
    releases is then one ontology, pvkg's, with nothing for an OWL tool to resolve: a file holding two
    owl:Ontology headers and an import that no catalog beside it maps is one the OWL API cannot load."""
    path = path or resources.ontology_file()
    catalog = catalog or resources.ontology_catalog()
    mapping = _catalog(catalog)
    graph = bind_prefixes(Graph())
    graph.parse(path, format="turtle")
    imports = {str(o) for o in graph.objects(None, OWL.imports)}
    done: set[str] = set()
    while pending := imports - done:
        for iri in sorted(pending):
            local = mapping.get(iri)
            if local is None or not local.is_file():
                raise PvkgError(f"{path}: owl:imports <{iri}> has no local copy in {catalog}; add it to the "
                                "catalog (pvkg never fetches imports from the network)")
            module = Graph().parse(local, format="turtle")
            headers = set(module.subjects(RDF.type, OWL.Ontology))
            imports |= {str(o) for h in headers for o in module.objects(h, OWL.imports)}
            for triple in module:
                if triple[0] not in headers:
                    graph.add(triple)
            done.add(iri)
    graph.remove((None, OWL.imports, None))
    return stamp_version(graph)


def stamp_version(graph: Graph, version: str = __version__) -> Graph:
    """Give the ontology pvkg's version (pyproject.toml's, through the installed metadata) as
    owl:versionInfo and in owl:versionIRI, whatever the file says (a test keeps the file in step)."""
    if "unknown" not in version:
        graph.set((ONTOLOGY_IRI, OWL.versionInfo, Literal(version)))
        graph.set((ONTOLOGY_IRI, OWL.versionIRI, URIRef(f"{ONTOLOGY_IRI}/{version}")))
    return graph


# ------------------------------------------------------------------------------------------------------
# The data
# ------------------------------------------------------------------------------------------------------


# the namespaces of the loader's loops, each term made once (see Terms)
RDF, RDFS, SKOS, XSD, DCTERMS, FOAF, BIBO, PROV, PVKG, CITO = (
    Terms(namespace) for namespace in (RDF, RDFS, SKOS, XSD, DCTERMS, FOAF, BIBO, PROV, PVKG, CITO))


@dataclass
class SourceMap:
    """Where each resource of the data came from, for messages that point into the study files."""

    places: dict[URIRef, tuple[Where, str]] = field(default_factory=dict)

    def add(self, iri: URIRef, where: Where, subject: str) -> None:
        self.places.setdefault(iri, (where, subject))

    def get(self, iri) -> tuple[Where, str] | None:
        return self.places.get(iri)


def _join_names(names: list[str]) -> str:
    """'A', 'A & B', 'A, B & C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " & " + names[-1]


def _year_suffix(work: Work) -> str:
    """' (2024)', or nothing for a work without a year."""
    return f" ({work.year})" if work.year else ""


def short_citation(work: Work) -> str:
    """Author-year label: up to three family names ('Tursunbayeva, Franco & Pagliari (2017)'), else the
    first and 'et al.' ('Luna et al. (2024)'); the title where no author is named."""
    families = [a.partition(",")[0].strip() for a in work.named_authors]
    year = _year_suffix(work)
    if not families:
        return work.title.get("en", work.id) + year
    if len(families) > 3 or work.has_unnamed_authors:
        return f"{families[0]} et al.{year}"
    return _join_names(families) + year


def full_citation(work: Work) -> str:
    parts = []
    if work.named_authors:
        joined = _join_names([a.strip() for a in work.named_authors])
        parts.append(joined + (" et al." if work.has_unnamed_authors else ""))
    if work.year:
        parts.append(f"({work.year})")
    if work.title:
        parts.append(work.title.get("en") + ".")
    venue = work.venue or ""
    if work.volume:
        venue += f" {work.volume}" + (f"({work.issue})" if work.issue else "")
    if work.article_number:
        venue += f", article {work.article_number}"
    if work.pages:
        venue += f", {work.pages}"
    if venue.strip():
        parts.append(venue.strip() + ".")
    if work.doi:
        parts.append(f"https://doi.org/{work.doi}")
    return " ".join(parts)


Triple = tuple[URIRef, URIRef, Node]


@dataclass
class DataParts:
    """The data, as the triples made from each input file (file name -> triples, in the corpus's file
    order), and where each resource came from. A part is what validation results are cached for."""

    triples: dict[str, list[Triple]]
    sources: SourceMap

    def graph(self) -> Graph:
        graph = bind_prefixes(Graph())
        for part in self.triples.values():
            for triple in part:
                graph.add(triple)
        return graph

    def __len__(self) -> int:
        return len({t for part in self.triples.values() for t in part})


class _VocabularyTriples:
    """The triples of what vocabularies and study files declare: concepts with their schemes, countries and cities. A
    part of _Builder, whose state it uses."""

    def concept(self, c: Concept) -> None:
        iri = concept_iri(c.id)
        spec = CONCEPT_PREFIXES[c.id.split(":", 1)[0]]
        self.sources.add(iri, c.where, f"concept {c.id}")
        self.add(iri, RDF.type, SKOS.Concept)
        self.add(iri, RDF.type, spec.cls)
        if c.type:
            self.add(iri, RDF.type, spec.subtypes[c.type])
        self.add(iri, DCTERMS.identifier, Literal(c.id))
        self.add(iri, SKOS.inScheme, spec.scheme)
        self.lang(iri, SKOS.prefLabel, c.label)
        for tag, labels in c.alt_labels.items():
            for label in labels:
                self.add(iri, SKOS.altLabel, Literal(label, lang=tag))
        self.lang(iri, SKOS.definition, c.definition)
        for broader in c.broader:
            self.add(iri, SKOS.broader, concept_iri(broader))
        if not c.broader:
            self.add(iri, SKOS.topConceptOf, spec.scheme)
            self.add(spec.scheme, SKOS.hasTopConcept, iri)
        if c.placed_by_editors:
            self.add(iri, PVKG.placedByEditors, Literal(True))
        if c.note:
            self.add(iri, SKOS.editorialNote, Literal(c.note, lang="en"))
        if c.step_count is not None:
            self.add(iri, PVKG.stepCount, Literal(c.step_count, datatype=XSD.positiveInteger))
        if c.source_study:
            self.add(iri, DCTERMS.source, work_iri(c.source_study))

    def places(self) -> None:
        for country in self.corpus.countries:
            self.from_file(country.where.file)
            iri = country_iri(country.code)
            self.sources.add(iri, country.where, f"country {country.code}")
            self.add(iri, RDF.type, DCTERMS.Location)
            self.add(iri, RDF.type, SKOS.Concept)
            self.add(iri, SKOS.inScheme, EU_COUNTRY_SCHEME)
            self.add(iri, SKOS.notation, Literal(country.code))
            self.lang(iri, SKOS.prefLabel, country.label)
        if self.corpus.countries:
            self.add(EU_COUNTRY_SCHEME, RDF.type, SKOS.ConceptScheme)
            name = Literal("Countries (EU authority table)", lang="en")
            self.add(EU_COUNTRY_SCHEME, SKOS.prefLabel, name)
            self.add(EU_COUNTRY_SCHEME, RDFS.label, name)  # as pvkg's own schemes: SKOS's label and OWL's
        for city in self.corpus.cities:
            self.from_file(city.where.file)
            iri = city_iri(city.id)
            self.sources.add(iri, city.where, f"city {city.id}")
            self.add(iri, RDF.type, DCTERMS.Location)
            self.lang(iri, SKOS.prefLabel, city.label)
            self.add(iri, DCTERMS.isPartOf, country_iri(city.country))


class _WorkTriples:
    """The triples of a work: its bibliographic record, and a study's (or cited work's) design and context. A part of
    _Builder, whose state it uses."""

    def work(self, work: Work, iri: URIRef, subject: str) -> None:
        self.sources.add(iri, work.where, subject)
        self.add(iri, RDF.type, BIBO.AcademicArticle)
        self.add(iri, DCTERMS.identifier, Literal(work.id))
        # English, pvkg's citation style ('et al.', '&'), whatever the script of the names it quotes: a name is
        # not in a language ('und', 'undetermined', would say it is, and Jena rejects it in RDF/XML)
        self.add(iri, RDFS.label, Literal(short_citation(work), lang="en"))
        if not work.named_authors:  # labelled by its title: a label in each other language of the title
            for lang, title in sorted(work.title.items()):
                if lang != "en":
                    self.add(iri, SKOS.prefLabel, Literal(title + _year_suffix(work), lang=lang))
        self.add(iri, DCTERMS.bibliographicCitation, Literal(full_citation(work)))
        self.lang(iri, DCTERMS.title, work.title)
        for name in work.named_authors:
            person = person_iri(name)
            self.add(iri, DCTERMS.creator, person)
            self.add(person, RDF.type, FOAF.Person)
            self.add(person, FOAF.name, Literal(display_name(name)))
        if work.author_note:
            self.add(iri, DCTERMS.description, Literal(work.author_note, lang="en"))
        if work.year:
            self.add(iri, DCTERMS.issued, Literal(str(work.year), datatype=XSD.gYear))
        if work.venue:
            venue = venue_iri(work.venue)
            self.add(iri, DCTERMS.isPartOf, venue)
            venue_class = BIBO.Proceedings if work.type == "conference-paper" else BIBO.Journal
            self.add(venue, RDF.type, venue_class)
            self.add(venue, DCTERMS.title, Literal(work.venue))
        for predicate, value in ((BIBO.volume, work.volume), (BIBO.issue, work.issue),
                                 (BIBO.number, work.article_number), (BIBO.doi, work.doi)):
            if value:
                self.add(iri, predicate, Literal(value))
        if work.pages:
            start, _, end = work.pages.replace("–", "-").partition("-")
            self.add(iri, BIBO.pageStart, Literal(start.strip()))
            if end.strip():
                self.add(iri, BIBO.pageEnd, Literal(end.strip()))
        if work.url:
            self.add(iri, FOAF.page, URIRef(work.url))
        if work.language:
            self.add(iri, DCTERMS.language, Literal(work.language))

    def design(self, owner: URIRef, work_id: str, path: tuple[str, ...], design: Design | None,
               locator: str | None, subject: str) -> None:
        if design is None:
            return
        iri = part_iri(work_id, *path, "design")
        self.sources.add(iri, design.where, f"design of {subject}")
        self.add(owner, PVKG.hasDesign, iri)
        self.add(iri, RDF.type, PVKG.StudyDesign)
        for method in design.methods:
            self.add(iri, PVKG.usesMethod, concept_iri(method))
        self.lang(iri, PVKG.statement, design.statement)
        if design.locator or locator:
            self.add(iri, PVKG.locator, Literal(design.locator or locator))
        if design.quality_threshold is not None:
            self.add(iri, PVKG.qualityThreshold, Literal(f"{design.quality_threshold:g}", datatype=XSD.decimal))

    def context(self, owner: URIRef, work_id: str, path: tuple[str, ...], ctx: Context | None,
                locator: str | None, subject: str) -> None:
        if ctx is None:
            return
        iri = part_iri(work_id, *path, "context")
        self.sources.add(iri, ctx.where, f"context of {subject}")
        self.add(owner, PVKG.hasContext, iri)
        self.add(iri, RDF.type, PVKG.StudyContext)
        if ctx.locator or locator:
            self.add(iri, PVKG.locator, Literal(ctx.locator or locator))
        for country in ctx.countries:
            self.add(iri, DCTERMS.spatial, country_iri(country))
        self.lang(iri, PVKG.region, ctx.region)
        for city in ctx.cities:
            self.add(iri, DCTERMS.spatial, city_iri(city))
        if ctx.city_count is not None:
            self.add(iri, PVKG.cityCount, Literal(ctx.city_count, datatype=XSD.nonNegativeInteger))
        self.lang(iri, PVKG.population, ctx.population)
        self.lang(iri, PVKG.setting, ctx.setting)
        for channel in ctx.channels:
            self.add(iri, PVKG.channel, concept_iri(channel))
        if ctx.sample is not None:
            sample = part_iri(work_id, *path, "sample")
            self.sources.add(sample, ctx.where, f"sample of {subject}")
            self.add(iri, PVKG.hasSample, sample)
            self.add(sample, RDF.type, PVKG.Sample)
            self.add(sample, PVKG.sampleSize, Literal(ctx.sample.size, datatype=XSD.nonNegativeInteger))
            self.lang(sample, PVKG.sampleUnit, ctx.sample.unit)


class _Builder(_VocabularyTriples, _WorkTriples):
    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.parts: dict[str, list[Triple]] = {file: [] for file in corpus.files}
        self.part: list[Triple] = []
        self.sources = SourceMap()

    def from_file(self, file: str) -> None:
        """Put the triples that follow into the part of this file."""
        self.part = self.parts.setdefault(file, [])

    def add(self, s, p, o) -> None:
        self.part.append((s, p, o))

    def lang(self, subject: URIRef, predicate: URIRef, text: LangText) -> None:
        for tag, value in text.items():
            self.part.append((subject, predicate, Literal(value, lang=tag)))

    def study(self, study: Study) -> None:
        iri = work_iri(study.id)
        self.work(study.record, iri, f"study {study.id}")
        self.add(iri, RDF.type, PVKG.Study)
        if study.known_from:
            self.add(iri, PVKG.knownFrom, work_iri(study.known_from))
        if study.revision_of:
            self.add(iri, PROV.wasRevisionOf, work_iri(study.revision_of))
        if study.source_url:
            self.add(iri, PVKG.encodedFrom, URIRef(study.source_url))
        for rq in study.research_questions:
            rq_iri = part_iri(study.id, "question", rq.id)
            self.sources.add(rq_iri, rq.where, f"study {study.id} question {rq.id}")
            self.add(iri, PVKG.hasResearchQuestion, rq_iri)
            self.add(rq_iri, RDF.type, PVKG.ResearchQuestion)
            self.add(rq_iri, PVKG.locator, Literal(rq.locator))
            self.lang(rq_iri, PVKG.statement, rq.statement)
        self.design(iri, study.id, (), study.design, None, f"study {study.id}")
        self.context(iri, study.id, (), study.context, None, f"study {study.id}")
        for cite in study.cites:
            cite_iri = part_iri(study.id, "cites", cite.id)
            self.sources.add(cite_iri, cite.where, f"study {study.id} cited work {cite.id}")
            self.add(iri, CITO.cites, cite_iri)
            self.add(cite_iri, RDF.type, PVKG.CitedWork)
            self.add(cite_iri, PVKG.citedAs, Literal(cite.cited_as))
            self.add(cite_iri, PVKG.locator, Literal(cite.locator))
            self.add(cite_iri, RDFS.label, Literal(cite.cited_as, lang="en"))
            if cite.identified_as:
                self.add(cite_iri, PVKG.identifiedAs, work_iri(cite.identified_as))
            self.lang(cite_iri, PVKG.correctionNote, cite.correction)
            cite_subject = f"cited work {cite.id} of study {study.id}"
            self.design(cite_iri, study.id, ("cites", cite.id), cite.design, cite.locator, cite_subject)
            self.context(cite_iri, study.id, ("cites", cite.id), cite.context, cite.locator, cite_subject)
        for finding in study.findings:
            self.finding(finding)

    def finding(self, f: Finding) -> None:
        iri = finding_iri(f.id)
        self.sources.add(iri, f.where, f"finding {f.id}")
        self.add(iri, RDF.type, PVKG.Finding)
        self.add(iri, RDF.type, FINDING_KINDS[f.kind])
        self.add(iri, DCTERMS.identifier, Literal(f.id))
        self.add(iri, PVKG.reportedIn, work_iri(f.study))
        self.add(iri, PVKG.locator, Literal(f.locator))
        self.lang(iri, PVKG.statement, f.statement)
        for cid in f.about:
            self.add(iri, CONCEPT_PREFIXES[cid.split(":", 1)[0]].about, concept_iri(cid))
        for cid in f.link_from:
            self.add(iri, PVKG.linkFrom, concept_iri(cid))
        for cid in f.link_to:
            self.add(iri, PVKG.linkTo, concept_iri(cid))
        if f.direction:
            self.add(iri, PVKG.direction, DIRECTIONS[f.direction])
        if f.level:
            self.add(iri, PVKG.atLevel, LEVELS[f.level])
        if f.work:
            self.add(iri, PVKG.aboutWork, part_iri(f.study, "cites", f.work))
        self.add(iri, PVKG.support, SUPPORT[f.support])
        self.add(iri, PVKG.status, STATUSES[f.status])
        self.add(iri, PVKG.strength, STRENGTHS[f.strength])
        if f.inference:
            self.add(iri, PVKG.inference, INFERENCES[f.inference])
        if f.note:
            self.add(iri, SKOS.editorialNote, Literal(f.note, lang="en"))


def corpus_to_parts(corpus: Corpus) -> DataParts:
    """The data of a corpus (without the ontology), file by file, and where each resource came from."""
    builder = _Builder(corpus)
    for concept in corpus.concepts:
        builder.from_file(concept.where.file)
        builder.concept(concept)
    builder.places()
    for work in corpus.works:
        builder.from_file(work.where.file)
        builder.work(work, work_iri(work.id), f"work {work.id}")
    for study in corpus.studies:
        builder.from_file(study.record.where.file)
        builder.study(study)
    return DataParts(builder.parts, builder.sources)


def corpus_to_graph(corpus: Corpus) -> tuple[Graph, SourceMap]:
    """The data graph of a corpus (without the ontology), and where each of its resources came from."""
    parts = corpus_to_parts(corpus)
    return parts.graph(), parts.sources
