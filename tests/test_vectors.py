"""The int8-first vector scan returns what the exact float32 scan returns."""

import numpy as np
import pytest

from indexer.store.vectors import PassageVectors


def exact_best(matrix, passage_items, rowids, query):
    scores = np.full(len(rowids), -np.inf, dtype=np.float32)
    sims = matrix @ query
    for row, rowid in enumerate(passage_items):
        i = int(np.searchsorted(rowids, rowid))
        scores[i] = max(scores[i], sims[row])
    return scores


@pytest.fixture(scope="module")
def vectors():
    """Vectors shaped like e5's: unit length, a few outlier dimensions, clustered scores."""
    rng = np.random.default_rng(7)
    n_items, dims = 3000, 384
    rowids = np.arange(1, n_items + 1) * 3  # gaps, as after deletions
    counts = rng.integers(0, 4, n_items)  # some items have no passages
    passage_items = np.repeat(rowids, counts)
    centre = rng.standard_normal(dims).astype(np.float32) * 3
    centre[:4] *= 8
    matrix = (centre + rng.standard_normal((len(passage_items), dims))).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return PassageVectors.build(matrix, passage_items, rowids), matrix, passage_items, rowids


def test_approximate_scores_are_within_the_margin(vectors):
    pv, matrix, passage_items, rowids = vectors
    rng = np.random.default_rng(1)
    for _ in range(20):
        query = matrix[rng.integers(len(matrix))] + 0.3 * rng.standard_normal(matrix.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        exact = exact_best(matrix, passage_items, rowids, query)
        approx = pv.approximate_scores(query)
        assert np.array_equal(np.isinf(approx), np.isinf(exact))  # the items without passages
        finite = np.isfinite(exact)
        assert np.abs(approx[finite] - exact[finite]).max() < pv.rescore_margin(query) / 2


def test_candidates_rescored_give_the_exact_top(vectors):
    pv, matrix, passage_items, rowids = vectors
    rng = np.random.default_rng(2)
    keep = rng.random(len(rowids)) < 0.3
    for limit in (1, 10, 100):
        query = matrix[rng.integers(len(matrix))]
        exact = exact_best(matrix, passage_items, rowids, query)
        approx = np.where(keep, pv.approximate_scores(query), -np.inf)
        index = pv.candidates(approx, limit, pv.rescore_margin(query))
        rescored = pv.exact_scores(index, query)
        np.testing.assert_allclose(rescored, exact[index], rtol=0, atol=1e-6)
        got = set(index[np.argsort(-rescored, kind="stable")[:limit]].tolist())
        wanted = np.where(keep, exact, -np.inf)
        assert got == set(np.argsort(-wanted, kind="stable")[:limit].tolist())
        assert len(index) < len(rowids) * 0.3  # it did not rescore everything


def test_edge_cases():
    empty = PassageVectors.build(np.zeros((0, 4), dtype=np.float32), np.zeros(0, dtype=np.int64), np.arange(3))
    assert len(empty) == 0 and np.isinf(empty.approximate_scores(np.ones(4, dtype=np.float32))).all()
    matrix = np.eye(4, dtype=np.float32)[:2]  # two dimensions never used: their scale must not divide by 0
    pv = PassageVectors.build(matrix, np.array([1, 2]), np.array([1, 2, 3]))
    approx = pv.approximate_scores(np.array([0, 0, 1, 0], dtype=np.float32))  # orthogonal to all
    assert approx[:2].tolist() == [0, 0] and np.isinf(approx[2])
    assert pv.candidates(approx, 0, 0.01).size == 0
    assert pv.exact_scores(np.array([2, 0]), np.array([1, 0, 0, 0], dtype=np.float32)).tolist() == [-np.inf, 1.0]
