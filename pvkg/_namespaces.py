"""Namespaces and IRI minting. The pvkg terms form a closed namespace, so that a typo raises instead of
minting a wrong IRI (a test checks that each term is declared in ontology/pvkg.ttl). Every IRI of the data
is made here and nowhere else, so the same input always gives the same IRIs."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, SKOS, XSD, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, DefinedNamespace

BASE = "https://w3id.org/pvkg/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ID = Namespace(BASE + "id/")
# The named graph `pvkg publish` loads into and `pvkg query --endpoint` reads, unless told otherwise
DEFAULT_GRAPH = BASE + "graph"

BIBO = Namespace("http://purl.org/ontology/bibo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CITO = Namespace("http://purl.org/spar/cito/")
CV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
VANN = Namespace("http://purl.org/vocab/vann/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_COUNTRY_SCHEME = URIRef("http://publications.europa.eu/resource/authority/country")


class Terms:
    """A namespace whose terms are each made once, then looked up: rdflib makes a new URIRef at every attribute
    access of a namespace (through the metaclass, for a DefinedNamespace), which cost a million-triple build 3 s
    in the loader's loops alone."""

    def __init__(self, namespace) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term


class PVKG(DefinedNamespace):
    """The pvkg ontology's own terms."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # classes
    Study: URIRef
    CitedWork: URIRef
    ResearchQuestion: URIRef
    StudyDesign: URIRef
    StudyContext: URIRef
    Sample: URIRef
    PublicValue: URIRef
    ValueDimension: URIRef
    ServiceCharacteristic: URIRef
    AdoptionFactor: URIRef
    FactorCategory: URIRef
    Method: URIRef
    Construct: URIRef
    InfluenceDirection: URIRef
    ValueLevel: URIRef
    Support: URIRef
    FindingStatus: URIRef
    ClaimStrength: URIRef
    InferenceKind: URIRef
    Finding: URIRef
    ValueFinding: URIRef
    CharacteristicFinding: URIRef
    LinkFinding: URIRef
    FactorFinding: URIRef
    CitedWorkFinding: URIRef
    # individuals of the closed sets
    Driver: URIRef
    Barrier: URIRef
    NoEffect: URIRef
    Mixed: URIRef
    IndividualLevel: URIRef
    SocietalLevel: URIRef
    FirstHand: URIRef
    SecondHand: URIRef
    Result: URIRef
    Background: URIRef
    Proposition: URIRef
    EditorsReading: URIRef
    Stated: URIRef
    Hedged: URIRef
    Weak: URIRef
    Correlational: URIRef
    Causal: URIRef
    # object properties
    reportedIn: URIRef
    hasResearchQuestion: URIRef
    hasDesign: URIRef
    usesMethod: URIRef
    hasContext: URIRef
    hasSample: URIRef
    channel: URIRef
    about: URIRef
    aboutValue: URIRef
    aboutCharacteristic: URIRef
    aboutFactor: URIRef
    aboutChannel: URIRef
    aboutConstruct: URIRef
    knownFrom: URIRef
    encodedFrom: URIRef
    aboutWork: URIRef
    linkFrom: URIRef
    linkTo: URIRef
    direction: URIRef
    atLevel: URIRef
    support: URIRef
    status: URIRef
    strength: URIRef
    inference: URIRef
    identifiedAs: URIRef
    # data properties
    locator: URIRef
    statement: URIRef
    citedAs: URIRef
    correctionNote: URIRef
    sampleSize: URIRef
    sampleUnit: URIRef
    cityCount: URIRef
    setting: URIRef
    region: URIRef
    population: URIRef
    qualityThreshold: URIRef
    stepCount: URIRef
    placedByEditors: URIRef


@dataclass(frozen=True)
class ConceptPrefix:
    """What a concept id's prefix (the part before ':') means: its scheme, its class, and the property
    by which a finding is about it (None where findings are not about such concepts)."""

    scheme: URIRef
    cls: URIRef
    about: URIRef | None
    subtypes: dict[str, URIRef]


CONCEPT_PREFIXES: dict[str, ConceptPrefix] = {
    "value": ConceptPrefix(ID["scheme/values"], PVKG.PublicValue, PVKG.aboutValue,
                           {"dimension": PVKG.ValueDimension}),
    "characteristic": ConceptPrefix(ID["scheme/characteristics"], PVKG.ServiceCharacteristic,
                                    PVKG.aboutCharacteristic, {}),
    "factor": ConceptPrefix(ID["scheme/factors"], PVKG.AdoptionFactor, PVKG.aboutFactor,
                            {"category": PVKG.FactorCategory}),
    "method": ConceptPrefix(ID["scheme/methods"], PVKG.Method, None, {}),
    "channel": ConceptPrefix(ID["scheme/channels"], CV.Channel, PVKG.aboutChannel, {}),
    "construct": ConceptPrefix(ID["scheme/constructs"], PVKG.Construct, PVKG.aboutConstruct, {}),
}

DIRECTIONS = {"driver": PVKG.Driver, "barrier": PVKG.Barrier, "no-effect": PVKG.NoEffect, "mixed": PVKG.Mixed}
LEVELS = {"individual": PVKG.IndividualLevel, "societal": PVKG.SocietalLevel}
# How a finding is supported. The first entry of each is the default where a study file says nothing, except
# that support is derived: second-hand for a finding with `work`, or in a study `known-from` another.
SUPPORT = {"first-hand": PVKG.FirstHand, "second-hand": PVKG.SecondHand}
STATUSES = {"result": PVKG.Result, "background": PVKG.Background, "proposition": PVKG.Proposition,
            "editors-reading": PVKG.EditorsReading}
STRENGTHS = {"stated": PVKG.Stated, "hedged": PVKG.Hedged, "weak": PVKG.Weak}
INFERENCES = {"correlational": PVKG.Correlational, "causal": PVKG.Causal}
FINDING_KINDS = {
    "values": PVKG.ValueFinding,
    "characteristics": PVKG.CharacteristicFinding,
    "link": PVKG.LinkFinding,
    "factor": PVKG.FactorFinding,
    "cited-work": PVKG.CitedWorkFinding,
}

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """A lower-case slug for IRIs minted from names: letters and digits of every script are kept, accents
    too, and anything else becomes '-' ("Luna-Reyes, Luis F." -> "luna-reyes-luis-f", "Purón-Cid, G." ->
    "purón-cid-g", "رضایی, علی" -> "رضایی-علی"). Folding to ASCII would make 'Doé' and 'Doe' one person and a
    name in Persian script empty. A name with no letter or digit at all gets a slug from its hash."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", text).casefold()).strip("-")
    return slug or "n" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def concept_iri(concept_id: str) -> URIRef:
    prefix, local = concept_id.split(":", 1)
    return ID[f"{prefix}/{local}"]


