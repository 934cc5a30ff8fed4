"""Sweden's kommuner and regioner (``indexer/data/organisations.tsv``) and how to find them.

The data file lists each organisation's official name, the forms its documents use
(``Lomma kommun``, ``Göteborgs Stad``, ``Region Dalarna``, ``Jämtlands läns landsting``) and its
web/e-mail domains. Matching is by those forms only — a bare place name (``Falkenberg``) is a
town, a river or a school as often as the organisation, so it is not evidence on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "organisations.tsv"
_FOLD = str.maketrans("åäöéüÅÄÖÉÜ", "aaoeuAAOEU")
_WORD = "A-Za-zÅÄÖåäöÉéÜü0-9"
_ANCHOR = re.compile(r"kommun|stad|region|landsting", re.I)


@dataclass(frozen=True)
class Organisation:
    official: str
    kind: str  # "kommun" or "region"
    name: str  # the place name: "Lomma", "Jämtland Härjedalen"
    forms: tuple[str, ...]
    domains: tuple[str, ...]


def fold(s: str) -> str:
    """Lower case without Swedish diacritics, as in domains and ASCII folder names."""
    return s.lower().translate(_FOLD)


class Gazetteer:
    def __init__(self, organisations: list[Organisation]) -> None:
        self.organisations = organisations
        self._by_form: dict[str, Organisation] = {}
        self._by_domain: dict[str, Organisation] = {}
        self._by_folded: dict[str, Organisation] = {}
        self._by_official: dict[str, Organisation] = {}
        self._by_place: dict[str, Organisation] = {}
        for org in organisations:
            self._by_official.setdefault(org.official, org)
            self._by_place.setdefault(re.sub(r"[\s_-]+", " ", fold(org.name)), org)
            for form in org.forms:
                self._by_form.setdefault(form.lower(), org)
                self._by_folded.setdefault(re.sub(r"[\s_-]+", " ", fold(form)), org)
            for domain in org.domains:
                self._by_domain.setdefault(domain.lower(), org)
        forms = sorted(self._by_form, key=len, reverse=True)
        alternatives = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in forms)
        # a trailing genitive s is allowed ("Lomma kommuns", "Region Dalarnas")
        self._pattern = re.compile(rf"(?<![{_WORD}-])({alternatives})s?(?![{_WORD}])", re.I)

    def mentions(self, text: str) -> list[tuple[Organisation, int]]:
        """Every organisation named in ``text`` by one of its forms, with the match's offset."""
        out = []
        for m in self._matches(text):
            org = self._by_form.get(re.sub(r"\s+", " ", m.group(1)).lower())
            if org:
                out.append((org, m.start()))
        return out

    def _matches(self, text: str):
        # every form holds one of these words: scan only windows around them (the full pattern is slow)
        start = None
        end = -1
        for a in _ANCHOR.finditer(text):
            lo, hi = max(0, a.start() - 60), a.end() + 60
            if start is not None and lo <= end:
                end = hi
                continue
            if start is not None:
                yield from self._window(text, start, end)
            start, end = lo, hi
        if start is not None:
            yield from self._window(text, start, end)

    def _window(self, text: str, lo: int, hi: int):
        # widen to word boundaries so that a form is never cut in two
        while lo > 0 and not text[lo - 1].isspace():
            lo -= 1
        while hi < len(text) and not text[hi].isspace():
            hi += 1
        yield from self._pattern.finditer(text, lo, hi)

    def by_domain(self, host: str) -> Organisation | None:
        """The organisation owning ``host`` or a domain above it (``www.lomma.se`` → Lomma kommun)."""
        parts = host.lower().strip(".").split(".")
        for k in range(len(parts) - 1):
            org = self._by_domain.get(".".join(parts[k:]))
            if org:
                return org
        return None

    def by_folded_form(self, s: str) -> Organisation | None:
        """An organisation whose form equals ``s`` folded to ASCII (``lomma-kommun``, ``region_skane``)."""
        return self._by_folded.get(re.sub(r"[\s_-]+", " ", fold(s)).strip())

    def by_place_name(self, s: str) -> Organisation | None:
        """A kommun or region whose place name equals ``s`` folded (``lomma``, ``goteborg``)."""
        return self._by_place.get(re.sub(r"[\s_-]+", " ", fold(s)).strip())

    def by_official(self, official: str | None) -> Organisation | None:
        """The organisation of that official name (``Lomma kommun``), if it is in the data."""
        return self._by_official.get(official) if official else None


def _load(path: Path) -> list[Organisation]:
    out: list[Organisation] = []
    seen: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, name, official, forms, domains, _county = line.split("\t")
        if official in seen:  # Region Gotland is both a kommun and a region
            continue
        seen.add(official)
        out.append(Organisation(official=official, kind=kind, name=name, forms=tuple(forms.split("|")),
                                domains=tuple(d for d in domains.split("|") if d)))
    return out


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer(_load(DATA))


def count_rows(path: Path = DATA) -> dict[str, int]:
    """Rows per kind in the data file (for its own test: 290 kommuner, 21 regioner)."""
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind = line.split("\t", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return counts


__all__ = ["DATA", "Gazetteer", "Organisation", "count_rows", "fold", "gazetteer"]
