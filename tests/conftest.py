"""Shared fixtures. Every test runs with the network blocked except loopback, so nothing can quietly
fetch an import or a context from the internet."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest
from browser import browser, page  # noqa: F401  (fixtures: defined here once, so one browser per session)
from typer.testing import CliRunner

from pvkg import _resources as resources
from pvkg._build import pipeline
from pvkg._cli import app

REPO = Path(__file__).resolve().parents[1]
STUDIES = REPO / "studies"


def _is_loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(scope="session")
def seed_build() -> pipeline.Build:
    """The graph of the seed studies, validated (not reasoned over: the reasoner tests do that)."""
    return pipeline.build_graph([STUDIES], reason=False)


@pytest.fixture
def cli():
    """Run the pvkg CLI in-process; returns (exit code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [str(a) for a in args])
        return result.exit_code, result.stdout, result.stderr

    return run


def select(graph, query: str) -> list[tuple]:
    """Rows of a SPARQL SELECT as tuples of Python values (str for IRIs and literals)."""
    prefixes = """
        PREFIX pvkg: <https://w3id.org/pvkg/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX cito: <http://purl.org/spar/cito/>
        PREFIX bibo: <http://purl.org/ontology/bibo/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX work: <https://w3id.org/pvkg/id/work/>
        PREFIX scheme: <https://w3id.org/pvkg/id/scheme/>
        PREFIX method: <https://w3id.org/pvkg/id/method/>
    """
    return [tuple(None if v is None else (v.toPython() if hasattr(v, "toPython") else str(v)) for v in row)
            for row in graph.query(prefixes + query)]


__all__ = ["REPO", "STUDIES", "select", "resources"]


@pytest.fixture
def edited_corpus(tmp_path) -> Path:
    """The seed studies with one statement changed, so that a build of them differs from the seed build."""
    folder = tmp_path / "edited"
    shutil.copytree(STUDIES, folder)
    study = folder / "luna-2024.yaml"
    study.write_text(study.read_text(encoding="utf-8").replace("statement: ", "statement: Edited. ", 1),
                     encoding="utf-8")
    return folder
