"""Query understanding: Swedish question frames around a subject.

A question such as ``vad har kommunstyrelsen beslutat om nya Gårdstensskolan?`` is a *frame*
(interrogative, auxiliaries, a decision verb or noun, a body, a preposition) around the
*subject* (``nya Gårdstensskolan``). The frame's words are not content: ``beslutades`` would
otherwise match every item that mentions a decision. The frame is recognised by a small
grammar, not by listing questions:

    frame   := opener filler* (marker | body | filler)* preposition?
    opener  := an interrogative (vad, vilka, när, hur, ...) or a fronted verb (blev, har, finns)
    marker  := a decision verb in one of its word forms (beslutade, fattats, antogs, godkändes, ...),
               a decision noun (beslut, beslutet, ...) or an outcome verb (gick, hände, blev)
    body    := a word naming a body (-styrelsen, -nämnden, -fullmäktige, -utskottet, ...)

The frame must hold a marker; then the query is a *decision question*: the item holding the
decision on the subject (a protocol's beslut) is the answer. Everything after the frame is the
subject. A query without a frame is its own subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_](?:[\w-]*[^\W_])?|\d+")

OPENERS = frozenset("vad vilka vilken vilket när hur varför blev har hade finns fanns togs fattades".split())
# Words a question frame holds between its opener and its subject.
FILLERS = frozenset(
    """
    har hade ha blev blir är var det de man ni vi någon något några alls egentligen till slut
    sedan senast i och eller av med om så på ska skulle kommer att
    """.split()
)
PREPOSITIONS = frozenset("om kring angående rörande gällande beträffande med av för i till".split())
# Decision verbs and nouns in their word forms (beslutade, beslutades, beslutats, beslöt, antogs,
# godkändes, ...): whole words, so that "bestämmelser" or "antal" are not taken for a decision.
_DECISION_WORD = re.compile(
    r"beslut(?:a|ar|ade|ades|at|ats|as|et|en|s)?|beslöts?|fatta(?:r|de|des|t|ts|s)?|"
    r"anta(?:r|s|git|gits|ges)?|antogs?|antag(?:en|et|na|s)?|"
    r"godkänn(?:a|er|es|s)?|godkänd(?:e|es|a)?|godkänts?|bestämm(?:a|er|es|s)?|bestämd(?:e|es|a)?|bestämts?|"
    r"klubba(?:r|de|des|t|ts|s)?|tagits?|togs?"
)
_OUTCOME_VERBS = frozenset("går gick gått händer hände hänt sker skedde skett blev blivit".split())
# A word ending like this names a body (kommunstyrelsen, hälso- och sjukvårdsnämnden, utskottet).
_BODY_ENDINGS = ("styrelsen", "nämnden", "fullmäktige", "utskottet", "utskott", "beredningen", "nämnd", "styrelse",
                 "revisionen", "revisorerna", "regionen", "kommunen")


@dataclass(frozen=True)
class QueryIntent:
    """What the query asks: its subject (the text the legs search for), whether it is a decision
    question, and the body it names, if any (lowercased words, as written)."""

    text: str
    subject: str
    decision: bool = False
    body: str | None = None


def _is_marker(word: str) -> bool:
    return bool(_DECISION_WORD.fullmatch(word)) or word in _OUTCOME_VERBS


def _is_body(word: str) -> bool:
    return word.endswith(_BODY_ENDINGS)


def understand(text: str) -> QueryIntent:
    """The query's subject and intent (see the module docstring)."""
    words = [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]
    if len(words) < 2 or words[0][0] not in OPENERS:
        return QueryIntent(text, text)
    marker = _is_marker(words[0][0])  # blev det något av …
    body: list[int] = []  # indexes of the words naming a body
    end = 1  # words consumed by the frame
    for i in range(1, len(words)):
        word = words[i][0]
        if _is_marker(word):
            marker = True
        elif _is_body(word) or _names_body_ahead(text, words, i):
            body.append(i)
        elif word in FILLERS or word in PREPOSITIONS:
            pass
        else:
            break
        end = i + 1
        # a preposition after the marker closes the frame: what follows is the subject
        if marker and word in PREPOSITIONS and i + 1 < len(words):
            break
    if not marker or end >= len(words):
        return QueryIntent(text, text)
    subject = text[words[end][1]:].strip().rstrip("?!. ").strip()
    if not subject:
        return QueryIntent(text, text)
    named = text[words[body[0]][1]:words[body[-1]][2]].lower() if body else None
    return QueryIntent(text, subject, decision=True, body=named)


def _names_body_ahead(text: str, words: list[tuple[str, int, int]], i: int) -> bool:
    """The first words of a body's name: ``hälso-`` (and ``och``) before ``sjukvårdsutskottet``."""
    if not text[words[i][2]:words[i][2] + 1] == "-":
        return False
    for j in range(i + 1, min(i + 3, len(words))):
        if _is_body(words[j][0]):
            return all(w == "och" for w, _, _ in words[i + 1:j]) and words[i][0] != "och"
    return False
