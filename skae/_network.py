"""The autoencoder's layer plan, initialisation, forward and backward passes."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
from dataclasses import dataclass
from functools import partial

import numpy as np

from ._activations import activate_inplace, multiply_derivative_inplace
from ._scaling import Scales


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


def initialize(units, activations, dtype, random_state, tied=False):
    """Glorot-uniform weights and zero biases, in ``dtype``, starting at PCA.

    The encoder's last layer starts at zero, and so does the decoder's for an
    identity output: the corrections then add nothing, and the network starts
    as the PCA its linear paths hold (Notes of ``AutoencoderTransformer``).
    With ``tied`` weights the decoder's layers are copies of the encoder's
    transposed (:func:`tie`) and the encoder's first layer starts at zero.

    Parameters
    ----------
    units : list of int
        Layer widths from :func:`layer_units`.
    activations : list of str
        One name per weight layer, from :func:`layer_activations`.
    dtype : numpy dtype
    random_state : numpy.random.RandomState
    tied : bool, default=False

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
    n = len(coefs) // 2
    if not tied:
        coefs[n - 1][...] = 0
        if activations[-1] == "identity":
            coefs[-1][...] = 0
        return coefs, intercepts
    # Tied, the encoder's first layer is zeroed instead, and with it the
    # decoder's last: zeroing the encoder's last would zero the decoder's
    # first too, a stationary point from which ReLU networks never move.
    coefs[0][...] = 0
    coefs = [np.ascontiguousarray(coef) for coef in tie(coefs[:n])]
    # The encoder's correction is then the same for every input (non-zero for
    # a logistic hidden layer): the code layer's bias cancels it.
    constant = forward(
        np.zeros((1, units[0]), dtype), coefs[:n], intercepts[:n], activations[:n]
    )[-1][0]
    intercepts[n - 1] -= constant
    return coefs, intercepts


class NewLayers:
    """The layers of a new network, given afresh to each run of one fit.

    The first call returns the layers that :func:`initialize` drew from
    ``random_state`` when the fit began; each later call draws them again
    from a copy of the generator as it was then, so the same numbers. No
    run (a fold, the fit on all rows) then keeps another's arrays alive: on
    wide data each network is hundreds of MiB. :meth:`give_back` returns
    layers a run did not train, for the next call.

    Parameters
    ----------
    units, activations, dtype, random_state, tied
        As :func:`initialize` takes them; ``random_state`` moves on by one
        draw.
    """

    def __init__(self, units, activations, dtype, random_state, tied=False):
        self.activations = activations
        self._draw = partial(initialize, units, activations, dtype, tied=tied)
        self._before = copy.deepcopy(random_state)
        self._spare = self._draw(random_state)

    def __call__(self):
        """``(coefs, intercepts, activations)``, not shared with any other call."""
        if self._spare is None:
            coefs, intercepts = self._draw(copy.deepcopy(self._before))
        else:
            (coefs, intercepts), self._spare = self._spare, None
        return coefs, intercepts, self.activations

    def give_back(self, coefs, intercepts):
        """Keep layers from a call that were not trained, for the next call."""
        self._spare = coefs, intercepts


