"""Decoding text files and normalising text from any reader.

Decoding prefers strict UTF-8; byte-order marks select UTF-8/UTF-16/UTF-32; anything else is
handed to charset-normalizer restricted to the encodings Swedish public documents really come
in (Windows-1252, Latin-1/9, UTF-16). Binary data is rejected rather than decoded into junk.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from indexer.parse import ParseError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACK_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "utf_16", "utf_16_le", "utf_16_be"]
# Control characters that never occur in real text (tab, newline, carriage return, form feed do).
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\x80-\x9f\ufffd]")


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = len(_BAD_CONTROL.findall(text))
    return bad <= max(2, len(text) // 1000)


def decode_bytes(data: bytes) -> str:
    """Decode the bytes of a text file, or raise ParseError saying why they are not text."""
    if not data:
        raise ParseError("empty file")
    text: str | None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(f"undecodable bytes: file starts with a {encoding} byte-order mark "
                                 f"but is not valid {encoding} ({exc.reason} at byte {exc.start})") from exc
            return text.lstrip("\ufeff")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if not _looks_like_text(text):
            raise ParseError("binary data, not text (control characters in the content)")
        return text
    if b"\x00" in data[:4096] and not _utf16_without_bom(data):
        raise ParseError("binary data, not text (NUL bytes in the content)")
    text = _guess(data)
    if text is None or not _looks_like_text(text):
        raise ParseError("undecodable bytes: not UTF-8, UTF-16 or Windows-1252/Latin-1 text")
    return text


def _utf16_without_bom(data: bytes) -> bool:
    """True when every other byte of the head is NUL, as in UTF-16 text of Latin letters."""
    head = data[:512]
    if len(head) < 4:
        return False
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    return even >= 0.8 * half or odd >= 0.8 * half


def _guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=_FALLBACK_ENCODINGS).best()
    except Exception:  # a detector failure must not hide the simple answer below
        best = None
    if best is not None:
        try:
            return str(best)
        except Exception:
            pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


PAGE_BREAK = "\f"


def normalize_text(text: str) -> str:
    """Unify newlines and spaces while keeping indentation (it carries list structure); a page
    break stays as a line holding only a form feed (:data:`PAGE_BREAK`)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\v", "\n")
    # a page break (form feed, as pdftotext and the PDF reader write it) becomes a line of its own,
    # so that segmentation knows on which page each item starts
    text = re.sub(r"\n?\f\n?", "\n" + PAGE_BREAK + "\n", text)
    text = text.replace("\x00", "")
    text = _ZERO_WIDTH.sub("", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text)
    lines = [line if line == PAGE_BREAK else line.rstrip() for line in text.split("\n")]
    # A provenance line some archives put on top of retyped files ("SOURCE: github:… path …") is
    # about the file, not part of the document: metadata must come from the document itself.
    for i, line in enumerate(lines[:5]):
        if line.strip():
            if re.match(r"^SOURCE:\s+\S+:\S", line.strip()):
                del lines[i]
            break
    return "\n".join(lines)
