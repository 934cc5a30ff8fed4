"""A naive baseline on the same items and queries: what Mötessök's search costs compared with it.

The baseline is the obvious first build of hybrid search: rank-bm25 (``BM25Okapi``) over
Snowball-stemmed lower-case words (no compounds, no lemmas, no synonyms), plus numpy
brute-force cosine over every passage vector (item score = its best passage), fused with the
same fusion, weights and candidate counts as the search service. It ranks
only: no facets, no snippets, no HTTP. Both sides embed the query with the same model, and
both are timed in-process, one query at a time.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import numpy as np

from indexer.store.base import Scored
from search_api.fuse import fuse

_WORD = re.compile(r"\w+", re.UNICODE)


class NaiveHybrid:
    def __init__(self, data_dir: Path, fusion: str, rrf_k: int, keyword_weight: float, vector_weight: float,
                 keyword_candidates: int, vector_candidates: int):
        import snowballstemmer
        from rank_bm25 import BM25Okapi

        started = time.perf_counter()
        self.stemmer = snowballstemmer.stemmer("swedish")
        conn = sqlite3.connect(f"file:{data_dir / 'motesok.sqlite3'}?mode=ro", uri=True)
        rows = conn.execute("SELECT rowid, id, title, text, body, year FROM items ORDER BY rowid").fetchall()
        self.ids = [r[1] for r in rows]
        self.body = np.asarray([r[4] or "" for r in rows], dtype=object)
        self.year = np.asarray([r[5] or 0 for r in rows])
        position = {r[0]: i for i, r in enumerate(rows)}
        tokenized_cache: dict[tuple[str, str], list[str]] = {}  # synthetic stores repeat texts
        corpus = []
        for r in rows:
            key = (r[2], r[3])
            if key not in tokenized_cache:
                tokenized_cache[key] = self.tokens(r[2] + "\n" + r[3])
            corpus.append(tokenized_cache[key])
        self.bm25 = BM25Okapi(corpus)
        passage_rows = conn.execute("SELECT item_rowid, vector FROM passages ORDER BY item_rowid, idx").fetchall()
        conn.close()
        self.passage_item = np.asarray([position[r[0]] for r in passage_rows], dtype=np.int64)
        raw = b"".join(r[1] for r in passage_rows)
        self.matrix = np.frombuffer(raw, dtype=np.float32).reshape(len(passage_rows), -1)
        self.fusion, self.rrf_k, self.weights = fusion, rrf_k, (keyword_weight, vector_weight)
        self.keyword_candidates, self.vector_candidates = keyword_candidates, vector_candidates
        self.build_seconds = time.perf_counter() - started

    def tokens(self, text: str) -> list[str]:
        return self.stemmer.stemWords(_WORD.findall(text.lower()))

    def _mask(self, params: dict) -> np.ndarray | None:
        mask = None
        if "body" in params:
            mask = self.body == params["body"]
        if "year" in params:
            mask = self.year == int(params["year"])
        if "date_from" in params:  # year range is what the baseline can do cheaply
            lo, hi = int(params["date_from"][:4]), int(params["date_to"][:4])
            mask = (self.year >= lo) & (self.year <= hi)
        return mask

    def search(self, query: str, vector: np.ndarray, params: dict) -> list[Scored]:
        mask = self._mask(params)
        scores = self.bm25.get_scores(self.tokens(query))
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[: self.keyword_candidates]
        keyword = [Scored(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
        sims = self.matrix @ vector
        best = np.full(len(self.ids), -np.inf, dtype=np.float32)
        np.maximum.at(best, self.passage_item, sims)
        if mask is not None:
            best = np.where(mask, best, -np.inf)
        top = np.argsort(-best)[: self.vector_candidates]
        semantic = [Scored(self.ids[i], float(best[i])) for i in top if best[i] > -np.inf]
        return fuse([keyword, semantic], list(self.weights), self.fusion, k=self.rrf_k)
