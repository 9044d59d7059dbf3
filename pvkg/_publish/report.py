"""The evidence report: one static HTML page with SVG figures, readable from disk without a server.

`write_report(store, out_dir)` runs the canned queries (queries/*.rq) on a store and writes

- `out_dir/index.html`: a polyglot HTML5 page (well-formed XML too), its CSS inline, no script, nothing
  fetched from elsewhere; each figure is inlined (so its tooltips work) and followed by a table of the
  same facts, so that the evidence can be read as text;
- `out_dir/figures/*.svg`: the same figures as standalone SVG files.

The figures:

1. the network of every link finding (`link-findings`) in three columns: service characteristics and
   channels -> values and constructs -> what they lead on to. The two steps of a chain (a concept that ends
   one link and starts another, as in `value-paths`) run column 1 -> 2 -> 3; any other link runs 1 -> 2 or
   2 -> 3 by its start (see network_edges). Each edge is drawn as a curve whose colour is the direction its
   findings give, whose width is the number of studies behind it, and whose tooltip (an SVG <title>) names
   those studies;
2. the factor matrix (`factors`, `drivers-and-barriers`, `studies`): per adoption-factor category, the
   findings judging its factors a driver, a barrier or neither, per study with the study's country;
3. studies by country (`studies-by-country`) and by method (`studies`), as bar charts.

Everything is generated here (no plotting library, no JavaScript). Output is deterministic: the same graph
gives the same bytes (no timestamps, every collection sorted, ids made from labels). All text from the
graph is escaped for XML, and characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape
from rdflib import Graph, Literal
from rdflib.term import Node

from pvkg._files import write_atomic
from pvkg._publish.pages import render
from pvkg._sparql.queries import QueryError, QueryResult, bind_parameters, load_queries, run_query
from pvkg._sparql.stores import Store, as_store
from pvkg._sparql.syntax import substitute
from pvkg._version import __version__
from pvkg.errors import PvkgError

FIGURES = "figures"
FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
INK = "#1d2330"
MUTED = "#5f6b7a"
LINE = "#c9d0d9"
BACKGROUND = "#ffffff"
# the colour of each direction a finding can give (the ontology's pvkg:Driver and pvkg:Barrier), of both
# at once (an edge that findings judge both ways) and of none
DIRECTION_COLOURS = {"driver": "#2e7d32", "barrier": "#c62828", "both": "#7b3fa0", "": "#6b7b8c"}
COLUMN_FILLS = ("#e3eefb", "#fdf0d8", "#e2f3e4")
COLUMN_STROKES = ("#5b8bc9", "#d09a35", "#4f9a5a")
BAR_FILL = "#3a6fb0"

NO_LABEL = "(no label)"
NO_STUDY = "(unnamed study)"
NO_COUNTRY = "no country stated"
NO_METHOD = "no method stated"
NO_DIRECTION = "no direction"

_PREFIXES = """PREFIX pvkg: <https://w3id.org/pvkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
# What no canned query gives: each study's id, citation and number of findings; the number of findings;
# the labels of the two directions (to tell a driver from a barrier whatever the language of the labels).
STUDY_LIST = _PREFIXES + """SELECT ?s ?id ?study ?citation (COUNT(DISTINCT ?finding) AS ?findings)
WHERE {
  ?s a pvkg:Study .
  OPTIONAL { ?s dcterms:identifier ?id }
  OPTIONAL { ?s rdfs:label ?study }
  OPTIONAL { ?s dcterms:bibliographicCitation ?citation }
  OPTIONAL { ?finding pvkg:reportedIn ?s }
}
GROUP BY ?s ?id ?study ?citation
ORDER BY ?study ?id ?citation ?s"""
FINDING_COUNT = _PREFIXES + "SELECT (COUNT(DISTINCT ?f) AS ?findings) WHERE { ?f a pvkg:Finding }"
DIRECTION_LABELS = _PREFIXES + """SELECT ?kind ?label
WHERE {
  VALUES (?kind ?key) { (pvkg:Driver "driver") (pvkg:Barrier "barrier") }
  OPTIONAL { ?kind rdfs:label ?l_lang FILTER(langMatches(lang(?l_lang), ?lang)) }
  OPTIONAL { ?kind rdfs:label ?l_en FILTER(langMatches(lang(?l_en), "en")) }
  BIND(COALESCE(?l_lang, ?l_en, ?key) AS ?label)
}
ORDER BY ?kind ?label"""
# Which link findings start from a value or a construct (placed in the network's middle column when they
# belong to no chain): (finding, the start's label as link-findings gives it)
MIDDLE_STARTS = _PREFIXES + """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?finding ?from
WHERE {
  ?finding a pvkg:LinkFinding ; pvkg:linkFrom ?a .
  VALUES ?class { pvkg:PublicValue pvkg:Construct }
  ?a a ?class .
  OPTIONAL { ?a skos:prefLabel ?a_exact FILTER(LCASE(LANG(?a_exact)) = LCASE(STR(?lang))) }
  OPTIONAL { ?a skos:prefLabel ?a_lang FILTER(!BOUND(?a_exact) && langMatches(LANG(?a_lang), ?lang)) }
  OPTIONAL { ?a skos:prefLabel ?a_en FILTER(!BOUND(?a_exact) && !BOUND(?a_lang) && LCASE(LANG(?a_en)) = "en") }
  BIND(COALESCE(?a_exact, ?a_lang, ?a_en) AS ?from)
}
ORDER BY ?finding ?from"""


class ReportError(PvkgError):
    """The report cannot be written where it was asked to go."""

    exit_code = 2


# -- text -------------------------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (most C0 controls, surrogates, U+FFFE/U+FFFF): dropped from every text
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: object) -> str:
    """Text from the graph as XML can hold it."""
    return _NOT_XML.sub("", str(text))


