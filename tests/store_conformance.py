"""The store conformance suite, as mixins (haystack's document-store tests are the model).

Every store's tests inherit ``StoreConformance`` (all the mixins of the protocol) and override only
the ``store_factory`` fixture: a function opening a store on one fresh place (a data folder, an
alias) each time it is called, with ``embedding_model=EMBEDDING_MODEL`` and ``dim=DIM`` unless
given; the factory closes what it opened. A store with the optional rebuild capability
(``indexer.store.base.Rebuildable``) also inherits ``RebuildConformance``."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.records import DocumentMeta, IndexedItem, Item, item_id
from indexer.store.base import FACET_FIELDS, PARTS_NEAR, Filters, KeywordQuery, StoreError

DIM = 4
EMBEDDING_MODEL = "conformance-test-model"


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def make_document(name: str, *, organisation="Region Test", body="Regionstyrelsen", date="2021-01-26",
                  doc_type="protokoll", checksum="c1", items=()) -> tuple[DocumentMeta, list[IndexedItem]]:
    """A document whose items are ``(title_terms, text_terms, topics, vectors)`` tuples."""
    doc = DocumentMeta(source=f"/archive/{name}", checksum=checksum, format="txt", organisation=organisation,
                       body=body, date=date, year=int(date[:4]) if date else None, doc_type=doc_type,
                       title=name)
    indexed = []
    for position, (title_terms, text_terms, topics, vectors) in enumerate(items):
        item = Item(number=position + 1, paragraph=90 + position, title=title_terms.title(),
                    text=f"Text {text_terms}", decisions=[f"att besluta {position}"], case_numbers=["RS/1/2021"])
        indexed.append(IndexedItem(id=item_id(doc.id, position), document_id=doc.id, position=position, item=item,
                                   title_terms=title_terms, text_terms=text_terms, topics=list(topics),
                                   vectors=np.atleast_2d(np.asarray(vectors, dtype=np.float32))))
    return doc, indexed


def kq(*words: str) -> KeywordQuery:
    return KeywordQuery(tuple((w,) for w in words))


@pytest.fixture
def archive():
    """Three documents over two organisations, bodies, years and topics."""
    return [
        make_document("rs-2021.txt", items=[
            ("ambulanshelikopter ambulans helikopter", "status för ambulanshelikopter", ["prehospital"], [unit(1, 0, 0, 0)]),
            ("budget", "budget för regionen helikopter nämns", ["ekonomi"], [unit(0, 1, 0, 0)]),
            ("vaccinering covid-19", "vaccinering mot covid-19", ["pandemi", "folkhälsa"], [unit(0, 0, 1, 0), unit(0.9, 0.1, 0, 0)]),
        ]),
        make_document("hsn-2020.txt", body="Hälso- och sjukvårdsnämnden", date="2020-10-20", doc_type="möte", items=[
            ("läkemedel", "läkemedel kostnader budget", ["läkemedel", "ekonomi"], [unit(0, 0.8, 0.2, 0)]),
            ("tandvård", "tandvård för barn", ["tandvård"], [unit(0, 0, 0, 1)]),
        ]),
        make_document("ks-2024.txt", organisation="Göteborgs Stad", body="Kommunstyrelsen", date="2024-05-29", items=[
            ("spårväg", "spårväg och kollektivtrafik budget", ["kollektivtrafik"], [unit(0, 0.5, 0, 0.5)]),
        ]),
    ]


class StoreFixtures:
    """The fixtures of every mixin; a backend overrides ``store_factory`` only."""

    @pytest.fixture
    def store_factory(self):
        """``factory(embedding_model=EMBEDDING_MODEL, dim=DIM) -> Store``: a store on one fresh place,
        the same place at every call within one test; the fixture closes what it opened."""
        raise NotImplementedError("a store's tests override the store_factory fixture")

    @pytest.fixture
    def store(self, store_factory):
        return store_factory()

    @pytest.fixture
    def loaded(self, store, archive):
        for doc, items in archive:
            store.write_document(doc, items)
        return store


class WriteReadConformance(StoreFixtures):
    """Writing, reading back, rewriting and deleting documents."""

    def test_empty_store(self, store):
        assert store.document_checksums() == {}
        assert store.keyword_search(kq("budget"), Filters(), 10) == []
        assert store.filtered_ids(Filters(), 10) == []
        assert store.get_document("nope") is None and store.get_items(["nope"]) == []
        stats = store.stats()
        assert (stats.documents, stats.items) == (0, 0)

    def test_write_and_read_back(self, loaded, archive):
        doc, items = archive[0]
        meta, stored = loaded.get_document(doc.id)
        assert meta.source == doc.source and meta.checksum == "c1" and meta.body == "Regionstyrelsen"
        assert [s.id for s in stored] == [i.id for i in items]
        first = stored[0]
        assert first.paragraph == 90 and first.decisions == ["att besluta 0"] and first.case_numbers == ["RS/1/2021"]
        assert first.topics == ["prehospital"] and first.date == "2021-01-26" and first.year == 2021
        assert loaded.get_items([items[2].id, "missing", items[0].id])[0].id == items[2].id
        assert len(loaded.get_items([items[2].id, "missing", items[0].id])) == 2
        assert loaded.get_document("nope") is None

    def test_decision_kind_round_trip(self, store, archive):
        doc, items = archive[0]
        for indexed, kind in zip(items, ("beslut", "förslag", None)):
            indexed.item.decision_kind = kind
        store.write_document(doc, items)
        by_id = {s.id: s for s in store.get_items([i.id for i in items])}
        assert [by_id[i.id].decision_kind for i in items] == ["beslut", "förslag", None]
        assert [s.decision_kind for s in store.get_document(doc.id)[1]] == ["beslut", "förslag", None]

    def test_document_times_kept_across_rewrite_and_rebuild(self, store, archive):
        """first_indexed stays from the first write; last_changed moves only with the content,
        whether the source is written again (index --force) or the index is rebuilt."""
        from contextlib import nullcontext

        doc, items = archive[0]
        store.write_document(doc, items)
        meta = store.get_document(doc.id)[0]
        first, changed = meta.first_indexed, meta.last_changed
        assert first and first == changed
        assert {s.first_indexed for s in store.get_items([i.id for i in items])} == {first}

        def rewrite(checksum: str):
            again, again_items = make_document("rs-2021.txt", checksum=checksum,
                                               items=[("budget", "budget", [], [unit(0, 1, 0, 0)])])
            store.write_document(again, again_items)
            meta = store.get_document(again.id)[0]
            stored = store.get_items([again_items[0].id])[0]
            assert (stored.first_indexed, stored.last_changed) == (meta.first_indexed, meta.last_changed)
            return meta.first_indexed, meta.last_changed

        assert rewrite("c1") == (first, changed)  # same content: nothing changed
        first_after, changed_after = rewrite("c2")
        assert first_after == first and changed_after > changed
        rebuild = getattr(store, "full_reindex", None)
        with rebuild() if rebuild else nullcontext():
            kept = rewrite("c2")
        assert store.get_document(doc.id)[0].first_indexed == first == kept[0] and kept[1] == changed_after
        newer, newer_items = archive[1]
        store.write_document(newer, newer_items)
        assert store.get_document(newer.id)[0].first_indexed > changed_after

    def test_pages_labels_and_publication_fields_round_trip(self, store, archive):
        """Page numbers and the printed § label per item; the publisher's url, the personnummer
        count and the OCR mark per document (copied onto its items): written, read back alike."""
        doc, items = archive[0]
        doc.url, doc.personnummer_masked, doc.ocr, doc.ocr_confidence = "https://example.org/p.pdf", 2, True, 91.5
        pages = [(1, 1, "90"), (2, 3, "91 a"), (None, None, None)]
        for indexed, (start, end, label) in zip(items, pages):
            indexed.item.page_start, indexed.item.page_end, indexed.item.paragraph_label = start, end, label
        store.write_document(doc, items)
        meta, stored = store.get_document(doc.id)
        assert (meta.url, meta.personnummer_masked, meta.ocr, meta.ocr_confidence) == (
            "https://example.org/p.pdf", 2, True, 91.5)
        assert [(s.page_start, s.page_end, s.paragraph_label) for s in stored] == pages
        got = store.get_items([items[1].id])[0]
        assert (got.page_start, got.page_end, got.paragraph_label) == (2, 3, "91 a")
        assert (got.url, got.personnummer_masked, got.ocr) == ("https://example.org/p.pdf", 2, True)
        other, other_items = archive[1]  # defaults: no url, no personnummer, not OCR'd
        store.write_document(other, other_items)
        meta = store.get_document(other.id)[0]
        assert (meta.url, meta.personnummer_masked, meta.ocr, meta.ocr_confidence) == (None, 0, False, None)

    def test_checksums(self, loaded, archive):
        sums = loaded.document_checksums()
        assert sums[archive[1][0].source] == (archive[1][0].id, "c1")
        assert len(sums) == 3

    def test_rewrite_replaces_items(self, loaded, archive):
        doc, _ = archive[0]
        new_doc, new_items = make_document("rs-2021.txt", checksum="c2", items=[
            ("ny rubrik", "helt ny text om spårväg", [], [unit(0, 0, 1, 1)]),
        ])
        loaded.write_document(new_doc, new_items)
        _, stored = loaded.get_document(doc.id)
        assert [s.title for s in stored] == ["Ny Rubrik"]
        assert loaded.document_checksums()[doc.source][1] == "c2"
        assert loaded.keyword_search(kq("ambulanshelikopter"), Filters(), 10) == []
        assert {h.item_id for h in loaded.keyword_search(kq("spårväg"), Filters(), 10)} == {
            new_items[0].id, archive[2][1][0].id}
        assert loaded.stats().items == 4

    def test_delete_document(self, loaded, archive):
        loaded.delete_document(archive[1][0].id)
        assert loaded.get_document(archive[1][0].id) is None
        assert loaded.keyword_search(kq("tandvård"), Filters(), 10) == []
        assert archive[1][0].source not in loaded.document_checksums()
        assert loaded.stats().documents == 2

    def test_stats(self, loaded):
        stats = loaded.stats()
        assert (stats.documents, stats.items) == (3, 6)
        assert stats.by_organisation == {"Region Test": 5, "Göteborgs Stad": 1}
        assert stats.by_year == {2021: 3, 2020: 2, 2024: 1}
        assert stats.newest_date_by_body["Kommunstyrelsen"] == "2024-05-29"


class KeywordConformance(StoreFixtures):
    """The keyword leg: what matches (``KeywordQuery``) and how it ranks."""

    def test_keyword_search_ranks_title_and_term_matches(self, loaded, archive):
        hits = loaded.keyword_search(kq("helikopter"), Filters(), 10)
        ids = [h.item_id for h in hits]
        # title match beats a mention in the text; both are found
        assert ids[:2] == [archive[0][1][0].id, archive[0][1][1].id]
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))

    def test_keyword_compound_parts_match_only_together(self, loaded, archive):
        compound = KeywordQuery((("ambulanshelikopter", "ambulans", "helikopter"),),
                                ((("ambulanshelikopter",), ("ambulans", "helikopter")),))
        # the budget item mentions "helikopter" (a part) alone: it does not match
        assert [h.item_id for h in loaded.keyword_search(compound, Filters(), 10)] == [archive[0][1][0].id]
        parts_only = KeywordQuery((("x", "budget", "regionen"),), ((("x",), ("budget", "regionen")),))
        assert [h.item_id for h in loaded.keyword_search(parts_only, Filters(), 10)] == [archive[0][1][1].id]

    def test_keyword_compound_parts_must_be_near_each_other(self, store):
        filler = " ".join(f"ord{i}" for i in range(PARTS_NEAR + 20))
        doc, items = make_document("far.txt", items=[
            ("tjänster", f"tjänster i hemmet {filler}", [], [unit(1, 0, 0, 0)]),
            ("hem", f"hem {filler} tjänst", [], [unit(0, 1, 0, 0)]),
        ])
        store.write_document(doc, items)
        query = KeywordQuery((("hemtjänst", "hem", "tjänst"),), ((("hemtjänst",), ("hem", "tjänster")),))
        # the second item holds "hem" and "tjänst" further apart than PARTS_NEAR: no match
        near = KeywordQuery((("hem", "tjänst"),), ((("hem", "tjänst"),),))
        assert [h.item_id for h in store.keyword_search(near, Filters(), 10)] == []
        close = KeywordQuery((("tjänster", "hemmet"),), ((("tjänster", "hemmet"),),))
        assert [h.item_id for h in store.keyword_search(close, Filters(), 10)] == [items[0].id]
        assert store.keyword_search(query, Filters(), 10) == []  # "hem" (a term of its own) is not near "tjänster"

    def test_keyword_minimum_match(self, loaded, archive):
        both = KeywordQuery((("budget",), ("spårväg",)), minimum_match=2)
        assert [h.item_id for h in loaded.keyword_search(both, Filters(), 10)] == [archive[2][1][0].id]
        either = KeywordQuery((("budget",), ("spårväg",)), minimum_match=1)
        assert len(loaded.keyword_search(either, Filters(), 10)) == 3
        # more words required than the query has: every word
        assert len(loaded.keyword_search(KeywordQuery((("budget",), ("spårväg",)), minimum_match=9), Filters(), 10)) == 1

    def test_keyword_search_matches_any_term(self, loaded):
        hits = loaded.keyword_search(kq("tandvård", "spårväg"), Filters(), 10)
        assert len(hits) == 2

    def test_keyword_terms_are_plain_text(self, loaded):
        for hostile in ['"', "*", "budget*", "NEAR(a b)", "AND", "^budget", "a:b", "(", "\\", 'x" OR "budget']:
            assert isinstance(loaded.keyword_search(kq(hostile), Filters(), 10), list)
        assert loaded.keyword_search(kq("covid-19"), Filters(), 10)


class VectorConformance(StoreFixtures):
    """The vector leg (what a server without kNN, osmem, skips)."""

    def test_empty_store_vector_leg(self, store):
        assert store.vector_search(unit(1, 0, 0, 0), Filters(), 10) == []

    def test_vector_search_max_over_passages(self, loaded, archive):
        hits = loaded.vector_search(unit(1, 0, 0, 0), Filters(), 10)
        ids = [h.item_id for h in hits]
        assert ids[0] == archive[0][1][0].id
        # the covid item's second passage is close to the query: it ranks second, once
        assert ids[1] == archive[0][1][2].id
        assert len(ids) == len(set(ids)) == 6
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)

    def test_vector_search_limit(self, loaded):
        assert len(loaded.vector_search(unit(0, 1, 0, 0), Filters(), 2)) == 2

    def test_filters_on_the_vector_leg(self, loaded, archive):
        across = Filters(body=("Regionstyrelsen", "Kommunstyrelsen"), organisation=("Göteborgs Stad",))
        assert len(loaded.vector_search(unit(0, 1, 0, 0), across, 10)) == 1
        topic_hits = loaded.vector_search(unit(0, 1, 0, 0), Filters(topic=("ekonomi",)), 10)
        assert {h.item_id for h in topic_hits} == {archive[0][1][1].id, archive[1][1][0].id}
        assert len(loaded.vector_search(unit(0, 1, 0, 0), Filters(doc_type=("möte",)), 10)) == 2
        ranged = Filters(date_from="2021-01-01", date_to="2021-12-31")
        assert {h.item_id for h in loaded.vector_search(unit(0, 1, 0, 0), ranged, 10)} == {i.id for i in archive[0][1]}

    def test_undated_items_fall_outside_any_date_range_on_the_vector_leg(self, loaded):
        doc, items = make_document("odaterad.txt", date=None, body="Revisionen", items=[
            ("budget", "budget utan datum", [], [unit(0, 1, 0, 0)]),
        ])
        loaded.write_document(doc, items)
        for dates in (Filters(date_to="2030-12-31"), Filters(date_from="1900-01-01")):
            assert items[0].id not in {h.item_id for h in loaded.vector_search(unit(0, 1, 0, 0), dates, 10)}
        assert loaded.vector_search(unit(0, 1, 0, 0), Filters(topic=("okänt ämne",)), 10) == []
        revision = Filters(body=("Revisionen", "Okänd nämnd"))
        assert [h.item_id for h in loaded.vector_search(unit(0, 1, 0, 0), revision, 10)] == [items[0].id]

    def test_rewrite_replaces_vectors(self, loaded, archive):
        new_doc, new_items = make_document("rs-2021.txt", checksum="c2", items=[
            ("ny rubrik", "helt ny text om spårväg", [], [unit(0, 0, 1, 1)]),
        ])
        loaded.write_document(new_doc, new_items)
        # the old vectors are gone: nothing is close to the old first item's vector any more
        assert loaded.vector_search(unit(1, 0, 0, 0), Filters(), 10)[0].score < 0.5
        assert loaded.vector_search(unit(0, 0, 1, 1), Filters(), 1)[0].item_id == new_items[0].id


class FilterFacetConformance(StoreFixtures):
    """Filters (OR within a facet, AND across), browsing, facet values and counts."""

    def test_filters_or_within_and_across_fields(self, loaded, archive):
        both_bodies = Filters(body=("Regionstyrelsen", "Kommunstyrelsen"))
        assert len(loaded.keyword_search(kq("budget"), both_bodies, 10)) == 2
        across = Filters(body=("Regionstyrelsen", "Kommunstyrelsen"), organisation=("Göteborgs Stad",))
        assert [h.item_id for h in loaded.keyword_search(kq("budget"), across, 10)] == [archive[2][1][0].id]
        assert loaded.filtered_ids(across, 10) == [archive[2][1][0].id]
        assert loaded.keyword_search(kq("budget"), Filters(body=("Okänd nämnd",)), 10) == []

    def test_filter_year_topic_doc_type_dates(self, loaded, archive):
        assert {h.item_id for h in loaded.keyword_search(kq("budget"), Filters(year=(2020,)), 10)} == {archive[1][1][0].id}
        assert loaded.filtered_ids(Filters(topic=("ekonomi",)), 10) == [archive[0][1][1].id, archive[1][1][0].id]
        assert len(loaded.filtered_ids(Filters(doc_type=("möte",)), 10)) == 2
        ranged = Filters(date_from="2021-01-01", date_to="2021-12-31")
        assert loaded.filtered_ids(ranged, 10) == [i.id for i in archive[0][1]]
        assert loaded.keyword_search(kq("budget"), Filters(date_from="2025-01-01"), 10) == []

    def test_undated_items_fall_outside_any_date_range(self, loaded):
        doc, items = make_document("odaterad.txt", date=None, body="Revisionen", items=[
            ("budget", "budget utan datum", [], [unit(0, 1, 0, 0)]),
        ])
        loaded.write_document(doc, items)
        undated = items[0].id
        assert undated in {h.item_id for h in loaded.keyword_search(kq("budget"), Filters(), 10)}
        for dates in (Filters(date_to="2030-12-31"), Filters(date_from="1900-01-01")):
            assert undated not in {h.item_id for h in loaded.keyword_search(kq("budget"), dates, 10)}
            assert undated not in loaded.filtered_ids(dates, 100)
        # a filter value the store has never seen matches nothing, alone or beside a known one
        assert loaded.filtered_ids(Filters(topic=("okänt ämne",)), 10) == []
        revision = Filters(body=("Revisionen", "Okänd nämnd"))
        assert loaded.filtered_ids(revision, 10) == [undated]

    def test_filtered_ids_newest_first(self, loaded, archive):
        ids = loaded.filtered_ids(Filters(), 100)
        assert ids[0] == archive[2][1][0].id and len(ids) == 6
        assert loaded.filtered_ids(Filters(year=(2020,)), 100) == [i.id for i in archive[1][1]]

    def test_browsing_order_newest_then_document_then_position(self, store):
        """Undated items last; on one date by document id, then by position in the document."""
        written = [make_document(name, date=date, items=[(w, w, [], [unit(1, 0, 0, 0)]) for w in ("ett", "två")])
                   for name, date in (("a.txt", "2022-03-01"), ("b.txt", None), ("c.txt", "2022-03-01"),
                                      ("d.txt", "2023-01-01"))]
        for doc, items in written:
            store.write_document(doc, items)
        by_date = sorted(written[:1] + written[2:], key=lambda pair: (-int(pair[0].date.replace("-", "")), pair[0].id))
        expected = [item.id for _, items in [*by_date, written[1]] for item in items]
        assert store.filtered_ids(Filters(), 100) == expected
        assert store.filtered_ids(Filters(), 3) == expected[:3]
        assert store.filtered_ids(Filters(year=(2022,)), 100) == [i for i in expected if i not in
                                                                   {x.id for x in written[1][1] + written[3][1]}]

    def test_facet_values(self, loaded, archive):
        values = loaded.facet_values([archive[0][1][2].id])[archive[0][1][2].id]
        # a multi-valued facet in no set order (OpenSearch reads doc values, which sort them)
        assert sorted(values["topic"]) == ["folkhälsa", "pandemi"] and values["year"] == [2021]
        assert values["organisation"] == ["Region Test"] and values["doc_type"] == ["protokoll"]

    def test_count_facet_values(self, loaded, archive):
        ids = [item.id for _, items in archive for item in items] + ["no-such-item"]
        counts = loaded.count_facet_values(ids)
        values = loaded.facet_values(ids)
        for facet in FACET_FIELDS:
            expected: dict = {}
            for one in ids:
                for value in values.get(one, {}).get(facet, []):
                    expected[value] = expected.get(value, 0) + 1
            assert counts[facet] == expected, facet
        assert counts["topic"]["pandemi"] >= 1
        assert counts["year"] == loaded.stats().by_year
        one = loaded.count_facet_values([archive[0][1][2].id])
        assert one["year"] == {2021: 1} and one["body"] == {archive[0][0].body: 1}


class CaseConformance(StoreFixtures):
    """Cases: the items carrying a case key."""

    def test_case_items_follow_their_documents(self, store):
        """A case is the items carrying its key, in date order across documents; rewriting or
        removing a document changes its cases with it (no case record to keep in sync)."""
        key, other = "region-test:rs-2021-1", "goteborgs-stad:ks-2021-1"
        late, late_items = make_document("late.txt", date="2021-05-04", items=[
            ("beslut", "beslut i ärendet", [], [unit(1, 0, 0, 0)]),
            ("annat", "annat ärende", [], [unit(0, 1, 0, 0)]),
        ])
        early, early_items = make_document("early.txt", date="2021-02-01", body="Arbetsutskottet", items=[
            ("förslag", "förslag i ärendet", [], [unit(0, 0, 1, 0)]),
        ])
        late_items[0].case_keys = [key, other]
        late_items[1].case_keys = [other]
        early_items[0].case_keys = [key]
        store.write_document(late, late_items)
        store.write_document(early, early_items)
        assert store.case_item_ids(key) == [early_items[0].id, late_items[0].id]
        assert store.case_item_ids(other) == [late_items[0].id, late_items[1].id]
        assert store.case_item_ids("region-test:rs-1999-9") == []
        assert store.get_items([late_items[0].id])[0].case_keys == [key, other]
        assert store.get_document(early.id)[1][0].case_keys == [key]
        assert store.facet_values([late_items[1].id])[late_items[1].id]["case_keys"] == [other]
        rewritten, rewritten_items = make_document("late.txt", date="2021-05-04", checksum="c2", items=[
            ("beslut", "beslut i ett annat ärende", [], [unit(1, 0, 0, 0)]),
        ])
        store.write_document(rewritten, rewritten_items)
        assert store.case_item_ids(key) == [early_items[0].id]
        assert store.case_item_ids(other) == []
        store.delete_document(early.id)
        assert store.case_item_ids(key) == []


class IdentityConformance(StoreFixtures):
    """Which model's vectors a store holds, and what it refuses."""

    def test_refuses_vectors_of_another_model(self, store_factory):
        store_factory(embedding_model="model-a", dim=4)
        with pytest.raises(StoreError, match="model-a"):
            store_factory(embedding_model="model-b", dim=8)

    def test_refuses_another_dimension_of_the_same_model(self, store_factory):
        store_factory(embedding_model="model-a", dim=4)
        with pytest.raises(StoreError, match=r"'model-a' \(dim 4\).*'model-a' \(dim 8\)"):
            store_factory(embedding_model="model-a", dim=8)

    def test_opens_again_with_the_same_model_or_none(self, store_factory, archive):
        first = store_factory()
        for doc, items in archive:
            first.write_document(doc, items)
        first.close()  # a finished run (OpenSearch refreshes on close; another reader waits for it)
        for model, dim in ((EMBEDDING_MODEL, DIM), (None, None)):
            again = store_factory(embedding_model=model, dim=dim)
            assert again.stats().items == 6
            assert len(again.keyword_search(kq("budget"), Filters(), 10)) == 3

    def test_query_vector_of_wrong_dimension_is_refused(self, loaded):
        with pytest.raises(StoreError, match="3 dimensions"):
            loaded.vector_search(np.array([1.0, 0.0, 0.0]), Filters(), 5)

    def test_a_failed_write_keeps_the_previous_version(self, store, archive):
        doc, items = archive[0]
        store.write_document(doc, items)
        broken_doc, broken_items = make_document("rs-2021.txt", checksum="c2", items=[
            ("ny", "ny", [], [unit(1, 0, 0, 0)]),
            ("trasig", "trasig", [], [unit(0, 1, 0, 0)]),
        ])
        broken_items[1].vectors = None  # refused (SQLite: after the old items were deleted, rolled back)
        with pytest.raises(StoreError, match="no vectors"):
            store.write_document(broken_doc, broken_items)
        assert store.document_checksums()[doc.source][1] == "c1"
        assert [s.id for s in store.get_document(doc.id)[1]] == [i.id for i in items]


