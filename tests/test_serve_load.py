"""A bounded load test of `pvkg serve` on loopback: 2,000 requests from 16 concurrent clients (the mix is in
tests/load.py). Every answer must be a 200; the latencies (p50, p99, max per kind of request) are written to
the test's output folder as load.json and printed, for the record, never asserted: the machine is shared and
noisy (`python -m bench` measures them at scale)."""

from __future__ import annotations

import json

from load import planned_requests, run_load
from servers import pvkg_server  # noqa: F401  (pytest fixtures)

REQUESTS = 2000
CLIENTS = 16


def test_two_thousand_requests_from_sixteen_clients_all_succeed(pvkg_server, tmp_path):  # noqa: F811
    report = run_load(planned_requests(pvkg_server.url, REQUESTS), CLIENTS)
    (tmp_path / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report))
    assert sum(report["statuses"].values()) == REQUESTS
    assert set(report["statuses"]) == {"api 200", "page 200", "sparql 200"}, report["statuses"]
