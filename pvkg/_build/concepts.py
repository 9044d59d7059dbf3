"""Stage 1 (reading study files), a look-up for people writing them: the concepts a corpus declares, with their
labels, scheme, broader concepts, where each is declared and how many findings name it (`pvkg concepts`).
Read from the study and vocabulary files alone, so that it answers in a moment without a build."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from rdflib import Literal

from pvkg._build.studies import Concept, Corpus, read_corpus
from pvkg.errors import UsageError
from pvkg._namespaces import CONCEPT_PREFIXES, concept_iri
from pvkg._sparql.queries import QueryResult

COLUMNS = ["id", "labels", "scheme", "broader", "declared", "findings", "iri"]


def _folded(text: str) -> str:
    """Text compared without case or accents: 'Participación' finds 'participacion'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def _names(concept: Concept) -> list[str]:
    return [concept.id, *concept.label.values(), *(label for labels in concept.alt_labels.values()
                                                     for label in labels)]


def _labels(concept: Concept, lang: str | None) -> str:
    """The concept's labels, each with its language; with `lang`, that language's (else English's)."""
    if lang is not None:
        return concept.label.get(lang) or concept.label.get("en", "")
    return "; ".join(f"{text} ({tag})" for tag, text in sorted(concept.label.items(), key=lambda i: i[0] != "en"))


def concept_rows(corpus: Corpus, text: str | None = None, scheme: str | None = None,
                 lang: str | None = None) -> QueryResult:
    """The corpus's concepts whose id, label or other label holds `text` (without case or accents), of the
    scheme `scheme` (a prefix: value, factor...), sorted by id."""
    if scheme is not None and scheme.removesuffix(":") not in CONCEPT_PREFIXES:
        raise UsageError(f"--scheme {scheme!r} is not one of: {', '.join(CONCEPT_PREFIXES)}")
    prefix = scheme.removesuffix(":") if scheme else None
    wanted = _folded(text) if text else None
    uses: dict[str, int] = {}
    for finding in corpus.findings:
        for cid in {*finding.about, *finding.link_from, *finding.link_to}:
            uses[cid] = uses.get(cid, 0) + 1
    rows = []
    for concept in sorted(corpus.concepts, key=lambda c: c.id):
        if prefix and not concept.id.startswith(prefix + ":"):
            continue
        if wanted and not any(wanted in _folded(name) for name in _names(concept)):
            continue
        rows.append((Literal(concept.id), Literal(_labels(concept, lang)), Literal(concept.id.split(":")[0]),
                     Literal(" ".join(concept.broader)) if concept.broader else None,
                     Literal(f"{concept.where.file}:{concept.where.line}"), Literal(uses.get(concept.id, 0)),
                     concept_iri(concept.id)))
    return QueryResult(list(COLUMNS), rows)


def find_concepts(studies: list[Path], vocabulary: list[Path], text: str | None = None, scheme: str | None = None,
                  lang: str | None = None) -> QueryResult:
    """concept_rows of the corpus in `studies` (with pvkg's vocabulary)."""
    return concept_rows(read_corpus(studies, vocabulary), text, scheme, lang)
