"""References to other meetings' paragraphs: ``Kommunstyrelsen 2025-03-12 § 44``, ``KS § 28``.

:func:`find_references` finds them in an item's text (body as written, date, § number);
:func:`body_abbreviations` and :func:`resolve_body` turn the written body into one of the
organisation's own bodies. Resolution against the index is the store's business. Pure functions.

Not references: the item's own heading (``§ 44 Title`` at a line start), a statute's section
(``6 kap. 7 § kommunallagen``, ``5 § förvaltningslagen``, ``SoL 6 kap, §7``, ``LVU § 13``), the
paragraph list of a protocol's header (``Justerade paragrafer §§ 1–12``, ``Paragrafer § 66``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

MONTHS = {"januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
          "september": 9, "oktober": 10, "november": 11, "december": 12}
_MONTH = "|".join(MONTHS)


@dataclass(frozen=True)
class Reference:
    """One reference to a paragraph of a meeting."""

    text: str  # the span as written: "Kommunstyrelsen 2025-03-12 § 44"
    start: int
    end: int
    body: str | None  # as written (full name or abbreviation: "KS", "TEN"); None if the text names none
    date: str | None  # ISO yyyy-mm-dd if given
    paragraph: int
    year: int | None = None  # the meeting's year when known: from the date, "KF § 12/2019", "KS § 3/26", "april 2019"


@dataclass(frozen=True)
class HandlingReference:
    """A reference to a numbered handling of fullmäktige: ``Handling 2023 nr 204``."""

    text: str
    start: int
    end: int
    year: int
    number: int


# a body by name: (Hälso- och sjukvårds)nämnden, Kommunstyrelsens arbetsutskott, Nämnden för Vård & Omsorg,
# Fullmäktiges presidium, regionfullmäktige, Regionala utvecklingsnämnden
_BODY_END = (r"(?i:nämnd(?:en|ens|s|er|erna|ernas)?|styrelse(?:n|ns|s|r|rna|rnas)?|fullmäktiges?|"
             r"utskott(?:et|ets|s)?|presidi(?:et|ets|um|ums)|beredning(?:en|ens|s)?|direktion(?:en|ens|s)?)(?![a-zåäö])")
_BODY_NAME = (
    r"(?:[A-ZÅÄÖa-zåäö]+-\s+och\s+)?(?:[A-ZÅÄÖ][a-zåäö]+(?:ala|iska|ska|ella|liga)\s+)?[A-ZÅÄÖa-zåäö]*" + _BODY_END +
    r"(?:(?<=nämnd)\s+[A-ZÅÄÖ][a-zåäö]+)?"  # Göteborg's "Socialnämnd Centrum"
    r"(?:\s+(?:arbetsutskott|presidium|utskott|au)[a-zåäö]*)?"
    r"(?:\s+för\s+[A-ZÅÄÖa-zåäö][a-zåäö]+(?:\s*(?:&|och)\s*[A-ZÅÄÖa-zåäö][a-zåäö]+)?)?")
_ABBR = r"[A-ZÅÄÖ]{2,6}(?:[-/ ]?(?:AU|au))?"
# statutes printed by abbreviation ("LVU § 13", "KL § 5" are sections of law, not a meeting) and company forms
_LAWS = frozenset("""SOL LVU LVM LSS KL FL OSL PBL MB HSL HSLF LOU LUF LOL TF RF BRB SKOLL SL LPT LRV AML MBL LAS SFB
ÄB FB JB UL DL GDPR LOA LOV SFS EU EG YGL LL PUL LEK SOU KAP ST NR SID AB HB KB""".split())
_DATE = (rf"(?:(?P<iso>(?:19|20)\d{{2}}-[01]\d-[0-3]\d)(?:\s*(?:--?|–|—)\s*\d{{2}})?"
         rf"|(?P<day>\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?\s+(?P<month>{_MONTH})\s+(?P<year>(?:19|20)\d{{2}})"
         rf"|(?:i\s+)?(?:{_MONTH})\s+(?P<month_year>(?:19|20)\d{{2}}))")
# "§ 44", "§44", "§§ 12-14", "§§ 12, 13 och 15", "§ 12/2019"
_PARA = re.compile(r"(?P<signs>§§?)\s*(?P<num>\d{1,4})(?![\d:.,]\d)"
                   r"(?P<more>(?:\s*(?:[-–]|,|och)\s*[1-9]\d{0,3}(?![\d:/-]))*)(?:/(?P<year>(?:19|20)?\d{2})(?![\d/]))?")
_TAIL = rf"(?:den\s+)?(?:{_DATE})?[\s,(]*$"
_BODY_AT = re.compile(rf"(?:(?P<abbr>\b{_ABBR})[\s,]+|(?P<name>(?<![\w-]){_BODY_NAME})"
                      rf"(?P<gap>(?:[\s,]+(?!\d)[\wåäö.]+){{0,6}}?)[\s,]+){_TAIL}")
_BODY_START = re.compile(rf"\b{_ABBR}\b|(?<![\w-]){_BODY_NAME}")
_DATE_ONLY = re.compile(_TAIL)
_AFTER_BODY = re.compile(rf"^[\s:,]+(?:(?P<abbr>{_ABBR})\b|(?P<name>(?=[A-ZÅÄÖ]){_BODY_NAME}))")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[-–•>]\s*)?(?:\*\*|__)?\s*"
                      r"(?:[A-ZÅÄÖ]{1,6}(?:[-/][A-ZÅÄÖa-zåäö]{1,6})?\s*)?$")
_STATUTE_BEFORE = re.compile(r"(?:\bkap\b\.?,?\s*|\d\s*[a-z]?\s*§§?\s*(?:och|,)?\s*"
                             r"|(?:lagen|lag|balken|förordningen)\s*)$", re.I)
_STATUTE_AFTER = re.compile(r"^\s*(?:[a-z]\s+)?(?:§|kap\b|st\b|stycket|första|andra|tredje|p\.|punkt|"
                            r"[a-zåäö]*(?:lagen|lag|balken|förordningen|förordning|kungörelse)\b)", re.I)
_HEADER_LIST = re.compile(r"(?:paragraf|justerade|justering)", re.I)  # "Justerade paragrafer §§ 1–12"
# a bare "§§ 92, 96 och 98" is this meeting's paragraphs when a sentence runs through it ("justera protokollet
# förutom §§ 92, 96 och 98 där …"); in a list of who attended ("Controller, §§ 34–36", "ersätter X tom § 1-5 Anna")
# or under a statute or taxa ("enligt § 5 e)") it is not
_SENTENCE_BEFORE = re.compile(r"(?<![\w-])(?!enligt\b|och\b|samt\b)[a-zåäö]{2,}\s+\(?$")
_SENTENCE_AFTER = re.compile(r"^\)?[ \t]+[a-zåäö]{2,}\b")
_CLAUSE_END = re.compile(r"(?:[.;:!?](?=\s)|\n\s*\n)")


def _iso(m: re.Match) -> str | None:
    if m.group("iso"):
        return m.group("iso")
    if m.group("day"):
        return f"{m.group('year')}-{MONTHS[m.group('month').lower()]:02d}-{int(m.group('day')):02d}"
    return None


def _year(date: str | None, before: re.Match | None, after: str | None) -> int | None:
    """The meeting's year: the date's, the ``/2019`` or ``/26`` after the §, or a month's (``i april 2019``)."""
    if date:
        return int(date[:4])
    if after:
        return int(after) if len(after) == 4 else 2000 + int(after)
    month_year = before.groupdict().get("month_year") if before else None
    return int(month_year) if month_year else None


