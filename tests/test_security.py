"""Security regressions: no door left open to hostile text. Study files are read by a safe loader and no
code evaluates or shells out with user text; canned queries can neither reach another server nor change the
graph; parameter text is only ever a value; a long query is given up. (The server's refusals of SERVICE,
updates and Graph Store writes, and its time, row and memory limits, are tested against a running server in
test_serve.py and test_workers.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pvkg import _yamlfile as yamlfile
from pvkg._sparql.queries import QueryError, canned_text, get_query, load_queries, run_query
from pvkg._sparql.stores import OxigraphStore, QueryTimeoutError, TimeLimitedStore
from pvkg._sparql.syntax import keywords

PACKAGE = Path(__file__).resolve().parents[1] / "pvkg"
# calls that evaluate text as code or hand it to a shell, and loaders that build arbitrary objects
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "os.system", "os.popen", "yaml.load", "yaml.unsafe_load",
                   "yaml.full_load", "yaml.load_all", "pickle.load", "pickle.loads", "marshal.loads"}


def _called_name(node: ast.Call) -> str:
    function = node.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        return f"{function.value.id}.{function.attr}"
    return ""


# the places that start a program, each from an argument list (no shell): HermiT's Java, with pvkg's own files;
# git, for `pvkg diff REV` (a revision is resolved with --end-of-options, one starting with '-' refused, and the
# archive asked for by its commit hash)
STARTS_A_PROGRAM = {("reason.py", "_hermit"), ("builddiff.py", "_git")}


def test_no_code_evaluates_or_shells_out_with_text():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        owner = {}  # id of a node -> the innermost function around it (ast.walk meets outer functions first)
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner.update((id(child), function.name) for child in ast.walk(function))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            allowed = ((path.name, owner.get(id(node))) in STARTS_A_PROGRAM and bool(node.args)
                       and isinstance(node.args[0], ast.List))
            if name in FORBIDDEN_CALLS or (name.startswith("subprocess.") and not allowed):
                found.append(f"{path.name}:{node.lineno}: {name}")
            if any(k.arg == "shell" for k in node.keywords):
                found.append(f"{path.name}:{node.lineno}: shell=")
    assert found == []


def test_study_files_are_read_without_building_objects():
    """The reader builds its data from the parser's events, with no object constructor at all: a tag that
    would build an object (or any other tagged value) is refused, and nothing runs."""
    assert not hasattr(yamlfile, "_Loader")
    for tag in ("!!python/object/apply:os.system [touch /tmp/pvkg-pwned]", "!!python/name:os.system x",
                "!!binary aGk=", "!!set {a}", "!!timestamp 2020-01-01"):
        with pytest.raises(yamlfile.YAMLError, match="is not allowed"):
            yamlfile.load(f"a: {tag}\n")
    assert not Path("/tmp/pvkg-pwned").exists()


@pytest.mark.parametrize("text, says", [
    ("SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "uses SERVICE"),
    ("SELECT ?s WHERE { service <http://example.org/sparql> { ?s ?p ?o } }", "uses SERVICE"),
    ("DELETE WHERE { ?s ?p ?o }", "is a SPARQL Update"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "is a SPARQL Update"),
    ("DROP ALL", "is a SPARQL Update"),
])
def test_a_query_file_that_reaches_out_or_writes_is_refused(tmp_path, text, says):
    (tmp_path / "hostile.rq").write_text("#+ title: Hostile\n#+ description: x\n#+ columns: [s]\n" + text + "\n")
    with pytest.raises(QueryError, match=says):
        load_queries(tmp_path)


def test_the_word_service_inside_text_is_not_a_service_call(tmp_path):
    (tmp_path / "fine.rq").write_text('#+ title: Fine\n#+ description: x\n#+ columns: [s]\n'
                                      'SELECT ?s WHERE { ?s ?p "SERVICE <http://x> { }" } # SERVICE\n')
    assert "fine" in load_queries(tmp_path)


HOSTILE = ['value:transparency" . ?x ?y ?z } #', "value:transparency> } UNION { ?s ?p ?o",
           '""" } ; DROP ALL ; #', "x' } INSERT DATA { <urn:a> <urn:b> <urn:c> } #", "\\\" } SERVICE <http://x> {"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_parameter_text_is_only_ever_a_value(hostile, seed_build):
    query = get_query("evidence")
    benign = canned_text(query, {"concept": "value:transparency"})
    bound = canned_text(query, {"concept": hostile})
    assert keywords(bound) == keywords(benign)  # no keyword came in with the text
    result = run_query(OxigraphStore.from_graph(seed_build.graph), query, {"concept": hostile})
    assert result.rows == []  # matched as a (non-existent) concept id, nothing else


def test_a_hostile_language_parameter_is_refused(cli):
    code, _, err = cli("query", "values-perceived", "--lang", 'en" } UNION { ?s ?p ?o')
    assert code == 2 and "must be a language tag" in err and "Traceback" not in err


def test_a_long_query_is_given_up_on_the_embedded_store(seed_build):
    store = OxigraphStore.from_graph(seed_build.graph)
    # every pair of triples: about five million rows to count, some tenths of a second, then it ends
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    with pytest.raises(QueryTimeoutError, match="ran longer than 0.01 s"):
        TimeLimitedStore(store, 0.01).execute(heavy)
    light = TimeLimitedStore(store, 60).execute("ASK { ?s ?p ?o }")
    assert light.value is True
    with pytest.raises(SyntaxError):  # the engine's own errors still reach the caller
        TimeLimitedStore(store, 60).execute("SELECT WHERE {")


def test_pvkg_query_gives_up_after_its_time_limit(cli, tmp_path):
    # rdflib's engine spends some 100 ms parsing alone: no run can end within the first switch of threads
    # (Oxigraph's few milliseconds sometimes did)
    code, _, err = cli("query", "value-paths", "--store", "rdflib", "--timeout", "0.000001", "--out", tmp_path / "dist")
    assert code == 1 and "ran longer than 1e-06 s and was given up" in err and "--timeout" in err
    assert "Traceback" not in err


def test_rdflib_never_fetches_graphs_named_in_a_query(monkeypatch):
    """FROM <url> would make rdflib's engine fetch the URL into a dataset; importing pvkg's stores turns that
    off for good."""
    import socket

    from rdflib import Dataset

    import pvkg._sparql.stores  # noqa: F401  (sets rdflib's switch)
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: attempts.append(address))
    rows = list(Dataset().query("SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"))
    assert rows == [] and attempts == []
