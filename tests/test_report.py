"""The evidence report (pvkg/_publish/report.py): a static page with SVG figures, written from the seed graph and read
back as XML, as text and as pixels (in Debian's Chromium, tests/browser.py), the way a reader opens it."""

from __future__ import annotations

import functools
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from pvkg import __version__
from pvkg._publish.report import clean, network_edges, write_report, xml_escape
from pvkg._sparql.queries import QueryResult, load_queries, run_query
from pvkg._sparql.stores import OxigraphStore
from pvkg.errors import PvkgError

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
FIGURES = {"figure-network": "value-network", "figure-factors": "factor-matrix",
           "figure-countries": "studies-by-country", "figure-methods": "studies-by-method"}
PVKG = Namespace("https://w3id.org/pvkg/ontology#")
ID = Namespace("https://w3id.org/pvkg/id/")
HOSTILE = "<script>alert('x')</script> & \"Smith\" <b>et al.</b> (2024)"


@pytest.fixture(scope="module")
def store(seed_build):
    return OxigraphStore.from_graph(seed_build.graph)


@pytest.fixture(scope="module")
def report(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(store, out)
    return out


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def table_rows(root: ET.Element, table_id: str) -> list[list[str]]:
    """The body rows of a table, as the text of each cell."""
    table = root.find(f".//*[@id='{table_id}']")
    assert table is not None, f"no table #{table_id}"
    return [[text_of(cell) for cell in row if cell.tag in (XHTML + "td", XHTML + "th")]
            for row in table.iter(XHTML + "tr") if row.find(XHTML + "td") is not None]


def answer(store, name: str, lang: str = "en") -> list[list[str]]:
    return [["" if v is None else str(v) for v in row]
            for row in run_query(store, load_queries()[name], {"lang": lang}).rows]


# -- files, XML, links -------------------------------------------------------------------------------------

def test_the_page_and_a_standalone_svg_per_figure_are_written_and_parse_as_xml(store, tmp_path):
    written = write_report(store, tmp_path / "out")
    names = sorted(str(p.relative_to(tmp_path / "out")) for p in written)
    assert names == ["figures/" + f + ".svg" for f in sorted(FIGURES.values())] + ["index.html"]
    assert sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()) \
        == names  # nothing else (no temporary files left behind)
    root = parse(tmp_path / "out" / "index.html")
    assert root.tag == XHTML + "html" and root.get("lang") == "en"
    assert (tmp_path / "out" / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert root.find(f"{XHTML}head/{XHTML}style") is not None  # CSS inline: the folder stands alone
    assert not list(root.iter(XHTML + "script")) and not list(root.iter(XHTML + "link"))
    for figure_id, stem in FIGURES.items():
        svg = parse(tmp_path / "out" / "figures" / f"{stem}.svg")
        assert svg.tag == SVG + "svg" and svg.find(SVG + "title").text
        figure = root.find(f".//*[@id='{figure_id}']")
        inline = figure.find(SVG + "svg")
        assert inline is not None, f"#{figure_id} inlines its figure"
        inline.tail = None
        assert ET.tostring(inline) == ET.tostring(svg)  # the same figure as the file
        assert any(a.get("href") == f"figures/{stem}.svg" for a in figure.iter(XHTML + "a"))


def test_every_internal_link_resolves_and_ids_are_unique(report):
    root = parse(report / "index.html")
    ids = Counter(e.get("id") for e in root.iter() if e.get("id"))
    assert [i for i, n in ids.items() if n > 1] == []
    targets = [(e.tag, value) for e in root.iter() for attr in ("href", "src", "{http://www.w3.org/1999/xlink}href")
               if (value := e.get(attr))]
    assert len(targets) > 20
    for tag, value in targets:
        parts = urllib.parse.urlsplit(value)
        assert not parts.scheme and not parts.netloc, f"{tag} links out of the report: {value}"
        if value.startswith("#"):
            assert value[1:] in ids, f"{tag} links to #{value[1:]}, which no element has"
        else:
            assert (report / urllib.parse.unquote(parts.path)).is_file(), f"{tag} links to missing {value}"
    # every study named in a table links to its entry in the list of studies
    study_links = [a for a in root.iter(XHTML + "a") if (a.get("href") or "").startswith("#study-")]
    assert {a.get("href") for a in study_links} == {f"#{i}" for i in ids if i.startswith("study-")}


# -- the facts -----------------------------------------------------------------------------------------------

def test_the_header_counts_the_studies_and_findings_and_names_the_version(report, seed_build):
    root = parse(report / "index.html")
    assert text_of(root.find(".//*[@id='count-studies']")) == str(seed_build.summary["studies"]) == "13"
    assert text_of(root.find(".//*[@id='count-findings']")) == str(seed_build.summary["findings"])
    assert text_of(root.find(".//*[@id='pvkg-version']")) == __version__
    studies = table_rows(root, "studies-table")
    assert len(studies) == 13
    luna = next(row for row in studies if row[0] == "Luna et al. (2024)")
    assert luna[1:3] == ["2024", "Mexico"] and "focus groups" in luna[3]
    assert "Creating public value through digital service delivery from a citizen's perspective" in luna[6]


def test_the_network_shows_each_characteristic_value_link_with_its_study(report, store):
    root = parse(report / "index.html")
    rows = table_rows(root, "network-edges")
    network = parse(report / "figures" / "value-network.svg")
    tooltips = [text_of(t) for t in network.iter(SVG + "title")]
    nodes = {text_of(g.find(f"{SVG}rect/{SVG}title")) for g in network.iter(SVG + "g") if g.get("class") == "node"}
    links = answer(store, "value-characteristic-links")
    assert ["characteristics and functionalities of digital services", "individual benefits", "Luna et al. (2024)",
            "Abstract"] in links
    for characteristic, value, study, _locator in links:
        assert any(row[1:3] == [characteristic, value] and study in row[5] for row in rows), (characteristic, value)
        assert any(f"{characteristic} → {value}" in t and study in t for t in tooltips)
    # the chains: each step of value-paths is an edge, with its studies and the direction it gives
    for start, via, end, first_direction, second_direction, _basis, first, second in answer(store, "value-paths"):
        assert {start, via, end} <= nodes
        assert any(row[1:3] == [start, via] and all(s in row[5] for s in first.split("; "))
                   and first_direction in row[3] for row in rows)
        assert any(row[1:3] == [via, end] and all(s in row[5] for s in second.split("; "))
                   and second_direction in row[3] for row in rows)
    # a second-hand finding: the work it is about, as the reporting study reports it, in a dashed curve
    porumbescu = next(row for row in rows if row[1:3] == ["e-government websites", "trust in government"])
    assert porumbescu[3] == "barrier" and porumbescu[4] == "second-hand"
    assert porumbescu[5].startswith("Porumbescu (2016), as reported by Factors Affecting Government Use")
    barrier = network.find(f".//{SVG}path[@class='edge edge-barrier evidence-1']")
    assert barrier is not None and barrier.get("stroke-dasharray") == "10 6"
    # the numbers on the curves are the table's
    assert sorted(int(row[0]) for row in rows) == list(range(1, len(rows) + 1))
    assert sorted(int(text_of(g.find(SVG + "text"))) for g in network.iter(SVG + "g")
                  if g.get("class") == "badge") == list(range(1, len(rows) + 1))


def network_sections(root: ET.Element) -> list[tuple[str, list[str]]]:
    """The rows of the network's table, each with the heading of its part (which columns it joins)."""
    heading, rows = "", []
    for row in root.find(".//*[@id='network-edges']").iter(XHTML + "tr"):
        if row.get("class") == "step":
            heading = text_of(row)
        elif row.find(XHTML + "td") is not None:
            rows.append((heading, [text_of(cell) for cell in row if cell.tag in (XHTML + "td", XHTML + "th")]))
    return rows


def test_link_findings_gives_one_row_per_pair_a_link_finding_joins(store, seed_build):
    rows = answer(store, "link-findings")
    pairs = set(seed_build.graph.query("PREFIX pvkg: <https://w3id.org/pvkg/ontology#> SELECT ?f ?a ?b WHERE { "
                                       "?f a pvkg:LinkFinding ; pvkg:linkFrom ?a ; pvkg:linkTo ?b }"))
    assert len(rows) == len({tuple(row[:3]) for row in rows}) == len(pairs) == 20
    assert rows == sorted(rows)  # ordered by finding, from, to, ...: every engine lists them alike
    assert answer(seed_build.graph, "link-findings") == rows  # rdflib's engine
    finding = "https://w3id.org/pvkg/id/finding/"
    smsf, review = "Factors Affecting Government Use of Social Media for Service Provision", "Literature review"
    second_hand = ["second-hand", "result"]
    for row in ([finding + "smsf-24", "social media", "public participation", "driver", smsf, review,
                 *second_hand, "hedged", "Rodriguez et al. (2018)"],
                [finding + "smsf-19", "e-government websites", "trust in government", "barrier", smsf, review,
                 *second_hand, "stated", "Porumbescu (2016)"],
                [finding + "smsf-26", "social media", "trust in government", "driver", smsf, review,
                 *second_hand, "hedged", "Porumbescu (2016)"],
                [finding + "smsf-27", "social media", "breadth and balance of public information", "barrier",
                 smsf, review, *second_hand, "hedged", "Wukich & Mergel (2016)"],
                [finding + "ta2019-03", "Improved Public Services (dimension)", "Improved Social Value (dimension)",
                 "", "Twizeyimana & Andersson (2019)", "related-facts.md §5", "first-hand", "result", "stated", ""]):
        assert row in rows, row
    # the two ends of a finding that links one concept to two: two rows
    assert [row[2] for row in rows if row[0] == finding + "smsf-24"] == ["citizen engagement",
                                                                         "public participation"]
    # labels in the asked language, English where it has none; the same on either engine
    persian = answer(store, "link-findings", "fa")
    assert answer(seed_build.graph, "link-findings", "fa") == persian and len(persian) == 20
    rodriguez = [row for row in persian if row[0] == finding + "smsf-24"]
    assert [row[1:4] for row in rodriguez] == [["رسانه های اجتماعی", "citizen engagement", "پیشران"],
                                               ["رسانه های اجتماعی", "public participation", "پیشران"]]


def test_the_network_shows_every_link_finding(report, store):
    root = parse(report / "index.html")
    sections = network_sections(root)
    rows = [cells for _, cells in sections]
    network = parse(report / "figures" / "value-network.svg")
    curves = [text_of(path.find(SVG + "title")) for path in network.iter(SVG + "path")
              if "edge" in (path.get("class") or "").split()]
    links = answer(store, "link-findings")
    for _finding, source, target, direction, study, _locator, _support, _status, _strength, work in links:
        who = f"{work}, as reported by {study}" if work else study
        row = next((row for row in rows if row[1:3] == [source, target]), None)
        assert row is not None, (source, target)
        assert who in row[5] and direction in row[3], (source, target)
        assert any(f". {source} → {target} (" in t and who in t for t in curves), (source, target)
    # every pair a link finding joins, and nothing else: on the seed graph, one table row and one curve each
    assert {tuple(row[1:3]) for row in rows} == {(source, target) for _, source, target, *_ in links}
    assert len(rows) == len(curves) == len(links) == 20
    assert text_of(root.find(".//*[@id='count-links']")) == "20"
    # the links that belong to no chain (and that the figure left out when it drew only chains)
    reported = ", as reported by Factors Affecting Government Use of Social Media for Service Provision"
    alone = {("social media", "public participation"): f"Rodriguez et al. (2018){reported} (driver)",
             ("social media", "monitoring and prioritising citizen needs"): f"Reddick et al. (2017){reported} (driver)",
             ("e-government websites", "trust in government"): f"Porumbescu (2016){reported} (barrier)",
             ("social media", "trust in government"): f"Porumbescu (2016){reported} (driver)",
             ("social media", "breadth and balance of public information"):
                 f"Wukich & Mergel (2016){reported} (barrier)",
             ("Improved Public Services (dimension)", "Improved Administration (dimension)"):
                 "Twizeyimana & Andersson (2019)"}
    for (source, target), who in alone.items():
        assert [source, target, who] in [[row[1], row[2], row[5]] for row in rows], (source, target)
        assert any(f". {source} → {target} (" in t and t.endswith(f"supported by: {who}") for t in curves), \
            (source, target)
    # the columns: a chain keeps its middle concept in the middle; a link from a channel or characteristic
    # runs from the first column, one from a value or construct from the second
    parts: dict[tuple[str, str], set[str]] = {}
    for heading, cells in sections:
        parts.setdefault((cells[1], cells[2]), set()).add(heading.split(":", 1)[0])
    first, second = {"First column to second"}, {"Second column to third"}
    for start, via, end, *_ in answer(store, "value-paths"):
        assert parts[(start, via)] == first and parts[(via, end)] == second, (start, via, end)
    for source, target in alone:
        from_a_value = source.startswith("Improved Public Services")
        assert parts[(source, target)] == (second if from_a_value else first), (source, target)
    columns: dict[str, set[int]] = {}
    for g in network.iter(SVG + "g"):
        if g.get("class") == "node":
            rect = g.find(SVG + "rect")
            columns.setdefault(text_of(rect.find(SVG + "title")), set()).add(round(float(rect.get("x"))))
    xs = sorted({x for found in columns.values() for x in found})
    assert len(xs) == 3 and sum(len(found) for found in columns.values()) == 22
    assert columns["social media"] == {xs[0]} and columns["user satisfaction"] == {xs[1]}
    assert columns["Improved Public Services (dimension)"] == {xs[1]}
    assert columns["public value of digital services"] == {xs[2]}


def test_network_edges_places_links_outside_chains_by_their_start():
    """A chain of three links is drawn in both places (each two-step chain keeps its middle concept in the
    middle); a link in no chain starts where its start already starts a chain, else by the start's kind."""
    def row(finding, source, target, direction=None):
        return (URIRef(f"https://example.org/{finding}"), Literal(source), Literal(target),
                Literal(direction) if direction else None, Literal("S"), Literal("p. 1"), Literal("first-hand"),
                Literal("result"), Literal("stated"), None)

    links = QueryResult(["finding", "from", "to", "direction", "study", "locator", "support", "status", "strength",
                         "work"], [
        row("f1", "portal", "use", "driver"), row("f2", "use", "benefit"), row("f3", "benefit", "trust"),
        row("f4", "value a", "value b"), row("f5", "portal", "value c", "barrier"),
        row("f6", "construct x", "value d"), row("f7", "x", "y"), row("f7", "y", "z")])
    middle = {("https://example.org/f4", "value a"), ("https://example.org/f6", "construct x"),
              ("https://example.org/f2", "use")}
    edges = network_edges(links, middle, {"driver": "driver", "barrier": "barrier"})
    placed = {(e.step, e.source, e.target) for e in edges}
    assert placed == {(0, "portal", "use"), (1, "use", "benefit"), (0, "use", "benefit"), (1, "benefit", "trust"),
                      (1, "value a", "value b"), (0, "portal", "value c"), (1, "construct x", "value d"),
                      (0, "x", "y"), (0, "y", "z")}  # f7 is one finding: not a chain of its own
    assert next(e for e in edges if e.target == "value c").kind == "barrier"


def test_a_chain_that_joins_two_studies_is_marked_as_a_hypothesis(report):
    """Its second step is drawn faint and says so; a chain one study states is drawn as a finding."""
    def row(finding, source, target, study):
        return (URIRef(f"https://example.org/{finding}"), Literal(source), Literal(target), None, Literal(study),
                Literal("p. 1"), Literal("first-hand"), Literal("result"), Literal("stated"), None)

    links = QueryResult(["finding", "from", "to", "direction", "study", "locator", "support", "status", "strength",
                         "work"], [row("f1", "portal", "use", "S1"), row("f2", "use", "benefit", "S2"),
                                   row("f3", "use", "trust", "S1")])
    edges = {(e.step, e.source, e.target): e for e in network_edges(links, set(), {})}
    assert edges[(1, "use", "benefit")].across_studies and not edges[(1, "use", "trust")].across_studies
    assert not edges[(0, "portal", "use")].across_studies
    # on the seed data: Rodriguez et al.'s engagement, on to Medaglia & Zhu's creative ideas
    rows = table_rows(parse(report / "index.html"), "network-edges")
    marked = [row[1:3] for row in rows if "a hypothesis" in row[4]]
    assert marked == [["citizen engagement", "creative ideas"]]
    network = parse(report / "figures" / "value-network.svg")
    faint = [text_of(p.find(SVG + "title")) for p in network.iter(SVG + "path") if p.get("stroke-opacity") == "0.35"]
    assert len(faint) == 1 and "citizen engagement → creative ideas" in faint[0]


def test_a_weak_or_second_hand_link_never_widens_a_first_hand_curve():
    """Findings linking the same two concepts share a curve only when they are supported alike: a weak
    finding ("still at an early stage") beside two first-hand drivers is a curve of its own, dotted."""
    def row(finding, study, support="first-hand", strength="stated", direction="driver"):
        return (URIRef(f"https://example.org/{finding}"), Literal("portal"), Literal("trust"),
                Literal(direction) if direction else None, Literal(study), Literal("p. 1"), Literal(support),
                Literal("result"), Literal(strength), None)

    links = QueryResult(["finding", "from", "to", "direction", "study", "locator", "support", "status", "strength",
                         "work"], [row("f1", "S1"), row("f2", "S2"), row("f3", "S3", strength="weak", direction=None),
                                   row("f4", "S4", support="second-hand")])
    edges = network_edges(links, set(), {"driver": "driver", "barrier": "barrier"})
    by_kind = {e.evidence: e.studies for e in edges}
    assert by_kind == {"first-hand": ["S1", "S2"], "hedged or weak": ["S3"], "second-hand": ["S4"]}


def test_the_factor_matrix_counts_drivers_and_barriers_per_category_and_study(report, store):
    root = parse(report / "index.html")
    categories = table_rows(root, "factor-categories")
    expected = answer(store, "drivers-and-barriers")
    assert [[row[0], row[3], row[4]] for row in categories] == [[row[0], row[3], row[4]] for row in expected]
    assert ["human factors", "1", "3"] in [[row[0], row[3], row[4]] for row in categories]
    assert "citizen experience" in categories[0][1] and "user resistance" in categories[0][2]
    # the matrix: per category and study, the factor findings per direction (driver, barrier, none)
    table = root.find(".//*[@id='factor-matrix']")
    head = text_of(table.find(f"{XHTML}thead"))
    assert "Factors Affecting Government Use of Social Media for Service Provision (Iran)" in head
    assert "Mergel (2016) (United States)" in head and "All studies" in head
    factors = answer(store, "factors")
    count = Counter((category, direction) for category, _factor, direction, *_ in factors)
    matrix = {row[0]: [int(n) for n in row[1:]] for row in table_rows(root, "factor-matrix")}
    assert set(matrix) == {category for category, *_ in factors}
    for category, cells in matrix.items():
        assert cells[-3:] == [count[(category, "driver")], count[(category, "barrier")], count[(category, "")]]
        assert sum(cells[:-3]) == sum(cells[-3:])  # the studies' columns add up to all studies'
    assert matrix["managerial factors"][-3:] == [0, 4, 0]  # the source's four; Mergel's activities are apart
    assert matrix["key activities for adopting social media"][-3:] == [0, 0, 2]  # named, not judged
    figure = parse(report / "figures" / "factor-matrix.svg")
    assert any(text_of(t).startswith("human factors · Factors Affecting Government Use of Social Media for Service "
                                     "Provision (Iran) · barrier: 3 findings: usability of the social media "
                                     "platform; user resistance; user training") for t in figure.iter(SVG + "title"))


def test_the_studies_are_counted_by_country_and_by_method(report, store):
    root = parse(report / "index.html")
    by_country = Counter(country or "no country stated" for country, *_ in answer(store, "studies-by-country"))
    rows = table_rows(root, "countries-table")
    assert {row[0]: int(row[1]) for row in rows} == by_country
    assert {row[0] for row in rows} >= {"Mexico", "South Korea", "United States", "China", "Iran"}
    assert rows[0][:3] == ["Mexico", "3", "10"]  # Buyannemekh 2024 (5), Luna 2019 (1), Luna 2024 (4)
    chart = parse(report / "figures" / "studies-by-country.svg")
    assert "3 studies · 10 findings" in {text_of(t) for t in chart.iter(SVG + "text")}
    methods = {row[0]: int(row[1]) for row in table_rows(root, "methods-table")}
    assert methods["focus groups"] == 2 and methods["meta-synthesis"] == 1
    assert methods["no method stated"] == sum(1 for row in answer(store, "studies") if not row[2])
    chart = parse(report / "figures" / "studies-by-method.svg")
    assert "focus groups" in {text_of(t) for t in chart.iter(SVG + "text")}


def test_labels_come_in_the_asked_language_and_directions_are_still_told_apart(store, tmp_path):
    write_report(store, tmp_path, lang="fa")
    root = parse(tmp_path / "index.html")
    persian = answer(store, "drivers-and-barriers", "fa")
    human = persian[0][0]
    assert human != "human factors"  # the seed gives Persian category labels
    matrix = {row[0]: [int(n) for n in row[1:]] for row in table_rows(root, "factor-matrix")}
    assert matrix[human][-3:] == [1, 3, 0]
    head = text_of(root.find(".//*[@id='factor-matrix']/{http://www.w3.org/1999/xhtml}thead"))
    directions = {row[2] for row in answer(store, "factors", "fa") if row[2]}
    assert directions and all(label in head for label in directions)
    assert text_of(root.find(".//*[@id='label-language']")) == "fa"


# -- determinism, escaping, errors -----------------------------------------------------------------------

def test_the_same_graph_gives_the_same_bytes_on_either_engine(store, seed_build, tmp_path):
    first = write_report(store, tmp_path / "a")
    second = write_report(seed_build.graph, tmp_path / "b")  # rdflib's engine
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    again = write_report(store, tmp_path / "a")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in second]


