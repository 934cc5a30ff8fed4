"""The embedded store: one SQLite file; BM25 and exact vector search over in-memory copies.

Why this shape:
- FTS5 over the *analyzed* terms (the project's own analyzer produced them), so SQLite needs no
  Swedish knowledge; its ``unicode61`` tokenizer only splits on spaces and keeps ``-``. Beside
  it, each item's term hashes and counts (``item_terms``), from which searches score BM25 in
  memory (``postings``): FTS5's bm25() per match was the main cost at 100k items. FTS5 still
  answers phrase terms and stores written before ``item_terms``.
- WAL mode: readers (the API) keep answering while an index run writes; every document is
  replaced in one transaction, so a killed run leaves the last committed state.
- Vectors as float32 blobs, loaded into one in-memory matrix and searched exactly. At 100k items
  (~240k passages × 384 dims) that is ~370 MB and ~20 ms per query; no ANN index to keep in sync.
  Facet columns are kept beside it, so filters are numpy masks (``sqlite_memory``).
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from indexer.records import DocumentMeta, IndexedItem
from indexer.store import postings
from indexer.store.base import (
    FACETS,
    TEXT_WEIGHT,
    TITLE_WEIGHT,
    Filters,
    KeywordQuery,
    Scored,
    StoredItem,
    StoreError,
    StoreStats,
    check_model_identity,
    document_times,
    matching_mask,
    query_vector,
    utc_now,
)
from indexer.store.sqlite_memory import SearchMemory
from indexer.store.sqlite_memory import load as load_search_memory

SCHEMA_VERSION = "1"
DB_NAME = "motesok.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    checksum TEXT NOT NULL,
    format TEXT NOT NULL,
    organisation TEXT, body TEXT, date TEXT, year INTEGER, doc_type TEXT, title TEXT,
    inferred TEXT NOT NULL DEFAULT '[]',
    first_indexed TEXT, last_changed TEXT,  -- UTC ISO 8601 (base.document_times)
    url TEXT, personnummer_masked INTEGER NOT NULL DEFAULT 0, ocr INTEGER NOT NULL DEFAULT 0, ocr_confidence REAL
);
CREATE TABLE IF NOT EXISTS items (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents(id),
    position INTEGER NOT NULL,
    number INTEGER, paragraph INTEGER,
    title TEXT NOT NULL, title_derived INTEGER NOT NULL, section TEXT,
    text TEXT NOT NULL,
    decisions TEXT NOT NULL, case_numbers TEXT NOT NULL, topics TEXT NOT NULL,
    -- facet fields copied from the document so filters need no join
    organisation TEXT, body TEXT, date TEXT, year INTEGER, doc_type TEXT,
    decision_kind TEXT,
    paragraph_label TEXT, page_start INTEGER, page_end INTEGER,
    case_keys TEXT  -- JSON list (indexer.cases.case_key); NULL: written before cases existed
);
CREATE INDEX IF NOT EXISTS items_document ON items(document_id, position);
CREATE INDEX IF NOT EXISTS items_date ON items(date);
CREATE TABLE IF NOT EXISTS item_topics (item_rowid INTEGER NOT NULL, topic TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS item_topics_item ON item_topics(item_rowid);
CREATE INDEX IF NOT EXISTS item_topics_topic ON item_topics(topic);
-- a case is the items carrying its key: rows written and deleted with their item, in its transaction
CREATE TABLE IF NOT EXISTS item_case (case_key TEXT NOT NULL, item_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS item_case_key ON item_case(case_key);
CREATE INDEX IF NOT EXISTS item_case_item ON item_case(item_id);
CREATE TABLE IF NOT EXISTS passages (
    item_rowid INTEGER NOT NULL, idx INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (item_rowid, idx)
) WITHOUT ROWID;
-- each item's terms for in-memory BM25 (postings.py): 64-bit term hashes, title-weighted counts
CREATE TABLE IF NOT EXISTS item_terms (
    item_rowid INTEGER PRIMARY KEY, length INTEGER NOT NULL, hashes BLOB NOT NULL, weights BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(
    title, text, tokenize = "unicode61 remove_diacritics 0 tokenchars '-'"
);
"""

