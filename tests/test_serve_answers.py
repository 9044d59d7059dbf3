"""The canned queries' answers as `pvkg serve` keeps and sends them: computed once per version of the graph by a
query worker, stored on disk (pvkg/_serve/answerfiles.py), sent whole or in pages. The file format is checked against
pvkg's own result writers; the rest on real servers on loopback and on a real worker pool."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import re
import shutil
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import pytest
from servers import PVKG_TEST_OPTIONS, PvkgServer, pvkg_server, start_pvkg  # noqa: F401
from test_serve import http
from test_workers import COUNT, ENDLESS, built, run  # noqa: F401  (built: a fixture)

from pvkg._build.describe import DESCRIPTION_FILE
from pvkg._build.pipeline import BUILT_BY_FILE, CACHE_DIR, GRAPH_FILE
from pvkg._serve.answerfiles import StoredAnswer, write_answer
from pvkg._serve.answers import CannedAnswers
from pvkg._serve.workers import QueryFailure, QueryPool, StoreSource
from pvkg._sparql.queries import QueryResult, canned_text, load_queries, run_query
from pvkg._sparql.results import render, to_json
from pvkg._sparql.stores import OxigraphStore

STUDIES = Path(__file__).resolve().parents[1] / "studies"
LONG = "concept-support"  # the longest canned answer on the seed graph: 59 rows
COMPUTED = re.compile(r"canned answer computed: (\S+):")


@pytest.fixture(scope="module")
def server(pvkg_server) -> PvkgServer:  # noqa: F811
    return pvkg_server


def fresh_build(server: PvkgServer, folder: Path) -> Path:
    """A copy of a server's build (the graph and the build's record; no stored answers), for a server of its own
    that need not build again."""
    source, target = server.directory / "dist", folder / "dist"
    (target / CACHE_DIR).mkdir(parents=True)
    for name in (GRAPH_FILE, DESCRIPTION_FILE, f"{CACHE_DIR}/{BUILT_BY_FILE}"):
        shutil.copy2(source / name, target / name)
    return target


def computed(server: PvkgServer) -> list[str]:
    """The answers the server's log says it computed, in order."""
    return COMPUTED.findall(server.log.read_text(encoding="utf-8", errors="replace"))


def links(header: str) -> dict[str, str]:
    """An RFC 8288 Link header as {rel: URL}."""
    return {rel: url for url, rel in re.findall(r'<([^>]*)>\s*;\s*rel="([^"]*)"', header or "")}


# --- the files of a stored answer --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [LONG, "factors", "evidence"])
def test_a_stored_answer_is_what_pvkgs_writers_write_and_each_page_a_slice_of_it(name, seed_build, tmp_path):
    query = load_queries()[name]
    given = {"concept": "no such concept"} if name == "evidence" else {}  # an answer with no rows
    result = run_query(OxigraphStore.from_graph(seed_build.graph), query, given)
    write_answer(result.columns, result.rows, tmp_path, "key")
    stored = StoredAnswer.open(tmp_path, "key")
    assert stored is not None and stored.rows == len(result.rows) and stored.columns == query.columns
    assert stored.path("csv").read_bytes().decode() == render(result, "csv")  # byte for byte
    assert json.loads(stored.path("json").read_bytes()) == json.loads(to_json(result))
    for offset in range(0, len(result.rows) + 3, 4):
        for limit in (1, 4, 7, 1000):
            window = QueryResult(result.columns, result.rows[offset:offset + limit])
            assert json.loads(stored.page("json", offset, limit)) == json.loads(to_json(window)), (offset, limit)
            assert stored.page("csv", offset, limit).decode() == render(window, "csv")
            assert stored.page_rows(offset, limit) == window.rows


def test_an_answer_a_worker_left_half_written_is_not_taken_for_one(seed_build, tmp_path):
    result = run_query(OxigraphStore.from_graph(seed_build.graph), load_queries()["factors"], {})
    write_answer(result.columns, result.rows, tmp_path, "key")
    (tmp_path / "key.rows").unlink()  # the index is written last: a worker stopped before it
    assert StoredAnswer.open(tmp_path, "key") is None


# --- paging through the API and the pages ---------------------------------------------------------------------------


