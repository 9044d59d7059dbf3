"""`pvkg serve` as its users meet it: a real server process on loopback, spoken to by SPARQLWrapper (a real
SPARQL client), by plain HTTP for the API and the pages, and through its limits (time, rows, memory)."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest
from conftest import STUDIES
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from servers import PVKG_TEST_OPTIONS, PvkgServer, oxigraph_server, pvkg_server, start_pvkg  # noqa: F401
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from pvkg import _resources as resources
from pvkg._sparql.queries import load_queries, run_query
from pvkg._sparql.remote import Endpoint
from pvkg._sparql.stores import OxigraphStore

TIMEOUT_S = PVKG_TEST_OPTIONS[PVKG_TEST_OPTIONS.index("--timeout") + 1]
MAX_ROWS = int(PVKG_TEST_OPTIONS[PVKG_TEST_OPTIONS.index("--max-rows") + 1])
# 2.2k triples joined with themselves: 4.9 million rows. Counting them takes about 0.3 s; sorting them needs more
# memory than a worker may have; the three-way join runs for hours.
SORT_EVERYTHING = "SELECT ?a ?b ?c ?d ?e ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
PREFIXES = "PREFIX pvkg: <https://w3id.org/pvkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def server(pvkg_server) -> PvkgServer:  # noqa: F811
    return pvkg_server


@pytest.fixture(scope="module")
def embedded(seed_build) -> OxigraphStore:
    return OxigraphStore.from_graph(seed_build.graph)


def http(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    """(status, headers, body) of a request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def client(server: PvkgServer, query: str, return_format=JSON) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(server.sparql_url)
    wrapper.setQuery(query)
    wrapper.setReturnFormat(return_format)
    wrapper.setTimeout(60)
    return wrapper


# --- the SPARQL 1.1 Protocol through SPARQLWrapper --------------------------------------------------------------

STUDIES_QUERY = PREFIXES + "SELECT ?s WHERE { ?s a pvkg:Study } ORDER BY ?s"


def test_select_in_every_result_format(server, embedded):
    expected = [str(row[0]) for row in embedded.select(STUDIES_QUERY)[1]]
    assert len(expected) > 5
    as_json = client(server, STUDIES_QUERY, JSON).query().convert()
    assert [b["s"]["value"] for b in as_json["results"]["bindings"]] == expected
    as_xml = client(server, STUDIES_QUERY, XML).query().convert()  # a DOM document
    assert [node.firstChild.data for node in as_xml.getElementsByTagName("uri")] == expected
    as_csv = client(server, STUDIES_QUERY, CSV).query().convert().decode("utf-8")
    assert as_csv.splitlines() == ["s", *expected]
    as_tsv = client(server, STUDIES_QUERY, TSV).query().convert().decode("utf-8")
    assert as_tsv.splitlines() == ["?s", *(f"<{iri}>" for iri in expected)]


def test_get_and_post_in_both_encodings_give_the_same_answer(server):
    answers = []
    for method in ("GET", "POST"):
        for direct in (False, True):
            wrapper = client(server, STUDIES_QUERY)
            wrapper.setMethod(method)
            if direct:
                wrapper.setRequestMethod("postdirectly")
            answers.append(wrapper.query().convert()["results"]["bindings"])
    assert all(a == answers[0] for a in answers) and answers[0]