def _numbers(first: str, more: str) -> list[int]:
    """The paragraphs of ``§§ 12-14`` (each, up to 20), ``§§ 12, 13 och 15``, ``§ 44``."""
    out = [int(first)]
    for sep, num in re.findall(r"([-–]|,|och)\s*(\d{1,4})", more):
        n = int(num)
        if sep in "-–" and out[-1] < n <= out[-1] + 20:
            out.extend(range(out[-1] + 1, n + 1))
        elif sep not in "-–":
            out.append(n)
    return out


def _is_law(abbr: str | None) -> bool:
    return abbr is not None and abbr != "" and re.sub(r"[^A-ZÅÄÖ]", "", abbr.upper()) in _LAWS


def find_references(text: str) -> list[Reference]:
    """References to meeting paragraphs in ``text``, in order; one per paragraph of ``§§ 12-14``."""
    out: list[Reference] = []
    for m in _PARA.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before_line = text[line_start:m.start()]
        if _HEADING.match(before_line) and len(m.group("signs")) == 1:
            continue  # the item's (or an embedded document's) own heading
        if _STATUTE_BEFORE.search(text[max(0, m.start() - 12):m.start()]) or _STATUTE_AFTER.match(text[m.end():]):
            continue
        if _HEADER_LIST.search(before_line[-60:]):
            continue
        # the clause before the §: back to the sentence's end or a blank line, at most 160 characters
        lo = max(0, m.start() - 160)
        window = text[lo:m.start()]
        ends = list(_CLAUSE_END.finditer(window))
        if ends:
            lo, window = lo + ends[-1].end(), window[ends[-1].end():]
        body = date = None
        start = m.start()
        b = None
        for cand in reversed(list(_BODY_START.finditer(window))):  # the body nearest the date wins
            b = _BODY_AT.match(window, cand.start())
            if b and (b.group("name") or not _is_law(b.group("abbr"))):
                break
            b = None
        if b is None:
            b = _DATE_ONLY.search(window)
        if b and b.group(0).strip(" ,(\n"):
            date = _iso(b)
            body = b.groupdict().get("abbr") or b.groupdict().get("name")
            start = lo + b.start()
            if body is None and date is None:
                start = m.start()
        elif _is_law(window.rstrip(" ,(").rsplit(" ", 1)[-1]):
            continue  # "LVU § 13"
        end = m.end()
        if body is None:
            a = _AFTER_BODY.match(text[m.end():m.end() + 60])
            if a and not _is_law(a.group("abbr")):
                body = a.group("abbr") or a.group("name")
                end = m.end() + a.end()
        if body is None and date is None and not m.group("year") and not (
                _SENTENCE_BEFORE.search(text[max(0, m.start() - 30):m.start()]) and _SENTENCE_AFTER.match(text[end:])):
            continue
        span = text[start:end]
        year = _year(date, b, m.group("year"))
        for number in _numbers(m.group("num"), m.group("more") or ""):
            out.append(Reference(text=span, start=start, end=end, body=body, date=date, paragraph=number, year=year))
    return out


