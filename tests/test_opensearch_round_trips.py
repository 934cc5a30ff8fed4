"""Round trips of the OpenSearch store (issue 20): a search's legs in one ``_msearch``, counted with a
client that records every call it forwards to osmem-server. The request bodies are tested as data
first; on osmem the keyword legs run for real and the kNN leg is refused by the server (osmem has no
kNN), which shows that it travelled in the same ``_msearch``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.store.base import Filters, KeywordQuery, Legs, LegsRequest, StoreError, relaxations, sequential_legs
from tests.store_conformance import DIM, EMBEDDING_MODEL, archive, kq, unit  # noqa: F401

opensearchpy = pytest.importorskip("opensearchpy")
from indexer.store.opensearch import OpenSearchStore  # noqa: E402
from indexer.store.opensearch_requests import (  # noqa: E402
    initial_k,
    keyword_query_body,
    knn_query_body,
    leg_searches,
    msearch_error,
    msearch_lines,
)


class Recording:
    """Forwards every call to the real client and records its name (``msearch``, ``indices.refresh``,
    ``bulk`` …): what the store asks of the cluster, one entry per round trip."""

    def __init__(self, target: Any, calls: list[str] | None = None, prefix: str = ""):
        self._target, self.calls, self._prefix = target, calls if calls is not None else [], prefix

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name == "indices":
            return Recording(value, self.calls, "indices.")
        if name.startswith("_") or name == "transport" or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(self._prefix + name)
            return value(*args, **kwargs)

        return call


def recorded_store(url: str, alias: str = "motesok-trips", **kwargs: Any) -> tuple[OpenSearchStore, list[str]]:
    client = Recording(opensearchpy.OpenSearch(hosts=[url]))
    store = OpenSearchStore(client, alias=alias, url=url, embedding_model=kwargs.pop("embedding_model", EMBEDDING_MODEL),
                            dim=kwargs.pop("dim", DIM), delete_grace_s=0, **kwargs)
    return store, client.calls


# -- request bodies as data ----------------------------------------------------------------------

def test_leg_searches_without_filters_send_one_knn():
    query, vector = kq("budget"), unit(1, 0, 0, 0)
    searches = leg_searches((query,), vector, Filters(), 1000, 100, unfiltered=True)
    assert [key for key, _ in searches] == [("keyword", 0), ("unfiltered", 0)]
    assert searches[0][1] == keyword_query_body(query, Filters(), 1000)
    assert searches[1][1] == knn_query_body(vector, Filters(), initial_k(100))


def test_leg_searches_with_filters_send_both_vector_legs():
    filters = Filters(body=("Regionstyrelsen",))
    levels = relaxations(KeywordQuery((("a",), ("b",), ("c",)), minimum_match=3))
    searches = dict(leg_searches(levels, unit(0, 1, 0, 0), filters, 50, 20, unfiltered=True))
    assert list(searches) == [("keyword", 0), ("keyword", 1), ("keyword", 2), ("unfiltered", 0), ("vector", 0)]
    assert "filter" not in searches[("unfiltered", 0)]["query"]["knn"]["vector"]
    assert {"terms": {"body": ["Regionstyrelsen"]}} in searches[("vector", 0)]["query"]["knn"]["vector"]["filter"]["bool"]["filter"]
    assert searches[("keyword", 2)] == keyword_query_body(levels[2], filters, 50)
    # no unfiltered leg asked: the vector leg alone, with the filters
    only = leg_searches((), unit(0, 1, 0, 0), filters, 50, 20, unfiltered=False)
    assert [key for key, _ in only] == [("vector", 0)]


def test_leg_searches_leave_out_what_cannot_match():
    no_terms = KeywordQuery(())
    assert leg_searches((no_terms,), None, Filters(), 10, 10, unfiltered=False) == []
    assert leg_searches((kq("a"),), unit(1, 0, 0, 0), Filters(), 0, 0, unfiltered=True) == []
    numbered = leg_searches((kq("a"), kq("b")), None, Filters(), 10, 0, unfiltered=False, first_level=1)
    assert [key for key, _ in numbered] == [("keyword", 1), ("keyword", 2)]


def test_msearch_lines_and_errors():
    assert msearch_lines("motesok", [{"size": 1}, {"size": 2}]) == [
        {"index": "motesok"}, {"size": 1}, {"index": "motesok"}, {"size": 2}]
    assert msearch_error({"hits": {"hits": []}, "status": 200}) is None
    refused = {"status": 400, "error": {"type": "unsupported_operation_exception", "reason": "[knn] not supported"}}
    assert msearch_error(refused) == "HTTP 400 unsupported_operation_exception: [knn] not supported"


# -- on osmem-server -------------------------------------------------------------------------------

@pytest.fixture
def loaded(osmem_clone, archive):
    store, calls = recorded_store(osmem_clone.url)
    for doc, items in archive:
        store.write_document(doc, items)
    store.search_legs(LegsRequest((kq("budget"),), keyword_limit=10))  # refreshes once after the writes
    calls.clear()
    yield store, calls
    store.close()


def test_the_keyword_leg_is_one_msearch_and_answers_as_keyword_search(loaded):
    store, calls = loaded
    request = LegsRequest(relaxations(kq("budget")), filters=Filters(body=("Regionstyrelsen", "Kommunstyrelsen")),
                          keyword_limit=10)
    legs = store.search_legs(request)
    assert calls == ["msearch"]
    assert legs.keyword == store.keyword_search(kq("budget"), request.filters, 10) and len(legs.keyword) == 2
    assert legs == sequential_legs(store, request)


def test_relaxations_go_in_one_more_msearch_only_when_nothing_matches(loaded):
    store, calls = loaded
    both = KeywordQuery((("budget",), ("tandvård",)), minimum_match=2)  # no item holds both words
    request = LegsRequest(relaxations(both), keyword_limit=10)
    legs = store.search_legs(request)
    assert calls == ["msearch", "msearch"]
    assert legs.keyword_query.required() == 1 and len(legs.keyword) == 4  # three budget items, one tandvård
    assert legs == sequential_legs(store, request)
    nowhere = KeywordQuery((("okänt",), ("ord",)), minimum_match=2)
    legs = store.search_legs(LegsRequest(relaxations(nowhere), keyword_limit=10))
    assert legs == Legs(relaxations(nowhere)[-1], [])  # as sequential_legs: the loosest query, no hits


def test_the_vector_legs_travel_in_the_same_msearch(loaded):
    """osmem refuses kNN: the refusal comes back from the one ``_msearch`` that also carried the
    keyword leg, as a StoreError naming the leg (on a live cluster the same call answers all)."""
    store, calls = loaded
    request = LegsRequest(relaxations(kq("budget")), unit(1, 0, 0, 0), Filters(year=(2021,)), 10, 10, unfiltered=True)
    with pytest.raises(StoreError, match=r"failed to run a (unfiltered|vector) search: HTTP 400 .*knn"):
        store.search_legs(request)
    assert calls == ["msearch"]


def test_a_query_vector_of_the_wrong_dimension_is_refused_before_sending(loaded):
    store, calls = loaded
    with pytest.raises(StoreError, match="3 dimensions"):
        store.search_legs(LegsRequest((kq("budget"),), np.ones(3, dtype=np.float32), Filters(), 10, 10))
    assert calls == []


def test_legs_of_an_empty_store_send_nothing(osmem_clone):
    store, calls = recorded_store(osmem_clone.url, embedding_model=None, dim=None)
    calls.clear()
    legs = store.search_legs(LegsRequest((kq("budget"),), unit(1, 0, 0, 0), Filters(), 10, 10, unfiltered=True))
    assert legs == Legs(kq("budget"), [], [], []) and calls == []
    store.close()


# -- the index run: one bulk per batch of files ------------------------------------------------------

def _index(url: str, alias: str, analyzer, files, batch: int) -> tuple[OpenSearchStore, list[str], Any]:
    from indexer.pipeline import Indexer
    from models.embeddings import HashingEmbedder

    embedder = HashingEmbedder()
    store, calls = recorded_store(url, alias, embedding_model=embedder.name, dim=embedder.dim)
    calls.clear()
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder, batch_documents=batch).run(files)
    return store, calls, summary


def test_an_index_run_writes_one_bulk_per_batch_of_files(osmem_clone, analyzer):
    """Five sample protocols, written one at a time and then as one batch: the batch takes one times
    read (mget), one stale-item delete and one bulk per 500 actions plus one for the document records,
    where one file at a time took all of that per file; both leave the same index."""
    from tests.conftest import CORPUS

    files = sorted(CORPUS.glob("*.txt"))[:5]
    assert len(files) == 5
    alone, alone_calls, alone_summary = _index(osmem_clone.url, "motesok-alone", analyzer, files, batch=1)
    together, together_calls, together_summary = _index(osmem_clone.url, "motesok-together", analyzer, files, batch=5)
    assert alone_summary.new == together_summary.new == 5 and together_summary.failed == 0
    passages = together_summary.items + together_summary.passages  # one action per item and per passage
    for calls, batches in ((alone_calls, 5), (together_calls, 1)):
        assert calls.count("mget") == batches and calls.count("delete_by_query") == batches
        assert "indices.refresh" not in calls  # nothing searches between the writes
    assert together_calls.count("bulk") == -(-passages // 500) + 1
    assert alone_calls.count("bulk") >= 5 * 2 and alone_calls.count("bulk") > together_calls.count("bulk")
    print(f"\n5 files: {alone_calls.count('bulk')} bulk calls one at a time, {together_calls.count('bulk')} as one batch"
          f" ({passages} item and passage actions); {len(alone_calls)} vs {len(together_calls)} requests in all")
    assert alone.stats() == together.stats()
    assert {s: c for s, (_, c) in alone.document_checksums().items()} == {
        s: c for s, (_, c) in together.document_checksums().items()}
    alone.close()
    together.close()


def test_a_refused_document_fails_alone_in_its_batch(osmem_clone, analyzer):
    """One document of a batch with an action the cluster refuses (a vector of the wrong size):
    that file is reported and keeps no record (retried next run); the others of the batch are stored."""
    from indexer.pipeline import Indexer
    from models.embeddings import HashingEmbedder
    from tests.conftest import CORPUS

    files = sorted(CORPUS.glob("*.txt"))[:3]

    embedder = HashingEmbedder()
    store, calls = recorded_store(osmem_clone.url, embedding_model=embedder.name, dim=embedder.dim)
    indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder, batch_documents=3)
    build = indexer.build_items

    def one_bad(parsed):
        items = build(parsed)
        if parsed.document.source.endswith(files[1].name):
            items[0].vectors = np.ones((1, embedder.dim + 1), dtype=np.float32)
        return items

    indexer.build_items = one_bad
    summary = indexer.run(files)
    assert (summary.new, summary.failed) == (2, 1)
    assert summary.messages[0].startswith(f"{files[1]}: not stored: the store refused 1 action(s): passage:")
    assert calls.count("delete_by_query") == 1  # one batch
    stored = {Path(source).name for source in store.document_checksums()}
    assert stored == {files[0].name, files[2].name}
    store.close()


def test_facet_values_are_one_search_from_doc_values(loaded, archive):
    """The dates a date-sorted search orders by: one ids search, no mget of whole items."""
    store, calls = loaded
    ids = [item.id for _, items in archive for item in items]
    values = store.facet_values(ids + ["no-such-item"])
    assert calls == ["search"]
    assert set(values) == set(ids)
    assert values[archive[2][1][0].id]["date"] == ["2024-05-29"] and values[archive[1][1][0].id]["year"] == [2020]


def test_the_search_service_sends_its_legs_through_search_legs(osmem_clone, analyzer):
    """The service asks for both legs at once (``run_legs``): a keyword search over the samples is one
    ``_msearch`` for the legs, one search for the facet counts and ``mget``s of items — no leg alone."""
    from indexer.pipeline import Indexer
    from models.embeddings import HashingEmbedder
    from motesok.config import Settings
    from search_api.schemas import SearchParams
    from search_api.service import RankingConfig, SearchService
    from tests.conftest import CORPUS

    embedder = HashingEmbedder()
    store, calls = recorded_store(osmem_clone.url, embedding_model=embedder.name, dim=embedder.dim)
    Indexer(store=store, analyzer=analyzer, embedder=embedder).run(sorted(CORPUS.glob("*.txt"))[:3])
    service = SearchService(store, analyzer, embedder, RankingConfig.from_settings(Settings()))
    service.search(SearchParams(q="budget", mode="keyword", group="none"))  # refreshes after the writes
    calls.clear()
    response = service.search(SearchParams(q="budget", mode="keyword", group="none"))
    assert response.total > 0
    assert calls.count("msearch") == 1 and calls.count("search") == 1
    assert set(calls) == {"msearch", "search", "mget"}
    store.close()
