"""Comparison of studies (pvkg/_query/compare.py, `pvkg compare`, the served /compare): on the seed studies, the rows
and values of two real studies are what their study files say; a second-hand finding is one finding under both the
study that reports it and the study it is about; the editors' placements and readings, background and hedges
are marked as such (a made-up study in tests/data/compare/ has what the seed studies lack); the order is fixed
and the same on both engines; CSV parses back; an unknown id names the nearest ids."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest
from conftest import REPO, STUDIES
from servers import pvkg_server  # noqa: F401  (pytest fixture)

from pvkg._build import pipeline
from pvkg._query.compare import Comparison, UnknownStudyError, compare
from pvkg._sparql.results import render
from pvkg._sparql.stores import OxigraphStore, RdflibStore

SAMPLE = REPO / "tests" / "data" / "compare"
LUNA, MERGEL, REVIEW = "luna-2024", "mergel-2016", "social-media-service-factors"
REVIEW_LABEL = "Factors Affecting Government Use of Social Media for Service Provision"  # it names no authors
RECORD_ROWS = ["study", "year", "known only from", "country", "region", "cities", "population", "setting", "channels",
               "methods", "sample", "research questions"]
FINDING_ROWS = ["values found", "characteristics found", "factors and directions", "links and directions",
                "channels and constructs found"]


@pytest.fixture(scope="module")
def store(seed_build):
    return OxigraphStore.from_graph(seed_build.graph)


def cells(comparison: Comparison) -> dict[str, dict[str, list[str]]]:
    """property -> study id -> the cell's values as text."""
    return {p.name: {s.id: [str(e) for e in cell] for s, cell in zip(comparison.studies, p.cells, strict=True)}
            for p in comparison.properties}


def test_two_real_studies_side_by_side_as_their_study_files_say(seed_build, store):
    corpus = seed_build.corpus
    study = {s.id: s for s in corpus.studies}
    label = {c.id: c.label["en"] for c in corpus.concepts} | {c.code: c.label["en"] for c in corpus.countries}
    luna, mergel = study[LUNA], study[MERGEL]
    result = compare(store, [LUNA, MERGEL])
    table = cells(result)
    assert [(s.id, s.label) for s in result.studies] == [(LUNA, "Luna et al. (2024)"), (MERGEL, "Mergel (2016)")]
    # the record: rows in their fixed order, each as the files say; a row no study has is left out
    assert list(table) == [row for row in RECORD_ROWS + FINDING_ROWS if row not in
                           ("region", "characteristics found", "channels and constructs found")]
    assert table["year"] == {LUNA: [str(luna.record.year)], MERGEL: [str(mergel.record.year)]}
    assert table["known only from"] == {LUNA: [], MERGEL: [REVIEW_LABEL]} and mergel.known_from == REVIEW
    assert table["country"] == {LUNA: [label[c] for c in luna.context.countries],
                                MERGEL: [label[c] for c in mergel.context.countries]} == {LUNA: ["Mexico"],
                                                                                            MERGEL: ["United States"]}
    assert table["cities"] == {LUNA: [f"{luna.context.city_count} cities"], MERGEL: []}
    assert table["setting"] == {LUNA: [], MERGEL: [mergel.context.setting["en"]]}
    assert table["channels"] == {LUNA: [], MERGEL: [label[c] for c in mergel.context.channels]}
    assert table["methods"] == {LUNA: [label[m] for m in luna.design.methods], MERGEL: []}
    assert table["sample"] == {LUNA: [f"{luna.context.sample.size} {luna.context.sample.unit['en']}"], MERGEL: []}
    assert table["research questions"] == {LUNA: [q.statement["en"] for q in luna.research_questions], MERGEL: []}
    # what Luna et al. found: each value of each values finding, at its level, first-hand; the hedge kept
    expected = sorted(f"{label[c]}, {f.level} level ({f.id}: first-hand, result, {f.strength})"
                      for f in luna.findings if f.kind == "values" for c in f.about)
    assert table["values found"][LUNA] == expected and len(expected) == 5
    assert "individual benefits, individual level (luna2024-01: first-hand, result, hedged)" in expected
    def names(ids: list[str]) -> str:
        return ", ".join(sorted(label[c] for c in ids))

    links = sorted(f"{names(f.link_from)} → {names(f.link_to)} ({f.id}: first-hand, result, stated)"
                   for f in luna.findings if f.kind == "link")
    assert table["links and directions"] == {LUNA: links, MERGEL: []}
    # what pvkg has of Mergel (2016): the review's account, second-hand, under Mergel's own category
    reported = [f for f in corpus.findings if f.work and next(
        c for c in study[f.study].cites if c.id == f.work).identified_as == MERGEL]
    assert [f.id for f in reported] == ["smsf-18"]
    assert table["factors and directions"] == {LUNA: [], MERGEL: sorted(
        f"{label[c]}, under {label['factor:social-media-adoption-activities']} (smsf-18: second-hand, result, "
        f"stated — as {REVIEW_LABEL} reports it)" for c in reported[0].about)}


