"""Public entry points of ingestion: find documents, read them, segment them, describe them.

>>> doc = parse_text("§ 1 Val av justerare\\n\\nBeslut\\n\\natt utse Anna Andersson.", "x.txt")
>>> doc.items[0].paragraph, doc.items[0].decisions
(1, ['att utse Anna Andersson'])

:func:`discover` expands folders; :func:`parse_file` reads one file (any supported format, with
its sidecar/manifest metadata) and raises :class:`IngestError` with one clear reason when it
cannot; :func:`parse_text` is the pure core used by both and by tests.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from indexer.decisions import settle_kinds
from indexer.metadata import MetadataError, apply_overrides, build_meta, enrich_items, load_overrides, usable_title
from indexer.parse import ParseError, RawText, read_bytes
from indexer.parse.ocr import OcrOptions
from indexer.parse.text import normalize_text
from indexer.personnummer import mask_inputs
from indexer.records import ParsedDocument
from indexer.segment import segment

SUPPORTED_SUFFIXES = {".txt", ".md", ".html", ".htm", ".pdf", ".docx"}
FORMATS = {".txt": "txt", ".md": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
#: Default size limit (``MOTESOK_MAX_FILE_BYTES``): larger files are refused before they are read.
MAX_BYTES = 20 * 1024 * 1024


class IngestError(Exception):
    """A document that cannot be ingested: ``str(e) == f"{path}: {reason}"``."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def too_large(size: int, limit: int) -> str:
    """The reason given for a file over the size limit (it is not read at all)."""
    mib = 1024 * 1024
    return (f"file too large ({size / mib:.1f} MiB; the limit is {limit / mib:.1f} MiB, "
            f"MOTESOK_MAX_FILE_BYTES); not read")


def _skipped(path: Path) -> bool:
    name = path.name
    lowered = name.lower()
    return (name.startswith(".") or lowered.endswith(".meta.json") or lowered.startswith("readme")
            or path.stem.lower() == "manifest" or lowered.startswith("manifest."))


def _broken_link(path: Path) -> bool:
    """A symbolic link whose target is missing, or that loops back to itself."""
    return path.is_symlink() and not path.exists()


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest under ``paths``, sorted.

    Folders are searched recursively for supported files, skipping hidden files and folders,
    metadata sidecars, README and manifest files. Symbolic links to files are followed (a link to
    a file also found directly is listed once); broken links with a supported suffix are listed so
    that :func:`parse_file` reports them; links to folders are not followed (no loops). A path
    given explicitly is returned as it is, even when it does not exist or has an unsupported
    suffix, so that :func:`parse_file` reports it.
    """
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in path.rglob("*"):
                rel = candidate.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if candidate.suffix.lower() not in SUPPORTED_SUFFIXES or _skipped(candidate):
                    continue
                if candidate.is_file():
                    found.setdefault(str(candidate.resolve()), candidate)
                elif _broken_link(candidate):
                    found.setdefault(str(candidate), candidate)
        else:
            key = str(path.resolve()) if path.exists() else str(path)
            found.setdefault(key, path)
    return sorted(found.values(), key=lambda p: str(p))


def parse_text(text: str, source: str, fmt: str = "txt", checksum: str = "",
               title_hint: str | None = None, front: PdfFront | None = None) -> ParsedDocument:
    """Segment and describe a document's text. Pure: no file system access.

    ``fmt`` names the format the text came from; ``"html"`` text is converted first. ``front`` is a
    PDF's first page as printed (with its letterhead) and its creation date, for the metadata.
    """
    if fmt == "html":
        from indexer.parse.html import html_to_text

        try:
            raw = html_to_text(text)
        except ParseError as exc:
            raise IngestError(source, str(exc)) from exc
        text, title_hint = raw.text, title_hint or raw.title_hint
    if not text:
        raise IngestError(source, "empty file")
    text = normalize_text(text)
    if not text.strip():
        raise IngestError(source, "no text: the file contains only white space" if fmt != "html"
                          else "no text: the page has no readable content")
    text, title_hint, front, masked = mask_inputs(text, title_hint, front)  # before anything derives from them
    described_by = [x for x in (title_hint, front.author if front else None) if x]  # who, per the metadata
    title_hint = usable_title(title_hint, text)  # "Tagged PDF", "Plats och tid" are no titles
    segmented = segment(text, title_hint=title_hint)
    items = enrich_items(segmented.items)
    if not items:
        raise IngestError(source, "no text content to index")
    meta = build_meta(text, source=source, fmt=fmt, checksum=checksum, family=segmented.family,
                      kind=segmented.kind, items=items, title_hint=title_hint,
                      first_page=front.first_page if front else None, file_date=front.created if front else None,
                      described_by=described_by)
    settle_kinds(items, meta.doc_type)
    meta.personnummer_masked = masked
    return ParsedDocument(document=meta, items=items)


@dataclass(frozen=True)
class PdfFront:
    first_page: str | None  # the first page's text as printed, running header included
    created: str | None  # the PDF's creation date (ISO), the last resort for a document's date
    author: str | None = None  # the PDF's Author field (often the organisation or a unit)


def pdf_front(data: bytes) -> PdfFront:
    """The letterhead and creation date of a PDF. The text layer drops lines that repeat on every
    page (running headers), but on the first page they are the letterhead and the meeting date,
    the best evidence of who issued the document and when."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    from indexer.parse.pdf import RAISED_LIMITS_FACTOR, raised_limits

    logging.getLogger("pypdf").setLevel(logging.ERROR)

    def first_page():
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        return reader, reader.pages[0].extract_text() if reader.pages else None

    try:
        try:
            reader, first = first_page()
        except LimitReachedError:  # as the text layer was: with raised limits (a plan map's page)
            with raised_limits(RAISED_LIMITS_FACTOR):
                reader, first = first_page()
    except Exception:  # the text layer was read already; this is only extra evidence
        return PdfFront(None, None)
    created = author = None
    try:
        stamp = reader.metadata.creation_date if reader.metadata else None
        created = stamp.date().isoformat() if stamp else None
        author = str(reader.metadata.author).strip() or None if reader.metadata and reader.metadata.author else None
    except Exception:
        pass
    return PdfFront(first, created, author)


