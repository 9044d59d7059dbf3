"""Talking to a SPARQL 1.1 server: the Query protocol through SPARQLWrapper, and the Update and Graph Store
HTTP protocols through a private urllib opener that answers Basic and Digest challenges alike.

Every failure a user can cause (a server that is down, a wrong password, a timeout, a refused request) is a
RemoteError with one line naming the server by its URL without credentials. No password is ever put into
a message: messages are built from `Endpoint.display` and the server's own status text only.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from pvkg._version import __version__
from pvkg.errors import PvkgError

USER_AGENT = f"pvkg/{__version__}"
# Virtuoso's default ResultSetMaxRows; a result of exactly this many rows is most likely cut short
DEFAULT_MAX_ROWS = 10000


class RemoteError(PvkgError):
    """A SPARQL server could not be reached, refused the request, or answered something unusable."""


@dataclass(frozen=True)
class Endpoint:
    """Where a SPARQL server is and how to talk to it. `password` is kept out of repr and messages."""

    url: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RemoteError(f"{self.display}: not an http(s) URL; give the server's SPARQL endpoint, "
                              f"e.g. http://localhost:8890/sparql")
        if parts.username or parts.password:
            raise RemoteError(f"{self.display}: do not put credentials in the URL; use --user and "
                              f"--password-env VAR")

    @property
    def display(self) -> str:
        """The URL as it may be shown: without any user:password@ part."""
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def _opener(self) -> urllib.request.OpenerDirector:
        handlers: list[urllib.request.BaseHandler] = []
        if self.user is not None:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, self.url, self.user, self.password or "")
            handlers += [urllib.request.HTTPBasicAuthHandler(passwords),
                         urllib.request.HTTPDigestAuthHandler(passwords)]
        return urllib.request.build_opener(*handlers)

    def request(self, method: str, data: bytes | None, content_type: str | None, accept: str = "*/*",
                params: dict[str, str] | None = None, what: str = "request") -> bytes:
        """One HTTP request to this endpoint (with `params` added to its query string); the body of a 2xx
        answer, or a RemoteError."""
        url = self.url
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("User-Agent", USER_AGENT)
        request.add_header("Accept", accept)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self._opener().open(request, timeout=self.timeout) as response:
                return response.read()
        except BaseException as e:  # noqa: BLE001 - every failure becomes one line; see explain()
            raise self.explain(e, what) from None

    def update(self, text: str) -> None:
        """Run a SPARQL 1.1 Update request (POSTed directly, as application/sparql-update)."""
        self.request("POST", text.encode("utf-8"), "application/sparql-update", what="SPARQL update")

    def select_json(self, text: str, default_graph: str | None = None) -> dict:
        """The SPARQL JSON results of a SELECT query, POSTed with this endpoint's credentials."""
        # a form-encoded POST: Virtuoso 7 never answers a query POSTed directly as application/sparql-query
        form = {"query": text, **({"default-graph-uri": default_graph} if default_graph else {})}
        body = self.request("POST", urllib.parse.urlencode(form).encode("ascii"), "application/x-www-form-urlencoded",
                            accept="application/sparql-results+json", what="SPARQL query")
        return self._parse_json(body)

    def select_json_via_sparqlwrapper(self, text: str, default_graph: str | None = None) -> dict:
        """The SPARQL JSON results of a SELECT (or ASK) query, through SPARQLWrapper (the read path of
        `pvkg query`, which needs no credentials)."""
        body, _ = self._query_via_sparqlwrapper(text, default_graph, "application/sparql-results+json")
        return self._parse_json(body)

    def graph_query(self, text: str, default_graph: str | None = None) -> Graph:
        """The triples of a CONSTRUCT or DESCRIBE query, as N-Triples or Turtle, whichever the server sends."""
        body, content_type = self._query_via_sparqlwrapper(text, default_graph,
                                                           "application/n-triples, text/turtle;q=0.9")
        syntax = "nt" if "n-triples" in content_type or "text/plain" in content_type else "turtle"
        try:
            return Graph().parse(data=body, format=syntax)
        except Exception as e:  # noqa: BLE001 - whatever the parser raises, the answer is unusable
            raise RemoteError(f"{self.display}: the answer to a CONSTRUCT query is not {syntax} "
                              f"({type(e).__name__})") from None

    def _query_via_sparqlwrapper(self, text: str, default_graph: str | None, accept: str) -> tuple[bytes, str]:
        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(int(max(1, self.timeout)))
        client.setOnlyConneg(True)  # no non-standard format= parameter: some servers reject unknown ones
        if default_graph:
            client.addParameter("default-graph-uri", default_graph)
        client.setQuery(text)
        # SPARQLWrapper guesses the query form from the text and can take a word in a comment for CONSTRUCT
        client.addCustomHttpHeader("Accept", accept)
        try:
            response = client.query()
            body = response.response.read()
        except BaseException as e:  # noqa: BLE001 - as in request()
            raise self.explain(e, "SPARQL query") from None
        headers = response.response.headers
        truncated = headers.get("X-SQL-State")
        if truncated:  # Virtuoso's "anytime" answer: a partial result cut by its time limit
            raise RemoteError(f"{self.display}: the server returned a partial result (X-SQL-State "
                              f"{truncated}); raise its MaxQueryExecutionTime or narrow the query")
        return body, headers.get("Content-Type", "")

    def _parse_json(self, body: bytes) -> dict:
        try:
            results = json.loads(body)
            if not isinstance(results.get("boolean"), bool):  # an ASK answer has no rows
                results["head"]["vars"], results["results"]["bindings"]  # noqa: B018 - shape check
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RemoteError(f"{self.display}: the answer is not SPARQL JSON results; is this the server's "
                              f"query endpoint?") from None
        return results

    def explain(self, error: BaseException, what: str) -> PvkgError:
        """One line for the user about a failed request. The server's reply is quoted (shortened); the
        credentials never are: they are only ever in the opener's password manager."""
        where = self.display
        if isinstance(error, urllib.error.HTTPError) or isinstance(error, SPARQLWrapperException):
            code = getattr(error, "code", None) or _wrapper_status(error)
            detail = _reply_text(error)
            if code == 401 or code == 403:
                who = f"user {self.user!r}" if self.user else "no credentials"
                return RemoteError(f"{where}: the server refused the {what} (HTTP {code}) with {who}; check "
                                   f"--user and the password variable, and that the user may do this")
            if code == 404:
                return RemoteError(f"{where}: no such endpoint (HTTP 404); check the URL{detail}")
            return RemoteError(f"{where}: the server refused the {what} (HTTP {code or '?'}){detail}")
        # urllib wraps a time-out in a URLError whose reason is the TimeoutError: decided on types, not words
        if isinstance(error, (TimeoutError, socket.timeout)) or isinstance(getattr(error, "reason", None),
                                                                            (TimeoutError, socket.timeout)):
            return RemoteError(f"{where}: no answer within {self.timeout:g} s; raise --timeout or check the "
                               f"server's load")
        if isinstance(error, urllib.error.URLError):
            reason = getattr(error, "reason", error)
            return RemoteError(f"{where}: cannot reach the server ({reason}); is it running, and is the URL "
                               f"right?")
        if isinstance(error, (ConnectionError, OSError)):
            return RemoteError(f"{where}: the connection failed ({type(error).__name__}: {error}); is the "
                               f"server running?")
        if isinstance(error, KeyboardInterrupt):
            raise error
        return RemoteError(f"{where}: the {what} failed ({type(error).__name__}: {' '.join(str(error).split())[:200]})")


