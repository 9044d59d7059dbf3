"""Query results as text: an aligned table, CSV, TSV, Markdown, and the SPARQL 1.1 Query Results JSON
format. CSV, TSV and JSON keep every IRI whole, for programs; the table and Markdown, for people, show
pvkg's own IRIs by their path (finding/luna2024-01) and others whole.

The SPARQL 1.1 Protocol's result formats (JSON, XML, CSV and TSV as their W3C specifications write them,
and ASK's boolean) are in `SELECT_MEDIA_TYPES` and `ASK_MEDIA_TYPES`, for the server."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from pvkg._namespaces import ID
from pvkg._rdftext import nt_term
from pvkg._sparql.queries import QueryResult

FORMATS = ("table", "csv", "tsv", "json", "md")


def plain_text(term: Node | None) -> str:
    """A term as a CSV or TSV cell holds it: an IRI or a literal's text whole, a blank node as _:id."""
    if isinstance(term, BNode):
        return f"_:{term}"
    return "" if term is None else str(term)


def _readable(term: Node | None) -> str:
    if isinstance(term, URIRef) and str(term).startswith(str(ID)):
        return str(term)[len(str(ID)):]
    return plain_text(term)


def to_table(result: QueryResult) -> str:
    cells = [[_readable(t).replace("\n", " ") for t in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    if not cells:
        lines.append("(no rows)")
    return "\n".join(lines) + "\n"


def to_markdown(result: QueryResult) -> str:
    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
    lines += ["| " + " | ".join(cell(_readable(t)) for t in row) + " |" for row in result.rows]
    return "\n".join(lines) + "\n"


def _delimited(result: QueryResult, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if delimiter == "," else "\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([plain_text(t) for t in row])
    return out.getvalue()


def json_term(term: Node) -> dict:
    """A term as a binding of the SPARQL 1.1 Query Results JSON Format writes it."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    value: dict = {"type": "literal", "value": str(term)}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype:
        value["datatype"] = str(term.datatype)
    return value


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON Format (an unbound variable is left out of its row's bindings)."""
    bindings = [{name: json_term(t) for name, t in zip(result.columns, row, strict=True) if t is not None}
                for row in result.rows]
    return json.dumps({"head": {"vars": result.columns}, "results": {"bindings": bindings}},
                      ensure_ascii=False, indent=2) + "\n"


def to_sparql_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: '?name' headers, every term written as in SPARQL (IRIs in <>,
    literals quoted and escaped), so that the values round-trip."""
    lines = ["\t".join(f"?{c}" for c in result.columns)]
    lines += ["\t".join("" if t is None else nt_term(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        attribute = f" xml:lang={quoteattr(term.language)}"
    elif term.datatype:
        attribute = f" datatype={quoteattr(str(term.datatype))}"
    else:
        attribute = ""
    return f"<literal{attribute}>{escape(str(term))}</literal>"


_XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def to_xml(result: QueryResult) -> str:
    """SPARQL Query Results XML Format."""
    out = [_XML_HEAD, "  <head>\n"]
    out += [f"    <variable name={quoteattr(c)}/>\n" for c in result.columns]
    out.append("  </head>\n  <results>\n")
    for row in result.rows:
        out.append("    <result>\n")
        out += [f"      <binding name={quoteattr(c)}>{_xml_term(t)}</binding>\n"
                for c, t in zip(result.columns, row, strict=True) if t is not None]
        out.append("    </result>\n")
    out.append("  </results>\n</sparql>\n")
    return "".join(out)


def boolean_json(value: bool) -> str:
    return json.dumps({"head": {}, "boolean": value}) + "\n"


def boolean_xml(value: bool) -> str:
    return f"{_XML_HEAD}  <head/>\n  <boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"


# The SPARQL 1.1 Protocol's result formats by media type, the first being the default
SELECT_MEDIA_TYPES = {
    "application/sparql-results+json": to_json,
    "application/sparql-results+xml": to_xml,
    "text/csv": lambda r: _delimited(r, ","),
    "text/tab-separated-values": to_sparql_tsv,
    "application/json": to_json,
    "application/xml": to_xml,
}
ASK_MEDIA_TYPES = {
    "application/sparql-results+json": boolean_json,
    "application/sparql-results+xml": boolean_xml,
    "application/json": boolean_json,
    "application/xml": boolean_xml,
}


def render(result: QueryResult, fmt: str) -> str:
    return {"table": to_table, "md": to_markdown, "json": to_json,
            "csv": lambda r: _delimited(r, ","), "tsv": lambda r: _delimited(r, "\t")}[fmt](result)
