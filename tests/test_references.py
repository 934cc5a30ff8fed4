"""References to other meetings' paragraphs (issue 18 part 3): forms found, forms refused, bodies
resolved through the organisation's own bodies and their abbreviations. Texts from the corpora."""

from __future__ import annotations

import pytest

from indexer.references import (
    abbreviations_of,
    body_abbreviations,
    find_handling_references,
    find_references,
    own_handling_number,
    resolve_body,
)


def _one(text: str):
    refs = find_references(text)
    assert len(refs) == 1, refs
    r = refs[0]
    assert text[r.start:r.end] == r.text
    return r.body, r.date, r.paragraph


@pytest.mark.parametrize("text,expected", [
    ("Enligt beslut av Kommunstyrelsen 2025-03-12 § 44 ska", ("Kommunstyrelsen", "2025-03-12", 44)),
    ("Ärendet behandlades av KS § 28.", ("KS", None, 28)),
    ("Se § 28 TEN.", ("TEN", None, 28)),
    ("Nämnden beslutade 2011-09-22, § 104, att", ("Nämnden", "2011-09-22", 104)),
    ("Kommunfullmäktige har 2019-02-25, § 12 beslutat att", ("Kommunfullmäktige", "2019-02-25", 12)),
    ("enligt KF § 12/2019 om", ("KF", None, 12)),
    ("(KS 2023-05-10 § 87)", ("KS", "2023-05-10", 87)),
    ("Kommunstyrelsen beslutade 12 mars 2025 § 7 att", ("Kommunstyrelsen", "2025-03-12", 7)),
    # corpus 000, 001, 003, 004 (Region Jämtland Härjedalen, Region Västernorrland)
    ("Hälso- och sjukvårdsnämnden beslutade den 21 november 2019, § 116, att ge regiondirektören",
     ("Hälso- och sjukvårdsnämnden", "2019-11-21", 116)),
    ("Vid hälso- och sjukvårdsnämndens sammanträde 2019-06-12 §70 behandlades granskningen",
     ("hälso- och sjukvårdsnämndens", "2019-06-12", 70)),
    ("På regionfullmäktiges sammanträde den 19-20 oktober 2020, § 104, fastställdes Regionplan",
     ("regionfullmäktiges", "2020-10-19", 104)),
    ("- Beslut från RS 2017-11-07--08 § 254 - Regiondirektören får i uppdrag", ("RS", "2017-11-07", 254)),
    ("Riktlinjen revideras i Regionstyrelsen 2022-06-07, § 203 med anledning av",
     ("Regionstyrelsen", "2022-06-07", 203)),
    ("Fullmäktiges presidium behandlade ärendet 2021-01-15 § 5 och föreslår",
     ("Fullmäktiges presidium", "2021-01-15", 5)),
    ("av HSN i april 2019 § 39. En tidplan", ("HSN", None, 39)),
    # Göteborg: the nearest body before the date is the one that decided
    ("h. Kommunstyrelsens uppdrag, givet av kommunfullmäktige 2021-09-30 § 30, att",
     ("kommunfullmäktige", "2021-09-30", 30)),
    ("Bordlagt den 7 december 2023, § 105.", (None, "2023-12-07", 105)),
    ("Socialnämnd Centrums handlingar 2023-08-29 § 176", ("Socialnämnd Centrums", "2023-08-29", 176)),
    ("Ärendet Stadsmiljönämnden beslutade 2023-09-21 § 217 att föreslå",
     ("Stadsmiljönämnden", "2023-09-21", 217)),
    # Kungsbacka, Lomma
    ("beslutade Nämnden för Miljö & Hälsoskydd den 23 januari 2025 § 15 att",
     ("Nämnden för Miljö & Hälsoskydd", "2025-01-23", 15)),
    ("Hjälpmedel, GNHH) GNHH § 5. Internkontrollplan 2025.", ("GNHH", None, 5)),
    ("Kultur- och fritidsnämndens arbetsutskott beslutade 2025-11-03, § 52, att",
     ("Kultur- och fritidsnämndens arbetsutskott", "2025-11-03", 52)),
    ("2. Protokollsutdrag § 60 Utskottet för ekonomi: Svar på uppdrag", ("Utskottet för ekonomi", None, 60)),
])
def test_reference_forms(text, expected):
    assert _one(text) == expected


def test_paragraph_lists_give_each_paragraph():
    refs = find_references("Kommunstyrelsen 2024-05-29 §§ 12-14 och")
    assert [r.paragraph for r in refs] == [12, 13, 14]
    assert {r.body for r in refs} == {"Kommunstyrelsen"}
    refs = find_references("Nämnden beslutade också (§§\n42-43, 47) att")
    assert [r.paragraph for r in refs] == [42, 43, 47]