def xml_escape(text: object) -> str:
    """Text for XML content or a quoted attribute value: `& < > " '` escaped, impossible characters dropped."""
    return str(escape(clean(text)))


def _text(term: Node | None, missing: str = "") -> str:
    return missing if term is None else " ".join(clean(term).split()) or missing


def _number(term: Node | None) -> int:
    try:
        return int(str(term)) if term is not None else 0
    except ValueError:
        return 0


def text_width(text: str, size: float) -> float:
    """An estimate of the width of text in a sans-serif font of `size` px, on the wide side (DejaVu Sans), so
    that wrapped labels stay inside their boxes in narrower fonts too."""
    em = 0.0
    for ch in text:
        if ch == " ":
            em += 0.33
        elif ch in "ijl.,;:'|!":
            em += 0.3
        elif ch in "frt()[]-/":
            em += 0.42
        elif ch in "mwMW@%&":
            em += 0.92
        elif ord(ch) >= 0x2E80:  # CJK and other full-width scripts
            em += 1.0
        elif ch.isupper() or ch.isdigit():
            em += 0.7
        else:
            em += 0.61
    return em * size


def wrap(text: str, width: float, size: float) -> list[str]:
    """Text broken into lines no wider than `width` px (a word longer than a line is broken in it)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while text_width(word, size) > width and len(word) > 1:
            cut = 1
            while cut < len(word) and text_width(word[:cut + 1], size) <= width:
                cut += 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current or not lines:
        lines.append(current)
    return lines


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def anchor(prefix: str, text: str, taken: set[str]) -> str:
    """An id for an element, made from text (ASCII letters, digits and '-'), unique among `taken`."""
    base = prefix + "-" + (re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x")
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


# -- SVG --------------------------------------------------------------------------------------------------

class Svg:
    """An SVG document built as text; every attribute value and text is escaped here."""

    def __init__(self, width: float, height: float, title: str, description: str):
        self.width, self.height = width, height
        self.parts: list[str] = [f"<title>{xml_escape(title)}</title>", f"<desc>{xml_escape(description)}</desc>"]

    @staticmethod
    def attributes(attrs: dict[str, object]) -> str:
        out = []
        for name, value in attrs.items():
            if value is None:
                continue
            text = _fmt(value) if isinstance(value, float) else str(value)
            out.append(f' {name}="{xml_escape(text)}"')
        return "".join(out)

    def add(self, tag: str, attrs: dict[str, object], content: str | None = None, title: str | None = None) -> None:
        """An element; `content` is text (escaped), `title` a tooltip (an SVG <title> child)."""
        inner = (f"<title>{xml_escape(title)}</title>" if title is not None else "") + \
            (xml_escape(content) if content is not None else "")
        self.parts.append(f"<{tag}{self.attributes(attrs)}>{inner}</{tag}>" if inner
                          else f"<{tag}{self.attributes(attrs)}/>")

    def raw(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, lines: list[str], size: float, anchor: str = "start", fill: str = INK,
             weight: str | None = None, line_height: float | None = None) -> None:
        """Lines of text, the first one's baseline at y."""
        step = line_height or size * 1.25
        spans = "".join(f'<tspan x="{_fmt(x)}" dy="{_fmt(0 if i == 0 else step)}">{xml_escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        attrs = self.attributes({"x": float(x), "y": float(y), "font-size": float(size), "text-anchor": anchor,
                                 "fill": fill, "font-weight": weight})
        self.parts.append(f"<text{attrs}>{spans}</text>")

    def markup(self) -> str:
        """The <svg> element, to inline in a page or to save (see document())."""
        head = self.attributes({
            "xmlns": "http://www.w3.org/2000/svg", "version": "1.1", "width": _fmt(self.width),
            "height": _fmt(self.height), "viewBox": f"0 0 {_fmt(self.width)} {_fmt(self.height)}",
            "font-family": FONT, "role": "img"})
        return f"<svg{head}>\n" + "\n".join(self.parts) + "\n</svg>"

    def document(self) -> bytes:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + self.markup() + "\n").encode("utf-8")


def _empty_figure(title: str, message: str) -> Svg:
    # as wide as its text (bold text is some 12% wider than text_width's estimate), at least 640 px
    width = float(round(max(640.0, 40 + 1.12 * text_width(title, 16), 40 + text_width(message, 13))))
    svg = Svg(width, 90, title, message)
    svg.add("rect", {"x": 0, "y": 0, "width": width, "height": 90, "fill": "#f4f6f9"})
    svg.text(20, 36, [title], 16, weight="bold")
    svg.text(20, 64, [message], 13, fill=MUTED)
    return svg


# -- figure 1: the value network --------------------------------------------------------------------------

# How a link finding is supported, from firmest to least: each is drawn in a line style of its own, and findings
# of different kinds never share a curve (a hedged or weak link never widens a first-hand driver's curve).
EVIDENCE = ("first-hand", "second-hand", "hedged or weak", "not a result")
EVIDENCE_DASHES = {"first-hand": None, "second-hand": "10 6", "hedged or weak": "2 6", "not a result": "1 9"}
EVIDENCE_NOTES = {"first-hand": "a study's own stated result",
                  "second-hand": "what a study reports of another work",
                  "hedged or weak": "hedged by the source, or reported as weak",
                  "not a result": "background, a proposition or an editors' reading"}


def evidence_of(support: str, status: str, strength: str) -> str:
    """The evidence class of a link finding, from the labels link-findings gives."""
    if status and status != "result":
        return "not a result"
    if strength in ("hedged", "weak"):
        return "hedged or weak"
    return "second-hand" if support == "second-hand" else "first-hand"


