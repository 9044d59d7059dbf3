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

from pvkg._build.load import load_ontology
from pvkg._sparql.queries import (
    QueryError,
    UnknownConceptError,
    bind_parameters,
    check_concepts,
    get_query,
    load_queries,
    run_query,
)
from pvkg._sparql.results import render
from pvkg._sparql.stores import OxigraphStore

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PVKG_REGEN_GOLDEN") == "1"  # PVKG_REGEN_GOLDEN=1 pytest tests/test_queries.py
REQUIRED = {
    "values-perceived": ["value", "level", "study", "locator", "strength"],
    "value-characteristic-links": ["characteristic", "value", "study", "locator"],
    "factors": ["category", "factor", "direction", "study", "support", "finding", "placement"],
    "drivers-and-barriers": ["category", "drivers", "barriers", "driver_count", "barrier_count"],
    "evidence": ["finding", "statement", "study", "locator", "concept_id", "kind", "support", "status", "strength",
                 "about_work"],
    "studies": ["study", "year", "method", "country", "sample", "doi", "cities", "known_from"],
    "citations": ["citing_study", "cited_as", "identified_as"],
    "value-framework": ["element", "kind", "named_in", "links", "placed_values"],
    "contested": ["relation", "driver_studies", "barrier_studies"],
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
    # the given name cited as if it were the family name: identified, with the correction beside it
    assert str(by_citation["Gregory (2016)"][2]) == "Porumbescu (2016)"
    assert "given name" in str(by_citation["Gregory (2016)"][3])


def test_labels_in_another_language_with_english_where_missing(seed_build):
    rows = run_query(seed_build.graph, QUERIES["factors"], {"lang": "fa"}).rows
    # the meta-synthesis's categories in Persian; Mergel's key activities have no Persian label: English
    assert {str(r[0]) for r in rows} == {"مدیریتی", "سازمانی", "انسانی", "زیرساختی",
                                         "key activities for adopting social media"}
    assert "transparency" in {str(r[1]) for r in rows}  # no Persian label in the source: English


def test_evidence_finds_a_concept_by_id_or_by_label_in_any_case(seed_build):
    by_id = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "factor:citizen-experience"}).rows
    by_label = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "Citizen Experience"}).rows
    assert by_id == by_label and len(by_id) == 1
    by_persian = run_query(seed_build.graph, QUERIES["evidence"], {"concept": "مدیریتی"}).rows
    assert [str(r[0]).rsplit("/", 1)[1] for r in by_persian] == ["smsf-01"]


def test_value_framework_shows_the_whole_frame_and_no_empty_column(seed_build):
    """Six values and three dimensions, the link by which the public-services dimension influences the other
    two, no value put under a dimension (no source says which falls under which), and every placement with
    who made it."""
    result = run_query(seed_build.graph, QUERIES["value-framework"])
    rows = result.records()
    kinds = [r["kind"] for r in rows]
    assert len(rows) == 9 and kinds.count("value") == 6 and kinds.count("dimension") == 3
    assert len({r["element"] for r in rows}) == 9
    assert "improved ethical behaviour and professionalism" in {r["element"] for r in rows}
    for column in result.columns:  # no column that can never be filled
        assert any(r[column] for r in rows), column
    assert all("Twizeyimana & Andersson (2019)" in r["named_in"] for r in rows)
    link = ("Improved Public Services (dimension) -> Improved Administration (dimension) and "
            "Improved Social Value (dimension) (ta2019-03)")
    dimensions = {r["element"] for r in rows if r["kind"] == "dimension"}
    assert {r["element"] for r in rows if r["links"] == link} == dimensions
    assert not any(r["links"] for r in rows if r["kind"] == "value")
    assert not any(r["placed_values"] for r in rows if r["kind"] == "dimension")  # the mapping is not inferred
    by_element = {r["element"]: r for r in rows}
    placed = by_element["open government capabilities"]["placed_values"].split("; ")
    assert "transparency (placed by pvkg editors)" in placed and len(placed) == 4
    services = by_element["improved public services"]["placed_values"]
    assert "convenience (under public value of digital services, placed by Buyannemekh et al. (2024))" in services
    assert "individual benefits (placed by pvkg editors)" in services
    assert all("placed by " in entry for r in rows if r["placed_values"] for entry in r["placed_values"].split("; "))