_ITEM_COLUMNS = (
    "i.rowid, i.id, i.document_id, i.position, i.number, i.paragraph, i.title, i.title_derived, "
    "i.section, i.text, i.decisions, i.case_numbers, i.topics, i.organisation, i.body, i.date, "
    "i.year, i.doc_type, d.source, i.decision_kind, d.first_indexed, d.last_changed, "
    "i.paragraph_label, i.page_start, i.page_end, d.url, d.personnummer_masked, d.ocr, i.case_keys"
)
# Columns added after the first release, with their types: an older store gets them on opening
# (NULL for the items it holds until they are indexed again).
_ADDED_ITEM_COLUMNS = {"decision_kind": "TEXT", "paragraph_label": "TEXT", "page_start": "INTEGER",
                       "page_end": "INTEGER", "case_keys": "TEXT"}
# (documents of an older store get NULL times; the next write of the source starts them)
_ADDED_DOCUMENT_COLUMNS = {"first_indexed": "TEXT", "last_changed": "TEXT", "url": "TEXT",
                           "personnummer_masked": "INTEGER NOT NULL DEFAULT 0", "ocr": "INTEGER NOT NULL DEFAULT 0",
                           "ocr_confidence": "REAL"}


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, added in (("items", _ADDED_ITEM_COLUMNS), ("documents", _ADDED_DOCUMENT_COLUMNS)):
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, sql_type in added.items():
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")


def _fts_phrase(term: str) -> str:
    # Every term is a quoted FTS5 string: query syntax in user input can never reach the parser.
    return '"' + term.replace('"', '""') + '"'


