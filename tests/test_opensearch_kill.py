"""Crash safety on the OpenSearch backend: `motesok index --rebuild` writes into a new versioned index
and moves the alias in one ``_aliases`` call at the end. Killed (SIGKILL) at several points, it
leaves the alias on the previous complete index, searchable with the same counts and hits; a rerun
completes, swaps the alias and deletes the old index and the ones the killed runs left behind.

Targets (as in test_store_opensearch.py): osmem-server, which has aliases, ``_aliases`` swaps,
bulk and refresh (everything this needs; it has no kNN, and nothing here searches vectors), and a
live cluster when ``MOTESOK_OPENSEARCH_URL`` is set. The child is the real CLI with two settings
for speed: ``MOTESOK_EMBEDDING_MODEL=hashing`` (the word-hashing fake: keyword search is what is
checked) and ``MOTESOK_OPENSEARCH_DELETE_GRACE_S=0`` (the grace before deleting the old index is
tested in test_store_opensearch.py), and one for the kill points: ``MOTESOK_INDEX_BATCH_DOCUMENTS=3``
(documents are written three to a bulk, so the kills at 3 and 9 documents fall between batches).
The text analysis is the default plain one (no files needed).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from indexer.store.base import Filters
from tests.conftest import CORPUS, PROJECT

opensearchpy = pytest.importorskip("opensearchpy")
from indexer.store.opensearch import OpenSearchStore  # noqa: E402

LIVE_URL = os.environ.get("MOTESOK_OPENSEARCH_URL")
NO_LIVE = "MOTESOK_OPENSEARCH_URL is not set: no live OpenSearch cluster to test against"

FIRST = sorted(CORPUS.glob("*.txt"))  # the previous complete index: the five samples
MORE = sorted((CORPUS / "extra").glob("kungsbacka*.txt"))[:5]  # added before the rebuild
WORDS = ["ambulanshelikopter", "budget", "tandvård", "kollektivtrafik"]



class Target:
    def __init__(self, kind: str, url: str, alias: str):
        self.kind, self.url, self.alias = kind, url, alias

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTESOK_") or
               (self.kind == "live" and k.startswith("MOTESOK_OPENSEARCH_"))}
        env.update({"MOTESOK_BACKEND": "opensearch", "MOTESOK_OPENSEARCH_URL": self.url,
                    "MOTESOK_OPENSEARCH_INDEX": self.alias, "MOTESOK_EMBEDDING_MODEL": "hashing",
                    "MOTESOK_OPENSEARCH_DELETE_GRACE_S": "0", "MOTESOK_OPENSEARCH_ANALYSIS": "plain",
                    "MOTESOK_INDEX_BATCH_DOCUMENTS": "3",
                    "PYTHONUNBUFFERED": "1"})
        return env

    def index(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "motesok.cli", "index", *args], env=self.env(), cwd=PROJECT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def client(self):
        if self.kind == "osmem":
            return opensearchpy.OpenSearch(hosts=[self.url])
        from motesok.config import Settings

        store = OpenSearchStore.from_settings(Settings(backend="opensearch", opensearch_index=self.alias))
        return store.client

    def store(self) -> OpenSearchStore:
        return OpenSearchStore(self.client(), alias=self.alias, url=self.url, delete_grace_s=0)


@pytest.fixture(params=["osmem", "live"])
def target(request):
    alias = f"motesok-kill-{uuid.uuid4().hex[:10]}"
    if request.param == "live":
        if not LIVE_URL:
            pytest.skip(NO_LIVE)
        target = Target("live", LIVE_URL, alias)
    else:
        target = Target("osmem", request.getfixturevalue("osmem_clone").url, alias)
    yield target
    if target.kind == "live":
        client = target.client()
        client.indices.delete(index=f"{alias}-v*", ignore_unavailable=True)
        client.indices.delete_index_template(name=f"{alias}-versioned", ignore=404)


def versioned(client, alias: str) -> list[str]:
    pattern = re.compile(re.escape(alias) + r"-v\d{20}")
    return sorted(i for i in client.indices.get(index=f"{alias}-v*", ignore_unavailable=True) if pattern.fullmatch(i))


def behind_alias(client, alias: str) -> list[str]:
    return sorted(client.indices.get_alias(name=alias))


def snapshot(target: Target, analyzer) -> dict:
    """What a searcher sees through the alias: counts, per-document item counts and keyword hits."""
    store = target.store()
    try:
        stats = store.stats()
        documents = {Path(source).name: len(store.get_document(doc_id)[1])
                     for source, (doc_id, _) in store.document_checksums().items()}
        hits = {w: [h.item_id for h in store.keyword_search(analyzer.query(w), Filters(), 50)] for w in WORDS}
        return {"documents": stats.documents, "items": stats.items, "per_document": documents, "hits": hits}
    finally:
        store.close()


def documents_in(client, index: str) -> int:
    client.indices.refresh(index=index)  # the rebuild index has no periodic refresh
    return client.count(index=index, body={"query": {"term": {"kind": "document"}}})["count"]


def finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    return out, err


def test_killed_rebuilds_leave_the_previous_index(target, tmp_path, analyzer):
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in FIRST:
        shutil.copy(path, docs / path.name)
    first = target.index(str(docs))
    out, err = finish(first)
    assert first.returncode == 0, err[-3000:]
    client = target.client()
    (original,) = behind_alias(client, target.alias)
    before = snapshot(target, analyzer)
    assert before["documents"] == len(FIRST) and before["items"] > 0
    assert all(before["hits"][w] for w in ("ambulanshelikopter", "budget"))

    for path in MORE:  # the rebuild has more to write than the index it replaces
        shutil.copy(path, docs / path.name)
    total = len(FIRST) + len(MORE)
    kills = []
    for at in (0, 3, total - 1):  # documents written into the new index when the kill comes
        proc = target.index("--rebuild", str(docs))
        deadline = time.monotonic() + 300
        reached = None
        while proc.poll() is None and time.monotonic() < deadline:
            building = [i for i in versioned(client, target.alias) if i > original and i not in
                        {k["index"] for k in kills}]
            if building:
                count = documents_in(client, building[-1])
                if count >= at:
                    reached = (building[-1], count)
                    proc.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.02)
        proc.communicate(timeout=60)
        assert reached is not None, f"the rebuild ended (status {proc.returncode}) before {at} documents"
        assert proc.returncode == -signal.SIGKILL
        kills.append({"index": reached[0], "documents": reached[1]})
        # the alias never moved: searches see the complete previous index, exactly as before
        assert behind_alias(client, target.alias) == [original]
        assert snapshot(target, analyzer) == before
        assert reached[0] in versioned(client, target.alias)  # the half-built index is still there
    print(f"\n{target.kind}: killed rebuilds at {[k['documents'] for k in kills]} of {total} documents")
    assert len(kills) == 3 and kills[-1]["documents"] >= total - 1

    rerun = target.index("--rebuild", str(docs))
    out, err = finish(rerun)
    assert rerun.returncode == 0, err[-3000:]
    assert f"{total} nya" in out and "borttagna" not in out
    (rebuilt,) = behind_alias(client, target.alias)
    assert rebuilt > max(k["index"] for k in kills)
    # the previous index and every index the killed runs left behind are gone
    assert versioned(client, target.alias) == [rebuilt]
    after = snapshot(target, analyzer)
    assert after["documents"] == total
    assert {name: after["per_document"][name] for name in before["per_document"]} == before["per_document"]
    assert after["hits"]["ambulanshelikopter"] == before["hits"]["ambulanshelikopter"]

    # and an ordinary incremental run afterwards finds nothing to do
    again = target.index(str(docs))
    out, err = finish(again)
    assert again.returncode == 0 and f"{total} oförändrade" in out, out + err[-2000:]
    assert behind_alias(client, target.alias) == [rebuilt]


def test_a_failing_rebuild_keeps_the_alias(target, tmp_path, analyzer):
    """A rebuild that stops with an exception (an error, or Ctrl-C in the CLI) drops the half-built
    index and leaves the alias where it was. In-process: the exception comes from the progress hook."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(FIRST[0], docs / FIRST[0].name)
    first = target.index(str(docs))
    assert finish(first) and first.returncode == 0
    client = target.client()
    (original,) = behind_alias(client, target.alias)
    before = snapshot(target, analyzer)

    from indexer.pipeline import Indexer
    from models.embeddings import HashingEmbedder

    class Boom(Exception):
        pass

    embedder = HashingEmbedder()
    store = OpenSearchStore(client, alias=target.alias, url=target.url, embedding_model=embedder.name,
                            dim=embedder.dim, delete_grace_s=0)

    def explode(path):
        raise Boom(path)

    indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder)
    with pytest.raises(Boom):
        indexer.run([docs], rebuild=True, progress=explode)
    assert behind_alias(client, target.alias) == [original]
    assert versioned(client, target.alias) == [original]  # the new index was dropped again
    assert snapshot(target, analyzer) == before


