"""Shared fixtures. The expensive ones (analyzer, real embedding model, the indexed sample
corpus) are built once per session; tests that write get their own store in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded, ever
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
SHARED_EVAL = PROJECT.parent / "shared" / "eval" / "dev_queries.jsonl"
EVAL_QUERIES = PROJECT / "tests" / "data" / "dev_queries.jsonl"


@pytest.fixture(scope="session")
def analyzer():
    from models.analysis import get_analyzer

    return get_analyzer()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The converted default model, with the ONNX query encoder the API uses exported beside it
    (both are skipped when up to date, as after scripts/install.sh)."""
    from models.convert_e5 import ensure_model
    from models.onnx_query import export

    path = ensure_model()
    export(path, quiet=True)
    return path


@pytest.fixture(scope="session")
def embedder(model_path):
    from models.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(str(model_path))


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, model_path):
    """Settings for a store in a session tmp dir holding the indexed sample corpus."""
    from motesok.config import Settings

    return Settings(data_dir=tmp_path_factory.mktemp("corpus-store"), embedding_model=str(model_path))


@pytest.fixture(scope="session")
def indexed_corpus(corpus_settings, analyzer, embedder):
    """The sample corpus indexed once with the real analyzer, model and topics."""
    from indexer.pipeline import Indexer
    from motesok.runtime import load_topics, open_store

    store = open_store(corpus_settings, embedder)
    indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder,
                      topics=load_topics(embedder, corpus_settings),
                      passage_tokens=corpus_settings.passage_tokens)
    # The five sample documents: the dev queries' anchors are defined on them, and they keep
    # the session's one real indexing run short.
    summary = indexer.run(sorted(CORPUS.glob("*.txt")))
    assert summary.failed == 0, summary.messages
    return store, summary


@pytest.fixture(scope="session")
def search_service(corpus_settings, indexed_corpus, analyzer):
    """The service as the API builds it: queries embedded by the model's ONNX export (the
    default query engine for the converted model), over a store the converted model indexed."""
    from motesok.runtime import load_query_embedder
    from search_api.service import SearchService

    store, _ = indexed_corpus
    return SearchService.from_settings(corpus_settings, store, analyzer, load_query_embedder(corpus_settings))


@pytest.fixture(scope="session")
def api_client(corpus_settings, search_service):
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    with TestClient(create_app(corpus_settings, search_service)) as client:
        yield client
