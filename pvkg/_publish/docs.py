"""HTML documentation of the ontology and its SKOS concept schemes, from our own templates
(pvkg/templates/docs*.html, autoescaped).

`write_docs(graph, out_dir)` writes `index.html` (the ontology: header, classes, properties, named
individuals, the reused external terms) and one page per concept scheme (`scheme-<id>.html`: its concept
hierarchy as nested lists). The pages are polyglot HTML5 (well-formed XML), with their CSS inline, so the
folder reads from disk without a server. Only ontology terms and concept schemes are documented, never
studies or findings.

Every documented term has a stable anchor: the local name for terms of the ontology's namespace
(`#Study`, `#reportedIn`), `scheme-<id>` and `concept-<scheme>-<id>` for SKOS (`#concept-value-transparency`)
and `ext-<prefix>-<name>` for reused terms (`#ext-prov-Entity`). Every reference to a documented term links
to its anchor; any other IRI is shown as a prefixed name (or whole) linking to itself. The element holding a
term's anchor also holds its IRI (`data-iri`), so that `documented_terms` tells other pages (the server's
/ontology) where the pages written in a folder document each term.

Same graph, same bytes: everything is sorted, blank nodes are shown only through what they say (class
expressions in a Manchester-like text), and nothing depends on the time or the machine.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from pvkg._files import write_atomic
from pvkg._namespaces import BASE, ID, ONTOLOGY_IRI, PREFIXES, PVKG, VANN
from pvkg._rdftext import Compactor

INDEX = "index.html"
LABEL_LANGUAGE = "en"
DEFAULT_NAMESPACE = str(PVKG._NS)

_environment = Environment(
    loader=PackageLoader("pvkg", "templates"),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

# Languages written right to left (primary subtag), and scripts that decide it when the tag names one
_RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "syr", "ug", "ur", "yi"}
_RTL_SCRIPTS = {"adlm", "arab", "hebr", "nkoo", "rohg", "syrc", "thaa"}

_CHARACTERISTICS = [
    (OWL.FunctionalProperty, "functional"),
    (OWL.InverseFunctionalProperty, "inverse functional"),
    (OWL.TransitiveProperty, "transitive"),
    (OWL.SymmetricProperty, "symmetric"),
    (OWL.AsymmetricProperty, "asymmetric"),
    (OWL.ReflexiveProperty, "reflexive"),
    (OWL.IrreflexiveProperty, "irreflexive"),
]
_KINDS = [
    ("class", "Class", "Classes", (OWL.Class, RDFS.Class)),
    ("object-property", "Object property", "Object properties", (OWL.ObjectProperty,)),
    ("datatype-property", "Datatype property", "Datatype properties", (OWL.DatatypeProperty,)),
    ("annotation-property", "Annotation property", "Annotation properties", (OWL.AnnotationProperty,)),
]
# What each kind of term is called on the pages (the kind tags here, the kinds on the server's /ontology), in the
# order a term's kinds are shown
KIND_NAMES: dict[URIRef, str] = {
    **{t: name.lower() for _, name, _, types in _KINDS for t in types},
    RDF.Property: "property",
    **dict(_CHARACTERISTICS),
    OWL.NamedIndividual: "individual",
    SKOS.ConceptScheme: "concept scheme",
    SKOS.Concept: "concept",
    OWL.Ontology: "ontology",
}
_RESTRICTIONS = [
    (OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value"),
]
_CARDINALITIES = [
    (OWL.cardinality, "exactly"), (OWL.qualifiedCardinality, "exactly"),
    (OWL.minCardinality, "min"), (OWL.minQualifiedCardinality, "min"),
    (OWL.maxCardinality, "max"), (OWL.maxQualifiedCardinality, "max"),
]
_FACETS = {
    "minInclusive": ">=", "minExclusive": ">", "maxInclusive": "<=", "maxExclusive": "<",
}
_LABELS = (RDFS.label, SKOS.prefLabel)
# Characters XML 1.0 does not allow (a literal may hold them); each is shown as U+FFFD
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Ontology header fields shown in this order; other annotations of the ontology follow them
_HEADER = [
    (DCTERMS.description, "Description"), (OWL.versionInfo, "Version"), (OWL.versionIRI, "Version IRI"),
    (OWL.priorVersion, "Prior version"), (DCTERMS.license, "License"), (DCTERMS.creator, "Creators"),
    (DCTERMS.contributor, "Contributors"), (DCTERMS.publisher, "Publisher"), (DCTERMS.created, "Created"),
    (DCTERMS.modified, "Modified"), (DCTERMS.issued, "Issued"), (OWL.imports, "Imports"),
    (VANN.preferredNamespacePrefix, "Preferred prefix"), (VANN.preferredNamespaceUri, "Preferred namespace"),
]
_HEADER_SKIP = {RDF.type, DCTERMS.title, RDFS.label}
# Notes shown for every term, after its links, when it has them
_NOTES = [
    (SKOS.scopeNote, "Scope note"), (SKOS.example, "Example"), (SKOS.editorialNote, "Editorial note"),
    (SKOS.historyNote, "History note"), (SKOS.changeNote, "Change note"), (RDFS.seeAlso, "See also"),
    (RDFS.isDefinedBy, "Defined by"), (DCTERMS.source, "Source"),
]
_MAPPINGS = [
    (SKOS.related, "Related"), (SKOS.exactMatch, "Exact match"), (SKOS.closeMatch, "Close match"),
    (SKOS.broadMatch, "Broad match"), (SKOS.narrowMatch, "Narrow match"), (SKOS.relatedMatch, "Related match"),
]


# ------------------------------------------------------------------------------------------------------
# What the templates receive
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A literal as the page shows it: its text and language (None for a plain or typed literal)."""

    text: str
    lang: str | None = None

    @property
    def rtl(self) -> bool:
        if not self.lang:
            return False
        subtags = self.lang.lower().split("-")
        scripts = [s for s in subtags[1:] if len(s) == 4 and s.isalpha()]
        if scripts:
            return scripts[0] in _RTL_SCRIPTS
        return subtags[0] in _RTL_LANGUAGES

    @property
    def paragraphs(self) -> list[str]:
        """The text split at blank lines, each paragraph's hard line breaks joined."""
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", self.text) if p.strip()] or [""]