def test_escaping_drops_what_xml_cannot_hold_and_escapes_markup():
    assert xml_escape(HOSTILE) == ("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Smith&#34; "
                                   "&lt;b&gt;et al.&lt;/b&gt; (2024)")
    assert clean("a\x00b\x01c\ufffed\te") == "abcd\te"


def hostile_graph() -> Graph:
    """A tiny graph whose labels are markup: a study, a two-step chain of link findings, a factor finding."""
    g = Graph()
    study = ID["work/hostile-2024"]
    g.add((study, RDF.type, PVKG.Study))
    g.add((study, RDFS.label, Literal(HOSTILE)))
    g.add((study, DCTERMS.identifier, Literal("hostile-2024")))
    g.add((study, DCTERMS.bibliographicCitation, Literal(HOSTILE + " <i>Journal</i> & Co\x01")))
    concepts = {"c": (PVKG.ServiceCharacteristic, "<img src=x onerror=alert(1)> portal"),
                "v": (PVKG.PublicValue, 'trust & "confidence" <\u00e9>'),
                "w": (PVKG.PublicValue, "équité ]]> <![CDATA[ x"),
                "f": (PVKG.AdoptionFactor, "cost & <budget>"),
                "k": (PVKG.FactorCategory, "</text><script>bad()</script>")}
    for key, (cls, label) in concepts.items():
        g.add((ID[f"x/{key}"], RDF.type, cls))
        g.add((ID[f"x/{key}"], RDF.type, SKOS.Concept))  # as the loader types every concept
        g.add((ID[f"x/{key}"], SKOS.prefLabel, Literal(label, lang="en")))
    g.add((ID["x/f"], SKOS.broader, ID["x/k"]))
    g.add((PVKG.Driver, RDFS.label, Literal("driver", lang="en")))
    supported = ((PVKG.support, PVKG.FirstHand), (PVKG.status, PVKG.Result), (PVKG.strength, PVKG.Stated))
    for n, (source, target) in enumerate((("c", "v"), ("v", "w"))):
        finding = ID[f"finding/hostile-{n}"]
        g.add((finding, RDF.type, PVKG.Finding))
        g.add((finding, RDF.type, PVKG.LinkFinding))
        g.add((finding, PVKG.linkFrom, ID[f"x/{source}"]))
        g.add((finding, PVKG.linkTo, ID[f"x/{target}"]))
        g.add((finding, PVKG.reportedIn, study))
        g.add((finding, PVKG.locator, Literal("p. <1> & 2")))
        for p, o in supported:
            g.add((finding, p, o))
    finding = ID["finding/hostile-f"]
    for p, o in ((RDF.type, PVKG.Finding), (RDF.type, PVKG.FactorFinding), (PVKG.aboutFactor, ID["x/f"]),
                 (PVKG.direction, PVKG.Driver), (PVKG.reportedIn, study), *supported):
        g.add((finding, p, o))
    return g


