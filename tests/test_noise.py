"""Tests for the corruption of training batches (denoising)."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skae._noise import Corruption


def _corruption(kind, level=0.3, n_features=4, dtype=np.float64):
    scale = np.array([0.5, 1.0, 2.0, 0.0][:n_features], dtype=dtype)
    return Corruption(kind, level, scale, seed=7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_noise_has_each_columns_scale(dtype):
    corruption = _corruption("gaussian", level=0.3, dtype=dtype)
    X_in = np.zeros((20000, 4), dtype=dtype)
    corruption.apply(X_in, corruption.generator())
    assert X_in.dtype == dtype
    assert_allclose(X_in.std(axis=0), 0.3 * corruption.column_scale, rtol=0.03)
    # A constant column (scale 0) gets no noise.
    assert_array_equal(X_in[:, 3], 0)


def test_masking_sets_entries_to_the_column_mean_with_probability_level():
    corruption = _corruption("masking", level=0.25)
    X_in = np.ones((20000, 4))
    corruption.apply(X_in, corruption.generator())
    # In the network's units the column mean is 0.
    assert set(np.unique(X_in)) == {0.0, 1.0}
    assert_allclose((X_in == 0).mean(axis=0), 0.25, atol=0.01)


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_same_seed_and_key_give_the_same_corruption(kind):
    corruption = _corruption(kind)
    first, second, other = (np.ones((50, 4)) for _ in range(3))
    corruption.apply(first, corruption.generator(3))
    corruption.apply(second, corruption.generator(3))
    corruption.apply(other, corruption.generator(4))
    assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_scratch_buffer_gives_the_same_corruption():
    corruption = _corruption("gaussian")
    X_in, with_scratch = np.ones((10, 4)), np.ones((10, 4))
    corruption.apply(X_in, corruption.generator())
    corruption.apply(with_scratch, corruption.generator(), scratch=np.empty((10, 4)))
    assert_array_equal(X_in, with_scratch)
