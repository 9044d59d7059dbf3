"""The server's query workers (pvkg/_serve/workers.py), driven directly: real worker processes over a real on-disk
Oxigraph store and over rdflib, with the limits small enough to reach."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from pvkg._rdftext import turtle_bytes
from pvkg._serve.workers import QueryFailure, QueryPool, StoreSource
from pvkg._sparql.stores import SelectResult

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def built(seed_build, tmp_path_factory):
    path = tmp_path_factory.mktemp("workers") / "pvkg.ttl"
    path.write_bytes(turtle_bytes(list(seed_build.graph)))
    return path


def run(pool: QueryPool, work):
    """Start the pool, await work(pool), stop the pool: in a thread of its own, since Playwright's sync API
    (tests/browser.py) keeps an event loop running in the main thread once a browser test has run."""
    async def main():
        await asyncio.to_thread(pool.start)
        try:
            return await work(pool)
        finally:
            pool.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(lambda: asyncio.run(main())).result()


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_both_engines_answer_with_the_same_rows(engine, built, seed_build):
    outcome = run(QueryPool(StoreSource(engine, path=built), workers=1), lambda pool: pool.execute(COUNT))
    assert isinstance(outcome, SelectResult) and int(outcome.rows[0][0]) == len(seed_build.graph)


def test_over_the_time_limit_the_worker_is_replaced_and_the_next_query_runs(built):
    source = StoreSource("oxigraph", path=built)

    async def work(pool):
        with pytest.raises(QueryFailure) as stopped:
            await pool.execute(ENDLESS)
        answer = await pool.execute(COUNT)  # waits for the replacement worker
        return stopped.value, answer, pool.replaced

    failure, answer, replaced = run(QueryPool(source, workers=1, timeout=1), work)
    assert failure.status == 503 and "time limit (1 s)" in str(failure)
    assert isinstance(answer, SelectResult) and replaced == 1


def test_answers_and_certain_failures_are_cached_but_timeouts_are_not(built):
    source = StoreSource("oxigraph", path=built)

    async def work(pool):
        answer = await pool.execute(COUNT, cache=True)
        with pytest.raises(QueryFailure) as too_long:
            await pool.execute("SELECT * WHERE { ?s ?p ?o }", cache=True)
        pool.close()  # no worker any more: only the cache can answer now
        again = await pool.execute(COUNT, cache=True)
        with pytest.raises(QueryFailure) as still_too_long:
            await pool.execute("SELECT * WHERE { ?s ?p ?o }", cache=True)
        return answer, again, too_long.value, still_too_long.value

    answer, again, first, second = run(QueryPool(source, workers=1, max_rows=10), work)
    assert again == answer
    assert first.status == second.status == 422 and str(first) == str(second)
    assert "more than 10 rows" in str(second)


def test_a_store_that_cannot_be_opened_stops_the_start_in_one_line(tmp_path):
    pool = QueryPool(StoreSource("rdflib", path=tmp_path / "missing.ttl"), workers=1)
    with pytest.raises(QueryFailure) as failed:
        pool.start()
    assert failed.value.status == 500 and "could not open the store" in str(failed.value)


def test_requests_for_a_query_already_running_wait_for_that_run(built):
    source = StoreSource("oxigraph", path=built)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # about 0.3 s on the seed graph

    async def work(pool):
        answers = await asyncio.gather(*(pool.execute(slow, cache=True) for _ in range(8)))
        return answers, pool.sent

    answers, sent = run(QueryPool(source, workers=2), work)
    assert sent == 1 and all(answer == answers[0] for answer in answers)


def _connect_without_network(port: int, answer) -> None:
    """In a spawned process, as in a worker: leave the network, then try to reach a listener on loopback."""
    from pvkg._serve.workers import isolate_network

    isolated = isolate_network()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        answer.put((isolated, "connected"))
    except OSError as e:
        answer.put((isolated, type(e).__name__))


def test_a_worker_reaches_no_server_not_even_on_loopback(built):
    """The last guard behind the SERVICE refusal: whatever a query makes the engine do, a worker of an embedded
    store has no network to do it with."""
    source = StoreSource("oxigraph", path=built)
    isolated = run(QueryPool(source, workers=1), lambda pool: asyncio.sleep(0, pool.isolated))
    if not isolated and os.environ.get("CI") != "true":
        pytest.skip("this kernel allows no network namespace here (user namespaces are off)")
    assert isolated
    with socket.create_server(("127.0.0.1", 0)) as listening:
        context = multiprocessing.get_context("spawn")
        answer = context.Queue()
        process = context.Process(target=_connect_without_network, args=(listening.getsockname()[1], answer))
        process.start()
        process.join(30)
        isolated_there, outcome = answer.get(timeout=5)
    assert isolated_there and outcome != "connected"


def test_an_answer_longer_than_the_character_limit_is_refused_in_the_worker(built):
    source = StoreSource("oxigraph", path=built)
    doubled = " ".join(f"BIND(CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(10))
    query = f'SELECT ?v10 WHERE {{ BIND("xxxx" AS ?v0) {doubled} }}'  # 4,096 characters

    async def work(pool):
        with pytest.raises(QueryFailure) as refused:
            await pool.execute(query)
        return refused.value

    failure = run(QueryPool(source, workers=1, max_chars=4000), work)
    assert failure.status == 422 and "4,000 characters" in str(failure)
    assert run(QueryPool(source, workers=1, max_chars=4096), lambda pool: pool.execute(query)).rows
