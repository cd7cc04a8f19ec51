"""The training objective: the loss of the network on rows of X, and its gradient.

How the training pieces fit: an :class:`Objective` owns everything that
defines what is minimised (the network's layout as one flat parameter vector,
the loss, the penalties, the corruption of denoising, the rows' weights and the
workspace that a step reuses) and offers :meth:`Objective.value_and_grad` for
a block of rows. The solvers of :mod:`skae._solvers` move its parameters;
they know nothing of networks. Whole-data evaluation of a trained network
(codes, reconstructions, errors) is in :mod:`skae._evaluation`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace
from functools import partial

import numpy as np
import scipy.sparse as sp

from ._activations import multiply_derivative_inplace
from ._losses import loss_and_output_delta
from ._network import (
    backward,
    backward_encoder,
    backward_network,
    decode_scaled,
    encode_scaled,
    pack,
    penalty,
    scale_input,
    scale_output,
    unpack,
)
from ._penalties import code_sparsity, contraction
from ._sparse import (
    GradientArrays,
    OptimizerSteps,
    ScaledRows,
    decoder_gradients,
    first_layer_gradient,
)


class Workspace:
    """Arrays that every minibatch reuses: scaled input, layer outputs, deltas.

    Sized for ``batch_size`` rows; a shorter last batch uses their first rows.
    Allocated once per fit: fresh arrays at every minibatch cost page faults
    whenever the allocator has handed their memory back to the system.
    """

    def __init__(self, units, batch_size, dtype):
        def rows(width):
            return np.empty((batch_size, width), dtype=dtype)

        n_components = units[len(units) // 2]
        self.inputs = rows(units[0])
        self.targets = rows(units[-1])
        self.outputs = [rows(width) for width in units[1:]]
        self.residuals = rows(units[-1])
        self.deltas = [rows(width) for width in units[1:-1]]
        self.code_scratch = rows(n_components)
        self.output_scratch = rows(units[-1])
        self.noise = rows(units[0])

    def first(self, n_samples):
        """The workspace's arrays cut to ``n_samples`` rows (contiguous views)."""
        if n_samples == self.inputs.shape[0]:
            return self
        view = Workspace.__new__(Workspace)
        for name, value in vars(self).items():
            cut = (
                [a[:n_samples] for a in value]
                if isinstance(value, list)
                else value[:n_samples]
            )
            setattr(view, name, cut)
        return view


def batch_loss_and_gradients(
    X,
    network,
    loss,
    penalties,
    workspace=None,
    grads=None,
    corrupt=None,
    sample_weight=None,
):
    """Loss (in network units) and gradients for one batch of raw rows ``X``.

    ``X`` (n_samples, n_features) is dense or sparse; only this batch is made
    dense (sparse X is not: :func:`_sparse_batch`). ``penalties``
    (:class:`skae._penalties.Penalties`) are added to the
    loss; whole-data passes set ``alpha`` to 0 and add the L2 penalty once
    instead of once per chunk. ``corrupt(X_in, scratch=...)``, if given,
    corrupts the scaled input in place; the target stays clean. With a
    :class:`Workspace` and ``grads`` (coef and intercept gradient arrays to
    overwrite) nothing the size of the batch or of the network is allocated,
    except by the code penalties. For sparse X, ``grads`` may be a
    :class:`WideSteps`, which steps the wide layers as their gradients are
    computed; their entries of the gradients returned are then None.
    ``sample_weight`` (n_samples,) weighs each row's loss and code penalties,
    ``sum_i w_i l_i / sum_i w_i``.
    """
    n_samples = X.shape[0]
    shares = None
    if sample_weight is not None:
        # The L2 penalty is divided by the batch's weight rather than its size,
        # as MLPRegressor does: integer weights then equal repeated rows. A
        # batch of weight 0 contributes nothing.
        weight = float(sample_weight.sum())
        alpha = penalties.alpha * n_samples / weight if weight > 0 else 0.0
        penalties = replace(penalties, alpha=alpha)
        shares = sample_weight / weight if weight > 0 else 0 * sample_weight
    if sp.issparse(X):
        return _sparse_batch(
            X, network, loss, penalties, grads, corrupt, sample_weight, shares
        )
    space = workspace.first(n_samples) if workspace is not None else None

    def buffer(name):
        return None if space is None else getattr(space, name)

    n = network.n_encoder
    outputs = buffer("outputs") or [None] * len(network.coefs)
    # The target first: X may be the workspace's input buffer itself, which
    # the fit loop gathers batches into, and is scaled in place below.
    if not network.linear_decoder or corrupt is not None:
        target = scale_output(X, network, out=buffer("targets"))
    X_in = scale_input(X, network, out=buffer("inputs"))
    if corrupt is not None:
        corrupt(X_in, scratch=buffer("noise"))
    elif network.linear_decoder:
        target = X_in
    encoded = encode_scaled(X_in, network, outputs[:n], buffer("code_scratch"))
    value, code_gradient, extra = _code_penalties(encoded, network, penalties, shares)
    decoded = decode_scaled(encoded[-1], network, outputs[n:], buffer("output_scratch"))
    reconstruction, delta = loss_and_output_delta(
        loss,
        network.activations[-1],
        target,
        decoded[-1],
        network.scales.loss_weights,
        scratch=buffer("residuals"),
        sample_weight=sample_weight,
    )
    buffers = None if space is None else (space.deltas, space.code_scratch)
    coef_grads, intercept_grads = backward_network(
        encoded, decoded, delta, network, penalties.alpha, grads, buffers, code_gradient
    )
    _add_encoder_gradients((coef_grads, intercept_grads), extra, n)
    value += reconstruction + penalty(network.coefs, penalties.alpha, n_samples)
    return value, coef_grads, intercept_grads


