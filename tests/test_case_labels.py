"""The labelled cases and references (tests/data/cases/cases.json) and the scorer in tests/case_labels.py.

The fixture is checked against the documents as ``motesok parse`` reads them
(:func:`indexer.ingest.parse_file`): every labelled step, not-step and reference is exactly one item
of its document, and every step carries one of its case's numbers. The scorer is tested on made-up
predictions. The end-to-end figures (index the files, ask the case API) are another test's.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from indexer.ingest import parse_file
from tests.case_labels import (
    CASES_FILE,
    REPO_ROOT,
    Case,
    Reference,
    Step,
    load_cases,
    score_cases,
    score_references,
    step_of,
)

CASES, REFERENCES = load_cases()


@cache
def _parsed(source: str):
    return parse_file(REPO_ROOT / source)


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def _label(item) -> str | None:
    value = item.paragraph_label or (str(item.paragraph) if item.paragraph is not None else None)
    return re.sub(r"\s+", "", value).casefold() if value else None


def _items_of(step: Step) -> list:
    """The items of the step's document that the step names (all of them for a document step)."""
    items = _parsed(step.source).items
    if step.document:
        return list(items)
    if step.paragraph is not None:
        return [i for i in items if _label(i) == step.paragraph]
    return [i for i in items if _fold(i.title).startswith(_fold(step.title))]


def _digits(number: str) -> tuple[int, ...]:
    """A case number's year and serial as numbers: 'VO-2025-00072', 'VO-2025–00072' -> (2025, 72)."""
    return tuple(int(d) for d in re.findall(r"\d+", number))


def _carries(text: str, numbers: tuple[str, ...]) -> bool:
    """Whether the text writes one of the numbers (digit groups in order, any separators or zero padding).

    A date is not a number: '2015-12-21' does not write Bun/2015:12. A ':58' document suffix may follow.
    """
    for number in numbers:
        groups = [str(int(d)) for d in re.findall(r"\d+", number)]
        pattern = r"(?<!\d)" + r"\D{0,3}".join(rf"0*{g}" for g in groups) + r"(?!\d|[-/.]\d)"
        if re.search(pattern, text):
            return True
    return False


def _case_id(case: Case) -> str:
    return case.id


def _all_steps() -> list[tuple[Case, Step]]:
    return [(case, step) for case in CASES for step in case.steps]


def _all_not_steps() -> list[tuple[Case, Step]]:
    return [(case, step) for case in CASES for step in case.not_steps]


def test_fixture_size_and_spread():
    assert len(CASES) >= 20
    assert len(REFERENCES) >= 20
    assert len({c.id for c in CASES}) == len(CASES), "case ids are unique"
    assert len({c.organisation for c in CASES}) >= 5
    assert sum(1 for c in CASES if len(c.steps) > 1) >= 10, "most of the value is in cases with several steps"
    assert sum(1 for r in REFERENCES if r.target is not None) >= 4  # all the corpora offer (README)
    assert sum(1 for r in REFERENCES if r.target is None) >= 5


def test_every_source_exists():
    sources = {s.source for _, s in _all_steps() + _all_not_steps()}
    sources |= {r.item.source for r in REFERENCES} | {r.target.source for r in REFERENCES if r.target}
    missing = [s for s in sorted(sources) if not (REPO_ROOT / s).is_file()]
    assert not missing


@pytest.mark.parametrize(("case", "step"), _all_steps(), ids=lambda x: x.id if isinstance(x, Case) else x.describe())
def test_step_is_one_item_and_carries_the_number(case, step):
    document = _parsed(step.source).document
    assert document.organisation == case.organisation
    items = _items_of(step)
    if step.document:
        assert items, "a document step's file parses into items"
        text = " ".join(f"{i.title}\n{i.text}" for i in items)
    else:
        assert len(items) == 1, f"{step.describe()} names {len(items)} items"
        text = f"{items[0].title}\n{items[0].text}"
    assert _carries(text, case.case_numbers), f"{step.describe()} does not write {case.case_numbers}"


