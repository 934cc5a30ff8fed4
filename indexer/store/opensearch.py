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

Every request body and answer reader is a pure function in ``indexer/store/opensearch_requests.py``
(tested as data in tests/test_opensearch_requests.py); ``OpenSearchStore`` here sends them, turns
the client's errors into ``StoreError`` and runs the index life cycle (alias, rebuild, refresh).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from indexer.records import DocumentMeta, IndexedItem
from indexer.store.base import (
    FACET_FIELDS,
    Filters,
    KeywordQuery,
    Legs,
    LegsRequest,
    Scored,
    StoredItem,
    StoreError,
    StoreStats,
    check_model_identity,
    count_values,
    document_times,
    query_vector,
    utc_now,
)
from indexer.store.opensearch_requests import (
    ADDED_FIELDS_DOCUMENT,
    ADDED_FIELDS_ITEM,
    ANALYSIS_DIR_IN_CLUSTER,
    BULK_CHUNK,
    DELETE_GRACE_S,
    FINISH_TIMEOUT_S,
    FTS5_SIMILARITY,
    MAX_TERMS_IDS,
    MAX_WINDOW,
    MGET_CHUNK,
    PAGE_SIZE,
    TERMS_ANALYZER,
    WEIGHTED_FIELD,
    BulkFailure,
    LegKey,
    alias_swap_actions,
    best_passage_per_item,
    case_item_ids_body,
    chunks,
    client_options,
    client_url,
    collect_failures,
    document_action,
    document_checksums_body,
    document_doc_id,
    document_items_body,
    document_meta_from_source,
    document_query,
    error_reason,
    facet_value_counts_body,
    facet_value_counts_from_response,
    facet_values_body,
    facet_values_from_fields,
    filtered_ids_body,
    finish_settings,
    hit_item_id,
    index_body,
    index_template_body,
    initial_k,
    item_actions,
    item_doc_id,
    keyword_hits,
    keyword_query_body,
    knn_query_body,
    leg_searches,
    msearch_error,
    msearch_lines,
    redact_url,
    stale_query,
    stats_body,
    stats_from_response,
    stored_item_from_source,
    template_name,
    vector_cut_off,
    versioned_index_name,
)

log = logging.getLogger("motesok.store.opensearch")


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
        self.url = redact_url(url or client_url(client))
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
            raise StoreError(f"the OpenSearch index alias {alias!r} is not a valid index name "
                             f"(lowercase, no leading _ - +)")
        with self._errors("connect"):
            self.client.info()
        self._index = self._open_or_create()

    @classmethod
    def from_settings(cls, settings: Any, *, embedding_model: str | None = None, dim: int | None = None,
                      analysis: dict[str, Any] | None = None) -> OpenSearchStore:
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
                f"the TLS certificate of OpenSearch at {self.url} was not accepted ({action}): {error_reason(error)}. "
                f"Set MOTESOK_OPENSEARCH_CA_CERTS to the PEM file of the CA that signed it (and use the host name "
                f"it was issued for), or MOTESOK_OPENSEARCH_VERIFY_CERTS=false on a trusted network") from error
        except exc.ConnectionError as error:  # also ConnectionTimeout
            raise StoreError(
                f"cannot reach OpenSearch at {self.url} ({action}): {error_reason(error)}. Is the cluster running "
                f"(docker compose up -d opensearch) and is MOTESOK_OPENSEARCH_URL right?") from error
        except (exc.AuthenticationException, exc.AuthorizationException) as error:
            raise StoreError(
                f"OpenSearch at {self.url} refused the credentials ({action}, HTTP {error.status_code}); "
                f"check MOTESOK_OPENSEARCH_USER and MOTESOK_OPENSEARCH_PASSWORD") from error
        except exc.TransportError as error:
            raise StoreError(f"OpenSearch at {self.url} failed to {action}: HTTP {error.status_code} "
                             f"{error_reason(error)}") from error

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
        identity = check_model_identity(
            stored_model, stored_dim, self.embedding_model, self.dim,
            store=f"the OpenSearch index {index} (alias {self.alias} on {self.url})",
            remedy=f"Set MOTESOK_OPENSEARCH_INDEX to another name, or delete {index} and index again.")
        if identity.verdict == "mismatch":
            raise StoreError(identity.message)
        # "adopt" (an index whose mapping records no model): used as it is, as before; the next
        # --rebuild creates an index that records it
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
        added = {**ADDED_FIELDS_DOCUMENT, **ADDED_FIELDS_ITEM,
                 WEIGHTED_FIELD: {"type": "text", "analyzer": TERMS_ANALYZER}}
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
                raise StoreError(f"cannot reach OpenSearch at {self.url} (warm up {index}): "
                                 f"{error_reason(error)}") from error
            log.warning("k-NN warm-up failed; graphs load at the first search",
                        extra={"index": index, "error": error_reason(error)})

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
    def full_reindex(self) -> Iterator[OpenSearchStore]:
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
        with self._errors("read document checksums"):
            return {h["_source"]["source"]: (h["_source"]["document_id"], h["_source"]["checksum"])
                    for h in self._hits(document_checksums_body(), None, index=index)}

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
            previous = (src.get("checksum") or "", src.get("first_indexed"), src.get("last_changed")) if src else None
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
        return query_vector(vector, self.dim)

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
            empty: list[Scored] | None = [] if request.unfiltered and vector is not None else None
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

        def leg(key: str, filters: Filters, query: np.ndarray) -> list[Scored]:
            hits = found.get((key, 0), [])
            best = best_passage_per_item(hits, request.vector_limit)
            if vector_cut_off(hits, best, request.vector_limit, initial_k(request.vector_limit)):
                return self.vector_search(query, filters, request.vector_limit)
            return best

        if query is None or request.vector_limit <= 0:
            return Legs(asked, keyword, [], [] if request.unfiltered and query is not None else None)
        unfiltered = leg("unfiltered", Filters(), query) if request.unfiltered else None
        if unfiltered is not None and request.filters.is_empty():
            filtered = unfiltered
        else:
            filtered = leg("vector", request.filters, query)
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
        for chunk in chunks(doc_ids, MGET_CHUNK):
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
            for chunk in chunks(list(dict.fromkeys(item_ids)), MAX_TERMS_IDS):
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
            for chunk in chunks(unique, MAX_TERMS_IDS):
                response = self.client.search(index=self.alias, body=facet_value_counts_body(chunk))
                for facet, values in facet_value_counts_from_response(response).items():
                    for value, count in values.items():
                        counts[facet][value] = counts[facet].get(value, 0) + count
        return counts

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
            items = [stored_item_from_source(h["_source"]) for h in self._hits(document_items_body(document_id), None)]
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
