"""Per-feature statistics that let unscaled data train well, and their application."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

# Share of the per-column (standardised) error in the training objective, against
# the error in the units of X. 0 is a loss purely in X units, which leaves columns
# of small scale unreconstructed; a large value approaches a loss on standardised
# columns, which spends capacity on low-variance pixels and loses to PCA on raw
# digits. Chosen by measurement, see the Notes of AutoencoderTransformer.
STANDARDISED_SHARE = 0.1

# Rows per chunk when a statistic is accumulated over dense X, so that no
# float64 copy of a float32 X is ever made whole.
_CHUNK_ROWS = 4096


@dataclass
class Scaling:
    """How the network sees the data, and how its loss weighs each column.

    The network's input is ``(X - input_offset) * input_inverse`` and its target
    is ``(X - output_offset) * output_inverse``; an output ``A`` means
    ``output_offset + A * output_scale`` in the units of X. Constant columns have
    zero scale and inverse: the network neither sees them nor predicts them, and
    they are reconstructed exactly. ``weights`` (or ``None`` for all ones) multiply
    each column's error in the network's space, and ``loss_scale`` converts the
    resulting dimensionless loss back into the units of X. When
    ``target_is_input`` the two spaces coincide and one scaled batch serves both.
    """

    input_offset: np.ndarray
    input_inverse: np.ndarray
    output_offset: np.ndarray
    output_scale: np.ndarray
    output_inverse: np.ndarray
    weights: np.ndarray | None
    loss_scale: float
    target_is_input: bool


def _moments(X):
    """Column means and variances of X (n_samples, n_features), both float64."""
    if sp.issparse(X):
        mean, var = mean_variance_axis(X, axis=0)
        return mean.astype(np.float64), var.astype(np.float64)
    n_samples = X.shape[0]
    total = np.zeros(X.shape[1])
    for rows in gen_batches(n_samples, _CHUNK_ROWS):
        total += X[rows].sum(axis=0, dtype=np.float64)
    mean = total / n_samples
    squares = np.zeros(X.shape[1])
    for rows in gen_batches(n_samples, _CHUNK_ROWS):
        squares += ((X[rows] - mean) ** 2).sum(axis=0)
    return mean, squares / n_samples


def _min_max(X):
    """Column minima and maxima of X, both float64."""
    if sp.issparse(X):
        low, high = min_max_axis(X, axis=0)
        return low.astype(np.float64), high.astype(np.float64)
    low = np.full(X.shape[1], np.inf)
    high = np.full(X.shape[1], -np.inf)
    for rows in gen_batches(X.shape[0], _CHUNK_ROWS):
        np.minimum(low, X[rows].min(axis=0), out=low)
        np.maximum(high, X[rows].max(axis=0), out=high)
    return low, high


def _informative_scale(scale, mean, n_samples):
    """``scale`` with 0 for columns that are constant up to float64 round-off."""
    eps = np.finfo(np.float64).eps
    constant = scale <= n_samples * eps * np.abs(mean)
    return np.where(constant, 0.0, scale)


def _inverse(scale):
    """``1 / scale``, and 0 where the scale is 0."""
    return np.divide(1.0, scale, out=np.zeros_like(scale), where=scale > 0)


def fit_scaling(X, loss, output_activation, dtype):
    """Statistics of X (n_samples, n_features), dense or CSR/CSC, cast to ``dtype``.

    The input is standardised. The output space is standardised too for an
    identity output; a logistic output spans each column's [min, max] under the
    squared error, and [0, 1] itself under the log-loss.

    The squared-error objective, in the units of X, is

        J = mean_ij w_j (X_hat_ij - X_ij)^2,  w_j = (1 + s * v / var_j) / (1 + s)

    with ``v`` the mean column variance and ``s`` = ``STANDARDISED_SHARE``: the mean
    squared error plus ``s`` times each column's error relative to its own
    variance, brought back to X units by ``v``. Columns of equal variance get
    ``w_j = 1`` (plain MSE); a column a million times smaller than the rest still
    counts ``s / (1 + s)`` as much as an average column, instead of nothing.
    Predicting every column's mean gives ``J = v``; the network minimises ``J / v``.
    """
    n_samples = X.shape[0]
    mean, var = _moments(X)
    std = _informative_scale(np.sqrt(var), mean, n_samples)
    mean_var = float(var.mean())
    loss_scale = mean_var if mean_var > 0 else 1.0

    if loss == "log_loss":
        output_offset, output_scale = np.zeros_like(mean), np.ones_like(mean)
        weights = None
        loss_scale = 1.0
    else:
        if output_activation == "logistic":
            low, high = _min_max(X)
            output_offset = low
            output_scale = _informative_scale(high - low, low, n_samples)
        else:
            output_offset, output_scale = mean, std
        share = STANDARDISED_SHARE
        # Constant columns get weight 0: their reconstruction is exact anyway.
        column_weights = (1 + share * mean_var * _inverse(std) ** 2) / (1 + share)
        weights = column_weights * output_scale**2 / loss_scale

    def cast(a):
        return None if a is None else a.astype(dtype)

    return Scaling(
        input_offset=cast(mean),
        input_inverse=cast(_inverse(std)),
        output_offset=cast(output_offset),
        output_scale=cast(output_scale),
        output_inverse=cast(_inverse(output_scale)),
        weights=cast(weights),
        loss_scale=loss_scale,
        target_is_input=loss == "squared_error" and output_activation == "identity",
    )


def scale_input(X, scaling):
    """Standardise a dense batch X (n_samples, n_features); returns a new array."""
    return (X - scaling.input_offset) * scaling.input_inverse


def scale_output(X, scaling):
    """Map a dense batch X into the network's output space; returns a new array."""
    return (X - scaling.output_offset) * scaling.output_inverse


def unscale_output(A, scaling):
    """Map network outputs A (n_samples, n_features) back into the units of X."""
    return A * scaling.output_scale + scaling.output_offset
