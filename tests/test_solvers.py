"""Tests for the stochastic and L-BFGS solvers (skae._solvers)."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from _training_helpers import N_SAMPLES, new_network
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import train_test_split

import skae._objective
from skae._evaluation import CHUNK_ROWS, mean_squared_errors
from skae._network import Network, pack
from skae._noise import Corruption
from skae._objective import Objective, batch_loss_and_gradients
from skae._optimizers import SGD, Adam
from skae._penalties import Penalties
from skae._selection import validation_split
from skae._solvers import (
    Diverged,
    History,
    Schedule,
    StoppingRule,
    lbfgs,
    stochastic,
)

TRAIN_SEED = 1


@dataclass
class Setup:
    """Everything the training functions need, built as the estimator builds it."""

    network: Network
    alpha: float
    optimizer: object
    history: History
    learning_rate_init: float


def make_setup(
    X, *, solver="adam", alpha=1e-4, learning_rate_init=1e-2, **optimizer_params
):
    """A fresh network, optimizer and history for X, seeded."""
    network = new_network(X)
    optimizer_class = SGD if solver == "sgd" else Adam
    # fit_stochastic updates one flat vector of all parameters.
    optimizer = optimizer_class(
        [pack(network.coefs, network.intercepts, X.dtype)],
        learning_rate_init,
        **optimizer_params,
    )
    return Setup(network, alpha, optimizer, History(), learning_rate_init)


def run_stochastic(setup, X, sample_weight=None, **params):
    """:func:`stochastic` on ``setup`` with small defaults; returns the history.

    The trained network replaces ``setup.network``, the :class:`Outcome` is
    ``setup.outcome``. ``incremental=True`` runs as partial_fit does: one
    epoch, a length fixed for it.
    """
    validation_fraction = params.pop("validation_fraction", 0.2)
    corruption = params.pop("corruption", None)
    early_stopping = params.pop("early_stopping", False)
    if params.pop("incremental", False):
        params.update(max_iter=1, fixed_length=True)
    schedule = Schedule(**{"max_iter": 20, "batch_size": 50, "tol": 1e-4, **params})
    rows = None
    if early_stopping:
        rows = validation_split(
            X.shape[0], validation_fraction, np.random.RandomState(0)
        )
    objective = Objective(
        X, setup.network, "squared_error", Penalties(setup.alpha),
        schedule.batch_size, corruption=corruption, sample_weight=sample_weight,
        wide_steps=True,
    )  # fmt: skip
    setup.outcome = stochastic(
        objective,
        setup.optimizer,
        setup.history,
        schedule,
        np.random.RandomState(TRAIN_SEED),
        rows,
    )
    setup.network = setup.outcome.network
    return setup.outcome.history


def run_lbfgs(setup, X, sample_weight=None, block_rows=CHUNK_ROWS, **params):
    """:func:`lbfgs` on ``setup``; returns ``(network, history)``.

    The :class:`Outcome` is ``setup.outcome``.
    """
    corruption = params.pop("corruption", None)
    schedule = Schedule(**{"max_iter": 50, "tol": 1e-4, **params})
    objective = Objective(
        X, setup.network, "squared_error", Penalties(setup.alpha),
        min(block_rows, X.shape[0]), corruption=corruption,
        sample_weight=sample_weight,
    )  # fmt: skip
    setup.outcome = lbfgs(objective, setup.history, schedule)
    return setup.outcome.network, setup.outcome.history


def reconstruction_score(X, network):
    """Negative mean squared reconstruction error, the validation score."""
    return -float(mean_squared_errors(X, network).mean())


def parameters(network):
    """All of a network's arrays, coefs first."""
    return network.coefs + network.intercepts


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("solver", "params"),
    [("adam", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"nesterov": False})],
)
def test_stochastic_loss_decreases(X, solver, params):
    setup = make_setup(X, solver=solver, alpha=0.0, **params)
    score_before = reconstruction_score(X, setup.network)
    history = run_stochastic(setup, X, max_iter=15)
    assert history.n_iter == len(history.loss_curve) == 15
    assert history.t == 15 * N_SAMPLES
    assert history.loss == history.loss_curve[-1]
    assert history.loss_curve[-1] < history.loss_curve[0]
    assert history.best_loss == min(history.loss_curve)
    # Training improved on PCA's reconstruction, where it started, and the loss
    # is that reconstruction's mean squared error in the units of X.
    score_after = reconstruction_score(X, setup.network)
    assert score_after > 1.25 * score_before
    assert_allclose(history.loss_curve[-1], -score_after, rtol=0.2)


