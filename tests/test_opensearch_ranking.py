"""Keyword ranking of the two backends compared as data (issue 20, defect 2).

The sample corpus (corpus/*.txt and corpus/extra/*.txt) is indexed into a SQLite store; its items'
analysed terms are then scored for every benchmark query (tests/data/{dev_queries,full_judgments,
hard_queries}.jsonl) three ways, over the same matching items (``matching_mask``; all terms of an
alternative present, the NEAR window left out on all sides):

- ``fts5``: the SQLite store's own BM25 (``indexer.store.postings``, which its tests check equals
  FTS5's ``bm25()``): one saturation over the title-weighted count, one token count, idf floored;
- ``separate_fields``: what the OpenSearch store scored before: Lucene's BM25 per field (its idf,
  no (k1+1), each field's own length and average) as ``4 × title + text``;
- ``scripted``: what it scores now: one ``weighted_terms`` field (title terms four times, then the
  text terms) under the ``scripted`` similarity of ``fts5_similarity()``, FTS5's formula over that
  field's statistics, with the field length as Lucene stores it (a one-byte norm, ``SmallFloat``).

Terms of several tokens (phrases; FTS5 and Lucene score them differently) are left out of the
scores on all sides. The figures are printed; the asserts guard the agreement reached.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from indexer.store import postings
from indexer.store.base import TEXT_WEIGHT, TITLE_WEIGHT, matching_mask
from tests.conftest import CORPUS, PROJECT

QUERY_FILES = ("dev_queries.jsonl", "full_judgments.jsonl", "hard_queries.jsonl")
K1, B = 1.2, 0.75


# -- Lucene's one-byte length norm (org.apache.lucene.util.SmallFloat) -------------------------------

def _long_to_int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    return ((i >> shift) & 0x07) | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits, shift = i & 0x07, (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


_FREE = 255 - _long_to_int4(2**31 - 1)  # 24: lengths below are stored exactly


def lucene_length(length: int) -> int:
    """The field length a Lucene similarity sees: ``byte4ToInt(intToByte4(length))``."""
    if length < _FREE:
        return length
    return _FREE + _int4_to_long(_long_to_int4(length - _FREE))


def test_small_float_lengths():
    assert [lucene_length(n) for n in (0, 1, 23, 24, 25, 31, 32, 40)] == [0, 1, 23, 24, 25, 31, 32, 40]
    assert lucene_length(100) == 96 and lucene_length(1000) == 984  # three bits of mantissa above 24+16


# -- the corpus as terms ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def items(analyzer, tmp_path_factory) -> list[tuple[list[str], list[str]]]:
    """(title tokens, text tokens) of every item of the sample corpus, as the SQLite store holds them."""
    from indexer.pipeline import Indexer
    from indexer.store.sqlite import SQLiteStore
    from models.embeddings import HashingEmbedder

    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path_factory.mktemp("ranking-store"), embedding_model="hashing", dim=embedder.dim)
    files = sorted(CORPUS.glob("*.txt")) + sorted((CORPUS / "extra").glob("*.txt"))
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder, topics=None).run(files)
    assert summary.failed == 0, summary.messages
    rows = store._conn.execute("SELECT title, text FROM items_fts ORDER BY rowid").fetchall()
    store.close()
    return [(postings.tokens(title or ""), postings.tokens(text or "")) for title, text in rows]


@pytest.fixture(scope="module")
def queries(analyzer):
    texts = []
    for name in QUERY_FILES:
        for line in (PROJECT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["query"])
    return [analyzer.query(text) for text in dict.fromkeys(texts)]


# -- the three scorings ----------------------------------------------------------------------------

class Corpus:
    def __init__(self, items: list[tuple[list[str], list[str]]]):
        self.title = [Counter(t) for t, _ in items]
        self.text = [Counter(x) for _, x in items]
        self.title_len = np.array([len(t) for t, _ in items], dtype=float)
        self.text_len = np.array([len(x) for _, x in items], dtype=float)
        self.n = len(items)

    def present(self, terms: tuple[str, ...]) -> np.ndarray:
        words = [t.lower() for t in terms]
        return np.array([all(w in a or w in b for w in words) for a, b in zip(self.title, self.text)])

    def fts5(self, terms: list[str]) -> np.ndarray:
        """The SQLite store's scores, by its own code (indexer/store/postings.py)."""
        blobs = [postings.item_terms(" ".join(t.elements()), " ".join(x.elements()), TITLE_WEIGHT, TEXT_WEIGHT)
                 for t, x in zip(self.title, self.text)]
        p = postings.Postings.build(np.arange(self.n), np.array([b[0] for b in blobs], dtype=np.float32),
                                    [b[1] for b in blobs], [b[2] for b in blobs], self.n)
        index, values = p.scores(terms)
        scores = np.zeros(self.n)
        scores[index] = values
        return scores

    def separate_fields(self, terms: list[str]) -> np.ndarray:
        """Lucene BM25Similarity per field, ``4 × title + text`` (the old keyword_clauses)."""
        scores = np.zeros(self.n)
        for counts, lengths, boost in ((self.title, self.title_len, TITLE_WEIGHT), (self.text, self.text_len, TEXT_WEIGHT)):
            has_field = lengths > 0
            docs = int(has_field.sum())
            average = lengths[has_field].sum() / docs
            stored = np.array([lucene_length(int(v)) for v in lengths])
            for term in terms:
                f = np.array([c.get(term, 0) for c in counts], dtype=float)
                df = int((f > 0).sum())
                if not df:
                    continue
                idf = math.log(1 + (docs - df + 0.5) / (df + 0.5))
                scores += boost * idf * f / (f + K1 * (1 - B + B * stored / average))
        return scores

    def scripted(self, terms: list[str]) -> np.ndarray:
        """``fts5_similarity()`` over the ``weighted_terms`` field, with Lucene's statistics of it."""
        weighted = [Counter({k: TITLE_WEIGHT * v for k, v in t.items()}) + x for t, x in zip(self.title, self.text)]
        lengths = TITLE_WEIGHT * self.title_len + self.text_len
        has_field = lengths > 0
        docs = int(has_field.sum())
        average = lengths.sum() / docs  # field.sumTotalTermFreq / field.docCount
        stored = np.array([lucene_length(int(v)) for v in lengths])
        scores = np.zeros(self.n)
        for term in terms:
            f = np.array([c.get(term, 0) for c in weighted], dtype=float)
            df = int((f > 0).sum())
            if not df:
                continue
            idf = math.log((docs - df + 0.5) / (df + 0.5))
            idf = idf if idf > 0 else 1e-6
            scores += idf * f * (K1 + 1) / (f + K1 * (1 - B + B * stored / average))
        return scores


