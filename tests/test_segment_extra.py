"""Segmentation and metadata of the other-layout documents in corpus/extra.

Ground truth for organisation, body, date and type is corpus/extra/PROVENANCE.tsv; the parser
reads all of it from the documents' text.
"""

from __future__ import annotations

import re

import pytest

from tests.parse_helpers import EXTRA, by_paragraph, extra

PROTOCOLS = {
    # file: (organisation, body, date, doc_type, first §, last §)
    "goteborg_ks_2025-03-12_protokoll.txt": ("Göteborgs Stad", "Kommunstyrelsen", "2025-03-12", "protokoll", 197, 245),
    "goteborg_ks_2024-05-29_protokoll.txt": ("Göteborgs Stad", "Kommunstyrelsen", "2024-05-29", "protokoll", 474, 529),
    "goteborg_kf_2024-02-01_protokoll.txt": ("Göteborgs Stad", "Kommunfullmäktige", "2024-02-01", "protokoll", 1, 49),
    "kungsbacka_vo_2025-03-20_protokoll.txt": ("Kungsbacka kommun", "Nämnden för Vård & Omsorg", "2025-03-20",
                                               "protokoll", 39, 55),
    "kungsbacka_vo_2024-05-14_beslut_p75_ekonomisk_uppfoljning.txt": (
        "Kungsbacka kommun", "Nämnden för Vård & Omsorg", "2024-05-14", "beslut", 75, 75),
    "kungsbacka_miljo_2025-05-08_beslut_p66_taxa.txt": (
        "Kungsbacka kommun", "Nämnden för Miljö & Hälsoskydd", "2025-05-08", "beslut", 66, 66),
}

FURNITURE = re.compile(
    r"(?im)^\s*(?:ordförandens sign|justerand\w* sign|exp den\b|utdragsbestyrkande|sida\s*\d+\s*\(\d+\)$|"
    r"\d+\s*\(\d+\)$|det här dokumentet är digitalt signerat|transaktionsidentitet:|protokoll nr \d+$|"
    r"sammanträdesdatum: \d{4}-\d\d-\d\d$|kungsbacka\s+kommun\s+sammanträdes|-{5,}|source: github)")


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_protocol_paragraphs_and_metadata(name):
    organisation, body, date, doc_type, first, last = PROTOCOLS[name]
    doc = extra(name)
    meta = doc.document
    assert (meta.organisation, meta.body, meta.date, meta.year, meta.doc_type) == (
        organisation, body, date, int(date[:4]), doc_type)
    assert "date" not in meta.inferred
    paragraphs = [i.paragraph for i in doc.items if i.paragraph is not None]
    # every § once, in order: the table of contents and wrapped references ("§ 115 och den …",
    # "§ 171.", an attendance note "§ 44") do not create items
    assert paragraphs == list(range(first, last + 1))


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_protocol_items_have_no_page_furniture(name):
    for item in extra(name).items:
        match = FURNITURE.search(item.text)
        assert match is None, (item.paragraph, item.title, match and match.group(0))


def test_goteborg_ks_2025():
    doc = extra("goteborg_ks_2025-03-12_protokoll.txt")
    assert len(doc.items) == 50  # attendance + §§ 197–245
    assert doc.items[0].paragraph is None and "Jonas Attenius (S) – Ledamot" in doc.items[0].text
    items = by_paragraph(doc)
    assert items[197].title == "Anmälan av jäv vid sammanträdet"
    assert items[198].title == ("Redovisning av uppdrag om ändamålsenlig struktur för verksamhet inom "
                                "trafikantservice- och kollektivtrafikområde")
    assert items[198].case_numbers[0] == "SLK-2025-00144"
    assert len(items[198].decisions) == 7
    assert items[198].decisions[0].startswith("Göteborgs Stads Kollektivtrafik AB får i uppdrag att avyttra aktier")
    assert items[200].decisions == ["Ärendet bordläggs till sammanträdet den 26 mars 2025"]
    assert items[204].decisions == ["Den av Pär Gustafsson väckta motionen avslås"]
    assert items[237].decisions == ["Antecknas"]
    # "Bordlagt den 11 december 2024, § 1023, …, den 5 februari 2025,\n§ 115 och den 26 februari" stays text
    assert "§ 115 och den 26 februari 2025, § 176." in items[220].text
    # an "att" that merely wraps a sentence does not split a decision
    assert items[211].decisions[0].startswith("Redovisning av kommunfullmäktiges uppdrag 2024-05-23 § 214 till "
                                              "kommunstyrelsen, att genomföra en oberoende extern granskning")


