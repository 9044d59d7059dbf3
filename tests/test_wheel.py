"""The built wheel carries the data folders and works outside the repository."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
                   check=True, capture_output=True)
    [built] = out.glob("pvkg-*.whl")
    return built


def test_wheel_contains_the_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("ontology/pvkg.ttl", "ontology/catalog-v001.xml", "ontology/imports/external.ttl",
                 "ontology/context.jsonld", "ontology/dataset.ttl", "queries/qc/language-tag-violation.rq",
                 "queries/compare/studies.rq", "queries/compare/record.rq", "queries/compare/findings.rq",
                 "ontology/robot/report-profile.txt", "ontology/robot/multiple-labels-in-one-language.rq",
                 "shapes/pvkg-shapes.ttl", "vocabulary/values.yaml", "studies/luna-2024.yaml",
                 "schema/study-file.schema.json"):
        assert f"pvkg/data/{path}" in names, path
    # what `pvkg serve` shows: templates, styles, and the query editor (no CDN)
    for path in ("templates/base.html", "templates/resource.html", "static/pvkg.css", "static/editor.js",
                 "static/vendor/yasgui/yasgui.min.js", "static/vendor/yasgui/yasgui.min.css",
                 "static/vendor/yasgui/LICENSE", "templates/docs_index.html", "templates/report.html",
                 "templates/compare.html", "templates/resource_macros.html", "templates/view_study.html",
                 "templates/view_finding.html", "templates/view_concept.html"):
        assert f"pvkg/{path}" in names, path


def test_installed_wheel_builds_the_seed_graph_outside_the_repository(wheel, tmp_path, seed_build):
    env_dir = tmp_path / "venv"
    # pvkg comes only from the wheel; its dependencies come from the test environment through a .pth file
    # appended after the new site-packages, so nothing is fetched again (the checkout's editable install
    # is a separate .pth there and is not copied)
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / "bin" / "python"
    import rdflib

    site = str(Path(rdflib.__file__).parents[1])  # the test environment's site-packages
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # dependencies from the test environment, appended after the wheel's own site-packages
    (Path(purelib) / "zz-test-dependencies.pth").write_text(site + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    result = subprocess.run([str(env_dir / "bin" / "pvkg"), "build", "--out", "dist", "--no-reason"],
                            cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    findings = re.search(r"^\s*findings\s+(\d+)$", result.stdout, re.M)
    assert findings and int(findings.group(1)) == len(seed_build.corpus.findings)
    where = subprocess.run([str(python), "-c", "import pvkg._resources as r; print(r.ontology_file())"],
                           cwd=work, check=True, capture_output=True, text=True).stdout.strip()
    assert "/site-packages/pvkg/data/ontology/" in where
    assert (work / "dist" / "pvkg.ttl").stat().st_size > 10_000
    assert "quality checks passed" in result.stdout and (work / "dist" / "void.ttl").is_file()
    # the JSON-LD export, the documentation and the report work from the wheel's data and templates
    for command in (["export", "--format", "jsonld", "--out", "pvkg.jsonld"], ["docs", "--out", "docs"],
                    ["report", "--out", "report"]):
        done = subprocess.run([str(env_dir / "bin" / "pvkg"), *command], cwd=work, capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
    assert '"@context": "https://w3id.org/pvkg/context.jsonld"' in (work / "pvkg.jsonld").read_text()
    # the comparison of studies, from the wheel's queries/compare/
    compared = subprocess.run([str(env_dir / "bin" / "pvkg"), "compare", "luna-2024", "mergel-2016", "--format", "csv"],
                              cwd=work, capture_output=True, text=True)
    assert compared.returncode == 0 and compared.stdout.startswith("property,luna-2024,mergel-2016"), compared.stderr
    assert (work / "docs" / "index.html").is_file() and (work / "report" / "index.html").is_file()