def _link_problem(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"symbolic link loop ({path.name} -> {target})"
    return f"broken symbolic link: its target {target} does not exist"


def parse_file(path: Path, max_bytes: int | None = None, ocr: OcrOptions | None = None) -> ParsedDocument:
    """Read, segment and describe one file; raise IngestError naming the file and the reason.

    Files larger than ``max_bytes`` (default :data:`MAX_BYTES`) are refused before they are read;
    ``ocr`` says whether and how a PDF without a text layer is read (None: the defaults, on).
    """
    path = Path(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    if _broken_link(path):
        raise IngestError(path, _link_problem(path))
    if not path.exists():
        raise IngestError(path, "file not found")
    if path.is_dir():
        raise IngestError(path, "is a folder, not a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(path, f"unsupported file type {suffix or '(no suffix)'!s}; supported: {supported}")
    try:
        size = path.stat().st_size
        if size > limit:
            raise IngestError(path, too_large(size, limit))
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if not data:
        raise IngestError(path, "empty file")
    fmt = FORMATS[suffix]
    try:
        raw: RawText = read_bytes(data, fmt, ocr)
    except ParseError as exc:
        raise IngestError(path, str(exc)) from exc
    try:
        overrides = load_overrides(path)
    except MetadataError as exc:
        raise IngestError(path, str(exc)) from exc
    if not raw.text.strip():
        what = {"html": "the page has no readable content", "docx": "the document has no text",
                "pdf": "the PDF has no text"}.get(fmt, "the file contains only white space")
        raise IngestError(path, f"no text: {what}")
    checksum = hashlib.sha256(data).hexdigest()
    try:
        parsed = parse_text(raw.text, str(path.resolve()), fmt="txt" if fmt == "html" else fmt,
                            checksum=checksum, title_hint=raw.title_hint,
                            front=pdf_front(data) if fmt == "pdf" else None)
    except IngestError as exc:  # name the file as the caller gave it
        raise IngestError(path, exc.reason) from exc
    parsed.document.format = fmt
    parsed.document.ocr, parsed.document.ocr_confidence = raw.ocr, raw.ocr_confidence
    apply_overrides(parsed.document, overrides)
    return parsed


__all__ = ["MAX_BYTES", "SUPPORTED_SUFFIXES", "IngestError", "discover", "parse_file", "parse_text", "too_large"]
