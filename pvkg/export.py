"""Stage 8: output. Deterministic Turtle, N-Triples, RDF/XML and JSON-LD (same input, same bytes) and atomic
file writes.

pvkg writes its own Turtle rather than rdflib's: rdflib's serialiser takes over a minute for a million
triples, and its subject order is its own. Here every subject is a block, `a` first, then predicates and
objects sorted by their Turtle text, subjects sorted the same way; a blank node used once is written in
place (`[ ... ]`, or `( ... )` for a list), so the ontology's axioms read as they were written. Blank nodes
that must keep a label are labelled from their content (rdflib's canonicalisation, run on the few triples
that touch blank nodes), so no label depends on the process that parsed them.

Every writer reads its graph a subject at a time (a TripleSource) and hands out its text as it goes, so that
an export of a million triples read from the built file never holds them all as rdflib terms (2 GB and
more), and a file is written a piece at a time (write_atomic, write_stream).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rdflib import OWL, RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS
from rdflib.term import Node

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from . import resources
from .errors import CREATE_FOLDER, PvkgError, UsageError, WriteError, display_path, file_in_the_way
from .load import PREFIXES
from .namespaces import BASE, PVKG

Triple = tuple[Node, Node, Node]
# Local names written as prefix:name (or none: pvkg: itself); anything else (a '/', a leading digit...) is
# written as <IRI>
_LOCAL_NAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_-]*)?")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_SHORT_STRING = re.compile(r'[\\"\n\r\t\b\f]')
_LONG_STRING = re.compile(r'[\\"\r\b\f]')  # a """ string keeps its newlines and tabs as they are
INDENT = "    "


# ------------------------------------------------------------------------------------------------------
# The graph a writer reads: subject by subject
# ------------------------------------------------------------------------------------------------------


class TripleSource(ABC):
    """A graph as pvkg's writers read it: its subjects, then the triples about each subject in the order the
    syntax sorts them, so that a source kept outside Python objects (release.IndexedTriples) never has the
    whole graph in them at once. The few triples that touch a blank node are at hand all together (`blank`),
    their nodes labelled from their content. Literals are as RDF 1.1 has them (a language tag in lower case,
    "x"^^xsd:string as "x"), as Oxigraph's parser reads them: the same graph gives the same bytes whichever
    parser read it."""

    @abstractmethod
    def subjects(self) -> list[Node]:
        """Every subject, once."""

    @abstractmethod
    def about(self, subject: Node) -> list[Triple]:
        """The triples whose subject is `subject`."""

    @abstractmethod
    def blank(self) -> list[Triple]:
        """Every triple with a blank node as its subject or object."""

    @abstractmethod
    def predicates(self) -> set[Node]:
        """Every predicate, once."""

    @abstractmethod
    def instances(self, kind: URIRef) -> list[Node]:
        """The subjects that are `a kind`."""

    def __iter__(self) -> Iterator[Triple]:
        for subject in self.subjects():
            yield from self.about(subject)

    def __len__(self) -> int:
        return sum(len(self.about(s)) for s in self.subjects())


def _as_rdf11(triple: Triple) -> Triple:
    """The triple with its literal as RDF 1.1 has it (and Oxigraph reads it): the language tag in lower case,
    and "x"^^xsd:string as "x", the same literal."""
    s, p, o = triple
    if isinstance(o, Literal):
        if o.language and o.language != o.language.lower():
            return s, p, Literal(str(o), lang=o.language.lower())
        if o.datatype == XSD.string:
            return s, p, Literal(str(o))
    return triple


