"""Bad inputs that cannot sensibly be committed as files under data/invalid/: a 50 MB file, links that
loop or lead nowhere, files no one may read, a pipe, nesting deep enough to crash a recursive parser. Each is
made at test time beside copies of the seed studies and checked by the same harness as the committed ones
(tests/test_loader.py, `assert_refused`): exit 1, one line per problem naming the file, what to do, the good
files named as fine, nothing written, no traceback. Each test's docstring says what it must produce."""

from __future__ import annotations

import os
import time
import tracemalloc
import unicodedata
from pathlib import Path

import pytest
from test_loader import DATA, GOOD, assert_refused, run_pvkg, seed_corpus

from pvkg._build.studies import MAX_FILE_BYTES


def _link(target: str, link: Path) -> None:
    try:
        os.symlink(target, link)
    except (OSError, NotImplementedError):  # pragma: no cover - Windows without the privilege
        pytest.skip("this system cannot make symbolic links")


def _deny(path: Path) -> None:
    """chmod 000, or skip the test where that does not stop this process (root, with CAP_DAC_OVERRIDE, reads
    and searches whatever the mode: the links and the folder named x.yaml above are unreadable even to it)."""
    path.chmod(0)
    try:
        os.listdir(path) if path.is_dir() else path.open("rb").close()
    except PermissionError:
        return
    path.chmod(0o755)
    pytest.skip("this process reads files whatever their mode (root)")


