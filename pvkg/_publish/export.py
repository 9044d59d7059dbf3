"""Stage 8: the export formats beside pvkg's Turtle (pvkg/_rdftext.py): RDF/XML and JSON-LD, each deterministic
(same input, same bytes) and written a subject at a time, and the table of every graph format pvkg writes."""


import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from rdflib import OWL, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from pvkg import _resources as resources
from pvkg._namespaces import BASE, PVKG
from pvkg._rdftext import (
    Compactor,
    Progress,
    Triple,
    TripleSource,
    as_source,
    in_order,
    no_progress,
    ntriples_bytes,
    ntriples_chunks,
    prefix_map,
    turtle_bytes,
    turtle_chunks,
)
from pvkg.errors import PvkgError

# ------------------------------------------------------------------------------------------------------
# RDF/XML
# ------------------------------------------------------------------------------------------------------

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# XML 1.0 cannot carry these characters at all, not even as character references
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:  # an XML parser would turn these into spaces in an attribute value
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


class RdfXmlWriter:
    """Plain RDF/XML: one rdf:Description per subject, sorted; one property element per triple, sorted.
    Blank nodes are rdf:nodeID with their content-derived label. A predicate outside pvkg's prefixes gets a
    namespace of its own, numbered in the order of the predicates' IRIs."""

    def __init__(self, prefixes: dict[str, str], progress: Progress = no_progress):
        self.compact = Compactor(prefixes, _NCNAME)
        self.used: dict[str, str] = {"rdf": str(RDF)}
        self.progress = progress

    def qname(self, predicate: URIRef) -> str:
        text = str(predicate)
        found = self.compact.split(text)
        if found is not None:
            prefix, ns, local = found
            self.used[prefix] = ns
            return f"{prefix}:{local}"
        # a namespace of its own, named from the IRI so that the same input gives the same name
        match = re.search(r"[A-Za-z_][A-Za-z0-9_.-]*$", text)
        if match is None:
            raise PvkgError(f"RDF/XML cannot write the predicate <{text}>: its IRI does not end in an XML "
                            "name; export to Turtle or N-Triples instead")
        ns = text[:match.start()]
        prefix = next((p for p, n in self.used.items() if n == ns), None)
        if prefix is None:
            prefix = f"ns{len([p for p in self.used if p.startswith('ns') and p[2:].isdigit()]) + 1}"
            self.used[prefix] = ns
        return f"{prefix}:{match.group(0)}"

    @staticmethod
    def node(term: Node, about: bool) -> str:
        if isinstance(term, BNode):
            return f'rdf:nodeID="b{term}"'
        return f'rdf:{"about" if about else "resource"}="{_xml_escape(str(term), attribute=True)}"'

    def element(self, predicate: URIRef, value: Node) -> str:
        name = self.qname(predicate)
        if not isinstance(value, Literal):
            return f"<{name} {self.node(value, about=False)}/>"
        text = str(value)
        if _NOT_XML.search(text):
            raise PvkgError(f"RDF/XML cannot carry a control character in the literal {text[:60]!r}; export "
                            "to Turtle or N-Triples instead")
        if value.language:
            attribute = f' xml:lang="{value.language}"'
        elif value.datatype is not None:
            attribute = f' rdf:datatype="{_xml_escape(str(value.datatype), attribute=True)}"'
        else:
            attribute = ""
        return f"<{name}{attribute}>{_xml_escape(text)}</{name}>"

    def chunks(self, triples: TripleSource | Iterable[Triple]) -> Iterator[str]:
        """The document, a subject at a time. The root element declares the namespaces of every predicate,
        so those are named (and a predicate RDF/XML cannot write refused) before anything is written."""
        source = as_source(triples)
        for predicate in sorted(source.predicates(), key=str):
            self.qname(predicate)
        namespaces = "".join(f'\n    xmlns:{p}="{_xml_escape(ns, attribute=True)}"'
                             for p, ns in sorted(self.used.items()))
        yield f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{namespaces}>\n'
        for subject in in_order(source.subjects(), lambda s: self.node(s, about=True)):
            about = source.about(subject)
            elements = sorted(self.element(p, o) for _, p, o in about)
            yield (f"  <rdf:Description {self.node(subject, about=True)}>\n"
                   + "".join(f"    {e}\n" for e in elements) + "  </rdf:Description>\n")
            self.progress(len(about))
        yield "</rdf:RDF>\n"


def rdfxml_chunks(triples: TripleSource | Iterable[Triple], progress: Progress = no_progress) -> Iterator[str]:
    return RdfXmlWriter(prefix_map(), progress).chunks(triples)


