"""The `pvkg` command. A thin layer: each command calls the library, prints what it returns, and turns a
PvkgError into one line per problem on stderr with exit code 1 (bad input) or 2 (usage). No traceback
reaches the user for anything the user can cause."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from pvkg import _resources as resources
from pvkg._build import pipeline
from pvkg._build.holdings import since_last_build
from pvkg._files import (
    check_folder,
    check_replaceable,
    keeping_inputs,
    refuse_inputs,
    replace_folder,
    write_atomic,
    write_stream,
)
from pvkg._namespaces import DEFAULT_GRAPH
from pvkg._progress import shown_stages
from pvkg._publish.publish import publish as publish_graph
from pvkg._query.changes import DIFF_FORMATS, render_diff
from pvkg._sparql.queries import answers, bind_parameters, check_concepts, get_query, load_queries, run_query
from pvkg._sparql.remote import DEFAULT_MAX_ROWS, Endpoint
from pvkg._sparql.results import FORMATS, render
from pvkg._sparql.stores import (
    DEFAULT_ENGINE,
    ENGINES,
    EndpointStore,
    Store,
    TimeLimitedStore,
    check_engine,
    open_built,
)
from pvkg._version import __version__
from pvkg.errors import InputError, PvkgError, UsageError, printable

app = typer.Typer(
    name="pvkg",
    help="The public-value knowledge graph of digital government: build, check, query, serve and publish it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FormatOption = Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")]


def _check_format(fmt: str) -> None:
    """Refuse a --format the result writers do not know, before anything is read or built."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}")


StudiesOption = Annotated[Path | None, typer.Option(
    "--studies", help="Folder of study files (default: ./studies, else the seed studies shipped with pvkg).",
    show_default=False)]


def _say(text: str, err: bool = False) -> None:
    """Print one line of a message: file names and the user's text in it are escaped (see printable), so
    that a name holding a line break or a bidi control can neither split the line nor forge another."""
    typer.echo(printable(text), err=err)


def _fail(command: str, error: PvkgError) -> None:
    for line in error.lines():
        _say(line, err=True)
    if isinstance(error, InputError):
        for fine in error.fine_files:
            _say(f"{fine}: fine", err=True)
        _say(f"pvkg {command}: {len(error.problems)} problem(s); nothing was written", err=True)
    raise typer.Exit(error.exit_code)


def reports_errors(command):
    """Run a command body; a PvkgError becomes its lines on stderr and the error's exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PvkgError as error:
            _fail(command.__name__, error)

    return wrapper


def _print_table(rows: dict[str, object], notes: dict[str, str] | None = None) -> None:
    """Rows as `  key  value`, keys aligned; a note (a line of its own) after the row of its key."""
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        _say(f"  {key:<{width}}  {value}")
        if notes and notes.get(key):
            _say(f"  {notes[key]}")


@contextmanager
def _inputs_kept(studies: Path | None, *more: Path) -> Iterator[None]:
    """Run a command that reads the study files (and `more`): no file it writes may replace one of them."""
    with keeping_inputs([*pipeline.input_files(studies or resources.default_studies_dir()), *more]):
        yield


def _check_build_folder(out: Path) -> None:
    """Before building: the build's folder can be one, and the build would replace none of its inputs."""
    check_folder(out)
    for output in pipeline.build_outputs(out):
        refuse_inputs(output)


