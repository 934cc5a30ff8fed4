"""The OpenSearch store: the same protocol as the SQLite store, on an OpenSearch cluster.

Layout (see docs/opensearch.md for the reasoning):

- One index behind an alias (``settings.opensearch_index``, default ``motesok``). The concrete index
  is versioned, ``{alias}-v{timestamp}``; a full reindex builds a new one and swaps the alias in one
  ``_aliases`` call, so searches see the old index or the new one, never a half-built one.
- Three kinds of OpenSearch documents in that index, told apart by the ``kind`` keyword:
  ``document`` (source, checksum, format, metadata: what ``document_checksums`` and ``get_document``
  read), ``item`` (one per agenda item: text, analysed terms, facet fields; the keyword leg, facets,
  browsing and read-back) and ``passage`` (one per passage vector, with the item's id and a copy of
  its facet fields; the kNN leg). Keeping them in one index means one alias swap moves all of it.
- kNN over passage documents, then "best passage per item" in Python (first hit of each item in
  score order), asking for more passages when too few distinct items came back. Nested vectors
  would also work on recent OpenSearch, but their filter and ``k`` semantics changed between 2.x
  releases; flat passage documents with an ordinary ``filter`` behave the same on every 2.x/3.x.
- Keyword matching runs over the *pre-analysed* terms the project's own analyzer produced
  (``title_terms``/``text_terms``), split on whitespace and lowercased, so this store and the SQLite
  store match the same terms. The raw title/text are also indexed with the Swedish analysis chain
  (decompounder, stop words, synonyms, stemmer overrides; files from ``motesok export-analysis``)
  for highlighting and for people querying the cluster directly.

Everything that builds a request body is a pure function at module level (tested as data in
tests/test_opensearch_requests.py); ``OpenSearchStore`` only sends them and reads the answers.
"""

from __future__ import annotations

import copy
import logging
import re
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from indexer.records import DocumentMeta, IndexedItem
from indexer.store.base import (
    FACET_FIELDS, PARTS_NEAR, Filters, KeywordQuery, Legs, LegsRequest, Scored, StoredItem, StoreStats,
    count_values, document_times, utc_now,
)
from indexer.store.sqlite import TEXT_WEIGHT, TITLE_WEIGHT, StoreError

log = logging.getLogger("motesok.store.opensearch")

SCHEMA_VERSION = "1"

KIND_DOCUMENT = "document"
KIND_ITEM = "item"
KIND_PASSAGE = "passage"
# Fields added after the first mapping: an older index gets them by put_mapping on opening (its
# documents and items lack them until they are written again). ``index: False`` where nothing searches.
ADDED_FIELDS_DOCUMENT: dict[str, dict[str, Any]] = {
    # UTC ISO 8601 strings (sortable as strings), copied onto items: base.document_times
    "first_indexed": {"type": "keyword"}, "last_changed": {"type": "keyword"},
    "url": {"type": "keyword", "index": False}, "personnummer_masked": {"type": "integer"},
    "ocr": {"type": "boolean"}, "ocr_confidence": {"type": "float", "index": False},
}
ADDED_FIELDS_ITEM: dict[str, dict[str, Any]] = {
    "decision_kind": {"type": "keyword"},  # "beslut" or "förslag"
    "paragraph_label": {"type": "keyword", "index": False}, "page_start": {"type": "integer"},
    "page_end": {"type": "integer"},
    "case_keys": {"type": "keyword"},  # indexer.cases.case_key: the case lookup (case_item_ids)
}

#: The field keyword search scores: the title terms TITLE_WEIGHT times, then the text terms, under
#: FTS5_SIMILARITY, so one saturation runs over the title-weighted count as in the SQLite store.
WEIGHTED_FIELD = "weighted_terms"
FTS5_SIMILARITY = "motesok_fts5"
#: Analyzer over the pre-analysed terms: whitespace split + lowercase (like SQLite's unicode61).
TERMS_ANALYZER = "motesok_terms"
#: Analyzer used for raw text when no Swedish analysis settings are given.
FALLBACK_TEXT_ANALYZER = "motesok_text"
#: Where the Swedish analysis files lie, relative to the OpenSearch config directory
#: (docker-compose.yml mounts deploy/opensearch/analysis at /usr/share/opensearch/config/analysis).
ANALYSIS_DIR_IN_CLUSTER = "analysis"

#: Index field of each facet in ``Filters``/``FACET_FIELDS``.
FACET_INDEX_FIELD = {"organisation": "organisation", "body": "body", "year": "year", "topic": "topics",
                     "doc_type": "doc_type"}

PAGE_SIZE = 1000  # hits per search request when paging with search_after
MAX_WINDOW = 10_000  # OpenSearch's default index.max_result_window, also the k-NN ceiling for k
EF_SEARCH = 100  # HNSW search breadth (faiss: the mapping's method parameter or the query's method_parameters)
AUTO_EXPAND_REPLICAS = "0-1"
MAX_QUERY_TERMS = 400  # two clauses per term stays under the default max_clause_count of 1024
FACET_SIZE = 10_000  # buckets per terms aggregation
MGET_CHUNK = 1000
MAX_TERMS_IDS = 10_000  # ids per ids query (well under index.max_terms_count, 65,536)
BULK_CHUNK = 500
#: Seconds between the alias swap and deleting the old index: searches that resolved the alias just
#: before the swap finish on the old index instead of failing with index_not_found.
DELETE_GRACE_S = 5.0
#: Client timeout of refresh, force-merge and warm-up when a rebuild finishes (a merge of millions of
#: passages rebuilds the faiss graph); a timeout there would drop the finished index.
FINISH_TIMEOUT_S = 3 * 3600
#: Longest token of the raw-text analysis, in characters. Lucene refuses a whole document holding a
#: term over 32,766 UTF-8 bytes; 255 characters are at most 1,020 bytes (the standard and whitespace
#: tokenizers' own default ``max_token_length`` is 255 too; the pattern tokenizer has none).
MAX_TOKEN_CHARS = 255  # as models.opensearch_resources.MAX_TOKEN_CHARS (its pattern tokenizer's truncate filter)


# -- ids -----------------------------------------------------------------------------------------

def document_doc_id(document_id: str) -> str:
    return f"document:{document_id}"


def item_doc_id(item_id: str) -> str:
    return f"item:{item_id}"


def passage_doc_id(item_id: str, index: int) -> str:
    return f"passage:{item_id}:{index}"


def versioned_index_name(alias: str, now: datetime | None = None) -> str:
    """``{alias}-v{UTC timestamp to the microsecond}``: sortable, unique per build."""
    now = now or datetime.now(timezone.utc)
    return f"{alias}-v{now:%Y%m%d%H%M%S%f}"


