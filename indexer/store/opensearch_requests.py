"""The OpenSearch store's requests and answers, as pure functions: ids, client options, index
settings and mappings, bulk actions, query bodies, and the readers of the answers.

Nothing here talks to a cluster (``indexer/store/opensearch.py``'s ``OpenSearchStore`` sends these
bodies and reads the answers with these functions); every body is tested as data in
tests/test_opensearch_requests.py. See the store module's docstring and docs/opensearch.md for the layout.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from indexer.records import DocumentMeta, IndexedItem
from indexer.store.base import (
    FACET_FIELDS,
    FACETS,
    PARTS_NEAR,
    TEXT_WEIGHT,
    TITLE_WEIGHT,
    Filters,
    KeywordQuery,
    Scored,
    StoredItem,
    StoreError,
    StoreStats,
)

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

#: Index field of each facet in ``Filters``/``FACET_FIELDS`` (the facet table's ``index_field``).
FACET_INDEX_FIELD = {facet.name: facet.index_field for facet in FACETS}

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
    now = now or datetime.now(UTC)
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
                # facet fields (indexer.store.facets), copied onto items and passages so filters need no join
                **{facet.index_field: keyword if facet.value_type is str else {"type": "integer"}
                   for facet in FACETS},
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


def collect_failures(results: Iterable[tuple[bool, dict[str, Any]]],
                     owners: dict[str, str] | None = None) -> list[BulkFailure]:
    """The failed actions among ``(ok, info)`` results of ``helpers.streaming_bulk``, in order.

    ``owners`` maps an action's ``_id`` to its document id, so a failure names its document.
    """
    owners = owners or {}
    failures = []
    for ok, info in results:
        if ok:
            continue
        detail: dict[str, Any] = next(iter(info.values()), {}) if info else {}
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
    clauses: list[dict[str, Any]] = []
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
    words: list[dict[str, Any]] = []
    budget = MAX_QUERY_TERMS  # as keyword_clauses: a very long query keeps its first words
    for alternatives in query.word_matches():
        budget -= sum(len(terms) for terms in alternatives)
        if budget < 0 and words:
            break
        options = [_term_present(terms[0]) if len(terms) == 1 else _terms_near(terms)
                   for terms in alternatives if terms]
        words.append({"bool": {"should": options, "minimum_should_match": 1}})
    return {"bool": {"should": words, "minimum_should_match": min(query.required(), len(words))}}


def keyword_query_body(query: KeywordQuery, filters: Filters, size: int,
                       weighted: bool = True) -> dict[str, Any] | None:
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
FACET_DOCVALUE_FIELDS = ["item_id", *FACET_INDEX_FIELD.values(), "date", "case_keys"]


def facet_values_body(item_ids: list[str]) -> dict[str, Any]:
    """The facet fields, dates and case keys of these items: one ids query answered from doc values."""
    return {"size": len(item_ids), "_source": False, "track_total_hits": False,
            "docvalue_fields": list(FACET_DOCVALUE_FIELDS),
            "query": {"ids": {"values": [item_doc_id(i) for i in item_ids]}}}


def facet_values_from_fields(fields: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """``Store.facet_values`` of one hit of ``facet_values_body``. Doc values hold a multi-valued field
    sorted and without repeats, so topics and case keys come in sorted order (not the item's)."""
    def values(name: str) -> list[Any]:
        return [v for v in fields.get(name, []) if v not in (None, "")]

    found: dict[str, list[Any]] = {facet.name: [facet.value_type(v) for v in values(facet.index_field)]
                                   for facet in FACETS}
    return {**found, "date": values("date"), "case_keys": values("case_keys")}


def document_checksums_body() -> dict[str, Any]:
    """Every document record's source, id and checksum (what ``document_checksums`` reads), in id order."""
    return {"_source": ["source", "document_id", "checksum"], "track_total_hits": False,
            "query": {"bool": {"filter": [_kind(KIND_DOCUMENT)]}}, "sort": [{"document_id": "asc"}]}


def document_items_body(document_id: str) -> dict[str, Any]:
    """A document's items in document order (``get_document``)."""
    return {"track_total_hits": False, "sort": [{"position": "asc"}],
            "query": {"bool": {"filter": [_kind(KIND_ITEM), {"term": {"document_id": document_id}}]}}}


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
    return {facet.name: {facet.value_type(b["key"]): b["doc_count"]
                         for b in aggregations.get(facet.name, {}).get("buckets", [])} for facet in FACETS}


def chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def client_url(client: Any) -> str:
    try:
        host = client.transport.hosts[0]
        scheme = "https" if host.get("use_ssl") or host.get("scheme") == "https" else host.get("scheme", "http")
        return f"{scheme}://{host.get('host', 'localhost')}:{host.get('port', 9200)}"
    except (AttributeError, IndexError, KeyError, TypeError):
        return "(unknown URL)"


def error_reason(error: Exception) -> str:
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
