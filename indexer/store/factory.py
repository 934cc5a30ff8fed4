"""Pick the store backend named by the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from indexer.store.base import Store


class StoreSettings(Protocol):
    """The settings a store is opened with (``motesok.config.Settings`` has them all). Named here
    as a shape because the application's settings sit above the indexer."""

    backend: Literal["sqlite", "opensearch"]
    data_dir: Path
    opensearch_url: str | None
    opensearch_user: str | None
    opensearch_password: str | None
    opensearch_verify_certs: bool
    opensearch_ca_certs: Path | None
    opensearch_analysis: Literal["plain", "swedish"]
    opensearch_delete_grace_s: float
    opensearch_index: str


def open_store(settings: StoreSettings, *, embedding_model: str | None = None, dim: int | None = None) -> Store:
    """Open the configured store. ``embedding_model``/``dim`` guard against mixing vectors of two models."""
    # Each backend is imported only when chosen: a SQLite install never loads the OpenSearch client.
    if settings.backend == "opensearch":
        from indexer.store.opensearch import OpenSearchStore

        return OpenSearchStore.from_settings(settings, embedding_model=embedding_model, dim=dim)
    from indexer.store.sqlite import SQLiteStore

    return SQLiteStore(settings.data_dir, embedding_model=embedding_model, dim=dim)
