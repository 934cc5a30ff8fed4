"""What the SQLite store keeps in memory for searching: the passage matrix and the facet columns.

SQLite holds everything; this is a read-only copy, rebuilt when the database changes, so that
the parts of a search that touch every item run as numpy operations instead of SQL:
- the vector leg: an int8 scan over every passage, best passage per item, and the best
  candidates rescored exactly (``vectors``);
- filters: a boolean mask over all items from coded columns (a few hundred µs at 100k items,
  where ``SELECT rowid … WHERE body IN (…)`` plus ``np.isin`` took tens of ms); browsing without a
  query (``filtered_ids``) picks from the same mask in date order, so one filter engine serves all;
- facets: one coded column per facet of the table (``indexer.store.facets``), counted as bincounts;
- the keyword leg: BM25 from in-memory postings (``postings``), once per query; each set of
  filters (the facet re-runs) picks from those scores with the mask.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.store.base import FACETS, PARTS_NEAR, Filters
from indexer.store.postings import Postings, is_single_token
from indexer.store.vectors import PassageVectors

#: per query: the last few vector and keyword score arrays (a search with active filters
#: re-runs both legs once per facet, with the same query)
CACHE_ENTRIES = 8


@dataclass
class _Coded:
    """A text facet column as integer codes (-1: no value)."""

    codes: np.ndarray
    code_of: dict[str, int]

    @classmethod
    def build(cls, values: list) -> _Coded:
        code_of: dict[Any, int] = {}
        codes = np.fromiter((-1 if v is None or v == "" else code_of.setdefault(v, len(code_of)) for v in values),
                            dtype=np.int32, count=len(values))
        return cls(codes, code_of)

    def count(self, index: np.ndarray) -> dict[Any, int]:
        """How many of the items at ``index`` carry each value."""
        return _count_codes(self.codes[index], list(self.code_of))

    def mask(self, wanted: tuple[Any, ...]) -> np.ndarray:
        wanted_codes = [self.code_of[v] for v in wanted if v in self.code_of]
        return np.isin(self.codes, np.asarray(wanted_codes, dtype=np.int32))


@dataclass
class _MultiCoded:
    """A multi-valued facet column (a JSON list per item) as (item index, value code) pairs."""

    items: np.ndarray  # item index of each pair
    codes: np.ndarray  # value code of each pair
    code_of: dict[Any, int]

    @classmethod
    def build(cls, lists: list[tuple]) -> _MultiCoded:
        code_of: dict[Any, int] = {}
        pairs = [(i, code_of.setdefault(v, len(code_of))) for i, values in enumerate(lists) for v in values]
        return cls(np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs], dtype=np.int32),
                   code_of)

    def count(self, chosen: np.ndarray) -> dict[Any, int]:
        """How many of the ``chosen`` items (a mask over all items) carry each value."""
        return _count_codes(self.codes[chosen[self.items]], list(self.code_of))

    def mask(self, wanted: tuple[Any, ...], size: int) -> np.ndarray:
        wanted_codes = [self.code_of[v] for v in wanted if v in self.code_of]
        keep = np.zeros(size, dtype=bool)
        keep[self.items[np.isin(self.codes, np.asarray(wanted_codes, dtype=np.int32))]] = True
        return keep


def _count_codes(codes: np.ndarray, names: list) -> dict:
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    return {names[code]: int(counts[code]) for code in np.flatnonzero(counts)}


@dataclass
class SearchMemory:
    generation: tuple[int, int]
    rowids: np.ndarray  # every item's rowid, ascending
    ids: np.ndarray  # item ids, aligned with rowids (object array)
    index_of: dict[str, int]  # item id → its index in rowids
    # item id → (each facet's raw value in FACETS order: a value or None, a tuple for a multi-valued
    # facet; then date, case_keys)
    facet_rows: dict[str, tuple]
    single: dict[str, _Coded]  # facet name → its column (single-valued facets)
    multi: dict[str, _MultiCoded]  # facet name → its pairs (multi-valued facets)
    dates: np.ndarray  # ISO strings, "" where unknown
    document_ids: np.ndarray  # aligned with rowids (object array), for the browsing order
    positions: np.ndarray
    vectors: PassageVectors
    postings: Postings | None  # None: some item has no item_terms row (a store from before them)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _vector_cache: dict = field(default_factory=dict)
    _keyword_cache: dict = field(default_factory=dict)
    _browse_order: np.ndarray | None = None

    # -- filters -------------------------------------------------------------------------

    def mask(self, filters: Filters) -> np.ndarray | None:
        """Items that pass the filters (OR within a field, AND across); None: no filter."""
        if filters.is_empty():
            return None
        keep = np.ones(len(self.rowids), dtype=bool)
        for name, column in self.single.items():
            wanted = getattr(filters, name)
            if wanted:
                keep &= column.mask(wanted)
        for name, pairs in self.multi.items():
            wanted = getattr(filters, name)
            if wanted:
                keep &= pairs.mask(wanted, len(self.rowids))
        if filters.date_from or filters.date_to:
            keep &= self.dates != ""
            if filters.date_from:
                keep &= self.dates >= filters.date_from
            if filters.date_to:
                keep &= self.dates <= filters.date_to
        return keep

    def browse(self, filters: Filters, limit: int) -> list[str]:
        """Ids of the items passing the filters, newest first (undated last), then by document and
        position: browsing without a query."""
        order = self.browse_order()
        keep = self.mask(filters)
        if keep is not None:
            order = order[keep[order]]
        return [self.ids[i] for i in order[:max(limit, 0)]]

    def browse_order(self) -> np.ndarray:
        """Every item's index in browsing order, sorted once per load (when first browsed)."""
        with self._lock:
            if self._browse_order is None:
                date_rank = np.unique(self.dates, return_inverse=True)[1]
                document_rank = np.unique(self.document_ids.astype(str), return_inverse=True)[1]
                # np.lexsort's last key sorts first: undated last, newest date, document id, position
                self._browse_order = np.lexsort((self.positions, document_rank, -date_rank, self.dates == ""))
            return self._browse_order

    # -- facets --------------------------------------------------------------------------

    def count_values(self, item_ids: list[str]) -> dict[str, dict]:
        """Facet counts over these items as bincounts of the coded columns (a dict per item and
        a Counter per facet cost ~15 ms for the ~1,000 candidates of a search at 100k items)."""
        found = (self.index_of.get(i, -1) for i in item_ids)
        index = np.fromiter(found, dtype=np.int64, count=len(item_ids))
        index = index[index >= 0]
        chosen = np.zeros(len(self.rowids), dtype=bool)
        chosen[index] = True
        return {facet.name: (self.multi[facet.name].count(chosen) if facet.multi
                             else self.single[facet.name].count(index)) for facet in FACETS}

    # -- scores --------------------------------------------------------------------------

    def vector_scores(self, query: np.ndarray) -> np.ndarray:
        """Every item's approximate best-passage similarity (-inf for an item without passages);
        ``vectors.exact_scores`` rescores the candidates."""
        key = query.tobytes()
        scores = self._vector_cache.get(key)
        if scores is None:
            scores = self.vectors.approximate_scores(query)
            self._remember(self._vector_cache, key, scores)
        return scores

    def keyword_scores(self, match: str, conn: sqlite3.Connection, rank_sql: str) -> tuple[np.ndarray, np.ndarray]:
        """(item indexes, scores) of every item FTS5 matches, higher is better."""
        found = self._keyword_cache.get(match)
        if found is None:
            rows = conn.execute(f"SELECT rowid, {rank_sql} FROM items_fts WHERE items_fts MATCH ?", (match,)).fetchall()
            rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            scores = -np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))  # bm25: lower is better
            index = np.searchsorted(self.rowids, rowids)
            index = np.minimum(index, max(len(self.rowids) - 1, 0))
            known = (self.rowids[index] == rowids) if len(self.rowids) else np.zeros(0, dtype=bool)
            found = (index[known], scores[known])
            self._remember(self._keyword_cache, match, found)
        return found

    def postings_scores(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """As ``keyword_scores``, from the in-memory postings."""
        key = ("postings", tuple(terms))
        found = self._keyword_cache.get(key)
        if found is None:
            if self.postings is None:  # the caller asks only a store that has them (else FTS5 answers)
                raise ValueError("this store holds no postings (written before item_terms)")
            found = self.postings.scores(terms)
            self._remember(self._keyword_cache, key, found)
        return found

    def terms_mask(self, terms: tuple[str, ...], conn: sqlite3.Connection) -> np.ndarray:
        """Which items hold all ``terms`` near each other (``PARTS_NEAR``; one term: anywhere):
        from the postings, or FTS5 (several terms, a phrase term, an old store)."""
        if len(terms) == 1 and self.postings is not None and is_single_token(terms[0]):
            return self.postings.present(terms[0])
        key = ("mask", terms)
        found = self._keyword_cache.get(key)
        if found is not None:
            return found
        quoted = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        match = f"NEAR({quoted}, {PARTS_NEAR})" if len(terms) > 1 else quoted
        rows = conn.execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ?", (match,)).fetchall()
        rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        mask = np.zeros(len(self.rowids), dtype=bool)
        if len(rowids) and len(self.rowids):
            index = np.minimum(np.searchsorted(self.rowids, rowids), len(self.rowids) - 1)
            mask[index[self.rowids[index] == rowids]] = True
        self._remember(self._keyword_cache, key, mask)
        return mask

    def _remember(self, cache: dict, key, value) -> None:
        with self._lock:
            cache[key] = value
            while len(cache) > CACHE_ENTRIES:
                cache.pop(next(iter(cache)))

    def top(self, index: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[str, float]]:
        """The best ``limit`` (item id, score), ties broken by rowid, without sorting them all."""
        finite = np.isfinite(scores)
        if not finite.all():
            index, scores = index[finite], scores[finite]
        k = min(limit, len(scores))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.lexsort((self.rowids[index[best]], -scores[best]))]
        return [(self.ids[i], float(s)) for i, s in zip(index[best], scores[best])]


