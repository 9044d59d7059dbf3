"""pvkg's benchmarks: `python -m bench` (or `make bench`).

For each corpus size (synthetic study files from bench/generate.py, about 10k, 100k and 1M triples in the
built graph) it runs every stage of bench/stages.py in a process of its own and records the process's wall
time and peak resident memory next to the stage's own timings:

- build: reading the YAML, making the RDF, SHACL validation (cold: nothing cached), deterministic Turtle;
- rebuild: `pvkg build` after editing one study file (validation results of the others come from the cache);
- hermit: the reasoner over the ontology, the vocabulary and one synthetic study (a sample: HermiT over the
  whole graph is not part of a large build);
- queries on rdflib's engine, on the embedded Oxigraph store and on Virtuoso (loaded with its bulk loader),
  every canned query, with the ratio of rdflib to Oxigraph;
- rdflib's Turtle serialiser, the baseline of pvkg's own writer;
- publishing to an Oxigraph server and to Virtuoso, when they are installed;
- serve: `pvkg serve` under 2,000 requests from 16 concurrent clients (tests/load.py), after a warm-up pass in
  which it computes each canned answer once.

Results go to bench/results.json and bench/results.md. Ratios compare engines within the same run, so that
they mean something on a noisy machine; absolute times are this machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pvkg._progress import shown_stages

from .generate import generate
from .stages import HEAVY

BENCH = Path(__file__).resolve().parent
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
STAGES = ["build", "rebuild", "hermit", "queries-oxigraph", "queries-rdflib", "queries-virtuoso", "turtle-rdflib",
          "export", "publish-oxigraph", "publish-virtuoso", "serve"]


def run_stage(stage: str, corpus: Path, work: Path, timeout: float) -> dict:
    """Run one stage in a child process: its JSON, plus the child's wall time and its own peak resident
    memory (os.wait4 reports the reaped child's usage, not the high-water mark of all children). A stage
    past `timeout` seconds is stopped; what it printed so far (stages print a line per result) is kept."""
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bench.stages", stage, "--corpus", str(corpus),
                                  "--work", str(work)], cwd=BENCH.parent, stdout=out, stderr=err, text=True)
        stopped, tree_kib = False, 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout and not stopped:
                child.kill()
                stopped = True
            tree_kib = max(tree_kib, _tree_rss_kib(child.pid))
            time.sleep(0.2)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        lines, errors = out.read().splitlines(), err.read().strip().splitlines()
    result: dict = {}
    for line in lines:
        if line.startswith("{"):
            result.update(json.loads(line))
    if stopped:
        result["timeout"] = timeout
    elif child.returncode != 0:
        result["error"] = (errors or ["failed"])[-1]
    result.update(wall=wall, peak_mib=usage.ru_maxrss / 1024,  # ru_maxrss is in KiB on Linux
                  tree_peak_mib=tree_kib / 1024)
    return result


def _tree_rss_kib(root: int) -> int:
    """The resident memory of a process and all its descendants now (a build's Java processes and
    validation workers run beside it: their sum is what the machine must hold)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # the process ended meanwhile
        fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * page_kib
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


EXPORT_FORMATS_SHOWN = ("turtle", "nt", "jsonld", "rdfxml", "trig", "nanopub")


# issue 18's targets for the default build, cold and after one edit: seconds (on this 2-core machine, quiet)
BUILD_TARGETS = {"100k": (None, 1.0), "1m": (300.0, 5.0)}


def _against(seconds: float, limit: float | None) -> str:
    """A time, marked when it misses its target."""
    return f"{seconds:.1f}" + (f" (over {limit:g} s)" if limit is not None and seconds > limit else "")


def _seconds(values: dict, key: str, baseline: float | None = None) -> str:
    """A time, with the ratio to pvkg's own writer when given; '-' when the stage did not get there."""
    if key not in values:
        return "stopped" if "timeout" in values else "-"
    text = f"{values[key]:.2f}"
    return f"{text} ({values[key] / baseline:.0f}x)" if baseline else text


def markdown(results: dict) -> str:
    lines = ["# pvkg benchmarks", "",
             f"Machine: {results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
             f"{results['machine']['platform']}; run {results['machine']['date']}. Generated by `python -m bench`.",
             "Seconds are wall time; memory is the peak resident set of the stage's largest process (validation "
             "workers and servers are processes of their own).", ""]
    lines += ["## Build: the default `pvkg build` (consistency check included), cold, then after editing one study", "",
              "Cold: nothing cached. Rebuild: the whole command after editing one finding's statement, with the "
              "caches the cold build left. Peak MiB: the largest process / the sum over the build and the Java "
              "and validation processes beside it. Baseline: HermiT over the whole graph at once (`pvkg check`). "
              "Planted: the build's check with a clash planted in one study file's triples (its other files "
              "proved by the cold build), which must name that file.", "",
              "| size | triples | studies | read YAML | RDF | SHACL | quality checks | HermiT, file by file | Turtle "
              "| build total | peak MiB | rebuild | files re-validated / re-checked | HermiT, whole graph (baseline) "
              "| planted clash: s, reported |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for size, stages in results["sizes"].items():
        b, r, h = stages.get("build", {}), stages.get("rebuild", {}), stages.get("hermit", {})
        if "triples" not in b and not ("error" in b or "timeout" in b):
            continue  # the build stage has not run at this size (a run of other stages)
        if "triples" not in b:
            lines.append(f"| {size} | build failed: {b.get('error') or b.get('timeout')} |")
            continue
        baseline = (f"{h['hermit_whole']:.1f}" + (f" ({h['hermit_whole'] / b['reason']:.1f}x)" if "reason" in b else "")
                    if "hermit_whole" in h else h.get("error", "-"))
        planted = (f"{h['planted']:.1f}, {'yes' if h['planted_reported'] else 'NO'}" if "planted" in h else "-")
        build_limit, rebuild_limit = BUILD_TARGETS.get(size, (None, None))
        lines.append(f"| {size} | {b['triples']:,} | {b['studies']:,} | {b['read_yaml']:.1f} | {b['rdf']:.1f} | "
                     f"{b['shacl']:.1f} | {_seconds(b, 'quality')} | {_seconds(b, 'reason')} | {b['turtle']:.1f} | "
                     f"{_against(b['wall'], build_limit)} | {b['peak_mib']:,.0f} / {b.get('tree_peak_mib', 0):,.0f} | "
                     f"{_against(r.get('rebuild', float('nan')), rebuild_limit)} | {r.get('files_validated', '?')} / "
                     f"{r.get('files_checked', '?')} | {baseline} | {planted} |")
    lines += ["", "## Canned queries: the embedded Oxigraph store, rdflib's engine and Virtuoso", "",
              "Each query's time excludes loading; Oxigraph's and Virtuoso's are the median of three runs. Ratio = "
              "rdflib / Oxigraph. Targets: every query under 1 s on Oxigraph and at least 20x faster than rdflib "
              "where rdflib finishes; a time that misses one is marked.", ""]
    for size, stages in results["sizes"].items():
        rd, ox, vi = (stages.get(f"queries-{engine}", {}) for engine in ("rdflib", "oxigraph", "virtuoso"))
        if "load" not in ox:
            continue
        lines += [f"### {size}", "", "| query | rows | Oxigraph s | rdflib s | ratio | Virtuoso s |",
                  "|---|---:|---:|---:|---:|---:|",
                  f"| (load the graph; peak MiB {ox['peak_mib']:,.0f} / {rd.get('peak_mib', 0):,.0f} / "
                  f"{vi.get('peak_mib', 0):,.0f}) | | {ox['load']:.2f} | {_seconds(rd, 'load')} | | "
                  f"{_seconds(vi, 'load') if 'load' in vi else vi.get('skipped', '-')} |"]
        names = sorted({k.split(":", 1)[1] for k in ox if k.startswith(("query:", "error:"))})
        # rdflib runs the queries in the stage's order: the first it did not finish is where it was stopped
        unfinished = [n for n in sorted(names, key=lambda n: (n in HEAVY, n)) if f"query:{n}" not in rd]
        for name in names:
            key = f"query:{name}"
            if key not in ox:
                lines.append(f"| {name} | | {ox[f'error:{name}']} | | | |")
                continue
            fast = f"{ox[key]:.4f}" + (" (over 1 s)" if ox[key] >= 1 else "")
            if key in rd:
                ratio = rd[key] / max(ox[key], 1e-6)
                slow, ratio_text = f"{rd[key]:.3f}", f"{ratio:.0f}x" + (" (under 20x)" if ratio < 20 else "")
            else:  # rdflib's stage was stopped before it reached this query, or ran out of memory
                slow = rd.get(f"error:{name}")
                if slow is None and "timeout" in rd:
                    slow = f"> {rd['timeout']:.0f} (stopped)" if name == unfinished[0] else "(not reached)"
                slow = slow or "-"
                ratio_text = ""
            remote = f"{vi[key]:.3f}" if key in vi else vi.get(f"error:{name}", "-")
            lines.append(f"| {name} | {ox[f'rows:{name}']} | {fast} | {slow} | {ratio_text} | {remote} |")
        lines.append("")
    lines += ["## Turtle export: pvkg's writer against rdflib's serialiser", "",
              "| size | pvkg s | rdflib s | ratio |", "|---|---:|---:|---:|"]
    for size, stages in results["sizes"].items():
        b, t = stages.get("build", {}), stages.get("turtle-rdflib", {})
        if "turtle" in b and "turtle" in t:
            lines.append(f"| {size} | {b['turtle']:.1f} | {t['turtle']:.1f} | {t['turtle'] / b['turtle']:.1f}x |")
    lines += ["", "## Exports of the whole graph (`pvkg export`): pvkg's writers, and rdflib's as the baseline", "",
              "Each format: seconds and peak MiB of a process that reads the built Turtle and writes the export "
              "(nanopub writes every finding's nanopublication); parse: reading the built Turtle for the VoID "
              "description; rdflib: its serialisers on its own graph, already in memory.", "",
              "| size | parse | " + " | ".join(EXPORT_FORMATS_SHOWN) + " | VoID | rdflib nt | rdflib jsonld | "
              "rdflib rdfxml | peak MiB (rdflib) |", "|---|" + "---:|" * (len(EXPORT_FORMATS_SHOWN) + 6)]
    for size, stages in results["sizes"].items():
        e = stages.get("export", {})
        if "parse" not in e:
            continue
        peaks = {f: f" ({e[f'peak:{f}']:,.0f} MiB)" if f"peak:{f}" in e else "" for f in EXPORT_FORMATS_SHOWN}
        cells = [f"{e['parse']:.2f}", *(_seconds(e, f"export:{f}") + peaks[f] for f in EXPORT_FORMATS_SHOWN),
                 _seconds(e, "export:void"), *(_seconds(e, f"rdflib:{f}", e.get(f"export:{f}"))
                                               for f in ("nt", "jsonld", "rdfxml")), f"{e['peak_mib']:,.0f}"]
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
    lines += ["", "## Publishing to a SPARQL server (into a staging graph, then MOVE and a count check)", "",
              "| size | server | how | seconds | peak MiB (the larger of pvkg and the server) | triples there |",
              "|---|---|---|---:|---:|---:|"]
    for size, stages in results["sizes"].items():
        for server in ("oxigraph", "virtuoso"):
            p = stages.get(f"publish-{server}", {})
            if "publish" in p:
                how = p["method"].split(" (")[0]
                how += " (the Graph Store PUT failed)" if "PUT failed" in p["method"] else ""
                lines.append(f"| {size} | {server} | {how} | {p['publish']:.1f} | {p['peak_mib']:,.0f} | "
                             f"{p['remote_triples']:,} |")
            elif p:
                lines.append(f"| {size} | {server} | not run: {p.get('skipped') or p.get('error')} | | | |")
    lines += ["", "## Serving: 2,000 requests from 16 concurrent clients (API, pages, uncached SPARQL)", "",
              "After a warm-up (each API request and page, from 16 clients, until the server has computed its "
              "answer once), whose time is given.", "",
              "| size | start s | warm-up s | requests/s | p50 ms | p99 ms | API p99 ms | SPARQL p99 ms | statuses | "
              "API alone: requests/s | API alone: p99 ms |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for size, stages in results["sizes"].items():
        v = stages.get("serve", {})
        if "serve:all" in v:
            statuses = ", ".join(f"{k}: {n}" for k, n in v["serve:statuses"].items())
            warm_up = f"{v['warmup:seconds']:.1f}" if "warmup:seconds" in v else ""
            lines.append(f"| {size} | {v['start']:.1f} | {warm_up} | {v['serve:requests_per_second']:.0f} | "
                         f"{v['serve:all']['p50_ms']:.0f} | {v['serve:all']['p99_ms']:.0f} | "
                         f"{v['serve:api']['p99_ms']:.0f} | {v['serve:sparql']['p99_ms']:.0f} | {statuses} | "
                         + (f"{v['api-alone:requests_per_second']:.0f} | {v['api-alone:all']['p99_ms']:.0f} |"
                            if "api-alone:all" in v else " | |"))
        elif v:
            lines.append(f"| {size} | not run: {v.get('error') or v.get('timeout')} | | | | | | | | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: " + ", ".join(SIZES))
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated: " + ", ".join(STAGES))
    parser.add_argument("--corpora", type=Path, default=BENCH / "corpora")
    parser.add_argument("--work", type=Path, default=BENCH / "work")
    parser.add_argument("--results", type=Path, default=BENCH)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a stage is stopped")
    args = parser.parse_args(argv)
    stages = args.stages.split(",")
    results = {"machine": {}, "sizes": {}}
    previous = args.results / "results.json"
    if previous.is_file():  # a run of some sizes or stages updates those and keeps the rest
        results = json.loads(previous.read_text())
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(terse=True), "date": time.strftime("%Y-%m-%d")}
    sizes = args.sizes.split(",")
    with shown_stages() as display:  # on a terminal, a bar over all the stages; the lines below either way
        display.start(f"running {len(stages)} stage(s) at {len(sizes)} size(s)", len(sizes) * len(stages), "stages")
        for size in sizes:
            corpus = args.corpora / size
            if not (corpus / ".pvkg-bench-corpus").exists():
                display.note(f"bench: generating the {size} corpus in {corpus}")
                generate(corpus, SIZES[size])
            work = args.work / size
            results["sizes"].setdefault(size, {})
            for stage in stages:
                display.note(f"bench: {size} {stage} ...")
                outcome = run_stage(stage, corpus, work, args.timeout)
                results["sizes"][size][stage] = outcome
                shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in outcome.items()
                         if not k.startswith(("query:", "rows:"))}
                display.note(f"bench: {size} {stage}: {shown}")
                display.advance()
            (args.results / "results.json").write_text(json.dumps(results, indent=2) + "\n")
            (args.results / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
