"""Meeting-portal pages: agenda items are the top-level ``•`` bullets.

The portal prints an item's number only on a few bullets (``•   2`` followed by the item's
title); the other items show just their description. Numbers of those are inferred from the
printed ones (``number_inferred``). A numbered bullet whose title is a heading such as
``TILL FULLMÄKTIGE`` or ``Informationer`` opens a section (``Item.section``) instead of being an
item. More deeply indented bullets are lists inside the current item. A block of text after an
item's ``Bilagor`` line that is not inside any bullet is an item whose bullet the page lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.records import Item
from indexer.segment.common import clean_inline, finish_text, short_title

BULLET_RE = re.compile(r"^(\s*)•\s?(.*)$")
NUMBER_BULLET_RE = re.compile(r"^\s*•\s*(\d{1,3})\s*$")
SECTION_NAMES = {
    "informationer", "informationsärenden", "information", "beslutsärenden", "anmälningsärenden",
    "ärenden till fullmäktige", "till fullmäktige", "valärenden", "övriga ärenden", "meddelanden",
    "delgivningar", "rapporter", "till regionfullmäktige", "till kommunfullmäktige",
}


@dataclass
class _Entry:
    number: int | None
    numbered: bool
    lines: list[str] = field(default_factory=list)
    is_section: bool = False
    title: str = ""
    inferred: bool = False


_MEETING_LINE = re.compile(r"^(?:#{1,6}\s+)?(?:Möte|Mötesdatum|Sammanträde|Sammanträdesdatum)\s*:?\s*"
                           r"\d{4}-\d{2}-\d{2}\b", re.I)
MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
# "1. Title", "1 Title", "§ 1 Title", "Ärende 1: Title", "Punkt 1 – Title"
_HEADING_NUMBER = re.compile(r"^(?:(?:Ärende|Punkt|Nr)\s+)?§?\s*(\d{1,3})(?:[.:)]\s*|\s+[–-]\s+|\s+)(?=\S)(.*)$", re.I)


def _meeting_page(lines: list[str]) -> bool:
    head = [clean_inline(ln).strip() for ln in lines if ln.strip()][:15]
    chrome = any(s.lower() == "hoppa över navigering" for s in head[:3])
    return chrome or any(_MEETING_LINE.match(s) for s in head)


def is_portal(lines: list[str]) -> bool:
    """The meeting portal's bullet layout (``•   2`` numbers on their own bullets)."""
    bullets = [ln for ln in lines if BULLET_RE.match(ln)]
    numbered = [ln for ln in lines if NUMBER_BULLET_RE.match(ln)]
    chrome = any(clean_inline(ln).strip().lower() == "hoppa över navigering" for ln in lines[:5])
    meeting_line = any(re.match(r"^\s*Möte \d{4}-\d{2}-\d{2}\s*$", ln) for ln in lines[:10])
    return len(bullets) >= 3 and (bool(numbered) or chrome or meeting_line)


def is_agenda_page(lines: list[str]) -> bool:
    """A meeting page (portal chrome, ``Möte``/``Sammanträde`` and a date in its head) whose agenda
    is in headings or in a list, numbered or not."""
    return _meeting_page(lines) and has_agenda_marks(lines)


def has_agenda_marks(lines: list[str]) -> bool:
    """At least two agenda headings or list entries (see :func:`segment_agenda_page`)."""
    return sum(1 for m in _agenda_marks(lines) if m[4]) >= 2


_ENTRY = re.compile(r"^(\s*)(?:(\d{1,3})[.)]|•)\s+(\S.*)$")


def _agenda_headings(lines: list[str]) -> list[tuple[int, str]]:
    """The page's agenda headings: Markdown headings of the level that holds most of them below
    the page title (numbered or not), as (line, heading text)."""
    heads = [(i, len(m.group(1)), clean_inline(m.group(2)).strip().strip("*").strip())
             for i, ln in enumerate(lines) if (m := MD_HEADING.match(ln))]
    heads = [h for h in heads if h[2]]
    if not heads:
        return []
    top = min(h[1] for h in heads)
    levels = [lv for _, lv, _ in heads if lv > top]
    if not levels:
        if len(heads) == 1:
            return []  # the page's title
        levels = [top]
    # the agenda level: where numbered headings are, else the most frequent level below the title
    numbered = [lv for _, lv, t in heads if lv in levels and _HEADING_NUMBER.match(t)]
    pick = numbered or levels
    level = max(set(pick), key=pick.count)
    return [(i, t) for i, lv, t in heads if lv == level]


def _top_entries(lines: list[str]) -> list[tuple[int, int | None, str]]:
    """Top-level list entries (``1. Title``, ``• Title``) as (line, number, text)."""
    found = [(i, m) for i, ln in enumerate(lines) if (m := _ENTRY.match(ln))]
    if not found:
        return []
    top = min(len(m.group(1)) for _, m in found)
    return [(i, int(m.group(2)) if m.group(2) else None, m.group(3)) for i, m in found if len(m.group(1)) == top]


def _groups_list(lines: list[str], start: int, end: int, entries: list[tuple[int, int | None, str]]) -> bool:
    """A heading with nothing but list entries below it groups items (``## Informationsärenden``)."""
    inside = [i for i, _, _ in entries if start < i < end]
    if len(inside) < 2:
        return False
    return not any(lines[j].strip() for j in range(start + 1, inside[0]))


