"""The build, stage by stage: study files -> corpus -> RDF -> SHACL -> quality checks -> HermiT -> Turtle in dist/.

Nothing is written unless every earlier stage passed, and then only by atomic renames.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from pvkg import _resources as resources
from pvkg._build.describe import DESCRIPTION_FILE, dataset_description, description_bytes
from pvkg._build.holdings import HOLDINGS_FILE, HoldingChanges, Record, changes_since, read_record, record_of
from pvkg._build.load import DataParts, SourceMap, Triple, corpus_to_parts, load_ontology
from pvkg._build.quality import check_files, load_checks, require_quality
from pvkg._build.reason import ConsistencyReport, ModuleCheck, ProofCache, check_consistency
from pvkg._build.studies import Corpus, read_corpus, study_files
from pvkg._build.turtleblocks import BLOCKS_FILE, TurtleBlocks, turtle_of
from pvkg._build.validate import ValidationCache, ValidationReport, validate_parts
from pvkg.errors import InconsistencyError, PvkgError, UsageError, ValidationError, display_path
from pvkg._files import remove_leftovers, write_all_atomic
from pvkg._rdftext import turtle_bytes
from pvkg._version import __version__

GRAPH_FILE = "pvkg.ttl"


CACHE_DIR = ".cache"  # inside the output folder: results reused by the next build
BUILT_BY_FILE = "built-by.json"  # in CACHE_DIR: which pvkg code made the graph beside it
VALIDATION_CACHE_FILE = "validation.json"  # in CACHE_DIR: validation results by content hash
PROOF_CACHE_FILE = "consistency.json"  # in CACHE_DIR: the file modules HermiT found consistent, by hash


@dataclass
class Build:
    corpus: Corpus
    ontology: Graph  # the ontology merged with its import module (one header, no owl:imports)
    parts: DataParts  # the data, file by file
    validation: ValidationReport
    consistency: ConsistencyReport | None = None
    cache: ValidationCache | None = None
    proofs: ProofCache | None = None
    blocks: TurtleBlocks | None = None  # the index of the Turtle written, for the next build
    quality_checks: int = 0  # how many quality checks (queries/qc/) the graph passed
    # this build against the last one written into the same folder (write_build); None: no record of one
    since_last: HoldingChanges | None = None
    first_in_folder: bool = False  # no graph was there before write_build

    @property
    def sources(self) -> SourceMap:
        return self.parts.sources

    @cached_property
    def data(self) -> Graph:
        """The triples made from the study and vocabulary files."""
        return self.parts.graph()

    @cached_property
    def graph(self) -> Graph:
        """Ontology (with imports) + data: what is reasoned over and queried in-process."""
        return self.ontology + self.data

    @cached_property
    def triples(self) -> list[Triple]:
        """The ontology's and the data's triples, each once: what is written."""
        return list(dict.fromkeys([*self.ontology, *(t for part in self.parts.triples.values() for t in part)]))

    @cached_property
    def turtle(self) -> bytes:
        """The graph as it is written (and as the quality checks read it)."""
        return turtle_bytes(self.triples)

    @cached_property
    def coverage(self) -> tuple[set[str], list[str]]:
        """Ids of the concepts something refers to, and of those nothing reaches."""
        used = self.corpus.used_concepts()
        return used, self.corpus.unused_concepts(used)

    @property
    def summary(self) -> dict[str, int]:
        return {"study files": len(self.corpus.files), "studies": len(self.corpus.studies),
                "findings": len(self.corpus.findings), "concepts": len(self.corpus.concepts),
                "concepts used": len(self.coverage[0]),
                "concepts never used": len(self.coverage[1]),
                "triples": len(self.triples), "violations": len(self.validation.problems),
                "quality checks passed": self.quality_checks}


def ontology_inputs() -> list[Path]:
    """The files the ontology is read from (with its import module)."""
    return [resources.ontology_file(), *sorted(resources.data_dir("ontology").glob("imports/*"))]


def turtle_fingerprint() -> str:
    """What, besides the input files, decides the Turtle written: pvkg's code and the ontology."""
    digest = hashlib.sha256(code_fingerprint().encode("ascii"))
    for path in ontology_inputs():
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def validation_inputs() -> list[Path]:
    """The files besides the data that decide validation results."""
    return [*ontology_inputs(), *resources.shapes_files()]


