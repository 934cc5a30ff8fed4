"""Dates: the meeting (or document) date a header states, and the year a document's dates fall in."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date as _date

from indexer.metadata.header import header_lines

MONTHS = {"januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
          "september": 9, "oktober": 10, "november": 11, "december": 12}
_MONTH_RE = "|".join(MONTHS)
ISO_DATE = re.compile(r"(?<![\d-])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d])")
TEXT_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?\s+({_MONTH_RE})\s+((?:19|20)\d{{2}})\b", re.I)
MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\s+((?:19|20)\d{{2}})\b", re.I)



def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return _date(y, m, d).isoformat()
    except ValueError:
        return None


def _first_date(s: str) -> str | None:
    m = ISO_DATE.search(s)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = TEXT_DATE.search(s)
    if m:
        return _iso(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
    return None


# Dates of other events a header states: when the minutes were checked, posted, taken down, signed.
_OTHER_EVENT = re.compile(r"justera|justering|anslag|uppsatt|nedtag|expedier|signer|signed|protokollet", re.I)


def find_date(text: str, family: str) -> str | None:
    """The meeting (or document) date the document states in its header, if any."""
    head = header_lines(text, 30)
    # a meeting date stated as such, on the label's line or (a layout's box) on the next line
    for k, s in enumerate(head):
        if len(s) <= 100 and (re.match(r"^(?:Möte|Sammanträde|Sammanträdet|Mötesdatum|Tid|Plats och tid)\b", s)
                              or re.search(r"sammanträdesdatum", s, re.I)) and not _OTHER_EVENT.search(s):
            d = _first_date(s)
            if d:
                return d
            if re.fullmatch(r"(?:Sammanträdesdatum|Mötesdatum|Sammanträde|Datum för sammanträdet)\s*:?", s, re.I):
                d = next((_first_date(n) for n in head[k + 1:k + 3] if len(n) <= 40 and _first_date(n)), None)
                if d:
                    return d
    # "Datum" on its own line followed by the date
    for k, s in enumerate(head[:-1]):
        if re.fullmatch(r"Datum:?", s, re.I):
            d = _first_date(head[k + 1])
            if d:
                return d
        m = re.match(r"^Datum:?\s+(.+)$", s, re.I)
        if m:
            d = _first_date(m.group(1))
            if d:
                return d
    if family == "protocol":  # protocols repeat "Sammanträdesdatum" in every page header
        for s in text.split("\n")[:400]:
            if re.search(r"sammanträdesdatum:?\s*\d{4}-\d{2}-\d{2}", s, re.I):
                return _first_date(s)
    if family == "portal":
        return None  # portal pages state the meeting date as "Möte YYYY-MM-DD" or not at all
    for s in head[:15]:
        m = re.search(r"\b(?:reviderad|rev\.)\s+(\d{4}-\d{2}-\d{2})", s, re.I)
        if m:
            d = _first_date(m.group(1))
            if d:
                return d
    for s in head[:15]:
        if len(s) <= 80 and not re.search(r"\b(?:§|beslutade|antogs|fastställd)\b", s, re.I) \
                and not _OTHER_EVENT.search(s):
            d = _first_date(s)
            if d:
                return d
    return None


def infer_year(text: str) -> int | None:
    """The year most of the document's dated statements fall in (for documents without a date)."""
    years: Counter = Counter()
    for m in ISO_DATE.finditer(text):
        years[int(m.group(1))] += 1
    for m in TEXT_DATE.finditer(text):
        years[int(m.group(3))] += 1
    for m in MONTH_YEAR.finditer(text):
        years[int(m.group(2))] += 1
    if not years:
        return None
    best = max(years.values())
    return max(y for y, c in years.items() if c == best)
