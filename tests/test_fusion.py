"""Fusion and snippets are pure functions: tested with hand-made rankings and spans."""

import pytest

from indexer.store.base import Scored
from search_api.fuse import reciprocal_rank_fusion
from search_api.snippets import render_snippet


def ranking(*ids):
    return [Scored(i, 10.0 - n) for n, i in enumerate(ids)]


def test_item_in_both_legs_beats_items_in_one():
    fused = reciprocal_rank_fusion([ranking("a", "b", "c"), ranking("c", "d")], k=60)
    assert fused[0].item_id == "c"
    assert {s.item_id for s in fused} == {"a", "b", "c", "d"}


def test_weights_shift_the_balance():
    kw, vec = ranking("a", "b"), ranking("b", "a")
    assert reciprocal_rank_fusion([kw, vec], [2.0, 1.0])[0].item_id == "a"
    assert reciprocal_rank_fusion([kw, vec], [1.0, 2.0])[0].item_id == "b"


def test_scores_follow_rrf_formula_and_order():
    fused = reciprocal_rank_fusion([ranking("a", "b")], [1.0], k=10)
    assert fused[0].score == pytest.approx(1 / 11) and fused[1].score == pytest.approx(1 / 12)


def test_single_empty_leg_and_weight_mismatch():
    assert reciprocal_rank_fusion([[], ranking("x")])[0].item_id == "x"
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([ranking("a")], [1.0, 2.0])


def test_snippet_marks_spans_and_escapes_html():
    text = "Status <b>ambulanshelikoptern</b> i länet & mer"
    start = text.index("ambulanshelikoptern")
    snippet = render_snippet(text, [(start, start + len("ambulanshelikoptern"))])
    assert "<mark>ambulanshelikoptern</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "&amp;" in snippet


def test_snippet_window_moves_to_the_matches():
    text = "inledning " * 100 + "helikopter landar här" + " slut" * 100
    start = text.index("helikopter")
    snippet = render_snippet(text, [(start, start + 10)], width=120)
    assert "<mark>helikopter</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 200