@dataclass
class Row:
    """One line of a term's description: a name, then literals (texts) or rendered links (links)."""

    name: str
    texts: list[Text] = field(default_factory=list)
    links: list[Markup] = field(default_factory=list)
    block: bool = False  # texts shown as paragraphs (definitions) rather than inline


@dataclass
class TermView:
    anchor: str
    iri: str
    name: str  # prefixed name, or the IRI
    label: str
    kinds: list[str]
    rows: list[Row]
    deprecated: bool = False


@dataclass
class ConceptNode:
    """A concept in a scheme's tree. A concept met again under a second broader concept is shown once in
    full (with its anchor); later places show a link to it (`repeat`)."""

    view: TermView
    repeat: bool
    children: list[ConceptNode]


@dataclass
class SchemeView:
    anchor: str
    file: str
    iri: str
    label: str
    labels: list[Text]
    rows: list[Row]
    concept_count: int
    top_count: int
    tree: list[ConceptNode] = field(default_factory=list)
    unplaced: list[ConceptNode] = field(default_factory=list)
    index: list[tuple[str, str]] = field(default_factory=list)  # (label, anchor), alphabetical


@dataclass
class Section:
    anchor: str
    title: str
    terms: list[TermView]


@dataclass(frozen=True)
class Target:
    page: str
    anchor: str


# ------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    """Text as an XML id (an NCName of ASCII letters, digits, '.', '-', '_')."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")
    return slug if re.match(r"[A-Za-z_]", slug) else f"x-{slug}"


def _segments(iri: str) -> list[str]:
    return [s for s in re.split(r"[/#]", iri) if s]


def _sort_key(text: str) -> tuple[str, str]:
    return text.casefold(), text


