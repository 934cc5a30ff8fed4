"""Decisions of an agenda item, typed: decided (``beslut``) or only proposed (``förslag``).

An item's ``att``-clauses and decision points are read from its decision sections (``Beslut``,
``Förslag till beslut`` …), from a trigger line (``Nämnden beslutar att …``, ``Styrelsen föreslår
fullmäktige följande:``) or from an inline proposal. Each clause is typed by the evidence that
introduces it, most specific first:

- the heading: ``Beslut``, ``Nämndens beslut``, ``Överenskommelse`` decide; any heading that
  names a proposal (``Förslag till beslut``, ``Förvaltningens förslag``, ``Beslutsförslag``,
  ``Arbetsutskottets förslag``) proposes;
- under a deciding heading the body's own decision stays a decision even when it proposes
  something to another body (``Beslut`` / ``Kommunstyrelsen föreslår kommunfullmäktige besluta
  att …``): the body decided, at that meeting, to make the proposal, and the § is where a user
  finds that step (its text says itself that it is a proposal to fullmäktige);
- the verb of a trigger line outside a decision section: ``beslutar``/``beslöt`` decides,
  ``föreslår`` proposes;
- the document's type (:func:`settle_kinds`): a kallelse or tjänsteskrivelse is written before the
  meeting it serves, so nothing in it is that meeting's decision.

An item whose decision sections both decide and propose (a protocol's ``Beslut`` beside the
rejected ``Förslag till beslut``) keeps only what was decided: the label must never call a
proposal a decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.segment.common import SECTION_LABELS, clean_inline

BESLUT = "beslut"
FORSLAG = "förslag"
DECISION_KINDS = (BESLUT, FORSLAG)
#: Document types written before the meeting they serve: what they hold is only proposed.
PROPOSING_DOC_TYPES = frozenset({"kallelse", "tjänsteskrivelse"})


@dataclass(frozen=True)
class Decisions:
    """An item's decision texts and what they are: ``beslut``, ``förslag`` or ``None`` (none found)."""

    texts: list[str] = field(default_factory=list)
    kind: str | None = None


# -- extraction -------------------------------------------------------------------------------------
_DECISION_HEAD = re.compile(
    r"^(?:Beslut|Beslut\s*[–—-]\s*.+|Förslag till beslut(?: .*)?|Beslutsförslag|Nämndens beslut|Styrelsens beslut|"
    r"Utskottets förslag(?: till beslut)?|Överenskommelse|Kommunstyrelsens förslag|"
    r"Förvaltningens förslag(?: till beslut)?|"
    r"Förslag till beslut i .+|"
    # a body's own decision or proposal: "Kommunstyrelsens beslut", "Arbetsutskottets förslag"
    r"[A-ZÅÄÖ][\wåäö&-]*(?:-? och [\wåäö-]+)?(?:nämnd|styrelse|utskott|fullmäktige|förvaltning|kontor|revision|"
    r"beredning)\w*s "
    r"(?:beslut|förslag(?: till beslut)?))\s*:?$")
#: A lead-in or clause that hands the decision to someone else: "… föreslår att kommunfullmäktige beslutar".
_PROPOSES = re.compile(r"\b(?:föreslår|förslår|föreslås|föreslog)\b", re.I)
_NOT_DECISION_HEAD = re.compile(r"^(?:Beslutsunderlag|Beslutsgång|Beslutet skickas|Beslut fattade|"
                                r"Förslag till beslut på sammanträdet)", re.I)
_STOP_HEADS = {s.rstrip(":") for s in SECTION_LABELS} - {"beslut", "förslag till beslut", "beslutsförslag",
                                                          "överenskommelse", "information"}
_DECISION_VERB = re.compile(
    r"\b(?:godkänn\w*|beslut\w*|fastställ\w*|anta[rs]?|antag\w*|noter\w*|anteckn\w*|förklara\w*|bordläggs|"
    r"avslå\w*|avslag|bifall\w*|tillstyrk\w*|avstyrk\w*|översänd\w*|överlämna\w*|uppdra\w*|i uppdrag|"
    r"återremitt\w*|lägg\w* till handlingarna|anses|utse\w*|utses|justera\w*|bevilja\w*|välj\w*|väljs|"
    r"entledig\w*|upphör\w*|gäller|delegera\w*|hänskjut\w*|ställer sig bakom|avge\w*|avsätt\w*|"
    r"tilldela\w*|revidera\w*|ge[rs]? \w+ i uppdrag|får i uppdrag|lämna\w*)\b", re.I)
