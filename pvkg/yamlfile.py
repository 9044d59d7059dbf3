"""Reading YAML the way study files need it: safe, YAML 1.2 core schema, with the line of every mapping,
key and list item, and fast.

PyYAML's libyaml parser reads a million triples' worth of study files about twenty times faster than
ruamel.yaml's round-trip loader. Its stock resolver is YAML 1.1, where `NO` (Norway) is false and `012` is
octal; here the resolver is YAML 1.2's core schema, and timestamps stay text. Only plain data can come out
(no Python objects), a key may appear once per mapping, and anchors/aliases are refused: study files have
no use for them, and an alias bomb cannot expand.
"""

from __future__ import annotations

import math
import re

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.resolver import BaseResolver

try:  # libyaml, as in PyYAML's manylinux wheels; the pure-Python parser otherwise
    from yaml._yaml import CParser as _Parser

    def _init_parser(loader, stream):
        _Parser.__init__(loader, stream)

    _bases: tuple[type, ...] = (_Parser,)
except ImportError:  # pragma: no cover - every wheel pvkg supports ships libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    def _init_parser(loader, stream):
        Reader.__init__(loader, stream)
        Scanner.__init__(loader)
        Parser.__init__(loader)
        Composer.__init__(loader)

    _bases = (Reader, Scanner, Parser, Composer)

YAMLError = yaml.YAMLError
MarkedYAMLError = yaml.MarkedYAMLError


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


class _CoreResolver(BaseResolver):
    pass


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
for _tag, _pattern, _first in (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                  r"|\.(?:nan|NaN|NAN))$", "-+0123456789.")):
    _CoreResolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))


class _Loader(*_bases, SafeConstructor, _CoreResolver):  # type: ignore[misc]
    def __init__(self, stream: str):
        _init_parser(self, stream)
        SafeConstructor.__init__(self)
        _CoreResolver.__init__(self)

    def construct_object(self, node: Node, deep: bool = False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise ConstructorError(None, None, "an alias (*name) repeats an anchored value; write the value "
                                   "out instead (anchors and aliases are not allowed)", node.start_mark)
        return super().construct_object(node, deep=True)


def _mapping(loader: _Loader, node: MappingNode):
    result = LineMap(node.start_mark.line + 1)
    yield result
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError("while reading a mapping", node.start_mark, "a key must be plain text, not "
                                   "a list or a mapping", key_node.start_mark) from None
        if key in result:
            raise ConstructorError("while reading a mapping", node.start_mark,
                                   f"found duplicate key {key!r} (first at line {result.key_lines[key]})",
                                   key_node.start_mark)
        result.key_lines[key] = key_node.start_mark.line + 1
        result[key] = loader.construct_object(value_node)


def _sequence(loader: _Loader, node: SequenceNode):
    result = LineList(node.start_mark.line + 1)
    yield result
    for item in node.value:
        result.item_lines.append(item.start_mark.line + 1)
        result.append(loader.construct_object(item))


def _int(loader: _Loader, node) -> int:
    text = loader.construct_scalar(node)
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text)


def _float(loader: _Loader, node) -> float:
    text = loader.construct_scalar(node).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


def _other_tag(loader: _Loader, node) -> None:
    raise ConstructorError(None, None, f"the tag {node.tag} is not allowed; study files hold plain text, "
                           f"numbers, true/false, lists and mappings", node.start_mark)


_Loader.yaml_constructors = {
    "tag:yaml.org,2002:map": _mapping, "tag:yaml.org,2002:seq": _sequence,
    "tag:yaml.org,2002:str": SafeConstructor.construct_yaml_str,
    "tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": _int, "tag:yaml.org,2002:float": _float,
    None: _other_tag,
}


def load(text: str):
    """The one YAML document in `text` as LineMap/LineList/str/int/float/bool/None. Raises YAMLError
    (MarkedYAMLError with the line where it can) for malformed YAML, duplicate keys and aliases."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
