"""Reconstruction losses, their gradients and the output-layer deltas."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._activations import ACTIVATIONS

# Losses are means over samples *and* features with no one-half factor, so that
# ``squared_error`` with unit weights is exactly the mean squared error that
# ``AutoencoderTransformer.score`` reports (negated). With ``sample_weight``
# (n_samples,) the mean over samples is weighted, ``sum_i w_i l_i / sum_i w_i``
# (as MLPRegressor's batch loss), and a batch whose weights sum to 0 has loss
# and gradient 0: it contributes nothing.


def row_factors(sample_weight, n_samples, dtype):
    """Factors (n_samples, 1) that turn a plain mean over rows into the weighted one.

    ``n_samples * w_i / sum(w)``, in ``dtype``; all 0 if the weights sum to 0.
    """
    total = float(sample_weight.sum())
    if total <= 0:
        return np.zeros((n_samples, 1), dtype)
    return (sample_weight * (n_samples / total)).astype(dtype)[:, None]


def _weighted_mean(E, weights, sample_weight=None):
    """Mean of ``E`` (n_samples, n_features), each column weighted by ``weights``."""
    if sample_weight is not None:
        E = E * row_factors(sample_weight, E.shape[0], E.dtype)
    if weights is None:
        return float(E.mean())
    return float((E @ weights).sum() / E.size)


def _weighted(G, weights, sample_weight):
    """A gradient of the plain mean ``G`` as that of the weighted mean."""
    if weights is not None:
        G = G * weights
    if sample_weight is not None:
        G = G * row_factors(sample_weight, G.shape[0], G.dtype)
    return G


def squared_error(T, A, weights=None, sample_weight=None):
    """Mean squared error between target ``T`` and output ``A``.

    ``T`` and ``A`` have shape (n_samples, n_features); ``weights`` (n_features,)
    scales each column's contribution and ``sample_weight`` (n_samples,) each
    row's, ``None`` meaning all ones.
    """
    return _weighted_mean((A - T) ** 2, weights, sample_weight)


def log_loss(T, A, weights=None, sample_weight=None):
    """Mean binary cross-entropy of targets ``T`` in [0, 1] under outputs ``A``.

    Outputs are clipped to ``[eps, 1 - eps]`` in their own dtype so that an
    output that saturated at exactly 0 or 1 gives a large but finite loss.
    """
    eps = np.finfo(A.dtype).eps
    A = np.clip(A, eps, 1 - eps)
    E = -(T * np.log(A) + (1 - T) * np.log1p(-A))
    return _weighted_mean(E, weights, sample_weight)


def squared_error_gradient(T, A, weights=None, sample_weight=None):
    """Gradient of :func:`squared_error` with respect to ``A``; shape of ``A``."""
    return _weighted((A - T) * (2 / A.size), weights, sample_weight)


def log_loss_gradient(T, A, weights=None, sample_weight=None):
    """Gradient of :func:`log_loss` with respect to ``A``; shape of ``A``."""
    eps = np.finfo(A.dtype).eps
    A = np.clip(A, eps, 1 - eps)
    G = (A - T) / (A * (1 - A) * A.size)
    return _weighted(G, weights, sample_weight)


LOSSES = {
    "squared_error": (squared_error, squared_error_gradient),
    "log_loss": (log_loss, log_loss_gradient),
}


def output_delta(loss, output_activation, T, A, weights=None, sample_weight=None):
    """Gradient of the loss with respect to the output layer's pre-activation.

    Parameters
    ----------
    loss : {"squared_error", "log_loss"}
    output_activation : {"identity", "logistic"}
    T, A : ndarray of shape (n_samples, n_features)
        Targets and outputs, in the same dtype.
    weights : ndarray of shape (n_features,) or None
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    delta : ndarray of shape (n_samples, n_features)
    """
    if loss == "log_loss" and output_activation == "logistic":
        # The canonical pair: the sigmoid's derivative cancels the loss's
        # denominator exactly, which also avoids dividing by A * (1 - A) -> 0.
        return _weighted((A - T) * (1 / A.size), weights, sample_weight)
    gradient = LOSSES[loss][1](T, A, weights, sample_weight)
    if output_activation == "identity":
        return gradient
    # Non-canonical pairs (e.g. squared error under a logistic output) need the
    # activation's derivative, which MLPRegressor's shortcut leaves out.
    return gradient * ACTIVATIONS[output_activation][1](A)


def loss_and_output_delta(
    loss, output_activation, T, A, weights=None, scratch=None, sample_weight=None
):
    """The loss and :func:`output_delta` together, reusing ``A``'s memory.

    The training loop's hot path: for the squared error under an identity output
    the residual goes into ``scratch`` (same shape as ``A``) and the delta
    overwrites ``A``, so no array the size of a batch is allocated. Other pairs
    fall back on :func:`output_delta`.

    Returns
    -------
    loss : float
    delta : ndarray of shape (n_samples, n_features)
    """
    if loss == "squared_error" and output_activation == "identity":
        residual = np.subtract(A, T, out=scratch)
        factor = 2 / A.size if weights is None else weights * (2 / A.size)
        if sample_weight is not None:
            factor = factor * row_factors(sample_weight, A.shape[0], A.dtype)
        delta = np.multiply(residual, factor, out=A)
        # sum_ij w_j R_ij^2 / size, as half the dot product of R and delta.
        return float(np.vdot(residual, delta)) / 2, delta
    value = LOSSES[loss][0](T, A, weights, sample_weight)
    return value, output_delta(loss, output_activation, T, A, weights, sample_weight)
