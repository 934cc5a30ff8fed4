"""Incremental, safe indexing: unchanged files skipped, changed replaced, removed pruned,
bad files reported with exit status 1, killed runs leave a searchable store."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.pipeline import Indexer
from indexer.store.base import Filters
from indexer.store.sqlite import DB_NAME, SQLiteStore
from motesok.cli import app
from search_api.schemas import SearchParams
from search_api.service import SearchService
from tests.conftest import CORPUS, PROJECT

SAMPLES = sorted(CORPUS.glob("*.txt"))


@pytest.fixture
def folder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in SAMPLES[:3]:
        shutil.copy(path, docs / path.name)
    return docs


@pytest.fixture
def indexer(tmp_path, analyzer, embedder):
    store = SQLiteStore(tmp_path / "data", embedding_model=embedder.name, dim=embedder.dim)
    yield Indexer(store=store, analyzer=analyzer, embedder=embedder)
    store.close()


class CountingEmbedder:
    """Wraps the real embedder and counts passages, to prove unchanged files are not re-embedded."""

    def __init__(self, inner):
        self.inner, self.passages = inner, 0
        self.name, self.dim, self.max_tokens = inner.name, inner.dim, inner.max_tokens

    def embed_passages(self, texts):
        self.passages += len(texts)
        return self.inner.embed_passages(texts)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_incremental_runs(folder, indexer):
    first = indexer.run([folder])
    assert (first.new, first.changed, first.unchanged, first.failed) == (3, 0, 0, 0)
    items = indexer.store.stats().items
    assert items == first.items > 0

    counting = CountingEmbedder(indexer.embedder)
    indexer.embedder = counting
    second = indexer.run([folder])
    assert (second.new, second.changed, second.unchanged) == (0, 0, 3)
    assert counting.passages == 0  # unchanged documents are not re-embedded

    changed = sorted(folder.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n • Ny punkt om solpaneler på taket\n", encoding="utf-8")
    third = indexer.run([folder])
    assert (third.new, third.changed, third.unchanged) == (0, 1, 2)
    assert counting.passages > 0

    sorted(folder.glob("*.txt"))[1].unlink()
    kept = indexer.run([folder])
    assert kept.removed == 0 and indexer.store.stats().documents == 3  # without --prune nothing is removed
    pruned = indexer.run([folder], prune=True)
    assert pruned.removed == 1 and indexer.store.stats().documents == 2


def test_bad_files_fail_alone_and_keep_the_index(folder, indexer, tmp_path):
    indexer.run([folder])
    before = indexer.store.stats()
    (folder / "tom.txt").write_bytes(b"")
    (folder / "skrap.txt").write_bytes(os.urandom(4096) + b"\x00\x00")
    (folder / "trasig.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    good = folder / "ny.txt"
    shutil.copy(SAMPLES[3], good)
    summary = indexer.run([folder])
    assert summary.failed == 3 and summary.new == 1 and summary.unchanged == 3
    assert all(str(folder) in m for m in summary.messages)
    after = indexer.store.stats()
    assert after.documents == before.documents + 1


def test_duplicate_content_is_indexed_once(folder, indexer):
    shutil.copy(sorted(folder.glob("*.txt"))[0], folder / "kopia.txt")
    summary = indexer.run([folder])
    assert summary.new == 3 and summary.duplicates == 1
    assert any("same content" in m for m in summary.messages)


def test_search_keeps_answering_while_indexing(folder, indexer, analyzer, embedder, tmp_path):
    indexer.run([sorted(folder.glob("*.txt"))[0]])
    reader = SQLiteStore(tmp_path / "data", embedding_model=embedder.name, dim=embedder.dim)
    service = SearchService(reader, analyzer, embedder)
    errors, answers = [], []
    done = threading.Event()

    def search_loop():
        while not done.is_set():
            try:
                answers.append(service.search(SearchParams(q="ambulanshelikopter", mode="keyword")).total)
            except Exception as exc:  # any error here is a failure of the store's isolation
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        indexer.run([folder])
    finally:
        done.set()
        thread.join()
    assert not errors
    assert answers and all(a >= 1 for a in answers)


def _cli(data_dir: Path, model_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "MOTESOK_DATA_DIR": str(data_dir), "MOTESOK_EMBEDDING_MODEL": str(model_path),
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "motesok.cli", *args], env=env, cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _documents(data_dir: Path) -> int:
    if not (data_dir / DB_NAME).exists():
        return 0
    with sqlite3.connect(data_dir / DB_NAME, timeout=30) as conn:
        try:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_killed_index_runs_leave_a_searchable_store(tmp_path, model_path, embedder, analyzer):
    """SIGKILL `motesok index` at several points; after each kill the store is consistent and
    searchable, and a final run completes the work."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in SAMPLES + sorted((CORPUS / "extra").glob("kungsbacka*.txt"))[:5]:
        shutil.copy(path, docs / path.name)
    total = len(list(docs.glob("*.txt")))
    data = tmp_path / "data"
    kills = 0
    for target in (1, 4, 7):
        proc = _cli(data, model_path, "index", str(docs))
        deadline = time.time() + 300
        while _documents(data) < target and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        store = SQLiteStore(data, embedding_model=embedder.name, dim=embedder.dim)
        stats = store.stats()
        # every committed document has all its items: none is half-written
        for source, (doc_id, _) in store.document_checksums().items():
            assert store.get_document(doc_id)[1], f"{source} has no items after a kill"
        assert stats.documents >= target - 1
        store.close()
    assert kills >= 2
    final = _cli(data, model_path, "index", str(docs))
    out, err = final.communicate(timeout=900)
    assert final.returncode == 0, err
    assert _documents(data) == total
    assert "oförändrade" in out
    store = SQLiteStore(data, embedding_model=embedder.name, dim=embedder.dim)
    assert store.keyword_search(analyzer.query("ambulanshelikopter"), Filters(), 5)
    store.close()


