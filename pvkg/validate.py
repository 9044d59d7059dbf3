"""Stage 3: SHACL validation of the built graph, reported in plain words with the file and line each
offending resource came from (never as raw report Turtle)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace, URIRef

from . import resources
from .errors import Problem
from .load import SourceMap

SH = Namespace("http://www.w3.org/ns/shacl#")


def load_shapes(paths: list[Path] | None = None) -> Graph:
    shapes = Graph()
    for path in paths or resources.shapes_files():
        shapes.parse(path, format="turtle")
    return shapes


@dataclass
class ValidationReport:
    conforms: bool
    problems: list[Problem]


def _short(node) -> str:
    text = str(node)
    for cut in ("#", "/"):
        if cut in text:
            text = text.rsplit(cut, 1)[1]
    return text


def validate_graph(graph: Graph, sources: SourceMap | None = None, shapes: Graph | None = None) -> ValidationReport:
    """Validate a graph (ontology + data) against pvkg's shapes; each violation becomes one Problem."""
    shapes = shapes if shapes is not None else load_shapes()
    conforms, report, _ = shacl_validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                         allow_warnings=True)
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        message = report.value(result, SH.resultMessage) or "does not conform to its shape"
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        place = sources.get(focus) if sources else None
        if place:
            where, subject = place
            file, line = where.file, where.line
        else:
            file, line, subject = "<graph>", None, f"<{focus}>" if isinstance(focus, URIRef) else str(focus)
        detail = []
        if isinstance(path, URIRef):
            detail.append(f"property {_short(path)}")
        if value is not None and value != focus:
            detail.append(f"value {value.n3()}")
        suffix = f" ({', '.join(detail)})" if detail else ""
        problems.append(Problem(file, line, subject, f"{message}{suffix}"))
    return ValidationReport(conforms=bool(conforms), problems=sorted(set(problems), key=str))
