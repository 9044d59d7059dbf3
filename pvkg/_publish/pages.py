"""Stage 9 (serving), part 2: the server's HTML pages, rendered from data with Jinja2 templates
(pvkg/templates/, autoescaped). Nothing here runs queries: the server hands each page its data.

Links stay on the server: an IRI under https://w3id.org/pvkg/ links to its own path here (/id/finding/x),
and any other IRI to /resource?iri=..., so that a graph served on localhost can be browsed on localhost.
"""

from __future__ import annotations

import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from pvkg._namespaces import BASE, PVKG
from pvkg._publish.docs import KIND_NAMES
from pvkg._publish.views import FINDINGS_PER_KIND, QUALIFIERS
from pvkg._version import __version__

LABEL_LANGUAGE = "en"


def local_path(iri: str) -> str:
    """Where the server shows a resource, as a URL: pvkg's own at their paths, with characters outside ASCII (a
    person's name) and those that would end a URL's path percent-encoded (the server decodes the path back into
    the IRI); others by their IRI, and so any of pvkg's whose path would begin '//', which a browser reads as
    another host."""
    rest = iri[len(BASE):]
    if iri.startswith(BASE) and not rest.startswith("/"):
        return "/" + urllib.parse.quote(rest, safe="/#:@!$&'()*+,;=")
    return "/resource?" + urllib.parse.urlencode({"iri": iri})


def readable(iri: str) -> str:
    """An IRI as people read it: pvkg's own by their path (finding/luna2024-01), others whole."""
    text = iri[len(BASE):] if iri.startswith(BASE) else iri
    return text.removeprefix("id/")


@dataclass
class Labels:
    """The label to show for each IRI: English if there is one, else one without a language, else any."""

    chosen: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[tuple[Node | None, ...]]) -> Labels:
        ranked: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for iri, label in rows:
            if iri is None or not isinstance(label, Literal):
                continue
            rank = 0 if label.language == LABEL_LANGUAGE else 1 if not label.language else 2
            ranked[str(iri)].append((rank, str(label)))
        return cls({iri: min(options)[1] for iri, options in ranked.items()})

    def of(self, iri: str) -> str | None:
        return self.chosen.get(str(iri))  # a plain str: a URIRef's hash is not its text's


def term_html(term: Node | None, labels: Labels | None = None) -> Markup:
    """A term as HTML: an IRI as a link (named by its label where known), a literal with its language."""
    if term is None:
        return Markup("")
    if isinstance(term, URIRef):
        iri = str(term)
        label = labels.of(iri) if labels is not None else None
        title = f' title="{escape(iri)}"'
        return Markup(f'<a href="{escape(local_path(iri))}"{title}>{escape(label or readable(iri))}</a>')
    if isinstance(term, BNode):
        return Markup('<span class="bnode">(anonymous node)</span>')
    text = escape(str(term))
    if term.language:
        return Markup(f'{text} <span class="lang">{escape(term.language)}</span>')
    return Markup(text)


@dataclass
class DefinedTerm:
    """A term of the ontology as its page lists it: once, with every kind it has."""

    iri: URIRef
    kinds: list[Markup]  # readable: "class", "object property", "functional"; a class of its own by its label
    definition: Literal | None
    documentation: str | None  # where the documentation beside the graph describes it, when it does

    @property
    def fragment(self) -> str:
        return str(self.iri).rpartition("#")[2]


def defined_terms(rows: list[tuple[Node | None, ...]], labels: Labels, documented: dict[str, str]) -> list[DefinedTerm]:
    """One entry per term from rows of (term, type, definition), in the rows' order. Types are shown by name where
    KIND_NAMES has one (in its order), else as links by label; the first definition is kept."""
    kind_order = {kind: position for position, kind in enumerate(KIND_NAMES)}
    types: dict[Node, set[Node]] = defaultdict(set)
    definitions: dict[Node, Literal] = {}
    for term, kind, definition in rows:
        if isinstance(term, URIRef):
            types[term].add(kind)
            if isinstance(definition, Literal):
                definitions.setdefault(term, definition)
    entries = []
    for term, kinds in types.items():
        named = sorted((k for k in kinds if k in KIND_NAMES), key=kind_order.__getitem__)
        others = sorted((k for k in kinds if k not in KIND_NAMES and isinstance(k, URIRef)),
                        key=lambda k: (labels.of(str(k)) or readable(str(k)), str(k)))
        words = list(dict.fromkeys(Markup(escape(KIND_NAMES[k])) for k in named))  # owl:Class and rdfs:Class
        entries.append(DefinedTerm(term, words + [term_html(k, labels) for k in others], definitions.get(term),
                                   documented.get(str(term))))
    return entries


_environment = Environment(
    loader=PackageLoader("pvkg", "templates"),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["term"] = term_html
_environment.filters["local"] = local_path
_environment.filters["readable"] = readable
_environment.filters["thousands"] = "{:,}".format
_environment.globals["pvkg_version"] = __version__
_environment.globals.update(PVKG=PVKG, QUALIFIERS=QUALIFIERS, FINDINGS_PER_KIND=FINDINGS_PER_KIND)  # for the views


def render(template: str, **context) -> str:
    return _environment.get_template(template).render(**context)
