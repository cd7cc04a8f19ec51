"""The stochastic epoch loop, the L-BFGS driver and whole-data evaluation."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from ._losses import loss_and_output_delta
from ._network import backward, forward, pack, penalty, unpack
from ._scaling import scale_input, scale_output, unscale_output

# Most rows per chunk for whole-data passes (L-BFGS, validation, transform,
# score): big enough for efficient matrix products, small enough that a dense
# chunk of sparse or large X stays far below the size of X.
CHUNK_ROWS = 2048

# Warnings raised here point at the user's fit or partial_fit call: above the
# warning stand the errstate wrapper, AutoencoderTransformer._fit, the public
# method and scikit-learn's _fit_context wrapper.
_USER_FRAME = 6


@dataclass
class Objective:
    """What the network minimises: its layers' activations, the loss and penalty."""

    activations: list
    loss: str
    output_activation: str
    alpha: float
    scaling: object


@dataclass
class History:
    """Training record, copied by the estimator into its fitted attributes.

    ``loss``, ``loss_curve``, ``best_loss`` are in the units of X (the weighted
    objective of :func:`skae._scaling.fit_scaling`, plus the L2 penalty);
    validation scores are the negative mean squared error in the units of X.
    """

    loss: float = np.inf
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    best_validation_score: float | None = None
    n_iter: int = 0
    t: int = 0


def _dense(X):
    """A dense view of a row batch of X."""
    return X.toarray() if sp.issparse(X) else X


class Workspace:
    """Arrays that every minibatch reuses: scaled input, layer outputs, deltas.

    Sized for ``batch_size`` rows; a shorter last batch uses their first rows.
    Allocated once per fit: fresh arrays at every minibatch cost page faults
    whenever the allocator has handed their memory back to the system.
    """

    def __init__(self, units, batch_size, dtype):
        def rows(width):
            return np.empty((batch_size, width), dtype=dtype)

        self.inputs = rows(units[0])
        self.targets = rows(units[-1])
        self.outputs = [rows(width) for width in units[1:]]
        self.residuals = rows(units[-1])
        self.deltas = [rows(width) for width in units[1:-1]]

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
    X, coefs, intercepts, objective, alpha, workspace=None, grads=None
):
    """Loss (dimensionless) and gradients for one batch of raw rows ``X``.

    ``X`` (n_samples, n_features) is dense or sparse; only this batch is made
    dense. ``alpha`` is passed separately so that whole-data passes can add the
    penalty once instead of once per chunk. With a :class:`Workspace` and
    ``grads`` (coef and intercept gradient arrays to overwrite) nothing the
    size of the batch or of the network is allocated.
    """
    scaling = objective.scaling
    X = _dense(X)
    n_samples = X.shape[0]
    space = workspace.first(n_samples) if workspace is not None else None

    def buffer(name):
        return None if space is None else getattr(space, name)

    # The target first: X may be the workspace's input buffer itself, which
    # the fit loop gathers batches into, and is scaled in place below.
    if not scaling.target_is_input:
        target = scale_output(X, scaling, out=buffer("targets"))
    X_in = scale_input(X, scaling, out=buffer("inputs"))
    if scaling.target_is_input:
        target = X_in
    outputs = forward(
        X_in, coefs, intercepts, objective.activations, out=buffer("outputs")
    )
    loss, delta = loss_and_output_delta(
        objective.loss,
        objective.output_activation,
        target,
        outputs[-1],
        scaling.weights,
        scratch=buffer("residuals"),
    )
    coef_grads, intercept_grads = backward(
        outputs,
        delta,
        coefs,
        objective.activations,
        alpha,
        *(grads or (None, None)),
        deltas=buffer("deltas"),
    )
    return loss + penalty(coefs, alpha, n_samples), coef_grads, intercept_grads


def fold_input_scaling(coefs, intercepts, scaling):
    """The encoder's layers with the input standardisation folded into the first.

    ``((X - m) * s) @ W + b = X @ (s W) + (b - (m s) @ W)``: raw rows, dense or
    sparse, then go straight into :func:`encode`, with no scaled copy of X.
    """
    first_coef = coefs[0] * scaling.input_inverse[:, None]
    offset = scaling.input_offset * scaling.input_inverse
    first_intercept = intercepts[0] - offset @ coefs[0]
    return [first_coef, *coefs[1:]], [first_intercept, *intercepts[1:]]


def encode(X, coefs, intercepts, activations):
    """Codes (n_samples, n_components) of raw rows X, dense or sparse.

    ``coefs`` and ``intercepts`` are the encoder's, from :func:`fold_input_scaling`.
    """
    return _chunked(X, coefs, lambda X: forward(X, coefs, intercepts, activations)[-1])


def decode(Z, coefs, intercepts, activations, scaling):
    """Reconstructions in the units of X from codes Z (n_samples, n_components)."""
    return _chunked(
        Z,
        coefs,
        lambda Z: unscale_output(
            forward(Z, coefs, intercepts, activations)[-1], scaling
        ),
    )


