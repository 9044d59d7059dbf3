"""RDF as text (below every stage): N-Triples terms, pvkg's deterministic Turtle, TriG and N-Triples, read a
subject at a time from a TripleSource.

pvkg writes its own Turtle rather than rdflib's: rdflib's serialiser takes over a minute for a million
triples, and its subject order is its own. Here every subject is a block, `a` first, then predicates and
objects sorted by their Turtle text, subjects sorted the same way; a blank node used once is written in
place (`[ ... ]`, or `( ... )` for a list), so the ontology's axioms read as they were written. Blank nodes
that must keep a label are labelled from their content (rdflib's canonicalisation, run on the few triples
that touch blank nodes), so no label depends on the process that parsed them.

Every writer reads its graph a subject at a time and hands out its text as it goes, so that a million triples
read from the built file are never all held as rdflib terms (2 GB and more).
"""


import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from pvkg._namespaces import PREFIXES

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


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


def in_order(subjects: Iterable[Node], key: Callable[[Node], str]) -> list[Node]:
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
        for subject in in_order(named, lambda s: self.term(s) + " "):
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
    for subject in in_order(source.subjects(), lambda s: nt_term(s) + " "):
        head, about = nt_term(subject), source.about(subject)
        yield "".join(sorted(f"{head} {nt_term(p)} {nt_term(o)} .\n" for _, p, o in about))
        progress(len(about))


def ntriples_bytes(triples: TripleSource | Iterable[Triple]) -> bytes:
    return "".join(ntriples_chunks(triples)).encode("utf-8")


def prefix_map() -> dict[str, str]:
    """pvkg's prefixes, as prefix: namespace text."""
    return {p: str(ns) for p, ns in PREFIXES.items()}

