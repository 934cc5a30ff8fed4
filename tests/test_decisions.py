"""Typed decisions: what an item decided (``beslut``) versus what it only proposed (``förslag``),
and the answer a decision question gets on top of the hits.

Unit tests over synthetic snippets of each form; a test over every item of the sample corpus
(``corpus/`` and ``corpus/extra``) that no proposal is labelled as a decision; the answer through
the service over a small store (hashing embedder: no model).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.decisions import BESLUT, FORSLAG, heading_kind, settle_kinds, typed_decisions
from indexer.ingest import discover, parse_file, parse_text

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


# -- synthetic snippets -------------------------------------------------------------------------

@pytest.mark.parametrize("heading, kind", [
    ("Beslut", BESLUT), ("Beslut:", BESLUT), ("Nämndens beslut", BESLUT), ("Kommunstyrelsens beslut", BESLUT),
    ("Barn- och utbildningsnämndens beslut", BESLUT), ("Överenskommelse", BESLUT),
    ("Beslut – för fastställande i kommunfullmäktige", BESLUT),
    ("Förslag till beslut", FORSLAG), ("Förslag till beslut i kommunstyrelsen", FORSLAG),
    ("Beslutsförslag", FORSLAG), ("Förvaltningens förslag", FORSLAG), ("Arbetsutskottets förslag", FORSLAG),
    ("Utbildningsförvaltningens förslag till beslut:", FORSLAG),
])
def test_heading_decides_the_kind(heading, kind):
    found = typed_decisions(f"{heading}\n\nNämnden godkänner rapporten.\n")
    assert found.texts == ["Nämnden godkänner rapporten"]
    assert found.kind == kind == heading_kind(heading)


def test_markdown_heading_counts():
    found = typed_decisions("## **Barn- och utbildningsnämndens beslut**\n\n- Redovisningen godkänns.\n")
    assert found == typed_decisions("Barn- och utbildningsnämndens beslut\n\n- Redovisningen godkänns.\n")
    assert found.kind == BESLUT and found.texts == ["Redovisningen godkänns"]


def test_a_protocols_beslut_keeps_only_what_was_decided():
    """A § with the meeting's Beslut and the rejected Förslag till beslut: the proposal is not
    shown as a decision (it was voted down)."""
    text = ("Beslut\nNämnden anser att initiativet är besvarat.\n\nSammanfattning av ärendet\nEtt initiativ.\n\n"
            "Förslag till beslut\n1. Nämnden ger förvaltningen i uppdrag att utvärdera nattpatrullen.\n"
            "2. Nämnden beslutar att redovisning ska ske i september.\n")
    found = typed_decisions(text)
    assert found.kind == BESLUT
    assert found.texts == ["Nämnden anser att initiativet är besvarat"]


def test_a_protocols_beslut_that_proposes_to_another_body_is_this_bodys_decision():
    """Under ``Beslut`` the body decided, at this meeting, to propose something to fullmäktige:
    that step is a decision of this body (the issue's definition: a protocol's Beslut decides)."""
    text = ("Beslut\n\nKommunstyrelsen tillstyrker förslaget och föreslår att\nkommunfullmäktige beslutar:\n"
            "1. Planen antas.\n2. Medel anvisas ur den gemensamma potten.\n")
    found = typed_decisions(text)
    assert found.kind == BESLUT and found.texts == ["Planen antas", "Medel anvisas ur den gemensamma potten"]


def test_a_body_deciding_for_itself_and_proposing_to_another_keeps_both_steps():
    text = ("Beslut\n\nKommunstyrelsen beslutar för egen del:\n1. Förvaltningen får i uppdrag att informera.\n\n"
            "Kommunstyrelsen föreslår kommunfullmäktige besluta:\n2. Taxan antas.\n")
    found = typed_decisions(text)
    assert found.kind == BESLUT and found.texts == ["Förvaltningen får i uppdrag att informera", "Taxan antas"]


@pytest.mark.parametrize("text, kind, first", [
    ("Nämnden beslutar\n\natt anta planen.\n", BESLUT, "att anta planen"),
    ("Kommunstyrelsen föreslår att\nkommunfullmäktige beslutar\n\natt anta planen.\n", FORSLAG, "att anta planen"),
    ("Regionstyrelsen föreslår regionfullmäktige följande:\nProgrammet fastställs.\n", FORSLAG,
     "Programmet fastställs"),
    ("Beslut:\nHälso- och sjukvårdsutskottet föreslår att nämnden beslutar\natt anta verksamhetsplanen.\n", BESLUT,
     "att anta verksamhetsplanen"),
    ("Beslut:\nUtskottet beslutar\natt överlämna ärendet till nämnden.\n", BESLUT,
     "att överlämna ärendet till nämnden"),
    ("Kulturnämnden föreslår kommunfullmäktige att anta kulturplanen. Planen gäller 2025.", FORSLAG,
     "att anta kulturplanen"),
])
def test_the_verb_decides_outside_a_heading(text, kind, first):
    found = typed_decisions(text)
    assert found.kind == kind and found.texts[0] == first


def test_a_lead_in_that_is_itself_the_decision_is_kept():
    found = typed_decisions("Kommunstyrelsens beslut\n\nTill kommunledningsutskott 2007-2010 utses:\n\n"
                            "Ordinarie\n\n(C) Ewa Engdahl\n(S) Roger Samuelsson\n")
    assert found.kind == BESLUT and found.texts[0] == "Till kommunledningsutskott 2007-2010 utses"
    # a distribution list is no decision
    assert "Beslutet expedieras till" not in typed_decisions("Beslut\n\natt anta planen.\n\n"
                                                             "Beslutet expedieras till:\nKommunstyrelsen\n").texts


def test_no_decisions_no_kind():
    assert typed_decisions("Information om läget. Inga frågor.").kind is None


KALLELSE = """KALLELSE
Nämnden för Vård & Omsorg
Sammanträde 2025-03-20

