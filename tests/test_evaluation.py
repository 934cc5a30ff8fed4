"""The evaluation reports' scoring and the text `motesok eval` prints, on results made by hand."""

from __future__ import annotations

import pytest

from search_api.evaluation import EvalReport, QueryResult, SetReport, SetResult


def test_ranked_report_scores_overall_and_per_kind_and_lists_what_was_not_first():
    report = EvalReport("hybrid", [QueryResult("a", "keyword", "sepsis", 1),
                                   QueryResult("b", "keyword", "solceller", 2),
                                   QueryResult("c", "semantic", "barn som väger för mycket", None)])
    assert report.overall() == pytest.approx({"success@1": 1 / 3, "success@5": 2 / 3, "mrr@10": 0.5})
    assert report.by_kind()["keyword"] == pytest.approx({"success@1": 0.5, "success@5": 1.0, "mrr@10": 0.75, "n": 2})
    lines = report.lines()
    assert lines[0] == "hybrid    success@1 0.333  success@5 0.667  MRR@10 0.500"
    assert lines[1].split() == ["keyword", "n=2", "s@1", "0.50", "s@5", "1.00", "MRR", "0.75"]
    assert lines[-2:] == ["    b 'solceller': rank 2", "    c 'barn som väger för mycket': rank >10"]


def test_set_report_scores_recall_precision_and_lists_misses_and_padding():
    full = SetResult("f1", "rare", "ambulanshelikopter", total=1, relevant_reported=1, anchors=1, anchors_found=1)
    padded = SetResult("f2", "question", "vad beslutades om hemtjänst", total=10, relevant_reported=2, anchors=2,
                       anchors_found=2)
    missed = SetResult("f3", "rare", "hemvårdsbidrag", total=0, relevant_reported=0, anchors=2, anchors_found=0)
    report = SetReport("keyword", [full, padded, missed])
    o = report.overall()
    assert o["recall"] == pytest.approx(2 / 3) and o["precision"] == pytest.approx((1 + 0.2 + 0) / 3)
    assert o["median_total"] == 1
    lines = report.lines()
    assert lines[0].startswith("keyword   recall 0.667  precision 0.400")
    listed = [line.split()[0] for line in lines if line.startswith("    ")]
    assert listed == ["f2", "f3"]  # f1 found everything and reported nothing else