def _code_penalties(encoded, network, penalties, shares):
    """The code penalties' value, gradient at the codes and encoder gradients.

    The gradient at the codes is None without ``sparsity``; the encoder's
    (coef and intercept gradients of the contractive penalty) None without
    ``contractive``.
    """
    value, code_gradient, extra = 0.0, None, None
    if penalties.sparsity:
        value, code_gradient = code_sparsity(encoded[-1], penalties.sparsity, shares)
    if penalties.contractive:
        contractive, *extra = contraction(
            encoded, network, penalties.contractive, shares
        )
        value += contractive
    return value, code_gradient, extra


def _add_encoder_gradients(grads, extra, n):
    """Add ``extra`` (from :func:`_code_penalties`) to the first ``n`` of ``grads``."""
    if extra is None:
        return
    for layer_grads, extra_grads in zip(grads, extra, strict=True):
        for grad, more in zip(layer_grads[:n], extra_grads, strict=True):
            grad += more


def _sparse_batch(X, network, loss, penalties, grads, corrupt, sample_weight, shares):
    """:func:`batch_loss_and_gradients` of CSR rows X, never made dense whole.

    The encoder reads X through sparse products and the decoder's output
    goes through blocks of columns (:mod:`skae._sparse`). Corruption is
    dense noise, so with it the scaled input is made dense (one array of the
    batch's shape, besides the noise); the output side stays in blocks.
    ``penalties`` and ``shares`` are those for the batch's weight. ``grads``
    may be a :class:`WideSteps`: the wide layers' gradients then update the
    parameters block by block, as they are computed.
    """
    n = network.n_encoder
    if grads is None:
        grads = (
            [np.empty_like(coef) for coef in network.coefs],
            [np.empty_like(intercept) for intercept in network.intercepts],
        )
    steps = grads if isinstance(grads, WideSteps) else None
    coef_grads, intercept_grads = grads if steps is None else steps.grads
    # Before any step moves the weights.
    l2 = penalty(network.coefs, penalties.alpha, X.shape[0])
    if corrupt is None:
        X_in = ScaledRows(X, network.mean, 1 / network.scales.sigma)
    else:
        X_in = scale_input(X.toarray(), network)
        corrupt(X_in)
    encoded = encode_scaled(X_in, network)
    value, code_gradient, extra = _code_penalties(encoded, network, penalties, shares)
    last = GradientArrays(coef_grads[-1], intercept_grads[-1])
    reconstruction, code_delta = decoder_gradients(
        X.tocsc(),
        encoded[-1],
        network,
        loss,
        penalties.alpha,
        (coef_grads[n:], intercept_grads[n:]),
        last if steps is None else steps.last,
        sample_weight,
    )
    if code_gradient is not None:
        code_delta += code_gradient
    if steps is None:
        backward_encoder(encoded, code_delta, network, penalties.alpha, grads)
    else:
        _encoder_steps(encoded, code_delta, network, penalties.alpha, steps)
    _add_encoder_gradients((coef_grads, intercept_grads), extra, n)
    value += reconstruction + l2
    return value, coef_grads, intercept_grads


