"""Serving the indexed file of a document (``GET /documents/{id}/original``).

Only by document id: the path comes from the store's record of what was indexed, never from the
request. Refused, with a reason in Swedish:

- a document that contained a personnummer (its text was masked, the file is not: 403),
- a file that is gone (404) or whose content changed since it was indexed (409: the checksum
  differs, so the bytes are not what the search found; the next index run picks the new version),
- a format without a known media type (not indexed by this version).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from indexer.records import DocumentMeta

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}


@dataclass(frozen=True)
class Original:
    data: bytes
    media_type: str
    filename: str

    def headers(self) -> dict[str, str]:
        ascii_name = self.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        headers = {
            "Content-Disposition": f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(self.filename)}",
            "X-Content-Type-Options": "nosniff",
        }
        if self.media_type.startswith("text/html"):
            # an indexed web page must not run its scripts on this site's origin
            headers["Content-Security-Policy"] = "sandbox"
        return headers


@dataclass
class Refused(Exception):
    status: int
    message: str  # Swedish, for the reader
    url: str | None = None  # the publisher's address of the document, when known


def load_original(meta: DocumentMeta) -> Original:
    """The indexed file's bytes, checked against the checksum stored when it was indexed."""
    if meta.personnummer_masked > 0:
        raise Refused(403, "Originalet visas inte här: dokumentet innehåller personnummer, som inte får "
                           "publiceras. Texten i sökningen är maskerad.", meta.url)
    media_type = MEDIA_TYPES.get(meta.format)
    if media_type is None:
        raise Refused(404, "Originalet finns inte i ett format som kan visas här.", meta.url)
    try:
        data = Path(meta.source).read_bytes()
    except OSError:
        raise Refused(404, "Originalfilen finns inte längre kvar på servern.", meta.url) from None
    if hashlib.sha256(data).hexdigest() != meta.checksum:
        raise Refused(409, "Originalfilen har ändrats sedan den indexerades, så den visas inte som "
                           "källa till sökträffarna. Den nya versionen blir sökbar vid nästa indexering.", meta.url)
    if media_type.startswith("text/"):
        try:
            data.decode("utf-8")
            media_type += "; charset=utf-8"
        except UnicodeDecodeError:
            pass  # another encoding: the browser guesses, as it would for the file itself
    return Original(data, media_type, Path(meta.source).name)