@pytest.mark.parametrize(("case", "step"), _all_not_steps(),
                         ids=lambda x: x.id if isinstance(x, Case) else x.describe())
def test_not_step_is_one_item_and_no_step(case, step):
    assert step.why
    assert len(_items_of(step)) == 1
    assert all(step.source != s.source or (s.paragraph, s.title) != (step.paragraph, step.title) for s in case.steps)


def test_steps_of_a_case_are_distinct_items():
    for case in CASES:
        seen = set()
        for step in case.steps:
            key = (step.source, id(_items_of(step)[0])) if not step.document else (step.source, "document")
            assert key not in seen, f"{case.id}: two labels for one item"
            seen.add(key)


@pytest.mark.parametrize("ref", REFERENCES, ids=lambda r: f"{Path(r.source).name}:{r.text[:30]}")
def test_reference_is_in_its_item_and_its_target_is_one_item(ref: Reference):
    items = _items_of(ref.item)
    assert len(items) == 1
    assert _fold(ref.text) in _fold(items[0].text), "the reference is written in the item"
    if ref.target is not None:
        assert len(_items_of(ref.target)) == 1 or ref.target.document


def test_case_numbers_follow_the_digits_of_the_id():
    # the id names the matter's year and serial, so a typo in either is caught
    for case in CASES:
        digits = set(re.findall(r"\d+", case.id))
        assert any({str(int(d)) for d in _digits(n)} & digits for n in case.case_numbers), case.id


# --- the scorer, on made-up predictions -----------------------------------------------------------


def _step(source: str, paragraph=None, title: str = "", document_level: bool = False, label=None) -> dict:
    return {"source": source, "paragraph": paragraph, "paragraph_label": label, "title": title,
            "document_level": document_level}


TOY = Case(
    id="toy", organisation="Exempel kommun", case_numbers=("KS 2024/1",), subject="Toy",
    steps=(Step("a/protokoll.txt", paragraph="44"), Step("a/kallelse.txt", title="Indexuppräkning av hemtjänst"),
           Step("a/tjansteskrivelse.txt", document=True), Step("a/ks.txt", paragraph="3b")),
    not_steps=(Step("a/protokoll.txt", paragraph="52", why="mentions the number"),),
)


def _perfect(case: Case) -> list[dict]:
    return [_step("a/protokoll.txt", 44, "Indexuppräkning"),
            _step("a/kallelse.txt", None, "INDEXUPPRÄKNING  av hemtjänstersättning 2025"),
            _step("a/tjansteskrivelse.txt", None, "Sammanfattning", document_level=True),
            _step("a/ks.txt", 3, "Val", label="3 b")]


def test_scorer_perfect_prediction():
    scores = score_cases([TOY], _perfect)
    assert (scores.recall, scores.precision) == (1.0, 1.0)
    assert scores.failures == []


def test_scorer_missed_step_lowers_recall_only():
    scores = score_cases([TOY], lambda c: _perfect(c)[:3])
    assert scores.recall == pytest.approx(3 / 4)
    assert scores.precision == 1.0
    assert scores.failures[0].missed == [TOY.steps[3]]


def test_scorer_extra_step_lowers_precision_and_names_the_not_step():
    scores = score_cases([TOY], lambda c: _perfect(c) + [_step("a/protokoll.txt", 52, "Anmälan av delegeringsbeslut")])
    assert scores.recall == 1.0
    assert scores.precision == pytest.approx(4 / 5)
    failure = scores.failures[0]
    assert [e["paragraph"] for e in failure.extra] == [52]
    assert failure.not_steps_hit == [TOY.not_steps[0]]


def test_scorer_counts_a_labelled_step_once_however_often_it_is_predicted():
    items_of_one_document = [_step("a/tjansteskrivelse.txt", None, t) for t in ("Sammanfattning", "Beskrivning", "Ekonomi")]
    scores = score_cases([TOY], lambda c: _perfect(c)[:2] + items_of_one_document + _perfect(c)[3:])
    assert (scores.recall, scores.precision) == (1.0, 1.0)
    duplicated = score_cases([TOY], lambda c: _perfect(c) + _perfect(c))
    assert (duplicated.recall, duplicated.precision) == (1.0, 1.0)


