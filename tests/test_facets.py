"""The facet table (indexer/store/facets.py): every facet reaches the filters, the items and both
stores' columns, and its counts are listed in its order."""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from indexer.store.base import Filters, StoredItem
from indexer.store.facets import FACET_BY_NAME, FACET_FIELDS, FACET_LABELS, FACETS, facet_values
from indexer.store.opensearch_requests import FACET_INDEX_FIELD, index_body
from indexer.store.sqlite import DB_NAME, SQLiteStore


def _item(**values) -> StoredItem:
    base = dict(id="i", document_id="d", position=0, number=1, paragraph=1, title="t", title_derived=False,
                section=None, text="x", decisions=[], case_numbers=[], topics=[], organisation=None, body=None,
                date=None, year=None, doc_type=None, source="s")
    return StoredItem(**{**base, **values})


def test_every_facet_is_a_filter_and_an_item_field():
    filter_fields = {f.name: f for f in fields(Filters)}
    item_fields = {f.name for f in fields(StoredItem)}
    for facet in FACETS:
        assert facet.name in filter_fields and filter_fields[facet.name].default == ()
        assert facet.item_field in item_fields
        assert FACET_LABELS[facet.name] and FACET_BY_NAME[facet.name] is facet
    assert Filters(**{FACET_FIELDS[0]: ("x",)}).without(FACET_FIELDS[0]).is_empty()


def test_values_of_single_and_multi_valued_facets():
    item = _item(organisation="Region Test", year=2021, topics=["ekonomi", "pandemi"], body=None, doc_type="")
    values = facet_values(item)
    assert values["organisation"] == ["Region Test"] and values["year"] == [2021]
    assert values["topic"] == ["ekonomi", "pandemi"] and values["body"] == []
    assert {name: item.facet_values(name) for name in FACET_FIELDS} == values


def test_counts_are_listed_in_each_facets_order():
    counts = {2019: 5, 2024: 1, 2021: 3}
    assert FACET_BY_NAME["year"].ordered(counts) == [(2024, 1), (2021, 3), (2019, 5)]  # newest first
    bodies = {"Nämnd B": 2, "Nämnd A": 2, "Styrelsen": 7}
    assert FACET_BY_NAME["body"].ordered(bodies) == [("Styrelsen", 7), ("Nämnd A", 2), ("Nämnd B", 2)]


def test_both_stores_have_a_column_for_every_facet(tmp_path):
    SQLiteStore(tmp_path, embedding_model="m", dim=4).close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(items)")}
    assert {facet.item_field for facet in FACETS} <= columns
    mapping = index_body(4, "m", None)["mappings"]["properties"]
    for facet in FACETS:
        field = mapping[FACET_INDEX_FIELD[facet.name]]
        assert field["type"] == ("keyword" if facet.value_type is str else "integer")
