"""One benchmark stage, run in a process of its own so that its peak memory is its own:

    python -m bench.stages STAGE --corpus DIR --work DIR

prints one JSON object with the stage's timings (seconds) and counts. `bench/__main__.py` runs the stages and
measures each process's wall time and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERY_PARAMS = {"evidence": {"concept": "value:transparency"}}
# A stage's address-space limit: value-paths' answer grows with the square of the links per concept, and
# at 1M triples it must fail alone rather than take the machine's memory.
MEMORY_LIMIT_GIB = 12
HEAVY = ("concept-support", "contested", "value-characteristic-links", "value-paths")  # slowest on rdflib


def _timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - started


def build(corpus: Path, work: Path) -> dict:
    """A cold `pvkg build` (the default path, consistency check included), stage by stage as it runs (the
    quality checks read the Turtle that is then written; 'turtle' includes writing it with its description
    and the caches)."""
    from pvkg import _resources as resources
    from pvkg._build import pipeline
    from pvkg._build.load import corpus_to_parts, load_ontology
    from pvkg._build.quality import load_checks, require_quality
    from pvkg._build.reason import ProofCache
    from pvkg._build.studies import read_corpus
    from pvkg._build.validate import ValidationCache, validate_parts

    corpus_data, read_s = _timed(read_corpus, [corpus], resources.vocabulary_files())
    parts, rdf_s = _timed(corpus_to_parts, corpus_data)
    ontology, ontology_s = _timed(load_ontology)
    cache = ValidationCache.open(work / pipeline.CACHE_DIR / pipeline.VALIDATION_CACHE_FILE,
                                 pipeline.validation_inputs())
    cache.entries.clear()  # cold: validate everything
    report, shacl_s = _timed(validate_parts, ontology, parts, None, cache)
    if not report.conforms:
        raise SystemExit(f"the corpus does not validate: {report.problems[0]}")
    proofs = ProofCache.open(work / pipeline.CACHE_DIR / pipeline.PROOF_CACHE_FILE, pipeline.ontology_inputs())
    proofs.proved.clear()  # cold: check everything
    result = pipeline.Build(corpus_data, ontology, parts, report, cache=cache, proofs=proofs)
    triples, union_s = _timed(lambda: result.triples)
    data, turtle_s = _timed(lambda: result.turtle)
    _, quality_s = _timed(require_quality, data, load_checks())
    consistency, reason_s = _timed(pipeline.check_build, result, pipeline.Stages())
    _, write_s = _timed(pipeline.write_build, result, work)  # the graph, void.ttl, the caches, as pvkg build does
    return {"triples": len(triples), "studies": len(corpus_data.studies), "findings": len(corpus_data.findings),
            "read_yaml": read_s, "rdf": rdf_s + ontology_s + union_s, "shacl": shacl_s, "quality": quality_s,
            "reason": reason_s, "files_checked": consistency.checked, "turtle": turtle_s + write_s,
            "turtle_bytes": len(data)}


def rebuild(corpus: Path, work: Path) -> dict:
    """`pvkg build` as a user runs it after editing one study file (the whole command, imports and the
    consistency check included; the build stage left its caches), then the file is put back."""
    import subprocess

    study = sorted((corpus / "generated").glob("*.yaml"))[0]
    original = study.read_bytes()
    study.write_bytes(original.replace(b"statement: ", b"statement: Edited. ", 1))
    try:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pvkg", "build", "--studies", str(corpus), "--out", str(work)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
    finally:
        study.write_bytes(original)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    redone = {}  # 'files validated' and 'files checked' of the summary: how many files the rebuild redid
    for line in done.stdout.splitlines():
        words = line.split()
        if words[:2] in (["files", "validated"], ["files", "checked"]):
            redone[f"files_{words[1]}"] = int(words[2])
    return {"rebuild": seconds, **redone}


def hermit(corpus: Path, work: Path) -> dict:
    """The baseline of the build's file-by-file check: HermiT over the whole graph at once (as `pvkg check`
    runs it), the ontology's classes included. Then the build's check of the same data with a clash planted
    in one synthetic study file's triples (a finding given a second, disjoint kind), the other modules
    proved by the build stage: the clash must be reported, with that file."""
    from rdflib import RDF, URIRef

    from pvkg._build import pipeline
    from pvkg._build.load import DataParts
    from pvkg._build.reason import ProofCache, check_consistency, check_file_modules

    result = pipeline.build_graph([corpus], reason=False)
    whole, whole_s = _timed(check_consistency, result.graph)
    planted_in = next(f for f in result.parts.triples if "/generated/" in f)
    finding = next(t[0] for t in result.parts.triples[planted_in] if "/finding/" in str(t[0]))
    kinds = [URIRef(f"https://w3id.org/pvkg/ontology#{k}") for k in ("ValueFinding", "FactorFinding")]
    kind = next(k for k in kinds if (finding, RDF.type, k) not in result.parts.triples[planted_in])
    triples = dict(result.parts.triples)
    triples[planted_in] = [*triples[planted_in], (finding, RDF.type, kind)]
    proofs = ProofCache.open(work / pipeline.CACHE_DIR / pipeline.PROOF_CACHE_FILE, pipeline.ontology_inputs())
    report, planted_s = _timed(check_file_modules, result.ontology, DataParts(triples, result.parts.sources),
                               proofs)
    return {"hermit_whole": whole_s, "whole_consistent": whole.ok, "whole_triples": len(result.graph),
            "planted": planted_s, "planted_reported": report.inconsistent_files == [planted_in],
            "planted_checked": report.checked}


def _queries(store_factory, repeat: int) -> dict:
    from pvkg._sparql.queries import load_queries, run_query
    from pvkg.errors import PvkgError

    store, load_s = _timed(store_factory)
    _emit({"load": load_s})
    queries = load_queries()
    # the heaviest answers last, so that a stage stopped at its time limit has measured the others
    for name in sorted(queries, key=lambda n: (n in HEAVY, n)):
        query = queries[name]
        times = []
        try:
            for _ in range(repeat):
                result, seconds = _timed(run_query, store, query, QUERY_PARAMS.get(name))
                times.append(seconds)
        except MemoryError:  # past the stage's memory limit (see main): recorded, and the next query runs
            _emit({f"error:{name}": f"over {MEMORY_LIMIT_GIB} GiB"})
            continue
        except PvkgError as e:  # an engine that refuses or fails the query (a server's limits): recorded
            _emit({f"error:{name}": " ".join(str(e).split())[:300]})
            continue
        # one line per query, so that a stage stopped at its time limit keeps what it measured
        _emit({f"query:{name}": statistics.median(times), f"rows:{name}": len(result.rows)})
        del result
    return {}


def _emit(values: dict) -> None:
    print(json.dumps(values), flush=True)


def queries_rdflib(corpus: Path, work: Path) -> dict:
    from pvkg._build.pipeline import GRAPH_FILE, load_built
    from pvkg._sparql.stores import RdflibStore

    return _queries(lambda: RdflibStore(load_built(work / GRAPH_FILE)), repeat=1)


def queries_oxigraph(corpus: Path, work: Path) -> dict:
    from pvkg._build.pipeline import GRAPH_FILE
    from pvkg._sparql.stores import OxigraphStore

    return _queries(lambda: OxigraphStore.from_file(work / GRAPH_FILE), repeat=3)


def queries_virtuoso(corpus: Path, work: Path) -> dict:
    """Every canned query on Virtuoso 7 over HTTP, the graph loaded with Virtuoso's bulk loader (the load is
    timed; the server's own limits, such as its cost estimate, are those the test suite sets)."""
    from pvkg._build.pipeline import GRAPH_FILE
    from pvkg._namespaces import DEFAULT_GRAPH
    from pvkg._sparql.remote import Endpoint
    from pvkg._sparql.stores import EndpointStore

    def run(servers, server) -> dict:
        def loaded() -> EndpointStore:
            servers.virtuoso_bulk_load(server, work / GRAPH_FILE, DEFAULT_GRAPH)
            return EndpointStore(Endpoint(server.query_url, timeout=600), graph=DEFAULT_GRAPH,
                                 max_rows=servers.VIRTUOSO_MAX_ROWS)

        return _queries(loaded, repeat=3)

    return _on_server("start_virtuoso", run)


