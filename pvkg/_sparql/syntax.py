"""SPARQL text, read token by token: parameters substituted as values, comments dropped, the query form
found, and what a read-only endpoint refuses (updates, SERVICE, nesting deep enough to crash an engine).

The tokens are the terminals of the SPARQL 1.1 grammar (section 19.8), matched left to right as a lexer does,
so a keyword inside a string, an IRI, a comment or a prefixed name (with its backslash escapes) is never taken
for syntax. The same code serves every engine. Engines differ in one lexical point that matters here: rdflib
decodes SPARQL's \\u and \\U escapes in the whole text before it parses (as section 19.2 allows), Oxigraph
only inside strings and IRIs. A refusal therefore reads the text both ways (`readings`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import Literal

from pvkg._rdftext import nt_term

# Terminals of the SPARQL 1.1 grammar (section 19.8), as regular expressions
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                  "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
_TOKEN = re.compile("|".join([
    r"(?P<comment>#[^\n\r]*)",
    *(rf"(?P<long{i}>{q}{q}{q}(?:[^{q}\\]|\\.|{q}(?!{q}{q}))*{q}{q}{q})" for i, q in enumerate("'\"")),
    *(rf"(?P<short{i}>{q}(?:[^{q}\\\n\r]|\\.)*{q})" for i, q in enumerate("'\"")),
    r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
    rf"(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*)",
    rf"(?P<blank>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)",
    rf"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
    r"(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
    r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
    r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
    r"(?P<space>\s+)",
    r"(?P<other>.)",
]), re.DOTALL)
_KINDS = {"long0": "string", "long1": "string", "short0": "string", "short1": "string"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

QUERY_FORMS = ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE")
UPDATE_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
OPENING = "({["
# Deeper nesting is refused before any engine sees it: pyoxigraph's recursive parser overflows its stack
# (SIGSEGV) at about 3,000 nested braces and 10,000 parentheses, and rdflib's parser gives up at about 30.
# No canned or hand-written query comes near this.
MAX_NESTING = 256


@dataclass(frozen=True)
class Token:
    kind: str  # comment, string, iri, var, blank, pname, langtag, number, word, space or other
    text: str


def tokens(text: str) -> Iterator[Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        yield Token(_KINDS.get(kind, kind), match.group(0))


def decoded(text: str) -> str:
    """The text with SPARQL's codepoint escapes (\\uXXXX, \\UXXXXXXXX) replaced by their characters, as rdflib
    reads a query before parsing it. An escape of no character (a surrogate, past U+10FFFF) is kept."""
    def character(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _ESCAPE.sub(character, text)


def readings(text: str) -> tuple[str, ...]:
    """The texts an engine may parse: as written (Oxigraph) and with escapes decoded (rdflib)."""
    other = decoded(text)
    return (text,) if other == text else (text, other)


def substitute(text: str, bindings: dict[str, Literal]) -> str:
    """The query text with each bound variable replaced by its value as an RDF term, wherever the variable
    occurs as a token (so in every subquery and FILTER), and nowhere else. A literal is written as in
    N-Triples, which is also SPARQL's syntax for it."""
    terms = {name: nt_term(value) for name, value in bindings.items()}
    return "".join(terms.get(t.text[1:], t.text) if t.kind == "var" else t.text for t in tokens(text))


def without_comments(text: str) -> str:
    """The query text without its comments (the header among them): what is sent to an engine. SPARQLWrapper
    guesses the query form from the text, and a word such as 'constructs' in a comment misleads it."""
    return "".join(t.text for t in tokens(text) if t.kind != "comment").strip()


def keywords(text: str) -> list[str]:
    """The bare words of a SPARQL request in upper case, in order (keywords, function names, 'a')."""
    return [t.text.upper() for t in tokens(text) if t.kind == "word"]


def request_form(text: str) -> str | None:
    """'SELECT', 'CONSTRUCT', 'ASK' or 'DESCRIBE' for a query, 'UPDATE' for an update request, None when
    neither can be told (the engine's parser then says what is wrong)."""
    for word in keywords(text):
        if word in QUERY_FORMS:
            return word
        if word in UPDATE_OPERATIONS:
            return "UPDATE"
    return None


def _may_be_service(token: Token) -> bool:
    # Oxigraph takes 'SERVICE:x' for the keyword and the name ':x' (its keywords need no boundary after
    # them), so a prefixed name whose prefix begins with the word counts too
    return token.kind in ("word", "pname") and token.text.upper().startswith("SERVICE")


@dataclass(frozen=True)
class Refusable:
    """What a read-only engine refuses a query for, read in one pass over both readings of its text."""

    nesting: int  # the deepest nesting of brackets, braces and parentheses outside strings, IRIs and comments
    may_call_service: bool  # whether an engine could read it as calling another endpoint with SERVICE


def refusable(text: str) -> Refusable:
    deepest, service = 0, False
    for reading in readings(text):
        depth = 0
        for token in tokens(reading):
            if token.kind == "other" and token.text in OPENING:
                depth += 1
                deepest = max(deepest, depth)
            elif token.kind == "other" and token.text in ")}]":
                depth = max(0, depth - 1)
            service = service or _may_be_service(token)
    return Refusable(deepest, service)


def uses_service(text: str) -> bool:
    """Whether an engine could read the text as calling another endpoint with SERVICE (Oxigraph and rdflib
    would fetch from it), in either of its readings. A store that parses the query itself decides on its parse
    (see store.RdflibStore); this is the check that serves every engine."""
    return refusable(text).may_call_service
