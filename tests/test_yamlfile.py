"""The YAML reader: YAML 1.2 core schema, line numbers for every key and item, and refusals of what study
files never need (duplicate keys, aliases, tags that build objects, control characters, deep nesting), each
with the line it concerns."""

from __future__ import annotations

import math

import pytest
import yaml

from pvkg import _yamlfile as yamlfile
from pvkg._yamlfile import MAX_DEPTH, RefusedError, YAMLError, load


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
    ("a: 1\nb: 2\na: 3\n", "the key 'a' appears twice in this mapping (first at line 1); keep one of them", 3),
    ("a: &x [1, 2]\nb: *x\n", "an alias (*x) repeats an anchored value", 2),  # the alias's line
    ("a: !!python/object/apply:os.system [echo hi]\n", "field 'a' has the tag !!python/object/apply:os.system, "
                                                       "which is not allowed", 1),
    ("a: !!binary aGk=\n", "is not allowed", 1),
    ("a: !!set {x}\n", "field 'a' has the tag !!set", 1),
    ("a: !!map [1]\n", "field 'a' has the tag !!map", 1),
    ("? [1]\n: 2\n", "a key must be plain text", 1),
    ("a: [1,\n", "expected", 2),
    ("a:\n  b: !!int twelve\n", "field 'b' holds 'twelve', which cannot be read as a whole number", 2),
    ("a: !!float x\n", "cannot be read as a number", 1),
    ("a: !!bool maybe\n", "cannot be read as true or false", 1),
    ("a: " + "9" * 5000 + "\n", "(it has too many digits)", 1),  # Python reads at most 4,300
    ("1" + "0" * 5000 + ": x\n", "cannot be read as a whole number", 1),
    ("a: 1\n---\nb: 2\n", "a second YAML document starts here", 2),
    ("a:\n\t- b\n", "a tab indents this line (column 1); YAML indents with spaces only", 2),
    ('a: "x \\ud83d y"\n', "names no character (a lone surrogate", 1),
    ('a:\n  - "\\a"\n', "an item of field 'a' holds U+0007 (BEL), which RDF/XML and many tools cannot carry", 2),
    ('a: "\\e[1m"\n', "field 'a' holds U+001B (ESC)", 1),
    ('a: "x\\0"\n', "field 'a' holds U+0000 (NUL)", 1),
    ('a: "\\x85"\n', "U+0085 (NEL)", 1),
    ('a: "\\uFFFE"\n', "U+FFFE (a noncharacter)", 1),
    ("a: b\nc: d\x07e\n", "the file holds U+0007 (BEL) at column 5; remove it", 2),  # raw, not escaped
    ("a: b\x7f\n", "the file holds U+007F (DEL) at column 5", 1),
    ("a: " + "[" * 33 + "]" * 33 + "\n", "values are nested more than 32 levels deep", 1),
])
def test_refusals_carry_a_line(text, message, line):
    with pytest.raises(RefusedError if message != "expected" else YAMLError) as caught:
        load(text)
    assert message in str(caught.value)
    assert caught.value.problem_mark.line + 1 == line


def test_nesting_as_deep_as_a_study_file_needs_is_read():
    lists = MAX_DEPTH - 1  # inside the top-level mapping
    value = load("a: " + "[" * lists + "]" * lists + "\n")["a"]
    for _ in range(lists - 1):
        [value] = value
    assert value == []


@pytest.mark.parametrize("depth", [10_000, 300_000])
def test_very_deep_nesting_is_refused_without_recursion(depth):
    """libyaml's own composer recurses in C and crashes the interpreter near 100,000 levels; this reader
    never recurses, so it refuses at MAX_DEPTH whatever the depth (300,000 levels fit in 600 kB)."""
    for text in ("[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth, "- " * depth + "x"):
        with pytest.raises(RefusedError) as caught:
            load(text)
        assert "nested more than 32 levels deep" in caught.value.problem


def test_an_alias_bomb_is_refused_at_its_first_alias():
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(20)]
    with pytest.raises(RefusedError) as caught:
        load("\n".join(lines))
    assert caught.value.problem_mark.line == 1 and "*a" in caught.value.problem


def test_text_that_looks_like_other_types_or_syntax_stays_text():
    data = load('q: "12"\ns: !!str 12\ni: !!int "12"\nl: "x\\u2028y"\nt: "a\\tb\\nc"\nd: \'He said "x"\'\n')
    assert data == {"q": "12", "s": "12", "i": 12, "l": "x\u2028y", "t": "a\tb\nc", "d": 'He said "x"'}


def test_an_unused_anchor_is_harmless():
    assert load("a: &x 1\nb: 2\n") == {"a": 1, "b": 2}


def test_empty_documents_are_nothing():
    assert load("") is None and load("# only a comment\n") is None and load("---\n") is None


class _LibyamlWithLimitsOfItsOwn:
    """Stands for a libyaml that refuses something itself, in words of its own, before it gives a single
    event: PyYAML 6.0.4's does exactly this for `[` x 10,000 ("while increasing flow level / exceeded maximum
    nesting depth", a ScannerError at column 1001). The message and error type vary, as a new release may."""

    error: yaml.YAMLError

    def __init__(self, text: str):
        pass

    def get_event(self):
        raise self.error


@pytest.mark.parametrize("error", [
    yaml.scanner.ScannerError("while increasing flow level", None, "exceeded maximum nesting depth",
                              yaml.Mark("<unicode string>", 1000, 0, 1000, None, None)),
    yaml.parser.ParserError(None, None, "a message no release has had yet",
                            yaml.Mark("<unicode string>", 50, 0, 50, None, None)),
    yaml.YAMLError("an error with no place at all"),
], ids=["pyyaml-6.0.4", "new-wording", "no-mark"])
def test_deep_nesting_gets_pvkgs_line_whatever_libyaml_refuses_first(monkeypatch, error):
    monkeypatch.setattr(_LibyamlWithLimitsOfItsOwn, "error", error, raising=False)
    monkeypatch.setattr(yamlfile, "_Parser", _LibyamlWithLimitsOfItsOwn)
    with pytest.raises(RefusedError) as caught:
        load("[" * 10_000 + "]" * 10_000)
    assert "nested more than 32 levels deep" in caught.value.problem
    assert caught.value.problem_mark.line == 0 and caught.value.problem_mark.column == 32


def test_what_libyaml_alone_refuses_stays_its_error(monkeypatch):
    """The second reading only ever replaces the parser's error by the reader's own refusal: for a syntax
    error and nothing the reader refuses before it, the parser's error (with its place) is what comes out."""
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        load("a: [1, 2\nb: 3\n")
    assert not isinstance(caught.value, RefusedError) and caught.value.problem_mark is not None


@pytest.mark.parametrize("text", ["[" * 300_000 + "]" * 300_000, "{a: " * 5_000 + "1" + "}" * 5_000,
                                  "- " * 5_000 + "x", "a:\n" + "".join(" " * i + "- \n" for i in range(1, 60))])
def test_the_pure_python_parser_refuses_deep_nesting_as_libyaml_does(monkeypatch, text):
    """Where PyYAML has no libyaml (or for the second reading), the pure-Python parser meets the same limit."""
    monkeypatch.setattr(yamlfile, "_Parser", yamlfile._PythonParser)
    with pytest.raises(RefusedError) as caught:
        load(text)
    assert "nested more than 32 levels deep" in caught.value.problem
