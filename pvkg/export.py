"""Stage 8: output. Deterministic Turtle (same input, same bytes) and atomic file writes.

pvkg writes its own Turtle rather than rdflib's: rdflib's serialiser takes over a minute for a million
triples, and its subject order is its own. Here every subject is a block, `a` first, then predicates and
objects sorted by their Turtle text, subjects sorted the same way; a blank node used once is written in
place (`[ ... ]`, or `( ... )` for a list), so the ontology's axioms read as they were written. Blank nodes
that must keep a label are labelled from their content (rdflib's canonicalisation, run on the few triples
that touch blank nodes), so no label depends on the process that parsed them.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from .load import PREFIXES

Triple = tuple[Node, Node, Node]
# Local names written as prefix:name; anything else (a '/', a leading digit...) is written as <IRI>
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_SHORT_STRING = re.compile(r'[\\"\n\r\t\b\f]')
_LONG_STRING = re.compile(r'[\\"\r\b\f]')  # a """ string keeps its newlines and tabs as they are
INDENT = "    "


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


class TurtleWriter:
    def __init__(self, prefixes: dict[str, str]):
        # longest namespace first, so that a namespace inside another (id: inside pvkg's base) wins
        self.prefixes = sorted(((str(ns), p) for p, ns in prefixes.items()), key=lambda x: -len(x[0]))
        self.declared = dict(sorted(prefixes.items()))
        self._names: dict[URIRef, str] = {}

    def iri(self, term: URIRef) -> str:
        name = self._names.get(term)
        if name is None:
            text = str(term)
            name = f"<{text}>"
            for ns, prefix in self.prefixes:
                if text.startswith(ns) and (text == ns or _LOCAL_NAME.match(text[len(ns):])):
                    name = f"{prefix}:{text[len(ns):]}"
                    break
            self._names[term] = name
        return name

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

    def serialize(self, triples: Iterable[Triple]) -> bytes:
        triples = _canonical_blank_nodes(list(triples))
        by_subject: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        uses: dict[BNode, int] = defaultdict(int)
        for s, p, o in triples:
            by_subject[s][p].add(o)
            if isinstance(o, BNode):
                uses[o] += 1
        # a blank node used once as an object is written in place; others keep their (canonical) label
        inline = {b for b, n in uses.items() if n == 1}
        inline &= self._reachable(by_subject, inline)
        self._by_subject, self._inline = by_subject, inline
        blocks = []
        for subject in by_subject:
            if subject in inline:
                continue
            if isinstance(subject, BNode) and subject not in uses:
                head = "[]"  # an axiom such as owl:AllDisjointClasses: nothing refers to it
            else:
                head = self.term(subject)
            blocks.append(f"{head} {self.predicates(subject, INDENT)} .")
        blocks.sort(key=lambda b: (b.startswith("[]"), b))
        header = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in self.declared.items())
        return (header + "\n" + "\n\n".join(blocks) + "\n").encode("utf-8")

    @staticmethod
    def _reachable(by_subject: dict[Node, dict[Node, set[Node]]], inline: set[BNode]) -> set[BNode]:
        """The once-used blank nodes that some written block leads to: those in a cycle of their own would
        otherwise never be written."""
        seen: set[BNode] = set()
        stack = [s for s in by_subject if s not in inline]
        while stack:
            for objects in by_subject.get(stack.pop(), {}).values():
                for o in objects:
                    if o in inline and o not in seen:
                        seen.add(o)
                        stack.append(o)
        return seen

    def predicates(self, subject: Node, indent: str) -> str:
        parts = []
        for predicate, objects in self._by_subject[subject].items():
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
            return f"[ {self.predicates(term, indent + INDENT)} ]"
        return f"_:{term}"

    def _list_items(self, node: Node) -> list[Node] | None:
        """The members of a well-formed RDF list starting at `node`, or None."""
        items = []
        while node != RDF.nil:
            props = self._by_subject.get(node)
            if (not isinstance(node, BNode) or node not in self._inline or props is None
                    or set(props) != {RDF.first, RDF.rest} or len(props[RDF.first]) != 1
                    or len(props[RDF.rest]) != 1):
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


def turtle_bytes(triples: Iterable[Triple]) -> bytes:
    """Turtle grouped by subject, subjects, predicates and objects sorted, pvkg's prefixes declared."""
    return TurtleWriter({p: str(ns) for p, ns in PREFIXES.items()}).serialize(triples)


def ntriples_bytes(triples: Iterable[Triple]) -> bytes:
    """N-Triples, one line per triple, lines sorted."""
    lines = sorted(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in triples)
    return "".join(lines).encode("utf-8")


def jsonld_bytes(triples: Iterable[Triple]) -> bytes:
    """JSON-LD compacted with pvkg's prefixes as its (inline) context, so that it needs no network."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    for triple in triples:
        graph.add(triple)
    context = {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}
    return graph.serialize(format="json-ld", context=context, sort_keys=True, indent=2).encode("utf-8")


GRAPH_FORMATS = {  # name: (media type, writer)
    "turtle": ("text/turtle", turtle_bytes),
    "nt": ("application/n-triples", ntriples_bytes),
    "jsonld": ("application/ld+json", jsonld_bytes),
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place: a reader (or a
    crash) sees either the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are for everyone to read
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
