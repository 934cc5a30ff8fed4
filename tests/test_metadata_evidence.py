"""Organisation, body and date from evidence: the gazetteer, located evidence, paths, titles."""

from __future__ import annotations

import pytest

from indexer.evidence import find_organisation, path_hints
from indexer.gazetteer import count_rows, gazetteer
from indexer.ingest import parse_text
from indexer.metadata import usable_title


def test_gazetteer_holds_every_kommun_and_region():
    assert count_rows() == {"kommun": 290, "region": 21}
    officials = {o.official for o in gazetteer().organisations}
    assert {"Lomma kommun", "Göteborgs Stad", "Falu kommun", "Västra Götalandsregionen", "Region Gotland",
            "Region Jämtland Härjedalen", "Upplands Väsby kommun"} <= officials


@pytest.mark.parametrize("text, official", [
    ("HÖGSBY KOMMUN Protokoll", "Högsby kommun"),
    ("Taxa för Linköping\nkommuns allmänna vatten", "Linköpings kommun"),  # wrapped, genitive, no s
    ("enligt Göteborgs Stads riktlinjer", "Göteborgs Stad"),
    ("Jämtlands läns landsting", "Region Jämtland Härjedalen"),  # the older form
    ("i region Dalarna", "Region Dalarna"),
])
def test_forms_are_recognised(text, official):
    assert [o.official for o, _ in gazetteer().mentions(text)] == [official]


def test_a_bare_place_name_is_no_evidence():
    assert gazetteer().mentions("Utbildning Falkenberg och Dalarna") == []


def test_domains_name_their_organisation():
    assert gazetteer().by_domain("stadsmiljoprogram.helsingborg.se").official == "Helsingborgs stad"
    assert gazetteer().by_domain("regionjh.se").official == "Region Jämtland Härjedalen"
    assert gazetteer().by_domain("lansstyrelsen.se") is None
    assert gazetteer().by_domain("habo.se").official == "Habo kommun"  # Håbo is habokommun.se


def test_the_issuer_beats_organisations_named_in_the_text():
    text = ("KOMMUNSTYRELSEN\nPlats: Lomma kommun, Sessionssalen\n" + "text\n" * 20
            + "Västra Götalandsregionen och Region Skåne har yttrat sig. Västra Götalandsregionen. "
              "Västra Götalandsregionen. Region Skåne.\n")
    choice = find_organisation(text, "/archive/x.txt", "Kommunstyrelsen")
    assert (choice.value, choice.evidence, choice.inferred) == ("Lomma kommun", "header line 2", False)


def test_a_kommun_body_is_never_filed_under_a_region_it_mentions():
    text = "Kommunstyrelsen\n" + "x\n" * 20 + "Västra Götalandsregionen " * 5
    assert find_organisation(text, None, "Kommunstyrelsen").value is None
    choice = find_organisation(text, None, None)  # without a body: inferred, and said so
    assert choice.value == "Västra Götalandsregionen" and choice.inferred


def test_unknown_stays_unknown():
    assert find_organisation("Protokoll\nSocialnämnden\n§ 1 Val av justerare", None, None).value is None


def test_e_mail_domain_is_evidence():
    choice = find_organisation("Rapport\n" + "x\n" * 30 + "Kontakt: anna.berg@sundbyberg.se\n", None, None)
    assert choice.value == "Sundbybergs stad" and choice.evidence == "web/e-mail domain sundbyberg.se"


def test_path_names_organisation_body_and_date():
    hints = path_hints("/arkiv/lomma/kommunstyrelsen/2026-06-15/bilagor/bilaga-3.pdf")
    assert hints.organisation.value == "Lomma kommun" and hints.organisation.evidence == "folder name lomma"
    assert hints.body.value == "Kommunstyrelsen" and hints.date.value == "2026-06-15"
    hints = path_hints("/arkiv/barn-och-utbildningsnamnden/protokoll_2025-02-11.pdf")
    assert (hints.body.value, hints.date.value, hints.date.evidence) == (
        "Barn- och utbildningsnämnden", "2025-02-11", "file name")
    assert path_hints("/home/mark/vara/x.pdf").organisation.value is None  # common words, not places
    assert path_hints("/arkiv/2025-02-31/x.pdf").date.value is None  # no such day


