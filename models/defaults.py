"""The embedding model's defaults, written once: the settings (``motesok.config``) and every engine
take them from here."""

from __future__ import annotations

#: multilingual-e5 expects these before a query and a passage
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
#: passages per encode call (the converted model on 2 CPU cores: larger batches gain nothing)
EMBEDDING_BATCH_SIZE = 32
#: model tokens per passage window (e5 reads up to 512; 256 keeps one agenda point's parts apart)
PASSAGE_TOKENS = 256
