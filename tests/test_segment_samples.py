"""The exact segmentation and metadata of the five sample documents in corpus/.

These pin what the documents really contain; a change here is a change in what gets indexed.
"""

from __future__ import annotations

import pytest

from tests.parse_helpers import SAMPLES, by_paragraph, eval_queries, fold, sample

CHROME = ("Hoppa över navigering", "Vi använder cookies", "Det finns ingen information att visa")


# -- 000: Hälso- och sjukvårdsnämnden, meeting page without a date line ----------------------------
def test_000_items_and_numbers():
    doc = sample("000")
    assert [i.number for i in doc.items] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16]
    printed = [i.number for i in doc.items if not i.number_inferred]
    assert printed == [2, 16]  # only "•   2" and "•   16" carry their number in the page
    assert all(i.paragraph is None and i.section is None for i in doc.items)


def test_000_titles():
    items = {i.number: i for i in sample("000").items}
    assert items[2].title == "Val av justerare och tid för justering" and not items[2].title_derived
    assert items[16].title == "Anmälan av delegationsbeslut till hälso- och sjukvårdsnämnden"
    assert not items[16].title_derived
    assert items[4].title == "Månadsrapport september" and items[4].title_derived
    assert items[13].title == "Handlingar lämnas senare"
    assert items[3].title.startswith("Enligt reglemente för hälso- och sjukvårdsnämnden har preliminär")
    assert all(i.title_derived for i in items.values() if i.number_inferred)


def test_000_nested_bullets_stay_inside_their_item():
    items = {i.number: i for i in sample("000").items}
    info = items[3]
    for topic in ("Krisledningsnämndens uppdrag", "Läkemedel", "Pandemiläget", "Antikroppsupphandling",
                  "Status ambulanshelikopter"):
        assert f"• {topic}" in info.text
    assert "Månadsrapport oktober" in items[4].text  # a sub-heading, not a new item
    assert "stärka det suicidpreventiva arbetet (600 000 kr)" in items[5].text
    assert "tillnyktringsenhetens avveckling" in items[11].text


def test_000_metadata():
    meta = sample("000").document
    assert meta.organisation == "Region Jämtland Härjedalen"
    assert meta.body == "Hälso- och sjukvårdsnämnden"
    assert meta.date is None  # the page has no date line: none is invented
    assert meta.year == 2020  # the content reports up to October 2020
    assert {"year", "body", "organisation"} <= set(meta.inferred)
    assert "date" not in meta.inferred
    assert meta.doc_type == "möte"
    assert meta.format == "txt" and len(meta.checksum) == 64


# -- 001: Regionstyrelsen 2017-12-12 ----------------------------------------------------------------
def test_001_items_numbers_and_sections():
    doc = sample("001")
    assert len(doc.items) == 24
    assert [i.number for i in doc.items] == list(range(2, 23)) + [24, 25, 26]
    assert [i.number for i in doc.items if not i.number_inferred] == [2]
    assert [i.number for i in doc.items if i.section == "TILL FULLMÄKTIGE"] == [24, 25, 26]
    titles = [i.title for i in doc.items]
    assert "TILL FULLMÄKTIGE" not in titles and "Informationer" not in titles  # section headings


def test_001_titles_and_content():
    items = {i.number: i for i in sample("001").items}
    assert items[2].title == "Val av justerare och tid för justering"
    assert items[4].title == "Hälso- och sjukvårdsdirektörens verksamhetsplan 2018"
    assert items[22].title == "Beslut fattade av regiondirektör/ bitr. regiondirektör"
    # the list of reports after item 20's "Bilagor" is the item whose bullet the page lost
    assert items[21].text.startswith("1. Protokoll: Utskottet för ekonomi 2017-11-13.")
    assert "8. Minnesanteckningar insynsgruppen Nationalmuseum Jamtli 2017-11-07" in items[21].text
    assert "inga planer på investeringar i PET-CT utrustning" in items[16].text
    assert "motion om rutiner och register för sepsis" in items[25].text
    assert "kompressionsstrumpor klass 2" in items[26].text
    assert items[18].case_numbers == ["RS/2402/2017"]
    assert "RS/2074/2017" in items[22].case_numbers