def test_this_meetings_paragraphs_in_a_sentence():
    # corpus 003 § 90 and jonkoping_bun_2019-01-08: no body, no date, a sentence runs through the §
    refs = find_references("att utse Pia Lundin (SJVP) att jämte ordföranden justera protokollet förutom §§ 92, 96 "
                           "och 98 där Viktoria Jansson (M) utses till justerare.")
    assert [(r.body, r.date, r.paragraph) for r in refs] == [(None, None, 92), (None, None, 96), (None, None, 98)]
    assert refs[0].text == "§§ 92, 96 och 98"
    refs = find_references("Dagordningen godkänns med tillägg att § 13 direktjusteras och att § 12 tillkommer.")
    assert [r.paragraph for r in refs] == [13, 12]


def test_a_following_date_is_not_a_paragraph():
    # corpus 002: "Fastställd: 2020-11-19 § 108 och 2021-01-20 § X"
    refs = find_references("Fastställd: 2020-11-19 § 108 och 2021-01-20 § X")
    assert [(r.date, r.paragraph) for r in refs] == [("2020-11-19", 108)]


@pytest.mark.parametrize("text", [
    "§ 44 Indexuppräkning av hemtjänstersättning 2025",  # the item's own heading
    "KS § 4                              KS KF/2025:247",
    "## § 211 Ärendenummer SMF-2023-02861",
    "enligt 6 kap. 7 § kommunallagen",  # lagrum
    "5 § förvaltningslagen",
    "Regionstyrelsens uppsiktsplikt regleras i 6 kap 1 § kommunallagen (2017:725).",
    "(SoL 6 kap, §7). Socialnämnden har också ett ansvar",
    "(se SoL 6 kap 8 §, LVU § 13) placerade barns vård",
    "samt § 13 lag (1990:52) med särskilda bestämmelser",
    "(TF 2 kap. 15-16 §§). För statliga myndigheter",
    "Enligt 6 kap. 11 § 3 b och c miljöbalken ska",
    "Justerade paragrafer §§ 1–12",  # a protocol's header
    "Paragrafer § 66",
    "Chatrine Schander Ljungquist (M) ersätter Stig-Arne Tengmer (L) tom § § 1-5 Annica Lind Nordberg (L)",
    "hälsoskyddsinspektör § 60\nTobias Engström, miljö- och",
    "Ordförande Rune Netterlid §§ 72-73, Lena Wahlgren §§ 74-78",  # who signed which paragraphs
    "Marie Siecke, Controller, §§ 34–36\nAnnika Ragazzo, Controller, §§ 34–36",  # attendance
    "Fredrik Karström (M), Ordförande, §§ 2–3",
    "|§ 1|Informationsärenden|4|\n|§ 2|Meddelanden|5|",  # table of contents
    "Avgift enligt § 5 e) tas ej ut",  # a taxa's own sections, no body, no date
    "Telefon: 031-368 02 33",
])
def test_not_references(text):
    assert find_references(text) == []


# -- bodies ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body,abbr", [
    ("Kommunstyrelsen", "KS"),
    ("Kommunfullmäktige", "KF"),
    ("Tekniska nämnden", "TN"),
    ("Hälso- och sjukvårdsnämnden", "HSN"),
    ("Kommunstyrelsens arbetsutskott", "KSAU"),
    ("Barn- och utbildningsnämnden", "BUN"),
    ("Kultur- och fritidsnämnden", "KFN"),
    ("Samhällsbyggnadsnämnden", "SBN"),
    ("Regionstyrelsen", "RS"),
    ("Nämnden för Vård & Omsorg", "VO"),
    ("Nämnden för Miljö & Hälsoskydd", "MH"),
    ("Tekniska och ekonomiska nämnden", "TEN"),
])
def test_initials_of_words_and_compound_parts(body, abbr):
    assert abbr in abbreviations_of(body)


BODIES = ["Kommunstyrelsen", "Kommunfullmäktige", "Kommunstyrelsens arbetsutskott", "Socialnämnden",
          "Samhällsbyggnadsnämnden", "Stadsmiljönämnden", "Nämnden för Vård & Omsorg", "Barn- och utbildningsnämnden"]


def test_ambiguous_initials_are_left_out_and_series_evidence_decides():
    abbr = body_abbreviations(BODIES)
    assert abbr["KS"] == "Kommunstyrelsen" and abbr["KSAU"] == "Kommunstyrelsens arbetsutskott"
    assert "SN" not in abbr  # Socialnämnden, Samhällsbyggnadsnämnden, Stadsmiljönämnden
    abbr = body_abbreviations(BODIES, {"Socialnämnden": ["SN"], "Kommunstyrelsen": ["KS", "KS-KF"],
                                       "Kommunfullmäktige": ["KS-KF"], "Nämnden för Vård & Omsorg": ["VO"]})
    assert abbr["SN"] == "Socialnämnden"  # the series its own items carry (Lomma's SN/2023:152)
    assert abbr["VO"] == "Nämnden för Vård & Omsorg"
    assert "KSKF" not in abbr  # one registry shared by two bodies


