"""Stage 9 (serving), part 4: what lets browsers and shared caches keep the server's answers, and revalidate
them cheaply.

The graph does not change while a server runs, so every successful answer to a GET may be kept for a while
(`Cache-Control: public, max-age=...`), carries an `ETag` (a digest of its body; files have Starlette's) and the
graph's `Last-Modified`, and a request whose `If-None-Match` names the current ETag gets `304 Not Modified`
with no body. Answers depend on `Accept` (pages, Turtle and JSON-LD at one IRI), so each says `Vary: Accept`;
errors are never stored.
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_AGE_S = 300  # a new build is served after a restart; caches see it within five minutes


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison, as for If-None-Match."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


class CachingHeaders:
    """ASGI middleware adding the headers above to each response, and answering 304 where they allow.

    A response sent as one body message (every page and answer pvkg makes) gets an ETag of its body; a file
    streamed in parts keeps the ETag Starlette gave it."""

    def __init__(self, app: ASGIApp, last_modified: float | None):
        self.app = app
        self.last_modified = formatdate(last_modified, usegmt=True) if last_modified is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conditional = scope["method"] in ("GET", "HEAD")
        if_none_match = Headers(scope=scope).get("if-none-match") if conditional else None
        start: Message | None = None  # held until the first part of the body shows what to add
        dropping = False  # after a 304, the rest of the body

        async def send_with_headers(message: Message) -> None:
            nonlocal start, dropping
            if dropping:
                return
            if message["type"] == "http.response.start":
                start = message
                return
            if start is not None:
                headers = MutableHeaders(scope=start)
                if not message.get("more_body", False) and "etag" not in headers and start["status"] == 200:
                    headers["ETag"] = _etag(message.get("body", b""))
                self._describe(headers, start["status"], conditional)
                if if_none_match and start["status"] == 200 and _matches(if_none_match, headers.get("etag", "")):
                    del headers["content-length"]
                    await send({**start, "status": 304})
                    await send({"type": "http.response.body", "body": b""})
                    dropping = True
                    return
                await send(start)
                start = None
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _describe(self, headers: MutableHeaders, status: int, conditional: bool) -> None:
        vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
        if "accept" not in (v.lower() for v in vary):
            headers["Vary"] = ", ".join([*vary, "Accept"])
        if status == 200 and conditional:
            headers.setdefault("Cache-Control", f"public, max-age={MAX_AGE_S}")
            if self.last_modified is not None and "last-modified" not in headers:
                headers["Last-Modified"] = self.last_modified
        elif status >= 400:
            headers["Cache-Control"] = "no-store"
