"""Round trips of the OpenSearch store (issue 20): a search's legs in one ``_msearch``, counted with a
client that records every call it forwards to osmem-server. The request bodies are tested as data
first; on osmem the keyword legs run for real and the kNN leg is refused by the server (osmem has no
kNN), which shows that it travelled in the same ``_msearch``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from indexer.store.base import Filters, KeywordQuery, Legs, LegsRequest, relaxations, sequential_legs
from indexer.store.sqlite import StoreError
from tests.store_conformance import DIM, EMBEDDING_MODEL, archive, kq, unit  # noqa: F401

opensearchpy = pytest.importorskip("opensearchpy")
from indexer.store.opensearch import (  # noqa: E402
    OpenSearchStore,
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


def recorded_store(url: str, **kwargs: Any) -> tuple[OpenSearchStore, list[str]]:
    client = Recording(opensearchpy.OpenSearch(hosts=[url]))
    store = OpenSearchStore(client, alias="motesok-trips", url=url, embedding_model=kwargs.pop("embedding_model", EMBEDDING_MODEL),
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
