"""Reading each input format into the same structure: text encodings, HTML, PDF, DOCX,
sidecar and manifest metadata, and discovery of files in folders."""

from __future__ import annotations

import json

import pytest

from indexer.ingest import SUPPORTED_SUFFIXES, IngestError, discover, parse_file, parse_text
from tests.parse_helpers import make_docx, make_pdf

PROTOCOL = """KOMMUNSTYRELSEN
Protokoll 2024-05-29

§ 12 Val av justerare

Beslut

att utse Åsa Öberg att justera protokollet.

§ 13 Budget för år 2025
Dnr KS 2024/123

Beslut

Kommunstyrelsen föreslår att kommunfullmäktige beslutar

att anta budgeten för år 2025 med en skattesats om 21,99 kronor.
"""


# -- text encodings ----------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-be-bom"])
def test_text_encodings_are_read_correctly(tmp_path, encoding):
    path = tmp_path / "protokoll.txt"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + PROTOCOL.encode("utf-16-be"))
    else:
        path.write_bytes(PROTOCOL.encode(encoding))
    doc = parse_file(path)
    assert [i.paragraph for i in doc.items] == [12, 13]
    assert doc.items[0].decisions == ["att utse Åsa Öberg att justera protokollet"]
    assert "budgeten för år 2025" in doc.items[1].text
    assert doc.items[1].case_numbers == ["KS 2024/123"]
    assert doc.document.date == "2024-05-29" and doc.document.body == "Kommunstyrelsen"
    assert doc.document.format == "txt" and doc.document.source == str(path.resolve())


def test_checksum_is_sha256_of_the_bytes(tmp_path):
    import hashlib

    path = tmp_path / "a.txt"
    path.write_bytes(PROTOCOL.encode("cp1252"))
    assert parse_file(path).document.checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_markdown_file(tmp_path):
    path = tmp_path / "plan.md"
    body = "Text om målen. " * 30
    path.write_text(f"# Verksamhetsplan 2025\n\nKulturnämnden\n\n## Mål\n\n{body}\n\n## Budget\n\n{body}\n",
                    encoding="utf-8")
    doc = parse_file(path)
    assert doc.document.format == "md"
    assert doc.document.title == "Verksamhetsplan 2025" and doc.document.doc_type == "plan"
    assert [i.title for i in doc.items] == ["Mål", "Budget"]


# -- HTML --------------------------------------------------------------------------------------------
PORTAL_HTML = """<!doctype html><html><head><title>Möte 2021-01-26 – Regionstyrelsen</title>
<script>window.track = function () { return "Status ambulanshelikopter"; };</script>
<style>.agenda li { color: red }</style></head>
<body>
<nav><a href="#main">Hoppa över navigering</a><ul><li>Start</li><li>Politik och påverkan</li></ul></nav>
<main id="main">
<h2>Möte 2021-01-26</h2><p>Regionstyrelsen</p>
<ul class="agenda">
  <li><span>2</span><p>Val av justerare och tid för justering</p></li>
  <li><p>Enligt reglemente för regionstyrelsen har preliminär föredragningslista upprättats.</p>
      <ul><li>Lägesbild Corona</li><li>Vaccinering mot covid-19</li></ul></li>
  <li><p>En månadsrapport för november 2020 har upprättats.</p><p>Resultatet är positivt.</p><p>Bilagor</p></li>
  <li><span>5</span><p>TILL FULLMÄKTIGE</p></li>
  <li><p>Elin Hoffner (V) har lämnat in en motion om långvarig smärta.</p>
      <p>Hälso- och sjukvårdsnämnden föreslår regionfullmäktige att motionen ska anses besvarad.</p></li>
</ul>
</main>
<div class="cookie-notice">Vi använder cookies på denna webbplats för att förbättra din användarupplevelse.</div>
</body></html>"""


def test_html_portal_page_segments_like_portal_text(tmp_path):
    path = tmp_path / "mote.html"
    path.write_text(PORTAL_HTML, encoding="utf-8")
    doc = parse_file(path)
    assert doc.document.format == "html"
    assert (doc.document.body, doc.document.date, doc.document.doc_type) == ("Regionstyrelsen", "2021-01-26", "möte")
    assert [(i.number, i.number_inferred) for i in doc.items] == [(2, False), (3, True), (4, True), (6, True)]
    items = {i.number: i for i in doc.items}
    assert items[2].title == "Val av justerare och tid för justering"
    assert items[3].text.endswith("• Lägesbild Corona\n• Vaccinering mot covid-19")  # nested <li> → • lines
    assert items[6].section == "TILL FULLMÄKTIGE"
    assert items[6].decisions == ["att motionen ska anses besvarad"]
    everything = "\n".join(i.text for i in doc.items)
    for dropped in ("window.track", "color: red", "Politik och påverkan", "cookies", "Hoppa över"):
        assert dropped not in everything


