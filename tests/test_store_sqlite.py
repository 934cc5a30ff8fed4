"""The SQLite store: the conformance suite plus what only the embedded store promises."""

from __future__ import annotations

import pytest

from indexer.store.base import Filters
from indexer.store.sqlite import SQLiteStore, StoreError
from tests.store_conformance import DIM, EMBEDDING_MODEL, StoreConformance, archive, make_document, unit  # noqa: F401


class TestSQLiteStore(StoreConformance):
    @pytest.fixture
    def store(self, tmp_path):
        store = SQLiteStore(tmp_path / "data", embedding_model=EMBEDDING_MODEL, dim=DIM)
        yield store
        store.close()


def test_refuses_vectors_of_another_model(tmp_path):
    SQLiteStore(tmp_path, embedding_model="model-a", dim=4).close()
    with pytest.raises(StoreError, match="model-a"):
        SQLiteStore(tmp_path, embedding_model="model-b", dim=8)


def test_reader_sees_writes_of_another_connection(tmp_path, archive):
    writer = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    reader = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    assert reader.vector_search(unit(1, 0, 0, 0), Filters(), 5) == []
    writer.write_document(doc, items)
    assert reader.vector_search(unit(1, 0, 0, 0), Filters(), 5)[0].item_id == items[0].id


def test_failed_write_keeps_previous_state(tmp_path, archive):
    store = SQLiteStore(tmp_path, embedding_model=EMBEDDING_MODEL, dim=DIM)
    doc, items = archive[0]
    store.write_document(doc, items)
    broken_doc, broken_items = make_document("rs-2021.txt", checksum="c2", items=[
        ("ny", "ny", [], [unit(1, 0, 0, 0)]),
    ])
    broken_items[0].vectors = None  # fails while inserting, after the old items were deleted
    with pytest.raises(Exception):
        store.write_document(broken_doc, broken_items)
    assert store.document_checksums()[doc.source][1] == "c1"
    assert len(store.get_document(doc.id)[1]) == 3


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create data directory"):
        SQLiteStore(blocker / "data")
