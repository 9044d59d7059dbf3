"""The pages of a study, a finding and a concept (pvkg/_publish/views.py), as `pvkg serve` shows them over the seed
studies: each leads with what it is (a study's citation, a finding's statement, a concept's labels and place), says
no more than the graph (second-hand findings, editors' placements), and keeps the graph's own tables below.

The expected values come from the study files (pvkg._build.studies) and the built graph, not from the pages' code. A
concept named by more findings than a page lists is checked on Oxigraph itself, with the view's queries."""

from __future__ import annotations

import dataclasses
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from servers import pvkg_server, virtuoso_bulk_load, virtuoso_server  # noqa: F401  (pytest fixtures)

from pvkg._build.studies import display_name
from pvkg._namespaces import BASE, FINDING_KINDS, PVKG, concept_iri, finding_iri, person_iri, work_iri
from pvkg._publish import views
from pvkg._publish.pages import Labels
from pvkg._sparql.remote import Endpoint
from pvkg._sparql.stores import EndpointStore, OxigraphStore, RdflibStore

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attributes: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self._raw().split())

    def _raw(self) -> str:
        return "".join(c if isinstance(c, str) else c._raw() for c in self.children)

    def all(self, tag: str | None = None, **attributes: str) -> list[Element]:
        """The elements under this one (itself included), in document order, with the tag and attributes."""
        found = [self] if (tag in (None, self.tag) and all(
            value in (self.attributes.get(key.rstrip("_")) or "").split() for key, value in attributes.items())) else []
        for child in self.children:
            if isinstance(child, Element):
                found += child.all(tag, **attributes)
        return found

    def one(self, tag: str | None = None, **attributes: str) -> Element:
        (element,) = self.all(tag, **attributes)
        return element

    def by_id(self, anchor: str) -> Element:
        (element,) = [e for e in self.all() if e.attributes.get("id") == anchor]
        return element


