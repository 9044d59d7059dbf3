"""The build, stage by stage: study files -> corpus -> RDF -> SHACL -> HermiT -> Turtle in dist/.

Nothing is written unless every earlier stage passed, and then only by atomic renames.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from . import resources
from .errors import InconsistencyError, PvkgError, UsageError, ValidationError
from .export import turtle_bytes, write_atomic
from .load import SourceMap, corpus_to_graph, load_ontology
from .reason import ConsistencyReport, check_consistency
from .studies import Corpus, read_corpus
from .validate import ValidationReport, validate_graph

GRAPH_FILE = "pvkg.ttl"


@dataclass
class Build:
    corpus: Corpus
    data: Graph  # the triples made from the study and vocabulary files
    graph: Graph  # ontology (with imports) + data: what is validated, reasoned over and written
    sources: SourceMap
    validation: ValidationReport
    consistency: ConsistencyReport | None = None

    @cached_property
    def coverage(self) -> tuple[set[str], list[str]]:
        """Ids of the concepts something refers to, and of those nothing reaches."""
        used = self.corpus.used_concepts()
        return used, self.corpus.unused_concepts(used)

    @property
    def summary(self) -> dict[str, int]:
        return {"study files": len(self.corpus.files), "studies": len(self.corpus.studies),
                "findings": len(self.corpus.findings), "concepts": len(self.corpus.concepts),
                "concepts used": len(self.coverage[0]),
                "concepts never used": len(self.coverage[1]),
                "triples": len(self.graph), "violations": len(self.validation.problems)}


def build_graph(studies: list[Path], reason: bool = True) -> Build:
    """Read, convert, validate and (with `reason`) check the consistency of a corpus. Raises InputError or
    ValidationError for bad input and InconsistencyError for an inconsistent graph; writes nothing."""
    corpus = read_corpus(studies, resources.vocabulary_files())
    data, sources = corpus_to_graph(corpus)
    graph = load_ontology() + data
    validation = validate_graph(graph, sources)
    if not validation.conforms:
        raise ValidationError(validation.problems, files=corpus.files)
    result = Build(corpus, data, graph, sources, validation)
    if reason:
        result.consistency = require_consistent(graph)
    return result


def require_consistent(graph: Graph) -> ConsistencyReport:
    report = check_consistency(graph)
    if not report.consistent:
        raise InconsistencyError("the ontology and data are inconsistent under OWL 2 DL (HermiT); a resource "
                                 "breaks a disjointness or a closed set, e.g. a finding of two kinds or with "
                                 "both directions")
    if report.unsatisfiable:
        raise InconsistencyError(f"{len(report.unsatisfiable)} class(es) can have no members (HermiT): "
                                 + ", ".join(report.unsatisfiable), report.unsatisfiable)
    return report


def write_build(result: Build, out_dir: Path) -> Path:
    target = out_dir / GRAPH_FILE
    write_atomic(target, turtle_bytes(result.graph))
    return target


def input_files(studies: Path) -> list[Path]:
    """Every file a build reads: what decides whether a built graph is out of date."""
    return [resources.ontology_file(), resources.ontology_catalog(), *resources.data_dir("ontology").glob("imports/*"),
            *resources.shapes_files(), *resources.vocabulary_files(), *sorted(studies.rglob("*.y*ml"))]


def ensure_built(studies: Path, out_dir: Path) -> tuple[Path, Build | None]:
    """The built graph file, rebuilt first when it is missing or older than any of its inputs. Returns the
    file and the Build when one was made."""
    target = out_dir / GRAPH_FILE
    if target.is_file():
        built_at = target.stat().st_mtime
        if all(p.stat().st_mtime <= built_at for p in input_files(studies)):
            return target, None
    result = build_graph([studies])
    return write_build(result, out_dir), result


def load_built(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def graph_with_ontology(paths: list[Path]) -> Graph:
    """The ontology plus the RDF files given (Turtle, N-Triples, RDF/XML...; format guessed from the name)."""
    graph = load_ontology()
    for path in paths:
        try:
            graph.parse(path)
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file; give RDF files to check") from None
        except Exception as e:  # rdflib raises many parser-specific types; all mean "not readable RDF"
            message = " ".join(str(e).split())[:300]
            raise PvkgError(f"{path}: cannot be read as RDF ({message}); give Turtle, N-Triples or RDF/XML")\
                from None
    return graph
