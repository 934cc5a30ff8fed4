"""Snippets: a window of the original item text with the matched words marked."""

from __future__ import annotations

import html
from bisect import bisect_right

SNIPPET_CHARS = 280


def best_window(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> tuple[int, int]:
    """The ``width``-character window holding the most highlighted spans (earliest on ties)."""
    if len(text) <= width or not spans:
        return 0, min(len(text), width)
    # spans are sorted and disjoint, so their ends ascend too: the spans a window opening at
    # span i holds are i up to the last one ending inside it (a bisection, not a rescan: long
    # items can have hundreds of matches)
    ends = [e for _, e in spans]
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        count = bisect_right(ends, start + width, lo=i) - i
        if count > best_count:
            best_start, best_count = start, count
    # Give the first match some left context, start at a word boundary.
    start = max(0, best_start - width // 4)
    if start > 0:
        space = text.find(" ", start)
        if 0 <= space < best_start:
            start = space + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start + width // 2:
            end = space
    return start, end


def render_snippet(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> str:
    """HTML-escaped snippet with ``<mark>`` around matches; ``…`` where text was cut."""
    start, end = best_window(text, spans, width)
    parts: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        parts.append(html.escape(text[cursor:s]))
        parts.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append("…")
    return " ".join("".join(parts).split())
