"""Fusion of the keyword and vector rankings: pure functions, used above every backend.

BM25 and cosine scores live on unrelated scales, so neither is fused raw. (Both stores hand
the legs back on one scale each: the OpenSearch store turns faiss's ``innerproduct`` score back
into the cosine, and scores keywords with FTS5's formula; see ``docs/opensearch.md``.)

- ``evidence_fusion`` (the default, ``fusion = evidence``): each leg by its evidence for this
  query (BM25 relative to the best hit; similarity calibrated on the archive); see its docstring.
- ``relative_score_fusion``: each leg's scores min–max normalized over its own
  candidates, then a weighted sum. Normalization makes the backends fuse alike, and unlike ranks
  it keeps how far ahead the best match is: a keyword hit scoring four times the next one stays
  ahead of an item that is second in both legs. On the dev queries over the sample corpus plus
  `corpus/extra` (448 items) it put the wanted item first for one more query than RRF did and
  for none fewer; score fusion by convex combination is also what Bruch et al. (2023, "An
  analysis of fusion functions for hybrid retrieval") found to beat RRF.
- ``reciprocal_rank_fusion``: ``score(d) = Σ_legs w_leg / (k + rank_leg(d))``, ranks only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from indexer.store.base import Scored


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Scored]], weights: Sequence[float] | None = None, k: int = 60
) -> list[Scored]:
    """Fuse rankings (each best first) into one, best first; ties keep first-seen order."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, _weights(rankings, weights)):
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.item_id] = fused.get(hit.item_id, 0.0) + weight / (k + rank)
    return _best_first(fused)


def relative_score_fusion(rankings: Sequence[Sequence[Scored]], weights: Sequence[float] | None = None) -> list[Scored]:
    """Fuse rankings (each best first) by the weighted sum of min–max normalized scores (a
    leg's best → 1, its last candidate → 0, all 1 when its scores are equal); ties keep
    first-seen order."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, _weights(rankings, weights)):
        if not ranking:
            continue
        high = max(hit.score for hit in ranking)
        low = min(hit.score for hit in ranking)
        spread = high - low
        for hit in ranking:
            normalized = (hit.score - low) / spread if spread > 0 else 1.0
            fused[hit.item_id] = fused.get(hit.item_id, 0.0) + weight * normalized
    return _best_first(fused)


def _weights(rankings: Sequence[Sequence[Scored]], weights: Sequence[float] | None) -> Sequence[float]:
    if weights is None:
        return [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    return weights


def _best_first(fused: dict[str, float]) -> list[Scored]:
    return [Scored(item_id, score) for item_id, score in sorted(fused.items(), key=lambda kv: -kv[1])]


def evidence_fusion(keyword: Sequence[Scored], meaning: Iterable[str], vector_z: Mapping[str, float],
                    keyword_weight: float, vector_weight: float, vector_from: float,
                    keyword_discount: Mapping[str, float] | None = None) -> list[Scored]:
    """Fuse by each leg's evidence for this query, over the items either leg matched (keyword
    hits and ``meaning``, the vector hits above the floor):

    ``keyword_weight · bm25(d) / best bm25 · discount(d) + vector_weight · max(0, z(d) − vector_from)``

    ``vector_z``: each item's similarity in standard deviations above the mean of this query's
    similarities over the archive (items the vector leg did not score add nothing). The vector
    term is continuous and uncapped, and counts for keyword hits too: a keyword hit the model
    also rates close gains, one it rates far gains nothing, and a vector hit far above the
    archive's distribution is not buried by weak keyword hits on a paraphrase's everyday words.
    It is evidence, not a match: an item below the floor is a hit only if its words match.
    ``keyword_discount``: a factor (≤ 1) on an item's keyword evidence (``length_discount``),
    1 where absent. Ties keep first-seen order (keyword hits first)."""
    discount = keyword_discount or {}
    fused: dict[str, float] = {}
    best = max((h.score for h in keyword), default=0.0)
    for hit in keyword:
        relative = hit.score / best if best > 0 else 1.0
        fused[hit.item_id] = keyword_weight * relative * discount.get(hit.item_id, 1.0)
    for item_id in meaning:
        fused.setdefault(item_id, 0.0)
    for item_id in fused:
        fused[item_id] += vector_weight * max(0.0, vector_z.get(item_id, vector_from) - vector_from)
    return _best_first(fused)


def length_discount(chars: int, typical: int, power: float = 0.5) -> float:
    """How much a keyword hit in an item of ``chars`` characters is worth: 1 up to ``typical``,
    then ``(typical / chars) ** power``. BM25 normalizes length only relative to the other hits:
    a 30-page report holding three everyday words of a paraphrase somewhere is the only hit, and
    so scores as much as an agenda point about the subject would."""
    return 1.0 if chars <= typical else (typical / chars) ** power


def fuse(rankings: Sequence[Sequence[Scored]], weights: Sequence[float], method: str = "relative",
         k: int = 60) -> list[Scored]:
    """The fusion ``method`` names (``relative`` or ``rrf``, the ``fusion`` setting)."""
    if method == "rrf":
        return reciprocal_rank_fusion(rankings, weights, k=k)
    if method == "relative":
        return relative_score_fusion(rankings, weights)
    raise ValueError(f"unknown fusion method {method!r}")