def test_a_50_mb_file_is_refused_unread(tmp_path):
    """`big.yaml: is 50.0 MB, more than the 1 MB a study file may have ...; check that it is a study file,
    or split it` -- refused from its size alone, without reading it, in well under a second."""
    studies = seed_corpus(tmp_path)
    chunk = b"- id: x\n  note: a long line of perfectly valid YAML that goes on and on\n" * 14_000  # ~1 MB
    with open(studies / "big.yaml", "wb") as f:
        for _ in range(50_000_000 // len(chunk) + 1):
            f.write(chunk)
        f.truncate(50_000_000)
    assert_refused(studies, "is 50.0 MB, more than the 1 MB a study file may have", "big.yaml")  # imports done
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert_refused(studies, "is 50.0 MB, more than the 1 MB a study file may have", "big.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    # Measured on a second run, once every module is imported (typer 0.29 brings pydantic, whose import alone
    # peaks near 7 MB): the seed files read and checked. Reading big.yaml would take 50 MB.
    assert peak < 10_000_000, f"{peak / 1e6:.1f} MB allocated"


def test_a_file_just_over_the_limit_is_refused_and_one_at_it_is_read(tmp_path):
    """`over.yaml: is 1.0 MB, more than the 1 MB a study file may have` one byte over the limit; a file of
    exactly MAX_FILE_BYTES is read (and here found to be no study)."""
    studies = seed_corpus(tmp_path)
    (studies / "over.yaml").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    assert_refused(studies, "is 1.0 MB, more than the 1 MB a study file may have", "over.yaml")
    (studies / "over.yaml").unlink()
    (studies / "at-limit.yaml").write_bytes(b"#" * MAX_FILE_BYTES)
    assert_refused(studies, "is empty; a study file needs at least id, title (or authors) and findings",
                   "at-limit.yaml")


def test_a_symlink_loop_in_the_studies_folder(tmp_path):
    """`studies/loop: is a link to .../studies, a folder that holds this link, so searching it would never
    end; remove the link or point it elsewhere` -- at once, with no RecursionError; the same for a link in a
    subfolder back up to the studies folder, and for one to the folder above it."""
    studies = seed_corpus(tmp_path)
    _link(".", studies / "loop")
    (studies / "sub").mkdir()
    _link("..", studies / "sub" / "back")
    _link("..", studies / "up")
    problems = assert_refused(studies, "a folder that holds this link, so searching it would never end; remove "
                                       "the link or point it elsewhere", "loop")
    assert [p.split(": ", 1)[0].rsplit("/", 2)[-2:] for p in problems] == [["studies", "loop"], ["sub", "back"],
                                                                            ["studies", "up"]]


def test_a_link_to_another_folder_is_followed(tmp_path):
    """Not a bad input: a link to a folder elsewhere is searched like a subfolder (its studies are read and
    named as fine), and a second link to the same folder does not read its files twice."""
    studies = seed_corpus(tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "minimal-study.yaml").write_bytes((DATA / "valid" / "minimal-study.yaml").read_bytes())
    _link(str(shared), studies / "shared")
    _link(str(shared), studies / "shared-again")
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 0, stderr
    assert (tmp_path / "dist" / "pvkg.ttl").read_bytes().count(b"finding/minimal-01") >= 1


def test_a_link_named_like_a_study_file_that_leads_to_itself(tmp_path):
    """`self.yaml: is a link that leads back to itself (a loop of links); point it at a study file or
    remove it`."""
    studies = seed_corpus(tmp_path)
    _link("self.yaml", studies / "self.yaml")
    assert_refused(studies, "is a link that leads back to itself (a loop of links); point it at a study file or "
                            "remove it", "self.yaml")


def test_a_broken_link_named_like_a_study_file(tmp_path):
    """`gone.yaml: is a link to 'moved-away.yaml', which does not exist; fix the link or remove it` -- a file
    no one can read, root included."""
    studies = seed_corpus(tmp_path)
    _link("moved-away.yaml", studies / "gone.yaml")
    assert_refused(studies, "is a link to 'moved-away.yaml', which does not exist; fix the link or remove it",
                   "gone.yaml")


def test_a_folder_named_like_a_study_file(tmp_path):
    """`folder.yaml: is a folder, not a study file; rename it so that its name does not end in .yaml or .yml`
    -- another entry that cannot be read as a file, even by root. The study files inside it are still read."""
    studies = seed_corpus(tmp_path)
    (studies / "folder.yaml").mkdir()
    (studies / "folder.yaml" / "minimal-study.yaml").write_bytes((DATA / "valid" / "minimal-study.yaml").read_bytes())
    assert_refused(studies, "is a folder, not a study file; rename it so that its name does not end in .yaml or "
                            ".yml", "folder.yaml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_named_like_a_study_file(tmp_path):
    """`pipe.yaml: is not a plain file (a pipe, socket or device); a study file must be a plain text file` --
    without opening it, which would wait forever for a writer."""
    studies = seed_corpus(tmp_path)
    os.mkfifo(studies / "pipe.yaml")
    assert_refused(studies, "is not a plain file (a pipe, socket or device)", "pipe.yaml")


def test_a_study_file_no_one_may_read(tmp_path):
    """`secret.yaml: cannot be read (Permission denied); make it readable (chmod a+r) or move it out of the
    studies folder`."""
    studies = seed_corpus(tmp_path)
    secret = studies / "secret.yaml"
    secret.write_bytes((DATA / "valid" / "minimal-study.yaml").read_bytes())
    _deny(secret)
    try:
        assert_refused(studies, "cannot be read (Permission denied); make it readable (chmod a+r)", "secret.yaml")
    finally:
        secret.chmod(0o644)


def test_a_subfolder_no_one_may_search(tmp_path):
    """`locked: cannot be searched for study files (Permission denied); make it readable or remove it`."""
    studies = seed_corpus(tmp_path)
    locked = studies / "locked"
    locked.mkdir()
    _deny(locked)
    try:
        assert_refused(studies, "cannot be searched for study files (Permission denied)", "locked")
    finally:
        locked.chmod(0o755)


def test_a_file_of_zero_bytes(tmp_path):
    """`nothing.yaml: is empty; a study file needs at least id, title (or authors) and findings` (the committed
    empty.yaml holds its header comment, so it is not quite empty)."""
    studies = seed_corpus(tmp_path)
    (studies / "nothing.yaml").write_bytes(b"")
    assert_refused(studies, "is empty; a study file needs at least id, title (or authors) and findings", "nothing.yaml")


def test_nesting_deep_enough_to_crash_a_recursive_parser(tmp_path):
    """`deep.yaml:1: values are nested more than 32 levels deep here; ... close the brackets or fix the
    indentation` for 300,000 nested lists (600 kB, under the size limit), which crash libyaml's recursive
    composer with a segmentation fault; quickly."""
    studies = seed_corpus(tmp_path)
    (studies / "deep.yaml").write_text("[" * 300_000 + "]" * 300_000, encoding="ascii")
    started = time.perf_counter()
    assert_refused(studies, "values are nested more than 32 levels deep here", "deep.yaml", 1)
    assert time.perf_counter() - started < 5


def test_the_alias_bomb_is_refused_quickly_and_small(tmp_path):
    """`alias-bomb.yaml:6: an alias (*a) repeats an anchored value; ...` (the committed file, nine levels
    of nine aliases) -- at its first alias, before anything expands: in well under a second and a few MB."""
    studies = seed_corpus(tmp_path)
    (studies / "alias-bomb.yaml").write_bytes((DATA / "invalid" / "alias-bomb.yaml").read_bytes())
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert_refused(studies, "an alias (*a) repeats an anchored value", "alias-bomb.yaml", 6)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 20_000_000, f"{peak / 1e6:.1f} MB allocated"


def test_hidden_files_are_not_study_files(tmp_path):
    """Not a bad input: an editor's lock file (Emacs makes `.#name.yaml`, a link to nowhere) or a macOS
    `._name.yaml` beside the studies is skipped, like a .git folder, and the build succeeds."""
    studies = seed_corpus(tmp_path)
    _link("someone@host.1234:1700000000", studies / f".#{GOOD}")
    (studies / f"._{GOOD}").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    (studies / ".git").mkdir()
    (studies / ".git" / "broken.yaml").write_text("id: [\n")
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 0, stderr


def test_a_broken_link_appearing_after_a_build_is_reported_by_the_next_query(tmp_path):
    """`pvkg query` checks whether the built graph is stale by the times of its inputs: a study file that
    cannot be read counts as changed, so the query rebuilds and the build says what is wrong (it used to
    stop with a FileNotFoundError traceback)."""
    studies = seed_corpus(tmp_path)
    out = tmp_path / "dist"
    assert run_pvkg("build", "--studies", studies, "--out", out, "--no-reason")[0] == 0
    _link("moved-away.yaml", studies / "gone.yaml")
    code, stderr = run_pvkg("query", "studies", "--studies", studies, "--out", out)
    assert code == 1 and "gone.yaml: is a link to 'moved-away.yaml', which does not exist" in stderr
    assert "Traceback" not in stderr


# ------------------------------------------------------------------------------------------------------
# Problems between files: each names every file it concerns, at the line to change
# ------------------------------------------------------------------------------------------------------


def _study(folder: Path, study_id: str, extra: str = "", authors: str = "[Doe, Jane]") -> Path:
    """A minimal valid study file `study_id`.yaml with `extra` fields (YAML lines) after its year (line 6)."""
    path = folder / f"{study_id}.yaml"
    path.write_text(f"id: {study_id}\ntype: journal-article\ntitle: A minimal study\nauthors: {authors}\n"
                    f"year: 2020\n{extra}findings:\n  - id: {study_id}-01\n    kind: values\n    locator: Abstract\n"
                    "    statement: Citizens value transparency.\n    about: [value:transparency]\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("cycle", [["a", "b"], ["a", "b", "c"]], ids=["a-b-a", "a-b-c-a"])
def test_a_cycle_of_revisions_is_reported_at_every_study_on_it(tmp_path, cycle):
    """`a.yaml:6: study a: its revision-of links lead back to it (a -> b -> a); break the cycle`, and so at b
    (and c): every file on the cycle, at its revision-of line."""
    studies = seed_corpus(tmp_path)
    for study, after in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        _study(studies, study, f"revision-of: {after}\n")
    problems = assert_refused(studies, "revision-of links lead back to it", "a.yaml", 6)
    assert sorted(p.split(": ", 1)[0].rsplit("/", 1)[-1] for p in problems) == [f"{s}.yaml:6" for s in cycle]
    assert f"(a -> {' -> '.join(cycle[1:])} -> a)" in problems[0]


def test_two_studies_with_one_doi_are_both_named(tmp_path):
    """Each record with the DOI gets a line naming the other, so that neither is called fine."""
    studies = seed_corpus(tmp_path)
    _study(studies, "first", "doi: 10.1234/same\n")
    _study(studies, "second", "doi: https://doi.org/10.1234/SAME\n")
    problems = assert_refused(studies, "doi '10.1234/same' is also the DOI of study second at", "first.yaml", 6)
    assert any(p.endswith("second.yaml:6: study second: doi '10.1234/SAME' is also the DOI of study first at "
                           f"{studies}/first.yaml:6; a DOI names one work: keep one record of it, or correct the DOI")
               for p in problems), problems


def test_names_that_mint_one_iri_are_blamed_on_both_files_not_the_graph(tmp_path):
    """Authors differing only in case and punctuation ("Doé, Jane" and "DOÉ Jane") are one person IRI with two
    names: both files named at the author's line (SHACL used to say `<graph>: ... A person needs exactly one
    name` and call both files fine)."""
    studies = seed_corpus(tmp_path)
    _study(studies, "first", authors='["Doé, Jane"]')
    _study(studies, "second", authors='["DOÉ Jane"]')
    problems = assert_refused(studies, "person 'Jane Doé' and 'DOÉ Jane' at", "first.yaml", 4)
    assert any("second.yaml:4: person 'DOÉ Jane' and 'Jane Doé' at" in p for p in problems), problems
    assert not any("<graph>" in p for p in problems)


def test_accents_encoded_two_ways_are_one_name(tmp_path):
    """Not a bad input: "Doé" typed as é (NFC) in one file and as e + U+0301 (NFD) in the other is one person
    (the reader gives text in NFC), where it used to be two names for one IRI."""
    studies = seed_corpus(tmp_path)
    _study(studies, "first", authors='["Doé, Jane"]')
    _study(studies, "second", authors='["Doe\u0301, Jane"]')
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 0, stderr
    assert (tmp_path / "dist" / "pvkg.ttl").read_text(encoding="utf-8").count('foaf:name "Jane Doé"') == 1


@pytest.mark.parametrize("label", ["transpa\u200brency", "TRANSPARENCY\ufe0f", "\u2066transparency\u2069"])
def test_a_label_that_differs_only_by_invisible_characters_is_a_duplicate(tmp_path, label):
    """A concept whose label is the vocabulary's "transparency" with a zero-width space, a variation selector
    or bidi isolates in it is a duplicate label in the values scheme, reported at the study file's line (the
    label escaped), exit 1. Those characters used to slip past the check."""
    studies = seed_corpus(tmp_path)
    _study(studies, "hidden", f'concepts:\n  - id: value:hidden\n    label: "{label}"\n'
                              "    definition: Transparency again.\n")
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 1, stderr
    [line] = [text for text in stderr.splitlines() if "duplicate-label" in text]
    assert line.startswith(f"{studies}/hidden.yaml:7: concept value:hidden: has the same skos:prefLabel")
    assert "as id:value/transparency in scheme id:scheme/values" in line
    assert label not in line and _shows_as_is(line)


def test_labels_composed_and_decomposed_are_duplicates(tmp_path):
    """"Café" with é as one character and as e + U+0301 is one label (both NFC once read): a duplicate."""
    studies = seed_corpus(tmp_path)
    _study(studies, "cafe", 'concepts:\n  - id: value:cafe-one\n    label: "Café"\n    definition: One.\n'
                            '  - id: value:cafe-two\n    label: "Cafe\\u0301"\n    definition: Two.\n')
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 1 and 'has the same skos:prefLabel "Café"@en as id:value/cafe-two' in stderr, stderr


# ------------------------------------------------------------------------------------------------------
# What is printed about a file is one line, whatever its name holds
# ------------------------------------------------------------------------------------------------------


def _shows_as_is(line: str) -> bool:
    """No control, separator, format character (bidi controls...) or variation selector; ZWNJ and ZWJ may
    stay."""
    return not any((unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") or "\ufe00" <= c <= "\ufe0f")
                   and c not in "\u200c\u200d" for c in line)


def test_file_names_with_line_breaks_and_bidi_controls_are_printed_escaped(tmp_path):
    """A name holding a line break, a carriage return or U+202E (which turns the rest of a line around) is
    printed with escapes (\\n, \\r, \\u202e), so each problem is one line and no name forges a line of its
    own; the same for the subject of a problem (a concept id) and for the `fine` lines of `pvkg validate`."""
    studies = seed_corpus(tmp_path)
    forged = "x\nforged-study.yaml: fine\n.yaml"
    (studies / forged).write_text("id: [\n", encoding="utf-8")
    (studies / "cr\rreturn.yaml").write_text("id: [\n", encoding="utf-8")
    (studies / "evil\u202elmy.yaml").write_text("id: [\n", encoding="utf-8")
    _study(studies, "concept-id", 'concepts:\n  - id: "value:x\\u202e\\ny"\n    label: x\n    definition: y.\n')
    code, stderr = run_pvkg("build", "--studies", studies, "--out", tmp_path / "dist", "--no-reason")
    assert code == 1
    lines = stderr.splitlines()
    assert all(_shows_as_is(line) for line in lines), stderr
    *problems, count = [line for line in lines if not line.endswith(": fine")]
    assert count == f"pvkg build: {len(problems)} problem(s); nothing was written", stderr
    assert any(line.startswith(f"{studies}/x\\nforged-study.yaml: fine\\n.yaml:2: malformed YAML")
               for line in problems), stderr
    assert not any(line.startswith("forged-study.yaml") for line in lines)
    assert any("/cr\\rreturn.yaml:" in line for line in problems) and any("/evil\\u202elmy.yaml:" in line
                                                                         for line in problems)
    assert any("concept value:x\\u202e\\ny: concept id 'value:x\\u202e\\ny' must be" in line for line in problems)

    folder = tmp_path / "line\nbreak\u2067"
    folder.mkdir()
    (folder / "minimal-study.yaml").write_bytes((DATA / "valid" / "minimal-study.yaml").read_bytes())
    from typer.testing import CliRunner

    from pvkg._cli import app
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.stderr
    assert f"{tmp_path}/line\\nbreak\\u2067/minimal-study.yaml: fine\n" in result.stdout
