"""Study files in, problems out: each file under data/invalid/ says in its header what it must produce,
and the CLI must print exactly that kind of line (file, line, subject, what to do), exit 1, name the
good files as fine, and write nothing. tests/test_bad_input.py makes the bad inputs that cannot be committed
(a 50 MB file, links, unreadable files) and checks them with the same harness, `assert_refused`."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import STUDIES
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from typer.testing import CliRunner

from pvkg import _resources as resources
from pvkg._build.pipeline import build_graph
from pvkg._build.studies import read_corpus
from pvkg._cli import app
from pvkg._publish.export import CONTEXT_IRI, jsonld_bytes, rdfxml_bytes
from pvkg._rdftext import ntriples_bytes, turtle_bytes
from pvkg.errors import InputError

DATA = Path(__file__).parent / "data"
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
GOOD = "twizeyimana-andersson-2019.yaml"  # a seed study, always beside the bad input, always fine


def header_text(path: Path) -> str:
    """The text of a bad file, enough to read its header: a UTF-16 file is UTF-16 throughout (with or
    without its byte-order mark); every other file opens with ASCII comment lines, whatever follows."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data[1:2] == b"\0":
        return data.decode("utf-16-le")
    return data.decode("latin-1")


def expectations(path: Path) -> tuple[str, int | None]:
    header = header_text(path)
    expect = re.search(r"^# expect: (.+)$", header, re.M)
    assert expect, f"{path.name} has no '# expect:' line saying what it must produce"
    line = re.search(r"^# line: (\d+)$", header, re.M)
    return expect.group(1), int(line.group(1)) if line else None


def run_pvkg(*args) -> tuple[int, str]:
    """Run the pvkg CLI in-process; (exit code, stderr). Any exception other than a clean exit fails the
    test: CliRunner would keep it in result.exception, so a traceback would never reach stderr."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"pvkg {args[0]} raised instead of reporting:\n{result.stderr}") from result.exception
    return result.exit_code, result.stderr


def seed_corpus(tmp_path: Path) -> Path:
    """A studies folder holding copies of the seed studies."""
    folder = tmp_path / "studies"
    folder.mkdir()
    for study in STUDIES.glob("*.yaml"):
        (folder / study.name).write_bytes(study.read_bytes())
    return folder


def assert_refused(studies: Path, expect: str, name: str, line: int | None = None) -> list[str]:
    """Build `studies` and check what a user sees: exit 1; no traceback; exactly one line per problem, each
    naming its file; a line naming `name` (the bad file or folder, with `line` when given) that says
    `expect`; the good files beside it named as fine, the bad one not; the count; and nothing written.
    Returns the problem lines."""
    out = studies.parent / "dist"
    code, stderr = run_pvkg("build", "--studies", studies, "--out", out, "--no-reason")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    *body, last = stderr.splitlines()
    count = re.fullmatch(r"pvkg build: (\d+) problem\(s\); nothing was written", last)
    assert count, stderr
    fine = [text for text in body if text.endswith(": fine")]
    problems = [text for text in body if not text.endswith(": fine")]
    assert len(problems) == int(count.group(1)), stderr  # one line per problem, none spread over two
    assert all(text.startswith(str(studies.parent)) or "<graph>" in text for text in problems), stderr
    matching = [text for text in problems if expect in text]
    assert matching, f"no line says {expect!r}:\n{stderr}"
    place = f"/{name}:{line}: " if line is not None else f"/{name}:"
    assert any(place in text for text in matching), f"no line at {place!r}:\n{stderr}"
    assert any(text.endswith(f"/{GOOD}: fine") for text in fine), stderr
    assert not any(text.endswith(f"/{name}: fine") for text in fine), stderr
    assert not out.exists()
    return problems


def test_the_invalid_corpus_is_there():
    assert len(INVALID) >= 40


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_gives_one_clear_line(path, tmp_path):
    expect, line = expectations(path)
    studies = seed_corpus(tmp_path)
    (studies / path.name).write_bytes(path.read_bytes())
    assert_refused(studies, expect, path.name, line)


def test_valid_minimal_study_beside_the_seed_studies(cli, seed_build):
    code, stdout, stderr = cli("validate", STUDIES, DATA / "valid" / "minimal-study.yaml")
    assert code == 0, stderr
    assert "minimal-study.yaml: fine" in stdout
    studies, findings = len(seed_build.corpus.studies) + 1, len(seed_build.corpus.findings) + 1
    assert f"valid: {studies} studies, {findings} findings" in stdout


def test_every_problem_is_collected_in_one_pass(tmp_path):
    bad = tmp_path / "two-problems.yaml"
    text = (DATA / "valid" / "minimal-study.yaml").read_text().replace("minimal-study", "two-problems")
    bad.write_text(text.replace("year: 2020", "year: soon").replace("value:transparency", "value:nothing"))
    with pytest.raises(InputError) as caught:
        read_corpus([bad], resources.vocabulary_files())
    messages = [p.message for p in caught.value.problems]
    assert any("'year' must be a whole number" in m for m in messages)
    assert any("unknown concept id 'value:nothing'" in m for m in messages)


def test_same_concept_id_in_two_files_names_both(tmp_path):
    """Which of the two declarations should change is the user's call, so both files get a line and
    neither is called fine."""
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    concept = "concepts:\n  - id: value:speed\n    label: speed\n    definition: Getting things done quickly.\n"
    base = (DATA / "valid" / "minimal-study.yaml").read_text()
    first.write_text(base.replace("minimal-study", "a").replace("minimal-01", "a-01") + concept)
    second.write_text(base.replace("minimal-study", "b").replace("minimal-01", "b-01") + concept)
    with pytest.raises(InputError) as caught:
        read_corpus([tmp_path], resources.vocabulary_files())
    at_first, at_second = caught.value.problems
    assert at_first.file.endswith("a.yaml") and at_second.file.endswith("b.yaml")
    assert "duplicate concept id 'value:speed', declared again at" in at_first.message
    assert "b.yaml:14; give one of them a new id" in at_first.message
    assert "duplicate concept id 'value:speed', first declared at" in at_second.message
    assert "a.yaml:14; give one of them a new id" in at_second.message
    assert caught.value.fine_files == []


def test_a_utf8_byte_order_mark_is_accepted(tmp_path, cli):
    """YAML allows a UTF-8 byte-order mark (Windows editors write one): the study loads, and no U+FEFF
    sticks to its first key or to any text."""
    path = tmp_path / "bom-study.yaml"
    text = (DATA / "valid" / "minimal-study.yaml").read_text(encoding="utf-8").replace("minimal-study", "bom-study")
    text = text[text.index("id:"):]  # the mark right before the first key
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    corpus = read_corpus([path], resources.vocabulary_files())
    [study] = corpus.studies
    assert study.id == "bom-study" and study.record.title == {"en": "A minimal study"}
    assert "\ufeff" not in repr(corpus.studies)
    code, stdout, stderr = cli("validate", path)
    assert code == 0, stderr
    assert "bom-study.yaml: fine" in stdout


# Every character that means something in YAML, Turtle, N-Triples, JSON(-LD), RDF/XML or SPARQL, and escapes
# of each: text made of them must come out of every export as the same literal text, never as syntax.
TRICKY = ('He said "x", she said \'y\' ; """ \'\'\' > < & &amp; </b> <b> \\ \\" \\n \\u0041 \\t ; '
          '@prefix : <http://example.org/x> . _:b0 ?s $o } DROP ALL ; INSERT DATA { <a> <b> "c"^^<d> } '
          '# not a comment @en ]]> <!-- x --> {"@id": "x"} %20 `x` ~ | é فارسی 😀')
