"""Helpers that the tests of skae._objective, skae._solvers and skae._sparse share.

Networks built as the estimator builds them, moved off their start, and
sparse rows. ``tests/conftest.py`` holds the fixtures ``X`` and ``weights``
of these tests; what one test module alone uses is in that module.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from skae._network import (
    Network,
    initialize,
    layer_activations,
    layer_units,
    tie,
)
from skae._pca import moments, principal_axes
from skae._scaling import make_scales

N_SAMPLES, N_FEATURES = 200, 10


def new_network(
    X,
    hidden=(8,),
    n_components=2,
    activation="tanh",
    loss="squared_error",
    output_activation="identity",
):
    """A new network on X's PCA, as the estimator builds it, seeded."""
    stats = moments(X)
    axes = principal_axes(stats, n_components)
    units = layer_units(X.shape[1], hidden, n_components)
    activations = layer_activations(len(hidden), activation, output_activation)
    coefs, intercepts = initialize(
        units, activations, X.dtype, np.random.RandomState(0)
    )
    scales = make_scales(axes, stats, loss, output_activation, X.dtype)
    return Network(
        stats.mean.astype(X.dtype),
        axes.components.astype(X.dtype),
        coefs,
        intercepts,
        activations,
        scales,
    )


def wide_sparse(n_samples=60, n_features=40, density=0.2, dtype=np.float64, seed=0):
    """Sparse CSR rows in [0, 1] (so that the log-loss applies too), seeded."""
    X = sp.random(n_samples, n_features, density=density, random_state=seed)
    return X.astype(dtype).tocsr()


def moved(network, tied=False, seed=0):
    """``network`` with every weight and bias moved off its PCA start.

    At the start the code and output layers are zero, which would leave
    parts of the gradients untested.
    """
    rng = np.random.RandomState(seed)
    dtype = network.coefs[0].dtype

    def shift(array, size):
        return array + (size * rng.uniform(-1, 1, array.shape)).astype(dtype)

    coefs = [shift(coef, 0.3) for coef in network.coefs]
    if tied:
        coefs = tie(coefs[: len(coefs) // 2])
    intercepts = [shift(intercept, 0.1) for intercept in network.intercepts]
    return replace(network, coefs=coefs, intercepts=intercepts)