def redact_url(url: str) -> str:
    """The URL without a password, for error messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def client_options(url: str, *, user: str | None = None, password: str | None = None, verify_certs: bool = True,
                   ca_certs: str | None = None, timeout: int = 30) -> dict[str, Any]:
    """Keyword arguments of ``opensearchpy.OpenSearch`` for one cluster.

    No ``ssl_assert_hostname``: opensearch-py hands it to urllib3 as ``assert_hostname``, which takes a
    host name or ``False``; ``True`` breaks every HTTPS request (``'bool' object has no attribute
    'strip'``). Left out, urllib3 checks the certificate against the URL's host, which is what we want.
    ``ca_certs`` names the CA file that signed the cluster's certificate (else certifi's bundle)."""
    options: dict[str, Any] = {"hosts": [url], "verify_certs": bool(verify_certs), "ssl_show_warn": bool(verify_certs),
                               "timeout": timeout, "max_retries": 2, "retry_on_timeout": True}
    if user:
        options["http_auth"] = (user, password or "")
    if ca_certs and verify_certs:
        options["ca_certs"] = str(ca_certs)
    return options


# -- settings and mappings -----------------------------------------------------------------------

def fallback_analysis() -> dict[str, Any]:
    """Plain analysis for the raw text (the default; no files on the cluster): the standard tokenizer
    (tokens over ``max_token_length`` characters are split) and lowercase."""
    return {"tokenizer": {"motesok_standard": {"type": "standard", "max_token_length": MAX_TOKEN_CHARS}},
            "analyzer": {FALLBACK_TEXT_ANALYZER: {"type": "custom", "tokenizer": "motesok_standard",
                                                  "filter": ["lowercase"]}}}


def _terms_analysis() -> dict[str, Any]:
    return {"tokenizer": {"motesok_whitespace": {"type": "whitespace", "max_token_length": MAX_TOKEN_CHARS}},
            "analyzer": {TERMS_ANALYZER: {"type": "custom", "tokenizer": "motesok_whitespace",
                                          "filter": ["lowercase"]}}}


def _unwrap_analysis(analysis: dict[str, Any]) -> dict[str, Any]:
    """Accept ``{"analysis": {...}}``, ``{"index": {"analysis": {...}}}`` or the analysis dict itself."""
    if "index" in analysis and isinstance(analysis["index"], dict) and "analysis" in analysis["index"]:
        analysis = analysis["index"]
    if "analysis" in analysis and isinstance(analysis["analysis"], dict):
        analysis = analysis["analysis"]
    return analysis


def merge_analysis(analysis: dict[str, Any] | None) -> dict[str, Any]:
    """The given (Swedish) analysis settings, or the fallback, plus the terms analyzer."""
    merged = copy.deepcopy(_unwrap_analysis(analysis)) if analysis else fallback_analysis()
    for section, entries in _terms_analysis().items():
        merged.setdefault(section, {}).update(entries)
    return merged


def text_analyzers(analysis: dict[str, Any]) -> tuple[str, str]:
    """(index analyzer, search analyzer) for the raw Swedish text, picked from the analysis settings.

    Synonyms belong at search time (``synonym_graph`` cannot run at index time), so an analyzer whose
    name says "search" is used as ``search_analyzer``; otherwise the one analyzer does both.
    """
    names = [n for n in analysis.get("analyzer", {}) if n != TERMS_ANALYZER]
    if not names:
        return "standard", "standard"
    search = [n for n in names if "search" in n or "query" in n]
    index = [n for n in names if n not in search]
    preferred = [n for n in index if "index" in n] or [n for n in index if "swedish" in n or "sv" in n] or index
    index_name = preferred[0] if preferred else names[0]
    search_name = search[0] if search else index_name
    return index_name, search_name


def fts5_similarity(k1: float = 1.2, b: float = 0.75) -> dict[str, Any]:
    """A ``scripted`` similarity computing FTS5's bm25 (as ``indexer/store/postings.py`` does):
    idf ``ln((N - n + 0.5) / (n + 0.5))`` floored at 1e-6 (a term in over half the items still counts a
    little), times ``f (k1 + 1) / (f + k1 (1 - b + b len / avglen))`` over the one weighted field.
    Lucene's BM25 differs (idf ``ln(1 + ...)``, per-field statistics); tests/test_opensearch_ranking.py
    measures both against SQLite. Differences left: ``len`` counts the title TITLE_WEIGHT times and is
    stored in one byte (exact below 24 tokens, 3 bits of mantissa above), and idf counts deleted items
    until segments merge."""
    source = (
        "double n = term.docFreq; double N = field.docCount; "
        "double idf = Math.log((N - n + 0.5) / (n + 0.5)); if (idf <= 0) { idf = 1e-6; } "
        "double avg = field.sumTotalTermFreq / N; double f = doc.freq; "
        f"return query.boost * idf * f * {k1 + 1} / (f + {k1} * ({1 - b} + {b} * doc.length / avg));"
    )
    return {"type": "scripted", "script": {"source": source}}


def weighted_terms(title_terms: str, text_terms: str) -> list[str]:
    """The ``weighted_terms`` values of an item: the title terms TITLE_WEIGHT times, then the text terms
    (separate values: the position gap keeps a phrase from running across them)."""
    copies = int(TITLE_WEIGHT)
    assert copies == TITLE_WEIGHT and TEXT_WEIGHT == 1.0, "weights must be whole repetitions"
    return [title_terms] * copies + [text_terms]


def index_body(dim: int, embedding_model: str | None, analysis: dict[str, Any] | None = None, *,
               aliases: Iterable[str] = (), shards: int = 1, refresh_interval: str | None = None,
               hnsw_m: int = 16, ef_construction: int = 128, ef_search: int = EF_SEARCH,
               loading: bool = False) -> dict[str, Any]:
    """Settings and mappings of a new versioned index (the body of ``PUT /{index}``).

    One shard: at ~100k items BM25 statistics then equal a single collection's (as in SQLite) and
    kNN's per-shard ``k`` is simply ``k``. ``auto_expand_replicas`` gives 0 replicas on a single
    development node and 1 as soon as a second node joins. ``loading``: a rebuild's index, with no
    replicas (a replica would build every faiss graph a second time) and no periodic refresh until
    ``finish_settings()``. ``ef_search`` sits in the method parameters, where faiss reads it (the
    ``index.knn.algo_param.ef_search`` setting is read by nmslib only).
    """
    merged = merge_analysis(analysis)
    text_index, text_search = text_analyzers({"analyzer": {
        k: v for k, v in merged.get("analyzer", {}).items() if k != TERMS_ANALYZER}})

    def swedish(**extra: Any) -> dict[str, Any]:
        field = {"type": "text", "analyzer": text_index, **extra}
        if text_search != text_index:
            field["search_analyzer"] = text_search
        return field

    keyword = {"type": "keyword"}
    terms = {"type": "text", "analyzer": TERMS_ANALYZER, "norms": True}
    index_settings: dict[str, Any] = {
        "number_of_shards": shards,
        "knn": True,
        "max_result_window": MAX_WINDOW,
        "similarity": {FTS5_SIMILARITY: fts5_similarity()},
        **(loading_settings() if loading else {"auto_expand_replicas": AUTO_EXPAND_REPLICAS}),
    }
    if refresh_interval is not None:
        index_settings["refresh_interval"] = refresh_interval
    body: dict[str, Any] = {
        "settings": {"index": index_settings, "analysis": merged},
        "mappings": {
            "dynamic": "strict",
            "_meta": {"motesok_schema": SCHEMA_VERSION, "embedding_model": embedding_model, "dim": dim},
            # The vector lives in the k-NN index only; keeping it out of _source halves the disk.
            # weighted_terms repeats title_terms/text_terms, both in _source already.
            "_source": {"excludes": ["vector", WEIGHTED_FIELD]},
            "properties": {
                "kind": keyword,
                "generation": keyword,
                "document_id": keyword,
                "item_id": keyword,
                # document metadata (kind=document; source is copied onto items too)
                "source": keyword,
                "checksum": keyword,
                "format": keyword,
                "inferred": keyword,
                # the times, publisher's address, personnummer count and OCR mark, copied onto items
                **ADDED_FIELDS_DOCUMENT,
                # facet fields, copied onto items and passages so filters need no join
                "organisation": keyword,
                "body": keyword,
                "doc_type": keyword,
                "topics": keyword,
                "year": {"type": "integer"},
                # ISO string compared as a string, like SQLite; the sub-field is a real date for Dashboards
                "date": {"type": "keyword", "fields": {"as_date": {
                    "type": "date", "format": "yyyy-MM-dd||yyyy-MM||yyyy", "ignore_malformed": True}}},
                # item fields
                "position": {"type": "integer"},
                "number": {"type": "integer"},
                "paragraph": {"type": "integer"},
                "title": swedish(),
                "title_derived": {"type": "boolean"},
                "section": swedish(),
                "text": swedish(),
                "decisions": swedish(),
                **ADDED_FIELDS_ITEM,
                "case_numbers": keyword,
                "title_terms": terms,
                "text_terms": terms,
                WEIGHTED_FIELD: {**terms, "similarity": FTS5_SIMILARITY},
                # passage fields
                "passage": {"type": "integer"},
                "vector": {
                    "type": "knn_vector",
                    "dimension": dim,
                    "method": {
                        "name": "hnsw",
                        "engine": "faiss",
                        "space_type": "innerproduct",  # vectors are L2-normalised: inner product = cosine
                        "parameters": {"m": hnsw_m, "ef_construction": ef_construction, "ef_search": ef_search},
                    },
                },
            },
        },
    }
    alias_list = list(aliases)
    if alias_list:
        body["aliases"] = {name: {} for name in alias_list}
    return body


def loading_settings() -> dict[str, Any]:
    """Index settings while a rebuild loads: no replicas, no periodic refresh."""
    return {"number_of_replicas": 0, "auto_expand_replicas": False, "refresh_interval": "-1"}


def finish_settings() -> dict[str, Any]:
    """Index settings once a rebuild has loaded: the default refresh and replicas again."""
    return {"refresh_interval": None, "auto_expand_replicas": AUTO_EXPAND_REPLICAS}


def template_name(alias: str) -> str:
    return f"{alias}-versioned"


def index_template_body(alias: str, body: dict[str, Any]) -> dict[str, Any]:
    """``PUT /_index_template/{template_name(alias)}``: the strict mapping and settings of ``body`` for
    every ``{alias}-v*`` index. Should a bulk of a concurrent run write into a versioned index another
    run just deleted, the index it auto-creates is strictly mapped like ours (never dynamically), and
    it never joins the alias (no aliases in the template), so ``_drop_abandoned`` removes it later."""
    template = {key: copy.deepcopy(value) for key, value in body.items() if key in ("settings", "mappings")}
    return {"index_patterns": [f"{alias}-v*"], "priority": 100, "template": template,
            "_meta": {"motesok_schema": SCHEMA_VERSION}}


# -- documents for the bulk API --------------------------------------------------------------------

def _facets(document: DocumentMeta) -> dict[str, Any]:
    return {"organisation": document.organisation, "body": document.body, "doc_type": document.doc_type,
            "date": document.date, "year": document.year}


def _times(document: DocumentMeta) -> dict[str, Any]:
    return {"first_indexed": document.first_indexed, "last_changed": document.last_changed}


def _publication(document: DocumentMeta) -> dict[str, Any]:
    return {"url": document.url, "personnummer_masked": document.personnummer_masked, "ocr": document.ocr,
            "ocr_confidence": document.ocr_confidence}


def document_source(document: DocumentMeta, generation: str) -> dict[str, Any]:
    return {"kind": KIND_DOCUMENT, "generation": generation, "document_id": document.id,
            "source": document.source, "checksum": document.checksum, "format": document.format,
            "title": document.title, "inferred": list(document.inferred), **_facets(document), **_times(document),
            **_publication(document)}


def item_source(document: DocumentMeta, indexed: IndexedItem, generation: str) -> dict[str, Any]:
    item = indexed.item
    return {
        "kind": KIND_ITEM, "generation": generation, "document_id": indexed.document_id, "item_id": indexed.id,
        "source": document.source, "position": indexed.position, "number": item.number,
        "paragraph": item.paragraph, "title": item.title, "title_derived": bool(item.title_derived),
        "section": item.section, "text": item.text, "decisions": list(item.decisions),
        "decision_kind": item.decision_kind,
        "paragraph_label": item.paragraph_label, "page_start": item.page_start, "page_end": item.page_end,
        "case_numbers": list(item.case_numbers), "case_keys": list(indexed.case_keys),
        "topics": list(indexed.topics), "title_terms": indexed.title_terms, "text_terms": indexed.text_terms,
        WEIGHTED_FIELD: weighted_terms(indexed.title_terms, indexed.text_terms), **_facets(document),
        **_times(document), **_publication(document),
    }


def _passage_vectors(indexed: IndexedItem) -> np.ndarray:
    if indexed.vectors is None:
        raise StoreError(f"item {indexed.id} has no vectors")
    vectors = np.asarray(indexed.vectors, dtype=np.float32)
    return vectors[None, :] if vectors.ndim == 1 else vectors


def item_actions(index: str, document: DocumentMeta, items: list[IndexedItem], generation: str) -> list[dict[str, Any]]:
    """Bulk ``index`` actions for a document's items and passages (not the document itself: that
    one goes last, so its checksum changes only once every item is in)."""
    actions: list[dict[str, Any]] = []
    for indexed in items:
        actions.append({"_op_type": "index", "_index": index, "_id": item_doc_id(indexed.id),
                        "_source": item_source(document, indexed, generation)})
        facets = {**_facets(document), "topics": list(indexed.topics)}
        for number, vector in enumerate(_passage_vectors(indexed)):
            actions.append({"_op_type": "index", "_index": index, "_id": passage_doc_id(indexed.id, number),
                            "_source": {"kind": KIND_PASSAGE, "generation": generation,
                                        "document_id": indexed.document_id, "item_id": indexed.id,
                                        "passage": number, "vector": [float(x) for x in vector], **facets}})
    return actions


def document_action(index: str, document: DocumentMeta, generation: str) -> dict[str, Any]:
    return {"_op_type": "index", "_index": index, "_id": document_doc_id(document.id),
            "_source": document_source(document, generation)}


def stale_query(document_ids: list[str], generation: str) -> dict[str, Any]:
    """Everything of these documents not written by this generation (the ``_delete_by_query`` body)."""
    return {"query": {"bool": {"filter": [{"terms": {"document_id": list(document_ids)}}],
                               "must_not": [{"term": {"generation": generation}}]}}}


def document_query(document_id: str) -> dict[str, Any]:
    """Everything of one document (the ``_delete_by_query`` body of ``delete_document``)."""
    return {"query": {"bool": {"filter": [{"term": {"document_id": document_id}}]}}}


@dataclass(frozen=True)
class BulkFailure:
    """One bulk action that OpenSearch refused."""

    id: str | None
    document_id: str | None
    status: int | None
    error: str

    def __str__(self) -> str:
        return f"{self.id} (document {self.document_id}): {self.status} {self.error}"


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        cause = error.get("caused_by")
        if isinstance(cause, dict) and cause.get("reason"):
            text += f" (caused by {cause.get('type', 'error')}: {cause['reason']})"
        return text
    return str(error)


def collect_failures(results: Iterable[tuple[bool, dict[str, Any]]], owners: dict[str, str] | None = None) -> list[BulkFailure]:
    """The failed actions among ``(ok, info)`` results of ``helpers.streaming_bulk``, in order.

    ``owners`` maps an action's ``_id`` to its document id, so a failure names its document.
    """
    owners = owners or {}
    failures = []
    for ok, info in results:
        if ok:
            continue
        detail = next(iter(info.values()), {}) if info else {}
        doc_id = detail.get("_id")
        failures.append(BulkFailure(id=doc_id, document_id=owners.get(doc_id) if doc_id else None,
                                    status=detail.get("status"), error=_error_text(detail.get("error"))))
    return failures


def alias_swap_actions(alias: str, new_index: str, old_indices: Iterable[str]) -> dict[str, Any]:
    """The body of one ``POST /_aliases`` call: remove the alias from the old indices and add it to the
    new one. OpenSearch applies all actions of one call atomically."""
    actions: list[dict[str, Any]] = [{"remove": {"index": old, "alias": alias}}
                                     for old in sorted(old_indices) if old != new_index]
    actions.append({"add": {"index": new_index, "alias": alias}})
    return {"actions": actions}


# -- queries -------------------------------------------------------------------------------------

def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """Filter-context clauses: ``terms`` is OR within a field, the list is AND across fields;
    the date range is inclusive and compares ISO strings, like SQLite."""
    clauses: list[dict[str, Any]] = []
    for facet in FACET_FIELDS:
        values = getattr(filters, facet)
        if values:
            clauses.append({"terms": {FACET_INDEX_FIELD[facet]: list(values)}})
    if filters.date_from or filters.date_to:
        bounds: dict[str, str] = {}
        if filters.date_from:
            bounds["gte"] = filters.date_from
        if filters.date_to:
            bounds["lte"] = filters.date_to
        clauses.append({"range": {"date": bounds}})
    return clauses


def _kind(kind: str) -> dict[str, Any]:
    return {"term": {"kind": kind}}


#: Hits carry only the item id, read from doc values: ``_source`` filtering would still parse each
#: item's whole stored text (~5 kB) to pick one field out of it.
ID_ONLY: dict[str, Any] = {"_source": False, "docvalue_fields": ["item_id"]}


def hit_item_id(hit: dict[str, Any]) -> str:
    """The item id of a hit of an ``ID_ONLY`` search (doc values; ``_source`` when a caller asked for it)."""
    fields = hit.get("fields") or {}
    if fields.get("item_id"):
        return fields["item_id"][0]
    return hit["_source"]["item_id"]


def keyword_clauses(query: KeywordQuery, weighted: bool = True) -> list[dict[str, Any]]:
    """One ``match_phrase`` per term: every term is a plain value run through the terms analyzer
    (never ``query_string``), so query syntax in user input means nothing. A term of several tokens
    must match as a phrase, like a quoted FTS5 string in the SQLite store.

    ``weighted``: on ``weighted_terms`` (FTS5's formula, as SQLite ranks); otherwise, for an index
    built before that field, on title and text separately (Lucene BM25, ``4 × title + text``)."""
    terms = query.terms()
    if len(terms) > MAX_QUERY_TERMS:
        log.warning("query truncated", extra={"terms": len(terms), "kept": MAX_QUERY_TERMS})
        terms = terms[:MAX_QUERY_TERMS]
    clauses = []
    for term in terms:
        if weighted:
            clauses.append({"match_phrase": {WEIGHTED_FIELD: term}})
            continue
        clauses.append({"match_phrase": {"title_terms": {"query": term, "boost": TITLE_WEIGHT}}})
        clauses.append({"match_phrase": {"text_terms": {"query": term, "boost": TEXT_WEIGHT}}})
    return clauses


def _term_present(term: str) -> dict[str, Any]:
    return {"bool": {"should": [{"match_phrase": {"title_terms": term}}, {"match_phrase": {"text_terms": term}}],
                     "minimum_should_match": 1}}


def _terms_near(terms: tuple[str, ...]) -> dict[str, Any]:
    """All ``terms`` within ``PARTS_NEAR`` positions of each other in one field (any order), as
    FTS5's ``NEAR`` in the SQLite store."""
    phrase = " ".join(terms)
    return {"bool": {"should": [{"match_phrase": {f: {"query": phrase, "slop": PARTS_NEAR + len(terms)}}}
                                for f in ("title_terms", "text_terms")], "minimum_should_match": 1}}


def match_clause(query: KeywordQuery) -> dict[str, Any]:
    """What makes an item a hit (``KeywordQuery.matches``), as a non-scoring clause: at least
    ``required()`` words, each matched by one alternative whose terms all occur."""
    words = []
    budget = MAX_QUERY_TERMS  # as keyword_clauses: a very long query keeps its first words
    for alternatives in query.word_matches():
        budget -= sum(len(terms) for terms in alternatives)
        if budget < 0 and words:
            break
        options = [_term_present(terms[0]) if len(terms) == 1 else _terms_near(terms) for terms in alternatives if terms]
        words.append({"bool": {"should": options, "minimum_should_match": 1}})
    return {"bool": {"should": words, "minimum_should_match": min(query.required(), len(words))}}


def keyword_query_body(query: KeywordQuery, filters: Filters, size: int, weighted: bool = True) -> dict[str, Any] | None:
    """Items matching the query's words (``match_clause``), scored by all its terms with title
    matches weighted 4:1 over text, filters as filter clauses. ``None`` when the query has no terms."""
    should = keyword_clauses(query, weighted)
    if not should:
        return None
    return {
        "size": size,
        **ID_ONLY,
        "track_total_hits": False,
        "query": {"bool": {"should": should, "minimum_should_match": 1,
                           "filter": [_kind(KIND_ITEM), match_clause(query), *filter_clauses(filters)]}},
        "sort": [{"_score": "desc"}, {"item_id": "asc"}],
    }


def knn_query_body(vector: np.ndarray | list[float], filters: Filters, k: int) -> dict[str, Any]:
    """The ``k`` nearest passages (faiss HNSW, inner product), filtered during the search.
    ``method_parameters.ef_search`` (k-NN 2.16+) is read by faiss per query."""
    knn: dict[str, Any] = {"vector": [float(x) for x in np.asarray(vector, dtype=np.float32).reshape(-1)], "k": k,
                           # at least k: HNSW returns at most ef_search neighbours per segment
                           "method_parameters": {"ef_search": max(EF_SEARCH, k)}}
    clauses = filter_clauses(filters)
    if clauses:
        knn["filter"] = {"bool": {"filter": [_kind(KIND_PASSAGE), *clauses]}}
    return {"size": k, **ID_ONLY, "query": {"knn": {"vector": knn}}}


def knn_score_to_similarity(score: float) -> float:
    """OpenSearch's faiss ``innerproduct`` score back to the inner product (= cosine here):
    the score is ``1 + ip`` for ``ip >= 0`` and ``1 / (1 - ip)`` below."""
    return score - 1.0 if score >= 1.0 else 1.0 - 1.0 / score


def best_passage_per_item(hits: list[dict[str, Any]], limit: int) -> list[Scored]:
    """Hits in score order → each item's first (best) passage, up to ``limit`` items."""
    best: dict[str, float] = {}
    for hit in hits:
        item_id = hit_item_id(hit)
        if item_id not in best:
            best[item_id] = knn_score_to_similarity(float(hit["_score"]))
            if len(best) >= limit:
                break
    return [Scored(item_id, score) for item_id, score in best.items()]


def initial_k(limit: int) -> int:
    """Passages to ask for: items have ~2 passages, so 4× the items wanted (at least 20 more)."""
    return min(MAX_WINDOW, max(limit * 4, limit + 20))


def keyword_hits(hits: list[dict[str, Any]]) -> list[Scored]:
    """Hits of ``keyword_query_body`` as scored items (the score from ``sort`` when none is tracked)."""
    return [Scored(hit_item_id(h), float(h["sort"][0] if h.get("_score") is None else h["_score"])) for h in hits]


def vector_cut_off(hits: list[dict[str, Any]], found: list[Scored], limit: int, k: int) -> bool:
    """Too few distinct items in a kNN answer that stopped at ``k`` passages: ask again for more."""
    return len(found) < limit and len(hits) >= k and k < MAX_WINDOW


#: The legs of one search, as sent in one ``_msearch``: ``("keyword", level)`` for each keyword
#: query (a relaxation level), ``("vector", 0)`` with the filters, ``("unfiltered", 0)`` without.
LegKey = tuple[str, int]


def leg_searches(keyword: tuple[KeywordQuery, ...] | list[KeywordQuery], vector: np.ndarray | None, filters: Filters,
                 keyword_limit: int, vector_limit: int, unfiltered: bool, weighted: bool = True,
                 first_level: int = 0) -> list[tuple[LegKey, dict[str, Any]]]:
    """The searches of a ``LegsRequest``, each keyed by its leg. A keyword query without terms, or
    a leg with no room (limit 0), is not sent; without filters the unfiltered vector leg is the
    filtered one (sent once, as ``unfiltered``)."""
    searches: list[tuple[LegKey, dict[str, Any]]] = []
    if keyword_limit > 0:
        for level, query in enumerate(keyword, start=first_level):
            body = keyword_query_body(query, filters, min(keyword_limit, MAX_WINDOW), weighted)
            if body is not None:
                searches.append((("keyword", level), body))
    if vector is not None and vector_limit > 0:
        k = initial_k(vector_limit)
        if unfiltered:
            searches.append((("unfiltered", 0), knn_query_body(vector, Filters(), k)))
        if not unfiltered or not filters.is_empty():
            searches.append((("vector", 0), knn_query_body(vector, filters, k)))
    return searches


def msearch_lines(index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The body of ``POST /_msearch``: a header naming the index, then the search, for each search."""
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{"index": index}, body]
    return lines


def msearch_error(response: dict[str, Any]) -> str | None:
    """Why one search of an ``_msearch`` failed (each answers on its own), or None."""
    if "error" not in response:
        return None
    return f"HTTP {response.get('status')} {_error_text(response['error'])}"


def filtered_ids_body(filters: Filters, size: int) -> dict[str, Any]:
    """Items passing the filters, newest first, then in document order (like SQLite)."""
    return {
        "size": size,
        **ID_ONLY,
        "track_total_hits": False,
        "query": {"bool": {"filter": [_kind(KIND_ITEM), *filter_clauses(filters)]}},
        "sort": [{"date": {"order": "desc", "missing": "_last"}}, {"document_id": "asc"}, {"position": "asc"}],
    }


def facet_aggregations(filters: Filters, size: int = FACET_SIZE) -> dict[str, Any]:
    """Disjunctive facet counts: each facet's buckets are counted under every filter except its own
    (so choosing one body still shows the counts of the other bodies); dates apply to all."""
    aggs: dict[str, Any] = {}
    for facet in FACET_FIELDS:
        clauses = filter_clauses(filters.without(facet))
        aggs[facet] = {
            "filter": {"bool": {"filter": clauses}} if clauses else {"match_all": {}},
            "aggs": {"values": {"terms": {"field": FACET_INDEX_FIELD[facet], "size": size}}},
        }
    return aggs


def faceted_search_body(query: KeywordQuery | None, filters: Filters, size: int = 0,
                        facet_size: int = FACET_SIZE) -> dict[str, Any]:
    """A search whose hits pass all filters (``post_filter``) and whose aggregations are disjunctive
    facet counts over the matches of ``query`` (all items when ``None``)."""
    must = [match_clause(query)] if query and query.terms() else []
    clauses = filter_clauses(filters)
    body: dict[str, Any] = {
        "size": size,
        **ID_ONLY,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": [_kind(KIND_ITEM)]}},
        "aggs": facet_aggregations(filters, facet_size),
    }
    if clauses:
        body["post_filter"] = {"bool": {"filter": clauses}}
    return body


def facet_counts_from_response(response: dict[str, Any]) -> dict[str, dict[Any, int]]:
    """``{facet: {value: count}}`` from the aggregations of ``faceted_search_body``."""
    aggregations = response.get("aggregations", {})
    out: dict[str, dict[Any, int]] = {}
    for facet in FACET_FIELDS:
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        out[facet] = {(int(b["key"]) if facet == "year" else b["key"]): b["doc_count"] for b in buckets}
    return out


def stats_body(size: int = FACET_SIZE) -> dict[str, Any]:
    """Counts per organisation/body/year over items, newest meeting date per body over documents."""
    terms = lambda field: {"terms": {"field": field, "size": size}}  # noqa: E731
    return {
        "size": 0,
        "track_total_hits": False,
        "aggs": {
            "items": {"filter": _kind(KIND_ITEM), "aggs": {
                "organisation": terms("organisation"), "body": terms("body"), "year": terms("year")}},
            "documents": {"filter": _kind(KIND_DOCUMENT), "aggs": {"body": {
                "terms": {"field": "body", "size": size},
                "aggs": {"newest": {"terms": {"field": "date", "size": 1, "order": {"_key": "desc"}}}}}}},
        },
    }


def stats_from_response(response: dict[str, Any]) -> StoreStats:
    aggs = response.get("aggregations", {})
    items, documents = aggs.get("items", {}), aggs.get("documents", {})

    def counts(name: str, cast=str) -> dict:
        return {cast(b["key"]): b["doc_count"] for b in items.get(name, {}).get("buckets", [])}

    newest = {}
    for bucket in documents.get("body", {}).get("buckets", []):
        dates = bucket.get("newest", {}).get("buckets", [])
        if dates:
            newest[bucket["key"]] = dates[0]["key"]
    return StoreStats(documents=documents.get("doc_count", 0), items=items.get("doc_count", 0),
                      by_organisation=counts("organisation"), by_body=counts("body"),
                      by_year=counts("year", int), newest_date_by_body=newest)


# -- reading back ------------------------------------------------------------------------------------

def stored_item_from_source(src: dict[str, Any]) -> StoredItem:
    return StoredItem(
        id=src["item_id"], document_id=src["document_id"], position=src["position"], number=src.get("number"),
        paragraph=src.get("paragraph"), title=src.get("title") or "", title_derived=bool(src.get("title_derived")),
        section=src.get("section"), text=src.get("text") or "", decisions=list(src.get("decisions") or []),
        case_numbers=list(src.get("case_numbers") or []), topics=list(src.get("topics") or []),
        organisation=src.get("organisation"), body=src.get("body"), date=src.get("date"), year=src.get("year"),
        doc_type=src.get("doc_type"), source=src.get("source") or "", decision_kind=src.get("decision_kind"),
        first_indexed=src.get("first_indexed"), last_changed=src.get("last_changed"),
        paragraph_label=src.get("paragraph_label"), page_start=src.get("page_start"), page_end=src.get("page_end"),
        url=src.get("url"), personnummer_masked=src.get("personnummer_masked") or 0, ocr=bool(src.get("ocr")),
        case_keys=list(src.get("case_keys") or []),
    )


def document_meta_from_source(src: dict[str, Any]) -> DocumentMeta:
    return DocumentMeta(
        source=src["source"], checksum=src["checksum"], format=src.get("format") or "",
        organisation=src.get("organisation"), body=src.get("body"), date=src.get("date"), year=src.get("year"),
        doc_type=src.get("doc_type"), title=src.get("title"), inferred=list(src.get("inferred") or []),
        first_indexed=src.get("first_indexed"), last_changed=src.get("last_changed"),
        url=src.get("url"), personnummer_masked=src.get("personnummer_masked") or 0, ocr=bool(src.get("ocr")),
        ocr_confidence=src.get("ocr_confidence"),
    )


#: What ``facet_values`` reads, from doc values (never ``_source``, which holds each item's text).
FACET_DOCVALUE_FIELDS = ["item_id", "organisation", "body", "year", "topics", "doc_type", "date", "case_keys"]


def facet_values_body(item_ids: list[str]) -> dict[str, Any]:
    """The facet fields, dates and case keys of these items: one ids query answered from doc values."""
    return {"size": len(item_ids), "_source": False, "track_total_hits": False,
            "docvalue_fields": list(FACET_DOCVALUE_FIELDS), "query": {"ids": {"values": [item_doc_id(i) for i in item_ids]}}}


def facet_values_from_fields(fields: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """``Store.facet_values`` of one hit of ``facet_values_body``. Doc values hold a multi-valued field
    sorted and without repeats, so topics and case keys come in sorted order (not the item's)."""
    def values(name: str) -> list[Any]:
        return [v for v in fields.get(name, []) if v not in (None, "")]

    return {"organisation": values("organisation"), "body": values("body"),
            "year": [int(v) for v in values("year")], "topic": values("topics"), "doc_type": values("doc_type"),
            "date": values("date"), "case_keys": values("case_keys")}


def case_item_ids_body(case_key: str) -> dict[str, Any]:
    """The items carrying a case key, in date order (undated last), then document order (like SQLite)."""
    return {**ID_ONLY, "track_total_hits": False,
            "query": {"bool": {"filter": [_kind(KIND_ITEM), {"term": {"case_keys": case_key}}]}},
            "sort": [{"date": {"order": "asc", "missing": "_last"}}, {"document_id": "asc"}, {"position": "asc"}]}


def facet_value_counts_body(item_ids: list[str], size: int = FACET_SIZE) -> dict[str, Any]:
    """Per facet, how many of these items hold each value: one ids query with a terms aggregation per
    facet (instead of reading every item back)."""
    return {"size": 0, "track_total_hits": False,
            "query": {"ids": {"values": [item_doc_id(i) for i in item_ids]}},
            "aggs": {facet: {"terms": {"field": FACET_INDEX_FIELD[facet], "size": size}} for facet in FACET_FIELDS}}


def facet_value_counts_from_response(response: dict[str, Any]) -> dict[str, dict[Any, int]]:
    aggregations = response.get("aggregations", {})
    return {facet: {(int(b["key"]) if facet == "year" else b["key"]): b["doc_count"]
                    for b in aggregations.get(facet, {}).get("buckets", [])} for facet in FACET_FIELDS}


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# -- the store ---------------------------------------------------------------------------------

def load_swedish_analysis(resource_dir: str = ANALYSIS_DIR_IN_CLUSTER) -> dict[str, Any] | None:
    """The project's Swedish analysis settings (files written by ``motesok export-analysis``), or
    ``None`` (plain analysis) when the resources module is not available."""
    try:
        from models.opensearch_resources import opensearch_analysis_settings
    except ImportError:
        log.warning("Swedish analysis resources unavailable; raw text gets standard+lowercase analysis")
        return None
    return opensearch_analysis_settings(resource_dir)


class OpenSearchStore:
    """The store on an OpenSearch cluster (see the module docstring and docs/opensearch.md)."""

    def __init__(self, client: Any, *, alias: str = "motesok", url: str | None = None,
                 embedding_model: str | None = None, dim: int | None = None,
                 analysis: dict[str, Any] | None = None,
                 analysis_loader: Callable[[], dict[str, Any] | None] | None = None,
                 delete_grace_s: float = DELETE_GRACE_S):
        from opensearchpy import exceptions as os_exceptions

        self._exc = os_exceptions
        self.client = client
        self.alias = alias
        self.url = redact_url(url or _client_url(client))
        #: Analysis settings of indices this store creates (``None``: the plain fallback). A loader,
        #: when given, is called the first time an index is created.
        self.analysis = analysis
        self._analysis_loader = analysis_loader if analysis is None else None
        self.embedding_model = embedding_model
        self.dim = dim
        #: Every bulk action that failed, across calls (each is also logged).
        self.failures: list[BulkFailure] = []
        self.delete_grace_s = max(0.0, delete_grace_s)
        #: Whether the alias's index scores keywords with FTS5's formula (created with weighted_terms)
        self._fts5_scoring = True
        self._rebuild_index: str | None = None
        self._rebuild_written: set[str] = set()
        #: Documents written to the write index since this store last refreshed it. Writes do not
        #: refresh (a first load would make one segment, and one faiss graph, per file): this store
        #: refreshes before it searches, before a stale-item delete of such a document, and on close;
        #: other readers see the writes at the cluster's periodic refresh (1 s, or their next search
        #: on an idle shard).
        self._unrefreshed: set[str] = set()
        if alias != alias.lower() or not alias or alias.startswith(("_", "-", "+")):
            raise StoreError(f"the OpenSearch index alias {alias!r} is not a valid index name (lowercase, no leading _ - +)")
        with self._errors("connect"):
            self.client.info()
        self._index = self._open_or_create()

    @classmethod
    def from_settings(cls, settings: Any, *, embedding_model: str | None = None, dim: int | None = None,
                      analysis: dict[str, Any] | None = None) -> "OpenSearchStore":
        """Connect as configured (``MOTESOK_OPENSEARCH_*``); fails with ``StoreError`` naming the URL."""
        from opensearchpy import OpenSearch

        url = settings.opensearch_url
        if not url:
            raise StoreError("MOTESOK_BACKEND=opensearch needs MOTESOK_OPENSEARCH_URL (e.g. https://localhost:9200)")
        ca_certs = getattr(settings, "opensearch_ca_certs", None)
        verify = bool(settings.opensearch_verify_certs)
        if ca_certs and verify and not Path(ca_certs).is_file():
            raise StoreError(f"MOTESOK_OPENSEARCH_CA_CERTS names {ca_certs}, which is not a readable file "
                             f"(the PEM file of the CA that signed the cluster's certificate)")
        client = OpenSearch(**client_options(url, user=settings.opensearch_user, password=settings.opensearch_password,
                                             verify_certs=verify, ca_certs=str(ca_certs) if ca_certs else None))
        # Plain analysis unless the Swedish analysis files were chosen: keyword search runs over our
        # own analysed terms either way, and a managed cluster may accept no analysis files at all.
        swedish = getattr(settings, "opensearch_analysis", "plain") == "swedish"
        loader = load_swedish_analysis if analysis is None and swedish else None
        return cls(client, alias=settings.opensearch_index, url=url, embedding_model=embedding_model, dim=dim,
                   analysis=analysis, analysis_loader=loader,
                   delete_grace_s=float(getattr(settings, "opensearch_delete_grace_s", DELETE_GRACE_S)))

    # -- errors ----------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        exc = self._exc
        try:
            yield
        except StoreError:
            raise
        except exc.SSLError as error:
            raise StoreError(
                f"the TLS certificate of OpenSearch at {self.url} was not accepted ({action}): {_reason(error)}. "
                f"Set MOTESOK_OPENSEARCH_CA_CERTS to the PEM file of the CA that signed it (and use the host name "
                f"it was issued for), or MOTESOK_OPENSEARCH_VERIFY_CERTS=false on a trusted network") from error
        except exc.ConnectionError as error:  # also ConnectionTimeout
            raise StoreError(
                f"cannot reach OpenSearch at {self.url} ({action}): {_reason(error)}. Is the cluster running "
                f"(docker compose up -d opensearch) and is MOTESOK_OPENSEARCH_URL right?") from error
        except (exc.AuthenticationException, exc.AuthorizationException) as error:
            raise StoreError(
                f"OpenSearch at {self.url} refused the credentials ({action}, HTTP {error.status_code}); "
                f"check MOTESOK_OPENSEARCH_USER and MOTESOK_OPENSEARCH_PASSWORD") from error
        except exc.TransportError as error:
            raise StoreError(f"OpenSearch at {self.url} failed to {action}: HTTP {error.status_code} "
                             f"{_reason(error)}") from error

    # -- index lifecycle -------------------------------------------------------------------------

    def _index_body(self, **kwargs: Any) -> dict[str, Any]:
        if self._analysis_loader is not None:
            loader, self._analysis_loader = self._analysis_loader, None
            self.analysis = loader()
        assert self.dim is not None
        return index_body(self.dim, self.embedding_model, self.analysis, **kwargs)

    def _put_template(self, body: dict[str, Any]) -> None:
        """Put (or renew) the template of this alias's versioned indices before creating one. A user
        without the cluster permission for templates (a managed cluster) goes on without: the template
        only guards against concurrent runs."""
        name = template_name(self.alias)
        try:
            with self._errors(f"put the index template {name}"):
                self.client.indices.put_index_template(name=name, body=index_template_body(self.alias, body))
        except StoreError as error:
            if not isinstance(error.__cause__, self._exc.AuthorizationException):
                raise
            log.warning("no permission to put the index template; concurrent runs are not guarded",
                        extra={"template": name, "alias": self.alias})

    def _alias_targets(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except self._exc.NotFoundError:
            return []

    def _open_or_create(self) -> str | None:
        with self._errors(f"look up the index alias {self.alias}"):
            targets = self._alias_targets()
            if not targets and self.client.indices.exists(index=self.alias):
                raise StoreError(
                    f"OpenSearch at {self.url} has an index named {self.alias!r}, not an alias; Mötessök keeps "
                    f"its data in versioned indices behind that alias. Delete or rename that index, or set "
                    f"MOTESOK_OPENSEARCH_INDEX to another name.")
            if len(targets) > 1:
                raise StoreError(f"the alias {self.alias!r} on {self.url} points to several indices "
                                 f"({', '.join(targets)}); point it at one (POST /_aliases)")
            if targets:
                index = targets[0]
                mapping = self.client.indices.get_mapping(index=index)
        if not targets:
            if self.dim is None:
                return None  # nothing indexed yet and nothing to create it with: reads are empty
            name = versioned_index_name(self.alias)
            body = self._index_body(aliases=[self.alias])
            self._put_template(body)
            with self._errors(f"create the index {name} (alias {self.alias})"):
                # created with its alias in one request: the alias never points at nothing
                self.client.indices.create(index=name, body=body)
            log.info("created index", extra={"index": name, "alias": self.alias})
            return name
        meta = mapping.get(index, {}).get("mappings", {}).get("_meta", {}) or {}
        stored_model, stored_dim = meta.get("embedding_model"), meta.get("dim")
        if self.embedding_model is not None and stored_model is not None and (
                stored_model != self.embedding_model or (self.dim is not None and stored_dim != self.dim)):
            raise StoreError(
                f"the OpenSearch index {index} (alias {self.alias} on {self.url}) was built with the embedding "
                f"model {stored_model!r} (dim {stored_dim}); the configured model is {self.embedding_model!r} "
                f"(dim {self.dim}). Set MOTESOK_OPENSEARCH_INDEX to another name, or delete {index} and index again.")
        if self.dim is None and stored_dim is not None:
            self.dim = int(stored_dim)
        if self.embedding_model is None:
            self.embedding_model = stored_model
        properties = mapping.get(index, {}).get("mappings", {}).get("properties") or {}
        weighted = properties.get(WEIGHTED_FIELD)
        self._fts5_scoring = not properties or (weighted or {}).get("similarity") == FTS5_SIMILARITY
        if properties and not self._fts5_scoring:
            # Items written before lack weighted_terms, and a similarity cannot be added to an open
            # index: the field comes in plain so writes fit the strict mapping; scoring stays per
            # field until a --rebuild.
            log.warning("the index ranks keywords per field, not like SQLite; motesok index --rebuild "
                        "builds one that does", extra={"index": index})
        added = {**ADDED_FIELDS_DOCUMENT, **ADDED_FIELDS_ITEM, WEIGHTED_FIELD: {"type": "text", "analyzer": TERMS_ANALYZER}}
        missing = {name: spec for name, spec in added.items() if name not in properties}
        if properties and missing:
            # an index built before decisions were typed, or before documents' times, page numbers,
            # § labels, source addresses and OCR marks were stored (its mapping is strict)
            with self._errors(f"add the fields {', '.join(missing)} to the index {index}"):
                self.client.indices.put_mapping(index=index, body={"properties": missing})
        return index

    @property
    def index_name(self) -> str | None:
        """The concrete index the alias points to (``None`` before anything was indexed)."""
        return self._index

    @property
    def _write_index(self) -> str:
        if self._rebuild_index:
            return self._rebuild_index
        if self._index is None:
            raise StoreError(f"no Mötessök index behind the alias {self.alias!r} on {self.url} yet; "
                             f"open the store with the embedding model (motesok index) to create it")
        return self._index

    def _flush_writes(self, documents: Iterable[str] | None = None) -> None:
        """Refresh the write index if this store wrote to it since the last refresh (with
        ``documents``: only if one of them was written)."""
        if not self._unrefreshed or (documents is not None and self._unrefreshed.isdisjoint(documents)):
            return
        index = self._write_index
        with self._errors(f"refresh {index}"):
            self.client.indices.refresh(index=index)
        self._unrefreshed.clear()

    def _flush_before_search(self) -> None:
        """Searches go through the alias: make this store's writes there visible (not during a
        rebuild: its writes go to the new index, which refreshes once, when finished)."""
        if not self._rebuild_index:
            self._flush_writes()

    def begin_full_reindex(self) -> str:
        """Start building a new versioned index; writes go there, searches keep using the alias."""
        if self._rebuild_index:
            raise StoreError(f"a full reindex into {self._rebuild_index} is already in progress")
        self._flush_writes()  # earlier writes to the serving index become visible now
        if self.dim is None:
            raise StoreError("a full reindex needs the embedding model's dimension; open the store with it")
        name = versioned_index_name(self.alias)
        body = self._index_body(loading=True)
        self._put_template(self._index_body())
        with self._errors(f"create the index {name}"):
            # no replicas and no periodic refresh while loading (finish_full_reindex restores both)
            self.client.indices.create(index=name, body=body)
        self._rebuild_index, self._rebuild_written = name, set()
        log.info("full reindex started", extra={"index": name, "alias": self.alias})
        return name

    def finish_full_reindex(self, *, keep_old: bool = False) -> str:
        """Make the new index searchable, swap the alias to it in one ``_aliases`` call, and delete the
        indices the alias pointed to before (unless ``keep_old``). Returns the new index's name."""
        name = self._rebuild_index
        if not name:
            raise StoreError("finish_full_reindex without begin_full_reindex")
        with self._errors(f"finish the index {name}"):
            self.client.indices.refresh(index=name, request_timeout=FINISH_TIMEOUT_S)
            # one segment: one faiss graph to search and to load, instead of one per flushed segment
            # (on a large index this takes long: far more than the client's usual 30 s)
            self.client.indices.forcemerge(index=name, max_num_segments=1, request_timeout=FINISH_TIMEOUT_S)
            self.client.indices.put_settings(index=name, body={"index": finish_settings()})
        self._warm_up(name)
        with self._errors(f"swap the alias {self.alias} to {name}"):
            old = self._alias_targets()
            self.client.indices.update_aliases(body=alias_swap_actions(self.alias, name, old))
        self._index, self._rebuild_index, self._rebuild_written = name, None, set()
        self._unrefreshed.clear()  # refreshed above
        self._fts5_scoring = True  # built by this store: every item has weighted_terms
        log.info("alias swapped", extra={"index": name, "alias": self.alias, "previous": old})
        previous = [index for index in old if index != name]
        if previous and not keep_old:
            time.sleep(self.delete_grace_s)  # searches already sent to the old index finish there
            for index in previous:
                with self._errors(f"delete the old index {index}"):
                    self.client.indices.delete(index=index, ignore_unavailable=True)
        self._drop_abandoned(before=name, keep=set(old))
        return name

    def _warm_up(self, index: str) -> None:
        """Load the new index's faiss graphs into native memory before it serves searches
        (``GET /_plugins/_knn/warmup/{index}``). Only speed depends on it: a cluster without the
        k-NN plugin's warm-up API (osmem-server) loads them at the first search instead."""
        try:
            self.client.transport.perform_request("GET", f"/_plugins/_knn/warmup/{index}", timeout=FINISH_TIMEOUT_S)
        except self._exc.TransportError as error:
            if isinstance(error, self._exc.ConnectionError):
                raise StoreError(f"cannot reach OpenSearch at {self.url} (warm up {index}): {_reason(error)}") from error
            log.warning("k-NN warm-up failed; graphs load at the first search",
                        extra={"index": index, "error": _reason(error)})

    def _drop_abandoned(self, *, before: str, keep: set[str]) -> None:
        """Delete the versioned indices of this alias that a killed rebuild left behind: older than
        the index just swapped in and never behind the alias. Newer ones are left alone (a rebuild
        started later may still be writing there)."""
        pattern = re.compile(re.escape(self.alias) + r"-v\d{20}")
        with self._errors(f"list the indices of {self.alias}"):
            names = sorted(self.client.indices.get(index=f"{self.alias}-v*", ignore_unavailable=True))
        for index in names:
            if pattern.fullmatch(index) and index < before and index not in keep:
                with self._errors(f"delete the unfinished index {index}"):
                    self.client.indices.delete(index=index, ignore_unavailable=True)
                log.info("deleted an unfinished index", extra={"index": index, "alias": self.alias})

    def abort_full_reindex(self) -> None:
        """Drop the half-built index; the alias never pointed at it."""
        name, self._rebuild_index, self._rebuild_written = self._rebuild_index, None, set()
        if name:
            self._unrefreshed.clear()  # written to the index deleted here
            with self._errors(f"delete the unfinished index {name}"):
                self.client.indices.delete(index=name, ignore_unavailable=True)

    @contextmanager
    def full_reindex(self) -> Iterator["OpenSearchStore"]:
        """``with store.full_reindex(): ...write every document...`` — swaps on success, drops on error."""
        self.begin_full_reindex()
        try:
            yield self
            # inside: a failure before the swap (refresh, merge, swap) drops the new index too
            self.finish_full_reindex()
        except BaseException:
            self.abort_full_reindex()
            raise

    # -- writing -----------------------------------------------------------------------------------

    def document_checksums(self) -> dict[str, tuple[str, str]]:
        # Read from where writes go: during a full reindex that is the new (empty) index, so every
        # document counts as new.
        index = self._rebuild_index or (self.alias if self._index else None)
        if index is None:
            return {}
        self._flush_writes()
        body = {"_source": ["source", "document_id", "checksum"], "track_total_hits": False,
                "query": {"bool": {"filter": [_kind(KIND_DOCUMENT)]}}, "sort": [{"document_id": "asc"}]}
        with self._errors("read document checksums"):
            return {h["_source"]["source"]: (h["_source"]["document_id"], h["_source"]["checksum"])
                    for h in self._hits(body, None, index=index)}

    def write_document(self, document: DocumentMeta, items: list[IndexedItem]) -> None:
        """Replace a document and its items. Raises ``StoreError`` naming every refused action when any
        failed; the document's previous checksum then stays, so the next run indexes it again."""
        failures = self.write_documents([(document, items)])
        if failures:
            shown = "; ".join(str(f) for f in failures[:5])
            more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
            raise StoreError(f"OpenSearch at {self.url} refused {len(failures)} action(s) for {document.source}: "
                             f"{shown}{more}")

    def write_documents(self, documents: Iterable[tuple[DocumentMeta, list[IndexedItem]]]) -> list[BulkFailure]:
        """Bulk-write several documents; refused actions are logged, collected (returned and appended to
        ``self.failures``) and the rest goes on. A document with a refused item keeps its previous
        document record (so its old checksum, and the next run retries it)."""
        pairs = list(documents)
        if not pairs:
            return []
        index = self._write_index
        self._stamp_times([document for document, _ in pairs])
        generation = uuid.uuid4().hex
        actions: list[dict[str, Any]] = []
        owners: dict[str, str] = {}
        for document, items in pairs:
            for action in item_actions(index, document, items, generation):
                owners[action["_id"]] = document.id
                actions.append(action)
        failures = self._bulk(actions, owners)
        failed = {f.document_id for f in failures}
        complete = [document for document, _ in pairs if document.id not in failed]
        doc_actions = [document_action(index, document, generation) for document in complete]
        failures += self._bulk(doc_actions, {a["_id"]: d.id for a, d in zip(doc_actions, complete)})
        failed = {f.document_id for f in failures}
        done = [document.id for document in complete if document.id not in failed]
        # Items and passages the new version no longer has (fewer items or passages than before).
        # A fresh rebuild index holds nothing stale for a document written there for the first time.
        stale = [d for d in done if not (self._rebuild_index and d not in self._rebuild_written)]
        if stale:
            # the previous version's items must be visible to the delete's search
            self._flush_writes(stale)
            with self._errors(f"write to {index}"):
                self.client.delete_by_query(index=index, body=stale_query(stale, generation),
                                            conflicts="proceed", refresh=False)
        self._unrefreshed.update(document.id for document, _ in pairs)
        if self._rebuild_index:
            self._rebuild_written.update(document.id for document, _ in pairs)
        self.failures.extend(failures)
        return failures

    def _stamp_times(self, documents: list[DocumentMeta]) -> None:
        """Set each document's first-indexed/last-changed times from the version the alias serves
        (during a --rebuild that is still the old index, so the times carry over)."""
        with self._errors("read document times"):
            found = self._mget([document_doc_id(d.id) for d in documents],
                               ["checksum", "first_indexed", "last_changed"])
        now = utc_now()
        for document in documents:
            src = found.get(document_doc_id(document.id))
            previous = (src.get("checksum"), src.get("first_indexed"), src.get("last_changed")) if src else None
            document.first_indexed, document.last_changed = document_times(previous, document.checksum, now)

    def _bulk(self, actions: list[dict[str, Any]], owners: dict[str, str]) -> list[BulkFailure]:
        if not actions:
            return []
        from opensearchpy import helpers

        with self._errors("bulk index"):
            results = helpers.streaming_bulk(self.client, actions, chunk_size=BULK_CHUNK, max_retries=3,
                                             raise_on_error=False, raise_on_exception=True)
            failures = collect_failures(results, owners)
        for failure in failures:
            log.warning("bulk action failed", extra={"id": failure.id, "document_id": failure.document_id,
                                                     "status": failure.status, "error": failure.error})
        return failures

    def delete_document(self, document_id: str) -> None:
        if self._index is None and not self._rebuild_index:
            return
        index = self._write_index
        self._flush_writes([document_id])
        with self._errors(f"delete document {document_id}"):
            self.client.delete_by_query(index=index, body=document_query(document_id), conflicts="proceed",
                                        refresh=not self._rebuild_index)
        self._rebuild_written.discard(document_id)

    # -- retrieval ---------------------------------------------------------------------------------

    def _hits(self, body: dict[str, Any], limit: int | None, *, index: str | None = None) -> Iterator[dict[str, Any]]:
        """Hits of a sorted search, paging with ``search_after`` (``limit=None``: all of them)."""
        fetched, after = 0, None
        while limit is None or fetched < limit:
            size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - fetched)
            request = {**body, "size": size}
            if after is not None:
                request["search_after"] = after
            response = self.client.search(index=index or self.alias, body=request)
            hits = response["hits"]["hits"]
            yield from hits
            fetched += len(hits)
            if len(hits) < size:
                return
            after = hits[-1]["sort"]

    def keyword_search(self, query: KeywordQuery, filters: Filters, limit: int) -> list[Scored]:
        # One request (at most MAX_WINDOW hits): paging on a float score is fragile, and the search
        # service asks for keyword_candidates (default 1000) anyway.
        body = keyword_query_body(query, filters, min(limit, MAX_WINDOW), self._fts5_scoring)
        if body is None or self._index is None or limit <= 0:
            return []
        self._flush_before_search()
        with self._errors("run a keyword search"):
            return keyword_hits(self.client.search(index=self.alias, body=body)["hits"]["hits"])

    def _query_vector(self, vector: np.ndarray) -> np.ndarray:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if self.dim is not None and query.shape[0] != self.dim:
            raise StoreError(f"query vector has {query.shape[0]} dimensions, the store holds {self.dim}")
        return query

    def vector_search(self, vector: np.ndarray, filters: Filters, limit: int) -> list[Scored]:
        if self._index is None or limit <= 0:
            return []
        query = self._query_vector(vector)
        k = initial_k(limit)
        self._flush_before_search()
        with self._errors("run a vector search"):
            while True:
                hits = self.client.search(index=self.alias, body=knn_query_body(query, filters, k))["hits"]["hits"]
                found = best_passage_per_item(hits, limit)
                if not vector_cut_off(hits, found, limit, k):
                    return found
                k = min(MAX_WINDOW, k * 4)

    def _msearch(self, searches: list[tuple[LegKey, dict[str, Any]]]) -> dict[LegKey, list[dict[str, Any]]]:
        """Send searches in one ``_msearch``; the hits of each by its key. A search that failed fails
        the call, as it would alone."""
        if not searches:
            return {}
        with self._errors("run a search"):
            responses = self.client.msearch(body=msearch_lines(self.alias, [body for _, body in searches]),
                                            index=self.alias)["responses"]
        hits: dict[LegKey, list[dict[str, Any]]] = {}
        for (key, _), response in zip(searches, responses, strict=True):
            error = msearch_error(response)
            if error:
                raise StoreError(f"OpenSearch at {self.url} failed to run a {key[0]} search: {error}")
            hits[key] = response["hits"]["hits"]
        return hits

    def search_legs(self, request: LegsRequest) -> Legs:
        """A search's legs in one ``_msearch`` round trip: the strictest keyword query, the vector leg
        with the filters and, when asked, without them. Should no item match the strictest keyword
        query, its relaxations go in one more ``_msearch``; a kNN answer cut off at ``k`` passages with
        too few distinct items is asked again alone, as ``vector_search`` does. No archive statistics:
        the service calibrates the vector floor on the unfiltered candidates."""
        asked = request.keyword[0] if request.keyword else None
        vector = request.query_vector()
        if self._index is None:
            empty = [] if request.unfiltered and vector is not None else None
            return Legs(request.keyword[-1] if request.keyword else None, [], [], empty)
        query = self._query_vector(vector) if vector is not None else None
        self._flush_before_search()
        searches = leg_searches(request.keyword[:1], query, request.filters, request.keyword_limit,
                                request.vector_limit, request.unfiltered, self._fts5_scoring)
        found = self._msearch(searches)
        keyword = keyword_hits(found.get(("keyword", 0), []))
        if not keyword and len(request.keyword) > 1:
            more = self._msearch(leg_searches(request.keyword[1:], None, request.filters, request.keyword_limit, 0,
                                              False, self._fts5_scoring, first_level=1))
            asked = request.keyword[-1]  # none matched: the loosest, as sequential_legs answers
            for level in range(1, len(request.keyword)):
                hits = keyword_hits(more.get(("keyword", level), []))
                if hits:
                    asked, keyword = request.keyword[level], hits
                    break

        def leg(key: str, filters: Filters) -> list[Scored]:
            hits = found.get((key, 0), [])
            best = best_passage_per_item(hits, request.vector_limit)
            if vector_cut_off(hits, best, request.vector_limit, initial_k(request.vector_limit)):
                return self.vector_search(query, filters, request.vector_limit)
            return best

        if query is None or request.vector_limit <= 0:
            return Legs(asked, keyword, [], [] if request.unfiltered and query is not None else None)
        unfiltered = leg("unfiltered", Filters()) if request.unfiltered else None
        filtered = unfiltered if unfiltered is not None and request.filters.is_empty() else leg("vector", request.filters)
        return Legs(asked, keyword, filtered, unfiltered)

    def filtered_ids(self, filters: Filters, limit: int) -> list[str]:
        if self._index is None or limit <= 0:
            return []
        self._flush_before_search()
        with self._errors("list items"):
            return [hit_item_id(h) for h in self._hits(filtered_ids_body(filters, 0), limit)]

    def case_item_ids(self, case_key: str) -> list[str]:
        if self._index is None or not case_key:
            return []
        self._flush_before_search()
        with self._errors("list a case's items"):
            return [hit_item_id(h) for h in self._hits(case_item_ids_body(case_key), None)]

    def _mget(self, doc_ids: list[str], source: list[str] | None = None) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        if self._index is None:
            return found
        for chunk in _chunks(doc_ids, MGET_CHUNK):
            kwargs = {"_source_includes": source} if source else {}
            response = self.client.mget(index=self.alias, body={"ids": chunk}, **kwargs)
            for doc in response.get("docs", []):
                if doc.get("found"):
                    found[doc["_id"]] = doc["_source"]
        return found

    def facet_values(self, item_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
        found: dict[str, dict[str, list[Any]]] = {}
        if self._index is None:
            return found
        self._flush_before_search()
        with self._errors("read facet values"):
            for chunk in _chunks(list(dict.fromkeys(item_ids)), MAX_TERMS_IDS):
                for hit in self.client.search(index=self.alias, body=facet_values_body(chunk))["hits"]["hits"]:
                    found[hit_item_id(hit)] = facet_values_from_fields(hit.get("fields") or {})
        return found

    def count_facet_values(self, item_ids: list[str]) -> dict[str, dict[Any, int]]:
        counts: dict[str, dict[Any, int]] = {facet: {} for facet in FACET_FIELDS}
        if self._index is None:
            return counts
        unique = list(dict.fromkeys(item_ids))
        if len(unique) < len(item_ids):  # an id listed twice counts twice, as in base.count_values
            return count_values(self.facet_values(item_ids), item_ids)
        self._flush_before_search()
        with self._errors("count facet values"):
            for chunk in _chunks(unique, MAX_TERMS_IDS):
                response = self.client.search(index=self.alias, body=facet_value_counts_body(chunk))
                for facet, values in facet_value_counts_from_response(response).items():
                    for value, count in values.items():
                        counts[facet][value] = counts[facet].get(value, 0) + count
        return counts

    def facet_counts(self, filters: Filters, query: KeywordQuery | None = None) -> dict[str, dict[Any, int]]:
        """Disjunctive facet counts computed by the cluster (an alternative to counting above the store)."""
        if self._index is None:
            return {facet: {} for facet in FACET_FIELDS}
        self._flush_before_search()
        with self._errors("count facets"):
            return facet_counts_from_response(self.client.search(index=self.alias,
                                                                 body=faceted_search_body(query, filters)))

    def get_items(self, item_ids: list[str]) -> list[StoredItem]:
        with self._errors("read items"):
            found = self._mget([item_doc_id(i) for i in item_ids])
        return [stored_item_from_source(found[item_doc_id(i)]) for i in item_ids if item_doc_id(i) in found]

    def get_document(self, document_id: str) -> tuple[DocumentMeta, list[StoredItem]] | None:
        self._flush_before_search()
        with self._errors(f"read document {document_id}"):
            found = self._mget([document_doc_id(document_id)])
            if not found:
                return None
            body = {"track_total_hits": False, "sort": [{"position": "asc"}],
                    "query": {"bool": {"filter": [_kind(KIND_ITEM), {"term": {"document_id": document_id}}]}}}
            items = [stored_item_from_source(h["_source"]) for h in self._hits(body, None)]
        return document_meta_from_source(next(iter(found.values()))), items

    def stats(self) -> StoreStats:
        if self._index is None:
            return StoreStats(documents=0, items=0)
        self._flush_before_search()
        with self._errors("read statistics"):
            return stats_from_response(self.client.search(index=self.alias, body=stats_body()))

    def close(self) -> None:
        try:
            self._flush_before_search()  # a run's last writes visible at once, not at the next refresh
        except StoreError as error:
            log.warning("could not refresh on close", extra={"error": str(error)})
        try:
            self.client.close()
        except Exception:  # closing must never fail a shutdown
            pass


def _client_url(client: Any) -> str:
    try:
        host = client.transport.hosts[0]
        scheme = "https" if host.get("use_ssl") or host.get("scheme") == "https" else host.get("scheme", "http")
        return f"{scheme}://{host.get('host', 'localhost')}:{host.get('port', 9200)}"
    except (AttributeError, IndexError, KeyError, TypeError):
        return "(unknown URL)"


def _reason(error: Exception) -> str:
    info = getattr(error, "info", None)
    if isinstance(info, dict) and "error" in info:
        return _error_text(info["error"])
    error_attr = getattr(error, "error", None)
    if isinstance(error_attr, str) and error_attr and error_attr != "N/A":
        inner = getattr(error, "info", None)
        if isinstance(inner, Exception) and str(inner) not in error_attr:
            return f"{error_attr}: {inner}"
        return error_attr
    return str(error)