def test_htm_suffix_and_latin1_html(tmp_path):
    path = tmp_path / "sida.htm"
    html = "<html><body><h1>Protokoll</h1><p>§ 1 Val av justerare</p><p>Beslut</p><p>att utse Örjan.</p>" \
           "<p>§ 2 Övriga frågor</p><p>Inga övriga frågor.</p></body></html>"
    path.write_bytes(html.encode("latin-1"))
    doc = parse_file(path)
    assert doc.document.format == "html"
    assert [i.paragraph for i in doc.items] == [1, 2]
    assert doc.items[0].decisions == ["att utse Örjan"]


def test_parse_text_accepts_html():
    doc = parse_text("<ol><li>Val av justerare</li><li>Budget 2025</li></ol><p>Kallelse</p>", "k.html", fmt="html")
    assert doc.items and "Budget 2025" in "\n".join(i.text for i in doc.items)


# -- PDF ---------------------------------------------------------------------------------------------
def test_pdf_text_layer(tmp_path):
    pages = [
        ["Kommunstyrelsen", "Protokoll 2024-05-29", "", "§ 12 Val av justerare", "Beslut",
         "Anna Åberg utses att justera protokollet."],
        ["§ 13 Budget för år 2025", "Beslut", "Kommunstyrelsen godkänner budgeten för år 2025."],
        ["§ 14 Övriga frågor", "Inga övriga frågor anmäldes vid sammanträdet."],
    ]
    path = tmp_path / "protokoll.pdf"
    path.write_bytes(make_pdf(pages))
    doc = parse_file(path)
    assert doc.document.format == "pdf"
    assert [i.paragraph for i in doc.items] == [12, 13, 14]
    assert doc.items[0].title == "Val av justerare"
    assert doc.items[1].decisions == ["Kommunstyrelsen godkänner budgeten för år 2025"]
    assert doc.document.date == "2024-05-29"


def test_pdf_running_headers_are_removed(tmp_path):
    header = "Hälso- och sjukvårdsnämnden  Sammanträdesprotokoll"
    subjects = ["Val av justerare", "Budget 2025", "Lokalförsörjning", "Övriga frågor"]
    pages = [[header, f"§ {n} {subject}", "Beslut", f"Nämnden godkänner förslaget om {subject.lower()}.",
              f"Sida {n} av 4"] for n, subject in enumerate(subjects, start=1)]
    path = tmp_path / "p.pdf"
    path.write_bytes(make_pdf(pages))
    doc = parse_file(path)
    assert [i.paragraph for i in doc.items] == [1, 2, 3, 4]
    assert [i.title for i in doc.items] == subjects
    for item in doc.items:
        assert "Sammanträdesprotokoll" not in item.text and "Sida" not in item.text
        assert "Beslut" in item.text and len(item.decisions) == 1


# -- DOCX --------------------------------------------------------------------------------------------
def test_docx_headings_lists_and_tables(tmp_path):
    def build(d):
        d.add_heading("Verksamhetsplan 2025", 0)
        d.add_paragraph("Kulturnämnden")
        d.add_heading("Inledning", 1)
        d.add_paragraph("Nämnden ska arbeta med kultur för alla. " * 12)
        d.add_paragraph("Bibliotek", style="List Number")
        d.add_paragraph("Museer", style="List Number")
        d.add_paragraph("Konsthallar", style="List Bullet")
        d.add_heading("Ekonomi", 1)
        d.add_paragraph("Budgeten för nämnden är i balans. " * 12)
        table = d.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Område", "Budget"
        table.cell(1, 0).text, table.cell(1, 1).text = "Bibliotek", "12 mnkr"

    path = tmp_path / "plan.docx"
    path.write_bytes(make_docx(build))
    doc = parse_file(path)
    assert doc.document.format == "docx"
    assert doc.document.title == "Verksamhetsplan 2025" and doc.document.doc_type == "plan"
    assert [i.title for i in doc.items] == ["Inledning", "Ekonomi"]
    assert "1. Bibliotek\n2. Museer\n• Konsthallar" in doc.items[0].text
    assert "| Bibliotek | 12 mnkr |" in doc.items[1].text


def test_docx_agenda_table_is_a_kallelse(tmp_path):
    def build(d):
        d.add_paragraph("KALLELSE")
        d.add_paragraph("Kulturnämnden")
        d.add_paragraph("Sammanträde torsdag den 20 mars 2025 kl. 14:00")
        table = d.add_table(rows=4, cols=4)
        rows = [("", "Ärende", "Beteckning", "Förslag"),
                ("1.", "Val av justerare", "", ""),
                ("2.", "Budget 2026", "KN 2025/12", "Kulturnämnden antar budgeten."),
                ("3.", "Information från förvaltningen", "KN 2025/3", "")]
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                table.cell(r, c).text = value

    path = tmp_path / "kallelse.docx"
    path.write_bytes(make_docx(build))
    doc = parse_file(path)
    assert doc.document.doc_type == "kallelse" and doc.document.date == "2025-03-20"
    assert doc.document.body == "Kulturnämnden"
    assert [(i.number, i.title) for i in doc.items] == [
        (1, "Val av justerare"), (2, "Budget 2026"), (3, "Information från förvaltningen")]
    assert doc.items[1].case_numbers == ["KN 2025/12"]
    assert doc.items[1].decisions == ["Kulturnämnden antar budgeten"]