class TripleList(TripleSource):
    """Triples in memory (each once), indexed by subject."""

    def __init__(self, triples: Iterable[Triple], relabel_blank_nodes: bool = True):
        """`relabel_blank_nodes=False` keeps the labels the triples have: only for triples whose blank nodes are
        never written with a label (each the object of one triple, so that Turtle writes it in place)."""
        triples = [_as_rdf11(t) for t in dict.fromkeys(triples)]
        if relabel_blank_nodes:
            triples = _canonical_blank_nodes(triples)
        self._by_subject: dict[Node, list[Triple]] = defaultdict(list)
        for triple in triples:
            self._by_subject[triple[0]].append(triple)
        self._blank = [t for t in triples if isinstance(t[0], BNode) or isinstance(t[2], BNode)]

    def subjects(self) -> list[Node]:
        return list(self._by_subject)

    def about(self, subject: Node) -> list[Triple]:
        return self._by_subject.get(subject, [])

    def blank(self) -> list[Triple]:
        return self._blank

    def predicates(self) -> set[Node]:
        return {t[1] for triples in self._by_subject.values() for t in triples}

    def instances(self, kind: URIRef) -> list[Node]:
        return [s for s, triples in self._by_subject.items() if any(t[1] == RDF.type and t[2] == kind for t in triples)]

    def __len__(self) -> int:
        return sum(len(triples) for triples in self._by_subject.values())


class UnionSource(TripleSource):
    """Two sources with no triple in common (the ontology and the data) read as one graph."""

    def __init__(self, first: TripleSource, second: TripleSource):
        self.parts = (first, second)

    def subjects(self) -> list[Node]:
        return list(dict.fromkeys(s for part in self.parts for s in part.subjects()))

    def about(self, subject: Node) -> list[Triple]:
        return [t for part in self.parts for t in part.about(subject)]

    def blank(self) -> list[Triple]:
        return [t for part in self.parts for t in part.blank()]

    def predicates(self) -> set[Node]:
        return set().union(*(part.predicates() for part in self.parts))

    def instances(self, kind: URIRef) -> list[Node]:
        return list(dict.fromkeys(s for part in self.parts for s in part.instances(kind)))

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)


def as_source(triples: TripleSource | Iterable[Triple]) -> TripleSource:
    return triples if isinstance(triples, TripleSource) else TripleList(triples)


def _canonical_blank_nodes(triples: list[Triple]) -> list[Triple]:
    """The triples with every blank node relabelled from its content (unchanged when there are none)."""
    touched = [t for t in triples if isinstance(t[0], BNode) or isinstance(t[2], BNode)]
    if not touched:
        return triples
    graph = Graph()
    for t in touched:
        graph.add(t)
    untouched = [t for t in triples if not (isinstance(t[0], BNode) or isinstance(t[2], BNode))]
    return untouched + list(to_canonical_graph(graph))


Progress = Callable[[int], None]  # told how many more units of work (triples, files, checks...) are done


def no_progress(count: int) -> None:
    pass


def _in_order(subjects: Iterable[Node], key: Callable[[Node], str]) -> list[Node]:
    """The subjects sorted by `key`: their text in the syntax being written."""
    return [s for _, s in sorted(((key(s), s) for s in subjects), key=lambda pair: pair[0])]


