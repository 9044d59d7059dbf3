"""The ontology: metadata, labels and definitions, imports resolved locally, terms declared."""

from __future__ import annotations

import tomllib

import pytest
from conftest import REPO
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from pvkg import _resources as resources
from pvkg._build.load import load_ontology
from pvkg._namespaces import CONCEPT_PREFIXES, ONTOLOGY_IRI, PVKG, VANN

DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology():
    return load_ontology()


def test_header_metadata(ontology):
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    o = ONTOLOGY_IRI
    assert ontology.value(o, OWL.versionInfo) == Literal(version)
    assert ontology.value(o, OWL.versionIRI) == URIRef(f"{o}/{version}")
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, DCTERMS.created):
        assert ontology.value(o, predicate) is not None, predicate
    assert ontology.value(o, VANN.preferredNamespacePrefix) == Literal("pvkg")
    assert ontology.value(o, VANN.preferredNamespaceUri) == Literal(str(PVKG._NS))


def test_imports_resolve_from_local_copies_and_are_merged(ontology):
    """The import module is read from its local copy and merged in: its terms are there, its header and the
    owl:imports of it are not (tests/test_owl_tools.py loads the result with the OWL API)."""
    source = Graph().parse(resources.ontology_file())
    assert set(source.objects(None, OWL.imports)) == {URIRef("https://w3id.org/pvkg/ontology/imports/external")}
    assert list(ontology.objects(None, OWL.imports)) == []
    assert set(ontology.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY_IRI}
    assert (DCTERMS.title, RDF.type, OWL.AnnotationProperty) in ontology  # declared in the import module


def test_every_class_and_property_has_an_english_label_and_definition(ontology):
    missing = []
    for kind in DECLARATIONS:
        for term in ontology.subjects(RDF.type, kind):
            if not isinstance(term, URIRef):
                continue
            labels = [x for x in ontology.objects(term, RDFS.label) if getattr(x, "language", None) == "en"]
            definitions = [x for x in ontology.objects(term, SKOS.definition) if getattr(x, "language", None) == "en"]
            if len(labels) != 1 or len(definitions) != 1:
                missing.append(str(term))
    assert missing == []


def test_every_term_of_the_python_namespace_is_declared(ontology):
    undeclared = [name for name in PVKG.__annotations__
                  if not set(ontology.objects(PVKG[name], RDF.type))]
    assert undeclared == []


def test_every_concept_scheme_of_the_code_is_in_the_ontology(ontology):
    for prefix, spec in CONCEPT_PREFIXES.items():
        assert (spec.scheme, RDF.type, SKOS.ConceptScheme) in ontology, prefix
        assert (spec.cls, RDF.type, OWL.Class) in ontology, prefix


def test_data_uses_only_declared_classes_and_properties(ontology, seed_build):
    declared = {t for kind in DECLARATIONS for t in ontology.subjects(RDF.type, kind)}
    built_in = {RDF.type, RDFS.label}  # OWL 2 needs no declaration for these
    assert set(seed_build.data.predicates()) - declared - built_in == set()
    assert set(seed_build.data.objects(None, RDF.type)) - declared == set()


def test_persian_labels_where_the_source_gives_them(ontology):
    fa = {str(x) for x in ontology.objects(PVKG.Driver, RDFS.label) if x.language == "fa"}
    assert fa == {"پیشران"}


def test_data_files_are_found_in_the_checkout():
    assert resources.ontology_file() == REPO / "ontology" / "pvkg.ttl"
    assert resources.shapes_files() == [REPO / "shapes" / "pvkg-shapes.ttl"]