def test_studies_give_cities_sample_and_whom_a_study_is_known_from(seed_build):
    result = run_query(seed_build.graph, QUERIES["studies"])
    rows = {record["study"]: record for record in result.records()}
    studies = {s for s, in seed_build.graph.query("PREFIX pvkg: <https://w3id.org/pvkg/ontology#> "
                                                  "SELECT ?s WHERE { ?s a pvkg:Study }")}
    assert len(result.rows) == len(rows) == len(studies)  # one row per study
    luna = rows["Luna et al. (2024)"]
    assert luna["cities"] == "4 cities"  # the source counts the cities and names none
    assert luna["sample"] == "13 focus groups" and luna["known_from"] is None
    meta = "Factors Affecting Government Use of Social Media for Service Provision"
    medaglia = rows["Medaglia & Zhu (2017)"]
    assert medaglia["known_from"] == meta and medaglia["sample"] == "417 users"
    assert rows["Eom et al. (2018)"]["cities"] == "Seoul"
    assert rows[meta]["known_from"] is None
    assert {s for s, r in rows.items() if r["known_from"]} >= {"Medaglia & Zhu (2017)", "Mergel (2016)",
                                                               "Wukich & Mergel (2016)"}


def test_evidence_tells_the_kinds_of_a_shared_label_apart_and_says_how_each_finding_is_supported(seed_build):
    def run(concept):
        result = run_query(seed_build.graph, QUERIES["evidence"], {"concept": concept})
        return result.records()

    as_value, as_factor, by_label = run("value:transparency"), run("factor:transparency"), run("Transparency")
    assert {(r["concept_id"], r["kind"]) for r in as_value} == {("value:transparency", "value")}
    assert {(r["concept_id"], r["kind"]) for r in as_factor} == {("factor:transparency", "factor")}
    assert {tuple(r.values()) for r in by_label} == {tuple(r.values()) for r in as_value + as_factor}
    for row in by_label:
        assert row["support"] in {"first-hand", "second-hand"}
        assert row["status"] in {"result", "background", "proposition", "editors' reading"}
        assert row["strength"] in {"stated", "hedged", "weak"}
        if row["about_work"]:
            assert row["support"] == "second-hand"
    smsf22 = next(r for r in as_value if r["finding"].endswith("/smsf-22"))
    assert smsf22["support"] == "second-hand" and smsf22["about_work"].startswith("Aizhan et al. (2017)")
    assert {r["kind"] for r in run("citizen engagement")} <= {"construct"}


def test_an_unknown_concept_is_an_error_naming_the_nearest_ids(seed_build, cli, tmp_path):
    query = QUERIES["evidence"]
    check_concepts(seed_build.graph, query, {"concept": "value:transparency"})  # known: no error
    check_concepts(seed_build.graph, query, {"concept": "TRANSPARENCY"})  # a label, in any case
    with pytest.raises(UnknownConceptError) as caught:
        check_concepts(seed_build.graph, query, {"concept": "value:transparancy"})
    assert caught.value.suggestions[0] == "value:transparency" and caught.value.exit_code == 1
    with pytest.raises(UnknownConceptError) as caught:  # a label mistyped: the ids it belongs to
        check_concepts(seed_build.graph, query, {"concept": "transparancy"})
    assert {"value:transparency", "factor:transparency"} <= set(caught.value.suggestions)
    with pytest.raises(UnknownConceptError):  # a method is not something a finding can be about
        check_concepts(seed_build.graph, query, {"concept": "method:focus-groups"})
    code, out, stderr = cli("query", "evidence", "--param", "concept=value:transparancy", "--out", tmp_path)
    assert code == 1 and out == ""
    lines = [line for line in stderr.splitlines() if not line.startswith("(built ")]
    assert len(lines) == 1 and "did you mean 'value:transparency'" in lines[0] and "Traceback" not in stderr
    code, out, _ = cli("query", "evidence", "--param", "concept=value:transparency", "--out", tmp_path)
    assert code == 0 and "finding/luna2024-04" in out


