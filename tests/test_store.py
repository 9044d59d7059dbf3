"""The embedded stores: every canned query gives the same rows on Oxigraph and on rdflib (the reference),
parameters reach every place their variable occurs and nothing else, and `--store` picks the engine."""

from __future__ import annotations

import pyoxigraph
import pytest
from rdflib import Literal
from rdflib.plugins.sparql import prepareQuery

from pvkg._sparql.queries import load_queries, run_query
from pvkg._sparql.results import render
from pvkg._sparql.stores import OxigraphStore, RdflibStore
from pvkg._sparql.syntax import substitute, without_comments

QUERIES = load_queries()
PARAMS = {"evidence": [{"concept": "value:transparency"}, {"concept": "Citizen Experience"},
                       {"concept": 'x" } UNION { ?s ?p ?o } #'}]}


def parameter_sets(name: str) -> list[dict[str, str]]:
    return [{**given, "lang": lang} for given in PARAMS.get(name, [{}]) for lang in ("en", "fa", "es")]


@pytest.fixture(scope="module")
def engines(seed_build):
    return RdflibStore(seed_build.graph), OxigraphStore.from_graph(seed_build.graph)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_oxigraph_gives_the_rows_rdflib_gives(name, engines):
    reference, fast = engines
    for given in parameter_sets(name):
        expected = run_query(reference, QUERIES[name], given)
        # the whole CSV, so order, unbound cells and literal forms must agree too
        assert render(run_query(fast, QUERIES[name], given), "csv") == render(expected, "csv"), given
        assert expected.rows or name in ("evidence", "contested", "chain-hypotheses"), f"{name} has no rows to compare"


def test_parameters_replace_variables_only():
    text = ('SELECT ?a WHERE { ?a <http://x.org/?lang> "?lang" . # ?lang\n'
            ' ?a ?p \'\'\'it\'s ?lang\'\'\' FILTER(?a < ?lang && langMatches(lang(?a), $lang)) }')
    out = substitute(text, {"lang": Literal("en")})
    assert out == ('SELECT ?a WHERE { ?a <http://x.org/?lang> "?lang" . # ?lang\n'
                   ' ?a ?p \'\'\'it\'s ?lang\'\'\' FILTER(?a < "en" && langMatches(lang(?a), "en")) }')
    assert substitute("FILTER(?language = ?lang)", {"lang": Literal("fa")}) == 'FILTER(?language = "fa")'


@pytest.mark.parametrize("hostile", ['x" } ; DROP ALL ; #', 'a\\" } UNION { ?s ?p ?o } #', "line\n} }",
                                     "\\", '"""', "'''", "é\r\n\t"])
def test_a_substituted_value_is_one_literal_on_every_engine(hostile, engines):
    text = substitute("SELECT ?v WHERE { BIND(?x AS ?v) }", {"x": Literal(hostile)})
    for store in engines:
        columns, rows = store.select(text)
        assert columns == ["v"] and rows == [(Literal(hostile),)], store.name


def test_every_canned_query_keeps_its_parameters_out_of_projections():
    """A parameter in SELECT or after AS would become a constant there: a broken query on every engine."""
    for query in QUERIES.values():
        given = {p.name: p.default or "x" for p in query.parameters}
        text = substitute(query.text, {k: Literal(v) for k, v in given.items()})
        prepareQuery(text)  # raises on a constant where a variable must be
        OxigraphStore(pyoxigraph.Store()).select(text)


def test_cli_store_choice_gives_the_same_output(cli, tmp_path):
    outputs = {}
    for engine in ("oxigraph", "rdflib"):
        code, stdout, stderr = cli("query", "drivers-and-barriers", "--store", engine, "--format", "csv",
                                   "--out", tmp_path)
        assert code == 0, stderr
        outputs[engine] = stdout
    assert outputs["oxigraph"] == outputs["rdflib"] and "human factors" in outputs["rdflib"]
    code, _, stderr = cli("answer", "--store", "blazegraph", "--out", tmp_path)
    assert code == 2 and "--store 'blazegraph' is not one of: oxigraph, rdflib" in stderr


def test_comments_go_but_strings_and_iris_with_a_hash_stay():
    text = '#+ title: x\nSELECT ?a # trailing\nWHERE { ?a <http://x.org/#frag> "# not a comment" }\n'
    assert without_comments(text) == 'SELECT ?a \nWHERE { ?a <http://x.org/#frag> "# not a comment" }'


@pytest.fixture(scope="module")
def synthetic_engines(tmp_path_factory):
    """A synthetic corpus of about 6,000 triples (bench/generate.py), built and loaded into both engines."""
    from bench.generate import generate
    from pvkg._build import pipeline

    corpus = generate(tmp_path_factory.mktemp("corpus") / "studies", 6000, seed=7)
    build = pipeline.build_graph([corpus.folder], reason=False)
    return RdflibStore(build.graph), OxigraphStore.from_graph(build.graph)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_oxigraph_gives_the_rows_rdflib_gives_on_a_synthetic_corpus(name, synthetic_engines):
    reference, fast = synthetic_engines
    given = PARAMS.get(name, [{}])[0]
    expected = run_query(reference, QUERIES[name], given)
    assert render(run_query(fast, QUERIES[name], given), "csv") == render(expected, "csv")
    assert expected.rows, f"{name} has no rows on the synthetic corpus"
