"""Case keys: one key per matter (ärende) per organisation, from its diarienummer as written.

A matter's diarienummer is written many ways (``KS 2018/124``, ``KS/2018/0124/0009``,
``Dnr KS 2018/124-5``; ``VO-2025-00072`` and ``VO 2025/72``). :func:`parse_case_number` reads
every format met in the corpora into series (the registry: ``KS``, ``VO``, ``HSN``), year and
serial; :func:`case_key` adds the organisation, because registries number per organisation.

:func:`item_case_numbers` picks an item's *own* numbers (those that make it a step of the matter)
from the numbers it merely mentions; :func:`step_kind` says what kind of step the item is.
Everything here is pure: no store, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.records import Item

YEAR_MIN, YEAR_MAX = 1990, 2100
# a year beyond this is taken for a serial when the other part of the number could be the year
_LIKELY_YEAR_MAX = 2035


@dataclass(frozen=True)
class CaseNumber:
    """A diarienummer read into its parts."""

    series: str  # upper-case registry prefix, words joined by "-": "KS", "VO", "KS-KF"; "" if none
    year: int
    serial: int  # the matter's running number, leading zeros dropped
    raw: str  # as written


# -- parsing ---------------------------------------------------------------------------------------
_LABEL = re.compile(
    r"^(?:vårt\s+dnr|ert\s+dnr|er\s+ref(?:erens)?|vår\s+ref(?:erens)?|vår\s+beteckning|er\s+beteckning|dnr|"
    r"diarienummer|diarienr|ärendenummer|ärende\s+nr|ärendenr|beteckning|referensnummer)\b\.?\s*:?\s*", re.I)
# series that are not a registry of the organisation: statutes, official reports, standards, ...
# (and any series ending in FS: a författningssamling such as HSLF-FS, SOSFS, SKOLFS)
_NOT_SERIES = frozenset("""SOU DS SFS PROP BET DIR RIR ISO IEC EU EG LOU LOL LAG KAP KOM COM NJA RÅ HFD AD MÖD MD
JO JK SKR TF RF KL HSLF ISBN ISSN LÅ VT HT NR TEL ORG ORGNR SID BILAGA PUNKT ART DOM MÅL PNR PERSONNR TFN
FAX""".split())
_SER = r"(?P<series>[A-Za-zÅÄÖåäö][A-Za-zÅÄÖåäö0-9]{0,7}(?:[ /-][A-Za-zÅÄÖåäö]{1,6})?)"
_DOC = r"(?:\s?[-/:.]\s?-?\d{1,6})?"  # a document number after the serial: "-5", "/0009", ":58", ":-1"
_SEP = r"\s?[/\-.:_ ]\s?"
_PATTERNS = [
    # KS 2018/124, KS/2019/0001/0009, VO-2025-00072, SLK-2023-00027:58, Bun/2015:608, KS KF/2022:7,
    # SBF 2021-002727, KF/2006.203, MH-2025-1292-4, and (series/serial/year) RS/1234/2021, RS 1379/2015
    ("series-a-b", re.compile(rf"{_SER}{_SEP}(?P<a>\d{{1,6}})\s?[/\-.:_]\s?(?P<b>\d{{1,6}}){_DOC}")),
    # 2026.272 KS
    ("year-serial-series", re.compile(r"(?P<year>\d{4})\s?[./:\-]\s?(?P<serial>\d{1,6})\s+(?P<series>[A-ZÅÄÖ]{1,6})")),
    # 23HSN1782
    ("yy-series-serial", re.compile(r"(?P<yy>\d{2})(?P<series>[A-ZÅÄÖ]{2,6})(?P<serial>\d{1,6})")),
    # bare 2023/204, 2025-00297, 2025/1292-3, 24773-2025, 0295/23, 02530_2023-9
    ("a-b", re.compile(rf"(?P<a>\d{{1,6}})\s?[/\-.:_]\s?(?P<b>\d{{1,6}}){_DOC}")),
]
_CLASSIFICATION = re.compile(r"^\d{1,2}(?:\.\d{1,3})+\s?-\s?(?=\d)")  # "3.5.16-16309/2024": a filing-plan code
_ISO_DATE = re.compile(r"^(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$")


def _year4(s: str) -> int | None:
    return int(s) if len(s) == 4 and YEAR_MIN <= int(s) <= YEAR_MAX else None


def _year2(s: str) -> int | None:
    """A two-digit year: 90..99 are the 1990s, the rest this century."""
    return (1900 if int(s) >= 90 else 2000) + int(s) if len(s) == 2 else None


def _serial(s: str) -> int | None:
    return int(s) if s and int(s) > 0 else None


def _year_span(year: int, other: str, sep: str) -> bool:
    """``2023-2024``, ``2019/20``: a span of years, not a case number."""
    if len(other) == 4 and not other.startswith("0") and year < int(other) <= year + 10 and sep in "-–":
        return True
    return len(other) == 2 and int(other) == (year + 1) % 100


def _year_and_serial(a: str, b: str, sep: str, slash_first: bool) -> tuple[int, int] | None:
    """Which of the two numbers is the year: four digits in range, the other a serial.

    When both could be years (``RS/2074/2017``) the one beyond :data:`_LIKELY_YEAR_MAX` or with
    leading zeros is the serial; else the format decides: ``series/serial/year`` with slashes
    (``RS/2019/2017``), ``series year/serial`` otherwise (``KS 2018/2019``).
    """
    ya, yb = _year4(a), _year4(b)
    if ya and yb:
        if yb > _LIKELY_YEAR_MAX >= ya:
            yb = None
        elif ya > _LIKELY_YEAR_MAX >= yb:
            ya = None
        elif slash_first:
            ya = None
        else:
            yb = None
    if ya and not a.startswith("0"):
        if _year_span(ya, b, sep):
            return None
        serial = _serial(b)
        return (ya, serial) if serial else None
    if yb and not b.startswith("0"):
        if len(a) == 6 and len(b) == 4 and sep == "-":  # org.nr / personnummer: 212000-2000
            return None
        serial = _serial(a)
        return (yb, serial) if serial else None
    if len(b) == 2 and len(a) >= 3:  # serial/yy: 0295/23, CF 485/97, N164-0569/23
        year, serial = _year2(b), _serial(a)
        return (year, serial) if year and serial and sep == "/" else None
    return None


def _clean(raw: str) -> str:
    s = unicodedata.normalize("NFC", raw).replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    s = re.sub(r"\s+", " ", s).strip().strip("()[]").strip(" ,.;")
    while True:
        m = _LABEL.match(s)
        if not m:
            break
        s = s[m.end():]
    s = re.sub(r"\s+dnr\b\.?:?", "", s, flags=re.I)  # "SLK dnr 0416/23"
    s = re.sub(r"^([A-ZÅÄÖ]{2,6})(?=(?:19|20)\d{2}\s?[/.:-]\s?\d)", r"\1 ", s)  # "KS2023/123"
    s = re.sub(r"\s?-\s?\d{1,2}(?:\.\d{1,3}){1,4}$", "", s)  # "KS 2019/123 - 2.4.1": a filing-plan code after
    return _CLASSIFICATION.sub("", s).strip(" ,.;:")


def _series(s: str) -> str:
    return "-".join(re.split(r"[ /\-]+", s.strip().upper()))


def parse_case_number(raw: str) -> CaseNumber | None:
    """The series, year and serial of a diarienummer as written, or None when it is none.

    A trailing document number (``KS 2018/124-5``, ``KS/2019/0001/0009``, ``SLK-2023-00027:58``)
    and labels (``Dnr``, ``Diarienummer:``, ``Vårt dnr``, ``Er ref``) are dropped. Statute and
    report series (``SOU 2020:12``, ``SFS 2017:725``), dates, spans of years, organisation and
    personal numbers are not case numbers.
    """
    s = _clean(raw or "")
    if not s or len(s) > 40 or _ISO_DATE.match(s.rsplit(" ", 1)[-1]):
        return None
    for name, pattern in _PATTERNS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        g = m.groupdict()
        series = _series(g.get("series") or "")
        if series in _NOT_SERIES or series.endswith("FS"):
            return None
        if name == "series-a-b":
            sep = s[m.end("a"):m.start("b")].strip() or " "
            slash_first = s[m.end("series"):m.start("a")].strip() == "/" and sep == "/"
            found = _year_and_serial(g["a"], g["b"], sep, slash_first)
        elif name == "year-serial-series":
            year, serial = _year4(g["year"]), _serial(g["serial"])
            found = (year, serial) if year and serial else None
        elif name == "yy-series-serial":
            year, serial = _year2(g["yy"]), _serial(g["serial"])
            found = (year, serial) if year and serial else None
        else:
            sep = s[m.end("a"):m.start("b")].strip() or " "
            if _year4(g["a"]) and _year4(g["b"]) and not g["b"].startswith("0"):
                return None  # "2023/2024": a span of years
            found = _year_and_serial(g["a"], g["b"], sep, False)
            # a bare serial needs three digits: "2019/20", "12/3" are no case numbers
            if found and len(str(found[1])) < 3 and not re.match(r"0", g["b"] if _year4(g["a"]) else g["a"]):
                found = None
        if found and YEAR_MIN <= found[0] <= YEAR_MAX:
            return CaseNumber(series=series, year=found[0], serial=found[1], raw=raw)
        return None
    return None


# -- keys and labels -------------------------------------------------------------------------------
def slug(text: str) -> str:
    """ASCII slug: ``Kungsbacka kommun`` -> ``kungsbacka-kommun``, å/ä -> a, ö -> o."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def number_key(number: CaseNumber, organisation: str | None) -> str:
    """The key of a parsed case number in ``organisation``."""
    org = slug(organisation or "") or "okand"
    series = slug(number.series)
    return f"{org}:{series + '-' if series else ''}{number.year}-{number.serial}"


