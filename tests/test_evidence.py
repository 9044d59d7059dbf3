"""How each finding is supported (issue 16): support (first-hand or second-hand), status (result, background,
proposition, editors' reading), strength (stated, hedged, weak), inference (correlational or causal) and the
four directions. Study files written before these fields existed keep validating and mean what they meant:
each field has a default, and support is derived from `work` and `known-from`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import STUDIES, select

from pvkg._build import pipeline
from pvkg.errors import InputError

MINIMAL = """\
id: {id}
type: journal-article
title: A minimal study
authors:
  - Doe, Jane
year: 2020
{extra}"""


def build(tmp_path: Path, *files: tuple[str, str]) -> pipeline.Build:
    """The seed studies with `files` (name, text) beside them, built without the reasoner."""
    folder = tmp_path / "studies"
    folder.mkdir(exist_ok=True)
    for study in STUDIES.glob("*.yaml"):
        (folder / study.name).write_bytes(study.read_bytes())
    for name, text in files:
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return pipeline.build_graph([folder], reason=False)


def evidence_of(graph, fid: str) -> dict[str, str]:
    rows = select(graph, f"""
        SELECT ?p ?o WHERE {{
          <https://w3id.org/pvkg/id/finding/{fid}> ?p ?o .
          FILTER (?p IN (pvkg:support, pvkg:status, pvkg:strength, pvkg:inference, pvkg:direction))
        }}""")
    return {str(p).rsplit("#", 1)[1]: str(o).rsplit("#", 1)[1] for p, o in rows}


def test_every_seed_finding_says_how_it_is_supported(seed_build):
    graph = seed_build.graph
    findings = select(graph, "SELECT ?f WHERE { ?f a pvkg:Finding }")
    assert findings
    for (finding,) in findings:
        fid = str(finding).rsplit("/", 1)[1]
        evidence = evidence_of(graph, fid)
        assert {"support", "status", "strength"} <= set(evidence), fid


def test_a_file_in_the_old_format_gets_the_defaults(seed_build):
    """luna2024-02 says nothing of support, status or strength: it is a first-hand stated result."""
    assert evidence_of(seed_build.graph, "luna2024-02") == {"support": "FirstHand", "status": "Result",
                                                           "strength": "Stated"}


def test_support_is_derived_from_work_and_known_from(seed_build):
    assert evidence_of(seed_build.graph, "smsf-18")["support"] == "SecondHand"  # a cited-work finding
    assert evidence_of(seed_build.graph, "smsf-02")["support"] == "FirstHand"


def test_every_field_reaches_the_graph(tmp_path):
    extra = """\
cites:
  - id: roe-2019
    cited-as: Roe (2019)
    locator: Literature review
findings:
  - id: new-01
    kind: link
    locator: Literature review
    statement: Roe found that heavier use of open data went with agencies no more answerable than before.
    from: [value:transparency]
    to: [value:accountability]
    direction: no-effect
    work: roe-2019
    status: background
    strength: hedged
    inference: correlational
  - id: new-02
    kind: factor
    locator: Discussion
    statement: The authors propose that training may help in some agencies and hinder in others.
    about: [factor:transparency]
    direction: mixed
    status: proposition
    strength: weak
"""
    result = build(tmp_path, ("new", MINIMAL.format(id="new", extra=extra)))
    assert evidence_of(result.graph, "new-01") == {"support": "SecondHand", "status": "Background",
                                                  "strength": "Hedged", "inference": "Correlational",
                                                  "direction": "NoEffect"}
    assert evidence_of(result.graph, "new-02") == {"support": "FirstHand", "status": "Proposition",
                                                  "strength": "Weak", "direction": "Mixed"}


REPORTER = MINIMAL.format(id="reporter", extra="""\
findings:
  - id: reporter-01
    kind: values
    locator: Abstract
    statement: Citizens value transparency.
    about: [value:transparency]
