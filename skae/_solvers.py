"""The two solvers: minibatch epochs with an optimizer, and L-BFGS.

Each takes an :class:`~skae._objective.Objective` (what is minimised, over
its flat parameters ``objective.params``), a :class:`History` to extend, a
:class:`Schedule` (how long to run and what to print) and a monitor, and
returns an :class:`Outcome`: the trained network, the history and whether
the solver converged. Neither warns: the estimator decides from the outcome
what to tell the user. A loss or weights that overflow raise
:class:`Diverged`, which the estimator turns into advice.

A monitor (from :mod:`skae._callbacks` or :mod:`skae._selection`), if any,
is told of every epoch or L-BFGS iteration: ``monitor.begin(snapshot)``
before it and ``monitor.end(snapshot)`` after it, where ``snapshot()`` gives
copies of the network and history that stopping there would return
(:func:`snapshot`); training stops once ``end`` returns True, and
``monitor.close()`` ends a step that L-BFGS cut short.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import minimize
from sklearn.utils import gen_batches

from ._evaluation import mean_squared_errors
from ._network import pack, penalty, penalty_gradient_factor, unpack
from ._optimizers import scratch_for
from ._threads import on_lowered_threads, one_blas_thread


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
    correction_share: float | None = None


@dataclass
class Schedule:
    """How long a solver runs and what it prints: MLPRegressor's parameters.

    ``max_iter`` epochs (L-BFGS iterations), or exactly that many with
    ``fixed_length`` (a length chosen for the fit, not a cap: no stopping
    rule); ``tol`` is the stopping rule's tolerance in units of
    ``Scales.tolerance_unit`` (PCA's training MSE), SciPy's ``gtol`` for
    L-BFGS. The stochastic solver reads ``batch_size``, ``shuffle`` and
    ``n_iter_no_change``, L-BFGS ``max_fun``. ``max_iter_is_cap`` is for the
    estimator, which warns when a solver that has not converged stopped at
    the user's cap: not after ``partial_fit``'s one epoch, nor after a length
    that the folds of ``early_stopping="auto"`` chose below ``max_iter``.
    """

    max_iter: int
    tol: float
    verbose: bool = False
    fixed_length: bool = False
    max_iter_is_cap: bool = True
    batch_size: int = 200
    shuffle: bool = True
    n_iter_no_change: int = 10
    max_fun: int = 15000


@dataclass
class Outcome:
    """What a solver returns.

    ``converged`` is False when the solver ran out of iterations (or, for
    L-BFGS, of evaluations, or failed) before its stopping rule held; a
    stop that a monitor asked for counts as converged. ``message`` says why
    it did not converge; ``ran_to_max_iter`` whether it ran ``max_iter``
    iterations.
    """

    network: object
    history: History
    converged: bool = True
    message: str = ""
    ran_to_max_iter: bool = False


class Diverged(ValueError):
    """The loss or the weights became non-finite; ``what`` names which."""

    def __init__(self, what):
        super().__init__(f"the {what} became non-finite")
        self.what = what


def _check_finite(value, what):
    """Refuse to go on once the loss or the weights have overflowed."""
    if not np.all(np.isfinite(value)):
        raise Diverged(what)


def snapshot(params, theta, history):
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


class StoppingRule:
    """MLPRegressor's rule: stop after ``n_iter_no_change`` epochs without gain.

    With ``validation_rows`` of the objective's X the gain is in the
    validation score, and the weights that scored best (those of the start
    included) are kept.
    """

    def __init__(self, history, objective, validation_rows=None):
        self.history, self.params = history, objective.params
        self.X, self.validation_rows = objective.X, validation_rows
        self.weights = None
        if objective.sample_weight is not None and validation_rows is not None:
            self.weights = objective.sample_weight[validation_rows]
        self.count = 0
        if validation_rows is None:
            history.validation_scores = history.best_validation_score = None
            if history.best_loss is None:
                history.best_loss = np.inf
            return
        history.best_loss = None
        self.best_theta = self.params.theta.copy()
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

    def describe(self, schedule):
        """What verbose prints when the rule holds."""
        watched = (
            "Training loss" if self.validation_rows is None else "Validation score"
        )
        return (
            f"{watched} did not improve more than tol={schedule.tol} for "
            f"{schedule.n_iter_no_change} consecutive epochs."
        )


def _epoch(objective, rows, optimizer, scratch, corrupt):
    """One pass of minibatch updates over ``X[rows]``; the mean batch loss.

    With sample weights, the batch losses are averaged with the batches'
    weights, and a batch of weight 0 is skipped: it contributes nothing, and
    a step on its zero gradient would still move Adam's and momentum's
    parameters.
    """
    params, total = objective.params, 0.0
    for batch in gen_batches(rows.shape[0], objective.block_rows):
        batch_rows = rows[batch]
        weight = objective.weight(batch_rows)
        if not weight:
            continue
        if objective.wide_steps:
            value = _wide_step(objective, batch_rows, corrupt, optimizer, scratch)
        else:
            value = objective.value_and_grad(batch_rows, corrupt)
            optimizer.step([params.theta], [params.gradient], scratch)
        _check_finite(value, "training loss")
        total += value * weight
    _check_finite(params.theta, "network weights")
    return total / objective.weight(rows)


def _wide_step(objective, rows, corrupt, optimizer, scratch):
    """One optimizer step on ``X[rows]``, its wide layers stepped as computed.

    The same update as ``optimizer.step`` on the whole gradient, which is
    never held (``Objective.wide_steps``).
    """
    params = objective.params
    optimizer.begin_step()

    def update(part, grad):
        optimizer.update(params.theta, part, grad, scratch[0])

    value = objective.value_and_grad(rows, corrupt, update=update)
    for part, grad in params.narrow:
        update(part, grad)
    return value


# Overflow is caught by _check_finite; NumPy's own warnings would only bury
# the estimator's advice.
@np.errstate(over="ignore", invalid="ignore")
def stochastic(
    objective, optimizer, history, schedule, random_state, rows=None, monitor=None
):
    """Train ``objective.params`` with minibatch epochs of ``optimizer``.

    ``optimizer`` (SGD or Adam) is built for, or continued from, the flat
    parameter vector; ``random_state`` (a RandomState) shuffles; ``rows`` are
    the training and validation row indices of early stopping, all rows are
    for training otherwise. Returns an :class:`Outcome`.
    """
    params = objective.params
    corrupt = objective.corrupter()
    scratch = scratch_for([params.theta])
    train_rows, validation_rows = (
        (np.arange(objective.X.shape[0]), None) if rows is None else rows
    )
    rule = StoppingRule(history, objective, validation_rows)
    outcome = Outcome(None, history, converged=False)
    for _ in range(schedule.max_iter):
        if monitor is not None:
            monitor.begin(snapshot(params, rule.kept_theta(), history))
        if schedule.shuffle:
            train_rows = random_state.permutation(train_rows)
        mean_loss = _epoch(objective, train_rows, optimizer, scratch, corrupt)
        history.n_iter += 1
        history.t += train_rows.shape[0]
        history.loss = mean_loss * objective.scales.loss_scale
        history.loss_curve.append(history.loss)
        optimizer.end_epoch(history.t)
        _say(schedule, rule.update(schedule.tol * objective.scales.tolerance_unit))
        if monitor is not None and monitor.end(
            snapshot(params, rule.kept_theta(), history)
        ):
            _say(schedule, "A callback stopped training.")
            outcome.converged = True
            break
        if rule.count > schedule.n_iter_no_change and not schedule.fixed_length:
            stop, reason = optimizer.trigger_stopping()
            _say(schedule, f"{rule.describe(schedule)} {reason}")
            if stop:
                outcome.converged = True
                break
            rule.count = 0
    outcome.ran_to_max_iter = not outcome.converged
    outcome.message = (
        f"Stochastic optimizer: maximum iterations ({schedule.max_iter}) reached "
        "and the optimization hasn't converged yet. Increase max_iter."
    )
    rule.restore_best()
    outcome.network = params.stored()
    return outcome


def _say(schedule, message):
    """Print ``message`` if the schedule is verbose."""
    if schedule.verbose:
        print(message)


class _WholeData:
    """L-BFGS's objective: the mean over every row, its L2 penalty added once.

    A call evaluates it chunk by chunk; each chunk is corrupted the same way
    at every evaluation, so that L-BFGS minimises one deterministic function.
    """

    def __init__(self, objective, history, monitor):
        self.objective, self.history, self.monitor = objective, history, monitor
        params = objective.params
        self.chunks = list(gen_batches(objective.X.shape[0], objective.block_rows))
        self.count = objective.weight(slice(None))
        self.n_coefs = params.theta.size - sum(
            b.size for b in params.network.intercepts
        )
        self.per_chunk = replace(objective.penalties, alpha=0.0)
        # A tied weight appears twice in the network, and so in the L2 penalty.
        alpha = objective.penalties.alpha
        self.l2_gradient = (2 if params.tied else 1) * penalty_gradient_factor(
            alpha, self.count
        )
        self.evaluated = False

    def __call__(self, theta):
        """The loss and gradient at ``theta``, as SciPy's ``jac=True`` takes them."""
        objective, params = self.objective, self.objective.params
        if self.monitor is not None and self.evaluated:
            # params.theta still holds the current iterate (see _Record).
            self.monitor.begin(snapshot(params, params.theta, self.history))
        self.evaluated = True
        params.theta[...] = theta
        total = penalty(params.network.coefs, objective.penalties.alpha, self.count)
        gradient = np.zeros_like(theta)
        gradient[: self.n_coefs] = self.l2_gradient * theta[: self.n_coefs]
        for index, rows in enumerate(self.chunks):
            weight = objective.weight(rows)
            if not weight:
                continue
            share = weight / self.count
            corrupt = objective.corrupter(index)
            total += share * objective.value_and_grad(rows, corrupt, self.per_chunk)
            gradient += share * params.gradient
        return total, gradient


class _Record:
    """SciPy's per-iteration callback: extend the history, tell the monitor.

    ``stopped`` says whether the monitor asked L-BFGS to stop.
    """

    def __init__(self, objective, history, schedule, monitor):
        self.objective, self.history = objective, history
        self.schedule, self.monitor = schedule, monitor
        self.stopped = False

    def __call__(self, intermediate_result):
        history, params = self.history, self.objective.params
        # history is kept as returning here would leave it, for the monitor.
        history.loss = float(intermediate_result.fun) * self.objective.scales.loss_scale
        history.loss_curve.append(history.loss)
        history.best_loss = min(history.loss_curve)
        history.n_iter += 1
        history.t += self.objective.X.shape[0]
        _say(
            self.schedule,
            f"Iteration {len(history.loss_curve)}, loss = {history.loss:.8f}",
        )
        if self.monitor is not None:
            params.theta[...] = intermediate_result.x
            if self.monitor.end(snapshot(params, params.theta, history)):
                self.stopped = True
                _say(self.schedule, "A callback stopped training.")
                raise StopIteration


@np.errstate(over="ignore", invalid="ignore")
def lbfgs(objective, history, schedule, monitor=None):
    """Train ``objective.params`` with SciPy's L-BFGS-B on every row of its X.

    ``history`` gets one ``loss_curve`` entry per iteration; ``monitor`` is
    told of every iteration, which begins with its first loss evaluation
    after the one at the start point, so that each is one that SciPy counts,
    but for a line search cut short (``monitor.close()`` then ends it).
    Returns an :class:`Outcome`.
    """
    params = objective.params
    network = params.network
    record = _Record(objective, history, schedule, monitor)
    # L-BFGS-B's own vector work on one thread (see on_lowered_threads).
    with one_blas_thread() as lowered:
        result = minimize(
            on_lowered_threads(lowered, _WholeData(objective, history, monitor)),
            pack(network.coefs, network.intercepts, tied=params.tied),
            method="L-BFGS-B",
            jac=True,
            callback=on_lowered_threads(lowered, record),
            options={
                "maxfun": schedule.max_fun,
                "maxiter": schedule.max_iter,
                "gtol": schedule.tol,
            },
        )
    if monitor is not None:
        monitor.close()
    value = float(result.fun) * objective.scales.loss_scale
    _check_finite(value, "training loss")
    params.theta[...] = result.x
    history.loss = value
    history.best_loss = min(history.loss_curve, default=value)
    return Outcome(
        params.stored(),
        history,
        converged=result.status == 0 or record.stopped,
        message=(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}). Increase max_iter or max_fun."
        ),
        ran_to_max_iter=result.nit >= schedule.max_iter,
    )