def test_001_decisions():
    items = {i.number: i for i in sample("001").items}
    assert items[26].decisions == ["att motionen ska avslås"]
    assert items[25].decisions == []  # "Motionen bör således anses besvarad." is no decision


def test_001_metadata():
    meta = sample("001").document
    assert (meta.organisation, meta.body, meta.date, meta.year, meta.doc_type) == (
        "Region Jämtland Härjedalen", "Regionstyrelsen", "2017-12-12", 2017, "möte")
    assert "body" not in meta.inferred and "date" not in meta.inferred


# -- 002: Verksamhetsplan 2021 (Markdown) ----------------------------------------------------------
PLAN_TITLES = [
    "Inledning", "Uppdrag och planeringsförutsättningar",
    "Under 2021 behöver nämnden särskilt hantera följande planeringsförutsättningar:", "Mål",
    "Strategi för länets utveckling", "Regionalt ledarskap för tillväxt och utveckling",
    "Utvecklingskraft i hela länet", "Ett friskare liv",
    "Diskriminering, trakasserier och kränkande behandling ska minska",
    "Minska förekomsten av övervikt och fetma hos barn och ungdomar",
    "God och nära vård i hela Region Jämtland Härjedalen", "Hög tillgänglighet och kontinuitet",
    "Samhällsekonomiskt och miljömässigt hållbar läkemedelsanvändning", "Effektiv och säker läkemedelsanvändning",
    "Digitalisering och nya arbetsmetoder", "Strategi för våra medarbetare", "Delaktighet och inflytande",
    "Utvecklande ledarskap", "Hälsofrämjande arbetsmiljö", "En ekonomi i balans",
    "Utvecklad upphandling och inköpsstyrning", "Effektiva inköp", "Budgetramar", "Uppföljning",
    "Intern kontroll", "Uppföljningsplan och sammanträdesplanering 2021",
]


def test_002_sections():
    doc = sample("002")
    assert [i.title for i in doc.items] == PLAN_TITLES
    assert all(not i.title_derived and i.number is None and i.paragraph is None for i in doc.items)
    items = {i.title: i for i in doc.items}
    assert items["Hög tillgänglighet och kontinuitet"].section == "Strategi för vård"
    assert items["Delaktighet och inflytande"].section == "Strategi för våra medarbetare"
    assert items["Budgetramar"].section == "Ekonomi och produktion"
    assert "Budgetramar per område inom förvaltningsområde hälso- och sjukvård" in items["Budgetramar"].text
    # no item is tiny and none is the whole document
    assert all(300 <= len(i.text) <= 6000 for i in doc.items)


def test_002_front_matter_toc_and_markup():
    doc = sample("002")
    first = doc.items[0]
    assert "HSN/1071/2020" in first.case_numbers  # the front matter joins the first section
    text = "\n".join(i.text for i in doc.items)
    assert "....." not in text  # the table of contents is not indexed
    assert "<b>" not in text and "<li>" not in text and "**" not in text
    assert "Strategi för vård handlar i Regionplan" in doc.items[10].text  # intro joins first subsection


def test_002_metadata():
    meta = sample("002").document
    assert meta.title == "Verksamhetsplan 2021"
    assert meta.doc_type == "plan"
    assert meta.body == "Hälso- och sjukvårdsnämnden" and "body" not in meta.inferred
    assert meta.organisation == "Region Jämtland Härjedalen" and "organisation" in meta.inferred
    assert (meta.date, meta.year) == ("2021-01-14", 2021)  # "2020-11-11, reviderad 2021-01-14"