@dataclass(frozen=True)
class Support:
    study: str
    direction: str  # the direction's label as the query gave it ("" for none)
    kind: str  # "driver", "barrier" or "" (none, or a direction pvkg does not know)


@dataclass
class NetworkEdge:
    step: int  # 0: first column -> second, 1: second -> third
    source: str
    target: str
    evidence: str  # one of EVIDENCE: every finding behind the edge is of this kind
    support: set[Support] = field(default_factory=set)
    # a second step whose every first step is another study's: the chain it completes is no study's claim
    across_studies: bool = False
    number: int = 0  # its number in the figure and in the table, from 1

    @property
    def studies(self) -> list[str]:
        return sorted({s.study for s in self.support})

    @property
    def kind(self) -> str:
        kinds = {s.kind for s in self.support} - {""}
        return "both" if len(kinds) > 1 else next(iter(kinds), "")

    @property
    def directions(self) -> list[str]:
        """The labels of the directions the findings give (none when they give none)."""
        return sorted({s.direction for s in self.support} - {""})

    def by_study(self) -> list[tuple[str, str]]:
        """(study, the directions it gives joined with '; ', or '') for each study behind the edge."""
        found: dict[str, set[str]] = defaultdict(set)
        for s in self.support:
            found[s.study].add(s.direction)
        return [(study, "; ".join(sorted(d - {""}))) for study, d in sorted(found.items())]

    def evidence_lines(self) -> list[str]:
        """'study (direction)' for each study behind the edge."""
        return [f"{study} ({directions})" if directions else study for study, directions in self.by_study()]


COLUMN_TITLES = ("Service characteristic or channel", "Value or construct", "Value or construct it leads on to")

NODE_W, COL_GAP, MARGIN, NODE_GAP, NODE_FONT, TOP = 236.0, 196.0, 24.0, 16.0, 13.0, 64.0


@dataclass(frozen=True)
class Link:
    """One row of link-findings: a finding linking one concept to another."""
    finding: str
    source: str
    target: str
    support: Support
    evidence: str


def network_edges(links: QueryResult, middle_starts: set[tuple[str, str]], kinds: dict[str, str]
                  ) -> list[NetworkEdge]:
    """The edges of the layered network: every row of link-findings (finding, from, to, direction, study,
    locator), drawn between two of the three columns.

    - A link whose end starts another link (of another finding, to another concept than its start) is the
      first step of a chain (column 1 -> 2); a link whose start ends another link (of another finding, from
      another concept than its end) is the second step of one (2 -> 3). These are the chains value-paths
      lists; a link that is both (within a longer chain) is drawn in both places.
    - Any other link starts from the column its start already holds as the start of a chain step (1, else
      2); failing that, from column 2 when its start is a value or construct (`middle_starts`: the pairs
      (finding, from) of link-findings whose start is one), else from column 1 (a service characteristic,
      a channel, or anything else).

    Links that join the same two concepts in the same columns share an edge, with all their studies."""
    rows: list[Link] = []
    for finding, source, target, direction, study, support, status, strength, work in links.pick(
            "finding", "from", "to", "direction", "study", "support", "status", "strength", "work"):
        label = _text(direction)
        # a second-hand finding speaks for the work it is about, through the study that reports it
        who = f"{_text(work)}, as reported by {_text(study, NO_STUDY)}" if _text(work) else _text(study, NO_STUDY)
        rows.append(Link(str(finding) if finding is not None else "", _text(source, NO_LABEL),
                         _text(target, NO_LABEL), Support(who, label, kinds.get(label, "")),
                         evidence_of(_text(support), _text(status), _text(strength))))
    starts: dict[str, list[Link]] = defaultdict(list)
    ends: dict[str, list[Link]] = defaultdict(list)
    for link in rows:
        starts[link.source].append(link)
        ends[link.target].append(link)
    steps: dict[Link, set[int]] = {}
    for link in rows:
        steps[link] = set()
        if any(other.finding != link.finding and other.target != link.source for other in starts[link.target]):
            steps[link].add(0)
        if any(other.finding != link.finding and other.source != link.target for other in ends[link.source]):
            steps[link].add(1)
    in_chains = {(step, link.source) for link, chosen in steps.items() for step in chosen}
    for link, chosen in steps.items():
        if chosen:
            continue
        if (0, link.source) in in_chains:
            chosen.add(0)
        elif (1, link.source) in in_chains:
            chosen.add(1)
        else:
            chosen.add(1 if (link.finding, link.source) in middle_starts else 0)
    edges: dict[tuple[int, str, str, int], NetworkEdge] = {}
    for link, chosen in steps.items():
        for step in chosen:
            key = (step, link.source, link.target, EVIDENCE.index(link.evidence))
            edges.setdefault(key, NetworkEdge(step, link.source, link.target, link.evidence)).support.add(link.support)
    # the studies whose first steps lead into each middle concept
    into_middle: dict[str, set[str]] = defaultdict(set)
    for link, chosen in steps.items():
        if 0 in chosen:
            into_middle[link.target].add(link.support.study)
    for edge in edges.values():
        first_steps = into_middle.get(edge.source, set())
        edge.across_studies = (edge.step == 1 and bool(first_steps)
                               and not {s.study for s in edge.support} & first_steps)
    return [edges[key] for key in sorted(edges)]


@dataclass
class _Node:
    column: int
    label: str
    lines: list[str]
    height: float
    y: float = 0.0

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