def test_a_second_hand_finding_is_one_finding_under_the_study_reporting_it_and_the_study_it_is_about(store):
    table = cells(compare(store, [REVIEW, MERGEL]))
    factors = table["factors and directions"]
    review_18 = [v for v in factors[REVIEW] if "(smsf-18:" in v]
    mergel_18 = [v for v in factors[MERGEL] if "(smsf-18:" in v]
    assert len(review_18) == len(mergel_18) == 2  # routinization, strategic alignment: one finding, one id
    assert all(v.endswith("— this study's account of Mergel (2016))") for v in review_18)
    assert all(v.endswith(f"— as {REVIEW_LABEL} reports it)") for v in mergel_18)
    # the review's own results are first-hand, with their directions and the source's own categories
    assert "transparency, under managerial factors: barrier (smsf-02: first-hand, result, stated)" in factors[REVIEW]
    assert "citizen experience, under human factors: driver (smsf-12: first-hand, result, stated)" in factors[REVIEW]
    # second-hand links keep their hedges, weak reports and correlations
    links = table["links and directions"][REVIEW]
    assert ("citizen engagement → creative ideas: driver (smsf-23: second-hand, result, weak — this study's account "
            "of Medaglia & Zhu (2017))") in links
    assert any(v.startswith("social media → citizens' satisfaction with the public sector, trust in government: "
                            "driver (smsf-26: second-hand, result, hedged, correlational") for v in links)


def test_editors_placements_and_readings_background_and_hedges_are_marked():
    graph = pipeline.build_graph([STUDIES, SAMPLE], reason=False).graph
    table = cells(compare(OxigraphStore.from_graph(graph), ["compare-sample-2020"]))
    sample = {name: column["compare-sample-2020"] for name, column in table.items()}
    assert sample["factors and directions"] == [
        "sample readiness, under human factors (placed there by the pvkg editors): driver "
        "(cs2020-01: first-hand, editors' reading, stated)"]
    assert sample["values found"] == ["transparency (cs2020-02: first-hand, background, stated)"]
    assert sample["links and directions"] == [
        "social media → trust in government: driver (cs2020-03: second-hand, result, hedged — this study's account "
        "of Someone (2010))"]
    assert sample["region"] == ["Central Mexico"] and sample["sample"] == ["2 focus groups"]


def test_the_order_is_fixed_and_the_same_on_both_engines(seed_build, store):
    ids = [MERGEL, LUNA]
    first = render(compare(store, ids).table(), "csv")
    assert render(compare(store, ids).table(), "csv") == first
    assert render(compare(RdflibStore(seed_build.graph), ids).table(), "csv") == first
    assert first.splitlines()[0] == f"property,{MERGEL},{LUNA}"  # the columns in the order asked for
    # labels in another language, English where there is none: the same on both engines too
    persian = render(compare(store, [REVIEW], "fa").table(), "csv")
    assert render(compare(RdflibStore(seed_build.graph), [REVIEW], "fa").table(), "csv") == persian
    assert "citizen experience, under انسانی: پیشران (smsf-12: first-hand, result, stated)" in persian
    # each study once, however often it is asked for
    assert [s.id for s in compare(store, [LUNA, MERGEL, LUNA]).studies] == [LUNA, MERGEL]


def test_csv_holds_one_row_per_property_and_the_values_of_a_cell_apart(store):
    result = compare(store, [LUNA, MERGEL])
    header, *rows = list(csv.reader(io.StringIO(render(result.table(), "csv"))))
    assert header == ["property", LUNA, MERGEL]
    assert [row[0] for row in rows] == [p.name for p in result.properties]
    by_property = {row[0]: row[1:] for row in rows}
    for name, columns in cells(result).items():
        assert [cell.split("; ") if cell else [] for cell in by_property[name]] == [columns[LUNA], columns[MERGEL]]


def test_an_unknown_id_names_the_nearest_ids(store):
    with pytest.raises(UnknownStudyError) as caught:
        compare(store, [LUNA, "luna-2023", "no-such-study-at-all"])
    assert caught.value.exit_code == 1
    assert caught.value.lines() == [
        "no study in the graph has the id 'luna-2023'; did you mean 'luna-2024' or 'luna-2019'?",
        "no study in the graph has the id 'no-such-study-at-all'; `pvkg compare` without ids lists the studies"]