def test_lbfgs_loss_decreases(X):
    setup = make_setup(X, alpha=0.0)
    start = [a.copy() for a in parameters(setup.network)]
    pca_error = -reconstruction_score(X, setup.network)
    network, history = run_lbfgs(setup, X, max_iter=30)
    assert not setup.outcome.converged and setup.outcome.ran_to_max_iter
    assert history.n_iter == len(history.loss_curve) == 30
    assert history.loss_curve[-1] < 0.75 * pca_error
    assert_allclose(history.loss, history.loss_curve[-1], rtol=1e-12)
    # With alpha=0 the loss is exactly the mean squared error in X's units.
    assert_allclose(history.loss, -reconstruction_score(X, network), rtol=1e-10)
    # The optimum is returned; the starting arrays are left alone.
    for before, after in zip(start, parameters(setup.network), strict=True):
        assert_allclose(after, before, rtol=0, atol=0)
    assert [a.shape for a in parameters(network)] == [a.shape for a in start]


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_large_tol_stops_after_n_iter_no_change(X, n_iter_no_change, early_stopping):
    setup = make_setup(X)
    history = run_stochastic(
        setup,
        X,
        max_iter=50,
        tol=1e3,
        n_iter_no_change=n_iter_no_change,
        early_stopping=early_stopping,
    )
    assert setup.outcome.converged and not setup.outcome.ran_to_max_iter
    # Without early stopping the first epoch improves on the initial infinity;
    # with it, the PCA start's validation score is the one to beat. Then every
    # epoch counts as no improvement and the counter must exceed n_iter_no_change.
    assert history.n_iter == n_iter_no_change + (1 if early_stopping else 2)
    assert len(history.loss_curve) == history.n_iter


def test_adaptive_schedule_divides_before_stopping(X):
    setup = make_setup(
        X, solver="sgd", learning_rate_init=1e-3, learning_rate="adaptive"
    )
    history = run_stochastic(setup, X, max_iter=100, tol=1e3, n_iter_no_change=2)
    # Five divisions by 5 take 1e-3 to 3.2e-7 <= 1e-6; each trigger comes
    # n_iter_no_change + 1 epochs after the previous one, the first after 4.
    assert_allclose(setup.optimizer.learning_rate, 1e-3 / 5**5, rtol=1e-12)
    assert history.n_iter == 4 + 3 * 5


def test_early_stopping_restores_best_weights(X):
    # The PCA start of the training rows, as the estimator fits it.
    train_rows, _ = validation_split(N_SAMPLES, 0.2, np.random.RandomState(0))
    setup = make_setup(X[train_rows], learning_rate_init=0.05)
    history = run_stochastic(
        setup,
        X,
        max_iter=300,
        tol=0.0,
        n_iter_no_change=3,
        early_stopping=True,
        validation_fraction=0.2,
    )
    assert history.n_iter < 300
    scores = history.validation_scores
    assert len(scores) == history.n_iter
    assert history.best_validation_score == max(scores)
    assert history.best_loss is None
    # Stopped for lack of improvement, so the last epoch was not the best one.
    assert int(np.argmax(scores)) == len(scores) - 1 - 4
    assert scores[-1] < history.best_validation_score
    _, validation_rows = train_test_split(
        np.arange(N_SAMPLES), test_size=0.2, random_state=np.random.RandomState(0)
    )
    validation = X[np.sort(validation_rows)]
    score = reconstruction_score(validation, setup.network)
    assert_allclose(score, history.best_validation_score, rtol=1e-12)
    assert history.t == history.n_iter * (N_SAMPLES - validation.shape[0])


def test_early_stopping_keeps_the_pca_start_when_training_never_helps(X):
    setup = make_setup(X, learning_rate_init=10.0)
    start = [a.copy() for a in parameters(setup.network)]
    with np.errstate(all="ignore"):
        history = run_stochastic(
            setup, X, max_iter=5, n_iter_no_change=1, early_stopping=True
        )
    assert max(history.validation_scores) < history.best_validation_score
    for before, after in zip(start, parameters(setup.network), strict=True):
        assert_array_equal(after, before)