# -- 003: Hälso- och sjukvårdsutskottet protocol §§ 90–98 -------------------------------------------
PROTOCOL_TITLES = {
    90: "Val av justerare",
    91: "Fastställande av föredragningslista",
    92: "Reviderad verksamhetsplan 2024–2026, Hälsa- och sjukvårdsnämnden",
    93: "Årlig information Visselblåsarärenden (2023)",
    94: "Resultat extern miljörevision 2023",
    95: "Internkontrollplan 2024, Hälso- och sjukvårdsnämnden",
    96: "Yttrande över remiss från Socialdepartementet: Promemorian Elektronisk tillgång till barns uppgifter "
        "inom hälso- och sjukvården och tandvården (Ds 2023:26)",
    97: "Uppdrag till Rättspsykiatriska regionkliniken att bedriva rättspsykiatrisk vård 2024",
    98: "Hälso- och sjukvårdens handlingsplan för kostnadsreduceringar",
}


def test_003_paragraphs_and_titles():
    doc = sample("003")
    assert [i.paragraph for i in doc.items] == [None] + list(range(90, 99))
    assert doc.items[0].title_derived  # attendance and information points before § 90
    assert "Inför mötet lämnas följande informationer" in doc.items[0].text
    assert {p: i.title for p, i in by_paragraph(doc).items()} == PROTOCOL_TITLES
    assert all(i.number is None for i in doc.items)


def test_003_decisions():
    items = by_paragraph(sample("003"))
    assert items[90].decisions == [
        "att utse Pia Lundin (SJVP) att jämte ordföranden justera protokollet förutom §§ 92, 96 och 98 där "
        "Viktoria Jansson (M) utses till justerare"]
    assert items[91].decisions == ["att fastställa upprättat förslag till föredragningslista"]
    assert items[92].decisions == [
        "att anta reviderad verksamhetsplan 2024–2026 för hälsa- och sjukvårdsnämnden",
        "att anta verksamhetsplaner 2024–2026 för hälsa- och sjukvårdens områden",
        "att godkänna fördelat regionbidrag per område för planperioden 2024–2026 enligt föreslagna revideringar",
        "att godkänna tillåtet underskott per område för planperioden 2024–2026 enligt föreslagna revideringar",
    ]
    assert items[93].decisions == ["att lägga informationen till handlingarna"]
    assert items[95].decisions == ["att överlämna ärendet till nämnden"]
    assert items[97].decisions == [
        "att fastställa uppdrag till rättspsykiatriska regionkliniken att bedriva psykiatrisk tvångsvård och "
        "rättspsykiatrisk vård 2024",
        "att uppdraget ges till förvaltningschef för rättspsykiatriska regionkliniken",
        "att uppföljning av uppdraget redovisas i verksamhetens delårsrapport och verksamhetsberättelse",
    ]


def test_003_case_numbers():
    items = by_paragraph(sample("003"))
    assert items[92].case_numbers[0] == "23HSN1782"
    assert [items[p].case_numbers[0] for p in (93, 94, 95, 96, 97, 98)] == [
        "23HSN4749", "23HSN5383", "23HSN5195", "23HSN4074", "23HSN5033", "23HSN2705"]
    assert items[90].case_numbers == []


def test_003_no_page_furniture_in_items():
    for item in sample("003").items:
        for furniture in ("Ordförandens sign", "Justerandens sign", "Exp den", "Utdragsbestyrkande",
                          "2(19)", "19(19)", "-------", "23-12-07- 08", "Justeras", "Vid protokollet"):
            assert furniture not in item.text, (item.paragraph, furniture)
    items = by_paragraph(sample("003"))
    # the page break inside § 95 is gone, the text on both sides of it stays
    assert "Samlad bedömning\n\nFörvaltningens bedömningar finns att tillgå" in items[95].text
    assert items[98].text.endswith("Pia Lundin (SJVP) och Erica Stenberg (SD) avstår från att delta i beslut.")


