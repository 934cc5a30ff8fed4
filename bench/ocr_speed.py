"""OCR cost and quality: seconds per page and character accuracy of the OCR text against the text
version, on scans made from text PDFs (the generated protocol of ``tests/test_ocr.py`` and sample
protocol 003 of ``corpus/``), at 200 and 300 dpi; and one page's render and recognition times, with
Tesseract on one thread and on its default OpenMP threads.

    python bench/ocr_speed.py

Needs tesseract-ocr, tesseract-ocr-swe and poppler-utils (scripts/install.sh installs them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.parse.ocr import OcrOptions  # noqa: E402
from indexer.parse.pdf import read_pdf  # noqa: E402
from tests.parse_helpers import make_pdf  # noqa: E402
from tests.test_ocr import character_accuracy, protocol_pages, scanned_pdf  # noqa: E402


def corpus_pages(name: str = "003_2881339b2791bead.txt", per_page: int = 50) -> list[list[str]]:
    lines: list[str] = []
    for line in (ROOT / "corpus" / name).read_text(encoding="utf-8").splitlines():
        lines.extend(textwrap.wrap(line.replace("•", "-"), 78) or [""])  # Helvetica/WinAnsi has no bullet glyph
    return [lines[i:i + per_page] for i in range(0, len(lines), per_page)]


def main() -> None:
    for name, pages in (("generated protocol", protocol_pages()), ("sample protocol 003", corpus_pages())):
        text_pdf = make_pdf(pages)
        with tempfile.TemporaryDirectory() as folder:
            scan = scanned_pdf(text_pdf, Path(folder))
        reference = read_pdf(text_pdf).text
        for dpi in (200, 300):
            started = time.perf_counter()
            got = read_pdf(scan, OcrOptions(dpi=dpi, max_pages=1000))
            per_page = (time.perf_counter() - started) / len(pages)
            print(f"{name}: {len(pages)} pages at {dpi} dpi: {per_page:.2f} s a page, character accuracy "
                  f"{character_accuracy(reference, got.text):.4f}, mean word confidence {got.ocr_confidence}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scan.pdf").write_bytes(scanned_pdf(make_pdf(corpus_pages()[:1]), folder))
        started = time.perf_counter()
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-singlefile",
                        str(folder / "scan.pdf"), str(folder / "page")],
                       check=True)
        render = time.perf_counter() - started
        times = {}
        for label, threads in (("one thread", {"OMP_THREAD_LIMIT": "1"}), ("OpenMP default", {})):
            env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"} | threads
            started = time.perf_counter()
            subprocess.run(["tesseract", str(folder / "page.pgm"), str(folder / "out"), "-l", "swe", "txt", "tsv"],
                           check=True, capture_output=True, env=env)
            times[label] = time.perf_counter() - started
        print(f"one full page at 300 dpi: pdftoppm {render:.2f} s; tesseract "
              + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in times.items()))


if __name__ == "__main__":
    main()