@app.command()
@reports_errors
def build(
    studies: StudiesOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder to write pvkg.ttl into.")] = Path("dist"),
    reason: Annotated[bool, typer.Option(help="Check consistency with HermiT before writing.")] = True,
) -> None:
    """Build the graph from the study files, validate it, check it, and write OUT/pvkg.ttl."""
    with _inputs_kept(studies), shown_stages() as stages:
        _check_build_folder(out)  # before building, not after
        result = pipeline.build_graph([studies or resources.default_studies_dir()], reason=reason,
                                      cache_dir=out / pipeline.CACHE_DIR, stages=stages,
                                      skip_hint="--no-reason skips the consistency check")
        stages.start(f"writing {out / pipeline.GRAPH_FILE}")
        target = pipeline.write_build(result, out)
    _say(f"Built {target}")
    rows: dict[str, object] = dict(result.summary)
    if result.cache is not None:
        rows["files validated"] = f"{result.cache.misses} (unchanged since the last build: {result.cache.hits})"
    if result.consistency is not None:
        rows["consistent"] = "yes (HermiT, OWL 2 DL)"
        rows["files checked"] = (f"{result.consistency.checked} (unchanged since the last build: "
                                 f"{result.consistency.proved_before})")
    rows["since the last build"] = since_last_build(result.since_last, result.first_in_folder)
    unused = result.coverage[1]
    _print_table(rows, {"concepts never used": unused and "never used (no finding, method or channel refers to "
                        f"them or to a narrower concept): {', '.join(unused)}"})


@app.command()
@reports_errors
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Study files or folders, validated together as one corpus (default: the studies folder).",
        show_default=False)] = None,
) -> None:
    """Validate study files (YAML checks and SHACL shapes) without writing anything. A study file given alone is
    checked with the files beside it that declare the concepts it uses."""
    paths = paths or [resources.default_studies_dir()]
    context = sorted({path.parent for path in paths if not path.is_dir()})
    with shown_stages() as stages:
        result = pipeline.build_graph(paths, reason=False, stages=stages, context=context)
    for file in result.corpus.files:
        also = result.corpus.also_read.get(file)
        _say(f"{file}: fine" + (f" (read for what it declares that the others refer to: {', '.join(also)})"
                                if also else ""))
    summary = result.summary
    typer.echo(f"valid: {summary['studies']} studies, {summary['findings']} findings, "
               f"{summary['concepts']} concepts, 0 violations")


@app.command()
@reports_errors
def schema(
    studies: Annotated[Path | None, typer.Option(
        "--studies", help="Also offer the concept ids this folder's study files declare.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).",
                                             show_default=False)] = None,
) -> None:
    """Print the JSON Schema of study files, which editors use to complete and check them as you type (the
    file pvkg ships is schema/study-file.schema.json; a study file names it on its first line)."""
    from pvkg._build.studies import concept_ids_by_prefix, read_corpus, vocabulary_concept_ids
    from pvkg._build.studyformat import schema_text

    if studies is None:
        concepts = vocabulary_concept_ids()
    else:
        concepts = concept_ids_by_prefix(read_corpus([studies], resources.vocabulary_files()).concepts)
    text = schema_text(concepts)
    if out is None:
        typer.echo(text, nl=False)
        return
    refuse_inputs(out)
    write_atomic(out, [text.encode("utf-8")])
    _say(f"Wrote {out} ({out.stat().st_size:,} bytes)", err=True)


@app.command()
@reports_errors
def concepts(
    text: Annotated[str | None, typer.Argument(help="Part of an id, label or other label, in any language "
                                               "(case and accents aside).", show_default=False)] = None,
    scheme: Annotated[str | None, typer.Option("--scheme", help="Only this scheme: value, characteristic, factor, "
                                               "method, channel or construct.", show_default=False)] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Show the labels in this language (English where "
                                             "missing); default: every language.", show_default=False)] = None,
    fmt: FormatOption = "table",
    studies: StudiesOption = None,
) -> None:
    """Look up concept ids for a study file: each concept's labels, scheme, broader concepts, the file and line
    that declare it, and how many findings name it. Read from the study and vocabulary files, without a build."""
    from pvkg._build.concepts import find_concepts

    _check_format(fmt)
    result = find_concepts([studies or resources.default_studies_dir()], resources.vocabulary_files(), text,
                           scheme, lang)
    if not result.rows:
        _say("no concept matches" + (f" {text!r}" if text else "") + (f" in scheme {scheme}" if scheme else ""),
             err=True)
        raise typer.Exit(1)
    typer.echo(render(result, fmt), nl=False)


