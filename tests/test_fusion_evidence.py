"""Evidence fusion and the keyword match semantics' pure parts (no model)."""

from __future__ import annotations

import numpy as np

from indexer.store.base import KeywordQuery, Scored, matching_mask
from search_api.fuse import evidence_fusion, length_discount


def test_a_strong_vector_hit_is_not_buried_by_weak_keyword_hits():
    keyword = [Scored("a", 10.0), Scored("b", 2.0)]
    z = {"a": 1.0, "b": 2.5, "c": 5.0}  # a: far in meaning; b: nearly close; c: far above the floor
    fused = evidence_fusion(keyword, ["c"], z, keyword_weight=1.0, vector_weight=1.0, vector_from=2.0)
    scores = {s.item_id: s.score for s in fused}
    assert scores == {"a": 1.0, "b": 0.2 + 0.5, "c": 3.0}  # words: 10/10, 2/10; meaning: z − 2
    assert [s.item_id for s in fused] == ["c", "a", "b"]


def test_vector_evidence_is_continuous_and_only_for_the_matched_items():
    z = {"x": 9.0, "y": -1.0, "w": 4.0, "far": 8.0}
    fused = {s.item_id: s.score for s in evidence_fusion([Scored("w", 1.0)], ["x", "y"], z, 2.0, 1.0, 3.0)}
    # "far" is no match of either leg: the vector scores are evidence, not matches
    assert fused == {"w": 2.0 + 1.0, "x": 6.0, "y": 0.0}
    # ties keep keyword hits first
    tied = evidence_fusion([Scored("k", 5.0)], ["v"], {"v": 3.0}, 1.0, 1.0, 2.0)
    assert [s.item_id for s in tied] == ["k", "v"]


def test_a_long_item_holding_the_words_counts_less():
    keyword = [Scored("report", 8.0), Scored("point", 4.0)]
    z = {"point": 2.5, "report": 2.0}
    plain = evidence_fusion(keyword, [], z, 2.0, 1.0, 2.0)
    assert [s.item_id for s in plain] == ["report", "point"]
    discount = {"report": length_discount(32_000, 2000), "point": length_discount(900, 2000)}
    assert discount == {"report": 0.25, "point": 1.0}
    fused = evidence_fusion(keyword, [], z, 2.0, 1.0, 2.0, discount)
    assert [s.item_id for s in fused] == ["point", "report"]
    assert length_discount(2000, 2000) == 1.0 and length_discount(8000, 2000, power=1.0) == 0.25


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
