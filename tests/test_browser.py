"""`pvkg serve` in a real browser: Debian's Chromium, headless, driven by Playwright (tests/browser.py), with every
request to another host blocked and recorded. The start page leads to a research question and its table; the
query editor (YASGUI, served from the package) runs a query on /sparql and shows its rows; nothing is fetched
from elsewhere. Screenshots go to each test's output folder (tmp_path) and are checked to be real pictures."""

from __future__ import annotations

import re
import urllib.parse

from browser import is_loopback_url, screenshot
from servers import pvkg_server  # noqa: F401  (pytest fixtures)

from pvkg._sparql.queries import load_queries, run_query
from pvkg._sparql.stores import OxigraphStore

EDITOR = ".yasqe .CodeMirror"
RUN_BUTTON = ".yasqe_queryButton"
RESULT_ROWS = ".yasr .dataTable tbody tr"
ENDPOINT_FIELD = ".controlbar .autocompleteWrapper input"
TIMEOUT_MS = 30_000  # requests are fast here; a long wait means something is broken, not slow

STUDIES_QUERY = """PREFIX pvkg: <https://w3id.org/pvkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?study ?title WHERE { ?study a pvkg:Study ; rdfs:label ?title } ORDER BY ?title"""
TYPED_QUERY = """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?number ?date ?label ?plain ?iri WHERE {
  BIND(1 AS ?number) BIND("2019-05-01"^^xsd:date AS ?date) BIND("transparency"@en AS ?label)
  BIND("<b>not markup</b>" AS ?plain) BIND(<https://w3id.org/pvkg/id/value/transparency> AS ?iri)
}"""


def sparql_requests(page) -> list:  # noqa: F811
    """Record the page's requests to /sparql."""
    sent: list = []
    page.on("request", lambda request: sent.append(request) if urllib.parse.urlsplit(request.url).path == "/sparql"
            else None)
    return sent


def open_editor(page, url: str) -> None:  # noqa: F811
    page.goto(url)
    page.wait_for_selector(EDITOR, timeout=TIMEOUT_MS)
    page.wait_for_function("() => window.yasgui && window.yasgui.getTab() && window.yasgui.getTab().getYasqe()",
                           timeout=TIMEOUT_MS)


def set_query(page, text: str) -> None:  # noqa: F811
    page.evaluate("(text) => { window.yasgui.getTab().setQuery(text); }", text)


def result_rows(page) -> list[list[str]]:  # noqa: F811
    return page.eval_on_selector_all(
        RESULT_ROWS, "rows => rows.map(row => Array.from(row.querySelectorAll('td')).map(td => td.innerText.trim()))")


def test_loopback_urls_are_told_apart_from_external_ones():
    for url in ("http://127.0.0.1:8000/sparql", "http://localhost/x", "http://[::1]:1/", "data:text/plain,hi"):
        assert is_loopback_url(url), url
    for url in ("https://lov.linkeddata.es/dataset/lov/api/v2/autocomplete/terms?q=x", "https://dbpedia.org/sparql",
                "http://10.0.0.1/", "http://localhost.example.org/"):
        assert not is_loopback_url(url), url


def test_the_page_blocks_and_records_requests_to_other_hosts(page):  # noqa: F811
    # what makes `page.external_requests == []` below mean something; .invalid never resolves anyway
    page.set_content("<p>offline</p>")
    outcome = page.evaluate("""() => fetch("https://pvkg-external.invalid/data.json")
        .then(() => "fetched", error => "refused: " + error.name)""")
    assert outcome == "refused: TypeError"
    assert page.external_requests == ["https://pvkg-external.invalid/data.json"]


