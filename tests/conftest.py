"""Shared test fixtures: a seeded generator and a small digits subset."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture
def rng():
    """A freshly seeded generator, so that every test draws the same numbers."""
    return np.random.RandomState(0)


@pytest.fixture(scope="session")
def digits():
    """The first 300 raw (unscaled, 0..16) digits images, float64, (300, 64)."""
    X, _ = load_digits(return_X_y=True)
    return X[:300].astype(np.float64)
