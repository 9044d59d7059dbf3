"""`pvkg new`: a starter study file from a reference manager's export (BibTeX, RIS, CSL-JSON), or a skeleton.

The samples in tests/data/starter/ are written as Zotero, Crossref and hand-made BibTeX files give them:
LaTeX escapes, braces, several authors, CRLF line ends, a DOI given as a URL. Every starter file is read back
by pvkg's own reader (pvkg._build.studies.read_corpus), and validated with `pvkg validate` beside the seed studies."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, STUDIES
from hypothesis import given
from hypothesis import strategies as st

from pvkg import _resources as resources
from pvkg._build.starter import BLOCK, FLOW, ITEM, NESTED, clean, yaml_scalar
from pvkg._build.studies import read_corpus
from pvkg._build.studyformat import STUDY
from pvkg._yamlfile import load as load_yaml
from pvkg.errors import InputError

SAMPLES = REPO / "tests" / "data" / "starter"
BERTOT = "http://zotero.org/users/local/kHk0Ra8G/items/5ZT8WJ3P"  # the Zotero CSL-JSON item's id


def made(cli, out: Path, *args) -> Path:
    """Run `pvkg new ... --out OUT`; the one file it wrote."""
    code, stdout, stderr = cli("new", *args, "--out", out)
    assert code == 0, stderr
    written = re.match(r"Wrote (\S+): study ", stdout)
    assert written, stdout
    path = Path(written.group(1))
    assert sorted(out.iterdir()) == [path]
    return path


def record_of(path: Path):
    """The record pvkg's reader reads from the study file (which must read without a problem)."""
    corpus = read_corpus([path], resources.vocabulary_files())
    assert [s.record.id for s in corpus.studies] == [path.stem]
    return corpus.studies[0].record


def test_a_bibtex_entry_with_latex_escapes_becomes_the_record(cli, tmp_path):
    path = made(cli, tmp_path / "studies", "--bibtex", SAMPLES / "giq-transparency.bib", "--key", "bonson_local_2012")
    assert path.name == "bonson-2012.yaml"  # four authors: the first and the year, as 'Bonsón et al. (2012)'
    record = record_of(path)
    assert record.authors == ["Bonsón, Enrique", "Torres, Lourdes", "Royo, Sonia", "Flores, Francisco"]
    assert record.title == {"en": "Local e-government 2.0: Social media and corporate transparency in "
                                  "municipalities"}  # {\'o} decoded, the braces around {Social} gone
    assert (record.type, record.year, record.venue) == ("journal-article", 2012, "Government Information Quarterly")
    assert (record.volume, record.issue, record.pages) == ("29", "2", "123–132")
    assert record.doi == "10.1016/j.giq.2011.10.001"
    assert record.url == "https://www.sciencedirect.com/science/article/pii/S0740624X11001055"
    assert record.language == "en"
    text = path.read_text(encoding="utf-8")
    assert 'volume: "29"' in text and 'title: {en: "Local e-government 2.0: Social' in text  # quoted where needed
    assert "findings: []" in text and "\n# source-url: " in text
    # the first line names the schema, from the folder the file is written into
    assert text.startswith(f"# yaml-language-server: $schema="
                           f"{os.path.relpath(resources.study_schema_file(), path.parent.resolve())}\n")