Ärende 1
Indexuppräkning av hemtjänstersättning 2025
Förslag till beslut
Nämnden för Vård & Omsorg beslutar att anta indexuppräkningen.

Ärende 2
Hantering av driftavtal
Beslut
Nämnden för Vård & Omsorg beslutar att förlänga avtalet.
"""


def test_a_kallelse_only_proposes():
    """Written before the meeting: even a ``beslutar`` line or a ``Beslut`` heading in it is a proposal."""
    doc = parse_text(KALLELSE, "kallelse.txt")
    assert doc.document.doc_type == "kallelse"
    with_decisions = [i for i in doc.items if i.decisions]
    assert with_decisions and all(i.decision_kind == FORSLAG for i in with_decisions)


def test_settle_kinds_leaves_a_protocol_alone():
    doc = parse_text("PROTOKOLL\nNämnden\n2025-01-01\n\n§ 1 Val av justerare\n\nBeslut\n\natt utse Anna.\n\n"
                     "§ 2 Budget\n\nBeslut\n\natt anta budgeten.\n", "p.txt")
    kinds = [i.decision_kind for i in settle_kinds(doc.items, "protokoll") if i.decisions]
    assert kinds == [BESLUT, BESLUT]
    assert [i.decision_kind for i in settle_kinds(doc.items, "tjänsteskrivelse") if i.decisions] == [FORSLAG] * 2


# -- every item of the sample corpus --------------------------------------------------------------

_BESLUT_HEAD = re.compile(r"^(?:#{1,6}\s+)?\**(?:Beslut|[\wåäö -]*(?:nämnd|styrelse|utskott|fullmäktige)\w*s beslut)"
                          r"\**\s*:?\s*$", re.M)
_FORSLAG_HEAD = re.compile(r"^(?:#{1,6}\s+)?\**(?:Förslag till beslut(?: i [^\n]{0,80})?|Beslutsförslag|"
                           r"[\wåäö-]+s förslag(?: till beslut)?)\**\s*:?\s*$", re.M)


@pytest.fixture(scope="module")
def corpus_docs():
    return [parse_file(p) for p in discover([CORPUS])]


def test_corpus_has_both_kinds(corpus_docs):
    kinds = {i.decision_kind for d in corpus_docs for i in d.items if i.decisions}
    assert kinds == {BESLUT, FORSLAG}
    assert all(i.decision_kind is None for d in corpus_docs for i in d.items if not i.decisions)


def test_no_proposal_is_labelled_a_decision(corpus_docs):
    """Over every item: nothing in a kallelse or tjänsteskrivelse is a decision; an item whose only
    decision section is a proposal (Förslag till beslut, <body>s förslag) is a proposal; and a
    decision text shown under Beslut never comes from a proposal section of the same item."""
    checked = 0
    for doc in corpus_docs:
        for item in doc.items:
            if not item.decisions:
                continue
            where = f"{Path(doc.document.source).name} {item.title!r}"
            if doc.document.doc_type in ("kallelse", "tjänsteskrivelse"):
                assert item.decision_kind == FORSLAG, where
            if _FORSLAG_HEAD.search(item.text) and not _BESLUT_HEAD.search(item.text):
                assert item.decision_kind == FORSLAG, where
            if item.decision_kind == BESLUT:
                proposals = [typed_decisions(section).texts for section in _proposal_sections(item.text)]
                for decision in item.decisions:
                    assert not any(decision in p for p in proposals), (where, decision)
            checked += 1
    assert checked > 150


def _proposal_sections(text: str) -> list[str]:
    """Each proposal section of an item, on its own (heading and body up to the next heading)."""
    sections = []
    for m in _FORSLAG_HEAD.finditer(text):
        following = _BESLUT_HEAD.search(text, m.end())
        sections.append(text[m.start():following.start() if following else None])
    return sections


def test_every_protocol_beslut_section_decides(corpus_docs):
    """A protocol § with a Beslut section is a decision, also where the body decides to pass a
    proposal on to another body (… föreslår att kommunfullmäktige beslutar: …)."""
    seen = 0
    for doc in corpus_docs:
        if doc.document.doc_type not in ("protokoll", "beslut"):
            continue
        for item in doc.items:
            if item.paragraph is None or not item.decisions or not _BESLUT_HEAD.search(item.text):
                continue
            assert item.decision_kind == BESLUT, (doc.document.source, item.paragraph)
            seen += 1
    assert seen > 100


# -- the answer to a decision question ------------------------------------------------------------

PROTOKOLL = """PROTOKOLL
Kommunstyrelsen
Sammanträdesdatum 2025-04-02

