"""Stage 9 (serving), part 6: the canned queries' answers, computed once per version of the graph.

A canned query's answer depends only on the graph, the query's text with its parameters bound, the engine and
pvkg's code, and the graph does not change while the server runs. So each answer is computed once, by a query
worker that writes it to disk (answerfiles.py), and every later request, in this run of the server or in the
next over the same graph, is answered from there, a page at a time or whole. Requests that arrive while it is
being computed wait for that one computation rather than start their own.

Computing an answer may take longer than a request may wait (`--timeout`): the computation then goes on, under
the longer limit of canned answers (`--answer-timeout`), and the request is told to ask again (503 with
Retry-After). A computation that fails in a way that would repeat (past that limit, out of its worker's memory,
a query the engine refuses) is remembered until the server stops, so that it costs a worker once, not once a
request.

Answers live in `.cache/answers/ENGINE/VERSION/` beside the built graph, VERSION naming the graph's SHA-256 (from
the build's record) and pvkg's code; a server removes the folders of other versions on its engine as it starts.
The folder holds at most `--answer-disk` MiB: past it, the answers used longest ago are removed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import shutil
import time
from collections import OrderedDict
from pathlib import Path

from .answerfiles import INDEX, StoredAnswer, remove_answer
from .errors import WriteError
from .export import make_folder
from .pipeline import BUILT_BY_FILE, code_fingerprint
from .workers import QueryFailure, QueryPool

ANSWERS_DIR = "answers"  # in the build's cache folder
REMEMBERED_FAILURES = 1024
# What the same canned query meets again on the same graph: a refusal, or being stopped by a worker's time or
# memory limit (503 from a worker that ran it; a 503 from a busy server comes from no worker and is not kept).
LASTING = (400, 403, 422, 503)


def answer_folder(cache_dir: Path, built: Path, engine: str) -> Path:
    """The folder of the canned answers of the graph file `built` on `engine` with this pvkg code; the folders
    of other versions beside it are removed."""
    try:
        record = json.loads((cache_dir / BUILT_BY_FILE).read_text(encoding="utf-8"))
        graph, code = str(record["graph-sha256"]), str(record["code"])
    except (OSError, ValueError, KeyError, TypeError):  # no record of the build: the file itself
        with built.open("rb") as handle:
            graph, code = hashlib.file_digest(handle, "sha256").hexdigest(), code_fingerprint()
    version = hashlib.sha256(f"{graph}\0{code}".encode()).hexdigest()[:16]
    folder = cache_dir / ANSWERS_DIR / engine / version
    if folder.parent.is_dir():
        for other in folder.parent.iterdir():
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
    return folder


class CannedAnswers:
    """The stored answers of one version of the graph, and the ones being computed. `computed` counts the
    answers computed by this server, each also said in its log."""

    def __init__(self, pool: QueryPool, folder: Path, timeout: float, max_bytes: int, log: logging.Logger):
        self.pool = pool
        self.folder = folder
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.log = log
        self._stored: OrderedDict[str, StoredAnswer] = OrderedDict()  # the one used longest ago first
        self._computing: dict[str, asyncio.Task] = {}
        self._failed: OrderedDict[str, QueryFailure] = OrderedDict()
        self.computed = 0

    def open(self) -> None:
        """Take up the answers a server stored in the folder before (oldest first), without what a worker
        stopped while writing left."""
        make_folder(self.folder)
        for leftover in self.folder.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)
        found = [StoredAnswer.open(self.folder, index.stem) for index in self.folder.glob(f"*.{INDEX}")]
        for stored in sorted((s for s in found if s is not None), key=lambda s: s.path(INDEX).stat().st_mtime):
            self._stored[stored.key] = stored
        self._evict()

    def close(self) -> None:
        for task in list(self._computing.values()):
            task.cancel()

    async def get(self, text: str, label: str, wait: float) -> StoredAnswer:
        """The stored answer of the SELECT query `text` (named `label` in the log): from disk, or computed now
        (once, however many requests ask at the same time). QueryFailure if it cannot be, and with status 503
        and retry_after when it is not ready within `wait` seconds (its computation goes on)."""
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        failure = self._failed.get(key)
        if failure is not None:
            raise QueryFailure(str(failure), failure.status)
        stored = self._stored.get(key)
        if stored is not None and stored.path(INDEX).exists():  # not removed since (by hand, or another server)
            self._stored.move_to_end(key)
            return stored
        task = self._computing.get(key)
        if task is None:
            task = self._computing[key] = asyncio.get_running_loop().create_task(self._compute(key, text, label))
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            raise QueryFailure(f"this answer is being computed, which takes longer than {wait:g} s; it is then "
                               f"kept for this version of the graph: ask again shortly", 503, ran=False,
                               retry_after=max(1, math.ceil(wait))) from None

    async def _compute(self, key: str, text: str, label: str) -> StoredAnswer:
        started = time.perf_counter()
        self._stored.pop(key, None)
        try:
            await asyncio.to_thread(make_folder, self.folder)
        except WriteError as e:  # the cache folder cannot be written: the server's fault, not the request's
            raise QueryFailure(str(e), 500) from None
        try:
            size = await self.pool.write_answer(text, self.folder, key, self.timeout)
        except QueryFailure as failure:
            await asyncio.to_thread(remove_answer, self.folder, key)  # what a stopped worker left
            if failure.ran and failure.status in LASTING:
                message = str(failure) if failure.status != 503 else (
                    f"computing this answer needed more than the {self.timeout:g} s or the memory a query worker "
                    f"may use, and was stopped; it is not tried again until the server restarts")
                self._failed[key] = QueryFailure(message, failure.status)
                if len(self._failed) > REMEMBERED_FAILURES:
                    self._failed.popitem(last=False)
                self.log.info("canned answer failed, not tried again: %s (%s)", label, failure)
            raise
        stored = await asyncio.to_thread(StoredAnswer.open, self.folder, key)
        if stored is None:
            raise QueryFailure(f"the answer written into {self.folder} cannot be read back", 500)
        self._stored[key] = stored
        self.computed += 1
        self.log.info("canned answer computed: %s: %s rows, %s bytes, %.2f s", label, f"{stored.rows:,}", f"{size:,}",
                      time.perf_counter() - started)
        self._evict()
        return stored

    def _finished(self, key: str, task: asyncio.Task) -> None:
        del self._computing[key]
        if not task.cancelled():
            task.exception()  # retrieved: when every request gave up waiting, asyncio would log it

    def _evict(self) -> None:
        """Remove the answers used longest ago while the folder holds more than max_bytes (never the newest)."""
        total = sum(stored.size for stored in self._stored.values())
        while total > self.max_bytes and len(self._stored) > 1:
            _, oldest = self._stored.popitem(last=False)
            remove_answer(self.folder, oldest.key)
            total -= oldest.size
