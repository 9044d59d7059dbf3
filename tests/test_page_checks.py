"""Every page pvkg writes, checked with the tools its readers and auditors use: the Nu Html Checker (vnu, npm package
vnu-jar, on Java) finds no error and no warning, and axe-core (npm package axe-core, in headless Chromium through
tests/browser.py, off the network) no serious or critical violation.

The pages: what `pvkg serve` answers (the start page, /ontology, resource pages, every study's page, every question
page, the query editor, an error page, and /docs/ and /report/) and what `pvkg docs` and `pvkg report` write (as
in a release: every HTML page and every figure). They are written beside the served graph, so that the server
serves the very files vnu reads, and removed afterwards.

Both tools are pinned, with their integrity hashes, in tools/npm/package-lock.json and installed by
`npm ci --ignore-scripts` there (.ci/run does it; the scripts are skipped because vnu-jar's would download a Java
runtime, and the machine has one). Without them these tests are skipped, naming what to install; under CI=true
they fail.

The query editor is YASGUI, vendored (pvkg/static/vendor/yasgui/): what it does itself is listed, rule and
element, in KNOWN_EDITOR_VIOLATIONS, and the test asserts that list is exactly what axe finds, so it can neither
grow unseen nor keep an entry that no longer holds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import NPM_MODULES, axe_violations, use_axe
from conftest import STUDIES
from servers import PvkgServer, _missing, pvkg_server  # noqa: F401  (pytest fixtures)
from typer.testing import CliRunner

from pvkg._cli import app
from pvkg._namespaces import BASE, PVKG
from pvkg._publish.pages import local_path
from pvkg._sparql.queries import load_queries

VNU_JAR = NPM_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU_TIMEOUT_S = 300
AXE_TIMEOUT_MS = 30_000
# Pages beside the study and question pages: the start page, the ontology, concepts (one the editors placed, one
# with narrower concepts, a factor category), findings (a first-hand one, a second-hand one, one with an editors'
# note), a person, a scheme, a term of another vocabulary (/resource?iri=), the editor, a page of a long answer (with
# its links to the other pages), the comparison of studies (the form alone, and three studies compared) and a page
# that is not there (the error page, answered with 404)
SERVED = ["/", "/ontology", "/id/value/transparency", "/id/value/open-government-capabilities",
          "/id/factor/managerial", "/id/finding/luna2024-01", "/id/finding/smsf-22", "/id/finding/smsf-23",
          "/id/person/luna-dolores-e", "/id/scheme/values",
          "/resource?" + urllib.parse.urlencode({"iri": "http://www.w3.org/2004/02/skos/core#Concept"}),
          "/editor", "/queries/evidence?concept=value%3Atransparency", "/queries/concept-support?limit=20&offset=20",
          "/compare", "/compare?study=luna-2024&study=social-media-service-factors&study=mergel-2016",
          "/id/no-such-thing"]

# What the vendored YASGUI does itself on the editor page once it shows an answer, as (rule, element).
KNOWN_EDITOR_VIOLATIONS = {
    # Its tab list (role=tablist) holds, beside the tabs, the "add a tab" button in a role=presentation wrapper.
    ("aria-required-children", ".tabsList"),
}
EDITOR_QUERY = """PREFIX pvkg: <https://w3id.org/pvkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?study ?title ?findings WHERE {
  { SELECT ?study (COUNT(?finding) AS ?findings) WHERE { ?finding pvkg:reportedIn ?study } GROUP BY ?study }
  ?study rdfs:label ?title
} ORDER BY ?title"""


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(url: str, headers: dict | None = None):
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    try:
        with _opener.open(urllib.request.Request(url, headers=headers or {}), timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@dataclass(frozen=True)
class Site:
    """The server with docs and report written beside its graph, and the paths of its pages."""

    server: PvkgServer
    written: Path  # the folder holding docs/ and report/, as `pvkg docs` and `pvkg report` wrote them
    served: list[str]  # paths of the pages the server makes itself

    def url(self, path: str) -> str:
        return self.server.url + path

    @property
    def written_files(self) -> list[Path]:
        return sorted([*self.written.glob("docs/*.html"), *self.written.glob("report/*.html"),
                       *self.written.glob("report/figures/*.svg")])

    @property
    def written_paths(self) -> list[str]:
        """Where the server serves the written HTML pages."""
        return ["/" + str(f.relative_to(self.written)).replace("index.html", "")
                for f in self.written_files if f.suffix == ".html"]


def _select_iris(server: PvkgServer, query: str) -> list[str]:
    status, _, body = http(server.sparql_url + "?" + urllib.parse.urlencode({"query": query}),
                           headers={"Accept": "application/sparql-results+json"})
    assert status == 200, body
    return [row["x"]["value"] for row in json.loads(body)["results"]["bindings"]]


@pytest.fixture(scope="module")
def site(pvkg_server) -> Iterator[Site]:  # noqa: F811
    """`pvkg docs` and `pvkg report` run (in-process) beside the served graph, removed at the end of the module."""
    dist = pvkg_server.directory / "dist"
    for command in ("docs", "report"):
        result = CliRunner().invoke(app, [command, "--out", str(dist / command), "--dist", str(dist),
                                          "--studies", str(STUDIES)])
        assert result.exit_code == 0, result.stderr
    studies = _select_iris(pvkg_server, f"SELECT ?x WHERE {{ ?x a <{PVKG.Study}> }} ORDER BY ?x")
    served = [*SERVED, *map(local_path, studies), *(f"/queries/{name}" for name in load_queries())]
    try:
        yield Site(pvkg_server, dist, served)
    finally:
        for command in ("docs", "report"):
            shutil.rmtree(dist / command, ignore_errors=True)


# --- the ontology's page -------------------------------------------------------------------------------------------


class TermRows(HTMLParser):
    """Every id of a page, and the rows of its table of terms: id -> [(cell text, [link targets])...]."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: list[str] = []
        self.rows: dict[str, list[tuple[str, list[str]]]] = {}
        self._in_terms = False
        self._row: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "table":
            self._in_terms = "terms" in (attributes.get("class") or "").split()
        elif tag == "tr" and self._in_terms and "id" in attributes:
            self._row = attributes["id"]
            self.rows[self._row] = []
        elif tag == "td" and self._row:
            self.rows[self._row].append(("", []))
        elif tag == "a" and self._row and self.rows[self._row]:
            self.rows[self._row][-1][1].append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        elif tag == "table":
            self._in_terms = False

    def handle_data(self, data):
        if self._row and self.rows[self._row]:
            text, links = self.rows[self._row][-1]
            self.rows[self._row][-1] = (text + data, links)