def test_a_finished_rebuild_deletes_older_abandoned_indices_only(target):
    """Left by killed rebuilds: older unfinished indices go when a rebuild finishes; a newer one
    (a rebuild started later, maybe still writing) stays."""
    from indexer.store.opensearch_requests import versioned_index_name
    from tests.store_conformance import DIM, EMBEDDING_MODEL

    client = target.client()
    store = OpenSearchStore(client, alias=target.alias, url=target.url, embedding_model=EMBEDDING_MODEL, dim=DIM,
                            delete_grace_s=0)
    (original,) = behind_alias(client, target.alias)
    abandoned = store.begin_full_reindex()
    store._rebuild_index = None  # as if that process had been killed
    current = store.begin_full_reindex()
    newer = versioned_index_name(target.alias)
    client.indices.create(index=newer)
    other_alias = f"{target.alias}-vx"  # another alias's name that merely starts alike
    client.indices.create(index=other_alias)
    try:
        assert store.finish_full_reindex() == current
        assert behind_alias(client, target.alias) == [current]
        assert versioned(client, target.alias) == [current, newer]
        assert not client.indices.exists(index=abandoned) and not client.indices.exists(index=original)
        assert client.indices.exists(index=other_alias)
    finally:
        client.indices.delete(index=other_alias, ignore_unavailable=True)
        client.indices.delete(index=newer, ignore_unavailable=True)
