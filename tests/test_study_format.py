"""The study-file format, declared once (pvkg/_build/studyformat.py), and what follows from it: the reader's fields, the
published JSON Schema (checked with the `jsonschema` library, as editors' tools read it) and the field tables
of docs/encoding.md. `PVKG_REGENERATE=1 pytest tests/test_study_format.py` writes the tables and the shipped
schema anew after the declaration changed."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from pvkg import _resources as resources
from pvkg._build.studies import read_corpus, vocabulary_concept_ids
from pvkg._build.studyformat import field_tables, schema_text
from pvkg._yamlfile import LineList, LineMap
from pvkg._yamlfile import load as load_yaml
from pvkg.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "encoding.md"
STUDIES = sorted((ROOT / "studies").glob("*.yaml"))
INVALID = ROOT / "tests" / "data" / "invalid"
REGEN = os.environ.get("PVKG_REGENERATE") == "1"
MARKED = re.compile(r"(<!-- fields: (?P<name>[\w-]+) -->\n)(?P<table>.*?)(<!-- /fields -->)", re.S)


def _plain(value):
    """A value of pvkg's YAML reader as plain JSON data."""
    if isinstance(value, LineMap):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, LineList):
        return [_plain(v) for v in value]
    return value


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(resources.study_schema_file().read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_docs_field_tables_are_the_declarations():
    text = DOCS.read_text(encoding="utf-8")
    tables = field_tables()
    found = {m.group("name") for m in MARKED.finditer(text)}
    assert found == set(tables), "each declared section has one place in docs/encoding.md"
    written = MARKED.sub(lambda m: m.group(1) + tables[m.group("name")] + "\n" + m.group(4), text)
    if REGEN:
        DOCS.write_text(written, encoding="utf-8")
        text = written
    assert written == text, "docs/encoding.md's field tables differ from pvkg/_build/studyformat.py: PVKG_REGENERATE=1"


def test_the_shipped_schema_is_the_one_pvkg_schema_makes():
    made = schema_text(vocabulary_concept_ids())
    path = resources.study_schema_file()
    if REGEN:
        path.write_text(made, encoding="utf-8", newline="\n")
    assert path.read_text(encoding="utf-8") == made, "schema/study-file.schema.json is stale: PVKG_REGENERATE=1"


def test_the_schema_offers_the_vocabulary_concept_ids():
    schema = json.loads(resources.study_schema_file().read_text(encoding="utf-8"))
    about = schema["properties"]["findings"]["items"]["properties"]["about"]["anyOf"][0]
    assert "value:transparency" in about["examples"] and "method:focus-groups" not in about["examples"]


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.name)
def test_every_study_file_passes_the_schema_and_names_it(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema/study-file.schema.json\n")
    errors = sorted(_validator().iter_errors(_plain(load_yaml(text))), key=str)
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


# Bad inputs the schema cannot see, each with why: the reader alone refuses them.
NOT_IN_THE_SCHEMA = {
    # not YAML pvkg reads, or not text: the YAML reader refuses them before any schema applies
    "alias-bomb", "control-character-escaped", "control-character-raw", "deeply-nested", "deeply-nested-mappings",
    "duplicate-key", "key-is-a-list", "lone-surrogate", "malformed-yaml", "map-tag-on-list",
    "not-utf8", "nul-escaped", "nul-raw", "number-too-long", "python-tag", "tab-before-list-item", "tab-indent",
    "two-documents", "unclosed-quote", "utf16-with-bom", "utf16-without-bom", "year-explicit-int-tag",
    # references to what other files declare, ids unique in the corpus, the file's name
    "cited-work-not-cited", "cites-itself", "concept-in-wrong-scheme", "doi-of-another-study",
    "duplicate-concept", "duplicate-finding-across-files", "duplicate-finding-within-file",
    "id-differs-from-file-name", "person-spelled-differently", "unknown-concept", "venue-spelled-differently",
    # text that shows nothing but is not empty (format characters), and IRI rules beyond a pattern
    "invisible-author", "invisible-label", "invisible-title", "url-bad-percent",
    # the derived support: second-hand exactly where `work` or `known-from` is
    "support-first-hand-with-work", "support-second-hand-without-work",
    # names not written 'Family, Given': told apart by the reader's look at the whole list
    "authors-flattened", "author-given-name-alone", "author-in-wrong-order",
    # a 'factor' finding with a direction about two factors (a count the schema does not keep)
    "direction-two-factors",
}


REFUSED_BY_THE_SHAPES = {"no-findings"}  # read, then refused by SHACL (tests/test_loader.py runs the whole build)


def _schema_errors(path: Path) -> list[str] | None:
    """The schema's errors for a file; None where pvkg's YAML reader refuses the file before any schema."""
    try:
        data = _plain(load_yaml(path.read_bytes().decode("utf-8")))
    except Exception:  # noqa: BLE001 - not YAML pvkg reads (the reader's own refusal is tested elsewhere)
        return None
    return [e.message for e in _validator().iter_errors(data)]


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_schema_refuses_what_the_reader_refuses(path):
    if path.stem not in REFUSED_BY_THE_SHAPES:
        with pytest.raises(InputError):  # beside the seed studies, as tests/test_loader.py reads it
            read_corpus([ROOT / "studies", path], resources.vocabulary_files())
    errors = _schema_errors(path)
    if path.stem in NOT_IN_THE_SCHEMA:  # kept honest: an entry the schema does catch is taken off the list
        assert not errors, f"{path.name}: the schema refuses it too; take it off NOT_IN_THE_SCHEMA"
    else:
        assert errors, f"{path.name}: the reader refuses it, the schema passes it"


def test_the_schema_accepts_the_minimal_valid_file():
    path = ROOT / "tests" / "data" / "valid" / "minimal-study.yaml"
    assert _schema_errors(path) == []
    read_corpus([path], resources.vocabulary_files())  # and so does the reader


def _minimal_with(tmp_path: Path, line: str) -> Path:
    text = (ROOT / "tests" / "data" / "valid" / "minimal-study.yaml").read_text(encoding="utf-8")
    path = tmp_path / "minimal-study.yaml"
    path.write_text(text.replace("\nyear:", f"\n{line}\nyear:", 1), encoding="utf-8")
    return path


def test_source_url_reaches_the_graph_as_the_encoding_s_provenance(tmp_path):
    from rdflib import URIRef

    from pvkg._build.load import corpus_to_graph
    from pvkg._namespaces import PVKG, work_iri

    path = _minimal_with(tmp_path, "source-url: https://doi.org/10.1016/j.giq.2010.03.001")
    graph, _ = corpus_to_graph(read_corpus([path], resources.vocabulary_files()))
    assert list(graph.objects(work_iri("minimal-study"), PVKG.encodedFrom)) == [
        URIRef("https://doi.org/10.1016/j.giq.2010.03.001")]


def test_a_source_url_that_is_no_web_address_is_refused_at_its_line(tmp_path):
    path = _minimal_with(tmp_path, "source-url: ftp://example.org/paper.pdf")
    with pytest.raises(InputError) as refused:
        read_corpus([path], resources.vocabulary_files())
    [problem] = refused.value.problems
    assert problem.line == 6 and problem.message.startswith("source-url 'ftp://example.org/paper.pdf' is not a web")


def test_pvkg_schema_prints_the_shipped_schema_and_adds_a_folder_s_concepts(tmp_path):
    from typer.testing import CliRunner

    from pvkg._cli import app

    printed = CliRunner().invoke(app, ["schema"])
    assert printed.exit_code == 0 and printed.stdout == resources.study_schema_file().read_text(encoding="utf-8")
    out = tmp_path / "schema.json"
    written = CliRunner().invoke(app, ["schema", "--studies", str(ROOT / "studies"), "--out", str(out)])
    schema = json.loads(out.read_text(encoding="utf-8"))
    to = schema["properties"]["findings"]["items"]["properties"]["to"]["anyOf"][0]["examples"]
    assert written.exit_code == 0 and "construct:citizen-engagement" in to  # declared in a study file
    _validator().validate(_plain(load_yaml(STUDIES[0].read_text(encoding="utf-8"))))