def test_a_bilaga_in_a_meeting_folder_gets_the_meetings_body_and_date():
    doc = parse_text("Bilaga 3\n\nUnderlag om lokalförsörjning för skolorna i området.\n",
                     "/arkiv/lomma/kommunstyrelsen/2026-06-15/bilagor/bilaga-3.txt")
    meta = doc.document
    assert (meta.organisation, meta.body, meta.date) == ("Lomma kommun", "Kommunstyrelsen", "2026-06-15")
    assert meta.evidence == {"organisation": "folder name lomma", "body": "folder name kommunstyrelsen",
                             "date": "folder name 2026-06-15"}


def test_the_header_date_beats_the_path():
    doc = parse_text("Protokoll\nSammanträdesdatum 2026-06-16\n\n§ 1 Val av justerare\n\nText.\n",
                     "/arkiv/ks/2026-06-15/protokoll.txt")
    assert doc.document.date == "2026-06-16" and doc.document.evidence["date"] == "document header"


@pytest.mark.parametrize("hint", ["Tagged PDF", "Microsoft Word - protokoll ks.docx", "Plats och tid",
                                  "protokoll_2026.pdf", "Untitled", "", None, "Protokoll"])
def test_placeholder_titles_are_not_used(hint):
    assert usable_title(hint, "Budgetskrivelse för investeringar 2027-2031\nPlats och tid ...") is None


def test_a_real_metadata_title_is_kept_only_when_the_first_page_shows_it():
    text = "Budgetskrivelse\nför investeringar\n2027-2031\n"
    assert usable_title("Budgetskrivelse för investeringar 2027-2031", text) == \
        "Budgetskrivelse för investeringar 2027-2031"
    assert usable_title("Årsredovisning för Region Test", text) is None


def test_case_number_formats_of_other_organisations():
    from indexer.metadata import extract_case_numbers

    text = "Dnr Bun/2015:608 och KS KF/2022:7; SBF 2021-002727, KS 2022-389. Läsår LÅ 2023-2024, SFS 2020-123."
    assert extract_case_numbers(text) == ["Bun/2015:608", "KS KF/2022:7", "SBF 2021-002727", "KS 2022-389"]


def test_a_pdfs_first_page_as_printed_is_its_letterhead(tmp_path):
    """The text layer drops the running header (it repeats on every page); the first page as
    printed still has it: Helsingborg's guideline is dated by it, under a name that holds no date."""
    import shutil

    from indexer.ingest import parse_file
    from tests.labelled_corpus import CORPUS_DEV

    copy = tmp_path / "document.pdf"
    shutil.copyfile(CORPUS_DEV / "helsingborg_sbf_2023-10-10_plan.pdf", copy)
    meta = parse_file(copy).document
    assert (meta.date, meta.evidence["date"]) == ("2023-10-10", "first page header")
    assert meta.organisation == "Helsingborgs stad"  # its web addresses; Region Skåne is only named


@pytest.mark.parametrize("header, body", [
    ("KALLELSE\nKommunstyrelsens arbetsutskott\nDatum: 2026-03-04", "Kommunstyrelsens arbetsutskott"),
    ("PROTOKOLL\nSocialnämndens individutskott\nSammanträdesdatum 2026-01-01", "Socialnämndens individutskott"),
    ("KOMMUNSTYRELSENS PRESIDIUM\nSammanträdesprotokoll 2026-02-02", "Kommunstyrelsens presidium"),
    ("SOCIALNÄMNDEN                SAMMANTRÄDESPROTOKOLL\nSammanträdesdatum 2026-02-02", "Socialnämnden"),
])
def test_an_utskott_or_presidium_is_kept_apart_from_its_body(header, body):
    doc = parse_text(header + "\n\n§ 1 Val av justerare\n\nKommunstyrelsen beslutar att utse Anna.\n", "/x/y.txt")
    assert doc.document.body == body


@pytest.mark.parametrize("path, body, date", [
    ("/arkiv/protokoll-kommunstyrelsen-2026-06-15.pdf", "Kommunstyrelsen", "2026-06-15"),
    ("/arkiv/2026-06-15 Kommunstyrelsen/bilaga.pdf", "Kommunstyrelsen", "2026-06-15"),
    ("/arkiv/kommunstyrelsens_arbetsutskott/2026_01_14/x.pdf", "Kommunstyrelsens arbetsutskott", "2026-01-14"),
    ("/arkiv/socialnamnd/x.pdf", "Socialnämnden", None),
])
def test_body_and_date_from_file_and_folder_names(path, body, date):
    hints = path_hints(path)
    assert (hints.body.value, hints.date.value) == (body, date)


