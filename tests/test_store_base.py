"""The pure parts of the store protocol (indexer/store/base.py) both stores share."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.store.base import StoreError, check_model_identity, query_vector


def _check(stored_model, stored_dim, model, dim):
    return check_model_identity(stored_model, stored_dim, model, dim, store="the store X", remedy="Start afresh.")


def test_model_identity_verdicts():
    assert _check(None, None, "m", 4).verdict == "adopt"  # a new store records the model
    assert _check("m", 4, "m", 4).verdict == "ok"
    assert _check("m", 4, None, None).verdict == "ok"  # opened without a model: reads only
    assert _check("m", 4, "m", None).verdict == "ok"  # the model's size not known yet: the name decides
    other = _check("m", 4, "n", 4)
    assert other.verdict == "mismatch"
    assert other.message == ("the store X was built with the embedding model 'm' (dim 4); "
                             "the configured model is 'n' (dim 4). Start afresh.")
    assert _check("m", 4, "m", 8).verdict == "mismatch"


def test_query_vector_is_one_float32_row_of_the_stores_size():
    query = query_vector(np.array([[1, 0, 0, 0]]), 4)
    assert query.dtype == np.float32 and query.shape == (4,)
    assert query_vector([1.0, 0.0], None).shape == (2,)  # the store does not know its size yet
    with pytest.raises(StoreError, match="query vector has 3 dimensions, the store holds 4"):
        query_vector(np.ones(3), 4)
