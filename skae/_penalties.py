"""Penalties on the codes: sparsity (L1) and contraction (the encoder's Jacobian)."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np

from ._activations import ACTIVATIONS, SECOND_DERIVATIVES


@dataclass(frozen=True)
class Penalties:
    """The strengths of the penalties added to the reconstruction loss.

    All are in the network's units, in which the loss is the mean squared error
    divided by the mean column variance; ``Scales.loss_scale`` turns both into
    the units of X, so a level means the same on data of any scale.

    - ``alpha``: L2 on the correction networks' weights, over the batch size.
    - ``sparsity``: mean over samples of the sum of the absolute whitened codes
      ``|z_j| / code_scale_j``.
    - ``contractive``: mean over samples of the squared Frobenius norm of the
      Jacobian of the codes with respect to the input, both in the units of X.
    """

    alpha: float = 0.0
    sparsity: float = 0.0
    contractive: float = 0.0


def _row_shares(n_samples, row_weights, dtype):
    """Each row's share of a mean over samples, (n_samples, 1)."""
    if row_weights is None:
        return np.full((n_samples, 1), 1 / n_samples, dtype=dtype)
    return row_weights.reshape(-1, 1).astype(dtype, copy=False)


def code_sparsity(C, level, row_weights=None):
    """The L1 penalty on whitened codes ``C`` (n_samples, n_components).

    ``row_weights`` (n_samples,) sum to one and replace the plain mean over
    samples. Returns the value and its gradient with respect to ``C``; the
    gradient at exactly zero is taken as zero, L1's subgradient of least norm.
    """
    shares = _row_shares(C.shape[0], row_weights, C.dtype)
    value = level * float(np.abs(C).sum(axis=1) @ shares[:, 0])
    return value, np.sign(C) * (level * shares)


def _code_rows(outputs, coefs, names):
    """Rows of the correction's Jacobian, swept back from the code layer.

    ``V[l]`` (n_samples, n_components, units[l]) is the derivative of the
    correction's output with respect to layer ``l``'s input, ``U[l]`` the same
    with respect to layer ``l - 1``'s pre-activation and ``D[l]`` that layer's
    activation derivative (n_samples, units[l]). ``V[0]`` is the Jacobian
    with respect to the scaled input.
    """
    n_layers, n_samples = len(coefs), outputs[0].shape[0]
    V, U, D = [None] * n_layers, [None] * n_layers, [None] * n_layers
    last = coefs[-1].T
    V[-1] = np.broadcast_to(last, (n_samples, *last.shape))
    for layer in range(n_layers - 1, 0, -1):
        D[layer] = ACTIVATIONS[names[layer - 1]][1](outputs[layer])
        U[layer] = V[layer] * D[layer][:, None, :]
        V[layer - 1] = _times(U[layer], coefs[layer - 1].T)
    return V, U, D


def _times(T, W):
    """``T @ W`` for T (n_samples, n_components, a): one matrix product, not n."""
    return (T.reshape(-1, T.shape[2]) @ W).reshape(*T.shape[:2], W.shape[1])


def contraction(outputs, network, level, row_weights=None):
    """The contractive penalty of the encoder and its gradients.

    The codes ``Z`` of ``transform`` have the Jacobian ``components + q * J``
    with respect to X, where ``J`` is that of the encoder's correction with
    respect to the scaled input and ``q = code_scale * code_correction /
    sigma`` converts its units. Its gradient differentiates the backward sweep
    that gives ``J`` once more (double backpropagation), which needs each
    activation's second derivative.

    Parameters
    ----------
    outputs : list of ndarray
        The encoder's layer outputs from :func:`skae._network.encode_scaled`;
        ``outputs[0]`` is the scaled input (n_samples, n_features).
    network : Network
    level : float
    row_weights : ndarray of shape (n_samples,), optional
        Shares of the mean over samples, summing to one.

    Returns
    -------
    value : float
    coef_grads, intercept_grads : lists of ndarray
        Gradients for the encoder's layers, shaped like their coefs and
        intercepts.
    """
    n_layers = network.n_encoder
    coefs, names = network.coefs[:n_layers], network.activations[:n_layers]
    scales = network.scales
    V, U, D = _code_rows(outputs, coefs, names)
    q = (scales.code_scale * scales.code_correction / scales.sigma)[:, None]
    jacobian = network.components + q * V[0]
    shares = _row_shares(outputs[0].shape[0], row_weights, jacobian.dtype)
    value = level * float(np.einsum("ijk,ijk->i", jacobian, jacobian) @ shares[:, 0])
    coef_grads = [np.zeros_like(coef) for coef in coefs]
    intercept_grads = [np.zeros_like(coef[0]) for coef in coefs]
    pre_activation = [None] * n_layers
    V_bar = (2 * level) * q * jacobian * shares[:, :, None]
    for layer in range(1, n_layers):
        U_bar = _times(V_bar, coefs[layer - 1])
        width_in, width_out = coefs[layer - 1].shape
        coef_grads[layer - 1] += V_bar.reshape(-1, width_in).T @ U[layer].reshape(
            -1, width_out
        )
        name = names[layer - 1]
        if name not in ("identity", "relu"):
            D_bar = np.einsum("ijk,ijk->ik", U_bar, V[layer])
            pre_activation[layer - 1] = D_bar * SECOND_DERIVATIVES[name](outputs[layer])
        V_bar = U_bar * D[layer][:, None, :]
    coef_grads[-1] += V_bar.sum(axis=0).T
    _backpropagate(pre_activation, outputs, coefs, D, coef_grads, intercept_grads)
    return value, coef_grads, intercept_grads


def _backpropagate(pre_activation, outputs, coefs, D, coef_grads, intercept_grads):
    """Add the gradients that reach the weights through the hidden layers' values.

    ``pre_activation[l]`` is the penalty's direct derivative with respect to
    hidden layer ``l``'s pre-activation (or None); the code layer has none.
    """
    delta = None
    for layer in range(len(coefs) - 2, -1, -1):
        direct = pre_activation[layer]
        if delta is not None:
            through = (delta @ coefs[layer + 1].T) * D[layer + 1]
            direct = through if direct is None else direct + through
        delta = direct
        if delta is None:
            continue
        coef_grads[layer] += outputs[layer].T @ delta
        intercept_grads[layer] += delta.sum(axis=0)
