"""Every shape bites: for each SHACL shape in shapes/pvkg-shapes.ttl, and as far as practical each of its
constraints, a copy of the real graph with one small defect must fail validation, with the shape's own
plain-English message and pointing at the resource (file and subject) that carries the defect.

Each case below names the shape it exercises, a mutation of the built graph, a distinctive part of the
sh:message that must be reported, and where the report must point. The mutation helpers check that the
triples they remove or replace are really there, so a typo in an IRI fails loudly instead of testing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF

from pvkg import _resources as resources
from pvkg._build import pipeline
from pvkg._build.load import DataParts
from pvkg._build.validate import SH, ValidationReport, load_shapes, validate_parts
from pvkg._namespaces import BIBO, CITO, ID, PVKG

PVKGSH = Namespace("https://w3id.org/pvkg/shapes#")
# A plain Namespace: pytest probes module attributes, and rdflib's XSD warns on every unknown one.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

# --- resources of the seed data --------------------------------------------------------------------------

LUNA = ID["work/luna-2024"]
SMSF = ID["work/social-media-service-factors"]
TA = ID["work/twizeyimana-andersson-2019"]
TURSUNBAYEVA = ID["work/tursunbayeva-franco-pagliari-2017"]  # the catalogued work "Aizhan et al." is
TFP_FILE = "tursunbayeva-franco-pagliari-2017.yaml"
WUKICH = ID["work/wukich-mergel-2016"]  # a catalogued work with authors and no title
GIQ = ID["venue/government-information-quarterly"]
NMS = ID["venue/new-media-studies"]
SEOUL = ID["place/seoul"]
KOR = URIRef("http://publications.europa.eu/resource/authority/country/KOR")
PERSON_MERGEL = ID["person/mergel"]


def finding(fid: str) -> URIRef:
    return ID[f"finding/{fid}"]


def cited(cid: str) -> URIRef:
    """A work cited by the social-media meta-synthesis (the only study that cites)."""
    return ID[f"work/social-media-service-factors/cites/{cid}"]


def concept(cid: str) -> URIRef:
    prefix, local = cid.split(":", 1)
    return ID[f"{prefix}/{local}"]


def scheme(name: str) -> URIRef:
    return ID[f"scheme/{name}"]


F02 = finding("smsf-02")  # factor finding: one factor, direction barrier
SMSF01 = finding("smsf-01")  # factor finding: four factors, no direction
SMSF18 = finding("smsf-18")  # second-hand factor finding about mergel-2016
SMSF20 = finding("smsf-20")  # cited-work finding about wukick-mergel-2016
LUNA01 = finding("luna2024-01")  # values finding at the individual level
LUNA02 = finding("luna2024-02")  # link finding
LUNA_RQ = ID["work/luna-2024/question/rq1"]
LUNA_DESIGN = ID["work/luna-2024/design"]
LUNA_CONTEXT = ID["work/luna-2024/context"]
LUNA_SAMPLE = ID["work/luna-2024/sample"]
SMSF_DESIGN = ID["work/social-media-service-factors/design"]
SMSF_SAMPLE = ID["work/social-media-service-factors/sample"]
TA_DESIGN = ID["work/twizeyimana-andersson-2019/design"]
MERGEL_CONTEXT = ID["work/social-media-service-factors/cites/mergel-2016/context"]
SMSF_DESIGN_SUBJECT = "design of study social-media-service-factors"
MERGEL_CONTEXT_SUBJECT = "context of cited work mergel-2016 of study social-media-service-factors"

# Where problems must point: the study or vocabulary file and the subject words pvkg uses for the resource.
# Samples, persons and venues have no entry in the source map; their problems name the graph and the IRI.
SMSF_FILE, LUNA_FILE, TA_FILE = "social-media-service-factors.yaml", "luna-2024.yaml", "twizeyimana-andersson-2019.yaml"
GRAPH = "<graph>"


def unmapped(iri: URIRef) -> str:
    return f"<{iri}>"


# --- mutation helpers ------------------------------------------------------------------------------------

Mutation = Callable[[Graph], None]


def drop(s, p, o=None) -> Mutation:
    """Remove (s, p, o), or every value of s p when o is None; the triple(s) must exist."""
    def mutate(g: Graph) -> None:
        assert (s, p, o) in g, f"nothing to remove: {s} {p} {o}"
        g.remove((s, p, o))
    return mutate


def add(s, p, o) -> Mutation:
    """Add (s, p, o), which must be new."""
    def mutate(g: Graph) -> None:
        assert (s, p, o) not in g, f"already there: {s} {p} {o}"
        g.add((s, p, o))
    return mutate


def put(s, p, o) -> Mutation:
    """Replace every value of s p by o; s must have a value for p, and not o already."""
    def mutate(g: Graph) -> None:
        assert (s, p, None) in g, f"nothing to replace: {s} {p}"
        assert (s, p, o) not in g, f"already there: {s} {p} {o}"
        g.set((s, p, o))
    return mutate


def forget(s) -> Mutation:
    """Remove a resource: every triple it is the subject or object of."""
    def mutate(g: Graph) -> None:
        assert (s, None, None) in g, f"no such resource: {s}"
        g.remove((s, None, None))
        g.remove((None, None, s))
    return mutate


def steps(*mutations: Mutation) -> Mutation:
    def mutate(g: Graph) -> None:
        for m in mutations:
            m(g)
    return mutate


def en(text: str) -> Literal:
    return Literal(text, lang="en")


# --- the cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    shape: str  # local name of the NodeShape in pvkgsh: that the defect violates
    mutate: Mutation
    message: str  # a distinctive part of the shape's sh:message that must be reported
    file: str  # how the file of the reported problem must end
    subject: str  # the reported problem's subject


CASES = [
    # --- FindingShape ---
    Case("finding-without-locator", "FindingShape", drop(F02, PVKG.locator),
         "A finding needs exactly one locator", SMSF_FILE, "finding smsf-02"),
    Case("finding-with-two-locators", "FindingShape", add(F02, PVKG.locator, Literal("Discussion")),
         "A finding needs exactly one locator", SMSF_FILE, "finding smsf-02"),
    Case("finding-with-empty-locator", "FindingShape", put(F02, PVKG.locator, Literal("")),
         "A finding needs exactly one locator", SMSF_FILE, "finding smsf-02"),
    Case("finding-with-language-tagged-locator", "FindingShape", put(F02, PVKG.locator, en("Results")),
         "A finding needs exactly one locator", SMSF_FILE, "finding smsf-02"),
    Case("finding-in-no-study", "FindingShape", drop(F02, PVKG.reportedIn),
         "reported in exactly one study", SMSF_FILE, "finding smsf-02"),
    Case("finding-in-two-studies", "FindingShape", add(F02, PVKG.reportedIn, LUNA),
         "reported in exactly one study", SMSF_FILE, "finding smsf-02"),
    Case("finding-reported-in-a-cited-work", "FindingShape", put(F02, PVKG.reportedIn, cited("mergel-2016")),
         "reported in exactly one study", SMSF_FILE, "finding smsf-02"),
    Case("finding-reported-in-a-literal", "FindingShape",
         put(F02, PVKG.reportedIn, Literal(str(SMSF), datatype=XSD.anyURI)),
         "reported in exactly one study", SMSF_FILE, "finding smsf-02"),
    Case("finding-without-statement", "FindingShape", drop(F02, PVKG.statement),
         "A finding needs a paraphrase as language-tagged text", SMSF_FILE, "finding smsf-02"),
    Case("finding-statement-without-language", "FindingShape",
         put(F02, PVKG.statement, Literal("Transparency holds delivery back.")),
         "A finding needs a paraphrase as language-tagged text", SMSF_FILE, "finding smsf-02"),
    Case("finding-two-english-statements", "FindingShape",
         add(F02, PVKG.statement, en("Transparency holds delivery back.")),
         "A finding needs a paraphrase as language-tagged text", SMSF_FILE, "finding smsf-02"),
    Case("finding-without-english-statement", "FindingShape",
         put(F02, PVKG.statement, Literal("شفافیت مانع است.", lang="fa")),
         "A finding needs an English paraphrase", SMSF_FILE, "finding smsf-02"),
    Case("finding-driver-and-barrier", "FindingShape", add(F02, PVKG.direction, PVKG.Driver),
         "A finding has at most one direction", SMSF_FILE, "finding smsf-02"),
    Case("finding-direction-not-driver-or-barrier", "FindingShape",
         put(F02, PVKG.direction, PVKG.IndividualLevel),
         "A finding has at most one direction", SMSF_FILE, "finding smsf-02"),
    Case("finding-direction-outside-the-four", "FindingShape", put(F02, PVKG.direction, PVKG.Hedged),
         "A finding has at most one direction: driver, barrier, no effect or mixed", SMSF_FILE, "finding smsf-02"),
    Case("finding-without-support", "FindingShape", drop(F02, PVKG.support),
         "A finding has exactly one support", SMSF_FILE, "finding smsf-02"),
    Case("finding-first-and-second-hand", "FindingShape", add(F02, PVKG.support, PVKG.SecondHand),
         "A finding has exactly one support", SMSF_FILE, "finding smsf-02"),
    Case("finding-without-status", "FindingShape", drop(F02, PVKG.status),
         "A finding has exactly one status", SMSF_FILE, "finding smsf-02"),
    Case("finding-status-not-in-the-set", "FindingShape", put(F02, PVKG.status, PVKG.Stated),
         "A finding has exactly one status", SMSF_FILE, "finding smsf-02"),
    Case("finding-without-strength", "FindingShape", drop(F02, PVKG.strength),
         "A finding has exactly one strength", SMSF_FILE, "finding smsf-02"),
    Case("finding-stated-and-hedged", "FindingShape", add(F02, PVKG.strength, PVKG.Hedged),
         "A finding has exactly one strength", SMSF_FILE, "finding smsf-02"),
    Case("finding-two-inferences", "FindingShape",
         steps(add(F02, PVKG.inference, PVKG.Causal), add(F02, PVKG.inference, PVKG.Correlational)),
         "A finding has at most one inference", SMSF_FILE, "finding smsf-02"),

    # --- SupportShape ---
    Case("first-hand-finding-about-a-cited-work", "SupportShape", add(F02, PVKG.aboutWork, cited("mergel-2016")),
         "a second-hand finding is about a cited work", SMSF_FILE, "finding smsf-02"),
    Case("second-hand-finding-about-no-work", "SupportShape", put(F02, PVKG.support, PVKG.SecondHand),
         "a second-hand finding is about a cited work", SMSF_FILE, "finding smsf-02"),
    Case("cited-work-finding-said-first-hand", "SupportShape", put(SMSF18, PVKG.support, PVKG.FirstHand),
         "A first-hand finding is about no cited work", SMSF_FILE, "finding smsf-18"),
    Case("first-hand-finding-in-a-study-known-from-another", "SupportShape",
         add(SMSF, PVKG.knownFrom, LUNA),
         "A first-hand finding is about no cited work", SMSF_FILE, "finding smsf-02"),

    Case("finding-two-levels", "FindingShape", add(LUNA01, PVKG.atLevel, PVKG.SocietalLevel),
         "A finding has at most one level", LUNA_FILE, "finding luna2024-01"),
    Case("finding-level-not-individual-or-societal", "FindingShape", put(LUNA01, PVKG.atLevel, PVKG.Driver),
         "A finding has at most one level", LUNA_FILE, "finding luna2024-01"),
    Case("finding-about-nothing", "FindingShape",
         steps(drop(LUNA02, PVKG.linkFrom), drop(LUNA02, PVKG.linkTo)),
         "A finding must be about something", LUNA_FILE, "finding luna2024-02"),
    Case("finding-of-two-kinds", "FindingShape", add(F02, RDF.type, PVKG.LinkFinding),
         "A finding must be of exactly one kind", SMSF_FILE, "finding smsf-02"),
    Case("finding-of-no-kind", "FindingShape", drop(F02, RDF.type, PVKG.FactorFinding),
         "A finding must be of exactly one kind", SMSF_FILE, "finding smsf-02"),

    # --- ValueFindingShape ---
    Case("values-finding-without-value", "ValueFindingShape", drop(LUNA01, PVKG.aboutValue),
         "A values finding must be about at least one public value", LUNA_FILE, "finding luna2024-01"),
    Case("values-finding-about-a-factor", "ValueFindingShape",
         put(LUNA01, PVKG.aboutValue, concept("factor:transparency")),
         "A values finding must be about at least one public value", LUNA_FILE, "finding luna2024-01"),
    Case("values-finding-with-direction", "ValueFindingShape", add(LUNA01, PVKG.direction, PVKG.Driver),
         "A values finding has no direction", LUNA_FILE, "finding luna2024-01"),

    # --- LinkFindingShape ---
    Case("link-finding-without-start", "LinkFindingShape", drop(LUNA02, PVKG.linkFrom),
         "A link finding needs at least one concept it starts from", LUNA_FILE, "finding luna2024-02"),
    Case("link-finding-starting-at-a-study", "LinkFindingShape", put(LUNA02, PVKG.linkFrom, LUNA),
         "A link finding needs at least one concept it starts from", LUNA_FILE, "finding luna2024-02"),
    Case("link-finding-without-end", "LinkFindingShape", drop(LUNA02, PVKG.linkTo),
         "A link finding needs at least one concept it ends at", LUNA_FILE, "finding luna2024-02"),
    Case("link-finding-ending-at-a-finding", "LinkFindingShape", put(LUNA02, PVKG.linkTo, LUNA01),
         "A link finding needs at least one concept it ends at", LUNA_FILE, "finding luna2024-02"),
    Case("link-finding-with-level", "LevelShape", add(LUNA02, PVKG.atLevel, PVKG.IndividualLevel),
         "Only a values finding has a level", LUNA_FILE, "finding luna2024-02"),
    Case("factor-finding-with-level", "LevelShape", add(F02, PVKG.atLevel, PVKG.SocietalLevel),
         "Only a values finding has a level", "social-media-service-factors.yaml", "finding smsf-02"),

    # --- FactorFindingShape ---
    Case("factor-finding-without-factor", "FactorFindingShape", drop(F02, PVKG.aboutFactor),
         "A factor finding must be about at least one adoption factor", SMSF_FILE, "finding smsf-02"),
    Case("factor-finding-about-a-value", "FactorFindingShape",
         put(F02, PVKG.aboutFactor, concept("value:transparency")),
         "A factor finding must be about at least one adoption factor", SMSF_FILE, "finding smsf-02"),
    Case("factor-finding-with-direction-and-two-factors", "DirectedFactorFindingShape",
         add(F02, PVKG.aboutFactor, concept("factor:enforcement")),
         "A factor finding with a direction must be about exactly one factor", SMSF_FILE, "finding smsf-02"),
    Case("factor-finding-on-four-factors-given-a-direction", "DirectedFactorFindingShape",
         add(SMSF01, PVKG.direction, PVKG.Driver),
         "A factor finding with a direction must be about exactly one factor", SMSF_FILE, "finding smsf-01"),

    # --- CitedWorkFindingShape ---
    Case("cited-work-finding-without-work", "CitedWorkFindingShape", drop(SMSF20, PVKG.aboutWork),
         "must be about exactly one cited work", SMSF_FILE, "finding smsf-20"),
    Case("cited-work-finding-about-two-works", "CitedWorkFindingShape",
         add(SMSF20, PVKG.aboutWork, cited("gregory-2016")),
         "must be about exactly one cited work", SMSF_FILE, "finding smsf-20"),
    Case("second-hand-finding-about-two-works", "CitedWorkFindingShape",
         add(SMSF18, PVKG.aboutWork, cited("gregory-2016")),
         "must be about exactly one cited work", SMSF_FILE, "finding smsf-18"),
    Case("cited-work-finding-about-a-catalogued-work", "CitedWorkFindingShape",
         put(SMSF20, PVKG.aboutWork, WUKICH),
         "must be about exactly one cited work", SMSF_FILE, "finding smsf-20"),
    Case("second-hand-finding-about-a-work-its-study-does-not-cite", "CitedWorkFindingShape",
         put(SMSF18, PVKG.reportedIn, LUNA),
         "about a work cited by the study that reports the finding", SMSF_FILE, "finding smsf-18"),

    # --- StudyShape ---
    Case("study-without-title-or-authors", "CatalogueWorkShape",
         steps(drop(TA, DCTERMS.title), drop(TA, DCTERMS.creator)),
         "A work needs a title or authors", TA_FILE, "study twizeyimana-andersson-2019"),
    Case("study-known-from-two-studies", "StudyShape",
         steps(add(TA, PVKG.knownFrom, LUNA), add(TA, PVKG.knownFrom, SMSF)),
         "A study is known from at most one other study", TA_FILE, "study twizeyimana-andersson-2019"),
    Case("study-encoded-from-text", "StudyShape",
         add(LUNA, PVKG.encodedFrom, Literal("https://doi.org/10.1016/j.giq.2024.101928")),
         "What a study was encoded from is a web address", LUNA_FILE, "study luna-2024"),
    Case("study-revision-of-a-concept", "StudyShape",
         add(LUNA, URIRef("http://www.w3.org/ns/prov#wasRevisionOf"), concept("value:equity")),
         "A study can only be a revision of another study", LUNA_FILE, "study luna-2024"),
    Case("study-title-without-language", "StudyShape",
         put(LUNA, DCTERMS.title, Literal("Creating public value through digital service delivery")),
         "A study's title is language-tagged text", LUNA_FILE, "study luna-2024"),
    Case("study-two-english-titles", "StudyShape", add(LUNA, DCTERMS.title, en("Public value, digitally")),
         "A study's title is language-tagged text", LUNA_FILE, "study luna-2024"),
    Case("study-id-in-capitals", "StudyShape", put(LUNA, DCTERMS.identifier, Literal("Luna-2024")),
         "A study needs exactly one short id", LUNA_FILE, "study luna-2024"),
    Case("study-two-ids", "StudyShape", add(LUNA, DCTERMS.identifier, Literal("luna-2024b")),
         "A study needs exactly one short id", LUNA_FILE, "study luna-2024"),
    Case("study-without-id", "StudyShape", drop(LUNA, DCTERMS.identifier),
         "A study needs exactly one short id", LUNA_FILE, "study luna-2024"),
    Case("study-year-as-integer", "StudyShape", put(LUNA, DCTERMS.issued, Literal(2024)),
         "A study has at most one publication year", LUNA_FILE, "study luna-2024"),
    Case("study-two-years", "StudyShape", add(LUNA, DCTERMS.issued, Literal("2023", datatype=XSD.gYear)),
         "A study has at most one publication year", LUNA_FILE, "study luna-2024"),
    Case("study-doi-as-url", "StudyShape",
         put(LUNA, BIBO.doi, Literal("https://doi.org/10.1016/j.giq.2024.101928")),
         "A study has at most one DOI", LUNA_FILE, "study luna-2024"),
    Case("study-doi-without-suffix", "StudyShape", put(LUNA, BIBO.doi, Literal("10.1016/")),
         "A study has at most one DOI", LUNA_FILE, "study luna-2024"),
    Case("study-two-dois", "StudyShape", add(LUNA, BIBO.doi, Literal("10.1016/j.giq.2024.101929")),
         "A study has at most one DOI", LUNA_FILE, "study luna-2024"),
    Case("study-without-authors-or-description", "StudyShape", drop(TA, DCTERMS.creator),
         "A study needs its authors, or a description of them", TA_FILE, "study twizeyimana-andersson-2019"),
    Case("study-author-is-a-journal", "StudyShape", add(LUNA, DCTERMS.creator, GIQ),
         "The authors of a study must be persons", LUNA_FILE, "study luna-2024"),
    Case("study-two-designs", "StudyShape", add(LUNA, PVKG.hasDesign, TA_DESIGN),
         "A study has at most one design", LUNA_FILE, "study luna-2024"),
    Case("study-design-is-a-context", "StudyShape", put(LUNA, PVKG.hasDesign, LUNA_CONTEXT),
         "A study has at most one design", LUNA_FILE, "study luna-2024"),
    Case("study-two-contexts", "StudyShape",
         add(SMSF, PVKG.hasContext, LUNA_CONTEXT),
         "A study has at most one context", SMSF_FILE, "study social-media-service-factors"),
    Case("study-context-is-a-design", "StudyShape", put(LUNA, PVKG.hasContext, LUNA_DESIGN),
         "A study has at most one context", LUNA_FILE, "study luna-2024"),
    Case("study-research-question-is-a-design", "StudyShape",
         add(LUNA, PVKG.hasResearchQuestion, LUNA_DESIGN),
         "Research questions of a study must be pvkg:ResearchQuestion resources", LUNA_FILE, "study luna-2024"),
    Case("study-cites-a-catalogued-work-directly", "StudyShape", add(LUNA, CITO.cites, WUKICH),
         "What a study cites must be recorded as cited works", LUNA_FILE, "study luna-2024"),
    Case("study-without-findings", "StudyShape",
         steps(*(forget(finding(f"ta2019-0{n}")) for n in (1, 2, 3))),
         "A study must report at least one finding", TA_FILE, "study twizeyimana-andersson-2019"),

    # --- CatalogueWorkShape (studies are catalogued works too) ---
    Case("work-without-title-or-authors", "CatalogueWorkShape", drop(WUKICH, DCTERMS.creator),
         "A work needs a title or authors", "wukich-mergel-2016.yaml", "study wukich-mergel-2016"),
    Case("work-without-citation", "CatalogueWorkShape", drop(TURSUNBAYEVA, DCTERMS.bibliographicCitation),
         "A work needs exactly one bibliographic citation", TFP_FILE, "study tursunbayeva-franco-pagliari-2017"),
    Case("work-two-citations", "CatalogueWorkShape",
         add(TURSUNBAYEVA, DCTERMS.bibliographicCitation, Literal("Tursunbayeva et al. 2017")),
         "A work needs exactly one bibliographic citation", TFP_FILE, "study tursunbayeva-franco-pagliari-2017"),
    Case("work-citation-language-tagged", "CatalogueWorkShape",
         put(LUNA, DCTERMS.bibliographicCitation, en("Luna et al. (2024)")),
         "A work needs exactly one bibliographic citation", LUNA_FILE, "study luna-2024"),
    Case("work-without-label", "CatalogueWorkShape", drop(WUKICH, RDFS.label),
         "A work needs exactly one short label", "wukich-mergel-2016.yaml", "study wukich-mergel-2016"),
    Case("work-two-labels", "CatalogueWorkShape", add(WUKICH, RDFS.label, en("Wukich and Mergel (2016)")),
         "A work needs exactly one short label", "wukich-mergel-2016.yaml", "study wukich-mergel-2016"),
    Case("work-label-without-language", "CatalogueWorkShape",
         put(WUKICH, RDFS.label, Literal("Wukich & Mergel (2016)")),
         "A work needs exactly one short label", "wukich-mergel-2016.yaml", "study wukich-mergel-2016"),

    # --- CitedWorkShape ---
    Case("cited-work-without-citation-text", "CitedWorkShape", drop(cited("eom-2018"), PVKG.citedAs),
         "A cited work needs exactly one citation text", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-empty-citation-text", "CitedWorkShape", put(cited("eom-2018"), PVKG.citedAs, Literal("")),
         "A cited work needs exactly one citation text", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-two-citation-texts", "CitedWorkShape",
         add(cited("eom-2018"), PVKG.citedAs, Literal("Eom, Hwang & Kim (2018)")),
         "A cited work needs exactly one citation text", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-without-locator", "CitedWorkShape", drop(cited("eom-2018"), PVKG.locator),
         "A cited work needs exactly one locator", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-two-locators", "CitedWorkShape", add(cited("eom-2018"), PVKG.locator, Literal("Introduction")),
         "A cited work needs exactly one locator", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-cited-by-no-study", "CitedWorkShape", drop(SMSF, CITO.cites, cited("eom-2018")),
         "A cited work must be cited by exactly one study", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-cited-by-two-studies", "CitedWorkShape", add(LUNA, CITO.cites, cited("eom-2018")),
         "A cited work must be cited by exactly one study", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-cited-by-a-cited-work", "CitedWorkShape",
         steps(drop(SMSF, CITO.cites, cited("eom-2018")), add(cited("gregory-2016"), CITO.cites, cited("eom-2018"))),
         "A cited work must be cited by exactly one study", SMSF_FILE,
         "study social-media-service-factors cited work eom-2018"),
    Case("cited-work-identified-as-two-works", "CitedWorkShape",
         add(cited("aizhan-2017"), PVKG.identifiedAs, WUKICH),
         "A cited work is identified as at most one catalogued work", SMSF_FILE,
         "study social-media-service-factors cited work aizhan-2017"),
    Case("cited-work-identified-as-a-cited-work", "CitedWorkShape",
         put(cited("aizhan-2017"), PVKG.identifiedAs, cited("gregory-2016")),
         "A cited work is identified as at most one catalogued work", SMSF_FILE,
         "study social-media-service-factors cited work aizhan-2017"),
    Case("correction-note-without-language", "CitedWorkShape",
         put(cited("aizhan-2017"), PVKG.correctionNote, Literal("Catalogued as Tursunbayeva et al. (2017).")),
         "A correction note is language-tagged text", SMSF_FILE,
         "study social-media-service-factors cited work aizhan-2017"),
    Case("two-english-correction-notes", "CitedWorkShape",
         add(cited("aizhan-2017"), PVKG.correctionNote, en("Catalogued as Tursunbayeva et al. (2017).")),
         "A correction note is language-tagged text", SMSF_FILE,
         "study social-media-service-factors cited work aizhan-2017"),

    # --- ResearchQuestionShape ---
    Case("research-question-without-wording", "ResearchQuestionShape", drop(LUNA_RQ, PVKG.statement),
         "A research question needs its wording", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-wording-without-language", "ResearchQuestionShape",
         put(LUNA_RQ, PVKG.statement, Literal("How do citizens perceive public value?")),
         "A research question needs its wording", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-two-english-wordings", "ResearchQuestionShape",
         add(LUNA_RQ, PVKG.statement, en("How do citizens perceive public value?")),
         "A research question needs its wording", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-without-locator", "ResearchQuestionShape", drop(LUNA_RQ, PVKG.locator),
         "A research question needs exactly one locator", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-two-locators", "ResearchQuestionShape",
         add(LUNA_RQ, PVKG.locator, Literal("Introduction")),
         "A research question needs exactly one locator", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-of-no-study", "ResearchQuestionShape", drop(LUNA, PVKG.hasResearchQuestion, LUNA_RQ),
         "A research question belongs to exactly one study", LUNA_FILE, "study luna-2024 question rq1"),
    Case("research-question-of-two-studies", "ResearchQuestionShape",
         add(TA, PVKG.hasResearchQuestion, LUNA_RQ),
         "A research question belongs to exactly one study", LUNA_FILE, "study luna-2024 question rq1"),

    # --- StudyDesignShape ---
    Case("design-without-method", "StudyDesignShape", drop(LUNA_DESIGN, PVKG.usesMethod),
         "A study design must name at least one method", LUNA_FILE, "design of study luna-2024"),
    Case("design-method-is-a-value", "StudyDesignShape",
         put(LUNA_DESIGN, PVKG.usesMethod, concept("value:transparency")),
         "A study design must name at least one method", LUNA_FILE, "design of study luna-2024"),
    Case("design-without-locator", "StudyDesignShape", drop(LUNA_DESIGN, PVKG.locator),
         "A study design needs exactly one locator", LUNA_FILE, "design of study luna-2024"),
    Case("design-two-locators", "StudyDesignShape", add(LUNA_DESIGN, PVKG.locator, Literal("Methods")),
         "A study design needs exactly one locator", LUNA_FILE, "design of study luna-2024"),
    Case("design-statement-without-language", "StudyDesignShape",
         put(LUNA_DESIGN, PVKG.statement, Literal("A qualitative study of citizens' views.")),
         "A study design's description is language-tagged text", LUNA_FILE, "design of study luna-2024"),
    Case("design-two-english-statements", "StudyDesignShape",
         add(LUNA_DESIGN, PVKG.statement, en("Focus groups in four cities.")),
         "A study design's description is language-tagged text", LUNA_FILE, "design of study luna-2024"),
    Case("quality-threshold-above-one", "StudyDesignShape",
         put(SMSF_DESIGN, PVKG.qualityThreshold, Literal("1.5", datatype=XSD.decimal)),
         "A quality threshold is one decimal between 0 and 1", SMSF_FILE, SMSF_DESIGN_SUBJECT),
    Case("quality-threshold-below-zero", "StudyDesignShape",
         put(SMSF_DESIGN, PVKG.qualityThreshold, Literal("-0.25", datatype=XSD.decimal)),
         "A quality threshold is one decimal between 0 and 1", SMSF_FILE, SMSF_DESIGN_SUBJECT),
    Case("quality-threshold-as-text", "StudyDesignShape",
         put(SMSF_DESIGN, PVKG.qualityThreshold, Literal("75%")),
         "A quality threshold is one decimal between 0 and 1", SMSF_FILE, SMSF_DESIGN_SUBJECT),
    Case("two-quality-thresholds", "StudyDesignShape",
         add(SMSF_DESIGN, PVKG.qualityThreshold, Literal("0.5", datatype=XSD.decimal)),
         "A quality threshold is one decimal between 0 and 1", SMSF_FILE, SMSF_DESIGN_SUBJECT),

    # --- StudyContextShape ---
    Case("context-without-locator", "StudyContextShape", drop(LUNA_CONTEXT, PVKG.locator),
         "A study context needs exactly one locator", LUNA_FILE, "context of study luna-2024"),
    Case("context-two-locators", "StudyContextShape", add(LUNA_CONTEXT, PVKG.locator, Literal("Methods")),
         "A study context needs exactly one locator", LUNA_FILE, "context of study luna-2024"),
    Case("context-in-an-unknown-place", "StudyContextShape", add(LUNA_CONTEXT, DCTERMS.spatial, ID["place/atlantis"]),
         "The places of a study context must be known locations", LUNA_FILE, "context of study luna-2024"),
    Case("context-two-city-counts", "StudyContextShape",
         add(LUNA_CONTEXT, PVKG.cityCount, Literal(5, datatype=XSD.nonNegativeInteger)),
         "A study context has at most one city count", LUNA_FILE, "context of study luna-2024"),
    Case("context-city-count-as-text", "StudyContextShape", put(LUNA_CONTEXT, PVKG.cityCount, Literal("four")),
         "A study context has at most one city count", LUNA_FILE, "context of study luna-2024"),
    Case("context-channel-is-a-value", "StudyContextShape",
         add(LUNA_CONTEXT, PVKG.channel, concept("value:transparency")),
         "The channels of a study context must be channel concepts", LUNA_FILE, "context of study luna-2024"),
    Case("context-two-samples", "StudyContextShape", add(LUNA_CONTEXT, PVKG.hasSample, SMSF_SAMPLE),
         "A study context has at most one sample", LUNA_FILE, "context of study luna-2024"),
    Case("context-sample-is-a-design", "StudyContextShape", put(LUNA_CONTEXT, PVKG.hasSample, LUNA_DESIGN),
         "A study context has at most one sample", LUNA_FILE, "context of study luna-2024"),
    Case("population-without-language", "StudyContextShape", put(LUNA_CONTEXT, PVKG.population, Literal("citizens")),
         "Population, setting and region are language-tagged text", LUNA_FILE, "context of study luna-2024"),
    Case("setting-without-language", "StudyContextShape",
         put(MERGEL_CONTEXT, PVKG.setting, Literal("United States government")),
         "Population, setting and region are language-tagged text", SMSF_FILE, MERGEL_CONTEXT_SUBJECT),

    # --- SampleShape ---
    Case("sample-size-as-text", "SampleShape", put(LUNA_SAMPLE, PVKG.sampleSize, Literal("13")),
         "A sample needs exactly one size, a whole number", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-size-negative", "SampleShape", put(LUNA_SAMPLE, PVKG.sampleSize, Literal(-13, datatype=XSD.integer)),
         "A sample needs exactly one size, a whole number", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-without-size", "SampleShape", drop(LUNA_SAMPLE, PVKG.sampleSize),
         "A sample needs exactly one size, a whole number", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-two-sizes", "SampleShape",
         add(LUNA_SAMPLE, PVKG.sampleSize, Literal(12, datatype=XSD.nonNegativeInteger)),
         "A sample needs exactly one size, a whole number", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-without-unit", "SampleShape", drop(LUNA_SAMPLE, PVKG.sampleUnit),
         "A sample needs its unit as language-tagged text", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-unit-without-language", "SampleShape", put(LUNA_SAMPLE, PVKG.sampleUnit, Literal("focus groups")),
         "A sample needs its unit as language-tagged text", LUNA_FILE, "sample of study luna-2024"),
    Case("sample-two-english-units", "SampleShape", add(LUNA_SAMPLE, PVKG.sampleUnit, en("groups")),
         "A sample needs its unit as language-tagged text", LUNA_FILE, "sample of study luna-2024"),

    # --- ConceptShape: one case per target class, then each constraint ---
    Case("public-value-without-english-label", "ConceptShape",
         put(concept("value:transparency"), SKOS.prefLabel, Literal("شفافیت", lang="fa")),
         "A concept needs an English preferred label", "values.yaml", "concept value:transparency"),
    Case("editors-placement-without-broader", "EditorsPlacementShape",
         drop(concept("value:transparency"), SKOS.broader),
         "A concept placed by the editors needs the broader concept", "values.yaml", "concept value:transparency"),
    Case("placed-by-editors-twice", "ConceptShape",
         add(concept("value:transparency"), PVKG.placedByEditors, Literal(False)),
         "A concept is placed by the editors (true) or not, once", "values.yaml", "concept value:transparency"),
    Case("characteristic-without-english-label", "ConceptShape",
         put(concept("characteristic:service-characteristics"), SKOS.prefLabel, Literal("ویژگی‌ها", lang="fa")),
         "A concept needs an English preferred label", LUNA_FILE, "concept characteristic:service-characteristics"),
    Case("factor-without-english-label", "ConceptShape",
         put(concept("factor:transparency"), SKOS.prefLabel, Literal("شفافیت", lang="fa")),
         "A concept needs an English preferred label", SMSF_FILE, "concept factor:transparency"),
    Case("method-without-english-label", "ConceptShape",
         put(concept("method:survey"), SKOS.prefLabel, Literal("پیمایش", lang="fa")),
         "A concept needs an English preferred label", "methods.yaml", "concept method:survey"),
    Case("channel-without-english-label", "ConceptShape",
         put(concept("channel:facebook"), SKOS.prefLabel, Literal("فیسبوک", lang="fa")),
         "A concept needs an English preferred label", "channels.yaml", "concept channel:facebook"),
    Case("concept-without-label", "ConceptShape", drop(concept("value:transparency"), SKOS.prefLabel),
         "A concept needs a preferred label, exactly one per language", "values.yaml", "concept value:transparency"),
    Case("concept-two-english-labels", "ConceptShape",
         add(concept("value:transparency"), SKOS.prefLabel, en("openness")),
         "A concept needs a preferred label, exactly one per language", "values.yaml", "concept value:transparency"),
    Case("concept-label-without-language", "ConceptShape",
         put(concept("value:transparency"), SKOS.prefLabel, Literal("transparency")),
         "A concept needs a preferred label, exactly one per language", "values.yaml", "concept value:transparency"),
    Case("concept-without-definition", "ConceptShape", drop(concept("value:transparency"), SKOS.definition),
         "A concept needs a definition", "values.yaml", "concept value:transparency"),
    Case("concept-two-english-definitions", "ConceptShape",
         add(concept("value:transparency"), SKOS.definition, en("Openness of government.")),
         "A concept needs a definition", "values.yaml", "concept value:transparency"),
    Case("concept-in-two-schemes", "ConceptShape",
         add(concept("value:transparency"), SKOS.inScheme, scheme("factors")),
         "A concept must be in exactly one pvkg concept scheme", "values.yaml", "concept value:transparency"),
    Case("concept-in-no-scheme", "ConceptShape", drop(concept("value:transparency"), SKOS.inScheme),
         "A concept must be in exactly one pvkg concept scheme", "values.yaml", "concept value:transparency"),
    Case("concept-in-a-concept-not-a-scheme", "ConceptShape",
         put(concept("value:transparency"), SKOS.inScheme, concept("value:accountability")),
         "A concept must be in exactly one pvkg concept scheme", "values.yaml", "concept value:transparency"),
    Case("alternative-label-without-language", "ConceptShape",
         add(concept("value:collaboration"), SKOS.altLabel, Literal("co-operation")),
         "Alternative labels are language-tagged text", "values.yaml", "concept value:collaboration"),
    Case("concept-id-without-prefix", "ConceptShape",
         put(concept("value:transparency"), DCTERMS.identifier, Literal("transparency")),
         "A concept needs exactly one short id", "values.yaml", "concept value:transparency"),
    Case("concept-two-ids", "ConceptShape",
         add(concept("value:transparency"), DCTERMS.identifier, Literal("value:openness")),
         "A concept needs exactly one short id", "values.yaml", "concept value:transparency"),
    Case("concept-without-id", "ConceptShape", drop(concept("value:transparency"), DCTERMS.identifier),
         "A concept needs exactly one short id", "values.yaml", "concept value:transparency"),

    # --- ConceptHierarchyShape ---
    Case("broader-concept-in-another-scheme", "ConceptHierarchyShape",
         put(concept("factor:transparency"), SKOS.broader, concept("value:transparency")),
         "A concept's broader concept must be in the same scheme", SMSF_FILE, "concept factor:transparency"),
    Case("broader-concept-in-no-scheme", "ConceptHierarchyShape",
         put(concept("channel:facebook"), SKOS.broader, SEOUL),
         "A concept's broader concept must be in the same scheme", "channels.yaml", "concept channel:facebook"),

    # --- SubFactorShape ---
    Case("sub-factor-without-broader-factor", "SubFactorShape", drop(concept("factor:transparency"), SKOS.broader),
         "An adoption factor that is not a category must sit under a broader factor", SMSF_FILE,
         "concept factor:transparency"),
    Case("top-factor-that-is-not-a-category", "SubFactorShape",
         drop(concept("factor:human"), RDF.type, PVKG.FactorCategory),
         "An adoption factor that is not a category must sit under a broader factor", SMSF_FILE,
         "concept factor:human"),

    # --- LocationShape ---
    Case("city-without-name", "LocationShape", drop(SEOUL, SKOS.prefLabel),
         "A place needs a name, exactly one per language", "places.yaml", "city seoul"),
    Case("country-two-english-names", "LocationShape", add(KOR, SKOS.prefLabel, en("Republic of Korea")),
         "A place needs a name, exactly one per language", "places.yaml", "country KOR"),
    Case("city-name-without-language", "LocationShape", put(SEOUL, SKOS.prefLabel, Literal("Seoul")),
         "A place needs a name, exactly one per language", "places.yaml", "city seoul"),

    # --- PersonShape (persons have no entry in the source map) ---
    Case("person-without-name", "PersonShape", drop(PERSON_MERGEL, FOAF.name),
         "A person needs exactly one name", GRAPH, unmapped(PERSON_MERGEL)),
    Case("person-two-names", "PersonShape", add(PERSON_MERGEL, FOAF.name, Literal("Ines Mergel")),
         "A person needs exactly one name", GRAPH, unmapped(PERSON_MERGEL)),
    Case("person-name-language-tagged", "PersonShape", put(PERSON_MERGEL, FOAF.name, en("Mergel")),
         "A person needs exactly one name", GRAPH, unmapped(PERSON_MERGEL)),

    # --- VenueShape (venues have no entry in the source map) ---
    Case("journal-without-title", "VenueShape", drop(NMS, DCTERMS.title),
         "A journal or proceedings needs exactly one title", GRAPH, unmapped(NMS)),
    Case("journal-two-titles", "VenueShape", add(GIQ, DCTERMS.title, Literal("GIQ")),
         "A journal or proceedings needs exactly one title", GRAPH, unmapped(GIQ)),
    Case("proceedings-without-title", "VenueShape", add(ID["venue/dgo-2024"], RDF.type, BIBO.Proceedings),
         "A journal or proceedings needs exactly one title", GRAPH, unmapped(ID["venue/dgo-2024"])),
    Case("research-question-of-a-cited-work", "ResearchQuestionShape",
          steps(drop(LUNA, PVKG.hasResearchQuestion, LUNA_RQ),
                add(cited("eom-2018"), PVKG.hasResearchQuestion, LUNA_RQ)),
          "A research question belongs to exactly one study", LUNA_FILE, "study luna-2024 question rq1"),
    Case("concept-in-the-country-scheme", "ConceptShape",
          steps(drop(concept("value:transparency"), SKOS.broader),
                put(concept("value:transparency"), SKOS.inScheme,
                    URIRef("http://publications.europa.eu/resource/authority/country"))),
          "A concept must be in exactly one pvkg concept scheme", "values.yaml", "concept value:transparency"),
    Case("characteristic-finding-about-no-characteristic", "CharacteristicFindingShape",
         steps(put(LUNA02, RDF.type, PVKG.CharacteristicFinding), add(LUNA02, RDF.type, PVKG.Finding)),
         "A characteristics finding must be about at least one digital-service characteristic", LUNA_FILE,
         "finding luna2024-02"),
    Case("characteristic-finding-with-direction", "CharacteristicFindingShape",
         steps(put(LUNA02, RDF.type, PVKG.CharacteristicFinding), add(LUNA02, RDF.type, PVKG.Finding),
               add(LUNA02, PVKG.aboutCharacteristic, concept("characteristic:service-characteristics")),
               add(LUNA02, PVKG.direction, PVKG.Driver)),
         "A characteristics finding has no direction", LUNA_FILE, "finding luna2024-02"),
    Case("channel-not-a-skos-concept", "ConceptShape", drop(concept("channel:facebook"), RDF.type, SKOS.Concept),
         "must be a skos:Concept", "channels.yaml", "concept channel:facebook"),
]


# --- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built() -> pipeline.Build:
    return pipeline.build_graph([resources.data_dir("studies")], reason=False)


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def node_shapes(shapes: Graph) -> set[str]:
    """Local names of the NodeShapes in pvkgsh: that have a target."""
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    return {str(s)[len(PVKGSH):] for s in shapes.subjects(RDF.type, SH.NodeShape)
            if str(s).startswith(str(PVKGSH)) and any((s, t, None) in shapes for t in targets)}


def messages_of(shapes: Graph, shape: str) -> list[str]:
    """The sh:message texts of a NodeShape and of its property shapes."""
    node = PVKGSH[shape]
    owners = [node, *shapes.objects(node, SH.property), *shapes.objects(node, SH.sparql)]
    return [str(m) for owner in owners for m in shapes.objects(owner, SH.message)]


def validate(graph: Graph, built: pipeline.Build, shapes: Graph) -> ValidationReport:
    """Validate a (mutated) graph the way a build does: file by file. Each data triple goes back to the file
    whose part described its subject; a subject the mutation made up gets a part of its own."""
    owner = {t[0]: file for file, part in built.parts.triples.items() for t in part}
    ontology = Graph()
    parts: dict[str, list] = {file: [] for file in built.parts.triples}
    for triple in graph:
        if triple in built.ontology:
            ontology.add(triple)
        else:
            parts.setdefault(owner.get(triple[0], "<made up by the mutation>"), []).append(triple)
    return validate_parts(ontology, DataParts(parts, built.sources), shapes)


# --- tests -----------------------------------------------------------------------------------------------


def test_the_seed_graph_conforms(built, shapes):
    report = validate(built.graph, built, shapes)
    assert report.conforms is True, "\n".join(map(str, report.problems))
    assert report.problems == []


def mutated(built: pipeline.Build, mutation: Mutation) -> Graph:
    graph = Graph()
    graph += built.graph
    mutation(graph)
    return graph


def assert_fails_as_expected(case: Case, built: pipeline.Build, shapes: Graph) -> None:
    report = validate(mutated(built, case.mutate), built, shapes)

    found = "\n  ".join(map(str, report.problems)) or "(no problems)"
    assert report.conforms is False, f"{case.id}: the graph still conforms"
    assert any(case.message in p.message for p in report.problems), \
        f"{case.id}: no problem says {case.message!r}; got:\n  {found}"
    assert any(case.message in p.message and p.file.endswith(case.file) and p.subject == case.subject
               for p in report.problems), \
        f"{case.id}: no {case.message!r} problem for {case.subject} in {case.file}; got:\n  {found}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_graph_that_violates_a_shape_fails(case: Case, built, shapes):
    assert_fails_as_expected(case, built, shapes)


def channel_that_is_no_skos_concept(built: pipeline.Build, shapes: Graph) -> list:
    graph = mutated(built, drop(concept("channel:facebook"), RDF.type, SKOS.Concept))
    report = validate(graph, built, shapes)
    assert report.conforms is False
    return [p for p in report.problems
            if p.file.endswith("channels.yaml") and p.subject == "concept channel:facebook"]


def test_a_channel_that_is_no_skos_concept_fails(built, shapes):
    """ConceptShape's node-level sh:class skos:Concept. Values, characteristics, factors and methods are
    skos:Concepts by the ontology (their classes are subclasses of it), so only a channel can violate it."""
    assert channel_that_is_no_skos_concept(built, shapes)


def test_a_channel_that_is_no_skos_concept_is_reported_in_the_shapes_words(built, shapes):
    declared = [str(m) for m in shapes.objects(None, SH.message)]
    problems = channel_that_is_no_skos_concept(built, shapes)
    assert any(p.message.startswith(m) for p in problems for m in declared), [str(p) for p in problems]


def test_the_seed_graph_is_not_changed_by_the_cases(built, shapes):
    """The cases mutate copies: after them (tests run in file order) the module's build still conforms."""
    assert validate(built.graph, built, shapes).conforms is True


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_every_case_expects_a_message_of_its_shape(shapes):
    declared = node_shapes(shapes)
    for case in CASES:
        assert case.shape in declared, f"{case.id}: no NodeShape pvkgsh:{case.shape}"
        assert any(case.message in m for m in messages_of(shapes, case.shape)), \
            f"{case.id}: {case.message!r} is not part of a sh:message of pvkgsh:{case.shape}"


def test_every_node_shape_is_violated_by_some_case(shapes):
    declared = node_shapes(shapes)
    assert "FindingShape" in declared and "ConceptHierarchyShape" in declared  # the walk finds the shapes
    assert {c.shape for c in CASES} == declared


def test_every_message_of_every_shape_is_reported_by_some_case(shapes):
    """Finer than the shapes: each sh:message (one per property constraint or SPARQL constraint, or one for
    the whole node shape) is what some case expects to see."""
    missing = [(shape, m) for shape in sorted(node_shapes(shapes)) for m in messages_of(shapes, shape)
               if not any(c.shape == shape and c.message in m for c in CASES)]
    assert missing == []
