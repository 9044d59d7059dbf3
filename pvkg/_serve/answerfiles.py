"""Stage 9 (serving), part 5: a canned query's answer as files on disk, written once by a query worker and read
by the server a page at a time.

An answer KEY is three files in its folder:

- `KEY.json`: SPARQL 1.1 Query Results JSON, the head on the first line, then one binding a line;
- `KEY.csv`: SPARQL 1.1 Query Results CSV (as `pvkg query --format csv` writes it);
- `KEY.rows`: where each row begins in both files (little-endian 64-bit byte offsets: the JSON file's for
  rows 0..n, the last being where its closing line begins, then the CSV file's), written last, so that an
  answer whose index is there is whole.

A page (rows OFFSET to OFFSET+LIMIT) is then one read of adjacent bytes in either file, and the whole answer is
the file as it is; the server never holds an answer's rows. The rows are in the order in which the engine gave
them, fixed once: pages taken from one stored answer never overlap nor leave a row out, whatever ties the
query's ORDER BY leaves.
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib.term import Node

from pvkg._sparql.remote import rows_from_json
from pvkg._sparql.results import json_term, plain_text

FORMS = ("json", "csv")  # the files of an answer, each served whole or in pages
INDEX = "rows"
_OFFSET = struct.Struct("<Q")
_JSON_END = b"]}}\n"


def _files(folder: Path, key: str) -> dict[str, Path]:
    return {form: folder / f"{key}.{form}" for form in (*FORMS, INDEX)}


def _json_lines(columns: list[str], rows: Iterable[tuple[Node | None, ...]]) -> Iterable[bytes]:
    """The JSON file: its head, one line a row (each but the last ending in a comma), its end."""
    head = json.dumps({"vars": columns}, ensure_ascii=False, separators=(",", ":"))
    yield f'{{"head":{head},"results":{{"bindings":[\n'.encode()
    previous = None
    for row in rows:
        if previous is not None:
            yield previous + b",\n"
        binding = {name: json_term(term) for name, term in zip(columns, row, strict=True) if term is not None}
        previous = json.dumps(binding, ensure_ascii=False, separators=(",", ":")).encode()
    if previous is not None:
        yield previous + b"\n"
    yield _JSON_END


def _csv_lines(columns: list[str], rows: Iterable[tuple[Node | None, ...]]) -> Iterable[bytes]:
    """The CSV file: its header, then one record a row (a record may hold line breaks inside quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for cells in [columns, *([plain_text(t) for t in row] for row in rows)]:
        writer.writerow(cells)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def write_answer(columns: list[str], rows: list[tuple[Node | None, ...]], folder: Path, key: str) -> int:
    """Write an answer's files into `folder` (each under a temporary name, then moved into place, the index
    last); the bytes they take."""
    files = _files(folder, key)
    temporary = {form: path.with_name(f".{path.name}.tmp-{os.getpid()}") for form, path in files.items()}
    offsets: dict[str, list[int]] = {}
    for form, lines in (("json", _json_lines(columns, rows)), ("csv", _csv_lines(columns, rows))):
        starts, position = [], 0
        with temporary[form].open("wb") as out:
            for line in lines:
                starts.append(position)
                out.write(line)
                position += len(line)
        offsets[form] = starts[1:] if form == "json" else [*starts[1:], position]  # past the head line
    with temporary[INDEX].open("wb") as out:
        for form in FORMS:
            out.write(b"".join(_OFFSET.pack(offset) for offset in offsets[form]))
    for form in (*FORMS, INDEX):
        os.replace(temporary[form], files[form])
    return sum(path.stat().st_size for path in files.values())


def remove_answer(folder: Path, key: str) -> None:
    """Remove an answer's files, and any a worker stopped while writing them left."""
    for path in [*_files(folder, key).values(), *folder.glob(f".{key}.*.tmp-*")]:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class StoredAnswer:
    """A whole answer on disk (see write_answer): its columns and number of rows, and its pages."""

    folder: Path
    key: str
    columns: tuple[str, ...]
    rows: int
    size: int  # bytes of its files

    @classmethod
    def open(cls, folder: Path, key: str) -> StoredAnswer | None:
        """The answer stored under `key`, or None when it is not there whole."""
        files = _files(folder, key)
        try:
            entries = files[INDEX].stat().st_size // _OFFSET.size
            with files["json"].open("rb") as data:
                head = json.loads(data.readline().decode() + "]}}")
            size = sum(path.stat().st_size for path in files.values())
        except (OSError, ValueError):
            return None
        return cls(folder, key, tuple(head["head"]["vars"]), entries // 2 - 1, size)

    def path(self, form: str) -> Path:
        return _files(self.folder, self.key)[form]

    def _span(self, form: str, offset: int, limit: int) -> tuple[int, int]:
        """Where rows offset..offset+limit (within the answer) begin and end in the file of `form`."""
        first, last = min(offset, self.rows), min(offset + limit, self.rows)
        base = 0 if form == "json" else self.rows + 1
        with self.path(INDEX).open("rb") as index:
            index.seek((base + first) * _OFFSET.size)
            start = _OFFSET.unpack(index.read(_OFFSET.size))[0]
            index.seek((base + last) * _OFFSET.size)
            return start, _OFFSET.unpack(index.read(_OFFSET.size))[0]

    def page(self, form: str, offset: int, limit: int) -> bytes:
        """Rows offset..offset+limit as a document of their own in `form` (its head, those rows, its end)."""
        start, end = self._span(form, offset, limit)
        with self.path(form).open("rb") as data:
            head = data.readline() if form == "json" else data.read(self._span(form, 0, 0)[0])
            data.seek(start)
            rows = data.read(end - start)
        if form == "csv":
            return head + rows
        rows = rows.rstrip(b"\n").removesuffix(b",")
        return head + (rows + b"\n" if rows else b"") + _JSON_END

    def page_rows(self, offset: int, limit: int) -> list[tuple[Node | None, ...]]:
        """Rows offset..offset+limit as rdflib terms."""
        return rows_from_json(json.loads(self.page("json", offset, limit)))[1]
