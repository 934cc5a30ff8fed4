"""Page furniture and site chrome: lines that belong to the page, not to the document.

*Strong* furniture is recognised on its own (signature boxes, page numbers, digital-signature
lines, running protocol headers, portal navigation and cookie notices). *Weak* furniture
(``Datum``, a bare date, a body name alone on a line, address lines …) is removed only where it
sits next to strong furniture — the repeated header and footer blocks of a PDF page — or when
the same line repeats three times or more in the document. Removed lines become blank lines, so
line positions stay as they were.
"""

from __future__ import annotations

import re
from collections import Counter

from indexer.segment.common import clean_inline, is_label

_STRONG = [re.compile(p, re.I) for p in (
    r"^(?:ordförandens|justerandes|justerandens|justerares|justeringsmännens|sekreterarens|"
    r"protokolljusterarens)\s+sign(?:atur)?\b.*$",
    r"^exp(?:\.|edierad|edierat)?\s*den\b.{0,25}$",
    r"^utdragsbestyrkande\b.{0,30}$",
    r"^sida\s*\d+\s*(?:\(\s*\d+\s*\)|av\s*\d+)$",
    r"^\d{1,3}\s*\(\s*\d{1,3}\s*\)$",
    r"^\d{1,3}\s*\(\s*\d{1,3}\s*\)\s{3,}\S.{0,80}$",
    r"^\S.{0,120}?\s{3,}\d{1,3}\s*\(\s*\d{1,3}\s*\)$",
    r"^-{3,}(?:\s+-{3,})*$",
    r"^det här dokumentet är digitalt signerat\.?$",
    r"^transaktionsidentitet:\s*\S+$",
    r"^protokoll nr\.?\s*\d+$",
    r"^sammanträdesdatum:?\s*\d{4}-\d{2}-\d{2}$",
    r"^hoppa (?:över|till) (?:navigering(?:en)?|huvudinnehåll(?:et)?|innehåll(?:et)?)$",
    r"^det finns ingen information att visa\.?$",
    r"^vi använder cookies\b.*$",
    r"^(?:till|gå till) (?:huvud)?innehåll(?:et)?$",
    r"^\S.{0,60}\s{3,}\d{3} ?\d{2} [a-zåäö]+$",
    r"^\S.{0,60}\s{5,}[a-zåäö]+ kommun$",
)] + [re.compile(r"^[A-ZÅÄÖ]{3,}\s+KOMMUN\b.*$"), re.compile(r"^REGION\s+[A-ZÅÄÖ]{3,}.{0,60}$")]

_BODY_LINE = re.compile(
    r"^(?:(?:[A-ZÅÄÖ][\wåäöé]*-? (?:och|&) [\wåäöé-]*|[A-ZÅÄÖ][\wåäöé-]*)(?:nämnden|styrelsen|utskottet|"
    r"fullmäktige|revisionen|förvaltningen|kontoret)|Nämnden för [A-ZÅÄÖ][\w]*(?:-? (?:&|och) [A-ZÅÄÖ]?[\w]+)?)$")

_WEAK = [re.compile(p, re.I) for p in (
    r"^datum$", r"^dnr$", r"^datum\s+dnr$", r"^sida$", r"^datum\s+sida$", r"^dnr\s+sida$",
    r"^\d{2,4}-\d{2}-\d{2}(?:\s*[–-]+\s*\d{1,2})?$",
    r"^\d{2}-\d{2}-\d{2}\b.{0,30}$",
    r"^\d{2}[a-zåäö]{2,5}\d{1,6}$",
    r"^\d{3} ?\d{2} [a-zåäö]+$",
    r"^besöksadress$", r"^postadress$", r"^telefon\b[\d\s()+-]*$", r"^www\.\S+$", r"^\(e-post borttagen\)$",
    r"^[\w .-]*@[\w.-]+\.[a-z]{2,}$",
    r"^[\w ]+,\s*[a-zåäö]+(?:gatan|vägen|torg|torget|plan|platsen)\s*\d+\w?$",
)] + [
    _BODY_LINE,
    re.compile(r"^\S.{0,60}\s{3,}[A-ZÅÄÖ/]{6,}$"),
    re.compile(r"^[A-ZÅÄÖ][a-zåäö]+ kommun$"),
]


_PAGE_NUMBER = re.compile(r"^(?:sida\s*)?\d{1,3}\s*\(\s*\d{1,3}\s*\)$", re.I)


def _norm(line: str) -> str:
    return clean_inline(line).strip()


def is_strong(line: str) -> bool:
    s = _norm(line)
    return bool(s) and any(p.match(s) for p in _STRONG)


def is_weak(line: str) -> bool:
    s = _norm(line)
    return bool(s) and any(p.match(s) for p in _WEAK)


