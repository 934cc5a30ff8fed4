"""The store protocol that the indexer writes to and the search service reads from.

Stores only retrieve: each leg (keyword, vector) returns its own ranking. Fusion, facets
semantics and presentation live above the store (``search_api``) so every backend ranks alike.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from indexer.records import DocumentMeta, IndexedItem
from indexer.store.facets import FACET_BY_NAME, FACET_FIELDS, FACETS, Facet
from models.query import PARTS_NEAR, KeywordQuery, matching_mask

# re-exported: the facet table (indexer.store.facets) and the analyzed query (models.query)
__all__ = ["FACET_FIELDS", "FACETS", "PARTS_NEAR", "Facet", "KeywordQuery", "matching_mask"]



@dataclass(frozen=True)
class Filters:
    """Facet filters: OR within a field, AND across fields; dates are ISO strings, inclusive."""

    organisation: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    topic: tuple[str, ...] = ()
    doc_type: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def without(self, facet: str) -> Filters:
        """The same filters with one facet field cleared (for disjunctive facet counts)."""
        from dataclasses import replace

        cleared: dict[str, Any] = {facet: ()}
        return replace(self, **cleared)

    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in FACET_FIELDS) and not self.date_from and not self.date_to


class StoreError(RuntimeError):
    """The store cannot be used as asked (wrong model, unreadable file, unreachable server, ...)."""


@dataclass(frozen=True)
class ModelIdentity:
    """What a store opening with an embedding model does about the model its vectors were built with.

    ``verdict``: ``ok`` (no model configured, or the same one), ``adopt`` (the store records no model
    yet: record the configured one), ``mismatch`` (refuse: vectors of two models cannot be compared;
    ``message`` says why and what to do)."""

    verdict: Literal["ok", "adopt", "mismatch"]
    message: str = ""


def check_model_identity(stored_model: str | None, stored_dim: int | None, model: str | None, dim: int | None,
                         *, store: str, remedy: str) -> ModelIdentity:
    """The identity guard every store runs on opening (``store`` names it in the message, ``remedy``
    says how to start afresh). A configured ``dim`` of None (the model's size not known yet) checks
    the model's name only."""
    if model is None:
        return ModelIdentity("ok")
    if stored_model is None:
        return ModelIdentity("adopt")
    if stored_model != model or (dim is not None and stored_dim != dim):
        return ModelIdentity("mismatch", (
            f"{store} was built with the embedding model {stored_model!r} (dim {stored_dim}); "
            f"the configured model is {model!r} (dim {dim}). {remedy}"))
    return ModelIdentity("ok")


def query_vector(vector: np.ndarray, dims: int | None) -> np.ndarray:
    """The query as one float32 row; ``StoreError`` when it does not have the store's ``dims``
    (None: the store does not know them yet, nothing to check)."""
    query = np.asarray(vector, dtype=np.float32).reshape(-1)
    if dims is not None and query.shape[0] != dims:
        raise StoreError(f"query vector has {query.shape[0]} dimensions, the store holds {dims}")
    return query


#: keyword field weights, the same in every store (SQLite: bm25 column weights; OpenSearch: the
#: title terms repeated this many times): title matches weigh more than body matches
TITLE_WEIGHT = 4.0
TEXT_WEIGHT = 1.0


@dataclass(frozen=True)
class Scored:
    item_id: str
    score: float


@dataclass
class StoredItem:
    """An item as read back from a store, with its document's metadata."""

    id: str
    document_id: str
    position: int
    number: int | None
    paragraph: int | None
    title: str
    title_derived: bool
    section: str | None
    text: str
    decisions: list[str]
    case_numbers: list[str]
    topics: list[str]
    organisation: str | None
    body: str | None
    date: str | None
    year: int | None
    doc_type: str | None
    source: str
    decision_kind: str | None = None  # "beslut" or "förslag"; None without decisions (or from an old store)
    # the document's first-indexed and last-changed times (UTC ISO 8601; None from an old store)
    first_indexed: str | None = None
    last_changed: str | None = None
    # the § as printed ("3 a") and the pages the item spans (PDF); None from an old store
    paragraph_label: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    # the document's publisher address, personnummer count and OCR mark (copied for hits)
    url: str | None = None
    personnummer_masked: int = 0
    ocr: bool = False
    # the case keys the item carries (indexer.cases.case_key); empty from a store indexed before cases
    case_keys: list[str] = field(default_factory=list)

    def facet_values(self, facet: str) -> list[Any]:
        """The item's values of one facet (``indexer.store.facets``): a list, empty for none."""
        return FACET_BY_NAME[facet].values_of(self)


def utc_now() -> str:
    """Now, as stores record it: UTC ISO 8601 with microseconds, so the strings sort in time order."""
    from datetime import datetime

    return datetime.now(UTC).isoformat(timespec="microseconds")


def document_times(previous: tuple[str, str | None, str | None] | None, checksum: str, now: str) -> tuple[str, str]:
    """``(first_indexed, last_changed)`` of a document about to be written, from what the store held
    for the same source (``(checksum, first_indexed, last_changed)``, or None): the first time is
    kept; the last-changed time moves only when the content did (a forced re-index or a --rebuild
    of an unchanged file keeps it). An old store without the times starts counting now."""
    if previous is None:
        return now, now
    old_checksum, first, changed = previous
    first = first or now
    if old_checksum == checksum and changed:
        return first, changed
    return first, now


@dataclass
class StoreStats:
    documents: int
    items: int
    by_organisation: dict[str, int] = field(default_factory=dict)
    by_body: dict[str, int] = field(default_factory=dict)
    by_year: dict[int, int] = field(default_factory=dict)
    newest_date_by_body: dict[str, str] = field(default_factory=dict)


def count_values(values: dict[str, dict[str, list[Any]]], item_ids: list[str]) -> dict[str, dict[Any, int]]:
    """``Store.count_facet_values`` from ``Store.facet_values``' answer, for backends without a faster way."""
    counts: dict[str, dict[Any, int]] = {facet: {} for facet in FACET_FIELDS}
    for item_id in item_ids:
        for facet, facet_counts in counts.items():
            for value in values.get(item_id, {}).get(facet, []):
                facet_counts[value] = facet_counts.get(value, 0) + 1
    return counts


@dataclass(frozen=True)
class LegsRequest:
    """The legs one search asks a store for, so a store can send them together (OpenSearch: one
    ``_msearch``).

    ``keyword``: the keyword query, strictest first, then the same query asking fewer words
    (``relaxations``); the first that has hits answers. ``vector``: the query vector, or a callable
    giving it (an embedding still running elsewhere: the default runs the keyword leg first, so the
    two overlap). ``unfiltered``: also the vector leg without filters and the archive's similarity
    statistics (the vector floor does not depend on the filters)."""

    keyword: tuple[KeywordQuery, ...] = ()
    vector: np.ndarray | Callable[[], np.ndarray] | None = None
    filters: Filters = field(default_factory=Filters)
    keyword_limit: int = 0
    vector_limit: int = 0
    unfiltered: bool = False

    def query_vector(self) -> np.ndarray | None:
        return self.vector() if callable(self.vector) else self.vector


@dataclass(frozen=True)
class Legs:
    """A store's answer to a ``LegsRequest``: each leg's ranking, best first.

    ``keyword_query``: the one of ``LegsRequest.keyword`` whose hits these are (None: none asked).
    ``unfiltered_vector``: the vector leg without filters (the same list as ``vector`` when no
    filter is set); ``vector_stats``: (mean, std) of the query's similarity over every item, None
    when the store cannot tell (the service then uses the candidates' distribution)."""

    keyword_query: KeywordQuery | None = None
    keyword: list[Scored] = field(default_factory=list)
    vector: list[Scored] = field(default_factory=list)
    unfiltered_vector: list[Scored] | None = None
    vector_stats: tuple[float, float] | None = None


def relaxations(query: KeywordQuery) -> tuple[KeywordQuery, ...]:
    """The query, then the same query asking one word fewer at a time, down to one word (a long
    paraphrase rarely shares all its words with the item)."""
    from dataclasses import replace

    return tuple(replace(query, minimum_match=need) for need in range(query.required(), 0, -1))


def sequential_legs(store: Store, request: LegsRequest) -> Legs:
    """``LegsRequest`` answered by the store's own leg methods, one after another: the default for
    a store without ``search_legs`` (SQLite, where each leg is a local call)."""
    asked, keyword = None, []
    for query in request.keyword:
        asked, keyword = query, store.keyword_search(query, request.filters, request.keyword_limit)
        if keyword:
            break
    vector = request.query_vector()
    if vector is None:
        return Legs(asked, keyword)
    unfiltered, stats = None, None
    if request.unfiltered:
        unfiltered = store.vector_search(vector, Filters(), request.vector_limit)
        score_stats = getattr(store, "vector_score_stats", None)
        stats = score_stats(vector) if score_stats is not None else None
    if unfiltered is not None and request.filters.is_empty():
        filtered = unfiltered
    else:
        filtered = store.vector_search(vector, request.filters, request.vector_limit)
    return Legs(asked, keyword, filtered, unfiltered, stats)


def run_legs(store: Store, request: LegsRequest) -> Legs:
    """The legs of one search: the store's ``search_legs`` where it has one, else one leg at a time."""
    own = getattr(store, "search_legs", None)
    return own(request) if own is not None else sequential_legs(store, request)


class Store(Protocol):
    """What every backend implements.

    Optional, looked up with ``getattr`` (a store without them gets the default):
    ``search_legs(request: LegsRequest) -> Legs`` sends a search's legs together (default:
    ``sequential_legs``); ``write_documents(pairs) -> failures`` writes a batch of documents in one
    go (each failure has ``document_id``; a failed document keeps its previous version; default:
    ``write_document`` per document); ``vector_score_stats(vector)``; ``all_case_keys()`` and
    ``items_without_case_keys()`` (cases of series-less numbers; an old store's missing keys); and the
    rebuild path, ``Rebuildable.full_reindex`` (without it a rebuild rewrites every document in place
    and deletes those not seen, ``indexer.pipeline``). ``tests/store_conformance.py`` checks all of it.
    """

    def document_checksums(self) -> dict[str, tuple[str, str]]:
        """``{source: (document_id, checksum)}`` for every indexed document."""

    def write_document(self, document: DocumentMeta, items: list[IndexedItem]) -> None:
        """Replace the document and all its items atomically (readers see old or new, never half)."""

    def delete_document(self, document_id: str) -> None:
        """Remove a document and its items."""

    def keyword_search(self, query: KeywordQuery, filters: Filters, limit: int) -> list[Scored]:
        """Items matching the query (``KeywordQuery.matches``, ``minimum_match``), best first (higher
        score is better)."""

    def vector_search(self, vector: np.ndarray, filters: Filters, limit: int) -> list[Scored]:
        """Items nearest the query vector (max over an item's passages), best first."""

    def facet_values(self, item_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
        """For each id: ``{facet: [values]}`` for every facet field, plus ``date`` and ``case_keys``; cheap, no text
        (the values of a multi-valued field in no set order)."""

    def count_facet_values(self, item_ids: list[str]) -> dict[str, dict[Any, int]]:
        """For each facet field, how many of these items carry each value (unknown ids are left out)."""

    def get_items(self, item_ids: list[str]) -> list[StoredItem]:
        """The items with these ids, in the order given (unknown ids are left out)."""

    def case_item_ids(self, case_key: str) -> list[str]:
        """Ids of the items carrying this case key, by date (undated last), document and position.

        A case is not stored as a record of its own: it is read from the items carrying its key
        whenever it is asked for, so re-indexing or removing a document changes its cases exactly.
        """

    def get_document(self, document_id: str) -> tuple[DocumentMeta, list[StoredItem]] | None:
        """A document and its items in document order."""

    def filtered_ids(self, filters: Filters, limit: int) -> list[str]:
        """Ids of items passing the filters, newest first (for browsing without a query)."""

    def stats(self) -> StoreStats:
        """Counts per organisation, body and year, and the newest meeting date per body."""

    def close(self) -> None:
        """Release connections and files."""


@runtime_checkable
class Rebuildable(Protocol):
    """The optional rebuild capability of a store (OpenSearch: a new versioned index, then one alias
    swap): ``with store.full_reindex(): ...write every document...`` builds the index anew beside the
    one being searched; the writes inside go to the new index (``document_checksums`` reads it, so
    every document is new), searches keep the old one until the block ends, and then the new one
    replaces it, or on an exception is dropped and the old one stays as it was.
    ``begin_full_reindex``/``finish_full_reindex``/``abort_full_reindex`` are the same steps apart."""

    def full_reindex(self) -> AbstractContextManager[object]:
        """The rebuild as a context manager (see the class)."""
        ...
