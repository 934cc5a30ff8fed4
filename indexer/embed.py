"""Embedding: each item becomes one or more passages (windows of the model's token limit),
embedded in one batch per document. An item's vectors are all its passages; the vector leg
scores an item by its best passage (max-sim), so a long item is found by any of its parts."""

from __future__ import annotations

import numpy as np

from indexer.records import Item


def item_passages(items: list[Item], embedder, max_tokens: int) -> list[list[str]]:
    return [embedder.split_passages(item.title, item.text, max_tokens) for item in items]


def embed_items(items: list[Item], embedder, max_tokens: int) -> list[np.ndarray]:
    """``(n_passages, dim)`` float32 vectors for each item, in item order."""
    passages = item_passages(items, embedder, max_tokens)
    flat = [p for ps in passages for p in ps]
    if not flat:
        return [np.zeros((0, embedder.dim), dtype=np.float32) for _ in items]
    vectors = embedder.embed_passages(flat)
    out, start = [], 0
    for ps in passages:
        out.append(vectors[start : start + len(ps)])
        start += len(ps)
    return out
