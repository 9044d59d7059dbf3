"""Apache Jena, from Debian's `libapache-jena-java` (4.5.0), as an implementation independent of rdflib and
pyshacl for the tests: its `riot` reads every export, its SHACL validates the graph a second time.

A test module uses it through the session fixture:

    from jena import jena_fixture  # noqa: F401  (the pytest fixture `jena`)

If Java or Jena is not installed the tests that use it are skipped, naming the package to install; with the
environment variable CI=true they fail instead (as the SPARQL servers of tests/servers.py do).

How Debian's Jena is run (there is no `riot` script in the package, only jars in /usr/share/java):

  - `java -cp CLASS_PATH riotcmd.riot ...` and `java -cp CLASS_PATH shacl.shacl validate ...`, the main
    classes of jena-cmds.jar; the class path is Jena's jars and the libraries the package depends on
    (JAVA_DIR / *.jar, listed below), with slf4j-simple as the logging back end: without a back end slf4j
    drops every message, and riot's warnings with them.
  - Debian moved Jena's copy of Xerces from org/apache/jena/ext/xerces/ to xerces/ in jena-core.jar but left
    its message bundles at the old place, so Jena fails at start-up ("internal error" in
    xerces.impl.dv.xs.XSSimpleTypeDecl) looking up xerces.impl.msg.XMLSchemaMessages and
    xerces.impl.xpath.regex.message. Once per session the .properties files are copied out of jena-core.jar
    to xerces/... in a folder that goes on the class path.
  - Jena's JSON-LD reader (JSON-LD 1.1, Titanium) needs a Jakarta JSON Processing provider, and Debian 12
    packages only the API (libjsonp2-java, no Parsson). Once per session the Glassfish provider of
    `libjsonp-java` (javax.json) is moved to the jakarta.json namespace with Debian's
    `tomcat-jakartaee-migration` (`javax2jakarta`), and registered with a META-INF/services file. Only JSON-LD
    needs it (`Jena.require_jsonld`). Jena's older JSON-LD 1.0 reader (jsonld-java, `--syntax=JSONLD10`)
    would not do, as pvkg's JSON-LD is 1.1: its context says "@version": 1.1, which a 1.0 reader rejects
    ("invalid term definition: 1.1"), and its language maps use the 1.1 key "@none" for text without a
    language, which a 1.0 reader takes for a language tag ("Language not valid: @none").
  - Nothing may come from the network: the JVM's HTTP and HTTPS proxy is an unreachable port on loopback
    (any fetch fails at once, with an error riot reports). Tests that read pvkg's JSON-LD hand riot its
    context by a file: URL (tests/test_independent.py).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace
from servers import _missing

JAVA_DIR = Path("/usr/share/java")
JENA_JARS = ("jena-base", "jena-core", "jena-iri", "jena-arq", "jena-shacl", "jena-cmds")
# What libapache-jena-java depends on (its Depends, as jars), and slf4j-simple to print Jena's log
LIBRARY_JARS = ("commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
                "dexx.collection", "gson", "guava", "httpclient", "httpclient-cache", "httpcore", "jackson-core",
                "jackson-databind", "jackson-annotations", "jsonld-java", "jakarta.json-api", "titanium-json-ld",
                "protobuf", "thrift", "slf4j-api", "slf4j-simple")
JSONP_JAR = JAVA_DIR / "javax.json.jar"  # libjsonp-java: javax.json API and the Glassfish provider
JSONP_PROVIDER = "org.glassfish.json.JsonProviderImpl"
RIOT = "riotcmd.riot"
SHACL = "shacl.shacl"
XERCES_BUNDLES = "org/apache/jena/ext/xerces/"  # where jena-core.jar keeps them; the classes look in xerces/

JENA_PACKAGE = "apt-get install libapache-jena-java"
JSONLD_PACKAGES = "apt-get install libjsonp-java tomcat-jakartaee-migration"

JVM_OPTIONS = (
    # never the network: every HTTP(S) fetch goes to a proxy that is not there, and fails
    "-Djava.net.useSystemProxies=false",
    "-Dhttp.proxyHost=127.0.0.1", "-Dhttp.proxyPort=9", "-Dhttps.proxyHost=127.0.0.1", "-Dhttps.proxyPort=9",
    "-Dhttp.nonProxyHosts=",  # not even loopback is exempt (by default localhost and 127.* are)
    # counts printed as 1,234 whatever the machine's locale; files and standard streams in UTF-8
    "-Duser.language=en", "-Duser.country=US", "-Dfile.encoding=UTF-8",
    # short runs: C1 only and the serial collector start about a quarter faster
    "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
)
# Variables through which a JVM picks up options (and announces them on stderr, which riot's checks read)
JVM_ENVIRONMENT = ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH")
TIMEOUT_S = 300

SH = Namespace("http://www.w3.org/ns/shacl#")

# riot's standard error: "[main] WARN org.apache.jena.riot - ..." from slf4j-simple; "[main] INFO ... File: x"
# before each file when given several; then, per file, a line starting with the file's URL
_LOG = re.compile(r"^\[[^\]]*\] (TRACE|DEBUG|INFO|WARN|ERROR) (\S+) - (.*)$")
_SUMMARY = re.compile(r"^(file:\S+)(.*)$")
_COUNT = re.compile(r"\s([\d,]+) (Triples?|Quads?)\b")


@dataclass
class RiotFile:
    """What riot made of one file."""

    path: Path
    url: str  # the file as riot names it
    count: int | None  # triples or quads parsed; None when riot could not read the file
    unit: str | None  # "Triples" or "Quads"
    messages: list[str] = field(default_factory=list)  # every warning and error riot printed about the file
    nquads: str = ""  # riot's own N-Quads (N-Triples for a triple format) of what it read


@dataclass
class ShaclReport:
    """Jena SHACL's validation report. `shacl validate` exits 0 whether or not the data conform: read
    `conforms`, taken from the report's sh:conforms."""

    graph: Graph
    conforms: bool
    stderr: str  # Jena's log while reading the data and shapes (warnings about ill-typed literals...)

    def results(self) -> list:
        return list(self.graph.subjects(SH.resultSeverity, None))

    def focus_nodes(self) -> set:
        return {self.graph.value(r, SH.focusNode) for r in self.results()}


