"""The built graph as Turtle, written again only where an edit changed it (build stage: write the graph).

A build keeps an index of the Turtle it wrote in its cache folder (turtle-blocks.json): where each subject's
block lies in the file and, for each input file, the SHA-256 of its bytes and the subjects its triples are
about. The next build writes again only the blocks of the subjects that a changed, added or removed file was
or is about, and copies every other block from the file the last build wrote. The bytes are those of a whole
write: blocks are sorted by their subject's text, and a subject's block is made from all its triples, whichever
files they came from (tests/test_turtle_blocks.py compares the two). What could make a copied block wrong
makes it a whole write instead: other pvkg code or ontology (the index's fingerprint), a graph file changed
since it was indexed (its size, time and inode), a touched subject that is a blank node or has one.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from pvkg._build.load import Triple
from pvkg._files import write_atomic
from pvkg._rdftext import Progress, TripleList, TurtleWriter, no_progress, prefix_map

BLOCKS_FILE = "turtle-blocks.json"  # in the build's cache folder
_SEPARATOR = b"\n\n"  # between two blocks; the last is followed by a line break


@dataclass
class TurtleBlocks:
    """The index of one Turtle file pvkg wrote: `header` bytes, then the named blocks (`keys`, their subjects'
    text, sorted; `spans`, [offset, length] of each), then the blocks of blank nodes nothing refers to (`tail`,
    [offset, length] of them all, or None); `files`: input file -> [SHA-256 of its bytes, the text of each
    subject its triples are about]; `stamp`: the file's size, modification time and inode when indexed."""

    fingerprint: str
    header: int = 0
    keys: list[str] = field(default_factory=list)
    spans: list[list[int]] = field(default_factory=list)
    tail: list[int] | None = None
    files: dict[str, list] = field(default_factory=dict)
    stamp: list[int] | None = None

    @classmethod
    def open(cls, path: Path | None, fingerprint: str) -> TurtleBlocks | None:
        """The index in `path`, if there is one made with this fingerprint; a damaged one is none."""
        if path is None or not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            blocks = cls(**stored)
        except (OSError, ValueError, TypeError):
            return None
        return blocks if blocks.fingerprint == fingerprint else None

    def save(self, path: Path, graph: Path) -> None:
        """Write the index of `graph`, which must be the file just written from these blocks."""
        self.stamp = _stamp(graph)
        write_atomic(path, json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def describes(self, graph: Path) -> bool:
        return self.stamp is not None and _stamp(graph) == self.stamp


def _stamp(path: Path) -> list[int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def turtle_of(triples: list[Triple], parts: dict[str, list[Triple]], digests: dict[str, str], fingerprint: str,
              previous: TurtleBlocks | None = None, graph: Path | None = None,
              progress: Progress = no_progress) -> tuple[bytes, TurtleBlocks]:
    """The Turtle of `triples` (the whole graph: each input file's `parts`, whose bytes have the SHA-256
    `digests`, and the ontology) and its index; written again only where it differs from the file `graph`
    that `previous` indexes, when it does."""
    writer = TurtleWriter(prefix_map(), progress)
    if previous is not None and graph is not None and previous.describes(graph):
        spliced = _spliced(writer, triples, parts, digests, previous, graph)
        if spliced is not None:
            progress(len(triples))
            return spliced
    return _whole(writer, triples, parts, digests, fingerprint)


class _Layout:
    """A Turtle file being put together: its header, then its blocks with a blank line between two and a line
    break after the last (as TurtleWriter.body writes them), and where each block lies."""

    def __init__(self, header: bytes):
        self.pieces = [header]
        self.offset = len(header)

    def add(self, block: bytes) -> list[int]:
        """Append a block; its [offset, length]."""
        if len(self.pieces) > 1:
            self.pieces.append(_SEPARATOR)
            self.offset += len(_SEPARATOR)
        span = [self.offset, len(block)]
        self.pieces.append(block)
        self.offset += len(block)
        return span

    def text(self) -> bytes:
        return b"".join([*self.pieces, b"\n"] if len(self.pieces) > 1 else self.pieces)


def _whole(writer: TurtleWriter, triples: list[Triple], parts: dict[str, list[Triple]], digests: dict[str, str],
           fingerprint: str) -> tuple[bytes, TurtleBlocks]:
    header = (writer.header() + "\n").encode("utf-8")
    index = TurtleBlocks(fingerprint, header=len(header))
    layout = _Layout(header)
    for key, block in writer.blocks(triples):
        span = layout.add(block.encode("utf-8"))
        if key is not None:
            index.keys.append(key)
            index.spans.append(span)
        elif index.tail is None:
            index.tail = span
        else:  # the blocks of blank nodes nothing refers to come last, one after another
            index.tail[1] = span[0] + span[1] - index.tail[0]
    index.files = {file: [digests.get(file, ""), _subject_texts(writer, part)] for file, part in parts.items()}
    return layout.text(), index


def _subject_texts(writer: TurtleWriter, part: list[Triple]) -> list[str]:
    return sorted({writer.term(s) for s in dict.fromkeys(t[0] for t in part)})


def _spliced(writer: TurtleWriter, triples: list[Triple], parts: dict[str, list[Triple]], digests: dict[str, str],
             previous: TurtleBlocks, graph: Path) -> tuple[bytes, TurtleBlocks] | None:
    """The new file from the old one, or None when a block cannot be copied safely."""
    changed = [f for f in parts if not digests.get(f) or previous.files.get(f, [None])[0] != digests[f]]
    removed = [f for f in previous.files if f not in parts]
    touched: set[str] = set()
    for file in [*changed, *removed]:
        touched.update(previous.files.get(file, [None, []])[1])
    new_texts = {file: _subject_texts(writer, parts[file]) for file in changed}
    for texts in new_texts.values():
        touched.update(texts)
    namespaces = prefix_map()
    nodes = {_node(text, namespaces) for text in touched}
    if None in nodes:
        return None
    source = TripleList(t for t in triples if t[0] in nodes)
    if source.blank():
        return None
    blocks = {}
    for subject in source.subjects():
        text = writer.term(subject)
        blocks[text] = writer.block(text, source.about(subject)).encode("utf-8")
    if not blocks.keys() <= touched:
        return None  # a subject whose text is not the one its node was found by: not the writer's own
    old = graph.read_bytes()
    index = TurtleBlocks(previous.fingerprint, header=previous.header)
    kept = ((key, span) for key, span in zip(previous.keys, previous.spans, strict=True) if key not in touched)
    written = ((key, None) for key in sorted(blocks, key=lambda k: k + " "))
    layout = _Layout(old[:previous.header])
    for key, span in heapq.merge(kept, written, key=lambda pair: pair[0] + " "):
        index.keys.append(key)
        index.spans.append(layout.add(old[span[0]:span[0] + span[1]] if span is not None else blocks[key]))
    if previous.tail is not None:
        index.tail = layout.add(old[previous.tail[0]:previous.tail[0] + previous.tail[1]])
    index.files = {file: ([digests.get(file, ""), new_texts[file]] if file in new_texts else previous.files[file])
                   for file in parts}
    return layout.text(), index


def _node(text: str, namespaces: dict[str, str]) -> URIRef | None:
    """The IRI a subject's text in pvkg's Turtle names: <iri> or prefix:local; None for anything else (a blank
    node)."""
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    prefix, colon, local = text.partition(":")
    namespace = namespaces.get(prefix) if colon else None
    return URIRef(namespace + local) if namespace is not None else None

