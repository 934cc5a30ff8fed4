"""Messages that say what happened (issue 21, item 5): a file named .pdf/.docx that is an HTML page
says so with its title; a valid PDF that trips a limit of the PDF reader is read (raised limits,
then pdftotext), and "corrupt" stays for files that are."""

from __future__ import annotations

import shutil

import pytest

from indexer.ingest import IngestError, parse_file
from indexer.parse import ParseError
from indexer.parse.pdf import RAISED_LIMITS_FACTOR, read_pdf
from tests.parse_helpers import make_pdf

ERROR_PAGE = ("<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">\n<title>\n  Sidan saknas &ndash; "
              "Exempelby kommun\n</title></head><body><h1>Sidan saknas</h1></body></html>\n")


@pytest.mark.parametrize("name", ["protokoll.pdf", "protokoll.docx"])
def test_an_html_page_named_like_a_document_says_so_with_its_title(tmp_path, name):
    path = tmp_path / name
    path.write_text(ERROR_PAGE, encoding="utf-8")
    with pytest.raises(IngestError) as refused:
        parse_file(path)
    suffix = name.rsplit(".", 1)[1]
    assert f"an HTML page named .{suffix} ('Sidan saknas – Exempelby kommun')" in refused.value.reason
    assert "instead of the document" in refused.value.reason


def test_other_files_named_pdf_say_what_they_are_or_that_they_are_no_pdf(tmp_path):
    jpeg, text = tmp_path / "skannad.pdf", tmp_path / "text.pdf"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    text.write_text("Det här är text, inte PDF.\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not a PDF file: a JPEG image named .pdf"):
        parse_file(jpeg)
    with pytest.raises(IngestError, match=r"not a PDF file \(no %PDF- header\)"):
        parse_file(text)


def _drawing_pdf(operators: int) -> bytes:
    """A valid one-page PDF with a line of text and a long vector drawing (a plan map's kind)."""
    page = make_pdf([["Detaljplan för Strandängen, plankarta"]])
    drawing = " ".join(f"{i % 500} {i % 700} m {i % 500 + 1} {i % 700} l" for i in range(operators)) + " S"
    # append the drawing to the page's content stream; the stream length and xref are rebuilt
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ContentStream

    reader = PdfReader(BytesIO(page))
    writer = PdfWriter(clone_from=reader)
    target = writer.pages[0]
    content = target.get_contents()
    stream = ContentStream(None, None)
    stream.set_data(content.get_data() + b"\n" + drawing.encode())
    target.replace_contents(stream)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_over_a_reader_limit_is_read_with_raised_limits():
    """The reader's parsing budget lowered so a small file trips it, as a plan map trips the
    default: the first read fails on the limit, the raised one reads the text."""
    from pypdf import apply_configuration

    data = _drawing_pdf(2000)  # ~12 000 tokens
    assert "Strandängen" in read_pdf(data).text  # within the default limits
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    from indexer.ingest import pdf_front

    with apply_configuration(stream_parsing_work_maximum_count=3000):  # over this, under 25 × this
        with pytest.raises(LimitReachedError):  # what used to be called a corrupt PDF
            PdfReader(BytesIO(data)).pages[0].extract_text()
        assert "Strandängen" in read_pdf(data).text
        assert "Strandängen" in pdf_front(data).first_page  # the letterhead evidence too


def test_beyond_the_raised_limits_pdftotext_reads_it_or_the_message_names_the_limit(monkeypatch):
    from pypdf import apply_configuration

    data = _drawing_pdf(2000)
    budget = 12_000 // (RAISED_LIMITS_FACTOR * 4)  # over even when raised
    with apply_configuration(stream_parsing_work_maximum_count=budget):
        if shutil.which("pdftotext"):
            assert "Strandängen" in read_pdf(data).text
        monkeypatch.setattr(shutil, "which", lambda name: None)  # no pdftotext
        with pytest.raises(ParseError) as refused:
            read_pdf(data)
    reason = str(refused.value)
    assert "beyond the PDF reader's limits" in reason and "not necessarily corrupt" in reason
    assert "poppler-utils" in reason


def test_a_broken_file_is_still_called_corrupt():
    with pytest.raises(ParseError, match="corrupt"):
        read_pdf(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
