"""Evidence fusion and the keyword match semantics' pure parts (no model)."""

from __future__ import annotations

import numpy as np

from indexer.store.base import KeywordQuery, Scored, matching_mask
from search_api.fuse import evidence_fusion


def test_a_strong_vector_hit_is_not_buried_by_weak_keyword_hits():
    keyword = [Scored("a", 10.0), Scored("b", 2.0)]
    fused = evidence_fusion(keyword, {"c": 3.0, "b": 0.3}, keyword_weight=1.0, vector_weight=1.0)
    scores = {s.item_id: s.score for s in fused}
    assert scores["a"] == 1.0 and scores["c"] == 1.0  # full evidence in either leg
    assert abs(scores["b"] - 0.3) < 1e-9  # 2/10 in words, 0.3/3 in meaning
    assert [s.item_id for s in fused][:2] == ["a", "c"]  # ties keep keyword hits first


def test_vector_strength_is_clipped_and_below_floor_adds_nothing():
    fused = {s.item_id: s.score for s in evidence_fusion([], {"x": 9.0, "y": -1.0}, 2.0, 1.0, vector_span=3.0)}
    assert fused == {"x": 1.0, "y": 0.0}


def test_matching_mask_needs_all_parts_of_an_alternative_and_the_minimum_of_words():
    masks = {"hem": np.array([1, 1, 0, 0], bool), "tjänst": np.array([1, 0, 1, 0], bool),
               "hemtjänst": np.array([0, 0, 0, 1], bool), "avgift": np.array([1, 0, 0, 1], bool)}

    def present(terms):  # all of the terms (nearness is the store's part)
        mask = masks[terms[0]].copy()
        for term in terms[1:]:
            mask &= masks[term]
        return mask

    word = ((("hemtjänst",), ("hem", "tjänst")),)
    query = KeywordQuery((("hemtjänst", "hem", "tjänst"),), word)
    assert matching_mask(query, present, 4).tolist() == [True, False, False, True]
    two = KeywordQuery((("hemtjänst",), ("avgift",)), word + (((("avgift",),)),), minimum_match=2)
    assert matching_mask(two, present, 4).tolist() == [True, False, False, True]
    masks["avgift"] = np.array([0, 0, 0, 0], bool)
    assert matching_mask(two, present, 4).tolist() == [False] * 4
    assert matching_mask(KeywordQuery(two.groups, two.matches, 1), present, 4).tolist() == \
        [True, False, False, True]