class _Tree(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.root = Element("document", {})
        self.open = [self.root]
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while len(self.open) > 1 and self.open.pop().tag != tag:
            pass

    def handle_data(self, data):
        self.open[-1].children.append(data)


def page(server, path: str) -> Element:
    with _opener.open(urllib.request.Request(server.url + path, headers={"Accept": "text/html"}), timeout=60) as r:
        assert r.status == 200
        return _Tree(r.read().decode()).root.one("main")


def path_of(iri: str) -> str:
    return "/" + urllib.parse.quote(iri[len(BASE):], safe="/#:@!$&'()*+,;=")


@pytest.fixture(scope="module")
def corpus(seed_build):
    return seed_build.corpus


def _study(corpus, study_id: str):
    (study,) = [s for s in corpus.studies if s.id == study_id]
    return study


# --- a study -------------------------------------------------------------------------------------------------------


def test_a_study_page_leads_with_its_citation(pvkg_server, corpus):  # noqa: F811
    study = _study(corpus, "luna-2019")  # six authors, two with accents; a DOI
    main = page(pvkg_server, path_of(str(work_iri(study.id))))
    first = next(e for e in main.all() if e is not main)
    assert first.tag == "h1" and first.text == study.record.title["en"]  # the title before anything else
    authors = main.one("p", class_="authors")
    assert [a.text for a in authors.all("a")] == [display_name(name) for name in study.record.authors]
    assert [a.attributes["href"] for a in authors.all("a")] == [path_of(str(person_iri(name)))
                                                              for name in study.record.authors]
    (doi,) = [a for a in main.all("a") if a.text == study.record.doi]
    assert doi.attributes["href"] == f"https://doi.org/{study.record.doi}"
    venue = main.one("p", class_="venue").text
    assert str(study.record.year) in venue and study.record.venue in venue and study.record.pages in venue


def test_a_study_page_shows_its_questions_design_context_and_findings_by_kind(pvkg_server, corpus, seed_build):  # noqa: F811
    study = _study(corpus, "social-media-service-factors")
    main = page(pvkg_server, path_of(str(work_iri(study.id))))
    questions = main.by_id("questions")
    assert questions.tag == "h2"
    listed = [li.text for li in main.one("ol", class_="questions").all("li")]
    assert [q.statement["en"] for q in study.research_questions] == [t.rpartition(" (")[0] for t in listed]
    design = main.all("dl", class_="record")[0].text  # the first record on the page is the design
    assert "Sandelowski and Barroso's seven-step meta-synthesis" in design and "0.75" in design
    assert "Iran" in main.all("dl", class_="record")[1].text  # the context's country, by name
    # findings grouped by kind, in the order of the kinds, each finding under its own kind with support and status
    findings = main.by_id("findings")
    kinds = [k for k, _ in FINDING_KINDS.items() if any(f.kind == k for f in study.findings)]
    headings = findings.all("h3")
    assert len(headings) == len(kinds) == len(findings.all("table"))
    labels = {"values": "Public-value findings", "link": "Link findings", "factor": "Factor findings",
              "cited-work": "Cited-work findings", "characteristics": "Characteristic findings"}
    assert [h.text for h in headings] == [labels[k] for k in kinds]
    for kind, table in zip(kinds, findings.all("table"), strict=True):
        rows = table.one("tbody").all("tr")
        expected = sorted((f for f in study.findings if f.kind == kind), key=lambda f: str(finding_iri(f.id)))
        assert [row.all("a")[0].attributes["href"] for row in rows] == [path_of(str(finding_iri(f.id)))
                                                                        for f in expected]
        for row, finding in zip(rows, expected, strict=True):
            cells = [td.text for td in row.all("td")]
            assert cells[0].startswith(" ".join(finding.statement["en"].split()))
            assert cells[3].startswith(finding.support) and cells[4] == finding.status.replace("-", " ")
            assert cells[5] == finding.strength and cells[6] == finding.locator
            if finding.work:  # a second-hand finding names the work it is about, as the study cites it
                (cited,) = [c for c in study.cites if c.id == finding.work]
                assert cells[3] == f"second-hand, about {cited.cited_as}"
            if finding.note:
                assert "Editors' note:" in cells[0]
    # the works it cites, as cited and as identified
    cites = main.one("table", class_="cites").one("tbody").all("tr")
    assert sorted(row.all("td")[0].text for row in cites) == sorted(c.cited_as for c in study.cites)


def test_a_study_known_from_another_shows_what_others_report_of_it(pvkg_server, corpus):  # noqa: F811
    study = _study(corpus, "mergel-2016")
    assert study.known_from == "social-media-service-factors"
    main = page(pvkg_server, path_of(str(work_iri(study.id))))
    assert "Known only from Factors Affecting Government Use of Social Media" in main.one("p", class_="notice").text
    reported = main.by_id("second-hand")
    reporting = _study(corpus, study.known_from)
    cited = [c.id for c in reporting.cites if c.identified_as == study.id]
    expected = [f for f in reporting.findings if f.work in cited]
    assert expected and len(reported.one("tbody").all("tr")) == len(expected)


# --- a finding -----------------------------------------------------------------------------------------------------


def test_a_finding_page_leads_with_its_statement(pvkg_server, corpus):  # noqa: F811
    (finding,) = [f for f in corpus.findings if f.id == "luna2024-01"]
    main = page(pvkg_server, path_of(str(finding_iri(finding.id))))
    first = next(e for e in main.all() if e is not main)
    assert first.tag == "h1" and first.text == " ".join(finding.statement["en"].split())
    record = main.one("dl", class_="record")
    terms = [dt.text for dt in record.all("dt")]
    values = dict(zip(terms, (dd.text for dd in record.all("dd")), strict=True))
    assert values["Study"] == f"Luna et al. (2024), {finding.locator}" and values["Kind"] == "public-value finding"
    assert values["Strength"].startswith("hedged (Qualified by the source")  # a hedge stays a hedge
    assert values["Support"].startswith("first-hand") and values["Status"].startswith("result")
    assert not main.all("p", class_="second-hand")


def test_a_second_hand_finding_page_says_so_and_names_the_work(pvkg_server, corpus):  # noqa: F811
    (finding,) = [f for f in corpus.findings if f.id == "smsf-22"]
    (cited,) = [c for s in corpus.studies for c in s.cites if s.id == finding.study and c.id == finding.work]
    main = page(pvkg_server, path_of(str(finding_iri(finding.id))))
    notice = main.one("p", class_="second-hand")
    assert notice.text.startswith("Second-hand.")
    assert f"cites as {cited.cited_as}" in notice.text  # the work as the study cites it
    assert "identified as Tursunbayeva, Franco & Pagliari (2017)" in notice.text  # and as pvkg identifies it
    assert "not a result of Factors Affecting Government Use" in notice.text and "not a second study" in notice.text
    hrefs = [a.attributes["href"] for a in notice.all("a")]
    assert path_of(str(work_iri(cited.identified_as))) in hrefs and path_of(str(work_iri(finding.study))) in hrefs


# --- a concept -----------------------------------------------------------------------------------------------------


def test_a_concept_placed_by_the_editors_says_so(pvkg_server, corpus):  # noqa: F811
    placed = {c.id: c for c in corpus.concepts if c.placed_by_editors and c.broader}
    concept = placed["value:transparency"]
    main = page(pvkg_server, path_of(str(concept_iri(concept.id))))
    record = main.one("dl", class_="record")
    values = dict(zip((dt.text for dt in record.all("dt")), (dd.text for dd in record.all("dd")), strict=False))
    assert "the editors' placement" in values["Broader"] and concept.note in values["Editors' note"]
    assert main.one("h1").text == concept.label["en"]
    # the broader concept lists it as placed there by the editors; a placement a source states is not so marked
    broader = page(pvkg_server, path_of(str(concept_iri(concept.broader[0]))))
    narrower = {li.one("a").text: li.text for li in broader.one("dl", class_="record").all("li")
                if li.all("a")}
    assert narrower[concept.label["en"]].endswith("(placed here by the editors)")
    stated = [c for c in corpus.concepts if c.broader and not c.placed_by_editors]
    main = page(pvkg_server, path_of(str(concept_iri(stated[0].id))))
    assert "editors' placement" not in main.one("dl", class_="record").text


def test_a_concept_page_groups_the_findings_that_name_it(pvkg_server, corpus):  # noqa: F811
    concept = "value:transparency"
    naming = [f for f in corpus.findings if concept in (*f.about, *f.link_from, *f.link_to)]
    main = page(pvkg_server, path_of(str(concept_iri(concept))))
    findings = main.by_id("findings")
    assert findings.one("h2").text == f"Findings that name it ({len(naming)})"
    listed = [row.all("a")[0].attributes["href"] for row in findings.all("tr") if row.all("td")]
    assert sorted(listed) == sorted(path_of(str(finding_iri(f.id))) for f in naming)
    tallies = " ".join(p.text for p in findings.all("p", class_="tally"))
    assert "second-hand, result: 1" in tallies  # smsf-22, about Aizhan et al. (2017)


def test_a_concept_named_by_more_findings_than_listed_links_to_all_of_them(seed_build):
    """Findings past FINDINGS_PER_KIND of a kind are counted, not listed; the page links to the evidence query."""
    graph = Graph()
    graph += seed_build.graph
    concept = concept_iri("value:equity")
    extra = views.FINDINGS_PER_KIND + 5
    for n in range(extra):
        finding = finding_iri(f"zz-{n:03d}")
        for triple in ((RDF.type, PVKG.Finding), (RDF.type, PVKG.ValueFinding), (PVKG.aboutValue, concept),
                       (PVKG.reportedIn, work_iri("luna-2024")), (PVKG.locator, Literal("Abstract")),
                       (PVKG.support, PVKG.SecondHand if n % 5 == 0 else PVKG.FirstHand),
                       (PVKG.status, PVKG.Result), (PVKG.strength, PVKG.Stated)):
            graph.add((finding, *triple))
    store = OxigraphStore.from_graph(graph)
    iri = str(concept)
    kind = views.VIEWS["concept"]
    rows = {name: store.select(text)[1] for name, text in kind.queries(iri).items()}
    rows |= {name: store.select(text)[1] for name, text in kind.then(rows).items()}
    outgoing = store.select(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}")[1]
    view = kind.make(iri, outgoing, rows)
    before = len([f for f in seed_build.corpus.findings if "value:equity" in (*f.about, *f.link_from, *f.link_to)])
    (values,) = [g for g in view.groups if g.kind == PVKG.ValueFinding]
    assert view.findings == before + extra and len(values.findings) == views.FINDINGS_PER_KIND
    assert values.count > views.FINDINGS_PER_KIND and sum(t.count for t in values.tallies) == values.count
    assert [t.count for t in values.tallies if t.support == PVKG.SecondHand] == [extra // 5]
    assert view.listed < view.findings and view.evidence_path == "/queries/evidence?concept=value%3Aequity"


# --- the graph's own tables, and the authors' order -------------------------------------------------------------


def test_the_graphs_own_tables_are_still_there(pvkg_server, seed_build):  # noqa: F811
    for iri in (work_iri("luna-2024"), finding_iri("smsf-22"), concept_iri("value:transparency")):
        main = page(pvkg_server, path_of(str(iri)))
        graph = main.by_id("graph")
        assert graph.one("h2").text == "Everything the graph says of it"
        shown = {th.text for th in graph.one("table", class_="properties").all("th")}
        predicates = {p for p in seed_build.graph.predicates(iri, None) if p != RDF.type}
        assert len(shown) == len(predicates - {URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
                                               URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
                                               URIRef("http://www.w3.org/2004/02/skos/core#altLabel")})
    person = page(pvkg_server, "/id/person/luna-dolores-e")  # any other resource: its tables alone, as before
    assert person.one("h1").text == "person/luna-dolores-e" and not [e for e in person.all() if
                                                                     e.attributes.get("id") == "graph"]


def test_authors_are_ordered_as_the_citation_names_them():
    person = URIRef(BASE + "id/person/")
    people = {person + "reddick": "Reddick", person + "reddick-christopher": "Christopher Reddick",
              person + "doe-jane": "Jane Doe"}
    ordered, et_al = views.ordered_authors("Doe, Jane, Reddick, Christopher & Reddick (2017) A title. Venue.", people)
    assert [p.name for p in ordered] == ["Jane Doe", "Christopher Reddick", "Reddick"] and not et_al
    ordered, et_al = views.ordered_authors("Reddick et al. (2017) A title.", {person + "reddick": "Reddick"})
    assert [p.name for p in ordered] == ["Reddick"] and et_al
    # a person the citation does not name (a graph made some other way) follows, by name
    ordered, _ = views.ordered_authors("Doe, Jane (2020) T.", {**people, person + "x": "Ann Zed"})
    assert [p.name for p in ordered] == ["Jane Doe", "Ann Zed", "Christopher Reddick", "Reddick"]
    assert views.ordered_authors(None, {}) == ([], False)
    assert Labels({str(person): "p"}).of(person) == "p"  # a URIRef finds its label (its hash is not its text's)


def _view(store, iri: str):
    """A resource's view, its queries run as the server runs them (pvkg._serve.app PvkgServer._view)."""
    outgoing = store.select(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}")[1]
    name = views.view_of(iri, [o for p, o in outgoing if p == RDF.type])
    if name is None:
        return None
    kind = views.VIEWS[name]
    rows = {key: store.select(text)[1] for key, text in kind.queries(iri).items()}
    if kind.then is not None:
        rows |= {key: store.select(text)[1] for key, text in kind.then(rows).items()}
    return kind.make(iri, outgoing, rows)


def _shown(value):
    """A view as a page shows it: a literal by its text and language (Oxigraph reads xsd:nonNegativeInteger back as
    xsd:integer, which a page shows alike)."""
    if dataclasses.is_dataclass(value):
        return type(value).__name__, _shown(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {_shown(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    if isinstance(value, Literal):
        return str(value), value.language
    return value


@pytest.fixture(params=["rdflib", "virtuoso"])
def other_engine(request, seed_build, tmp_path):
    """The seed graph on rdflib's engine (the reference the suite compares every engine with) and on Virtuoso 7 (a
    store pvkg serves through --endpoint)."""
    if request.param == "rdflib":
        return RdflibStore(seed_build.graph)
    server = request.getfixturevalue("virtuoso_server")
    path, graph = tmp_path / "seed.nt", f"https://example.org/pages/{uuid.uuid4()}"
    seed_build.graph.serialize(path, format="nt", encoding="utf-8")
    virtuoso_bulk_load(server, path, graph)
    return EndpointStore(Endpoint(server.query_url), graph=graph)


def test_the_views_are_the_same_on_every_engine(seed_build, corpus, other_engine):
    """The views' SPARQL is plain SPARQL 1.1: each engine gives the views Oxigraph gives, whatever order it returns
    rows in."""
    oxigraph = OxigraphStore.from_graph(seed_build.graph)
    study = _study(corpus, "social-media-service-factors")
    iris = [*(work_iri(s.id) for s in corpus.studies), *(finding_iri(f.id) for f in study.findings[:8]),
            finding_iri("smsf-22"), finding_iri("luna2024-01"),
            *(concept_iri(c) for c in ("value:transparency", "factor:managerial", "value:open-government-capabilities",
                                       "method:meta-synthesis", "channel:social-media"))]
    for iri in iris:
        view = _view(oxigraph, str(iri))
        assert view is not None and _shown(view) == _shown(_view(other_engine, str(iri))), iri
    assert _view(oxigraph, str(concept_iri("value:transparency"))).findings > 0


def test_a_study_page_says_where_its_encoders_read_it(seed_build):
    """source-url reaches the graph as pvkg:encodedFrom; the study's view shows it as the record's provenance."""
    graph = Graph()
    for triple in seed_build.graph:
        graph.add(triple)
    read_at = URIRef("https://doi.org/10.1016/j.giq.2024.101928")
    graph.add((work_iri("luna-2024"), PVKG.encodedFrom, read_at))
    view = _view(OxigraphStore.from_graph(graph), str(work_iri("luna-2024")))
    assert view.encoded_from == [read_at]
    assert _view(OxigraphStore.from_graph(seed_build.graph), str(work_iri("luna-2024"))).encoded_from == []