@app.command()
@reports_errors
def check(
    studies: StudiesOption = None,
    graph: Annotated[list[Path] | None, typer.Option(
        "--graph", help="Check these RDF files on top of the ontology instead of building from studies.",
        show_default=False)] = None,
) -> None:
    """Check with HermiT that the ontology and data are consistent, naming unsatisfiable classes."""
    with shown_stages() as stages:
        if graph:
            stages.start(f"reading {len(graph)} RDF file(s)")
            rdf = pipeline.graph_with_ontology(graph)
        else:
            rdf = pipeline.build_graph([studies or resources.default_studies_dir()], reason=False,
                                       stages=stages).graph
        pipeline.reason_over(rdf, stages)
    typer.echo(f"consistent: {len(rdf)} triples, no unsatisfiable classes (HermiT, OWL 2 DL)")


@app.command()
@reports_errors
def diff(
    old: Annotated[str, typer.Argument(help="The earlier build: a folder `pvkg build --out` wrote, a folder of study "
                                       "files, or a git revision of the study files (git:REV, or REV).")],
    new: Annotated[str, typer.Argument(help="The later build, given the same ways.")],
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(DIFF_FORMATS)}.")] = "text",
    studies: Annotated[Path | None, typer.Option(
        "--studies", help="With a git revision: the folder of study files whose revision it is (default: "
        "./studies).", show_default=False)] = None,
) -> None:
    """Compare two builds in a researcher's terms: studies, findings, concepts and persons added, removed or
    changed (and what changed), and the canned queries whose answers changed. Exits 0 whether or not anything
    changed."""
    from pvkg._query.builddiff import diff_builds

    if fmt not in DIFF_FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(DIFF_FORMATS)}")
    with shown_stages() as stages:
        found = diff_builds(old, new, studies or Path("studies"), stages)
    if fmt == "json":
        typer.echo(render_diff(found, fmt), nl=False)
        return
    for line in render_diff(found, fmt).splitlines():
        _say(line)  # the study files' text, escaped where it holds a control or a bidi override


OutOption = Annotated[Path, typer.Option("--out", help="Folder of the built graph (built there if missing or stale).")]
LangOption = Annotated[str | None, typer.Option("--lang", help="Language of labels: en, fa, es... (English where "
                                                "a label is missing).", show_default=False)]


def _parse_params(params: list[str]) -> dict[str, str]:
    parsed = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param {item!r} must be KEY=VALUE, e.g. --param concept=value:transparency")
        parsed[key.strip()] = value
    return parsed


StoreOption = Annotated[str, typer.Option("--store", help=f"Embedded engine for the built graph: "
                                          f"{', '.join(ENGINES)}.")]
EndpointOption = Annotated[str | None, typer.Option(
    "--endpoint", help="Run on this SPARQL 1.1 query endpoint instead of the built graph.", show_default=False)]
GraphOption = Annotated[str, typer.Option("--graph", help="With --endpoint: the named graph to query (sent as "
                                          "default-graph-uri); '' for the server's default graph.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds a query may run (on the embedded store, or "
                                              "waiting for --endpoint) before it is given up.")]
MaxRowsOption = Annotated[int, typer.Option(
    "--max-rows", help="With --endpoint: the server's result-row limit; an answer this long is reported as cut "
                       "short (0: no check).")]


def _store(studies: Path | None, out: Path, engine: str, endpoint: str | None, graph: str, timeout: float,
           max_rows: int) -> Store:
    if endpoint is not None:
        return EndpointStore(Endpoint(endpoint, timeout=timeout), graph or None, max_rows)
    check_engine(engine)  # before building, not after
    path, result = _built(studies, out)
    return TimeLimitedStore(open_built(path, engine, result.graph if result is not None else None), timeout)


