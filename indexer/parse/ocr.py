"""OCR for PDFs without a text layer: poppler's ``pdftoppm`` renders each page, Tesseract reads it
with its Swedish model (Debian's ``tesseract-ocr`` and ``tesseract-ocr-swe``; nothing is downloaded).

Why these tools, measured on generated protocol pages (README, "OCR"): Tesseract is called
directly, once per page, asking for the text and the word table (TSV, with each word's
confidence) in one run. pytesseract wraps the same call (temporary files, a second run for the
confidences) and ocrmypdf writes a new PDF with a text layer, which would then be read again,
and pulls in Ghostscript and more: neither adds anything the index needs. ``pdftoppm`` comes with
``poppler-utils``, whose ``pdftotext`` also reads PDFs beyond pypdf's limits; pypdfium2 would be a
second PDF engine as a Python dependency for the same images.

Pages are read one at a time, so a long file logs its progress per page, and a file with more
pages than ``OcrOptions.max_pages`` is refused before any page is read.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from indexer.parse import ParseError

log = logging.getLogger("motesok.ocr")

INSTALL_HINT = ("install the Debian packages tesseract-ocr, tesseract-ocr-swe and poppler-utils "
                "(scripts/install.sh does), or set MOTESOK_OCR=off")


@dataclass(frozen=True)
class OcrOptions:
    """Whether and how a PDF without a text layer is read (from ``motesok.config``)."""

    enabled: bool = True
    max_pages: int = 100  # a scanned file with more pages is refused (about 1.5–4.5 s a page)
    language: str = "swe"
    dpi: int = 300  # Tesseract reads best at 300 dpi; lower loses diacritics (å, ä, ö) first
    page_timeout_s: int = 120


@dataclass(frozen=True)
class OcrResult:
    pages: list[str]
    confidence: float | None  # mean word confidence over all pages, 0–100; None without words
    seconds: float


def missing_tools(language: str = "swe") -> str | None:
    """What is missing for OCR, or None when Tesseract (with ``language``) and pdftoppm are there."""
    missing = [tool for tool in ("tesseract", "pdftoppm") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found"
    if language not in _languages():
        return f"Tesseract has no {language!r} language model"
    return None


@lru_cache(maxsize=1)
def _languages() -> frozenset[str]:
    try:
        done = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:] if line.strip())


def ocr_pdf(data: bytes, options: OcrOptions, pages: int) -> OcrResult:
    """Each page's recognised text (``pages`` of them) and the mean word confidence."""
    problem = missing_tools(options.language)
    if problem:
        raise ParseError(f"PDF has no text layer (scanned images?) and OCR cannot run: {problem}; {INSTALL_HINT}")
    if pages > options.max_pages:
        raise ParseError(f"PDF has no text layer (scanned images?) and {pages} pages; OCR reads at most "
                         f"{options.max_pages} (MOTESOK_OCR_MAX_PAGES)")
    started = time.perf_counter()
    texts: list[str] = []
    confidences: list[float] = []
    with tempfile.TemporaryDirectory(prefix="motesok-ocr-") as tmp:
        pdf = Path(tmp) / "scan.pdf"
        pdf.write_bytes(data)
        for number in range(1, pages + 1):
            t0 = time.perf_counter()
            image = _render(pdf, number, options, Path(tmp))
            text, words = _recognise(image, options)
            image.unlink(missing_ok=True)
            texts.append(text)
            confidences.extend(words)
            log.info("OCR page %d/%d", number, pages,
                     extra={"page": number, "pages": pages, "words": len(words),
                            "duration_ms": round((time.perf_counter() - t0) * 1000)})
    if not any(t.strip() for t in texts):
        raise ParseError(f"PDF has no text layer and OCR found no text on its {pages} page(s) (blank pages?)")
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return OcrResult(repair_paragraph_signs(texts), confidence, time.perf_counter() - started)


# Tesseract's Swedish model reads a printed "§" at the start of a line as "8" (also "$", "S"):
# "8 114 Detaljplan …". Such lines are taken for paragraph heads only as a sequence: at least two,
# their numbers rising by small steps, as a protocol's § numbers do (a line that starts with an
# amount or a count does not form one).
_SIGN_CANDIDATE = re.compile(r"^(?P<sign>[8$S5])\s?(?P<number>\d{1,4})(?P<suffix>\s?[a-z])?(?=\s+[A-ZÅÄÖ])", re.M)
_MAX_STEP = 5


def repair_paragraph_signs(pages: list[str]) -> list[str]:
    """The pages with a misread "§" restored where the candidate lines form a § sequence."""
    found = [(p, m) for p, text in enumerate(pages) for m in _SIGN_CANDIDATE.finditer(text)]
    if len(found) < 2:
        return pages
    numbers = [int(m.group("number")) for _, m in found]
    rising = sum(1 for a, b in zip(numbers, numbers[1:]) if 0 <= b - a <= _MAX_STEP)
    if rising < max(1, (len(numbers) - 1) * 3 // 4):  # mostly a sequence, or not § heads at all
        return pages
    repaired = list(pages)
    for page in sorted({p for p, _ in found}):
        repaired[page] = _SIGN_CANDIDATE.sub(lambda m: f"§ {m.group('number')}{m.group('suffix') or ''}",
                                             repaired[page])
    return repaired


def _render(pdf: Path, page: int, options: OcrOptions, folder: Path) -> Path:
    """One page as a grayscale image (PGM): what Tesseract binarises itself."""
    root = folder / f"page-{page}"
    _run(["pdftoppm", "-q", "-r", str(options.dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile",
          str(pdf), str(root)], options, f"render page {page}")
    image = root.with_suffix(".pgm")
    if not image.is_file():
        raise ParseError(f"corrupt PDF (page {page} could not be rendered for OCR)")
    return image


def _recognise(image: Path, options: OcrOptions) -> tuple[str, list[float]]:
    """The page's text (lines, blank lines between paragraphs) and its words' confidences, from
    one Tesseract run writing both the plain text and the TSV word table."""
    out = image.with_suffix("")
    _run(["tesseract", str(image), str(out), "-l", options.language, "--psm", "3", "txt", "tsv"],
         options, f"read {image.name}")
    text = out.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
    confidences = []
    with out.with_suffix(".tsv").open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row.get("level") == "5" and (row.get("text") or "").strip():
                try:
                    conf = float(row["conf"])
                except (TypeError, ValueError):
                    continue
                if conf >= 0:
                    confidences.append(conf)
    return text.replace("\f", "").rstrip() + "\n", confidences


def _run(command: list[str], options: OcrOptions, what: str) -> None:
    # one thread per Tesseract: its OpenMP threads slow it down on shared cores
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, capture_output=True, timeout=options.page_timeout_s, env=env)
    except subprocess.TimeoutExpired:
        raise ParseError(f"OCR: could not {what} within {options.page_timeout_s} s") from None
    except OSError as exc:
        raise ParseError(f"OCR cannot run ({command[0]}: {exc.strerror}); {INSTALL_HINT}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        raise ParseError(f"OCR: could not {what} ({command[0]} exit code {done.returncode}: {detail[0][:200]})")


__all__ = ["INSTALL_HINT", "OcrOptions", "OcrResult", "missing_tools", "ocr_pdf"]