class SQLiteStore:
    """The embedded default store (see module docstring)."""

    def __init__(self, data_dir: Path, *, embedding_model: str | None = None, dim: int | None = None):
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {self.data_dir}: {exc.strerror}") from exc
        self.path = self.data_dir / DB_NAME
        self._lock = threading.RLock()  # orders the writing connection's users
        self._local = threading.local()  # each thread's reading connection
        self._readers: list[sqlite3.Connection] = []
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            _add_missing_columns(self._conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from exc
        self._check_model(embedding_model, dim)
        self._memory: SearchMemory | None = None  # vectors and facet columns, see sqlite_memory

    # -- model bookkeeping -------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _check_model(self, embedding_model: str | None, dim: int | None) -> None:
        """Vectors of two models cannot be compared: refuse to mix them (``base.check_model_identity``)."""
        stored_dim = self._meta("dim")
        identity = check_model_identity(
            self._meta("embedding_model"), int(stored_dim) if stored_dim and stored_dim.isdigit() else None,
            embedding_model, dim, store=f"the store in {self.data_dir}",
            remedy=f"Use another MOTESOK_DATA_DIR, or delete {self.path} and index again.")
        if identity.verdict == "mismatch":
            raise StoreError(identity.message)
        if identity.verdict == "adopt":
            with self._lock:
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('embedding_model', ?)", (embedding_model,))
                self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('dim', ?)", (str(dim),))

    # -- writing -------------------------------------------------------------------------

    def document_checksums(self) -> dict[str, tuple[str, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT source, id, checksum FROM documents").fetchall()
        return {source: (doc_id, checksum) for source, doc_id, checksum in rows}

    def write_document(self, document: DocumentMeta, items: list[IndexedItem]) -> None:
        """Also sets ``document.first_indexed``/``last_changed`` (kept from the previous version)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                previous = self._conn.execute(
                    "SELECT checksum, first_indexed, last_changed FROM documents WHERE id = ?", (document.id,)
                ).fetchone()
                document.first_indexed, document.last_changed = document_times(previous, document.checksum, utc_now())
                self._delete(document.id)
                self._conn.execute(
                    "INSERT INTO documents (id, source, checksum, format, organisation, body, date, year, "
                    "doc_type, title, inferred, first_indexed, last_changed, url, personnummer_masked, ocr, "
                    "ocr_confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        document.id, document.source, document.checksum, document.format,
                        document.organisation, document.body, document.date, document.year,
                        document.doc_type, document.title, json.dumps(document.inferred),
                        document.first_indexed, document.last_changed, document.url,
                        document.personnummer_masked, int(document.ocr), document.ocr_confidence,
                    ),
                )
                for indexed in items:
                    self._insert_item(document, indexed)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _insert_item(self, document: DocumentMeta, indexed: IndexedItem) -> None:
        if indexed.vectors is None:  # as OpenSearch refuses it: an item without vectors is never found by meaning
            raise StoreError(f"item {indexed.id} has no vectors")
        item = indexed.item
        cursor = self._conn.execute(
            "INSERT INTO items (id, document_id, position, number, paragraph, title, title_derived, "
            "section, text, decisions, case_numbers, topics, organisation, body, date, year, doc_type, "
            "decision_kind, paragraph_label, page_start, page_end, case_keys) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                indexed.id, indexed.document_id, indexed.position, item.number, item.paragraph,
                item.title, int(item.title_derived), item.section, item.text,
                json.dumps(item.decisions, ensure_ascii=False), json.dumps(item.case_numbers, ensure_ascii=False),
                json.dumps(indexed.topics, ensure_ascii=False),
                document.organisation, document.body, document.date, document.year, document.doc_type,
                item.decision_kind, item.paragraph_label, item.page_start, item.page_end,
                json.dumps(indexed.case_keys, ensure_ascii=False),
            ),
        )
        rowid = cursor.lastrowid
        self._conn.executemany("INSERT INTO item_case VALUES (?,?)",
                               [(key, indexed.id) for key in dict.fromkeys(indexed.case_keys)])
        self._conn.execute(
            "INSERT INTO items_fts (rowid, title, text) VALUES (?,?,?)",
            (rowid, indexed.title_terms, indexed.text_terms),
        )
        self._conn.execute(
            "INSERT INTO item_terms VALUES (?,?,?,?)",
            (rowid, *postings.item_terms(indexed.title_terms, indexed.text_terms, TITLE_WEIGHT, TEXT_WEIGHT)),
        )
        self._conn.executemany(
            "INSERT INTO item_topics VALUES (?,?)", [(rowid, topic) for topic in indexed.topics]
        )
        vectors = np.asarray(indexed.vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        self._conn.executemany(
            "INSERT INTO passages VALUES (?,?,?)",
            [(rowid, idx, vector.tobytes()) for idx, vector in enumerate(vectors)],
        )

    def _delete(self, document_id: str) -> None:
        rowids = [r[0] for r in self._conn.execute("SELECT rowid FROM items WHERE document_id = ?", (document_id,))]
        for chunk in _chunks(rowids, 500):
            marks = ",".join("?" * len(chunk))
            self._conn.execute(f"DELETE FROM items_fts WHERE rowid IN ({marks})", chunk)
            self._conn.execute(f"DELETE FROM item_topics WHERE item_rowid IN ({marks})", chunk)
            self._conn.execute(f"DELETE FROM item_terms WHERE item_rowid IN ({marks})", chunk)
            self._conn.execute(f"DELETE FROM passages WHERE item_rowid IN ({marks})", chunk)
        self._conn.execute("DELETE FROM item_case WHERE item_id IN (SELECT id FROM items WHERE document_id = ?)",
                           (document_id,))
        self._conn.execute("DELETE FROM items WHERE document_id = ?", (document_id,))
        self._conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    def delete_document(self, document_id: str) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._delete(document_id)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # -- retrieval -------------------------------------------------------------------------

    def keyword_search(self, query: KeywordQuery, filters: Filters, limit: int) -> list[Scored]:
        terms = query.terms()
        if not terms:
            return []
        memory = self._search_memory()
        if memory.postings is not None and all(postings.is_single_token(t) for t in terms):
            index, scores = memory.postings_scores(terms)
        else:  # a store written before item_terms existed, or a term FTS5 reads as a phrase
            match = " OR ".join(_fts_phrase(t) for t in terms)
            # FTS5 computes bm25 for every match anyway (ORDER BY … LIMIT does not save that), so
            # all matches are scored once per query and each set of filters picks from them.
            index, scores = memory.keyword_scores(match, self._reader(),
                                                  f"bm25(items_fts, {TITLE_WEIGHT}, {TEXT_WEIGHT})")
        # Scores come from every term; only items that match the query's words count as hits.
        reader = self._reader()
        matching = matching_mask(query, lambda terms: memory.terms_mask(terms, reader), len(memory.rowids))
        keep = memory.mask(filters)
        if keep is not None:
            matching &= keep
        chosen = matching[index]
        index, scores = index[chosen], scores[chosen]
        return [Scored(item_id, score) for item_id, score in memory.top(index, scores, limit)]

    def _search_memory(self) -> SearchMemory:
        """The in-memory search state, reloaded when another connection or this one changed the data."""
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            generation = (version, self._conn.total_changes)
            if self._memory is None or self._memory.generation != generation:
                self._memory = None  # the old copy goes first: two at once would double the peak
                self._memory = load_search_memory(self._conn, generation)
                # Keep the cyclic GC from walking the hundreds of thousands of long-lived objects
                # (ids, facet rows, the analyzer's) on every full collection: at 100k items one
                # took 120-200 ms, in the middle of a search. Frozen objects are still freed by
                # reference counting when the next reload drops them.
                gc.freeze()
            return self._memory

    def vector_search(self, vector: np.ndarray, filters: Filters, limit: int) -> list[Scored]:
        memory = self._search_memory()
        vectors = memory.vectors
        if len(vectors) == 0:
            return []
        query = query_vector(vector, vectors.dims)
        approximate = memory.vector_scores(query)  # the scan runs outside the lock: other searches go on
        keep = memory.mask(filters)
        if keep is not None:
            approximate = np.where(keep, approximate, -np.inf)
        index = vectors.candidates(approximate, limit, vectors.rescore_margin(query))
        exact = vectors.exact_scores(index, query)
        return [Scored(item_id, score) for item_id, score in memory.top(index, exact, limit)]

    def vector_score_stats(self, vector: np.ndarray) -> tuple[float, float] | None:
        """Mean and standard deviation of the query's best-passage similarity over every item
        (the int8 scan's scores: cached for the search that follows); None for an empty store."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        memory = self._search_memory()
        if len(memory.vectors) == 0 or query.shape[0] != memory.vectors.dims:
            return None
        scores = memory.vector_scores(query)
        scores = scores[np.isfinite(scores)]
        return (float(scores.mean()), float(scores.std())) if len(scores) else None

    def filtered_ids(self, filters: Filters, limit: int) -> list[str]:
        return self._search_memory().browse(filters, limit)

    def facet_values(self, item_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
        rows = self._search_memory().facet_rows
        out: dict[str, dict[str, list[Any]]] = {}
        for item_id in item_ids:
            row = rows.get(item_id)
            if row is not None:
                *values, date, case_keys = row
                out[item_id] = {facet.name: list(value) if facet.multi else ([] if value in (None, "") else [value])
                                for facet, value in zip(FACETS, values)}
                out[item_id]["date"] = [date] if date else []
                out[item_id]["case_keys"] = list(case_keys)
        return out

    def count_facet_values(self, item_ids: list[str]) -> dict[str, dict[Any, int]]:
        return self._search_memory().count_values(item_ids)

    def get_items(self, item_ids: list[str]) -> list[StoredItem]:
        found: dict[str, StoredItem] = {}
        conn = self._reader()
        for chunk in _chunks(item_ids, 500):
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM items i JOIN documents d ON d.id = i.document_id "
                f"WHERE i.id IN ({marks})",
                chunk,
            ):
                stored = _row_to_item(row)
                found[stored.id] = stored
        return [found[i] for i in item_ids if i in found]

    def case_item_ids(self, case_key: str) -> list[str]:
        rows = self._reader().execute(
            "SELECT i.id FROM item_case c JOIN items i ON i.id = c.item_id WHERE c.case_key = ? "
            "ORDER BY i.date IS NULL, i.date, i.document_id, i.position",
            (case_key,),
        ).fetchall()
        return [r[0] for r in rows]

    def all_case_keys(self) -> list[str]:
        """Every case key the store holds (optional store method: the service reads it to join a
        series-less number to its series' case, ``indexer.cases.series_less_aliases``)."""
        return [r[0] for r in self._reader().execute("SELECT DISTINCT case_key FROM item_case").fetchall()]

    def items_without_case_keys(self) -> int:
        """Items written before case keys existed (an older store): their cases are missing until
        they are indexed again (``motesok index --rebuild``)."""
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM items WHERE case_keys IS NULL").fetchone()[0]

    def get_document(self, document_id: str) -> tuple[DocumentMeta, list[StoredItem]] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT source, checksum, format, organisation, body, date, year, doc_type, title, inferred, "
                "first_indexed, last_changed, url, personnummer_masked, ocr, ocr_confidence "
                "FROM documents WHERE id = ?",
                (document_id,),
            ).fetchone()
            if row is None:
                return None
            items = [
                _row_to_item(r)
                for r in self._conn.execute(
                    f"SELECT {_ITEM_COLUMNS} FROM items i JOIN documents d ON d.id = i.document_id "
                    f"WHERE i.document_id = ? ORDER BY i.position",
                    (document_id,),
                )
            ]
        (source, checksum, fmt, organisation, body, date, year, doc_type, title, inferred, first, changed,
         url, masked, ocr, ocr_confidence) = row
        meta = DocumentMeta(
            source=source, checksum=checksum, format=fmt, organisation=organisation, body=body,
            date=date, year=year, doc_type=doc_type, title=title, inferred=json.loads(inferred),
            first_indexed=first, last_changed=changed, url=url, personnummer_masked=masked or 0,
            ocr=bool(ocr), ocr_confidence=ocr_confidence,
        )
        return meta, items

    def stats(self) -> StoreStats:
        with self._lock:
            documents = self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            items = self._conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            grouped = {
                field: dict(
                    self._conn.execute(
                        f"SELECT {field}, COUNT(*) FROM items WHERE {field} IS NOT NULL GROUP BY {field} "
                        f"ORDER BY COUNT(*) DESC, {field}"
                    ).fetchall()
                )
                for field in ("organisation", "body", "year")
            }
            newest = dict(
                self._conn.execute(
                    "SELECT body, MAX(date) FROM documents WHERE body IS NOT NULL AND date IS NOT NULL GROUP BY body"
                ).fetchall()
            )
        return StoreStats(
            documents=documents, items=items, by_organisation=grouped["organisation"],
            by_body=grouped["body"], by_year=grouped["year"], newest_date_by_body=newest,
        )

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for searches. WAL lets readers run side by side, while one
        shared connection would make concurrent requests wait for each other."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._conn.close()


def _row_to_item(row: tuple) -> StoredItem:
    (_rowid, item_id, document_id, position, number, paragraph, title, title_derived, section, text,
     decisions, case_numbers, topics, organisation, body, date, year, doc_type, source, decision_kind,
     first_indexed, last_changed, paragraph_label, page_start, page_end, url, masked, ocr, case_keys) = row
    return StoredItem(
        id=item_id, document_id=document_id, position=position, number=number, paragraph=paragraph,
        title=title, title_derived=bool(title_derived), section=section, text=text,
        decisions=json.loads(decisions), case_numbers=json.loads(case_numbers), topics=json.loads(topics),
        organisation=organisation, body=body, date=date, year=year, doc_type=doc_type, source=source,
        decision_kind=decision_kind, first_indexed=first_indexed, last_changed=last_changed,
        paragraph_label=paragraph_label, page_start=page_start, page_end=page_end, url=url,
        personnummer_masked=masked or 0, ocr=bool(ocr), case_keys=json.loads(case_keys) if case_keys else [],
    )


def _chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]