class RebuildConformance(StoreFixtures):
    """The optional rebuild capability (``Rebuildable.full_reindex``): the index is built anew
    beside the one being searched and replaces it at the end, or not at all."""

    def test_a_rebuild_holds_exactly_what_was_written_in_it(self, loaded, archive):
        with loaded.full_reindex():
            assert loaded.document_checksums() == {}  # the rebuild compares with the new index
            loaded.write_document(*archive[2])
            # searches still see the complete previous index while the new one is being built
            assert len(loaded.filtered_ids(Filters(), 100)) == 6 and loaded.stats().documents == 3
        assert loaded.filtered_ids(Filters(), 100) == [archive[2][1][0].id]
        assert list(loaded.document_checksums()) == [archive[2][0].source]
        loaded.write_document(*archive[1])  # writes after the rebuild go to the new index
        assert loaded.stats().documents == 2

    def test_rewriting_a_document_twice_in_a_rebuild_leaves_no_stale_items(self, store, archive):
        with store.full_reindex():
            store.write_document(*archive[0])
            smaller = make_document("rs-2021.txt", checksum="c2", items=[("ny", "ny text", [], [unit(1, 0, 0, 0)])])
            store.write_document(*smaller)
        assert store.stats().items == 1

    def test_a_failed_rebuild_keeps_the_previous_index(self, loaded, archive):
        with pytest.raises(RuntimeError, match="parse failure"):
            with loaded.full_reindex():
                loaded.write_document(*archive[0])
                raise RuntimeError("parse failure")
        assert loaded.stats().documents == 3 and len(loaded.filtered_ids(Filters(), 100)) == 6
        loaded.write_document(*archive[0])  # writes go to the serving index again
        assert loaded.stats().documents == 3


class StoreConformance(WriteReadConformance, KeywordConformance, VectorConformance, FilterFacetConformance,
                       CaseConformance, IdentityConformance):
    """Everything the store protocol promises (``indexer.store.base.Store``)."""