def _encoder_steps(encoded, code_delta, network, alpha, steps):
    """:func:`skae._network.backward_encoder`, the first layer's weights stepped.

    The gradients of the encoder's other layers go into ``steps.grads``; the
    first layer's weight gradient is handed to ``steps.first`` by blocks of
    rows (:func:`skae._sparse.first_layer_gradient`).
    """
    n = network.n_encoder
    coef_grads, intercept_grads = steps.grads
    code_delta *= network.scales.code_correction
    delta = code_delta
    if n > 1:
        delta = np.empty(encoded[1].shape, code_delta.dtype)
        backward(
            encoded[1:],
            code_delta,
            network.coefs[1:n],
            network.activations[1:n],
            alpha,
            (coef_grads[1:n], intercept_grads[1:n]),
            input_delta=delta,
        )
        multiply_derivative_inplace(network.activations[0], delta, encoded[1])
    np.matmul(np.ones(delta.shape[0], delta.dtype), delta, out=intercept_grads[0])
    first_layer_gradient(encoded[0], delta, alpha, network.coefs[0], steps.first)


class FlatParameters:
    """The network's parameters as one flat vector, with views per layer.

    The optimizer then updates the whole network with a few whole-array
    operations, and the caller's arrays are never written to. With ``tied``
    weights the vector holds the encoder's weights only; the decoder's
    gradients go to arrays of their own until :meth:`fold` adds them to the
    encoder's.
    """

    def __init__(self, network, tied=False, wide_steps=False):
        coefs = network.coefs
        self.units = [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]
        self.tied = tied
        dtype = coefs[0].dtype
        self.theta = pack(coefs, network.intercepts, dtype, tied)
        coefs, intercepts = unpack(self.theta, self.units, dtype, tied)
        self.network = replace(network, coefs=coefs, intercepts=intercepts)
        self.narrow = None
        if wide_steps:
            self._narrow_gradient()
            return
        self.gradient = np.empty_like(self.theta)
        coef_grads, intercept_grads = unpack(self.gradient, self.units, dtype, tied)
        if tied:
            n = len(coefs) // 2
            coef_grads[n:] = [np.empty(coef.shape, dtype) for coef in coefs[n:]]
        self.grads = coef_grads, intercept_grads

    def _narrow_gradient(self):
        """Gradient arrays for all but the wide layers (:class:`WideSteps`).

        The first layer's weights and the last layer's weights and biases,
        as wide as X, are stepped block by block instead. ``narrow`` pairs
        the pieces of ``theta`` that the optimizer steps whole with their
        gradients, which are views of one array: ``gradient``.
        """
        coefs, intercepts = self.network.coefs, self.network.intercepts
        narrow = [*coefs[1:-1], *intercepts[:-1]]
        self.gradient = np.empty(sum(a.size for a in narrow), self.theta.dtype)
        views, start = [], 0
        for array in narrow:
            views.append(self.gradient[start : start + array.size].reshape(array.shape))
            start += array.size
        n = len(coefs) - 2
        self.grads = [None, *views[:n], None], [*views[n:], None]
        # theta is coefs then intercepts: the narrow coefs lie between the
        # first and the last, the narrow intercepts before the last.
        first, last = coefs[0].size, sum(coef.size for coef in coefs[:-1])
        intercepts_start = last + coefs[-1].size
        self.narrow = [
            (self.theta[first:last], self.gradient[: last - first]),
            (
                self.theta[intercepts_start : -intercepts[-1].size],
                self.gradient[last - first :],
            ),
        ]

    def fold(self):
        """Add each decoder weight's gradient to the encoder weight it is tied to."""
        if self.tied:
            coef_grads = self.grads[0]
            for i in range(len(coef_grads) // 2):
                coef_grads[i] += coef_grads[-1 - i].T

    def stored(self):
        """The trained network, a tied decoder's weights as contiguous arrays."""
        if not self.tied:
            return self.network
        coefs = [np.ascontiguousarray(coef) for coef in self.network.coefs]
        return replace(self.network, coefs=coefs)


class WideSteps:
    """Where a batch's gradients go when the wide layers are stepped as computed.

    ``grads`` are the narrow layers' gradient lists (None at the wide ones);
    ``first`` and ``last`` are :class:`skae._sparse.OptimizerSteps` of the
    first layer's weights and of the last layer's weights and biases.
    """

    def __init__(self, params, update):
        coefs, intercepts = params.network.coefs, params.network.intercepts
        self.grads = params.grads
        self.first = OptimizerSteps(update, coefs[0])
        self.last = OptimizerSteps(update, coefs[-1], intercepts[-1])


class Objective:
    """The mean loss plus penalties of ``network`` on rows of X, as a function
    of its flat parameters.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Raw rows; blocks are taken by index, never copied whole.
    network : Network
        The starting point; its arrays are not written (training moves a copy,
        ``params.theta``).
    loss : {"squared_error", "log_loss"}
    penalties : Penalties
    block_rows : int
        The most rows of one block: a minibatch, or a chunk of L-BFGS.
    tied : bool, default=False
        Whether the decoder's weights are the encoder's transposed.
    corruption : Corruption, optional
        Denoising noise, applied to the scaled input of each block.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative weights of the rows of X: a block's loss is their
        weighted mean, and its L2 penalty is divided by their sum rather than
        the number of rows, as MLPRegressor does, so that integer weights
        equal repeated rows.
    wide_steps : bool, default=False
        Whether a solver that steps after every block (the stochastic one) may
        have the wide layers of sparse X stepped as their gradients are
        computed, so that no gradient array as large as the network is held
        (100 000 sparse columns make the first and last layers hundreds of
        MiB each). Not with tied weights, whose two halves' gradients are
        summed before a step, nor with ``contractive``, whose gradient of the
        first layer comes after it. Read ``wide_steps`` for what was chosen.
    """

    def __init__(
        self, X, network, loss, penalties, block_rows, *, tied=False,
        corruption=None, sample_weight=None, wide_steps=False,
    ):  # fmt: skip
        self.X, self.loss, self.penalties = X, loss, penalties
        self.corruption, self.sample_weight = corruption, sample_weight
        self.block_rows = block_rows
        self.wide_steps = (
            wide_steps and sp.issparse(X) and not tied and not penalties.contractive
        )
        self.params = FlatParameters(network, tied, self.wide_steps)
        # Sparse blocks need no workspace: they are never dense (skae._sparse).
        self.workspace = None
        if not sp.issparse(X):
            dtype = self.params.theta.dtype
            self.workspace = Workspace(self.params.units, block_rows, dtype)

    @property
    def scales(self):
        """The :class:`~skae._scaling.Scales` of the network being trained."""
        return self.params.network.scales

    def weight(self, rows):
        """The number of ``rows`` (a slice or indices), or their total weight."""
        if self.sample_weight is None:
            if isinstance(rows, slice):
                return len(range(self.X.shape[0])[rows])
            return rows.shape[0]
        return float(self.sample_weight[rows].sum())

    def corrupter(self, *key):
        """The corruption of the noise stream ``key``, as value_and_grad takes it."""
        if self.corruption is None:
            return None
        return partial(self.corruption.apply, rng=self.corruption.generator(*key))

    def value_and_grad(self, rows, corrupt=None, penalties=None, update=None):
        """The loss (network units) of ``X[rows]``; its gradient in ``params.gradient``.

        ``rows`` is a slice or an index array of at most ``block_rows`` rows;
        ``corrupt`` from :meth:`corrupter`; ``penalties`` replace the
        objective's (L-BFGS adds the L2 penalty once for the whole data).
        With ``wide_steps``, ``update(part, grad)`` moves a part of the wide
        layers' parameters by its gradient as soon as it is computed, and
        ``params.gradient`` holds the other layers' gradient
        (``params.narrow``).
        """
        weights = None if self.sample_weight is None else self.sample_weight[rows]
        grads = self.params.grads
        if self.wide_steps:
            grads = WideSteps(self.params, update)
        value, _, _ = batch_loss_and_gradients(
            self._block(rows),
            self.params.network,
            self.loss,
            self.penalties if penalties is None else penalties,
            self.workspace,
            grads,
            corrupt,
            weights,
        )
        self.params.fold()
        return value

    def _block(self, rows):
        """``X[rows]``: a view of a slice, indexed rows gathered into the workspace."""
        if isinstance(rows, slice) or self.workspace is None:
            return self.X[rows]
        # Gathered straight into the input buffer: a fresh array per batch
        # costs page faults whenever the allocator has returned its memory to
        # the system. The rows are valid indices, and mode="raise" would copy
        # through a temporary.
        out = self.workspace.inputs[: rows.shape[0]]
        return np.take(self.X, rows, axis=0, out=out, mode="clip")
