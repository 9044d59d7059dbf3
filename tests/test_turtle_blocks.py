"""A rebuild writes the Turtle again only where an edit changed it (pvkg/_build/turtleblocks.py): the file is the same,
byte for byte, as a build from nothing, and the blocks of subjects no edit touched are copied from the last
build's file, not written again."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import STUDIES

from pvkg._build import pipeline
from pvkg._build.turtleblocks import BLOCKS_FILE, TurtleBlocks


def _build(corpus: Path, out: Path) -> bytes:
    result = pipeline.build_graph([corpus], reason=False, cache_dir=out / pipeline.CACHE_DIR)
    pipeline.write_build(result, out)
    return (out / pipeline.GRAPH_FILE).read_bytes()


@pytest.fixture
def corpus(tmp_path) -> Path:
    return Path(shutil.copytree(STUDIES, tmp_path / "studies"))


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


EDITS = {
    # a finding's statement: one block
    "statement": lambda c: _replace(c / "luna-2019.yaml", "statement: ", "statement: Edited. "),
    # an author whom luna-2024 names too: the person keeps a block, the study's block changes
    "shared author dropped": lambda c: _replace(c / "luna-2019.yaml", "  - Picazo-Vela, Sergio\n", ""),
    # a new author: a new subject, sorted in among the copied ones
    "author added": lambda c: _replace(c / "luna-2019.yaml", "  - Luna, Dolores E.\n",
                                       "  - Luna, Dolores E.\n  - Aaronson, Abe\n"),
    # a study file nothing refers to, gone: its subjects' blocks go, the persons it shares stay
    "file removed": lambda c: (c / "twizeyimana-andersson-2019.yaml").unlink(),
    "two files edited": lambda c: (
        _replace(c / "luna-2019.yaml", "statement: ", "statement: One. "),
        _replace(c / "buyannemekh-2024.yaml", "statement: ", "statement: Two. ")),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_rebuild_writes_the_bytes_of_a_build_from_nothing(corpus, tmp_path, edit):
    out = tmp_path / "dist"
    before = _build(corpus, out)
    EDITS[edit](corpus)
    rebuilt = _build(corpus, out)
    assert rebuilt != before
    assert rebuilt == _build(corpus, tmp_path / "fresh")
    # the index the rebuild left describes its file: the build after it splices again, to the same bytes
    assert TurtleBlocks.open(out / pipeline.CACHE_DIR / BLOCKS_FILE, pipeline.turtle_fingerprint()).describes(
        out / pipeline.GRAPH_FILE)
    assert _build(corpus, out) == rebuilt


def _untouched_block(out: Path) -> tuple[int, bytes]:
    """Where the block of a subject that the edit of luna-2019.yaml does not touch lies, and its bytes."""
    index = TurtleBlocks.open(out / pipeline.CACHE_DIR / BLOCKS_FILE, pipeline.turtle_fingerprint())
    subjects = {Path(file).name: texts for file, (_, texts) in index.files.items()}
    key = next(k for k in subjects["twizeyimana-andersson-2019.yaml"] if k not in subjects["luna-2019.yaml"])
    offset, length = index.spans[index.keys.index(key)]
    return offset, (out / pipeline.GRAPH_FILE).read_bytes()[offset:offset + length]


def _overwrite_in_place(path: Path, offset: int, data: bytes) -> None:
    """Change bytes of the file without changing its size, time or inode (what the index checks)."""
    info = path.stat()
    with open(path, "r+b") as file:
        file.seek(offset)
        file.write(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_untouched_blocks_are_copied_not_written_again(corpus, tmp_path):
    out = tmp_path / "dist"
    _build(corpus, out)
    offset, block = _untouched_block(out)
    marked = block[:-2] + b"\t."  # the same triples and length, not what the writer makes
    _overwrite_in_place(out / pipeline.GRAPH_FILE, offset, marked)
    EDITS["statement"](corpus)
    assert marked in _build(corpus, out)  # copied from the last build's file


def test_a_graph_file_changed_since_it_was_indexed_is_written_whole(corpus, tmp_path):
    out = tmp_path / "dist"
    _build(corpus, out)
    offset, block = _untouched_block(out)
    _overwrite_in_place(out / pipeline.GRAPH_FILE, offset, block[:-2] + b"\t.")
    os.utime(out / pipeline.GRAPH_FILE)  # now its time is not the one indexed
    EDITS["statement"](corpus)
    assert _build(corpus, out) == _build(corpus, tmp_path / "fresh")


def test_an_index_made_by_other_code_or_ontology_is_not_used(corpus, tmp_path):
    out = tmp_path / "dist"
    _build(corpus, out)
    assert TurtleBlocks.open(out / pipeline.CACHE_DIR / BLOCKS_FILE, "another fingerprint") is None
    (out / pipeline.CACHE_DIR / BLOCKS_FILE).write_text("{not json", encoding="utf-8")
    assert TurtleBlocks.open(out / pipeline.CACHE_DIR / BLOCKS_FILE, pipeline.turtle_fingerprint()) is None
    EDITS["statement"](corpus)
    assert _build(corpus, out) == _build(corpus, tmp_path / "fresh")
