"""PDF text layer via pypdf (OCR for scanned pages: ``indexer.parse.ocr``).

Encrypted PDFs that need a password, and corrupt or truncated files are rejected with a clear
reason; a file that is no PDF says what it is (an HTML error page, with its title). A valid PDF
that trips one of pypdf's resource limits is read again with raised limits, then by pdftotext.
Lines that repeat at the top or bottom of most pages (running headers and footers) are removed
here, where page boundaries are still known; pages are joined with a form feed so that
segmentation knows each item's page.

Why pypdf, measured on the five labelled PDFs of ``tests/data/corpus-dev`` (177 pages): the exact
§ sequence and the sections came out alike with pypdf, pdfplumber and poppler's ``pdftotext``;
pypdf kept the most metadata right (19/20 fields, pdftotext 17, pdfplumber 18) at 15–25 ms a page
(pdfplumber ~51 ms, pdftotext ~1 ms but a system package). pdfplumber interleaves the columns of a
two-column page line by line; pdftotext reads columns best (21/21 article headings before their
text on the two-column Linköping taxa, pypdf 18/21, where the content stream draws a heading
after its text) but splits table rows into one cell per line.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from indexer.parse import ParseError, RawText
from indexer.parse.ocr import OcrOptions, ocr_pdf
from indexer.parse.sniff import misnamed, what_it_is
from indexer.segment.common import is_label

log = logging.getLogger(__name__)


#: how much a PDF that trips one of pypdf's resource limits (``LimitReachedError``: a plan map's
#: drawing with millions of path operators) gets on the second try; still bounded, as the limits
#: guard against hostile files, and files are at most ``MOTESOK_MAX_FILE_BYTES`` anyway
RAISED_LIMITS_FACTOR = 25
_LIMITS = ("stream_parsing_work_maximum_count", "stream_decoding_work_maximum_length", "array_maximum_element_count",
           "dictionary_maximum_element_count", "maximum_declared_stream_length", "zlib_maximum_output_length",
           "image_maximum_buffer_size", "xform_maximum_invocations_per_extraction", "page_tree_maximum_page_entries")


def read_pdf(data: bytes, ocr: OcrOptions | None = None) -> RawText:
    """The text layer, pages joined by form feeds. A PDF without one is read by OCR as ``ocr``
    says (:mod:`indexer.parse.ocr`; None: the defaults, on), or refused saying why."""
    from pypdf.errors import LimitReachedError

    head = data[:1024].lstrip()
    if not head.startswith(b"%PDF-"):
        raise ParseError(misnamed(data, ".pdf") if what_it_is(data) else "not a PDF file (no %PDF- header)")
    if b"%%EOF" not in data[-2048:]:
        raise ParseError("truncated or corrupt PDF (no %%EOF end marker)")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        pages, title = _read_text_layer(data)
    except LimitReachedError as first:
        # a limit of the reader, not a fault of the file: read again with raised limits, then
        # with poppler's pdftotext (no such limits), before giving up
        log.info("PDF reader limit reached (%s); reading again with %dx the limits", first, RAISED_LIMITS_FACTOR)
        try:
            with raised_limits(RAISED_LIMITS_FACTOR):
                pages, title = _read_text_layer(data)
        except LimitReachedError as again:
            pages, title = _pdftotext_pages(data, again), None
    if not pages:
        raise ParseError("corrupt PDF (no pages)")
    if not any(p.strip() for p in pages):
        ocr = ocr or OcrOptions()
        if not ocr.enabled:
            raise ParseError("PDF has no text layer (scanned images?); OCR is turned off (MOTESOK_OCR=off)")
        result = ocr_pdf(data, ocr, pages=len(pages))
        return RawText(_join_pages(result.pages), title_hint=title, ocr=True, ocr_confidence=result.confidence)
    return RawText(_join_pages(pages), title_hint=title)


def _read_text_layer(data: bytes) -> tuple[list[str], str | None]:
    """Each page's text and the metadata title; ``LimitReachedError`` passes through (the caller
    retries), everything else is a ParseError with the reason."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except LimitReachedError:
        raise
    except Exception as exc:
        raise ParseError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    if encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:
            raise ParseError(f"encrypted PDF that cannot be opened ({type(exc).__name__}: {exc})") from exc
        if not opened:
            raise ParseError("encrypted PDF: a password is needed to read it")
    pages: list[str] = []
    try:
        for page in reader.pages:
            pages.append(page.extract_text() or "")
    except LimitReachedError:
        raise
    except Exception as exc:
        raise ParseError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    title = None
    try:
        meta = reader.metadata
        if meta and meta.title and str(meta.title).strip():
            title = str(meta.title).strip()
    except Exception:
        title = None
    return pages, title


def raised_limits(factor: int):
    """pypdf's current limits times ``factor``, for the calls inside the ``with`` block only."""
    from pypdf import apply_configuration, get_configuration

    base = get_configuration()
    return apply_configuration(**{name: getattr(base, name) * factor for name in _LIMITS if hasattr(base, name)})


def _pdftotext_pages(data: bytes, limit_error: Exception) -> list[str]:
    """The second extractor for a PDF beyond pypdf's raised limits: poppler's ``pdftotext`` (pages
    end with a form feed). Without it the file is refused, naming the limit, not calling it corrupt."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        raise ParseError(f"the PDF is beyond the PDF reader's limits even raised {RAISED_LIMITS_FACTOR}x "
                         f"({limit_error}); it is not necessarily corrupt. Install poppler-utils (pdftotext) "
                         f"to read such files")
    try:
        done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                              timeout=300, check=False)
    except subprocess.TimeoutExpired:
        raise ParseError("the PDF is beyond the PDF reader's limits and pdftotext took over 300 s") from None
    if done.returncode != 0:
        raise ParseError(f"corrupt PDF (beyond the PDF reader's limits, and pdftotext failed with exit code "
                         f"{done.returncode})")
    text = done.stdout.decode("utf-8", errors="replace")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _key(line: str) -> str:
    """Compare header/footer lines with page numbers blanked (they differ from page to page)."""
    key = re.sub(r"\s+", " ", line.strip())
    key = re.sub(r"\b\d+\s*(?:\(\s*\d+\s*\)|av\s*\d+|/\s*\d+)", "#", key, flags=re.I)
    return re.sub(r"^\d+\b|\b\d+$", "#", key)


def _repeatable(key: str) -> bool:
    """Lines that may be running headers: not paragraph heads or section labels of the text."""
    return 4 <= len(key) <= 120 and not key.startswith("§") and not is_label(key)


def _join_pages(pages: list[str]) -> str:
    split = [[ln.rstrip() for ln in p.replace("\r", "\n").split("\n")] for p in pages]
    if len(split) >= 3:
        counts: Counter[str] = Counter()
        for lines in split:
            body = [ln for ln in lines if ln.strip()]
            edge = {_key(ln) for ln in body[:3] + body[-3:]}
            counts.update(edge)
        threshold = max(3, len(split) // 2)
        repeated = {k for k, c in counts.items() if c >= threshold and _repeatable(k)}
        if repeated:
            cleaned = []
            for lines in split:
                body_idx = [i for i, ln in enumerate(lines) if ln.strip()]
                edges = set(body_idx[:3] + body_idx[-3:])
                cleaned.append([ln for i, ln in enumerate(lines) if not (i in edges and _key(ln) in repeated)])
            split = cleaned
    # pages are separated by a form feed, so that segmentation can tell on which page an item starts
    return "\n\f\n".join("\n".join(lines).strip("\n") for lines in split)