def test_cli_index_exit_status_and_summary(tmp_path, model_path, monkeypatch):
    monkeypatch.setenv("MOTESOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOTESOK_EMBEDDING_MODEL", str(model_path))
    from motesok.config import get_settings

    get_settings.cache_clear()
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLES[0], docs / "a.txt")
    (docs / "b.txt").write_bytes(b"")
    result = CliRunner().invoke(app, ["index", str(docs)])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "1 nya" in result.output and "1 misslyckade" in result.output
    assert "b.txt" in result.output
    missing = CliRunner().invoke(app, ["index", str(tmp_path / "nope")])
    assert missing.exit_code == 2


def test_rebuild_holds_exactly_the_documents_of_the_run(tmp_path, analyzer):
    """SQLite has no second index to swap in: --rebuild re-indexes every file in place (each document
    in its own transaction) and then removes the documents it did not see."""
    from models.embeddings import HashingEmbedder

    docs, other = tmp_path / "docs", tmp_path / "other"
    docs.mkdir()
    other.mkdir()
    small = sorted((CORPUS / "extra").glob("kungsbacka*.txt"))[:3]
    for path in small[:2]:
        shutil.copy(path, docs / path.name)
    shutil.copy(small[2], other / small[2].name)
    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path / "data", embedding_model=embedder.name, dim=embedder.dim)
    indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder)
    try:
        indexer.run([docs, other])
        assert store.stats().documents == 3
        (docs / "tom.txt").write_bytes(b"")
        summary = indexer.run([docs], rebuild=True)
        assert (summary.new, summary.changed, summary.unchanged, summary.failed, summary.removed) == (0, 2, 0, 1, 1)
        assert sorted(Path(s).name for s in store.document_checksums()) == sorted(p.name for p in small[:2])
    finally:
        store.close()


def test_cli_rebuild_and_prune_together_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(app, ["index", "--rebuild", "--prune", str(tmp_path)])
    assert result.exit_code == 2 and "--rebuild" in result.output
