"""A load on a running `pvkg serve`, shared by the load test (tests/test_serve_load.py) and the benchmark
(`python -m bench`, stage serve): many concurrent clients sending a fixed mix of requests, each answer's
status and latency recorded.

The mix: the canned queries of the API, each with several parameter values (answers the server computes once),
whole and as a page (`limit=100&offset=100`), resource and query pages, and hand-written SPARQL whose text no
cache has seen (every fourth request). `warm_up` asks for each API answer and page of a plan until the server
has computed it.
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from pvkg._sparql.queries import load_queries

CONCEPTS = ["value:transparency", "value:accountability", "value:equity", "value:convenience",
            "factor:user-training", "channel:social-media", "transparency", "Equity"]
LANGUAGES = ["en", "fa", "es"]
PAGES = ["/", "/id/value/transparency", "/id/value/equity", "/queries/factors", "/ontology"]
PAGE = {"limit": "100", "offset": "100"}


def planned_requests(base: str, count: int) -> list[tuple[str, str]]:
    """(kind, url) for each of `count` requests, in a fixed order."""
    api = []
    for name, query in load_queries().items():
        names = {p.name for p in query.parameters}
        for lang in LANGUAGES:
            for concept in CONCEPTS if "concept" in names else [None]:
                params = {"lang": lang} if "lang" in names else {}
                params |= {"concept": concept} if concept else {}
                api.append(f"{base}/api/queries/{name}?{urllib.parse.urlencode(params)}")
                api.append(f"{base}/api/queries/{name}?{urllib.parse.urlencode({**params, **PAGE})}")
    plan = []
    for i in range(count):
        if i % 4 == 3:
            text = f"SELECT ?s ?label WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} LIMIT {i}"
            plan.append(("sparql", f"{base}/sparql?{urllib.parse.urlencode({'query': text})}"))
        elif i % 4 == 2:
            plan.append(("page", base + PAGES[i % len(PAGES)]))
        else:
            plan.append(("api", api[i % len(api)]))
    return plan


def warm_up(plan: list[tuple[str, str]], clients: int, patience_s: float) -> dict:
    """Ask for each API answer and page of a plan once (from `clients` threads), and again after its Retry-After
    each one the server answered 503 with Retry-After (its answer was being computed), until it answers otherwise
    or `patience_s` seconds have passed. A report: seconds, requests sent, the last status of each (kind, status)
    and of each path that answered other than 200."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + patience_s
    sent = 0
    lock = threading.Lock()

    def settle(item: tuple[str, str]) -> int:
        nonlocal sent
        while True:
            with lock:
                sent += 1
            try:
                with opener.open(item[1], timeout=300) as response:
                    response.read()
                    return response.status
            except urllib.error.HTTPError as error:
                retry = error.headers.get("Retry-After", "")
                if error.code != 503 or not retry.isdigit() or time.monotonic() + int(retry) > deadline:
                    return error.code
                time.sleep(int(retry))
            except OSError:
                return 0

    items = list(dict.fromkeys(item for item in plan if item[0] != "sparql"))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(settle, items))
    return {"seconds": round(time.perf_counter() - start, 2), "requests": sent,
            "statuses": dict(sorted(Counter(f"{kind} {status}" for (kind, _), status in zip(items, statuses,
                                                                                           strict=True)).items())),
            "failed": dict(sorted(Counter(f"{status} {urllib.parse.urlsplit(url).path}"
                                          for (_, url), status in zip(items, statuses, strict=True)
                                          if status != 200).items()))}


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"requests": len(ordered), "p50_ms": round(1000 * statistics.median(ordered), 1),
            "p99_ms": round(1000 * ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
            "max_ms": round(1000 * ordered[-1], 1)}


def run_load(plan: list[tuple[str, str]], clients: int) -> dict:
    """Send the planned requests from `clients` threads; a report of wall time, throughput, latencies per
    kind of request (p50, p99, max), the count of each (kind, status), and of each path that answered other
    than 200."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    lock = threading.Lock()
    statuses: Counter = Counter()
    failed: Counter = Counter()
    latencies: dict[str, list[float]] = defaultdict(list)

    def fetch(item: tuple[str, str]) -> None:
        kind, url = item
        start = time.perf_counter()
        try:
            with opener.open(url, timeout=300) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:  # refused, reset: counted as no answer
            status = 0
        elapsed = time.perf_counter() - start
        with lock:
            statuses[(kind, status)] += 1
            latencies[kind].append(elapsed)
            if status != 200:
                failed[f"{status} {urllib.parse.urlsplit(url).path}"] += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(fetch, plan))
    wall = time.perf_counter() - start
    return {"requests": len(plan), "clients": clients, "seconds": round(wall, 2),
            "requests_per_second": round(len(plan) / wall, 1),
            "all": _summary([v for values in latencies.values() for v in values]),
            **{kind: _summary(values) for kind, values in sorted(latencies.items())},
            "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(statuses.items())},
            "failed": dict(sorted(failed.items()))}
