"""OCR of PDFs without a text layer (issue 21, item 1), on a scanned fixture the test makes.

A protocol is written as text, made into a PDF with a text layer, rendered by ``pdftoppm`` to
page images, and the images put back into an image-only PDF: a scan of a known text. OCR must
recover the text (character accuracy ≥ 97 %) and the same § items and decisions as the text
version. Needs Debian's tesseract-ocr, tesseract-ocr-swe and poppler-utils (scripts/test.sh
installs them); without them the refusal message is what is tested.
"""

from __future__ import annotations

import difflib
import io
import re
import subprocess
import textwrap
import zlib
from pathlib import Path

import pytest

from indexer.ingest import IngestError, parse_file
from indexer.parse.ocr import OcrOptions, missing_tools
from tests.parse_helpers import make_pdf

MISSING = missing_tools("swe")

PROTOCOL = [
    ("Kommunstyrelsen", None),
    ("Protokoll från sammanträde 2024-09-17", None),
    ("Plats och tid: Stadshuset, sessionssalen, kl. 13.00–15.40", None),
    ("§ 112 Val av justerare", "Kommunstyrelsen utser Eva Lindqvist och Örjan Håkansson att justera dagens protokoll."),
    ("§ 113 Delårsrapport januari–augusti 2024",
     "Ekonomiavdelningen redovisar delårsrapporten. Prognosen för helåret visar ett överskott på 14,2 miljoner "
     "kronor, främst beroende på högre skatteintäkter och lägre kostnader för försörjningsstöd än budgeterat. "
     "Socialnämnden och barn- och utbildningsnämnden prognostiserar underskott."),
    ("Beslut", "att godkänna delårsrapporten för januari–augusti 2024,"),
    (None, "att uppdra åt socialnämnden att senast den 31 oktober redovisa åtgärder för en budget i balans."),
    ("§ 114 Detaljplan för bostäder vid Älvängen",
     "Samhällsbyggnadsförvaltningen har tagit fram ett förslag till detaljplan som möjliggör cirka 85 nya "
     "bostäder, en förskola med sex avdelningar och en gång- och cykelväg längs ån. Samrådet gav 23 yttranden; "
     "Länsstyrelsen har inga invändningar när dagvattenfrågan är löst."),
    ("Beslut", "att anta detaljplanen för bostäder vid Älvängen, dnr KS 2023/0412."),
    ("§ 115 Motion om fler laddplatser för elbilar",
     "I en motion föreslås att kommunen bygger 40 publika laddplatser vid skolor och idrottshallar. Tekniska "
     "nämnden har yttrat sig och bedömer kostnaden till 3,1 miljoner kronor."),
    ("Beslut", "att bifalla motionen i den del som avser laddplatser vid idrottshallar,"),
    (None, "att i övrigt avslå motionen."),
    ("§ 116 Anmälan av delegationsbeslut",
     "Förteckningen över delegationsbeslut fattade under perioden 1 juni–31 augusti 2024 anmäls."),
    ("Beslut", "att lägga anmälan av delegationsbeslut till handlingarna."),
]


def protocol_pages(lines_per_page: int = 28) -> list[list[str]]:
    lines: list[str] = []
    for head, body in PROTOCOL:
        if head and head.startswith("§"):
            lines.append("")
        if head:
            lines.append(head)
        if body:
            lines.extend(textwrap.wrap(body, 78))
    return [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)]


def scanned_pdf(text_pdf: bytes, folder: Path, dpi: int = 200) -> bytes:
    """The pages of ``text_pdf`` as grayscale images (pdftoppm) in an image-only PDF."""
    source = folder / "text.pdf"
    source.write_bytes(text_pdf)
    subprocess.run(["pdftoppm", "-q", "-r", str(dpi), "-gray", str(source), str(folder / "scan")], check=True)
    images = []
    for path in sorted(folder.glob("scan*.pgm")):
        data = path.read_bytes()
        magic, width, height, _maximum = data.split(maxsplit=4)[:4]
        assert magic == b"P5"
        width, height = int(width), int(height)
        images.append((width, height, data[len(data) - width * height:]))
    objects: list[bytes | None] = [b"<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for width, height, pixels in images:
        w, h = width * 72 / dpi, height * 72 / dpi
        stream = zlib.compress(pixels)
        image_id = len(objects) + 1
        objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                       b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(stream))
                       + stream + b"\nendstream")
        content = f"q {w:.2f} 0 0 {h:.2f} 0 0 cm /Im0 Do Q".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.2f} {h:.2f}] /Resources << /XObject "
                       f"<< /Im0 {image_id} 0 R >> >> /Contents {image_id + 1} 0 R >>".encode())
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\f", " ")).strip()


def character_accuracy(reference: str, recognised: str) -> float:
    """1 − (edit operations / reference length) over whitespace-normalised text (difflib's opcodes)."""
    a, b = _norm(reference), _norm(recognised)
    errors = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            errors += max(i2 - i1, j2 - j1)
    return 1 - errors / len(a)


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan")
    text_pdf = make_pdf(protocol_pages())
    (folder / "text").mkdir()
    (folder / "scan").mkdir()
    text_path = folder / "text" / "ks_2024-09-17_protokoll.pdf"
    text_path.write_bytes(text_pdf)
    scan_path = folder / "scan" / "ks_2024-09-17_protokoll.pdf"
    scan_path.write_bytes(scanned_pdf(text_pdf, folder))
    return text_path, scan_path


