"""What a researcher adding a study meets: a file checked on its own against the corpus it sits in, author
names that are not 'Family, Given', `pvkg concepts` to look ids up."""

from __future__ import annotations

from pathlib import Path

from test_loader import run_pvkg, seed_corpus
from typer.testing import CliRunner

from pvkg._cli import app

NEW_STUDY = """id: newcomer-2020
type: journal-article
title: A new study
authors:
  - Doe, Jane
year: 2020
findings:
  - id: newcomer-01
    kind: link
    locator: Abstract
    statement: Engaged citizens come to trust their government.
    from: [construct:citizen-engagement]
    to: [value:trust]
"""


def test_a_file_validated_alone_is_read_with_the_files_that_declare_what_it_uses(tmp_path):
    """Before: 'unknown concept id construct:citizen-engagement; declare it under concepts', advice that then
    fails as a duplicate when the corpus is built. Now the file declaring it is read beside it, and named."""
    studies = seed_corpus(tmp_path)
    new = studies / "newcomer-2020.yaml"
    new.write_text(NEW_STUDY, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(new)])
    assert result.exit_code == 0, result.stderr
    assert f"{studies / 'medaglia-zhu-2017.yaml'}: fine (read for what it declares that the others refer to: " \
           "construct:citizen-engagement)" in result.stdout
    assert f"{new}: fine\n" in result.stdout


def test_an_id_no_file_declares_is_still_unknown(tmp_path):
    studies = seed_corpus(tmp_path)
    new = studies / "newcomer-2020.yaml"
    new.write_text(NEW_STUDY.replace("construct:citizen-engagement", "construct:citizen-engagment"), encoding="utf-8")
    code, stderr = run_pvkg("validate", new)
    assert code == 1 and "unknown concept id 'construct:citizen-engagment'" in stderr


def test_a_folder_validated_reads_nothing_beside_it(tmp_path):
    studies = seed_corpus(tmp_path)
    result = CliRunner().invoke(app, ["validate", str(studies)])
    assert result.exit_code == 0 and "read for what it declares" not in result.stdout


def test_files_outside_the_folder_are_not_read(tmp_path):
    studies = seed_corpus(tmp_path)
    alone = Path(tmp_path / "elsewhere")
    alone.mkdir()
    (alone / "newcomer-2020.yaml").write_text(NEW_STUDY, encoding="utf-8")
    code, stderr = run_pvkg("validate", alone / "newcomer-2020.yaml")
    assert code == 1 and "unknown concept id 'construct:citizen-engagement'" in stderr and studies.is_dir()


def _concepts(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["concepts", *args])
    return result.exit_code, result.stdout


def test_concepts_finds_ids_by_any_label_in_any_language_without_case_or_accents():
    code, out = _concepts("Democratic PARTICIPATION", "--format", "csv")  # an other label, in capitals
    header, *rows = out.splitlines()
    assert code == 0 and header == "id,labels,scheme,broader,declared,findings,iri"
    assert [row.split(",")[0] for row in rows] == ["value:participation"]
    code, out = _concepts("فراترکیب", "--format", "csv")  # the Persian label of meta-synthesis
    assert code == 0 and "method:meta-synthesis," in out


def test_concepts_say_where_each_is_declared_and_how_many_findings_name_it():
    code, out = _concepts("citizen engagement", "--format", "json")
    [binding] = __import__("json").loads(out)["results"]["bindings"]
    assert code == 0 and binding["id"]["value"] == "construct:citizen-engagement"
    assert binding["declared"]["value"].endswith("studies/medaglia-zhu-2017.yaml:28")
    # the findings of the seed studies that name it (about, from or to), counted from their files
    assert binding["findings"]["value"] == "2" and binding["scheme"]["value"] == "construct"


def test_concepts_of_one_scheme_in_one_language():
    code, out = _concepts("--scheme", "factor", "--lang", "fa", "--format", "csv")
    rows = out.splitlines()[1:]
    assert code == 0 and rows and all(row.startswith("factor:") for row in rows)
    assert any("مدیریتی" in row for row in rows)  # the Persian label of factor:managerial


def test_concepts_refuse_an_unknown_scheme_and_say_when_nothing_matches():
    result = CliRunner().invoke(app, ["concepts", "--scheme", "values"])
    assert result.exit_code == 2 and "--scheme 'values' is not one of: value, characteristic" in result.stderr
    result = CliRunner().invoke(app, ["concepts", "no such thing at all"])
    assert result.exit_code == 1 and "no concept matches 'no such thing at all'" in result.stderr


def test_concept_look_up_ignores_accents():
    from pvkg._build.concepts import _folded

    assert _folded("Participación Ciudadana") == _folded("participacion ciudadana") == "participacion ciudadana"


def test_the_worked_example_of_the_encoding_guide_runs_as_written(tmp_path):
    """docs/encoding.md section 8, from its own code blocks: the BibTeX entry becomes a starter file, the YAML block
    completes it, and validate and compare say what the guide shows."""
    import re

    from pvkg._cli import app as cli_app

    guide = (Path(__file__).resolve().parents[1] / "docs" / "encoding.md").read_text(encoding="utf-8")
    section = guide[guide.index("## 8. A worked example"):]
    bibtex = re.search(r"```bibtex\n(.*?)```", section, re.S).group(1)
    filled = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    studies = seed_corpus(tmp_path)
    (tmp_path / "example.bib").write_text(bibtex, encoding="utf-8")
    runner = CliRunner()
    made = runner.invoke(cli_app, ["new", "--bibtex", str(tmp_path / "example.bib"), "--out", str(studies)])
    assert made.exit_code == 0, made.stderr
    path = studies / "example-sample-2025.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("# source-file:")] + filled, encoding="utf-8")
    checked = runner.invoke(cli_app, ["validate", str(path)])
    assert checked.exit_code == 0, checked.stderr
    assert "(read for what it declares that the others refer to: value:convenience)" in checked.stdout
    compared = runner.invoke(cli_app, ["compare", "example-sample-2025", "buyannemekh-2024", "--studies", str(studies),
                                       "--out", str(tmp_path / "dist"), "--format", "csv"])
    assert compared.exit_code == 0, compared.stderr
    assert "convenience → trust in government: driver (example2025-01: first-hand, result, stated, correlational)" \
        in compared.stdout