def case_key(raw: str, organisation: str | None) -> str | None:
    """One key per matter per organisation (``kungsbacka-kommun:vo-2025-72``); None if ``raw`` is none.

    URL-safe: only ``[a-z0-9:-]``. The organisation is part of the key because each organisation
    numbers its own registry: ``KS 2023/204`` of two kommuner are two matters.
    """
    number = parse_case_number(raw)
    return number_key(number, organisation) if number else None


_KEY = re.compile(r"^(?P<org>[a-z0-9-]+):(?:(?P<series>[a-z0-9-]+)-)?(?P<year>\d{4})-(?P<serial>\d+)$")


def series_less_aliases(keys: Iterable[str]) -> dict[str, str]:
    """Series-less keys that name one series' matter: ``goteborgs-stad:2023-408`` ->
    ``goteborgs-stad:slk-2023-408`` when the organisation has exactly one key of that year and serial.

    Registries print the same matter with and without their prefix (``Diarienummer 0408/23`` on the
    office's report, ``SLK-2023-00408`` in the protocol). Two candidates (``KS`` and ``BUN``) leave
    the key alone.
    """
    by_number: dict[tuple[str, str, str], set[str]] = {}
    bare: list[tuple[str, tuple[str, str, str]]] = []
    for key in keys:
        m = _KEY.match(key)
        if not m:
            continue
        number = (m["org"], m["year"], m["serial"])
        if m["series"]:
            by_number.setdefault(number, set()).add(key)
        else:
            bare.append((key, number))
    return {key: next(iter(by_number[n])) for key, n in bare if len(by_number.get(n, ())) == 1}