class Compactor:
    """IRI -> prefix:local with the longest matching namespace (so that a namespace inside another, id:
    inside pvkg's base, wins), where the rest of the IRI is a local name the syntax allows (`local`; by
    default any non-empty rest not starting with '//', as JSON-LD allows). Each syntax's writer uses one."""

    REMEMBERED = 100_000  # IRIs whose split is kept: the ones a graph repeats, not every IRI of a large one

    def __init__(self, prefixes: dict[str, str], local: re.Pattern | None = None):
        self.prefixes = sorted(((str(ns), p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
        self.local = local
        self._done: dict[str, tuple[str, str, str] | None] = {}

    def split(self, iri) -> tuple[str, str, str] | None:
        """(prefix, namespace, local name) of the IRI, or None when no prefix fits."""
        text = str(iri)
        if text not in self._done:
            if len(self._done) >= self.REMEMBERED:
                self._done.clear()
            found = None
            for ns, prefix in self.prefixes:
                rest = text[len(ns):]
                if text.startswith(ns) and (self.local.fullmatch(rest) if self.local is not None
                                            else rest and not rest.startswith("//")):
                    found = (prefix, ns, rest)
                    break
            self._done[text] = found
        return self._done[text]

    def __call__(self, iri) -> str:
        found = self.split(iri)
        return f"{found[0]}:{found[2]}" if found else str(iri)


class TurtleWriter:
    def __init__(self, prefixes: dict[str, str], progress: Progress = no_progress):
        self.compact = Compactor(prefixes, _LOCAL_NAME)
        self.declared = dict(sorted(prefixes.items()))
        self.progress = progress
        self._blank_props: dict[Node, dict[Node, set[Node]]] = {}  # what each blank node says
        self._uses: dict[Node, int] = {}  # how many triples have each blank node as their object
        self._inline: set[Node] = set()  # the blank nodes written in place

    def iri(self, term: URIRef) -> str:
        return name if (name := self.compact(term)) != str(term) else f"<{term}>"

    def literal(self, term: Literal) -> str:
        text = str(term)
        datatype = term.datatype
        if datatype == XSD.integer and _INTEGER.match(text):
            return text
        if datatype == XSD.boolean and text in ("true", "false"):
            return text
        if "\n" in text:
            body = '"""' + _LONG_STRING.sub(lambda m: _ESCAPES[m.group(0)], text) + '"""'
        else:
            body = '"' + _SHORT_STRING.sub(lambda m: _ESCAPES[m.group(0)], text) + '"'
        if term.language:
            return f"{body}@{term.language}"
        if datatype is not None:
            return f"{body}^^{self.iri(datatype)}"
        return body

    def header(self) -> str:
        return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in self.declared.items())

    def serialize(self, triples: TripleSource | Iterable[Triple]) -> bytes:
        return "".join(self.chunks(triples)).encode("utf-8")

    def chunks(self, triples: TripleSource | Iterable[Triple]) -> Iterator[str]:
        """The Turtle text, a subject block at a time."""
        yield self.header() + "\n"
        yield from self.body(triples)

    def graph_chunks(self, graphs: Iterable[tuple[URIRef, TripleSource | Iterable[Triple]]]) -> Iterator[str]:
        """TriG: each named graph as `<name> { ... }`, in the order given. Blocks are not indented inside
        the braces, so that a multi-line literal keeps its text."""
        yield self.header()
        for name, triples in graphs:
            yield f"\n{self.iri(name)} {{\n"
            yield from self.body(triples)
            yield "}\n"

    def body(self, triples: TripleSource | Iterable[Triple]) -> Iterator[str]:
        """The subject blocks of the triples, sorted, each ending in ` .`, a blank line between two blocks and
        a line break after the last."""
        blocks = 0
        for _, block in self.blocks(triples):
            yield ("\n\n" if blocks else "") + block
            blocks += 1
        if blocks:
            yield "\n"

    def blocks(self, triples: TripleSource | Iterable[Triple]) -> Iterator[tuple[str | None, str]]:
        """(subject text, block) for each block in the order written. A block sorts as its text does, that is
        as its subject's text followed by a space (no subject's text has one); blocks of blank nodes nothing
        refers to (`[] ...`) come last, with no subject text."""
        source = as_source(triples)
        self._read_blank_nodes(source.blank())
        named, anonymous = [], []
        for subject in source.subjects():
            if subject in self._inline:
                continue
            if isinstance(subject, BNode) and subject not in self._uses:
                anonymous.append(subject)  # an axiom such as owl:AllDisjointClasses: nothing refers to it
            else:
                named.append(subject)
        for subject in _in_order(named, lambda s: self.term(s) + " "):
            triples = source.about(subject)
            head = self.term(subject)
            yield head, self.block(head, triples)
            self.progress(len(triples))
        for block in sorted(self.block("[]", source.about(s)) for s in anonymous):
            yield None, block
        self.progress(sum(len(source.about(s)) for s in [*anonymous, *self._inline]))  # the blank nodes' triples

    def block(self, head: str, triples: list[Triple]) -> str:
        props: dict[Node, set[Node]] = defaultdict(set)
        for _, p, o in triples:
            props[p].add(o)
        return f"{head} {self.predicates(props, INDENT)} ."

    def _read_blank_nodes(self, blank: list[Triple]) -> None:
        """Which blank nodes are written in place (used once as an object, and reached from a written block),
        and what each blank node says."""
        props: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        uses: dict[Node, int] = defaultdict(int)
        for s, p, o in blank:
            if isinstance(s, BNode):
                props[s][p].add(o)
            if isinstance(o, BNode):
                uses[o] += 1
        once = {b for b, n in uses.items() if n == 1}
        self._blank_props, self._uses = props, uses
        self._inline = self._reachable(blank, once)

    @staticmethod
    def _reachable(blank: list[Triple], once: set[Node]) -> set[Node]:
        """The once-used blank nodes that some written block leads to: those in a cycle of their own would
        otherwise never be written."""
        leads: dict[Node, list[Node]] = defaultdict(list)
        for s, _, o in blank:
            if o in once:
                leads[s].append(o)
        seen: set[Node] = set()
        stack = [s for s in leads if s not in once]
        while stack:
            for o in leads.get(stack.pop(), ()):
                if o not in seen:
                    seen.add(o)
                    stack.append(o)
        return seen

    def predicates(self, props: dict[Node, set[Node]], indent: str) -> str:
        parts = []
        for predicate, objects in props.items():
            name = "a" if predicate == RDF.type else self.iri(predicate)
            texts = sorted(self.term(o, indent + INDENT) for o in objects)
            parts.append((predicate != RDF.type, name, f"{name} " + f",\n{indent}{INDENT}".join(texts)))
        parts.sort(key=lambda x: (x[0], x[1]))
        return f" ;\n{indent}".join(p[2] for p in parts)

    def term(self, term: Node, indent: str = INDENT) -> str:
        if isinstance(term, URIRef):
            return self.iri(term)
        if isinstance(term, Literal):
            return self.literal(term)
        if term in self._inline:
            items = self._list_items(term)
            if items is not None:
                return "( " + " ".join(self.term(i, indent) for i in items) + " )"
            return f"[ {self.predicates(self._blank_props[term], indent + INDENT)} ]"
        return f"_:{term}"

    def _list_items(self, node: Node) -> list[Node] | None:
        """The members of a well-formed RDF list starting at `node`, or None."""
        items = []
        while node != RDF.nil:
            props = self._blank_props.get(node)
            if (node not in self._inline or props is None or set(props) != {RDF.first, RDF.rest}
                    or len(props[RDF.first]) != 1 or len(props[RDF.rest]) != 1):
                return None
            items.append(next(iter(props[RDF.first])))
            node = next(iter(props[RDF.rest]))
        return items


_NT_ESCAPES = re.compile(r'[\\"\n\r\t]')


def nt_term(term: Node) -> str:
    """A term in N-Triples syntax, which is also how SPARQL writes it (rdflib's n3() writes multi-line
    literals as \"\"\"...\"\"\", which N-Triples has not). Tabs are escaped too: rdflib's SPARQL parser
    expands a raw tab in a string to spaces."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    text = '"' + _NT_ESCAPES.sub(lambda m: _ESCAPES[m.group(0)], str(term)) + '"'
    if term.language:
        return f"{text}@{term.language}"
    return f"{text}^^<{term.datatype}>" if term.datatype is not None else text


def turtle_chunks(triples: TripleSource | Iterable[Triple], progress: Progress = no_progress) -> Iterator[str]:
    """Turtle grouped by subject, subjects, predicates and objects sorted, pvkg's prefixes declared."""
    return TurtleWriter(prefix_map(), progress).chunks(triples)


def turtle_bytes(triples: TripleSource | Iterable[Triple], progress: Progress = no_progress) -> bytes:
    return "".join(turtle_chunks(triples, progress)).encode("utf-8")


def trig_chunks(graphs: Iterable[tuple[URIRef, TripleSource | Iterable[Triple]]],
                progress: Progress = no_progress) -> Iterator[str]:
    """TriG: each (name, triples) pair as a named graph, written as turtle_chunks writes a graph."""
    return TurtleWriter(prefix_map(), progress).graph_chunks(graphs)


def trig_bytes(graphs: Iterable[tuple[URIRef, TripleSource | Iterable[Triple]]]) -> bytes:
    return "".join(trig_chunks(graphs)).encode("utf-8")


def ntriples_chunks(triples: TripleSource | Iterable[Triple], progress: Progress = no_progress) -> Iterator[str]:
    """N-Triples, one line per triple, lines sorted, blank nodes labelled from their content. The lines of
    one subject sort together (its text followed by a space begins each, and no subject's text has a space),
    so they are sorted subject by subject."""
    source = as_source(triples)
    for subject in _in_order(source.subjects(), lambda s: nt_term(s) + " "):
        head, about = nt_term(subject), source.about(subject)
        yield "".join(sorted(f"{head} {nt_term(p)} {nt_term(o)} .\n" for _, p, o in about))
        progress(len(about))


def ntriples_bytes(triples: TripleSource | Iterable[Triple]) -> bytes:
    return "".join(ntriples_chunks(triples)).encode("utf-8")


def prefix_map() -> dict[str, str]:
    """pvkg's prefixes, as prefix: namespace text."""
    return {p: str(ns) for p, ns in PREFIXES.items()}


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
        for subject in _in_order(source.subjects(), lambda s: self.node(s, about=True)):
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
        for subject in _in_order(source.subjects(), self.reference):
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


# ------------------------------------------------------------------------------------------------------
# Writing files: the one layer every output of pvkg goes through. It writes atomically, turns an OSError
# into a WriteError (one line: the path, what failed in plain words, what to do), never replaces a file the
# running command reads, and cleans up only what a dead process left behind.
# ------------------------------------------------------------------------------------------------------

TEMPORARY_SUFFIX = ".tmp"
NEW_FOLDER_SUFFIX, OLD_FOLDER_SUFFIX = ".new", ".old"


@contextmanager
def reporting_write_errors(path: Path, action: str = "write this file") -> Iterator[None]:
    """Run a block that writes `path`; an OSError in it becomes a WriteError about `path`."""
    try:
        yield
    except OSError as error:
        raise WriteError.from_os_error(path, action, error) from None


def make_folder(folder: Path) -> None:
    with reporting_write_errors(folder, CREATE_FOLDER):
        folder.mkdir(parents=True, exist_ok=True)


def check_folder(folder: Path) -> None:
    """Refuse, before any work, a folder to write into that is a file or lies under one."""
    blocking = file_in_the_way(folder)
    if blocking is not None:
        raise WriteError.not_a_folder(blocking)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _try_lock(fd: int) -> bool:
    """Take the advisory lock of an open file or folder without waiting; False when a live process holds it.
    A writer holds the lock of its staging file until the file is in place, and the kernel drops it when
    the writer dies, however it dies: so a staging file whose lock can be taken is a dead writer's."""
    if fcntl is None:  # pragma: no cover - no flock (Windows): there an open file cannot be removed anyway
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_named(fd: int, path: str) -> bool:
    """Whether `path` still names the open file `fd` (a cleaner may have removed it before it was locked)."""
    try:
        named, held = os.stat(path), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _locked_temporary(path: Path, folder: bool = False) -> tuple[int, str]:
    """A new, locked, empty temporary file (or folder) beside `path`: (descriptor, name). Another run's
    cleanup may take one between its making and its locking; then another is made."""
    while True:
        if folder:
            name = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=NEW_FOLDER_SUFFIX, dir=path.parent)
            try:
                fd = os.open(name, os.O_RDONLY)
            except FileNotFoundError:
                continue
        else:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
        if _try_lock(fd) and _still_named(fd, name):
            return fd, name
        os.close(fd)


Content = bytes | Iterable[bytes]  # what a file is written with: its bytes, or its pieces one after the other


def encoded(chunks: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """Pieces of text as UTF-8, gathered into pieces of about `size` characters: fewer, larger writes."""
    pending: list[str] = []
    length = 0
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(pending).encode("utf-8")
            pending, length = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def write_atomic(path: Path, data: Content) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place: a reader (or a
    crash) sees either the old file or the new one, never a half-written one. Pieces are written as they
    come, so a file need never be whole in memory."""
    write_all_atomic({path: data})


def write_all_atomic(files: dict[Path, Content]) -> None:
    """Write several files that belong together (a graph and its description): every one to a temporary
    file on disk first, and only then all renamed into place, so that a failure or a kill before the renames
    leaves every old file as it was. Each temporary file stays locked until it is in place (see
    remove_leftovers); none is left behind when writing fails."""
    for path in files:
        refuse_inputs(path)
    staged: list[tuple[int, str, Path]] = []
    renamed: set[str] = set()
    try:
        for path, data in files.items():
            make_folder(path.parent)
            with reporting_write_errors(path):
                fd, tmp = _locked_temporary(path)
                staged.append((fd, tmp, path))
                os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are for all to read
                _write_all(fd, data)
                os.fsync(fd)
        for _, tmp, path in staged:
            with reporting_write_errors(path):
                os.replace(tmp, path)
            renamed.add(tmp)
        for folder in sorted({path.parent for _, _, path in staged}):
            with reporting_write_errors(folder, "record the new files in this folder"):
                _sync_folder(folder)  # the renames themselves reach the disk
    finally:
        for fd, tmp, _ in staged:
            if tmp not in renamed:
                with suppress(OSError):
                    os.unlink(tmp)
            os.close(fd)  # and with it, the lock


def write_new(path: Path, data: bytes, exists: Callable[[], PvkgError]) -> None:
    """Write a file that must not exist yet: staged beside it, then linked into place, which fails if a file of
    that name is there by then (made meanwhile by someone else too); `exists()` is the error raised then. An
    existing file is never replaced, and a failure leaves no part of the file behind."""
    refuse_inputs(path)
    make_folder(path.parent)
    with reporting_write_errors(path):
        fd, tmp = _locked_temporary(path)
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes the file private; study files are for all to read
            _write_all(fd, data)
            os.fsync(fd)
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise exists() from None
        finally:
            os.unlink(tmp)
            os.close(fd)
    with reporting_write_errors(path.parent, "record the new files in this folder"):
        _sync_folder(path.parent)


def _write_all(fd: int, data: Content) -> None:
    for piece in [data] if isinstance(data, bytes) else data:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view):]


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_stream(stream: BinaryIO, data: Content, name: str = "standard output") -> None:
    """Write to an open stream such as standard output, piece by piece; a reader that went away (`| head`)
    ends the output quietly, any other failure (`> /dev/full`) is a WriteError."""
    try:
        for piece in [data] if isinstance(data, bytes) else data:
            stream.write(piece)
        stream.flush()
    except BrokenPipeError:
        with suppress(OSError):  # nothing more can reach the reader; stop Python complaining at exit
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
    except OSError as error:
        raise WriteError.from_os_error(Path(name), "write to it", error) from None


def remove_leftovers(folder: Path, names: list[str]) -> None:
    """Remove the temporary files of writes to these names that a dead process left behind (killed while
    writing); those of a running writer, which holds their lock, stay."""
    for name in names:
        for leftover in folder.glob(f".{name}.*{TEMPORARY_SUFFIX}"):
            _remove_if_abandoned(leftover, lambda path: path.unlink(missing_ok=True))


def _remove_if_abandoned(path: Path, remove: Callable[[Path], None]) -> None:
    """Remove a staging file or folder when no live process holds its lock."""
    with reporting_write_errors(path, "remove this leftover of an earlier run"):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except (FileNotFoundError, NotADirectoryError):
            return  # gone meanwhile: its writer put it in place
        except PermissionError:
            return  # another user's, whose lock this process cannot even test: left as it is
        except OSError as error:
            if error.errno != errno.ELOOP:
                raise
            path.unlink(missing_ok=True)  # a link named like a leftover: no writer of pvkg made it
            return
        try:
            if _try_lock(fd):
                remove(path)
        finally:
            os.close(fd)


PAGE_FOLDERS = ("docs", "report")  # what `pvkg docs` and `pvkg report` write beside the built graph
PAGE_SUFFIXES = {".html", ".svg", ".css"}  # what such a folder of pages holds


def replace_folder(target: Path, write: Callable[[Path], list[Path]]) -> list[Path]:
    """Write a folder of pages beside `target` (with `write`, which returns the files it wrote), then swap it
    in: no page of an earlier run stays behind, and a failure leaves the earlier folder as it was. The new
    folder has a name of its own and stays locked until it is in place, so that concurrent runs neither
    remove nor mix each other's pages."""
    check_replaceable(target)
    refuse_inputs(target, whole_folder=True)
    make_folder(target.parent)
    for leftover in sorted(target.parent.glob(f".{target.name}.*")):
        if leftover.name.endswith((NEW_FOLDER_SUFFIX, OLD_FOLDER_SUFFIX)):
            _remove_if_abandoned(leftover, lambda path: shutil.rmtree(path, ignore_errors=True))
    with reporting_write_errors(target, CREATE_FOLDER):
        lock, name = _locked_temporary(target, folder=True)
        fresh = Path(name)
        os.fchmod(lock, 0o777 & ~_umask())  # mkdtemp makes the folder private; pages are for everyone to read
    try:
        written = write(fresh)
        asides = _swap_in(fresh, target)
    except WriteError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        raise error.moved(fresh, target) from None
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    finally:
        os.close(lock)
    for aside in asides:
        shutil.rmtree(aside, ignore_errors=True)
    return [target / path.relative_to(fresh) for path in written]


def _swap_in(fresh: Path, target: Path, tries: int = 5) -> list[Path]:
    """Move `target` (if any) aside and `fresh` into its place; returns the folders moved aside. Another run
    may put its own folder there between the two renames: then that one is moved aside in turn (the last
    run's pages stay). On any other failure the folder moved aside is put back."""
    stem = fresh.name[: -len(NEW_FOLDER_SUFFIX)]
    asides = []
    with reporting_write_errors(target, "replace this folder"):
        for attempt in range(tries):
            aside = fresh.with_name(f"{stem}-{attempt}{OLD_FOLDER_SUFFIX}")
            with suppress(FileNotFoundError):
                target.rename(aside)
                asides.append(aside)
            try:
                fresh.rename(target)
                return asides
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == tries - 1:
                    if asides and asides[-1] == aside:
                        with suppress(OSError):
                            aside.rename(target)
                    raise
    return asides  # pragma: no cover - the loop returns or raises


def check_replaceable(target: Path) -> None:
    """Refuse to replace a folder that holds anything but pages pvkg writes (`--out .`, or `--out docs` in a
    checkout, would otherwise swap away files of someone's own), or that is a file."""
    check_folder(target)
    foreign = sorted(str(f.relative_to(target)) for f in target.rglob("*")
                     if f.is_file() and f.suffix not in PAGE_SUFFIXES) if target.is_dir() else []
    if foreign:
        raise UsageError(f"{target}: holds files pvkg does not write ({', '.join(foreign[:3])}), "
                         "and pvkg replaces this folder whole; choose another --out")


# --- the inputs of the running command, which no write may replace ---------------------------------------


@dataclass(frozen=True)
class _Inputs:
    paths: tuple[Path, ...]
    real: tuple[str, ...]  # each path with its links resolved (a loop of links left as it is)
    identities: frozenset[tuple[int, int]]  # (device, inode) of each: hard links too


_INPUTS: ContextVar[_Inputs | None] = ContextVar("pvkg_inputs", default=None)


@contextmanager
def keeping_inputs(paths: Iterable[Path]) -> Iterator[None]:
    """While the block runs, no write may replace one of these files (nor a folder holding one): the
    study, vocabulary and ontology files a command reads, the built graph it exports..."""
    paths = tuple(paths)
    identities = set()
    for path in paths:
        with suppress(OSError):
            info = path.stat()
            identities.add((info.st_dev, info.st_ino))
    token = _INPUTS.set(_Inputs(paths, tuple(os.path.realpath(p) for p in paths), frozenset(identities)))
    try:
        yield
    finally:
        _INPUTS.reset(token)


def refuse_inputs(target: Path, whole_folder: bool = False) -> None:
    """A UsageError when writing `target` would replace a file the running command reads (the same file,
    through a link or a hard link too) or, for a folder replaced whole, a folder that holds one."""
    inputs = _INPUTS.get()
    if inputs is None:
        return
    real = os.path.realpath(target)
    same = real in inputs.real
    if not same:
        with suppress(OSError):
            info = target.stat()
            same = (info.st_dev, info.st_ino) in inputs.identities
    if same:
        raise UsageError(f"{target}: is a file this command reads; write its output somewhere else")
    if whole_folder:
        inside = next((path for path, path_real in zip(inputs.paths, inputs.real, strict=True)
                       if path_real.startswith(real.rstrip(os.sep) + os.sep)), None)
        if inside is not None:
            raise UsageError(f"{target}: holds {display_path(inside)}, which this command reads; write its output "
                             "somewhere else")