def forward(X, coefs, intercepts, activations, out=None):
    """Run ``X`` (n_samples, units[0]) through the given layers of one MLP.

    The encoder's and the decoder's corrections are ``forward`` over the first
    and the second half of the network's lists.

    Parameters
    ----------
    X : ndarray of shape (n_samples, units[0])
    coefs, intercepts, activations : lists, one entry per layer
    out : list of ndarray, optional
        One C-contiguous array of shape (n_samples, units[i + 1]) per layer to
        write its output into, so that the training loop allocates no layer
        output per minibatch (only ReLU's boolean mask).

    Returns
    -------
    outputs : list of ndarray
        ``X`` followed by each layer's output, (n_samples, units[i]).
    """
    outputs = [X]
    for i, (coef, intercept, name) in enumerate(
        zip(coefs, intercepts, activations, strict=True)
    ):
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
    grads=None,
    deltas=None,
    input_delta=None,
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
    grads : tuple of two lists of ndarray, optional
        Coef and intercept gradient arrays, shaped like the coefs and
        intercepts, to write the gradients into.
    deltas : list of ndarray, optional
        Scratch arrays of shape (n_samples, units[i]) for the hidden layers'
        deltas, ``i = 1 .. n_layers - 1``.
    input_delta : ndarray of shape (n_samples, units[0]), optional
        Where to write the gradient with respect to the input, when the input
        is itself computed by trainable layers (the decoder's input is the code).

    Returns
    -------
    coef_grads, intercept_grads : lists shaped like the coefs and intercepts.
    """
    n_samples = outputs[0].shape[0]
    n_layers = len(coefs)
    if grads is None:
        grads = (
            [np.empty_like(coef) for coef in coefs],
            [np.empty_like(coef[0]) for coef in coefs],
        )
    coef_grads, intercept_grads = grads
    for i in range(n_layers - 1, -1, -1):
        if isinstance(outputs[i], np.ndarray):
            np.matmul(outputs[i].T, delta, out=coef_grads[i])
        else:
            # Sparse input (skae._sparse.ScaledRows), never made dense.
            outputs[i].transpose_matmul(delta, coef_grads[i])
        if alpha:
            add_scaled(
                coef_grads[i], penalty_gradient_factor(alpha, n_samples), coefs[i]
            )
        # A matrix-vector product sums the rows faster than np.sum here.
        np.matmul(np.ones(n_samples, delta.dtype), delta, out=intercept_grads[i])
        # The input layer's delta is never needed: the data is not a parameter.
        if i > 0:
            delta = np.matmul(
                delta, coefs[i].T, out=None if deltas is None else deltas[i - 1]
            )
            multiply_derivative_inplace(activations[i - 1], delta, outputs[i])
        elif input_delta is not None:
            np.matmul(delta, coefs[0].T, out=input_delta)
    return coef_grads, intercept_grads


def add_scaled(out, factor, W):
    """``out += factor * W``, a block of rows at a time.

    The same arithmetic as the one expression, without its temporary the size
    of ``W`` (hundreds of MiB for the first layer of wide data).
    """
    step = max(1, 2**15 // max(W.shape[1], 1))
    for start in range(0, W.shape[0], step):
        rows = slice(start, start + step)
        out[rows] += factor * W[rows]
    return out


def penalty_gradient_factor(alpha, n_samples):
    """The gradient of :func:`penalty` with respect to a weight, over the weight."""
    return 2 * alpha / n_samples


def penalty(coefs, alpha, n_samples):
    """L2 penalty ``alpha * sum ||W||^2 / n_samples``, as MLPRegressor's.

    MLPRegressor halves both its squared loss and its penalty; our losses carry no
    one-half factor, so neither does the penalty and ``alpha`` keeps its meaning.
    """
    if not alpha:
        return 0.0
    # einsum, not vdot: a BLAS dot product of one layer wakes OpenBLAS's threads,
    # which costs milliseconds between the small steps of L-BFGS.
    total = sum(float(np.einsum("ij,ij->", coef, coef)) for coef in coefs)
    return alpha * total / n_samples


def tie(encoder_coefs):
    """All weight layers of a tied network: the encoder's, then their transposes.

    Decoder layer ``i`` mirrors encoder layer ``n - 1 - i``; the transposes are
    views, so the two halves stay one set of parameters.
    """
    return [*encoder_coefs, *(coef.T for coef in reversed(encoder_coefs))]


def pack(coefs, intercepts, dtype=np.float64, tied=False):
    """Concatenate the parameters, coefs first, into one new flat array.

    With ``tied``, only the encoder's weights are parameters (see :func:`tie`).
    """
    owned = coefs[: len(coefs) // 2] if tied else coefs
    return np.concatenate([a.ravel() for a in (*owned, *intercepts)]).astype(
        dtype, copy=False
    )


def unpack(theta, units, dtype, tied=False):
    """Coefs and intercepts of a network of ``units`` as views of flat ``theta``.

    ``theta`` is cast to ``dtype`` first if it has another dtype; otherwise the
    arrays returned share its memory, which lets the training loop update every
    parameter with one operation on ``theta``. With ``tied``, ``theta`` holds
    the encoder's weights only and the decoder's are their transposes.
    """
    theta = theta.astype(dtype, copy=False)
    shapes = [(a, b) for a, b in zip(units[:-1], units[1:], strict=True)]
    n_coefs = len(shapes) // 2 if tied else len(shapes)
    shapes = shapes[:n_coefs] + [(b,) for b in units[1:]]
    arrays, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(theta[start : start + size].reshape(shape))
        start += size
    coefs = arrays[:n_coefs]
    return (tie(coefs) if tied else coefs), arrays[n_coefs:]


@dataclass
class Network:
    """The whole model: PCA's linear paths plus two correction networks.

    With ``X_in = (X - mean) / sigma`` and whitened codes ``C = Z / code_scale``,

    - the encoder gives ``C = X_in @ E + code_correction * g(X_in)``, where
      ``E = components.T * sigma / code_scale`` is PCA's projection and ``g``
      the first half of ``coefs``;
    - the decoder gives ``A = C @ D + output_correction * h(C)``, where ``D =
      components * code_scale / sigma`` is PCA's reconstruction and ``h`` the
      second half, and ``X_hat = mean + sigma * A``. A logistic output has no
      linear path: ``X_hat = output_offset + output_scale * h(C)``.

    ``E`` and ``D`` are computed from ``components`` at every call, so that the
    model has no derived state to go stale.
    """

    mean: np.ndarray
    components: np.ndarray
    coefs: list
    intercepts: list
    activations: list
    scales: Scales

    @property
    def n_encoder(self):
        """Number of weight layers of the encoder's correction."""
        return len(self.coefs) // 2

    @property
    def linear_decoder(self):
        """Whether the decoder has PCA's linear path (an identity output)."""
        return self.scales.output_correction is not None

    def encoder_projection(self):
        """``E`` (n_features, n_components), PCA's projection in network units."""
        return self.components.T * (self.scales.sigma / self.scales.code_scale)

    def decoder_projection(self):
        """``D`` (n_components, n_features), PCA's reconstruction in network units."""
        scale = self.scales.code_scale / self.scales.sigma
        return self.components * scale[:, None]


def scale_input(X, network, out=None):
    """``(X - mean) / sigma`` of a dense batch X, into ``out`` (may be X itself)."""
    out = np.subtract(X, network.mean, out=out)
    out *= 1 / network.scales.sigma
    return out


def scale_output(X, network, out=None):
    """X (dense) in the units of the network's output, as :func:`scale_input`."""
    scales = network.scales
    if network.linear_decoder:
        return scale_input(X, network, out)
    out = np.subtract(X, scales.output_offset, out=out)
    # Constant columns (scale 0) are 0 there, and weigh nothing in the loss.
    np.divide(out, scales.output_scale, out=out, where=scales.output_scale > 0)
    return out


def unscale_output(A, network):
    """Network outputs A (n_samples, n_features) in the units of X."""
    scales = network.scales
    if network.linear_decoder:
        return A * scales.sigma + network.mean
    return A * scales.output_scale + scales.output_offset


def encode_scaled(X_in, network, out=None, scratch=None):
    """The encoder's layer outputs for scaled input; the last is the code ``C``.

    ``out`` (per layer) and ``scratch`` (n_samples, n_components) are optional
    buffers, as in :func:`forward`.
    """
    n = network.n_encoder
    outputs = forward(
        X_in,
        network.coefs[:n],
        network.intercepts[:n],
        network.activations[:n],
        out,
    )
    C = outputs[-1]
    C *= network.scales.code_correction
    projection = network.encoder_projection()
    # X_in may be sparse rows (skae._sparse.ScaledRows), which only offer @.
    C += (
        X_in @ projection
        if scratch is None
        else np.matmul(X_in, projection, out=scratch)
    )
    return outputs


def decode_scaled(C, network, out=None, scratch=None):
    """The decoder's layer outputs for whitened codes C; the last is ``A``."""
    n = network.n_encoder
    outputs = forward(
        C, network.coefs[n:], network.intercepts[n:], network.activations[n:], out
    )
    if network.linear_decoder:
        A = outputs[-1]
        A *= network.scales.output_correction
        A += np.matmul(C, network.decoder_projection(), out=scratch)
    return outputs


def backward_network(
    encoder_outputs,
    decoder_outputs,
    delta,
    network,
    alpha,
    grads=None,
    buffers=None,
    code_gradient=None,
):
    """Gradients of the loss (and L2 penalty) for every correction layer.

    Parameters
    ----------
    encoder_outputs, decoder_outputs : list of ndarray
        From :func:`encode_scaled` and :func:`decode_scaled` on one batch.
    delta : ndarray of shape (n_samples, n_features)
        Gradient of the loss with respect to ``A`` (its pre-activation for a
        logistic output); overwritten.
    network : Network
    alpha : float
    grads : tuple of two lists, optional
        Coef and intercept gradient arrays to write into.
    buffers : tuple, optional
        The deltas of every hidden and code layer, (n_samples, units[i]) for
        ``i = 1 .. n_layers - 1``, and a scratch array (n_samples, n_components).
    code_gradient : ndarray of shape (n_samples, n_components), optional
        Gradient of a penalty on the whitened codes, added to the loss's.

    Returns
    -------
    coef_grads, intercept_grads : lists shaped like the coefs and intercepts.
    """
    n = network.n_encoder
    n_samples, n_components = delta.shape[0], network.components.shape[0]
    if grads is None:
        grads = (
            [np.empty_like(coef) for coef in network.coefs],
            [np.empty_like(intercept) for intercept in network.intercepts],
        )
    coef_grads, intercept_grads = grads
    if buffers is None:
        deltas = None
        code_delta = np.empty((n_samples, n_components), delta.dtype)
        scratch = None
    else:
        # The code layer's slot among the deltas holds the decoder's input delta.
        deltas, scratch = buffers
        code_delta = deltas[n - 1]
    through_linear = None
    if network.linear_decoder:
        through_linear = np.matmul(delta, network.decoder_projection().T, out=scratch)
        delta *= network.scales.output_correction
    backward(
        decoder_outputs,
        delta,
        network.coefs[n:],
        network.activations[n:],
        alpha,
        (coef_grads[n:], intercept_grads[n:]),
        deltas=None if deltas is None else deltas[n:],
        input_delta=code_delta,
    )
    if through_linear is not None:
        code_delta += through_linear
    if code_gradient is not None:
        code_delta += code_gradient
    backward_encoder(
        encoder_outputs,
        code_delta,
        network,
        alpha,
        grads,
        deltas=None if deltas is None else deltas[: n - 1],
    )
    return coef_grads, intercept_grads


def backward_encoder(encoder_outputs, code_delta, network, alpha, grads, deltas=None):
    """Gradients of the encoder's correction layers, into ``grads``' first layers.

    ``code_delta`` is the gradient with respect to the whitened codes (scaled
    in place into the correction's units); ``grads`` the coef and intercept
    gradient lists of the whole network; ``deltas`` the encoder's hidden
    layers' buffers, if any.
    """
    n = network.n_encoder
    coef_grads, intercept_grads = grads
    code_delta *= network.scales.code_correction
    backward(
        encoder_outputs,
        code_delta,
        network.coefs[:n],
        network.activations[:n],
        alpha,
        (coef_grads[:n], intercept_grads[:n]),
        deltas=deltas,
    )
