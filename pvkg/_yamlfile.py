"""Reading YAML the way study files need it: safe, YAML 1.2 core schema, with the line of every mapping,
key and list item, and fast.

PyYAML's libyaml parser reads a million triples' worth of study files about twenty times faster than
ruamel.yaml's round-trip loader. Its stock resolver is YAML 1.1, where `NO` (Norway) is false and `012` is
octal; here the resolver is YAML 1.2's core schema, and timestamps stay text.

The data is built straight from the parser's events, in one loop with an explicit stack: no recursion, so
values nested ten thousand deep get a line saying so instead of a RecursionError (or, in libyaml's own
recursive composer, a crash), and nesting stops at MAX_DEPTH. Only plain data can come out (no Python
objects), a key may appear once per mapping, and aliases are refused where they stand: study files have no
use for them, and an alias bomb ("billion laughs") is refused at its first alias, before anything expands.
Text holding a control character (U+0007, ESC, NUL...) is refused with its line: RDF/XML and many tools
cannot carry such characters, and no study needs them. Text comes out in Unicode's composed form (NFC), so
that an accented letter typed as one character or as a letter and a combining accent is one text: one
person, one label.

Every refusal is a RefusedError: a MarkedYAMLError whose `problem` is a whole message (what is wrong and
what to do) and whose `problem_mark` is where it is. Malformed YAML is the parser's own MarkedYAMLError.
What this reader refuses is refused in its own words even where the installed libyaml has a stricter limit
of its own and strikes first (PyYAML 6.0.4 refuses nesting past 1,000 levels): on any parser error, the text
before it is read again by the pure-Python parser through the same checks (see _refusal_before).
"""

from __future__ import annotations

import math
import re
import unicodedata

import yaml
from yaml import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner


