"""The stochastic epoch loop, the L-BFGS driver and whole-data evaluation."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._losses import loss_and_output_delta
from ._network import (
    backward_encoder,
    backward_network,
    decode_scaled,
    encode_scaled,
    pack,
    penalty,
    scale_input,
    scale_output,
    unpack,
    unscale_output,
)
from ._optimizers import scratch_for
from ._penalties import code_sparsity, contraction
from ._sparse import ScaledRows, decoder_gradients, squared_residuals
from ._warnings import warn_at_caller

# Most rows per chunk for whole-data passes (L-BFGS, validation, transform,
# score): big enough for efficient matrix products, small enough that a dense
# chunk of sparse or large X stays far below the size of X.
CHUNK_ROWS = 2048


@dataclass
class Loop:
    """How the stochastic solvers run: MLPRegressor's parameters of the same names.

    ``tol`` is in units of ``Scales.tolerance_unit`` (PCA's training MSE);
    ``incremental`` runs one epoch with no stopping rule and no convergence
    warning (``partial_fit``); ``fixed_length`` runs all ``max_iter``
    epochs, a length chosen for the fit rather than a cap, with no stopping
    rule; ``warn`` says whether reaching ``max_iter`` warns;
    ``learning_rate_init`` is only named in the divergence message.
    ``monitor`` (from ``skae._callbacks``), if any, is told of every epoch:
    ``monitor.begin(snapshot)`` before it and ``monitor.end(snapshot)`` after
    it, where ``snapshot()`` gives copies of the network and history that
    stopping there would return; training stops, as by the stopping rule, once
    ``end`` returns True.
    """

    max_iter: int
    batch_size: int
    shuffle: bool
    tol: float
    n_iter_no_change: int
    early_stopping: bool
    learning_rate_init: float
    incremental: bool
    warn: bool
    verbose: bool
    fixed_length: bool = False
    monitor: object = None


@dataclass
class History:
    """Training record, copied by the estimator into its fitted attributes.

    ``loss``, ``loss_curve``, ``best_loss`` are the mean squared error in the
    units of X plus the L2 penalty times the mean column variance (the mean
    binary cross-entropy plus the penalty for ``log_loss``); validation scores
    are the negative mean squared error in the units of X.
    """

    loss: float = np.inf
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    best_validation_score: float | None = None
    n_iter: int = 0
    t: int = 0
    validation_gain: float | None = None


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
    except by the code penalties. ``sample_weight`` (n_samples,) weighs each
    row's loss and code penalties, ``sum_i w_i l_i / sum_i w_i``.
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
    ``penalties`` and ``shares`` are those for the batch's weight.
    """
    n = network.n_encoder
    if grads is None:
        grads = (
            [np.empty_like(coef) for coef in network.coefs],
            [np.empty_like(intercept) for intercept in network.intercepts],
        )
    coef_grads, intercept_grads = grads
    if corrupt is None:
        X_in = ScaledRows(X, network.mean, 1 / network.scales.sigma)
    else:
        X_in = scale_input(X.toarray(), network)
        corrupt(X_in)
    encoded = encode_scaled(X_in, network)
    value, code_gradient, extra = _code_penalties(encoded, network, penalties, shares)
    reconstruction, code_delta = decoder_gradients(
        X.tocsc(),
        encoded[-1],
        network,
        loss,
        penalties.alpha,
        (coef_grads[n:], intercept_grads[n:]),
        sample_weight,
    )
    if code_gradient is not None:
        code_delta += code_gradient
    backward_encoder(encoded, code_delta, network, penalties.alpha, grads)
    _add_encoder_gradients((coef_grads, intercept_grads), extra, n)
    value += reconstruction + penalty(network.coefs, penalties.alpha, X.shape[0])
    return value, coef_grads, intercept_grads


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


def _check_finite(value, what, advice):
    """Refuse to go on once the loss or the weights have overflowed."""
    if not np.all(np.isfinite(value)):
        raise ValueError(
            f"Training diverged: the {what} became non-finite. {advice} The model "
            "was left as it was before this fit."
        )


class _Parameters:
    """The network's parameters as one flat vector, with views per layer.

    The optimizer then updates the whole network with a few whole-array
    operations, and the caller's arrays are never written to. With ``tied``
    weights the vector holds the encoder's weights only; the decoder's
    gradients go to arrays of their own until :meth:`fold` adds them to the
    encoder's.
    """

    def __init__(self, network, tied=False):
        coefs = network.coefs
        self.units = [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]
        self.tied = tied
        dtype = coefs[0].dtype
        self.theta = pack(coefs, network.intercepts, dtype, tied)
        coefs, intercepts = unpack(self.theta, self.units, dtype, tied)
        self.network = replace(network, coefs=coefs, intercepts=intercepts)
        self.gradient = np.empty_like(self.theta)
        coef_grads, intercept_grads = unpack(self.gradient, self.units, dtype, tied)
        if tied:
            n = len(coefs) // 2
            coef_grads[n:] = [np.empty(coef.shape, dtype) for coef in coefs[n:]]
        self.grads = coef_grads, intercept_grads

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


def _snapshot(params, theta, history):
    """What training would return if it stopped now, made only when asked for.

    A function returning copies of the network with parameters ``theta`` (a
    flat vector, as ``params.theta``) and of ``history``: a callback may keep
    them while training goes on. With ``copied=False`` it returns views of
    them instead, for a monitor that reads them at once and keeps nothing
    (a copy of a wide network's parameters is hundreds of MiB).
    """

    def take(copied=True):
        if not copied:
            views = unpack(theta, params.units, theta.dtype, params.tied)
            return replace(params.network, coefs=views[0], intercepts=views[1]), history
        coefs, intercepts = unpack(theta.copy(), params.units, theta.dtype, params.tied)
        coefs = [np.ascontiguousarray(coef) for coef in coefs]
        network = replace(params.network, coefs=coefs, intercepts=intercepts)
        return network, copy.deepcopy(history)

    return take


def validation_split(n_samples, validation_fraction, random_state):
    """Training and (sorted) validation row indices, for early stopping."""
    rows, validation_rows = train_test_split(
        np.arange(n_samples), test_size=validation_fraction, random_state=random_state
    )
    if validation_rows.shape[0] < 2:
        raise ValueError(
            "The validation set is too small for early_stopping=True: increase "
            f"validation_fraction={validation_fraction!r} or the number of samples."
        )
    validation_rows.sort()
    return rows, validation_rows


def _run_epoch(
    X, rows, params, objective, optimizer, workspace, scratch, advice, weights=None
):
    """One pass of minibatch updates over ``X[rows]``; the mean batch loss.

    ``objective`` is ``(loss, penalties, corrupt)`` as
    :func:`batch_loss_and_gradients` takes them; ``workspace`` is a
    :class:`Workspace`, or the batch size for sparse X. With sample ``weights``
    (X.shape[0],), the batch losses are averaged with the batches' weights,
    and a batch of weight 0 is skipped: it contributes nothing, and a step
    on its zero gradient would still move Adam's and momentum's parameters.
    """
    loss, penalties, corrupt = objective
    total = 0.0
    batch_size = workspace if sp.issparse(X) else workspace.inputs.shape[0]
    for batch in gen_batches(rows.shape[0], batch_size):
        batch_rows = rows[batch]
        batch_weights = None if weights is None else weights[batch_rows]
        if batch_weights is not None and not batch_weights.any():
            continue
        if sp.issparse(X):
            X_batch = X[batch_rows]
        else:
            # Gathered straight into the input buffer: a fresh array per
            # batch costs page faults whenever the allocator has returned
            # its memory to the system. The rows are valid indices, and
            # mode="raise" would copy through a temporary.
            X_batch = np.take(
                X,
                batch_rows,
                axis=0,
                out=workspace.inputs[: batch_rows.shape[0]],
                mode="clip",
            )
        value, _, _ = batch_loss_and_gradients(
            X_batch,
            params.network,
            loss,
            penalties,
            None if sp.issparse(X) else workspace,
            params.grads,
            corrupt,
            batch_weights,
        )
        _check_finite(value, "training loss", advice)
        params.fold()
        optimizer.step([params.theta], [params.gradient], scratch)
        if weights is None:
            total += value * batch_rows.shape[0]
        else:
            total += value * float(batch_weights.sum())
    _check_finite(params.theta, "network weights", advice)
    return total / (rows.shape[0] if weights is None else float(weights[rows].sum()))


class _StoppingRule:
    """MLPRegressor's rule: stop after ``n_iter_no_change`` epochs without gain.

    With early stopping the gain is in the validation score, and the weights
    that scored best (those of the PCA start included) are kept.
    """

    def __init__(self, history, params, X, validation_rows, sample_weight=None):
        self.history, self.params = history, params
        self.X, self.validation_rows = X, validation_rows
        self.weights = None
        if sample_weight is not None and validation_rows is not None:
            self.weights = sample_weight[validation_rows]
        self.count = 0
        if validation_rows is None:
            history.validation_scores = history.best_validation_score = None
            if history.best_loss is None:
                history.best_loss = np.inf
            return
        history.best_loss = None
        self.best_theta = params.theta.copy()
        if history.validation_scores is None:
            history.validation_scores = []
        if history.best_validation_score is None:
            history.best_validation_score = self.validation_score()

    def validation_score(self):
        """Negative mean squared error on the validation rows, in X units."""
        errors = mean_squared_errors(self.X, self.params.network, self.validation_rows)
        return -float(np.average(errors, weights=self.weights))

    def update(self, tolerance):
        """Record the epoch just run; the message that verbose prints."""
        history = self.history
        message = f"Iteration {history.n_iter}, loss = {history.loss:.8f}"
        if self.validation_rows is None:
            improved = history.loss < history.best_loss - tolerance
            history.best_loss = min(history.best_loss, history.loss)
        else:
            score = self.validation_score()
            history.validation_scores.append(score)
            message += f", validation score = {score:.8f}"
            improved = score >= history.best_validation_score + tolerance
            if score > history.best_validation_score:
                history.best_validation_score = score
                self.best_theta[...] = self.params.theta
        self.count = 0 if improved else self.count + 1
        return message

    def restore_best(self):
        """Keep the best-scoring weights rather than the last ones."""
        if self.validation_rows is not None:
            self.params.theta[...] = self.best_theta

    def kept_theta(self):
        """The parameters that stopping now would keep (the best with validation)."""
        return self.params.theta if self.validation_rows is None else self.best_theta


# Overflow is caught by _check_finite, which raises an error that names the fix;
# NumPy's own warnings would only bury it.
@np.errstate(over="ignore", invalid="ignore")
def fit_stochastic(
    X,
    network,
    loss,
    penalties,
    optimizer,
    history,
    random_state,
    loop,
    rows=None,
    *,
    corruption=None,
    tied=False,
    sample_weight=None,
):
    """Train the correction networks of ``network`` with minibatch updates.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Raw rows; batches are taken by index, never copied whole.
    network : Network
        The starting point; its arrays are not written.
    loss : {"squared_error", "log_loss"}
    penalties : Penalties
    optimizer : SGD or Adam
        Built for, or continued from, the flat parameter vector of
        :func:`skae._network.pack` (with the same ``tied``).
    history : History
        Extended in place and returned.
    random_state : numpy.random.RandomState
        Drives the shuffling.
    loop : Loop
    rows : tuple of two ndarray, optional
        Training and validation row indices of X, from :func:`validation_split`,
        with ``loop.early_stopping``; all rows are for training otherwise.
    corruption : Corruption, optional
        Denoising: each batch is corrupted afresh, from one stream of its seed.
    tied : bool, default=False
        Whether the decoder's weights are the encoder's transposed.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative weights of the rows of X, of positive sum over the
        training rows and over the validation rows: they weigh the batch
        losses and the validation score.

    Returns
    -------
    network : Network
        The trained network.
    history : History
    """
    params = _Parameters(network, tied)
    # Sparse batches need no workspace: they are never dense (skae._sparse).
    workspace = loop.batch_size
    if not sp.issparse(X):
        workspace = Workspace(params.units, loop.batch_size, params.theta.dtype)
    corrupt = None
    if corruption is not None:
        corrupt = partial(corruption.apply, rng=corruption.generator())
    objective = loss, penalties, corrupt
    scratch = scratch_for([params.theta])
    advice = (
        f"The step size learning_rate_init={loop.learning_rate_init!r} is too "
        "large for this data and network: lower learning_rate_init (for example "
        "by 10x)."
    )
    train_rows, validation_rows = (
        (np.arange(X.shape[0]), None) if rows is None else rows
    )
    rule = _StoppingRule(history, params, X, validation_rows, sample_weight)
    for _ in range(loop.max_iter):
        if loop.monitor is not None:
            loop.monitor.begin(_snapshot(params, rule.kept_theta(), history))
        if loop.shuffle:
            train_rows = random_state.permutation(train_rows)
        mean_loss = _run_epoch(
            X,
            train_rows,
            params,
            objective,
            optimizer,
            workspace,
            scratch,
            advice,
            sample_weight,
        )
        history.n_iter += 1
        history.t += train_rows.shape[0]
        history.loss = mean_loss * network.scales.loss_scale
        history.loss_curve.append(history.loss)
        optimizer.end_epoch(history.t)
        message = rule.update(loop.tol * network.scales.tolerance_unit)
        if loop.verbose:
            print(message)
        stop = loop.monitor is not None and loop.monitor.end(
            _snapshot(params, rule.kept_theta(), history)
        )
        if loop.incremental:
            break
        if stop:
            # Asked for, as a stop by the rule below is: no ConvergenceWarning.
            if loop.verbose:
                print("A callback stopped training.")
            break
        if rule.count > loop.n_iter_no_change and not loop.fixed_length:
            stop, reason = optimizer.trigger_stopping()
            if loop.verbose:
                print(
                    f"{'Validation score' if loop.early_stopping else 'Training loss'} "
                    f"did not improve more than tol={loop.tol} for "
                    f"{loop.n_iter_no_change} consecutive epochs. {reason}"
                )
            if stop:
                break
            rule.count = 0
    else:
        if loop.warn and not loop.incremental:
            warn_at_caller(
                f"Stochastic optimizer: maximum iterations ({loop.max_iter}) reached "
                "and the optimization hasn't converged yet. Increase max_iter.",
                ConvergenceWarning,
            )
    rule.restore_best()
    return params.stored(), history


@np.errstate(over="ignore", invalid="ignore")
def fit_lbfgs(
    X,
    network,
    loss,
    penalties,
    history,
    *,
    max_iter,
    max_fun,
    tol,
    verbose,
    monitor=None,
    warn=True,
    corruption=None,
    tied=False,
    sample_weight=None,
):
    """Train with SciPy's L-BFGS-B on the whole of X, processed in row chunks.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    network : Network
        The starting point; the optimum is returned, not written into it.
    loss, penalties, tied
        As for :func:`fit_stochastic`.
    history : History
        Extended with one ``loss_curve`` entry per L-BFGS iteration.
    max_iter, max_fun, tol, verbose
        As in ``MLPRegressor`` (``tol`` is SciPy's ``gtol``).
    monitor : object, optional
        As ``Loop.monitor``, told of every L-BFGS iteration. An
        iteration begins with its first loss evaluation after the one at the
        start point, so that each is one that SciPy counts, but for a line
        search cut short (``monitor.close()`` then ends it).
    warn : bool, default=True
        Whether to warn when ``max_iter`` stops L-BFGS: not when it is a
        length chosen for the fit.
    corruption : Corruption, optional
        Denoising: each chunk is corrupted the same way at every evaluation,
        so that L-BFGS minimises one deterministic objective.
    sample_weight : ndarray of shape (n_samples,), optional
        Non-negative weights of the rows of X, of positive sum: the objective
        is the weighted mean loss plus the L2 penalty divided by their sum.

    Returns
    -------
    network : Network
    history : History
    """
    params = _Parameters(network, tied)
    dtype, units = params.theta.dtype, params.units
    n_samples = X.shape[0]
    n_coefs = params.theta.size - sum(b.size for b in network.intercepts)
    # As for dense X, so that both see the same chunks (and corruption).
    rows_per_chunk = min(chunk_rows(network), n_samples)
    workspace = None
    if not sp.issparse(X):
        workspace = Workspace(units, rows_per_chunk, dtype)
    scale = network.scales.loss_scale
    alpha, per_chunk = penalties.alpha, replace(penalties, alpha=0.0)
    # The number of samples, the sum of the weights with sample weights.
    count = n_samples if sample_weight is None else float(sample_weight.sum())
    # A tied weight appears twice in the network, and so in the L2 penalty.
    l2_gradient = (2 if tied else 1) * 2 * alpha / count

    evaluated = stopped = False

    def loss_and_gradient(theta):
        nonlocal evaluated
        if monitor is not None and evaluated:
            # params.theta still holds the current iterate (see record).
            monitor.begin(_snapshot(params, params.theta, history))
        evaluated = True
        params.theta[...] = theta
        total = penalty(params.network.coefs, alpha, count)
        gradient = np.zeros_like(theta)
        gradient[:n_coefs] = l2_gradient * theta[:n_coefs]
        for index, rows in enumerate(gen_batches(n_samples, rows_per_chunk)):
            weights = None if sample_weight is None else sample_weight[rows]
            if weights is None:
                share = (rows.stop - rows.start) / n_samples
            elif weights.any():
                share = float(weights.sum()) / count
            else:
                continue
            corrupt = None
            if corruption is not None:
                corrupt = partial(corruption.apply, rng=corruption.generator(index))
            value, _, _ = batch_loss_and_gradients(
                X[rows],
                params.network,
                loss,
                per_chunk,
                workspace,
                params.grads,
                corrupt,
                weights,
            )
            params.fold()
            total += share * value
            gradient += share * params.gradient
        return total, gradient

    def record(intermediate_result):
        nonlocal stopped
        # history is kept as returning here would leave it, for the monitor.
        history.loss = float(intermediate_result.fun) * scale
        history.loss_curve.append(history.loss)
        history.best_loss = min(history.loss_curve)
        history.n_iter += 1
        history.t += n_samples
        if verbose:
            print(
                f"Iteration {len(history.loss_curve)}, "
                f"loss = {history.loss_curve[-1]:.8f}"
            )
        if monitor is not None:
            params.theta[...] = intermediate_result.x
            if monitor.end(_snapshot(params, params.theta, history)):
                stopped = True
                if verbose:
                    print("A callback stopped training.")
                raise StopIteration

    result = minimize(
        loss_and_gradient,
        pack(network.coefs, network.intercepts, tied=tied),
        method="L-BFGS-B",
        jac=True,
        callback=record,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    if monitor is not None:
        monitor.close()
    # A stop that a callback asked for is no failure to converge.
    if result.status != 0 and not stopped and (warn or result.nit < max_iter):
        warn_at_caller(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}). Increase max_iter or max_fun.",
            ConvergenceWarning,
        )
    value = float(result.fun) * scale
    _check_finite(value, "training loss", "Try solver='adam' or a larger alpha.")
    params.theta[...] = result.x
    history.loss = value
    history.best_loss = min(history.loss_curve, default=value)
    return params.stored(), history