def rdfxml_bytes(triples: TripleSource | Iterable[Triple]) -> bytes:
    return "".join(rdfxml_chunks(triples)).encode("utf-8")


# ------------------------------------------------------------------------------------------------------
# JSON-LD, with pvkg's context (ontology/context.jsonld)
# ------------------------------------------------------------------------------------------------------

CONTEXT_IRI = BASE + "context.jsonld"
# Text in a natural language: written as language maps ("label": {"en": "...", "fa": "..."})
LANGUAGE_TEXT = {RDFS.label, RDFS.comment, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition,
                 SKOS.scopeNote, SKOS.editorialNote, SKOS.note, SKOS.example, DCTERMS.title,
                 DCTERMS.description}
# The range the ontology gives its own text properties (pvkg:statement...): OWL 2's datatype of text with or
# without a language tag (rdf:langString is outside OWL 2's datatype map); SHACL requires the tag
TEXT_RANGE = RDF.PlainLiteral
# Annotation and built-in properties whose values are resources, not text
RESOURCE_VALUED = {
    DCTERMS.creator, DCTERMS.source, DCTERMS.isPartOf, DCTERMS.license, DCTERMS.spatial, RDFS.isDefinedBy,
    RDFS.seeAlso, RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.imports, OWL.versionIRI,
    OWL.inverseOf, OWL.equivalentClass, OWL.equivalentProperty, OWL.disjointWith, OWL.onProperty,
    OWL.onClass, OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.unionOf, OWL.intersectionOf,
    OWL.oneOf, OWL.members, OWL.distinctMembers, OWL.complementOf, RDF.first, RDF.rest,
    URIRef("http://xmlns.com/foaf/0.1/page")}
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


def jsonld_context(ontology: Graph) -> dict:
    """pvkg's JSON-LD context, made from the ontology (with its imports): the prefixes, and a short key
    for every property the ontology declares or builds on, so that the JSON reads like plain JSON.
    ontology/context.jsonld is this, written out (a test keeps the two the same)."""
    prefixes = prefix_map()
    compact = Compactor(prefixes)
    properties = {p for kind in _PROPERTY_TYPES for p in ontology.subjects(RDF.type, kind)
                  if isinstance(p, URIRef)} | LANGUAGE_TEXT | RESOURCE_VALUED
    # pvkg's own properties take the plain local names; another property whose name is taken is prefixed
    ordered = sorted(properties, key=lambda p: (not str(p).startswith(str(PVKG._NS)), compact(p)))
    terms: dict[str, dict] = {}
    for prop in ordered:
        name = compact(prop)
        local = name.partition(":")[2] if ":" in name and not name.startswith("http") else None
        if local is None or not _NCNAME.match(local):
            continue
        key = local if local not in terms and local not in prefixes else name.replace(":", "_")
        definition: dict[str, str] = {"@id": name}
        ranges = set(ontology.objects(prop, RDFS.range))
        if prop in LANGUAGE_TEXT or TEXT_RANGE in ranges:
            definition["@container"] = "@language"
        elif prop in RESOURCE_VALUED or (prop, RDF.type, OWL.ObjectProperty) in ontology:
            definition["@type"] = "@id"
        elif (prop, RDF.type, OWL.DatatypeProperty) in ontology and len(ranges) == 1:
            datatype = next(iter(ranges))
            if str(datatype).startswith(str(XSD)) and datatype != XSD.string:
                definition["@type"] = compact(datatype)
        terms[key] = definition
    return {"@context": {"@version": 1.1, **dict(sorted(prefixes.items())), **dict(sorted(terms.items()))}}


