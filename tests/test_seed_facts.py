"""The seed studies are encoded completely: the facts of issue 3, asked of the built graph in SPARQL."""

from __future__ import annotations

from conftest import select

META = "work:social-media-service-factors"

DRIVERS = {"citizen experience", "technical infrastructure"}
BARRIERS = {
    # managerial
    "transparency", "enforcement", "manager training", "capital budgeting",
    # organizational
    "organizational policies", "organizational structure and communication", "organizational processes",
    # human
    "user training", "user resistance", "usability of the social media platform",
    # infrastructural
    "financial infrastructure", "legal infrastructure", "specialized infrastructure", "cultural infrastructure",
}


def test_four_factor_categories_with_persian_labels(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?en ?fa WHERE {
            ?c a pvkg:FactorCategory ; skos:topConceptOf scheme:factors ;
               skos:prefLabel ?en, ?fa .
            FILTER(lang(?en) = "en" && lang(?fa) = "fa")
        }""")
    assert set(rows) == {("managerial factors", "مدیریتی"), ("organizational factors", "سازمانی"),
                         ("human factors", "انسانی"), ("infrastructural factors", "زیرساختی")}


def test_sixteen_sub_factors_each_under_one_category(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?factor (COUNT(?category) AS ?n) WHERE {
            ?factor a pvkg:AdoptionFactor ; skos:broader ?category ; dcterms:source ?study .
            ?category a pvkg:FactorCategory .
            FILTER(?study = work:social-media-service-factors)
        } GROUP BY ?factor""")
    assert len(rows) == 16
    assert all(n == 1 for _, n in rows)


def test_two_drivers_and_fourteen_barriers_by_name(seed_build):
    rows = select(seed_build.graph, f"""
        SELECT ?label ?direction WHERE {{
            ?f pvkg:reportedIn {META} ; pvkg:aboutFactor ?factor ; pvkg:direction ?d .
            ?factor skos:prefLabel ?label . FILTER(lang(?label) = "en")
            ?d rdfs:label ?direction . FILTER(lang(?direction) = "en")
        }}""")
    drivers = {label for label, d in rows if d == "driver"}
    barriers = {label for label, d in rows if d == "barrier"}
    assert drivers == DRIVERS
    assert barriers == BARRIERS
    assert len(rows) == 16


def test_direction_labels_carry_the_source_persian_terms(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?d ?fa WHERE { VALUES ?d { pvkg:Driver pvkg:Barrier } ?d rdfs:label ?fa FILTER(lang(?fa) = "fa") }""")
    assert {fa for _, fa in rows} == {"پیشران", "پیشگیر"}


def test_meta_synthesis_method_facts(seed_build):
    rows = select(seed_build.graph, f"""
        SELECT ?threshold ?size ?unit ?steps WHERE {{
            {META} pvkg:hasDesign ?design ; pvkg:hasContext/pvkg:hasSample ?sample .
            ?design pvkg:qualityThreshold ?threshold ;
                    pvkg:usesMethod method:meta-synthesis, method:glynn-appraisal-tool,
                                    method:sandelowski-barroso-seven-steps .
            method:sandelowski-barroso-seven-steps pvkg:stepCount ?steps .
            ?sample pvkg:sampleSize ?size ; pvkg:sampleUnit ?unit .
        }}""")
    assert len(rows) == 1
    threshold, size, unit, steps = rows[0]
    assert (float(threshold), size, unit, steps) == (0.75, 39, "articles", 7)


def test_meta_synthesis_research_questions_and_country(seed_build):
    questions = select(seed_build.graph, f"""
        SELECT ?text WHERE {{ {META} pvkg:hasResearchQuestion/pvkg:statement ?text }}""")
    assert len(questions) == 2
    assert any("which factors" in q.lower() for (q,) in questions)
    assert any("drive" in q.lower() and "hold" in q.lower() for (q,) in questions)
    country = select(seed_build.graph, f"SELECT ?c WHERE {{ {META} pvkg:hasContext/dcterms:spatial ?c }}")
    assert country == [("http://publications.europa.eu/resource/authority/country/IRN",)]


def test_eight_literature_review_citations_kept_as_cited(seed_build):
    rows = select(seed_build.graph, f"""
        SELECT ?citedAs ?identified ?correction WHERE {{
            {META} cito:cites ?w . ?w pvkg:citedAs ?citedAs ; pvkg:locator "Literature review" .
            OPTIONAL {{ ?w pvkg:identifiedAs ?identified }}
            OPTIONAL {{ ?w pvkg:correctionNote ?correction }}
        }}""")
    cited = {r[0]: r for r in rows}
    assert set(cited) == {"Mergel (2016)", "Gregory (2016)", "Wukick and Mergel (2016)", "Reddick et al. (2017)",
                          "Aizhan et al. (2017)", "Medaglia and Zhu (2017)", "Rodriguez et al. (2018)",
                          "Eom et al. (2018)"}
    _, aizhan, aizhan_note = cited["Aizhan et al. (2017)"]
    assert aizhan.endswith("/work/tursunbayeva-franco-pagliari-2017")
    assert "Tursunbayeva" in aizhan_note
    _, wukich, wukich_note = cited["Wukick and Mergel (2016)"]
    assert wukich.endswith("/work/wukich-mergel-2016")
    assert "Wukich" in wukich_note
    # each cited work has what the meta-synthesis reports of it
    reported = select(seed_build.graph, f"""
        SELECT DISTINCT ?w WHERE {{ ?f pvkg:reportedIn {META} ; pvkg:aboutWork ?w }}""")
    assert len(reported) == 8


def test_identified_work_is_the_catalogued_article(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?title ?volume ?start ?end WHERE {
            work:tursunbayeva-franco-pagliari-2017 dcterms:title ?title ; bibo:volume ?volume ;
                bibo:pageStart ?start ; bibo:pageEnd ?end }""")
    assert rows == [("Use of social media for e-Government in the public health sector: A systematic review of "
                     "published studies", "34", "270", "282")]


