"""Which organisation issued a document, and what a file's path says about it.

Evidence is weighed by where it stands: the letterhead and header lines, lines repeated as page
headers or footers, e-mail and web domains, the signature at the end, the folder and file name.
An organisation merely named in the running text (a region a kommun writes to, a partner) is
never chosen over one of those; it is only a fallback when the text names one organisation far
more than any other and nothing located names one at all (recorded as inferred).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date as _date
from pathlib import PurePath

from indexer.gazetteer import Organisation, fold, gazetteer

HEAD_LINES = 15
TAIL_LINES = 12
_HOST = re.compile(r"(?<![\w.-])(?:[\w.+-]+@|https?://|www\.)?((?:[a-z0-9-]+\.)+se)(?![\w-])", re.I)
# Ambiguous place names that are also common words: not evidence in a path ("mark/", "vara_2024.pdf").
_COMMON_WORDS = {"ale", "berg", "boden", "kil", "kinda", "mark", "mora", "nora", "sala", "salem", "vara"}


@dataclass
class Choice:
    """A value chosen from evidence: the value, a short account of the evidence, and whether it was
    only inferred (from the running text rather than a located header, footer, domain or path)."""

    value: str | None = None
    evidence: str | None = None
    inferred: bool = False


@dataclass
class PathHints:
    organisation: Choice = field(default_factory=Choice)
    body: Choice = field(default_factory=Choice)
    date: Choice = field(default_factory=Choice)


def _clean(line: str) -> str:
    s = re.sub(r"<br\s*/?>|[|>*#_`]", " ", line)
    return re.sub(r"\s+", " ", s).strip()


def _lines(text: str) -> list[str]:
    return [c for c in (_clean(ln) for ln in text.split("\n")) if c and c != "---"]


def _repeated(lines: list[str]) -> set[str]:
    """Lines that recur on many pages (running headers and footers), compared without numbers."""
    keys = Counter(re.sub(r"\d+", "#", ln) for ln in lines if 4 <= len(ln) <= 120)
    return {k for k, c in keys.items() if c >= 3}


def find_organisation(text: str, path: str | None = None, body: str | None = None,
                      letterhead: str | None = None, described_by: list[str] | None = None) -> Choice:
    """The issuing organisation by located evidence; see the module docstring. ``letterhead`` is a
    PDF's first page as printed, running header included; ``described_by`` the file's own metadata
    (a PDF's Title and Author, an HTML page's title)."""
    g = gazetteer()
    lines = _lines(_without_front_matter(text))
    scores: dict[str, float] = defaultdict(float)
    best_reason: dict[str, tuple[float, str]] = {}
    orgs: dict[str, Organisation] = {}
    zone_scores: dict[tuple[str, str], float] = {}

    def add(org: Organisation, zone: str, weight: float, reason: str) -> None:
        # each zone counts once per organisation: ten mentions in a closing paragraph are still one
        # piece of evidence, and never more than one letterhead
        orgs[org.official] = org
        key = (org.official, zone)
        if weight > zone_scores.get(key, 0.0):
            scores[org.official] += weight - zone_scores.get(key, 0.0)
            zone_scores[key] = weight
        if weight > best_reason.get(org.official, (0.0, ""))[0]:
            best_reason[org.official] = (weight, reason)

    printed = _lines(letterhead) if letterhead else []
    head = "\n".join((printed + lines)[:HEAD_LINES])  # joined: a name may wrap ("Linköping\nkommuns")
    for org, pos in g.mentions(head):
        k = head.count("\n", 0, pos)
        add(org, "head", max(6.0, 12.0 - 0.4 * k), f"header line {k + 1}")
    repeated = _repeated(lines)
    for line in dict.fromkeys(ln for ln in lines[HEAD_LINES:] if re.sub(r"\d+", "#", ln) in repeated):
        for org, _ in g.mentions(line):
            add(org, "edge", 8.0, "page header/footer")
    for line in printed[max(HEAD_LINES, len(printed) - 6):]:  # the first page's footer (address, web)
        for org, _ in g.mentions(line):
            add(org, "edge", 8.0, "page header/footer")
    for line in lines[max(HEAD_LINES, len(lines) - TAIL_LINES):]:
        # a signature line is short and is no sentence; "Beslutet expedieras till: Region X" is none
        if len(line) <= 60 and not re.search(r"[.:;]$|\b(?:till|för|med|från|hos|och)\b", line):
            for org, _ in g.mentions(line):
                add(org, "tail", 4.0, "signature/end of document")
    for org, _ in g.mentions(front_matter(text).get("organisation") or ""):
        add(org, "front", 10.0, "front matter")
    for value in described_by or []:
        for org, _ in g.mentions(value):
            add(org, "metadata", 9.0, "document metadata (title/author)")
    hosts: Counter = Counter()
    for m in _HOST.finditer(text + "\n" + (letterhead or "")):
        by_domain = g.by_domain(m.group(1))
        if by_domain:
            hosts[(by_domain.official, m.group(1).lower().removeprefix("www."))] += 1
            orgs[by_domain.official] = by_domain
    for (official, host), count in hosts.items():
        add(orgs[official], "domain", 6.0 + min(3.0, 0.5 * (count - 1)), f"web/e-mail domain {host}")
    if path:
        hints = path_hints(path)
        if hints.organisation.value:
            named = g.by_official(hints.organisation.value)
            if named is not None:  # path hints name gazetteer organisations; an unknown one is no evidence
                add(named, "path", 4.0, hints.organisation.evidence or "path")
    scores = {o: sc for o, sc in scores.items() if fits_body(orgs[o], body)}
    if scores:
        official = max(scores, key=lambda o: (scores[o], -len(o)))
        return Choice(official, best_reason[official][1])
    return _from_mentions(text, body)


def fits_body(org: Organisation | None, body: str | None) -> bool:
    """A kommun's bodies (Kommunstyrelsen, Socialnämnden, Bygg- och miljönämnden) belong to a kommun,
    a region's (Regionstyrelsen, Hälso- och sjukvårdsnämnden) to a region; others exist in both.
    Region Gotland is both. An organisation the gazetteer does not know fits only a body of either."""
    kind = _body_kind(body)
    return kind is None or (org is not None and (org.kind == kind or org.official == "Region Gotland"))


# Bodies only a kommun has, and bodies only a region has (by their usual names).
_KOMMUN_BODY = re.compile(r"^(?:kommun|barn- och utbildning|barn- och ungdom|skol|grundskol|gymnasie|förskol|"
                          r"social|individ- och familj|vård och omsorg|vård- och omsorg|omsorg|äldre|bygg|"
                          r"samhällsbyggnad|stadsbyggnad|teknisk|kultur- och fritid|fritid|överförmyndar|valnämnd|"
                          r"räddning)", re.I)
_REGION_BODY = re.compile(r"^(?:region|hälso- och sjukvård|sjukvård|primärvård|tandvård|folkhälso|patientnämnd|"
                          r"kollektivtrafik|regional utveckling|regionala utvecklings)", re.I)


def _body_kind(body: str | None) -> str | None:
    b = (body or "").strip()
    if _REGION_BODY.match(b):
        return "region"
    if _KOMMUN_BODY.match(b):
        return "kommun"
    return None


def _from_mentions(text: str, body: str | None) -> Choice:
    """Fallback: one organisation the running text names far more than any other. It must be of the
    kind the meeting body belongs to (a Kommunstyrelsen is never filed under a region it writes
    about); without a body that tells, only an overwhelming majority of mentions counts."""
    kind = _body_kind(body)
    counts = Counter(org.official for org, _ in gazetteer().mentions(text) if fits_body(org, body))
    ranked = counts.most_common(2)
    if not ranked:
        return Choice()
    top, n = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0
    least, ratio = (3, 2) if kind else (5, 3)
    if n >= least and n >= ratio * runner:
        return Choice(top, f"named {n} times in the text", inferred=True)
    return Choice()


# -- front matter ------------------------------------------------------------------------------------
_FRONT_KEYS = {"organisation": "organisation", "organization": "organisation", "kommun": "organisation",
               "region": "organisation", "nämnd": "body", "namnd": "body", "organ": "body", "body": "body",
               "datum": "date", "date": "date", "sammanträdesdatum": "date", "motesdatum": "date",
               "mötesdatum": "date"}


def front_matter(text: str) -> dict[str, str]:
    """``key: value`` pairs of a Markdown file's front matter (``---`` … ``---`` at its start), by
    field: ``{"body": "Barn- och utbildningsnämnden", "date": "2016-01-26"}``."""
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "---":
        return {}
    out: dict[str, str] = {}
    for line in lines[1:40]:
        if line.strip() == "---":
            return out
        m = re.match(r"^\s*([\wåäö]+)\s*:\s*[\"']?(.*?)[\"']?\s*$", line)
        if m and (key := _FRONT_KEYS.get(m.group(1).lower())) and m.group(2) and key not in out:
            out[key] = m.group(2)
    return {}  # no closing line: not front matter


def _without_front_matter(text: str) -> str:
    lines = text.lstrip("\ufeff").split("\n")
    if lines and lines[0].strip() == "---":
        for k, line in enumerate(lines[1:40], start=1):
            if line.strip() == "---":
                return "\n".join(lines[k + 1:])
    return text


# -- paths -------------------------------------------------------------------------------------------
_PATH_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_.](0[1-9]|1[0-2])[-_.](0[1-9]|[12]\d|3[01])(?!\d)")
_BODY_SUFFIX = re.compile(r"(namnd|nämnd|styrelse|utskott|fullmaktige|fullmäktige|beredning|revision|presidium)"
                          r"(en|et|n|t)?$", re.I)
_RESTORE = {"namnd": "nämnd", "fullmaktige": "fullmäktige"}


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        return _date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


_DOC_WORDS = re.compile(r"(?i)(?:^|(?<=[\s_-]))(?:protokoll|sammantradesprotokoll|sammanträdesprotokoll|kallelse|"
                        r"bilagor|bilaga|handlingar|foredragningslista|föredragningslista|protokollsutdrag|"
                        r"motesanteckningar|mötesanteckningar)(?=$|[\s_-])")


def _folder_body(name: str) -> str | None:
    """A folder or file named after a meeting body: ``kommunstyrelsen``, ``barn-och-utbildningsnamnden``,
    ``2026-06-15 Kommunstyrelsen``, ``protokoll-kommunstyrelsen-2026-06-15``."""
    name = _DOC_WORDS.sub(" ", _PATH_DATE.sub(" ", name))
    name = re.sub(r"^[\s_-]+|[\s_-]+$", "", re.sub(r"(?<=[\s_])-+|-+(?=[\s_])", " ", name))
    words = re.sub(r"[_\s]+", " ", name).strip()
    if not words or re.search(r"\d", words) or len(words) > 60:
        return None
    last = words.split()[-1].split("-")[-1]
    m = _BODY_SUFFIX.search(last)
    if not m or len(last) < 8:  # a word that is only "nämnden" names no body
        return None
    words = re.sub(r"-och-", "- och ", words)
    words = re.sub(r"-", " ", words) if " och " not in words else words
    for ascii_form, swedish in _RESTORE.items():
        words = re.sub(ascii_form, swedish, words, flags=re.I)
    words = words[:1].upper() + words[1:]
    genitive = len(words.split()) > 1 and words.split()[0].endswith("s")  # Kommunstyrelsens arbetsutskott
    if not genitive and not re.search(r"(?:en|et|fullmäktige|ningen)$", words):
        words += {"nämnd": "en", "styrelse": "n", "utskott": "et", "beredning": "en",
                  "revision": "en"}.get(m.group(1).lower().replace("namnd", "nämnd"), "")
    return words


def path_hints(path: str) -> PathHints:
    """Organisation, body and date named by a file's folders and file name, nearest first.

    ``…/lomma/kommunstyrelsen/2026-06-15/bilagor/x.pdf`` → Lomma kommun, Kommunstyrelsen, 2026-06-15.
    """
    p = PurePath(path)
    hints = PathHints()
    stem = p.stem
    m = _PATH_DATE.search(stem)
    if m and (d := _iso(*m.groups())):
        hints.date = Choice(d, "file name")
    if b := _folder_body(stem):
        hints.body = Choice(b, f"file name {p.name}")
    folders = [part for part in reversed(p.parts[:-1]) if part not in {"/", ""}][:6]
    for part in folders:
        if not hints.date.value:
            m = _PATH_DATE.fullmatch(part) or _PATH_DATE.search(part)
            if m and (d := _iso(*m.groups())):
                hints.date = Choice(d, f"folder name {part}")
        if not hints.body.value and (b := _folder_body(part)):
            hints.body = Choice(b, f"folder name {part}")
    g = gazetteer()
    tokens = dict.fromkeys(re.split(r"[_.\s]+", stem) + re.split(r"[-_.\s]+", stem))
    candidates = [(f"file name {p.name}", tok) for tok in tokens if tok]
    candidates += [(f"folder name {part}", part) for part in folders]
    for reason, token in candidates:
        org = g.by_folded_form(token)
        if org is None and fold(token) not in _COMMON_WORDS:
            org = g.by_place_name(token)
        if org:
            hints.organisation = Choice(org.official, reason)
            break
    return hints


__all__ = ["Choice", "PathHints", "find_organisation", "fits_body", "front_matter", "path_hints"]