def turtle_rdflib(corpus: Path, work: Path) -> dict:
    """rdflib's own Turtle serialiser on the built graph: the baseline of pvkg's writer."""
    from pvkg._build.pipeline import GRAPH_FILE, load_built

    graph, parse_s = _timed(load_built, work / GRAPH_FILE)
    data, seconds = _timed(graph.serialize, None, "turtle")
    return {"parse": parse_s, "turtle": seconds, "turtle_bytes": len(data.encode("utf-8"))}


def _on_server(start_name: str, run) -> dict:
    """run(servers, server) on a server of tests/servers.py (the same the test suite starts), stopped after;
    {"skipped": why} when it is not installed here."""
    sys.path.insert(0, str(REPO / "tests"))
    import servers

    try:
        server, stop = getattr(servers, start_name)()
    except BaseException as e:  # noqa: BLE001 - pytest.skip/fail: the server is not installed here
        return {"skipped": str(e).splitlines()[0]}
    try:
        return run(servers, server)
    finally:
        stop()


def _publish(start_name: str, work: Path) -> dict:
    from pvkg._build.pipeline import GRAPH_FILE
    from pvkg._namespaces import DEFAULT_GRAPH
    from pvkg._publish.publish import publish
    from pvkg._sparql.remote import Endpoint

    def run(servers, server) -> dict:
        report, seconds = _timed(publish, work / GRAPH_FILE, Endpoint(server.update_url, timeout=3600),
                                 DEFAULT_GRAPH, Endpoint(server.query_url, timeout=3600),
                                 Endpoint(server.gsp_url, timeout=3600))
        return {"publish": seconds, "method": report.method, "remote_triples": report.remote_triples}

    return _on_server(start_name, run)


def publish_oxigraph(corpus: Path, work: Path) -> dict:
    return _publish("start_oxigraph", work)