def test_the_ontology_page_lists_each_term_once_with_readable_kinds_and_its_documentation(site):
    status, _, body = http(site.url("/ontology"))
    page = TermRows(body.decode())
    assert status == 200 and len(page.ids) == len(set(page.ids))  # vnu's "Duplicate ID", 38 times before
    terms = _select_iris(site.server, f"SELECT DISTINCT ?x WHERE {{ ?x a ?kind "
                                      f"FILTER(STRSTARTS(STR(?x), \"{PVKG._NS}\")) }} ORDER BY ?x")
    assert sorted(page.rows) == sorted(iri.rpartition("#")[2] for iri in terms) and len(terms) > 50
    kinds = {term: cells[1][0] for term, cells in page.rows.items()}
    assert kinds["Study"] == "class" and kinds["reportedIn"] == "object property, functional"
    assert kinds["locator"] == "datatype property, functional"
    assert kinds["Driver"] == "individual, influence direction"  # its class, by label
    assert not [kind for kind in kinds.values() if "http" in kind or "#" in kind]
    # every term links to the element of the documentation beside the graph that describes it
    documentation = {path: ET.fromstring(http(site.url(path))[2]) for path in ("/docs/index.html",)}
    for term, cells in page.rows.items():
        (link,) = cells[3][1]
        path, _, anchor = link.partition("#")
        element = documentation[path].find(f".//*[@id='{anchor}']")
        assert element is not None and element.get("data-iri") == f"{PVKG._NS}{term}", link


def test_a_term_with_several_types_is_listed_once_with_each_kind_named():
    from rdflib import OWL, RDFS, Literal, URIRef

    from pvkg._publish.pages import Labels, defined_terms

    term, own_class = URIRef(f"{PVKG._NS}Thing"), URIRef(f"{PVKG._NS}Kind")
    rows = [(term, OWL.Class, Literal("a thing", lang="en")), (term, RDFS.Class, Literal("a thing", lang="en")),
            (term, own_class, None), (term, OWL.NamedIndividual, None)]
    (entry,) = defined_terms(rows, Labels({str(own_class): "kind of thing"}), {})
    assert [str(k) for k in entry.kinds][:2] == ["class", "individual"]
    assert "kind of thing</a>" in entry.kinds[2] and entry.documentation is None
    assert entry.definition == Literal("a thing", lang="en") and entry.fragment == "Thing"


# --- links ---------------------------------------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def test_a_name_outside_ascii_links_to_its_page(site):
    """A person's IRI holds their name as written (Sandoval-Almazán): the study's page links to the person as an
    ASCII URL, and that URL leads back to the person's own page."""
    (study,) = [path for path in site.served if path.endswith("/luna-2019")]
    hrefs = Links(http(site.url(study))[2].decode()).hrefs
    assert all(href.isascii() for href in hrefs)
    people = [href for href in hrefs if href.startswith("/id/person/") and "%" in href]
    assert people
    for href in people:
        status, _, body = http(site.url(href))
        assert status == 200 and BASE + urllib.parse.unquote(href[1:]) in body.decode()


# --- vnu -------------------------------------------------------------------------------------------------------------