def test_the_first_pages_footer_and_web_address_are_evidence():
    letterhead = "Kommunstyrelsen\nProtokoll\n" + "Text\n" * 30 + "Lomma kommun, 234 81 Lomma\nwww.lomma.se\n"
    text = "Protokoll\n" + "Text\n" * 30  # the text layer without the page's header and footer
    choice = find_organisation(text, None, "Kommunstyrelsen", letterhead=letterhead)
    assert choice.value == "Lomma kommun" and choice.evidence == "page header/footer"


def test_a_region_named_in_a_kommun_bodys_text_is_not_its_organisation():
    text = "Protokoll\nSocialnämnden\n" + "x\n" * 20 + "Region Skåne ansvarar för vården. " * 6
    assert find_organisation(text, None, "Socialnämnden").value is None
    assert find_organisation(text, None, "Hälso- och sjukvårdsnämnden").value == "Region Skåne"
    few = "Rapport\n" + "x\n" * 20 + "Region Skåne. " * 3
    assert find_organisation(few, None, None).value is None  # no body to tell: a few mentions are not enough


def test_the_files_own_title_or_author_names_its_organisation():
    text = "Sammanträde 2026-06-15\nRegionstyrelsen\n\n1. Val av justerare\n"
    choice = find_organisation(text, None, "Regionstyrelsen",
                               described_by=["Regionstyrelsen 2026-06-15 - Region Halland"])
    assert (choice.value, choice.evidence) == ("Region Halland", "document metadata (title/author)")


def test_a_forvaltning_named_by_function_and_place_is_the_issuing_unit():
    doc = parse_text("# Resultatanalys 2024\n# Utbildning Lomma\n\nText om skolorna.\n\n## Mål\n\nMer text.\n",
                     "/arkiv/lomma/resultatanalys.md", fmt="md")
    assert (doc.document.organisation, doc.document.body) == ("Lomma kommun", "Utbildning Lomma")
    doc = parse_text("# Resultatanalys 2024\n# Protokoll Lomma\n\nText.\n", "/arkiv/lomma/x.md", fmt="md")
    assert doc.document.body != "Protokoll Lomma"


@pytest.mark.parametrize("header", [
    "Protokoll\nJusteringens plats och tid Kommunhuset 2026-06-20\nSammanträdesdatum\n2026-06-15",
    "Protokoll\nPlats och tid: Stadshuset, måndagen den 15 juni 2026 kl 18.00\nJustering 2026-06-20",
    "Kallelse\nKommunstyrelsen\nTid och plats: 15 juni 2026, kl 18.00, Stadshuset",
])
def test_the_meeting_date_not_the_date_of_checking_the_minutes(header):
    from indexer.metadata import find_date

    assert find_date(header + "\n", "protocol") == "2026-06-15"


def test_markdown_front_matter_is_the_files_own_metadata():
    from indexer.evidence import front_matter

    text = '---\nnamnd: "Socialnämnden"\ndatum: "2016-01-26"\nkommun: Lomma kommun\n---\n# Protokoll\n\nText.\n'
    assert front_matter(text) == {"body": "Socialnämnden", "date": "2016-01-26", "organisation": "Lomma kommun"}
    assert front_matter("---\nnamnd: x\nno closing line\n") == {}
    meta = parse_text(text, "/x/doc.md", fmt="md").document
    assert (meta.organisation, meta.body, meta.date) == ("Lomma kommun", "Socialnämnden", "2016-01-26")
    assert meta.evidence["organisation"] == "front matter"


def test_a_region_in_a_kommun_nämnds_attendance_list_is_not_its_organisation():
    text = ("SOCIALNÄMNDEN\nProtokoll\nSammanträdesdatum 2026-02-02\nÖvriga: Per Persson, Region Skåne\n"
            + "x\n" * 30 + "Kontakt: socialnamnden@lomma.se\n")
    assert find_organisation(text, None, "Socialnämnden").value == "Lomma kommun"


@pytest.mark.parametrize("field", ["Organ: Socialnämnden", "Organ                      Socialnämnden"])
def test_the_organ_box_names_the_body(field):
    text = (f"ANSLAG/BEVIS\nProtokollet är justerat.\n{field}\nSammanträdesdatum 2026-02-02\n\n"
            "§ 1 Val av justerare\n\nKommunfullmäktige beslutar att x. Kommunfullmäktige beslutar att y.\n")
    meta = parse_text(text, "/x/p.txt").document
    assert (meta.body, meta.date) == ("Socialnämnden", "2026-02-02")
