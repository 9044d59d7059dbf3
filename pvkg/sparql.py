"""SPARQL text, read token by token: parameters substituted as values, comments dropped, the query form
found, and what a read-only endpoint refuses (updates, SERVICE).

Everything here first sets aside what can contain any text at all (strings, IRIs, comments), so a keyword or
a '?name' inside a string is never mistaken for syntax. No SPARQL parser is needed for this, and the same
code serves every engine.
"""

from __future__ import annotations

import re

from rdflib import Literal

from .export import nt_term

# What can contain a '?name' or a keyword that is not one, tried before variables: long and short strings,
# IRIs (IRIREF admits no space, so a '<' operator between terms is never taken for one) and comments.
_LONG_STRINGS = [rf"{q}{q}{q}(?:[^{q}\\]|\\.|{q}(?!{q}{q}))*{q}{q}{q}" for q in ("'", '"')]
_SHORT_STRINGS = [rf"{q}(?:[^{q}\\\n\r]|\\.)*{q}" for q in ("'", '"')]
_IRI = r'<[^<>"{}|^`\\\x00-\x20]*>'
_COMMENT = r"#[^\n]*"
_LEXEMES = re.compile("(?P<skip>" + "|".join([*_LONG_STRINGS, *_SHORT_STRINGS, _IRI, _COMMENT]) + ")"
                      r"|[?$](?P<var>[A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)")
# A bare word: not part of a prefixed name (ex:select, select:x), a blank node label or a language tag
_WORD = re.compile(r"(?<![\w:.\-@])([A-Za-z]+)(?![\w:\-])")

QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")


def substitute(text: str, bindings: dict[str, Literal]) -> str:
    """The query text with each bound variable replaced by its value as an RDF term, wherever the variable
    occurs as a token (so in every subquery and FILTER), and nowhere else. A literal is written as in
    N-Triples, which is also SPARQL's syntax for it."""
    terms = {name: nt_term(value) for name, value in bindings.items()}

    def replace(match: re.Match) -> str:
        name = match.group("var")
        return terms[name] if name is not None and name in terms else match.group(0)

    return _LEXEMES.sub(replace, text)


def without_comments(text: str) -> str:
    """The query text without its comments (the header among them): what is sent to an engine. SPARQLWrapper
    guesses the query form from the text, and a word such as 'constructs' in a comment misleads it."""
    return _LEXEMES.sub(lambda m: "" if (m.group("skip") or "").startswith("#") else m.group(0), text).strip()


def keywords(text: str) -> list[str]:
    """The bare words of a SPARQL request in upper case, in order (keywords, function names, 'a'), with
    strings, IRIs, comments, variables and prefixed names set aside."""
    blanked = _LEXEMES.sub(" ", text)
    return [word.upper() for word in _WORD.findall(blanked)]


def request_form(text: str) -> str | None:
    """'SELECT', 'CONSTRUCT', 'ASK' or 'DESCRIBE' for a query, 'UPDATE' for an update request, None when
    neither can be told (the engine's parser then says what is wrong)."""
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_OPERATIONS:
            return "UPDATE"
    return None


def uses_service(text: str) -> bool:
    """Whether the query calls another endpoint with SERVICE (engines such as Oxigraph and rdflib would
    fetch from it)."""
    return "SERVICE" in keywords(text)