@pytest.mark.parametrize("hostile", ['x" } ; DROP ALL ; #', 'value:transparency" } UNION { ?s ?p ?o } #',
                                     "line one\nline two } } SELECT * WHERE { ?s ?p ?o", "<>", "\\u0022"])
def test_a_parameter_is_only_ever_a_value(hostile, seed_build):
    before = len(seed_build.graph)
    result = run_query(seed_build.graph, QUERIES["evidence"], {"concept": hostile})
    assert result.rows == []
    with pytest.raises(UnknownConceptError):  # looked up as a value too: no concept has that id or label
        check_concepts(seed_build.graph, QUERIES["evidence"], {"concept": hostile})
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
    assert out.splitlines()[0] == "value\tlevel\tstudy\tlocator\tstrength"
    code, out, _ = cli("query", "values-perceived", "--format", "md", "--out", tmp_path)
    assert out.splitlines()[0] == "| value | level | study | locator | strength |"
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
    assert "pvkg editors asked: Which relations do different studies judge in opposite directions?" in out
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
    ("#+ title: t\n#+ description: d\n#+ columns: [x]\n#+ order: [y]\nSELECT ?x WHERE { ?x ?p ?o }",
     "'order' item 'y' must be one of the columns (x)"),
    ("#+ title: t\n#+ description: d\n#+ columns: [x]\n#+ order: [x down]\nSELECT ?x WHERE { ?x ?p ?o }",
     "'order' item 'x down' must be one of the columns (x)"),
])
def test_a_bad_header_fails_loudly(tmp_path, header, message):
    (tmp_path / "bad.rq").write_text(header)
    with pytest.raises(QueryError, match=re.escape(message)):
        load_queries(tmp_path)


def test_the_header_order_sorts_the_rows_as_order_by_would(tmp_path, seed_build):
    """A query without ORDER BY of its own (its lists are too long for Virtuoso to sort) comes out in its header's
    `order`, on every engine: the same rows as ORDER BY DESC(?kind) ?element, numbers by value, unbound first."""
    body = ("SELECT ?element ?kind ?n WHERE { VALUES (?element ?kind ?n) { "
            "(\"b\" \"value\" 10) (\"a\" \"value\" 9) (\"c\" \"dimension\" UNDEF) (UNDEF \"value\" 2) } }")
    (tmp_path / "ordered.rq").write_text(f"#+ title: t\n#+ description: d\n#+ columns: [element, kind, n]\n"
                                         f"#+ order: [kind desc, element]\n{body}\n")
    (tmp_path / "by_number.rq").write_text(f"#+ title: t\n#+ description: d\n#+ columns: [element, kind, n]\n"
                                           f"#+ order: [n]\n{body}\n")
    queries = load_queries(tmp_path)
    for store in (seed_build.graph, OxigraphStore.from_graph(seed_build.graph)):
        ordered = [(str(e) if e else None, str(k)) for e, k, _ in run_query(store, queries["ordered"]).rows]
        assert ordered == [(None, "value"), ("a", "value"), ("b", "value"), ("c", "dimension")]
        assert [r[2] and int(r[2]) for r in run_query(store, queries["by_number"]).rows] == [None, 2, 9, 10]


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
        "from pvkg._build import pipeline\n"
        "from pvkg._sparql.queries import load_queries, run_query\n"
        "from pvkg._sparql.results import render\n"
        f"graph = pipeline.build_graph([Path({str(REPO / 'studies')!r})], reason=False).graph\n"
        "for name, q in load_queries().items():\n"
        f"    print(render(run_query(graph, q, {PARAMS!r}.get(name)), 'csv'))\n"
    )
    outputs = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                              check=True, capture_output=True, text=True).stdout for seed in ("1", "2")}
    assert len(outputs) == 1