""")
# a study known only from the reporter's account, with a finding of its own (the older form)
LEGACY = MINIMAL.format(id="legacy", extra="""\
known-from: reporter
findings:
  - id: legacy-01
    kind: values
    locator: Literature review (reporter)
    statement: Citizens value accountability.
    about: [value:accountability]
""")


def test_a_study_known_from_another_needs_no_findings_and_its_findings_are_second_hand(tmp_path):
    record_only = MINIMAL.format(id="known", extra="known-from: reporter\n")
    result = build(tmp_path, ("reporter", REPORTER), ("known", record_only), ("legacy", LEGACY))
    assert evidence_of(result.graph, "reporter-01")["support"] == "FirstHand"
    assert evidence_of(result.graph, "legacy-01")["support"] == "SecondHand"


def test_a_known_from_study_cannot_claim_first_hand_findings(tmp_path):
    with pytest.raises(InputError) as caught:
        build(tmp_path, ("reporter", REPORTER), ("legacy", LEGACY + "    support: first-hand\n"))
    assert any("this study is known only from 'reporter''s account" in line for line in caught.value.lines()), \
        caught.value.lines()


# --- the corpus corrected against its sources (issue 16, part 2): one regression test per defect -------------


def test_no_sentence_of_the_review_is_a_finding_twice(seed_build):
    """Each claim the meta-synthesis makes about a cited work was stored twice: as its cited-work finding and
    as a finding of the work's own known-from file. Now the known-from studies report no findings, and every
    claim about a cited work is one second-hand finding of the reporting study."""
    rows = select(seed_build.graph, "SELECT ?f WHERE { ?f pvkg:reportedIn/pvkg:knownFrom [] }")
    assert rows == []
    second_hand = select(seed_build.graph, """
        SELECT ?f ?s WHERE { ?f pvkg:support pvkg:SecondHand ; pvkg:reportedIn ?s ; pvkg:aboutWork [] }""")
    assert {s for _, s in second_hand} == {"https://w3id.org/pvkg/id/work/social-media-service-factors"}
    assert len(second_hand) == 12


def test_gregory_is_cited_as_given_and_identified_as_porumbescu(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?identified ?doi ?name WHERE {
          ?cite pvkg:citedAs "Gregory (2016)" ; pvkg:identifiedAs ?identified ; pvkg:correctionNote ?note .
          ?identified bibo:doi ?doi ; dcterms:creator/<http://xmlns.com/foaf/0.1/name> ?name }""")
    assert rows == [("https://w3id.org/pvkg/id/work/porumbescu-2016", "10.1016/j.giq.2016.04.006", "G. A. Porumbescu")]
    people = select(seed_build.graph, "SELECT ?n WHERE { [] <http://xmlns.com/foaf/0.1/name> ?n }")
    assert ("Gregory",) not in people


def test_eom_reports_no_accountability_result_and_notes_responsiveness(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?f ?note WHERE { ?f pvkg:aboutWork/pvkg:identifiedAs work:eom-2018 .
                                OPTIONAL { ?f skos:editorialNote ?note } }""")
    assert len(rows) == 1 and "responsiveness" in rows[0][1]
    about = select(seed_build.graph, """
        SELECT ?v WHERE { ?f pvkg:aboutWork/pvkg:identifiedAs work:eom-2018 ; pvkg:aboutValue ?v }""")
    assert about == []


def test_one_trust_concept_for_the_porumbescu_claims(seed_build):
    rows = select(seed_build.graph, """
        SELECT DISTINCT ?to WHERE { ?f pvkg:aboutWork/pvkg:identifiedAs work:porumbescu-2016 ;
                                       pvkg:linkTo ?to ; pvkg:linkTo/a pvkg:PublicValue }""")
    values = {to for (to,) in rows if "/value/" in to}
    assert values == {"https://w3id.org/pvkg/id/value/trust"}


def test_twizeyimana_and_andersson_is_a_literature_review(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?m WHERE { work:twizeyimana-andersson-2019 pvkg:hasDesign/pvkg:usesMethod ?m }""")
    assert rows == [("https://w3id.org/pvkg/id/method/review",)]


