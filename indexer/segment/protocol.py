"""Protocols and protocol extracts: one item per ``§``.

A line starting with ``§ N`` starts an item only when it really is a paragraph heading: a
wrapped reference (``§ 115 och den 26 februari``, ``§ 171.``) or an attendance note
(``controller,`` / ``§ 44``) does not; a table of contents listing the same paragraphs first
does not create duplicates (entries with dot leaders are dropped, and of several candidates
for one number the one with the most text wins); and the paragraphs kept must increase.
Text before the first paragraph (attendance, information points) becomes one item when it has
real content; appendices after the last paragraph (``Bilaga 1`` …) become items of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Item
from indexer.segment.common import clean_inline, finish_text, is_label, read_title
from indexer.segment.furniture import is_toc_line

PARA_RE = re.compile(r"^\s*(?:\*\*)?\s*§\s*(\d{1,4})(?![\d:])(.*)$")
CASE_IN_HEAD = re.compile(
    r"(?:Ärendenummer|Ärende nr|Dnr\.?|Diarienummer|Diarienr)[:.]?\s*([A-ZÅÄÖ0-9][\w/.:\-–]*\w)", re.I)
_CONTINUATION_END = re.compile(r"(?:,|\b(?:och|samt|den|i|enligt|se|jfr|från|till|av|om|§))$", re.I)
_SIGNATURE = re.compile(r"^(?:Justeras|Justerat|Justering|Underskrifter|Vid protokollet|Sekreterare\b|"
                        r"Protokollet justeras|Justerandes signatur)", re.I)
_APPENDIX = re.compile(r"^Bilaga\s+(\d{1,2})\s*$")
PREAMBLE_TITLE = "Inledning och närvarande"


@dataclass
class _Candidate:
    line: int
    number: int
    rest: str
    case: str | None
    block_chars: int = 0
    toc: bool = False


def paragraph_candidates(lines: list[str]) -> list[_Candidate]:
    """Every line that may start a ``§`` item, with its block size measured to the next one."""
    cands: list[_Candidate] = []
    prev = ""
    for i, line in enumerate(lines):
        m = PARA_RE.match(line)
        if m:
            rest = clean_inline(m.group(2)).strip()
            ok = not (rest and (rest[0] in ".,;:)]/" or rest[0].islower()))
            if ok and prev and _CONTINUATION_END.search(prev) and not is_label(prev) \
                    and not CASE_IN_HEAD.search(rest):
                ok = False
            if ok:
                case = None
                cm = CASE_IN_HEAD.search(rest)
                if cm:
                    case = cm.group(1).rstrip(".,;")
                cands.append(_Candidate(i, int(m.group(1)), m.group(2), case))
        if line.strip():
            prev = clean_inline(line).strip()
    for k, c in enumerate(cands):
        end = cands[k + 1].line if k + 1 < len(cands) else len(lines)
        block = lines[c.line:end]
        c.toc = any(is_toc_line(b) for b in block) and _chars(block) < 500
        c.block_chars = _chars([b for b in block if not is_toc_line(b)])
    return cands


def _chars(lines: list[str]) -> int:
    return sum(len(ln.strip()) for ln in lines)


def select_paragraphs(cands: list[_Candidate]) -> list[_Candidate]:
    """Drop table-of-contents entries and stray references; keep an increasing sequence."""
    pool = [c for c in cands if not c.toc]
    if any(c.case for c in pool):  # the document heads its paragraphs with case numbers
        pool = [c for c in pool if c.case or clean_inline(c.rest).strip()]
    pool = [c for c in pool if c.case or c.rest.strip() or c.block_chars >= 80]
    pool = [c for c in pool if c.block_chars >= 12]
    best: dict[int, _Candidate] = {}
    for c in pool:
        if c.number not in best or c.block_chars > best[c.number].block_chars:
            best[c.number] = c
    pool = sorted(best.values(), key=lambda c: c.line)
    if not pool:
        return []
    # longest increasing subsequence by paragraph number, weighted by text size
    score = [c.block_chars + 1000 for c in pool]
    back = [-1] * len(pool)
    for i in range(len(pool)):
        for j in range(i):
            if pool[j].number < pool[i].number and score[j] + pool[i].block_chars + 1000 > score[i]:
                score[i] = score[j] + pool[i].block_chars + 1000
                back[i] = j
    i = max(range(len(pool)), key=lambda k: score[k])
    chosen = []
    while i >= 0:
        chosen.append(pool[i])
        i = back[i]
    return list(reversed(chosen))



def _head(lines: list[str], c: _Candidate) -> tuple[str, list[str], int]:
    raw = lines[c.line].strip()
    rest = clean_inline(c.rest).strip()
    cases = []
    m = CASE_IN_HEAD.search(rest)
    if m:
        cases.append(m.group(1).rstrip(".,;"))
        rest = (rest[: m.start()] + " " + rest[m.end():]).strip(" ,–-")
    bold = raw.startswith("**") or c.rest.strip().startswith("**")
    bold_open = bold and raw.count("**") == 1
    title, end = read_title(lines, c.line + 1, first=rest or None, bold=bold_open)
    if len(title) > 250:
        title = title[:250].rsplit(" ", 1)[0] + "…"
    return title, cases, end


def segment_protocol(lines: list[str]) -> list[Item]:
    chosen = select_paragraphs(paragraph_candidates(lines))
    if not chosen:
        return []
    items: list[Item] = []
    preamble = [ln for ln in lines[: chosen[0].line] if not is_toc_line(ln)]
    preamble = _drop_toc_heading(preamble)
    if _chars(preamble) >= 200:
        items.append(Item(number=None, paragraph=None, title=PREAMBLE_TITLE, text=finish_text(preamble),
                          title_derived=True))
    for k, c in enumerate(chosen):
        end = chosen[k + 1].line if k + 1 < len(chosen) else len(lines)
        block = lines[c.line:end]
        appendices: list[tuple[str, list[str]]] = []
        if k == len(chosen) - 1:
            block, appendices = _split_appendices(block)
            block = _cut_signatures(block)
        title, cases, _ = _head(lines, c)
        text = finish_text(block)
        if not title:
            from indexer.segment.common import short_title

            body = "\n".join(block[1:])
            title = short_title(body) or f"§ {c.number}"
            derived = True
        else:
            derived = False
        items.append(Item(number=None, paragraph=c.number, title=title, text=text, title_derived=derived,
                          case_numbers=cases))
        for app_title, app_lines in appendices:
            items.append(Item(number=None, paragraph=None, title=app_title, text=finish_text(app_lines),
                              section="Bilagor"))
    return items


def _drop_toc_heading(lines: list[str]) -> list[str]:
    return [ln for ln in lines if clean_inline(ln).strip().lower() not in {"innehåll", "innehållsförteckning"}]


def _split_appendices(block: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    starts = [i for i, ln in enumerate(block) if i > 0 and _APPENDIX.match(clean_inline(ln).strip())]
    if not starts or _chars(block[starts[0]:]) < 300:
        return block, []
    appendices = []
    for k, s in enumerate(starts):
        e = starts[k + 1] if k + 1 < len(starts) else len(block)
        part = block[s:e]
        title = clean_inline(part[0]).strip()
        for ln in part[1:8]:
            m = re.match(r"^\s*Ärendemening:\s*(.+)$", clean_inline(ln))
            if m:
                title = f"{title}: {m.group(1).strip()}"
                break
        appendices.append((title, part))
    return block[: starts[0]], appendices


def _cut_signatures(block: list[str]) -> list[str]:
    content = [i for i, ln in enumerate(block) if ln.strip()]
    if len(content) < 3:
        return block
    for i in content[2:]:
        if _SIGNATURE.match(clean_inline(block[i]).strip()) and _chars(block[i:]) < 1000:
            return block[:i]
    return block