class _PythonParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python parser. Slower than libyaml, but it scans ahead at most one line (1,024
    characters), so it meets deep nesting where it stands."""

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


try:  # libyaml, as in PyYAML's manylinux wheels; the pure-Python parser otherwise
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - every wheel pvkg supports ships libyaml
    _Parser = _PythonParser

YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError

MAX_DEPTH = 32  # a study file nests six deep at most (study > cites > cited work > context > sample > unit)


class RefusedError(MarkedYAMLError):
    """YAML the reader refuses; `problem` says what is wrong and what to do, `problem_mark` where."""

    def __init__(self, message: str, mark):
        super().__init__(problem=message, problem_mark=mark)


class LineMap(dict):
    """A mapping that knows its line and the line of each key (1-based)."""

    line: int = 0

    def __init__(self, line: int = 0):
        super().__init__()
        self.line = line
        self.key_lines: dict = {}


class LineList(list):
    """A list that knows its line and the line of each item (1-based)."""

    line: int = 0

    def __init__(self, line: int = 0):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


# ------------------------------------------------------------------------------------------------------
# Characters
# ------------------------------------------------------------------------------------------------------

# What YAML does not allow to stand in a file (https://yaml.org/spec/1.2.2/#51-character-set): C0 controls
# other than tab, line feed and carriage return; DEL; C1 controls other than NEL; surrogates; U+FFFE/U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
# What text may not hold once read, escapes included: the above and NEL (U+0085). XML 1.0 cannot carry C0
# controls, surrogates or U+FFFE/U+FFFF at all, and restricts the C1 ones.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
          0x1B: "ESC", 0x7F: "DEL", 0x85: "NEL", 0xFFFE: "a noncharacter", 0xFFFF: "a noncharacter"}


def describe_character(char: str) -> str:
    """'U+0007 (BEL)', 'U+D800 (a lone surrogate)'..."""
    code = ord(char)
    name = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else _NAMES.get(code, "a control character")
    return f"U+{code:04X} ({name})"


def _mark(text: str, index: int):
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return yaml.Mark("<unicode string>", index, line, column, None, None)


def _check_characters(text: str) -> None:
    found = _UNPRINTABLE.search(text)
    if found:
        mark = _mark(text, found.start())
        raise RefusedError(f"the file holds {describe_character(found.group())} at column {mark.column + 1}; "
                           "remove it (study files hold text only)", mark)


# ------------------------------------------------------------------------------------------------------
# Scalars: YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
# ------------------------------------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
# (tag, pattern of a plain scalar that has it, characters such a scalar can start with)
CORE_SCHEMA = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
              r"|\.(?:nan|NaN|NAN))$", "-+0123456789."),
)
_IMPLICIT: dict[str, list[tuple[str, re.Pattern]]] = {}
for _tag, _pattern, _first in CORE_SCHEMA:
    for _char in _first:
        _IMPLICIT.setdefault(_char, []).append((_TAG + _tag, re.compile(_pattern)))
_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


def _int(text: str) -> int:
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text)


def _float(text: str) -> float:
    text = text.lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:30] + "...")


def _scalar(event: ScalarEvent, parent: _Open | None):
    value = event.value
    tag = event.tag
    if tag is None or tag == "!":
        tag = _TAG + "str"
        if event.implicit[0]:
            for candidate, pattern in _IMPLICIT.get(value[:1], ()):
                if pattern.match(value):
                    tag = candidate
                    break
    if tag == _TAG + "str":
        return unicodedata.normalize("NFC", value)
    if tag == _TAG + "null":
        return None
    try:
        if tag == _TAG + "bool":
            return _BOOLS[value.lower()]
        if tag == _TAG + "int":
            return _int(value)
        if tag == _TAG + "float":
            return _float(value)
    except (KeyError, ValueError):
        what = {"bool": "true or false", "int": "a whole number", "float": "a number"}[tag[len(_TAG):]]
        digits = " (it has too many digits)" if tag == _TAG + "int" and len(value) > 4000 else ""
        raise RefusedError(f"{_where(parent)} holds {_short(value)}, which cannot be read as {what}{digits}; "
                           "fix the value, or quote it to make it text", event.start_mark) from None
    raise _tag_refused(tag, parent, event)


def _tag_refused(tag: str, parent: _Open | None, event) -> RefusedError:
    tag = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
    return RefusedError(f"{_where(parent)} has the tag {tag}, which is not allowed; study files hold plain text, "
                        "numbers, true/false, lists and mappings: remove the tag", event.start_mark)


# ------------------------------------------------------------------------------------------------------
# Documents
# ------------------------------------------------------------------------------------------------------

_NO_KEY = object()


class _Open:
    """A mapping or list being filled: the key waiting for its value, and the field it is the value of."""

    __slots__ = ("container", "is_map", "key", "key_line", "field")

    def __init__(self, container, field: str | None):
        self.container = container
        self.is_map = isinstance(container, LineMap)
        self.key = _NO_KEY
        self.key_line = 0
        self.field = field


def _where(parent: _Open | None) -> str:
    """How a message names the value now being read."""
    if parent is None:
        return "the file"
    if parent.is_map:
        return "a key" if parent.key is _NO_KEY else f"field {parent.key!r}"
    return f"an item of field {parent.field!r}" if parent.field is not None else "a list item"


def _build(parser):
    get = parser.get_event
    get()  # StreamStartEvent
    if isinstance(get(), StreamEndEvent):
        return None
    stack: list[_Open] = []
    while True:
        event = get()
        kind = type(event)
        parent = stack[-1] if stack else None
        if kind is ScalarEvent:
            value = _scalar(event, parent)
            if isinstance(value, str):
                found = _CONTROL.search(value)
                if found:
                    raise RefusedError(f"{_where(parent)} holds {describe_character(found.group())}, which "
                                       "RDF/XML and many tools cannot carry; remove it", event.start_mark)
            opened = None
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            is_map = kind is MappingStartEvent
            if event.tag not in (None, "!", _TAG + ("map" if is_map else "seq")):
                raise _tag_refused(event.tag, parent, event)
            if parent is not None and parent.is_map and parent.key is _NO_KEY:
                raise RefusedError("a key must be plain text, not a list or a mapping; write the field's name "
                                   "as text", event.start_mark)
            if len(stack) >= MAX_DEPTH:
                raise RefusedError(f"values are nested more than {MAX_DEPTH} levels deep here; a study file "
                                   "needs six at most: close the brackets or fix the indentation",
                                   event.start_mark)
            line = event.start_mark.line + 1
            value = LineMap(line) if is_map else LineList(line)
            field = None if parent is None else parent.field if not parent.is_map else str(parent.key)
            opened = _Open(value, field)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            done = stack.pop()
            if not stack:
                return _end(parser, done.container)
            continue
        elif kind is AliasEvent:
            raise RefusedError(f"an alias (*{event.anchor}) repeats an anchored value; write the value out "
                               "instead (anchors and aliases are not allowed)", event.start_mark)
        else:  # pragma: no cover - the parser yields nothing else inside a document
            raise RefusedError(f"unexpected {kind.__name__}", event.start_mark)

        if parent is None:
            if opened is None:
                return _end(parser, value)
        elif not parent.is_map:
            parent.container.append(value)
            parent.container.item_lines.append(event.start_mark.line + 1)
        elif parent.key is _NO_KEY:
            container = parent.container
            if value in container:
                raise RefusedError(f"the key {value!r} appears twice in this mapping (first at line "
                                   f"{container.key_lines[value]}); keep one of them", event.start_mark)
            parent.key = value
            parent.key_line = event.start_mark.line + 1
        else:
            parent.container[parent.key] = value
            parent.container.key_lines[parent.key] = parent.key_line
            parent.key = _NO_KEY
        if opened is not None:
            stack.append(opened)


def _end(parser, value):
    """The document's value, once the stream is known to hold no second document."""
    parser.get_event()  # DocumentEndEvent
    event = parser.get_event()
    if isinstance(event, DocumentStartEvent):
        raise RefusedError("a second YAML document starts here; a study file holds one document: remove the "
                           "'---' line and what follows it, or move that to a file of its own", event.start_mark)
    return value