# -- numbered handlingar ----------------------------------------------------------------------------
_HANDLING = re.compile(r"\bHandling\s+(?P<year>(?:19|20)\d{2})\s+nr\.?\s*(?P<number>\d{1,4})\b")
HANDLING_HEAD_CHARS = 300


def find_handling_references(text: str) -> list[HandlingReference]:
    """References to fullmäktige's numbered handlingar: ``Handling 2023 nr 204`` (also broken over lines)."""
    return [HandlingReference(text=m.group(0), start=m.start(), end=m.end(), year=int(m.group("year")),
                              number=int(m.group("number"))) for m in _HANDLING.finditer(text)]


def own_handling_number(text: str) -> tuple[int, int] | None:
    """(year, number) a handling prints at its head (``Kommunfullmäktige … Handling 2023 nr 204``), or None."""
    found = find_handling_references(text[:HANDLING_HEAD_CHARS])
    return (found[0].year, found[0].number) if found else None


# -- bodies and their abbreviations --------------------------------------------------------------
_SMALL_WORDS = frozenset({"och", "för", "&", "i", "av", "med", "om", "samt"})
_BODY_WORDS = ("nämnden", "nämnd", "styrelsen", "styrelse", "fullmäktige", "utskottet", "utskott", "presidiet",
               "presidium", "beredningen", "beredning", "direktionen", "direktion", "revisionen")


@lru_cache(maxsize=1)
def _splitter():
    """The project's compound splitter, or None where the Hunspell dictionary is missing."""
    try:
        from models.compounds import get_compounds
        return get_compounds()
    except (ImportError, FileNotFoundError, OSError):
        return None


def _parts(word: str, fine: bool) -> list[str]:
    """Compound parts of a word: ``kommunstyrelsen`` -> kommun, styrelsen; ``fine`` splits the parts too."""
    w = word.lower().strip("-")
    for end in _BODY_WORDS:  # the body word ends most names: split it off without the dictionary
        if w.endswith(end) and len(w) > len(end) + 2:
            head = w[: -len(end)]
            return _parts(head, fine) + [end] if fine else [head, end]
    splitter = _splitter()
    if splitter is None or len(w) < 6:
        return [w]
    parts = [p.surface for p in splitter.split(w)] or [w]
    if fine and len(parts) > 1:
        return [q for p in parts for q in _parts(p, True)]
    return parts


def abbreviations_of(body: str) -> set[str]:
    """Initials of a body name's words and compound parts: Kommunstyrelsen -> KS, Hälso- och
    sjukvårdsnämnden -> HSN, Kommunstyrelsens arbetsutskott -> KSAU, Nämnden för Vård & Omsorg -> NVO, VO."""
    words = [w for w in re.split(r"\s+", body.replace("-", "- ").strip()) if w and w.lower() not in _SMALL_WORDS]
    if not words:
        return set()
    out: set[str] = set()
    for fine in (False, True):
        initials = "".join(p[0] for w in words for p in _parts(w.rstrip("s") if w.endswith("ens") else w, fine) if p)
        if len(initials) >= 2:
            out.add(initials.upper())
    m = re.search(r"\bför\s+(.+)$", body)  # "Nämnden för Vård & Omsorg": VO
    if m:
        rest = [w for w in re.split(r"[\s-]+", m.group(1)) if w and w.lower() not in _SMALL_WORDS]
        if len(rest) >= 2:
            out.add("".join(w[0] for w in rest).upper())
    return {a for a in out if a.isalpha()}