def _wrapper_status(error: BaseException) -> int | None:
    # SPARQLWrapper turns 400/401/404/414/500 into its own exception types without the status code
    from SPARQLWrapper import SPARQLExceptions as ex

    for kind, code in ((ex.QueryBadFormed, 400), (ex.Unauthorized, 401), (ex.EndPointNotFound, 404),
                       (ex.URITooLong, 414), (ex.EndPointInternalError, 500)):
        if isinstance(error, kind):
            return code
    return None


def _reply_text(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        try:
            text = error.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the reply body is a courtesy only
            text = ""
    else:
        text = str(error)
    text = re.sub(r"<!DOCTYPE[^>]*>|<(title|h1)>.*?</\1>|<[^>]+>", " ", text, flags=re.S)  # servers' HTML
    text = " ".join(text.split())[:300]
    return f": {text}" if text else ""


def term_from_json(value: dict) -> Node:
    """An rdflib term from a SPARQL JSON results binding, normalising what servers legitimately differ on:
    "x"^^xsd:string is "x", Virtuoso's booleans 1/0 are true/false, language tags compare in lower case."""
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    lang = value.get("xml:lang")
    if lang:
        return Literal(value["value"], lang=lang.lower())
    datatype = value.get("datatype")
    if datatype is None or datatype == str(XSD.string):
        return Literal(value["value"])
    text = value["value"]
    if datatype == str(XSD.boolean) and text in ("0", "1"):
        text = "true" if text == "1" else "false"
    return Literal(text, datatype=URIRef(datatype))


def rows_from_json(results: dict) -> tuple[list[str], list[tuple[Node | None, ...]]]:
    columns = list(results["head"]["vars"])
    rows = [tuple(term_from_json(b[c]) if c in b else None for c in columns) for b in results["results"]["bindings"]]
    return columns, rows