def test_api_pages_hold_every_row_once_in_order_with_links(server):
    whole_status, whole_headers, whole = http(f"{server.url}/api/queries/{LONG}")
    bindings = json.loads(whole)["results"]["bindings"]
    assert whole_status == 200 and len(bindings) == int(whole_headers["X-Total-Count"]) == 59
    seen, url, offsets = [], f"{server.url}/api/queries/{LONG}?limit=7", []
    while url:
        status, headers, body = http(url)
        assert status == 200 and int(headers["X-Total-Count"]) == 59
        offset = int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["offset"][0]) if offsets else 0
        offsets.append(offset)
        page = json.loads(body)
        assert page["head"]["vars"] == list(load_queries()[LONG].columns)
        seen += page["results"]["bindings"]
        rel = links(headers["Link"])
        assert rel["first"].endswith("?limit=7&offset=0") and rel["last"].endswith("?limit=7&offset=56")
        assert ("prev" in rel) == (offset > 0) and ("next" in rel) == (offset + 7 < 59)
        if offset > 0:
            assert rel["prev"].endswith(f"?limit=7&offset={offset - 7}")
        url = rel.get("next")
        assert url is None or url.startswith("http://127.0.0.1:")  # the server's --base-url
    assert seen == bindings and offsets == list(range(0, 59, 7))
    _, headers, _ = http(f"{server.url}/api/queries/{LONG}?limit=7", headers={"Origin": "http://example.org"})
    exposed = {name.strip().lower() for name in headers["Access-Control-Expose-Headers"].split(",")}
    assert {"link", "x-total-count"} <= exposed  # a script on another site can page too


@pytest.mark.parametrize("name", ["value-framework", "drivers-and-barriers"])
def test_an_answer_ordered_by_its_header_is_served_in_that_order(name, server, seed_build):
    """These queries leave their row order to pvkg (their lists are too long for Virtuoso to sort): the stored
    answer is written in it, as `pvkg query` prints it."""
    status, _, body = http(f"{server.url}/api/queries/{name}?format=csv")
    expected = render(run_query(OxigraphStore.from_graph(seed_build.graph), load_queries()[name]), "csv")
    assert status == 200 and body.decode() == expected


def test_csv_pages_keep_the_header_and_the_other_parameters(server):
    _, _, whole = http(f"{server.url}/api/queries/values-perceived?lang=fa&format=csv")
    header, *rows = list(csv.reader(io.StringIO(whole.decode())))
    seen, url = [], f"{server.url}/api/queries/values-perceived?lang=fa&format=csv&limit=2"
    while url:
        status, headers, body = http(url)
        page_header, *page_rows = list(csv.reader(io.StringIO(body.decode())))
        assert status == 200 and headers["Content-Type"].startswith("text/csv") and page_header == header
        seen += page_rows
        url = links(headers["Link"]).get("next")
        assert url is None or "lang=fa" in url and "format=csv" in url
    assert seen == rows and len(rows) > 2


def test_paging_parameters_out_of_range_are_400_with_the_reason(server):
    max_rows = int(PVKG_TEST_OPTIONS[PVKG_TEST_OPTIONS.index("--max-rows") + 1])
    for query, reason in ((f"limit={max_rows + 1}", f"from 1 to {max_rows:,}"), ("limit=0", "from 1"),
                          ("offset=-1", "of 0 or more"), ("offset=x", "of 0 or more")):
        status, _, body = http(f"{server.url}/api/queries/factors?{query}")
        assert status == 400 and reason in json.loads(body)["error"], body
    status, headers, body = http(f"{server.url}/api/queries/factors?offset=1000")  # past the end: no rows
    assert status == 200 and json.loads(body)["results"]["bindings"] == [] and "next" not in links(headers["Link"])


def test_a_question_page_shows_one_page_of_a_long_answer_with_links_through_all(server):
    _, _, whole = http(f"{server.url}/api/queries/{LONG}")
    expected = [b["concept"]["value"] for b in json.loads(whole)["results"]["bindings"]]
    seen, path = [], f"/queries/{LONG}?limit=25"
    while path:
        status, _, body = http(f"{server.url}{path}")
        html = body.decode()
        assert status == 200 and re.search(r'id="row-count">(\d+)<', html).group(1) == "59"
        table = html[html.index('id="answer"'):html.index("</table>")]
        seen += [unescape(re.sub(r"<[^>]+>", "", cell)).removesuffix(" en")
                 for cell in re.findall(r"<tr><td>(.*?)</td>", table)]
        nexts = re.findall(r'<a href="([^"]+)" rel="next">', html)
        assert len(set(nexts)) <= 1 and (f'<link rel="next" href="{nexts[0]}">' in html if nexts else True)
        path = unescape(nexts[0]) if nexts else None
    assert seen == expected


