"""Whole-data evaluation of a network: codes, reconstructions and their errors.

Every pass goes through X in chunks of rows (and, for sparse X, of columns:
:mod:`skae._sparse`), so that its temporaries stay far below the size of X.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils import gen_batches

from ._network import (
    decode_scaled,
    encode_scaled,
    scale_input,
    unscale_output,
)
from ._sparse import ScaledRows, squared_residuals

# Most rows per chunk for whole-data passes (L-BFGS, validation, transform,
# score): big enough for efficient matrix products, small enough that a dense
# chunk of sparse or large X stays far below the size of X.
CHUNK_ROWS = 2048


def _scaled_input(X, network):
    """The scaled input of raw rows X: dense, or sparse rows kept sparse."""
    if sp.issparse(X):
        return ScaledRows(X, network.mean, 1 / network.scales.sigma)
    return scale_input(X, network)


def encode(X, network):
    """Codes Z (n_samples, n_components) of raw rows X, dense or sparse."""

    def codes(X):
        X_in = _scaled_input(X, network)
        return encode_scaled(X_in, network)[-1] * network.scales.code_scale

    return _chunked(X, network, codes)


def decode(Z, network):
    """Reconstructions in the units of X of codes Z (n_samples, n_components)."""

    def samples(Z):
        C = Z / network.scales.code_scale
        return unscale_output(decode_scaled(C, network)[-1], network)

    return _chunked(Z, network, samples)


def _squared_residuals(X, network):
    """Squared reconstruction error of each entry of a chunk of raw rows X.

    X (n_samples, n_features) is dense or sparse; the result is dense, of the
    same shape, in float64, so that float32 data near the top of its range
    gives finite errors. The one forward pass behind every error the
    estimator reports; sparse X goes through :func:`_sparse_residuals`.
    """
    if sp.issparse(X):
        errors = np.empty(X.shape, dtype=np.float64)
        for columns, block in _sparse_residuals(X, network):
            errors[:, columns] = block
        return errors
    C = encode_scaled(scale_input(X, network), network)[-1]
    residual = unscale_output(decode_scaled(C, network)[-1], network)
    residual = residual.astype(np.float64)
    residual -= X
    residual **= 2
    return residual


def _sparse_residuals(X, network):
    """Blocks of columns of :func:`_squared_residuals` of CSR rows X.

    Yields ``(columns, errors)``; X is made dense one block at a time.
    """
    C = encode_scaled(_scaled_input(X, network), network)[-1]
    return squared_residuals(X.tocsc(), C, network)


def mean_squared_errors(X, network, rows=None):
    """Per-sample mean squared reconstruction error (n_samples,), float64.

    The row means of :func:`squared_errors`. With ``rows`` (indices), only
    those rows of X are scored, gathered chunk by chunk rather than copied out
    of X together.
    """

    def errors(X):
        if not sp.issparse(X):
            return _squared_residuals(X, network).mean(axis=1)
        total = np.zeros(X.shape[0])
        for _, block in _sparse_residuals(X, network):
            total += block.sum(axis=1)
        return total / X.shape[1]

    return _chunked(X, network, errors, rows)


def squared_errors(X, network):
    """Squared reconstruction error of each entry (n_samples, n_features), float64.

    Written chunk by chunk (the chunks of :func:`mean_squared_errors`) into
    the result, so that besides it only one chunk's temporaries are held;
    sparse X is made dense one chunk at a time.
    """
    errors = np.empty(X.shape, dtype=np.float64)
    for rows in gen_batches(X.shape[0], chunk_rows(network, sp.issparse(X))):
        errors[rows] = _squared_residuals(X[rows], network)
    return errors


def chunk_rows(network, sparse=False):
    """Rows per chunk of a whole-data pass through ``network``.

    A chunk's temporaries (a dense copy of the input, every layer's output and
    the float64 residual) stay within scikit-learn's ``working_memory``, and at
    most ``CHUNK_ROWS``. A chunk of ``sparse`` rows is never dense: only the
    narrow layers' outputs count (the wide ones go by blocks of columns).
    """
    coefs = network.coefs
    if sparse:
        width = 4 * sum(coef.shape[1] for coef in coefs[:-1])
    else:
        width = 4 * coefs[0].shape[0] + sum(coef.shape[1] for coef in coefs)
    budget = get_config()["working_memory"] * 2**20
    # Plain ints: np.clip alone costs more than encoding a single row.
    return max(1, min(int(budget // (width * 8)), CHUNK_ROWS))


def _chunked(X, network, function, rows=None):
    """Apply ``function`` to row chunks of X (or of ``X[rows]``) and stack them."""
    n_rows = X.shape[0] if rows is None else rows.shape[0]
    size = chunk_rows(network, sp.issparse(X))
    if rows is None and n_rows <= size:
        return function(X)
    return np.concatenate(
        [
            function(X[chunk] if rows is None else X[rows[chunk]])
            for chunk in gen_batches(n_rows, size)
        ]
    )
