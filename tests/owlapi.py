"""The OWL API (Debian's `libowlapi-java`, 5.1), the library Protégé and ROBOT load ontologies with, run by a
small loader of ours, tests/owlapi/OwlApiLoad.java, which loads each file it is given into a manager of its own
and prints what it loaded (the ontology's IRI, how many ontologies, axioms, classes...) or the error.

A test module uses it through the session fixture:

    from owlapi import owlapi_fixture  # noqa: F401  (the pytest fixture `owlapi`)

Debian's Java runtime cannot compile, so the loader is compiled once per session with `javac` from
`default-jdk-headless` into a temporary folder. Without javac or the OWL API the tests that use it are
skipped, naming the packages to install; with CI=true they fail instead (as tests/jena.py's do).

Nothing may come from the network: the loader resolves an import only through an OASIS catalog
(catalog-v001.xml) beside the file and maps every other import IRI to a file that does not exist, so a
remote import fails as "refused"; and its JVM runs with Jena's offline options (an HTTP(S) proxy that is
not there), so any fetch that slipped past would fail too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from jena import JAVA_DIR, JVM_ENVIRONMENT, JVM_OPTIONS
from servers import _missing

SOURCE = Path(__file__).parent / "owlapi" / "OwlApiLoad.java"
MAIN = "OwlApiLoad"
# The OWL API and what libowlapi-java and librdf4j-java depend on, as jars; slf4j-simple prints the OWL API's log
OWLAPI_JARS = ("owlapi-distribution", "atinject-jsr330-api", "caffeine", "commons-codec", "commons-io",
               "commons-lang3", "commons-logging", "commons-rdf-api", "commons-text", "guava", "hppcrt",
               "httpclient", "httpclient-cache", "httpcore", "jackson-annotations", "jackson-core",
               "jackson-databind", "jaxb-api", "jsonld-java", "jsr305", "xz", "slf4j-api", "slf4j-simple")
PACKAGES = "apt-get install libowlapi-java default-jdk-headless"
TIMEOUT_S = 300

_FIELD = re.compile(r"([a-z_]+)=([^\t]*)")


@dataclass
class Loaded:
    """What the OWL API made of one file: `error` when it could not load it, else the counts."""

    file: str  # the path, as given
    error: str | None = None
    ontologies: int = 0  # in the manager after loading: the file's ontology and any it imported
    iri: str = ""  # the loaded ontology's IRI ("" for an anonymous ontology)
    imports: int = 0  # owl:imports declarations of the loaded ontology
    axioms: int = 0  # imports included
    logical_axioms: int = 0
    classes: int = 0  # in the signature, imports included
    individuals: int = 0
    unparsed_triples: int = 0  # triples the RDF parser could not map to OWL 2
    dl_violations: int = 0  # of the OWL 2 DL profile
    ms: int = 0  # loading time, in the JVM


def _loaded(line: str) -> Loaded:
    fields = dict(_FIELD.findall(line))
    return Loaded(**{k: v if k in ("file", "error", "iri") else int(v) for k, v in fields.items()})


class OwlApi:
    """Debian's OWL API and the compiled loader."""

    def __init__(self, java: str, classes: Path):
        self.java = java
        self.class_path = [*(JAVA_DIR / f"{name}.jar" for name in OWLAPI_JARS), *_rdf4j_jars(), classes]

    def load(self, paths: Sequence[Path]) -> dict[Path, Loaded]:
        """Load each file into a manager of its own, in one JVM; file -> what was loaded."""
        resolved = [p.resolve() for p in paths]
        environment = {k: v for k, v in os.environ.items() if k not in JVM_ENVIRONMENT}
        argv = [self.java, *JVM_OPTIONS, "-cp", os.pathsep.join(map(str, self.class_path)), MAIN,
                *(str(p) for p in resolved)]
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=environment,
                                timeout=TIMEOUT_S)
        loaded = [_loaded(line) for line in result.stdout.splitlines() if line.startswith("file=")]
        if result.returncode != 0 or len(loaded) != len(paths):
            pytest.fail(f"the OWL API loader stopped (exit {result.returncode}):\n{result.stderr[-3000:]}",
                        pytrace=False)
        return dict(zip(paths, loaded, strict=True))


def _rdf4j_jars() -> list[Path]:
    """RDF4J's Rio parsers and models (librdf4j-java), by their unversioned names."""
    return sorted(p for p in JAVA_DIR.glob("rdf4j-*.jar") if not re.search(r"-\d[\d.]*\.jar$", p.name))


def start_owlapi() -> tuple[OwlApi, Path]:
    """The loader compiled into a temporary folder (to remove when done). Skips (fails under CI=true) when
    javac or the OWL API is missing."""
    java, javac = shutil.which("java"), shutil.which("javac")
    if java is None or javac is None:
        _missing("A Java compiler (`javac`), for the OWL API loader", PACKAGES)
    missing = [name for name in OWLAPI_JARS if not (JAVA_DIR / f"{name}.jar").is_file()]
    if missing or not _rdf4j_jars():
        _missing(f"The OWL API ({', '.join(missing[:4]) or 'rdf4j'} in {JAVA_DIR})", PACKAGES)
    folder = Path(tempfile.mkdtemp(prefix="pvkg-owlapi-"))
    runner = OwlApi(java, folder)
    environment = {k: v for k, v in os.environ.items() if k not in JVM_ENVIRONMENT}
    result = subprocess.run([javac, "-d", str(folder), "-cp", os.pathsep.join(map(str, runner.class_path)),
                             str(SOURCE)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            env=environment, timeout=TIMEOUT_S)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"javac could not compile {SOURCE.name}:\n{result.stderr}", pytrace=False)
    return runner, folder


@pytest.fixture(scope="session", name="owlapi")
def owlapi_fixture() -> Iterator[OwlApi]:
    """Debian's OWL API 5.1 with the loader compiled (see the module's docstring)."""
    runner, folder = start_owlapi()
    try:
        yield runner
    finally:
        shutil.rmtree(folder, ignore_errors=True)