def test_hostile_labels_stay_text(tmp_path):
    written = write_report(hostile_graph(), tmp_path)
    for path in written:
        root = parse(path)  # well-formed, whatever the labels held
        tags = {e.tag.rsplit("}", 1)[-1] for e in root.iter()}
        assert not tags & {"script", "img", "b", "i"}, path.name
        assert not any(name.startswith("on") for e in root.iter() for name in e.attrib), path.name
    text = text_of(parse(tmp_path / "index.html"))
    for label in (HOSTILE, "<img src=x onerror=alert(1)> portal", 'trust & "confidence" <\u00e9>',
                  "équité ]]> <![CDATA[ x", "cost & <budget>", "</text><script>bad()</script>"):
        assert " ".join(label.split()) in text, label
    assert HOSTILE + " <i>Journal</i> & Co" in text  # the control character is dropped
    network = parse(tmp_path / "figures" / "value-network.svg")
    assert "<img src=x onerror=alert(1)> portal" in {text_of(t) for t in network.iter(SVG + "title")}
    assert any(HOSTILE in text_of(t) for t in network.iter(SVG + "title"))
    matrix = parse(tmp_path / "figures" / "factor-matrix.svg")
    assert "</text><script>bad()</script>" in text_of(matrix)


def test_user_errors_are_pvkg_errors(store, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(PvkgError) as error:  # a WriteError, from the one layer every write goes through
        write_report(store, blocker)
    assert "a-file" in str(error.value) and error.value.exit_code == 2
    with pytest.raises(PvkgError) as error:
        write_report(store, tmp_path / "out", lang="not a tag")
    assert "language tag" in str(error.value)
    assert not (tmp_path / "out").exists()  # nothing is written when the report cannot be made


def test_an_empty_graph_gives_a_report_that_says_so(tmp_path):
    write_report(Graph(), tmp_path)
    root = parse(tmp_path / "index.html")
    assert text_of(root.find(".//*[@id='count-studies']")) == "0"
    assert "No link finding" in text_of(root.find(".//*[@id='network-edges']"))
    for stem in FIGURES.values():
        assert parse(tmp_path / "figures" / f"{stem}.svg").tag == SVG + "svg"


# -- in a browser ------------------------------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """The folder over HTTP on 127.0.0.1 (a free port), in a thread, stopped afterwards; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# Per figure: how much of its drawing lies outside its viewBox (cut off), and every label that spills out of
# the box drawn for it (network nodes) or into the next one.
GEOMETRY = """svg => {
  const view = svg.viewBox.baseVal, box = svg.getBBox();
  const out = [];
  if (box.x < -0.5 || box.y < -0.5 || box.x + box.width > view.width + 0.5 || box.y + box.height > view.height + 0.5)
    out.push(`drawing ${box.x},${box.y},${box.width}x${box.height} exceeds the view ${view.width}x${view.height}`);
  for (const node of svg.querySelectorAll('g.node')) {
    const r = node.querySelector('rect').getBBox(), t = node.querySelector('text').getBBox();
    if (t.x < r.x || t.y < r.y || t.x + t.width > r.x + r.width || t.y + t.height > r.y + r.height)
      out.push(`label '${node.querySelector('text').textContent}' spills out of its box`);
  }
  const texts = Array.from(svg.querySelectorAll('text')).map(t => [t.textContent, t.getBBox()]);
  for (let i = 0; i < texts.length; i++)
    for (let j = i + 1; j < texts.length; j++) {
      const [a, p] = texts[i], [b, q] = texts[j];
      const w = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x);
      const h = Math.min(p.y + p.height, q.y + q.height) - Math.max(p.y, q.y);
      if (w > 1 && h > 1) out.push(`'${a}' overlaps '${b}'`);
    }
  return out;
}"""


def test_the_figures_render_in_a_browser_without_requests_or_errors(report, page, tmp_path):  # noqa: F811
    from PIL import Image

    with serving(report) as url:
        page.goto(url + "/index.html")
        page.wait_for_load_state("load")
        assert page.title().startswith("Evidence report")
        for figure_id, stem in FIGURES.items():
            svg = page.locator(f"#{figure_id} svg")
            box = svg.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 60, figure_id
            assert svg.evaluate(GEOMETRY) == [], figure_id
            shot = tmp_path / f"{stem}.png"
            svg.screenshot(path=str(shot))
            image = Image.open(shot).convert("RGB")
            counts = image.getcolors(maxcolors=image.width * image.height)  # (pixels, colour) per colour
            drawn = 1 - max(n for n, _ in counts) / (image.width * image.height)  # not the background
            major = [colour for n, colour in counts if n >= 0.003 * image.width * image.height]
            assert drawn > 0.06, f"{figure_id}: only {drawn:.1%} of its pixels are drawn"
            # the background, fills and text at least, beside the shades that anti-aliasing makes
            assert len(major) >= 4 and len(counts) >= 16, f"{figure_id}: {len(major)} colours ({len(counts)} shades)"
        # the tooltips that say who says so are there, one per curve
        edges = page.locator("#figure-network svg path.edge")
        assert edges.count() == page.locator("#network-edges tbody tr[id]").count() > 0
        assert "Luna et al. (2024)" in " ".join(edges.locator("title").all_text_contents())
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert page.external_requests == [] and page.errors == []