def _built(studies: Path | None, out: Path) -> tuple[Path, pipeline.Build | None]:
    """The built graph file, built first (and said so) when it is missing or stale. The build may not
    replace a file it reads (`--out ontology` would replace ontology/pvkg.ttl); the graph it replaces is no
    input of the build, though a command that goes on to read it keeps it as one of its own."""
    with _inputs_kept(studies), shown_stages() as stages:
        _check_build_folder(out)
        options = f"{f' --studies {studies}' if studies else ''} --out {out}"
        path, result = pipeline.ensure_built(studies or resources.default_studies_dir(), out, stages,
                                             skip_hint=f"`pvkg build --no-reason{options}` first skips it")
    if result is not None:
        _say(f"(built {path} first: it was missing or older than its inputs)", err=True)
    return path, result


@app.command("queries")
@reports_errors
def list_queries() -> None:
    """List the canned queries with their titles and the research questions they answer."""
    for query in load_queries().values():
        typer.echo(f"{query.name}: {query.title}")
        if query.question:
            typer.echo(f"    answers: {query.question} (asked by {query.asked_by})")
        parameters = ", ".join(f"{p.name}={p.default if p.default is not None else '(required)'}"
                               for p in query.parameters)
        if parameters:
            typer.echo(f"    parameters: {parameters}")


@app.command()
@reports_errors
def query(
    name: Annotated[str, typer.Argument(help="Name of a canned query (see `pvkg queries`).")],
    param: Annotated[list[str] | None, typer.Option("--param", help="KEY=VALUE, bound as a value; repeatable.",
                                                    show_default=False)] = None,
    lang: LangOption = None,
    fmt: FormatOption = "table",
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
    store: StoreOption = DEFAULT_ENGINE,
    endpoint: EndpointOption = None,
    graph: GraphOption = DEFAULT_GRAPH,
    timeout: TimeoutOption = 60.0,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
) -> None:
    """Run one canned query on the built graph (or a SPARQL endpoint) and print its rows."""
    _check_format(fmt)
    canned = get_query(name)
    params = _parse_params(param or [])
    if lang is not None:
        params["lang"] = lang
    bind_parameters(canned, params)  # a wrong parameter is reported before any build or connection
    opened = _store(studies, out, store, endpoint, graph, timeout, max_rows)
    check_concepts(opened, canned, params)  # a concept the graph does not hold: an error, not "(no rows)"
    result = run_query(opened, canned, params)
    typer.echo(render(result, fmt), nl=False)


@app.command()
@reports_errors
def compare(
    ids: Annotated[list[str] | None, typer.Argument(
        metavar="[STUDY-ID]...", help="Ids of the studies to compare, as in their study files (luna-2024); "
        "none: list the studies and their ids.", show_default=False)] = None,
    lang: LangOption = None,
    fmt: FormatOption = "table",
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
    store: StoreOption = DEFAULT_ENGINE,
    endpoint: EndpointOption = None,
    graph: GraphOption = DEFAULT_GRAPH,
    timeout: TimeoutOption = 60.0,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
) -> None:
    """Compare studies side by side: one column per study, one row per property (country, methods, sample,
    research questions, values, characteristics, factors and links found, each finding with its support)."""
    from pvkg._query.compare import compare as compare_studies
    from pvkg._query.compare import listing_text, studies_table

    _check_format(fmt)
    language = lang or "en"
    listing_text(language)  # a malformed --lang is reported before any build or connection
    opened = _store(studies, out, store, endpoint, graph, timeout, max_rows)
    table = compare_studies(opened, ids, language).table() if ids else studies_table(opened, language)
    typer.echo(render(table, fmt), nl=False)