def case_label(number: CaseNumber) -> str:
    """Display form: ``KS 2018/124``, ``VO 2025/72``, ``2023/204``."""
    series = number.series.replace("-", " ")
    return f"{series + ' ' if series else ''}{number.year}/{number.serial}"


# -- own versus mentioned --------------------------------------------------------------------------
# The head of an item: its heading, title and the lines printed above the body text (Dnr, date,
# handläggare, presenter, time). A number first met there is the item's own; one met further down
# is a mention (an earlier decision, a related matter, a delegation list).
HEAD_CHARS = 400
HEAD_LINES = 8
MAX_HEAD_NUMBERS = 2  # a head naming more matters is a list (001's delegation decisions), not one matter's head
_PREAMBLE_TITLE = "Inledning och närvarande"  # the protocol segmenter's preamble (indexer.segment.protocol)
_LABEL_WORD = re.compile(r"(?:\bdnr|\bdiarienummer|\bdiarienr|\bärendenummer|\bärende nr)\.?\s*:?\s*$", re.I)
# the other party's reference in a letter or remiss: "Er ref", "Ert dnr", "Er beteckning" — never the item's own
_THEIR_LABEL = re.compile(r"\b(?:er|ert|eder)\s+(?:ref(?:erens)?|dnr|diarienummer|diarienr|beteckning|ärendenummer)"
                          r"\.?\s*:?\s*(?:dnr\.?\s*:?\s*)?$", re.I)