def _agenda_marks(lines: list[str]) -> list[tuple[int, int | None, str, bool, bool]]:
    """Where agenda items start: (line, number, title, is a heading, is an item). Agenda-level
    headings are the items unless most of them only group list entries: then the entries are the
    items and such a heading names their section."""
    heads = _agenda_headings(lines)
    entries = _top_entries(lines)
    spans = [(h, heads[k + 1][0] if k + 1 < len(heads) else len(lines), t) for k, (h, t) in enumerate(heads)]
    grouping = [(h, e, t) for h, e, t in spans if _groups_list(lines, h, e, entries)]
    list_agenda = len(entries) >= 2 and (len(heads) < 2 or 2 * len(grouping) >= len(heads))
    marks: list[tuple[int, int | None, str, bool, bool]] = []
    for h, e, t in spans:
        m = _HEADING_NUMBER.match(t)
        number, title = (int(m.group(1)), m.group(2).strip()) if m else (None, t)
        if list_agenda:
            marks.append((h, number, title, True, False))  # a section over the entries
        else:
            body = [ln for ln in lines[h + 1:e] if ln.strip()]
            marks.append((h, number, title, True, bool(body) and (h, e, t) not in grouping))
    if list_agenda:
        marks += [(i, n, clean_inline(t).strip().strip("*").strip(), False, True) for i, n, t in entries]
    return sorted(marks)


def segment_agenda_page(lines: list[str]) -> list[Item]:
    """A meeting page whose agenda is in headings or a list: every agenda heading or entry is an
    item, numbered (``1. Val av justerare``) or not (``Information om …``); a heading that only
    groups items (``Informationsärenden``) names their section."""
    marks = _agenda_marks(lines)
    items: list[Item] = []
    section: str | None = None
    for k, (start, number, title, _is_heading, is_item) in enumerate(marks):
        if not is_item:
            section = title
            continue
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        body = [_flat(ln) for ln in lines[start + 1:end]]
        first = re.sub(r"^\s*(?:#{1,6}\s+|(?:\d{1,3}[.)]|•)\s+)", "", lines[start])
        text = finish_text([first, ""] + body)
        if text:
            items.append(Item(number=number, paragraph=None, title=title, text=text, section=section))
    return items


def segment_portal(lines: list[str]) -> list[Item]:
    if not is_portal(lines) and is_agenda_page(lines):
        return segment_agenda_page(lines)
    bullet_indents = [len(m.group(1)) for ln in lines if (m := BULLET_RE.match(ln))]
    if not bullet_indents:
        return []
    top = min(bullet_indents)
    entries: list[_Entry] = []
    current: _Entry | None = None
    after_attachments = False
    for line in lines:
        m = BULLET_RE.match(line)
        if m and len(m.group(1)) <= top:
            content = m.group(2).strip()
            nm = re.fullmatch(r"(\d{1,3})", content)
            nt = None if nm else re.match(r"^(\d{1,3})[.)]?\s+(?=[A-ZÅÄÖ\"”])(.+)$", content)  # "• 2 Title"
            if nt:
                current = _Entry(int(nt.group(1)), True, [nt.group(2).strip()])
            else:
                current = _Entry(int(nm.group(1)) if nm else None, bool(nm), [] if nm else [content])
            entries.append(current)
            after_attachments = False
            continue
        if current is None:
            continue  # page header before the first item (meeting date, body, time and place)
        s = clean_inline(line).strip()
        if not s:
            current.lines.append("")
            continue
        if s == "Bilagor":
            current.lines.append(line)
            after_attachments = True
            continue
        if after_attachments and not m:
            current = _Entry(None, False, [_flat(line)])
            entries.append(current)
            after_attachments = False
            continue
        current.lines.append(_flat(line))
    for e in entries:
        _finish_entry(e)
    _infer_numbers(entries)
    items: list[Item] = []
    section: str | None = None
    for e in entries:
        if e.is_section:
            section = e.title
            continue
        text_lines = list(e.lines)
        stripped = [clean_inline(ln).strip() for ln in text_lines]
        if any(s and s != "Bilagor" for s in stripped):
            text_lines = [ln for ln, s in zip(text_lines, stripped) if s != "Bilagor"]
        text = finish_text(text_lines)
        if not text:
            continue
        if e.numbered:
            title, derived = e.title, False
        else:
            title, derived = short_title(text), True
        items.append(Item(number=e.number, paragraph=None, title=title or text[:80], text=text,
                          title_derived=derived, number_inferred=e.inferred, section=section))
    return items


def _flat(line: str) -> str:
    """Nested bullets as ``• text``, other lines without their indentation."""
    m = BULLET_RE.match(line)
    if m:
        return "• " + m.group(2).strip()
    return line.strip()


def _finish_entry(e: _Entry) -> None:
    if not e.numbered:
        return
    content = [clean_inline(ln).strip() for ln in e.lines if clean_inline(ln).strip()]
    e.title = content[0] if content else ""
    if not e.title:
        e.is_section = False
        e.lines = [f"Punkt {e.number}"]
        e.title = f"Punkt {e.number}"
        return
    heading_like = e.title.lower() in SECTION_NAMES or (e.title.isupper() and len(e.title) > 3)
    e.is_section = heading_like and len(content) == 1


def _infer_numbers(entries: list[_Entry]) -> None:
    numbers = {k: e.number for k, e in enumerate(entries) if e.number is not None}  # the anchors
    if not numbers:
        for k, e in enumerate(entries):
            e.number, e.inferred = k + 1, True
        return
    anchors = list(numbers)
    first = anchors[0]
    for k in range(first):
        n = numbers[first] - (first - k)
        entries[k].number, entries[k].inferred = (n, True) if n >= 1 else (None, False)
    for a, b in zip(anchors, anchors[1:]):
        for k in range(a + 1, b):
            n = numbers[a] + (k - a)
            entries[k].number, entries[k].inferred = (n, True) if n < numbers[b] else (None, False)
    last = anchors[-1]
    for k in range(last + 1, len(entries)):
        entries[k].number, entries[k].inferred = numbers[last] + (k - last), True
