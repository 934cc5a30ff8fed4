"""Small text helpers shared by the segmenters (pure functions)."""

from __future__ import annotations

import re

# Section labels used inside meeting items and officials' reports. They structure an item;
# they never start a new one, and they are never a good item title on their own.
SECTION_LABELS = {
    "beslut", "beslut:", "förslag till beslut", "beslutsförslag", "ärendebeskrivning", "bakgrund",
    "sammanfattning", "sammanfattning av ärendet", "beskrivning av ärendet", "ärendet", "handlingar",
    "handling", "yrkanden", "yrkande", "reservation", "reservationer", "beslutsunderlag", "beslutsgång",
    "tidigare behandling", "protokollsutdrag skickas till", "beslutet skickas till", "propositionsordning",
    "omröstning", "omröstningsresultat", "protokollsanteckning", "protokollsanteckningar",
    "noteras till protokollet", "noteras till protokollet:", "information", "överläggningar",
    "förvaltningens bedömning", "samlad bedömning", "till protokollet", "särskilt yttrande",
    "överenskommelse", "bilagor", "bilaga", "jäv", "motivering", "förslag till beslut på sammanträdet",
    "kommentarer", "inledning", "syfte", "bedömning", "analys", "konsekvenser", "ekonomiska konsekvenser",
}

_ABBREVIATIONS = {"t.ex", "bl.a", "m.m", "m.fl", "ca", "nr", "kap", "s", "jfr", "resp", "t.o.m", "fr.o.m",
                  "dvs", "d.v.s", "o.s.v", "osv", "st", "kl", "tel", "ev", "inkl", "exkl", "mnkr", "tkr",
                  "kr", "milj", "mdkr", "f.d", "p.g.a", "pga", "bl", "t", "ang", "enl", "tf", "bitr"}

_TAG = re.compile(r"</?(?:b|i|u|em|strong|span|font|sup|sub|small|mark|a)(?:\s[^>]*)?>", re.I)
_LIST_TAG = re.compile(r"</?(?:ul|ol)(?:\s[^>]*)?>", re.I)


_LI_OPEN = re.compile(r"<li(?:\s[^>]*)?>", re.I)
_LI_CLOSE = re.compile(r"</li>", re.I)
_BR = re.compile(r"<br\s*/?>", re.I)
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_EMPHASIS_OPEN = re.compile(r"^(\s*(?:- )?)\*(?=[^\s*])", re.M)
_EMPHASIS_CLOSE = re.compile(r"(?<=[^\s*])\*$", re.M)


def clean_inline(text: str) -> str:
    """Remove inline HTML tags and Markdown emphasis left by converters (``<b>``, ``**``)."""
    if "<" in text:
        text = _TAG.sub("", text)
        text = _LIST_TAG.sub("", text)
        text = _LI_OPEN.sub("", text)
        text = _LI_CLOSE.sub(";", text)
        text = _BR.sub(" / ", text)
    if "*" in text:
        text = text.replace("**", "")
        text = _EMPHASIS.sub(r"\1", text)
        text = _EMPHASIS_OPEN.sub(r"\1", text)  # emphasis spanning lines
        text = _EMPHASIS_CLOSE.sub("", text)
    return text


