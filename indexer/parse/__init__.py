"""Reading files of each supported format into plain text.

Every reader returns a :class:`RawText`: the document's text in a layout the segmenters
understand (``•`` bullets indented by nesting depth, ``#`` headings, ``| a | b |`` table rows)
plus an optional title hint from the file's own metadata. Problems are reported as
:class:`ParseError` with a short reason; :mod:`indexer.ingest` turns them into ``IngestError``
naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexer.parse.ocr import OcrOptions


class ParseError(Exception):
    """A file cannot be read as a document; ``str(e)`` is the reason."""


@dataclass
class RawText:
    text: str
    title_hint: str | None = None
    ocr: bool = False  # the text was recognised from page images (no text layer)
    ocr_confidence: float | None = None  # Tesseract's mean word confidence, 0–100


def read_bytes(data: bytes, fmt: str, ocr: OcrOptions | None = None) -> RawText:
    """Turn the bytes of a file in format ``fmt`` (txt, md, html, pdf, docx) into text; ``ocr``:
    whether and how a PDF without a text layer is read by OCR (None: refused)."""
    if fmt == "pdf":
        from indexer.parse.pdf import read_pdf

        return read_pdf(data, ocr)
    if fmt == "docx":
        from indexer.parse.docx import read_docx

        return read_docx(data)
    from indexer.parse.text import decode_bytes

    text = decode_bytes(data)
    if fmt == "html":
        from indexer.parse.html import html_to_text

        return html_to_text(text)
    return RawText(text)


__all__ = ["ParseError", "RawText", "read_bytes"]