@pytest.mark.parametrize("written,body", [
    ("Kommunstyrelsen", "Kommunstyrelsen"),
    ("kommunstyrelsens", "Kommunstyrelsen"),
    ("KS", "Kommunstyrelsen"),
    ("KS-AU", "Kommunstyrelsens arbetsutskott"),
    ("KSAU", "Kommunstyrelsens arbetsutskott"),
    ("barn- och utbildningsnämndens", "Barn- och utbildningsnämnden"),
    ("BUN", "Barn- och utbildningsnämnden"),
    ("nämnden för\nVård & Omsorg", "Nämnden för Vård & Omsorg"),
    ("fullmäktige", "Kommunfullmäktige"),
    ("Nämnden", None),  # which nämnd only the context says
    ("styrelsen", None),
    ("Regionstyrelsen", None),  # not a body of this organisation
    ("XYZ", None),
    ("", None),
])
def test_resolve_body(written, body):
    assert resolve_body(written, BODIES, body_abbreviations(BODIES)) == body


def test_references_and_bodies_together():
    text = ("Ärendet Stadsmiljönämnden beslutade 2023-09-21 § 217 att föreslå kommunfullmäktige. "
            "Kommunfullmäktige har 2019-02-25, § 12 beslutat att ge KS § 28 i uppdrag.")
    abbr = body_abbreviations(BODIES)
    resolved = [(resolve_body(r.body, BODIES, abbr), r.date, r.paragraph) for r in find_references(text)]
    assert resolved == [("Stadsmiljönämnden", "2023-09-21", 217), ("Kommunfullmäktige", "2019-02-25", 12),
                        ("Kommunstyrelsen", None, 28)]


def test_resolve_body_folds_genitive_and_ampersand():
    bodies = ["Nämnden för Miljö & Hälsoskydd", "Kommunstyrelsens arbetsutskott"]
    # kungsbacka_miljo_2025-05-08_beslut_p66_taxa: "Nämnden för miljö och hälsoskydds §83"
    assert resolve_body("Nämnden för miljö och hälsoskydds", bodies, {}) == "Nämnden för Miljö & Hälsoskydd"
    assert resolve_body("kommunstyrelsens arbetsutskotts", bodies, {}) == "Kommunstyrelsens arbetsutskott"


@pytest.mark.parametrize("text,year", [
    ("Kommunstyrelsen 2025-03-12 § 44", 2025),
    ("enligt KF § 12/2019 om", 2019),
    ("Bilaga A KS § 3/26", 2026),  # lomma_ks_2026-01-21: an appendix marked with its §
    ("av HSN i april 2019 § 39. En", 2019),
    ("Ärendet behandlades av KS § 28.", None),
])
def test_the_meetings_year_when_known(text, year):
    assert [r.year for r in find_references(text)] == [year]


def test_paragraph_with_year_alone_is_a_reference():
    # corpus 004: "beslutade regionfullmäktige om en ny bolagsordning för bolaget (§ 74/2020)"
    refs = find_references("om en ny bolagsordning för bolaget (§ 74/2020). De revideringar")
    assert [(r.body, r.paragraph, r.year) for r in refs] == [(None, 74, 2020)]


def test_numbered_handlingar():
    # goteborg_kf_2024-02-01 § 15 cites the handling printed at the head of goteborg_kf_handling_sparvagspott
    refs = find_handling_references("Protokollsanteckning\n\nHandling\n2023 nr 234.\n\nYrkanden")
    assert [(r.year, r.number, r.text) for r in refs] == [(2023, 234, "Handling\n2023 nr 234")]
    assert own_handling_number("Göteborgs Stad\n\nKommunfullmäktige\n\nHandling 2023 nr 204\n\nYttrande över") == (2023, 204)
    assert own_handling_number("Yttrande\n\n" + "text " * 100 + "Handling 2023 nr 204") is None
    assert find_handling_references("handlingar 2023-09-21 § 211") == []


def test_generic_bodies_are_recognised():
    from indexer.references import is_generic_body
    assert all(is_generic_body(w) for w in ("Nämnden", "nämndens", "styrelsen", "Utskottet"))
    assert not any(is_generic_body(w) for w in ("Socialnämnden", "KS", "fullmäktige", "", None))
