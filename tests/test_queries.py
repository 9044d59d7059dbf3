"""The canned queries answer the research questions: golden answers on the seed data (compared as sets of
rows), a run on a graph without data, parameters that cannot change a query, and the output formats."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from rdflib import Graph

from pvkg.load import load_ontology
from pvkg.query import QueryError, bind_parameters, get_query, load_queries, run_query
from pvkg.results import render

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PVKG_REGEN_GOLDEN") == "1"  # PVKG_REGEN_GOLDEN=1 pytest tests/test_queries.py
REQUIRED = {
    "values-perceived": ["value", "level", "study", "locator"],
    "value-characteristic-links": ["characteristic", "value", "study", "locator"],
    "factors": ["category", "factor", "direction", "study"],
    "drivers-and-barriers": ["category", "drivers", "barriers", "driver_count", "barrier_count"],
    "evidence": ["finding", "statement", "study", "locator"],
    "studies": ["study", "year", "method", "country", "sample", "doi"],
    "citations": ["citing_study", "cited_as", "identified_as"],
    "value-framework": ["value", "framework_value", "dimension"],
    "contested": ["concept", "driver_studies", "barrier_studies"],
}
PARAMS = {"evidence": {"concept": "value:transparency"}}
QUERIES = load_queries()


def rows_of(csv_text: str) -> tuple[list[str], set[tuple[str, ...]]]:
    header, *rows = list(csv.reader(io.StringIO(csv_text)))
    return header, {tuple(r) for r in rows}


def test_every_required_query_is_there_with_its_columns_first():
    for name, columns in REQUIRED.items():
        assert name in QUERIES, name
        assert list(QUERIES[name].columns[: len(columns)]) == columns, name


def test_headers_say_what_each_query_is():
    for query in QUERIES.values():
        assert query.title and query.description, query.name
        assert all(p.description for p in query.parameters), query.name
        assert not query.text.lstrip().upper().startswith(("INSERT", "DELETE")), query.name
    answered = [q for q in QUERIES.values() if q.answer is not None]
    assert {q.name for q in answered} >= {"values-perceived", "value-characteristic-links", "factors",
                                          "drivers-and-barriers", "value-framework", "contested"}
    assert all(q.question and q.asked_by for q in answered)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_golden_answer_on_the_seed_data(name, seed_build):
    result = run_query(seed_build.graph, QUERIES[name], PARAMS.get(name))
    text = render(result, "csv")
    golden = GOLDEN / f"{name}.csv"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8", newline="")
    header, rows = rows_of(text)
    expected_header, expected_rows = rows_of(golden.read_text(encoding="utf-8"))
    assert header == expected_header
    assert rows == expected_rows


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_runs_on_a_graph_without_data(name):
    result = run_query(load_ontology(), QUERIES[name], PARAMS.get(name))
    assert result.columns == list(QUERIES[name].columns)
    assert result.rows == []


def test_drivers_and_barriers_names_two_drivers_and_fourteen_barriers(seed_build):
    result = run_query(seed_build.graph, QUERIES["drivers-and-barriers"])
    drivers = {f for row in result.rows if row[1] for f in str(row[1]).split("; ")}
    barriers = {f for row in result.rows if row[2] for f in str(row[2]).split("; ")}
    assert drivers == {"citizen experience", "technical infrastructure"}
    assert len(barriers) == 14 and "capital budgeting" in barriers and "cultural infrastructure" in barriers
    assert sum(int(row[3]) for row in result.rows) == 2
    assert sum(int(row[4]) for row in result.rows) == 14


def test_citations_show_the_citation_beside_the_identified_work(seed_build):
    rows = run_query(seed_build.graph, QUERIES["citations"]).rows
    by_citation = {str(r[1]): r for r in rows}
    assert len(by_citation) == 8
    assert str(by_citation["Aizhan et al. (2017)"][2]) == "Tursunbayeva, Franco & Pagliari (2017)"
    assert str(by_citation["Wukick and Mergel (2016)"][2]) == "Wukich & Mergel (2016)"
    assert str(by_citation["Gregory (2016)"][2]) == "Gregory (2016)"  # identified with its own study
    assert by_citation["Gregory (2016)"][3] is None  # cited as given; no correction is known


def test_labels_in_another_language_with_english_where_missing(seed_build):
    rows = run_query(seed_build.graph, QUERIES["factors"], {"lang": "fa"}).rows
    assert {str(r[0]) for r in rows} == {"مدیریتی", "سازمانی", "انسانی", "زیرساختی"}
    assert "transparency" in {str(r[1]) for r in rows}  # no Persian label in the source: English


def test_evidence_finds_a_concept_by_id_or_by_label_in_any_case(seed_build):
    by_id = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "factor:citizen-experience"}).rows
    by_label = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "Citizen Experience"}).rows
    assert by_id == by_label and len(by_id) == 1
    by_persian = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "مدیریتی"}).rows
    assert [str(r[0]).rsplit("/", 1)[1] for r in by_persian] == ["smsf-01"]


@pytest.mark.parametrize("hostile", ['x" } ; DROP ALL ; #', 'value:transparency" } UNION { ?s ?p ?o } #',
                                     "line one\nline two } } SELECT * WHERE { ?s ?p ?o", "<>", "\\u0022"])
def test_a_parameter_is_only_ever_a_value(hostile, seed_build):
    before = len(seed_build.graph)
    result = run_query(seed_build.graph, QUERIES["evidence"], {"concept": hostile})
    assert result.rows == []
    assert len(seed_build.graph) == before
    assert hostile not in QUERIES["evidence"].text


def test_unknown_queries_and_parameters_are_one_clear_line(cli):
    code, _, stderr = cli("query", "factor")
    assert code == 2 and stderr.count("\n") == 1
    assert "unknown query 'factor'; did you mean 'factors'" in stderr and "values-perceived" in stderr
    code, _, stderr = cli("query", "evidence", "--param", "concpt=value:equity")
    assert code == 2 and "has no parameter 'concpt'; did you mean 'concept'?; it takes: concept, lang" in stderr
    code, _, stderr = cli("query", "evidence")
    assert code == 2 and "needs --param concept=" in stderr
    code, _, stderr = cli("query", "factors", "--lang", "english please")
    assert code == 2 and "must be a language tag" in stderr
    with pytest.raises(QueryError):
        bind_parameters(get_query("factors"), {"nope": "1"})


def test_output_formats(cli, tmp_path):
    code, out, _ = cli("query", "drivers-and-barriers", "--format", "json", "--out", tmp_path)
    assert code == 0
    doc = json.loads(out)
    assert doc["head"]["vars"][:5] == REQUIRED["drivers-and-barriers"]
    first = doc["results"]["bindings"][0]
    assert first["driver_count"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    parsed = Graph().query  # the JSON must also be readable by a SPARQL results parser
    from rdflib.query import Result
    assert len(Result.parse(io.StringIO(out), format="json")) == 4
    code, out, _ = cli("query", "values-perceived", "--format", "tsv", "--out", tmp_path)
    assert out.splitlines()[0] == "value\tlevel\tstudy\tlocator"
    code, out, _ = cli("query", "values-perceived", "--format", "md", "--out", tmp_path)
    assert out.splitlines()[0] == "| value | level | study | locator |"
    code, out, _ = cli("query", "evidence", "--param", "concept=value:equity", "--out", tmp_path)
    assert "finding/luna2024-03" in out and "https://" not in out  # tables shorten pvkg IRIs
    code, out, _ = cli("query", "evidence", "--param", "concept=value:equity", "--format", "csv", "--out", tmp_path)
    assert "https://w3id.org/pvkg/id/finding/luna2024-03" in out
    del parsed


def test_query_builds_the_graph_when_it_is_missing(cli, tmp_path):
    out = tmp_path / "dist"
    code, stdout, stderr = cli("query", "studies", "--out", out)
    assert code == 0, stderr
    assert (out / "pvkg.ttl").is_file() and "built" in stderr
    code, stdout, stderr = cli("query", "studies", "--out", out)
    assert code == 0 and "built" not in stderr  # fresh: not rebuilt
    assert "Luna et al. (2024)" in stdout


def test_a_graph_built_by_other_pvkg_code_is_rebuilt(cli, tmp_path):
    """No input changed, but the graph was made by other code (an upgrade, another commit): build again."""
    import json
    out = tmp_path / "dist"
    assert cli("query", "studies", "--out", out)[0] == 0
    record = out / ".cache" / "built-by.json"
    assert json.loads(record.read_text())["code"]
    record.write_text(json.dumps({"pvkg": "0.0.1", "code": "other code"}))
    code, _, stderr = cli("query", "studies", "--out", out)
    assert code == 0 and "built" in stderr
    record.unlink()  # a build from before the record existed
    code, _, stderr = cli("query", "studies", "--out", out)
    assert code == 0 and "built" in stderr
    code, _, stderr = cli("query", "studies", "--out", out)
    assert code == 0 and "built" not in stderr


@pytest.mark.parametrize("damage, command", [  # each case rebuilds with HermiT: three, not every pairing
    ("append junk", ["query", "studies", "--out"]),
    ("cut short", ["export", "--format", "nt", "--dist"]),
    ("replace", ["query", "studies", "--out"]),
])
def test_a_built_graph_changed_after_the_build_is_built_again(cli, tmp_path, damage, command):
    """dist/pvkg.ttl edited by hand, cut short or copied over (newer than every input, so not stale by date)
    was handed to the parser, whose error came out as a traceback (`SyntaxError: Parser error at line 2532`
    from Oxigraph, `BadSyntax` from rdflib). Its SHA-256 is recorded beside it: a changed file is built
    again."""
    out = tmp_path / "dist"
    assert cli("build", "--out", out, "--no-reason")[0] == 0
    graph = out / "pvkg.ttl"
    text = graph.read_bytes()
    graph.write_bytes({"append junk": text + b"this is not turtle\n", "cut short": text[:len(text) // 2],
                       "replace": b"<urn:a> <urn:b> <urn:c> .\n"}[damage])
    code, stdout, stderr = cli(*command, out)
    assert code == 0, stderr
    assert "Traceback" not in stderr and graph.read_bytes() == text
    assert "Luna" in stdout


def test_answer_prints_each_question_then_its_table(cli, tmp_path):
    code, out, stderr = cli("answer", "--out", tmp_path)
    assert code == 0, stderr
    assert out.count("\n## ") == len([q for q in QUERIES.values() if q.answer is not None])
    assert "Luna et al. (2024) asked: What are the citizens' perceptions" in out
    assert out.index("values-perceived") < out.index("drivers-and-barriers") < out.index("contested")
    assert "pvkg editors asked: Which factors or links" in out
    assert "does not look like a valid URI" not in stderr


@pytest.mark.parametrize("header, message", [
    ("SELECT ?x WHERE { ?x ?p ?o }", "no '#+' header"),
    ("#+ title: [unclosed\nSELECT ?x WHERE { ?x ?p ?o }", "malformed '#+' header"),
    ("#+ title: t\n#+ descripton: d\n#+ columns: [x]\nSELECT ?x WHERE { ?x ?p ?o }",
     "unknown header field 'descripton'; did you mean 'description'?"),
    ("#+ title: t\n#+ columns: [x]\nSELECT ?x WHERE { ?x ?p ?o }", "the header needs 'description'"),
    ("#+ title: t\n#+ description: d\n#+ columns: [x]\n#+ question: q?\nSELECT ?x WHERE { ?x ?p ?o }",
     "'question' and 'asked-by' go together"),
    ("#+ title: t\n#+ description: d\n#+ columns: [x]\n#+ parameters: [{name: n, type: number}]\nSELECT ?x {}",
     "parameter 'n' has type 'number'"),
    ("#+ title: t\n#+ description: d\n#+ columns: [x]\n#+ answer: 1\nSELECT ?x WHERE { ?x ?p ?o }",
     "'answer' is the position"),
])
def test_a_bad_header_fails_loudly(tmp_path, header, message):
    (tmp_path / "bad.rq").write_text(header)
    with pytest.raises(QueryError, match=re.escape(message)):
        load_queries(tmp_path)


def test_header_columns_must_match_what_the_query_returns(tmp_path, seed_build):
    (tmp_path / "wrong.rq").write_text("#+ title: t\n#+ description: d\n#+ columns: [y]\n"
                                       "SELECT ?x WHERE { ?x a ?t } LIMIT 1")
    with pytest.raises(QueryError, match="differ from the columns the query returns"):
        run_query(seed_build.graph, load_queries(tmp_path)["wrong"])


def test_answers_do_not_depend_on_hash_order(tmp_path, seed_build):
    """Joined lists (GROUP_CONCAT) come from ordered subqueries: two processes with different hash seeds
    print the same bytes for every query."""
    import subprocess
    import sys

    from conftest import REPO

    script = (
        "from pathlib import Path\n"
        "from pvkg import pipeline\n"
        "from pvkg.query import load_queries, run_query\n"
        "from pvkg.results import render\n"
        f"graph = pipeline.build_graph([Path({str(REPO / 'studies')!r})], reason=False).graph\n"
        "for name, q in load_queries().items():\n"
        f"    print(render(run_query(graph, q, {PARAMS!r}.get(name)), 'csv'))\n"
    )
    outputs = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                              check=True, capture_output=True, text=True).stdout for seed in ("1", "2")}
    assert len(outputs) == 1
