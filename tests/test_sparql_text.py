"""Reading SPARQL text token by token (pvkg/_sparql/syntax.py), the server's content negotiation, and the protocol's
result formats: what the read-only endpoint relies on to refuse updates and SERVICE, and to answer in the
format a client asks for."""

from __future__ import annotations

import json
import xml.dom.minidom

import pytest
from rdflib import BNode, Literal, URIRef
from starlette.requests import Request

from pvkg._serve.http import KeptBodies, negotiate, valid_iri
from pvkg._sparql.queries import QueryResult
from pvkg._sparql.results import SELECT_MEDIA_TYPES, boolean_xml, to_sparql_tsv, to_xml
from pvkg._sparql.syntax import request_form, uses_service


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("prefix select: <urn:x#> ask { ?s select:p 'SELECT' }", "ASK"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://x/> DESCRIBE <a>", "DESCRIBE"),
    ("insert data { <urn:a> <urn:b> 1 }", "UPDATE"),
    ("PREFIX ex: <urn:x#> WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "UPDATE"),
    ("LOAD <http://example.org/data.ttl>", "UPDATE"),
    ("DROP ALL", "UPDATE"),
    ('"SELECT"', None),
])
def test_the_request_form_is_read_from_keywords_not_from_strings_or_names(text, form):
    assert request_form(text) == form


@pytest.mark.parametrize(("text", "calls"), [
    ("SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }", True),
    ("SELECT * { service silent <http://x/sparql> { ?s ?p ?o } }", True),
    ("SELECT * { ?s ?p 'SERVICE <http://x/>' }", False),
    ('SELECT * { ?s ?p """a\nSERVICE <x> {}""" }', False),
    ("SELECT * { ?service ex:service ?o . ?o ex:x _:service ; pvkg:ServiceCharacteristic 'service' }", False),
    # Oxigraph reads 'service:x' as the keyword SERVICE and the name ':x', so a prefix named so is refused
    ("PREFIX : <http://x/> SELECT * { service:x { ?s ?p ?o } }", True),
    ("SELECT * { ?s <urn:SERVICE> ?o } # SERVICE <http://x/>", False),
])
def test_service_is_found_only_as_a_keyword(text, calls):
    assert uses_service(text) is calls


def _request(accept: str = "", query_string: str = "") -> Request:
    headers = [(b"accept", accept.encode())] if accept else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "query_string": query_string.encode()})


@pytest.mark.parametrize(("accept", "query_string", "chosen"), [
    ("", "", "application/sparql-results+json"),
    ("text/csv", "", "text/csv"),
    ("application/sparql-results+xml;q=0.9, text/tab-separated-values", "", "text/tab-separated-values"),
    ("text/*;q=0.5, application/sparql-results+xml;q=0.4", "", "text/csv"),
    ("image/png", "", "application/sparql-results+json"),  # nothing acceptable: the default, not a 406
    ("text/csv;q=0, */*;q=0.1", "", "application/sparql-results+json"),
    ("text/csv", "format=xml", "application/sparql-results+xml"),
])
def test_negotiation_follows_accept_and_format(accept, query_string, chosen):
    assert negotiate(_request(accept, query_string), list(SELECT_MEDIA_TYPES)) == chosen


def test_iris_that_could_inject_syntax_are_not_valid():
    assert valid_iri("https://w3id.org/pvkg/id/value/transparency")
    for bad in ("https://x/a> ?p ?o } #", 'https://x/"', "https://x/a b", "no-scheme", "https://x/{y}",
                "https://x/a\\b", "https://x/\x00", "https://x/\ta", "https://x/a|b", "https://x/^", "https://x/`", ""):
        assert not valid_iri(bad), bad
    assert valid_iri("https://x/caf\u00e9?q=1#f")  # beyond ASCII is allowed


XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
ROWS = QueryResult(["s", "label", "n", "b"], [
    (URIRef("https://w3id.org/pvkg/id/x"), Literal('a "quoted"\ttab\nline', lang="fa"),
     Literal("3", datatype=XSD_INTEGER), BNode("b0")),
    (URIRef("urn:y"), None, None, None),
])


def test_sparql_xml_results_are_well_formed_and_keep_every_term():
    document = xml.dom.minidom.parseString(to_xml(ROWS))
    results = document.getElementsByTagName("result")
    assert len(results) == 2
    literal = results[0].getElementsByTagName("literal")[0]
    assert literal.getAttribute("xml:lang") == "fa" and literal.firstChild.data == 'a "quoted"\ttab\nline'
    assert results[0].getElementsByTagName("literal")[1].getAttribute("datatype") == str(XSD_INTEGER)
    assert len(results[1].getElementsByTagName("binding")) == 1  # unbound variables are left out
    boolean = xml.dom.minidom.parseString(boolean_xml(False)).getElementsByTagName("boolean")[0]
    assert boolean.firstChild.data == "false"


def test_sparql_tsv_writes_terms_in_sparql_syntax_one_row_per_line():
    lines = to_sparql_tsv(ROWS).splitlines()
    assert lines[0] == "?s\t?label\t?n\t?b"
    assert lines[1] == ('<https://w3id.org/pvkg/id/x>\t"a \\"quoted\\"\\ttab\\nline"@fa\t'
                        '"3"^^<http://www.w3.org/2001/XMLSchema#integer>\t_:b0')
    assert lines[2] == "<urn:y>\t\t\t" and len(lines) == 3


def test_sparql_json_leaves_out_unbound_variables():
    results = json.loads(SELECT_MEDIA_TYPES["application/sparql-results+json"](ROWS))
    assert results["head"]["vars"] == ROWS.columns
    assert results["results"]["bindings"][1] == {"s": {"type": "uri", "value": "urn:y"}}


def test_kept_bodies_drop_the_least_recently_used_past_their_size():
    kept = KeptBodies(max_bytes=64)
    kept.put("a", b"1" * 3)
    kept.put("b", b"2" * 3)
    kept.put("c", b"3" * 3)
    assert kept.get("a") == b"111"  # now the most recently used
    kept.put("d", b"4" * 4)
    kept.put("b", b"2" * 2)  # replaced: counted once
    assert kept.size == 3 + 3 + 4 + 2
    kept.put("e", b"5" * 5)  # over a sixteenth of the whole: not kept
    assert kept.get("e") is None
    for key in "fghijklmnopqrst":
        kept.put(key, b"x" * 4)
    assert kept.size <= 64 and kept.get("c") is None and kept.get("t") == b"xxxx"