class Jena:
    """Debian's Jena, ready to run: the class path and the session's support folder."""

    def __init__(self, java: str, folder: Path):
        self.java = java
        self.folder = folder
        self.jars = [JAVA_DIR / f"{name}.jar" for name in (*JENA_JARS, *LIBRARY_JARS)]
        self.class_path = [*self.jars, _xerces_bundles(folder)]
        self.jvm_starts = 0  # and the seconds they took: the tests' cost of Jena, for whoever tunes them
        self.jvm_seconds = 0.0
        self._jsonld: list[Path] | None = None
        self._lock = threading.Lock()  # making the JSON-LD class path, once
        self._counter = threading.Lock()

    def _count(self, seconds: float) -> None:
        with self._counter:
            self.jvm_starts += 1
            self.jvm_seconds += seconds

    # --- running Jena -------------------------------------------------------------------------------------

    def run(self, main: str, *args: str, class_path: Sequence[Path] = (), jvm_options: Sequence[str] = (),
            cwd: Path | None = None) -> tuple[int, str, str]:
        """Run one of Jena's commands; (exit code, standard output, standard error). `jvm_options` come after
        JVM_OPTIONS, so a -Dname=value of theirs wins."""
        environment = {k: v for k, v in os.environ.items() if k not in JVM_ENVIRONMENT}
        argv = [self.java, *JVM_OPTIONS, *jvm_options,
                "-cp", os.pathsep.join(map(str, [*self.class_path, *class_path])), main, *args]
        started = time.monotonic()
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=environment,
                                cwd=cwd or self.folder, timeout=TIMEOUT_S)
        self._count(time.monotonic() - started)
        return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8", errors="replace")

    def riot(self, paths: Path | Sequence[Path], syntax: str, *options: str, jvm_options: Sequence[str] = ()
             ) -> tuple[int, str, str]:
        """`riot --syntax=SYNTAX OPTIONS... FILE...` (by default `--validate --count`: strict parsing, RDF
        term checks, no output, and a count per file); (exit code, standard output, standard error). riot
        exits 1 when it warned about anything."""
        files = [p.resolve() for p in ([paths] if isinstance(paths, Path) else paths)]
        class_path = self._jsonld_class_path() if syntax.lower().startswith("json") else ()
        return self.run(RIOT, f"--syntax={syntax}", *(options or ("--validate", "--count")),
                        *map(str, files), class_path=class_path, jvm_options=jvm_options)

    def riot_files(self, paths: Sequence[Path], syntax: str, jvm_options: Sequence[str] = ()
                   ) -> tuple[int, dict[Path, RiotFile]]:
        """Read several files of one syntax in one riot run (one JVM start): for each, the count riot read,
        every warning or error it printed about it, and what it read as N-Quads.

        `--strict --check` is what `--validate` adds to parsing (its third part, `--sink`, would throw the
        triples away); `--time` prints the count of each file, `--output=nquads` the triples, one a line, so
        the output splits by the counts into the files."""
        paths = list(paths)
        code, out, err = self.riot(paths, syntax, "--strict", "--check", "--time", "--output=nquads",
                                   jvm_options=jvm_options)
        files = _per_file(paths, err)
        lines = out.splitlines(keepends=True)
        start = 0
        for f in files:  # in order, up to the first file riot could not read (its output is partial)
            if f.count is None or start + f.count > len(lines):
                break
            f.nquads = "".join(lines[start:start + f.count])
            start += f.count
        return code, {f.path: f for f in files}

    def riot_runs(self, runs: Sequence[tuple[Sequence[Path], str]]) -> list[tuple[int, dict[Path, RiotFile]]]:
        """`riot_files` for each (files, syntax), the runs side by side: a JVM spends most of a short run
        starting, on one core, so five runs take about half the time they take one after the other."""
        with ThreadPoolExecutor(max(1, len(runs))) as pool:
            return list(pool.map(lambda run: self.riot_files(*run), runs))

    def shacl_validate(self, data: Path, shapes: Path) -> ShaclReport:
        """`shacl validate --shapes SHAPES --data DATA` (one file each: given again, --data replaces the
        earlier one). Fails the test when Jena does not write a report."""
        code, out, err = self.run(SHACL, "validate", "--shapes", str(shapes.resolve()), "--data", str(data.resolve()))
        if code != 0 or not out.strip():
            pytest.fail(f"Jena SHACL failed on {data} (exit {code}):\n{err}{out[-2000:]}", pytrace=False)
        report = Graph().parse(data=out, format="turtle")
        (node,) = report.subjects(SH.conforms, None)
        conforms = report.value(node, SH.conforms)
        assert isinstance(conforms, Literal), out
        return ShaclReport(report, bool(conforms.toPython()), err)

    # --- JSON-LD ----------------------------------------------------------------------------------------------

    @staticmethod
    def jsonld_installed() -> bool:
        """Whether the packages for Jena's JSON-LD reader are there (see the module's docstring)."""
        return JSONP_JAR.is_file() and shutil.which("javax2jakarta") is not None

    def require_jsonld(self) -> None:
        """Skip (fail under CI=true) unless a Jakarta JSON provider can be made for Jena's JSON-LD reader."""
        self._jsonld_class_path()

    def _jsonld_class_path(self) -> list[Path]:
        """The class path Jena's JSON-LD reader needs besides Jena's, made once per session."""
        with self._lock:
            if self._jsonld is None:
                self._jsonld = self._make_jsonp_provider()
        return self._jsonld

    def _make_jsonp_provider(self) -> list[Path]:
        if not self.jsonld_installed():
            _missing("A JSON Processing provider for Jena's JSON-LD reader (javax.json of libjsonp-java, "
                     "moved to jakarta.json by javax2jakarta)", JSONLD_PACKAGES)
        jar = self.folder / "jakarta-json-glassfish.jar"
        started = time.monotonic()
        result = subprocess.run([shutil.which("javax2jakarta"), "-profile=EE", str(JSONP_JAR), str(jar)],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT_S,
                                env={k: v for k, v in os.environ.items() if k not in JVM_ENVIRONMENT})
        self._count(time.monotonic() - started)
        if result.returncode != 0 or not jar.is_file():
            pytest.fail(f"javax2jakarta failed ({result.returncode}):\n{result.stdout}{result.stderr}", pytrace=False)
        services = self.folder / "jsonp-provider"
        declaration = services / "META-INF" / "services" / "jakarta.json.spi.JsonProvider"
        declaration.parent.mkdir(parents=True, exist_ok=True)
        declaration.write_text(JSONP_PROVIDER + "\n")
        return [jar, services]  # after JAVA_DIR/jakarta.json-api.jar: the API classes come from there