_TRIGGER_TAIL = re.compile(r"(?:beslutar|besluta|föreslår|förslår|föreslås|följande|anta|att)\s*:?$", re.I)
_BODY_WORD = re.compile(r"(?:nämnd|styrelse|utskott|fullmäktige|presidi|beredning)", re.I)


def _clean_decision(s: str) -> str:
    s = re.sub(r"\s+", " ", clean_inline(s)).strip()
    s = re.sub(r"^(?:\d{1,2}[.)]|[a-z][.)]|[-–•])\s+", "", s)
    s = re.sub(r"(?:[;,]\s*(?:samt|och)|\s+samt|;|,)\s*$", "", s).strip()
    return s.rstrip(" .;,:").strip()


def _units(lines: list[str]) -> list[str]:
    """Join wrapped lines into units: a new unit at an ``att``-clause, a numbered point, a bullet,
    or after a blank line that follows sentence-ending punctuation."""
    units: list[str] = []
    current: list[str] = []
    pending_blank = False
    for line in lines:
        s = clean_inline(line).strip()
        if not s:
            pending_blank = True
            continue
        prev_end = current[-1] if current else ""
        starts = bool(re.match(r"^(?:\d{1,2}[.)]\s|[a-z][.)]\s|[-–•]\s)", s)) or bool(
            re.match(r"^att\s", s) and (pending_blank or not prev_end
                                         or re.search(r"(?:[.;:]|[;,]\s*(?:samt|och))$", prev_end)
                                         or _TRIGGER_TAIL.search(prev_end)))
        sentence_end = bool(re.search(r"[.!?:;]$", prev_end)) and not re.search(
            r"\b(?:t\.ex|bl\.a|m\.m|m\.fl|ca|nr|kap|resp|dvs|s)\.$", prev_end)
        if current and (starts or prev_end.endswith(":") or (sentence_end and (pending_blank or re.match(
                r"^[A-ZÅÄÖ]", s)))):
            units.append(" ".join(current))
            current = []
        current.append(s)
        pending_blank = False
    if current:
        units.append(" ".join(current))
    return units


def heading_kind(heading: str) -> str:
    """``förslag`` for a heading that names a proposal (``Förslag till beslut``, ``Beslutsförslag``,
    ``Förvaltningens förslag``), else ``beslut`` (``Beslut``, ``Nämndens beslut``, ``Överenskommelse``)."""
    return FORSLAG if re.search(r"förslag", heading, re.I) else BESLUT


def _att_from(unit: str) -> str | None:
    """The ``att``-clause a sentence introduces (``… beslutar att …``, ``… föreslår … besluta att …``)."""
    m = re.search(r"\b(?:beslutar|besluta|beslöt|föreslår [\wåäö -]{0,60}?besluta)\s+(att\s.+)$", unit)
    return m.group(1) if m else None


def _decisions_from_units(units: list[str], kind: str) -> list[tuple[str, str]]:
    """Decision texts of a section's units, each with the heading's ``kind`` (a lead-in that hands
    a proposal on, ``… föreslår att kommunfullmäktige beslutar:``, is still this body's decision)."""
    out: list[tuple[str, str]] = []
    after_lead = False
    for u in units:
        if re.match(r"^att\s", u):
            out.append((u, kind))
            after_lead = False
            continue
        if re.match(r"^(?:\d{1,2}[.)]|[a-z][.)]|[-–•])\s", u):
            out.append((u, kind))
            continue
        if u.endswith(":") or _TRIGGER_TAIL.search(u):
            # a lead-in ("… föreslår att kommunfullmäktige beslutar:"); keep any sentences before it
            sentences = re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", u)
            if len(sentences) > 1 and _DECISION_VERB.search(" ".join(sentences[:-1])):
                out.append((" ".join(sentences[:-1]), kind))
            elif u.endswith(":") and _DECISION_VERB.search(u) and not re.search(r"\bbeslut|\bförsl|\bföresl", u, re.I):
                # a lead-in that is itself the decision ("Till ledamöter utses:"), its list follows
                out.append((u, kind))
            after_lead = True
            continue
        att = _att_from(u)
        if att:
            out.append((att, kind))
        elif after_lead or _DECISION_VERB.search(u):
            out.append((u, kind))
    return out


def _section_body(lines: list[str], start: int) -> list[str]:
    body: list[str] = []
    for line in lines[start:]:
        s = clean_inline(line).strip()
        key = s.rstrip(":").strip().lower()
        if key in _STOP_HEADS or re.match(r"^#{1,6}\s", s) or _DECISION_HEAD.match(s) and body:
            break
        if re.match(r"^§\s*\d+", s):
            break
        body.append(line)
        if sum(len(b) for b in body) > 3000:
            break
    return body