@app.command()
@reports_errors
def answer(
    lang: LangOption = None,
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
    store: StoreOption = DEFAULT_ENGINE,
    endpoint: EndpointOption = None,
    graph: GraphOption = DEFAULT_GRAPH,
    timeout: TimeoutOption = 60.0,
    max_rows: MaxRowsOption = DEFAULT_MAX_ROWS,
) -> None:
    """Print every research question pvkg answers, each followed by its answer table."""
    for item in answers(_store(studies, out, store, endpoint, graph, timeout, max_rows), lang):
        typer.echo(f"\n## {item.query.title}  [pvkg query {item.query.name}]")
        typer.echo(f"{item.asked_by} asked: {item.query.question}\n")
        typer.echo(render(item.result, "table"), nl=False)


@app.command()
@reports_errors
def publish(
    endpoint: Annotated[str, typer.Option("--endpoint", help="The server's SPARQL 1.1 Update endpoint (also "
                                          "queried for the check unless --query-endpoint is given).")],
    graph: Annotated[str, typer.Option("--graph", help="The named graph to replace.")] = DEFAULT_GRAPH,
    gsp: Annotated[str | None, typer.Option("--gsp", help="The server's Graph Store HTTP Protocol endpoint; "
                                            "used when given and working, else SPARQL Update.",
                                            show_default=False)] = None,
    query_endpoint: Annotated[str | None, typer.Option("--query-endpoint", help="The SPARQL query endpoint for "
                                                       "the triple-count check.", show_default=False)] = None,
    user: Annotated[str | None, typer.Option("--user", help="User name for HTTP Basic or Digest "
                                             "authentication.", show_default=False)] = None,
    password_env: Annotated[str | None, typer.Option("--password-env", help="Name of the environment variable "
                                                     "holding the password (never given on the command line).",
                                                     show_default=False)] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each request.")] = 300.0,
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
) -> None:
    """Load the built graph into a named graph of a SPARQL store, replacing its previous version, and check
    the server's triple count."""
    password = None
    if password_env is not None:
        if user is None:
            raise UsageError("--password-env needs --user")
        password = os.environ.get(password_env)
        if password is None:
            raise UsageError(f"the environment variable {password_env} is not set; export it with the password")

    def remote(url: str) -> Endpoint:
        return Endpoint(url, user=user, password=password, timeout=timeout)

    path, _ = _built(studies, out)
    with shown_stages() as stages:
        report = publish_graph(path, remote(endpoint), graph,
                               query=remote(query_endpoint) if query_endpoint else None,
                               gsp=remote(gsp) if gsp else None, stages=stages)
    _say(f"Published {path} to <{report.graph}> at {report.endpoint} by {report.method}")
    _print_table({"triples here": report.local_triples, "triples there": report.remote_triples,
                  "seconds": f"{report.seconds:.1f}"})