def publish_virtuoso(corpus: Path, work: Path) -> dict:
    return _publish("start_virtuoso", work)


SERVE_REQUESTS = 2000
SERVE_CLIENTS = 16
WARM_UP_S = 900  # the longest a warm-up may wait for answers being computed


def serve(corpus: Path, work: Path) -> dict:
    """`pvkg serve` over the built graph, under the load test's mix of requests (tests/load.py): first a warm-up,
    each API request and page from 16 concurrent clients until the server has computed its answer (once per
    version of the graph; at most WARM_UP_S), then 2,000 requests from 16 concurrent clients: throughput,
    latencies and statuses; then the plan's API requests alone. The server is a process of its own (with its
    query workers), so the stage's peak memory is the load generator's."""
    sys.path.insert(0, str(REPO / "tests"))  # the same server start and load as the test suite
    import load
    import servers

    from pvkg._build.pipeline import GRAPH_FILE

    assert (work / GRAPH_FILE).is_file(), "run the build stage first"
    (server, stop), start_s = _timed(lambda: servers.start_pvkg("--studies", str(corpus), out=work))
    try:
        plan = load.planned_requests(server.url, SERVE_REQUESTS)
        warm = load.warm_up(plan, SERVE_CLIENTS, WARM_UP_S)
        _emit({"start": start_s, **{f"warmup:{k}": v for k, v in warm.items()}})
        report = load.run_load(plan, SERVE_CLIENTS)
        _emit({f"serve:{k}": v for k, v in report.items()})
        # the canned API alone, as issue 18's target reads (the mix above adds uncached SPARQL, whose results the
        # server converts and writes in its own process)
        api = load.run_load([item for item in plan if item[0] == "api"], SERVE_CLIENTS)
        return {"start": start_s, **{f"warmup:{k}": v for k, v in warm.items()},
                **{f"serve:{k}": v for k, v in report.items()}, **{f"api-alone:{k}": v for k, v in api.items()}}
    finally:
        stop()


EXPORT_FORMATS = ("turtle", "nt", "jsonld", "rdfxml", "trig", "nanopub")
RDFLIB_FORMATS = {"nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}  # the baseline of each of pvkg's writers


def export(corpus: Path, work: Path) -> dict:
    """`pvkg export` of the whole built graph in every format, each in a process of its own so that its time and
    peak memory are its own (export_one), the VoID description of the built file; then rdflib's serialisers
    for N-Triples, JSON-LD and RDF/XML as the baseline. Each result is printed as it comes, so a stage stopped
    by its time limit keeps what it finished."""
    import subprocess

    from pvkg._build.describe import dataset_description, description_bytes
    from pvkg._build.pipeline import GRAPH_FILE, load_built
    from pvkg._publish.release import GraphParts

    path = work / GRAPH_FILE
    for fmt in EXPORT_FORMATS:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bench.stages", "export-one", "--format", fmt,
                                  "--corpus", str(corpus), "--work", str(work)], cwd=REPO, stdout=subprocess.PIPE,
                                 text=True)
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        if child.returncode != 0:
            _emit({f"error:{fmt}": f"exit {child.returncode}"})
            continue
        _emit({f"export:{fmt}": seconds, f"peak:{fmt}": usage.ru_maxrss / 1024, **json.loads(out)})
    parts, parse_s = _timed(GraphParts.from_file, path)
    _emit({"parse": parse_s, "triples": len(parts.of("all"))})
    _, seconds = _timed(lambda: description_bytes(dataset_description(parts.of("all"), {path.name: path})))
    _emit({"export:void": seconds})
    graph, _ = _timed(load_built, path)
    for fmt, name in RDFLIB_FORMATS.items():
        _, seconds = _timed(graph.serialize, None, name)
        _emit({f"rdflib:{fmt}": seconds})
    return {}


def export_one(corpus: Path, work: Path, fmt: str) -> dict:
    """What `pvkg export --format FMT` does once the graph is built (all of it; the data for nanopub): read the
    built file and write the export, here counted rather than kept."""
    from pvkg._build.pipeline import GRAPH_FILE
    from pvkg._publish.release import export_built

    written = sum(len(piece) for piece in export_built(work / GRAPH_FILE, None, "data" if fmt == "nanopub" else "all",
                                                       fmt))
    return {f"bytes:{fmt}": written}


STAGES = {"build": build, "export": export, "export-one": export_one, "rebuild": rebuild, "hermit": hermit,
          "queries-rdflib": queries_rdflib, "queries-oxigraph": queries_oxigraph, "queries-virtuoso": queries_virtuoso,
          "turtle-rdflib": turtle_rdflib,
          "publish-oxigraph": publish_oxigraph, "publish-virtuoso": publish_virtuoso, "serve": serve}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stages")
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--format", help="export-one: the format to export")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.stage.startswith("queries-"):
        limit = MEMORY_LIMIT_GIB * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    more = (args.format,) if args.stage == "export-one" else ()
    print(json.dumps(STAGES[args.stage](args.corpus, args.work, *more)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
