"""The project's environments are uv.lock: the lock agrees with pyproject.toml, the environment running these
tests is exactly what the lock says, and the build backend that installs pvkg itself is the lock's.

These run uv (`.tools/bin/uv`, which the Makefile installs from requirements-uv.txt, or `uv` on PATH) offline:
they read the lock and the installed packages, never the registry. Without uv they skip, except under CI=true,
where they fail (CI must check what it installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _uv() -> str:
    found = shutil.which("uv", path=str(ROOT / ".tools" / "bin")) or shutil.which("uv")
    if found is None:
        message = "uv is not installed: run `make test`, which installs it into .tools/"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def run_uv(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1", "UV_PROJECT_ENVIRONMENT": sys.prefix}
    return subprocess.run([_uv(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_lock_agrees_with_pyproject():
    result = run_uv("lock", "--check", "--python", sys.executable)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("change", [
    ('"jinja2>=3.1",', '"jinja2>=3.1",\n  "requests>=2",'),  # a new dependency
    ('"rdflib>=7.0"', '"rdflib>=7.0,<7.1"'),  # a range the locked version falls outside
])
def test_a_pyproject_the_lock_does_not_match_is_caught(tmp_path, change):
    """The check above is real: it fails for a copy of the project whose pyproject.toml has moved on."""
    old, new = change
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "pyproject.toml").write_text(text.replace(old, new), encoding="utf-8")
    shutil.copy(ROOT / "uv.lock", tmp_path / "uv.lock")
    result = run_uv("lock", "--check", "--python", sys.executable, cwd=tmp_path)
    assert result.returncode != 0, result.stderr


def test_this_environment_is_the_lock():
    """Every package the lock gives pvkg[test] on this machine is installed at the locked version (packages
    the lock does not name, a developer's own tools, are allowed)."""
    result = run_uv("sync", "--locked", "--check", "--inexact", "--no-install-project", "--extra", "test",
                    "--python", sys.executable)
    assert result.returncode == 0, result.stderr


def test_the_build_backend_is_the_locked_one():
    """[tool.uv] build-constraint-dependencies pins what installs pvkg itself to the versions in the lock
    (`make lock` keeps them in step through scripts/pin-build-backend)."""
    locked = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text("utf-8"))["package"]}
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["uv"]["build-constraint-dependencies"]
    assert pins
    for pin in pins:
        name, _, version = pin.partition("==")
        assert locked.get(name) == version, f"{pin} in pyproject.toml, {locked.get(name)} in uv.lock: run make lock"


def test_dependencies_stay_ranges():
    """Someone who `pip install pvkg`s into an environment of their own is not pinned: no == in pyproject's
    dependencies or extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert not [r for r in requirements if "==" in r]
