"""pvkg from Python, as the README shows it: the functions `import pvkg` offers, on the seed studies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

import pvkg
from pvkg.errors import InputError

STUDIES = Path(__file__).resolve().parents[1] / "studies"


def test_the_public_functions_are_those_import_pvkg_offers():
    assert sorted(pvkg.__all__) == ["__version__", "ask", "build_graph", "export_graph", "queries", "validate"]
    with pytest.raises(AttributeError):
        pvkg.no_such_function  # noqa: B018


def test_import_pvkg_loads_no_stage():
    """The functions are loaded when first used: `import pvkg` brings neither rdflib nor a stage."""
    code = "import sys, pvkg; print(sorted(m for m in sys.modules if m.startswith(('pvkg.', 'rdflib'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['pvkg._version']"


def test_build_ask_and_export_from_python(tmp_path):
    out = tmp_path / "dist"
    built = pvkg.build_graph(STUDIES, out=out)
    assert (out / "pvkg.ttl").is_file() and built.summary["studies"] == 13
    answer = pvkg.ask("factors", lang="fa", studies=STUDIES, out=out)
    records = answer.records()
    assert records and set(records[0]) == set(answer.columns) == set(pvkg.queries()["factors"].columns)
    assert all(isinstance(v, str | None) for row in records for v in row.values())  # what pandas takes as it is
    nt = pvkg.export_graph("nt", studies=STUDIES, out=out)
    assert len(Graph().parse(data=nt, format="nt")) == len(Graph().parse(out / "pvkg.ttl"))


def test_validate_returns_the_summary_or_raises_with_each_problem(tmp_path):
    assert pvkg.validate(STUDIES)["findings"] > 0
    bad = tmp_path / "bad-2020.yaml"
    bad.write_text("id: bad-2020\ntitle: A study\nauthors: [Doe, Jane]\nyer: 2020\nfindings: []\n", encoding="utf-8")
    with pytest.raises(InputError) as refused:
        pvkg.validate(bad)
    assert any("unknown field 'yer'; did you mean 'year'" in p.message for p in refused.value.problems)


def test_everything_but_the_api_is_private_by_name():
    """What `import pvkg` offers (and the exception types of pvkg.errors) is public; every other module's name, or
    its package's, begins with an underscore, so that no one takes it for part of the API."""
    package = Path(pvkg.__file__).parent
    public = {"__init__.py", "__main__.py", "errors.py"}
    named = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if p.name not in public or p.parent != package]
    assert [n for n in named if not n.startswith("_")] == []
