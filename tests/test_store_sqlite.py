"""The SQLite store: the conformance suite plus what only the embedded store promises."""

from __future__ import annotations

import pytest

from indexer.store.base import Filters, StoreError
from indexer.store.sqlite import SQLiteStore
from tests.store_conformance import DIM, EMBEDDING_MODEL, StoreConformance, archive, make_document, unit  # noqa: F401


class TestSQLiteStore(StoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path):
        opened: list[SQLiteStore] = []

        def factory(embedding_model=EMBEDDING_MODEL, dim=DIM):
            store = SQLiteStore(tmp_path / "data", embedding_model=embedding_model, dim=dim)
            opened.append(store)
            return store

        yield factory
        for store in opened:
            store.close()


def test_reader_sees_writes_of_another_connection(tmp_path, archive):
    writer = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    reader = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    assert reader.vector_search(unit(1, 0, 0, 0), Filters(), 5) == []
    writer.write_document(doc, items)
    assert reader.vector_search(unit(1, 0, 0, 0), Filters(), 5)[0].item_id == items[0].id


def test_a_store_from_before_typed_decisions_opens_and_keeps_its_items(tmp_path, archive):
    import sqlite3

    from indexer.store.sqlite import DB_NAME

    store = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    store.write_document(doc, items)
    store.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)  # the items table as it was before decision_kind
    conn.execute("ALTER TABLE items DROP COLUMN decision_kind")
    conn.commit()
    conn.close()
    reopened = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    old = reopened.get_document(doc.id)[1]
    assert [s.id for s in old] == [i.id for i in items] and all(s.decision_kind is None for s in old)
    other, other_items = archive[1]
    other_items[0].item.decision_kind = "beslut"
    reopened.write_document(other, other_items)
    assert reopened.get_items([other_items[0].id])[0].decision_kind == "beslut"
    reopened.close()


def test_a_store_from_before_document_times_opens_and_starts_them_on_the_next_write(tmp_path, archive):
    import sqlite3

    from indexer.store.sqlite import DB_NAME

    store = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    store.write_document(doc, items)
    store.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)  # the documents table as it was before the times
    conn.execute("ALTER TABLE documents DROP COLUMN first_indexed")
    conn.execute("ALTER TABLE documents DROP COLUMN last_changed")
    conn.commit()
    conn.close()
    reopened = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    meta, old = reopened.get_document(doc.id)
    assert meta.first_indexed is None and [s.id for s in old] == [i.id for i in items]
    again, again_items = make_document("rs-2021.txt", items=[("budget", "budget", [], [unit(0, 1, 0, 0)])])
    reopened.write_document(again, again_items)
    meta = reopened.get_document(doc.id)[0]
    assert meta.first_indexed and meta.last_changed == meta.first_indexed
    reopened.close()


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create data directory"):
        SQLiteStore(blocker / "data")


@pytest.mark.model
def test_postings_score_as_fts5_does(indexed_corpus, analyzer):
    """The keyword leg's in-memory BM25 gives FTS5's bm25() for every matching item, on the
    analyzed sample corpus and the analyzed dev queries plus broad and hyphenated words."""
    import json

    from indexer.store import sqlite as sqlite_store
    from tests.conftest import EVAL_QUERIES

    store, _ = indexed_corpus
    memory = store._search_memory()
    assert memory.postings is not None
    queries = [json.loads(line)["query"] for line in EVAL_QUERIES.read_text(encoding="utf-8").splitlines() if line]
    queries += ["beslut", "region", "budget 2025", "covid-19", "hälso- och sjukvårdsnämnden", "att", "ÅRSREDOVISNING"]
    compared = 0
    for q in queries:
        terms = analyzer.query(q).terms()
        if not terms:
            continue
        match = " OR ".join(sqlite_store._fts_phrase(t) for t in terms)
        rank = f"bm25(items_fts, {sqlite_store.TITLE_WEIGHT}, {sqlite_store.TEXT_WEIGHT})"
        fts_index, fts_scores = memory.keyword_scores(match, store._reader(), rank)
        index, scores = memory.postings.scores(terms)
        assert set(index.tolist()) == set(fts_index.tolist()), q
        by_item = dict(zip(fts_index.tolist(), fts_scores.tolist()))
        assert [by_item[i] for i in index.tolist()] == pytest.approx(scores.tolist(), rel=1e-5, abs=1e-9), q
        compared += len(index)
    assert compared > 500


def test_a_store_without_postings_falls_back_to_fts5(tmp_path, archive):
    """Stores written before item_terms existed still answer, through FTS5."""
    import sqlite3

    from tests.store_conformance import kq

    store = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    for doc, items in archive:
        store.write_document(doc, items)
    with_postings = store.keyword_search(kq("budget"), Filters(), 10)
    assert store._search_memory().postings is not None
    with sqlite3.connect(store.path) as conn:
        conn.execute("DELETE FROM item_terms WHERE item_rowid = (SELECT MIN(rowid) FROM items)")
    assert store._search_memory().postings is None
    without = store.keyword_search(kq("budget"), Filters(), 10)
    assert [h.item_id for h in without] == [h.item_id for h in with_postings]
    assert [h.score for h in without] == pytest.approx([h.score for h in with_postings], rel=1e-5)
    store.close()


def test_a_store_from_before_pages_and_originals_opens_and_fills_them_on_the_next_write(tmp_path, archive):
    import sqlite3

    from indexer.store.sqlite import DB_NAME

    store = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    store.write_document(doc, items)
    store.close()
    conn = sqlite3.connect(tmp_path / DB_NAME)  # the tables as they were before these columns
    for column in ("paragraph_label", "page_start", "page_end"):
        conn.execute(f"ALTER TABLE items DROP COLUMN {column}")
    for column in ("url", "personnummer_masked", "ocr", "ocr_confidence"):
        conn.execute(f"ALTER TABLE documents DROP COLUMN {column}")
    conn.commit()
    conn.close()
    reopened = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    meta, old = reopened.get_document(doc.id)
    assert [s.id for s in old] == [i.id for i in items] and all(s.page_start is None for s in old)
    assert (meta.url, meta.personnummer_masked, meta.ocr) == (None, 0, False)
    other, other_items = archive[1]
    other.personnummer_masked, other_items[0].item.page_start, other_items[0].item.page_end = 1, 4, 5
    reopened.write_document(other, other_items)
    got = reopened.get_items([other_items[0].id])[0]
    assert (got.page_start, got.page_end, got.personnummer_masked) == (4, 5, 1)
    reopened.close()
