"""Publishing the built graph into a named graph of a remote SPARQL store.

The graph is first loaded into a staging graph beside the target (by a Graph Store HTTP Protocol PUT when a
Graph Store endpoint is given and works, else by SPARQL Update INSERT DATA in chunks), then swapped in with
one `MOVE` operation: readers of the target graph see the previous version or the new one, never a half
loaded graph, on every server that runs an update request as one transaction (Oxigraph does; Virtuoso
commits the MOVE as one statement). Last, the triples in the target graph are counted on the server and
must equal the local count.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pvkg._build.pipeline import Stages
from pvkg._namespaces import DEFAULT_GRAPH
from pvkg._sparql.remote import Endpoint, RemoteError
from pvkg.errors import UsageError, display_path

GRAPH_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^<>"{}|^`\\\x00-\x20]+$')

# Triples per INSERT DATA request. Virtuoso 7 compiles each request to SQL and refuses one over 10,000
# lines of it: 1,000 N-Triples went through and 1,500 did not, so 500 leaves room for long literals.
UPDATE_CHUNK = 500
# Graph Store answers after which the graph goes by SPARQL Update instead: no Graph Store there (404, 405,
# 501), or a server error; Virtuoso 7 answers a PUT of a million triples with "SR172: Transaction
# deadlocked" (500), and takes the same triples in chunks.
GSP_FALLBACK = ("HTTP 404", "HTTP 405", "HTTP 500", "HTTP 501", "HTTP 502", "HTTP 503")


@dataclass(frozen=True)
class PublishReport:
    endpoint: str  # shown without credentials
    graph: str
    method: str  # "Graph Store protocol" or "SPARQL Update"
    local_triples: int
    remote_triples: int
    seconds: float


def staging_graph(graph: str) -> str:
    return f"{graph}{'-' if '#' in graph else '#'}pvkg-staging"


def _ntriples_chunks(triples: list[ox.Triple], size: int) -> list[tuple[str, int, bool]]:
    """N-Triples text in chunks of at most `size` triples, each with its number of triples and whether it has
    blank nodes. Every
    triple with a blank node goes into one chunk of its own: a blank node label is scoped to one request,
    so splitting them would split the node. (pvkg's data has none; the ontology's axioms a few dozen.)"""
    def has_blank(t: ox.Triple) -> bool:
        return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

    with_blank = [t for t in triples if has_blank(t)]
    plain = [t for t in triples if not has_blank(t)]
    groups = ([with_blank] if with_blank else []) + [plain[i:i + size] for i in range(0, len(plain), size)]
    return [("".join(f"{t} .\n" for t in group), len(group), group is with_blank) for group in groups]


def check_graph_iri(graph: str) -> str:
    """The graph IRI, if it is an absolute IRI that can be written between <> in an update request."""
    if not GRAPH_IRI.match(graph):
        raise UsageError(f"--graph {graph!r} is not an absolute IRI (such as {DEFAULT_GRAPH}); no spaces, "
                         f"quotes or <>")
    return graph


def publish(built: Path, update: Endpoint, graph: str, query: Endpoint | None = None, gsp: Endpoint | None = None,
            chunk: int = UPDATE_CHUNK, stages: Stages | None = None) -> PublishReport:
    """Replace `graph` on the server with the built graph file, then check the server's triple count. Each
    step is told to `stages` as it starts, and the triples sent by SPARQL Update as each request is done."""
    started = time.perf_counter()
    stages = stages or Stages()
    check_graph_iri(graph)
    query = query or update
    stages.start(f"reading {display_path(built)}")
    triples = list(ox.parse(path=str(built), format=ox.RdfFormat.TURTLE))
    staging = staging_graph(graph)
    method = "SPARQL Update"
    loaded = False
    if gsp is not None:
        stages.start(f"sending {len(triples):,} triples to {gsp.display} (Graph Store protocol)")
        try:
            gsp.request("PUT", built.read_bytes(), "text/turtle", params={"graph": staging},
                        what="Graph Store PUT")
            loaded, method = True, "Graph Store protocol"
        except RemoteError as e:
            if not any(code in str(e) for code in GSP_FALLBACK):
                raise  # credentials, a timeout, an unreachable server: Update would fail the same way
            method = f"SPARQL Update (the Graph Store PUT failed: {str(e).split(': ', 1)[-1][:120]})"
    if not loaded:
        stages.start(f"sending {len(triples):,} triples to {update.display} by SPARQL Update, {chunk:,} a request",
                     len(triples), "triples")
        update.update(f"DROP SILENT GRAPH <{staging}>")
        for text, size, has_blank in _ntriples_chunks(triples, chunk):
            # blank nodes go in a template (INSERT ... WHERE {}): Virtuoso refuses them in INSERT DATA
            update.update(f"INSERT {{ GRAPH <{staging}> {{\n{text}}} }} WHERE {{}}" if has_blank
                          else f"INSERT DATA {{ GRAPH <{staging}> {{\n{text}}} }}")
            stages.advance(size)
    stages.start(f"moving the staging graph into <{graph}>")
    update.update(f"MOVE GRAPH <{staging}> TO GRAPH <{graph}>")
    stages.start("counting the triples on the server")
    remote = count_triples(query, graph)
    if remote != len(triples):
        raise RemoteError(f"{update.display}: after publishing, graph <{graph}> holds {remote} triples on the "
                          f"server but the build has {len(triples)}; the server changed or dropped some "
                          f"(check its logs), and publish again")
    return PublishReport(update.display, graph, method, len(triples), remote, time.perf_counter() - started)


def count_triples(query: Endpoint, graph: str) -> int:
    results = query.select_json(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    try:
        return int(results["results"]["bindings"][0]["n"]["value"])
    except (IndexError, KeyError, ValueError):
        raise RemoteError(f"{query.display}: the server did not answer the triple count of <{graph}>") from None
