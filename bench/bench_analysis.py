"""Analyzer throughput over the sample corpus (a script, not a test).

    python bench/bench_analysis.py [--repeat N] [--files GLOB ...]

Items are the corpus's paragraphs (blocks between blank lines) from ``corpus/*.txt`` (and
``corpus/extra/*.txt`` with ``--extra``). Reports the analyzer's start-up time, then
``index_terms`` items/s and words/s on the first pass (cold per-word caches: every new word
is lemmatised and compound-split) and on later passes (warm caches, which is what a large
index run sees after its first few thousand items), plus ``analyze`` (Token objects) and
``query`` rates. Runs single-threaded.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def paragraphs(files: list[Path]) -> list[str]:
    out = []
    for f in files:
        for block in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
            block = block.strip()
            if block:
                out.append(block)
    return out


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "inf"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="warm passes (default 3)")
    ap.add_argument("--extra", action="store_true", help="also corpus/extra/*.txt")
    args = ap.parse_args()

    files = sorted((ROOT / "corpus").glob("*.txt"))
    if args.extra:
        files += sorted((ROOT / "corpus" / "extra").glob("*.txt"))
    items = paragraphs(files)
    chars = sum(map(len, items))

    t0 = time.perf_counter()
    from models.analysis import SwedishAnalyzer

    analyzer = SwedishAnalyzer()
    startup = time.perf_counter() - t0
    print(f"corpus: {len(files)} files, {len(items)} paragraphs, {chars:,} chars")
    print(f"start-up (import + dictionaries + lemma table): {startup:.2f} s")

    t = time.perf_counter()
    n_terms = sum(len(analyzer.index_terms(p).split()) for p in items)
    cold = time.perf_counter() - t
    words = sum(1 for p in items for _ in analyzer._pieces(p))
    print(f"index_terms, first pass (cold caches): {cold:.3f} s  {rate(len(items), cold)} items  "
          f"{rate(words, cold)} words  ({n_terms:,} terms out)")

    best = float("inf")
    for _ in range(max(1, args.repeat)):
        t = time.perf_counter()
        for p in items:
            analyzer.index_terms(p)
        best = min(best, time.perf_counter() - t)
    print(f"index_terms, warm caches (best of {args.repeat}): {best:.3f} s  {rate(len(items), best)} items  "
          f"{rate(words, best)} words")

    t = time.perf_counter()
    for p in items:
        analyzer.analyze(p)
    dt = time.perf_counter() - t
    print(f"analyze (Token objects), warm: {dt:.3f} s  {rate(len(items), dt)} items")

    queries = [" ".join(p.split()[:4]) for p in items]
    t = time.perf_counter()
    for q in queries:
        analyzer.query(q)
    dt = time.perf_counter() - t
    print(f"query (4-word queries), warm: {dt:.3f} s  {rate(len(queries), dt)} queries")

    # What a 100k-item run costs at the warm rate, the cold rate being paid once per new word.
    print(f"estimate for 100,000 items of this size: ~{100_000 / (len(items) / best):.0f} s warm, "
          f"~{100_000 / (len(items) / cold):.0f} s if every item were as new as the first pass")


if __name__ == "__main__":
    main()
