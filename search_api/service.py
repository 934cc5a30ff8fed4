"""The search service: analyze the query, run the legs on the store, fuse, count facets, present.

CLI commands and API routes are thin wrappers over ``SearchService``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from indexer.store.base import FACET_FIELDS, Filters, KeywordQuery, Scored, Store, StoredItem
from search_api.fuse import evidence_fusion, fuse, length_discount
from search_api.query import QueryIntent, understand
from search_api.schemas import Answer, FacetValue, Hit, SearchParams, SearchResponse
from search_api.public import original_url, public_document, public_item
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
    vector_min_z: float = 3.0
    keyword_min_share: float = 0.75
    decision_boost: float = 0.5
    query_cache_size: int = 1024

    @classmethod
    def from_settings(cls, settings) -> "RankingConfig":
        return cls(**{f: getattr(settings, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class VectorCalibration:
    """The distribution of one query's similarities over the archive: a similarity means
    something only relative to it (e5 puts unrelated Swedish text at 0.7–0.8)."""

    mean: float
    std: float
    floor: float  # similarity a hit needs: mean + vector_min_z · std

    def z(self, similarity: float) -> float:
        return (similarity - self.mean) / self.std if self.std > 0 else 0.0


@dataclass(frozen=True)
class PreparedQuery:
    """A query as the legs use it: its intent, analyzed terms, its vector, the vector leg's
    calibration, and the vector leg without filters (reused when no filter is set)."""

    mode: str
    keyword: KeywordQuery
    vector: np.ndarray | None
    calibration: VectorCalibration | None = None
    unfiltered_vector_hits: tuple[Scored, ...] | None = None
    intent: QueryIntent | None = None
    keyword_relaxed: bool = False  # no item had the query's minimum of words: fewer were asked
    # the keyword leg without filters (found while choosing the minimum; reused when no filter is set)
    unfiltered_keyword_hits: tuple[Scored, ...] | None = None

    @property
    def vector_floor(self) -> float:
        return self.calibration.floor if self.calibration else np.inf


@dataclass(frozen=True)
class Ranked:
    """The candidate set of one search: fused order, and which leg matched each item."""

    hits: list[Scored]
    reasons: dict[str, str]  # item id → "words", "meaning" or "both"


#: Evidence fusion (``fusion = evidence``), chosen on the dev queries (tuned on the hard queries
#: with even ids, checked on the odd ones; the plateau holds from keyword weight 1.5 to 2.5 and
#: a typical length of 1000 to 3000 characters):
#: the keyword leg's weight falls with the cube of the share of the query's words an item had to
#: match (a relaxed leg, 2 of 4 words: 1/8): a hit holding half a paraphrase's words is weak evidence
KEYWORD_SHARE_POWER = 3.0
#: keyword hits in items longer than this many characters (about a page; the sample corpus's
#: median item is 1,043) count less (``length_discount``)
TYPICAL_ITEM_CHARS = 2000
#: the vector evidence of an item counts from this many standard deviations below the vector
#: floor, so a keyword hit the model rates nearly close gains over one it rates far
VECTOR_EVIDENCE_BELOW_FLOOR = 1.0
#: the head of the fused ranking whose keyword hits are read to discount long items (the rest
#: rank too low for the discount to matter, and reading every hit's text would cost a scan)
LENGTH_WINDOW = 50

#: document types whose items record what a body decided (not what was proposed to it)
DECISION_DOC_TYPES = frozenset({"protokoll", "protokollsutdrag", "beslut"})


def holds_decision(item: StoredItem) -> bool:
    """An item holding a decision: typed ``beslut``, or (an item without a type) a protocol's
    or decision's item with ``att …`` decisions."""
    if item.decision_kind is not None:
        return item.decision_kind == "beslut"
    return bool(item.decisions) and item.doc_type in DECISION_DOC_TYPES


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

    def keyword_query(self, subject: str) -> KeywordQuery:
        """The subject's keyword query: every word must match in a query of up to two words,
        a ``keyword_min_share`` of them (at least two) in a longer one."""
        query = self.analyzer.query(subject)
        words = len(query.word_matches())
        need = words if words <= 2 else max(2, math.ceil(self.ranking.keyword_min_share * words))
        return replace(query, minimum_match=need)

    def prepare(self, q: str, mode: str) -> PreparedQuery:
        intent = understand(q)
        asked = self.keyword_query(intent.subject)
        keyword_query, unfiltered = asked, None
        if mode in ("keyword", "hybrid"):
            keyword_query, hits = self._keyword_leg(asked, Filters())
            unfiltered = tuple(hits)
        relaxed = keyword_query.required() < asked.required()
        if mode == "keyword":
            return PreparedQuery(mode, keyword_query, None, intent=intent, keyword_relaxed=relaxed,
                                 unfiltered_keyword_hits=unfiltered)
        return PreparedQuery(mode, keyword_query, *self._embed_with_floor(intent.subject), intent=intent,
                             keyword_relaxed=relaxed, unfiltered_keyword_hits=unfiltered)

    def _embed_with_floor(self, q: str) -> tuple[np.ndarray, VectorCalibration | None, tuple[Scored, ...]]:
        """The query's vector, its calibration, and the vector leg without filters.

        A vector hit counts as a match only when its similarity stands out from this query's
        similarities over the whole archive: ``vector_min_z`` standard deviations above their
        mean. A fixed margin below the best hit let 99 unrelated items in for one query and none
        for another; the distribution adapts to the query. The floor does not depend on the
        filters, so the vector leg is a property of each item and a facet's count is the number
        of hits its filter gives.
        """
        vector = self._embed(q)
        hits = tuple(self.store.vector_search(vector, Filters(), self.ranking.vector_candidates))
        stats = getattr(self.store, "vector_score_stats", None)
        found = stats(vector) if stats is not None else None
        if found is None and hits:  # a store that cannot scan: the candidates' distribution
            scores = np.array([h.score for h in hits])
            found = (float(scores.mean()), float(scores.std()))
        if found is None:
            return vector, None, hits
        mean, std = found
        return vector, VectorCalibration(mean, std, mean + self.ranking.vector_min_z * std), hits

    def _keyword_leg(self, query: KeywordQuery, filters: Filters) -> tuple[KeywordQuery, list[Scored]]:
        """The keyword leg; when no item matches the query's minimum of words, the minimum is
        lowered one word at a time (a long paraphrase rarely shares all its words with the item)."""
        while True:
            hits = self.store.keyword_search(query, filters, self.ranking.keyword_candidates)
            if hits or query.required() <= 1:
                return query, hits
            query = replace(query, minimum_match=query.required() - 1)

    def rank(self, query: PreparedQuery, filters: Filters, keyword_hits: list[Scored] | None = None) -> Ranked:
        """The candidate set, best first, for one set of filters, and why each item matched."""
        words: list[Scored] = []
        meaning: list[Scored] = []
        scored: tuple[Scored, ...] | list[Scored] = ()  # the vector leg's candidates, below the floor too
        if query.mode in ("keyword", "hybrid"):
            if keyword_hits is None and filters.is_empty() and query.unfiltered_keyword_hits is not None:
                keyword_hits = list(query.unfiltered_keyword_hits)
            if keyword_hits is None:
                keyword_hits = self.store.keyword_search(query.keyword, filters, self.ranking.keyword_candidates)
            words = list(keyword_hits)
        if query.mode in ("semantic", "hybrid") and query.vector is not None:
            if filters.is_empty() and query.unfiltered_vector_hits is not None:
                scored = query.unfiltered_vector_hits
            else:
                scored = self.store.vector_search(query.vector, filters, self.ranking.vector_candidates)
            meaning = [h for h in scored if h.score >= query.vector_floor]
        reasons = {h.item_id: "meaning" for h in meaning}
        for h in words:
            reasons[h.item_id] = "both" if h.item_id in reasons else "words"
        if query.mode == "keyword":
            ranked = words
        elif query.mode == "semantic":
            ranked = meaning
        elif self.ranking.fusion == "evidence":
            ranked = self._evidence(query, words, meaning, scored)
        else:
            ranked = fuse([words, meaning], [self.ranking.keyword_weight, self.ranking.vector_weight],
                          self.ranking.fusion, k=self.ranking.rrf_k)
        if query.intent is not None and query.intent.decision:
            # with a relaxed keyword leg a words-only hit shares only part of the subject: it is
            # no answer, whatever it decided
            eligible = {i for i, why in reasons.items() if why != "words"} if query.keyword_relaxed else None
            ranked = self._decisions_first(ranked, query.intent.body, eligible)
        return Ranked(ranked, reasons)

    def _evidence(self, query: PreparedQuery, words: list[Scored], meaning: list[Scored],
                  scored: Sequence[Scored]) -> list[Scored]:
        """Evidence fusion (``search_api.fuse.evidence_fusion``) with this query's trust in each
        leg: the keyword leg weighs less when an item had to match only part of the query's words,
        and less for a hit in a long item; every candidate the vector leg scored adds its
        calibrated similarity."""
        calibration = query.calibration
        z = {h.item_id: calibration.z(h.score) for h in scored} if calibration else {}
        share = query.keyword.required() / max(1, len(query.keyword.word_matches()))
        keyword_weight = self.ranking.keyword_weight * share ** KEYWORD_SHARE_POWER
        vector_from = self.ranking.vector_min_z - VECTOR_EVIDENCE_BELOW_FLOOR
        meaning_ids = [h.item_id for h in meaning]
        fused = evidence_fusion(words, meaning_ids, z, keyword_weight, self.ranking.vector_weight, vector_from)
        if not words:
            return fused
        keyword_ids = {h.item_id for h in words}
        head = [r.item_id for r in fused[:LENGTH_WINDOW] if r.item_id in keyword_ids]
        discount = {i.id: length_discount(len(i.title) + len(i.text), TYPICAL_ITEM_CHARS)
                    for i in self.store.get_items(head)}
        if all(d == 1.0 for d in discount.values()):
            return fused
        return evidence_fusion(words, meaning_ids, z, keyword_weight, self.ranking.vector_weight, vector_from,
                               discount)

    def _decisions_first(self, ranked: list[Scored], body: str | None, eligible: set[str] | None = None,
                         window: int = 30) -> list[Scored]:
        """For a decision question: among the best ``window`` candidates, an item holding a
        decision (a protocol's beslut) gains ``decision_boost`` of the best score, so it ranks
        above proposals, information items and case documents that only discuss the subject;
        half as much again when its body is the one the question names. ``eligible``: the only
        items that may gain (None: all)."""
        if not ranked or self.ranking.decision_boost <= 0:
            return ranked
        head = ranked[:window]
        top = head[0].score if head[0].score > 0 else 1.0
        items = {i.id: i for i in self.store.get_items([r.item_id for r in head])}

        def boost(item: StoredItem) -> float:
            if not holds_decision(item) or (eligible is not None and item.id not in eligible):
                return 0.0
            named = body is not None and item.body is not None and body in item.body.lower()
            return self.ranking.decision_boost * top * (1.5 if named else 1.0)

        boosted = [Scored(r.item_id, r.score + boost(items[r.item_id])) if r.item_id in items else r for r in head]
        boosted.sort(key=lambda r: -r.score)
        return boosted + ranked[window:]

    def _prepare_and_rank(self, params: SearchParams) -> tuple[PreparedQuery, Filters, Ranked]:
        filters = params.filters()
        if params.mode != "hybrid":
            query = self.prepare(params.q, params.mode)
            return query, filters, self.rank(query, filters)
        # hybrid: embed the query while the keyword leg runs
        intent = understand(params.q)
        pending = self._pool.submit(self._embed_with_floor, intent.subject)
        asked = self.keyword_query(intent.subject)
        keyword_query, keyword_hits = self._keyword_leg(asked, filters)
        query = PreparedQuery(params.mode, keyword_query, *pending.result(), intent=intent,
                              keyword_relaxed=keyword_query.required() < asked.required())
        return query, filters, self.rank(query, filters, keyword_hits)

    def search(self, params: SearchParams) -> SearchResponse:
        query, filters, result = self._prepare_and_rank(params)
        ranked = result.hits
        facets = self._facets(query, filters, ranked)
        if params.sort == "date":
            ranked = self._by_date(ranked)

        page = ranked[params.offset : params.offset + params.limit]
        items = {item.id: item for item in self.store.get_items([r.item_id for r in page])}
        hits = [self._hit(items[r.item_id], r.score, query.keyword, result.reasons.get(r.item_id, "words"))
                for r in page if r.item_id in items]
        return SearchResponse(query=params.q, mode=params.mode, total=len(ranked), hits=hits, facets=facets,
                              answer=self._answer(query, result.hits))

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
                others = self.rank(query, filters.without(facet)).hits
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
            "item": public_item(item),
            "document": public_document(document[0]) if document else None,
            "previous": ref(siblings[index - 1]) if index else None,
            "next": ref(siblings[index + 1]) if index is not None and index + 1 < len(siblings) else None,
        }

    def document(self, document_id: str) -> dict | None:
        found = self.store.get_document(document_id)
        if found is None:
            return None
        meta, items = found
        return {"document": public_document(meta), "items": [public_item(i) for i in items]}

    def ranked_hits(self, params: SearchParams, max_items: int) -> list[tuple[StoredItem, Hit]]:
        """The search's first ``max_items`` matches in its order (``sort`` included), each as the
        stored item and its hit: what paging through ``search`` from the start gives, ranked once
        and without facets (feeds and e-mail digests)."""
        query, _, result = self._prepare_and_rank(params)
        ranked = result.hits
        if params.sort == "date":
            ranked = self._by_date(ranked)
        ranked = ranked[:max_items]
        items = {item.id: item for item in self.store.get_items([r.item_id for r in ranked])}
        return [(items[r.item_id], self._hit(items[r.item_id], r.score, query.keyword,
                                             result.reasons.get(r.item_id, "words")))
                for r in ranked if r.item_id in items]

    def export_items(self, params: SearchParams, max_items: int) -> Iterator[dict]:
        """Every matching item (ranked as the search ranks them), in batches, for export."""
        _, _, result = self._prepare_and_rank(params)
        ranked = result.hits[:max_items]
        if params.sort == "date":
            ranked = self._by_date(ranked)
        for start in range(0, len(ranked), 200):
            for item in self.store.get_items([r.item_id for r in ranked[start : start + 200]]):
                yield public_item(item)

    def _by_date(self, ranked: list[Scored]) -> list[Scored]:
        dates = self.store.facet_values([r.item_id for r in ranked])
        return sorted(ranked, key=lambda r: (dates.get(r.item_id, {}).get("date") or [""])[0], reverse=True)

    # -- presentation -----------------------------------------------------------------------

    def _hit(self, item: StoredItem, score: float, keyword_query: KeywordQuery, match: str) -> Hit:
        spans = self.analyzer.highlight_spans(item.text, keyword_query)
        return Hit(
            id=item.id, document_id=item.document_id, title=item.title, text=item.text,
            snippet=render_snippet(item.text, spans), organisation=item.organisation, body=item.body,
            date=item.date, year=item.year, doc_type=item.doc_type, paragraph=item.paragraph,
            number=item.number, topics=item.topics, decisions=item.decisions, decision_kind=item.decision_kind,
            score=round(score, 6), match=match, paragraph_label=item.paragraph_label, page_start=item.page_start,
            page_end=item.page_end, ocr=item.ocr,
            original=original_url(item.document_id, item.personnummer_masked, item.page_start),
        )

    def _answer(self, query: PreparedQuery, ranked: list[Scored], window: int = 5) -> Answer | None:
        """For a decision question: the first of the best ``window`` matches whose decisions are
        typed ``beslut`` (never a proposal) and whose title or decision text holds a word of the
        subject, so a decision on something else near the top is not offered as the answer."""
        if query.intent is None or not query.intent.decision or not query.keyword.terms():
            return None
        head = ranked[:window]
        items = {i.id: i for i in self.store.get_items([r.item_id for r in head])}
        for r in head:
            item = items.get(r.item_id)
            if item is None or item.decision_kind != "beslut" or not item.decisions:
                continue
            if not self.analyzer.highlight_spans("\n".join([item.title, *item.decisions]), query.keyword):
                continue
            return Answer(id=item.id, url=f"/punkt/{item.id}", title=item.title, decisions=item.decisions,
                          organisation=item.organisation, body=item.body, date=item.date, doc_type=item.doc_type,
                          paragraph=item.paragraph, number=item.number)
        return None