def strip_furniture(lines: list[str]) -> list[str]:
    """Return ``lines`` with page furniture and site chrome replaced by blank lines."""
    out = list(lines)
    n = len(out)
    strong = [is_strong(ln) for ln in out]
    weak = [not strong[i] and is_weak(ln) for i, ln in enumerate(out)]
    remove = list(strong)
    # a provenance line at the very top of a retyped file ("SOURCE: github:…")
    for i, ln in enumerate(out):
        if ln.strip():
            if re.match(r"^SOURCE:\s+\S+", ln.strip()):
                remove[i] = True
            break
    # weak furniture below strong furniture (the header block of a page, the rest of a footer)
    for i in range(n):
        if not strong[i]:
            continue
        j, gap = i + 1, 0
        while j < n:
            if not out[j].strip():
                gap += 1
                if gap > 2:
                    break
            elif weak[j] or strong[j]:
                remove[j] = True
                gap = 0
            else:
                break
            j += 1
    # a header block above a page number ("Datum", the date, "Dnr", "Sida" — not a body name,
    # which above a page number is as likely the last line of the text)
    for i in range(n):
        if not (strong[i] and _PAGE_NUMBER.match(_norm(out[i]))):
            continue
        j, gap = i - 1, 0
        while j >= 0:
            if not out[j].strip():
                gap += 1
                if gap > 2:
                    break
            elif weak[j] and not _BODY_LINE.match(_norm(out[j])) and not re.match(r"^[A-ZÅÄÖ][a-zåäö]+ kommun$",
                                                                                  _norm(out[j])):
                remove[j] = True
                gap = 0
            else:
                break
            j -= 1
    # running headers: repeated weak lines; of lines naming a body only the one that repeats
    # far more often than any other (the body whose document this is)
    counts = Counter(_norm(ln) for i, ln in enumerate(out) if weak[i])
    bodies = Counter({k: c for k, c in counts.items() if _BODY_LINE.match(k)})
    ranked = bodies.most_common(2)
    running_body = None
    if ranked and ranked[0][1] >= 3 and (len(ranked) == 1 or ranked[0][1] >= 3 * ranked[1][1]):
        running_body = ranked[0][0]
    for i, ln in enumerate(out):
        if not weak[i]:
            continue
        key = _norm(ln)
        if key == running_body or (key not in bodies and counts[key] >= 3):
            remove[i] = True
    return ["" if remove[i] else out[i] for i in range(n)]


_TOC_LEADERS = re.compile(r"(?:\.{4,}|…{2,}|(?:\. ){4,})\s*\d{0,4}\s*$")
_TOC_GAP = re.compile(r"^\S.{2,100}?\S\s{6,}\d{1,3}$")


def is_toc_line(line: str) -> bool:
    """A table-of-contents entry: dot leaders or a wide gap before a page number."""
    if not line or not (line.rstrip()[-1:].isdigit() or "..." in line or "…" in line or ". . ." in line):
        return False
    s = clean_inline(line).strip()
    return bool(_TOC_LEADERS.search(s) or _TOC_GAP.match(s))


def _edge_key(line: str) -> str:
    """A page-edge line compared across pages: spacing unified, numbers blanked (page numbers,
    a date that differs from one document to the next stays the same within one)."""
    key = re.sub(r"\s+", " ", _norm(line))
    return re.sub(r"\d+", "#", key)


def _edge_candidate(line: str) -> bool:
    """Lines that may be running headers: not paragraph heads or section labels of the text."""
    s = _norm(line)
    return bool(s) and not re.match(r"^(?:[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}\s+)?§", s) and len(s) <= 160 \
        and not is_label(s)


def strip_page_edges(lines: list[str], pages: list[int], span: int = 8) -> list[str]:
    """Blank running headers and footers: lines at the top or bottom of a page that recur at the
    edges of at least half of the pages (and three). Works on any text with page breaks, whatever
    the layout's wording; line positions are kept."""
    if not pages or pages[-1] < 3:
        return list(lines)
    by_page: dict[int, list[int]] = {}
    for i, (ln, p) in enumerate(zip(lines, pages)):
        if ln.strip():
            by_page.setdefault(p, []).append(i)
    counts: Counter[str] = Counter()
    for idx in by_page.values():
        counts.update({_edge_key(lines[i]) for i in idx[:span] + idx[-span:] if _edge_candidate(lines[i])})
    threshold = max(3, len(by_page) // 2)
    repeated = {k for k, c in counts.items() if c >= threshold}
    if not repeated:
        return list(lines)
    out = list(lines)
    for idx in by_page.values():
        for run in (idx[:span], list(reversed(idx[-span:]))):
            for i in run:  # from the edge inwards, up to the first line of the page's own text
                if _edge_candidate(lines[i]) and _edge_key(lines[i]) in repeated:
                    out[i] = ""
                else:
                    break
    return out
