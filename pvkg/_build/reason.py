"""Stage 4: consistency under OWL 2 DL, checked by HermiT (its command line, in a Java process).

`check_consistency` checks a whole graph at once (`pvkg check`). A build checks the data file by file
(`check_file_modules`): each file's *module*, with the ontology, and keeps what HermiT proved by a hash of the
module, as validation keeps its results, so that a rebuild checks again only the modules an edit changed.

A file's module is
- the triples made from the file;
- the description (every triple with it as subject, from any file) of each resource the file names;
- for each resource the file names, one triple per predicate by which other files point at it, from a
  stand-in subject (a fresh IRI) (what the pointing says of the resource, range and inverse, without the pointer's
  identity), and, for properties whose shared object makes their subjects one (inverse-functional ones),
  the other files' triples themselves.

Every triple is in its own file's module with the descriptions of both its ends and everything else said
of them, so a clash about one resource (two disjoint classes from its types, domains and ranges, or two
values of a functional property, or a value outside a closed set) is in some module. The modules are
sub-graphs up to renaming stand-ins, so a module is inconsistent only if the whole graph is. For the axiom
kinds the ontology uses (SUPPORTED_AXIOMS) that is the whole of what can clash; an ontology with another
kind (a property chain, disjoint properties...) is checked as a whole graph instead.

Modules are checked in batches, a Java process per core, each batch one HermiT consistency check; a batch
found inconsistent is checked again module by module to name its files. Whether a class can have members
at all is the ontology's own question (data files make no class axioms): it is asked once per ontology.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from pvkg._build.load import DataParts, Triple
from pvkg.errors import ReasonerError
from pvkg._files import write_atomic
from pvkg._rdftext import nt_term
from pvkg._version import __version__

HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
JAVA_HEAP = "-Xmx1g"  # per Java process; a batch of BATCH_LINES lines needs a few hundred MB
BATCH_LINES = 40_000  # N-Triples lines of data checked in one HermiT run: amortises loading the ontology
# Modules of at most this many lines in all (a rebuild's) are checked while the build validates and writes;
# more (a first build's) wait for the cores and the memory that validation takes
OVERLAP_LINES = BATCH_LINES
# HermiT's verdict on an inconsistent ontology: the exception it ends with. Matched as that line, not as a word:
# the name is also a method's (Reasoner.throwInconsistentOntologyExceptionIfNecessary) in the stack trace of
# any failure during a check, such as running out of memory.
INCONSISTENT = re.compile(r'^Exception in thread "[^"]*" org\.semanticweb\.owlapi\.reasoner\.'
                          r'InconsistentOntologyException\b', re.MULTILINE)

# The axiom and class-expression vocabulary for which a file's module holds every possible clash (see the
# module's docstring). Anything else in the ontology makes the build check the whole graph at once.
SUPPORTED_AXIOMS = frozenset({
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass, OWL.disjointWith,
    OWL.inverseOf, OWL.unionOf, OWL.oneOf, OWL.members, OWL.distinctMembers, OWL.onProperty, OWL.cardinality,
    OWL.maxCardinality})
UNSUPPORTED_TYPES = frozenset({
    OWL.IrreflexiveProperty, OWL.AsymmetricProperty, OWL.ReflexiveProperty, OWL.AllDisjointProperties,
    OWL.NegativePropertyAssertion})
AXIOM_NAMESPACES = (str(OWL), str(RDFS))
NOT_AXIOMS = frozenset({RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo,
                        OWL.versionIRI, OWL.imports, OWL.priorVersion, OWL.deprecated})


@dataclass
class ConsistencyReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    inconsistent_files: list[str] = field(default_factory=list)  # a build's: the files whose module clashes
    checked: int = 0  # files whose modules HermiT checked in this run
    proved_before: int = 0  # files whose modules were proved by an earlier build

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


# --- running HermiT -------------------------------------------------------------------------------------

def _classpath() -> str:
    """HermiT as owlready2 ships it (found without importing owlready2, which sets up a quadstore)."""
    spec = importlib.util.find_spec("owlready2")
    if spec is None or spec.origin is None:
        raise ReasonerError("owlready2 is not installed; it ships the HermiT reasoner (pip install owlready2)")
    hermit = Path(spec.origin).parent / "hermit"
    return os.pathsep.join([str(hermit), str(hermit / "HermiT.jar")])


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ReasonerError("java was not found; HermiT needs a Java runtime (install openjdk, e.g. "
                            "'apt-get install default-jre-headless')")
    return java


def hermit_fingerprint() -> str:
    """Of the reasoner itself: results proved by another HermiT are not reused."""
    jar = Path(_classpath().split(os.pathsep)[1])
    with open(jar, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class _Processes:
    """The Java processes of one check, so that stopping the check stops them all, and none starts after; each
    with at most `heap` of Java heap (None: Java's default, a quarter of the machine's memory)."""

    def __init__(self, heap: str | None = JAVA_HEAP) -> None:
        self.heap = heap
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stop = threading.Event()

    def with_heap(self, heap: str | None) -> _Processes:
        """The same check's processes (stopped together), started with another heap."""
        other = _Processes(heap)
        other._lock, other._running, other._stop = self._lock, self._running, self._stop
        return other

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def start(self, actions: list[str], files: list[Path]) -> subprocess.Popen:
        with self._lock:
            if self.stopped:
                raise _Stopped
            process = _hermit(actions, files, self.heap)
            self._running.add(process)
            return process

    def finished(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(process)

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            for process in self._running:
                process.kill()


class _Stopped(Exception):
    """The check was stopped (the build failed in another stage meanwhile)."""


def _hermit(actions: list[str], files: list[Path], heap: str | None) -> subprocess.Popen:
    return subprocess.Popen([_java(), *([heap] if heap else []), "-XX:+UseSerialGC", "-cp", _classpath(), HERMIT_MAIN,
                             *actions, "-N", *(p.resolve().as_uri() for p in files)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                            errors="replace")


def _failure(output: str) -> ReasonerError:
    """HermiT's own first line about what went wrong (a parse error, no memory...), as one line."""
    if "java.lang.OutOfMemoryError" in output:
        return ReasonerError("HermiT ran out of memory (its Java heap) and could not decide; free some memory, or "
                             "check a large graph as pvkg build does, file by file")
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith("\tat ")]
    first = next((line for line in lines if "pear-shaped" in line or "Exception" in line or "Error" in line),
                 lines[0] if lines else "no output")
    return ReasonerError(f"HermiT could not run: {first[:300]}")


def _consistent_prefix(files: list[Path], done: Callable[[int], None], processes: _Processes) -> int:
    """Check each file's consistency in one Java process, in order, until one is inconsistent: returns how
    many were consistent (len(files) when all were). `done(i)` is told as file i is found consistent."""
    process = processes.start(["-k"], files)
    assert process.stdout is not None
    finished, output = 0, []
    for line in process.stdout:
        if line.rstrip().endswith("is satisfiable."):
            done(finished)
            finished += 1
        else:
            output.append(line)
    process.wait()
    processes.finished(process)
    if processes.stopped:
        raise _Stopped
    if process.returncode == 0 and finished == len(files):
        return finished
    text = "".join(output)
    if INCONSISTENT.search(text):
        return finished
    raise _failure(text)


def _first_inconsistent(files: list[Path], done: Callable[[int], None], processes: _Processes) -> list[int]:
    """Indexes of the inconsistent files, checking on after each one found."""
    found, start = [], 0
    while start < len(files):
        consistent = _consistent_prefix(files[start:], lambda i, at=start: done(at + i), processes)
        if start + consistent == len(files):
            break
        found.append(start + consistent)
        start += consistent + 1
    return found


# --- the whole graph (pvkg check) -----------------------------------------------------------------------

def _ntriples(lines: Iterable[str], path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in lines:
            out.write(line)
            out.write("\n")
    return path


def _lines(triples: Iterable[Triple]) -> list[str]:
    return [f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ." for s, p, o in triples if p != OWL.imports]


def _unsatisfiable(path: Path, processes: _Processes) -> list[str]:
    """Named classes equivalent to owl:Nothing in the (consistent) ontology or graph in `path`."""
    process = processes.start(["-U"], [path])
    output, _ = process.communicate()
    processes.finished(process)
    if processes.stopped:
        raise _Stopped
    if process.returncode != 0:
        raise _failure(output)
    names = [line.strip() for line in output.splitlines() if line.startswith("\t")]
    return sorted(name for name in names if name != str(OWL.Nothing))


def check_consistency(graph: Graph, processes: _Processes | None = None) -> ConsistencyReport:
    """Is the whole graph consistent, and which named classes (if any) are unsatisfiable? `processes`: those of a
    check this one is part of (stopped with it)."""
    # one process over everything: Java's default heap (HermiT took 3.2 GB for the 1.27 million triples of
    # bench.generate's 1M corpus, where 1 GB ran out)
    processes = (processes or _Processes()).with_heap(None)
    with tempfile.TemporaryDirectory(prefix="pvkg-reason-") as folder:
        path = _ntriples(_lines(graph), Path(folder) / "graph.nt")
        if _first_inconsistent([path], lambda i: None, processes):
            return ConsistencyReport(consistent=False)
        return ConsistencyReport(consistent=True, unsatisfiable=_unsatisfiable(path, processes))


# --- file by file (the build) ---------------------------------------------------------------------------

def unsupported_axioms(ontology: Graph) -> list[str]:
    """The OWL and RDFS terms of the ontology outside SUPPORTED_AXIOMS (see the module's docstring)."""
    found = set()
    for _, p, o in ontology:
        if p == RDF.type and o in UNSUPPORTED_TYPES:
            found.add(str(o))
        elif str(p).startswith(AXIOM_NAMESPACES) and p not in SUPPORTED_AXIOMS | NOT_AXIOMS:
            found.add(str(p))
    return sorted(found)


def _functional(ontology: Graph) -> set[Node]:
    """Properties with at most one value per subject: functional ones, and those a restriction caps at 1."""
    capped = {ontology.value(r, OWL.onProperty) for cap in (OWL.cardinality, OWL.maxCardinality)
              for r, n in ontology.subject_objects(cap) if str(n) in ("0", "1")}
    return set(ontology.subjects(RDF.type, OWL.FunctionalProperty)) | (capped - {None})


def _identifying(ontology: Graph, functional: set[Node]) -> set[Node]:
    """Properties whose subjects are one resource when they share an object: inverse-functional ones, and
    the inverses of functional ones."""
    inverses = set(ontology.subject_objects(OWL.inverseOf))
    return (set(ontology.subjects(RDF.type, OWL.InverseFunctionalProperty))
            | {b for a, b in inverses if a in functional} | {a for a, b in inverses if b in functional})


@dataclass(frozen=True)
class Module:
    files: tuple[str, ...]  # one file, or files whose resources OWL may make one (checked together)
    lines: tuple[str, ...]  # sorted N-Triples
    key: str  # SHA-256 of the lines


class _Files:
    """Union-find over file names: files that must be checked in one module."""

    def __init__(self, files: Iterable[str]):
        self.parent = {f: f for f in files}

    def find(self, file: str) -> str:
        while self.parent[file] != file:
            self.parent[file] = self.parent[self.parent[file]]
            file = self.parent[file]
        return file

    def join(self, files: set[str]) -> None:
        first, *rest = sorted(self.find(f) for f in files)
        for other in rest:
            self.parent[other] = first


def file_modules(parts: DataParts, ontology: Graph) -> list[Module]:
    """Each input file's module (see the module's docstring), in the parts' order. Files that give one
    resource two values of a functional property, or two resources one object of an inverse-functional
    property, share a module: OWL makes those values (or subjects) one resource, whose descriptions must
    then be seen together."""
    functional = _functional(ontology)
    identifying = _identifying(ontology, functional)
    index = _Index(parts, functional, identifying)
    groups: dict[str, list[str]] = defaultdict(list)
    for file in parts.triples:
        groups[index.together.find(file)].append(file)
    return [index.module(files) for files in groups.values()]


_TYPE = nt_term(RDF.type)


def _text(term: Node) -> str:
    """nt_term, quicker for IRIs (most terms): rdflib's own comparisons and hashes are Python code."""
    return f"<{term}>" if type(term) is URIRef else nt_term(term)


class _Index:
    """The data indexed for modules, in N-Triples text (compared and hashed as plain strings): each file's
    triples, the triples with each subject, which files point at each resource by each predicate, the
    triples of identifying properties by object, and which files must go together."""

    def __init__(self, parts: DataParts, functional: set[Node], identifying: set[Node]):
        functional_text, identifying_text = {_text(p) for p in functional}, {_text(p) for p in identifying}
        self.own: dict[str, list[tuple[str, str, str, str]]] = {}  # file -> (subject, predicate, object, line)
        self.described: dict[str, list[str]] = defaultdict(list)  # subject -> lines
        self.pointers: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.identified: dict[str, list[str]] = defaultdict(list)  # object -> lines of identifying properties
        self.together = _Files(parts.triples)
        seen: set[str] = set()
        values: dict[tuple[str, str], tuple[str, str]] = {}  # (subject, functional property) -> file, value
        for file, triples in parts.triples.items():
            own = self.own[file] = []
            for subject, predicate, obj in triples:
                s, p, o = _text(subject), f"<{predicate}>", _text(obj)
                line = f"{s} {p} {o} ."
                own.append((s, p, o, line))
                if p != _TYPE and o[0] == "<":
                    self.pointers[o][p].add(file)
                if line in seen:
                    continue
                seen.add(line)
                self.described[s].append(line)
                if p in functional_text:
                    first = values.setdefault((s, p), (file, o))
                    if first[1] != o:
                        self.together.join({first[0], file})
                if p in identifying_text:
                    self.identified[o].append(line)
                    self.together.join({file, *self.pointers[o][p]})

    def module(self, files: list[str]) -> Module:
        own = [t for file in files for t in self.own[file]]
        named = {s for s, _, _, _ in own} | {o for _, p, o, _ in own if p != _TYPE and o[0] == "<"}
        lines = {line for _, _, _, line in own}
        for resource in named:
            lines.update(self.described.get(resource, ()))
            lines.update(self.identified.get(resource, ()))
            for predicate, pointing in self.pointers.get(resource, {}).items():
                if pointing.isdisjoint(files):  # other files point so, and none of these says it already
                    lines.add(_stand_in(predicate, resource))
        ordered = tuple(sorted(lines))
        return Module(tuple(files), ordered, hashlib.sha256("\n".join(ordered).encode("utf-8")).hexdigest())


def _stand_in(predicate: str, resource: str) -> str:
    """A triple from a fresh individual named for (predicate, resource), the same in every module. Named, not
    a blank node: OWL 2 allows no anonymous individual in some axioms (owl:differentFrom, for one)."""
    label = hashlib.sha256(f"{predicate} {resource}".encode()).hexdigest()[:32]
    return f"<urn:pvkg:stand-in:{label}> {predicate} {resource} ."


@dataclass
class ProofCache:
    """Keys of the modules HermiT found consistent, for one ontology and one HermiT; a JSON file."""

    path: Path | None
    fingerprint: str
    proved: set[str] = field(default_factory=set)
    unsatisfiable: list[str] | None = None  # the ontology's, once asked
    used: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, path: Path | None, ontology_files: list[Path]) -> ProofCache:
        """The cache in `path` for proofs made with the ontology in these files (and this pvkg and HermiT)."""
        digest = hashlib.sha256(f"{__version__}\n{hermit_fingerprint()}\n".encode())
        for file in ontology_files:
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        fingerprint = digest.hexdigest()
        cache = cls(path, fingerprint)
        if path is not None and path.is_file():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
                if stored["fingerprint"] == fingerprint:
                    cache.proved = set(stored["proved"])
                    cache.unsatisfiable = stored["unsatisfiable"]
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache only makes a slower build
        return cache

    def save(self) -> None:
        """Keep what this build used (so the file does not grow with every edit)."""
        if self.path is not None:
            write_atomic(self.path, json.dumps({"fingerprint": self.fingerprint, "unsatisfiable": self.unsatisfiable,
                                                "proved": sorted(self.used)}, separators=(",", ":")).encode("utf-8"))


def check_file_modules(ontology: Graph, parts: DataParts, cache: ProofCache | None = None,
                       progress: Callable[[int], None] = lambda count: None,
                       workers: int | None = None, processes: _Processes | None = None,
                       ready: threading.Event | None = None) -> ConsistencyReport:
    """Check each file's module with the ontology (see the module's docstring), taking what `cache` proved
    before and adding what this run proves. `progress(n)` is told as n more files are found consistent.
    An ontology with an axiom kind outside SUPPORTED_AXIOMS is checked with all the data at once. With `ready`,
    modules of more than OVERLAP_LINES lines in all wait for it before Java starts (see ModuleCheck)."""
    processes = processes if processes is not None else _Processes()
    ontology_lines = _lines(ontology)
    cache = cache if cache is not None else ProofCache(None, "")
    with tempfile.TemporaryDirectory(prefix="pvkg-reason-") as folder:
        work = Path(folder)
        whole = bool(unsupported_axioms(ontology))
        modules = [] if whole else file_modules(parts, ontology)
        pending = [m for m in modules if m.key not in cache.proved]
        cache.used.update(m.key for m in modules)
        progress(sum(len(m.files) for m in modules if m.key in cache.proved))
        if ready is not None and (whole or sum(len(m.lines) for m in pending) > OVERLAP_LINES):
            ready.wait()
        if cache.unsatisfiable is None:
            cache.unsatisfiable = _ontology_unsatisfiable(ontology_lines, work, processes)
        if whole:
            report = check_consistency(ontology + parts.graph(), processes)
            progress(len(parts.triples))
            return ConsistencyReport(report.consistent, cache.unsatisfiable if report.consistent else [],
                                     [] if report.consistent else list(parts.triples), checked=len(parts.triples))
        bad = _check_modules(pending, ontology_lines, work, progress, workers or os.cpu_count() or 1, processes)
        clashing = {m.key for m in bad}
        cache.proved.update(m.key for m in pending if m.key not in clashing)
        cache.used -= clashing
    return ConsistencyReport(consistent=not bad, unsatisfiable=cache.unsatisfiable,
                             inconsistent_files=sorted(f for m in bad for f in m.files),
                             checked=sum(len(m.files) for m in pending),
                             proved_before=sum(len(m.files) for m in modules) - sum(len(m.files) for m in pending))


def _ontology_unsatisfiable(ontology_lines: list[str], work: Path, processes: _Processes) -> list[str]:
    path = _ntriples(ontology_lines, work / "ontology.nt")
    if _first_inconsistent([path], lambda i: None, processes):
        raise ReasonerError("the ontology itself is inconsistent (HermiT); no data can be checked against it")
    return _unsatisfiable(path, processes)


def _check_modules(modules: list[Module], ontology_lines: list[str], work: Path,
                   progress: Callable[[int], None], workers: int, processes: _Processes) -> list[Module]:
    """The inconsistent modules: batches first, then the modules of a batch that clashes one by one."""
    batches = _batches(modules)
    lock = threading.Lock()

    def run(share: list[list[Module]], name: str, report: bool) -> list[list[Module]]:
        files = [_ntriples([*ontology_lines, *sorted({line for m in batch for line in m.lines})],
                           work / f"{name}-{i}.nt") for i, batch in enumerate(share)]

        def done(i: int) -> None:
            if report:
                with lock:
                    progress(sum(len(m.files) for m in share[i]))
        failed = [share[i] for i in _first_inconsistent(files, done, processes)]
        for path in files:
            path.unlink()
        return failed

    shares = [batches[i::workers] for i in range(workers) if batches[i::workers]]
    with ThreadPoolExecutor(max(1, len(shares))) as pool:
        failed = [b for found in pool.map(run, shares, [f"b{i}" for i in range(len(shares))], [True] * len(shares))
                  for b in found]
    bad = []
    for batch in failed:
        found = [single[0] for single in run([[m] for m in batch], "m", False)]
        progress(sum(len(m.files) for m in batch if m not in found))
        bad += found
    return bad


def _batches(modules: list[Module]) -> list[list[Module]]:
    batches: list[list[Module]] = []
    size = BATCH_LINES
    for module in modules:
        if size + len(module.lines) > BATCH_LINES and (not batches or batches[-1]):
            batches.append([])
            size = 0
        batches[-1].append(module)
        size += len(module.lines)
    return batches



class ModuleCheck:
    """check_file_modules in a thread of its own, started as soon as the data exist, so that HermiT's Java
    processes run while the build validates, writes and runs its quality checks (a rebuild's one changed module
    costs a Java start and a check, about 1.5 s, that then overlap). A check of more than OVERLAP_LINES lines
    starts Java only at `go()`. `report()` waits for the result, telling `progress` of the files checked so far
    and then as they are; `stop()` stops the check and kills its Java processes (the build failed elsewhere)."""

    def __init__(self, ontology: Graph, parts: DataParts, cache: ProofCache | None, workers: int | None = None):
        self._processes = _Processes()
        self._ready = threading.Event()
        self._progress = _HeldProgress()
        self._outcome: list = []  # the report, or the exception that ended the check
        # a daemon thread: a failed build exits without waiting for the check it stopped
        self._thread = threading.Thread(target=self._run, args=(ontology, parts, cache, workers), daemon=True,
                                        name="pvkg-consistency")
        self._thread.start()

    def _run(self, ontology: Graph, parts: DataParts, cache: ProofCache | None, workers: int | None) -> None:
        try:
            self._outcome.append(check_file_modules(ontology, parts, cache, self._progress, workers,
                                                    self._processes, self._ready))
        except BaseException as e:  # handed to report()
            self._outcome.append(e)

    def go(self) -> None:
        self._ready.set()

    def report(self, progress: Callable[[int], None]) -> ConsistencyReport:
        self.go()
        self._progress.show(progress)
        self._thread.join()
        (outcome,) = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def stop(self) -> None:
        self._processes.stop()
        self._ready.set()


class _HeldProgress:
    """Progress told by the check's thread, held until the build's stage that shows it has started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held = 0
        self._shown: Callable[[int], None] | None = None

    def __call__(self, count: int) -> None:
        with self._lock:
            if self._shown is None:
                self._held += count
                return
            shown = self._shown
        shown(count)

    def show(self, progress: Callable[[int], None]) -> None:
        with self._lock:
            self._shown, held, self._held = progress, self._held, 0
        progress(held)