def load(conn: sqlite3.Connection, generation: tuple[int, int]) -> SearchMemory:
    """Read the search state from the database (the caller holds the writer's lock)."""
    # each facet's column (a multi-valued one: a JSON list), then date, case keys, document, position
    columns = ", ".join(facet.item_field for facet in FACETS)
    rows = conn.execute(
        f"SELECT rowid, id, {columns}, date, case_keys, document_id, position FROM items ORDER BY rowid"
    ).fetchall()
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    ids = np.array([r[1] for r in rows], dtype=object)
    first, after = 2, 2 + len(FACETS)  # where the facet columns lie in a row
    values = [tuple(tuple(json.loads(v or "[]")) if facet.multi else v for facet, v in zip(FACETS, r[first:after]))
              for r in rows]
    facet_rows = {r[1]: (*v, r[after], tuple(json.loads(r[after + 1])) if r[after + 1] else ())
                  for r, v in zip(rows, values)}
    single = {facet.name: _Coded.build([v[n] for v in values]) for n, facet in enumerate(FACETS) if not facet.multi}
    multi = {facet.name: _MultiCoded.build([v[n] for v in values]) for n, facet in enumerate(FACETS) if facet.multi}

    vectors = PassageVectors.build(*_read_passages(conn), rowids)
    terms = conn.execute("SELECT item_rowid, length, hashes, weights FROM item_terms ORDER BY item_rowid").fetchall()
    term_rowids = np.fromiter((r[0] for r in terms), dtype=np.int64, count=len(terms))
    if len(term_rowids) == len(rowids) and np.array_equal(term_rowids, rowids):
        index = np.arange(len(rowids))
        lengths = np.fromiter((r[1] for r in terms), dtype=np.float32, count=len(terms))
        item_postings = Postings.build(index, lengths, [r[2] for r in terms], [r[3] for r in terms], len(rowids))
    else:
        item_postings = None
    del terms
    return SearchMemory(
        generation=generation, rowids=rowids, ids=ids, index_of={r[1]: i for i, r in enumerate(rows)},
        facet_rows=facet_rows, single=single, multi=multi,
        dates=np.array([r[after] or "" for r in rows], dtype=str) if rows else np.zeros(0, dtype="U10"),
        document_ids=np.array([r[after + 2] for r in rows], dtype=object),
        positions=np.fromiter((r[after + 3] for r in rows), dtype=np.int64, count=len(rows)),
        vectors=vectors, postings=item_postings,
    )


def _read_passages(conn: sqlite3.Connection, batch: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, each row's item rowid), ordered by item, filled in batches: fetching all rows and
    joining their blobs would hold the vectors three times over at the peak."""
    count, size = conn.execute("SELECT count(*), max(length(vector)) FROM passages").fetchone()
    if not count:
        return np.zeros((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int64)
    matrix = np.empty((count, size // 4), dtype=np.float32)
    items = np.empty(count, dtype=np.int64)
    cursor = conn.execute("SELECT item_rowid, vector FROM passages ORDER BY item_rowid, idx")
    row = 0
    while rows := cursor.fetchmany(batch):
        items[row:row + len(rows)] = [r[0] for r in rows]
        blob = b"".join(r[1] for r in rows)
        matrix[row:row + len(rows)] = np.frombuffer(blob, dtype=np.float32).reshape(len(rows), -1)
        row += len(rows)
    return matrix[:row], items[:row]
