"""Organisation names by pattern (the older finder; ``indexer.evidence`` chooses the issuer by evidence)."""

from __future__ import annotations

import re
from collections import Counter

_ORG_PATTERNS = [
    re.compile(r"\b[Rr]egion (?!för\b|och\b|i\b|ska\b|har\b)([A-ZÅÄÖ][a-zåäö]+(?: (?!och\b)[A-ZÅÄÖ][a-zåäö]+)?)"),
    re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+(?:-[A-ZÅÄÖ][a-zåäö]+)?s) [Ss]tad\b"),
    re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+(?:-[A-ZÅÄÖ][a-zåäö]+)?) kommun\b"),
    re.compile(r"\b([A-ZÅÄÖ]{3,}(?:-[A-ZÅÄÖ]{3,})?)\s+KOMMUN\b"),
    re.compile(r"\b(Västra Götalandsregionen|Region Skåne|Region Stockholm)\b"),
    re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+s läns landsting)\b"),
    re.compile(r"\b(Landstinget [A-ZÅÄÖ][a-zåäö]+)\b"),
]
_NOT_ORG_WORDS = {"Jämtlands", "Västernorrlands", "Sveriges", "Svenska", "Nationella", "Norra", "Södra", "Hela",
                  "Varje", "Denna", "Samma", "Vilken", "Annan", "Egen", "Vår", "Er", "Din", "Ingen"}


def _org_name(pattern_index: int, match: re.Match) -> str | None:
    g = match.group(1)
    if pattern_index == 0:
        words = g.split()
        if len(words) > 1 and words[-1].endswith("s"):  # "Region Jämtland Härjedalens" (genitive)
            words[-1] = words[-1][:-1]
        return "Region " + " ".join(words)  # "Region Västernorrlands" is merged below
    if pattern_index == 1:
        return f"{g} Stad"
    if pattern_index == 2:
        if g in _NOT_ORG_WORDS or g.endswith("s"):
            return None
        return f"{g} kommun"
    if pattern_index == 3:
        return f"{g.title()} kommun"
    return g


def find_organisations(text: str) -> Counter:
    counts: Counter = Counter()
    for k, pattern in enumerate(_ORG_PATTERNS):
        for m in pattern.finditer(text):
            name = _org_name(k, m)
            if name:
                counts[name] += 1
    # merge a genitive form into the base form ("Region Västernorrlands" → "Region Västernorrland")
    for name in list(counts):
        if name.endswith("s") and name[:-1] in counts:
            counts[name[:-1]] += counts.pop(name)
    return counts
