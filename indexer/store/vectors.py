"""Passage vectors in memory for exact nearest-item search, scanned as int8 first.

Why: the exact scan reads every float32 vector (370 MB at 100k items) and is memory-bandwidth
bound: ~20 ms a query on the 2-core machine. An int8 copy is a quarter of the bytes; simsimd's
int8 dot-product kernels score every passage from it in ~5–9 ms. The items that could be among
the best (approximate score within a margin of the k-th best) are then rescored from the
float32 rows, so the items returned and their scores are those of the exact scan.

Quantization is symmetric per dimension (scale = the dimension's largest magnitude ÷ 127); the
query is quantized the same way after scaling. A passage's error is a sum of one rounding error
per dimension on each side, so it is close to normal with a standard deviation computable per
query (``rescore_margin``); the margin is twice ``SIGMAS`` of them (an item's and the k-th
item's error). With e5 vectors: σ ≈ 0.0003, largest error seen 0.002 over 241k passages × 100
queries, margin ≈ 0.007.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import simsimd

SIGMAS = 10
#: rows quantized at a time, so loading needs no second full-size float32 temporary
_CHUNK_ROWS = 50_000
_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class PassageVectors:
    matrix: np.ndarray  # float32 (passages, dims), each item's passages one run of rows
    quantized: np.ndarray  # int8, same shape
    dim_scale: np.ndarray  # float32 (dims,)
    mean_square: np.ndarray  # float64 (dims,): mean squared int8 value per dimension
    starts: np.ndarray  # first row of each run
    ends: np.ndarray  # one past the last row of each run
    run_items: np.ndarray  # item index (into the store's item order) of each run; -1: none
    run_of_item: np.ndarray  # run of each item; -1: the item has no passages

    @classmethod
    def build(cls, matrix: np.ndarray, passage_items: np.ndarray, rowids: np.ndarray) -> PassageVectors:
        """``matrix`` rows ordered by item; ``passage_items``: each row's item rowid; ``rowids``:
        every item's rowid, ascending (an item's index is its position there)."""
        n_items = len(rowids)
        if len(matrix) == 0:
            empty = np.zeros(0, dtype=np.int64)
            ones = np.ones(matrix.shape[1], dtype=np.float32)
            return cls(matrix, matrix.astype(np.int8), ones, ones.astype(np.float64), empty, empty, empty,
                       np.full(n_items, -1, dtype=np.int64))
        starts = np.flatnonzero(np.r_[True, passage_items[1:] != passage_items[:-1]])
        ends = np.r_[starts[1:], len(matrix)]
        run_rowids = passage_items[starts]
        run_items = np.searchsorted(rowids, run_rowids)
        known = run_items < n_items
        known[known] = rowids[run_items[known]] == run_rowids[known]
        run_items[~known] = -1  # passages whose item is gone (not expected: both go in one transaction)
        run_of_item = np.full(n_items, -1, dtype=np.int64)
        run_of_item[run_items[known]] = np.flatnonzero(known)

        largest = np.zeros(matrix.shape[1], dtype=np.float32)
        for start in range(0, len(matrix), _CHUNK_ROWS):
            np.maximum(largest, np.abs(matrix[start:start + _CHUNK_ROWS]).max(axis=0), out=largest)
        dim_scale = np.where(largest > 0, largest / 127, 1).astype(np.float32)
        quantized = np.empty(matrix.shape, dtype=np.int8)
        square_sum = np.zeros(matrix.shape[1], dtype=np.float64)
        for start in range(0, len(matrix), _CHUNK_ROWS):
            chunk = np.rint(matrix[start:start + _CHUNK_ROWS] / dim_scale)
            quantized[start:start + _CHUNK_ROWS] = chunk
            square_sum += (chunk.astype(np.float64) ** 2).sum(axis=0)
        return cls(matrix, quantized, dim_scale, square_sum / len(matrix), starts, ends, run_items, run_of_item)

    @property
    def dims(self) -> int:
        return self.matrix.shape[1]

    def __len__(self) -> int:
        return len(self.starts)

    def _query_factor(self, query: np.ndarray) -> float:
        """What the scaled query is multiplied by to fill the int8 range (0: a zero query)."""
        largest = float(np.abs(query * self.dim_scale).max()) if len(self.dim_scale) else 0.0
        return 127 / largest if largest > 0 else 0.0

    def rescore_margin(self, query: np.ndarray) -> float:
        """How far below the k-th approximate score an item of the exact top k can fall."""
        factor = self._query_factor(query)
        # uniform rounding error of width w has variance w²/12: the stored side per dimension
        # (width scale_d, times q_d), the query side (width 1/factor, times the int8 value)
        variance = float(((self.dim_scale.astype(np.float64) * query) ** 2).sum()) / 12
        if factor:
            variance += float(self.mean_square.sum()) / (12 * factor**2)
        return 2 * SIGMAS * variance**0.5

    def approximate_scores(self, query: np.ndarray) -> np.ndarray:
        """Every item's best-passage similarity from the int8 copy (-inf: no passages)."""
        scores = np.full(len(self.run_of_item), -np.inf, dtype=np.float32)
        if not len(self.starts):
            return scores
        factor = self._query_factor(query)
        if not factor:
            sims = np.zeros(len(self.matrix), dtype=np.float32)
        else:
            query8 = np.rint(query * self.dim_scale * factor).astype(np.int8)
            sims = np.asarray(simsimd.cdist(query8[None], self.quantized, metric="dot", out_dtype="float32",
                                            threads=_THREADS)).reshape(-1)
            sims /= factor
        best = np.maximum.reduceat(sims, self.starts)
        known = self.run_items >= 0
        scores[self.run_items[known]] = best[known]
        return scores

    def exact_scores(self, index: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The items' best-passage similarity from the float32 rows (-inf: no passages)."""
        out = np.full(len(index), -np.inf, dtype=np.float32)
        runs = self.run_of_item[index]
        has = runs >= 0
        if not has.any():
            return out
        starts, lengths = self.starts[runs[has]], (self.ends - self.starts)[runs[has]]
        offsets = np.cumsum(lengths) - lengths
        rows = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        out[has] = np.maximum.reduceat(self.matrix[rows] @ query, offsets)
        return out

    def candidates(self, approximate: np.ndarray, limit: int, margin: float) -> np.ndarray:
        """Items that may be among the ``limit`` best: within ``margin`` of the limit-th
        approximate score (excluded items carry -inf)."""
        finite = np.flatnonzero(np.isfinite(approximate))
        if limit <= 0:
            return finite[:0]
        if len(finite) <= limit:
            return finite
        values = approximate[finite]
        kth = np.partition(values, len(values) - limit)[len(values) - limit]
        return finite[values >= kth - margin]