def work_iri(work_id: str) -> URIRef:
    return ID[f"work/{work_id}"]


def part_iri(work_id: str, *path: str) -> URIRef:
    """A resource that belongs to one work: its design, context, research questions, cited works."""
    return ID["work/" + "/".join((work_id, *path))]


def finding_iri(finding_id: str) -> URIRef:
    return ID[f"finding/{finding_id}"]


def person_iri(name: str) -> URIRef:
    return ID[f"person/{slugify(name)}"]


def venue_iri(name: str) -> URIRef:
    return ID[f"venue/{slugify(name)}"]


def country_iri(code: str) -> URIRef:
    return EU_COUNTRY[code]


def city_iri(city_id: str) -> URIRef:
    return ID[f"place/{city_id}"]


# the prefixes pvkg's Turtle, its pages and its docs write
PREFIXES = {
    "pvkg": PVKG._NS, "id": URIRef("https://w3id.org/pvkg/id/"), "owl": OWL, "rdf": RDF, "rdfs": RDFS,
    "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS, "prov": URIRef("http://www.w3.org/ns/prov#"), "bibo": BIBO,
    "cito": CITO, "foaf": FOAF, "cv": CV, "cpsv": CPSV, "vann": VANN,
    "country": URIRef("http://publications.europa.eu/resource/authority/country/"),
}