class Stages:
    """Told of each stage of a long command as it starts (what it does, with its counts), of the progress of
    a stage that counts its work, and of notes for the user. The library only tells; the CLI decides whether
    and how to show it. This one shows nothing."""

    def start(self, description: str, total: int | None = None, unit: str = "") -> None:
        """A stage begins (and the one before it ends). With `total`, the stage will `advance` by that many
        `unit`s (triples, files, checks...) in all."""

    def advance(self, count: int = 1) -> None:
        """`count` more units of the running stage are done."""

    def note(self, text: str) -> None:
        """A line the user should read, whether or not stages are shown."""


# HermiT checked the whole 1.27M-triple graph of bench.generate's 1M corpus in 61 s of CPU (3.2 GB), a build's
# file modules in about as much; a first build or check this large says so before the reasoner starts.
REASONER_NOTE_TRIPLES = 500_000


def build_graph(studies: list[Path], reason: bool = True, cache_dir: Path | None = None,
                stages: Stages | None = None, skip_hint: str | None = None, context: list[Path] = ()) -> Build:
    """Read, convert, validate, run the quality checks (queries/qc/) and (with `reason`) check the
    consistency of a corpus. Raises InputError or ValidationError for bad input, QualityError for a failed
    quality check and InconsistencyError for an inconsistent graph; writes nothing. With
    `cache_dir`, validation results of unchanged files are taken from there (see write_build). Each stage is
    told to `stages` as it starts; `skip_hint` says how the caller's user skips the reasoner (see
    reason_over). `context`: folders of other study files, read for the concepts the studies refer to (see
    read_corpus)."""
    stages = stages or Stages()
    stages.start(f"reading the study files in {', '.join(display_path(p) for p in studies)}")
    corpus = read_corpus(studies, resources.vocabulary_files(), context)
    stages.start(f"converting {len(corpus.studies):,} studies ({len(corpus.findings):,} findings) to RDF")
    parts = corpus_to_parts(corpus)
    ontology = load_ontology()
    proofs = ProofCache.open(cache_dir / PROOF_CACHE_FILE if cache_dir else None, ontology_inputs()) if reason \
        else None
    # HermiT checks the modules an edit changed while the stages below run (reason.ModuleCheck)
    check = ModuleCheck(ontology, parts, proofs) if proofs is not None else None
    try:
        result = _validated_and_written(corpus, parts, ontology, cache_dir, stages)
    except BaseException:
        if check is not None:
            check.stop()
        raise
    if check is not None:
        result.proofs = proofs
        result.consistency = check_build(result, stages, skip_hint, check)
    return result


def _validated_and_written(corpus: Corpus, parts: DataParts, ontology: Graph, cache_dir: Path | None,
                           stages: Stages) -> Build:
    """The build's SHACL validation, its Turtle and its quality checks."""
    cache = ValidationCache.open(cache_dir / VALIDATION_CACHE_FILE if cache_dir else None, validation_inputs())
    stages.start(f"validating the triples of {len(parts.triples):,} files with SHACL (unchanged ones: from the "
                 "cache)", len(parts.triples), "files")
    validation = validate_parts(ontology, parts, cache=cache, progress=stages.advance)
    if not validation.conforms:
        raise ValidationError(validation.problems, files=corpus.files)
    result = Build(corpus, ontology, parts, validation, cache=cache)
    stages.start(f"writing {len(result.triples):,} triples as Turtle (unchanged subjects: from the last build)",
                 len(result.triples), "triples")
    fingerprint = turtle_fingerprint()
    previous = TurtleBlocks.open(cache_dir / BLOCKS_FILE, fingerprint) if cache_dir else None
    result.turtle, result.blocks = turtle_of(result.triples, parts.triples, corpus.digests, fingerprint, previous,
                                             cache_dir.parent / GRAPH_FILE if cache_dir else None, stages.advance)
    checks = load_checks()
    stages.start(f"running {len(checks)} quality checks on {len(result.triples):,} triples", len(checks), "checks")
    require_quality(result.turtle, checks, sources=result.sources, progress=stages.advance)
    result.quality_checks = len(checks)
    return result