def test_003_metadata():
    meta = sample("003").document
    assert meta.organisation == "Region Västernorrland"
    assert meta.body == "Hälso- och sjukvårdsutskottet"
    assert (meta.date, meta.year, meta.doc_type) == ("2023-12-07", 2023, "protokoll")
    assert "date" not in meta.inferred


# -- 004: Regionstyrelsen 2021-01-26 ----------------------------------------------------------------
def test_004_items_numbers_and_sections():
    doc = sample("004")
    assert [i.number for i in doc.items] == list(range(1, 16)) + list(range(19, 29))
    assert [i.number for i in doc.items if not i.number_inferred] == [2]
    assert {i.section for i in doc.items if i.number >= 19} == {"TILL FULLMÄKTIGE"}
    assert {i.section for i in doc.items if i.number < 19} == {None}


def test_004_titles_and_content():
    items = {i.number: i for i in sample("004").items}
    assert items[2].title == "Val av justerare och tid för justering"
    assert items[4].title == "En månadsrapport för november 2020 har upprättats"
    assert items[28].title == "Elin Hoffner (V) har lämnat in en motion om långvarig smärta"
    assert items[15].text == "Bilagor"  # a bullet with nothing but attachments keeps its place
    assert "• Vaccinering mot covid-19" in items[3].text
    assert "Landstingsbostäder AB" in items[10].text
    assert "digital signering av protokoll" in items[21].text
    assert "Jämtlandsgården AB" in items[24].text
    assert "RS/2324/2016" in items[5].case_numbers


def test_004_decisions():
    items = {i.number: i for i in sample("004").items}
    assert items[28].decisions == ["att motionen ska anses besvarad"]
    assert items[24].decisions == [
        "Regionala utvecklingsnämnden får i uppdrag att avyttra Region Jämtland Härjedalens aktier i "
        "Jämtlandsgården AB",
        "Region Jämtland Härjedalen avslutar sitt medlemskap i Folkets hus ekonomisk förening",
    ]
    assert items[27].decisions == [
        "Trafikförsörjningsprogram Jämtlands län 2021-2026 fastställs",
        "Revidering av trafikförsörjningsprogrammets bilagor samt beslut om ytterligare bilagor delegeras till "
        "regionala utvecklingsnämnden",
    ]
    assert len(items[22].decisions) == 4
    assert items[12].decisions == []  # a member's proposal ("Ann-Marie Johansson föreslår") is no decision


def test_004_metadata():
    meta = sample("004").document
    assert (meta.organisation, meta.body, meta.date, meta.year, meta.doc_type) == (
        "Region Jämtland Härjedalen", "Regionstyrelsen", "2021-01-26", 2021, "möte")


# -- all five ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_no_chrome_and_no_empty_items(key):
    doc = sample(key)
    assert doc.items
    for item in doc.items:
        assert item.text.strip() and item.title.strip()
        for chrome in CHROME:
            assert chrome not in item.text


def test_item_counts():
    assert {k: len(sample(k).items) for k in SAMPLES} == {"000": 13, "001": 24, "002": 26, "003": 10,
                                                          "004": 25}


@pytest.mark.parametrize("query", eval_queries(), ids=lambda q: q["id"])
def test_eval_anchor_falls_in_exactly_one_item(query):
    """Chunk boundaries: each relevant phrase of the dev queries lies inside exactly one item."""
    for anchor in query["relevant"]:
        hits = [(key, i.title) for key in SAMPLES for i in sample(key).items
                if fold(anchor) in fold(i.title + "\n" + i.text)]
        assert len(hits) == 1, (anchor, hits)


def test_filtered_anchor_is_in_the_right_body():
    item = next(i for i in sample("004").items if "Vaccinering mot covid-19" in i.text)
    assert item.number == 3 and sample("004").document.body == "Regionstyrelsen"