def _abbr_key(abbr: str) -> str:
    return re.sub(r"[^A-ZÅÄÖ]", "", abbr.upper())


def body_abbreviations(bodies: Iterable[str], case_series_by_body: Mapping[str, Iterable[str]] = {}) -> dict[str, str]:
    """Abbreviation (upper case, letters only: ``KSAU``) -> full body name, for one organisation.

    From the initials of each body's words and compound parts, and from the case-number series
    the body's own items carry (evidence: ``VO-2025-00072`` on the items of Nämnden för Vård & Omsorg).
    An abbreviation pointing at two bodies by the same kind of evidence is left out; a series seen
    on one body only wins over initials.
    """
    by_initials: dict[str, set[str]] = {}
    for body in dict.fromkeys(bodies):
        for abbr in abbreviations_of(body):
            by_initials.setdefault(abbr, set()).add(body)
    by_series: dict[str, set[str]] = {}
    for body, series in case_series_by_body.items():
        for s in series:
            key = _abbr_key(s)
            if 2 <= len(key) <= 8:
                by_series.setdefault(key, set()).add(body)
    out = {abbr: next(iter(names)) for abbr, names in by_initials.items() if len(names) == 1}
    for abbr, names in by_series.items():
        if len(names) == 1:
            out[abbr] = next(iter(names))
        else:
            out.pop(abbr, None)
    return out


def _base(name: str) -> str:
    """Lower case, whitespace and "&" folded, genitive and definite forms reduced:
    kommunstyrelsens -> kommunstyrelse, Nämnden för miljö och hälsoskydds -> nämnd för miljö och hälsoskydd."""
    s = re.sub(r"\s+", " ", name.strip().lower()).replace(" & ", " och ")
    if re.search(r"[^s]s$", s):
        s = s[:-1]  # the genitive -s of the last word: kommunstyrelsens, hälsoskydds, fullmäktiges
    for full, stem in (("nämnden", "nämnd"), ("styrelsen", "styrelse"), ("utskottet", "utskott"),
                       ("presidiet", "presidium"), ("beredningen", "beredning"), ("direktionen", "direktion"),
                       ("revisionen", "revision")):
        s = re.sub(rf"{full}(?=$|\s)", stem, s)
    return s


_GENERIC = {"nämnd", "styrelse", "utskott", "presidium", "beredning", "direktion"}


def is_generic_body(name: str | None) -> bool:
    """Whether a written body names no body by itself (``Nämnden``, ``styrelsens``, ``utskottet``).

    With a date it is most often the citing document's own body; without one it may be any earlier
    meeting ("Nämnden beslutade också (§§ 42-43)" cites an earlier meeting of the citing nämnd), so
    it names no target by itself."""
    return name is not None and name != "" and _base(name) in _GENERIC


def resolve_body(name: str, bodies: Iterable[str], abbreviations: Mapping[str, str]) -> str | None:
    """The organisation's body that ``name`` (as written in a reference) names, or None.

    ``Kommunstyrelsen``, ``kommunstyrelsens`` -> Kommunstyrelsen; ``KS``, ``KS-AU`` through
    ``abbreviations``; a bare ``fullmäktige`` -> the one fullmäktige; ``Nämnden`` / ``styrelsen`` say
    which only in context (usually the item's own body), so they resolve to None here.
    """
    bodies = list(dict.fromkeys(bodies))
    if not name or not name.strip():
        return None
    written = name.strip()
    if re.fullmatch(r"[A-ZÅÄÖ]{2,6}(?:[-/ ]?[A-ZÅÄÖa-zåäö]{2})?", written) and written[:2].isupper():
        found = abbreviations.get(_abbr_key(written))
        if found:
            return found
    base = _base(written)
    for body in bodies:
        if _base(body) == base:
            return body
    if base in _GENERIC:
        return None
    if base == "fullmäktige":
        matches = [b for b in bodies if _base(b).endswith("fullmäktige")]
        return matches[0] if len(matches) == 1 else None
    return None


__all__ = ["HandlingReference", "Reference", "abbreviations_of", "body_abbreviations", "find_handling_references",
           "find_references", "is_generic_body", "own_handling_number", "resolve_body"]