MULTILINE = TRICKY + "\nsecond line\twith a tab\n\nand a blank line above"


def test_text_with_syntax_characters_stays_literal_text(tmp_path):
    """Quotes, newlines, \"\"\", >, <, backslashes and Turtle or SPARQL fragments in a statement (where runs of
    whitespace become one space), a locator and a note (kept as written) come back as the same literals
    through Turtle, N-Triples, JSON-LD (expanded by PyLD) and RDF/XML."""
    path = tmp_path / "tricky.yaml"
    base = (DATA / "valid" / "minimal-study.yaml").read_text().replace("minimal-study", "tricky")
    # a JSON string is a YAML double-quoted scalar, once non-ASCII is kept as it is (YAML escapes no surrogates)
    quoted = json.dumps(TRICKY, ensure_ascii=False), json.dumps(MULTILINE, ensure_ascii=False)
    path.write_text(base.replace("statement: Citizens value transparency.",
                                 f"statement: {quoted[1]}\n    note: {quoted[1]}")
                        .replace("locator: Abstract", f"locator: {quoted[0]}"), encoding="utf-8")
    build = build_graph([path], reason=False)
    finding = URIRef("https://w3id.org/pvkg/id/finding/minimal-01")
    expected = {
        URIRef("https://w3id.org/pvkg/ontology#statement"): {Literal(" ".join(MULTILINE.split()), lang="en")},
        URIRef("https://w3id.org/pvkg/ontology#locator"): {Literal(TRICKY)},
        URIRef("http://www.w3.org/2004/02/skos/core#editorialNote"): {Literal(MULTILINE, lang="en")},
    }
    triples = build.triples
    for name, graph in (("turtle", Graph().parse(data=turtle_bytes(triples), format="turtle")),
                        ("n-triples", Graph().parse(data=ntriples_bytes(triples), format="nt")),
                        ("json-ld", _expanded(jsonld_bytes(triples))),
                        ("rdf/xml", Graph().parse(data=rdfxml_bytes(triples), format="xml"))):
        for predicate, literals in expected.items():
            assert set(graph.objects(finding, predicate)) == literals, (name, predicate)


def _offline_loader(url, options=None):
    """PyLD's document loader for pvkg's context: the shipped file, never the network."""
    assert url == CONTEXT_IRI, f"JSON-LD asked for {url}"
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(resources.context_file().read_text(encoding="utf-8"))}


def _expanded(data: bytes) -> Graph:
    nquads = jsonld.to_rdf(json.loads(data), {"format": "application/n-quads", "documentLoader": _offline_loader})
    return Graph().parse(data=nquads, format="nt")


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_never_changes_its_input_files(tmp_path):
    """Every file under the studies folder has the same bytes (and no file comes or goes) after a build
    that succeeds and after one that fails."""
    studies = seed_corpus(tmp_path)
    (studies / "more").mkdir()
    (studies / "more" / "minimal-study.yaml").write_bytes((DATA / "valid" / "minimal-study.yaml").read_bytes())
    before = _hashes(studies)
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "good", "--no-reason")
    assert code == 0, stderr
    assert _hashes(studies) == before
    for bad in ("unknown-concept.yaml", "not-utf8.yaml", "alias-bomb.yaml"):
        (studies / bad).write_bytes((DATA / "invalid" / bad).read_bytes())
    before = _hashes(studies)
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "bad", "--no-reason")
    assert code == 1, stderr
    assert _hashes(studies) == before
