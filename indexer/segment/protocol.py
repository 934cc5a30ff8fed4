"""Protocols and protocol extracts: one item per ``§``, found by one method for every layout.

Candidates are ``§`` numbers at line starts, in any of the forms protocols print them (``§ 12``,
``§12``, ``KF § 87   Dnr …``, ``KS § 3 a``, ``## **§ 115**``, ``- § 112``, ``§ 112 2026.272 KS``).
A line that continues a sentence (``§ 115 och den …``, ``4 kap.`` / ``§ 20 …``) is a reference, not
a candidate; law references (``6 kap. 9 §``, ``39 §``) never are. Runs of candidates with no text
between them (a table of contents, an ärendelista, a list of notices repeating other bodies' §)
and entries with page numbers or dot leaders are set aside. The headings are then the chain of
candidates whose numbers increase through the document with the most evidence — the text each
heads, a dnr on its line, the heading form the document uses for most of its text, the range the
cover declares (``Paragrafer 72-78``), few gaps — chosen by a dynamic programme, so a § reference
inside an item that breaks the sequence stays text.
Text before the first paragraph (attendance, information points) becomes one item when it has
real content; appendices after the last paragraph (``Bilaga 1`` …) become items of their own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from indexer.records import Item
from indexer.segment.common import clean_inline, finish_text, is_label, read_title, short_title
from indexer.segment.furniture import is_toc_line

# A paragraph heading at a line start: optional Markdown (``## **``, ``- ``), an optional body
# prefix in capitals (``KS``, ``KFN``, ``KS-AU``), ``§``, the number and an optional letter suffix
# (``3 a``). What follows must not continue a sentence (that is a reference).
PARA_RE = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:[-–•>]\s+)?(?:\*\*|__)?\s*"
    r"(?:(?P<prefix>[A-ZÅÄÖ](?:[A-ZÅÄÖ]{0,5}|[a-zåäö]{1,3})(?:[-/][A-ZÅÄÖa-zåäö]{1,6})?)\s+)?"
    r"§\s*(?P<num>\d{1,4})(?:\.(?=\s+[A-ZÅÄÖ]))?(?P<suffix>\s?[a-h](?=\s*$|\s+[^a-zåäö\s]|\*))?(?![\d:.,\w])(?P<rest>.*)$")
CASE_IN_HEAD = re.compile(
    r"(?:Ärendenummer|Ärende nr|Dnr\.?|Diarienummer|Diarienr)[:.]?\s*((?:[A-ZÅÄÖ]{1,6} (?=\S*\d))?"
    r"[A-ZÅÄÖ0-9][\w/.:\-–]*\w)", re.I)
# a diarienummer printed bare on the heading line (``KS KF/2022:7``, ``2026.272 KS``, ``BUN/2023:25``)
BARE_CASE = re.compile(r"^(?:[A-ZÅÄÖ]{1,6}\s+)?(?:[A-ZÅÄÖ]{1,6}\s?/\s?)?[A-ZÅÄÖ]{0,6}[ /.-]?\d{2,4}[./:\-]\d{1,6}"
                       r"(?:[./:\-]\d{1,6})?(?:\s+[A-ZÅÄÖ]{1,6}\b)?")
_CONTINUATION_END = re.compile(r"(?:,|\b(?:och|samt|den|i|enligt|se|jfr|från|till|av|om|§|kap\.?|lagen|"
                               r"paragraf|paragraferna|punkt))$", re.I)
_PAGE_REF = re.compile(r"\S\s+\d{1,3}(?:\s*[-–]\s*\d{1,3})?$")  # "Val av justerare   4", "Budget 7 - 8"
_NOT_PREFIX = {"FORTS", "SE", "ENL", "JFR", "OCH", "SAMT", "I", "OM", "AV", "TILL", "FRÅN", "UR", "VID", "MED", "PÅ",
               "ANM", "NR", "SID", "KAP", "LAG"}
_SIGNATURE = re.compile(r"^(?:Justeras|Justerat|Justering|Underskrifter|Vid protokollet|Sekreterare\b|"
                        r"Protokollet justeras|Justerandes signatur)", re.I)
_APPENDIX = re.compile(r"^Bilaga\s+(\d{1,2})\s*$")
_SUB_ARTICLE = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*§\s*\d{1,3}\.\d{1,2}\b")
_TRAILING_CASE = re.compile(r"\s+(?:Dnr\.?:?\s*)?([A-ZÅÄÖa-zåäö]{2,6}\s?/\s?\d{2,4}[:.\-]\d{1,6})(?:\s+\d{2,4})?$")
PREAMBLE_TITLE = "Inledning och närvarande"


@dataclass
class _Candidate:
    line: int
    number: int
    rest: str
    case: str | None
    block_chars: int = 0
    toc: bool = False
    suffix: str = ""
    prefix: str | None = None
    body_lines: int = 0  # non-blank lines of the block after the heading and its title
    page_ref: bool = False  # the heading line ends in what may be a page number
    weight: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.number} {self.suffix}" if self.suffix else str(self.number)

    @property
    def key(self) -> tuple[int, int]:
        return (self.number, ord(self.suffix) - ord("a") + 1 if self.suffix else 0)


def _case_in_rest(rest: str) -> str | None:
    cm = CASE_IN_HEAD.search(rest)
    if cm:
        return cm.group(1).rstrip(".,;")
    bm = BARE_CASE.match(rest)
    if bm and re.search(r"\d", bm.group(0)) and not re.match(r"^\d{2,4}-\d{2}-\d{2}\b", rest):
        return bm.group(0).strip()
    return None


def paragraph_candidates(lines: list[str]) -> list[_Candidate]:
    """Every line that may start a ``§`` item, with the evidence the selection weighs."""
    cands: list[_Candidate] = []
    prev = ""
    for i, line in enumerate(lines):
        s = clean_inline(line).strip()
        m = PARA_RE.match(line)
        if m and (m.group("prefix") or "").upper() not in _NOT_PREFIX:
            rest = clean_inline(m.group("rest")).strip()
            case = _case_in_rest(rest)
            ok = not (rest and (rest[0] in ".,;:)]/§" or rest[0].islower()))
            if ok and prev and _CONTINUATION_END.search(prev) and not is_label(prev) and not case:
                ok = False
            if ok:
                suffix = (m.group("suffix") or "").strip()
                cand = _Candidate(i, int(m.group("num")), m.group("rest"), case, suffix=suffix,
                                  prefix=m.group("prefix"))
                cand.toc = is_toc_line(line)
                cand.page_ref = bool(rest and not case and _PAGE_REF.search(rest))
                cands.append(cand)
        if s:
            prev = s
    for k, c in enumerate(cands):
        end = cands[k + 1].line if k + 1 < len(cands) else len(lines)
        block = lines[c.line:end]
        if any(is_toc_line(b) for b in block) and _chars(block) < 500:
            c.toc = True
        c.block_chars = _chars([b for b in block if not is_toc_line(b)])
        body = [b for b in block[1:] if b.strip() and not b.lstrip().startswith("|")]  # not the TOC's table
        if not clean_inline(c.rest).strip() or c.case and not _title_after_case(c):
            body = body[1:]  # the title on the next line
        c.body_lines = len(body)
        # "§ 5 Val av justerare   4" with no text of its own: a table of contents' entry and page
        # (a title ending in a number, "Delårsrapport 2", heads text)
        if c.page_ref and c.body_lines <= 1:
            c.toc = True
    _mark_lists(cands)
    return cands


def _case_line(s: str) -> str | None:
    """The dnr of a line that holds nothing else (``Dnr 2026.280 KS``, ``KS 2026/281``)."""
    m = CASE_IN_HEAD.match(s)
    if m and not s[m.end():].strip(" ,.;"):
        return m.group(1).rstrip(".,;")
    s = re.sub(r"^(?:Ärendenummer|Ärende nr|Dnr\.?|Diarienummer|Diarienr)[:.]?\s*", "", s, flags=re.I)
    b = BARE_CASE.match(s)
    if b and re.search(r"\d", b.group(0)) and not s[b.end():].strip() and not re.match(r"^\d{2,4}-\d{2}-\d{2}$", s):
        return b.group(0).strip()
    return None


def _title_after_case(c: _Candidate) -> bool:
    rest = clean_inline(c.rest).strip()
    return (c.case is not None and c.case != "" and len(rest.replace(c.case, "").strip(" ,–-:")) > 3
            and not CASE_IN_HEAD.search(rest))


def _mark_lists(cands: list[_Candidate]) -> None:
    """Runs of headings with no body between them are a table of contents or a list of notices
    (a delegation list repeating other bodies' §), never items."""
    thin = [c.body_lines <= 1 and c.block_chars < 160 for c in cands]
    k = 0
    while k < len(cands):
        if not thin[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(cands) and thin[j + 1] and _style(cands[j + 1]) == _style(cands[k]):
            j += 1
        if j - k + 1 >= 3:
            for c in cands[k:j + 1]:
                c.toc = True
            # the list's last entry runs on into the text after the list: same form, next number
            if j + 1 < len(cands) and _style(cands[j + 1]) == _style(cands[j]) \
                    and cands[j + 1].number == cands[j].number + 1:
                cands[j + 1].toc = True
        k = j + 1


_RANGE_LABEL = re.compile(r"\bParagraf(?:er)?\b\s*:?\s*(.*)$")
_RANGE = re.compile(r"^§*\s*(\d{1,4})(?:\s*[a-h]\b)?(?:\s*[-–—]+\s*§*\s*(\d{1,4}))?(?!\d)")


def declared_range(lines: list[str]) -> tuple[int, int] | None:
    """The paragraphs a protocol's cover says it holds (``Paragrafer 1-12``, ``Paragraf: §72-§78``,
    ``Paragrafer`` with ``146-162`` on the next line)."""
    for i, line in enumerate(lines[:400]):
        m = _RANGE_LABEL.search(clean_inline(line))
        if not m:
            continue
        value = m.group(1).strip()
        if not value:
            value = next((clean_inline(ln).strip() for ln in lines[i + 1:i + 4] if ln.strip()), "")
        r = _RANGE.match(value.replace("§ ", "§"))
        if r:
            lo = int(r.group(1))
            hi = int(r.group(2)) if r.group(2) else lo
            if lo <= hi <= lo + 400:
                return lo, hi
    return None


def _chars(lines: list[str]) -> int:
    return sum(len(ln.strip()) for ln in lines)


def _style(c: _Candidate) -> tuple[str | None, bool]:
    return c.prefix, bool(c.case or clean_inline(c.rest).strip(" *"))


def _weigh(pool: list[_Candidate], declared: tuple[int, int] | None = None) -> None:
    """Evidence that a candidate heads an item: the text it heads, a case number on its line,
    the heading form the document uses for most of its text (``KS § 3 Dnr …`` vs a bare ``§ 3``)
    and the range of paragraphs the cover declares."""
    styles: dict[tuple[str | None, bool], int] = {}
    for c in pool:
        styles[_style(c)] = styles.get(_style(c), 0) + c.block_chars
    main_style = max(styles, key=lambda k: styles[k]) if styles else None
    for c in pool:
        w = 1.0 + min(c.block_chars, 4000) / 1000 + (1.0 if c.body_lines >= 2 else 0.0)
        if c.case:
            w += 0.5
        if _style(c) == main_style:
            w += 1.0
        elif main_style is not None and c.prefix == main_style[0]:
            w += 0.5
        if declared:
            w += 1.5 if declared[0] <= c.number <= declared[1] else -3.0
        rest = clean_inline(c.rest).strip()
        if re.match(r"^\d{2,4}-\d{2}-\d{2}\b", rest):  # "KS § 437 06-12-13": an earlier decision quoted
            w -= 1.5
        c.weight = w


def _gap_penalty(a: _Candidate, b: _Candidate, cap: float) -> float:
    if b.number == a.number or b.number == a.number + 1 and not b.suffix:
        return 0.0
    gap = b.number - a.number
    return min(0.5 + 0.5 * math.log2(gap), cap)


def select_paragraphs(cands: list[_Candidate], declared: tuple[int, int] | None = None,
                      whole_protocol: bool = False) -> list[_Candidate]:
    """The item headings: the chain of candidates whose numbers increase through the document
    with the most evidence (a dynamic programme over the candidates in line order), after
    tables of contents and lists are set aside."""
    pool = [c for c in cands if not c.toc and c.block_chars >= 12]
    if not pool:
        return []
    # a whole protocol numbers its paragraphs without gaps, so a far jump costs more than a good
    # heading is worth there; an extract may bundle paragraphs far apart
    cap = 3.5 if whole_protocol else 2.0
    _weigh(pool, declared if declared and any(declared[0] <= c.number <= declared[1] for c in pool) else None)
    score = [c.weight for c in pool]
    back = [-1] * len(pool)
    for i in range(len(pool)):
        for j in range(i):
            if pool[j].key < pool[i].key:
                s = score[j] + pool[i].weight - _gap_penalty(pool[j], pool[i], cap)
                if s > score[i]:
                    score[i], back[i] = s, j
    i = max(range(len(pool)), key=lambda k: score[k])
    chosen = []
    while i >= 0:
        chosen.append(pool[i])
        i = back[i]
    chosen = [c for c in reversed(chosen) if c.weight > 0]
    return _earliest_heading(chosen, pool)


def _earliest_heading(chosen: list[_Candidate], pool: list[_Candidate]) -> list[_Candidate]:
    """An item starts at the first heading of its number after the item before: a paragraph that
    runs over pages may repeat ``§ 87`` at the top of the next page."""
    out: list[_Candidate] = []
    for c in chosen:
        after = out[-1].line if out else -1
        start = c
        for d in sorted((d for d in pool if after < d.line < c.line), key=lambda d: -d.line):
            if d.key != c.key:
                break  # only headings that directly run on into this one (not a table of contents)
            start = d
        out.append(start)
    return out


def is_regulation(lines: list[str]) -> bool:
    """Articles with sub-articles (``§ 3.1``) are a regulation's (taxa, reglemente), not a
    meeting's paragraphs."""
    return sum(1 for ln in lines if _SUB_ARTICLE.match(ln)) >= 2


def _head(lines: list[str], c: _Candidate) -> tuple[str, list[str], int]:
    raw = lines[c.line].strip()
    rest = clean_inline(c.rest).strip()
    cases = []
    m = CASE_IN_HEAD.search(rest)
    if m:
        cases.append(m.group(1).rstrip(".,;"))
        rest = (rest[: m.start()] + " " + rest[m.end():]).strip(" ,–-")
    elif c.case and rest.startswith(c.case):  # "§ 112 2026.272 KS": the dnr is no title
        cases.append(c.case)
        rest = rest[len(c.case):].strip(" ,–-:")
    rest = rest.strip("* ").strip()
    # a meeting date printed on the heading line ("§ 12   2024-05-02") is no title either
    rest = re.sub(r"^\d{4}-\d{2}-\d{2}\b\s*|\s*\b\d{4}-\d{2}-\d{2}$", "", rest).strip(" ,–-")
    bold = raw.startswith("**") or c.rest.strip().startswith("**")
    bold_open = bold and raw.count("**") == 1
    start = c.line + 1
    if not rest:  # "§ 112" / "2026.272 KS" / title: a dnr on its own line is no title either
        j = start
        while j < len(lines) and j < start + 6:
            s = clean_inline(lines[j]).strip().strip("*").strip()
            case = _case_line(s) if s else None
            if s and not case:
                break
            if case:
                cases.append(case)
            j += 1
        start = j
    title, end = read_title(lines, start, first=rest or None, bold=bold_open)
    trailing = _TRAILING_CASE.search(title)
    if trailing and trailing.start() > 0:  # "… tider Bun/2015:603 691": the dnr goes to the case numbers
        cases.append(trailing.group(1))
        title = title[: trailing.start()].rstrip(" ,–-")
    if len(title) > 250:
        title = title[:250].rsplit(" ", 1)[0] + "…"
    return title, cases, end


def segment_protocol(lines: list[str], whole_protocol: bool = False) -> list[Item]:
    chosen = select_paragraphs(paragraph_candidates(lines), declared_range(lines), whole_protocol)
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
            body = "\n".join(block[1:])
            title = short_title(body) or f"§ {c.number}"
            derived = True
        else:
            derived = False
        items.append(Item(number=None, paragraph=c.number, title=title, text=text, title_derived=derived,
                          case_numbers=cases, paragraph_label=c.label))
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
