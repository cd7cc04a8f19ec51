"""Sparse rows through the network without a dense copy of them.

A minibatch (or chunk) of sparse X is never made dense whole. The input side
uses sparse products: the scaled input ``(X - mean) / sigma`` times a matrix
``W`` is ``(X @ W - mean @ W) / sigma``, and its transpose times the first
layer's delta is ``(X.T @ delta - mean ⊗ sum(delta)) / sigma``. The output
side (the decoder's last layer, the target and the loss, all as wide as X)
goes through blocks of columns, each at most ``BLOCK_BYTES`` per array: its
weight gradient is then written once per block, and only the deltas of the
narrow layers before it are summed over blocks. Beyond X, a batch then needs
O(n_rows * (hidden width + n_components)) memory besides the network's
gradient, as against several dense (n_rows, n_features) arrays.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.sparse import _sparsetools
from sklearn.utils import gen_batches

from ._activations import activate_inplace, multiply_derivative_inplace
from ._losses import loss_and_output_delta
from ._network import forward, penalty_gradient_factor

# Bytes of each dense (rows, columns) array of one block of the output side,
# and rows of the mean correction of the first layer's weight gradient: small
# enough that the few arrays of a block are a few MiB, large enough that a
# block's matrix products run at BLAS speed.
BLOCK_BYTES = 2**22


class ScaledRows:
    """The scaled input ``(X - mean) * scale`` of sparse rows X, kept sparse.

    Offers what the layers reading the input need: ``self @ W`` (n_rows,
    n_out), ``self.T @ delta`` (n_features, n_out) and
    :meth:`transpose_matmul`, which writes the latter into an array.

    Parameters
    ----------
    X : CSR matrix of shape (n_rows, n_features)
    mean : ndarray of shape (n_features,)
    scale : float
        ``1 / sigma``, as :func:`skae._network.scale_input` multiplies by it.
    """

    def __init__(self, X, mean, scale):
        self.X, self.mean, self.scale = X, mean, scale
        self.shape, self.dtype = X.shape, X.dtype

    def __matmul__(self, W):
        product = np.asarray(self.X @ W)
        product -= self.mean @ W
        product *= self.scale
        return product

    @property
    def T(self):
        """The transpose, as an object whose ``@`` gives ``X_in.T @ delta``."""
        return _Transposed(self)

    def transpose_matmul(self, delta, out):
        """Write ``X_in.T @ delta`` (n_features, n_out) into ``out``.

        ``delta`` (n_rows, n_out). Summed in place into ``out``, so that no
        second array of its size is made, as ``X.T @ delta`` would.
        """
        delta = np.ascontiguousarray(delta, dtype=out.dtype)
        X = self.X
        if X.format != "csr" or not out.flags.c_contiguous or X.dtype != out.dtype:
            out[...] = self.X.T @ delta
        else:
            out[...] = 0
            n_rows, n_features = self.shape
            # X.T is the CSC matrix of X's arrays: SciPy's own kernel for
            # CSC times dense columns, accumulating into out.
            _sparsetools.csc_matvecs(
                n_features,
                n_rows,
                delta.shape[1],
                X.indptr,
                X.indices,
                X.data,
                delta.ravel(),
                out.ravel(),
            )
        totals = delta.sum(axis=0)
        for rows in feature_blocks(self.shape[1], delta):
            self._centre(out[rows], rows, totals)
        return out

    def transpose_blocks(self, delta):
        """``X_in.T @ delta`` by blocks of rows: yields ``(rows, block)``.

        Each block (a slice of the features) is at most ``BLOCK_BYTES``, so
        that no array of the whole product is made.
        """
        X, totals = self.X.tocsc(), delta.sum(axis=0)
        for rows in feature_blocks(self.shape[1], delta):
            block = np.asarray(X[:, rows].T @ delta, dtype=delta.dtype)
            yield rows, self._centre(block, rows, totals)

    def _centre(self, block, rows, totals):
        """``(block - mean[rows] ⊗ totals) * scale`` in place: ``X.T @ delta``
        of the features ``rows`` made ``X_in.T @ delta``."""
        block -= np.multiply.outer(self.mean[rows], totals)
        block *= self.scale
        return block


def feature_blocks(n_features, delta):
    """Slices of the features such that a (block, delta's width) array fits
    ``BLOCK_BYTES``: rows of a block of the first layer's weight gradient."""
    step = max(1, BLOCK_BYTES // (delta.shape[1] * delta.itemsize))
    return gen_batches(n_features, step)


class _Transposed:
    """``ScaledRows.T``: only its product with a dense delta is defined."""

    def __init__(self, rows):
        self.rows = rows

    def __matmul__(self, delta):
        out = np.empty((self.rows.shape[1], delta.shape[1]), delta.dtype)
        return self.rows.transpose_matmul(delta, out)


class GradientArrays:
    """Blocks of a wide layer's gradient, written into whole gradient arrays."""

    def __init__(self, coef, intercept=None):
        self.coef, self.intercept = coef, intercept

    def put(self, where, coef_block, intercept_block=None):
        """``coef_block`` is the gradient of ``coef[where]``; ``intercept_block``
        that of the intercepts of the columns ``where[-1]``."""
        self.coef[where] = coef_block
        if intercept_block is not None:
            self.intercept[where[-1]] = intercept_block


class OptimizerSteps:
    """Blocks of a wide layer's gradient, each applied by the optimizer at once.

    ``update(part, grad)`` moves ``part``, a view of the parameters, by its
    gradient: no whole gradient array of the layer is ever held. The block
    must no longer be needed by the pass that computed it.
    """

    def __init__(self, update, coef, intercept=None):
        self.update, self.coef, self.intercept = update, coef, intercept

    def put(self, where, coef_block, intercept_block=None):
        """As :meth:`GradientArrays.put`, stepping the parameters instead."""
        self.update(self.coef[where], coef_block)
        if intercept_block is not None:
            self.update(self.intercept[where[-1]], intercept_block)


def column_blocks(n_rows, n_features, itemsize):
    """Slices of the columns such that a (n_rows, block) array fits BLOCK_BYTES."""
    width = max(1, BLOCK_BYTES // (max(n_rows, 1) * itemsize))
    return gen_batches(n_features, width)


def dense_columns(X, columns):
    """Columns ``columns`` (a slice) of CSC rows X as a dense C-ordered array."""
    return X[:, columns].toarray()


def _scaled_target(X_block, network, columns):
    """A dense block of X in the network's output units, as ``scale_output``."""
    scales = network.scales
    if network.linear_decoder:
        X_block -= network.mean[columns]
        X_block *= 1 / scales.sigma
        return X_block
    X_block -= scales.output_offset[columns]
    output_scale = scales.output_scale[columns]
    np.divide(X_block, output_scale, out=X_block, where=output_scale > 0)
    return X_block


def _output_block(inputs, codes, network, columns, projection):
    """The network's output ``A`` on ``columns``, from the last layer's input.

    ``inputs`` (n_rows, units[-2]), ``codes`` (n_rows, n_components) and
    ``projection`` PCA's reconstruction ``D`` (or None for a logistic output).
    """
    A = inputs @ network.coefs[-1][:, columns]
    A += network.intercepts[-1][columns]
    activate_inplace(network.activations[-1], A)
    if projection is not None:
        A *= network.scales.output_correction[columns]
        A += codes @ projection[:, columns]
    return A


def output_layer(X, inputs, codes, network, loss, alpha, last, sample_weight=None):
    """Loss of the output layer and its gradients, block of columns by block.

    Parameters
    ----------
    X : CSC matrix of shape (n_rows, n_features)
        The raw rows, the target.
    inputs : ndarray of shape (n_rows, units[-2])
        The decoder's last layer's input.
    codes : ndarray of shape (n_rows, n_components)
        The whitened codes, the input of PCA's linear path.
    network : Network
    loss : {"squared_error", "log_loss"}
    alpha : float
        L2 penalty strength (its gradient only).
    last : GradientArrays or OptimizerSteps
        Where the last layer's coef (units[-2], n_features) and intercept
        (n_features,) gradients go, a block of columns at a time.
    sample_weight : ndarray of shape (n_rows,), optional

    Returns
    -------
    value : float
        The loss, as :func:`skae._losses.loss_and_output_delta` gives it for
        the whole output.
    input_delta : ndarray of shape (n_rows, units[-2])
        Gradient of the loss with respect to ``inputs``.
    code_delta : ndarray of shape (n_rows, n_components) or None
        Gradient with respect to ``codes`` through the linear path.
    """
    n_rows, n_features = X.shape
    W, name = network.coefs[-1], network.activations[-1]
    scales = network.scales
    projection = network.decoder_projection() if network.linear_decoder else None
    input_delta = np.zeros_like(inputs)
    code_delta = None if projection is None else np.zeros_like(codes)
    ones = np.ones(n_rows, inputs.dtype)
    value = 0.0
    for columns in column_blocks(n_rows, n_features, inputs.itemsize):
        A = _output_block(inputs, codes, network, columns, projection)
        target = _scaled_target(dense_columns(X, columns), network, columns)
        # The losses are means over the block's entries: weighing its columns
        # by the block's share of all columns makes them means over all.
        share = (columns.stop - columns.start) / n_features
        weights = np.full(A.shape[1], share, A.dtype)
        if scales.loss_weights is not None:
            weights *= scales.loss_weights[columns]
        part, delta = loss_and_output_delta(
            loss, name, target, A, weights, sample_weight=sample_weight
        )
        value += part
        if projection is not None:
            code_delta += delta @ projection[:, columns].T
            delta *= scales.output_correction[columns]
        coef_block = inputs.T @ delta
        if alpha:
            factor = penalty_gradient_factor(alpha, n_rows)
            coef_block += factor * W[:, columns]
        input_delta += delta @ W[:, columns].T
        last.put((slice(None), columns), coef_block, ones @ delta)
    return value, input_delta, code_delta


def decoder_gradients(
    X, codes, network, loss, alpha, grads, last, sample_weight=None
):  # fmt: skip
    """The decoder's loss and gradients, with the delta of the codes.

    As :func:`skae._network.backward_network`'s decoder half, for CSC rows X
    (n_rows, n_features) and whitened ``codes`` (n_rows, n_components):
    returns the loss and the gradient with respect to the codes (through the
    decoder's correction and its linear path), writes the gradients of the
    decoder's layers but the last into ``grads`` (its coef and intercept
    gradient lists) and hands the last layer's to ``last``
    (:func:`output_layer`).
    """
    n = network.n_encoder
    coefs, intercepts = network.coefs[n:], network.intercepts[n:]
    names = network.activations[n:]
    coef_grads, intercept_grads = grads
    outputs = forward(codes, coefs[:-1], intercepts[:-1], names[:-1])
    value, delta, through_linear = output_layer(
        X,
        outputs[-1],
        codes,
        network,
        loss,
        alpha,
        last,
        sample_weight,
    )
    # From the last hidden layer's output back to the codes, as backward.
    for i in range(len(coefs) - 2, -1, -1):
        multiply_derivative_inplace(names[i], delta, outputs[i + 1])
        np.matmul(outputs[i].T, delta, out=coef_grads[i])
        if alpha:
            factor = penalty_gradient_factor(alpha, codes.shape[0])
            coef_grads[i] += factor * coefs[i]
        np.matmul(np.ones(codes.shape[0], delta.dtype), delta, out=intercept_grads[i])
        delta = delta @ coefs[i].T
    if through_linear is not None:
        delta += through_linear
    return value, delta


def first_layer_gradient(X_in, delta, alpha, coef, first):
    """Hand the first layer's weight gradient to ``first``, by blocks of rows.

    ``X_in`` (n_rows, n_features) is the scaled input, :class:`ScaledRows`
    or dense; ``delta`` (n_rows, units[1]) the gradient at the first layer's
    pre-activation; ``coef`` its weights, for the L2 penalty's gradient;
    ``first`` an :class:`OptimizerSteps` (or :class:`GradientArrays`).
    """
    factor = penalty_gradient_factor(alpha, delta.shape[0])
    if isinstance(X_in, ScaledRows):
        blocks = X_in.transpose_blocks(delta)
    else:
        blocks = (
            (rows, X_in[:, rows].T @ delta)
            for rows in feature_blocks(X_in.shape[1], delta)
        )
    for rows, block in blocks:
        if alpha:
            block += factor * coef[rows]
        first.put(rows, block)


def squared_residuals(X, codes, network):
    """Blocks of columns of the squared reconstruction error of rows X.

    Yields ``(columns, errors)``, errors (n_rows, block) in float64, as
    :func:`skae._evaluation._squared_residuals` gives them whole, for CSC rows
    X and their whitened codes (n_rows, n_components).
    """
    n = network.n_encoder
    inputs = forward(
        codes, network.coefs[n:-1], network.intercepts[n:-1], network.activations[n:-1]
    )[-1]
    projection = network.decoder_projection() if network.linear_decoder else None
    scales = network.scales
    for columns in column_blocks(X.shape[0], X.shape[1], 8):
        A = _output_block(inputs, codes, network, columns, projection)
        if network.linear_decoder:
            A *= scales.sigma
            A += network.mean[columns]
        else:
            A *= scales.output_scale[columns]
            A += scales.output_offset[columns]
        residual = A.astype(np.float64)
        residual -= dense_columns(X, columns)
        residual **= 2
        yield columns, residual
