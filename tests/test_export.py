"""pvkg's own Turtle writer: whatever the graph, the Turtle parses back (by rdflib and by Oxigraph) to an
isomorphic graph, and the bytes do not depend on the order the triples came in."""

from __future__ import annotations

import random

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from pvkg._rdftext import turtle_bytes
from pvkg._sparql.stores import rdflib_term

# A plain Namespace: pytest probes module attributes, and rdflib's XSD warns on every unknown one.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
EX = Namespace("https://w3id.org/pvkg/id/test/")
PVKG = Namespace("https://w3id.org/pvkg/ontology#")


def awkward_graph() -> Graph:
    g = Graph()
    s = EX["finding/x-1"]  # a '/' in the local name: written as a full IRI
    texts = ['say "hi"', 'ends with a quote"', "two\nlines", "tab\there", "back\\slash", '"""', "é ü 漢字 بله",
             "line\r\nbreak", "trailing newline\n", ""]
    for i, text in enumerate(texts):
        g.add((s, PVKG[f"p{i}"], Literal(text)))
        g.add((s, PVKG[f"q{i}"], Literal(text, lang="fa")))
    g.add((s, PVKG.n, Literal(42)))
    g.add((s, PVKG.m, Literal("-7", datatype=XSD.integer)))
    g.add((s, PVKG.d, Literal("1.50", datatype=XSD.decimal)))
    g.add((s, PVKG.y, Literal("2024", datatype=XSD.gYear)))
    g.add((s, PVKG.b, Literal(True)))
    g.add((s, PVKG.t, Literal("typed", datatype=XSD.string)))
    g.add((s, RDF.type, PVKG.Finding))
    g.add((s, RDF.type, PVKG.ValueFinding))
    nested = BNode()  # used once: written in place
    g.add((s, PVKG.restriction, nested))
    g.add((nested, PVKG.onProperty, PVKG.reportedIn))
    deeper = BNode()
    g.add((nested, PVKG.inner, deeper))
    g.add((deeper, RDF.value, Literal("deep")))
    shared = BNode()  # used twice: keeps a label
    g.add((EX.a, PVKG.shares, shared))
    g.add((EX.b, PVKG.shares, shared))
    g.add((shared, RDF.value, Literal("shared")))
    loop_a, loop_b = BNode(), BNode()  # a cycle of once-used blank nodes, reachable from nothing
    g.add((loop_a, PVKG.next, loop_b))
    g.add((loop_b, PVKG.next, loop_a))
    axiom = BNode()  # an owl:AllDisjointClasses-like axiom with a list
    g.add((axiom, RDF.type, PVKG.Axiom))
    members = BNode()
    Collection(g, members, [PVKG.A, PVKG.B, EX["x/y"]])
    g.add((axiom, PVKG.members, members))
    g.add((EX.empty, PVKG.list, RDF.nil))
    return g


def test_turtle_round_trips_through_two_parsers():
    graph = awkward_graph()
    data = turtle_bytes(graph)
    # RDF 1.1 (and Oxigraph, and pvkg's writers) make "x"^^xsd:string and "x" one literal; rdflib keeps them apart
    plain = Graph()
    for s, p, o in graph:
        plain.add((s, p, Literal(str(o)) if isinstance(o, Literal) and o.datatype == XSD.string else o))
    assert isomorphic(Graph().parse(data=data, format="turtle"), plain)
    from_oxigraph = Graph()
    for t in ox.parse(data, format=ox.RdfFormat.TURTLE):
        from_oxigraph.add(_rdflib(t))
    assert isomorphic(from_oxigraph, plain)


def test_turtle_bytes_do_not_depend_on_triple_order():
    triples = list(awkward_graph())
    first = turtle_bytes(triples)
    for seed in range(5):
        random.Random(seed).shuffle(triples)
        assert turtle_bytes(triples) == first


def test_turtle_reads_as_people_write_it():
    text = turtle_bytes(awkward_graph()).decode()
    assert "@prefix pvkg: <https://w3id.org/pvkg/ontology#> ." in text
    assert "<https://w3id.org/pvkg/id/test/finding/x-1> a pvkg:Finding,\n        pvkg:ValueFinding ;" in text
    assert "pvkg:n 42 ;" in text and "pvkg:b true ;" in text and '"2024"^^xsd:gYear' in text
    assert "( pvkg:A pvkg:B <https://w3id.org/pvkg/id/test/x/y> )" in text
    assert "[ pvkg:inner [ rdf:value \"deep\" ] ;" in text
    assert 'pvkg:t "typed" ;' in text and 'pvkg:p8 """trailing newline\n"""' in text
    assert text.rstrip().endswith("( pvkg:A pvkg:B <https://w3id.org/pvkg/id/test/x/y> ) .")


def _rdflib(triple: ox.Triple):
    return tuple(rdflib_term(t) for t in (triple.subject, triple.predicate, triple.object))