def test_scorer_matching_rules():
    para, title, document, lettered = TOY.steps
    # paragraph: equal number, same source; a letter suffix must match too
    assert score_cases([Case("p", "o", ("x",), "s", (para,))], lambda c: [_step("a/protokoll.txt", 45)]).recall == 0.0
    assert score_cases([Case("p", "o", ("x",), "s", (para,))], lambda c: [_step("a/other.txt", 44)]).recall == 0.0
    assert score_cases([Case("l", "o", ("x",), "s", (lettered,))],
                       lambda c: [_step("a/ks.txt", 3, label="3 a")]).recall == 0.0
    # title: a prefix, not any overlap
    assert score_cases([Case("t", "o", ("x",), "s", (title,))],
                       lambda c: [_step("a/kallelse.txt", None, "Information om indexuppräkning av hemtjänst")]).recall == 0.0
    # document: any step of that source; an item's § does not match a whole-document prediction
    assert score_cases([Case("d", "o", ("x",), "s", (document,))],
                       lambda c: [_step("a/tjansteskrivelse.txt", 7, "Bilaga")]).recall == 1.0
    assert score_cases([Case("p", "o", ("x",), "s", (para,))],
                       lambda c: [_step("a/protokoll.txt", None, "", document_level=True)]).recall == 0.0


def test_scorer_accepts_a_file_name_for_its_path_but_not_another_file():
    step = Step("corpus/extra/kungsbacka_vo_2025-03-20_protokoll.txt", paragraph="44")
    case = Case("c", "o", ("x",), "s", (step,))
    assert score_cases([case], lambda c: [_step("kungsbacka_vo_2025-03-20_protokoll.txt", 44)]).recall == 1.0
    assert score_cases([case], lambda c: [_step("extra/kungsbacka_vo_2025-03-20_protokoll.txt", 44)]).recall == 1.0
    assert score_cases([case], lambda c: [_step("kungsbacka_vo_2025-03-20_kallelse.txt", 44)]).recall == 0.0
    assert score_cases([case], lambda c: [_step("vo_2025-03-20_protokoll.txt", 44)]).recall == 0.0  # whole names only


def test_scorer_accepts_absolute_sources():
    absolute = str(REPO_ROOT / "corpus" / "extra" / "kungsbacka_vo_2025-03-20_protokoll.txt")
    assert step_of({"source": absolute, "paragraph": 44, "title": "X"})[0] == "corpus/extra/kungsbacka_vo_2025-03-20_protokoll.txt"


def test_scorer_micro_averages_over_cases():
    one = Case("one", "o", ("x",), "s", (Step("a", paragraph="1"),))
    three = Case("three", "o", ("y",), "s", tuple(Step("b", paragraph=str(n)) for n in (1, 2, 3)))
    predictions = {"one": [], "three": [_step("b", n) for n in (1, 2, 3)]}
    scores = score_cases([one, three], lambda c: predictions[c.id])
    assert scores.recall == pytest.approx(3 / 4)  # not the mean of per-case recalls (0.5)
    assert [f.case_id for f in scores.failures] == ["one"]


def test_reference_scorer():
    inside = Reference("a/kf.txt", "KS 2025-03-12 § 44", Step("a/kf.txt", paragraph="5"), Step("a/ks.txt", paragraph="44"))
    outside = Reference("a/kf.txt", "KF 2019-01-01 § 3", Step("a/kf.txt", paragraph="5"), None)
    right = {"source": "a/ks.txt", "paragraph": 44}
    assert score_references([inside, outside], lambda r: right if r is inside else None) == (1.0, [])
    share, failures = score_references([inside, outside], lambda r: {"source": "a/ks.txt", "paragraph": 45})
    assert share == 0.0
    assert [ref for ref, _ in failures] == [inside, outside]  # linking a reference that is not indexed is wrong too


