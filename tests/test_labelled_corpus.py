"""The labelled multi-organisation corpus (tests/data/corpus-dev) meets the issue-15 targets.

Each field's share of right documents must reach its target; where the parser does not reach a
target yet, the test guards the figure it has reached (``FLOORS``), so that no change makes it
worse. Run ``python -m tests.labelled_corpus`` for the full table and the failures per document.
"""

from __future__ import annotations

import pytest

from tests.labelled_corpus import CORPUS_DEV, TARGETS, load_labels, run

#: Right documents per field where a target is not met yet, so that no change makes it worse.
#: Before issue 15 the parser had organisation 13/20, body 14/20, date 16/19, doc type 13/20,
#: the exact § sequence in 2/13 protocols and 18/20 documents without an item titled by its
#: diarienummer; every target is met now, so no floor is needed.
FLOORS: dict[str, int] = {}


@pytest.fixture(scope="module")
def report():
    result = run()
    print("\n" + result.table() + "\n\nfailures:\n" + (result.failures() or "    none"))
    return result


def test_every_label_names_an_existing_file():
    labels = load_labels()
    assert len(labels) >= 20
    missing = [lb["file"] for lb in labels if not (CORPUS_DEV / lb["file"]).is_file()]
    assert not missing
    assert len({lb["file"] for lb in labels}) == len(labels), "a file is labelled twice"


def test_every_labelled_file_parses(report):
    assert [o.file for o in report.outcomes if o.error] == []


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_field_meets_target_or_floor(report, name):
    right, total = report.score(name)
    if total == 0:  # e.g. no kallelse labelled yet: nothing to measure
        assert name in {"agenda_points"}, f"no document is labelled for {name}"
        return
    if name in FLOORS:
        assert right >= FLOORS[name], f"{name}: {right}/{total} is below the {FLOORS[name]} already reached"
    else:
        assert right / total >= TARGETS[name], f"{name}: {right}/{total} is below the target {TARGETS[name]:.0%}"


#: The same documents parsed as ``document.<ext>``: what the text alone gives, without the evidence
#: of file and folder names (the corpus's names state organisation and date). Reached so far.
NEUTRAL_FLOORS = {"organisation": 19, "body": 18, "date": 17, "doc_type": 20}


def test_metadata_without_file_and_folder_names():
    neutral = run(neutral_names=True)
    print("\nwithout names:\n" + neutral.table())
    for name, floor in NEUTRAL_FLOORS.items():
        right, total = neutral.score(name)
        assert right >= floor, f"{name} without names: {right}/{total} is below the {floor} already reached"
