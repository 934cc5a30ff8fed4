"""The OpenSearch store against servers: the shared conformance suite plus alias swap, bulk failures,
model guard and connection errors.

Two targets:
- a live cluster, when ``MOTESOK_OPENSEARCH_URL`` is set (``MOTESOK_OPENSEARCH_USER``/``_PASSWORD``/
  ``_VERIFY_CERTS`` as for the application); each test uses its own alias and deletes its indices;
- osmem-server (an in-memory OpenSearch-compatible server, one clone per test): everything but kNN.
  Vector searches skip the test that makes them ("osmem-server has no kNN") — they are never faked;
  ``test_osmem_rejects_knn`` checks that the request really is refused, so the skip is honest.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from indexer.store.base import Filters, StoreError
from tests.store_conformance import (  # noqa: F401
    DIM,
    EMBEDDING_MODEL,
    RebuildConformance,
    StoreConformance,
    archive,
    kq,
    make_document,
    unit,
)

opensearchpy = pytest.importorskip("opensearchpy")
from indexer.store import opensearch as os_store  # noqa: E402
from indexer.store import opensearch_requests as os_requests  # noqa: E402
from indexer.store.opensearch import OpenSearchStore  # noqa: E402

LIVE_URL = os.environ.get("MOTESOK_OPENSEARCH_URL")
NO_LIVE = "MOTESOK_OPENSEARCH_URL is not set: no live OpenSearch cluster to test against"
NO_KNN = "osmem-server has no kNN"


def _no_knn(store: OpenSearchStore):
    """``vector_search`` for osmem: the query's dimensions are checked (before any request, as the
    store does), then the test skips."""
    def search(vector, filters, limit):
        store._query_vector(vector)
        pytest.skip(NO_KNN)
    return search


def _osmem_store(url: str, alias: str = "motesok-test", **kwargs) -> OpenSearchStore:
    kwargs.setdefault("embedding_model", EMBEDDING_MODEL)
    kwargs.setdefault("dim", DIM)
    kwargs.setdefault("delete_grace_s", 0)  # the grace itself: test_rebuild_finish_merges_then_waits_before_deleting
    return OpenSearchStore(opensearchpy.OpenSearch(hosts=[url]), alias=alias, url=url, **kwargs)


def _live_settings(alias: str):
    from motesok.config import Settings

    return Settings().model_copy(update={"backend": "opensearch", "opensearch_index": alias})


def _live_cleanup(store: OpenSearchStore) -> None:
    store.client.indices.delete(index=f"{store.alias}-v*", ignore_unavailable=True)
    store.client.indices.delete_index_template(name=os_requests.template_name(store.alias), ignore=404)


# -- the conformance suite -----------------------------------------------------------------------

class TestOpenSearchStoreLive(StoreConformance, RebuildConformance):
    @pytest.fixture
    def store_factory(self):
        if not LIVE_URL:
            pytest.skip(NO_LIVE)
        alias = f"motesok-test-{uuid.uuid4().hex[:12]}"
        opened: list[OpenSearchStore] = []

        def factory(embedding_model=EMBEDDING_MODEL, dim=DIM):
            store = OpenSearchStore.from_settings(_live_settings(alias), embedding_model=embedding_model, dim=dim)
            opened.append(store)
            return store

        yield factory
        if opened:
            _live_cleanup(opened[0])
        for store in opened:
            store.close()


class TestOpenSearchStoreOnOsmem(StoreConformance, RebuildConformance):
    @pytest.fixture
    def store_factory(self, osmem_clone, monkeypatch):
        opened: list[OpenSearchStore] = []

        def factory(embedding_model=EMBEDDING_MODEL, dim=DIM):
            store = _osmem_store(osmem_clone.url, embedding_model=embedding_model, dim=dim)
            monkeypatch.setattr(store, "vector_search", _no_knn(store))
            opened.append(store)
            return store

        yield factory
        for store in opened:
            store.close()


# -- beyond the suite: both targets --------------------------------------------------------------

@pytest.fixture(params=["osmem", "live"])
def open_store(request):
    """A factory of stores on one server (same cluster, chosen alias): osmem clone or live cluster."""
    opened: list[OpenSearchStore] = []
    if request.param == "live":
        if not LIVE_URL:
            pytest.skip(NO_LIVE)
        alias = f"motesok-test-{uuid.uuid4().hex[:12]}"

        def factory(**kwargs):
            kwargs.setdefault("embedding_model", EMBEDDING_MODEL)
            kwargs.setdefault("dim", DIM)
            store = OpenSearchStore.from_settings(_live_settings(kwargs.pop("alias", alias)), **kwargs)
            opened.append(store)
            return store
    else:
        clone = request.getfixturevalue("osmem_clone")

        def factory(**kwargs):
            store = _osmem_store(clone.url, **kwargs)
            opened.append(store)
            return store
    yield factory
    if request.param == "live":
        for alias_name in {store.alias for store in opened}:
            _live_cleanup(next(s for s in opened if s.alias == alias_name))
    for store in opened:
        store.close()


def _load(store, archive):
    for doc, items in archive:
        store.write_document(doc, items)


def _count(store, index, **term):
    body = {"query": {"term": term}} if term else None
    return store.client.count(index=index, body=body)["count"]


def test_index_is_versioned_behind_the_alias(open_store):
    store = open_store()
    assert store.index_name.startswith(f"{store.alias}-v")
    assert list(store.client.indices.get_alias(name=store.alias)) == [store.index_name]
    mapping = store.client.indices.get_mapping(index=store.alias)[store.index_name]["mappings"]
    assert mapping["_meta"]["embedding_model"] == EMBEDDING_MODEL and mapping["_meta"]["dim"] == DIM
    assert mapping["properties"]["vector"]["type"] == "knn_vector"


def test_rewrite_removes_stale_items_and_passages(open_store, archive):
    store = open_store()
    _load(store, archive)
    doc, _ = archive[0]
    assert _count(store, store.alias, document_id=doc.id) == 1 + 3 + 4  # document, items, passages
    new_doc, new_items = make_document("rs-2021.txt", checksum="c2", items=[
        ("ny rubrik", "helt ny text om spårväg", [], [unit(0, 0, 1, 1)]),
    ])
    store.write_document(new_doc, new_items)
    assert _count(store, store.alias, document_id=doc.id) == 1 + 1 + 1  # the rest: conformance


def test_full_reindex_swaps_the_alias_at_the_end(open_store, archive):
    """What a rebuild holds: RebuildConformance; here the indices behind the alias."""
    store = open_store()
    _load(store, archive)
    old_index = store.index_name
    new_index = store.begin_full_reindex()
    assert new_index != old_index and new_index.startswith(f"{store.alias}-v")
    store.write_document(*archive[2])
    assert list(store.client.indices.get_alias(name=store.alias)) == [old_index]
    assert store.finish_full_reindex() == new_index
    assert list(store.client.indices.get_alias(name=store.alias)) == [new_index]
    assert not store.client.indices.exists(index=old_index)


def test_failed_full_reindex_keeps_the_old_index(open_store, archive):
    store = open_store()
    _load(store, archive)
    old_index = store.index_name
    with pytest.raises(RuntimeError, match="parse failure"):
        with store.full_reindex():
            store.write_document(*archive[0])
            new_index = store._rebuild_index
            raise RuntimeError("parse failure")
    assert not store.client.indices.exists(index=new_index)
    assert list(store.client.indices.get_alias(name=store.alias)) == [old_index]


def test_bulk_failures_are_reported_and_the_rest_is_written(open_store, archive):
    store = open_store()
    good_doc, good_items = archive[1]
    bad_doc, bad_items = make_document("bad.txt", items=[
        ("ok", "ok", [], [unit(1, 0, 0, 0)]),
        ("fel", "fel dimension", [], [[1.0, 0.0, 0.0]]),  # 3 dimensions in a 4-dimensional index
    ])
    failures = store.write_documents([(bad_doc, bad_items), (good_doc, good_items)])
    assert [f.id for f in failures] == [os_requests.passage_doc_id(bad_items[1].id, 0)]
    assert failures[0].document_id == bad_doc.id and failures[0].status == 400
    assert "dimension" in failures[0].error.lower()
    assert store.failures == failures
    # the good document is complete; the bad one has no document record, so the next run retries it
    sums = store.document_checksums()
    assert good_doc.source in sums and bad_doc.source not in sums
    assert len(store.get_document(good_doc.id)[1]) == 2


def test_failed_write_raises_and_keeps_the_previous_checksum(open_store, archive):
    store = open_store()
    doc, items = archive[0]
    store.write_document(doc, items)
    broken_doc, broken_items = make_document("rs-2021.txt", checksum="c2", items=[
        ("ny", "ny", [], [[1.0, 0.0]]),
    ])
    with pytest.raises(StoreError, match=os_requests.passage_doc_id(broken_items[0].id, 0)):
        store.write_document(broken_doc, broken_items)
    assert store.document_checksums()[doc.source][1] == "c1" and len(store.get_document(doc.id)[1]) == 3


def test_reopened_store_reads_the_same_index(open_store, archive):
    first = open_store(alias="motesok-test-shared")
    _load(first, archive)
    first.close()  # a finished run: closing refreshes (writes alone do not; another reader waits for it)
    second = open_store(alias="motesok-test-shared", embedding_model=None, dim=None)
    assert second.index_name == first.index_name and second.dim == DIM  # what it reads: conformance


def test_paging_with_search_after(open_store, archive, monkeypatch):
    store = open_store()
    _load(store, archive)
    monkeypatch.setattr(os_store, "PAGE_SIZE", 2)
    assert store.filtered_ids(Filters(), 100) == [archive[2][1][0].id, *[i.id for i in archive[0][1]],
                                                   *[i.id for i in archive[1][1]]]
    assert len(store.filtered_ids(Filters(), 5)) == 5
    assert len(store.keyword_search(kq("budget", "tandvård", "läkemedel"), Filters(), 100)) == 4  # one request
    assert len(store.document_checksums()) == 3


def test_an_index_named_like_the_alias_is_refused(open_store):
    store = open_store()
    plain = f"{store.alias}-plain"
    store.client.indices.create(index=plain)
    try:
        with pytest.raises(StoreError, match="not an alias"):
            open_store(alias=plain)
    finally:
        store.client.indices.delete(index=plain)


# -- issue 20: template, finishing a rebuild, plain analysis -----------------------------------------

def test_a_bulk_into_a_deleted_versioned_index_recreates_it_strictly_mapped(open_store, archive):
    """Defect 7: a run whose rebuild index another run deleted writes on; the index its bulk
    auto-creates has the strict mapping from the template (not a dynamic one) and is not behind the alias."""
    store = open_store()
    _load(store, archive[:1])
    serving = store.index_name
    racing = store.begin_full_reindex()
    store.client.indices.delete(index=racing)  # the other run's cleanup
    store.write_documents(archive[1:2])
    mapping = store.client.indices.get_mapping(index=racing)[racing]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["vector"]["type"] == "knn_vector"
    assert mapping["properties"]["title_terms"]["analyzer"] == os_requests.TERMS_ANALYZER
    assert list(store.client.indices.get_alias(name=store.alias)) == [serving]
    with pytest.raises(opensearchpy.exceptions.RequestError, match="strict"):
        store.client.index(index=racing, body={"not_a_field": 1})


def test_rebuild_finish_merges_then_waits_before_deleting(open_store, archive, monkeypatch):
    """Defect 8: refresh and force-merge before the swap; the old index is deleted only after the
    grace, once the alias already serves the new one."""
    store = open_store()
    _load(store, archive)
    old = store.index_name
    store.delete_grace_s = 7.5
    calls: list[str] = []
    merge = store.client.indices.forcemerge
    monkeypatch.setattr(store.client.indices, "forcemerge",
                        lambda **kw: calls.append(f"merge {kw['index']} {kw['max_num_segments']}") or merge(**kw))

    def sleep(seconds):
        # during the grace: the alias is on the new index, the old one still answers searches
        calls.append(f"sleep {seconds}")
        assert list(store.client.indices.get_alias(name=store.alias)) == [new]
        assert store.client.indices.exists(index=old)

    monkeypatch.setattr(os_store.time, "sleep", sleep)
    new = store.begin_full_reindex()
    loading = store.client.indices.get_settings(index=new)[new]["settings"]["index"]
    assert str(loading["number_of_replicas"]) == "0" and str(loading["refresh_interval"]) == "-1"
    _load(store, archive)
    assert store.finish_full_reindex() == new
    assert calls == [f"merge {new} 1", "sleep 7.5"]
    assert not store.client.indices.exists(index=old)
    serving = store.client.indices.get_settings(index=new)[new]["settings"]["index"]
    assert "refresh_interval" not in serving and str(serving["auto_expand_replicas"]) == "0-1"
    assert store.stats().items == sum(len(items) for _, items in archive)


def test_a_failure_finishing_a_rebuild_drops_the_new_index(open_store, archive, monkeypatch):
    """Defect 8: the final refresh/merge runs inside the error handling: a failure there leaves the
    alias on the old index and removes the new one."""
    store = open_store()
    _load(store, archive)
    old = store.index_name

    def broken(**kwargs):
        raise opensearchpy.exceptions.ConnectionError("N/A", "connection reset while merging", None)

    monkeypatch.setattr(store.client.indices, "forcemerge", broken)
    with pytest.raises(StoreError, match="finish the index"):
        with store.full_reindex():
            _load(store, archive)
    assert list(store.client.indices.get_alias(name=store.alias)) == [old]
    assert sorted(store.client.indices.get(index=f"{store.alias}-v*")) == [old]
    assert store._rebuild_index is None and store.index_name == old


# -- osmem only ---------------------------------------------------------------------------------

def test_plain_analysis_is_the_default_and_needs_no_files(osmem_clone):
    """Defect 3: by default the index is created without analysis files (osmem, like a managed
    cluster, has none); the Swedish files only when MOTESOK_OPENSEARCH_ANALYSIS=swedish."""
    from motesok.config import Settings

    settings = Settings().model_copy(update={"backend": "opensearch", "opensearch_url": osmem_clone.url,
                                             "opensearch_index": "motesok-plain"})
    assert settings.opensearch_analysis == "plain"
    store = OpenSearchStore.from_settings(settings, embedding_model=EMBEDDING_MODEL, dim=DIM)
    try:
        index = store.index_name
        analysis = store.client.indices.get_settings(index=index)[index]["settings"]["index"]["analysis"]
        assert "_path" not in str(analysis)
        mapping = store.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
        assert mapping["text"]["analyzer"] == os_requests.FALLBACK_TEXT_ANALYZER
    finally:
        store.close()
    swedish = settings.model_copy(update={"opensearch_analysis": "swedish", "opensearch_index": "motesok-sv"})
    store = OpenSearchStore.from_settings(swedish)  # nothing indexed yet: no index is created
    try:
        assert store._analysis_loader is os_store.load_swedish_analysis
        assert "stopwords_path" in str(store._analysis_loader())
    finally:
        store.close()


def test_osmem_rejects_knn(osmem_clone, archive):
    """If osmem ever answers kNN, the skips above should go: this test then fails to say so."""
    store = _osmem_store(osmem_clone.url)
    _load(store, archive)
    with pytest.raises(StoreError, match="knn"):
        store.vector_search(unit(1, 0, 0, 0), Filters(), 5)


# -- connection errors ------------------------------------------------------------------------------

def test_unreachable_cluster_is_a_clear_error():
    from motesok.config import Settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = Settings(backend="opensearch", opensearch_url=url, opensearch_user="admin",
                        opensearch_password="secret-password")
    with pytest.raises(StoreError, match=f"cannot reach OpenSearch at {url}") as info:
        OpenSearchStore.from_settings(settings, embedding_model=EMBEDDING_MODEL, dim=DIM)
    assert "secret-password" not in str(info.value)


def test_missing_url_is_a_clear_error():
    from motesok.config import Settings

    with pytest.raises(StoreError, match="MOTESOK_OPENSEARCH_URL"):
        OpenSearchStore.from_settings(Settings(backend="opensearch", opensearch_url=None))


def test_factory_opens_the_opensearch_store(osmem_clone, monkeypatch):
    from indexer.store.factory import open_store as factory_open
    from motesok.config import Settings

    # osmem cannot read analysis files from a config directory: plain analysis here
    monkeypatch.setattr(os_store, "load_swedish_analysis", lambda *a, **k: None)
    settings = Settings(backend="opensearch", opensearch_url=osmem_clone.url, opensearch_index="motesok-factory")
    store = factory_open(settings, embedding_model=EMBEDDING_MODEL, dim=DIM)
    try:
        assert isinstance(store, OpenSearchStore) and store.alias == "motesok-factory"
    finally:
        store.close()


def test_raw_text_is_indexed_with_the_given_analysis(osmem_clone):
    """The title/text fields use the analysis passed in (inline word list here: osmem cannot read files)."""
    analysis = {"filter": {"sv_parts": {"type": "dictionary_decompounder", "word_list": ["buss", "kort"]}},
                "analyzer": {"swedish_index": {"type": "custom", "tokenizer": "standard",
                                               "filter": ["lowercase", "sv_parts"]}}}
    store = _osmem_store(osmem_clone.url, analysis=analysis)
    mapping = store.client.indices.get_mapping(index=store.alias)[store.index_name]["mappings"]["properties"]
    assert mapping["text"]["analyzer"] == "swedish_index"
    tokens = store.client.indices.analyze(index=store.index_name, body={"field": "text", "text": "Busskort"})
    assert [t["token"] for t in tokens["tokens"]] == ["busskort", "buss", "kort"]
    doc, items = make_document("hl.txt", items=[("busskort", "nya busskort till skolan", [], [unit(1, 0, 0, 0)])])
    store.write_document(doc, items)
    found = store.client.search(index=store.alias, body={
        "query": {"match": {"text": "busskort"}}, "highlight": {"fields": {"text": {}}}})["hits"]["hits"]
    assert found and "<em>busskort</em>" in found[0]["highlight"]["text"][0]


def test_analysis_is_loaded_only_to_create_an_index(osmem_clone):
    calls = []

    def loader():
        calls.append(1)
        return None

    _osmem_store(osmem_clone.url, alias="motesok-lazy", analysis_loader=loader)
    assert calls == [1]
    reopened = _osmem_store(osmem_clone.url, alias="motesok-lazy", analysis_loader=loader)
    assert calls == [1]  # the index exists: nothing to create, nothing loaded
    reopened.begin_full_reindex()
    assert calls == [1, 1]
    reopened.abort_full_reindex()


def test_an_index_from_before_typed_decisions_gets_the_field(open_store, archive):
    """An index created before ``decision_kind`` existed (strict mapping) takes the field when opened."""
    first = open_store()
    doc, items = archive[0]
    first.write_document(doc, items)
    index = first.index_name
    mapping = first.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert "decision_kind" in mapping
    old_body = first._index_body()
    del old_body["mappings"]["properties"]["decision_kind"]
    first.client.indices.delete(index=index)
    # such an index also predates the template of versioned indices (which would add the field)
    first.client.indices.delete_index_template(name=os_requests.template_name(first.alias))
    first.client.indices.create(index=index, body={**old_body, "aliases": {first.alias: {}}})
    assert "decision_kind" not in first.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    reopened = open_store()
    assert "decision_kind" in reopened.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    other, other_items = archive[1]
    other_items[0].item.decision_kind = "förslag"
    reopened.write_document(other, other_items)
    assert reopened.get_items([other_items[0].id])[0].decision_kind == "förslag"


def test_an_index_from_before_weighted_terms_keeps_scoring_per_field(open_store, archive):
    """An index built before weighted_terms (no FTS5 similarity, which cannot be added to an open
    index) gets the field plain, so writes fit its strict mapping, and keeps scoring title and text
    separately until a --rebuild, which brings FTS5's formula."""
    first = open_store()
    _load(first, archive[:1])
    index = first.index_name
    old_body = first._index_body()
    del old_body["mappings"]["properties"]["weighted_terms"]
    del old_body["settings"]["index"]["similarity"]
    old_body["mappings"]["_source"] = {"excludes": ["vector"]}
    first.client.indices.delete(index=index)
    first.client.indices.delete_index_template(name=os_requests.template_name(first.alias))
    first.client.indices.create(index=index, body={**old_body, "aliases": {first.alias: {}}})
    doc, items = archive[0]  # written by the old store version: no weighted_terms
    actions = os_requests.item_actions(index, doc, items, "old") + [os_requests.document_action(index, doc, "old")]
    for action in actions:
        action["_source"].pop("weighted_terms", None)
    opensearchpy.helpers.bulk(first.client, actions, refresh=True)
    reopened = open_store()
    assert reopened._fts5_scoring is False
    assert "weighted_terms" in reopened.client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    reopened.write_document(*archive[1])
    # old items (no weighted_terms) and new ones both found and scored
    hits = reopened.keyword_search(kq("budget"), Filters(), 10)
    assert len(hits) == 2 and all(h.score > 0 for h in hits)
    with reopened.full_reindex():
        _load(reopened, archive)
    assert reopened._fts5_scoring is True
    new = reopened.index_name
    mapping = reopened.client.indices.get_mapping(index=new)[new]["mappings"]["properties"]
    assert mapping["weighted_terms"]["similarity"] == "motesok_fts5"
    assert len(reopened.keyword_search(kq("budget"), Filters(), 10)) == 3


