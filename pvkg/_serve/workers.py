"""Stage 9 (serving), part 1: queries run in worker processes, so that the server's limits hold.

Neither pyoxigraph nor rdflib can interrupt a running query, and a query can exhaust memory (Oxigraph then
aborts the whole process). So the server runs each query in one of a few worker processes, each with its
own read-only view of the store and its own memory limit. The server waits for an answer no longer than the
time limit; a worker that overruns or dies is killed and replaced while the others go on answering.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import resource
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pvkg._serve.answerfiles import write_answer
from pvkg._sparql.queries import SortKey, ordered_rows
from pvkg._sparql.remote import Endpoint, RemoteError
from pvkg._sparql.stores import (
    EndpointStore,
    GraphResult,
    OxigraphStore,
    QueryOutcome,
    RdflibStore,
    RefusedQueryError,
    ResultLimitError,
    SelectResult,
    Store,
)
from pvkg.errors import PvkgError

STARTUP_S = 600.0  # the rdflib engine parses the whole graph in each worker
CACHED_ROWS = 5000  # answers longer than this are not kept in the cache
CACHE_ENTRIES = 256
# Failures that the same query on the same graph always meets (a malformed query, an answer over the row
# limit): cached like answers. A time-out or a lost worker may go otherwise next time, and is not.
DETERMINISTIC_FAILURES = (400, 403, 422)
AnswerTarget = tuple[Path, str, tuple[SortKey, ...]]  # where a canned answer is written: folder, key, row order


class QueryFailure(PvkgError):
    """A query the server could not answer, with the HTTP status that says why. `cause` tells the failures of a
    worker's limits apart: 'time' (stopped at the time limit), 'memory' (its worker ran out of memory) and 'busy'
    (no worker ran it: the server was busy, so asking again may well succeed); `retry_after`, when set, is the
    seconds after which asking again is worth it."""

    def __init__(self, message: str, status: int, cause: str | None = None, retry_after: int | None = None):
        self.status = status
        self.cause = cause
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class StoreSource:
    """What each worker opens. Workers are spawned, so this must pickle: paths and settings, not stores.

    engine 'oxigraph': `path` is the built Turtle file, loaded by each worker into a store in its memory (an
    on-disk store opened read-only by every worker answered 5 to 10 times slower at a million triples);
    engine 'rdflib': `path` is the built Turtle file, parsed by each worker;
    engine 'endpoint': queries go to `endpoint`, scoped to `graph`."""

    engine: str
    path: Path | None = None
    endpoint: Endpoint | None = None
    graph: str | None = None

    def open(self) -> Store:
        if self.engine == "oxigraph":
            return OxigraphStore.from_file(self.path)
        if self.engine == "rdflib":
            from rdflib import Graph

            return RdflibStore(Graph().parse(self.path, format="turtle"))
        assert self.endpoint is not None
        return EndpointStore(self.endpoint, self.graph, max_rows=0)

    @property
    def display(self) -> str:
        return self.endpoint.display if self.endpoint is not None else f"{self.engine} ({self.path})"


def answer_size(outcome: QueryOutcome) -> int:
    """The characters of an answer's terms: what its rows cost the server to hold and to write out."""
    items = outcome.rows if isinstance(outcome, SelectResult) else \
        outcome.triples if isinstance(outcome, GraphResult) else []
    return sum(len(term) for item in items for term in item if term is not None)


def _answer(store: Store, text: str, max_rows: int | None, max_chars: int | None,
            target: AnswerTarget | None) -> tuple[str, object]:
    """A worker's reply to one query: (status, the outcome or a message). With a `target` (folder, key, order),
    the outcome, which must be a SELECT's, is written there as an answer's files (answerfiles.py), its rows in
    that order (ordered_rows), and the reply is ("ok", their size in bytes)."""
    try:
        outcome = store.execute(text, max_rows)
        if target is not None:
            if not isinstance(outcome, SelectResult):
                return "query", "a canned query must be a SELECT query"
            folder, key, order = target
            return "ok", write_answer(outcome.columns, ordered_rows(outcome.rows, order), folder, key)
    except ResultLimitError as e:
        return "limit", str(e)
    except RefusedQueryError as e:
        return "refused", str(e)
    except RemoteError as e:
        return "remote", str(e)
    except MemoryError:
        return "memory", "the query needs more memory than a worker may use"
    except OSError as e:  # the store could not be read, or the answer written: not the query's fault
        return "store", f"{type(e).__name__}: {e}"
    except Exception as e:  # noqa: BLE001 - the graph is fixed, so what the engine refuses is the query
        return "query", " ".join(str(e).split())[:500] or type(e).__name__
    except BaseException as e:  # a panic inside the engine (pyo3's PanicException is a BaseException)
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        detail = " ".join(str(e).split())[:300]
        return "engine", f"the SPARQL engine failed on this query ({type(e).__name__}: {detail})"
    # measured here, so that the server process never receives (nor unpickles) an answer over the limit
    if max_chars is not None and answer_size(outcome) > max_chars:
        return "limit", (f"the answer holds more than {max_chars:,} characters, the limit; add a LIMIT to the "
                         f"query, or leave long values out")
    return "ok", outcome


CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def isolate_network() -> bool:
    """Move this process into a network namespace of its own, which has no interface but a loopback that is
    down: whatever an engine would do, it reaches no server, not even on this machine. Root may do this
    directly; others through a user namespace, where the kernel allows it. False where neither works."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    return hasattr(libc, "unshare") and libc.unshare(flags) == 0


def _serve_requests(connection, source: StoreSource, memory_mb: int) -> None:
    """A worker's life: leave the network (an embedded store needs none), open the store, say 'ready' and
    whether the network is out of reach, then answer (text, max_rows, max_chars, target) requests until the
    pipe closes."""
    isolated = source.engine != "endpoint" and isolate_network()
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        store = source.open()
    except BaseException as e:  # noqa: BLE001 - reported to the server, which stops with one line
        connection.send(("failed", f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"))
        return
    connection.send(("ready", isolated))
    while True:
        try:
            text, max_rows, max_chars, target = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        connection.send(_answer(store, text, max_rows, max_chars, target))


class _WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self, context, source: StoreSource, memory_mb: int):
        parent, child = context.Pipe()
        self.process = context.Process(target=_serve_requests, args=(child, source, memory_mb), daemon=True,
                                       name="pvkg-query-worker")
        self.process.start()
        child.close()
        self.connection = parent
        self.isolated = False  # whether the worker reaches no network (said when it is ready)

    def wait_ready(self, timeout: float) -> None:
        if not self.connection.poll(timeout):
            self.kill()
            raise QueryFailure(f"a query worker did not open the store within {timeout:g} s", 503)
        try:
            status, message = self.connection.recv()
        except EOFError:
            status, message = "failed", f"it stopped (exit code {self.process.exitcode})"
        if status != "ready":
            self.kill()
            raise QueryFailure(f"a query worker could not open the store: {message}", 500)
        self.isolated = bool(message)

    def call(self, text: str, max_rows: int | None, max_chars: int | None, timeout: float,
             target: AnswerTarget | None) -> tuple[str, object]:
        try:
            self.connection.send((text, max_rows, max_chars, target))
        except (BrokenPipeError, ConnectionResetError):
            raise _WorkerDied from None
        return self.reply(timeout)

    def reply(self, timeout: float) -> tuple[str, object]:
        """The worker's reply to the query it runs, or TimeoutError when there is none within `timeout` seconds
        (the query goes on running)."""
        try:
            if not self.connection.poll(timeout):
                raise TimeoutError
            return self.connection.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError):
            raise _WorkerDied from None

    def kill(self) -> None:
        self.process.kill()
        self.process.join(10)
        self.connection.close()


class QueryPool:
    """Worker processes answering queries under a time limit, a row limit, a limit on the characters of an
    answer, and a memory limit each.

    `execute` may be awaited from many requests at once: at most `workers` queries run, up to `queue` more
    wait for a worker, and any beyond that are turned away (HTTP 503) rather than left hanging."""

    def __init__(self, source: StoreSource, workers: int = 2, timeout: float = 20.0, max_rows: int = 10000,
                 memory_mb: int = 4096, queue: int = 64, max_chars: int | None = None):
        self.source = source
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_chars = max_chars
        self.memory_mb = memory_mb
        self.queue = queue
        self._context = multiprocessing.get_context("spawn")  # no fork of a process running threads
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="pvkg-query")
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._waiting = 0
        self._replacing: set[asyncio.Task] = set()
        self._cache: OrderedDict[tuple[str, int | None], QueryOutcome | QueryFailure] = OrderedDict()
        self._running: dict[tuple[str, int | None], asyncio.Future] = {}  # cached queries being answered
        self.replaced = 0  # workers killed (time limit) or lost (memory) and replaced: a count for tests
        self.sent = 0  # queries sent to a worker: a count for tests

    def start(self) -> None:
        """Start the workers and wait until each has opened the store (raises QueryFailure if one cannot)."""
        started = [_Worker(self._context, self.source, self.memory_mb) for _ in range(self.size)]
        try:
            for worker in started:
                worker.wait_ready(STARTUP_S)
        except QueryFailure:
            for worker in started:
                worker.kill()
            raise
        for worker in started:
            self._workers.add(worker)
            self._idle.put_nowait(worker)

    @property
    def isolated(self) -> bool:
        """Whether every worker runs without network (see isolate_network)."""
        return bool(self._workers) and all(worker.isolated for worker in self._workers)

    def close(self) -> None:
        for task in self._replacing:
            task.cancel()
        for worker in self._workers:
            worker.kill()
        self._workers.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def execute(self, text: str, max_rows: int | None = -1, cache: bool = False) -> QueryOutcome:
        """The outcome of a query; max_rows -1 means the pool's limit, None none. With `cache`, a repeated
        query is answered from memory (the graph does not change while the server runs), and requests for a
        query that is already running wait for that run instead of starting their own."""
        limit = self.max_rows if max_rows == -1 else max_rows
        if not cache:
            return await self._run(text, limit)
        key = (text, limit)
        if key in self._cache:
            self._cache.move_to_end(key)
            found = self._cache[key]
        elif key in self._running:
            found = await asyncio.shield(self._running[key])
        else:
            running = self._running[key] = asyncio.get_running_loop().create_future()
            try:
                found = await self._outcome_or_failure(text, limit)
                if isinstance(found, QueryFailure) and found.status in DETERMINISTIC_FAILURES \
                        or not isinstance(found, QueryFailure) and _size(found) <= CACHED_ROWS:
                    self._cache[key] = found
                    if len(self._cache) > CACHE_ENTRIES:
                        self._cache.popitem(last=False)
                running.set_result(found)
            except BaseException as e:  # cancelled: the waiting requests fail with it
                running.set_exception(e)
                running.exception()  # retrieved: asyncio would otherwise log it when no request waited
                raise
            finally:
                del self._running[key]
        if isinstance(found, QueryFailure):
            raise QueryFailure(str(found), found.status)  # a new one: a re-raised one keeps growing its traceback
        return found

    async def _outcome_or_failure(self, text: str, limit: int | None) -> QueryOutcome | QueryFailure:
        try:
            return await self._run(text, limit)
        except QueryFailure as failure:
            return failure.with_traceback(None)

    async def write_answer(self, text: str, folder: Path, key: str, timeout: float,
                           longer: tuple[float, Callable[[], Awaitable[bool]]] | None = None,
                           order: tuple[SortKey, ...] = ()) -> int:
        """Run a SELECT query with no row or character limit, under its own time limit, and have the worker
        write its answer into `folder` under `key` (answerfiles.py): the answer never passes through this
        process. With `longer` (a time limit, a permission), a query still running at `timeout` goes on to
        that limit if the permission, asked then, is granted. The bytes written."""
        size = await self._run(text, None, timeout=timeout, target=(folder, key, order), longer=longer)
        assert isinstance(size, int)
        return size

    async def _run(self, text: str, limit: int | None, timeout: float | None = None,
                   target: AnswerTarget | None = None,
                   longer: tuple[float, Callable[[], Awaitable[bool]]] | None = None) -> QueryOutcome | int:
        if self._waiting >= self.queue:
            raise QueryFailure(f"the server is busy ({self._waiting} queries waiting); try again shortly", 503,
                               cause="busy")
        self._waiting += 1
        try:
            worker = await self._idle.get()
        finally:
            self._waiting -= 1
        loop = asyncio.get_running_loop()
        self.sent += 1
        timeout = self.timeout if timeout is None else timeout
        future = loop.run_in_executor(self._threads, worker.call, text, limit, None if target else self.max_chars,
                                      timeout, target)
        try:
            try:
                status, value = await asyncio.shield(future)
            except TimeoutError:
                if longer is None or not await longer[1]():
                    raise
                future = loop.run_in_executor(self._threads, worker.reply, longer[0] - timeout)
                timeout = longer[0]  # for the message, should it run out too
                status, value = await asyncio.shield(future)
        except asyncio.CancelledError:  # the client went away: the worker comes back when it is done
            future.add_done_callback(lambda done: self._release(worker, done))
            raise
        except TimeoutError:
            self._replace(worker)
            raise QueryFailure(f"the query ran longer than the time limit ({timeout:g} s) and was stopped; "
                               f"narrow it, or add a LIMIT", 503, cause="time") from None
        except _WorkerDied:
            self._replace(worker)
            raise QueryFailure(f"the query stopped its worker process, most likely by needing more than the "
                               f"{self.memory_mb:,} MiB memory limit; narrow it, or add a LIMIT", 503,
                               cause="memory") from None
        self._idle.put_nowait(worker)
        return _outcome(status, value)

    def _release(self, worker: _Worker, done: Future) -> None:
        if done.cancelled() or done.exception() is not None:
            self._replace(worker)
        else:
            self._idle.put_nowait(worker)

    def _replace(self, worker: _Worker) -> None:
        self.replaced += 1
        self._workers.discard(worker)
        task = asyncio.get_running_loop().create_task(self._start_replacement(worker))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _start_replacement(self, old: _Worker) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._threads, old.kill)
        new = _Worker(self._context, self.source, self.memory_mb)
        await loop.run_in_executor(self._threads, new.wait_ready, STARTUP_S)
        self._workers.add(new)
        self._idle.put_nowait(new)


def _size(outcome: QueryOutcome) -> int:
    if isinstance(outcome, SelectResult):
        return len(outcome.rows)
    return len(outcome.triples) if isinstance(outcome, GraphResult) else 1


def _outcome(status: str, value: object) -> QueryOutcome | int:
    if status == "ok":
        return value  # type: ignore[return-value]
    statuses = {"limit": 422, "refused": 403, "query": 400, "remote": 502, "memory": 503, "store": 500, "engine": 500}
    prefix = "the query cannot be run: " if status == "query" else ""
    raise QueryFailure(f"{prefix}{value}", statuses.get(status, 500), cause="memory" if status == "memory" else None)