def _per_file(paths: list[Path], stderr: str) -> list[RiotFile]:
    """Split riot's standard error into the files it read, in the order given. A file's messages come before
    the line that starts with its URL (and, when several files are read, after a "File: name" line); any
    line riot's format does not explain is kept as a message of the file it came with."""
    files: list[RiotFile] = []
    pending: list[str] = []
    for line in stderr.splitlines():
        log = _LOG.match(line)
        if log and log.group(1) == "INFO" and log.group(3).startswith("File: "):
            continue
        summary = _SUMMARY.match(line)
        if summary and len(files) < len(paths):
            path, url = paths[len(files)], summary.group(1)
            if not url.endswith("/" + urllib.parse.quote(path.name)):
                pending.append(f"(tests/jena.py: riot's summary names {url}, not {path.name})")
            count = _COUNT.search(summary.group(2))
            files.append(RiotFile(path, url, int(count.group(1).replace(",", "")) if count else None,
                                  count.group(2).rstrip("s") + "s" if count else None, pending))
            pending = []
        elif line.startswith("Total ") and len(files) == len(paths):
            continue
        elif line.strip():
            pending.append(line)
    while len(files) < len(paths):  # riot stopped early: the rest were not read
        files.append(RiotFile(paths[len(files)], "", None, None, pending))
        pending = []
    files[-1].messages.extend(pending)
    return files


