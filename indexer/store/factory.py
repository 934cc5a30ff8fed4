"""Pick the store backend named by the settings."""

from __future__ import annotations

from motesok.config import Settings
from indexer.store.base import Store


def open_store(settings: Settings, *, embedding_model: str | None = None, dim: int | None = None) -> Store:
    """Open the configured store. ``embedding_model``/``dim`` guard against mixing vectors of two models."""
    if settings.backend == "opensearch":
        from indexer.store.opensearch import OpenSearchStore

        return OpenSearchStore.from_settings(settings, embedding_model=embedding_model, dim=dim)
    from indexer.store.sqlite import SQLiteStore

    return SQLiteStore(settings.data_dir, embedding_model=embedding_model, dim=dim)
