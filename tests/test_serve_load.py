"""A bounded load test of `pvkg serve` on loopback: 2,000 requests from 16 concurrent clients, mixing the canned
queries of the API (each with several parameter values), hand-written SPARQL that no cache has seen, and
resource pages. Every answer must be a 200; the latencies (p50, p99, max per kind) are written to the test's
output folder as load.json and printed, for the record, never asserted: the machine is shared and noisy."""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

from servers import pvkg_server  # noqa: F401  (pytest fixtures)

from pvkg.query import load_queries

REQUESTS = 2000
CLIENTS = 16
CONCEPTS = ["value:transparency", "value:accountability", "value:equity", "characteristic:convenience",
            "factor:user-training", "channel:social-media", "transparency", "Equity"]
LANGUAGES = ["en", "fa", "es"]


def planned_requests(base: str) -> list[tuple[str, str]]:
    """(kind, url) for every request, in a fixed order."""
    api = []
    for name, query in load_queries().items():
        names = {p.name for p in query.parameters}
        for lang in LANGUAGES:
            for concept in CONCEPTS if "concept" in names else [None]:
                params = {"lang": lang} if "lang" in names else {}
                params |= {"concept": concept} if concept else {}
                api.append(f"{base}/api/queries/{name}?{urllib.parse.urlencode(params)}")
    pages = [f"{base}/", f"{base}/id/value/transparency", f"{base}/id/finding/luna2024-01",
             f"{base}/queries/factors", f"{base}/ontology"]
    plan = []
    for i in range(REQUESTS):
        if i % 4 == 3:  # a query text never sent before: no cache can answer it
            text = f"SELECT ?s ?label WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }} LIMIT {i}"
            plan.append(("sparql", f"{base}/sparql?{urllib.parse.urlencode({'query': text})}"))
        elif i % 4 == 2:
            plan.append(("page", pages[i % len(pages)]))
        else:
            plan.append(("api", api[i % len(api)]))
    return plan


def test_two_thousand_requests_from_sixteen_clients_all_succeed(pvkg_server, tmp_path):  # noqa: F811
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    plan = planned_requests(pvkg_server.url)
    lock = threading.Lock()
    statuses: Counter = Counter()
    latencies: dict[str, list[float]] = defaultdict(list)

    def fetch(item: tuple[str, str]) -> None:
        kind, url = item
        start = time.perf_counter()
        try:
            with opener.open(url, timeout=120) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        elapsed = time.perf_counter() - start
        with lock:
            statuses[(kind, status)] += 1
            latencies[kind].append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        list(clients.map(fetch, plan))
    wall = time.perf_counter() - start

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"requests": len(ordered), "p50_ms": round(1000 * statistics.median(ordered), 1),
                "p99_ms": round(1000 * ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
                "max_ms": round(1000 * ordered[-1], 1)}

    report = {"requests": REQUESTS, "clients": CLIENTS, "seconds": round(wall, 2),
              "requests_per_second": round(REQUESTS / wall, 1),
              "all": summary([v for values in latencies.values() for v in values]),
              **{kind: summary(values) for kind, values in sorted(latencies.items())},
              "statuses": {f"{kind} {status}": n for (kind, status), n in sorted(statuses.items())}}
    (tmp_path / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))
    assert sum(statuses.values()) == REQUESTS
    assert {status for _, status in statuses} == {200}, report["statuses"]