def vnu(files: list[Path]) -> dict[str, list[str]]:
    """vnu's errors and warnings for each file (by path), from one run over them all (one Java start)."""
    if shutil.which("java") is None:
        _missing("A Java runtime (`java`), for vnu", "apt-get install default-jre-headless")
    if not VNU_JAR.is_file():
        _missing(f"vnu ({VNU_JAR})", "cd tools/npm && npm ci --ignore-scripts")
    result = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--also-check-svg",
                             *map(str, files)], capture_output=True, text=True, timeout=VNU_TIMEOUT_S)
    assert result.stdout.startswith("{"), f"vnu did not run (exit {result.returncode}): {result.stderr[-2000:]}"
    found: dict[str, list[str]] = {str(f): [] for f in files}
    for message in json.loads(result.stdout)["messages"]:
        if message["type"] == "info" and message.get("subType") != "warning":
            continue  # notes, such as the XML-style "/>" the polyglot docs pages use on purpose
        path = urllib.parse.unquote(urllib.parse.urlsplit(message.get("url", "")).path)
        kind = message.get("subType", message["type"])
        found.setdefault(path, []).append(f"line {message.get('lastLine', '?')}: {kind}: {message['message']}")
    return {path: messages for path, messages in found.items() if messages}


def listing(found: dict[str, list[str]]) -> str:
    """What the tools found, one line each, for an assertion's message."""
    return "\n".join(f"{where}: {what}" for where, whats in found.items() for what in whats)


def _file_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path.strip("/")) or "home"


def test_vnu_finds_nothing_wrong_on_the_served_pages(site, tmp_path):
    files, paths = [], {}
    for path in site.served:
        status, headers, body = http(site.url(path))
        assert status == (404 if "no-such" in path else 200), path
        assert headers["Content-Type"].startswith("text/html"), path
        files.append(tmp_path / f"{_file_name(path)}.html")
        files[-1].write_bytes(body)
        paths[str(files[-1])] = path
    found = {paths.get(file, file): messages for file, messages in vnu(files).items()}
    assert found == {}, listing(found)


def test_vnu_finds_nothing_wrong_in_the_written_docs_and_report(site):
    files = site.written_files
    assert {f.parent.name for f in files} == {"docs", "report", "figures"} and len(files) > 10
    found = vnu(files)
    assert found == {}, listing(found)


def test_vnu_is_heard(tmp_path):
    """What makes `== {}` above mean something: vnu reports a page with a duplicate id and a bad nesting."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>x</title></head>'
                    '<body><p id="a">a</p><p id="a"><div>b</div></p></body></html>')
    found = vnu([page])
    assert list(found) == [str(page)] and any("Duplicate ID" in m for m in found[str(page)])


# --- axe-core --------------------------------------------------------------------------------------------------------


def _violations_on(page, site: Site, paths: list[str]) -> dict[str, list[str]]:
    use_axe(page)
    found = {}
    for path in paths:
        page.goto(site.url(path))
        violations = axe_violations(page)
        if violations:
            found[path] = [str(v) for v in violations]
    return found


def test_axe_finds_no_serious_violation_on_the_served_pages(page, site):  # noqa: F811
    served = [path for path in site.served if path != "/editor"]
    found = _violations_on(page, site, served)
    assert found == {}, listing(found)
    assert page.external_requests == []


def test_axe_finds_no_serious_violation_in_the_written_docs_and_report(page, site):  # noqa: F811
    found = _violations_on(page, site, site.written_paths)
    assert found == {}, listing(found)
    assert page.external_requests == []


def test_axe_on_the_editor_finds_only_the_vendored_editors_known_violations(page, site):  # noqa: F811
    use_axe(page)
    page.goto(site.url("/editor"))
    page.wait_for_function("() => window.yasgui && window.yasgui.getTab() && window.yasgui.getTab().getYasqe()",
                           timeout=AXE_TIMEOUT_MS)
    page.evaluate("(text) => { window.yasgui.getTab().setQuery(text); }", EDITOR_QUERY)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr .dataTable tbody tr >> nth=1", timeout=AXE_TIMEOUT_MS)
    violations = axe_violations(page)
    assert {(v.rule, v.target) for v in violations} == KNOWN_EDITOR_VIOLATIONS, "\n".join(map(str, violations))
    assert page.external_requests == [] and page.errors == []


def test_axe_is_heard(page):  # noqa: F811
    """What makes the empty lists above mean something: axe finds a link told apart from its text by colour
    alone, and an image without a text alternative."""
    use_axe(page)
    page.goto("about:blank")
    page.set_content('<!doctype html><html lang="en"><head><title>t</title><style>body { color: #1d2330 } '
                     'a { color: #1f5fa8; text-decoration: none }</style></head><body><main><p>Some text with '
                     '<a href="#x">a link</a> in it, and more text.</p>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
    assert {v.rule for v in axe_violations(page)} == {"link-in-text-block", "image-alt"}
