"""The `pvkg` command. A thin layer: each command calls the library, prints what it returns, and turns a
PvkgError into one line per problem on stderr with exit code 1 (bad input) or 2 (usage). No traceback
reaches the user for anything the user can cause."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from . import __version__, pipeline, resources
from .errors import InputError, PvkgError, UsageError
from .query import answers, get_query, load_queries, run_query
from .results import FORMATS, render

app = typer.Typer(
    name="pvkg",
    help="The public-value knowledge graph of digital government: build, validate and check it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StudiesOption = Annotated[Path | None, typer.Option(
    "--studies", help="Folder of study files (default: ./studies, else the seed studies shipped with pvkg).",
    show_default=False)]


def _fail(command: str, error: PvkgError) -> None:
    for line in error.lines():
        typer.echo(line, err=True)
    if isinstance(error, InputError):
        for fine in error.fine_files:
            typer.echo(f"{fine}: fine", err=True)
        typer.echo(f"pvkg {command}: {len(error.problems)} problem(s); nothing was written", err=True)
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


def _print_table(rows: dict[str, object]) -> None:
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        typer.echo(f"  {key:<{width}}  {value}")


@app.command()
@reports_errors
def build(
    studies: StudiesOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder to write pvkg.ttl into.")] = Path("dist"),
    reason: Annotated[bool, typer.Option(help="Check consistency with HermiT before writing.")] = True,
) -> None:
    """Build the graph from the study files, validate it, check it, and write OUT/pvkg.ttl."""
    result = pipeline.build_graph([studies or resources.default_studies_dir()], reason=reason)
    target = pipeline.write_build(result, out)
    typer.echo(f"Built {target}")
    rows: dict[str, object] = dict(result.summary)
    if result.consistency is not None:
        rows["consistent"] = "yes (HermiT, OWL 2 DL)"
    _print_table(rows)
    unused = result.coverage[1]
    if unused:
        typer.echo(f"  never used (no finding, method or channel refers to them or to a narrower concept): "
                   f"{', '.join(unused)}")


@app.command()
@reports_errors
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Study files or folders, validated together as one corpus (default: the studies folder).",
        show_default=False)] = None,
) -> None:
    """Validate study files (YAML checks and SHACL shapes) without writing anything."""
    paths = paths or [resources.default_studies_dir()]
    result = pipeline.build_graph(paths, reason=False)
    for file in result.corpus.files:
        typer.echo(f"{file}: fine")
    summary = result.summary
    typer.echo(f"valid: {summary['studies']} studies, {summary['findings']} findings, "
               f"{summary['concepts']} concepts, 0 violations")


@app.command()
@reports_errors
def check(
    studies: StudiesOption = None,
    graph: Annotated[list[Path] | None, typer.Option(
        "--graph", help="Check these RDF files on top of the ontology instead of building from studies.",
        show_default=False)] = None,
) -> None:
    """Check with HermiT that the ontology and data are consistent, naming unsatisfiable classes."""
    if graph:
        rdf = pipeline.graph_with_ontology(graph)
    else:
        rdf = pipeline.build_graph([studies or resources.default_studies_dir()], reason=False).graph
    pipeline.require_consistent(rdf)
    typer.echo(f"consistent: {len(rdf)} triples, no unsatisfiable classes (HermiT, OWL 2 DL)")


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


def _graph(studies: Path | None, out: Path):
    path, result = pipeline.ensure_built(studies or resources.default_studies_dir(), out)
    if result is not None:
        typer.echo(f"(built {path} first: it was missing or older than its inputs)", err=True)
    return result.graph if result is not None else pipeline.load_built(path)


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
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")] = "table",
    studies: StudiesOption = None,
    out: OutOption = Path("dist"),
) -> None:
    """Run one canned query on the built graph and print its rows."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}")
    canned = get_query(name)
    params = _parse_params(param or [])
    if lang is not None:
        params["lang"] = lang
    result = run_query(_graph(studies, out), canned, params)
    typer.echo(render(result, fmt), nl=False)


@app.command()
@reports_errors
def answer(lang: LangOption = None, studies: StudiesOption = None, out: OutOption = Path("dist")) -> None:
    """Print every research question pvkg answers, each followed by its answer table."""
    for item in answers(_graph(studies, out), lang):
        typer.echo(f"\n## {item.query.title}  [pvkg query {item.query.name}]")
        typer.echo(f"{item.asked_by} asked: {item.query.question}\n")
        typer.echo(render(item.result, "table"), nl=False)


@app.command()
def version() -> None:
    """Print pvkg's version."""
    typer.echo(__version__)