def _crossings(columns: list[list[_Node]], edges: list[NetworkEdge]) -> int:
    """How many pairs of edges cross, given the order of the nodes in each column."""
    rank = {(node.column, node.label): i for column in columns for i, node in enumerate(column)}
    count = 0
    for step in (0, 1):
        # edges sorted by their source's rank: a crossing is a pair whose targets come in the other order,
        # counted with a Fenwick tree over target ranks (n log n)
        ends = [rank[(e.step + 1, e.target)] for e in
                sorted(edges, key=lambda e: (rank[(e.step, e.source)], rank[(e.step + 1, e.target)]))
                if e.step == step]
        size = len(columns[step + 1]) + 1
        tree = [0] * (size + 1)
        for seen, end in enumerate(ends):
            i, not_above = end + 1, 0
            while i > 0:
                not_above += tree[i]
                i -= i & -i
            count += seen - not_above
            i = end + 1
            while i <= size:
                tree[i] += 1
                i += i & -i
    return count


def _order(columns: list[list[_Node]], edges: list[NetworkEdge]) -> list[list[_Node]]:
    """The nodes of each column ordered to cross few edges: sweeps of the barycentre heuristic, down (a
    node goes where the mean rank of its neighbours in the column before is) and up (the column after),
    keeping the best order seen."""
    neighbours: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for edge in edges:
        neighbours[(edge.step, edge.source)].append((edge.step + 1, edge.target))
        neighbours[(edge.step + 1, edge.target)].append((edge.step, edge.source))
    best, fewest = [list(c) for c in columns], _crossings(columns, edges)
    for sweep in range(8):
        for c, other in ((1, 0), (2, 1)) if sweep % 2 == 0 else ((1, 2), (0, 1)):
            rank = {(node.column, node.label): i / max(len(column) - 1, 1)
                    for column in columns for i, node in enumerate(column)}

            def key(node: _Node, rank=rank, other=other):
                me = (node.column, node.label)
                near = [rank[n] for n in neighbours[me] if n[0] == other]
                return (sum(near) / len(near) if near else rank[me], rank[me], node.label.casefold(), node.label)

            columns[c] = sorted(columns[c], key=key)
        count = _crossings(columns, edges)
        if count < fewest:
            best, fewest = [list(column) for column in columns], count
    # then swap neighbours in a column while that removes crossings (a few passes, on figures one can read)
    for _ in range(4 if len(edges) <= 400 else 0):
        improved = False
        for column in best:
            for i in range(len(column) - 1):
                if not fewest:
                    return best
                column[i], column[i + 1] = column[i + 1], column[i]
                count = _crossings(best, edges)
                if count < fewest:
                    fewest, improved = count, True
                else:
                    column[i], column[i + 1] = column[i + 1], column[i]
        if not improved:
            break
    return best


def _cubic(p: tuple[float, float, float, float], t: float) -> float:
    return (1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1] + 3 * (1 - t) * t ** 2 * p[2] + t ** 3 * p[3]


def _legend_width() -> float:
    """The width the line-style legend needs."""
    return 2 * MARGIN + sum(48 + text_width(f"{e}: {EVIDENCE_NOTES[e]}", 12) for e in EVIDENCE)