def _ranked(scores: np.ndarray, mask: np.ndarray) -> list[int]:
    index = np.flatnonzero(mask)
    return [int(i) for i in index[np.lexsort((index, -scores[index]))]]


def agreement(corpus: Corpus, queries, method: str, *, any_term: bool = False) -> tuple[float, float, int]:
    """(share of queries with the same first hit, mean top-10 overlap, queries compared) against FTS5,
    ranking the items that match the query (what the store returns) or, harder, every item holding
    any of its terms (often hundreds: the formula alone decides)."""
    same_first, overlaps = 0, []
    for query in queries:
        terms = [t for t in query.terms() if postings.is_single_token(t)]
        if any_term:
            mask = np.zeros(corpus.n, dtype=bool)
            for term in terms:
                mask |= corpus.present((term,))
        else:
            mask = matching_mask(query, corpus.present, corpus.n)
        if not terms or not mask.any():
            continue
        reference = _ranked(corpus.fts5(terms), mask)
        other = _ranked(getattr(corpus, method)(terms), mask)
        same_first += reference[0] == other[0]
        top = min(10, len(reference))
        overlaps.append(len(set(reference[:top]) & set(other[:top])) / top)
    return same_first / len(overlaps), float(np.mean(overlaps)), len(overlaps)


def test_scripted_similarity_ranks_like_sqlite(items, queries):
    corpus = Corpus(items)
    for any_term in (False, True):
        before = agreement(corpus, queries, "separate_fields", any_term=any_term)
        after = agreement(corpus, queries, "scripted", any_term=any_term)
        print(f"\n{corpus.n} items, {after[2]} queries, {'items with any term' if any_term else 'matching items'}: "
              f"same first hit / top-10 overlap against FTS5: separate fields {before[0]:.3f} / {before[1]:.3f}, "
              f"scripted similarity {after[0]:.3f} / {after[1]:.3f}")
        assert after[0] >= 0.9 and after[1] >= 0.9
        assert after[0] >= before[0] and after[1] >= before[1]
