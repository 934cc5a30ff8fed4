"""Plans, reports, officials' reports and other non-meeting documents: items are sections.

Headings are Markdown headings when the document has them, else numbered headings
(``2.1 Verksamhetens utveckling``), else short stand-alone lines that read like headings. Every
heading starts a section; sections with little text of their own are merged — a heading that
only introduces its subsections hands its text on to the first of them, other small sections
join the section before — so items are neither tiny nor the whole document. A section that is
still very long (a document without headings) is cut at paragraph boundaries, preferably where a
paragraph opens with a heading word (``Sammanfattning``, ``Stadsledningskontorets bedömning`` …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Item
from indexer.segment.common import clean_inline, finish_text, is_label, short_title
from indexer.segment.furniture import is_toc_line

MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
NUM_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\s+([A-ZÅÄÖ][^\t]{1,120})$")
MIN_BODY = 300  # characters of text a section needs to stand on its own
MAX_ITEM = 6000  # longer items are cut at paragraph boundaries ...
TARGET = 3000  # ... into parts of about this size
INLINE_HEADS = [
    "Sammanfattning av ärendet", "Sammanfattning", "Beskrivning av ärendet", "Ärendet", "Bakgrund",
    "Bedömning ur ekonomisk dimension", "Bedömning ur ekologisk dimension", "Bedömning ur social dimension",
    "Bedömning utifrån barnrättsperspektivet", "Stadsledningskontorets bedömning", "Förvaltningens bedömning",
    "Nämndens bedömning", "Förslag till beslut", "Tjänsteutlåtande", "Yttrande", "Bilaga", "Motion",
    "Remissvar", "Utdrag ur protokoll", "Kommunstyrelsens förslag", "Beslutsunderlag", "Samlad bedömning",
]


@dataclass
class Heading:
    line: int
    end: int  # first line after the heading (headings may wrap)
    level: int
    title: str


def _md_headings(lines: list[str]) -> list[Heading]:
    out = []
    for i, line in enumerate(lines):
        m = MD_HEADING.match(line)
        if m:
            title = clean_inline(m.group(2)).strip().strip("*").strip()
            if title:
                out.append(Heading(i, i + 1, len(m.group(1)), title))
    return out


def _numbered_headings(lines: list[str]) -> list[Heading]:
    out: list[Heading] = []
    last: tuple[int, ...] = ()
    for i, line in enumerate(lines):
        s = clean_inline(line).strip()
        m = NUM_HEADING.match(s)
        if not m or is_toc_line(line):
            continue
        title = m.group(2).strip()
        if re.search(r"[.,;]$", title) or len(title.split()) > 14 or re.search(r"\s{3,}", title):
            continue
        number = tuple(int(x) for x in m.group(1).split("."))
        if last and number <= last:
            continue
        end = i + 1
        if (end < len(lines) and lines[end].strip() and re.match(r"^[a-zåäö]", lines[end].strip())
                and len(lines[end].strip()) <= 60 and not re.search(r"[.:;]$", title)):
            title = f"{title} {lines[end].strip()}"
            end += 1
        out.append(Heading(i, end, len(number), f"{m.group(1)} {title}"))
        last = number
    return out


def _is_plain_heading(lines: list[str], i: int, prev_heading: bool) -> bool:
    raw = lines[i]
    s = clean_inline(raw).strip()
    if not (2 <= len(s) <= 70) or not s[0].isupper():
        return False
    if re.search(r"[.,;:]$", s) or len(s.split()) > 9 or "\t" in raw or re.search(r"\s{3,}", s):
        return False
    if re.match(r"^[•\-–*|#>]", s) or re.fullmatch(r"[\d\s.,:%()/-]+", s) or is_toc_line(raw):
        return False
    if len(raw) - len(raw.lstrip(" ")) > 6 or re.match(r"^[A-ZÅÄÖ][\w ]{1,25}:\s+\S", s):
        return False  # column layouts and "Label: value" lines
    if sum(ch.isdigit() for ch in s) > len(s) / 3:
        return False
    if i > 0 and lines[i - 1].strip() and not prev_heading:
        prev = clean_inline(lines[i - 1]).strip()
        if not re.search(r"[.!?:”\"»)]$", prev):
            return False
    nxt = next((ln for ln in lines[i + 1:] if ln.strip()), None)
    if nxt is None:
        return False
    nxt_s = clean_inline(nxt).strip()
    if i + 1 < len(lines) and lines[i + 1].strip() and re.match(r"^[a-zåäö]", nxt_s):
        return False  # the line continues a sentence
    return True


def _plain_headings(lines: list[str]) -> list[Heading]:
    out: list[Heading] = []
    prev_heading = False
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if _is_plain_heading(lines, i, prev_heading):
            out.append(Heading(i, i + 1, 1, clean_inline(line).strip()))
            prev_heading = True
        else:
            prev_heading = False
    return out


def find_headings(lines: list[str]) -> list[Heading]:
    md = _md_headings(lines)
    if len(md) >= 2:
        return md
    numbered = _numbered_headings(lines)
    if len(numbered) >= 3:
        return numbered
    return _plain_headings(lines)


def _remove_toc(lines: list[str]) -> list[str]:
    out = list(lines)
    n = len(out)
    for i, line in enumerate(out):
        s = clean_inline(line).strip().lstrip("#").strip().lower()
        if s in {"innehåll", "innehållsförteckning", "innehållsförteckning:"}:
            out[i] = ""
            j = i + 1
            while j < n:
                if not out[j].strip() or is_toc_line(out[j]):
                    out[j] = ""
                    j += 1
                    continue
                # a wrapped entry: its page number is on the next line
                if j + 1 < n and is_toc_line(out[j + 1]) and len(out[j].strip()) < 120:
                    out[j] = ""
                    j += 1
                    continue
                break
    return ["" if is_toc_line(ln) else ln for ln in out]


@dataclass
class _Section:
    heading: Heading | None
    body: list[str]
    parent: str | None

    @property
    def body_chars(self) -> int:
        return sum(len(ln.strip()) for ln in self.body if not MD_HEADING.match(ln))

    def lines(self) -> list[str]:
        head = [self.heading.title, ""] if self.heading else []
        return head + self.body


def segment_sections(lines: list[str], title_hint: str | None = None) -> list[Item]:
    lines = _remove_toc(lines)
    headings = find_headings(lines)
    sections: list[_Section] = []
    first = headings[0].line if headings else len(lines)
    pre = lines[:first]
    if any(ln.strip() for ln in pre):
        sections.append(_Section(None, pre, None))
    stack: list[Heading] = []
    for k, h in enumerate(headings):
        end = headings[k + 1].line if k + 1 < len(headings) else len(lines)
        while stack and stack[-1].level >= h.level:
            stack.pop()
        parent = stack[-1].title if stack else None
        sections.append(_Section(h, lines[h.end:end], parent))
        stack.append(h)
    # merge sections with little text of their own
    merged: list[tuple[_Section, list[str]]] = []
    carry: list[str] = []
    carry_parent: str | None = None
    for k, s in enumerate(sections):
        nxt = sections[k + 1] if k + 1 < len(sections) else None
        own = s.lines()
        if s.body_chars >= MIN_BODY or (nxt is None and not merged):
            if carry:
                own = carry + [""] + own
                if s.parent is None and carry_parent:
                    s.parent = carry_parent
            merged.append((s, own))
            carry, carry_parent = [], None
            continue
        introduces = (nxt is not None and s.heading is not None and nxt.heading is not None
                      and nxt.heading.level > s.heading.level)
        if introduces or not merged or s.heading is None:
            carry = carry + ([""] if carry else []) + own
            if introduces and s.heading is not None:
                carry_parent = carry_parent or s.heading.title
        else:
            merged[-1] = (merged[-1][0], merged[-1][1] + [""] + carry + own)
            carry = []
    if carry:
        if merged:
            merged[-1] = (merged[-1][0], merged[-1][1] + [""] + carry)
        else:
            merged.append((_Section(None, carry, None), carry))
    items: list[Item] = []
    for s, text_lines in merged:
        text = finish_text(text_lines)
        if not text:
            continue
        if s.heading is not None:
            title, derived = s.heading.title, False
        else:
            title, derived = (title_hint, False) if title_hint else (short_title(text), True)
        items.extend(_split_long(Item(number=None, paragraph=None, title=title or short_title(text), text=text,
                                      title_derived=derived, section=s.parent)))
    return items


def _inline_head(paragraph: str) -> str | None:
    s = paragraph.lstrip()
    for head in INLINE_HEADS:
        if s.startswith(head + " ") or s.startswith(head + "\n") or s == head:
            return head
    return None


def _split_long(item: Item) -> list[Item]:
    if len(item.text) <= MAX_ITEM:
        return [item]
    paragraphs = [p for p in re.split(r"\n\s*\n", item.text) if p.strip()]
    if len(paragraphs) < 2:
        paragraphs = [p for p in re.split(r"(?<=[.!?])\n", item.text) if p.strip()]
    chunks: list[list[str]] = [[]]
    size = 0
    for p in paragraphs:
        head = _inline_head(p)
        if chunks[-1] and (size >= TARGET and (head or size + len(p) > MAX_ITEM) or size + len(p) > MAX_ITEM):
            chunks.append([])
            size = 0
        chunks[-1].append(p)
        size += len(p)
    if len(chunks) == 1:
        return [item]
    out = []
    for k, chunk in enumerate(chunks):
        text = "\n\n".join(chunk).strip()
        if k == 0:
            out.append(Item(number=item.number, paragraph=item.paragraph, title=item.title, text=text,
                            title_derived=item.title_derived, section=item.section))
            continue
        head = _inline_head(chunk[0])
        title = head if head and not is_label(head) else short_title(text)
        out.append(Item(number=None, paragraph=None, title=title, text=text, title_derived=True,
                        section=item.title if item.section is None else item.section))
    return out
