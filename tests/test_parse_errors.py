"""Bad input: every broken file is reported as one IngestError naming the file and the reason."""

from __future__ import annotations

import json
import os
import random

import pytest

from indexer.ingest import IngestError, parse_file, parse_text
from tests.parse_helpers import blank_pdf, encrypt_pdf, make_docx, make_pdf, other_zip

GOOD_PDF = make_pdf([["Kommunstyrelsen", "§ 1 Val av justerare", "Beslut", "Anna Andersson utses att justera."]])


def _random_bytes(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


CASES = {
    # name: (file name, bytes, words the reason must contain)
    "empty file": ("tom.txt", b"", "empty"),
    "whitespace only": ("blank.txt", b"  \n\t\n   \r\n", "white space"),
    "whitespace only, UTF-16": ("blank16.txt", "   \n\n ".encode("utf-16"), "white space"),
    "binary junk named .txt": ("junk.txt", _random_bytes(4096), "binary"),
    "undecodable bytes": ("odd.txt", bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x01, 0x02]) * 200, "undecodable"),
    "bad UTF-16 after a BOM": ("bom.txt", b"\xff\xfe" + b"a\x00\x00\xd8", "undecodable"),
    "truncated PDF": ("half.pdf", GOOD_PDF[: len(GOOD_PDF) // 2], "truncated"),
    "corrupt PDF": ("trasig.pdf", b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n", "corrupt"),
    "not a PDF at all": ("fake.pdf", b"Hej, det h\xc3\xa4r \xc3\xa4r text.\n", "not a PDF"),
    "encrypted PDF": ("hemlig.pdf", encrypt_pdf(GOOD_PDF), "encrypted"),
    "PDF without text layer": ("skannad.pdf", blank_pdf(), "no text layer"),
    "docx that is another zip": ("annan.docx", other_zip(), "not a Word document"),
    "docx that is not a zip": ("text.docx", b"Det h\xc3\xa4r \xc3\xa4r ingen zip-fil.", "not a ZIP"),
    "empty docx": ("tom.docx", b"", "empty"),
    "empty HTML page": ("tom.html", b"<html><head><script>var a=1;</script></head><body> </body></html>",
                        "no text"),
    "unsupported suffix": ("kalkyl.xlsx", b"PK\x03\x04", "unsupported file type .xlsx"),
    "no suffix": ("LICENSE", b"MIT", "unsupported file type"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_raises_one_clear_ingest_error(tmp_path, case):
    name, data, words = CASES[case]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as info:
        parse_file(path)
    error = info.value
    assert words.lower() in error.reason.lower(), error.reason
    assert name in str(error) and str(error) == f"{error.path}: {error.reason}"
    assert "\n" not in str(error) and "Traceback" not in str(error)


def test_missing_file(tmp_path):
    path = tmp_path / "finns-inte.txt"
    with pytest.raises(IngestError) as info:
        parse_file(path)
    assert str(info.value) == f"{path}: file not found"


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(IngestError, match="folder"):
        parse_file(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "låst.txt"
    path.write_text("hemligt", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(IngestError, match="cannot read"):
            parse_file(path)
    finally:
        path.chmod(0o644)


def test_invalid_json_in_sidecar(tmp_path):
    path = tmp_path / "protokoll.txt"
    path.write_text("§ 1 Val av justerare\n\nBeslut\n\natt utse Anna.", encoding="utf-8")
    sidecar = tmp_path / "protokoll.txt.meta.json"
    sidecar.write_text('{"body": "Kommunstyrelsen",', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        parse_file(path)
    assert info.value.path == path
    assert "invalid JSON" in info.value.reason and "protokoll.txt.meta.json" in info.value.reason
    assert "line 1" in info.value.reason


def test_invalid_json_in_manifest(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Text.", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{files: nope}", encoding="utf-8")
    with pytest.raises(IngestError, match="invalid JSON in metadata file manifest.json"):
        parse_file(path)


@pytest.mark.parametrize("entry, words", [
    ({"date": "12 mars 2024"}, "not a date"),
    ({"date": "2024-02-30"}, "not a date"),
    ({"doc_type": "memo"}, "doc_type"),
    ({"year": "tjugohundra"}, "year"),
    ({"body": 42}, "body must be"),
    (["not", "an", "object"], "expected a JSON object"),
])
def test_invalid_sidecar_values(tmp_path, entry, words):
    path = tmp_path / "a.txt"
    path.write_text("Text om något.", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps(entry), encoding="utf-8")
    with pytest.raises(IngestError) as info:
        parse_file(path)
    assert words in info.value.reason


def test_parse_text_rejects_whitespace():
    with pytest.raises(IngestError) as info:
        parse_text(" \n\t ", "tom.txt")
    assert str(info.value) == "tom.txt: no text: the file contains only white space"
    with pytest.raises(IngestError, match="empty file"):
        parse_text("", "tom.txt")


def test_text_without_structure_is_not_an_error(tmp_path):
    path = tmp_path / "rader.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    doc = parse_file(path)
    assert len(doc.items) == 1 and doc.items[0].text == "a\nb\nc"


def test_docx_without_text_is_an_error(tmp_path):
    path = tmp_path / "tom.docx"
    path.write_bytes(make_docx(lambda d: None))
    with pytest.raises(IngestError, match="white space|no text"):
        parse_file(path)