@app.command()
@reports_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default; the server is "
                                      "read-only, but put a proxy in front of it before exposing it).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8080,
    store: StoreOption = DEFAULT_ENGINE,
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="Serve this SPARQL 1.1 endpoint's graph instead of the built one (a read-only proxy).",
        show_default=False)] = None,
    graph: GraphOption = DEFAULT_GRAPH,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run before it is stopped (and a "
                                           "request may wait for a canned query's answer).")] = 20.0,
    answer_timeout: Annotated[float, typer.Option("--answer-timeout", help="Seconds a canned query's answer may take "
                                                  "to compute (once per version of the graph).")] = 300.0,
    answer_disk: Annotated[int, typer.Option("--answer-disk", help="Disk the canned queries' stored answers may take, "
                                             "in MiB; past it, those used longest ago are removed.")] = 1024,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Rows (or triples) an answer may have.")] = 10000,
    workers: Annotated[int, typer.Option("--workers", help="Query worker processes (0: one per CPU, at least 2).")] = 0,
    worker_memory: Annotated[int, typer.Option("--worker-memory", help="Memory limit of each query worker, in MiB "
                                               "(0: none).")] = 4096,
    max_answer_chars: Annotated[int, typer.Option("--max-answer-chars", help="Characters an answer's terms may "
                                                  "hold in all (a bound on its bytes).")] = 32 * 1024 * 1024,
    max_connections: Annotated[int, typer.Option("--max-connections", help="Open connections; more are closed "
                                                 "at once.")] = 256,
    idle_timeout: Annotated[float, typer.Option("--idle-timeout", help="Seconds a connection may take to send a "
                                                "request's head, or stay idle between requests.")] = 10.0,
    max_header_bytes: Annotated[int, typer.Option("--max-header-bytes", help="Bytes a request's target and "
                                                  "headers may hold.")] = 16 * 1024,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Where clients reach the server (behind a proxy, its public address); it goes into "
        "JSON-LD contexts, the service description and VoID. Default: http://HOST:PORT/.",
        show_default=False)] = None,
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
) -> None:
    """Serve the graph over HTTP: a read-only SPARQL endpoint at /sparql, the canned queries as a REST API at
    /api/queries (OpenAPI at /openapi.json), web pages, and every resource at its IRI path."""
    from pvkg._serve.app import (
        allow_connections,
        check_base_url,
        check_port,
        create_app,
        run,
        store_source,
    )
    from pvkg._serve.http import ServeSettings

    if min(timeout, answer_timeout, answer_disk, max_rows, max_answer_chars, max_connections, idle_timeout,
           max_header_bytes) <= 0 or workers < 0 or worker_memory < 0:
        raise UsageError("--timeout, --answer-timeout, --answer-disk, --max-rows, --max-answer-chars, "
                         "--max-connections, --idle-timeout and --max-header-bytes must be positive, --workers and "
                         "--worker-memory 0 or more")
    check_port(host, port)
    settings = ServeSettings(timeout=timeout, answer_timeout=answer_timeout, answer_disk_mb=answer_disk,
                             max_rows=max_rows, workers=workers or max(2, os.cpu_count() or 1),
                             worker_memory_mb=worker_memory, max_answer_chars=max_answer_chars,
                             max_connections=max_connections, idle_timeout=idle_timeout,
                             max_header_bytes=max_header_bytes,
                             base_url=check_base_url(base_url or f"http://{host}:{port}/"))
    allow_connections(settings)
    if endpoint is not None:
        built = cache_dir = None
        source = store_source(store, None, Endpoint(endpoint, timeout=timeout), graph or None)
    else:
        check_engine(store)
        built, _ = _built(studies, out)
        cache_dir = out / pipeline.CACHE_DIR
        source = store_source(store, built)
    app = create_app(source, settings, built, cache_dir)
    _say(f"pvkg serve: {source.display} on http://{host}:{port}/ ({settings.workers} query workers; "
         f"Ctrl-C stops)", err=True)
    run(app, host, port, settings)


DistOption = Annotated[Path, typer.Option("--dist", help="Folder of the built graph (built there if missing or "
                                          "stale).")]


@app.command()
@reports_errors
def export(
    fmt: Annotated[str, typer.Option("--format", help="turtle, nt, jsonld, rdfxml, trig, or nanopub (every finding "
                                     "as a nanopublication, in TriG).")] = "turtle",
    what: Annotated[str, typer.Option("--what", help="all, ontology (merged with its import module) or data.")] = "all",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).",
                                             show_default=False)] = None,
    created: Annotated[str | None, typer.Option("--created", help="Creation time for nanopublications' "
                                                "publication info, e.g. 2026-11-24T00:00:00Z (default: none, so "
                                                "that the output depends on the graph only).",
                                                show_default=False)] = None,
    studies: StudiesOption = None,
    dist: DistOption = Path("dist"),
) -> None:
    """Write the built graph, its ontology or its data in one RDF format; the same graph always gives the
    same bytes."""
    from pvkg._publish.release import check_export, export_built

    check_export(what, fmt, created)
    with _inputs_kept(studies, dist / pipeline.GRAPH_FILE):
        if out is not None:
            refuse_inputs(out)  # before building, not after
        path, result = _built(studies, dist)
        with shown_stages(drawn=out is not None or not sys.stdout.isatty()) as stages:
            pieces = export_built(path, result, what, fmt, created, stages)
            if out is None:
                write_stream(sys.stdout.buffer, pieces)
                return
            write_atomic(out, pieces)
    _say(f"Wrote {out} ({out.stat().st_size:,} bytes)", err=True)