def _xerces_bundles(folder: Path) -> Path:
    """A folder holding jena-core.jar's Xerces message bundles under xerces/, where Debian's relocated Xerces
    classes look for them (xerces/impl/msg/*.properties, xerces/impl/xpath/regex/message*.properties)."""
    target = folder / "xerces-messages"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(XERCES_BUNDLES) and name.endswith(".properties"):
                out = target / "xerces" / name[len(XERCES_BUNDLES):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(jar.read(name))
    return target


@functools.cache
def _java() -> str | None:
    return shutil.which("java")


def start_jena() -> tuple[Jena, Path]:
    """A Jena ready to run, and its support folder (to remove when done). Skips (fails under CI=true) when
    Java or Jena is missing."""
    java = _java()
    if java is None:
        _missing("A Java runtime (`java`), for Apache Jena", "apt-get install default-jre-headless")
    missing = [p.name for p in (JAVA_DIR / f"{n}.jar" for n in (*JENA_JARS, *LIBRARY_JARS)) if not p.is_file()]
    if missing:
        listed = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        _missing(f"Apache Jena ({listed} in {JAVA_DIR})", JENA_PACKAGE)
    folder = Path(tempfile.mkdtemp(prefix="pvkg-jena-"))
    return Jena(java, folder), folder


@pytest.fixture(scope="session", name="jena")
def jena_fixture() -> Iterator[Jena]:
    """Debian's Apache Jena 4.5.0, with the session's class-path fixes (see the module's docstring)."""
    runner, folder = start_jena()
    try:
        yield runner
    finally:
        shutil.rmtree(folder, ignore_errors=True)
