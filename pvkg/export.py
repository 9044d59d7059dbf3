"""Stage 6: output. Deterministic Turtle (same input, same bytes) and atomic file writes.

The data has no blank nodes (every resource has a minted IRI); the ontology's few blank nodes (axioms such
as owl:AllDisjointClasses) are relabelled canonically from their content before serialisation, so their
order cannot depend on the process that parsed them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph

from .load import bind_prefixes


def canonical(graph: Graph) -> Graph:
    """The graph with blank nodes relabelled from their content (a no-op copy when it has none)."""
    if not any(isinstance(term, BNode) for triple in graph for term in triple):
        return graph
    return bind_prefixes(Graph()) + to_canonical_graph(graph)


def turtle_bytes(graph: Graph) -> bytes:
    """Turtle grouped by subject, subjects and predicates sorted, pvkg's prefixes declared."""
    out = bind_prefixes(Graph())
    out += canonical(graph)
    return out.serialize(format="turtle", encoding="utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place: a reader (or a
    crash) sees either the old file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