def test_the_command_prints_the_comparison_lists_the_studies_and_refuses_an_unknown_id(cli, store, tmp_path):
    code, out, _ = cli("compare", LUNA, MERGEL, "--format", "csv", "--out", tmp_path)
    # (the test runner reads standard output as text, with universal newlines: CSV's CRLF becomes LF)
    assert code == 0 and out.splitlines() == render(compare(store, [LUNA, MERGEL]).table(), "csv").splitlines()
    code, out, _ = cli("compare", "--out", tmp_path)  # no ids: the studies to pick from
    assert code == 0 and out.splitlines()[0].split() == ["id", "study"]
    assert f"{MERGEL}  " in out and "Mergel (2016)" in out
    code, out, stderr = cli("compare", LUNA, "lunna-2024", "--out", tmp_path)
    assert code == 1 and out == "" and "Traceback" not in stderr
    assert stderr.splitlines() == ["no study in the graph has the id 'lunna-2024'; did you mean 'luna-2024' or "
                                   "'luna-2019' or 'buyannemekh-2024'?"]
    code, _, stderr = cli("compare", LUNA, "--format", "xml", "--out", tmp_path)
    assert code == 2 and "--format 'xml' is not one of" in stderr


# --- the served page -------------------------------------------------------------------------------------------


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url: str):
    """(status, headers, body as text) of a GET; HTTP errors are answers too."""
    try:
        with _opener.open(url, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


class Page(HTMLParser):
    """The links, checkboxes (value: checked) and comparison's column heads and rows of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[str] = []
        self.boxes: dict[str, bool] = {}
        self.heads: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._in_head = False
        self._row: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "input" and a.get("type") == "checkbox":
            self.boxes[a["value"]] = "checked" in a
        elif tag == "thead":
            self._in_head = True
        elif tag == "li" and self._cell is not None:
            self._cell.append(" ")  # the values of a cell apart
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_head:
                self.heads.append(text)
            elif tag == "th":
                self._row = text
                self.rows[text] = []
            elif self._row is not None:
                self.rows[self._row].append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_served_page_compares_the_studies_picked_and_links_to_its_csv(pvkg_server, store):  # noqa: F811
    base = pvkg_server.url
    status, _, body = http(f"{base}/compare?study={LUNA}&study={MERGEL}")
    page = Page(body)
    assert status == 200
    assert page.heads == ["Property", f"Luna et al. (2024) {LUNA}", f"Mergel (2016) {MERGEL}"]
    result = compare(store, [LUNA, MERGEL])
    for name, columns in cells(result).items():
        if name != "study":
            assert page.rows[name] == [" ".join(columns[LUNA]), " ".join(columns[MERGEL])], name
    # every study can be picked, the two compared are ticked
    assert page.boxes[LUNA] and page.boxes[MERGEL] and not page.boxes[REVIEW] and len(page.boxes) == 13
    assert "/id/finding/smsf-18" in page.links and f"/id/work/{MERGEL}" in page.links
    (csv_link,) = [link for link in page.links if "format=csv" in link]
    status, headers, body = http(base + csv_link)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body == render(result.table(), "csv")


def test_the_served_page_without_studies_offers_them_and_an_unknown_id_is_404_naming_the_nearest(
        pvkg_server):  # noqa: F811
    status, _, body = http(f"{pvkg_server.url}/compare")
    page = Page(body)
    assert status == 200 and len(page.boxes) == 13 and not any(page.boxes.values()) and page.heads == []
    status, _, body = http(f"{pvkg_server.url}/compare?" + urllib.parse.urlencode({"study": "luna-2023"}))
    assert status == 404 and "did you mean &#39;luna-2024&#39; or &#39;luna-2019&#39;?" in body
    assert len(Page(body).boxes) == 13  # the form to pick again
    many = urllib.parse.urlencode([("study", f"s-{n}") for n in range(51)])
    status, _, body = http(f"{pvkg_server.url}/compare?{many}")
    assert status == 400 and "compares at most 50 studies, not 51" in body


def test_the_start_page_and_each_studys_page_link_to_the_comparison(pvkg_server):  # noqa: F811
    assert "/compare" in Page(http(f"{pvkg_server.url}/")[2]).links
    assert f"/compare?study={LUNA}" in Page(http(f"{pvkg_server.url}/id/work/{LUNA}")[2]).links
    assert not [link for link in Page(http(f"{pvkg_server.url}/id/value/transparency")[2]).links
                if link.startswith("/compare")]
