"""pvkg from Python or a notebook: build and validate the graph, ask its canned queries, export it. These are the
functions `import pvkg` offers (see pvkg/__init__.py); they are kept stable, and the modules behind them are not.

    import pvkg, pandas
    built = pvkg.build_graph("studies", out="dist")       # read, validate, check, write dist/pvkg.ttl
    answer = pvkg.ask("factors", lang="fa", out="dist")   # a canned query on the built graph
    table = pandas.DataFrame(answer.records())            # a column per variable, a row per answer

Errors a user can cause are PvkgError (pvkg.errors), each with a one-line message, as on the command line.
"""

from __future__ import annotations

from pathlib import Path

from pvkg import _resources as resources
from pvkg._build import pipeline
from pvkg._publish.release import export_built
from pvkg._sparql.queries import CannedQuery, QueryResult, bind_parameters, check_concepts, get_query, load_queries
from pvkg._sparql.queries import run_query as _run_query
from pvkg._sparql.stores import DEFAULT_ENGINE, open_built


def _studies(studies: str | Path | None) -> Path:
    return Path(studies) if studies is not None else resources.default_studies_dir()


def build_graph(studies: str | Path | None = None, out: str | Path | None = None,
                reason: bool = True) -> pipeline.Build:
    """Build the graph from a folder of study files (default: ./studies, else the seed studies): read, validate
    (SHACL), run the quality checks and, with `reason`, check consistency (HermiT). With `out`, write the graph
    there as `pvkg build --out` does (reusing what the last build there cached). Returns the Build: its
    `graph` (rdflib), `triples`, `corpus` and `summary`."""
    if out is None:
        return pipeline.build_graph([_studies(studies)], reason=reason)
    out = Path(out)
    result = pipeline.build_graph([_studies(studies)], reason=reason, cache_dir=out / pipeline.CACHE_DIR)
    pipeline.write_build(result, out)
    return result


def validate(*paths: str | Path) -> dict[str, int]:
    """Validate study files or folders as one corpus, writing nothing; the build's summary (studies, findings,
    concepts...). Raises InputError or ValidationError, each problem with its file and line."""
    return pipeline.build_graph([Path(p) for p in paths] or [_studies(None)], reason=False).summary


def queries() -> dict[str, CannedQuery]:
    """The canned queries by name: each with its title, research question, parameters and columns."""
    return load_queries()


def ask(name: str, params: dict[str, str] | None = None, lang: str | None = None, studies: str | Path | None = None,
        out: str | Path = "dist", engine: str = DEFAULT_ENGINE) -> QueryResult:
    """One canned query's answer on the graph built into `out` (built first when missing or older than its
    inputs). `result.columns`, `result.rows` (rdflib terms) and `result.records()` (dicts of text, which pandas
    takes as they are)."""
    query = get_query(name)
    given = dict(params or {}) | ({"lang": lang} if lang is not None else {})
    bind_parameters(query, given)  # a wrong parameter is reported before anything is built
    path, _ = pipeline.ensure_built(_studies(studies), Path(out))
    store = open_built(path, engine)
    check_concepts(store, query, given)
    return _run_query(store, query, given)


def export_graph(fmt: str = "turtle", what: str = "all", studies: str | Path | None = None,
                 out: str | Path = "dist") -> bytes:
    """The graph built into `out` (built first when needed), its ontology or its data (`what`: all, ontology,
    data) in one format: turtle, nt, jsonld, rdfxml, trig or nanopub. The same graph always gives the same
    bytes."""
    path, build = pipeline.ensure_built(_studies(studies), Path(out))
    return b"".join(export_built(path, build, what, fmt))
