"""Page numbers of items: a document's text marks page breaks with form-feed lines; each item
gets the page on which its text starts and ends.

Segmenters build item text from the document's lines (markup removed, edges trimmed), so an
item is found again by looking up its first and last text lines in order; the lookup runs on
from the previous item, so a line repeated elsewhere (a title in the table of contents) is not
mistaken for the item.
"""

from __future__ import annotations

from indexer.records import Item
from indexer.segment.common import clean_inline

PAGE_BREAK = "\f"


def split_pages(lines: list[str]) -> tuple[list[str], list[int]]:
    """Lines with page breaks blanked (line positions kept) and the 1-based page of each line."""
    out, pages, page = [], [], 1
    for line in lines:
        if line.strip(" \t") == PAGE_BREAK:
            out.append("")
            pages.append(page)
            page += 1
            continue
        out.append(line)
        pages.append(page)
    return out, pages


def _key(line: str) -> str:
    return " ".join(clean_inline(line).split())


def assign_pages(items: list[Item], lines: list[str], pages: list[int]) -> None:
    """Set ``page_start``/``page_end`` of ``items`` (in document order) from where their text is."""
    if not pages or pages[-1] == 1:
        return  # one page, or no page breaks known
    keys = [_key(ln) for ln in lines]
    cursor = 0
    for item in items:
        text_lines = [_key(ln) for ln in item.text.split("\n") if ln.strip()]
        if not text_lines:
            continue
        start = _find(keys, text_lines[0], cursor)
        if start is None:
            continue
        end = start
        last = _find(keys, text_lines[-1], start) if len(text_lines) > 1 else start
        if last is not None:
            end = last
        item.page_start, item.page_end = pages[start], pages[end]
        cursor = start + 1 if last is None else max(start + 1, end)


def _find(keys: list[str], key: str, start: int) -> int | None:
    for i in range(start, len(keys)):
        if keys[i] == key:
            return i
    # a line joined by the segmenter (a wrapped title): match its beginning
    for i in range(start, len(keys)):
        if keys[i] and key.startswith(keys[i]) and len(keys[i]) >= 12:
            return i
    return None