def test_from_the_start_page_to_a_research_question_and_its_table(page, pvkg_server, seed_build,  # noqa: F811
                                                                   tmp_path):
    page.goto(pvkg_server.url + "/")
    assert page.inner_text("#count-studies") == str(seed_build.summary["studies"])
    query = load_queries()["drivers-and-barriers"]
    page.get_by_role("link", name=query.question).click()
    page.wait_for_selector("#answer tbody tr", timeout=TIMEOUT_MS)
    assert page.url.endswith("/queries/drivers-and-barriers")
    assert query.question in page.inner_text(".question")
    expected = run_query(OxigraphStore.from_graph(seed_build.graph), query, {})
    rows = page.locator("#answer tbody tr")
    assert rows.count() == len(expected.rows) > 0
    first = [cell.strip() for cell in rows.nth(0).locator("td").all_inner_texts()]
    assert first[0].startswith(str(expected.rows[0][0]))  # a label, shown with its language tag
    assert "SELECT" in page.inner_text("pre.sparql")
    shot = screenshot(page, tmp_path, "research-question")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
    assert page.external_requests == [] and page.errors == []


def test_a_resource_page_links_to_its_findings(page, pvkg_server, tmp_path):  # noqa: F811
    page.goto(pvkg_server.url + "/id/value/transparency")
    assert page.inner_text("h1") == "transparency"
    finding = page.locator("#findings tbody tr a").first
    finding.click()
    page.wait_for_url(re.compile(r"/id/finding/"), timeout=TIMEOUT_MS)
    assert "Statements" in page.inner_text("main")
    assert screenshot(page, tmp_path, "finding").stat().st_size > 10_000
    assert page.external_requests == [] and page.errors == []


def test_from_a_study_to_its_comparison_with_another_picked_in_the_form(page, pvkg_server, tmp_path):  # noqa: F811
    """A study's page leads to the comparison page with that study ticked; ticking another and submitting the
    form (a plain GET form: no script involved) shows one column per study and the rows of what they found."""
    page.goto(pvkg_server.url + "/id/work/luna-2024")
    page.get_by_role("link", name="Compare this study with others…").click()
    page.wait_for_url(re.compile(r"/compare\?study=luna-2024$"), timeout=TIMEOUT_MS)
    assert page.get_by_role("checkbox", name="Luna et al. (2024) luna-2024").is_checked()
    page.get_by_role("checkbox", name="Mergel (2016) mergel-2016").check()
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("#comparison tbody tr", timeout=TIMEOUT_MS)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query) == {"study": ["luna-2024", "mergel-2016"]}
    heads = [text.strip() for text in page.locator("#comparison thead th").all_inner_texts()]
    assert heads == ["Property", "Luna et al. (2024) luna-2024", "Mergel (2016) mergel-2016"]
    factors = page.locator("#comparison tbody tr", has=page.get_by_role("rowheader", name="factors and directions"))
    cells = factors.locator("td").all_inner_texts()
    assert cells[0].strip() == "" and "(smsf-18: second-hand, result, stated — as Factors Affecting" in cells[1]
    assert page.get_by_role("link", name="CSV").get_attribute("href").endswith("&format=csv")
    assert screenshot(page, tmp_path, "comparison").stat().st_size > 20_000
    assert page.external_requests == [] and page.errors == []


def test_the_query_editor_runs_a_query_and_shows_its_rows(page, pvkg_server, seed_build, tmp_path):  # noqa: F811
    sent = sparql_requests(page)
    open_editor(page, pvkg_server.url + "/editor")
    assert page.input_value(ENDPOINT_FIELD) == f"{pvkg_server.url}/sparql"
    set_query(page, STUDIES_QUERY)
    # syntax highlighting: CodeMirror has tokenised keywords and variables
    assert page.locator(".yasqe .cm-keyword", has_text="SELECT").count() == 1
    assert page.locator(".yasqe .cm-atom", has_text="?title").count() >= 1
    page.click(RUN_BUTTON)
    page.wait_for_selector(f"{RESULT_ROWS} >> nth=1", timeout=TIMEOUT_MS)
    rows = result_rows(page)
    expected = OxigraphStore.from_graph(seed_build.graph).select(STUDIES_QUERY)[1]
    # cells: YASR's row number, the study's IRI, the title with its language as a note ("... en")
    assert [row[2] for row in rows] == [f"{title} {title.language}" for _, title in expected][:len(rows)]
    assert len(rows) == len(expected)
    assert [request.method for request in sent] == ["POST"]
    assert "application/sparql-results+json" in sent[0].headers["accept"]
    shot = screenshot(page, tmp_path, "editor-results")
    assert shot.stat().st_size > 20_000
    assert page.external_requests == [] and page.errors == []