def test_literals_keep_language_and_datatype_in_json_and_xml(server):
    query = PREFIXES + 'SELECT ?label ?n WHERE { BIND("transparência"@pt AS ?label) BIND(3 AS ?n) }'
    binding = client(server, query).query().convert()["results"]["bindings"][0]
    assert binding["label"] == {"type": "literal", "value": "transparência", "xml:lang": "pt"}
    assert binding["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    xml = client(server, query, XML).query().convert()
    literal = xml.getElementsByTagName("literal")[0]
    assert literal.getAttribute("xml:lang") == "pt" and literal.firstChild.data == "transparência"


def test_construct_as_turtle_ntriples_and_jsonld(server, embedded):
    query = PREFIXES + "CONSTRUCT { ?f pvkg:locator ?l } WHERE { ?f a pvkg:Finding ; pvkg:locator ?l }"
    expected = Graph()
    for triple in embedded.execute(query).triples:
        expected.add(triple)
    assert len(expected) > 20
    for return_format, syntax in ((TURTLE, "turtle"), (N3, "nt"), (JSONLD, "json-ld")):
        wrapper = client(server, query, return_format)
        if return_format == N3:  # ask for N-Triples by media type
            wrapper.setOnlyConneg(True)
            wrapper.addCustomHttpHeader("Accept", "application/n-triples")
        body = wrapper.query().response.read()
        assert isomorphic(Graph().parse(data=body, format=syntax), expected), syntax


def test_ask(server):
    assert client(server, PREFIXES + "ASK { ?s a pvkg:Study }").query().convert()["boolean"] is True
    xml = client(server, PREFIXES + "ASK { ?s a pvkg:NoSuchClass }", XML).query().convert()
    assert xml.getElementsByTagName("boolean")[0].firstChild.data == "false"


def test_an_update_is_refused_and_changes_nothing(server):
    before = client(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").query().convert()
    wrapper = client(server, "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }")
    wrapper.setMethod(POST)  # SPARQLWrapper sends it as an update request (update=...)
    with pytest.raises(urllib.error.HTTPError) as refused:
        wrapper.query()
    assert refused.value.code == 403
    assert b"read-only" in refused.value.read()
    for body, content_type in ((b"INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }", "application/sparql-update"),
                               (b"query=DROP%20ALL", "application/x-www-form-urlencoded")):
        status, _, answer = http(server.sparql_url, body, {"Content-Type": content_type})
        assert status == 403 and b"read-only" in answer
    assert client(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").query().convert() == before


def test_graph_store_writes_are_refused(server):
    for method in ("PUT", "DELETE", "PATCH"):
        status, headers, _ = http(f"{server.sparql_url}?graph=urn:x", b"<a:b> <a:b> <a:b> .", method=method,
                                  headers={"Content-Type": "application/n-triples"})
        assert status == 405 and "POST" in headers["Allow"]


def test_service_is_refused_even_towards_loopback(server):
    query = f"SELECT * WHERE {{ SERVICE <{server.sparql_url}> {{ ?s ?p ?o }} }} LIMIT 1"
    with pytest.raises(urllib.error.HTTPError) as refused:
        client(server, query).query()
    assert refused.value.code == 403 and b"SERVICE" in refused.value.read()
    # the word inside a string is only a string
    rows = client(server, 'SELECT ?w WHERE { BIND("SERVICE <http://example.org/>" AS ?w) }').query().convert()
    assert rows["results"]["bindings"][0]["w"]["value"].startswith("SERVICE")


def test_a_malformed_query_gets_400_with_the_parsers_message(server):
    with pytest.raises(QueryBadFormed) as refused:
        client(server, "SELECT ?s WHERE { ?s ?p }").query()
    assert "error at 1:" in str(refused.value) or "expected" in str(refused.value)
    for url, data in ((server.sparql_url, b"nothing=here"), (f"{server.sparql_url}?query=a&query=b", None)):
        status, _, body = http(url, data, {"Content-Type": "application/x-www-form-urlencoded"} if data else {})
        assert status == 400, body


def test_a_query_over_the_time_limit_is_stopped_and_the_server_goes_on(server):
    status, _, body = http(server.sparql_url, urllib.parse.urlencode({"query": ENDLESS}).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 503
    assert f"time limit ({TIMEOUT_S} s)" in body.decode()
    # both workers answer again (the stopped one was replaced)
    for _ in range(4):
        assert client(server, PREFIXES + "ASK { ?s a pvkg:Study }").query().convert()["boolean"] is True


def test_an_answer_over_the_row_limit_is_an_error_not_a_truncation(server):
    status, _, body = http(f"{server.sparql_url}?{urllib.parse.urlencode({'query': 'SELECT * {?s ?p ?o}'})}")
    assert status == 422
    assert f"more than {MAX_ROWS:,} rows" in body.decode()
    limited = client(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}").query().convert()
    assert len(limited["results"]["bindings"]) == MAX_ROWS


def test_a_query_that_exhausts_a_workers_memory_loses_only_that_worker(server):
    status, _, body = http(f"{server.sparql_url}?{urllib.parse.urlencode({'query': SORT_EVERYTHING})}")
    assert status == 503, body
    assert "memory limit" in body.decode() or "time limit" in body.decode()
    assert client(server, PREFIXES + "ASK { ?s a pvkg:Study }").query().convert()["boolean"] is True


def test_cors_is_open_for_reading(server):
    status, headers, _ = http(server.sparql_url, method="OPTIONS", headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"] and "PUT" not in headers["Access-Control-Allow-Methods"]
    _, headers, _ = http(f"{server.sparql_url}?query=ASK%7B%7D", headers={"Origin": "http://example.org"})
    assert headers["Access-Control-Allow-Origin"] == "*"


# --- the canned queries as an API ------------------------------------------------------------------------------


def test_api_lists_every_canned_query_with_its_parameters(server):
    status, _, body = http(f"{server.url}/api/queries")
    listed = {q["name"]: q for q in json.loads(body)["queries"]}
    assert status == 200 and set(listed) == set(load_queries())
    evidence = listed["evidence"]
    assert [p["name"] for p in evidence["parameters"]] == ["concept", "lang"]
    assert listed["factors"]["question"].startswith("If a government delivers services")


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_api_answers_each_canned_query_as_the_embedded_store_does(server, embedded, name):
    query = load_queries()[name]
    params = {"concept": "value:transparency"} if any(p.name == "concept" for p in query.parameters) else {}
    params |= {"lang": "fa"} if any(p.name == "lang" for p in query.parameters) else {}
    expected = run_query(embedded, query, params)
    status, headers, body = http(f"{server.url}/api/queries/{name}?{urllib.parse.urlencode(params)}")
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json")
    results = json.loads(body)
    assert results["head"]["vars"] == list(query.columns)
    assert len(results["results"]["bindings"]) == len(expected.rows)
    got = [tuple(b.get(c, {}).get("value") for c in query.columns) for b in results["results"]["bindings"]]
    assert got == [tuple(None if t is None else str(t) for t in row) for row in expected.rows]
    as_csv = urllib.parse.urlencode({**params, "format": "csv"})
    status, headers, body = http(f"{server.url}/api/queries/{name}?{as_csv}")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.decode().splitlines()[0] == ",".join(query.columns)


def test_api_parameter_errors_are_400_with_the_reason(server):
    cases = {"evidence": "needs --param concept", "evidence?concept=x&colour=red": "no parameter 'colour'",
             "values-perceived?lang=not%20a%20tag": "must be a language tag"}
    for path, reason in cases.items():
        status, _, body = http(f"{server.url}/api/queries/{path}")
        assert status == 400 and reason in json.loads(body)["error"], body
    status, _, _ = http(f"{server.url}/api/queries/no-such-query")
    assert status == 404


def test_api_parameter_text_is_only_ever_a_value(server, embedded):
    hostile = '" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #'
    status, _, body = http(f"{server.url}/api/queries/evidence?{urllib.parse.urlencode({'concept': hostile})}")
    assert status == 404 and "no value, characteristic, factor, channel or construct" in json.loads(body)["error"]
    status, _, body = http(f"{server.url}/api/queries/evidence?concept=value:transparency")  # nothing was dropped
    expected = run_query(embedded, load_queries()["evidence"], {"concept": "value:transparency"})
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == len(expected.rows) > 0


def test_api_an_unknown_concept_is_404_naming_the_nearest_ids(server):
    status, headers, body = http(f"{server.url}/api/queries/evidence?concept=value:transparancy")
    answer = json.loads(body)
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert "did you mean 'value:transparency'" in answer["error"] and answer["suggestions"][0] == "value:transparency"
    status, _, body = http(f"{server.url}/api/queries/evidence?concept=Transparency&format=csv")  # a label: found
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert status == 200 and {(r["concept_id"], r["kind"]) for r in rows} == {("value:transparency", "value"),
                                                                               ("factor:transparency", "factor")}
    status, _, body = http(f"{server.url}/queries/evidence?concept=value:transparancy")
    assert status == 404 and "did you mean" in body.decode() and 'id="answer"' not in body.decode()
    status, _, body = http(f"{server.url}/openapi.json")
    assert "404" in json.loads(body)["paths"]["/api/queries/evidence"]["get"]["responses"]


def test_openapi_describes_each_query_with_its_question_and_parameters(server):
    status, _, body = http(f"{server.url}/openapi.json")
    document = json.loads(body)
    assert status == 200 and document["openapi"].startswith("3.1")
    for name, query in load_queries().items():
        operation = document["paths"][f"/api/queries/{name}"]["get"]
        assert operation["summary"] == query.title
        if query.question:
            assert query.question in operation["description"]
        names = [p["name"] for p in operation["parameters"]]
        assert names == [p.name for p in query.parameters] + ["format", "limit", "offset"]
        required = {p["name"] for p in operation["parameters"] if p["required"]}
        assert required == {p.name for p in query.parameters if p.default is None}
        assert {"application/json", "text/csv"} <= set(operation["responses"]["200"]["content"])
        if not required:  # the documented operation answers as documented
            status, headers, _ = http(f"{server.url}/api/queries/{name}")
            assert status == 200


# --- pages and resources ---------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if (tag, key) in (("a", "href"), ("link", "href"), ("script", "src")) and value:
                self.links.append(value)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_start_page_says_what_the_graph_is(server, seed_build):
    status, _, body = http(f"{server.url}/")
    html = body.decode()
    assert status == 200
    assert re.search(r'id="count-studies">(\d+)<', html).group(1) == str(seed_build.summary["studies"])
    assert re.search(r'id="count-findings">(\d+)<', html).group(1) == str(seed_build.summary["findings"])
    # pvkg's concepts, as the build counts them (not the EU country table's, which the graph also types so)
    assert re.search(r'id="count-concepts">(\d+)<', html).group(1) == str(seed_build.summary["concepts"])
    assert "CC BY 4.0" in html and "0.1.0" in html
    links = links_of(html)
    for name, query in load_queries().items():
        assert f"/queries/{name}" in links
        if query.question:
            assert query.question.replace("'", "&#39;") in html
    assert {"/editor", "/download/pvkg.ttl", "/download/pvkg.jsonld", "/openapi.json"} <= set(links)


def test_a_question_page_shows_the_question_its_answer_and_its_sparql(server, embedded):
    query = load_queries()["drivers-and-barriers"]
    status, _, body = http(f"{server.url}/queries/drivers-and-barriers")
    html = body.decode()
    assert status == 200
    assert query.question.replace("'", "&#39;") in html
    expected = run_query(embedded, query, {})
    assert re.search(r'id="row-count">(\d+)<', html).group(1) == str(len(expected.rows))
    assert html.count("<tr>") == len(expected.rows) + 1  # and the header
    assert "SELECT ?category" in html and "&lt;https://w3id.org/pvkg/ontology#&gt;" in html


def test_a_question_page_with_a_missing_or_bad_parameter(server):
    status, _, body = http(f"{server.url}/queries/evidence")
    assert status == 200 and 'name="concept"' in body.decode() and 'id="answer"' not in body.decode()
    status, _, body = http(f"{server.url}/queries/evidence?concept=value:transparency&lang=%3Cscript%3E")
    assert status == 400 and "must be a language tag" in body.decode() and "<script>" not in body.decode()


def test_a_concept_answers_at_its_iri_with_labels_findings_and_links(server, seed_build):
    iri = "https://w3id.org/pvkg/id/value/transparency"
    status, headers, body = http(f"{server.url}/id/value/transparency", headers={"Accept": "text/html"})
    html = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    labels = [o for o in seed_build.graph.objects(URIRef(iri), URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))]
    for label in labels:
        assert str(label) in html
    findings = [s for s in seed_build.graph.subjects(URIRef("https://w3id.org/pvkg/ontology#aboutValue"), URIRef(iri))]
    assert findings
    for finding in findings:
        assert f'href="/{str(finding)[len("https://w3id.org/pvkg/"):]}"' in html
    locator = seed_build.graph.value(findings[0], URIRef("https://w3id.org/pvkg/ontology#locator"))
    assert str(locator) in html
    assert 'href="/id/value/open-government-capabilities"' in html  # its broader value


def test_a_resource_in_turtle_jsonld_and_ntriples(server, seed_build):
    iri = URIRef("https://w3id.org/pvkg/id/finding/luna2024-01")
    expected = Graph()
    for triple in seed_build.graph.triples((iri, None, None)):
        expected.add(triple)
    assert len(expected) > 3
    for accept, syntax in (("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                           ("application/n-triples", "nt")):
        status, headers, body = http(f"{server.url}/id/finding/luna2024-01", headers={"Accept": accept})
        assert status == 200 and headers["Content-Type"].startswith(accept) and "Accept" in headers["Vary"]
        assert isomorphic(Graph().parse(data=body, format=syntax), expected), accept


def test_the_ontology_answers_at_its_iri(server):
    status, _, body = http(f"{server.url}/ontology", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=body, format="turtle")
    assert status == 200 and (URIRef("https://w3id.org/pvkg/ontology#Finding"), None, None) in graph
    status, _, body = http(f"{server.url}/ontology")
    assert status == 200 and 'id="Finding"' in body.decode()


def test_unknown_and_hostile_resource_paths_are_404(server):
    for path in ("/id/value/no-such-value", "/id/x%3E%20%3Fp%20%3Fo%20%7D%20%23", "/id/a%22b",
                 "/resource?iri=not%20an%20iri", "/queries/no-such-query"):
        status, _, _ = http(f"{server.url}{path}")
        assert status == 404, path


def test_downloads_are_the_built_graph(server, seed_build):
    for extension, syntax in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")):
        status, _, body = http(f"{server.url}/download/pvkg.{extension}")
        assert status == 200
        assert isomorphic(Graph().parse(data=body, format=syntax), seed_build.graph), extension


def test_jsonld_names_the_servers_copy_of_the_context(server):
    """A client expands the server's JSON-LD from the server alone (rdflib above fetched the context from
    127.0.0.1; the no-network guard would have stopped w3id.org)."""
    status, headers, body = http(f"{server.url}/context.jsonld")
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(body) == json.loads(resources.context_file().read_text(encoding="utf-8"))
    status, _, body = http(f"{server.url}/id/finding/luna2024-01", headers={"Accept": "application/ld+json"})
    document = json.loads(body)
    assert document["@context"] == f"{server.url}/context.jsonld"
    (finding,) = document["@graph"]
    assert finding["locator"] == "Abstract" and finding["reportedIn"] == "id:work/luna-2024"


def test_the_dataset_description_is_at_its_well_known_place(server, seed_build):
    status, headers, body = http(f"{server.url}/.well-known/void")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    void = Graph().parse(data=body, format="turtle")
    triples = void.value(URIRef("https://w3id.org/pvkg/id/dataset"), URIRef("http://rdfs.org/ns/void#triples"))
    assert int(triples) == len(seed_build.graph)


def test_every_link_on_the_site_resolves(server):
    """Follow every local link from the start page (pages, resources, static files) and expect no error."""
    seen, queue, broken = set(), ["/"], []
    while queue and len(seen) < 600:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = http(f"{server.url}{path}")
        if status != 200:
            broken.append((path, status))
            continue
        if headers.get("Content-Type", "").startswith("text/html"):
            for link in links_of(body.decode()):
                target = urllib.parse.urljoin(path, link).split("#")[0]
                if target.startswith("/") and not target.startswith("//") and "/download/" not in target:
                    queue.append(target)
    assert not broken
    assert len(seen) > 150  # the crawl really went through the graph


# --- a proxy for another endpoint -----------------------------------------------------------------------------


def test_serve_proxies_a_remote_endpoint(oxigraph_server, seed_build, tmp_path, embedded):  # noqa: F811
    from pvkg._publish.publish import publish
    from pvkg._rdftext import turtle_bytes

    built = tmp_path / "pvkg.ttl"
    built.write_bytes(turtle_bytes(list(seed_build.graph)))
    publish(built, Endpoint(oxigraph_server.update_url), "https://w3id.org/pvkg/graph",
            query=Endpoint(oxigraph_server.query_url), gsp=Endpoint(oxigraph_server.gsp_url))
    proxy, stop = start_pvkg("--endpoint", oxigraph_server.query_url, "--timeout", TIMEOUT_S)
    try:
        as_json = client(proxy, STUDIES_QUERY).query().convert()
        assert [b["s"]["value"] for b in as_json["results"]["bindings"]] == \
            [str(r[0]) for r in embedded.select(STUDIES_QUERY)[1]]
        status, _, body = http(f"{proxy.url}/api/queries/factors")
        assert status == 200
        assert len(json.loads(body)["results"]["bindings"]) == len(run_query(embedded, load_queries()["factors"]).rows)
        status, _, body = http(f"{proxy.url}/id/value/transparency", headers={"Accept": "text/turtle"})
        assert status == 200 and (URIRef("https://w3id.org/pvkg/id/value/transparency"), None,
                                  Literal("transparency", lang="en")) in Graph().parse(data=body, format="turtle")
        assert http(f"{proxy.url}/download/pvkg.ttl")[0] == 404  # nothing to download from a proxy
    finally:
        stop()


def test_serve_refuses_a_port_in_use_in_one_line(server, cli):
    port = urllib.parse.urlsplit(server.url).port
    code, out, err = cli("serve", "--port", str(port), "--studies", str(STUDIES))
    assert code == 2
    assert err.strip().splitlines() == [err.strip().splitlines()[0]]
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_the_documentation_and_report_beside_the_graph_are_served(server, seed_build):
    """What `pvkg docs` and `pvkg report` wrote beside the built graph is served at /docs/ and /report/ (and
    linked from the start page) as soon as it is there; before, those paths answer 404."""
    import shutil

    from pvkg._publish.docs import write_docs
    from pvkg._publish.report import write_report
    dist = server.directory / "dist"
    assert http(f"{server.url}/docs/")[0] == 404 and "/docs/" not in http(f"{server.url}/")[2].decode()
    try:
        write_docs(seed_build.graph, dist / "docs")
        write_report(seed_build.graph, dist / "report")
        home = http(f"{server.url}/")[2].decode()
        assert 'href="/docs/"' in home and 'href="/report/"' in home
        status, headers, body = http(f"{server.url}/docs/")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and b'id="Finding"' in body
        assert http(f"{server.url}/docs/scheme-values.html")[0] == 200
        status, _, body = http(f"{server.url}/report/")
        assert status == 200 and b"figures/value-network.svg" in body
        assert http(f"{server.url}/report/figures/value-network.svg")[0] == 200
        assert http(f"{server.url}/docs/%2E%2E/pvkg.ttl")[0] == 404  # nothing outside the folder
    finally:
        shutil.rmtree(dist / "docs", ignore_errors=True)
        shutil.rmtree(dist / "report", ignore_errors=True)