def squared_errors(X, coefs, intercepts, activations, scaling, rows=None):
    """Per-sample mean squared reconstruction error (n_samples,), units of X.

    With ``rows`` (indices), only those rows of X are scored, gathered chunk by
    chunk rather than copied out of X together.
    """

    def errors(X):
        X = _dense(X)
        outputs = forward(scale_input(X, scaling), coefs, intercepts, activations)
        residual = unscale_output(outputs[-1], scaling)
        residual -= X
        residual **= 2
        return residual.mean(axis=1)

    return _chunked(X, coefs, errors, rows)


def chunk_rows(coefs):
    """Rows per chunk of a whole-data pass through the network of ``coefs``.

    A chunk's temporaries (a dense copy of the input and every layer's output)
    stay within scikit-learn's ``working_memory``, and at most ``CHUNK_ROWS``.
    """
    width = 2 * coefs[0].shape[0] + sum(coef.shape[1] for coef in coefs)
    budget = get_config()["working_memory"] * 2**20
    # Plain ints: np.clip alone costs more than encoding a single row.
    return max(1, min(int(budget // (width * coefs[0].itemsize)), CHUNK_ROWS))


def _chunked(X, coefs, function, rows=None):
    """Apply ``function`` to row chunks of X (or of ``X[rows]``) and stack them."""
    n_rows = X.shape[0] if rows is None else rows.shape[0]
    size = chunk_rows(coefs)
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


# Overflow is caught by _check_finite, which raises an error that names the fix;
# NumPy's own warnings would only bury it.
@np.errstate(over="ignore", invalid="ignore")
def fit_stochastic(
    X,
    coefs,
    intercepts,
    objective,
    optimizer,
    history,
    random_state,
    *,
    max_iter,
    batch_size,
    shuffle,
    tol,
    n_iter_no_change,
    early_stopping,
    validation_fraction,
    learning_rate_init,
    incremental,
    verbose,
):
    """Train a network from ``coefs`` and ``intercepts`` with minibatch updates.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        Raw training rows; batches are taken by index, never copied whole.
    coefs, intercepts : list of ndarray
        Starting point; the trained arrays are returned, these are not written.
    objective : Objective
    optimizer : SGD or Adam
        Built for, or continued from, the flat parameter vector of
        :func:`skae._network.pack`.
    history : History
        Extended in place and returned.
    random_state : numpy.random.RandomState
        Drives the validation split and the shuffling.
    max_iter : int
        Epochs in this call (one when ``incremental``).
    batch_size : int
        Already clipped to the number of training rows.
    tol, n_iter_no_change, early_stopping, validation_fraction, shuffle, verbose
        As in ``MLPRegressor``; ``tol`` is relative to ``scaling.loss_scale``.
    learning_rate_init : float
        Only named in the divergence message.
    incremental : bool
        One epoch, no stopping rule and no convergence warning (``partial_fit``).

    Returns
    -------
    coefs, intercepts : list of ndarray
    history : History
    """
    scaling = objective.scaling
    dtype = coefs[0].dtype
    units = [coefs[0].shape[0]] + [coef.shape[1] for coef in coefs]
    # All parameters, and all gradients, live in one flat array each: the
    # optimizer then updates the whole network with a few whole-array
    # operations, and the caller's arrays are never written to.
    theta = pack(coefs, intercepts, dtype)
    coefs, intercepts = unpack(theta, units, dtype)
    gradient = np.empty_like(theta)
    grads = unpack(gradient, units, dtype)
    workspace = Workspace(units, batch_size, dtype)
    scratch = [np.empty_like(theta)]
    tolerance = tol * scaling.loss_scale
    advice = (
        f"The step size learning_rate_init={learning_rate_init!r} is too large for "
        "this data and network: lower learning_rate_init (for example by 10x)."
    )
    train_rows = np.arange(X.shape[0])
    if early_stopping:
        train_rows, validation_rows = train_test_split(
            train_rows, test_size=validation_fraction, random_state=random_state
        )
        if validation_rows.shape[0] < 2:
            raise ValueError(
                "The validation set is too small for early_stopping=True: increase "
                f"validation_fraction={validation_fraction!r} or the number of samples."
            )
        validation_rows.sort()
        if history.validation_scores is None:
            history.validation_scores = []
            history.best_validation_score = -np.inf
        history.best_loss = None
        best_theta = theta.copy()
    else:
        history.validation_scores = history.best_validation_score = None
        if history.best_loss is None:
            history.best_loss = np.inf
    n_train = train_rows.shape[0]
    no_improvement_count = 0
    for _ in range(max_iter):
        if shuffle:
            train_rows = random_state.permutation(train_rows)
        accumulated_loss = 0.0
        for batch in gen_batches(n_train, batch_size):
            rows = train_rows[batch]
            if sp.issparse(X):
                X_batch = X[rows]
            else:
                # Gathered straight into the input buffer: a fresh array per
                # batch costs page faults whenever the allocator has returned
                # its memory to the system. The rows are valid indices, and
                # mode="raise" would copy through a temporary.
                X_batch = np.take(
                    X, rows, axis=0, out=workspace.inputs[: len(rows)], mode="clip"
                )
            loss, _, _ = batch_loss_and_gradients(
                X_batch, coefs, intercepts, objective, objective.alpha, workspace, grads
            )
            _check_finite(loss, "training loss", advice)
            optimizer.step([theta], [gradient], scratch)
            accumulated_loss += loss * rows.shape[0]
        _check_finite(theta, "network weights", advice)

        history.n_iter += 1
        history.t += n_train
        history.loss = accumulated_loss / n_train * scaling.loss_scale
        history.loss_curve.append(history.loss)
        optimizer.end_epoch(history.t)
        message = f"Iteration {history.n_iter}, loss = {history.loss:.8f}"
        if early_stopping:
            score = -float(
                squared_errors(
                    X,
                    coefs,
                    intercepts,
                    objective.activations,
                    scaling,
                    rows=validation_rows,
                ).mean()
            )
            history.validation_scores.append(score)
            message += f", validation score = {score:.8f}"
            if score < history.best_validation_score + tolerance:
                no_improvement_count += 1
            else:
                no_improvement_count = 0
            if score > history.best_validation_score:
                history.best_validation_score = score
                best_theta[...] = theta
        else:
            if history.loss > history.best_loss - tolerance:
                no_improvement_count += 1
            else:
                no_improvement_count = 0
            history.best_loss = min(history.best_loss, history.loss)
        if verbose:
            print(message)
        if incremental:
            break
        if no_improvement_count > n_iter_no_change:
            stop, reason = optimizer.trigger_stopping()
            if verbose:
                print(
                    f"{'Validation score' if early_stopping else 'Training loss'} did "
                    f"not improve more than tol={tol} for {n_iter_no_change} "
                    f"consecutive epochs. {reason}"
                )
            if stop:
                break
            no_improvement_count = 0
    else:
        if not incremental:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({max_iter}) reached and "
                "the optimization hasn't converged yet. Increase max_iter.",
                ConvergenceWarning,
                stacklevel=_USER_FRAME,
            )
    if early_stopping:
        # The weights that scored best on the held-out rows, not the last ones.
        theta[...] = best_theta
    return coefs, intercepts, history


@np.errstate(over="ignore", invalid="ignore")
def fit_lbfgs(
    X, coefs, intercepts, objective, history, units, *, max_iter, max_fun, tol, verbose
):
    """Train with SciPy's L-BFGS-B on the whole of X, processed in row chunks.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    coefs, intercepts : list of ndarray
        Starting point; the optimum is returned, not written into them.
    objective : Objective
    history : History
        Extended with one ``loss_curve`` entry per L-BFGS iteration.
    units : list of int
        Layer widths, to unpack the flat parameter vector.
    max_iter, max_fun, tol, verbose
        As in ``MLPRegressor`` (``tol`` is SciPy's ``gtol``).

    Returns
    -------
    coefs, intercepts : list of ndarray
    history : History
    """
    dtype = coefs[0].dtype
    n_samples = X.shape[0]
    scaling = objective.scaling
    n_coefs = sum(coef.size for coef in coefs)
    rows_per_chunk = min(chunk_rows(coefs), n_samples)
    workspace = Workspace(units, rows_per_chunk, dtype)
    n_params = n_coefs + sum(intercept.size for intercept in intercepts)
    chunk_gradient = np.empty(n_params, dtype)
    chunk_grads = unpack(chunk_gradient, units, dtype)

    def loss_and_gradient(theta):
        coefs, intercepts = unpack(theta, units, dtype)
        total = penalty(coefs, objective.alpha, n_samples)
        gradient = np.zeros_like(theta)
        gradient[:n_coefs] = (2 * objective.alpha / n_samples) * theta[:n_coefs]
        for rows in gen_batches(n_samples, rows_per_chunk):
            share = (rows.stop - rows.start) / n_samples
            loss, _, _ = batch_loss_and_gradients(
                X[rows], coefs, intercepts, objective, 0.0, workspace, chunk_grads
            )
            total += share * loss
            gradient += share * chunk_gradient
        return total, gradient

    def record(intermediate_result):
        history.loss_curve.append(float(intermediate_result.fun) * scaling.loss_scale)
        if verbose:
            print(
                f"Iteration {len(history.loss_curve)}, "
                f"loss = {history.loss_curve[-1]:.8f}"
            )

    result = minimize(
        loss_and_gradient,
        pack(coefs, intercepts),
        method="L-BFGS-B",
        jac=True,
        callback=record,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}). Increase max_iter or max_fun.",
            ConvergenceWarning,
            stacklevel=_USER_FRAME,
        )
    coefs, intercepts = unpack(result.x, units, dtype)
    loss = float(result.fun) * scaling.loss_scale
    _check_finite(loss, "training loss", "Try solver='adam' or a larger alpha.")
    history.n_iter += result.nit
    history.t += result.nit * n_samples
    history.loss = loss
    history.best_loss = min(history.loss_curve, default=loss)
    return coefs, intercepts, history