@app.command()
@reports_errors
def docs(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the HTML documentation into.")] = Path(
        "dist/docs"),
    studies: StudiesOption = None,
    dist: DistOption = Path("dist"),
) -> None:
    """Write HTML documentation of the ontology and its concept schemes (classes, properties, definitions,
    labels in every language, domains and ranges, concept hierarchies). OUT is replaced whole."""
    from pvkg._publish.docs import write_docs

    def write(path: Path, result: pipeline.Build | None, folder: Path) -> list[Path]:
        return write_docs(result.graph if result is not None else pipeline.load_built(path), folder)

    _write_pages(out, "the documentation", studies, dist, write)


@app.command()
@reports_errors
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path("dist/report"),
    lang: LangOption = None,
    studies: StudiesOption = None,
    dist: DistOption = Path("dist"),
) -> None:
    """Write the evidence report: a static HTML page with figures of what the studies found (values and the
    characteristics behind them, drivers and barriers, studies by country and method). OUT is replaced whole."""
    from pvkg._publish.report import write_report

    def write(path: Path, result: pipeline.Build | None, folder: Path) -> list[Path]:
        store = open_built(path, DEFAULT_ENGINE, result.graph if result is not None else None)
        return write_report(store, folder, lang or "en")

    _write_pages(out, "the evidence report", studies, dist, write)


def _write_pages(out: Path, what: str, studies: Path | None, dist: Path,
                 write: Callable[[Path, pipeline.Build | None, Path], list[Path]]) -> None:
    """Build the graph if needed, then write a folder of pages (docs, report) with `write(built graph file,
    the build if one ran, folder)`, replacing OUT whole; OUT is checked before anything is built."""
    with _inputs_kept(studies, dist / pipeline.GRAPH_FILE):
        check_replaceable(out)
        refuse_inputs(out, whole_folder=True)
        path, result = _built(studies, dist)
        with shown_stages() as stages:
            stages.start(f"writing {what} into {out}")
            files = replace_folder(out, lambda folder: write(path, result, folder))
    _say(f"Wrote {out / 'index.html'} ({len(files)} files)")


@app.command()
@reports_errors
def release(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the release into.")] = Path("dist"),
    changelog: Annotated[Path, typer.Option("--changelog", help="The changelog, which must have an entry for this "
                                            "version.")] = Path("CHANGELOG.md"),
    studies: StudiesOption = None,
) -> None:
    """Build, validate and check the graph, then write a release into OUT: the graph in every format (all,
    ontology, data), the findings as nanopublications, VoID/DCAT, the JSON-LD context, the ontology
    documentation, the evidence report and this version's CHANGELOG entry."""
    from pvkg._publish.release import check_release, write_release

    # A release folder is a deliverable: it may hold none of the files the release is made from (a release
    # into a checkout's root would replace its CHANGELOG.md)
    with _inputs_kept(studies, changelog), shown_stages() as stages:
        check_folder(out)
        refuse_inputs(out, whole_folder=True)
        check_release(out, changelog)  # a missing entry is reported before the build, not after
        result = pipeline.build_graph([studies or resources.default_studies_dir()],
                                      cache_dir=out / pipeline.CACHE_DIR, stages=stages)
        files = write_release(result, out, changelog, stages=stages)
    _say(f"Released pvkg {__version__} into {out}: {len(files)} files")
    _print_table({str(f.relative_to(out)): f"{f.stat().st_size:,} bytes" for f in files
                  if f.parent == out})