def test_goteborg_ks_2024():
    doc = extra("goteborg_ks_2024-05-29_protokoll.txt")
    assert len(doc.items) == 57  # attendance + §§ 474–529
    items = by_paragraph(doc)
    assert items[474].title == "Val av justerare"
    assert items[474].decisions == ["Axel Darvik (L) utses att jämte ordföranden justera dagens protokoll"]
    assert items[476].decisions == ["Ärendet bordläggs till sammanträdet den 12 juni 2024"]
    assert items[488].decisions == ["Den av Anneli Rhedin och Sofie Gyllenwaldt väckta motionen avslås"]
    assert items[529].title == "Övriga frågor"
    assert "§ 8, att vidta nödvändiga åtgärder" in items[495].text  # a wrapped reference, not a new item


def test_goteborg_kf_2024():
    doc = extra("goteborg_kf_2024-02-01_protokoll.txt")
    assert len(doc.items) == 58  # §§ 1–49 and the nine appendices (attendance and votes)
    items = by_paragraph(doc)
    assert items[1].title == "Parentation"
    assert items[3].title == ("Anmälan av länsstyrelsens beslut att utse Sophia Nilsson (MP) till ny ersättare i "
                              "kommunfullmäktige i stället för Andreas Hernbo (MP)")
    assert items[3].case_numbers[0] == "SLK-2023-00027:58"
    assert items[7].title == "Valberedningens förslag till vid sammanträdet förekommande val"
    assert items[39].title == ("Motion av Anders Svensson (M) och Nina Miskovsky (M) om att utreda flytt av "
                               "Integrationscentrum från socialnämnd Centrum till nämnden för arbetsmarknad och "
                               "vuxenutbildning")
    assert items[5].decisions == ["Interpellationen bordläggs till sammanträdet den 29 februari 2024"]
    assert items[49].decisions == ["Kommunfullmäktige godkänner avsägelsen och anmäler detta till länsstyrelsen"]
    assert items[33].decisions[-1] == "Avsägelsen under paragraf 49 godkänns"
    appendices = [i for i in doc.items if i.paragraph is None]
    assert [i.title.split(":")[0] for i in appendices] == [f"Bilaga {n}" for n in range(1, 10)]
    assert appendices[1].title == "Bilaga 2: Riksnorm ekonomiskt bistånd och riktmärken för boendekostnader för"
    assert {i.section for i in appendices} == {"Bilagor"}
    assert "Akbas, Aslan" not in items[49].text  # the appendices do not swell the last paragraph
    # "Protokollsutdrag skickas till / Stadsmiljönämnden" survives the page break after it
    assert "Stadsmiljönämnden" in items[15].text


def test_kungsbacka_vo_protocol():
    doc = extra("kungsbacka_vo_2025-03-20_protokoll.txt")
    assert len(doc.items) == 18  # attendance + §§ 39–55 (the table of contents adds none)
    items = by_paragraph(doc)
    assert items[39].title == "Förändring av ärendelistan"
    assert items[39].case_numbers[0] == "VO-2025-00006"
    assert items[41].title == ("Upphandling enligt Lag (2016:1145) om offentlig upphandling, LOU, för "
                               "driftentreprenad av vård- och omsorgsboende")
    assert "Sekretessärende" in items[41].text
    assert items[42].decisions == [
        "att förlänga avtalet med Vardaga Äldreomsorg AB gällande Vickan vård- och omsorgsboende med tolv "
        "månader, till den 31 mars 2027, enligt villkoren i upphandlingsavtalet, referensnummer 19/119:1"]
    assert items[45].decisions == ["Nämnden för Vård & Omsorg avslår initiativet"]
    assert items[51].title == "Anmälan av ordförandebeslut"
    assert "Transaktionsidentitet" not in doc.items[0].text


def test_kungsbacka_beslut_p75():
    doc = extra("kungsbacka_vo_2024-05-14_beslut_p75_ekonomisk_uppfoljning.txt")
    item = by_paragraph(doc)[75]
    assert item.title == "Ekonomisk uppföljning och prognos till och med april 2024 - Nämnden för Vård & Omsorg"
    assert item.case_numbers[0] == "VO-2024-00167"
    assert item.decisions == ["Nämnden för Vård & Omsorg godkänner uppföljning per april 2024",
                              "Nämnden för Vård & Omsorg förklarar paragrafen omedelbart justerad"]
    # the reservation text broken by a page break reads as one paragraph again
    assert "denna\nfråga måste tas upp" in item.text
    assert doc.document.title.startswith("Protokollsutdrag § 75")


