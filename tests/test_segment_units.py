"""The pure pieces of segmentation and metadata extraction on small hand-made texts."""

from __future__ import annotations

import pytest

from indexer.ingest import parse_text
from indexer.metadata import extract_case_numbers, extract_decisions, normalise_body
from indexer.segment import detect_family, segment
from indexer.segment.furniture import strip_furniture


def _items(text: str):
    return segment(text).items


# -- protocols ---------------------------------------------------------------------------------------
TOC_PROTOCOL = """KUNGSBACKA KOMMUN                  SAMMANTRÄDESPROTOKOLL
Nämnden för Kultur & Fritid
Datum
2025-01-30

Innehåll

§ 5 Dnr KF-2025-00001
Val av justerare ........................................................ 3

§ 6 Dnr KF-2025-00002
Budget 2025 ............................................................. 4

KUNGSBACKA KOMMUN                  SAMMANTRÄDESPROTOKOLL          3 (4)
Nämnden för Kultur & Fritid
Datum
2025-01-30

§ 5                       Dnr KF-2025-00001
Val av justerare

Beslut
Nämnden utser Eva Ek att justera protokollet.

Det här dokumentet är digitalt signerat
Transaktionsidentitet: 267497D065AC4DB21F24DE73D946D6AE576D5FC62C

KUNGSBACKA KOMMUN                  SAMMANTRÄDESPROTOKOLL          4 (4)
Nämnden för Kultur & Fritid
Datum
2025-01-30

§ 6                       Dnr KF-2025-00002
Budget 2025

Beslut
Nämnden för Kultur & Fritid beslutar att anta budgeten.

Tidigare behandling
Bordlagt den 11 december 2024, § 1023, den 22 januari 2025,
§ 115 och den 26 februari 2025, § 176.
Bordlagt den 15 januari 2025, § 8, den 5 februari 2025, § 109 och den 26 februari 2025,
§ 171.
"""


def test_protocol_toc_furniture_and_wrapped_references():
    doc = parse_text(TOC_PROTOCOL, "p.txt")
    assert [i.paragraph for i in doc.items] == [5, 6]  # no duplicates from the table of contents
    five, six = doc.items
    assert five.title == "Val av justerare" and five.case_numbers[0] == "KF-2025-00001"
    assert six.decisions == ["att anta budgeten"]
    assert "§ 115 och den 26 februari 2025, § 176." in six.text
    assert "§ 171." in six.text
    for item in doc.items:
        assert "KUNGSBACKA" not in item.text and "Transaktionsidentitet" not in item.text
        assert "2025-01-30" not in item.text and "digitalt signerat" not in item.text
    meta = doc.document
    assert (meta.organisation, meta.body, meta.date, meta.doc_type) == (
        "Kungsbacka kommun", "Nämnden för Kultur & Fritid", "2025-01-30", "protokoll")


def test_protocol_attendance_notes_are_not_paragraphs():
    text = """Protokoll Kommunstyrelsen 2024-03-01

Närvarande
Anna Ek, controller,
§ 44
Bo Berg, jurist
§ 45 Ärendenummer KS-2024-00001
Val av justerare
Beslut
Anna Ek utses att justera.

§ 46 Ärendenummer KS-2024-00002
Budget
Beslut
Antecknas.
"""
    items = _items(text)
    assert [i.paragraph for i in items if i.paragraph] == [45, 46]


def test_protocol_bold_title_over_several_lines_and_signatures():
    text = """Protokoll 2023-12-07

**§ 96 Yttrande över remiss från Socialdepartementet:
Promemorian om barns uppgifter
inom hälso- och sjukvården (Ds 2023:26)**

Beslut:

Utskottet föreslår att nämnden beslutar

att avge yttrande.

§ 97 Övriga frågor

Inga övriga frågor.

Justeras

Elina Backlund Arab
Vid protokollet
Maria Öhman
"""
    items = parse_text(text, "p.txt").items
    assert items[0].title == ("Yttrande över remiss från Socialdepartementet: Promemorian om barns uppgifter inom "
                              "hälso- och sjukvården (Ds 2023:26)")
    assert items[0].decisions == ["att avge yttrande"]
    assert items[1].text == "§ 97 Övriga frågor\n\nInga övriga frågor."


