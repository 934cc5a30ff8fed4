"""Document and item metadata read from the text, plus sidecar and manifest overrides.

Everything is derived from the document's own text: organisation, body (nämnd, styrelse,
utskott, fullmäktige …), meeting date, document type and title per document; case numbers and
decisions per item. What the text only implies (a body named in the content rather than the
header, a year read off the dates a report mentions) is recorded in ``DocumentMeta.inferred``;
what the text does not support is left empty — a date is never invented.

A ``NAME.meta.json`` (or ``NAME.EXT.meta.json``) beside a document, or a ``manifest.json`` in its
folder (``{"files": {"NAME.EXT": {...}}}``), overrides or supplies metadata.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date as _date
from pathlib import Path

from indexer.decisions import extract_decisions, typed_decisions
from indexer.evidence import Choice, PathHints, fits_body, front_matter, path_hints
from indexer.evidence import find_organisation as find_issuer
from indexer.gazetteer import gazetteer
from indexer.records import DocumentMeta, Item
from indexer.segment.common import SECTION_LABELS, clean_inline, is_label

DOC_TYPES = ("protokoll", "kallelse", "möte", "beslut", "plan", "rapport", "tjänsteskrivelse", "handling",
             "anteckningar", "övrigt")

MONTHS = {"januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
          "september": 9, "oktober": 10, "november": 11, "december": 12}
_MONTH_RE = "|".join(MONTHS)
ISO_DATE = re.compile(r"(?<![\d-])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d])")
TEXT_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?\s+({_MONTH_RE})\s+((?:19|20)\d{{2}})\b", re.I)
MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\s+((?:19|20)\d{{2}})\b", re.I)

# -- organisations ---------------------------------------------------------------------------------
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
                  "Varje", "Denna", "Samma", "Vilken", "Annan", "Egen", "Vår", "Er", "Din", "Varje", "Ingen"}


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


# -- bodies ----------------------------------------------------------------------------------------
_BODY_SUFFIX = r"(?:nämnd|styrelse|utskott|fullmäktige|revision|förvaltning|kontor|beredning|presidium)"
BODY_RE = re.compile(
    r"(?<![\wåäö-])("
    r"[Nn]ämnden för [A-ZÅÄÖ][\wåäö]*(?:-? (?:&|och) [A-ZÅÄÖ]?[\wåäö]+)?"
    r"|[A-ZÅÄÖa-zåäö][\wåäö]*-? och [\wåäö-]*?" + _BODY_SUFFIX + r"(?:en|et|ens|ets|n|ns|s|e|es)?"
    r"|[A-ZÅÄÖa-zåäö][\wåäö-]*?" + _BODY_SUFFIX + r"(?:en|et|ens|ets|n|ns|s|e|es)?"
    r"(?: (?:[a-zåäö-]*utskott|utskott för [\wåäö]+)(?:et)?| presidi(?:um|et))?"
    r")(?![\wåäö])")
_BODY_EXCLUDE = re.compile(r"^(?:nämnd|nämnden|nämndens|styrelse|styrelsen|styrelsens|utskott|utskottet|fullmäktige|"
                           r"förvaltning|förvaltningen|kontor|kontoret|revision|revisionen|beredning|beredningen|"
                           r"presidium|presidiet|fullmäktiges|nämnder|nämnderna|styrelser|förvaltningsorganisation|"
                           r"förbundsfullmäktige|bolagsstyrelse|bolagsstyrelsen|revisionskontoret|"
                           r"ledningsförvaltning|regionledningsförvaltningen|förvaltningsrevision)$", re.I)


def normalise_body(name: str) -> str:
    """Display form of a body name: definite form, capitalised, single spaces."""
    name = re.sub(r"\s+", " ", clean_inline(name)).strip(" .,:;")
    name = re.sub(r"-\s*&", " &", name)
    words = name.split(" ")
    last = words[-1]
    repl = [("nämndens", "nämnden"), ("styrelsens", "styrelsen"), ("utskottets", "utskottet"),
            ("fullmäktiges", "fullmäktige"), ("förvaltningens", "förvaltningen"), ("kontorets", "kontoret"),
            ("revisionens", "revisionen"), ("beredningens", "beredningen")]
    if not name.lower().startswith("nämnden för"):
        for old, new in repl:
            if last.lower().endswith(old):
                words[-1] = last[: -len(old)] + new
                break
        else:
            for old, new in (("nämnd", "nämnden"), ("styrelse", "styrelsen"), ("utskott", "utskottet"),
                             ("förvaltning", "förvaltningen")):
                if last.lower().endswith(old) and len(words) == 1:
                    words[-1] = last + new[len(old):]
                    break
    name = " ".join(words)
    if name.lower().startswith("nämnden för "):
        rest = name[len("nämnden för "):]
        name = "Nämnden för " + " ".join(w if w in {"&", "och"} else w[:1].upper() + w[1:] for w in rest.split())
    return name[:1].upper() + name[1:]


def find_bodies(text: str) -> Counter:
    counts: Counter = Counter()
    for m in BODY_RE.finditer(text):
        raw = m.group(1)
        if _BODY_EXCLUDE.match(raw) or len(raw) < 6:
            continue
        counts[normalise_body(raw)] += 1
    return counts


# -- header helpers ----------------------------------------------------------------------------------
def header_lines(text: str, count: int = 30) -> list[str]:
    out = []
    for line in text.split("\n"):
        s = re.sub(r"^#{1,6}\s+", "", clean_inline(line).strip())
        if not s or s.startswith("SOURCE: ") or s.lower() == "hoppa över navigering":
            continue
        out.append(s)
        if len(out) >= count:
            break
    return out


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
        if re.search(r"\b(?:reviderad|rev\.)\s+\d{4}-\d{2}-\d{2}", s, re.I):
            m = re.search(r"\b(?:reviderad|rev\.)\s+(\d{4}-\d{2}-\d{2})", s, re.I)
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


_DECIDER = re.compile(r"(?<!att )(?<!till )(?<!för )\b([A-ZÅÄÖ][\wåäö]*(?:-? och [\wåäö-]+)?(?:nämnden|styrelsen|"
                      r"utskottet|fullmäktige|revisionen)|Nämnden för [A-ZÅÄÖ][\wåäö]*(?:-? (?:&|och) [A-ZÅÄÖ]?"
                      r"[\wåäö]+)?)\s+(?:beslutar|föreslår|tillstyrker|noterar|godkänner)\b")
_DECIDER_INVERTED = re.compile(r"\bbeslutar\s+([A-ZÅÄÖ][\wåäö]*(?:-? och [\wåäö-]+)?(?:nämnden|styrelsen|utskottet|"
                               r"fullmäktige))\b")


def _is_body_name(s: str, min_len: int = 0) -> bool:
    """``s`` is, as a whole, a body's name: not a bare word (``Nämnden``), not shorter than
    ``min_len`` and no genitive, except a body's own utskott or presidium (``Kommunstyrelsens
    arbetsutskott``)."""
    if not BODY_RE.fullmatch(s):
        return False
    if re.search(r"s (?:[a-zåäö-]*utskott|presidi)", s):
        return True
    return not _BODY_EXCLUDE.match(s) and len(s) >= min_len and not re.search(r"(?:ens|ets|s)$", s.split()[-1])


def find_body(text: str, family: str, kind: str | None) -> tuple[str | None, bool]:
    """(body, inferred)."""
    lines = header_lines(text, 20)
    if family == "portal":
        for k, s in enumerate(lines[:-1]):
            if re.match(r"^Möte \d{4}-\d{2}-\d{2}$", s):
                found = find_bodies(lines[k + 1])
                if found:
                    return found.most_common(1)[0][0], False
    for s in lines[:12]:
        # "Göteborgs Stad – Kommunstyrelsen – Protokoll, …"
        parts = [p.strip() for p in re.split(r"\s+[–—-]\s+", s)]
        if len(parts) >= 3:
            found = find_bodies(parts[1]) if len(parts) >= 3 else None
            if found:
                return found.most_common(1)[0][0], False
        # a line that is a body name, maybe followed by the document type after a wide gap
        first = re.sub(r"\s+", " ", re.split(r"\s{3,}", s)[0]).strip()
        if len(first) <= 60 and _is_body_name(first):
            return normalise_body(first), False
    if kind == "tjänsteskrivelse":
        m = re.search(r"\b([A-ZÅÄÖ][\wåäö]*(?:-? och [\wåäö-]+)?förvaltningens) tjänsteskrivelse", text)
        if m:
            return normalise_body(m.group(1)), True
    deciders: Counter = Counter()
    for m in _DECIDER.finditer(text):
        deciders[normalise_body(m.group(1))] += 1
    for m in _DECIDER_INVERTED.finditer(text):
        deciders[normalise_body(m.group(1))] += 1
    if deciders and family in {"protocol", "agenda"}:
        return deciders.most_common(1)[0][0], True
    m = re.search(r"[Ee]nligt reglemente för ([\wåäö-]+(?: och [\wåäö-]+)?(?:nämnden|styrelsen|utskottet))", text)
    if m:
        return normalise_body(m.group(1)), True
    bodies = find_bodies(text)
    if deciders:
        return deciders.most_common(1)[0][0], True
    if bodies:
        name, count = bodies.most_common(1)[0]
        if count >= 2:
            return name, True
    return None, False


# A body in a labelled header field ("Organisation: Kultur- och fritidsnämnden", "Organ …"), the body
# that adopted a plan ("Antagen av kommunfullmäktige 2026-04-28"), or the unit that wrote a document
# and signs with its organisation ("Samhällsanalys, Region Dalarna").
_BODY_FIELD = re.compile(r"(?:^|\s)(?:Organisation|Organ|Nämnd|Beslutsinstans|Instans|Beslutande organ)"
                         r"(?:\s*:\s*|\s{2,}|\t+)(.+)$")  # "Organ: X", or a layout's box "Organ      X"
_ADOPTED_BY = re.compile(r"\b(?:[Aa]ntagen|[Aa]ntaget|[Ff]astställd|[Ff]astställt|[Bb]eslutad|[Bb]eslutat)\s+av\s+(.+)$")
_WRITTEN_BY = re.compile(r"\b(?:skapad|framtagen|framtaget|utarbetad|upprättad|sammanställd)\s+av\s+"
                         r"([A-ZÅÄÖ][\wåäö-]*(?:\s+(?:och\s+)?[\wåäö-]+){0,3}),\s+(.+)$")


def _body_in(value: str) -> str | None:
    """A body named at the start of ``value`` (a header field's value)."""
    value = re.split(r"\s{3,}|\t", value.strip())[0]
    m = BODY_RE.match(value)
    if m and not _BODY_EXCLUDE.match(m.group(1)) and len(m.group(1)) >= 6:
        return normalise_body(m.group(1))
    return None


def _unit_before_organisation(line: str, organisation: str | None) -> str | None:
    """``<unit>, <organisation>`` in a header or signature line: the unit that issued the document."""
    m = _WRITTEN_BY.search(line)
    if m and gazetteer().mentions(m.group(2)):
        return m.group(1)
    org = gazetteer().by_official(organisation)
    for m in re.finditer(r"([A-ZÅÄÖ][\wåäö-]+),\s+([A-ZÅÄÖ][\wåäö -]+)", line):
        unit, place = m.group(1), m.group(2).strip()
        tail = gazetteer().mentions(place)
        if not (tail or org and place.split()[0] == org.name.split()[0]):
            continue
        found = BODY_RE.fullmatch(unit)
        if found and not _BODY_EXCLUDE.match(unit):
            return normalise_body(unit)
    return None


_HEAD_NOISE = re.compile(r"\b(?:sammanträdes)?protokoll(?:sutdrag)?\b|\bkallelse\b|\bföredragningslista\b|"
                         r"\bsida\s*\d+(?:\s*(?:av|\()\s*\d+\)?)?|\d{4}-\d{2}-\d{2}|\b\d+\s*\(\s*\d+\s*\)|\b\d+\b",
                         re.I)


def _body_in_header_line(text: str) -> Choice:
    """A header line that names a body once the organisation, the document type, dates and page
    numbers are taken out: ``JÖNKÖPINGS KOMMUN Barn- och utbildningsnämnden``, ``SOCIALNÄMNDEN``."""
    for k, s in enumerate(header_lines(text, 12)):
        rest = s
        for org, _ in gazetteer().mentions(s):
            rest = re.sub(r"(?i)" + r"\s+".join(map(re.escape, org.official.split())) + r"s?", " ", rest)
            for form in org.forms:
                rest = re.sub(r"(?i)" + r"\s+".join(map(re.escape, form.split())) + r"s?\b", " ", rest)
        rest = re.sub(r"\s+", " ", _HEAD_NOISE.sub(" ", rest)).strip(" -–,:|")
        if not rest or len(rest) > 60:
            continue
        cand = rest.lower() if rest.isupper() else rest
        if _is_body_name(cand, min_len=6):
            return Choice(normalise_body(cand), f"header line {k + 1}")
    return Choice()


def _body_from_header_fields(text: str, organisation: str | None) -> Choice:
    lines = header_lines(text, 25)
    for k, s in enumerate(lines):
        m = _BODY_FIELD.search(s)
        if m and (b := _body_in(m.group(1))):
            return Choice(b, f"header field line {k + 1}")
    for k, s in enumerate(lines[:15]):
        m = _ADOPTED_BY.search(s)
        if m and (b := _body_in(m.group(1))):
            return Choice(b, f"header line {k + 1} (adopted by)")
    org = gazetteer().by_official(organisation)
    if org and org.kind == "kommun":
        # a förvaltning named after its function and place, as a heading: "Utbildning Falkenberg"
        for k, s in enumerate(lines[:3]):
            m = re.fullmatch(rf"([A-ZÅÄÖ][a-zåäö]+(?: och [a-zåäö]+)?) {re.escape(org.name)}", s.strip(" *#"))
            if m and not _TYPE_WORDS.get(m.group(1).lower()) and not is_label(m.group(1)):
                return Choice(m.group(0), f"header line {k + 1} (unit of {org.name})")
    tail = [ln.strip() for ln in text.split("\n") if ln.strip()][-12:]
    for where, group in (("header line", lines[:15]), ("end of document", tail)):
        for k, s in enumerate(group):
            unit = _unit_before_organisation(clean_inline(s), organisation)
            if unit:
                return Choice(unit, f"{where} {k + 1}" if where == "header line" else where)
    return Choice()


def _choose_body(text: str, family: str, kind: str | None, hints: PathHints, organisation: str | None,
                 first_page: str | None = None) -> Choice:
    """The meeting body (or issuing unit): the header first (a PDF's first page as printed too),
    then header fields, then a folder named after a body, then what the text implies."""
    body, inferred = find_body(text, family, kind)
    if body and not inferred:
        return Choice(body, "document header")
    if first_page:
        printed, printed_inferred = find_body(first_page, family, kind)
        if printed and not printed_inferred:
            return Choice(printed, "first page header")
    for source in (text, first_page) if first_page else (text,):
        in_line = _body_in_header_line(source)
        if in_line.value:
            return in_line
    fm = front_matter(text).get("body")
    if fm and (b := _body_in(fm)):
        return Choice(b, "front matter")
    fielded = _body_from_header_fields(text, organisation)
    if fielded.value:
        return fielded
    if hints.body.value:
        return hints.body
    if body:
        return Choice(body, "named in the text", inferred=True)
    return Choice()


_PROTOCOL_MARK = re.compile(r"\b(?:sammanträdes)?protokoll(?:et|sutdrag)?\b|\bjustera|\bjusterandes?\b|"
                            r"\bBeslutande\b|\bParagrafer\b|\bSammanträdesdatum\b|\bNärvarande\b", re.I)
_PLAN_WORDS = re.compile(r"plan(?:en|er|erna)?\b|budget|strategi\b|program(?:met)?\b|riktlinje|policy\b|"
                         r"anvisning|guide(?:n)?\b|handbok|vägledning|taxa\b|reglemente|föreskrift", re.I)
_REPORT_WORDS = re.compile(r"rapport|uppföljning|redovisning|bokslut|berättelse|utvärdering|analys|"
                           r"lägesbild|statistik", re.I)
_CASE_LABELS = re.compile(r"^(?:förslag till beslut|beslutsförslag|beskrivning av ärendet|ärendebeskrivning|"
                          r"sammanfattning av ärendet|bakgrund|motivering(?: av beslut)?|underlag för beslut|"
                          r"beslutsunderlag|(?:beslutet )?skickas till|(?:beslutet )?expedieras till)\s*:?$", re.I)


def _self_reference(head: list[str]) -> str | None:
    """What the document calls itself near its start ("Denna rapport …", "Planen gäller …")."""
    joined = " ".join(head)
    report = len(re.findall(r"\b(?:denna|den här|i denna) rapport\b|\bRapporten\b", joined, re.I))
    plan = len(re.findall(r"\b(?:denna|den här|i denna) plan\b|\bPlanen\b", joined, re.I))
    if report > plan:
        return "rapport"
    if plan > report:
        return "plan"
    return None


def find_doc_type(family: str, kind: str | None, title: str | None, items: list[Item], text: str = "") -> str:
    paragraphs = [i for i in items if i.paragraph is not None]
    if family == "portal":
        return "möte"
    if kind == "beslut":
        return "beslut"
    if kind in {"kallelse", "anteckningar", "tjänsteskrivelse", "handling"}:
        return kind
    if kind == "yttrande":
        return "handling"
    head = header_lines(text, 25) if text else []
    # § numbering alone does not make a protocol (a taxa or a reglemente numbers its articles too):
    # a protocol also says so, or names who decided and who checks the minutes
    if kind == "protokoll" or family == "protocol" and (not text or _PROTOCOL_MARK.search(text[:6000])):
        return "beslut" if len(paragraphs) == 1 else "protokoll"
    if any(re.search(r"\b(?:sammanträdes)?protokoll\b", s, re.I) for s in head[:3]) \
            and len(_PROTOCOL_MARK.findall(text[:6000])) >= 3:
        return "beslut" if len(paragraphs) == 1 else "protokoll"
    labels = {s.lower().rstrip(":") for s in header_lines(text, 400) if _CASE_LABELS.match(s)} if text else set()
    if len(labels) >= 3 and labels & {"förslag till beslut", "beslutsförslag"} and not paragraphs:
        return "tjänsteskrivelse"  # the sections of a case officer's report
    t = title or ""
    plan, report = _PLAN_WORDS.search(t), _REPORT_WORDS.search(t)
    if plan or report:  # the word that comes first names what the document is
        return "plan" if plan and (not report or plan.start() < report.start()) else "rapport"
    if family == "agenda":
        return "kallelse"
    return _self_reference(head) or "övrigt"


# Strings PDF producers and office programs leave in the title field instead of a title.
_GENERIC_TITLE = re.compile(
    r"^(?:tagged pdf|untitled|namnlös|utan titel|title|titel|rubrik|dokument\d*|document\d*|presentation\d*|"
    r"powerpoint[- ]presentation|microsoft (?:word|excel|powerpoint)\b.*|.*\.(?:docx?|pdf|odt|rtf|xlsx?|pptx?|txt)|"
    r"protokoll|kallelse|rapport|mall|blankett|brev|skrivelse|tjänsteskrivelse|sammanträdesprotokoll)$", re.I)
_FIELD_LABELS = re.compile(r"^(?:plats och tid|tid och plats|sammanträdesdatum|datum|beslutande|närvarande|"
                           r"dnr|diarienummer|sida \d.*|sid \d.*|justerandes sign|utdragsbestyrkande)$", re.I)


def usable_title(hint: str | None, text: str) -> str | None:
    """A document-metadata title (a PDF's Title field, an HTML <title>) when it is a real title.

    Kept when it is not a producer's placeholder ("Tagged PDF", "Microsoft Word - x.docx"), a file
    name or a field label of the page ("Plats och tid"), and most of its words stand on the
    document's first page; otherwise the title is read from the text.
    """
    if not hint:
        return None
    h = re.sub(r"\s+", " ", hint).strip()
    if len(h) < 3 or _GENERIC_TITLE.match(h) or _FIELD_LABELS.match(h.rstrip(":")) or is_label(h):
        return None
    words = [w for w in re.findall(r"[\wåäöÅÄÖ]{3,}", h.lower())]
    if not words:
        return None
    first_page = re.sub(r"\s+", " ", text[:4000].split("\f")[0]).lower()
    present = sum(1 for w in words if w in first_page)
    return h if present >= max(1, round(0.6 * len(words))) else None


def find_title(text: str, family: str, kind: str | None, title_hint: str | None) -> str | None:
    """A title the document itself states (first Markdown heading, a title line), if any."""
    for line in text.split("\n")[:60]:
        m = re.match(r"^\s{0,3}#\s+(.+?)\s*#*$", line)
        if m:
            return clean_inline(m.group(1)).strip().strip("*").strip()
    head = header_lines(text, 25)
    for s in head[:3]:
        if re.search(r"\s[–—-]\s.*\s[–—-]\s", s):  # "Göteborgs Stad – Kommunstyrelsen – Protokoll, …"
            return s
    if family in {"sections"} or kind in {"tjänsteskrivelse", "yttrande", "handling"}:
        lines = text.split("\n")
        for k, ln in enumerate(lines[:80]):
            s = clean_inline(ln).strip()
            if not _title_candidate(s):
                continue
            # the title may wrap over a few lines (and a blank line where a page layout split it)
            parts = [s]
            j = k + 1
            while j < len(lines) and len(parts) < 3:
                nxt = clean_inline(lines[j]).strip()
                if not nxt:
                    j += 1
                    if j < len(lines) and re.match(r"^[a-zåäö(]", clean_inline(lines[j]).strip()):
                        continue
                    break
                if re.search(r"[.:;]$", parts[-1]) or not (len(parts[-1]) >= 40 or re.match(r"^[a-zåäö(]", nxt)):
                    break
                parts.append(nxt)
                j += 1
            return re.sub(r"\s+", " ", " ".join(parts)).strip()
    return title_hint


def _title_candidate(s: str) -> bool:
    if len(s) < 12 or len(s) > 160 or not s[0].isupper() or re.search(r"[.!]$", s):
        return False
    if s.isupper() or re.search(r"\s{3,}|\t", s):
        return False
    if re.match(r"^(?:Datum|Dnr|Diarienummer|Till |Handling \d|Sida|Sid \d|Upprättad|Dokumentnamn|Beslutad|"
                r"Kommunfullmäktige$|Kommunstyrelsen$)", s):
        return False
    if BODY_RE.fullmatch(s) or find_organisations(s) and len(s.split()) <= 3:
        return False
    if ISO_DATE.fullmatch(s) or re.fullmatch(r"[\d\s\-–/()]+", s):
        return False
    if s.lower().rstrip(":") in SECTION_LABELS:
        return False
    return True


# -- case numbers ----------------------------------------------------------------------------------
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


# -- document metadata -----------------------------------------------------------------------------
def build_meta(text: str, *, source: str, fmt: str, checksum: str, family: str, kind: str | None,
               items: list[Item], title_hint: str | None = None, first_page: str | None = None,
               file_date: str | None = None, described_by: list[str] | None = None) -> DocumentMeta:
    """The document's metadata and the evidence for it. ``first_page`` is a PDF's first page as
    printed (its letterhead, which the text layer drops as a running header); ``file_date`` the
    file's own date (a PDF's creation date), used last and never for a meeting record;
    ``described_by`` the file's own description (a PDF's Title and Author, an HTML page's title)."""
    meta = DocumentMeta(source=source, checksum=checksum, format=fmt)
    inferred: list[str] = []
    hints = path_hints(source) if source else PathHints()
    issuer = find_issuer(text, source, letterhead=first_page, described_by=described_by)
    body = _choose_body(text, family, kind, hints, issuer.value, first_page)
    # again, with the body: the organisation must fit the body's kind. A located choice that fits
    # already is what the second pass would choose (the best score overall is the best that fits).
    if body.value and (issuer.inferred or not issuer.value
                       or not fits_body(gazetteer().by_official(issuer.value), body.value)):
        issuer = find_issuer(text, source, body.value, letterhead=first_page, described_by=described_by)
    meta.organisation = issuer.value
    if issuer.inferred:
        inferred.append("organisation")
    meta.body = body.value
    if body.inferred:
        inferred.append("body")
    title = find_title(text, family, kind, title_hint)
    if title:  # a heading that is the file's name ("… IM 2024.pdf") keeps the name without its suffix
        title = re.sub(r"\.(?:pdf|docx?|odt|rtf|txt|html?)$", "", title, flags=re.I).strip() or None
    meta.doc_type = find_doc_type(family, kind, title, items, text)
    date = _choose_date(text, family, hints, first_page, file_date, meta.doc_type)
    meta.date = date.value
    meta.evidence = {k: c.evidence for k, c in (("organisation", issuer), ("body", body), ("date", date))
                     if c.value and c.evidence}
    if meta.date:
        meta.year = int(meta.date[:4])
    else:
        m = re.search(r"\b((?:19|20)\d{2})\b", title or "")
        meta.year = (int(m.group(1)) if m else None) or infer_year(text)
        if meta.year is not None:
            inferred.append("year")
    if not title:
        title = _compose_title(meta, items)
        if title:
            inferred.append("title")
    meta.title = title
    meta.inferred = inferred
    return meta


_MEETING_TYPES = {"protokoll", "beslut", "kallelse", "möte", "anteckningar"}


def _choose_date(text: str, family: str, hints: PathHints, first_page: str | None, file_date: str | None,
                 doc_type: str | None) -> Choice:
    """The header's date, then the first page's running header, then the file or folder name, then
    the file's own date — the last never for a meeting record, whose date is the meeting's."""
    found = find_date(text, family)
    if found:
        return Choice(found, "document header")
    if first_page and (found := find_date(first_page, family)):
        return Choice(found, "first page header")
    if (fm := front_matter(text).get("date")) and (found := _first_date(fm)):
        return Choice(found, "front matter")
    if hints.date.value:
        return hints.date
    if file_date and doc_type not in _MEETING_TYPES:
        return Choice(file_date, "PDF metadata (creation date)")
    return Choice()


_TYPE_WORDS = {"protokoll": "Protokoll", "kallelse": "Kallelse", "möte": "Möte", "beslut": "Protokollsutdrag",
               "anteckningar": "Sammanträdesanteckningar", "plan": "Plan", "rapport": "Rapport",
               "tjänsteskrivelse": "Tjänsteskrivelse", "handling": "Handling", "övrigt": "Dokument"}


def _compose_title(meta: DocumentMeta, items: list[Item]) -> str | None:
    word = _TYPE_WORDS.get(meta.doc_type or "övrigt", "Dokument")
    if meta.doc_type == "beslut":
        para = next((i for i in items if i.paragraph is not None), None)
        if para:
            return f"{word} § {para.paragraph} {para.title}".strip()
    parts = [word]
    if meta.body:
        parts.append(meta.body)
    if meta.date:
        parts.append(meta.date)
    elif meta.year:
        parts.append(str(meta.year))
    if len(parts) == 1:
        return items[0].title if items else None
    return " ".join(parts)


# -- sidecars and manifests ------------------------------------------------------------------------
OVERRIDABLE = ("organisation", "body", "date", "year", "doc_type", "title", "url")


class MetadataError(Exception):
    """A sidecar or manifest cannot be used; ``str(e)`` is the reason."""


def _load_json(path: Path) -> object:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataError(f"cannot read metadata file {path.name}: {exc}") from exc
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise MetadataError(f"invalid JSON in metadata file {path.name}: {exc.msg} "
                            f"(line {exc.lineno}, column {exc.colno})") from exc


def sidecar_paths(path: Path) -> list[Path]:
    return [path.with_name(path.name + ".meta.json"), path.with_name(path.stem + ".meta.json")]


def load_overrides(path: Path) -> dict:
    """Metadata for ``path`` from its folder's ``manifest.json`` and its sidecar (sidecar wins)."""
    overrides: dict = {}
    manifest = path.parent / "manifest.json"
    if manifest.is_file():
        data = _load_json(manifest)
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            raise MetadataError(f"invalid manifest {manifest.name}: expected an object with a \"files\" object")
        entry = files.get(path.name)
        if entry is None:
            entry = files.get(str(path.name).lower())
        if entry is not None:
            overrides.update(_validate(entry, manifest.name))
    for sidecar in sidecar_paths(path):
        if sidecar.is_file() and sidecar != path:
            overrides.update(_validate(_load_json(sidecar), sidecar.name))
            break
    return overrides


def _validate(entry: object, name: str) -> dict:
    if not isinstance(entry, dict):
        raise MetadataError(f"invalid metadata in {name}: expected a JSON object")
    out = {}
    for key in OVERRIDABLE:
        if key not in entry or entry[key] is None:
            continue
        value = entry[key]
        if key == "year":
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if not isinstance(value, int) or not 1800 <= value <= 2200:
                raise MetadataError(f"invalid metadata in {name}: year must be a four-digit number")
        elif not isinstance(value, str) or not value.strip():
            raise MetadataError(f"invalid metadata in {name}: {key} must be a non-empty string")
        else:
            value = value.strip()
        if key == "date":
            m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
            if not m or _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) is None:
                raise MetadataError(f"invalid metadata in {name}: date {value!r} is not a date (YYYY-MM-DD)")
        if key == "url" and not re.fullmatch(r"https?://[^\s<>\"]+", value):
            # the publisher's address, shown as a link: only web addresses (no file paths, no javascript:)
            raise MetadataError(f"invalid metadata in {name}: url {value!r} is not an http(s) address")
        if key == "doc_type" and value not in DOC_TYPES:
            raise MetadataError(f"invalid metadata in {name}: doc_type {value!r} is not one of "
                                f"{', '.join(DOC_TYPES)}")
        out[key] = value
    return out


def apply_overrides(meta: DocumentMeta, overrides: dict) -> DocumentMeta:
    for key, value in overrides.items():
        setattr(meta, key, value)
        if key in meta.inferred:
            meta.inferred.remove(key)
        if key in {"organisation", "body", "date"}:
            meta.evidence[key] = "sidecar/manifest"
    if "date" in overrides:
        if "year" not in overrides:
            meta.year = int(overrides["date"][:4])
        if "year" in meta.inferred:
            meta.inferred.remove("year")
    return meta


def enrich_items(items: list[Item]) -> list[Item]:
    """Fill in case numbers and decisions the segmenter did not already know."""
    for item in items:
        item.case_numbers = extract_case_numbers(item.text, item.case_numbers)
        if not item.decisions:
            found = typed_decisions(item.text)
            item.decisions, item.decision_kind = found.texts, found.kind
    return items


__all__ = ["DOC_TYPES", "MetadataError", "apply_overrides", "build_meta", "enrich_items", "extract_case_numbers",
           "extract_decisions", "find_bodies", "find_organisations", "load_overrides", "normalise_body"]
