"""The HTML documentation of the ontology and its concept schemes (pvkg._publish.docs), read back as XML."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef, namespace
from rdflib.collection import Collection

from pvkg._namespaces import ID, PVKG
from pvkg._publish.docs import write_docs

XHTML = "{http://www.w3.org/1999/xhtml}"
PVKG_NS = str(PVKG._NS)


class Site:
    """The written pages, parsed: each page's tree, its ids, and for every anchored element the IRI it
    documents (the first `class="iri"` inside it, which the pages put before anything nested)."""

    def __init__(self, files: list[Path]):
        self.files = files
        self.dir = files[0].parent
        self.trees = {f.name: ET.parse(f).getroot() for f in files}
        self.ids = {name: {e.get("id"): e for e in root.iter() if e.get("id")} for name, root in self.trees.items()}
        self.parents = {name: {child: parent for parent in root.iter() for child in parent}
                        for name, root in self.trees.items()}
        self.documented: dict[str, list[tuple[str, ET.Element]]] = {}
        for name, ids in self.ids.items():
            for element in ids.values():
                iri = own_iri(element)
                if iri is not None:
                    self.documented.setdefault(iri, []).append((name, element))

    def element(self, page: str, anchor: str) -> ET.Element:
        assert anchor in self.ids[page], f"{page} has no element with id {anchor!r}"
        return self.ids[page][anchor]

    def row(self, element: ET.Element, name: str) -> ET.Element:
        """The <dd> of a term's row called `name` (its own rows, not those of nested concepts)."""
        for div in element.iter(f"{XHTML}div"):
            dt = div.find(f"{XHTML}dt")
            if div.get("class") == "row" and dt is not None and dt.text == name:
                return div.find(f"{XHTML}dd")
        raise AssertionError(f"no row {name!r} in #{element.get('id')}")

    def concept_parent(self, page: str, element: ET.Element) -> ET.Element | None:
        """The nearest enclosing concept <li> of a concept <li>, None at the top of the tree."""
        node = self.parents[page].get(element)
        while node is not None:
            if node.tag == f"{XHTML}li" and "concept" in (node.get("class") or "").split():
                return node
            node = self.parents[page].get(node)
        return None


def own_iri(element: ET.Element) -> str | None:
    """The IRI an anchored element documents: its first `class="iri"`, outside nested anchored elements."""
    for child in element:
        if child.get("id"):
            continue
        if "iri" in (child.get("class") or "").split():
            return child.text
        if (found := own_iri(child)) is not None:
            return found
    return None


def text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def hrefs(element: ET.Element) -> list[str]:
    return [a.get("href") for a in element.iter(f"{XHTML}a")]


@pytest.fixture(scope="module")
def seed_site(seed_build, tmp_path_factory) -> Site:
    return Site(write_docs(seed_build.graph, tmp_path_factory.mktemp("docs")))