@app.command()
@reports_errors
def new(
    bibtex: Annotated[Path | None, typer.Option("--bibtex", help="A BibTeX file (.bib) exported by a reference "
                                                "manager or a publisher.", show_default=False)] = None,
    ris: Annotated[Path | None, typer.Option("--ris", help="A RIS file (.ris).", show_default=False)] = None,
    csl_json: Annotated[Path | None, typer.Option("--csl-json", help="A CSL-JSON file (.json): one item or a list.",
                                                  show_default=False)] = None,
    key: Annotated[str | None, typer.Option("--key", help="The entry to use where the file holds several: its "
                                            "citation key (RIS: its ID, else its number in the file; CSL-JSON: "
                                            "its id).", show_default=False)] = None,
    study_id: Annotated[str | None, typer.Option("--id", help="The study's id (default: the first authors' family "
                                                 "names and the year, as in luna-2024).", show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the study file into.")] = Path("studies"),
) -> None:
    """Write a starter study file into OUT, named after its id: the bibliographic record from one entry of a
    reference manager's export (BibTeX, RIS or CSL-JSON), `findings: []` and hints of what to add next; without
    an entry, a commented skeleton of every field. Never replaces a file."""
    from pvkg._build.starter import already_exists, new_study
    from pvkg._files import write_new

    given = [(fmt, path) for fmt, path in (("bibtex", bibtex), ("ris", ris), ("csl-json", csl_json)) if path]
    if len(given) > 1:
        raise UsageError("give one of --bibtex, --ris and --csl-json, not several")
    study = new_study(out, given[0] if given else None, key, study_id)
    write_new(study.path, study.text.encode("utf-8"), lambda: already_exists(study.path, study.id))
    made_from = f" from entry {study.entry.key} of {given[0][1]}" if study.entry else " (a skeleton)"
    _say(f"Wrote {study.path}: study {study.id}{made_from}")
    what = "add its findings" if study.entry else "fill in its fields and findings"
    _say(f"Next: {what} (docs/encoding.md), then check it with `pvkg validate {out}`")


@app.command()
def version() -> None:
    """Print pvkg's version."""
    typer.echo(__version__)


def _usage_line(error: Exception) -> str | None:
    """One line for a usage error (an unknown option or command, a missing argument, a value of the wrong
    type), or None for any other exception. Decided on the error's interface, which click and typer's copy of
    click share (format_message, exit_code, ctx), rather than on a class: typer 0.29 raises the classes of
    its own copy of click, which the package `click` does not know."""
    if not (callable(getattr(error, "format_message", None)) and isinstance(getattr(error, "exit_code", None), int)):
        return None
    command = getattr(getattr(error, "ctx", None), "command_path", None) or "pvkg"
    what = " ".join(str(error.format_message()).split()).rstrip(".")
    return f"{command}: {what}; see {command} --help"


def main(argv: list[str] | None = None) -> int:
    """The `pvkg` command. Usage errors come out as one line on stderr with exit code 2, drawn by pvkg and
    not by typer, whose drawing changes with its version (typer 0.29 with rich draws a box over several
    lines; 0.12 wrote one plain line). With no arguments it prints the help and exits 2, as a usage error,
    where typer 0.12 exited 0 and 0.29 exits 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        app(args=["--help"], prog_name="pvkg", standalone_mode=False)
        return 2
    try:
        code = app(args=args, prog_name="pvkg", standalone_mode=False)
    except typer.Abort:
        typer.echo("pvkg: aborted", err=True)
        return 1
    except Exception as error:
        line = _usage_line(error)
        if line is None:
            raise
        _say(line, err=True)
        return error.exit_code  # type: ignore[attr-defined]
    return code if isinstance(code, int) else 0
