"""What a file that is not what its name says really is: for messages that say what happened.

Portals answer a missing document with an HTML page ("Sidan saknas") that is saved under the
document's name; a refusal that names what the file is, with the page's title, tells the user to
fetch the document again rather than to suspect the reader.
"""

from __future__ import annotations

import html
import re

_MAGIC = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive (a Word or other Office document?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
)
_HTML_START = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.I | re.S)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.I | re.S)


def html_title(data: bytes) -> str | None:
    """The ``<title>`` of an HTML page, unescaped and on one line (at most 120 characters)."""
    found = _TITLE.search(data[:200_000])
    if not found:
        return None
    raw = found.group(1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    title = re.sub(r"\s+", " ", html.unescape(text)).strip()
    return (title[:117] + "…" if len(title) > 120 else title) or None


def what_it_is(data: bytes) -> str | None:
    """``"an HTML page ('Sidan saknas')"``, ``"a JPEG image"``, … or None when unrecognised."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if _HTML_START.match(head[:2048]):
        title = html_title(data)
        return "an HTML page" + (f" ({title!r})" if title else " (no title)")
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def misnamed(data: bytes, suffix: str) -> str:
    """The reason for a file that is not the ``suffix`` it is named, saying what it is when known."""
    what = what_it_is(data)
    if what is None:
        return f"not a {suffix.lstrip('.').upper()} file"
    if what.startswith("an HTML page"):
        named = what.replace("an HTML page", f"an HTML page named {suffix}", 1)
        return (f"not a {suffix.lstrip('.').upper()} file: {named}"
                f"; the site probably returned a web page (an error page?) instead of the document")
    return f"not a {suffix.lstrip('.').upper()} file: {what} named {suffix}"
