"""Document type and title."""

from __future__ import annotations

import re

from indexer.metadata.bodies import BODY_RE
from indexer.metadata.dates import ISO_DATE
from indexer.metadata.header import header_lines
from indexer.metadata.organisations import find_organisations
from indexer.records import Item
from indexer.segment.common import SECTION_LABELS, clean_inline, is_label

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