def collapse_blank_lines(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n")


def finish_text(lines: list[str]) -> str:
    """Item text from raw lines: inline markup removed, blank runs collapsed, edges trimmed."""
    cleaned = []
    for line in lines:
        line = clean_inline(line).rstrip()
        if re.fullmatch(r"\s*\|?\s*(?:-{3,}\s*\|?\s*)+", line):  # Markdown table separator rows
            continue
        cleaned.append(line)
    cleaned = _rejoin_page_breaks(cleaned)
    text = collapse_blank_lines("\n".join(cleaned))
    # drop the common indentation so the text reads cleanly
    lines = text.split("\n")
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(ln[cut:] if ln.strip() else "" for ln in lines).strip()


def _rejoin_page_breaks(lines: list[str]) -> list[str]:
    """Drop blank lines that only split a sentence (a page break inside a paragraph)."""
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        if lines[i].strip():
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < n and not lines[j].strip():
            j += 1
        prev = next((ln for ln in reversed(out) if ln.strip()), "")
        nxt = lines[j] if j < n else ""
        if (prev and nxt and not re.search(r"[.!?:;]$", prev.strip())
                and re.match(r"^\s*[a-zåäö]", nxt) and not re.match(r"^\s*att\s", nxt)
                and not re.match(r"^\s*[•\-–]", prev)):
            i = j
            continue
        out.extend(lines[i:j])
        i = j
    return out


def is_label(line: str) -> bool:
    return clean_inline(line).strip().rstrip(":").strip().lower() in {
        s.rstrip(":") for s in SECTION_LABELS}


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (abbreviations and numbers do not end a sentence)."""
    text = re.sub(r"\s+", " ", text).strip()
    for match in re.finditer(r"[.!?](?=\s+[A-ZÅÄÖ0-9\"”(]|$)", text):
        before = text[: match.start()]
        word = re.search(r"(\S+)$", before)
        token = (word.group(1) if word else "").lower().rstrip(".")
        if token in _ABBREVIATIONS or re.fullmatch(r"\d+", token) or len(token) == 1:
            continue
        return text[: match.start() + 1]
    return text


def short_title(text: str, max_words: int = 12, max_chars: int = 90) -> str:
    """A short title from the start of ``text``: its first line when that reads like a
    heading, else its first sentence, cut at a word boundary."""
    lines = [clean_inline(ln).strip() for ln in text.split("\n")]
    lines = [re.sub(r"^(?:[•\-–*]|\d{1,2}\.(?=\s))\s*", "", ln).strip() for ln in lines if ln.strip()]
    while lines and is_label(lines[0]) and len(lines) > 1:
        lines = lines[1:]
    if not lines:
        return ""
    first = lines[0]
    if len(first) <= max_chars and not re.search(r"[.:;,]$", first) and len(first.split()) <= max_words:
        return first
    sentence = first_sentence(" ".join(lines[:3])).rstrip(".:;, ")
    words = sentence.split()
    title = " ".join(words[:max_words])
    if len(title) > max_chars:
        title = title[:max_chars].rsplit(" ", 1)[0]
    if title != sentence:
        title = title.rstrip(",;:–- ") + "…"
    return title


_WRAP_WORDS = re.compile(r"(?:[,\-–]|\b(?:för|och|av|om|i|till|med|på|att|samt|inom|vid|från|mot|den|det|de|en|ett|"
                         r"gällande|avseende|angående|enligt|under|efter|inför|kring|mellan|eller|som))$", re.I)


def looks_wrapped(line: str, min_len: int = 42) -> bool:
    """True when ``line`` looks cut by line wrapping: long without sentence-ending punctuation,
    or ending in a word that cannot end a heading (``för``, ``och`` …)."""
    s = clean_inline(line).strip()
    if re.search(r"[.!?:;]$", s):
        return False
    return len(s) >= min_len or (len(s) >= 20 and bool(_WRAP_WORDS.search(s)))


def join_title(parts: list[str]) -> str:
    # Markdown heading marks ("## Title") are layout, not part of the title
    title = " ".join(re.sub(r"^#{1,6}\s+", "", clean_inline(p).strip()) for p in parts if p.strip())
    title = re.sub(r"\s+", " ", title).strip()
    title = re.sub(r"(\w)- (och|eller|samt) ", r"\1- \2 ", title)
    return title.strip(" *")


def read_title(lines: list[str], start: int, first: str | None = None, bold: bool = False,
               max_parts: int = 4) -> tuple[str, int]:
    """Read a heading that may be wrapped over several lines.

    ``first`` is heading text already found on the marker line (``§ 12 Title``); otherwise the
    heading starts at the first non-blank line from ``start``. Continuation lines follow without
    a blank line while the previous part looks cut by wrapping; a heading in ``**bold**`` runs
    to its closing ``**``. Returns the title and the index of the first line after it.
    """
    n = len(lines)
    j = start
    parts: list[str] = []
    if first is not None and first.strip():
        parts.append(first)
    else:
        while j < n and not lines[j].strip():
            j += 1
        if j >= n or is_label(lines[j]):
            return "", start
        bold = lines[j].strip().startswith("**") and lines[j].count("**") == 1
        parts.append(lines[j])
        j += 1
    if bold:
        k = j
        while k < n and k - j < 6 and "**" not in lines[k]:
            k += 1
        if k < n and "**" in lines[k]:
            parts.extend(lines[j:k + 1])
            return join_title(parts), k + 1
    while (j < n and lines[j].strip() and len(parts) < max_parts and looks_wrapped(parts[-1])
           and not is_label(lines[j]) and not re.match(r"^\s*(?:[•\-–]|\d+[.)]\s)", lines[j])
           and not (re.match(r"^\s*att\s", lines[j]) and not _WRAP_WORDS.search(clean_inline(parts[-1]).strip()))):
        parts.append(lines[j])
        j += 1
    return join_title(parts), j