# -- documents without structure ---------------------------------------------------------------------
def test_document_without_structure_is_one_item():
    doc = parse_text("Det här är en kort anteckning utan rubriker. Den handlar om budgeten.", "n.txt")
    assert len(doc.items) == 1
    item = doc.items[0]
    assert item.title_derived and item.title == "Det här är en kort anteckning utan rubriker"
    assert item.text.endswith("Den handlar om budgeten.")
    assert doc.document.date is None and doc.document.doc_type == "övrigt"


def test_long_text_without_headings_is_split_into_parts():
    paragraphs = [f"Stycke {n}. " + "Förvaltningen beskriver ärendet utförligt. " * 15 for n in range(30)]
    doc = parse_text("\n\n".join(paragraphs), "lang.txt")
    assert 3 <= len(doc.items) <= 12
    assert sum(len(i.text) for i in doc.items) >= sum(len(p) for p in paragraphs)
    assert all(len(i.text) <= 6500 for i in doc.items)


# -- sidecars and manifests --------------------------------------------------------------------------
def test_sidecar_overrides_metadata(tmp_path):
    path = tmp_path / "anteckning.txt"
    path.write_text("Kort text om ett möte med kulturnämnden.", encoding="utf-8")
    (tmp_path / "anteckning.txt.meta.json").write_text(json.dumps({
        "organisation": "Kungsbacka kommun", "body": "Kulturnämnden", "date": "2025-02-03",
        "doc_type": "anteckningar", "title": "Möte med kulturnämnden"}), encoding="utf-8")
    meta = parse_file(path).document
    assert (meta.organisation, meta.body, meta.date, meta.year, meta.doc_type, meta.title) == (
        "Kungsbacka kommun", "Kulturnämnden", "2025-02-03", 2025, "anteckningar", "Möte med kulturnämnden")
    assert not {"organisation", "body", "date", "year", "title"} & set(meta.inferred)


def test_stem_sidecar_and_manifest(tmp_path):
    (tmp_path / "a.txt").write_text("Text om vård och omsorg i kommunen under året.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Text om skolan och förskolan i kommunen.", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {
        "a.txt": {"organisation": "Göteborgs Stad", "body": "Kommunstyrelsen"},
        "b.txt": {"organisation": "Göteborgs Stad", "year": 2023}}}), encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"body": "Grundskolenämnden"}), encoding="utf-8")
    a = parse_file(tmp_path / "a.txt").document
    b = parse_file(tmp_path / "b.txt").document
    assert (a.organisation, a.body) == ("Göteborgs Stad", "Grundskolenämnden")  # the sidecar wins
    assert (b.organisation, b.year) == ("Göteborgs Stad", 2023)


# -- discovery -------------------------------------------------------------------------------------
def test_discover_expands_folders_and_skips_non_documents(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for name in ("b.txt", "a.md", "sub/c.HTML", "sub/deeper/d.pdf", "sub/e.docx", "f.htm"):
        (tmp_path / name).write_bytes(b"x")
    for name in ("README.md", "readme.txt", "a.md.meta.json", "manifest.json", "notes.odt", "data.csv",
                 ".secret.txt", ".hidden/g.txt", "MANIFEST.txt"):
        (tmp_path / name).write_bytes(b"x")
    found = discover([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.md", "b.txt", "f.htm", "sub/c.HTML", "sub/deeper/d.pdf", "sub/e.docx"]


def test_discover_keeps_explicit_paths_for_error_reporting(tmp_path):
    missing = tmp_path / "borta.txt"
    odd = tmp_path / "kalkyl.xlsx"
    odd.write_bytes(b"x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("hej", encoding="utf-8")
    found = discover([missing, odd, tmp_path / "dir", tmp_path / "dir" / "x.txt"])
    assert missing in found and odd in found
    assert sum(1 for p in found if p.name == "x.txt") == 1


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}


def test_corpus_discovery_skips_readme_and_provenance():
    from tests.parse_helpers import CORPUS

    names = [p.name for p in discover([CORPUS])]
    assert "README.md" not in names and "PROVENANCE.tsv" not in names
    assert len(names) == 5 + 17


def test_whole_corpus_parses():
    from tests.parse_helpers import CORPUS, parsed

    for path in discover([CORPUS]):
        doc = parsed(path)
        assert doc.items and doc.document.doc_type in {
            "protokoll", "kallelse", "möte", "beslut", "plan", "rapport", "tjänsteskrivelse", "handling",
            "anteckningar", "övrigt"}
        assert doc.document.year is not None


def test_ingest_error_shape(tmp_path):
    path = tmp_path / "tom.txt"
    path.write_bytes(b"")
    with pytest.raises(IngestError) as info:
        parse_file(path)
    assert info.value.path == path and info.value.reason == "empty file"
    assert str(info.value) == f"{path}: empty file"
