"""Stage 9 (serving), part 6: the canned queries' answers, computed once per version of the graph.

A canned query's answer depends only on the graph, the query's text with its parameters bound, the engine and
pvkg's code, and the graph does not change while the server runs. So each answer is computed once, by a query
worker that writes it to disk (answerfiles.py), and every later request, in this run of the server or in the
next over the same graph, is answered from there, a page at a time or whole. Requests that arrive while it is
being computed wait for that one computation rather than start their own.

A computation runs first as any query does, under `--timeout`; one that needs longer goes on under the longer
limit of canned answers (`--answer-timeout`) if fewer than all the workers but one are on such long computations,
and is otherwise stopped and run again when one is free, so that heavy answers never keep every worker from the
queries behind the pages and /sparql. A request waits for the answer no longer
than `--timeout`, and is then told to ask again (503 with Retry-After) while the computation goes on. A
computation that fails in a way that would repeat (past that limit, out of its worker's memory, a query the
engine refuses) is remembered, on disk too, with the limits it met, so that it costs a worker once, not once a
request or once a restart; a server with higher limits tries again.

Answers live in `.cache/answers/ENGINE/VERSION/` beside the built graph, VERSION naming the graph's SHA-256 (from
the build's record) and pvkg's code, and failures beside them (KEY.failed); a server removes the folders of other
versions on its engine as it starts. The folder holds at most `--answer-disk` MiB: past it, the answers used
longest ago are removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import shutil
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

from pvkg._build.pipeline import BUILT_BY_FILE, code_fingerprint
from pvkg._files import make_folder
from pvkg._serve.answerfiles import INDEX, StoredAnswer, remove_answer
from pvkg._serve.workers import QueryFailure, QueryPool
from pvkg._sparql.queries import SortKey
from pvkg.errors import WriteError

ANSWERS_DIR = "answers"  # in the build's cache folder
FAILED = "failed"  # KEY.failed: why the answer KEY could not be computed, and under which limits
REMEMBERED_FAILURES = 1024
REFUSALS = (400, 403, 422)  # what the engine says of the query itself: the same on the same graph


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
    answers computed by this server, each also said in its log.

    A computation first runs as any query does, under `quick` seconds (the pool's time limit); one that needs
    longer goes on under `timeout` seconds, or is run again so when it must wait, with at most all the workers
    but one on such long computations at once, so that heavy answers never keep every worker from the queries
    behind the pages and /sparql."""

    def __init__(self, pool: QueryPool, folder: Path, timeout: float, max_bytes: int, log: logging.Logger,
                 quick: float | None = None):
        self.pool = pool
        self.folder = folder
        self.timeout = timeout
        self.quick = min(timeout, pool.timeout if quick is None else quick)
        self.max_bytes = max_bytes
        self.log = log
        self._stored: OrderedDict[str, StoredAnswer] = OrderedDict()  # the one used longest ago first
        self._computing: dict[str, asyncio.Task] = {}
        self._failed: OrderedDict[str, QueryFailure] = OrderedDict()
        self._long = asyncio.Semaphore(max(1, pool.size - 1))
        self.computed = 0

    def open(self) -> None:
        """Take up the answers and failures a server stored in the folder before (oldest first), without what a
        worker stopped while writing left, nor failures met under lower limits than this server's."""
        make_folder(self.folder)
        for leftover in self.folder.glob(".*.tmp-*"):
            leftover.unlink(missing_ok=True)
        found = [StoredAnswer.open(self.folder, index.stem) for index in self.folder.glob(f"*.{INDEX}")]
        for stored in sorted((s for s in found if s is not None), key=lambda s: s.path(INDEX).stat().st_mtime):
            self._stored[stored.key] = stored
        self._evict()
        for path in sorted(self.folder.glob(f"*.{FAILED}"), key=lambda p: p.stat().st_mtime):
            failure = self._failure_from(path)
            if failure is None:
                path.unlink(missing_ok=True)
            else:
                self._remember(path.stem, failure, write=False)

    def close(self) -> None:
        for task in list(self._computing.values()):
            task.cancel()

    async def get(self, text: str, label: str, wait: float, order: tuple[SortKey, ...] = ()) -> StoredAnswer:
        """The stored answer of the SELECT query `text` (named `label` in the log): from disk, or computed now
        (once, however many requests ask at the same time), its rows in the `order` of the canned query's header
        (ordered_rows). QueryFailure if it cannot be, and with status 503
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
            task = self._computing[key] = asyncio.get_running_loop().create_task(self._compute(key, text, label, order))
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            return await asyncio.wait_for(asyncio.shield(task), wait)
        except TimeoutError:
            raise QueryFailure(f"this answer is being computed, which takes longer than {wait:g} s; it is then "
                               f"kept for this version of the graph: ask again shortly", 503, cause="busy",
                               retry_after=max(1, math.ceil(wait))) from None

    async def _compute(self, key: str, text: str, label: str, order: tuple[SortKey, ...]) -> StoredAnswer:
        started = time.perf_counter()
        self._stored.pop(key, None)
        try:
            await asyncio.to_thread(make_folder, self.folder)
        except WriteError as e:  # the cache folder cannot be written: the server's fault, not the request's
            raise QueryFailure(str(e), 500) from None
        try:
            size = await self._written_once(text, key, order)
        except QueryFailure as failure:
            if failure.cause in ("time", "memory") or failure.status in REFUSALS and failure.cause != "busy":
                self._remember(key, failure)
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

    async def _written_once(self, text: str, key: str, order: tuple[SortKey, ...]) -> int:
        """Have a worker write the answer: under the quick limit, going on under the long one when a place among
        the long computations is free then, else run again when one is."""
        promoted = False

        async def promote() -> bool:
            nonlocal promoted
            if self.quick >= self.timeout or self._long.locked():
                return False
            promoted = await self._long.acquire()  # free: taken at once
            return promoted

        try:
            return await self._written(text, key, order, self.quick, (self.timeout, promote))
        except QueryFailure as failure:
            if failure.cause != "time" or promoted or self.quick >= self.timeout:
                raise
        finally:
            if promoted:
                self._long.release()
        async with self._long:  # a heavy answer, stopped at the quick limit: again, with the time it may take
            return await self._written(text, key, order, self.timeout)

    async def _written(self, text: str, key: str, order: tuple[SortKey, ...], timeout: float,
                       longer: tuple[float, Callable[[], Awaitable[bool]]] | None = None) -> int:
        try:
            return await self.pool.write_answer(text, self.folder, key, timeout, longer, order)
        except QueryFailure:
            await asyncio.to_thread(remove_answer, self.folder, key)  # what a stopped worker left
            raise

    def _remember(self, key: str, failure: QueryFailure, write: bool = True) -> None:
        """Keep a failure that would repeat, in memory and (with `write`) on disk with the limits it met."""
        if failure.cause in ("time", "memory"):
            failure = QueryFailure(f"computing this answer needed more than the {self.timeout:g} s or the memory a "
                                   f"query worker may use, and was stopped; it is not tried again on this graph "
                                   f"under these limits", failure.status, failure.cause)
        self._failed[key] = failure
        if write:
            record = {"status": failure.status, "cause": failure.cause, "message": str(failure),
                      "timeout": self.timeout, "memory_mb": self.pool.memory_mb}
            with contextlib.suppress(OSError):  # then it is kept in memory only
                (self.folder / f"{key}.{FAILED}").write_text(json.dumps(record), encoding="utf-8")
        if len(self._failed) > REMEMBERED_FAILURES:
            oldest, _ = self._failed.popitem(last=False)
            (self.folder / f"{oldest}.{FAILED}").unlink(missing_ok=True)

    def _failure_from(self, path: Path) -> QueryFailure | None:
        """The failure recorded in `path`, unless this server's limits are higher than those it met (or the record
        cannot be read)."""
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            status, cause, message = int(record["status"]), record["cause"], str(record["message"])
            timeout_then, memory_then = float(record["timeout"]), int(record["memory_mb"]) or math.inf
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if cause in ("time", "memory") and (timeout_then < self.timeout or memory_then < (self.pool.memory_mb
                                                                                           or math.inf)):
            return None
        return QueryFailure(message, status, cause)

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