def test_luna_method_context_and_question(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?size ?unit ?cities ?country ?method WHERE {
            work:luna-2024 pvkg:hasContext ?ctx ; pvkg:hasDesign/pvkg:usesMethod ?method ;
                bibo:doi "10.1016/j.giq.2024.101928" .
            ?ctx pvkg:cityCount ?cities ; dcterms:spatial ?country ; pvkg:hasSample ?s .
            ?s pvkg:sampleSize ?size ; pvkg:sampleUnit ?unit .
        }""")
    assert rows == [(13, "focus groups", 4, "http://publications.europa.eu/resource/authority/country/MEX",
                     "https://w3id.org/pvkg/id/method/focus-groups")]
    questions = select(seed_build.graph,
                       "SELECT ?q WHERE { work:luna-2024 pvkg:hasResearchQuestion/pvkg:statement ?q }")
    assert len(questions) == 1 and "citizens" in questions[0][0]


def test_luna_values_by_level_and_characteristic_links(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?value ?level WHERE {
            ?f pvkg:reportedIn work:luna-2024 ; a pvkg:ValueFinding ; pvkg:aboutValue ?v ; pvkg:atLevel ?level .
            ?v dcterms:identifier ?value }""")
    individual = {v for v, level in rows if level.endswith("IndividualLevel")}
    societal = {v for v, level in rows if level.endswith("SocietalLevel")}
    assert individual == {"value:individual-benefits"}
    assert societal == {"value:transparency", "value:accountability", "value:democracy", "value:equity"}
    links = select(seed_build.graph, """
        SELECT ?from ?to WHERE {
            ?f pvkg:reportedIn work:luna-2024 ; pvkg:linkFrom ?a ; pvkg:linkTo ?b .
            ?a dcterms:identifier ?from . ?b dcterms:identifier ?to }""")
    assert ("characteristic:service-characteristics", "value:individual-benefits") in links
    assert {to for frm, to in links if frm == "value:individual-benefits"} == societal


def test_twizeyimana_values_and_dimensions_top_the_value_scheme(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?id ?dimension WHERE {
            ?v skos:topConceptOf scheme:values ; dcterms:identifier ?id ;
               dcterms:source work:twizeyimana-andersson-2019 .
            BIND(EXISTS { ?v a pvkg:ValueDimension } AS ?dimension) }""")
    assert sum(1 for _, dim in rows if dim) == 3
    assert sum(1 for _, dim in rows if not dim) == 6
    # every other value sits under that frame
    orphans = select(seed_build.graph, """
        SELECT ?v WHERE { ?v a pvkg:PublicValue . FILTER NOT EXISTS { ?v skos:broader+/skos:topConceptOf scheme:values }
                          FILTER NOT EXISTS { ?v skos:topConceptOf scheme:values } }""")
    assert orphans == []


def test_every_finding_has_one_study_a_locator_and_an_english_statement(seed_build):
    rows = select(seed_build.graph, """
        SELECT ?f (COUNT(DISTINCT ?study) AS ?studies) (COUNT(DISTINCT ?loc) AS ?locs) (SAMPLE(?en) AS ?text) WHERE {
            ?f a pvkg:Finding .
            OPTIONAL { ?f pvkg:reportedIn ?study } OPTIONAL { ?f pvkg:locator ?loc }
            OPTIONAL { ?f pvkg:statement ?en FILTER(lang(?en) = "en") }
        } GROUP BY ?f""")
    assert len(rows) == len(seed_build.corpus.findings) >= 32
    assert all(studies == 1 and locs == 1 and text for _, studies, locs, text in rows)