def test_kungsbacka_beslut_p66():
    doc = extra("kungsbacka_miljo_2025-05-08_beslut_p66_taxa.txt")
    item = by_paragraph(doc)[66]
    assert item.title == ("Antagande av taxa för prövning och tillsyn enligt alkohollagen, lag om tobak & liknande "
                          "produkter, lag om handel med receptfria läkemedel samt lag om tobaksfria nikotinprodukter")
    assert item.decisions[1:] == [
        "Taxan gäller från och med den 1 juli 2025",
        "Taxa för prövning och tillsyn enligt alkohollagen, lag om tobak och liknande produkter, lag om handel med "
        "receptfria läkemedel samt lag om tobaksfria nikotinprodukter antagen av kommunfullmäktige 2023-06-14 § 76, "
        "upphör att gälla samtidigt som ny taxa träder i kraft",
        "Kommunfullmäktige ger nämnden för Miljö & Hälsoskydd möjlighet att årligen justera avgiftsbeloppen i taxan "
        "i enlighet med taxans bestämmelser § 5, Indexjustering",
        "att det ekonomiska utfallet av gårdsförsäljningen ska följas upp efter 6 månader",
        "att paragrafen justeras omedelbart",
    ]
    assert item.decisions[0].startswith("Nämnden för Miljö & Hälsoskydd godkänner taxa för prövning och tillsyn")
    # the attendance notes "§ 61" and "§§ 58-67" are not paragraphs of this extract
    assert [i.paragraph for i in doc.items] == [None, 66]


# -- kallelser and meeting notes ---------------------------------------------------------------------
def test_kungsbacka_vo_kallelse():
    doc = extra("kungsbacka_vo_2025-03-20_kallelse.txt")
    meta = doc.document
    assert (meta.organisation, meta.body, meta.date, meta.doc_type) == (
        "Kungsbacka kommun", "Nämnden för Vård & Omsorg", "2025-03-20", "kallelse")
    assert [i.number for i in doc.items] == [None] + list(range(1, 18))
    items = {i.number: i for i in doc.items}
    assert items[None].title == "Val av justerare"
    assert items[4].title == "Hantering av driftavtal med Vardaga Äldreomsorg AB gällande Vickan vård-och omsorgsboende"
    assert items[4].case_numbers == ["VO-2024-00112"]
    assert items[2].decisions == ["Nämnden för Vård & Omsorg noterar informationen till protokollet"]
    assert items[17].title == "Information från nämnden"


def test_kungsbacka_ks_au_kallelse():
    doc = extra("kungsbacka_ks-au_2025-03-04_kallelse.txt")
    meta = doc.document
    assert (meta.body, meta.date, meta.doc_type) == ("Kommunstyrelsens arbetsutskott", "2025-03-04", "kallelse")
    assert [i.number for i in doc.items] == [None] + list(range(1, 10))
    items = {i.number: i for i in doc.items}
    assert items[1].title == "Årsredovisning 2024 för Kungsbacka kommun"  # time and presenter are not title
    assert "08:30-09:30" in items[1].text and "Christina Hermansson" in items[1].text
    # a hyphen that only split a word across lines in the table cell is gone, "Klimat- och" stays
    assert items[2].title == ("Svar på Klimat- och näringslivsdepartementets remiss av Kärnkraftsprövnings"
                              "utredningens delbetänkande Ny kärnkraft i Sverige – effektivare tillståndsprövning "
                              "och ändamålsenliga avgifter (SOU 2025:7)")
    assert items[4].decisions == ["Kommunstyrelsen godkänner uppföljningsrapporten för intern kontroll 2024 för "
                                  "kommunstyrelsen, daterad 2025-02-03"]
    assert items[3].case_numbers == ["2024-00811"]


def test_kungsbacka_revision_notes():
    doc = extra("kungsbacka_revision_2025-05-19_sammantradesanteckningar.txt")
    meta = doc.document
    assert (meta.body, meta.date, meta.doc_type) == ("Kommunrevisionen", "2025-05-19", "anteckningar")
    assert [i.number for i in doc.items] == [None] + list(range(1, 14))
    items = {i.number: i for i in doc.items}
    assert items[3].title == "Rundvandring och information om verksamheten på Kolla Trygghetsboende"
    assert items[7].decisions == ["Kommunrevisionen noterar informationen"]
    # the decision's own numbered points stay inside item 4
    assert items[4].decisions[1:] == ["Ställa samman publicerade artiklar avseende revisionens granskning av Tjolöholm",
                                      "Översända sedan tidigare framtagna presentationer med talmanus till revisionen"]