def test_early_stopping_validation_set_too_small(X):
    setup = make_setup(X)
    with pytest.raises(ValueError, match="validation_fraction"):
        run_stochastic(setup, X[:20], early_stopping=True, validation_fraction=0.05)


@pytest.mark.parametrize("max_fun", [3, 5])
def test_lbfgs_honours_max_fun(X, max_fun, monkeypatch):
    calls = []
    original = skae._objective.batch_loss_and_gradients

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(skae._objective, "batch_loss_and_gradients", counting)
    setup = make_setup(X)
    _, history = run_lbfgs(setup, X, max_iter=200, max_fun=max_fun)
    assert not setup.outcome.converged and not setup.outcome.ran_to_max_iter
    assert "evaluations" in setup.outcome.message.lower()
    assert 1 <= history.n_iter <= max_fun
    # One whole-data pass is one chunk here; SciPy may overshoot maxfun by one.
    assert len(calls) <= max_fun + 1
    assert np.isfinite(history.loss)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_chunking_does_not_change_the_result(X, monkeypatch):
    """Whole-data passes in row chunks give the loss and gradient of all of X."""
    whole = run_lbfgs(make_setup(X, alpha=0.1), X, max_iter=5, max_fun=20)
    chunked = run_lbfgs(
        make_setup(X, alpha=0.1), X, max_iter=5, max_fun=20, block_rows=64
    )
    assert_allclose(chunked[1].loss_curve, whole[1].loss_curve, rtol=1e-10)
    pairs = zip(parameters(chunked[0]), parameters(whole[0]), strict=True)
    for a, b in pairs:
        assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_unconverged_at_max_iter(X, solver):
    setup = make_setup(X, solver=solver)
    history = run_stochastic(setup, X, max_iter=3, tol=0.0)
    assert history.n_iter == 3
    assert not setup.outcome.converged and setup.outcome.ran_to_max_iter
    assert "maximum iterations (3)" in setup.outcome.message