# --- no row limit for canned answers; the limits of hand-written SPARQL hold ------------------------------------------


def test_a_canned_answer_longer_than_the_row_limit_is_sent_in_pages_not_refused(server, tmp_path):
    own, stop = start_pvkg("--studies", str(STUDIES), *PVKG_TEST_OPTIONS, "--max-rows", "10",
                           out=fresh_build(server, tmp_path))
    try:
        seen, url = [], f"{own.url}/api/queries/{LONG}"  # no limit asked: too long for one response
        while url:
            status, headers, body = http(url)
            page = json.loads(body)["results"]["bindings"]
            assert status == 200 and int(headers["X-Total-Count"]) == 59 and len(page) == min(10, 59 - len(seen))
            seen += page
            url = links(headers["Link"]).get("next")
        _, _, whole = http(f"{server.url}/api/queries/{LONG}")  # the shared server's limit is 1,000 rows
        assert seen == json.loads(whole)["results"]["bindings"]
        status, _, body = http(f"{own.url}/queries/{LONG}")
        assert status == 200 and body.decode().count("<tr><td>") == 10  # one page: the row limit
        assert "the answer in pages of 10 rows" in body.decode()
        status, _, _ = http(f"{own.url}/api/queries/{LONG}?limit=11")
        assert status == 400
        text = canned_text(load_queries()[LONG], {})  # the same query, hand-written: the limit holds
        status, _, body = http(f"{own.url}/sparql?{urllib.parse.urlencode({'query': text})}")
        assert status == 422 and "more than 10 rows" in body.decode()
    finally:
        stop()


# --- computed once per version of the graph ---------------------------------------------------------------------------


def test_an_answer_is_computed_once_for_concurrent_requests_and_kept_across_restarts(server, tmp_path):
    out = fresh_build(server, tmp_path)
    first, stop = start_pvkg("--studies", str(STUDIES), *PVKG_TEST_OPTIONS, out=out)
    try:
        urls = [f"{first.url}/api/queries/value-paths", f"{first.url}/queries/value-paths",
                f"{first.url}/api/queries/value-paths?format=csv", f"{first.url}/api/queries/value-paths?limit=2"]
        with ThreadPoolExecutor(max_workers=16) as clients:
            answers = list(clients.map(http, urls * 6))
        assert [status for status, _, _ in answers] == [200] * 24
        assert len({body for status, _, body in answers[::4]}) == 1  # the same bytes each time
        assert computed(first) == ["value-paths"]
        http(f"{first.url}/api/queries/value-paths?lang=fa")  # another answer: computed too
        assert computed(first) == ["value-paths", "value-paths?lang=fa"]
    finally:
        stop()
    second, stop = start_pvkg("--studies", str(STUDIES), *PVKG_TEST_OPTIONS, out=out)
    try:
        status, _, body = http(f"{second.url}/api/queries/value-paths")
        assert status == 200 and body == answers[0][2] and computed(second) == []  # read from disk
    finally:
        stop()


def test_a_request_is_told_when_to_come_back_and_the_answer_is_there_later(server, tmp_path):
    """With a request time limit too short for any query, each canned answer outlasts its quick run and is
    computed under --answer-timeout while requests are answered 503 with Retry-After."""
    own, stop = start_pvkg("--studies", str(STUDIES), "--timeout", "0.001", "--workers", "2",
                           out=fresh_build(server, tmp_path))
    try:
        status, headers, body = http(f"{own.url}/api/queries/factors")
        assert status == 503 and int(headers["Retry-After"]) >= 1 and "being computed" in json.loads(body)["error"]
        status, headers, _ = http(f"{own.url}/queries/factors")
        assert status in (200, 503) and (status == 200 or int(headers["Retry-After"]) >= 1)
        for _ in range(600):  # until the computation is done: at most a minute
            status, headers, body = http(f"{own.url}/api/queries/factors")
            if status != 503:
                break
            time.sleep(0.1)
        assert status == 200 and len(json.loads(body)["results"]["bindings"]) == int(headers["X-Total-Count"]) > 0
        assert computed(own) == ["factors"]
    finally:
        stop()