def test_protocol_paragraphs_must_increase():
    text = "§ 3 Val av justerare\n\nBeslut\n\nAnna utses.\n\n§ 4 Budget\n\nBeslut\n\nGodkänns.\n\n" \
           "§ 1 kap. 2 i lagen gäller.\n\n§ 5 Övrigt\n\nInget.\n"
    assert [i.paragraph for i in _items(text)] == [3, 4, 5]


# -- portal pages --------------------------------------------------------------------------------------
PORTAL = """Hoppa över navigering

Möte 2022-03-01

Regionstyrelsen
 • Inledande information om mötet och dess former.

 • \u00a0 2

  Val av justerare

 • Budgeten för året presenteras.
  • Intäkter
  • Kostnader
  Bilagor

  1. Protokoll: Utskottet för ekonomi.
  2. Protokoll: Pensionärsrådet.

  Bilagor

 • \u00a0 5

  TILL FULLMÄKTIGE

 • En motion om kollektivtrafik. Regionstyrelsen föreslår regionfullmäktige att motionen ska avslås.
 • \u00a0 7

  Informationer

Det finns ingen information att visa

Vi använder cookies på denna webbplats för att förbättra din användarupplevelse.
"""


def test_portal_numbers_sections_and_lost_bullets():
    doc = parse_text(PORTAL, "portal.txt")
    assert [(i.number, i.number_inferred) for i in doc.items] == [(1, True), (2, False), (3, True), (4, True),
                                                                  (6, True)]
    one, two, three, four, six = doc.items
    assert two.title == "Val av justerare" and not two.title_derived
    assert three.text == "Budgeten för året presenteras.\n• Intäkter\n• Kostnader"
    assert four.text.startswith("1. Protokoll: Utskottet för ekonomi.")  # after "Bilagor", outside bullets
    assert six.section == "TILL FULLMÄKTIGE" and six.decisions == ["att motionen ska avslås"]
    assert all("cookies" not in i.text and "Informationer" != i.title for i in doc.items)
    assert doc.document.date == "2022-03-01" and doc.document.body == "Regionstyrelsen"


def test_portal_without_date_line_has_no_date():
    text = PORTAL.replace("Möte 2022-03-01\n", "")
    meta = parse_text(text, "p.txt").document
    assert meta.date is None and "date" not in meta.inferred


# -- kallelser and notes --------------------------------------------------------------------------
def test_numbered_agenda_with_numbered_decisions_inside():
    text = """SAMMANTRÄDESANTECKNINGAR
Kommunrevisionen
Datum
2025-05-19

1
Mötets öppnande
Ordförande öppnar mötet.

2
Kommunikationsplan

Beslut
Kommunrevisionen godkänner planen och uppdrar åt konsulten att:
1. Ställa samman artiklar.
2. Översända presentationer.

3
Avslut
Mötet avslutas.
"""
    doc = parse_text(text, "a.txt")
    assert [(i.number, i.title) for i in doc.items] == [(1, "Mötets öppnande"), (2, "Kommunikationsplan"),
                                                        (3, "Avslut")]
    # the lead-in decides too (it approves the plan), its points follow it
    assert doc.items[1].decisions == ["Kommunrevisionen godkänner planen och uppdrar åt konsulten att",
                                      "Ställa samman artiklar", "Översända presentationer"]
    assert doc.document.doc_type == "anteckningar"


def test_agenda_table():
    text = """KALLELSE
Kulturnämnden
Sammanträde tisdag den 4 mars 2025 kl. 08:30

|  | Ärende | Beteckning | Förslag |
| --- | --- | --- | --- |
| 1. | Årsredovisning 2024 för<br>Kulturnämnden<br>08:30-09:30<br>Eva Ek | KN 2025/86 | Nämnden godkänner årsredovisningen. |
| 2. | Information om<br>biblioteken | KN 2025/9 |  |
"""
    doc = parse_text(text, "k.txt")
    assert [(i.number, i.title) for i in doc.items] == [(1, "Årsredovisning 2024 för Kulturnämnden"),
                                                        (2, "Information om biblioteken")]
    assert doc.items[0].decisions == ["Nämnden godkänner årsredovisningen"]
    assert doc.items[0].case_numbers == ["KN 2025/86"]
    assert "Eva Ek" in doc.items[0].text
    assert (doc.document.doc_type, doc.document.date, doc.document.body) == ("kallelse", "2025-03-04", "Kulturnämnden")


