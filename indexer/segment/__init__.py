"""Segmentation of a document's text into items, by document family.

Families: ``portal`` (meeting-portal pages, :mod:`.portal`), ``protocol`` (``§`` paragraphs,
:mod:`.protocol`), ``agenda`` (kallelser and meeting notes, :mod:`.agenda`) and ``sections``
(plans, reports and other documents, :mod:`.sections`). :func:`segment` detects the family,
removes page furniture (:mod:`.furniture`) and always returns at least one item for a document
with text. Everything here is pure: text in, items out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Item
from indexer.segment.agenda import segment_agenda, table_items
from indexer.segment.common import clean_inline, finish_text, short_title
from indexer.segment.furniture import strip_furniture, strip_page_edges
from indexer.segment.pages import assign_pages, split_pages
from indexer.segment.portal import has_agenda_marks, is_agenda_page, is_portal, segment_agenda_page, segment_portal
from indexer.segment.protocol import (
    declared_range,
    is_regulation,
    paragraph_candidates,
    segment_protocol,
    select_paragraphs,
)
from indexer.segment.sections import segment_sections

FAMILIES = ("portal", "protocol", "agenda", "sections")


@dataclass
class Segmented:
    family: str
    kind: str | None  # what the document's own header calls it (protokoll, kallelse, …), if anything
    items: list[Item]


def header_lines(lines: list[str], count: int = 14) -> list[str]:
    out = []
    for line in lines:
        s = re.sub(r"^#{1,6}\s+", "", clean_inline(line).strip())  # a Markdown heading mark is layout
        if not s or s.startswith("SOURCE: "):
            continue
        out.append(s)
        if len(out) >= count:
            break
    return out


def header_kind(lines: list[str]) -> str | None:
    """The document kind its header states, read from the first short lines."""
    for s in header_lines(lines):
        if len(s) > 90:
            continue
        up = s.upper()
        lead = re.sub(r"\s+", " ", up)
        if re.match(r"^(?:KALLELSE|FÖREDRAGNINGSLISTA|DAGORDNING|ÄRENDELISTA)\b", lead) or re.search(
                r"\b(?:KALLELSE|FÖREDRAGNINGSLISTA|DAGORDNING)\b", s):
            return "kallelse"
        if re.search(r"\b(?:SAMMANTRÄDES|MINNES)?ANTECKNINGAR\b", s) or re.match(
                r"^(?:SAMMANTRÄDES|MINNES)ANTECKNINGAR\b", lead):
            return "anteckningar"
        if re.match(r"^(?:UTDRAG UR PROTOKOLL|PROTOKOLLSUTDRAG)\b", lead):
            return "beslut"
        if (re.search(r"\bSAMMANTRÄDESPROTOKOLL\b", s) or re.match(r"^(?:SAMMANTRÄDES)?PROTOKOLL\b", lead)
                or re.search(r"[–—-]\s*Protokoll\b", s)):
            return "protokoll"
        if re.match(r"^(?:TJÄNSTESKRIVELSE|TJÄNSTEUTLÅTANDE)\b", lead):
            return "tjänsteskrivelse"
        if lead.strip() == "YTTRANDE":
            return "yttrande"
        if re.match(r"^Handling \d{4} nr \d+", s):
            return "handling"
    return None


def detect_family(lines: list[str], kind: str | None = None, clean: list[str] | None = None) -> str:
    """Which segmenter fits: ``lines`` are the document's lines, ``clean`` the same without
    page furniture (computed when not given)."""
    if kind is None:
        kind = header_kind(lines)
    if clean is None:
        clean = strip_furniture(lines)
    if is_portal(lines):
        return "portal"
    if kind in {"kallelse", "anteckningar"}:
        return "agenda"
    if kind in {"tjänsteskrivelse", "yttrande", "handling"}:
        return "sections"
    chosen = select_paragraphs(paragraph_candidates(clean), declared_range(clean), kind == "protokoll")
    if chosen and kind not in {"protokoll", "beslut"} and is_regulation(clean):
        chosen = []  # a taxa's or reglemente's articles (§ 1, § 1.1 …) are sections, not agenda items
    if len(chosen) >= 2 or (len(chosen) == 1 and kind in {"protokoll", "beslut"}):
        return "protocol"
    if len(chosen) == 1:  # an extract that opens with its paragraph ("§ 12 Val av justerare …")
        before = [ln for ln in clean[: chosen[0].line] if ln.strip()]
        if len(before) <= 8:
            return "protocol"
    if kind is None and is_agenda_page(clean):  # a meeting page listing its agenda in headings or a list
        return "portal"
    if table_items(clean):
        return "agenda"
    return "sections"


def segment(text: str, title_hint: str | None = None) -> Segmented:
    lines, pages = split_pages(text.split("\n"))
    kind = header_kind(lines)
    clean = strip_furniture(strip_page_edges(lines, pages))
    family = detect_family(lines, kind, clean)
    items: list[Item] = []
    if family == "portal":
        items = segment_portal(clean)
    elif family == "protocol":
        items = segment_protocol(clean, whole_protocol=kind == "protokoll")
    elif family == "agenda":
        items = segment_agenda(clean, keep_preamble=kind != "kallelse")
        if not items and has_agenda_marks(clean):  # a kallelse whose items are headings ("## 1. Title")
            items = segment_agenda_page(clean)
    if not items:
        family = "sections"
        items = segment_sections(clean, title_hint=title_hint)
    if not items:
        whole = finish_text(clean) or finish_text(lines)
        if whole:
            items = [Item(number=None, paragraph=None, title=title_hint or short_title(whole), text=whole,
                          title_derived=not title_hint)]
    assign_pages(items, lines, pages)
    return Segmented(family, kind, items)


__all__ = ["FAMILIES", "Segmented", "segment", "detect_family", "header_kind"]