def test_escapes_corporate_authors_others_and_a_doi_given_as_a_url(cli, tmp_path):
    path = made(cli, tmp_path, "--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "mueller2019")
    assert path.name == "muller-2019.yaml"  # 'and others': the first author and the year
    record = record_of(path)
    assert record.authors == ["Müller, Jörg", "Peña, José", "Günther, Françoise", "et al."]
    assert record.has_unnamed_authors
    assert record.title == {"en": "Open Data Portals in Small Municipalities: What Citizens Use"}  # {{...}}
    assert record.doi == "10.5555/giq.2019.0042"  # from https://doi.org/10.5555/GIQ.2019.0042
    assert record.venue == "Government Information Quarterly"  # an @string
    assert (record.volume, record.issue, record.year) == ("36", "4", 2019)  # volume = 36 stays text


def test_a_corporate_author_and_no_year(cli, tmp_path):
    path = made(cli, tmp_path, "--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "oecd-open-data")
    assert path.name == "oecd.yaml"  # no year: the id is the author alone
    record = record_of(path)
    assert record.authors == ["OECD"] and record.year is None and record.type is None
    text = path.read_text(encoding="utf-8")
    assert "\n# year: the entry gives no year" in text
    assert "\n# type: the entry is a BibTeX 'techreport'" in text


def test_an_entry_without_authors_gets_an_author_note_hint(cli, tmp_path):
    path = made(cli, tmp_path, "--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "citizens-trust")
    assert path.name == "citizens-trust-e-government-2015.yaml"  # no author: the title's first words
    text = path.read_text(encoding="utf-8")
    assert "\nauthors:" not in text and "\n# author-note: the entry names no authors" in text
    with pytest.raises(InputError) as refused:
        read_corpus([path], resources.vocabulary_files())
    assert [p.message for p in refused.value.problems] == [  # the one thing the hint asks for, nothing else
        "a study needs 'authors' or, where the source does not name them, an 'author-note'"]
    fixed = text.replace("# author-note: the entry", "author-note: The source does not name them.\n# the entry")
    path.write_text(fixed, encoding="utf-8")
    record = record_of(path)
    assert record.type == "conference-paper" and record.pages == "7"
    assert record.title == {"en": "Citizens' trust in e-government & the digital divide: a survey"}
    assert record.url == "http://dl.example.org/citation.cfm?id=2757401&rate=50%25"  # a bare % encoded


def test_a_title_in_another_language_and_no_id_to_make(cli, tmp_path):
    """The seed meta-synthesis as its journal's page gives it: a Persian title, no authors, no year. The title
    goes under `fa`, with a hint for the English one pvkg needs; no id can be made from Persian letters."""
    path = made(cli, tmp_path, "--csl-json", SAMPLES / "persian-article.json")
    assert path.name == "new-study.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n# id: the entry's authors and title give no id;" in text
    assert "\ntitle:\n  fa: شناسایی عوامل مؤثر" in text and "\n  # en: the English title" in text
    with pytest.raises(InputError) as refused:
        read_corpus([path], resources.vocabulary_files())
    assert sorted(p.message for p in refused.value.problems) == [
        "a study needs 'authors' or, where the source does not name them, an 'author-note'",
        "field 'title' needs an English ('en') text beside the other languages"]
    fixed = text.replace("  # en: the English title", "  en: Factors Affecting Government Use of Social Media\n  #")
    path.write_text(fixed.replace("# author-note:", "author-note: not named\n#"), encoding="utf-8")
    record = record_of(path)
    assert record.title["fa"].startswith("شناسایی") and record.language == "fa" and record.venue == "New Media Studies"


def test_types_are_read_in_each_format_s_own_terms(cli, tmp_path):
    """CSL's 'article' is a preprint or working paper, not BibTeX's @article (a journal article)."""
    preprint = tmp_path / "preprint.json"
    preprint.write_text('{"id": "p1", "type": "article", "title": "A preprint", "author": [{"family": "Doe", '
                        '"given": "Jane"}], "issued": {"date-parts": [[2025]]}}', encoding="utf-8")
    path = made(cli, tmp_path / "studies", "--csl-json", preprint)
    assert record_of(path).type is None
    assert "\n# type: the entry is a CSL-JSON 'article'; pvkg knows journal-article and conference-paper only" in (
        path.read_text(encoding="utf-8"))


def test_zotero_bibtex_ris_and_csl_json_of_one_item_give_the_same_file(cli, tmp_path):
    """One Zotero item exported three ways (RIS with CRLF line ends) gives the same study file, but for the
    comment naming the export."""
    texts = []
    for option, sample, key in (("--bibtex", "giq-transparency.bib", "bertot_using_2010"),
                                ("--ris", "bertot-2010.ris", None), ("--csl-json", "giq-transparency.json", BERTOT)):
        path = made(cli, tmp_path / option, option, SAMPLES / sample, *(["--key", key] if key else []))
        assert path.name == "bertot-jaeger-grimes-2010.yaml"  # three authors: all three
        texts.append(path.read_text(encoding="utf-8").split("\n", 2))  # the schema's line, the export's, the rest
        assert texts[-1][1].startswith(f"# Started by `pvkg new` from {sample}, entry ")
    assert texts[0][2] == texts[1][2] == texts[2][2]
    record = record_of(tmp_path / "--ris" / "bertot-jaeger-grimes-2010.yaml")
    assert record.authors == ["Bertot, John Carlo", "Jaeger, Paul T.", "Grimes, Justin M."]
    assert (record.volume, record.issue, record.pages, record.year) == ("27", "3", "264–271", 2010)
    assert record.title["en"].startswith("Using ICTs to create a culture of transparency: E-government")


@pytest.mark.parametrize("option, sample", [("--csl-json", "bonson-2012-crossref.json"),
                                            ("--bibtex", "bonson-2012-crossref.bib")])
def test_crossref_exports(cli, tmp_path, option, sample):
    """What doi.org gives for a DOI: one CSL-JSON object; BibTeX on one line, in UTF-8, with upper-case field
    names. Both give the DOI as the url too, which is left out (the DOI says it)."""
    record = record_of(made(cli, tmp_path, option, SAMPLES / sample))
    assert record.id == "bonson-2012"
    assert record.authors == ["Bonsón, Enrique", "Torres, Lourdes", "Royo, Sonia", "Flores, Francisco"]
    assert (record.doi, record.url, record.pages) == ("10.1016/j.giq.2011.10.001", None, "123–132")


def test_a_ris_record_is_chosen_by_its_number(cli, tmp_path):
    record = record_of(made(cli, tmp_path, "--ris", SAMPLES / "giq-transparency.ris", "--key", "2"))
    assert record.id == "bonson-2012" and record.authors[0] == "Bonsón, Enrique"


def test_the_same_entry_gives_the_same_bytes(cli, tmp_path):
    first = made(cli, tmp_path / "a", "--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "mueller2019")
    second = made(cli, tmp_path / "b", "--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "mueller2019")
    assert first.read_bytes() == second.read_bytes()


def test_starter_files_validate_beside_the_seed_studies_but_for_their_findings(cli, tmp_path):
    """`pvkg validate` (YAML checks, then SHACL) on the seed studies and two starter files: the only problem
    is that a study needs a finding, which the starter leaves to the encoder."""
    studies = tmp_path / "studies"
    shutil.copytree(STUDIES, studies)
    for args in (("--bibtex", SAMPLES / "giq-transparency.bib", "--key", "bertot_using_2010"),
                 ("--bibtex", SAMPLES / "latex-edge-cases.bib", "--key", "mueller2019")):
        code, _, stderr = cli("new", *args, "--out", studies)
        assert code == 0, stderr
    code, _, stderr = cli("validate", studies)
    assert code == 1
    problems = [line for line in stderr.splitlines() if not line.endswith(": fine")]
    assert problems == [
        f"{studies}/bertot-jaeger-grimes-2010.yaml:5: study bertot-jaeger-grimes-2010: A study must report at "
        "least one finding, unless it is known only from another study's account.",
        f"{studies}/muller-2019.yaml:5: study muller-2019: A study must report at least one finding, unless it is "
        "known only from another study's account.",
        "pvkg validate: 2 problem(s); nothing was written"]


def test_without_an_entry_a_skeleton_of_every_field(cli, tmp_path):
    path = made(cli, tmp_path, "--id", "doe-2025")
    text = path.read_text(encoding="utf-8")
    assert path.name == "doe-2025.yaml" and "\nid: doe-2025\n" in text
    for field in STUDY.names:
        assert re.search(rf"^#? ?{field}:", text, re.M), f"the skeleton does not show {field}"
    with pytest.raises(InputError) as refused:
        read_corpus([path], resources.vocabulary_files())
    assert sorted(p.message for p in refused.value.problems) == [  # it needs its record, as the comments say
        "a study needs 'authors' or, where the source does not name them, an 'author-note'",
        "a work needs a title or authors so that people can find it"]


def test_the_hints_point_at_sections_the_guide_has(cli, tmp_path):
    headings = re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", (REPO / "docs" / "encoding.md").read_text("utf-8"), re.M)
    texts = [made(cli, tmp_path / "skeleton").read_text("utf-8"),
             made(cli, tmp_path / "entry", "--ris", SAMPLES / "bertot-2010.ris").read_text("utf-8")]
    cited = {section for text in texts for section in re.findall(r"§(\d+(?:\.\d+)?)", text)}
    assert cited >= {"1", "3.1", "3.2", "3.3", "3.4", "3.5", "3.8", "4", "4.1"}
    assert cited <= set(headings), cited - set(headings)


@pytest.mark.parametrize("names, more, title, year, expected", [
    ([("Porumbescu", "G. A.")], False, "T", "2016", "porumbescu-2016"),
    ([("Twizeyimana", "J. D."), ("Andersson", "A.")], False, "T", "2019", "twizeyimana-andersson-2019"),
    ([("Tursunbayeva", "A."), ("Franco", "M."), ("Pagliari", "C.")], False, "T", "2017",
     "tursunbayeva-franco-pagliari-2017"),
    ([("Luna", "Dolores E."), ("Picazo-Vela", "Sergio"), ("Buyannemekh", "Battulga"), ("Luna-Reyes", "Luis F.")],
     False, "T", "2024", "luna-2024"),
    ([("Reddick", "C. G."), ("Chatfield", "A. T.")], True, "T", "2017", "reddick-2017"),  # 'and others'
    ([("Purón-Cid", "G."), ("Østergaard", "Søren")], False, "T", "2019", "puron-cid-ostergaard-2019"),
    ([("رضایی", "علی")], False, "The public value of E-Government – A literature review", "2019",
     "public-value-e-government-2019"),  # no Latin letters in the name: the title's first words
    ([], False, None, "2010", None),  # a year alone: no id
])
def test_the_usual_id(names, more, title, year, expected):
    """The id the seed studies have: the family names the author-year label names, then the year."""
    from pvkg._build.starter import Entry, record_from, study_id

    entry = Entry(key="k", kind="article", title=title, names=tuple(names), more_authors=more, date=year)
    assert study_id(record_from(entry, "bibtex")) == expected


# --- refusals -------------------------------------------------------------------------------------------


def refused(cli, *args) -> tuple[int, list[str]]:
    code, stdout, stderr = cli("new", *args)
    assert "Traceback" not in stderr and not stdout
    return code, stderr.splitlines()


def test_an_existing_file_is_never_replaced(cli, tmp_path):
    path = made(cli, tmp_path, "--ris", SAMPLES / "bertot-2010.ris")
    path.write_text("id: mine\n", encoding="utf-8")
    code, lines = refused(cli, "--ris", SAMPLES / "bertot-2010.ris", "--out", tmp_path)
    assert code == 2
    assert lines == [f"{path}: already exists, and pvkg new never replaces a file; edit that one, or give the new "
                     "study another id with --id (such as bertot-jaeger-grimes-2010b) or another folder with --out"]
    assert path.read_text(encoding="utf-8") == "id: mine\n"


def test_an_id_or_a_doi_the_folder_already_holds(cli, tmp_path):
    studies = tmp_path / "studies"
    made(cli, studies / "older", "--bibtex", SAMPLES / "giq-transparency.bib", "--key", "bonson_local_2012")
    code, lines = refused(cli, "--ris", SAMPLES / "giq-transparency.ris", "--key", "2", "--out", studies)
    older = f"{studies}/older/bonson-2012.yaml"
    assert code == 1
    assert lines == [
        f"{older}:5: study bonson-2012: has the id the new study would get; give the new one another with --id, "
        "such as --id bonson-2012b",
        f"{older}:18: study bonson-2012: records the DOI 10.1016/j.giq.2011.10.001 already (a DOI names one work); "
        "add to this record rather than start another",
        "pvkg new: 2 problem(s); nothing was written"]
    assert not (studies / "bonson-2012.yaml").exists()


def test_a_file_that_appears_while_the_starter_is_made_is_kept(tmp_path):
    """The file is linked into place, which fails if one of its name is there by then: never replaced, and
    nothing of the write left behind."""
    from pvkg._files import write_new
    from pvkg.errors import UsageError

    path = tmp_path / "doe-2025.yaml"
    path.write_text("id: theirs\n", encoding="utf-8")
    with pytest.raises(UsageError, match="taken"):
        write_new(path, b"id: mine\n", lambda: UsageError("taken"))
    assert path.read_text(encoding="utf-8") == "id: theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["doe-2025.yaml"]


def test_an_out_folder_that_is_a_file(cli, tmp_path):
    blocking = tmp_path / "studies"
    blocking.write_text("not a folder\n", encoding="utf-8")
    code, lines = refused(cli, "--ris", SAMPLES / "bertot-2010.ris", "--out", blocking)
    assert (code, lines) == (2, [f"{blocking}: is a file, not a folder; give a folder, or a name that does not "
                                 "exist yet"])


def test_writing_into_proc_is_one_line(cli):
    code, lines = refused(cli, "--ris", SAMPLES / "bertot-2010.ris", "--out", "/proc/pvkg-test")
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("/proc/pvkg-test: cannot create this folder: the file system does not let files be "
                               "made there"), lines


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path):
    """On a real full file system (a tmpfs in a mount namespace of the test's own, as tests/test_write_failures
    makes it): one line, exit 1, and no part of the file nor a staging file left."""
    import os
    import subprocess
    import sys

    from test_write_failures import _mount_namespace

    disk, record = tmp_path / "disk", tmp_path / "record"
    disk.mkdir()
    record.mkdir()
    prefix = _mount_namespace(disk)
    script = ('mount -t tmpfs -o size=1m tmpfs "$DISK"; mkdir "$DISK/studies"; '
              'cat /dev/zero >"$DISK/filler" 2>/dev/null || true; '
              'set +e; $PY -m pvkg new --ris "$SAMPLE" --out "$DISK/studies" 2>"$R/err"; echo $? >"$R/rc"; '
              'ls -A "$DISK/studies" >"$R/left"')
    env = {**os.environ, "DISK": str(disk), "R": str(record), "PY": sys.executable,
           "SAMPLE": str(SAMPLES / "bertot-2010.ris")}
    done = subprocess.run([*prefix, "sh", "-euc", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    stderr = (record / "err").read_text()
    assert (record / "rc").read_text().strip() == "1", stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith(f"{disk}/studies/bertot-jaeger-grimes-2010.yaml: cannot write this file: no space "
                             "left on the device; free some space there"), stderr
    assert (record / "left").read_text() == ""


def test_several_entries_need_a_key(cli, tmp_path):
    sample = SAMPLES / "giq-transparency.bib"
    code, lines = refused(cli, "--bibtex", sample, "--out", tmp_path)
    assert code == 2
    assert lines == [f"{sample}: holds 2 entries (bertot_using_2010 (Bertot 2010), bonson_local_2012 (Bonsón "
                     "2012)); choose one with --key KEY"]
    code, lines = refused(cli, "--bibtex", sample, "--key", "bonson2012", "--out", tmp_path)
    assert code == 2 and "holds no entry 'bonson2012'; did you mean 'bonson_local_2012'?" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_a_whole_library_names_its_first_entries(cli, tmp_path):
    library = tmp_path / "library.bib"
    library.write_text("\n".join(f"@article{{k{n:02}, author = {{Doe, Jane}}, title = {{T}}, year = {{20{n:02}}}}}"
                                 for n in range(25)), encoding="utf-8")
    code, lines = refused(cli, "--bibtex", library, "--out", tmp_path / "studies")
    assert code == 2
    assert lines == [f"{library}: holds 25 entries ({', '.join(f'k{n:02} (Doe 20{n:02})' for n in range(20))} and 5 "
                     "more); choose one with --key KEY"]
    assert record_of(made(cli, tmp_path / "studies", "--bibtex", library, "--key", "k24")).year == 2024


def test_a_bibtex_file_the_parser_cannot_read(cli, tmp_path):
    broken = tmp_path / "broken.bib"
    good = (SAMPLES / "giq-transparency.bib").read_text(encoding="utf-8")
    broken.write_text(good.replace("pages = {264--271},", "pages = {264--271,"), encoding="utf-8")
    code, lines = refused(cli, "--bibtex", broken, "--out", tmp_path / "studies")
    assert code == 1
    assert re.fullmatch(rf"{broken}:3: the @article entry that starts here cannot be read: .+; fix its braces, "
                        "quotes and commas", lines[0]), lines
    assert lines[1:] == ["pvkg new: 1 problem(s); nothing was written"]
    assert not (tmp_path / "studies").exists()


def test_a_ris_record_without_its_end(cli, tmp_path):
    """rispy reads a record that lacks its 'ER' line into the next one (or drops it at the end of the file)
    without a word; pvkg says where."""
    import rispy

    text = (SAMPLES / "giq-transparency.ris").read_text(encoding="utf-8").replace("\r\n", "\n")
    cut = text.replace("ER  - \n", "", 1)
    assert len(rispy.loads(cut)) == 1  # two records in the file, one read: the guard is needed
    broken = tmp_path / "cut.ris"
    broken.write_text(cut, encoding="utf-8")
    code, lines = refused(cli, "--ris", broken, "--out", tmp_path / "studies")
    assert code == 1
    assert lines[0] == (f"{broken}:27: a record starts here before the one at line 1 ended; end that one with a "
                        "line 'ER  - '")


def test_a_csl_json_file_that_is_not_json(cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"id": "x",\n   "title": "A"\n   "type": "article-journal"}\n]\n', encoding="utf-8")
    code, lines = refused(cli, "--csl-json", broken, "--out", tmp_path / "studies")
    assert code == 1
    assert lines[0] == (f"{broken}:4: is not JSON: Expecting ',' delimiter at column 4; fix it, or export it again "
                        "as CSL JSON")


def test_one_export_at_a_time_and_a_key_needs_one(cli, tmp_path):
    code, lines = refused(cli, "--ris", SAMPLES / "bertot-2010.ris", "--bibtex", SAMPLES / "giq-transparency.bib")
    assert (code, lines) == (2, ["give one of --bibtex, --ris and --csl-json, not several"])
    code, lines = refused(cli, "--key", "x", "--out", tmp_path)
    assert code == 2 and lines[0].startswith("--key chooses an entry")
    code, lines = refused(cli, "--id", "Bonson 2012", "--out", tmp_path)
    assert code == 2 and lines[0].startswith("--id 'Bonson 2012' must be lower-case letters")


# --- quoting ---------------------------------------------------------------------------------------------

TRICKY = ["41", "2.0", "yes", "null", "~", "Title: subtitle", "a #b", "#tag", "- item", "&anchor", "*alias",
          "!tag", "@handle", "`tick", "{brace", "[bracket", "a, b", "a} b", "'quoted'", '"quoted"', "%percent",
          "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0", "? key", "| bar", "> fold",
          "Bonsón, Enrique", "رسانه های اجتماعی", "a\\b"]


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("document", [BLOCK, FLOW, ITEM, NESTED])
def test_every_value_reads_back_as_written(text, document):
    assert load_yaml(document.replace("VALUE", yaml_scalar(text, document))) == load_yaml(
        document.replace("VALUE", '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'))


@given(st.text(min_size=1))
def test_any_text_reads_back_as_written(text):
    """Whatever an entry holds, its text as a study file holds it (see clean) is read back as written."""
    text = clean(text)
    if text is None:
        return
    for document, path in ((BLOCK, ["k"]), (FLOW, ["k", "en"]), (ITEM, ["k", 0])):
        data = load_yaml(document.replace("VALUE", yaml_scalar(text, document)))
        for step in path:
            data = data[step]
        assert data == text


def test_a_family_name_alone_of_several_words_ends_in_a_comma_as_the_reader_asks():
    from pvkg._build.starter import _author

    assert _author("Van Dijk", "") == "Van Dijk," and _author("OECD", "") == "OECD"
    assert _author("Luna", "Dolores E.") == "Luna, Dolores E."