def answers_pool(built_graph: Path, folder: Path, timeout: float, quick: float | None = None,
                 pool_timeout: float = 20) -> tuple[QueryPool, CannedAnswers]:
    pool = QueryPool(StoreSource("oxigraph", path=built_graph), workers=2, timeout=pool_timeout)
    answers = CannedAnswers(pool, folder / "answers", timeout, 1 << 30, logging.getLogger("test"), quick=quick)
    answers.open()
    return pool, answers


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"  # about 0.3 s on the seed graph


def test_requests_for_an_answer_being_computed_wait_for_that_one_computation(built, tmp_path):  # noqa: F811
    pool, answers = answers_pool(built, tmp_path, timeout=60)

    async def work(pool):
        together = await asyncio.gather(*(answers.get(SLOW, "slow", 60) for _ in range(8)))
        return together, await answers.get(SLOW, "slow", 60), pool.sent

    together, later, sent = run(pool, work)
    assert sent == 1 and answers.computed == 1 and len(set(together)) == 1 and later == together[0]


def test_a_request_is_told_to_come_back_while_its_answer_is_still_computed(built, tmp_path):  # noqa: F811
    pool, answers = answers_pool(built, tmp_path, timeout=60)

    async def work(pool):
        with pytest.raises(QueryFailure) as waited:
            await answers.get(SLOW, "slow", 0.001)
        return waited.value, await answers.get(SLOW, "slow", 60), pool.sent

    failure, answer, sent = run(pool, work)
    assert failure.status == 503 and failure.retry_after and "being computed" in str(failure)
    assert answer.rows == 1 and sent == 1  # the computation went on after the first request stopped waiting


def test_an_answer_past_its_time_limit_costs_a_worker_once_not_once_a_request_nor_a_restart(built, tmp_path):  # noqa: F811
    pool, answers = answers_pool(built, tmp_path, timeout=1)

    async def work(pool):
        failures = []
        for _ in range(3):
            with pytest.raises(QueryFailure) as stopped:
                await answers.get(ENDLESS, "endless", 30)
            failures.append(stopped.value)
        restarted = CannedAnswers(pool, tmp_path / "answers", 1, 1 << 30, logging.getLogger("test"))
        restarted.open()  # a server started again over the same graph, with the same limits
        with pytest.raises(QueryFailure) as again:
            await restarted.get(ENDLESS, "endless", 30)
        return failures + [again.value], pool.sent, pool.replaced

    failures, sent, replaced = run(pool, work)
    assert [f.status for f in failures] == [503] * 4 and sent == 1 and replaced == 1
    assert "not tried again" in str(failures[-1])
    assert [p.suffix for p in (tmp_path / "answers").iterdir()] == [".failed"]  # nothing half-written is left
    pool, patient = answers_pool(built, tmp_path, timeout=2)  # a server that allows more time tries again

    async def again(pool):
        with pytest.raises(QueryFailure):
            await patient.get(ENDLESS, "endless", 30)
        return pool.sent

    assert run(pool, again) == 1


def test_a_heavy_answer_goes_on_under_its_longer_limit_leaving_a_worker_to_other_queries(built, tmp_path):  # noqa: F811
    """Each computation gets the quick limit first (as a query of the pages would); past it, the first heavy answer
    goes on under the long limit, and the second, for which no place is free among the long computations (at most
    one of the two workers), is stopped to wait for one: a query asked meanwhile is answered by the other worker."""
    pool, answers = answers_pool(built, tmp_path, timeout=60, quick=0.01, pool_timeout=60)
    heavy = [ENDLESS, ENDLESS.replace("?n", "?m")]  # two answers that take longer than the test

    async def work(pool):
        computing = [asyncio.ensure_future(answers.get(text, "heavy", 60)) for text in heavy]
        for _ in range(600):  # until one quick run is stopped (at most a minute)
            if pool.replaced:
                break
            await asyncio.sleep(0.1)
        count = await pool.execute(COUNT)
        sent, replaced = pool.sent, pool.replaced
        answers.close()
        await asyncio.gather(*computing, return_exceptions=True)
        return count, sent, replaced

    count, sent, replaced = run(pool, work)
    assert count.rows and replaced == 1 and sent == 3  # two quick runs, one going on, one stopped; this query