def test_writes_index_and_one_page_per_scheme_without_printing(seed_build, tmp_path, capsys):
    files = write_docs(seed_build.graph, tmp_path)
    assert files[0] == tmp_path / "index.html"
    assert sorted(files) == sorted(tmp_path.glob("*.html"))  # returns every file it wrote, nothing else
    schemes = set(seed_build.graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(files) == 1 + len(schemes)
    assert capsys.readouterr() == ("", "")


def test_every_page_is_well_formed_polyglot_html(seed_site):
    for path in seed_site.files:
        data = path.read_bytes()
        assert data.startswith(b"<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"")
        root = seed_site.trees[path.name]
        assert root.tag == f"{XHTML}html"
        assert root.find(f"{XHTML}head/{XHTML}style") is not None  # self-contained: CSS inline
        assert root.find(f"{XHTML}head/{XHTML}link") is None and root.find(f".//{XHTML}script") is None


def test_every_internal_link_resolves(seed_site):
    checked = 0
    for page, root in seed_site.trees.items():
        for href in hrefs(root):
            if href.startswith(("http://", "https://")):
                continue
            file, _, fragment = href.partition("#")
            target = file or page
            assert (seed_site.dir / target).is_file(), f"{page}: link {href!r} to a missing file"
            if fragment:
                assert fragment in seed_site.ids[target], f"{page}: link {href!r} to a missing anchor"
            checked += 1
    assert checked > 500


def test_every_ontology_term_and_concept_has_an_anchor(seed_site, seed_build):
    g = seed_build.graph
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {s for kind in kinds for s in g.subjects(RDF.type, kind) if str(s).startswith(PVKG_NS)}
    skos = {s for kind in (SKOS.ConceptScheme, SKOS.Concept) for s in g.subjects(RDF.type, kind)}
    assert len(terms) > 40 and len(skos) > 70
    missing = sorted(str(t) for t in terms | skos if str(t) not in seed_site.documented)
    assert missing == []
    # ontology terms on the index; each concept scheme on a page of its own
    for term in terms:
        assert [page for page, _ in seed_site.documented[str(term)]] == ["index.html"]
    for scheme in g.subjects(RDF.type, SKOS.ConceptScheme):
        assert any(page != "index.html" for page, _ in seed_site.documented[str(scheme)])


def test_anchors_are_stable_names(seed_site):
    for anchor in ("Study", "Finding", "reportedIn", "locator", "Driver", "ext-prov-Entity"):
        seed_site.element("index.html", anchor)
    assert seed_site.element("index.html", "reportedIn").find(f".//{XHTML}code[@class='iri']").text == \
        PVKG_NS + "reportedIn"
    values = seed_site.element("scheme-values.html", "scheme-values")
    assert text(values.find(f".//{XHTML}code[@class='iri']")) == str(ID["scheme/values"])
    transparency = seed_site.element("scheme-values.html", "concept-value-transparency")
    assert transparency.find(f".//{XHTML}code[@class='iri']").text == str(ID["value/transparency"])


@pytest.mark.parametrize("iri", [PVKG.Study, PVKG.Finding, PVKG.Driver, ID["scheme/values"],
                                 ID["method/meta-synthesis"], ID["channel/social-media"]])
def test_every_label_in_every_language_is_shown_with_its_tag(seed_site, seed_build, iri):
    g = seed_build.graph
    labels = {lbl for p in (RDFS.label, SKOS.prefLabel, SKOS.altLabel) for lbl in g.objects(iri, p)}
    assert {lbl.language for lbl in labels} >= {"en", "fa"}
    for page, element in seed_site.documented[str(iri)]:
        shown = {(e.text, e.get("lang")): e for e in element.iter(f"{XHTML}span") if e.get("lang")}
        for label in labels:
            span = shown.get((str(label), label.language))
            assert span is not None, f"{page}: label {label!r}@{label.language} of {iri} not shown"
            assert span.get("{http://www.w3.org/XML/1998/namespace}lang") == label.language
            assert span.get("dir") == ("rtl" if label.language == "fa" else None)
            beside = seed_site.parents[page][span].findall(f"{XHTML}span[@class='tag']")
            assert [t.text for t in beside] == [label.language]  # the language tag is printed beside it


def test_persian_labels_are_right_to_left(seed_site):
    study = seed_site.element("index.html", "Study")
    persian = [e for e in study.iter() if e.get("lang") == "fa"]
    assert [(e.text, e.get("dir")) for e in persian] == [("پژوهش", "rtl")]
    english = [e for e in study.iter() if e.get("lang") == "en"]
    assert english and all(e.get("dir") is None for e in english)


def test_domain_and_range_link_to_their_classes(seed_site):
    reported_in = seed_site.element("index.html", "reportedIn")
    assert hrefs(seed_site.row(reported_in, "Domain")) == ["#Finding"]
    assert hrefs(seed_site.row(reported_in, "Range")) == ["#Study"]
    assert hrefs(seed_site.row(reported_in, "Sub-property of")) == ["#ext-prov-hadPrimarySource"]
    assert "functional" in text(reported_in.find(f"{XHTML}h3"))
    # and the other way round: the class names the properties it is the domain or range of
    finding = seed_site.element("index.html", "Finding")
    assert "#reportedIn" in hrefs(seed_site.row(finding, "In the domain of"))
    assert "#reportedIn" in hrefs(seed_site.row(seed_site.element("index.html", "Study"), "In the range of"))
    # a datatype range that is not documented here is shown by name, linked to its IRI
    locator_range = seed_site.row(seed_site.element("index.html", "locator"), "Range")
    assert text(locator_range) == "xsd:string" and hrefs(locator_range) == [str(namespace.XSD.string)]


def test_class_axioms_are_readable(seed_site):
    finding = seed_site.element("index.html", "Finding")
    supers = seed_site.row(finding, "Subclass of")
    shown = [text(li) for li in supers.iter(f"{XHTML}li")]
    assert "prov:Entity" in shown and "pvkg:reportedIn exactly 1" in shown
    restriction = next(li for li in supers.iter(f"{XHTML}li") if text(li) == "pvkg:reportedIn exactly 1")
    assert hrefs(restriction) == ["#reportedIn"]
    assert "#Study" in hrefs(seed_site.row(finding, "Disjoint with"))  # from owl:AllDisjointClasses
    assert "#ValueFinding" in hrefs(seed_site.row(finding, "Subclasses"))
    direction = seed_site.element("index.html", "InfluenceDirection")
    assert text(seed_site.row(direction, "Equivalent to")) == "{pvkg:Driver, pvkg:Barrier, pvkg:NoEffect, pvkg:Mixed}"
    assert hrefs(seed_site.row(direction, "Members")) == ["#Barrier", "#Driver", "#Mixed", "#NoEffect"]


def test_concept_hierarchy_nests_each_concept_under_its_broader_concept(seed_site, seed_build):
    g = seed_build.graph
    checked = 0
    for scheme in g.subjects(RDF.type, SKOS.ConceptScheme):
        page = next(p for p, _ in seed_site.documented[str(scheme)] if p != "index.html")
        for concept in g.subjects(SKOS.inScheme, scheme):
            elements = [e for p, e in seed_site.documented[str(concept)] if p == page]
            assert len(elements) == 1 and elements[0].tag == f"{XHTML}li"
            parent = seed_site.concept_parent(page, elements[0])
            broader = set(g.objects(concept, SKOS.broader))
            if broader:
                assert parent is not None, f"{concept} is at the top of {page} but has a broader concept"
                parent_iri = parent.find(f".//{XHTML}code[@class='iri']").text
                assert URIRef(parent_iri) in broader
            else:
                assert parent is None
            checked += 1
    assert checked > 70
    # one case by name: transparency is listed inside open government capabilities
    transparency = seed_site.element("scheme-values.html", "concept-value-transparency")
    parent = seed_site.concept_parent("scheme-values.html", transparency)
    assert parent.get("id") == "concept-value-open-government-capabilities"
    assert "transparency" in text(seed_site.row(transparency, "Preferred labels"))
    assert hrefs(seed_site.row(transparency, "Type")) == ["index.html#PublicValue"]


def test_same_graph_gives_the_same_bytes(seed_build, tmp_path):
    first = write_docs(seed_build.graph, tmp_path / "a")
    # the same triples, parsed anew (other blank-node ids) and added in another order
    again = Graph()
    for triple in reversed(list(Graph().parse(data=seed_build.graph.serialize(format="nt"), format="nt"))):
        again.add(triple)
    second = write_docs(again, tmp_path / "b")
    assert [f.name for f in first] == [f.name for f in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert [f.read_bytes() for f in write_docs(seed_build.graph, tmp_path / "a")] == [f.read_bytes() for f in first]


def test_same_bytes_in_another_process(seed_build, tmp_path):
    """Set and dict order of strings changes with the hash seed from one process to the next."""
    ours = write_docs(seed_build.graph, tmp_path / "here")
    source = tmp_path / "graph.nt"
    seed_build.graph.serialize(source, format="nt", encoding="utf-8")
    script = ("import sys; from pathlib import Path; from rdflib import Graph; "
              "from pvkg._publish.docs import write_docs; "
              "write_docs(Graph().parse(sys.argv[1], format='nt'), Path(sys.argv[2]))")
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        subprocess.run([sys.executable, "-c", script, str(source), str(out)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        for mine in ours:
            assert (out / mine.name).read_bytes() == mine.read_bytes(), f"{mine.name} differs with hash seed {seed}"


# ------------------------------------------------------------------------------------------------------
# Small graphs for what the seed does not have
# ------------------------------------------------------------------------------------------------------

EX = "https://w3id.org/pvkg/ontology#"
HOSTILE = '<b>&"\' </p><script>alert(1)</script>'


def tiny_graph() -> Graph:
    g = Graph()
    onto = URIRef("https://w3id.org/pvkg/ontology")
    g.add((onto, RDF.type, OWL.Ontology))
    g.add((onto, URIRef("http://purl.org/dc/terms/title"), Literal("Tiny & <odd>", lang="en")))
    g.add((onto, URIRef("http://purl.org/dc/terms/license"), URIRef("https://example.org/licence?a=1&b=2")))
    evil, a, b, p = (URIRef(EX + n) for n in ("Evil", "A", "B", "p"))
    for cls in (evil, a, b):
        g.add((cls, RDF.type, OWL.Class))
    g.add((evil, RDFS.label, Literal(HOSTILE, lang="en")))
    g.add((evil, RDFS.label, Literal("بد\x01", lang="fa")))  # a control character XML does not allow
    g.add((evil, RDFS.comment, Literal("first paragraph\n\n" + HOSTILE)))
    # p: range A or B; Evil: p exactly 1 A (qualified), p some (not B)
    g.add((p, RDF.type, OWL.ObjectProperty))
    g.add((p, RDFS.domain, evil))
    union, members = BNode(), BNode()
    Collection(g, members, [a, b])
    g.add((union, RDF.type, OWL.Class))
    g.add((union, OWL.unionOf, members))
    g.add((p, RDFS.range, union))
    qualified = BNode()
    for triple in ((qualified, RDF.type, OWL.Restriction), (qualified, OWL.onProperty, p),
                   (qualified, OWL.qualifiedCardinality, Literal(1, datatype=namespace.XSD.nonNegativeInteger)),
                   (qualified, OWL.onClass, a)):
        g.add(triple)
    g.add((evil, RDFS.subClassOf, qualified))
    some, complement = BNode(), BNode()
    g.add((complement, RDF.type, OWL.Class))
    g.add((complement, OWL.complementOf, b))
    for triple in ((some, RDF.type, OWL.Restriction), (some, OWL.onProperty, p),
                   (some, OWL.someValuesFrom, complement)):
        g.add(triple)
    g.add((evil, RDFS.subClassOf, some))
    # a scheme whose concept has two broader concepts, two concepts that are each other's broader, and a
    # concept in no scheme
    scheme = URIRef("https://example.org/scheme/odd")
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, SKOS.prefLabel, Literal(HOSTILE, lang="en")))
    concepts = {n: URIRef(f"https://example.org/odd/{n}") for n in ("top1", "top2", "child", "loop1", "loop2")}
    for name, concept in concepts.items():
        g.add((concept, RDF.type, SKOS.Concept))
        g.add((concept, SKOS.inScheme, scheme))
        g.add((concept, SKOS.prefLabel, Literal(name, lang="en")))
    g.add((concepts["top1"], SKOS.topConceptOf, scheme))
    g.add((concepts["top2"], SKOS.topConceptOf, scheme))
    g.add((concepts["child"], SKOS.broader, concepts["top1"]))
    g.add((concepts["child"], SKOS.broader, concepts["top2"]))
    g.add((concepts["child"], SKOS.definition, Literal(HOSTILE, lang="en")))
    g.add((concepts["loop1"], SKOS.broader, concepts["loop2"]))
    g.add((concepts["loop2"], SKOS.broader, concepts["loop1"]))
    g.add((URIRef("https://example.org/lonely"), RDF.type, SKOS.Concept))
    return g


@pytest.fixture
def tiny_site(tmp_path) -> Site:
    return Site(write_docs(tiny_graph(), tmp_path))


def test_hostile_text_is_escaped(tiny_site):
    index = tiny_site.trees["index.html"]
    evil = tiny_site.element("index.html", "Evil")
    assert index.find(f".//{XHTML}b") is None and index.find(f".//{XHTML}script") is None
    labels = [e.text for e in tiny_site.row(evil, "Labels").iter(f"{XHTML}span") if e.get("lang")]
    assert labels == [HOSTILE, "بد\ufffd"]
    assert text(tiny_site.row(evil, "Comment")).endswith(" ".join(HOSTILE.split()))
    assert [p.text for p in tiny_site.row(evil, "Comment").iter(f"{XHTML}p")][0] == "first paragraph"
    assert text(index.find(f"{XHTML}head/{XHTML}title")) == "Tiny & <odd>"
    licence = tiny_site.element("index.html", "sec-ontology")
    assert "https://example.org/licence?a=1&b=2" in hrefs(licence)
    scheme_page = next(name for name in tiny_site.trees if name != "index.html")
    assert tiny_site.trees[scheme_page].find(f".//{XHTML}script") is None
    assert text(tiny_site.trees[scheme_page].find(f".//{XHTML}h1")).startswith(HOSTILE)


def test_unions_and_restrictions_in_manchester_style(tiny_site):
    p = tiny_site.element("index.html", "p")
    assert text(tiny_site.row(p, "Range")) == "pvkg:A or pvkg:B"
    assert hrefs(tiny_site.row(p, "Range")) == ["#A", "#B"]
    evil = tiny_site.element("index.html", "Evil")
    assert [text(li) for li in tiny_site.row(evil, "Subclass of").iter(f"{XHTML}li")] == \
        ["pvkg:p exactly 1 pvkg:A", "pvkg:p some (not pvkg:B)"]
    assert hrefs(tiny_site.row(tiny_site.element("index.html", "A"), "In the range of")) == ["#p"]


def test_odd_hierarchies_are_shown_once_each(tiny_site):
    page = "scheme-odd.html"
    tree = tiny_site.trees[page]
    # the concept under two broader concepts: in full under the first, a link under the second
    child = tiny_site.element(page, "concept-odd-child")
    assert tiny_site.concept_parent(page, child).get("id") == "concept-odd-top1"
    top2 = tiny_site.element(page, "concept-odd-top2")
    assert "#concept-odd-child" in hrefs(top2)
    assert hrefs(tiny_site.row(child, "Also under")) == ["#concept-odd-top2"]
    # a cycle of broader concepts is still listed, each concept once
    ids = [e.get("id") for e in tree.iter() if e.get("id", "").startswith("concept-")]
    assert sorted(ids) == ["concept-odd-child", "concept-odd-loop1", "concept-odd-loop2",
                           "concept-odd-top1", "concept-odd-top2"]
    # a concept in no scheme is documented on the index
    assert "https://example.org/lonely" in tiny_site.documented