def test_no_permission_for_templates_is_not_fatal(osmem_clone, archive, monkeypatch):
    """A managed cluster's user may lack the cluster permission for index templates: the store still
    creates and rebuilds its index (the template only guards concurrent runs); other errors stop it."""
    def forbidden(**kwargs):
        raise opensearchpy.exceptions.AuthorizationException(403, "security_exception", "no permission")

    monkeypatch.setattr(opensearchpy.client.IndicesClient, "put_index_template", lambda self, **kw: forbidden(**kw))
    store = _osmem_store(osmem_clone.url, alias="motesok-notemplate")
    _load(store, archive)
    with store.full_reindex():
        _load(store, archive)
    assert store.stats().documents == len(archive)

    def broken(self, **kwargs):
        raise opensearchpy.exceptions.RequestError(400, "illegal_argument_exception", "bad template")

    monkeypatch.setattr(opensearchpy.client.IndicesClient, "put_index_template", broken)
    with pytest.raises(StoreError, match="put the index template"):
        store.begin_full_reindex()


def test_an_index_from_before_pages_and_originals_gets_the_fields(open_store, archive):
    """An index created before page numbers, § labels, url, personnummer counts and OCR marks
    (strict mapping) takes the fields when opened, and stores them from the next write."""
    added = {**os_requests.ADDED_FIELDS_DOCUMENT, **os_requests.ADDED_FIELDS_ITEM}
    first = open_store()
    doc, items = archive[0]
    first.write_document(doc, items)
    index = first.index_name
    old_body = first._index_body()
    for name in added:
        del old_body["mappings"]["properties"][name]
    first.client.indices.delete(index=index)
    first.client.indices.delete_index_template(name=os_requests.template_name(first.alias))
    first.client.indices.create(index=index, body={**old_body, "aliases": {first.alias: {}}})
    assert not set(added) & set(first.client.indices.get_mapping(index=index)[index]["mappings"]["properties"])
    reopened = open_store()
    assert set(added) <= set(reopened.client.indices.get_mapping(index=index)[index]["mappings"]["properties"])
    other, other_items = archive[1]
    other.url, other.personnummer_masked, other.ocr = "https://example.org/a.pdf", 1, True
    other_items[0].item.page_start, other_items[0].item.page_end, other_items[0].item.paragraph_label = 3, 4, "7 b"
    reopened.write_document(other, other_items)
    got = reopened.get_items([other_items[0].id])[0]
    assert (got.page_start, got.page_end, got.paragraph_label, got.url, got.personnummer_masked, got.ocr) == (
        3, 4, "7 b", "https://example.org/a.pdf", 1, True)


def test_writes_refresh_only_when_this_store_reads(open_store, archive, monkeypatch):
    """Defect 4: a load does not refresh per document (a segment, and a faiss graph, per file); the
    store refreshes once before it next searches, before deleting stale items of a document it wrote
    since, and on close."""
    store = open_store()
    refreshes: list[str] = []
    refresh = store.client.indices.refresh
    monkeypatch.setattr(store.client.indices, "refresh",
                        lambda **kw: refreshes.append(kw["index"]) or refresh(**kw))
    _load(store, archive)
    assert refreshes == []
    assert len(store.keyword_search(kq("budget"), Filters(), 10)) == 3
    assert refreshes == [store.index_name]
    store.filtered_ids(Filters(), 10)
    store.stats()
    assert len(refreshes) == 1  # nothing written since
    doc, items = archive[0]
    store.write_document(doc, items)
    assert len(refreshes) == 1
    store.write_document(doc, items[:1])  # its earlier version must be visible to the stale delete
    assert len(refreshes) == 2
    assert [i.id for i in store.get_document(doc.id)[1]] == [items[0].id]
    store.write_document(*archive[1])
    store.close()
    assert len(refreshes) == 4  # get_document read, then close
