"""The search service: analyze the query, run the legs on the store, fuse, count facets, present.

CLI commands and API routes are thin wrappers over ``SearchService``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from indexer.store.base import FACET_FIELDS, Filters, KeywordQuery, Scored, Store, StoredItem
from search_api.fuse import reciprocal_rank_fusion
from search_api.schemas import FacetValue, Hit, SearchParams, SearchResponse
from search_api.snippets import render_snippet


@dataclass
class RankingConfig:
    """Fusion and candidate settings (from ``Settings``; tuned on the dev queries)."""

    rrf_k: int = 10
    keyword_weight: float = 2.0
    vector_weight: float = 1.0
    keyword_candidates: int = 1000
    vector_candidates: int = 100


class SearchService:
    def __init__(self, store: Store, analyzer, embedder, ranking: RankingConfig | None = None):
        self.store = store
        self.analyzer = analyzer
        self.embedder = embedder
        self.ranking = ranking or RankingConfig()

    @classmethod
    def from_settings(cls, settings, store: Store, analyzer, embedder) -> "SearchService":
        ranking = RankingConfig(
            rrf_k=settings.rrf_k,
            keyword_weight=settings.keyword_weight,
            vector_weight=settings.vector_weight,
            keyword_candidates=settings.keyword_candidates,
            vector_candidates=settings.vector_candidates,
        )
        return cls(store, analyzer, embedder, ranking)

    # -- ranking -----------------------------------------------------------------------

    def rank(self, mode: str, keyword_query: KeywordQuery, vector: np.ndarray | None, filters: Filters) -> list[Scored]:
        """The candidate set, best first, for one set of filters."""
        legs: list[list[Scored]] = []
        weights: list[float] = []
        if mode in ("keyword", "hybrid"):
            legs.append(self.store.keyword_search(keyword_query, filters, self.ranking.keyword_candidates))
            weights.append(self.ranking.keyword_weight)
        if mode in ("semantic", "hybrid") and vector is not None:
            legs.append(self.store.vector_search(vector, filters, self.ranking.vector_candidates))
            weights.append(self.ranking.vector_weight)
        if len(legs) == 1:
            return legs[0]
        return reciprocal_rank_fusion(legs, weights, k=self.ranking.rrf_k)

    def search(self, params: SearchParams) -> SearchResponse:
        filters = params.filters()
        keyword_query = self.analyzer.query(params.q)
        vector = self.embedder.embed_query(params.q) if params.mode in ("semantic", "hybrid") else None
        ranked = self.rank(params.mode, keyword_query, vector, filters)

        facets = self._facets(params.mode, keyword_query, vector, filters, ranked)
        if params.sort == "date":
            ranked = self._by_date(ranked)

        page = ranked[params.offset : params.offset + params.limit]
        items = {item.id: item for item in self.store.get_items([r.item_id for r in page])}
        hits = [self._hit(items[r.item_id], r.score, keyword_query) for r in page if r.item_id in items]
        return SearchResponse(query=params.q, mode=params.mode, total=len(ranked), hits=hits, facets=facets)

    # -- facets --------------------------------------------------------------------------

    def _facets(
        self, mode: str, keyword_query: KeywordQuery, vector, filters: Filters, ranked: list[Scored]
    ) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: a facet's own filter does not narrow its counts; every other filter does.

        The counted set is the candidate set the ranking considers, so counts add up to ``total``
        for single-valued facets when no filter is set.
        """
        values = self.store.facet_values([r.item_id for r in ranked])
        counts: dict[str, list[FacetValue]] = {}
        for facet in FACET_FIELDS:
            if getattr(filters, facet):
                others = self.rank(mode, keyword_query, vector, filters.without(facet))
                facet_ids = [r.item_id for r in others]
                facet_values = self.store.facet_values(facet_ids)
            else:
                facet_ids, facet_values = [r.item_id for r in ranked], values
            counter: Counter = Counter()
            for item_id in facet_ids:
                for value in facet_values.get(item_id, {}).get(facet, []):
                    counter[value] += 1
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
        filters = params.filters()
        keyword_query = self.analyzer.query(params.q)
        vector = self.embedder.embed_query(params.q) if params.mode in ("semantic", "hybrid") else None
        ranked = self.rank(params.mode, keyword_query, vector, filters)[:max_items]
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
            number=item.number, topics=item.topics, decisions=item.decisions, score=round(score, 6),
        )
