"""Running column moments of the data and the principal axes they give."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from sklearn.utils import gen_batches
from sklearn.utils.sparsefuncs import min_max_axis

# Rows per chunk when a statistic is accumulated over dense X, so that no
# float64 copy of a float32 X is ever made whole. 1024 rows of 784 float64
# columns (6 MiB) were 20 % faster than 4096 on 60 000 rows, and a quarter of
# the peak memory.
_CHUNK_ROWS = 1024

# Widest data whose scatter matrix (n_features ** 2 float64) is kept: 32 MiB.
MAX_FEATURES = 2048


@dataclass
class Moments:
    """Statistics of all the rows seen so far, in float64.

    With sample weights ``w_i`` (frequency weights: an integer weight counts
    as that many copies of the row), ``n_samples`` is ``sum_i w_i`` (a float;
    the number of rows, an int, without weights), ``mean`` is the weighted
    mean and ``scatter`` is ``sum_i w_i (x_i - mean)(x_i - mean)^T``
    (n_features, n_features). ``low`` and ``high`` are the column minima and
    maxima, and ``n_rows`` the number of rows, of the rows of positive weight:
    a row of weight 0 counts for nothing, as if it had been removed.
    """

    n_samples: float
    mean: np.ndarray
    scatter: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_rows: int


@dataclass
class PrincipalAxes:
    """PCA of :class:`Moments`, under the names and conventions of PCA.

    ``components`` (n_components, n_features) has orthonormal rows, zero rows
    beyond the rank of the data; variances divide by
    :func:`variance_denominator`, ``n_samples - 1``.
    ``residual_variance`` (n_features,) is each column's variance left
    unexplained by the components.
    """

    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    singular_values: np.ndarray
    noise_variance: float
    residual_variance: np.ndarray


def check_width(n_features):
    """Refuse data too wide for the scatter matrix, naming the limit."""
    if n_features > MAX_FEATURES:
        raise ValueError(
            f"X has {n_features} features; AutoencoderTransformer keeps the "
            f"{n_features} x {n_features} covariance of its PCA path and supports "
            f"at most {MAX_FEATURES} features. Reduce them first, e.g. with "
            "TruncatedSVD or feature selection in a Pipeline."
        )


def variance_denominator(n_samples):
    """What a scatter is divided by to give variances: ``n_samples - 1``, as PCA.

    ``n_samples`` may be a sum of weights (:class:`Moments`). The denominator
    is never less than ``min(n_samples, 1)``: one sample has no spread to
    correct for, and weights summing to 1 or less (proportions, not counts)
    give the weighted variance with no correction, ``scatter / n_samples``.
    It is continuous in ``n_samples`` and ``n - 1`` for every integer ``n >= 2``.
    """
    return max(n_samples - 1, min(n_samples, 1))


def moments(X, rows=None, sample_weight=None):
    """:class:`Moments` of X (n_samples, n_features), dense or CSR/CSC.

    With ``rows`` (indices), of those rows only, gathered chunk by chunk. Sparse
    X is never made dense: its scatter is ``X^T diag(w) X - n mean mean^T``.
    ``sample_weight`` (X.shape[0],), non-negative float64, weighs each row of
    X, of which those of weight 0 are left out; at least one of ``rows`` must
    have a positive weight.
    """
    rows = np.arange(X.shape[0]) if rows is None else rows
    if sample_weight is not None:
        rows = rows[sample_weight[rows] > 0]
    n_rows, n_features = rows.shape[0], X.shape[1]
    chunks = [rows[batch] for batch in gen_batches(n_rows, _CHUNK_ROWS)]
    total = np.zeros(n_features)
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    n_samples = n_rows if sample_weight is None else 0.0
    for chunk in chunks:
        part = X[chunk]
        if sample_weight is None:
            total += np.asarray(part.sum(axis=0, dtype=np.float64)).ravel()
        else:
            weights = sample_weight[chunk]
            n_samples += float(weights.sum())
            total += np.asarray(part.T @ weights, dtype=np.float64).ravel()
        part_low, part_high = (
            min_max_axis(part, axis=0)
            if sp.issparse(part)
            else (part.min(axis=0), part.max(axis=0))
        )
        np.minimum(low, part_low, out=low)
        np.maximum(high, part_high, out=high)
    mean = total / n_samples
    scatter = np.zeros((n_features, n_features))
    for chunk in chunks:
        part = X[chunk]
        weights = None if sample_weight is None else sample_weight[chunk]
        if sp.issparse(part):
            weighted = part if weights is None else sp.diags(weights) @ part
            scatter += (part.T @ weighted).toarray()
        else:
            centred = part - mean
            if weights is not None:
                centred *= np.sqrt(weights)[:, None]
            scatter += centred.T @ centred
    if sp.issparse(X):
        scatter -= n_samples * np.outer(mean, mean)
    return Moments(n_samples, mean, scatter, low, high, n_rows)


def merge(old, new):
    """The :class:`Moments` of the union of two sets of rows.

    Chan, Golub and LeVeque's pairwise update: exact up to round-off, whatever
    the order in which chunks arrive; ``n_samples`` may be sums of weights.
    """
    n_samples = old.n_samples + new.n_samples
    delta = new.mean - old.mean
    mean = old.mean + delta * (new.n_samples / n_samples)
    scatter = (
        old.scatter
        + new.scatter
        + np.outer(delta, delta) * (old.n_samples * new.n_samples / n_samples)
    )
    return Moments(
        n_samples,
        mean,
        scatter,
        np.minimum(old.low, new.low),
        np.maximum(old.high, new.high),
        old.n_rows + new.n_rows,
    )


def principal_axes(stats, n_components):
    """The first ``n_components`` :class:`PrincipalAxes` of ``stats``.

    Signs follow PCA's convention: the largest entry of each component, in
    absolute value, is positive.
    """
    n_features = stats.mean.shape[0]
    # Symmetrised: the sparse scatter comes out of a subtraction.
    scatter = (stats.scatter + stats.scatter.T) / 2
    eigenvalues, vectors = linalg.eigh(scatter)
    eigenvalues = np.clip(eigenvalues[::-1], 0, None)
    vectors = vectors[:, ::-1].T
    rank = min(n_components, n_features)
    components = np.zeros((n_components, n_features))
    components[:rank] = vectors[:rank]
    biggest = np.abs(components).argmax(axis=1)
    signs = np.sign(components[np.arange(n_components), biggest])
    components *= np.where(signs == 0, 1.0, signs)[:, None]

    denominator = variance_denominator(stats.n_samples)
    variance = eigenvalues / denominator
    explained = np.zeros(n_components)
    explained[:rank] = variance[:rank]
    total = variance.sum()
    ratio = explained / total if total > 0 else np.zeros(n_components)
    # The rank is at most the number of samples: a sum of integer weights is
    # the number of rows they repeat, and fractional weights cannot make the
    # rank smaller than that of the rows themselves.
    n_samples = int(max(stats.n_samples, stats.n_rows))
    rest = variance[rank : min(n_samples, n_features)]
    column_variance = np.clip(np.diag(scatter), 0, None) / denominator
    residual = column_variance - (components**2).T @ explained
    return PrincipalAxes(
        components=components,
        explained_variance=explained,
        explained_variance_ratio=ratio,
        singular_values=np.sqrt(explained * denominator),
        noise_variance=float(rest.mean()) if rest.size else 0.0,
        residual_variance=np.clip(residual, 0, None),
    )