def network_svg(edges: list[NetworkEdge]) -> Svg:
    """Three columns of labelled boxes; each edge a curve coloured by direction, as wide as the number of
    studies behind it, numbered (the table's numbers) and with the studies in its tooltip."""
    title = "Every link finding: from service characteristics to values, and who says so"
    if not edges:
        return _empty_figure(title, "No link finding ties one concept to another in this graph.")
    label_width = NODE_W - 20
    nodes: dict[tuple[int, str], _Node] = {}
    degree: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for edge in edges:
        degree[(edge.step, edge.source)][1] += 1
        degree[(edge.step + 1, edge.target)][0] += 1
    for key in sorted(degree):
        lines = wrap(key[1], label_width, NODE_FONT)
        height = max(14 + 16 * len(lines), 12 + 15 * max(degree[key]))
        nodes[key] = _Node(key[0], key[1], lines, float(height))
    alphabetical = [sorted((n for n in nodes.values() if n.column == c), key=lambda n: (n.label.casefold(), n.label))
                    for c in range(3)]
    busiest = [sorted(column, key=lambda n: (-sum(degree[(n.column, n.label)]), n.label.casefold(), n.label))
               for column in alphabetical]
    # the heuristic from two starts (the labels' order, the busiest nodes first): the order crossing fewer edges
    columns = min((_order(start, edges) for start in (alphabetical, busiest)), key=lambda c: _crossings(c, edges))
    for column in columns:
        y = 0.0
        for node in column:
            node.y = y
            y += node.height + NODE_GAP
    heights = [sum(n.height for n in column) + NODE_GAP * max(len(column) - 1, 0) for column in columns]
    tallest = max(heights)
    for column, height in zip(columns, heights, strict=True):
        for node in column:
            node.y += TOP + (tallest - height) / 2
    width = 2 * MARGIN + 3 * NODE_W + 2 * COL_GAP
    legend_y = TOP + tallest + 34
    svg = Svg(max(width, _legend_width()), legend_y + 64, title,
              "Each curve is a link finding (or several findings of one kind linking the same two concepts): its "
              "colour is the direction the findings give, its line style how they are supported, its width the "
              "number of studies behind it; hover over it for the studies. A chain of two links runs across the "
              "three columns; when its steps come from different studies it is a hypothesis, not a finding "
              "(see value-paths).")

    def x_of(column: int) -> float:
        return MARGIN + column * (NODE_W + COL_GAP)

    for c, heading in enumerate(COLUMN_TITLES):
        svg.text(x_of(c) + NODE_W / 2, 24, wrap(heading, NODE_W + COL_GAP / 2, 13), 13, anchor="middle",
                 weight="bold")
    # ports: a node's edges leave (and arrive) spread along its side, in the order of the other ends
    outgoing: dict[tuple[int, str], list[NetworkEdge]] = defaultdict(list)
    incoming: dict[tuple[int, str], list[NetworkEdge]] = defaultdict(list)
    for edge in edges:
        outgoing[(edge.step, edge.source)].append(edge)
        incoming[(edge.step + 1, edge.target)].append(edge)
    port: dict[tuple[int, int], float] = {}  # (id(edge), end) -> y
    for key, out in outgoing.items():
        out.sort(key=lambda e: (nodes[(e.step + 1, e.target)].middle, e.target))
        node = nodes[key]
        for i, edge in enumerate(out):
            port[(id(edge), 0)] = node.y + node.height * (i + 1) / (len(out) + 1)
    for key, into in incoming.items():
        into.sort(key=lambda e: (nodes[(e.step, e.source)].middle, e.source))
        node = nodes[key]
        for i, edge in enumerate(into):
            port[(id(edge), 1)] = node.y + node.height * (i + 1) / (len(into) + 1)
    # numbered in reading order: by step, then from the top
    ordered = sorted(edges, key=lambda e: (e.step, nodes[(e.step, e.source)].y, port[(id(e), 0)],
                                           nodes[(e.step + 1, e.target)].y, e.source, e.target))
    for number, edge in enumerate(ordered, start=1):
        edge.number = number
    badges = []
    svg.raw('<g fill="none" stroke-linecap="round">')
    for edge in ordered:
        x1, x2 = x_of(edge.step) + NODE_W, x_of(edge.step + 1)
        y1, y2 = port[(id(edge), 0)], port[(id(edge), 1)]
        bend = (x2 - x1) / 2
        colour = DIRECTION_COLOURS[edge.kind]
        stroke = min(2.5 + 2.5 * (len(edge.studies) - 1), 12.0)
        across = "; joins another study's step: a hypothesis" if edge.across_studies else ""
        tooltip = (f"{edge.number}. {edge.source} → {edge.target} ({edge.evidence}{across})\nsupported by: "
                   + "; ".join(edge.evidence_lines()))
        style = {"stroke-dasharray": EVIDENCE_DASHES[edge.evidence]} if EVIDENCE_DASHES[edge.evidence] else {}
        svg.add("path", {"d": f"M{_fmt(x1)},{_fmt(y1)} C{_fmt(x1 + bend)},{_fmt(y1)} {_fmt(x2 - bend)},"
                              f"{_fmt(y2)} {_fmt(x2)},{_fmt(y2)}",
                         "stroke": colour, "stroke-width": stroke,
                         "stroke-opacity": "0.35" if edge.across_studies else "0.75", **style,
                         "class": f"edge edge-{edge.kind or 'none'} evidence-{EVIDENCE.index(edge.evidence)}"},
                title=tooltip)
        # the number on the curve, where it overlaps no other number (the middle, unless taken)
        xs, ys = (x1, x1 + bend, x2 - bend, x2), (y1, y1, y2, y2)
        spots = [(_cubic(xs, t), _cubic(ys, t)) for t in (0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8)]
        free = [(x, y) for x, y in spots if all((x - bx) ** 2 + (y - by) ** 2 >= 21 ** 2 for _, bx, by, *_ in badges)]
        x, y = (free or spots)[0]
        badges.append((edge, x, y, colour, tooltip))
    svg.raw("</g>")
    for edge, x, y, colour, tooltip in badges:
        svg.raw('<g class="badge">')
        svg.add("circle", {"cx": x, "cy": y, "r": "9", "fill": BACKGROUND, "stroke": colour, "stroke-width": "1.5"},
                title=tooltip)
        svg.text(x, y + 3.5, [str(edge.number)], 10, anchor="middle", fill=colour, weight="bold")
        svg.raw("</g>")
    for node in sorted(nodes.values(), key=lambda n: (n.column, n.y)):
        x = x_of(node.column)
        svg.raw('<g class="node">')
        svg.add("rect", {"x": x, "y": node.y, "width": NODE_W, "height": node.height, "rx": "6",
                         "fill": COLUMN_FILLS[node.column], "stroke": COLUMN_STROKES[node.column],
                         "stroke-width": "1.2"}, title=node.label)
        first = node.middle - 16 * (len(node.lines) - 1) / 2 + NODE_FONT * 0.36
        svg.text(x + NODE_W / 2, first, node.lines, NODE_FONT, anchor="middle", line_height=16)
        svg.raw("</g>")
    legend = [("driver", "driver"), ("barrier", "barrier"), ("both", "driver and barrier"), ("", NO_DIRECTION)]
    x = MARGIN
    for kind, label in legend:
        svg.add("line", {"x1": x, "y1": legend_y, "x2": x + 28, "y2": legend_y, "stroke": DIRECTION_COLOURS[kind],
                         "stroke-width": "4", "stroke-linecap": "round"})
        svg.text(x + 36, legend_y + 4.5, [label], 12, fill=MUTED)
        x += 48 + text_width(label, 12)
    svg.text(x + 12, legend_y + 4.5, ["wider curve: more studies · faint: completes a chain of another study's "
                                      "step (a hypothesis) · number: row of the table below"], 12, fill=MUTED)
    x = MARGIN
    for evidence in EVIDENCE:  # a second legend row: the line style says how the findings are supported
        attributes = {"x1": x, "y1": legend_y + 24, "x2": x + 28, "y2": legend_y + 24, "stroke": MUTED,
                      "stroke-width": "3"}
        if EVIDENCE_DASHES[evidence]:
            attributes["stroke-dasharray"] = EVIDENCE_DASHES[evidence]
        svg.add("line", attributes)
        label = f"{evidence}: {EVIDENCE_NOTES[evidence]}"
        svg.text(x + 36, legend_y + 28.5, [label], 12, fill=MUTED)
        x += 48 + text_width(label, 12)
    return svg


# -- figure 2: the factor matrix --------------------------------------------------------------------------

@dataclass
class MatrixColumn:
    study: str  # "" for the column group of all studies
    country: str
    kind: str  # "driver", "barrier" or ""
    label: str  # the direction's label in the report's language


