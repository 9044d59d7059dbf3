"""Stage 4: consistency of ontology + data under OWL 2 DL, checked by HermiT through owlready2.

The graph is handed to owlready2 as N-Triples in a private World (never the global one), with owl:imports
removed because the caller has already merged the imported modules from their local copies.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field

from rdflib import OWL, Graph

from .errors import ReasonerError


@dataclass
class ConsistencyReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


def check_consistency(graph: Graph) -> ConsistencyReport:
    """Run HermiT over the graph: is it consistent, and which named classes (if any) are unsatisfiable?"""
    import owlready2  # imported here: owlready2 sets up its quadstore at import, which the other stages never need

    if shutil.which(owlready2.JAVA_EXE) is None and shutil.which("java") is None:
        raise ReasonerError("java was not found; HermiT needs a Java runtime (install openjdk, e.g. "
                            "'apt-get install default-jre-headless')")
    triples = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            triples.add(triple)
    data = triples.serialize(format="nt", encoding="utf-8")
    world = owlready2.World()
    try:
        world.get_ontology("https://w3id.org/pvkg/reasoning-input").load(fileobj=io.BytesIO(data), format="ntriples")
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    except owlready2.OwlReadyInconsistentOntologyError:
        return ConsistencyReport(consistent=False)
    except owlready2.OwlReadyJavaError as e:
        first = next((line for line in str(e).splitlines() if line.strip() and "Java error" not in line), str(e))
        raise ReasonerError(f"HermiT could not run: {first.strip()}") from e
    finally:
        world.close()
    return ConsistencyReport(consistent=True, unsatisfiable=unsatisfiable)