# -- reports, plans, officials' reports -------------------------------------------------------------
OTHERS = {
    "goteborg_intraservice_delarsrapport_2026-03.txt": ("Göteborgs Stad", "Nämnden för Intraservice", "rapport"),
    "goteborg_slk_digitaliseringsplan_2026-2028.txt": ("Göteborgs Stad", "Stadsledningskontoret", "plan"),
    "goteborg_kf_handling_sparvagspott.txt": ("Göteborgs Stad", "Kommunfullmäktige", "handling"),
    "goteborg_kf_handling_2023-204_fornlamningsvard.txt": ("Göteborgs Stad", "Kommunfullmäktige", "handling"),
    "goteborg_kf_handling_motion_utbildningsgaranti.txt": ("Göteborgs Stad", "Kommunfullmäktige", "handling"),
    "kungsbacka_miljo_2025-04-25_tjansteskrivelse_minireningsverk.txt": (
        "Kungsbacka kommun", "Bygg- och miljöförvaltningen", "tjänsteskrivelse"),
    "kungsbacka_miljo_2025-04-29_tjansteskrivelse_pfas.txt": (
        "Kungsbacka kommun", "Bygg- och miljöförvaltningen", "tjänsteskrivelse"),
    "kungsbacka_miljo_2025-04-24_yttrande_fop_kungsbacka_stad.txt": (
        "Kungsbacka kommun", "Nämnden för Miljö & Hälsoskydd", "handling"),
}


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_other_documents_are_sections(name):
    organisation, body, doc_type = OTHERS[name]
    doc = extra(name)
    meta = doc.document
    assert (meta.organisation, meta.body, meta.doc_type) == (organisation, body, doc_type)
    total = sum(len(i.text) for i in doc.items)
    assert len(doc.items) >= 2
    assert all(i.paragraph is None for i in doc.items)
    assert max(len(i.text) for i in doc.items) <= 0.6 * total or total < 6000  # not the whole document
    assert all(len(i.text) >= 60 for i in doc.items)  # no crumbs


def test_delarsrapport_numbered_headings():
    doc = extra("goteborg_intraservice_delarsrapport_2026-03.txt")
    titles = [i.title for i in doc.items]
    assert titles[0] == "1 Sammanfattning"
    assert "2.1.1 Mått/nyckeltal som beskriver verksamhetens utveckling" in titles
    assert "5.2.3 Ekonomiska dimensionen" in titles
    items = {i.title: i for i in doc.items}
    assert items["2.3.2 Utfall till och med perioden"].section == "2.3 Ekonomisk uppföljning"
    assert doc.document.date is None and doc.document.year == 2026 and "year" in doc.document.inferred


def test_tjansteskrivelse_decisions_and_case():
    doc = extra("kungsbacka_miljo_2025-04-25_tjansteskrivelse_minireningsverk.txt")
    assert doc.document.date == "2025-04-25"
    assert doc.document.title == ("Återrapportering av uppdrag att utreda samarbete med serviceföretag för en "
                                  "effektivare tillsyn av minireningsverk i Kungsbacka kommun")
    first = doc.items[0]
    assert first.decisions == [
        "Nämnden för Miljö & Hälsoskydd godkänner utredningen om samarbete med serviceföretag för en effektivare "
        "tillsyn av minireningsverk, daterad 2025-04-24",
        "Nämnden för Miljö & Hälsoskydd förklarar uppdraget som lämnades av nämnden för Miljö & Hälsoskydd, "
        "2025-01-23, § 3, för avslutat",
    ]
    assert "2025-00297" in first.case_numbers
    text = "\n".join(i.text for i in doc.items)
    assert "434 81 Kungsbacka" not in text and "www.kungsbacka.se" not in text


def test_digitaliseringsplan_plain_headings():
    doc = extra("goteborg_slk_digitaliseringsplan_2026-2028.txt")
    titles = [i.title for i in doc.items]
    assert "Koppling till andra styrande dokument" in titles and "Kompetens" in titles
    assert doc.document.title == "Stadsledningskontorets digitaliseringsplan"


def test_provenance_file_is_not_read():
    """The metadata above is read from the documents; PROVENANCE.tsv is not a supported file."""
    from indexer.ingest import discover

    found = {p.name for p in discover([EXTRA])}
    assert "PROVENANCE.tsv" not in found and len(found) == 17
