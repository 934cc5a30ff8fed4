"""Kallelser, föredragningslistor and meeting notes: one item per numbered agenda entry.

Two layouts are read: agenda tables (``| 3. | Title<br>time<br>presenter | Dnr | Förslag |``,
as Word tables and the retyped Kungsbacka kallelser have them) and numbered entries
(``3. Title``, ``3 Title`` or a bare ``3`` followed by the title). Numbered entries must form a
run 1, 2, 3 …; numbered lists inside an entry (decision points) do not break it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.records import Item
from indexer.segment.common import clean_inline, finish_text, is_label, read_title, short_title
from indexer.segment.furniture import is_toc_line

ROW_RE = re.compile(r"^\s*\|(.*)\|\s*$")
NUM_RE = re.compile(r"^\s*(?:(?:Ärende|Punkt)\s+)?(\d{1,3})(?:[.):]\s*|\s+[–-]\s+|\s+|$)(.*)$")
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}\s*[-–]\s*\d{1,2}[:.]\d{2}$")
PREAMBLE_TITLE = "Inledning och närvarande"


def _cells(line: str) -> list[str] | None:
    m = ROW_RE.match(line)
    if not m:
        return None
    cells = [c.strip() for c in m.group(1).split("|")]
    if all(re.fullmatch(r":?-{3,}:?", c) or not c for c in cells):
        return None
    return cells


def table_items(lines: list[str]) -> list[Item]:
    title_col = case_col = prop_col = None
    items: list[Item] = []
    for line in lines:
        cells = _cells(line)
        if cells is None:
            continue
        lowered = [clean_inline(c).lower() for c in cells]
        if any(c in {"ärende", "ärenden", "rubrik", "punkt"} or c.startswith("förslag") for c in lowered) \
                and not any(re.fullmatch(r"\d{1,3}\.?", c) for c in lowered):
            for k, c in enumerate(lowered):
                if c in {"ärende", "ärenden", "rubrik", "punkt"}:
                    title_col = k
                elif c in {"beteckning", "dnr", "diarienummer", "ärendenummer"}:
                    case_col = k
                elif c.startswith("förslag"):
                    prop_col = k
            continue
        if title_col is None or title_col >= len(cells):
            continue
        num = re.fullmatch(r"(\d{1,3})\.?", clean_inline(cells[0]).strip()) if title_col > 0 else None
        parts = [clean_inline(p).strip() for p in re.split(r"<br\s*/?>", cells[title_col], flags=re.I)]
        parts = [p for p in parts if p]
        if not parts:
            continue
        title_parts: list[str] = []
        rest: list[str] = []
        for p in parts:
            (rest if rest or _TIME.match(p) else title_parts).append(p)
        title = re.sub(r"(\w)- (?!och |eller |samt |&)(\w)", r"\1\2", " ".join(title_parts)).strip()
        text_lines = [title] + rest
        cases, decisions = [], []
        if case_col is not None and case_col < len(cells) and clean_inline(cells[case_col]).strip():
            case = clean_inline(cells[case_col]).strip()
            cases.append(case)
            text_lines.append(f"Diarienummer: {case}")
        if prop_col is not None and prop_col < len(cells) and clean_inline(cells[prop_col]).strip():
            proposal_parts = [clean_inline(p).strip() for p in re.split(r"<br\s*/?>", cells[prop_col], flags=re.I)]
            proposal_parts = [p for p in proposal_parts if p]
            text_lines.append("Förslag: " + " ".join(proposal_parts))
            body = [p for p in proposal_parts if not re.match(r"^Förslag till beslut\b", p, re.I)]
            if num and body:
                decisions.append(re.sub(r"\s+", " ", " ".join(body)).strip().rstrip("."))
        items.append(Item(number=int(num.group(1)) if num else None, paragraph=None, title=title,
                          text=finish_text(text_lines), case_numbers=cases, decisions=decisions,
                          decision_kind="förslag" if decisions else None))  # a "Förslag" column
    if sum(1 for i in items if i.number is not None) < 2:
        return []
    return items


@dataclass
class _Entry:
    line: int
    number: int
    rest: str


def _numbered_candidates(lines: list[str]) -> list[_Entry]:
    out = []
    for i, line in enumerate(lines):
        s = clean_inline(line).strip()
        if not s or is_toc_line(line):
            continue
        m = NUM_RE.match(s)
        if not m:
            continue
        rest = m.group(2).strip()
        if rest and not re.match(r"^[A-ZÅÄÖ\"”«(]", rest):
            continue
        if rest and re.match(r"^\(\d", rest):
            continue
        if not rest:
            nxt = next((ln for ln in lines[i + 1:i + 4] if ln.strip()), "")
            if not nxt or is_label(nxt) or NUM_RE.match(clean_inline(nxt).strip()) or not re.match(
                    r"^\s*[A-ZÅÄÖ]", clean_inline(nxt)):
                continue
        out.append(_Entry(i, int(m.group(1)), rest))
    return out


def _chain(cands: list[_Entry], lines: list[str] | None = None) -> list[_Entry]:
    """The longest run of entries numbered n, n+1, n+2 … in document order; of runs equally long,
    the one whose entries head the most text (a kallelse may list its items before it presents
    them)."""
    if not cands:
        return []
    weight = [1.0] * len(cands)
    if lines is not None:
        for k, c in enumerate(cands):
            end = cands[k + 1].line if k + 1 < len(cands) else len(lines)
            weight[k] += min(sum(len(ln.strip()) for ln in lines[c.line:end]), 3000) / 3001
    length = [1] * len(cands)
    score = list(weight)
    back = [-1] * len(cands)
    for i, c in enumerate(cands):
        for j in range(i):
            if cands[j].number == c.number - 1 and (length[j] + 1, score[j] + weight[i]) > (length[i], score[i]):
                length[i], score[i], back[i] = length[j] + 1, score[j] + weight[i], j
    i = max(range(len(cands)), key=lambda k: (length[k], score[k], -k))
    chain = []
    while i >= 0:
        chain.append(cands[i])
        i = back[i]
    return list(reversed(chain))


def numbered_items(lines: list[str], keep_preamble: bool = True) -> list[Item]:
    chain = _chain(_numbered_candidates(lines), lines)
    if len(chain) < 2:
        return []
    items: list[Item] = []
    preamble = [ln for ln in lines[: chain[0].line] if not is_toc_line(ln)
                and clean_inline(ln).strip().lower() not in {"innehåll", "innehållsförteckning"}]
    if keep_preamble and sum(len(ln.strip()) for ln in preamble) >= 200:
        items.append(Item(number=None, paragraph=None, title=PREAMBLE_TITLE, text=finish_text(preamble),
                          title_derived=True))
    for k, e in enumerate(chain):
        end = chain[k + 1].line if k + 1 < len(chain) else len(lines)
        block = lines[e.line:end]
        title, _ = read_title(lines, e.line + 1, first=e.rest or None)
        derived = False
        if not title:
            title, derived = short_title("\n".join(block[1:])) or f"Punkt {e.number}", True
        text_lines = list(block)
        first = clean_inline(text_lines[0]).strip()
        if re.fullmatch(r"\d{1,3}[.)]?", first):
            text_lines = text_lines[1:]
        items.append(Item(number=e.number, paragraph=None, title=title, text=finish_text(text_lines),
                          title_derived=derived))
    return items


def segment_agenda(lines: list[str], keep_preamble: bool = True) -> list[Item]:
    items = table_items(lines)
    if items:
        return items
    return numbered_items(lines, keep_preamble=keep_preamble)