@pytest.mark.skipif(MISSING is not None, reason=f"OCR tools: {MISSING}")  # the refusal test below covers it
def test_a_scanned_protocol_reads_as_its_text_version(documents):
    text_path, scan_path = documents
    assert "text layer" not in str(MISSING)
    from pypdf import PdfReader

    assert not any((p.extract_text() or "").strip() for p in PdfReader(scan_path).pages)  # really a scan
    text, scan = parse_file(text_path), parse_file(scan_path)
    assert (text.document.ocr, scan.document.ocr) == (False, True)
    assert scan.document.ocr_confidence is not None and 80 <= scan.document.ocr_confidence <= 100
    from indexer.parse.pdf import read_pdf

    reference, recognised = read_pdf(text_path.read_bytes()), read_pdf(scan_path.read_bytes())
    assert recognised.ocr and not reference.ocr
    assert character_accuracy(reference.text, recognised.text) >= 0.97
    assert character_accuracy("\n".join(i.text for i in text.items), "\n".join(i.text for i in scan.items)) >= 0.97
    assert [i.paragraph for i in scan.items] == [i.paragraph for i in text.items] == [112, 113, 114, 115, 116]
    assert [i.page_start for i in scan.items] == [i.page_start for i in text.items]
    assert [i.decision_kind for i in scan.items] == [i.decision_kind for i in text.items]
    for ours, theirs in zip(scan.items, text.items):
        # the same decision text (the scan's blank lines may split one "att …, att …" in two)
        assert bool(ours.decisions) == bool(theirs.decisions)
        if theirs.decisions:
            assert character_accuracy(" ".join(theirs.decisions), " ".join(ours.decisions)) >= 0.97
    assert (scan.document.body, scan.document.date) == (text.document.body, text.document.date)


def test_ocr_off_or_over_the_page_cap_is_a_clear_refusal(documents):
    _, scan_path = documents
    with pytest.raises(IngestError, match=r"no text layer .*OCR is turned off \(MOTESOK_OCR=off\)"):
        parse_file(scan_path, ocr=OcrOptions(enabled=False))
    if MISSING is None:
        with pytest.raises(IngestError, match=r"no text layer .*and 2 pages; OCR reads at most 1 \(MOTESOK_OCR_MAX_PAGES\)"):
            parse_file(scan_path, ocr=OcrOptions(max_pages=1))


def test_missing_tesseract_is_named_with_what_to_install(documents, monkeypatch):
    """Tesseract absent (its directory off PATH, as on a machine without the package): the file is
    refused with what to install, not a crash."""
    _, scan_path = documents
    import shutil

    from indexer.parse import ocr

    real_which = shutil.which
    monkeypatch.setattr(ocr.shutil, "which", lambda name, *a, **k: None if name == "tesseract" else real_which(name))
    with pytest.raises(IngestError) as refused:
        parse_file(scan_path)
    assert "tesseract not found" in refused.value.reason
    assert "tesseract-ocr, tesseract-ocr-swe and poppler-utils" in refused.value.reason
    ocr._languages.cache_clear()
    assert ocr.missing_tools("xx-nolang") is not None


def test_a_misread_paragraph_sign_is_restored_only_in_a_sequence():
    from indexer.parse.ocr import repair_paragraph_signs

    pages = ["Protokoll\n8 41 Val av justerare\ntext\n$ 42 a Detaljplan\n", "text\n8 43 Anmälningar\n"]
    assert repair_paragraph_signs(pages) == [
        "Protokoll\n§ 41 Val av justerare\ntext\n§ 42 a Detaljplan\n", "text\n§ 43 Anmälningar\n"]
    lone = ["Budget\n8 500 Kronor avsätts till\n"]  # one line is no sequence
    assert repair_paragraph_signs(lone) == lone
    counts = ["8 120 Barn deltog\n5 3 Skolor\n8 7000 Elever\n"]  # numbers that do not rise as § do
    assert repair_paragraph_signs(counts) == counts


@pytest.mark.skipif(MISSING is not None, reason=f"OCR tools: {MISSING}")
def test_an_indexed_scan_is_found_by_its_words_and_marked_as_ocr(documents, tmp_path, monkeypatch):
    """``motesok index`` on the scan (word-hashing embedder, no model): its items are found by words
    on the page, and the API and item page say the text was read by OCR, with the confidence."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from motesok.cli import app
    from motesok.config import get_settings
    from motesok.runtime import build_app

    _, scan_path = documents
    monkeypatch.setenv("MOTESOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOTESOK_EMBEDDING_MODEL", "hashing")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["index", "--verbose", str(scan_path.parent)])
        assert result.exit_code == 0, result.output
        assert "OCR page 2/2" in result.output  # progress per page
        with TestClient(build_app(get_settings())) as client:
            hits = client.get("/api/search", params={"q": "laddplatser idrottshallar", "mode": "keyword"}).json()["hits"]
            assert hits and hits[0]["paragraph"] == 115 and hits[0]["ocr"] is True
            assert hits[0]["original"] == f"/documents/{hits[0]['document_id']}/original#page=1"
            document = client.get(f"/api/documents/{hits[0]['document_id']}").json()["document"]
            assert document["ocr"] is True and 80 <= document["ocr_confidence"] <= 100
            page = client.get(f"/punkt/{hits[0]['id']}").text
            assert "inläst med OCR" in page and f"igenkänningssäkerhet {round(document['ocr_confidence'])} %" in page
            original = client.get(f"/documents/{hits[0]['document_id']}/original")
            assert original.content == scan_path.read_bytes()
    finally:
        get_settings.cache_clear()
