"""Helpers for the parsing and segmentation tests: the sample corpus, and small documents of
each format (PDF, DOCX, HTML) built in memory, good and broken."""

from __future__ import annotations

import io
import json
import re
import zipfile
from functools import cache
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
EXTRA = CORPUS / "extra"
SAMPLES = {
    "000": CORPUS / "000_ccb1e8f57488abc9.txt",
    "001": CORPUS / "001_c0571d167d084086.txt",
    "002": CORPUS / "002_2fb439720acf416b.txt",
    "003": CORPUS / "003_2881339b2791bead.txt",
    "004": CORPUS / "004_f61901e46d9f6cd0.txt",
}
SHARED_QUERIES = PROJECT.parent / "shared" / "eval" / "dev_queries.jsonl"
LOCAL_QUERIES = PROJECT / "tests" / "data" / "dev_queries.jsonl"


@cache
def parsed(path: Path):
    """The parsed document for a corpus file (cached: the corpus is read-only)."""
    from indexer.ingest import parse_file

    return parse_file(path)


def sample(key: str):
    return parsed(SAMPLES[key])


def extra(name: str):
    return parsed(EXTRA / name)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def eval_queries() -> list[dict]:
    path = SHARED_QUERIES if SHARED_QUERIES.is_file() else LOCAL_QUERIES
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def by_paragraph(doc) -> dict:
    return {i.paragraph: i for i in doc.items if i.paragraph is not None}


# -- PDF -------------------------------------------------------------------------------------------
def _pdf_string(text: str) -> str:
    raw = text.encode("cp1252")
    out = []
    for b in raw:
        ch = chr(b)
        if ch in "()\\":
            out.append("\\" + ch)
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF with a text layer: one list of lines per page (Helvetica, WinAnsi)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * k} 0 R" for k in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for k, lines in enumerate(pages):
        content_id = 4 + 2 * k
        objects.append((f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                        f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>").encode())
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
        for line in lines:
            ops.append(f"({_pdf_string(line)}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n".encode())
    out.write(b"0000000000 65535 f \n")
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypt_pdf(data: bytes, password: str = "hemligt") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-ägare", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf(pages: int = 2) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- DOCX ------------------------------------------------------------------------------------------
def make_docx(build) -> bytes:
    """A .docx built by ``build(document)`` with python-docx."""
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def other_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()
