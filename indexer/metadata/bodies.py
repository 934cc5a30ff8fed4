"""Bodies (nämnd, styrelse, utskott, fullmäktige …): names in their display form, and the document's body."""

from __future__ import annotations

import re
from collections import Counter

from indexer.evidence import Choice, PathHints, front_matter
from indexer.gazetteer import gazetteer
from indexer.metadata.doc_types import TYPE_WORDS
from indexer.metadata.header import header_lines
from indexer.segment.common import clean_inline, is_label

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
            found = find_bodies(parts[1])
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
_ADOPTED_BY = re.compile(
    r"\b(?:[Aa]ntagen|[Aa]ntaget|[Ff]astställd|[Ff]astställt|[Bb]eslutad|[Bb]eslutat)\s+av\s+(.+)$")
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
            if m and not TYPE_WORDS.get(m.group(1).lower()) and not is_label(m.group(1)):
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