_HEADING_START = re.compile(r"^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*(?:[A-ZÅÄÖ]{1,6}\s+)?§\s*\d{1,4}\b")


def _norm(text: str) -> str:
    return text.replace("\u2013", "-").replace("\u2014", "-")


def _find(text: str, raw: str) -> int:
    """Where ``raw`` first stands in ``text`` (dashes folded, any run of white space, a line break
    included, for a space), or -1."""
    parts = [re.escape(p) for p in _norm(raw).split()]
    m = re.search(r"\s+".join(parts), text) if parts else None
    return m.start() if m else -1


def _head_end(text: str) -> int:
    """Offset where an item's head ends: after ``HEAD_LINES`` non-empty lines or ``HEAD_CHARS``."""
    seen = 0
    for m in re.finditer(r"[^\n]*\n?", text):
        if m.group(0).strip():
            seen += 1
            if seen == HEAD_LINES:
                return min(m.end(), HEAD_CHARS)
        if m.end() >= HEAD_CHARS or not m.group(0):
            break
    return min(len(text), HEAD_CHARS)


def _heading_like(text: str, pos: int) -> bool:
    """A number that heads a line: after a label (``Diarienummer X``, ``Dnr:`` on the line above)
    or on a ``§ N`` heading line — how a document or paragraph inside the item announces its matter."""
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    if _HEADING_START.match(before) or _LABEL_WORD.search(before.strip()) and len(before.strip()) < 20:
        return True
    if not before.strip():
        prev = text[:line_start].rstrip().rsplit("\n", 1)[-1]
        return bool(_LABEL_WORD.search(prev.strip())) and len(prev.strip()) < 20
    return False


def item_case_numbers(item: Item) -> list[str]:
    """The item's own case numbers (as written), of those it carries, in order.

    Rule (measured on corpus/ and tests/data/corpus-dev, see tests/test_case_keys.py):

    - a number first met in the item's head (the first ``HEAD_LINES`` non-empty lines and
      ``HEAD_CHARS`` characters: § heading, title, Dnr/Diarienummer line, handläggare, time) is own;
      a number not found in the text at all came from the segmenter's heading and is own too;
    - numbers further down are mentions, except when the head has none: then a number that heads
      a line of its own (``Diarienummer X``, ``§ 176 … X``) is own if it is the only such number
      (one embedded document announcing its matter; several are a list of other matters);
    - a head naming more than ``MAX_HEAD_NUMBERS`` matters is a list of other matters: none is own;
    - the protocol preamble (``Inledning och närvarande``) owns nothing: it lists the agenda;
    - a number labelled as the other party's (``Er ref``, ``Ert dnr``) is never own.
    Numbers that are no case numbers (:func:`parse_case_number` is None) are left out.
    """
    if item.paragraph is None and item.title == _PREAMBLE_TITLE:
        return []
    text = _norm(item.text or "")
    head = _head_end(text)
    own: list[str] = []
    later: list[tuple[str, int]] = []
    for raw in item.case_numbers:
        if parse_case_number(raw) is None or raw in own:
            continue
        pos = _find(text, raw)
        if pos >= 0 and _THEIR_LABEL.search(text[max(0, pos - 30):pos]):
            continue
        if pos < 0 or pos < head:
            own.append(raw)
        else:
            later.append((raw, pos))
    if len({case_key(raw, None) for raw in own}) > MAX_HEAD_NUMBERS:
        return []  # a list in the head (delegation decisions, an agenda) names other matters
    if own:
        return own
    headed = [raw for raw, pos in later if _heading_like(text, pos)]
    keys = {case_key(raw, None) for raw in headed}
    return headed[:1] if len(keys) == 1 else []


def item_case_keys(item: Item, organisation: str | None) -> list[str]:
    """Keys of :func:`item_case_numbers` in ``organisation``, deduplicated, in order."""
    out: list[str] = []
    for raw in item_case_numbers(item):
        key = case_key(raw, organisation)
        if key and key not in out:
            out.append(key)
    return out


