"""§ items found by one method across layouts, page numbers of items, running headers by
repetition, and meeting pages whose agenda is in headings: short synthetic snippets of each
layout (not copies of real files)."""

from __future__ import annotations

from indexer.ingest import parse_file, parse_text
from indexer.segment import segment
from tests.parse_helpers import make_pdf


def _paras(text: str) -> list[str]:
    return [i.paragraph_label for i in segment(text).items if i.paragraph is not None]


def _para_items(text: str):
    return [i for i in segment(text).items if i.paragraph is not None]


DECISION = "Beslut\n\nNämnden beslutar att godkänna förslaget i sin helhet och lägga informationen till handlingarna.\n"


def test_bare_and_unspaced_headings():
    text = ("Protokoll 2024-03-01\n\n§ 12 Val av justerare\n\n" + DECISION
            + "\n§13 Budget 2025\n\n" + DECISION + "\n§ 14. Övriga frågor\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["12", "13", "14"]
    assert [i.paragraph for i in items] == [12, 13, 14]
    assert [i.title for i in items] == ["Val av justerare", "Budget 2025", "Övriga frågor"]


def test_body_prefix_with_dnr_on_the_heading_line():
    text = ("PROTOKOLL 2024-03-01\n\n"
            "KF § 87                                KS 2024/45\n\nÅrsredovisning 2023\n\n" + DECISION
            + "\nKF § 88     Dnr KS 2024/46\n\nMotion om cykelbanor\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["87", "88"]
    assert [i.title for i in items] == ["Årsredovisning 2023", "Motion om cykelbanor"]
    assert items[0].case_numbers[0] == "KS 2024/45" and items[1].case_numbers[0] == "KS 2024/46"
    assert "KS 2024/45" in items[0].text  # the dnr stays in the text, for the case-number extraction


def test_letter_suffixes_are_kept_in_the_label():
    text = ("Protokoll 2007-01-08\n\nKS § 3 a DNR:KF/2006.203\n\nBudget och mål\n\n" + DECISION
            + "\nKS § 3 b  DNR: KF/2006.366\n\nVal av utskott\n\n" + DECISION
            + "\nKS § 4  DNR:KF/2006.366\n\nVal av socialutskott\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["3 a", "3 b", "4"]
    assert [i.paragraph for i in items] == [3, 3, 4]
    assert items[1].title == "Val av utskott" and items[1].case_numbers[0] == "KF/2006.366"


def test_markdown_headings_and_list_markers():
    text = ("---\nnamnd: Nämnden\n---\n\n# Sammanträdesprotokoll\n\n## **§ 115**\n\n**Informationsärenden**\n\n"
            + DECISION + "\n- § 116\n\n**Meddelanden**\n\n" + DECISION
            + "\n## **§ 117 Övrigt**\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["115", "116", "117"]
    assert [i.title for i in items] == ["Informationsärenden", "Meddelanden", "Övrigt"]


def test_title_on_the_next_line_is_never_the_dnr():
    text = ("Protokoll 2026-06-15\n\n§ 112 2026.272 KS\n\nRiktlinjer för dokumenthantering\n\n" + DECISION
            + "\n§ 113 2026.280 KS\n\nÅtgärdsplan för trafiksäkerhet\n\n" + DECISION)
    items = _para_items(text)
    assert [i.title for i in items] == ["Riktlinjer för dokumenthantering", "Åtgärdsplan för trafiksäkerhet"]
    assert items[0].case_numbers[0] == "2026.272 KS"
    assert "2026.272 KS" in items[0].text


def test_table_of_contents_is_skipped():
    toc = ("Protokoll 2025-11-17\n\nInnehåll\n\n§ 57 Presentation av förvaltningen   3\n"
           "§ 58 Biblioteksplan   4\n§ 59 Kulturstipendium   5\n\n")
    body = "".join(f"KFN § {n}\n\n{t}\n\n" + DECISION + "\n" for n, t in
                   ((57, "Presentation av förvaltningen"), (58, "Biblioteksplan"), (59, "Kulturstipendium")))
    items = _para_items(toc + body)
    assert [i.paragraph_label for i in items] == ["57", "58", "59"]
    assert all(i.text.startswith("KFN §") for i in items)


def test_an_unnumbered_list_of_headings_without_body_is_skipped():
    """An Ärendelista with the titles on the next lines: a run of headings with nothing between."""
    toc = "Ärendelista\n\n§ 1\n   Val av justerare\n§ 2\n   Budget\n§ 3\n   Övrigt\n\n"
    body = "".join(f"SBN § {n}\n\n{t}\n\n" + DECISION + "\n" for n, t in
                   ((1, "Val av justerare"), (2, "Budget"), (3, "Övrigt")))
    items = _para_items("Protokoll 2026-02-02\n\n" + toc + body)
    assert [i.paragraph_label for i in items] == ["1", "2", "3"]
    assert all(i.text.startswith("SBN §") for i in items)


def test_a_list_of_notices_inside_an_item_is_text():
    text = ("Protokoll 2025-09-01\n\nKS § 62   2025.300 KS\n\nBudgetuppföljning\n\n" + DECISION
            + "\nKS § 63   2025.310 KS\n\nAnmälan av delegationsbeslut\n\nFöljande beslut anmäls:\n\n"
            "§ 63 2025.354 KS Rutin för arkivering\n§ 64 2025.355 KS Avtal om städning\n"
            "§ 65 2025.356 KS Attest av fakturor\n§ 66 2025.357 KS Delegation av inköp\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["62", "63"]
    assert "§ 65 2025.356 KS Attest av fakturor" in items[1].text


def test_law_references_never_start_an_item():
    text = ("Protokoll 2024-05-02\n\n§ 8 Tillsyn\n\nÄrendet gäller tillsyn enligt 6 kap. 9 § kommunallagen och\n"
            "39 § förvaltningslagen samt 4 kap.\n§ 20 plan- och bygglagen.\n\n" + DECISION
            + "\n§ 9 Övrigt\n\nEnligt 4 kap.\n§ 20 Plan- och bygglagen gäller särskilda regler.\n\n" + DECISION)
    assert _paras(text) == ["8", "9"]


def test_a_reference_that_breaks_the_sequence_is_text():
    text = ("Protokoll 2024-05-02\n\n§ 40 Val av justerare\n\n" + DECISION
            + "\n§ 41 Motion om skolmat\n\nÄrendet återremitterades vid sammanträdet 2023-10-12,\n\n"
            "§ 112 Kommunfullmäktige beslutade då att invänta utredningen om skolmaten.\n\n" + DECISION
            + "\n§ 42 Budget\n\n" + DECISION + "\n§ 43 Övrigt\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["40", "41", "42", "43"]
    assert "§ 112 Kommunfullmäktige beslutade" in items[1].text


def test_the_declared_range_outweighs_attendance_notes():
    text = ("Protokoll 2025-05-08\n\nSekreterare   Anna Ek      Paragrafer § 66\n\nÖvriga närvarande\n"
            "Georges Berg, handläggare\n§ 61\nHelena Ek, handläggare\n§ 61\nBo Holm, inspektör\n§§ 58-67\n\n"
            "Ärendet om tillstånd redovisades muntligt för nämnden av handläggarna.\n\n"
            "§ 66                       Dnr MH-2025-02607\nAntagande av taxa\n\n" + DECISION * 3)
    assert _paras(text) == ["66"]


def test_regulation_articles_are_not_agenda_items():
    text = "VA-taxa\n\n" + "".join(
        f"§ {n} Avgifter del {n}\n\n§ {n}.1 Avgift ska betalas för fastighet enligt taxan och "
        f"gäller från den dag beslutet vinner laga kraft.\n\n§ {n}.2 Avgiften betalas mot faktura.\n\n"
        for n in range(1, 5))
    assert _paras(text) == []


# -- pages ---------------------------------------------------------------------------------------------
PAGED = "\f".join(
    f"NÄMNDEN            SAMMANTRÄDESPROTOKOLL\n                   Sida {p} av 4\n"
    f"                   Sammanträdesdatum\n                   2023-06-20\n\n{body}\n"
    "Justerande          Utdragsbestyrkande\n"
    for p, body in enumerate([
        "Plats och tid: Kommunhuset\nParagrafer: §34-§36\n",
        "SN § 34            SN/2023:152\n\nMånadsuppföljning maj\n\n" + DECISION,
        "SN § 35            SN/2023:13\n\nBudget 2024\n\nÄrendebeskrivning\nNämnden ska lämna förslag till budget.\n",
        DECISION + "\nSN § 36            SN/2023:85\n\nÅtgärdsplan\n\n" + DECISION,
    ], start=1)) + "\f"


def test_items_keep_their_pages_and_running_headers_go():
    doc = parse_text(PAGED, "sn.txt")
    items = [i for i in doc.items if i.paragraph is not None]
    assert [i.paragraph_label for i in items] == ["34", "35", "36"]
    assert [(i.page_start, i.page_end) for i in items] == [(2, 2), (3, 4), (4, 4)]
    for item in doc.items:
        assert "SAMMANTRÄDESPROTOKOLL" not in item.text and "Sida" not in item.text
        assert "Utdragsbestyrkande" not in item.text and "\f" not in item.text
    assert "Nämnden ska lämna förslag" in items[1].text and "godkänna förslaget" in items[1].text


def test_text_without_page_breaks_has_no_pages():
    doc = parse_text("Protokoll 2024-03-01\n\n§ 1 Val\n\n" + DECISION + "\n§ 2 Budget\n\n" + DECISION, "p.txt")
    assert all(i.page_start is None and i.page_end is None for i in doc.items)


def test_pdf_items_know_their_pages(tmp_path):
    pages = [
        ["Kommunstyrelsen", "Protokoll 2024-05-29", "Paragrafer 12-14"],
        ["KS § 12 Dnr KS 2024/1", "Val av justerare", "Beslut", "Anna Åberg utses att justera protokollet."],
        ["KS § 13 Dnr KS 2024/2", "Budget för år 2025", "Beslut", "Kommunstyrelsen godkänner budgeten."],
        ["KS § 14 Dnr KS 2024/3", "Övriga frågor", "Inga övriga frågor anmäldes vid sammanträdet."],
    ]
    path = tmp_path / "protokoll.pdf"
    path.write_bytes(make_pdf(pages))
    items = [i for i in parse_file(path).items if i.paragraph is not None]
    assert [(i.paragraph_label, i.page_start, i.page_end) for i in items] == [
        ("12", 2, 2), ("13", 3, 3), ("14", 4, 4)]
    assert [i.title for i in items] == ["Val av justerare", "Budget för år 2025", "Övriga frågor"]


# -- meeting-portal pages ------------------------------------------------------------------------------
HEADING_PORTAL = """<html><body><nav><a href="#m">Hoppa över navigering</a></nav><main id="m">
<h1>Regionstyrelsen</h1><p>Möte 2024-05-14</p><p>08:30 Regionens hus</p>
<h2>1. Val av justerare</h2><p>Till justerare utses Anna Ek.</p>
<h2>Information om läget i vården</h2><p>Hälso- och sjukvårdsdirektören informerar om läget.</p>
<h2>2. Månadsrapport april 2024</h2><p>En månadsrapport har upprättats.</p><h3>Bilagor</h3><ul><li>Rapport april</li></ul>
<h2>3. Budget 2025</h2><p>Regionstyrelsen föreslår att fullmäktige beslutar att anta budgeten.</p>
<h2>Övriga frågor</h2><p>Inga övriga frågor.</p>
</main></body></html>"""


def test_portal_page_with_numbered_and_unnumbered_headings():
    doc = parse_text(HEADING_PORTAL, "mote.html", fmt="html")
    assert [(i.number, i.title) for i in doc.items] == [
        (1, "Val av justerare"), (None, "Information om läget i vården"), (2, "Månadsrapport april 2024"),
        (3, "Budget 2025"), (None, "Övriga frågor")]
    assert "Rapport april" in doc.items[2].text  # a sub-heading stays inside its item


def test_a_plan_with_headings_is_no_portal_page():
    text = "# Verksamhetsplan 2025\n\n## 1. Inledning\n\nPlanen beskriver året.\n\n## 2. Mål\n\nMålen är tre.\n"
    assert segment(text).family != "portal"


def test_a_paragraph_repeated_on_its_next_page_starts_at_its_first_heading():
    text = ("Protokoll 2024-05-02\n\n§ 87 Budget 2025\n\nÄrendebeskrivning\n\nFörvaltningen har tagit fram ett "
            "förslag.\n\n\f\n§ 87\n\n" + DECISION * 2 + "\n§ 88 Övrigt\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["87", "88"]
    assert items[0].title == "Budget 2025" and "Förvaltningen har tagit fram" in items[0].text
    assert (items[0].page_start, items[0].page_end) == (1, 2)


def test_a_short_table_of_contents_without_page_numbers_is_no_item_start():
    text = ("Protokoll 2024-05-02\n\nÄrenden\n§ 5 Val av justerare\n§ 6 Budget\n\nNärvarande: Anna Ek, Bo Berg\n\n"
            "§ 5 Val av justerare\n\n" + DECISION + "\n§ 6 Budget\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["5", "6"]
    assert all("Beslut" in i.text for i in items)


def test_capitalised_body_prefixes_and_dotted_case_numbers():
    text = ("Protokoll 2024-05-02\n\nKs § 14   KS.2024.31\n\nVal av ombud\n\n" + DECISION
            + "\nKs § 15   KS-2024-00032\n\nTaxa för bygglov\n\n" + DECISION)
    items = _para_items(text)
    assert [(i.paragraph_label, i.title) for i in items] == [("14", "Val av ombud"), ("15", "Taxa för bygglov")]
    assert [i.case_numbers[0] for i in items] == ["KS.2024.31", "KS-2024-00032"]


LIST_PORTAL = """<html><body><p>Hoppa över navigering</p><h1>Kommunstyrelsen</h1><p>Möte 2024-06-11</p>
<h2>Beslutsärenden</h2><ol><li><strong>Val av justerare</strong><p>Två justerare utses.</p></li>
<li><strong>Budget 2025</strong><p>Kommunstyrelsen föreslår att fullmäktige antar budgeten.</p></li></ol>
<h2>Informationsärenden</h2><ul><li><strong>Läget i skolan</strong><p>Skolchefen informerar.</p></li>
<li><strong>Ekonomi</strong><p>Ekonomichefen informerar.</p></li></ul></body></html>"""


def test_portal_page_with_the_agenda_as_lists_under_group_headings():
    doc = parse_text(LIST_PORTAL, "mote.html", fmt="html")
    assert [(i.number, i.title, i.section) for i in doc.items] == [
        (1, "Val av justerare", "Beslutsärenden"), (2, "Budget 2025", "Beslutsärenden"),
        (None, "Läget i skolan", "Informationsärenden"), (None, "Ekonomi", "Informationsärenden")]
    assert doc.items[1].text == "Budget 2025\n\nKommunstyrelsen föreslår att fullmäktige antar budgeten."


def test_a_dnr_on_its_own_line_between_heading_and_title_is_no_title():
    """Tagged PDFs put the heading, the dnr and the title on lines of their own."""
    text = ("Protokoll 2026-06-15\n\n§ 112\n2026.272 KS\nRiktlinjer för dokumenthantering\n\n" + DECISION
            + "\n§ 113\nDnr 2026.280 KS\n\nÅtgärdsplan för trafiksäkerhet\n\n" + DECISION
            + "\n§ 114\n\nKS 2026/281\nTaxa för bygglov\n\n" + DECISION)
    items = _para_items(text)
    assert [i.title for i in items] == ["Riktlinjer för dokumenthantering", "Åtgärdsplan för trafiksäkerhet",
                                        "Taxa för bygglov"]
    assert [i.case_numbers[0] for i in items] == ["2026.272 KS", "2026.280 KS", "KS 2026/281"]


def test_a_kallelse_that_lists_its_items_before_presenting_them():
    text = ("KALLELSE\nKommunstyrelsen 2024-06-11 kl 09.00\n\nFöredragningslista\n\n1. Val av justerare\n"
            "2. Budget 2025\n3. Motion om cykelbanor\n\n1. Val av justerare\n\nOrdföranden föreslår att Anna Ek "
            "justerar protokollet.\n\n2. Budget 2025\n\nDnr KS 2024/12\nKommunstyrelsen föreslås besluta att anta "
            "budgeten.\n\n3. Motion om cykelbanor\n\nDnr KS 2024/13\nFörvaltningen föreslår att motionen besvaras.\n")
    items = [i for i in parse_text(text, "k.txt").items if i.number is not None]
    assert [(i.number, i.title) for i in items] == [(1, "Val av justerare"), (2, "Budget 2025"),
                                                    (3, "Motion om cykelbanor")]
    assert "Dnr KS 2024/12" in items[1].text and "Förvaltningen föreslår" in items[2].text


def test_a_title_ending_in_a_number_is_no_table_of_contents():
    text = "Protokoll 2024-09-01\n\n" + "".join(
        f"§ {n} Delårsrapport {n}\n\n" + DECISION + "\n" for n in range(1, 5))
    assert _paras(text) == ["1", "2", "3", "4"]


def test_portal_bullets_with_the_number_before_the_title():
    text = ("Hoppa över navigering\n\nMöte 2024-03-12\n\nRegionstyrelsen\n"
            "  • 1 Val av justerare\n    Två justerare utses.\n"
            "  • 2 Årsredovisning 2023\n    Regionstyrelsen föreslår att fullmäktige godkänner den.\n"
            "  • Information om vården\n    Läget redovisas.\n"
            "  • 3. Motion om kollektivtrafik\n    En motion har lämnats in.\n")
    items = segment(text).items
    assert [(i.number, i.title) for i in items] == [
        (1, "Val av justerare"), (2, "Årsredovisning 2023"), (None, "Information om vården"),
        (3, "Motion om kollektivtrafik")]


def test_a_kallelse_whose_items_are_headings():
    html = ("<html><body><h1>Kallelse</h1><p>Kommunstyrelsen kallas till sammanträde 2024-06-11 kl 09.00.</p>"
            "<h2>1. Val av justerare</h2><p>Två justerare utses.</p>"
            "<h2>2. Budget 2025</h2><p>Dnr KS 2024/12</p><p>Kommunstyrelsen föreslås anta budgeten.</p>"
            "<h2>3. Motion om cykelbanor</h2><p>Förvaltningen föreslår att motionen besvaras.</p></body></html>")
    doc = parse_text(html, "k.html", fmt="html")
    assert doc.document.doc_type == "kallelse"
    assert [(i.number, i.title) for i in doc.items] == [
        (1, "Val av justerare"), (2, "Budget 2025"), (3, "Motion om cykelbanor")]


def test_kallelse_entries_named_arende():
    text = ("KALLELSE\nSocialnämnden 2024-06-11 kl 09.00\n\nÄrende 1: Val av justerare\nOrdföranden föreslår Anna Ek.\n\n"
            "Ärende 2: Budget 2025\nDnr SN 2024/12\nNämnden föreslås anta budgeten.\n\n"
            "Ärende 3 – Ekonomisk uppföljning\nRapporten redovisas.\n")
    items = parse_text(text, "k.txt").items
    assert [(i.number, i.title) for i in items] == [
        (1, "Val av justerare"), (2, "Budget 2025"), (3, "Ekonomisk uppföljning")]


def test_a_date_on_the_heading_line_is_no_title():
    text = ("Protokoll 2024-05-02\n\n§ 12                     2024-05-02\n\nVal av justerare\n\n" + DECISION
            + "\n§ 13                     2024-05-02\n\nBudget 2025\n\n" + DECISION)
    assert [(i.paragraph_label, i.title) for i in _para_items(text)] == [("12", "Val av justerare"),
                                                                         ("13", "Budget 2025")]


def test_paragraphs_with_gaps_all_count():
    """An extract of several paragraphs, or a protocol with paragraphs left out, has gaps."""
    text = ("Protokollsutdrag 2024-05-02\n\n§ 12 Budget\n\n" + DECISION + "\n§ 45 Taxa\n\n" + DECISION
            + "\n§ 46 Val\n\n" + DECISION + "\n§ 90 Övrigt\n\n" + DECISION)
    assert _paras(text) == ["12", "45", "46", "90"]


def test_a_far_reference_at_a_line_start_in_a_protocols_last_item_is_text():
    text = ("PROTOKOLL 2024-05-02\n\n§ 40 Val av justerare\n\n" + DECISION + "\n§ 41 Motion\n\n" + DECISION
            + "\n§ 42 Budget\n\nÄrendet behandlades tidigare i fullmäktige.\n\n"
              "§ 112 Kommunfullmäktige beslutade då att invänta utredningen.\n\n" + DECISION)
    items = _para_items(text)
    assert [i.paragraph_label for i in items] == ["40", "41", "42"]
    assert "§ 112 Kommunfullmäktige beslutade" in items[2].text