§ 41 Solcellspark vid Norra deponin

Kommunen har utrett en solcellspark på den sluttäckta deponin.

Beslut
Kommunstyrelsen beslutar att uppföra en solcellspark vid Norra deponin inom en ram om 12 miljoner kronor.

§ 42 Information om vinterväghållning

Beslut
Informationen läggs till handlingarna.
"""

KALLELSE_SOL = """KALLELSE
Kommunstyrelsen
Sammanträde 2025-04-02

Ärende 1
Solcellspark vid Norra deponin
Förslag till beslut
Kommunstyrelsen beslutar att uppföra en solcellspark vid Norra deponin.

Ärende 2
Laddstolpar vid kommunhuset
Förslag till beslut
Kommunstyrelsen beslutar att bygga laddstolpar vid kommunhuset.
"""


@pytest.fixture(scope="module")
def small_service(tmp_path_factory, analyzer):
    from indexer.pipeline import Indexer
    from indexer.store.sqlite import SQLiteStore
    from models.embeddings import HashingEmbedder
    from search_api.service import RankingConfig, SearchService

    folder = tmp_path_factory.mktemp("answer-docs")
    (folder / "ks_2025-04-02_protokoll.txt").write_text(PROTOKOLL, encoding="utf-8")
    (folder / "ks_2025-04-02_kallelse.txt").write_text(KALLELSE_SOL, encoding="utf-8")
    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path_factory.mktemp("answer-store"), embedding_model="hashing", dim=embedder.dim)
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder, topics=None).run(
        sorted(folder.glob("*.txt")))
    assert summary.failed == 0, summary.messages
    from motesok.config import Settings

    service = SearchService(store, analyzer, embedder, RankingConfig.from_settings(Settings()))
    yield service
    store.close()


def _search(service, q, **kw):
    from search_api.schemas import SearchParams

    return service.search(SearchParams(q=q, **kw))


def test_a_decision_question_gets_the_protocols_decision_on_top(small_service):
    result = _search(small_service, "vad beslutades om solcellsparken vid Norra deponin?")
    answer = result.answer
    assert answer is not None
    assert answer.paragraph == 41 and answer.body == "Kommunstyrelsen" and answer.date == "2025-04-02"
    assert answer.decisions == ["att uppföra en solcellspark vid Norra deponin inom en ram om 12 miljoner kronor"]
    assert answer.url == f"/punkt/{answer.id}"
    kinds = {h.title: h.decision_kind for h in result.hits}
    assert kinds.get("Solcellspark vid Norra deponin") is not None
    proposals = [h for h in result.hits if h.doc_type == "kallelse" and h.decisions]
    assert proposals and all(h.decision_kind == FORSLAG for h in proposals)


def test_no_answer_when_only_proposed_or_not_a_question(small_service):
    # laddstolpar: only the kallelse's proposal exists — a proposal is never the answer
    assert _search(small_service, "vad beslutades om laddstolpar vid kommunhuset?").answer is None
    # the same subject without a question frame: hits, no answer
    plain = _search(small_service, "solcellspark")
    assert plain.total >= 1 and plain.answer is None


def test_export_and_item_route_carry_the_kind(small_service):
    from search_api.schemas import SearchParams

    rows = list(small_service.export_items(SearchParams(q="solcellspark"), 100))
    assert {r["decision_kind"] for r in rows} >= {BESLUT, FORSLAG}
    some = next(r for r in rows if r["decision_kind"] == BESLUT)
    assert small_service.item_with_context(some["id"]).item.decision_kind == BESLUT