@dataclass
class FactorMatrix:
    categories: list[str]
    groups: list[tuple[str, str]]  # (study, country) per column group; ("", "") last: all studies
    directions: list[tuple[str, str]]  # (kind, label) of each column of a group
    counts: dict[tuple[str, str, str], int]  # (category, study, kind) -> findings; study "" for all studies
    factors: dict[tuple[str, str, str], list[str]]  # the same key -> the factors named, with repeats

    def count(self, category: str, study: str, kind: str) -> int:
        return self.counts.get((category, study, kind), 0)

    @property
    def largest(self) -> int:
        return max((n for (_, study, _), n in self.counts.items() if study), default=0)


def factor_matrix(factors: QueryResult, countries: dict[str, list[str]], direction_labels: dict[str, str]
                  ) -> FactorMatrix:
    kinds = {label: kind for kind, label in direction_labels.items()}
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    named: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    categories, studies = set(), set()
    for category, factor, direction, study in factors.pick("category", "factor", "direction", "study"):
        cat, name, label = _text(category, NO_LABEL), _text(study, NO_STUDY), _text(direction)
        kind = kinds.get(label, "")
        categories.add(cat)
        studies.add(name)
        for who in (name, ""):
            counts[(cat, who, kind)] += 1
            named[(cat, who, kind)].append(_text(factor, NO_LABEL))
    groups = sorted(((s, "; ".join(countries.get(s, [])) or NO_COUNTRY) for s in studies),
                    key=lambda g: (g[0].casefold(), g[0]))
    if groups:
        groups.append(("", ""))
    directions = [("driver", direction_labels["driver"]), ("barrier", direction_labels["barrier"]),
                  ("", NO_DIRECTION)]
    return FactorMatrix(sorted(categories, key=lambda c: (c.casefold(), c)), groups, directions, dict(counts),
                        {k: sorted(v) for k, v in named.items()})