# -- sections ------------------------------------------------------------------------------------------
def test_sections_merge_tiny_and_carry_intros():
    body = "Text som beskriver målen och insatserna för året. " * 10
    text = f"""# Plan 2025

## Mål

Kort intro.

### Första målet

{body}

### Andra målet

{body}

### Litet mål

En rad.

## Ekonomi

{body}
"""
    items = _items(text)
    assert [i.title for i in items] == ["Första målet", "Andra målet", "Ekonomi"]
    assert items[0].text.startswith("Plan 2025") and "Kort intro." in items[0].text
    assert items[0].section == "Mål"
    assert "Litet mål\n\nEn rad." in items[1].text  # a tiny section joins the one before


# -- furniture -----------------------------------------------------------------------------------------
def test_strip_furniture_keeps_positions_and_content():
    lines = ["Protokollsutdrag skickas till", "Stadsmiljönämnden", "", "19 (90)", "", "Kommunfullmäktige", "",
             "Protokoll nr 1", "Sammanträdesdatum: 2024-02-01", "", "§ 16 Ärendenummer SLK-2023-00782"]
    out = strip_furniture(lines)
    assert len(out) == len(lines)
    assert out[1] == "Stadsmiljönämnden"  # content just above a page number stays
    assert [ln for ln in out if ln] == ["Protokollsutdrag skickas till", "Stadsmiljönämnden",
                                        "§ 16 Ärendenummer SLK-2023-00782"]


def test_family_detection():
    assert detect_family(PORTAL.split("\n")) == "portal"
    assert detect_family(TOC_PROTOCOL.split("\n")) == "protocol"
    assert detect_family("# Rubrik\n\nText.\n\n## Del\n\nMer text.".split("\n")) == "sections"


# -- case numbers, decisions, bodies -------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("ett ärende från Konkurrensverket, RS/2402/2017, med frågor", ["RS/2402/2017"]),
    ("Diarienummer: 23HSN1782", ["23HSN1782"]),
    ("§ 39 Dnr VO-2025-00006", ["VO-2025-00006"]),
    ("Ärendenummer SLK-2023-00027:58", ["SLK-2023-00027:58"]),
    ("enligt beslut KS 2023/123 och RS 1379/2015", ["KS 2023/123", "RS 1379/2015"]),
    ("Dnr 1234/23", ["1234/23"]),
    ("motionen N164-0569/23 behandlades", ["N164-0569/23"]),
    ("Ds 2023:26, SOU 2024:72 och JO 1989/90 är inga diarienummer", []),
])
def test_case_numbers(text, expected):
    assert extract_case_numbers(text) == expected


def test_decisions_from_proposal_sentence_and_att_clauses():
    assert extract_decisions("Nämnden behandlade ärendet 2020-12-17 § 130 och föreslår regionfullmäktige att "
                             "motionen ska anses besvarad.") == ["att motionen ska anses besvarad"]
    assert extract_decisions("Beslut\n\nNämnden föreslår fullmäktige besluta\n\natt anta reviderad "
                             "verksamhetsplan 2024–2026;\n\natt ge direktören i uppdrag att följa upp; samt\n\n"
                             "att lägga rapporten till handlingarna.\n\nÄrendebeskrivning\n\natt inte detta.") == [
        "att anta reviderad verksamhetsplan 2024–2026", "att ge direktören i uppdrag att följa upp",
        "att lägga rapporten till handlingarna"]
    assert extract_decisions("Motionären yrkar\nAtt regionen ska göra något.") == []
    assert extract_decisions("Beslut\nPå förslag av ordföranden:\nÄrendet bordläggs.\n\nHandlingar\nX.") == [
        "Ärendet bordläggs"]


@pytest.mark.parametrize("raw, expected", [
    ("hälso- och sjukvårdsnämndens", "Hälso- och sjukvårdsnämnden"),
    ("Kommunstyrelsens", "Kommunstyrelsen"),
    ("Nämnden för Miljö- & Hälsoskydd", "Nämnden för Miljö & Hälsoskydd"),
    ("nämnden för vård & omsorg", "Nämnden för Vård & Omsorg"),
    ("Bygg- och miljöförvaltningens", "Bygg- och miljöförvaltningen"),
    ("regionfullmäktiges", "Regionfullmäktige"),
])
def test_body_names_are_normalised(raw, expected):
    assert normalise_body(raw) == expected
