"""Fusion of the keyword and vector rankings: one pure function, used by every backend.

Weighted reciprocal rank fusion: ``score(d) = Σ_legs w_leg / (k + rank_leg(d))``. Ranks, not raw
scores, are fused because BM25 and cosine scores live on unrelated scales that also differ
between backends (FTS5's bm25 vs. Lucene's); ranks make both backends fuse alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.store.base import Scored


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Scored]], weights: Sequence[float] | None = None, k: int = 60
) -> list[Scored]:
    """Fuse rankings (each best first) into one, best first; ties keep first-seen order."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.item_id] = fused.get(hit.item_id, 0.0) + weight / (k + rank)
    order = sorted(fused.items(), key=lambda kv: -kv[1])
    return [Scored(item_id, score) for item_id, score in order]