class _Ids:
    """Hands out anchors, each once across the whole site, so that every page's ids are unique."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        anchor, n = wanted, 2
        while anchor in self.used:
            anchor, n = f"{wanted}-{n}", n + 1
        self.used.add(anchor)
        return anchor


def _text_key(t: Text) -> tuple[bool, str, str]:
    """English first, then by language, then by text."""
    return t.lang != LABEL_LANGUAGE, t.lang or "", t.text


def _literal_texts(values) -> list[Text]:
    return sorted({Text(str(v), v.language) for v in values if isinstance(v, Literal)}, key=_text_key)


def _texts(graph: Graph, subject: Node, *predicates: URIRef) -> list[Text]:
    return _literal_texts(o for p in predicates for o in graph.objects(subject, p))


def _best(texts: list[Text]) -> str | None:
    """The English text, else one without a language, else the first by language."""
    for wanted in (LABEL_LANGUAGE, None):
        for t in texts:
            if t.lang == wanted:
                return t.text
    return texts[0].text if texts else None


def _uris(nodes) -> list[URIRef]:
    return sorted({n for n in nodes if isinstance(n, URIRef)})


def _is_web(iri: str) -> bool:
    return iri.startswith(("http://", "https://"))


# ------------------------------------------------------------------------------------------------------
# The site
# ------------------------------------------------------------------------------------------------------


class _Catalogue:
    """What the graph holds for the site: the main ontology, its own and reused terms, the concept schemes and each
    concept's home page, every anchor; and each term's name and label. A part of _Site, whose state it uses."""

    def _main_ontology(self) -> URIRef | None:
        ontologies = _uris(self.g.subjects(RDF.type, OWL.Ontology))
        if ONTOLOGY_IRI in ontologies:
            return ONTOLOGY_IRI
        imported = set(self.g.objects(None, OWL.imports))
        roots = [o for o in ontologies if o not in imported]
        return (roots or ontologies or [None])[0]

    def own(self, term: Node) -> bool:
        return isinstance(term, URIRef) and str(term).startswith(self.ns) and len(term) > len(self.ns)

    def _typed(self, *types: URIRef) -> list[URIRef]:
        return _uris(s for t in types for s in self.g.subjects(RDF.type, t))

    def _collect(self) -> None:
        g = self.g
        self.kinds: dict[str, list[URIRef]] = {}
        declared: set[URIRef] = set()
        for key, _, _, types in _KINDS:
            terms = self._typed(*types)
            declared.update(terms)
            self.kinds[key] = sorted((t for t in terms if self.own(t)), key=lambda t: _sort_key(self.local(t)))
        self.classes = set(self._typed(OWL.Class, RDFS.Class))
        self.individuals = sorted(
            (s for s in _uris(g.subjects(RDF.type, None))
             if self.own(s) and s not in declared
             and any(t == OWL.NamedIndividual or t in self.classes for t in g.objects(s, RDF.type))),
            key=lambda t: _sort_key(self.local(t)))
        done = declared | set(self.individuals) | set(g.subjects(RDF.type, OWL.Ontology))
        self.other = sorted((s for s in _uris(g.subjects()) if self.own(s) and s not in done),
                            key=lambda t: _sort_key(self.local(t)))
        self.external = sorted((t for t in declared if not self.own(t)), key=lambda t: _sort_key(self.name(t)))
        self.imported = [o for o in _uris(g.subjects(RDF.type, OWL.Ontology)) if o != self.ontology]

        # SKOS: schemes, their concepts, and each concept's home page (its first scheme)
        members: dict[URIRef, set[URIRef]] = defaultdict(set)
        for c, s in [*g.subject_objects(SKOS.inScheme), *g.subject_objects(SKOS.topConceptOf),
                     *((c, s) for s, c in g.subject_objects(SKOS.hasTopConcept))]:
            if isinstance(c, URIRef) and isinstance(s, URIRef):
                members[s].add(c)
        schemes = set(self._typed(SKOS.ConceptScheme)) | set(members)
        self.concepts = set(self._typed(SKOS.Concept)) | {c for cs in members.values() for c in cs}
        self.members = {s: members.get(s, set()) for s in schemes}
        self.schemes = sorted(schemes, key=lambda s: (*_sort_key(self.label(s)), str(s)))
        self.unschemed = sorted(self.concepts - {c for cs in self.members.values() for c in cs},
                                key=self.concept_key)

        # anchors: own terms, then reused terms, then schemes and concepts
        for key, _, _, _ in _KINDS:
            for term in self.kinds[key]:
                self.targets.setdefault(term, Target(INDEX, self.ids.take(_slug(self.local(term)))))
        for term in [*self.individuals, *self.other]:
            self.targets.setdefault(term, Target(INDEX, self.ids.take(_slug(self.local(term)))))
        for term in [*self.imported, *self.external]:
            name = self.name(term)
            wanted = name.replace(":", "-") if name != str(term) else "-".join(_segments(str(term))[-2:])
            self.targets.setdefault(term, Target(INDEX, self.ids.take("ext-" + _slug(wanted))))
        self.scheme_files: dict[URIRef, str] = {}
        for scheme in self.schemes:
            tail = str(scheme)[len(ID["scheme/"]):] if str(scheme).startswith(ID["scheme/"]) else \
                _segments(str(scheme))[-1] if _segments(str(scheme)) else "scheme"
            anchor = self.ids.take("scheme-" + _slug(tail))
            self.scheme_files[scheme] = f"{anchor}.html"
            self.targets[scheme] = Target(f"{anchor}.html", anchor)
        for scheme in self.schemes:
            for concept in sorted(self.members[scheme], key=self.concept_key):
                if concept not in self.targets:
                    self.targets[concept] = Target(self.scheme_files[scheme], self.ids.take(self.concept_id(concept)))
        for concept in self.unschemed:
            self.targets[concept] = Target(INDEX, self.ids.take(self.concept_id(concept)))

    def concept_id(self, concept: URIRef) -> str:
        iri = str(concept)
        tail = iri[len(BASE + "id/"):] if iri.startswith(BASE + "id/") else "-".join(_segments(iri)[-2:])
        return "concept-" + _slug(tail)

    def concept_key(self, concept: Node) -> tuple[str, str, str]:
        return (*_sort_key(self.label(concept)), str(concept))

    def local(self, term: URIRef) -> str:
        return str(term)[len(self.ns):] if self.own(term) else str(term)

    def name(self, term: URIRef) -> str:
        """A prefixed name where a known prefix fits and the rest is a simple local name, else the IRI."""
        found = self._compact.split(term)
        if found is None:
            return str(term)
        self.used_prefixes.add(found[0])
        return f"{found[0]}:{found[2]}"

    def label(self, term: Node) -> str:
        found = _best(_texts(self.g, term, *_LABELS, DCTERMS.title))
        if found:
            return found
        return self.local(term) if isinstance(term, URIRef) else ""


class _Markup:
    """References and class expressions as markup: a term as a link to its anchor, a literal with its language, an OWL
    expression written out in words. A part of _Site, whose state it uses."""

    def href(self, target: Target, page: str) -> str:
        return f"#{target.anchor}" if target.page == page else f"{target.page}#{target.anchor}"

    def ref(self, term: Node, page: str) -> Markup:
        """A link to a term: its anchor when documented, else the IRI itself."""
        if isinstance(term, BNode):
            return self.expr(term, page)
        if isinstance(term, Literal):
            return self.literal(Text(str(term), term.language))
        iri = str(term)
        target = self.targets.get(term)
        if term in self.concepts or term in self.members:  # SKOS: by label
            text, title = escape(self.label(term)), iri
        else:  # ontology terms: by prefixed name
            label = _best(_texts(self.g, term, *_LABELS))
            text = Markup("<code>{}</code>").format(self.name(term))
            title = f"{label} ({iri})" if label else iri
            if label and target is None:  # not documented here: say what it is, beside its IRI
                text = Markup("{} {}").format(label, text)
        if target is not None:
            return Markup('<a href="{}" title="{}">{}</a>').format(self.href(target, page), title, text)
        if _is_web(iri):
            return Markup('<a class="external" href="{}" title="{}">{}</a>').format(iri, title, text)
        return Markup('<span title="{}">{}</span>').format(title, text)

    def literal(self, text: Text) -> Markup:
        return Markup(_environment.get_template("docs_macros.html").module.text(text))

    def expr(self, node: Node, page: str, nested: bool = False, seen: frozenset = frozenset()) -> Markup:
        """An OWL class, property or data range expression in a Manchester-like text."""
        if not isinstance(node, BNode):
            return self.ref(node, page)
        g = self.g
        if node in seen:
            return Markup('<span class="anon">(cyclic expression)</span>')
        inner = seen | {node}

        def sub(n: Node) -> Markup:
            return self.expr(n, page, True, inner)

        def kw(word: str) -> Markup:
            return Markup(' <span class="kw">{}</span> ').format(word)

        def wrap(m: Markup) -> Markup:
            return Markup("({})").format(m) if nested else m

        def items(n: Node) -> list[Markup]:
            return [sub(m) for m in g.items(n)]

        prop = g.value(node, OWL.onProperty)
        if prop is not None:
            p = sub(prop)
            for predicate, word in _RESTRICTIONS:
                value = g.value(node, predicate)
                if value is not None:
                    return wrap(p + kw(word) + sub(value))
            if g.value(node, OWL.hasSelf) is not None:
                return wrap(p + kw("Self").rstrip())
            for predicate, word in _CARDINALITIES:
                n = g.value(node, predicate)
                if n is not None:
                    filler = g.value(node, OWL.onClass) or g.value(node, OWL.onDataRange)
                    text = p + kw(word) + escape(str(n))
                    return wrap(text + (Markup(" ") + sub(filler) if filler is not None else Markup("")))
        if (inverse := g.value(node, OWL.inverseOf)) is not None:
            return wrap(kw("inverse").lstrip() + sub(inverse))
        for predicate, word in ((OWL.unionOf, "or"), (OWL.intersectionOf, "and")):
            members = g.value(node, predicate)
            if members is not None:
                return wrap(kw(word).join(items(members)))
        if (complement := g.value(node, OWL.complementOf) or g.value(node, OWL.datatypeComplementOf)) is not None:
            return wrap(kw("not").lstrip() + sub(complement))
        if (one_of := g.value(node, OWL.oneOf)) is not None:
            return Markup("{{{}}}").format(Markup(", ").join(items(one_of)))
        if (datatype := g.value(node, OWL.onDatatype)) is not None:
            facets = []
            for facet in g.items(g.value(node, OWL.withRestrictions)):
                for predicate, value in sorted(g.predicate_objects(facet)):
                    local = str(predicate).rsplit("#", 1)[-1]
                    facets.append(Markup("{} {}").format(_FACETS.get(local, local), str(value)))
            return Markup("{}[{}]").format(self.ref(datatype, page), Markup(", ").join(facets))
        return Markup('<span class="anon">(anonymous expression)</span>')

    def refs(self, nodes, page: str) -> list[Markup]:
        """Rendered references, named terms first in name order, then expressions in text order."""
        nodes = set(nodes)
        named = [n for n in nodes if isinstance(n, URIRef)]
        skos = [n for n in named if n in self.concepts or n in self.members]
        terms = [n for n in named if n not in self.concepts and n not in self.members]
        named = sorted(skos, key=self.concept_key) + sorted(terms, key=lambda t: (*_sort_key(self.name(t)), str(t)))
        anonymous = sorted((self.expr(n, page) for n in nodes if isinstance(n, BNode)), key=str)
        literals = [self.literal(t) for t in _literal_texts(nodes)]
        return [self.ref(n, page) for n in named] + anonymous + literals


class _Rows:
    """The rows of a term's table: its texts, its links, the values of a property both ways, the notes every term
    shows. A part of _Site, whose state it uses."""

    def text_row(self, rows: list[Row], name: str, subject: Node, *predicates: URIRef, block=False) -> None:
        texts = _texts(self.g, subject, *predicates)
        if texts:
            rows.append(Row(name, texts=texts, block=block))

    def link_row(self, rows: list[Row], name: str, nodes, page: str) -> None:
        links = self.refs(nodes, page)
        if links:
            rows.append(Row(name, links=links))

    def objects(self, subject: Node, predicate: URIRef) -> set[Node]:
        return set(self.g.objects(subject, predicate))

    def both_ways(self, term: Node, predicate: URIRef) -> set[Node]:
        return (self.objects(term, predicate) | set(self.g.subjects(predicate, term))) - {term}

    def list_mates(self, term: Node, kind: URIRef, member_predicates: tuple[URIRef, ...]) -> set[Node]:
        """The other members of every `kind` axiom (owl:AllDisjointClasses...) that lists the term."""
        mates: set[Node] = set()
        for axiom in self.g.subjects(RDF.type, kind):
            for predicate in member_predicates:
                for head in self.g.objects(axiom, predicate):
                    listed = list(self.g.items(head))
                    if term in listed:
                        mates.update(listed)
        return mates - {term}

    def common_rows(self, term: URIRef) -> list[Row]:
        rows: list[Row] = []
        self.text_row(rows, "Labels", term, *_LABELS)
        self.text_row(rows, "Alternative labels", term, SKOS.altLabel)
        self.text_row(rows, "Definition", term, SKOS.definition, block=True)
        self.text_row(rows, "Comment", term, RDFS.comment, block=True)
        return rows

    def note_rows(self, rows: list[Row], term: URIRef, page: str) -> None:
        for predicate, name in _NOTES:
            values = self.objects(term, predicate)
            texts = _literal_texts(values)
            links = self.refs((v for v in values if not isinstance(v, Literal)), page)
            if texts or links:
                rows.append(Row(name, texts=texts, links=links))

    def term_view(self, term: URIRef, kinds: list[str], rows: list[Row]) -> TermView:
        deprecated = any(str(v).lower() == "true" for v in self.g.objects(term, OWL.deprecated))
        target = self.targets[term]
        return TermView(target.anchor, str(term), self.name(term), self.label(term), kinds, rows, deprecated)


class _OntologyPage:
    """The ontology's page: its header, and every class, property and individual with its rows. A part of _Site, whose
    state it uses."""

    def class_view(self, cls: URIRef) -> TermView:
        g, page = self.g, INDEX
        rows = self.common_rows(cls)
        supers = self.objects(cls, RDFS.subClassOf)
        self.link_row(rows, "Subclass of", supers, page)
        self.link_row(rows, "Subclasses", (s for s in g.subjects(RDFS.subClassOf, cls) if isinstance(s, URIRef)),
                      page)
        self.link_row(rows, "Equivalent to", self.both_ways(cls, OWL.equivalentClass), page)
        disjoint = self.both_ways(cls, OWL.disjointWith) | self.list_mates(cls, OWL.AllDisjointClasses,
                                                                           (OWL.members,))
        self.link_row(rows, "Disjoint with", disjoint, page)
        for head in g.objects(cls, OWL.disjointUnionOf):
            rows.append(Row("Disjoint union of", links=[Markup(", ").join(self.refs(g.items(head), page))]))
        domain_of, range_of = set(), set()
        for predicate, found in ((RDFS.domain, domain_of), (RDFS.range, range_of)):
            for prop, value in g.subject_objects(predicate):
                if value == cls or (isinstance(value, BNode) and cls in self._union_members(value)):
                    found.add(prop)
        self.link_row(rows, "In the domain of", domain_of, page)
        self.link_row(rows, "In the range of", range_of, page)
        self.link_row(rows, "Members", (i for i in g.subjects(RDF.type, cls) if i in self.targets
                                        and self.targets[i].page == INDEX and i not in self.concepts), page)
        concept_schemes = []
        for scheme in self.schemes:
            count = sum(1 for c in self.members[scheme] if (c, RDF.type, cls) in g)
            if count:
                concept_schemes.append(self.ref(scheme, page) + Markup(' <span class="muted">({} concept{})</span>')
                                       .format(count, "" if count == 1 else "s"))
        if concept_schemes:
            rows.append(Row("Concepts of this class", links=concept_schemes))
        self.note_rows(rows, cls, page)
        return self.term_view(cls, ["class"], rows)

    def _union_members(self, node: BNode) -> set[Node]:
        head = self.g.value(node, OWL.unionOf)
        return set(self.g.items(head)) if head is not None else set()

    def property_view(self, prop: URIRef, kind: str) -> TermView:
        g, page = self.g, INDEX
        types = self.objects(prop, RDF.type)
        characteristics = [name for t, name in _CHARACTERISTICS if t in types]
        rows = self.common_rows(prop)
        self.link_row(rows, "Domain", self.objects(prop, RDFS.domain), page)
        self.link_row(rows, "Range", self.objects(prop, RDFS.range), page)
        self.link_row(rows, "Sub-property of", self.objects(prop, RDFS.subPropertyOf), page)
        self.link_row(rows, "Sub-properties", (s for s in g.subjects(RDFS.subPropertyOf, prop)
                                               if isinstance(s, URIRef)), page)
        self.link_row(rows, "Inverse of", self.both_ways(prop, OWL.inverseOf), page)
        self.link_row(rows, "Equivalent to", self.both_ways(prop, OWL.equivalentProperty), page)
        self.link_row(rows, "Disjoint with", self.both_ways(prop, OWL.propertyDisjointWith)
                      | self.list_mates(prop, OWL.AllDisjointProperties, (OWL.members,)), page)
        for head in g.objects(prop, OWL.propertyChainAxiom):
            rows.append(Row("Property chain", links=[Markup(' <span class="kw">o</span> ').join(
                self.expr(p, page) for p in g.items(head))]))
        restricted = {c for c, r in [*g.subject_objects(RDFS.subClassOf), *g.subject_objects(OWL.equivalentClass)]
                      if isinstance(c, URIRef) and isinstance(r, BNode) and (r, OWL.onProperty, prop) in g}
        self.link_row(rows, "Restricted on", restricted, page)
        self.note_rows(rows, prop, page)
        return self.term_view(prop, [kind, *characteristics], rows)

    def individual_view(self, term: URIRef) -> TermView:
        page = INDEX
        rows = self.common_rows(term)
        self.link_row(rows, "Type", self.objects(term, RDF.type) - {OWL.NamedIndividual}, page)
        self.link_row(rows, "Same as", self.both_ways(term, OWL.sameAs), page)
        different = self.both_ways(term, OWL.differentFrom) | self.list_mates(
            term, OWL.AllDifferent, (OWL.distinctMembers, OWL.members))
        self.link_row(rows, "Different from", different, page)
        self.note_rows(rows, term, page)
        return self.term_view(term, ["individual"], rows)

    def other_view(self, term: URIRef) -> TermView:
        rows = self.common_rows(term)
        self.link_row(rows, "Type", self.objects(term, RDF.type), INDEX)
        self.note_rows(rows, term, INDEX)
        return self.term_view(term, ["term"], rows)

    def external_view(self, term: URIRef) -> TermView:
        """A reused term, briefly: its kind, label and definition (English where there is one)."""
        kinds = [kind for _, kind, _, types in _KINDS if any((term, RDF.type, t) in self.g for t in types)]
        definitions = _texts(self.g, term, SKOS.definition, RDFS.comment)
        rows = [Row("Definition", texts=definitions[:1])] if definitions else []
        return self.term_view(term, kinds, rows)

    def header_rows(self) -> list[Row]:
        if self.ontology is None:
            return []
        g, page = self.g, INDEX
        rows: list[Row] = []
        others = set(g.predicates(self.ontology, None)) - {p for p, _ in _HEADER} - _HEADER_SKIP
        for predicate, name in [*_HEADER, *((p, self.name(p)) for p in sorted(others, key=self.name))]:
            values = self.objects(self.ontology, predicate)
            if not values:
                continue
            if predicate == DCTERMS.description:
                self.text_row(rows, name, self.ontology, predicate, block=True)
                continue
            links = self.refs((v for v in values if not isinstance(v, Literal)), page)
            if predicate == OWL.imports:  # each imported ontology with its title
                links = [Markup("{} {}").format(self.ref(v, page), self.label(v)) if v in self.imported
                         else self.ref(v, page) for v in _uris(values)]
            rows.append(Row(name, texts=_literal_texts(values), links=links))
        return rows


class _SchemePages:
    """A page per concept scheme: its hierarchy of concepts, each with its rows. A part of _Site, whose state it
    uses."""

    def concept_view(self, concept: URIRef, scheme: URIRef | None, parent: URIRef | None, page: str) -> TermView:
        g = self.g
        rows: list[Row] = []
        self.text_row(rows, "Preferred labels", concept, SKOS.prefLabel)
        self.text_row(rows, "Alternative labels", concept, SKOS.altLabel)
        self.text_row(rows, "Hidden labels", concept, SKOS.hiddenLabel)
        self.text_row(rows, "Labels", concept, RDFS.label)
        self.text_row(rows, "Notation", concept, SKOS.notation)
        self.text_row(rows, "Identifier", concept, DCTERMS.identifier)
        self.text_row(rows, "Definition", concept, SKOS.definition, block=True)
        self.link_row(rows, "Type", self.objects(concept, RDF.type) - {SKOS.Concept}, page)
        broader = (self.objects(concept, SKOS.broader) | set(g.subjects(SKOS.narrower, concept))) - {parent}
        self.link_row(rows, "Also under" if parent is not None else "Broader", broader, page)
        for predicate, name in _MAPPINGS:
            self.link_row(rows, name, self.objects(concept, predicate), page)
        self.link_row(rows, "Also in scheme", {s for s, cs in self.members.items() if concept in cs} - {scheme}, page)
        self.note_rows(rows, concept, page)
        target = self.targets[concept]
        return TermView(target.anchor, str(concept), str(concept), self.label(concept), ["concept"], rows)

    def scheme_view(self, scheme: URIRef) -> SchemeView:
        g = self.g
        page = self.scheme_files[scheme]
        members = self.members[scheme]
        narrower: dict[URIRef, set[URIRef]] = defaultdict(set)
        for c in members:
            for b in self.objects(c, SKOS.broader) | set(g.subjects(SKOS.narrower, c)):
                if b in members:
                    narrower[b].add(c)
            for n in self.objects(c, SKOS.narrower) | set(g.subjects(SKOS.broader, c)):
                if n in members:
                    narrower[c].add(n)
        declared_tops = {c for c in members if (scheme, SKOS.hasTopConcept, c) in g
                         or (c, SKOS.topConceptOf, scheme) in g}
        has_parent = {n for ns in narrower.values() for n in ns}
        tops = sorted(declared_tops | (members - has_parent), key=self.concept_key)
        placed: set[URIRef] = set()

        def node(c: URIRef, parent: URIRef | None, path: frozenset) -> ConceptNode:
            if c in placed or c in path:
                return ConceptNode(self.concept_view(c, scheme, parent, page), True, [])
            placed.add(c)
            children = [node(n, c, path | {c}) for n in sorted(narrower[c], key=self.concept_key)]
            return ConceptNode(self.concept_view(c, scheme, parent, page), False, children)

        tree = [node(c, None, frozenset()) for c in tops]
        unplaced = []  # concepts only reachable through a cycle of broader concepts
        while rest := sorted(members - placed, key=self.concept_key):
            unplaced.append(node(rest[0], None, frozenset()))
        rows: list[Row] = []
        self.text_row(rows, "Definition", scheme, SKOS.definition, block=True)
        self.text_row(rows, "Description", scheme, DCTERMS.description, RDFS.comment, block=True)
        self.note_rows(rows, scheme, page)
        labels = _texts(g, scheme, SKOS.prefLabel, DCTERMS.title, RDFS.label)
        index = [(self.label(c), self.targets[c].anchor) for c in sorted(members, key=self.concept_key)]
        anchor = self.targets[scheme].anchor
        return SchemeView(anchor, page, str(scheme), self.label(scheme), labels, rows, len(members),
                          len(tops), tree, unplaced, index)


class _Site(_Catalogue, _Markup, _Rows, _OntologyPage, _SchemePages):
    """The documentation site of one graph: its parts (the classes above) over the state set here."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.ids = _Ids()
        self.targets: dict[Node, Target] = {}
        self.used_prefixes: set[str] = set()
        self.ontology = self._main_ontology()
        preferred = self.g.value(self.ontology, VANN.preferredNamespaceUri) if self.ontology else None
        self.ns = str(preferred) if preferred else DEFAULT_NAMESPACE
        prefix = self.g.value(self.ontology, VANN.preferredNamespacePrefix) if self.ontology else None
        prefixes = {p: str(ns) for p, ns in PREFIXES.items() if str(ns) != self.ns}
        prefixes[str(prefix) if prefix else "pvkg"] = self.ns
        self.prefixes = dict(sorted(prefixes.items()))
        self._compact = Compactor(self.prefixes, re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*"))
        self.sections = {key: self.ids.take(f"sec-{key}") for key in (
            "ontology", "namespaces", "class", "object-property", "datatype-property", "annotation-property",
            "individual", "other", "schemes", "unschemed", "external")}
        self.ids.take("toc")
        self.ids.take("sec-concepts")
        self._collect()

    def pages(self) -> dict[str, str]:
        sections: list[Section] = []
        for key, kind, title, _ in _KINDS:
            terms = [self.class_view(t) if key == "class" else self.property_view(t, kind.lower())
                     for t in self.kinds[key]]
            sections.append(Section(self.sections[key], title, terms))
        sections.append(Section(self.sections["individual"], "Named individuals",
                                [self.individual_view(t) for t in self.individuals]))
        sections.append(Section(self.sections["other"], "Other terms", [self.other_view(t) for t in self.other]))
        sections = [s for s in sections if s.terms]
        schemes = [self.scheme_view(s) for s in self.schemes]
        unschemed = [self.concept_view(c, None, None, INDEX) for c in self.unschemed]
        external = [self.external_view(t) for t in self.external]
        imported = [self.external_view(o) for o in self.imported]
        header = self.header_rows()
        titles = _texts(self.g, self.ontology, DCTERMS.title) if self.ontology is not None else []
        title = _best(titles) or (self.label(self.ontology) if self.ontology is not None else "") or \
            "Ontology documentation"
        namespaces = [(p, ns) for p, ns in self.prefixes.items() if p in self.used_prefixes or ns == self.ns]
        common = {"title": title, "schemes": schemes, "index_file": INDEX}
        ontology = str(self.ontology) if self.ontology is not None else None
        out = {INDEX: _environment.get_template("docs_index.html").render(
            **common, ontology=ontology, titles=titles, header=header, sections=sections, namespaces=namespaces,
            unschemed=unschemed, external=external, imported=imported, ids=self.sections)}
        for scheme in schemes:
            out[scheme.file] = _environment.get_template("docs_scheme.html").render(**common, scheme=scheme)
        return out


def documented_terms(folder: Path) -> dict[str, str]:
    """Where the documentation written in `folder` describes each term: IRI -> "page.html#anchor" (index.html
    first, where a term is on several pages). Empty when the folder holds none; a page that is not the
    well-formed XML write_docs writes is passed over."""
    found: dict[str, str] = {}
    for page in sorted(Path(folder).glob("*.html"), key=lambda p: (p.name != INDEX, p.name)):
        try:
            elements = ET.parse(page).iter()
        except (ET.ParseError, OSError):
            continue
        for element in elements:
            iri, anchor = element.get("data-iri"), element.get("id")
            if iri and anchor:
                found.setdefault(iri, f"{page.name}#{anchor}")
    return found


def write_docs(graph: Graph, out_dir: Path) -> list[Path]:
    """Write HTML documentation of the ontology terms and SKOS concept schemes in `graph` to `out_dir`:
    index.html and one scheme-<id>.html per concept scheme. Returns the files written, index first."""
    pages = _Site(graph).pages()
    written = []
    for name, html in pages.items():
        path = Path(out_dir) / name
        write_atomic(path, _NOT_XML.sub("\ufffd", html).encode("utf-8"))  # a failure is a WriteError
        written.append(path)
    return written
