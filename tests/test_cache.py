"""Rebuilds validate only what changed: results are cached by a hash of what was validated, in the output
folder, and thrown away when the ontology or the shapes change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pvkg._build import pipeline
from pvkg._build.validate import ValidationCache

STUDIES = Path(__file__).resolve().parents[1] / "studies"




def _build(studies, out):
    result = pipeline.build_graph([studies], reason=False, cache_dir=out / pipeline.CACHE_DIR)
    pipeline.write_build(result, out)
    return result


def test_a_rebuild_validates_only_the_edited_file(tmp_path):
    studies, out = tmp_path / "studies", tmp_path / "dist"
    shutil.copytree(STUDIES, studies)
    first = _build(studies, out)
    parts = len(first.parts.triples)
    assert (first.cache.hits, first.cache.misses) == (0, parts)
    again = _build(studies, out)
    assert (again.cache.hits, again.cache.misses) == (parts, 0)
    assert (out / pipeline.GRAPH_FILE).read_bytes() == pipeline.write_build(again, tmp_path / "copy").read_bytes()

    edited = studies / "luna-2024.yaml"
    edited.write_text(edited.read_text().replace("Abstract", "Abstract, first paragraph", 1), encoding="utf-8")
    after_edit = _build(studies, out)
    assert (after_edit.cache.hits, after_edit.cache.misses) == (parts - 1, 1)
    assert "Abstract, first paragraph" in (out / pipeline.GRAPH_FILE).read_text(encoding="utf-8")
    # the cache keeps only what the last build used, so it does not grow with every edit
    assert len(json.loads((out / ".cache" / "validation.json").read_text())["parts"]) == parts


def test_the_cache_is_dropped_when_shapes_or_ontology_change(tmp_path):
    studies, out = tmp_path / "studies", tmp_path / "dist"
    shutil.copytree(STUDIES, studies)
    _build(studies, out)
    path = out / ".cache" / "validation.json"
    assert ValidationCache.open(path, pipeline.validation_inputs()).entries
    changed_shapes = tmp_path / "shapes.ttl"
    changed_shapes.write_bytes(pipeline.validation_inputs()[-1].read_bytes() + b"\n# edited\n")
    assert ValidationCache.open(path, [*pipeline.validation_inputs()[:-1], changed_shapes]).entries == {}


def test_a_damaged_cache_only_costs_time(tmp_path):
    studies, out = tmp_path / "studies", tmp_path / "dist"
    shutil.copytree(STUDIES, studies)
    (out / ".cache").mkdir(parents=True)
    (out / ".cache" / "validation.json").write_text("{not json")
    result = _build(studies, out)
    assert result.cache.hits == 0 and result.validation.conforms


def test_batches_in_worker_processes_report_what_one_batch_reports(seed_build):
    """Cold builds of large corpora validate batches of parts in parallel processes; the problems found
    must be the same as in one run. Two files get a defect each so that there is something to find."""
    from pvkg._build.load import DataParts
    from pvkg._build.validate import validate_parts
    from pvkg._namespaces import PVKG

    broken = {f"https://w3id.org/pvkg/id/finding/{f}" for f in ("luna2024-01", "smsf-02")}
    parts = {file: [t for t in triples if not (str(t[0]) in broken and t[1] == PVKG.locator)]
             for file, triples in seed_build.parts.triples.items()}
    data = DataParts(parts, seed_build.sources)
    one = validate_parts(seed_build.ontology, data, workers=1)
    parallel = validate_parts(seed_build.ontology, data, batch_triples=300, workers=2)
    assert not one.conforms and len(one.problems) == 2
    assert parallel.problems == one.problems
    assert {p.subject for p in one.problems} == {"finding luna2024-01", "finding smsf-02"}
