"""The YAML reader: YAML 1.2 core schema, line numbers for every key and item, and refusals of what study
files never need (duplicate keys, aliases, tags that build objects)."""

from __future__ import annotations

import math

import pytest

from pvkg.yamlfile import YAMLError, load


def test_core_schema_not_yaml_1_1():
    data = load("country: NO\nflag: yes\noctal: 012\nhex: 0x1F\nwhen: 2024-01-02\nt: true\nn: ~\nf: -.inf\n")
    assert data == {"country": "NO", "flag": "yes", "octal": 12, "hex": 31, "when": "2024-01-02", "t": True,
                    "n": None, "f": -math.inf}


def test_every_key_and_item_knows_its_line():
    data = load("# comment\nid: x\nfindings:\n  - id: a\n    about: [v1,\n      v2]\n  - id: b\n")
    assert data.line == 2 and data.key_lines == {"id": 2, "findings": 3}
    assert data["findings"].item_lines == [4, 7]
    assert data["findings"][1].line == 7 and data["findings"][0]["about"].item_lines == [5, 6]


@pytest.mark.parametrize("text, message, line", [
    ("a: 1\nb: 2\na: 3\n", "found duplicate key 'a' (first at line 1)", 3),
    ("a: &x [1, 2]\nb: *x\n", "anchors and aliases are not allowed", 1),
    ("a: !!python/object/apply:os.system [echo hi]\n", "is not allowed", 1),
    ("a: !!binary aGk=\n", "is not allowed", 1),
    ("? [1]\n: 2\n", "a key must be plain text", 1),
    ("a: [1,\n", "expected", 2),
])
def test_refusals_carry_a_line(text, message, line):
    with pytest.raises(YAMLError) as caught:
        load(text)
    assert message in str(caught.value)
    assert caught.value.problem_mark.line + 1 == line