def extract_decisions(text: str) -> list[str]:
    """The decisions of one item: its ``att``-clauses and decision points, one string each."""
    return typed_decisions(text).texts


def typed_decisions(text: str) -> Decisions:
    """An item's decisions and their kind, read from the item's own text.

    When the item both decides and proposes, only the decided texts are kept (kind ``beslut``).
    """
    lines = text.split("\n")
    found: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        s = re.sub(r"^#{1,6}\s+", "", clean_inline(line).strip())  # a Markdown heading is a heading too
        if _DECISION_HEAD.match(s) and not _NOT_DECISION_HEAD.match(s):
            kind = heading_kind(s)
            body = _section_body(lines, i + 1)
            units = _units(body)
            decisions = _decisions_from_units(units, kind)
            if not decisions:
                plain = [u for u in units if not u.endswith(":")]
                decisions = [(u, kind) for u in plain[:1]]
            found.extend(decisions)
    if not found:
        found = _triggered(lines)
    if not found:
        found = [(d, FORSLAG) for d in _inline_proposals(text)]
    if any(k == BESLUT for _, k in found):
        found = [(d, k) for d, k in found if k == BESLUT]
    out: list[str] = []
    for d, _ in found:
        c = _clean_decision(d)
        if len(c) >= 8 and c not in out:
            out.append(c)
    return Decisions(out, (BESLUT if found[0][1] == BESLUT else FORSLAG) if out else None)


def settle_kinds(items: list, doc_type: str | None) -> list:
    """Apply the document's evidence: in a kallelse or tjänsteskrivelse every decision is a proposal
    (it is written before the meeting that decides). ``items`` are :class:`~indexer.records.Item`."""
    if doc_type in PROPOSING_DOC_TYPES:
        for item in items:
            if item.decisions:
                item.decision_kind = FORSLAG
    return items


def _triggered(lines: list[str]) -> list[tuple[str, str]]:
    """Decisions after a trigger line outside a "Beslut" section: ``… beslutar`` followed by
    ``att``-clauses, or ``<organ> … föreslår regionfullmäktige (följande):`` followed by points.
    A trigger proposes when it, or the line it continues, says ``föreslår``."""
    out: list[tuple[str, str]] = []
    n = len(lines)
    i = 0
    previous = ""
    while i < n:
        s = clean_inline(lines[i]).strip()
        if not s:
            i += 1
            continue
        before, previous = previous, s
        trigger = re.search(r"\b(?:beslutar|besluta)\b", s) and not re.search(r"[.!?]$", s)
        proposal = (re.search(r"\b(?:föreslår|förslår)\b", s) and re.search(r":$|följande:?$", s)
                    and _BODY_WORD.search(s.split("föreslår")[0] if "föreslår" in s else s.split("förslår")[0]))
        if not (trigger or proposal):
            i += 1
            continue
        continues = before and not re.search(r"[.!?:]$", before)
        kind = FORSLAG if proposal or _PROPOSES.search(s) or (continues and _PROPOSES.search(before)) else BESLUT
        j = i + 1
        while j < n and not lines[j].strip():
            j += 1
        if j >= n:
            break
        first = clean_inline(lines[j]).strip()
        collected: list[str] = []
        if re.match(r"^att\s", first) or re.match(r"^\d{1,2}[.)]\s", first):
            k = j
            block: list[str] = []
            while k < n:
                t = clean_inline(lines[k]).strip()
                if t and not (re.match(r"^(?:att\s|\d{1,2}[.)]\s)", t) or block and block[-1].strip()
                              and not re.search(r"[.;]$", block[-1].strip())):
                    break
                block.append(lines[k])
                k += 1
            collected = [u for u in _units(block) if re.match(r"^(?:att\s|\d{1,2}[.)]\s)", u)]
            i = k
        elif proposal:
            k = j
            block = []
            while k < n and lines[k].strip():
                block.append(lines[k])
                k += 1
            collected = [clean_inline(b).strip() for b in block]
            i = k
        else:
            i = j
        out.extend((c, kind) for c in collected)
    return out


_INLINE_PROPOSAL = re.compile(
    r"(?:nämnd\w*|styrelse\w*|utskott\w*|presidi\w*|beredning\w*)[^.]{0,200}?\bföreslår\s+"
    r"(?:region|kommun)?fullmäktige\s+(?:att\s+besluta\s+|besluta\s+)?(att\s[^.]+?)\.(?:\s|$)", re.I)


def _inline_proposals(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", clean_inline(text))
    return [m.group(1) for m in _INLINE_PROPOSAL.finditer(flat)]
