"""Case numbers (diarienummer) as written in an item's text."""

from __future__ import annotations

import re

from indexer.metadata.dates import ISO_DATE

_LABELLED_CASE = re.compile(
    r"(?:\bDnr\.?|\bDiarienummer|\bDiarienr\.?|\bÄrendenummer|\bÄrende nr|\bBeteckning)\s*:?\s*"
    r"((?:[A-ZÅÄÖ]{1,6}[ /-]?)?\d[\w]*(?:[/\-–.:]\w+)*)", re.I)
_CASE_PATTERNS = [
    re.compile(r"(?<![\w/])([A-ZÅÄÖ]{2,6}/\d{1,6}/\d{4})(?![\w/])"),  # RS/2402/2017
    re.compile(r"(?<![\w/-])([A-ZÅÄÖ]{1,6}-\d{4}-\d{3,6}(?::-?\d+)?)(?![\w-])"),  # VO-2025-00006, SLK-2023-00027:58
    re.compile(r"(?<![\w/])(\d{2}[A-ZÅÄÖ]{2,6}\d{1,6})(?![\w/])"),  # 23HSN1782
    re.compile(r"(?<![\w/])([A-ZÅÄÖ]{2,6} (?:\d{1,6}/(?:19|20)\d{2}|(?:19|20)\d{2}/\d{1,6}))(?![\w/])"),  # RS 1379/2015
    re.compile(r"(?<![\w/])([A-Z]\d{2,3}-\d{3,5}/\d{2})(?![\w/])"),  # N164-0569/23
    # Bun/2015:608, KS KF/2022:7, SN/2023:152
    re.compile(r"(?<![\w/])([A-ZÅÄÖ][A-ZÅÄÖa-zåäö]{1,5}(?: [A-ZÅÄÖ]{2,5})?/(?:19|20)\d{2}:\d{1,6})(?![\w/:])"),
    # SBF 2021-002727, KS 2022-389; not a span of years (LÅ 2023-2024)
    re.compile(r"(?<![\w/-])([A-ZÅÄÖ]{2,6} (?:19|20)\d{2}-(?!(?:19|20)\d{2}(?!\d))\d{3,6})(?![\w-])"),
]
_NOT_CASE = re.compile(r"^(?:SOU|Ds|SFS|ISO|LOU|EU|EG|EMAS|KPP|SKL|SKR|JO|JK|HFD|RÅ|NJA|AD|MÖD|MD|Prop|Bet)\b")


def extract_case_numbers(text: str, known: list[str] | None = None) -> list[str]:
    """Case numbers (diarienummer) in ``text``: labelled ones first, then recognisable formats."""
    found: list[str] = list(known or [])
    for m in _LABELLED_CASE.finditer(text):
        value = m.group(1).rstrip(".,;:–-")
        if len(value) >= 4 and re.search(r"\d", value) and not ISO_DATE.fullmatch(value):
            found.append(value)
    for pattern in _CASE_PATTERNS:
        for m in pattern.finditer(text):
            if not _NOT_CASE.match(m.group(1)):
                found.append(m.group(1))
    out: list[str] = []
    for value in found:
        value = value.replace("–", "-") if re.fullmatch(r"\d{4}–\d+", value) else value
        if value not in out:
            out.append(value)
    return out
