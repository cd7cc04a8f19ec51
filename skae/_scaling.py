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
# float64 copy of a float32 X is ever made whole. 1024 rows of 784 float64
# columns (6 MiB) were 20 % faster than 4096 on 60 000 rows, and a quarter of
# the peak memory.
_CHUNK_ROWS = 1024


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
    ``n_samples_seen``, ``mean`` and ``var`` (float64) are the statistics of all
    the rows seen so far, which :func:`update_scaling` extends.
    """

    input_offset: np.ndarray
    input_inverse: np.ndarray
    output_offset: np.ndarray
    output_scale: np.ndarray
    output_inverse: np.ndarray
    weights: np.ndarray | None
    loss_scale: float
    target_is_input: bool
    n_samples_seen: int
    mean: np.ndarray
    var: np.ndarray


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
    output_range = None
    if loss != "log_loss" and output_activation == "logistic":
        low, high = _min_max(X)
        output_range = low, _informative_scale(high - low, low, n_samples)
    return _scaling(n_samples, mean, var, output_range, loss, output_activation, dtype)


def update_scaling(scaling, X, loss, output_activation):
    """``scaling`` extended with the rows of X, as if fitted on all rows seen.

    The means and variances are merged exactly (Chan, Golub and LeVeque's
    pairwise update), so the input and an identity output follow the statistics
    of all the data, and a column constant in the first rows becomes visible to
    the network once it varies. A logistic output keeps the [min, max] range of
    the first rows: a sigmoid's range cannot be moved without changing what the
    network computes. Use :func:`carry_over_weights` to keep the trained network's
    function under the new statistics.
    """
    chunk_mean, chunk_var = _moments(X)
    n_old, n_new = scaling.n_samples_seen, X.shape[0]
    n_samples = n_old + n_new
    delta = chunk_mean - scaling.mean
    mean = scaling.mean + delta * (n_new / n_samples)
    var = (
        scaling.var * n_old + chunk_var * n_new + delta**2 * (n_old * n_new / n_samples)
    ) / n_samples
    output_range = None
    if loss != "log_loss" and output_activation == "logistic":
        output_range = scaling.output_offset, scaling.output_scale
    return _scaling(
        n_samples,
        mean,
        var,
        output_range,
        loss,
        output_activation,
        scaling.input_offset.dtype,
        varied=scaling.input_inverse > 0,
    )


def _scaling(
    n_samples, mean, var, output_range, loss, output_activation, dtype, varied=None
):
    """The :class:`Scaling` of float64 column statistics; see :func:`fit_scaling`.

    ``output_range`` is the pair of column minima and informative ranges (0 for
    constant columns), needed only for a logistic output under the squared error.
    Columns ``varied`` (a mask) stay informative whatever their variance: the
    round-off allowance of :func:`_informative_scale` grows with every epoch of
    ``partial_fit``, and a column that did vary must not drop out of the network.
    """
    std = np.sqrt(var)
    if varied is None:
        std = _informative_scale(std, mean, n_samples)
    else:
        std = np.where(varied, std, _informative_scale(std, mean, n_samples))
    mean_var = float(var.mean())
    loss_scale = mean_var if mean_var > 0 else 1.0

    if loss == "log_loss":
        output_offset, output_scale = np.zeros_like(mean), np.ones_like(mean)
        weights = None
        loss_scale = 1.0
    else:
        if output_activation == "logistic":
            output_offset, output_scale = output_range
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
        n_samples_seen=n_samples,
        mean=mean,
        var=var,
    )


def carry_over_weights(coefs, intercepts, old, new):
    """Re-express the first and last layers, in place, from ``old`` to ``new``.

    The scaling is an affine map folded into the network at both ends, so the
    network computes the same function of X after the update: the first layer's
    rows are rescaled and its bias absorbs the moved means,
    ``((X - m') * r') @ W' + b' = ((X - m) * r) @ W + b``, and for an identity
    output the last layer maps into the new output space,
    ``A' * o' + c' = A * o + c``. The function changes only through a column
    that was constant so far and now varies, as a new input would: its encoder
    weights stay as they were initialised (training could not reach them while
    the network saw the column as constant; zeros instead would leave a ReLU
    encoder dead when every column of the first chunk was constant, as in a
    chunk of one row), and the decoder keeps predicting its old constant until
    training moves it. A logistic output's space never changes (see
    :func:`update_scaling`).

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        The whole network's layers; ``coefs[0]``, ``intercepts[0]``, ``coefs[-1]``
        and ``intercepts[-1]`` are replaced by arrays of the same dtype.
    old, new : Scaling
        The scaling the weights were trained under, and the one to move to.
    """
    dtype = coefs[0].dtype
    old_inverse = old.input_inverse.astype(np.float64)
    ratio = np.where(
        old_inverse > 0,
        old_inverse * _inverse(new.input_inverse.astype(np.float64)),
        1.0,
    )
    first = coefs[0].astype(np.float64)
    # Differences of the offsets as the network uses them, in float32 too.
    moved = new.input_offset.astype(np.float64) - old.input_offset.astype(np.float64)
    moved *= old_inverse
    intercepts[0] = (intercepts[0] + moved @ first).astype(dtype)
    coefs[0] = (first * ratio[:, None]).astype(dtype)

    if np.array_equal(old.output_scale, new.output_scale) and np.array_equal(
        old.output_offset, new.output_offset
    ):
        return
    old_scale = old.output_scale.astype(np.float64)
    new_inverse = new.output_inverse.astype(np.float64)
    shift = old.output_offset.astype(np.float64) - new.output_offset.astype(np.float64)
    coefs[-1] = (coefs[-1] * (old_scale * new_inverse)).astype(dtype)
    intercepts[-1] = ((intercepts[-1] * old_scale + shift) * new_inverse).astype(dtype)


def scale_input(X, scaling, out=None):
    """Standardise a dense batch X (n_samples, n_features).

    Into ``out`` when given (which may be X itself), else into a new array.
    """
    out = np.subtract(X, scaling.input_offset, out=out)
    out *= scaling.input_inverse
    return out


def scale_output(X, scaling, out=None):
    """Map a dense batch X into the network's output space, as :func:`scale_input`."""
    out = np.subtract(X, scaling.output_offset, out=out)
    out *= scaling.output_inverse
    return out


def unscale_output(A, scaling):
    """Map network outputs A (n_samples, n_features) back into the units of X."""
    return A * scaling.output_scale + scaling.output_offset