def _shade(hex_colour: str, share: float) -> str:
    """The colour mixed with white: share 0 is white, 1 the colour."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 + (c - 255) * share) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


CELL_W, CELL_H, ROW_LABEL_W, GROUP_GAP = 78.0, 40.0, 210.0, 14.0


def matrix_svg(matrix: FactorMatrix) -> Svg:
    title = "Adoption factors per category: drivers and barriers, per study and country"
    if not matrix.categories:
        return _empty_figure(title, "No finding names an adoption factor in this graph.")
    group_w = CELL_W * len(matrix.directions)
    group_lines = [wrap(study or "All studies", group_w - 8, 12) for study, _ in matrix.groups]
    country_lines = [wrap(country, group_w - 8, 11) if study else [] for study, country in matrix.groups]
    direction_lines = [wrap(label, CELL_W - 6, 11) for _, label in matrix.directions]
    head = 16 + 15 * max(len(lines) for lines in group_lines) + 14 * max(len(c) for c in country_lines) + 8 \
        + 13 * max(len(lines) for lines in direction_lines) + 8
    row_lines = [wrap(category, ROW_LABEL_W - 14, 12.5) for category in matrix.categories]
    row_heights = [max(CELL_H, 12 + 15 * len(lines)) for lines in row_lines]
    width = MARGIN * 2 + ROW_LABEL_W + len(matrix.groups) * (group_w + GROUP_GAP) - GROUP_GAP
    height = head + sum(row_heights) + 60
    svg = Svg(width, height, title,
              "Each cell counts the findings that name a factor of the category and judge it a driver, a barrier, "
              "or give no direction; hover over a cell for the factors.")
    largest = max(matrix.largest, 1)
    totals_largest = max((matrix.count(c, "", k) for c in matrix.categories for k, _ in matrix.directions), default=1)
    for g, (study, _country) in enumerate(matrix.groups):
        gx = MARGIN + ROW_LABEL_W + g * (group_w + GROUP_GAP)
        if not study:
            svg.add("rect", {"x": gx - GROUP_GAP / 2, "y": 4, "width": group_w + GROUP_GAP,
                             "height": head + sum(row_heights) + 4, "fill": "#f4f6f9", "rx": "6"})
        y = 22.0
        svg.text(gx + group_w / 2, y, group_lines[g], 12, anchor="middle", weight="bold", line_height=15)
        y += 15 * len(group_lines[g])
        if country_lines[g]:
            svg.text(gx + group_w / 2, y, country_lines[g], 11, anchor="middle", fill=MUTED, line_height=14)
        for d, lines in enumerate(direction_lines):
            svg.text(gx + CELL_W * (d + 0.5), head - 8 - 13 * (len(lines) - 1), lines, 11, anchor="middle",
                     fill=DIRECTION_COLOURS[matrix.directions[d][0]], line_height=13)
    y = head
    for r, category in enumerate(matrix.categories):
        rh = row_heights[r]
        svg.text(MARGIN + ROW_LABEL_W - 12, y + rh / 2 - 7.5 * (len(row_lines[r]) - 1) + 4.5, row_lines[r], 12.5,
                 anchor="end", line_height=15)
        for g, (study, country) in enumerate(matrix.groups):
            gx = MARGIN + ROW_LABEL_W + g * (group_w + GROUP_GAP)
            for d, (kind, label) in enumerate(matrix.directions):
                n = matrix.count(category, study, kind)
                share = n / (largest if study else max(totals_largest, 1))
                fill = _shade(DIRECTION_COLOURS[kind], 0.15 + 0.85 * share) if n else "#f1f3f6"
                where = f"{study} ({country})" if study else "all studies"
                factors = matrix.factors.get((category, study, kind), [])
                tooltip = f"{category} · {where} · {label}: {n} finding{'' if n == 1 else 's'}" + \
                    (f": {'; '.join(factors)}" if factors else "")
                cx = gx + d * CELL_W
                svg.raw('<g class="cell">')
                svg.add("rect", {"x": cx + 1, "y": y + 1, "width": CELL_W - 2, "height": rh - 2, "rx": "3",
                                 "fill": fill}, title=tooltip)
                svg.text(cx + CELL_W / 2, y + rh / 2 + 5, [str(n)], 14 if n else 12, anchor="middle",
                         fill=(BACKGROUND if share > 0.5 else INK) if n else "#a7b0bb", weight="bold" if n else None)
                svg.raw("</g>")
        y += rh
    svg.text(MARGIN, height - 22, ["Number: findings naming a factor of the category, per direction they give; "
                                   "darker: more findings."], 12, fill=MUTED)
    return svg


# -- figure 3: bar charts ---------------------------------------------------------------------------------

@dataclass
class Bar:
    label: str
    value: int
    note: str  # written after the bar
    studies: list[str]
    unstated: bool = False  # the bar of the studies that do not say (drawn grey)


BAR_LABEL_W, BAR_MAX_W = 230.0, 420.0


def bar_chart_svg(title: str, description: str, bars: list[Bar], unit: str) -> Svg:
    if not bars:
        return _empty_figure(title, "No study in this graph.")
    rows = [wrap(bar.label, BAR_LABEL_W - 16, 12.5) for bar in bars]
    heights = [max(30.0, 10 + 15 * len(lines)) for lines in rows]
    note_w = max(text_width(bar.note, 12) for bar in bars)
    width = MARGIN * 2 + BAR_LABEL_W + BAR_MAX_W + 16 + note_w
    top = 44.0
    height = top + sum(heights) + 30
    svg = Svg(width, height, title, description)
    svg.text(MARGIN, 22, [title], 14, weight="bold")
    largest = max(bar.value for bar in bars) or 1
    x0 = MARGIN + BAR_LABEL_W
    for tick in range(largest + 1) if largest <= 10 else range(0, largest + 1, max(1, largest // 5)):
        tx = x0 + BAR_MAX_W * tick / largest
        svg.add("line", {"x1": tx, "y1": top - 4, "x2": tx, "y2": top + sum(heights), "stroke": "#e6e9ee",
                         "stroke-width": "1"})
        svg.text(tx, top + sum(heights) + 16, [str(tick)], 11, anchor="middle", fill=MUTED)
    y = top
    for bar, lines, h in zip(bars, rows, heights, strict=True):
        svg.raw('<g class="bar">')
        svg.text(x0 - 10, y + h / 2 - 7.5 * (len(lines) - 1) + 4.5, lines, 12.5, anchor="end", line_height=15)
        bar_w = BAR_MAX_W * bar.value / largest
        svg.add("rect", {"x": x0, "y": y + 5, "width": max(bar_w, 1.0), "height": h - 10, "rx": "3",
                         "fill": "#a3adb9" if bar.unstated else BAR_FILL},
                title=f"{bar.label}: {bar.value} {unit}: " + "; ".join(bar.studies))
        svg.text(x0 + bar_w + 8, y + h / 2 + 4.5, [bar.note], 12, fill=INK)
        svg.raw("</g>")
        y += h
    svg.add("line", {"x1": x0, "y1": top - 4, "x2": x0, "y2": top + sum(heights), "stroke": MUTED,
                     "stroke-width": "1"})
    return svg


# -- the data ---------------------------------------------------------------------------------------------

@dataclass
class StudyEntry:
    anchor: str
    label: str
    citation: str
    year: str
    methods: list[str]
    countries: list[str]
    sample: str
    doi: str
    findings: int


@dataclass
class CountryRow:
    country: str
    studies: list[tuple[str, str, int]]  # (study, year, findings)

    @property
    def findings(self) -> int:
        return sum(n for _, _, n in self.studies)


@dataclass
class Report:
    lang: str
    studies: list[StudyEntry]
    findings: int
    edges: list[NetworkEdge]
    matrix: FactorMatrix
    categories: list[dict[str, object]]  # drivers-and-barriers rows
    countries: list[CountryRow]
    methods: list[tuple[str, list[str]]]  # (method, studies)
    queries: dict[str, str] = field(default_factory=dict)  # canned query name -> title


def _select(store: Store, text: str, lang: str) -> list[tuple[Node | None, ...]]:
    try:
        return store.select(substitute(text, {"lang": Literal(lang)}))[1]
    except PvkgError:
        raise
    except Exception as e:  # the engine's own failure, as one line
        raise QueryError(f"the report's query failed on the SPARQL engine ({store.name}): {type(e).__name__}: "
                         f"{' '.join(str(e).split())[:200]}") from e


def _sorted_labels(labels: Iterable[str]) -> list[str]:
    return sorted(set(labels), key=lambda s: (s.casefold(), s))


def collect(store: Store | Graph, lang: str = "en") -> Report:
    """Everything the report shows, from the canned queries (and the few facts no canned query gives)."""
    store = as_store(store)
    queries = load_queries()
    bind_parameters(queries["studies"], {"lang": lang})  # a malformed language tag is a QueryError here

    def run(name: str) -> QueryResult:
        return run_query(store, queries[name], {"lang": lang})

    found: dict[str, set[str]] = defaultdict(set)
    for kind, label in _select(store, DIRECTION_LABELS, lang):
        found[str(kind).rsplit("#", 1)[-1].lower()].add(_text(label))
    # the smallest label of each direction (the query falls back to English, then to the key itself)
    direction_labels = {key: min(found.get(key, set()) - {""}, default=key) for key in ("driver", "barrier")}
    kinds = {label: kind for kind, label in direction_labels.items()}

    # the studies: list, citations, methods, countries
    details: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for study, year, method, country, sample, doi in run("studies").pick("study", "year", "method", "country",
                                                                          "sample", "doi"):
        entry = details[_text(study, NO_STUDY)]
        for name, value in (("year", year), ("country", country), ("sample", sample), ("doi", doi)):
            if _text(value):
                entry[name].add(_text(value))
        for m in _text(method).split("; "):  # the query joins a study's methods with "; "
            if m:
                entry["method"].add(m)
    taken: set[str] = set()
    studies: list[StudyEntry] = []
    seen: set[str] = set()
    for iri, identifier, study, citation, findings in _select(store, STUDY_LIST, lang):
        if str(iri) in seen:  # a second citation of the same study: the first (in order) is shown
            continue
        seen.add(str(iri))
        label = _text(study, NO_STUDY)
        info = details.get(label, {})
        studies.append(StudyEntry(
            anchor=anchor("study", _text(identifier) or label, taken), label=label, citation=_text(citation),
            year="; ".join(sorted(info.get("year", ()))), methods=_sorted_labels(info.get("method", ())),
            countries=_sorted_labels(info.get("country", ())), sample="; ".join(sorted(info.get("sample", ()))),
            doi="; ".join(sorted(info.get("doi", ()))), findings=_number(findings)))
    studies.sort(key=lambda s: (s.label.casefold(), s.label, s.anchor))
    total = _select(store, FINDING_COUNT, lang)
    countries_of = {s.label: s.countries for s in studies}

    # the countries, from studies-by-country
    by_country: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for country, study, year, findings in run("studies-by-country").pick("country", "study", "year", "findings"):
        by_country[_text(country, NO_COUNTRY)][_text(study, NO_STUDY)] = (_text(year), _number(findings))
    countries = [CountryRow(c, [(s, y, n) for s, (y, n) in sorted(rows.items(), key=lambda i: (i[0].casefold(), i[0]))])
                 for c, rows in by_country.items()]
    countries.sort(key=lambda r: (r.country == NO_COUNTRY, -len(r.studies), r.country.casefold(), r.country))

    by_method: dict[str, set[str]] = defaultdict(set)
    for s in studies:
        for m in s.methods or [NO_METHOD]:
            by_method[m].add(s.label)
    methods = sorted(((m, _sorted_labels(names)) for m, names in by_method.items()),
                     key=lambda i: (i[0] == NO_METHOD, -len(i[1]), i[0].casefold(), i[0]))

    categories = [{"category": _text(category, NO_LABEL), "drivers": _text(drivers), "barriers": _text(barriers),
                   "driver_count": _number(driver_count), "barrier_count": _number(barrier_count)}
                  for category, drivers, barriers, driver_count, barrier_count in run("drivers-and-barriers").rows]
    middle_starts = {(str(finding), _text(start, NO_LABEL)) for finding, start in _select(store, MIDDLE_STARTS, lang)}
    edges = network_edges(run("link-findings"), middle_starts, kinds)
    matrix = factor_matrix(run("factors"), countries_of, direction_labels)
    used = ("link-findings", "factors", "drivers-and-barriers", "studies", "studies-by-country")
    return Report(lang=lang, studies=studies, findings=_number(total[0][0]) if total else 0, edges=edges,
                  matrix=matrix, categories=categories, countries=countries, methods=methods,
                  queries={name: queries[name].title for name in used})


# -- the page ---------------------------------------------------------------------------------------------

def figures(report: Report) -> dict[str, Svg]:
    """The report's figures by file stem. The network's edge numbers are set here (network_svg lays it out)."""
    countries = [Bar(row.country, len(row.studies),
                     f"{len(row.studies)} stud{'y' if len(row.studies) == 1 else 'ies'} · {row.findings} "
                     f"finding{'' if row.findings == 1 else 's'}", [s for s, _, _ in row.studies],
                     unstated=row.country == NO_COUNTRY)
                 for row in report.countries]
    methods = [Bar(method, len(names), f"{len(names)} stud{'y' if len(names) == 1 else 'ies'}", names,
                   unstated=method == NO_METHOD)
               for method, names in report.methods]
    return {
        "value-network": network_svg(report.edges),
        "factor-matrix": matrix_svg(report.matrix),
        "studies-by-country": bar_chart_svg(
            "Studies by country", "How many encoded studies were carried out in each country (of the study's "
            "context), with the findings pvkg holds from them.", countries, "studies"),
        "studies-by-method": bar_chart_svg(
            "Studies by method", "How many encoded studies use each method in their design; a study with "
            "several methods counts under each.", methods, "studies"),
    }


def render_page(report: Report, svgs: dict[str, Svg]) -> str:
    links = {s.label: s.anchor for s in report.studies}
    edges = sorted(report.edges, key=lambda e: e.number)
    return render(
        "report.html", report=report, version=__version__, links=links, edges=edges,
        columns=COLUMN_TITLES, direction_colours=DIRECTION_COLOURS, figures_dir=FIGURES,
        svg={name: Markup(figure.markup()) for name, figure in svgs.items()},  # built and escaped in this module
        no_country=NO_COUNTRY)


def write_report(store: Store | Graph, out_dir: Path, lang: str = "en") -> list[Path]:
    """Write the evidence report into out_dir (index.html and figures/*.svg); the files written, in order.
    Labels are in `lang` where the graph has them, else in English."""
    out_dir = Path(out_dir)
    report = collect(store, lang)
    svgs = figures(report)
    page = render_page(report, svgs)
    outputs = [(out_dir / FIGURES / f"{name}.svg", svg.document()) for name, svg in sorted(svgs.items())]
    outputs.append((out_dir / "index.html", page.encode("utf-8")))
    written = []
    for path, data in outputs:
        write_atomic(path, data)  # a failure is a WriteError
        written.append(path)
    return written