def check_build(result: Build, stages: Stages, skip_hint: str | None = None,
                check: ModuleCheck | None = None) -> ConsistencyReport:
    """Each file's data with the ontology, under OWL 2 DL (pvkg.reason.check_file_modules), modules proved before
    taken from the build's proof cache; raises InconsistencyError naming the files that clash. `check`: one
    started before (build_graph's), else one starts now."""
    _note_size(len(result.triples), stages, skip_hint)
    stages.start(f"checking the consistency of {len(result.parts.triples):,} files with HermiT (unchanged ones: "
                 "from the cache)", total=len(result.parts.triples), unit="files")
    check = check if check is not None else ModuleCheck(result.ontology, result.parts, result.proofs)
    report = check.report(stages.advance)
    if not report.consistent:
        raise InconsistencyError(INCONSISTENT, files=report.inconsistent_files)
    return _require_satisfiable(report)


INCONSISTENT = ("the data are inconsistent with the ontology under OWL 2 DL (HermiT); a resource breaks a "
                "disjointness or a closed set, e.g. a finding of two kinds or with both directions")


def reason_over(graph: Graph, stages: Stages, skip_hint: str | None = None) -> ConsistencyReport:
    """require_consistent, told to `stages`; on a large graph, first a note saying how large it is (and how
    to skip the reasoner, where the command can)."""
    size = len(graph)
    _note_size(size, stages, skip_hint)
    stages.start(f"checking the consistency of {size:,} triples with HermiT")
    return require_consistent(graph)


def _note_size(triples: int, stages: Stages, skip_hint: str | None) -> None:
    if triples >= REASONER_NOTE_TRIPLES:
        stages.note(f"pvkg: the graph has {triples:,} triples; HermiT may take minutes and gigabytes of memory "
                    "to check what changed in it" + (f" ({skip_hint})" if skip_hint else ""))


def require_consistent(graph: Graph) -> ConsistencyReport:
    report = check_consistency(graph)
    if not report.consistent:
        raise InconsistencyError(INCONSISTENT)
    return _require_satisfiable(report)


def _require_satisfiable(report: ConsistencyReport) -> ConsistencyReport:
    if report.unsatisfiable:
        raise InconsistencyError(f"{len(report.unsatisfiable)} class(es) can have no members (HermiT): "
                                 + ", ".join(report.unsatisfiable), report.unsatisfiable)
    return report


def build_outputs(out_dir: Path) -> list[Path]:
    """Every file a build writes into `out_dir`."""
    cache = out_dir / CACHE_DIR
    return [out_dir / GRAPH_FILE, out_dir / DESCRIPTION_FILE, cache / BUILT_BY_FILE, cache / VALIDATION_CACHE_FILE,
            cache / PROOF_CACHE_FILE, cache / BLOCKS_FILE, cache / HOLDINGS_FILE]