def test_result_cells_show_a_literals_value_with_its_language_or_datatype_aside(page, pvkg_server):  # noqa: F811
    """A typed literal shows as its lexical form ("1", "2019-05-01"), not "1"^^<...#integer>; its datatype is the
    title, a language a small note; IRIs stay links."""
    open_editor(page, pvkg_server.url + "/editor")
    set_query(page, TYPED_QUERY)
    page.click(RUN_BUTTON)
    page.wait_for_selector(f"{RESULT_ROWS} >> nth=0", timeout=TIMEOUT_MS)
    cells = page.eval_on_selector_all(f"{RESULT_ROWS} >> nth=0 >> td", """cells => cells.slice(1).map(td => ({
        text: td.innerText.trim(), titles: Array.from(td.querySelectorAll('[title]')).map(e => e.title),
        links: Array.from(td.querySelectorAll('a')).map(a => a.href),
        note: (td.querySelector('.literal-language') || {}).textContent || null,
        lang: (td.querySelector('[lang]') || {}).lang || null}))""")
    number, date, label, plain, iri = cells
    assert number == {"text": "1", "titles": ["xsd:integer"], "links": [], "note": None, "lang": None}
    assert date == {"text": "2019-05-01", "titles": ["xsd:date"], "links": [], "note": None, "lang": None}
    assert label == {"text": "transparency en", "titles": [], "links": [], "note": "en", "lang": "en"}
    assert plain["text"] == "<b>not markup</b>" and plain["titles"] == [] and plain["lang"] is None
    assert iri["links"] == ["https://w3id.org/pvkg/id/value/transparency"]
    assert page.external_requests == [] and page.errors == []


def test_the_editor_shows_the_servers_refusal(page, pvkg_server):  # noqa: F811
    open_editor(page, pvkg_server.url + "/editor")
    set_query(page, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    page.click(RUN_BUTTON)
    page.wait_for_selector(".yasr .errorResult", timeout=TIMEOUT_MS)
    assert "SERVICE is refused" in page.inner_text(".yasr .errorResult")
    assert page.external_requests == []


def test_a_typed_endpoint_is_not_queried(page, pvkg_server):  # noqa: F811
    sent = sparql_requests(page)
    open_editor(page, pvkg_server.url + "/editor?" + urllib.parse.urlencode({"query": STUDIES_QUERY}))
    assert page.evaluate("() => window.yasgui.getTab().getQuery()") == STUDIES_QUERY
    assert sent == []  # opening the editor with a query does not run it
    page.evaluate("() => { window.yasgui.getTab().setEndpoint('https://dbpedia.org/sparql'); }")
    page.click(RUN_BUTTON)
    page.wait_for_selector(f"{RESULT_ROWS} >> nth=1", timeout=TIMEOUT_MS)
    assert len(sent) == 1 and page.external_requests == []


def test_autocompletion_needs_no_network(page, pvkg_server):  # noqa: F811
    open_editor(page, pvkg_server.url + "/editor")
    yasqe = "window.yasgui.getTab().getYasqe()"
    assert page.evaluate(f"() => {yasqe}.config.autocompleters") == ["variables", "prefixes"]
    # where YASGUI's remote completers would ask lov.linkeddata.es: after `a` (a class) and as a predicate
    set_query(page, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT * WHERE {\n  ?s a rdfs:Cla")
    page.evaluate(f"() => {{ const y = {yasqe}; y.focus(); y.getDoc().setCursor(y.getDoc().lastLine(), 100); }}")
    page.keyboard.press("Control+Space")
    page.keyboard.type("s . ?s rdfs:lab", delay=20)
    page.keyboard.press("Control+Space")
    # the bundled prefixes still complete, without prefix.cc
    set_query(page, "PREFIX foa")
    page.evaluate(f"() => {{ const y = {yasqe}; y.focus(); y.getDoc().setCursor(0, 10); }}")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hint", timeout=TIMEOUT_MS)
    hints = page.eval_on_selector_all(".CodeMirror-hint", "hints => hints.map(h => h.textContent)")
    assert "foaf: <http://xmlns.com/foaf/0.1/>" in hints, hints[:10]
    assert page.external_requests == [] and page.errors == []