def test_no_fact_that_no_source_states(seed_build):
    """`language: en` (no source gives a publication's language but the Persian paper's) and the web
    record number 16410 taken for an article number."""
    languages = select(seed_build.graph, "SELECT ?s ?l WHERE { ?s dcterms:language ?l }")
    assert languages == [("https://w3id.org/pvkg/id/work/social-media-service-factors", "fa")]
    assert select(seed_build.graph, "SELECT ?n WHERE { work:social-media-service-factors bibo:number ?n }") == []


def test_the_sub_factor_definitions_say_whose_they_are(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?c ?note WHERE {
          ?c a pvkg:AdoptionFactor ; dcterms:source work:social-media-service-factors .
          OPTIONAL { ?c skos:editorialNote ?note } }""")
    assert len(rows) == 20  # 4 categories and 16 sub-factors
    assert all(note and ("editors' gloss" in note or "source's own gloss" in note) for _, note in rows), rows


def test_the_meta_synthesis_categories_hold_what_the_source_counts(seed_build):
    """Mergel's two activities were placed by the editors under the managerial and organizational
    categories, giving 5 and 4 sub-factors where the source counts 4 and 3."""
    rows = select(seed_build.graph, """
        SELECT ?cat (COUNT(?f) AS ?n) WHERE { ?f skos:broader ?cat . ?cat a pvkg:FactorCategory ;
                                              dcterms:source work:social-media-service-factors }
        GROUP BY ?cat""")
    counts = {cat.rsplit("/", 1)[1]: n for cat, n in rows}
    assert counts == {"managerial": 4, "organizational": 3, "human": 4, "infrastructural": 5}


# --- canned queries never overstate (issue 16, part 3) ------------------------------------------------------

def answer(graph, name: str) -> list[dict[str, str]]:
    """A canned query's rows as mappings, "" where a column is unbound."""
    from pvkg._sparql.queries import load_queries, run_query
    return [{c: v or "" for c, v in record.items()} for record in run_query(graph, load_queries()[name]).records()]


def test_no_canned_query_counts_one_sentence_twice(tmp_path, seed_build):
    """The old duplicate shape planted again: the work's known-from file restating, as a finding of its own,
    the review's sentence about it (smsf-19). Counts of support stay as they were: the restatement is
    second-hand, about the same work, and counts once."""
    legacy = (STUDIES / "porumbescu-2016.yaml").read_text(encoding="utf-8") + """
findings:
  - id: porumbescu2016-01
    kind: link
    locator: Literature review (social-media-service-factors)
    statement: The more Seoul citizens used e-government websites, the less they trusted government.
    from: [channel:government-websites]
    to: [value:trust]
    direction: barrier
"""
    planted = build(tmp_path, ("porumbescu-2016", legacy))
    before = {row["concept"]: row for row in answer(seed_build.graph, "concept-support")}
    after = {row["concept"]: row for row in answer(planted.graph, "concept-support")}
    for column in ("studies", "findings", "works_second_hand"):
        assert {c: r[column] for c, r in after.items()} == {c: r[column] for c, r in before.items()}, column
    assert before["trust in government"]["works_second_hand"] == "1"
    by_country = {row["study"]: row for row in answer(planted.graph, "studies-by-country")}
    assert by_country["Porumbescu (2016)"]["findings"] == "0"  # never a first-hand study of its own


def test_contested_pairs_only_one_relation_judged_both_ways(tmp_path, seed_build):
    """On the seed data no two studies judge one relation in opposite directions: social media is a driver
    of trust for one work and a barrier to the breadth of public information for another, which are two
    relations. A study that judges the same factor, or the same from and to, the other way is a contest."""
    assert answer(seed_build.graph, "contested") == []
    doe = MINIMAL.format(id="doe-2020", extra="""\
findings:
  - id: doe-01
    kind: factor
    locator: Results
    statement: Citizens' experience with social media holds service delivery back.
    about: [factor:citizen-experience]
    direction: barrier
  - id: doe-02
    kind: link
    locator: Results
    statement: Use of social media went with less trust in government.
    from: [channel:social-media]
    to: [value:trust]
    direction: barrier
  - id: doe-03
    kind: link
    locator: Results
    statement: Social media widened the information the public gets.
    from: [channel:social-media]
    to: [construct:public-information-breadth]
    direction: driver
    status: background
""")
    rows = answer(build(tmp_path, ("doe-2020", doe)).graph, "contested")
    smsf = "Factors Affecting Government Use of Social Media for Service Provision"
    assert rows == [
        {"relation": "citizen experience", "driver_studies": smsf, "barrier_studies": "Doe (2020)"},
        {"relation": "social media → trust in government", "driver_studies": "Porumbescu (2016)",
         "barrier_studies": "Doe (2020)"},
    ]  # doe-03 is background: no contest with Wukich & Mergel's barrier


def test_contested_lists_every_study_on_each_side(tmp_path):
    """Each side is gathered apart: a study that judges a factor both ways is on both sides, beside the study
    that judges it one way only (the pairs of the first version left it out of the driver side)."""
    doe = MINIMAL.format(id="doe-2020", extra="""\
findings:
  - id: doe-01
    kind: factor
    locator: Results
    statement: Citizens' experience with social media holds service delivery back.
    about: [factor:citizen-experience]
    direction: barrier
  - id: doe-02
    kind: factor
    locator: Discussion
    statement: Citizens' experience with social media also carries service delivery forward.
    about: [factor:citizen-experience]
    direction: driver
""")
    rows = answer(build(tmp_path, ("doe-2020", doe)).graph, "contested")
    smsf = "Factors Affecting Government Use of Social Media for Service Provision"
    assert rows == [{"relation": "citizen experience", "driver_studies": f"Doe (2020); {smsf}",
                     "barrier_studies": "Doe (2020)"}]


def test_chains_across_studies_are_hypotheses(tmp_path, seed_build):
    rows = answer(seed_build.graph, "value-paths")
    assert rows and {row["basis"] for row in rows} == {"one study"}
    for row in rows:
        assert row["first_studies"] == row["second_studies"] and "; " not in row["first_studies"]
    # the chain no source makes: e-government websites (a barrier to citizens' satisfaction with the public
    # sector, Porumbescu) -> user satisfaction (an information-systems construct, Buyannemekh) -> public value
    assert not [row for row in rows if row["start"] == "e-government websites"]
    assert answer(seed_build.graph, "chain-hypotheses") == []
    # a study's step joined to another study's step is a hypothesis: never a chain of value-paths, counted per
    # middle concept in chain-hypotheses, with the studies of each step
    doe = MINIMAL.format(id="doe-2020", extra="""\
findings:
  - id: doe-01
    kind: link
    locator: Results
    statement: Using a government portal brought citizens personal benefits.
    from: [channel:government-websites]
    to: [value:individual-benefits]
    direction: driver
""")
    planted = build(tmp_path, ("doe-2020", doe)).graph
    assert answer(planted, "value-paths") == rows
    assert answer(planted, "chain-hypotheses") == [
        {"via": "individual benefits", "kind": "value", "starts": "2", "first_studies": "2", "ends": "4",
         "second_studies": "1"}]  # from Doe's channel and Luna's characteristics, on to Luna's four values


def test_values_perceived_leaves_out_background_and_second_hand(tmp_path):
    doe = MINIMAL.format(id="doe-2020", extra="""\
findings:
  - id: doe-01
    kind: values
    locator: Introduction
    statement: Earlier authors credit the internet with more open government.
    about: [value:transparency]
    level: societal
    status: background
""")
    rows = answer(build(tmp_path, ("doe-2020", doe)).graph, "values-perceived")
    assert rows and not [row for row in rows if row["study"] == "Doe (2020)"]


def test_a_context_of_several_countries_or_a_named_region(tmp_path, seed_build):
    regions = select(seed_build.graph, """
        SELECT ?r WHERE { work:rodriguez-2018 pvkg:hasContext/pvkg:region ?r }""")
    assert regions == [("Latin America",)]
    study = MINIMAL.format(id="doe-2020", extra="""\
context:
  locator: Methods
  country: [KOR, USA]
findings:
  - id: doe-01
    kind: values
    locator: Results
    statement: Citizens in both countries value transparency.
    about: [value:transparency]
""")
    graph = build(tmp_path, ("doe-2020", study)).graph
    countries = select(graph, "SELECT ?c WHERE { work:doe-2020 pvkg:hasContext/dcterms:spatial ?c }")
    assert sorted(c for (c,) in countries) == [
        "http://publications.europa.eu/resource/authority/country/KOR",
        "http://publications.europa.eu/resource/authority/country/USA"]
    by_country = {(row["country"], row["study"]) for row in answer(graph, "studies-by-country")}
    assert {("South Korea", "Doe (2020)"), ("United States", "Doe (2020)"),
            ("Latin America", "Rodriguez et al. (2018)")} <= by_country


def test_a_study_labelled_by_its_title_has_its_persian_title_under_lang_fa(seed_build):
    """The meta-synthesis names no authors, so its label is its title: under --lang fa, the Persian title the
    source gives; in English, the English one. Studies labelled by their authors keep that label."""
    from pvkg._sparql.queries import load_queries, run_query
    studies = load_queries()["studies"]
    persian = {r["study"] for r in run_query(seed_build.graph, studies, {"lang": "fa"}).records()}
    english = {r["study"] for r in run_query(seed_build.graph, studies, {"lang": "en"}).records()}
    title = "شناسایی عوامل مؤثر بر استفاده دولت از رسانه های اجتماعی به منظور ارائه خدمات"
    assert title in persian and title not in english
    assert "Factors Affecting Government Use of Social Media for Service Provision" in english
    assert persian - {title} == english - {"Factors Affecting Government Use of Social Media for Service Provision"}
    known_from = {r["known_from"] for r in run_query(seed_build.graph, studies, {"lang": "fa"}).records()}
    assert known_from == {None, title}


def responsiveness_study(broader: str) -> str:
    """A study declaring a value that the editors placed, with the given `broader` line (or none)."""
    return MINIMAL.format(id="doe-2020", extra=f"""\
concepts:
  - id: value:responsiveness
    label: {{en: responsiveness}}
    definition: Government acting on what citizens ask of it.
{broader}    placed-by: editors
findings:
  - id: doe-01
    kind: values
    locator: Results
    statement: Citizens value a government that answers them.
    about: [value:responsiveness]
""")


def test_editors_placements_are_marked_in_the_graph_and_the_answers(tmp_path, seed_build):
    """Every placement the notes call the editors' carries pvkg:placedByEditors, and the answers that show a
    placement read the mark, not the note's words."""
    noted = select(seed_build.graph, """
        SELECT ?c WHERE { ?c skos:editorialNote ?n FILTER(CONTAINS(STR(?n), "no source states this placement")) }""")
    marked = select(seed_build.graph, "SELECT ?c WHERE { ?c pvkg:placedByEditors true }")
    assert noted and sorted(noted) == sorted(marked)
    doe = responsiveness_study("    broader: [value:open-government-capabilities]\n")
    frame = {row["element"]: row["placed_values"] for row in answer(build(tmp_path, ("doe-2020", doe)).graph,
                                                                      "value-framework")}
    assert "responsiveness (placed by pvkg editors)" in frame["open government capabilities"]


def test_placed_by_editors_needs_a_broader_concept(tmp_path):
    doe = responsiveness_study("")
    with pytest.raises(InputError) as caught:
        build(tmp_path, ("doe-2020", doe))
    assert any("'placed-by: editors' says the editors chose the 'broader' concept" in line
               for line in caught.value.lines())