def test_lbfgs_unconverged_at_max_iter(X):
    setup = make_setup(X)
    _, history = run_lbfgs(setup, X, max_iter=2)
    assert history.n_iter == 2
    assert not setup.outcome.converged and setup.outcome.ran_to_max_iter
    assert "max_iter" in setup.outcome.message


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_solvers_do_not_warn(X, solver):
    """The estimator warns from the outcome, at the user's line."""
    setup = make_setup(X, solver="sgd" if solver == "sgd" else "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if solver == "lbfgs":
            run_lbfgs(setup, X, max_iter=2)
        else:
            run_stochastic(setup, X, max_iter=2, tol=0.0)
    assert not setup.outcome.converged


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_learning_rate_raises(X):
    setup = make_setup(X, solver="sgd", learning_rate_init=1e6)
    with pytest.raises(Diverged, match="non-finite"):
        run_stochastic(setup, X, max_iter=10)


@pytest.mark.parametrize("max_iter", [1, 5])
def test_incremental_runs_one_epoch_silently(X, max_iter):
    setup = make_setup(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = run_stochastic(setup, X, max_iter=max_iter, incremental=True)
        assert history.n_iter == 1
        assert len(history.loss_curve) == 1
        assert history.t == N_SAMPLES
        # A second call continues the same record.
        history = run_stochastic(setup, X, max_iter=max_iter, incremental=True)
    assert history.n_iter == 2
    assert len(history.loss_curve) == 2
    assert history.t == 2 * N_SAMPLES


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_matches_dense(X, solver):
    assert_sparse_matches_dense(X, lambda: make_setup(X), solver)


def assert_sparse_matches_dense(X, setup_of, solver, noise=None):
    """A few steps on X and on its CSR copy give the same loss and weights.

    ``setup_of()`` makes each run's fresh setup; ``noise`` corrupts both
    runs alike (the same seed).
    """
    results = []
    for data in (X, sp.csr_matrix(X)):
        setup = setup_of()
        corruption = None
        if noise:
            scale = setup.network.scales.column_scale
            corruption = Corruption(noise, 0.1, scale, 0)
        if solver == "lbfgs":
            network, history = run_lbfgs(setup, data, max_iter=5, corruption=corruption)
        else:
            history = run_stochastic(setup, data, max_iter=3, corruption=corruption)
            network = setup.network
        results.append((parameters(network), history.loss_curve))
    (dense_params, dense_curve), (sparse_params, sparse_curve) = results
    # Round-off in every step's gradient, over a few steps.
    assert_allclose(sparse_curve, dense_curve, rtol=1e-10)
    for a, b in zip(sparse_params, dense_params, strict=True):
        assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
@pytest.mark.parametrize("noise", [None, "masking"])
def test_sparse_training_matches_dense(X, solver, noise):
    assert_sparse_matches_dense(X, lambda: make_setup(X, solver=solver), solver, noise)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_training_stays_float32(X, solver):
    X32 = X.astype(np.float32)
    setup = make_setup(X32, solver=solver)
    if solver == "lbfgs":
        network, history = run_lbfgs(setup, X32, max_iter=5)
    else:
        history = run_stochastic(setup, X32, max_iter=3)
        network = setup.network
    for array in parameters(network):
        assert array.dtype == np.float32
    assert history.loss_curve[-1] < history.loss_curve[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stochastic_training_leaves_the_given_arrays_alone(X):
    setup = make_setup(X)
    start = [a.copy() for a in parameters(setup.network)]
    given = parameters(setup.network)
    run_stochastic(setup, X, max_iter=2)
    for before, array in zip(start, given, strict=True):
        assert_array_equal(array, before)
    # The trained arrays are views of one flat vector, as the optimizer needs.
    coefs = setup.network.coefs
    assert all(coef.base is coefs[0].base for coef in coefs)


# --- sample weights ------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_with_integer_weights_follows_the_repeated_rows(X, weights):
    # Whole-data passes over chunks, some of them of weight 0, give the same
    # objective as the repeated rows: L-BFGS, deterministic, follows the same
    # path up to round-off.
    weights = weights.copy()
    weights[16:32] = 0
    X_repeated = X.repeat(weights.astype(int), axis=0)
    repeated = run_lbfgs(
        make_setup(X_repeated, alpha=0.1), X_repeated, max_iter=10, block_rows=16
    )
    weighted = run_lbfgs(
        make_setup(X_repeated, alpha=0.1), X, weights, max_iter=10, block_rows=16
    )
    assert_allclose(weighted[1].loss_curve, repeated[1].loss_curve, rtol=1e-9)
    for a, b in zip(parameters(weighted[0]), parameters(repeated[0]), strict=True):
        assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_solvers_skip_batches_of_zero_weight(X, solver):
    # Without shuffling, the first batch has weight 0: skipped, it leaves
    # the training as on the other rows alone (Adam and momentum included).
    weights = np.ones(N_SAMPLES)
    weights[:50] = 0
    weighted_setup, removed_setup = (
        make_setup(X[50:], solver=solver) for _ in range(2)
    )
    weighted = run_stochastic(
        weighted_setup, X, weights, max_iter=5, shuffle=False, tol=0.0
    )
    removed = run_stochastic(removed_setup, X[50:], max_iter=5, shuffle=False, tol=0.0)
    assert_allclose(weighted.loss_curve, removed.loss_curve, rtol=1e-12)
    for a, b in zip(
        parameters(weighted_setup.network),
        parameters(removed_setup.network),
        strict=True,
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_epoch_loss_and_validation_score_are_weighted(X, weights):
    setup = make_setup(X)
    start = setup.network
    value, _, _ = batch_loss_and_gradients(
        X, start, "squared_error", Penalties(setup.alpha), sample_weight=weights
    )
    # One batch of all rows: the epoch's loss is its weighted loss, in X units.
    history = run_stochastic(
        setup, X, weights, max_iter=1, batch_size=N_SAMPLES, incremental=True
    )
    assert_allclose(history.loss, value * start.scales.loss_scale, rtol=1e-12)
    rows = np.arange(0, N_SAMPLES, 4)
    objective = Objective(
        X, start, "squared_error", Penalties(), 50, sample_weight=weights
    )
    rule = StoppingRule(History(), objective, rows)
    errors = mean_squared_errors(X[rows], start)
    expected = -np.average(errors, weights=weights[rows])
    assert_allclose(rule.validation_score(), expected, rtol=1e-12)