# -- step kinds ------------------------------------------------------------------------------------
STEP_KINDS = ("tjänsteskrivelse", "kallelse", "utskott", "nämnd", "styrelse", "fullmäktige", "protokollsutdrag",
              "yttrande", "remiss", "anmälan", "handling")
STEP_LABELS: dict[str, str] = {
    "tjänsteskrivelse": "Tjänsteskrivelse",
    "kallelse": "Kallelse (förslag)",
    "utskott": "Utskott",
    "nämnd": "Nämnd",
    "styrelse": "Styrelse",
    "fullmäktige": "Fullmäktige",
    "protokollsutdrag": "Protokollsutdrag",
    "yttrande": "Yttrande",
    "remiss": "Remiss",
    "anmälan": "Anmälan",
    "handling": "Handling",
}

_TITLE_KINDS = [
    ("protokollsutdrag", re.compile(r"^(?:protokollsutdrag|utdrag ur protokoll|protokollsutdrag)\b", re.I)),
    ("tjänsteskrivelse", re.compile(r"^(?:tjänsteskrivelse|tjänsteutlåtande)\b", re.I)),
    ("yttrande", re.compile(r"^(?:yttrande|remissvar|remissyttrande|svar på remiss|förslag till yttrande)\b", re.I)),
    ("remiss", re.compile(r"^remiss", re.I)),
    ("anmälan", re.compile(r"^(?:anmälan|anmälningsärenden|delegationsbeslut|delegeringsbeslut|"
                           r"redovisning av delegationsbeslut|redovisning av delegeringsbeslut|meddelanden)\b", re.I)),
]

# an office (not a decision-making body): "Stadsledningskontoret", "Socialförvaltningen Centrum"
_OFFICE = re.compile(r"(?:förvaltning(?:en)?|kontoret|kansliet)\b", re.I)


def body_kind(body: str | None) -> str | None:
    """The kind of a decision-making body by its name: utskott (also presidium, beredning),
    fullmäktige, styrelse, nämnd; None for others (förvaltning, revision) or no body."""
    name = (body or "").lower()
    if re.search(r"utskott|presidi|beredning", name):
        return "utskott"
    if "fullmäktige" in name:
        return "fullmäktige"
    if "styrelse" in name:
        return "styrelse"
    if re.search(r"nämnd", name):
        return "nämnd"
    return None


def step_kind(doc_type: str | None, body: str | None, title: str | None, decision_kind: str | None) -> str:
    """What kind of step in a matter an item is, by general rules.

    A kallelse's point is a ``kallelse`` (a proposal); a protocol item is its body's kind (utskott,
    nämnd, styrelse, fullmäktige); a meeting page (``möte``) likewise when it holds a decision, else a
    kallelse; a tjänsteskrivelse is one; a ``beslut`` document (one § extracted) is a protokollsutdrag;
    other documents go by their item title (Protokollsutdrag, Yttrande/remissvar, Remiss, Anmälan/
    delegationsbeslut; an office's name heads its tjänsteskrivelse), else ``handling``.
    """
    doc_type = (doc_type or "").lower()
    kind = body_kind(body)
    title = (title or "").strip()
    if doc_type == "kallelse":
        return "kallelse"
    if doc_type == "tjänsteskrivelse":
        return "tjänsteskrivelse"
    if doc_type == "protokoll":
        return kind or "nämnd"
    if doc_type == "möte":
        if decision_kind == "beslut":
            return kind or "nämnd"
        return "kallelse" if decision_kind == "förslag" else "handling"
    for name, pattern in _TITLE_KINDS:
        if pattern.match(title):
            return name
    if _OFFICE.search(title) and len(title.split()) <= 4:
        return "tjänsteskrivelse"  # a section headed by an office: its tjänsteutlåtande in a bundle of handlingar
    if doc_type == "beslut":
        return "protokollsutdrag"
    return "handling"


__all__ = ["STEP_KINDS", "STEP_LABELS", "CaseNumber", "body_kind", "case_key", "case_label", "item_case_keys",
           "item_case_numbers", "number_key", "parse_case_number", "series_less_aliases", "slug",
           "step_kind"]
