"""Query understanding: Swedish question frames are recognised by rules, not by listing questions."""

from __future__ import annotations

import pytest

from search_api.query import understand


@pytest.mark.parametrize("query, subject, body", [
    ("vad beslutades om ambulanshelikopter", "ambulanshelikopter", None),
    ("Vad beslutades om ambulanshelikopter?", "ambulanshelikopter", None),
    ("vad har kommunstyrelsen beslutat om nya skolan", "nya skolan", "kommunstyrelsen"),
    ("vilka beslut har fattats om vindkraft", "vindkraft", None),
    ("när beslutade regionfullmäktige om sjukresor", "sjukresor", "regionfullmäktige"),
    ("blev det något av cykelbanan", "cykelbanan", None),
    ("hur gick det med badhuset?", "badhuset", None),
    ("vad hände med simhallen", "simhallen", None),
    ("vad blev beslutet om taxan", "taxan", None),
    ("vad beslutade hälso- och sjukvårdsutskottet om internkontrollplan 2024?", "internkontrollplan 2024",
     "hälso- och sjukvårdsutskottet"),
    ("vad har nämnden bestämt angående parkeringsavgifter", "parkeringsavgifter", "nämnden"),
])
def test_decision_questions_are_understood(query, subject, body):
    intent = understand(query)
    assert intent.decision
    assert intent.subject == subject
    assert intent.body == body


@pytest.mark.parametrize("query", [
    "ambulanshelikopter",
    "beslut om ambulanshelikopter",  # no interrogative: the words are the subject
    "vad kostar hyrpersonal",  # a question, but not about a decision or an outcome
    "hur många elever har skolskjuts",
    "vad",
    "vad beslutades",  # a frame without a subject: search for what was typed
])
def test_other_queries_are_their_own_subject(query):
    intent = understand(query)
    assert not intent.decision
    assert intent.subject == query


@pytest.mark.parametrize("q", ["vilka bestämmelser gäller för parkering", "vilket antal elever finns i skolan",
                               "vad är beslutsunderlag"])
def test_words_that_only_begin_like_a_decision_verb_make_no_frame(q):
    """Decision words are matched as whole word forms: "bestämmelser" is no "bestämde", and the
    query keeps all its content words."""
    intent = understand(q)
    assert not intent.decision and intent.subject == q
