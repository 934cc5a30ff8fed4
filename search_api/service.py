"""The search service: analyze the query, run the legs on the store, fuse, count facets, present.

CLI commands and API routes are thin wrappers over ``SearchService``.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from indexer.store.base import FACET_FIELDS, Filters, KeywordQuery, Scored, Store, StoredItem
from search_api.fuse import fuse
from search_api.schemas import FacetValue, Hit, SearchParams, SearchResponse
from search_api.snippets import render_snippet


@dataclass(frozen=True)
class RankingConfig:
    """How the legs are drawn and fused; built from ``Settings`` (tuned on the dev queries)."""

    fusion: str
    rrf_k: int
    keyword_weight: float
    vector_weight: float
    keyword_candidates: int
    vector_candidates: int
    vector_margin: float
    query_cache_size: int = 1024

    @classmethod
    def from_settings(cls, settings) -> "RankingConfig":
        return cls(**{f: getattr(settings, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PreparedQuery:
    """A query as the legs use it: analyzed terms, its vector, the vector leg's floor, and the
    vector leg without filters (found while computing the floor, reused when no filter is set)."""

    mode: str
    keyword: KeywordQuery
    vector: np.ndarray | None
    vector_floor: float = -np.inf
    unfiltered_vector_hits: tuple[Scored, ...] | None = None


class SearchService:
    def __init__(self, store: Store, analyzer, embedder, ranking: RankingConfig | None = None):
        self.store = store
        self.analyzer = analyzer
        self.embedder = embedder
        if ranking is None:
            from motesok.config import Settings

            ranking = RankingConfig.from_settings(Settings())
        self.ranking = ranking
        # Paging, sorting, facet clicks and export repeat a query: embed it once.
        self._embed = lru_cache(maxsize=ranking.query_cache_size)(embedder.embed_query)
        # The query embedding (the model) and the keyword leg (SQLite) both run outside the
        # GIL, so one search uses both cores.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="motesok-embed")

    @classmethod
    def from_settings(cls, settings, store: Store, analyzer, embedder) -> "SearchService":
        return cls(store, analyzer, embedder, RankingConfig.from_settings(settings))

    # -- ranking -----------------------------------------------------------------------

    def prepare(self, q: str, mode: str) -> PreparedQuery:
        keyword_query = self.analyzer.query(q)
        if mode == "keyword":
            return PreparedQuery(mode, keyword_query, None)
        return PreparedQuery(mode, keyword_query, *self._embed_with_floor(q))

    def _embed_with_floor(self, q: str) -> tuple[np.ndarray, float, tuple[Scored, ...]]:
        """The query's vector, the vector leg's floor, and the vector leg without filters.

        Vector hits count as matches only within ``vector_margin`` of the best similarity in
        the whole store. A similarity is only meaningful relative to the query (e5 puts
        unrelated Swedish text at 0.7–0.8), and a floor that does not depend on the filters
        makes the vector leg a property of each item, so a facet's count is the number of
        hits its filter gives. The best item comes from the unfiltered leg, which a search
        without filters then uses as it is (one scan and one rescoring instead of two).
        """
        vector = self._embed(q)
        hits = tuple(self.store.vector_search(vector, Filters(), self.ranking.vector_candidates))
        floor = hits[0].score - self.ranking.vector_margin if hits else -np.inf
        return vector, floor, hits

    def rank(self, query: PreparedQuery, filters: Filters, keyword_hits: list[Scored] | None = None) -> list[Scored]:
        """The candidate set, best first, for one set of filters."""
        legs: list[list[Scored]] = []
        weights: list[float] = []
        if query.mode in ("keyword", "hybrid"):
            if keyword_hits is None:
                keyword_hits = self.store.keyword_search(query.keyword, filters, self.ranking.keyword_candidates)
            legs.append(keyword_hits)
            weights.append(self.ranking.keyword_weight)
        if query.mode in ("semantic", "hybrid") and query.vector is not None:
            if filters.is_empty() and query.unfiltered_vector_hits is not None:
                hits = query.unfiltered_vector_hits
            else:
                hits = self.store.vector_search(query.vector, filters, self.ranking.vector_candidates)
            legs.append([h for h in hits if h.score >= query.vector_floor])
            weights.append(self.ranking.vector_weight)
        if len(legs) == 1:
            return legs[0]
        return fuse(legs, weights, self.ranking.fusion, k=self.ranking.rrf_k)

    def _prepare_and_rank(self, params: SearchParams) -> tuple[PreparedQuery, Filters, list[Scored]]:
        filters = params.filters()
        if params.mode != "hybrid":
            query = self.prepare(params.q, params.mode)
            return query, filters, self.rank(query, filters)
        # hybrid: embed the query while the keyword leg runs
        pending = self._pool.submit(self._embed_with_floor, params.q)
        keyword_query = self.analyzer.query(params.q)
        keyword_hits = self.store.keyword_search(keyword_query, filters, self.ranking.keyword_candidates)
        query = PreparedQuery(params.mode, keyword_query, *pending.result())
        return query, filters, self.rank(query, filters, keyword_hits)

    def search(self, params: SearchParams) -> SearchResponse:
        query, filters, ranked = self._prepare_and_rank(params)
        facets = self._facets(query, filters, ranked)
        if params.sort == "date":
            ranked = self._by_date(ranked)

        page = ranked[params.offset : params.offset + params.limit]
        items = {item.id: item for item in self.store.get_items([r.item_id for r in page])}
        hits = [self._hit(items[r.item_id], r.score, query.keyword) for r in page if r.item_id in items]
        return SearchResponse(query=params.q, mode=params.mode, total=len(ranked), hits=hits, facets=facets)

    # -- facets --------------------------------------------------------------------------

    def _facets(self, query: PreparedQuery, filters: Filters, ranked: list[Scored]) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: a facet's own filter does not narrow its counts; every other filter does.

        The counted set is the candidate set the ranking considers, so counts add up to ``total``
        for single-valued facets when no filter is set.
        """
        counted = self.store.count_facet_values([r.item_id for r in ranked])
        counts: dict[str, list[FacetValue]] = {}
        for facet in FACET_FIELDS:
            counter = counted[facet]
            if getattr(filters, facet):
                others = self.rank(query, filters.without(facet))
                counter = self.store.count_facet_values([r.item_id for r in others])[facet]
            ordered = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
            if facet == "year":
                ordered = sorted(counter.items(), key=lambda kv: kv[0], reverse=True)
            counts[facet] = [FacetValue(value=v, count=c) for v, c in ordered]
        return counts

    # -- reading items and documents ---------------------------------------------------------

    def item_with_context(self, item_id: str) -> dict | None:
        """An item, its document's metadata and the previous/next item of the same meeting."""
        found = self.store.get_items([item_id])
        if not found:
            return None
        item = found[0]
        document = self.store.get_document(item.document_id)
        siblings = document[1] if document else []
        index = next((i for i, s in enumerate(siblings) if s.id == item.id), None)

        def ref(s: StoredItem | None) -> dict | None:
            return None if s is None else {"id": s.id, "title": s.title, "paragraph": s.paragraph, "number": s.number}

        return {
            "item": asdict(item),
            "document": document[0].to_dict() if document else None,
            "previous": ref(siblings[index - 1]) if index else None,
            "next": ref(siblings[index + 1]) if index is not None and index + 1 < len(siblings) else None,
        }

    def document(self, document_id: str) -> dict | None:
        found = self.store.get_document(document_id)
        if found is None:
            return None
        meta, items = found
        return {"document": meta.to_dict(), "items": [asdict(i) for i in items]}

    def export_items(self, params: SearchParams, max_items: int) -> Iterator[dict]:
        """Every matching item (ranked as the search ranks them), in batches, for export."""
        _, _, ranked = self._prepare_and_rank(params)
        ranked = ranked[:max_items]
        if params.sort == "date":
            ranked = self._by_date(ranked)
        for start in range(0, len(ranked), 200):
            for item in self.store.get_items([r.item_id for r in ranked[start : start + 200]]):
                yield asdict(item)

    def _by_date(self, ranked: list[Scored]) -> list[Scored]:
        dates = self.store.facet_values([r.item_id for r in ranked])
        return sorted(ranked, key=lambda r: (dates.get(r.item_id, {}).get("date") or [""])[0], reverse=True)

    # -- presentation -----------------------------------------------------------------------

    def _hit(self, item: StoredItem, score: float, keyword_query: KeywordQuery) -> Hit:
        spans = self.analyzer.highlight_spans(item.text, keyword_query)
        return Hit(
            id=item.id, document_id=item.document_id, title=item.title, text=item.text,
            snippet=render_snippet(item.text, spans), organisation=item.organisation, body=item.body,
            date=item.date, year=item.year, doc_type=item.doc_type, paragraph=item.paragraph,
            number=item.number, topics=item.topics, decisions=item.decisions, decision_kind=item.decision_kind,
            score=round(score, 6),
        )
