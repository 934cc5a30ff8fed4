"""Structured logs: one JSON line per HTTP request and per document of an index run, each with its
level, duration and outcome; no query text at INFO unless MOTESOK_LOG_QUERIES is on.

Cheap on purpose: the API tests use a stub search service, the index test the hashing embedder.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from indexer.pipeline import Indexer
from indexer.store.sqlite import SQLiteStore
from models.embeddings import HashingEmbedder
from motesok.config import Settings
from motesok.logs import JsonFormatter
from motesok.runtime import build_app
from search_api.schemas import SearchResponse
from tests.conftest import CORPUS

SECRET = "hemligsökning"


class StubService:
    """Answers every search with no hits; ``q=krasch`` raises, as a broken store would."""

    def search(self, params):
        if params.q == "krasch":
            raise RuntimeError("the store went away")
        return SearchResponse(query=params.q, mode=params.mode, total=0, hits=[], facets={})

    def item_with_context(self, item_id):
        return None


@contextmanager
def captured(name: str, level: int = logging.INFO):
    """The JSON lines logged under ``name`` (formatted exactly as ``motesok serve`` writes them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(name)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(level)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        raw = [line for line in stream.getvalue().splitlines() if line.strip()]
        lines.extend(json.loads(line) for line in raw)  # every line is one JSON object


def client(**settings) -> TestClient:
    return TestClient(build_app(Settings(**settings), StubService()), raise_server_exceptions=False)


def requests(lines):
    return [line for line in lines if line["event"] == "request"]


def test_one_line_per_request_with_level_duration_and_outcome():
    api = client()
    with captured("motesok.api") as lines:
        assert api.get("/api/search", params={"q": SECRET, "body": SECRET}).status_code == 200
        assert api.get("/api/search", params={"q": " "}).status_code == 422
        assert api.get("/api/items/finns-inte").status_code == 404
        assert api.get("/", params={"q": SECRET}).status_code == 200
    logged = requests(lines)
    assert [(r["path"], r["status"], r["outcome"], r["level"]) for r in logged] == [
        ("/api/search", 200, "ok", "info"),
        ("/api/search", 422, "client_error", "info"),
        ("/api/items/finns-inte", 404, "client_error", "info"),
        ("/", 200, "ok", "info"),
    ]
    for record in logged:
        assert record["logger"] == "motesok.api" and record["method"] == "GET"
        assert isinstance(record["duration_ms"], (int, float)) and record["duration_ms"] >= 0
        assert len(record["request_id"]) == 12 and "query" not in record
    dumped = json.dumps(lines, ensure_ascii=False)
    assert SECRET not in dumped and "hemligs%C3%B6kning" not in dumped


def test_query_text_only_when_enabled():
    with captured("motesok.api") as lines:
        client(log_queries=True).get("/api/search", params={"q": SECRET})
    (record,) = requests(lines)
    assert record["query"] == f"q={SECRET}" and record["level"] == "info"


def test_server_error_is_logged_at_error_level_and_not_leaked():
    with captured("motesok.api") as lines:
        response = client().get("/api/search", params={"q": "krasch"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internt fel" and "store went away" not in response.text
    (request,) = requests(lines)
    assert (request["status"], request["outcome"], request["level"]) == (500, "error", "error")
    (crash,) = [line for line in lines if line["event"] == "unhandled error"]
    assert crash["level"] == "error" and crash["request_id"] == body["request_id"] == request["request_id"]
    assert "RuntimeError: the store went away" in crash["error"]  # the traceback goes to the log only


def test_nothing_else_is_logged_per_request_at_info():
    """At INFO (the default), the only lines per request are the request line (and errors)."""
    with captured("motesok", logging.INFO) as lines:
        client().get("/api/search", params={"q": SECRET})
    assert [line["event"] for line in lines] == ["request"]


def test_one_line_per_document_of_an_index_run(tmp_path, analyzer):
    docs = tmp_path / "docs"
    docs.mkdir()
    good = docs / "kallelse.txt"
    shutil.copy(CORPUS / "extra" / "kungsbacka_ks-au_2025-03-04_kallelse.txt", good)
    shutil.copy(good, docs / "kopia.txt")
    (docs / "tom.txt").write_bytes(b"")
    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path / "data", embedding_model=embedder.name, dim=embedder.dim)
    indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder)
    try:
        with captured("motesok.index") as first:
            indexer.run([docs])
        with captured("motesok.index") as second:
            indexer.run([docs])
    finally:
        store.close()
    outcome = {(line["source"].rsplit("/", 1)[-1], line["outcome"], line["level"]) for line in first}
    assert len(first) == 3 and outcome == {("kallelse.txt", "new", "info"), ("kopia.txt", "duplicate", "info"),
                                           ("tom.txt", "failed", "warning")}
    assert {(line["source"].rsplit("/", 1)[-1], line["outcome"]) for line in second} == {
        ("kallelse.txt", "unchanged"), ("kopia.txt", "duplicate"), ("tom.txt", "failed")}
    for line in first + second:
        assert line["logger"] == "motesok.index" and isinstance(line["duration_ms"], int)
    indexed = next(line for line in first if line["outcome"] == "new")
    assert indexed["items"] > 0
    failed = next(line for line in first if line["outcome"] == "failed")
    assert "empty file" in failed["reason"]


@pytest.mark.parametrize("verbose, expected", [(False, {"failed"}), (True, {"new", "failed"})])
def test_cli_index_logs_json_lines_to_stderr(tmp_path, monkeypatch, verbose, expected):
    """`motesok index` writes the per-document lines as JSON on stderr: failures always, the rest with -v."""
    from typer.testing import CliRunner

    from motesok import cli
    from motesok.config import get_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("§ 1 Val av justerare\n\nBeslut\n\natt utse Anna.\n", encoding="utf-8")
    (docs / "b.txt").write_bytes(b"")
    monkeypatch.setenv("MOTESOK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()

    def hashing_indexer(settings):
        embedder = HashingEmbedder()
        store = SQLiteStore(settings.data_dir, embedding_model=embedder.name, dim=embedder.dim)
        from models.analysis import get_analyzer

        return Indexer(store=store, analyzer=get_analyzer(), embedder=embedder)

    monkeypatch.setattr("motesok.runtime.build_indexer", hashing_indexer)
    try:
        result = CliRunner().invoke(cli.app, ["index", str(docs)] + (["-v"] if verbose else []))
    finally:
        get_settings.cache_clear()
        logging.getLogger("motesok").propagate = True  # logs.configure turned it off
        logging.getLogger("motesok").handlers[:] = []
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {line["outcome"] for line in lines} == expected
    assert all({"time", "level", "logger", "event", "duration_ms", "outcome", "source"} <= set(line) for line in lines)