def _clearer(error: YAMLError, text: str) -> RefusedError | None:
    """A clearer message than the parser's for a tab that indents a line and for an escape that names no
    character; None for other errors."""
    mark = getattr(error, "problem_mark", None)
    if mark is None:
        return None
    if "invalid Unicode character escape" in str(error.problem):
        return RefusedError("an escape in this text names no character (a lone surrogate such as \\ud800, or "
                            "a code above \\U0010FFFF); write the character itself, or one escape for it "
                            "(\\U0001F600, not \\ud83d\\ude00)", mark)
    lines = text.split("\n", mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or "tab" in str(error.problem):
        column = line.find("\t") + 1 or mark.column + 1
        return RefusedError(f"a tab indents this line (column {column}); YAML indents with spaces only: "
                            "replace the tab with spaces", mark)
    return None


def _refusal_before(text: str, error: YAMLError) -> RefusedError | None:
    """The reader's own refusal of something that stands before the parser's error, if there is one.

    libyaml scans ahead of the events it gives: on one line of flow brackets it reads up to 1,024
    characters before the first event, so its own limits (PyYAML 6.0.4's libyaml refuses nesting deeper
    than 1,000 levels) can strike before this reader sees what it would refuse. The text up to the end of
    the error's line is therefore read again, through the same checks, by PyYAML's pure-Python parser; what
    it refuses first is what the user is told. Cut there, the text ends early, so the parser's own error at
    the cut says nothing and is ignored. An error without a place has the whole text read again."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    end = -1 if mark is None else text.find("\n", _line_start(text, mark.line))
    try:
        _build(_PythonParser(text if end < 0 else text[:end]))
    except RefusedError as refusal:
        return refusal
    except YAMLError:
        pass
    return None


def _line_start(text: str, line: int) -> int:
    """The index where 0-based `line` starts (the end of the text if it has fewer lines)."""
    index = 0
    for _ in range(line):
        index = text.find("\n", index) + 1
        if index == 0:
            return len(text)
    return index


def load(text: str):
    """The one YAML document in `text` as LineMap/LineList/str/int/float/bool/None. Raises RefusedError for
    what study files may not hold (duplicate keys, aliases, tags, control characters, deep nesting, a
    second document...) and the parser's MarkedYAMLError for malformed YAML; both carry the line.

    What the reader refuses is refused in its own words whatever limits the installed libyaml has of its
    own: see _refusal_before."""
    _check_characters(text)
    try:
        return _build(_Parser(text))
    except RefusedError:
        raise
    except YAMLError as error:
        ours = _clearer(error, text) or _refusal_before(text, error)
        if ours is None:
            raise
        raise ours from None