class JsonLdWriter:
    """Flattened JSON-LD against pvkg's context: one node object per subject, sorted by @id, keys sorted,
    several values sorted. A value that its property's term cannot carry (a plain string under a
    language map, say) is written under the property's prefixed name as a full value object, so that
    nothing is lost or changed in meaning."""

    def __init__(self, context: dict, progress: Progress = no_progress):
        self.progress = progress
        definitions = context["@context"]
        prefixes = {k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith(("/", "#"))}
        self.compact = Compactor(prefixes)
        expand = {f"{p}:": ns for p, ns in prefixes.items()}
        self.terms: dict[str, tuple[str, dict]] = {}
        for key, definition in definitions.items():
            if isinstance(definition, dict):
                prefix, _, local = definition["@id"].partition(":")
                self.terms[expand[prefix + ":"] + local] = (key, definition)

    def reference(self, term: Node) -> str:
        return f"_:b{term}" if isinstance(term, BNode) else self.compact(term)

    def value_object(self, term: Node) -> dict:
        if not isinstance(term, Literal):
            return {"@id": self.reference(term)}
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is not None:
            return {"@value": str(term), "@type": self.compact(term.datatype)}
        return {"@value": str(term)}

    def node(self, subject: Node, properties: dict[Node, list[Node]]) -> dict:
        node: dict[str, object] = {"@id": self.reference(subject)}
        members: dict[str, list] = defaultdict(list)
        languages: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for predicate, values in properties.items():
            if predicate == RDF.type and all(isinstance(v, URIRef) for v in values):
                members["@type"] = [self.compact(v) for v in values]
                continue
            key, definition = self.terms.get(str(predicate), (None, {}))
            fallback = self.compact(predicate)
            for value in values:
                kind = definition.get("@type")
                if key is None:
                    members[fallback].append(self.value_object(value))
                elif definition.get("@container") == "@language":
                    if isinstance(value, Literal) and value.language:
                        languages[key][value.language].append(str(value))
                    elif isinstance(value, Literal) and value.datatype is None:
                        languages[key]["@none"].append(str(value))
                    else:
                        members[fallback].append(self.value_object(value))
                elif kind == "@id":
                    if isinstance(value, Literal):
                        members[fallback].append(self.value_object(value))
                    else:
                        members[key].append(self.reference(value))
                elif kind is not None:
                    if isinstance(value, Literal) and value.datatype is not None and not value.language \
                            and self.compact(value.datatype) == kind:
                        members[key].append(str(value))
                    else:
                        members[fallback].append(self.value_object(value))
                elif isinstance(value, Literal) and value.datatype is None and not value.language:
                    members[key].append(str(value))
                else:
                    members[key].append(self.value_object(value))
        for key, values in members.items():
            node[key] = _one_or_sorted(values)
        for key, by_language in languages.items():
            node[key] = {lang: _one_or_sorted(texts) for lang, texts in by_language.items()}
        return node

    def chunks(self, triples: TripleSource | Iterable[Triple], context_url: str) -> Iterator[str]:
        """The document, a node at a time: the text json.dumps(indent=1, sort_keys=True) gives the whole
        document (a node object sits two levels deep, and JSON text holds no raw line break)."""
        source = as_source(triples)
        start = f'{{\n "@context": {json.dumps(context_url, ensure_ascii=False)},\n "@graph": ['
        nodes = 0
        for subject in in_order(source.subjects(), self.reference):
            properties: dict[Node, list[Node]] = defaultdict(list)
            about = source.about(subject)
            for _, p, o in about:
                properties[p].append(o)
            text = json.dumps(self.node(subject, properties), ensure_ascii=False, indent=1, sort_keys=True)
            yield ("," if nodes else start) + "\n  " + text.replace("\n", "\n  ")
            nodes += 1
            self.progress(len(about))
        yield "\n ]\n}\n" if nodes else start + "]\n}\n"


def _one_or_sorted(values: list) -> object:
    if len(values) == 1:
        return values[0]
    return sorted(values, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))


def shipped_context() -> dict:
    return json.loads(resources.context_file().read_text(encoding="utf-8"))


def jsonld_chunks(triples: TripleSource | Iterable[Triple], context_url: str = CONTEXT_IRI,
                  progress: Progress = no_progress) -> Iterator[str]:
    """JSON-LD that refers to pvkg's context by `context_url` (by default its w3id IRI; a JSON-LD reader
    maps that to the local file, see README) and reads like plain JSON."""
    return JsonLdWriter(shipped_context(), progress).chunks(triples, context_url)


def jsonld_bytes(triples: TripleSource | Iterable[Triple], context_url: str = CONTEXT_IRI) -> bytes:
    return "".join(jsonld_chunks(triples, context_url)).encode("utf-8")


GRAPH_FORMATS = {  # name: (media type, writer of one graph, name people know it by)
    "turtle": ("text/turtle", turtle_bytes, "Turtle"),
    "nt": ("application/n-triples", ntriples_bytes, "N-Triples"),
    "jsonld": ("application/ld+json", jsonld_bytes, "JSON-LD"),
    "rdfxml": ("application/rdf+xml", rdfxml_bytes, "RDF/XML"),
}
GRAPH_WRITERS = {"turtle": turtle_chunks, "nt": ntriples_chunks, "jsonld": jsonld_chunks,
                 "rdfxml": rdfxml_chunks}  # name: writer of one graph, a piece at a time (told of progress)
EXTENSIONS = {"turtle": "ttl", "nt": "nt", "jsonld": "jsonld", "rdfxml": "rdf", "trig": "trig"}