def test_load_rejects_an_ambiguous_step(tmp_path):
    bad = tmp_path / "cases.json"
    bad.write_text('{"cases": [{"id": "x", "organisation": "o", "case_numbers": ["1"], "subject": "s", '
                   '"steps": [{"source": "a", "paragraph": 1, "title": "t"}]}], "references": []}', encoding="utf-8")
    with pytest.raises(ValueError):
        load_cases(bad)


def test_fixture_file_is_the_default():
    assert CASES_FILE.is_file()
    assert load_cases(CASES_FILE)[0] == CASES


class _FakeStore:
    """Two documents: a protocol with § 44 and § 45, and a kallelse with one point."""

    def __init__(self):
        from types import SimpleNamespace as NS

        from indexer.records import DocumentMeta

        def item(id_, source, paragraph, title):
            return NS(id=id_, source=str(REPO_ROOT / source), paragraph=paragraph, paragraph_label=None, title=title)

        self.docs = {
            DocumentMeta(str(REPO_ROOT / "a/protokoll.txt"), "", "").id:
                (None, [item("p44", "a/protokoll.txt", 44, "Indexuppräkning"), item("p45", "a/protokoll.txt", 45, "Val")]),
            DocumentMeta(str(REPO_ROOT / "a/kallelse.txt"), "", "").id:
                (None, [item("k6", "a/kallelse.txt", None, "Indexuppräkning av hemtjänstersättning 2025")]),
        }
        self.items = {i.id: i for _, items in self.docs.values() for i in items}

    def get_document(self, document_id):
        return self.docs.get(document_id)

    def get_items(self, ids):
        return [self.items[i] for i in ids if i in self.items]


class _FakeService:
    def __init__(self):
        self.store = _FakeStore()

    def cases_for_number(self, raw, organisation=None):
        return ["exempel:vo:2025:72"] if raw == "VO-2025-00072" else []

    def case(self, key):
        # as the API gives them: file names, not paths
        return {"steps": [{"source": "kallelse.txt", "paragraph": None, "title": "Indexuppräkning av hemtjänstersättning 2025"},
                          {"source": "protokoll.txt", "paragraph": 44, "title": "Indexuppräkning"},
                          {"source": "protokoll.txt", "paragraph": 45, "title": "Val"}]}

    def references(self, item):
        return [{"text": "§ 44", "target": "p44"}] if item.id == "p45" else []


def test_report_glues_the_service_to_the_scorer():
    from tests.case_labels import report

    case = Case("vo-72", "Exempel kommun", ("VO-2025-00072",), "Index",
                (Step("a/protokoll.txt", paragraph="44"), Step("a/kallelse.txt", title="Indexuppräkning av hemtjänst")))
    missing = Case("vo-90", "Exempel kommun", ("VO-2025-00090",), "Initiativ", (Step("a/protokoll.txt", paragraph="45"),))
    refs = [Reference("a/protokoll.txt", "enligt § 44", Step("a/protokoll.txt", paragraph="45"), Step("a/protokoll.txt", paragraph="44"))]
    lines = report(_FakeService(), [case, missing], refs)
    assert lines[0].startswith("cases 2, labelled steps 3: step recall 0.667")
    assert "precision 0.667" in lines[0]  # 2 found, 1 extra (§ 45 in case vo-72)
    assert any("missed: a/protokoll.txt § 45" in line for line in lines)
    assert any("extra:  protokoll.txt § 45" in line for line in lines)
    assert lines[-1].startswith("in-corpus references resolved 1.000 of 1")


def test_report_says_when_nothing_is_indexed():
    from tests.case_labels import NOT_INDEXED, report

    lines = report(_FakeService(), [Case("x", "o", ("1",), "s", (Step("b/other.txt", paragraph="1"),))], [])
    assert lines == [NOT_INDEXED]
