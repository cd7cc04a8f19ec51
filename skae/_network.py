"""The autoencoder's layer plan, initialisation, forward and backward passes."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._activations import activate_inplace, multiply_derivative_inplace


def layer_units(n_features, hidden_layer_sizes, n_components):
    """Widths of every layer, input and output included.

    The encoder narrows ``n_features`` through ``hidden_layer_sizes`` to the code of
    ``n_components`` units and the decoder mirrors it back, e.g. ``(64, [32], 2)``
    gives ``[64, 32, 2, 32, 64]``.
    """
    hidden = list(hidden_layer_sizes)
    return [n_features, *hidden, n_components, *hidden[::-1], n_features]


def layer_activations(n_hidden, activation, output_activation):
    """Activation name of each of the ``2 * n_hidden + 2`` weight layers.

    Hidden layers use ``activation``; the code layer is linear because a squashing
    or rectifying code throws away information the decoder needs (a ReLU code cost
    2.5x in held-out error on 784-d data).
    """
    return (
        [activation] * n_hidden
        + ["identity"]
        + [activation] * n_hidden
        + [output_activation]
    )


def initialize(units, activations, dtype, random_state):
    """Glorot-uniform weights and zero biases, in ``dtype``.

    Parameters
    ----------
    units : list of int
        Layer widths from :func:`layer_units`.
    activations : list of str
        One name per weight layer, from :func:`layer_activations`.
    dtype : numpy dtype
    random_state : numpy.random.RandomState

    Returns
    -------
    coefs : list of ndarray, ``coefs[i]`` of shape (units[i], units[i + 1])
    intercepts : list of ndarray, ``intercepts[i]`` of shape (units[i + 1],)
    """
    coefs, intercepts = [], []
    for fan_in, fan_out, name in zip(units[:-1], units[1:], activations, strict=True):
        # Glorot & Bengio (2010); the logistic's smaller slope wants a narrower range.
        factor = 2.0 if name == "logistic" else 6.0
        bound = np.sqrt(factor / (fan_in + fan_out))
        coef = random_state.uniform(-bound, bound, (fan_in, fan_out))
        coefs.append(coef.astype(dtype, copy=False))
        intercepts.append(np.zeros(fan_out, dtype=dtype))
    return coefs, intercepts


def forward(X, coefs, intercepts, activations, out=None):
    """Run ``X`` (n_samples, units[0]) through the given layers.

    Any contiguous slice of the network's lists works, so the encoder and the
    decoder are ``forward`` over the first and the second half.

    Parameters
    ----------
    X : ndarray of shape (n_samples, units[0])
    coefs, intercepts, activations : lists, one entry per layer
    out : list of ndarray, optional
        One C-contiguous array of shape (n_samples, units[i + 1]) per layer to
        write its output into, so that the training loop allocates nothing per
        minibatch.

    Returns
    -------
    outputs : list of ndarray
        ``X`` followed by each layer's output, (n_samples, units[i]).
    """
    outputs = [X]
    for i, (coef, intercept, name) in enumerate(
        zip(coefs, intercepts, activations, strict=True)
    ):
        # ``@`` also takes the sparse X that encode folds its scaling around.
        Z = (
            outputs[-1] @ coef
            if out is None
            else np.matmul(outputs[-1], coef, out=out[i])
        )
        Z += intercept
        outputs.append(activate_inplace(name, Z))
    return outputs


def backward(
    outputs,
    delta,
    coefs,
    activations,
    alpha,
    coef_grads=None,
    intercept_grads=None,
    deltas=None,
):
    """Gradients of the batch loss plus the L2 penalty :func:`penalty`.

    Parameters
    ----------
    outputs : list of ndarray
        From :func:`forward` over the whole network; the last one is not read.
    delta : ndarray of shape (n_samples, units[-1])
        Gradient of the loss with respect to the last pre-activation.
    coefs : list of ndarray
    activations : list of str
    alpha : float
        L2 penalty strength.
    coef_grads, intercept_grads : lists of ndarray, optional
        Arrays shaped like the coefs and intercepts to write the gradients into.
    deltas : list of ndarray, optional
        Scratch arrays of shape (n_samples, units[i]) for the hidden layers'
        deltas, ``i = 1 .. n_layers - 1``.

    Returns
    -------
    coef_grads, intercept_grads : lists shaped like the coefs and intercepts.
    """
    n_samples = outputs[0].shape[0]
    n_layers = len(coefs)
    if coef_grads is None:
        coef_grads = [np.empty_like(coef) for coef in coefs]
        intercept_grads = [np.empty_like(coef[0]) for coef in coefs]
    for i in range(n_layers - 1, -1, -1):
        np.matmul(outputs[i].T, delta, out=coef_grads[i])
        if alpha:
            coef_grads[i] += (2 * alpha / n_samples) * coefs[i]
        # A matrix-vector product sums the rows faster than np.sum here.
        np.matmul(np.ones(n_samples, delta.dtype), delta, out=intercept_grads[i])
        # The input layer's delta is never needed: the data is not a parameter.
        if i > 0:
            delta = np.matmul(
                delta, coefs[i].T, out=None if deltas is None else deltas[i - 1]
            )
            multiply_derivative_inplace(activations[i - 1], delta, outputs[i])
    return coef_grads, intercept_grads


def penalty(coefs, alpha, n_samples):
    """L2 penalty ``alpha * sum ||W||^2 / n_samples``, as MLPRegressor's.

    MLPRegressor halves both its squared loss and its penalty; our losses carry no
    one-half factor, so neither does the penalty and ``alpha`` keeps its meaning.
    """
    if not alpha:
        return 0.0
    return alpha * sum(float(np.vdot(coef, coef)) for coef in coefs) / n_samples


def pack(coefs, intercepts, dtype=np.float64):
    """Concatenate all parameters, coefs first, into one new flat array."""
    return np.concatenate([a.ravel() for a in (*coefs, *intercepts)]).astype(
        dtype, copy=False
    )


def unpack(theta, units, dtype):
    """Coefs and intercepts of a network of ``units`` as views of flat ``theta``.

    ``theta`` is cast to ``dtype`` first if it has another dtype; otherwise the
    arrays returned share its memory, which lets the training loop update every
    parameter with one operation on ``theta``.
    """
    theta = theta.astype(dtype, copy=False)
    shapes = [(a, b) for a, b in zip(units[:-1], units[1:], strict=True)]
    shapes += [(b,) for b in units[1:]]
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(theta[start : start + size].reshape(shape))
        start += size
    n_layers = len(units) - 1
    return arrays[:n_layers], arrays[n_layers:]
