"""Fusion and snippets are pure functions: tested with hand-made rankings and spans."""

import pytest

from indexer.store.base import Scored
from search_api.fuse import fuse, reciprocal_rank_fusion, relative_score_fusion
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


def scored(*pairs):
    return [Scored(i, s) for i, s in pairs]


def test_relative_fusion_normalizes_each_leg():
    # BM25 and cosine on their own scales: each leg's best counts 1, its last 0
    keyword = scored(("a", 23.3), ("b", 6.3), ("c", 1.0))
    vector = scored(("b", 0.83), ("d", 0.82), ("a", 0.80))
    fused = relative_score_fusion([keyword, vector], [2.0, 1.0])
    by_id = {s.item_id: s.score for s in fused}
    assert by_id["a"] == pytest.approx(2.0)  # keyword's best, vector's last
    assert by_id["b"] == pytest.approx(2 * 5.3 / 22.3 + 1.0)
    assert by_id["d"] == pytest.approx(2 / 3)
    assert by_id["c"] == 0.0
    assert [s.item_id for s in fused] == ["a", "b", "d", "c"]


def test_relative_fusion_keeps_a_clear_keyword_lead_that_rrf_loses():
    # the keyword leg's best is far ahead; the second is second in both legs
    keyword = scored(("wanted", 23.3), ("other", 6.3)) + scored(*[(f"k{i}", 5.0 - i * 0.1) for i in range(20)])
    vector = scored(*[(f"v{i}", 0.85 - i * 0.001) for i in range(3)]) + scored(("other", 0.846)) + scored(
        *[(f"w{i}", 0.845 - i * 0.001) for i in range(5)]) + scored(("wanted", 0.839))
    assert relative_score_fusion([keyword, vector], [2.0, 1.0])[0].item_id == "wanted"
    assert reciprocal_rank_fusion([keyword, vector], [2.0, 1.0], k=10)[0].item_id == "other"


def test_relative_fusion_equal_scores_and_empty_legs():
    fused = relative_score_fusion([scored(("a", 3.0), ("b", 3.0)), []], [1.0, 1.0])
    assert [(s.item_id, s.score) for s in fused] == [("a", 1.0), ("b", 1.0)]
    assert relative_score_fusion([[], []]) == []
    with pytest.raises(ValueError):
        relative_score_fusion([scored(("a", 1.0))], [1.0, 2.0])


def test_fuse_dispatches_on_the_setting():
    legs = [ranking("a", "b"), ranking("b", "a")]
    assert fuse(legs, [1.0, 1.0], "rrf", k=10) == reciprocal_rank_fusion(legs, [1.0, 1.0], k=10)
    assert fuse(legs, [1.0, 1.0], "relative") == relative_score_fusion(legs, [1.0, 1.0])
    with pytest.raises(ValueError):
        fuse(legs, [1.0, 1.0], "borda")


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
