"""The real SPARQL servers of tests/servers.py: each accepts Graph Store PUTs and SPARQL Updates into named graphs,
and a query scoped with default-graph-uri sees that graph only."""

from __future__ import annotations

import urllib.parse
import urllib.request
import uuid

import pytest
from rdflib import Literal, URIRef
from rdflib.plugins.sparql.results.jsonresults import parseJsonTerm
from servers import SparqlServer, oxigraph_server, virtuoso_server  # noqa: F401  (pytest fixtures)
from SPARQLWrapper import DIGEST, JSON, POST, SPARQLWrapper

EX = "https://example.org/"
XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")

PREFIX = f"PREFIX ex: <{EX}>\n"
TRIPLES = """
ex:work ex:title "Public value"@en ;
    ex:peerReviewed true ;
    ex:note "a plain string" .
"""
TURTLE = PREFIX + TRIPLES

EXPECTED = {
    (EX + "title", Literal("Public value", lang="en")),
    (EX + "peerReviewed", Literal(True)),
    (EX + "note", Literal("a plain string")),
}


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request) -> SparqlServer:
    return request.getfixturevalue(f"{request.param}_server")


def new_graph() -> str:
    return f"{EX}graph/{uuid.uuid4()}"


def put_turtle(url: str, graph: str, turtle: str, user: str | None = None, password: str | None = None) -> int:
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if user is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, user, password)
        handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'graph': graph})}", method="PUT",
                                     data=turtle.encode(), headers={"Content-Type": "text/turtle"})
    with urllib.request.build_opener(*handlers).open(request, timeout=60) as response:
        return response.status


def update(server: SparqlServer, text: str, auth: bool = False) -> None:
    client = SPARQLWrapper(server.query_url, updateEndpoint=server.auth_sparql_url if auth else server.update_url)
    if auth:
        client.setHTTPAuth(DIGEST)
        client.setCredentials(server.user, server.password)
    client.setMethod(POST)
    client.setQuery(text)
    client.query()


def select(server: SparqlServer, query: str, default_graph: str) -> list[dict]:
    client = SPARQLWrapper(server.query_url)
    client.addDefaultGraph(default_graph)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    bindings = client.query().convert()["results"]["bindings"]
    return [{name: parseJsonTerm(term) for name, term in row.items()} for row in bindings]


def statements(server: SparqlServer, graph: str) -> set[tuple[str, Literal]]:
    """(predicate, object) of ex:work in the default graph when that is `graph`."""
    rows = select(server, f"SELECT ?p ?o WHERE {{ <{EX}work> ?p ?o }}", default_graph=graph)
    return {(str(row["p"]), normal(row["o"])) for row in rows}


def normal(term):
    """A literal as its value: a server may write true as "1", or a plain string with ^^xsd:string."""
    if isinstance(term, Literal) and term.datatype == XSD_STRING:
        return Literal(str(term))
    return term


def test_graph_store_put_then_scoped_query(server):
    graph, other = new_graph(), new_graph()
    assert put_turtle(server.gsp_url, graph, TURTLE) in (200, 201, 204)
    assert put_turtle(server.gsp_url, other, f'<{EX}work> <{EX}title> "Another title"@en .') in (200, 201, 204)

    assert statements(server, graph) == EXPECTED
    assert statements(server, other) == {(EX + "title", Literal("Another title", lang="en"))}

    rows = select(server, f"SELECT ?o WHERE {{ ?s <{EX}peerReviewed> ?o }}", default_graph=graph)
    assert [row["o"].toPython() for row in rows] == [True]


def test_graph_store_put_replaces_the_graph(server):
    graph = new_graph()
    put_turtle(server.gsp_url, graph, f'<{EX}work> <{EX}note> "old" .')
    put_turtle(server.gsp_url, graph, TURTLE)
    assert statements(server, graph) == EXPECTED


def test_update_insert_move_and_drop(server):
    staging, graph = new_graph(), new_graph()
    update(server, f"{PREFIX}INSERT DATA {{ GRAPH <{staging}> {{ {TRIPLES} }} }}")
    put_turtle(server.gsp_url, graph, f'<{EX}work> <{EX}note> "old" .')
    assert statements(server, staging) == EXPECTED

    update(server, f"MOVE GRAPH <{staging}> TO <{graph}>")
    assert statements(server, graph) == EXPECTED
    assert statements(server, staging) == set()

    update(server, f"DROP SILENT GRAPH <{graph}>")
    assert statements(server, graph) == set()


def test_virtuoso_digest_auth_endpoints(virtuoso_server):  # noqa: F811
    server = virtuoso_server
    graph = new_graph()
    assert put_turtle(server.auth_gsp_url, graph, TURTLE, server.user, server.password) in (200, 201, 204)
    assert statements(server, graph) == EXPECTED

    update(server, f"DROP SILENT GRAPH <{graph}>", auth=True)
    assert statements(server, graph) == set()

