"""The search service: analyze the query, run the legs on the store, fuse, count facets, present.

CLI commands and API routes are thin wrappers over ``SearchService``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from indexer.cases import number_key, parse_case_number, series_less_aliases
from indexer.records import DocumentMeta
from indexer.references import (
    body_abbreviations,
    find_handling_references,
    find_references,
    is_generic_body,
    own_handling_number,
    resolve_body,
)
from indexer.store.base import (
    Filters,
    KeywordQuery,
    Legs,
    LegsRequest,
    Scored,
    Store,
    StoredItem,
    relaxations,
    run_legs,
)
from indexer.store.facets import FACETS
from models.protocols import Analyzer, QueryEmbedder
from search_api import cases as case_views
from search_api.fuse import evidence_fusion, fuse, length_discount
from search_api.public import original_url, public_document, public_item
from search_api.query import QueryIntent, understand
from search_api.ranking import DEFAULT_RANKING, RankingConfig
from search_api.schemas import (
    Answer,
    CaseRecord,
    CaseSearchResponse,
    DocumentView,
    FacetValue,
    Health,
    Hit,
    ItemContext,
    ItemRef,
    PublicDocument,
    PublicItem,
    Reference,
    SearchParams,
    SearchResponse,
    Stats,
)
from search_api.snippets import render_snippet


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


#: items of one body and year read to resolve a reference without a date
REFERENCE_CANDIDATES = 5000
#: keyword hits read to find the handling a ``Handling 2023 nr 204`` names
HANDLING_CANDIDATES = 50
#: items read to learn an organisation's bodies and case series (facet values only)
ORGANISATION_ITEMS_MAX = 200_000
BODIES_CACHE_SECONDS = 60.0


def _one(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


def _paragraph_key(value: int | str | None) -> str | None:
    """A § for comparison: ``3 a`` and ``3a`` alike."""
    return None if value is None else "".join(str(value).split()).lower()


def _shared_key(head: Sequence[str], others: Sequence[Sequence[str]]) -> str | None:
    """The case key (of the head's keys) that groups the others under it; the head's first key
    when it stands alone."""
    for key in head:
        if any(key in other for other in others):
            return key
    return head[0] if head else None


def holds_decision(item: StoredItem) -> bool:
    """An item holding a decision: typed ``beslut``, or (an item without a type) a protocol's
    or decision's item with ``att …`` decisions."""
    if item.decision_kind is not None:
        return item.decision_kind == "beslut"
    return bool(item.decisions) and item.doc_type in DECISION_DOC_TYPES


class SearchService:
    """The one way in for the CLI, the API and the page: searches, items, documents, cases,
    the archive's counts and health. ``ranking`` comes from the caller (the shell's settings).
    Without an embedder (``motesok case``) it reads items and cases but does not search."""

    def __init__(self, store: Store, analyzer: Analyzer | None, embedder: QueryEmbedder | None,
                 ranking: RankingConfig = DEFAULT_RANKING):
        self.store = store
        self.analyzer = analyzer
        self.embedder = embedder
        self.ranking = ranking
        # Paging, sorting, facet clicks and export repeat a query: embed it once.
        # (no embedder: a service for reading items and cases only, as ``motesok case`` uses)
        self._embed = lru_cache(maxsize=ranking.query_cache_size)(embedder.embed_query) if embedder else None
        # The query embedding (the model) and the keyword leg (SQLite) both run outside the
        # GIL, so one search uses both cores.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="motesok-embed")
        self._bodies_cache: dict[str | None, tuple[float, tuple[list[str], dict[str, str]]]] = {}
        self._aliases_cache: tuple[float, dict[str, str]] | None = None

    @classmethod
    def from_settings(cls, settings: object, store: Store, analyzer: Analyzer | None,
                      embedder: QueryEmbedder | None) -> SearchService:
        """A service ranking by the fields of a settings object (``RankingConfig.from_settings``)."""
        return cls(store, analyzer, embedder, RankingConfig.from_settings(settings))

    def _analyzer(self) -> Analyzer:
        if self.analyzer is None:
            raise RuntimeError("this search service reads items and cases only: it was built without an analyzer")
        return self.analyzer

    def _embedder(self) -> Callable[[str], np.ndarray]:
        if self._embed is None:
            raise RuntimeError("this search service reads items and cases only: it was built without a model")
        return self._embed

    # -- ranking -----------------------------------------------------------------------

    def keyword_query(self, subject: str) -> KeywordQuery:
        """The subject's keyword query: every word must match in a query of up to two words,
        a ``keyword_min_share`` of them (at least two) in a longer one."""
        query = self._analyzer().query(subject)
        words = len(query.word_matches())
        need = words if words <= 2 else max(2, math.ceil(self.ranking.keyword_min_share * words))
        return replace(query, minimum_match=need)

    def prepare(self, q: str, mode: str) -> PreparedQuery:
        intent = understand(q)
        asked = self.keyword_query(intent.subject)
        words = mode in ("keyword", "hybrid")
        vector = None if mode == "keyword" else self._embedder()(intent.subject)
        legs = self._legs(asked if words else None, vector, Filters())
        keyword_query = legs.keyword_query or asked
        relaxed = keyword_query.required() < asked.required()
        unfiltered = tuple(legs.keyword) if words else None
        if mode == "keyword":
            return PreparedQuery(mode, keyword_query, None, intent=intent, keyword_relaxed=relaxed,
                                 unfiltered_keyword_hits=unfiltered)
        return PreparedQuery(mode, keyword_query, vector, self._calibration(legs), tuple(legs.unfiltered_vector or ()),
                             intent=intent, keyword_relaxed=relaxed, unfiltered_keyword_hits=unfiltered)

    def _legs(self, asked: KeywordQuery | None, vector, filters: Filters) -> Legs:
        """The keyword leg (when no item matches the query's minimum of words, the minimum is
        lowered one word at a time: a long paraphrase rarely shares all its words with the item)
        and, given a vector (or a callable giving it), the vector leg with and without the
        filters, asked of the store together (OpenSearch: one ``_msearch``)."""
        request = LegsRequest(relaxations(asked) if asked is not None else (), vector, filters,
                              self.ranking.keyword_candidates, self.ranking.vector_candidates,
                              unfiltered=vector is not None)
        return run_legs(self.store, request)

    def _calibration(self, legs: Legs) -> VectorCalibration | None:
        """The vector leg's calibration, from the archive's similarities or the unfiltered candidates.

        A vector hit counts as a match only when its similarity stands out from this query's
        similarities over the whole archive: ``vector_min_z`` standard deviations above their
        mean. A fixed margin below the best hit let 99 unrelated items in for one query and none
        for another; the distribution adapts to the query. The floor does not depend on the
        filters, so the vector leg is a property of each item and a facet's count is the number
        of hits its filter gives.
        """
        hits = legs.unfiltered_vector or []
        found = legs.vector_stats
        if found is None and hits:  # a store that cannot scan: the candidates' distribution
            scores = np.array([h.score for h in hits])
            found = (float(scores.mean()), float(scores.std()))
        if found is None:
            return None
        mean, std = found
        return VectorCalibration(mean, std, mean + self.ranking.vector_min_z * std)

    def rank(self, query: PreparedQuery, filters: Filters, keyword_hits: list[Scored] | None = None,
             vector_hits: Sequence[Scored] | None = None) -> Ranked:
        """The candidate set, best first, for one set of filters, and why each item matched."""
        words: list[Scored] = []
        meaning: list[Scored] = []
        scored: Sequence[Scored] = ()  # the vector leg's candidates, below the floor too
        use_words = query.mode in ("keyword", "hybrid")
        use_vector = query.mode in ("semantic", "hybrid") and query.vector is not None
        if use_words and keyword_hits is None and filters.is_empty() and query.unfiltered_keyword_hits is not None:
            keyword_hits = list(query.unfiltered_keyword_hits)
        if use_vector and vector_hits is None and filters.is_empty() and query.unfiltered_vector_hits is not None:
            vector_hits = query.unfiltered_vector_hits
        if (use_words and keyword_hits is None) or (use_vector and vector_hits is None):  # both legs in one request
            legs = run_legs(self.store, LegsRequest(
                (query.keyword,) if use_words and keyword_hits is None else (),
                query.vector if use_vector and vector_hits is None else None, filters,
                self.ranking.keyword_candidates, self.ranking.vector_candidates))
            keyword_hits = legs.keyword if keyword_hits is None else keyword_hits
            vector_hits = legs.vector if vector_hits is None else vector_hits
        if use_words:
            words = list(keyword_hits or [])
        if use_vector:
            scored = vector_hits or ()
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
        pending = self._pool.submit(self._embedder(), intent.subject)
        asked = self.keyword_query(intent.subject)
        legs = self._legs(asked, pending.result, filters)  # a store running the legs in turn starts with words
        keyword_query = legs.keyword_query or asked
        query = PreparedQuery(params.mode, keyword_query, pending.result(), self._calibration(legs),
                              tuple(legs.unfiltered_vector or ()), intent=intent,
                              keyword_relaxed=keyword_query.required() < asked.required())
        return query, filters, self.rank(query, filters, legs.keyword, legs.vector)

    def search(self, params: SearchParams) -> SearchResponse:
        query, filters, result = self._prepare_and_rank(params)
        ranked = result.hits
        facets = self._facets(query, filters, ranked)
        if params.sort == "date":
            ranked = self._by_date(ranked)

        if params.group == "case":
            hits, total_groups = self._grouped_page(ranked, params, query, result)
        else:
            page = ranked[params.offset : params.offset + params.limit]
            items = {item.id: item for item in self.store.get_items([r.item_id for r in page])}
            hits = [self._hit(items[r.item_id], r.score, query.keyword, result.reasons.get(r.item_id, "words"))
                    for r in page if r.item_id in items]
            for hit in hits:  # each hit still names its case
                keys = self.case_keys_of(items[hit.id].case_keys)
                if keys:
                    hit.case = case_views.hit_case(keys[0], items[hit.id], [])
            total_groups = len(ranked)
        return SearchResponse(query=params.q, mode=params.mode, total=len(ranked), total_groups=total_groups,
                              hits=hits, facets=facets, answer=self._answer(query, result.hits))

    def _grouped_page(self, ranked: list[Scored], params: SearchParams, query: PreparedQuery,
                      result: Ranked) -> tuple[list[Hit], int]:
        """One page of hits grouped by case (paging runs over the groups): each group's best-ranked
        item is the hit and names the other matching items of its case; the total of groups."""
        score = {r.item_id: r.score for r in ranked}
        values = self.store.facet_values([r.item_id for r in ranked])
        keys_of = {i: self.case_keys_of(v.get("case_keys") or []) for i, v in values.items()}
        groups = case_views.group_by_case([r.item_id for r in ranked], keys_of)
        page = groups[params.offset : params.offset + params.limit]
        items = {item.id: item for item in self.store.get_items([i for group in page for i in group])}
        hits: list[Hit] = []
        for group in page:
            head = items.get(group[0])
            if head is None:
                continue
            hit = self._hit(head, score[head.id], query.keyword, result.reasons.get(head.id, "words"))
            others = [items[i] for i in group[1:] if i in items]
            key = _shared_key(keys_of.get(head.id, []), [keys_of.get(o.id, []) for o in others])
            if key is not None:
                hit.case = case_views.hit_case(key, head, others)
            hits.append(hit)
        return hits, len(groups)

    # -- cases (ärenden) -----------------------------------------------------------------------

    def case(self, case_id: str) -> CaseRecord | None:
        """The case of this key, built from the items that carry it now (search_api.cases); a
        series-less key that names one series' case (``0408/23`` for ``SLK-2023-00408``) is that case."""
        case_id = self.case_keys_of([case_id])[0]
        ids = self.case_item_ids(case_id)
        if not ids:
            return None
        items = self.store.get_items(ids)
        titles: dict[str, str | None] = {}
        for item in items:
            if (item.doc_type or "") not in case_views.MEETING_DOC_TYPES and item.document_id not in titles:
                document = self.store.get_document(item.document_id)
                titles[item.document_id] = document[0].title if document else None
        return case_views.build_case(case_id, items, titles, self._case_aliases())

    def cases_for_number(self, raw: str, organisation: str | None = None) -> list[str]:
        """The keys of the indexed cases with this case number: in ``organisation`` (its name as
        stored), or in every organisation of the store."""
        number = parse_case_number(raw.strip())
        if number is None:
            return []
        if organisation is not None:
            candidates: list[str | None] = [organisation]
        else:
            candidates = [*self.store.stats().by_organisation, None]
        aliases = self._case_aliases()
        keys = dict.fromkeys(aliases.get(k, k) for k in (number_key(number, org) for org in candidates))
        return [key for key in keys if self.case_item_ids(key)]

    def case_item_ids(self, case_id: str) -> list[str]:
        """The items of a case, its series-less aliases' included."""
        aliases = self._case_aliases()
        case_id = aliases.get(case_id, case_id)
        keys = (case_id, *(b for b, k in aliases.items() if k == case_id))
        return list(dict.fromkeys(i for key in keys for i in self.store.case_item_ids(key)))

    def case_keys_of(self, keys: Sequence[str]) -> list[str]:
        """Keys as cases: each series-less alias replaced by its series' key, in order, once."""
        aliases = self._case_aliases()
        return list(dict.fromkeys(aliases.get(k, k) for k in keys))

    def _case_aliases(self) -> dict[str, str]:
        """``indexer.cases.series_less_aliases`` over every key in the store (cached a minute)."""
        now = time.monotonic()
        cached = self._aliases_cache
        if cached is not None and now - cached[0] < BODIES_CACHE_SECONDS:
            return cached[1]
        # only from a store that lists its keys (SQLite: one DISTINCT over item_case); reading every
        # item's facet values would cost a large archive a scan a minute, so others join no aliases
        listed = getattr(self.store, "all_case_keys", None)
        aliases = series_less_aliases(listed()) if listed is not None else {}
        self._aliases_cache = (now, aliases)
        return aliases

    def search_cases(self, q: str, filters: Filters | None = None, limit: int = 10,
                     mode: str = "hybrid") -> CaseSearchResponse:
        """Cases for a query: a case number finds its cases; other words rank items as the search
        does and their cases follow in that order."""
        filters = filters or Filters()
        keys = self.cases_for_number(q, filters.organisation[0] if len(filters.organisation) == 1 else None)
        if parse_case_number(q.strip()) is None:  # a case number answers with its cases only, or none
            params = SearchParams(q=q, mode=mode, organisation=list(filters.organisation), body=list(filters.body),
                                  year=list(filters.year), topic=list(filters.topic), doc_type=list(filters.doc_type))
            _, _, result = self._prepare_and_rank(params)
            values = self.store.facet_values([r.item_id for r in result.hits])
            found: dict[str, None] = {}
            for r in result.hits:
                for key in self.case_keys_of(values.get(r.item_id, {}).get("case_keys") or []):
                    found.setdefault(key, None)
                if len(found) >= limit:
                    break
            keys = list(found)
        summaries = [case_views.summarise(case) for key in keys[:limit] if (case := self.case(key)) is not None]
        return CaseSearchResponse(query=q, total=len(summaries), cases=summaries)

    def references(self, item: StoredItem, siblings: Sequence[StoredItem] | None = None) -> list[dict]:
        """The references in the item's text (``Kommunstyrelsen 2025-03-12 § 44``, ``KS § 28``,
        ``Nämnden beslutade …, § 104``), each with the indexed item it points to, or none.

        Only within the item's organisation; a body's abbreviation is read from that organisation's
        own bodies (and the case series their items carry). A reference without a body means the
        citing document's body, and without a date too, in a meeting record, its own meeting
        (``justera protokollet förutom §§ 92, 96``); a generic body (``Nämnden beslutade``) is the
        citing body when a date is given and names nothing without one. With a date: the item with
        that § at that meeting. Without: the item with that § in the citing document's year, when
        one meeting of that body has it. Failing those, a protocol extract filed in the citing
        document (a bundle of handlingar carries the extracts it cites) with that date and §
        (``search_api.cases.extract_target``).
        """
        found = find_references(item.text)
        # a handling's own number at its head cites nothing (a protocol's item cites the handling)
        own = None if (item.doc_type or "") in case_views.MEETING_DOC_TYPES else own_handling_number(item.text)
        handlings = [h for h in find_handling_references(item.text) if (h.year, h.number) != own]
        if not found and not handlings:
            return []
        bodies, abbreviations = self._organisation_bodies(item.organisation)
        if siblings is None:
            document = self.store.get_document(item.document_id)
            siblings = document[1] if document else []
        out = []
        for ref in found:
            date = ref.date
            if ref.body is None:
                body = item.body
                if date is None and (item.doc_type or "") in case_views.MEETING_DOC_TYPES:
                    date = item.date  # this meeting's own paragraphs
            elif is_generic_body(ref.body):
                body = item.body if date else None
            else:
                body = resolve_body(ref.body, bodies, abbreviations)
            target = None
            # (an item of no known organisation resolves only within its own document)
            if body and item.organisation:
                target = self._reference_target(item, body, date, ref.paragraph)
            if target is None and not (is_generic_body(ref.body) and not date):
                target = case_views.extract_target(item, siblings, date, ref.paragraph)
            out.append({"text": ref.text, "start": ref.start, "end": ref.end, "body": body, "date": date,
                        "paragraph": None if ref.paragraph is None else str(ref.paragraph),
                        "target": target.id if target else None,
                        "url": case_views.item_url(target.id) if target else None,
                        "title": target.title if target else None})
        for handling in handlings:
            target = self._handling_target(item, handling.year, handling.number)
            out.append({"text": handling.text, "start": handling.start, "end": handling.end, "body": None,
                        "date": None, "paragraph": None, "target": target.id if target else None,
                        "url": case_views.item_url(target.id) if target else None,
                        "title": target.title if target else None})
        return sorted(out, key=lambda r: r["start"])

    def _handling_target(self, citing: StoredItem, year: int, number: int) -> StoredItem | None:
        """The indexed handling of fullmäktige that prints ``Handling {year} nr {number}`` at its head,
        in the citing item's organisation and another document; None unless one document does.
        Found through the keyword index (the words of the number), confirmed on the head."""
        if not citing.organisation or self.analyzer is None:
            return None
        query = replace(self.analyzer.query(f"Handling {year} nr {number}"), minimum_match=1_000)  # every word
        hits = self.store.keyword_search(query, Filters(organisation=(citing.organisation,)), HANDLING_CANDIDATES)
        found = [i for i in self.store.get_items([h.item_id for h in hits])
                 if i.document_id != citing.document_id and own_handling_number(i.text) == (year, number)]
        if len({i.document_id for i in found}) != 1:
            return None
        return min(found, key=lambda i: i.position)

    def _reference_target(self, citing: StoredItem, body: str, date: str | None,
                          paragraph: int | str | None) -> StoredItem | None:
        if paragraph is None:
            return None
        wanted = _paragraph_key(paragraph)
        if date:
            filters = Filters(organisation=_one(citing.organisation), body=(body,), date_from=date, date_to=date)
        elif citing.year is not None:
            filters = Filters(organisation=_one(citing.organisation), body=(body,), year=(citing.year,))
        else:
            return None
        ids = self.store.filtered_ids(filters, REFERENCE_CANDIDATES)
        matches = [i for i in self.store.get_items(ids)
                   if i.id != citing.id and _paragraph_key(i.paragraph_label or i.paragraph) == wanted]
        if len({m.date for m in matches}) != 1:  # none, or several meetings: left as plain text
            return None
        # one meeting: its protocol's item (the decision) before the kallelse's
        return min(matches, key=lambda m: (m.doc_type not in DECISION_DOC_TYPES, m.document_id, m.position))

    def _organisation_bodies(self, organisation: str | None) -> tuple[list[str], dict[str, str]]:
        """The organisation's bodies and the abbreviations that name them (cached for a minute:
        the item page asks on every view, the answer changes only with indexing)."""
        now = time.monotonic()
        cached = self._bodies_cache.get(organisation)
        if cached is not None and now - cached[0] < BODIES_CACHE_SECONDS:
            return cached[1]
        series: dict[str, set[str]] = {}
        cluster_counts = getattr(self.store, "facet_counts", None)
        if cluster_counts is not None:  # a search server counts the bodies itself (no case series then)
            for body in cluster_counts(Filters(organisation=_one(organisation)))["body"]:
                series.setdefault(body, set())
            ids: list[str] = []
        else:
            ids = self.store.filtered_ids(Filters(organisation=_one(organisation)), ORGANISATION_ITEMS_MAX)
        for values in self.store.facet_values(ids).values():
            for body in values.get("body") or []:
                mine = series.setdefault(body, set())
                for key in values.get("case_keys") or []:
                    number = key.split(":", 1)[-1].rsplit("-", 2)
                    if len(number) == 3:
                        mine.add(number[0].upper())
        bodies = sorted(series)
        answer = (bodies, body_abbreviations(bodies, {b: sorted(s) for b, s in series.items() if s}))
        self._bodies_cache[organisation] = (now, answer)
        return answer

    # -- facets --------------------------------------------------------------------------

    def _facets(self, query: PreparedQuery, filters: Filters, ranked: list[Scored]) -> dict[str, list[FacetValue]]:
        """Disjunctive counts: a facet's own filter does not narrow its counts; every other filter does.

        The counted set is the candidate set the ranking considers, so counts add up to ``total``
        for single-valued facets when no filter is set.
        """
        counted = self.store.count_facet_values([r.item_id for r in ranked])
        counts: dict[str, list[FacetValue]] = {}
        for facet in FACETS:
            counter = counted[facet.name]
            if getattr(filters, facet.name):
                others = self.rank(query, filters.without(facet.name)).hits
                counter = self.store.count_facet_values([r.item_id for r in others])[facet.name]
            counts[facet.name] = [FacetValue(value=v, count=c) for v, c in facet.ordered(counter)]
        return counts

    # -- reading items and documents ---------------------------------------------------------

    def item_with_context(self, item_id: str) -> ItemContext | None:
        """An item, its document's metadata and the previous/next item of the same meeting."""
        found = self.store.get_items([item_id])
        if not found:
            return None
        item = found[0]
        document = self.store.get_document(item.document_id)
        siblings = document[1] if document else []
        index = next((i for i, s in enumerate(siblings) if s.id == item.id), None)

        def ref(s: StoredItem | None) -> ItemRef | None:
            return None if s is None else ItemRef(id=s.id, title=s.title, paragraph=s.paragraph, number=s.number)

        return ItemContext(
            item=PublicItem.model_validate(public_item(item)),
            document=PublicDocument.model_validate(public_document(document[0])) if document else None,
            previous=ref(siblings[index - 1]) if index else None,
            next=ref(siblings[index + 1]) if index is not None and index + 1 < len(siblings) else None,
            case=self._item_cases(item),
            references=[Reference(**r) for r in self.references(item, document[1] if document else None)],
        )

    def _item_cases(self, item: StoredItem) -> list[dict]:
        """The cases the item is a step of, each with its steps (``current`` marks this item's)."""
        out = []
        for key in self.case_keys_of(item.case_keys):
            case = self.case(key)
            if case is None:
                continue
            found = case.model_dump()
            for step in found["steps"]:
                step["current"] = step["item_id"] == item.id or (
                    step["document_level"] and step["document_id"] == item.document_id)
            out.append(found)
        return out

    def document(self, document_id: str) -> DocumentView | None:
        found = self.store.get_document(document_id)
        if found is None:
            return None
        meta, items = found
        return DocumentView(document=PublicDocument.model_validate(public_document(meta)),
                            items=[PublicItem.model_validate(public_item(i)) for i in items])

    def stored_document(self, document_id: str) -> DocumentMeta | None:
        """The document's stored metadata with its source path (serving the original needs it)."""
        found = self.store.get_document(document_id)
        return found[0] if found else None

    # -- the archive ---------------------------------------------------------------------------

    def stats(self) -> Stats:
        """Counts per organisation, body and year, and the newest meeting date per body."""
        s = self.store.stats()
        return Stats(documents=s.documents, items=s.items, organisation=s.by_organisation, body=s.by_body,
                     year={str(k): v for k, v in s.by_year.items()}, newest_date_by_body=s.newest_date_by_body)

    def health(self) -> Health:
        """Whether the store answers and the query model is loaded; never raises."""
        counts: dict[str, int | str]
        try:
            stats = self.store.stats()
            store_ok = True
            counts = {"documents": stats.documents, "items": stats.items}
        except Exception as exc:  # the point of a health check is to report, not to fail
            store_ok, counts = False, {"error": type(exc).__name__}
        model_ok = getattr(self.embedder, "dim", 0) > 0
        status = "ok" if store_ok and model_ok else "degraded"
        return Health.model_validate({"status": status, "store": store_ok, "model_loaded": model_ok,
                                      "model": getattr(self.embedder, "name", None), **counts})

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
        spans = self._analyzer().highlight_spans(item.text, keyword_query)
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
            if not self._analyzer().highlight_spans("\n".join([item.title, *item.decisions]), query.keyword):
                continue
            return Answer(id=item.id, url=f"/punkt/{item.id}", title=item.title, decisions=item.decisions,
                          organisation=item.organisation, body=item.body, date=item.date, doc_type=item.doc_type,
                          paragraph=item.paragraph, number=item.number)
        return None