def write_build(result: Build, out_dir: Path) -> Path:
    """Write the graph, its VoID/DCAT description and the record of what it holds, then the caches the next
    build will start from; `result.since_last` is set to what changed since the last build in `out_dir`
    (None when none left a record)."""
    target = out_dir / GRAPH_FILE
    previous = read_record(out_dir / CACHE_DIR)
    result.first_in_folder = not target.exists()
    for output in build_outputs(out_dir):
        remove_leftovers(output.parent, [output.name])
    description = description_bytes(dataset_description(result.triples, {GRAPH_FILE: result.turtle}))
    graph_sha256, code = hashlib.sha256(result.turtle).hexdigest(), code_fingerprint()
    built_by = json.dumps({"pvkg": __version__, "code": code, "graph-sha256": graph_sha256}).encode("utf-8")
    record = record_of(result.corpus, code, previous)
    record.graph_sha256 = graph_sha256
    write_all_atomic({target: result.turtle, out_dir / DESCRIPTION_FILE: description,
                      out_dir / CACHE_DIR / BUILT_BY_FILE: built_by,
                      out_dir / CACHE_DIR / HOLDINGS_FILE: record.to_bytes()})
    if result.cache is not None and result.cache.path is not None:
        result.cache.save()
    if result.proofs is not None:
        result.proofs.save()
    if result.blocks is not None:
        result.blocks.save(out_dir / CACHE_DIR / BLOCKS_FILE, target)  # after the graph: it names its time
    result.since_last = _changes_since(previous, record)
    return target


def _changes_since(previous: Record | None, record: Record) -> HoldingChanges | None:
    try:
        return changes_since(previous, record) if previous is not None else None
    except ValueError:  # a damaged line in the last record: the tally is unknown, the build is done
        return None


def input_files(studies: Path) -> list[Path]:
    """Every file a build reads: what decides whether a built graph is out of date."""
    return [*validation_inputs(), resources.ontology_catalog(), resources.dataset_file(),
            *check_files(), *resources.vocabulary_files(),
            *study_files([studies])]


def code_fingerprint() -> str:
    """A hash of pvkg's own code: a graph built by other code (an upgrade, a checkout of another commit)
    may differ though no input file changed."""
    digest = hashlib.sha256()
    package = resources.package_dir()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _built_here_as_is(out_dir: Path) -> bool:
    """Whether the graph file is exactly what this pvkg code wrote: the code's hash and the file's SHA-256 are
    the ones recorded beside it. A graph edited by hand, cut short or copied over is built again rather than
    handed, unreadable, to a parser whose error would reach the user."""
    try:
        record = json.loads((out_dir / CACHE_DIR / BUILT_BY_FILE).read_text(encoding="utf-8"))
        if record["code"] != code_fingerprint():
            return False
        with open(out_dir / GRAPH_FILE, "rb") as graph:
            return hashlib.file_digest(graph, "sha256").hexdigest() == record["graph-sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False  # no record (an older build), or a damaged one: build again


def _mtime(path: Path) -> float:
    """When a file last changed; one that cannot be read counts as changed now, so that the build runs and
    reports it."""
    try:
        return path.stat().st_mtime
    except OSError:
        return math.inf


def ensure_built(studies: Path, out_dir: Path, stages: Stages | None = None,
                 skip_hint: str | None = None) -> tuple[Path, Build | None]:
    """The built graph file, rebuilt first when it is missing, older than any of its inputs, made by other
    pvkg code, or changed since it was written. Returns the file and the Build when one was made."""
    target = out_dir / GRAPH_FILE
    if target.is_file():
        built_at = target.stat().st_mtime
        if all(_mtime(p) <= built_at for p in input_files(studies)) and _built_here_as_is(out_dir):
            return target, None
    result = build_graph([studies], cache_dir=out_dir / CACHE_DIR, stages=stages, skip_hint=skip_hint)
    if stages is not None:
        stages.start(f"writing {display_path(target)}")
    return write_build(result, out_dir), result


def load_built(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def graph_with_ontology(paths: list[Path]) -> Graph:
    """The ontology plus the RDF files given (Turtle, N-Triples, RDF/XML...; format guessed from the name)."""
    graph = load_ontology()
    for path in paths:
        try:
            graph.parse(path)
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file; give RDF files to check") from None
        except Exception as e:  # rdflib raises many parser-specific types; all mean "not readable RDF"
            message = " ".join(str(e).split())[:300]
            raise PvkgError(f"{path}: cannot be read as RDF ({message}); give Turtle, N-Triples or RDF/XML")\
                from None
    return graph
