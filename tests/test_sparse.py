"""Tests for the products of scaled sparse rows (skae._sparse)."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from _training_helpers import wide_sparse
from numpy.testing import assert_allclose

import skae._sparse


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_rows_products(dtype):
    X = wide_sparse(30, 50, dtype=dtype)
    rng = np.random.RandomState(0)
    mean = rng.uniform(size=50).astype(dtype)
    W = rng.normal(size=(50, 7)).astype(dtype)
    delta = rng.normal(size=(30, 7)).astype(dtype)
    rows = skae._sparse.ScaledRows(X, mean, 1 / 3)
    X_in = (X.toarray() - mean) * dtype(1 / 3)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(rows @ W, X_in @ W, rtol=rtol, atol=rtol)
    assert_allclose(rows.T @ delta, X_in.T @ delta, rtol=rtol, atol=rtol)
    # Into a view of a larger array, as a tied or packed gradient may be.
    out = np.zeros((50, 9), dtype)
    rows.transpose_matmul(delta, out[:, 1:8])
    assert_allclose(out[:, 1:8], X_in.T @ delta, rtol=rtol, atol=rtol)
    assert not out[:, [0, 8]].any()
    # CSC rows (transform takes them) go through SciPy's own product.
    columns = skae._sparse.ScaledRows(X.tocsc(), mean, 1 / 3)
    assert_allclose(columns.T @ delta, X_in.T @ delta, rtol=rtol, atol=rtol)
