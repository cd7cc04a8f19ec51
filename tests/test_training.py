"""Tests for the stochastic epoch loop and the L-BFGS driver."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import skae._training
from skae._network import initialize, layer_activations, layer_units, pack, unpack
from skae._optimizers import SGD, Adam
from skae._scaling import fit_scaling
from skae._training import (
    History,
    Objective,
    Workspace,
    batch_loss_and_gradients,
    fit_lbfgs,
    fit_stochastic,
    squared_errors,
)

N_SAMPLES, N_FEATURES = 200, 10
TRAIN_SEED = 1


@pytest.fixture(scope="module")
def X():
    """A 200 x 10 dataset of rank 3 plus a little noise, with unequal scales."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(N_SAMPLES, 3)) @ rng.normal(size=(3, N_FEATURES))
    X += 0.05 * rng.normal(size=X.shape)
    return X * np.linspace(0.5, 3.0, N_FEATURES) + 1.0


@dataclass
class Setup:
    """Everything the training functions need, built as the estimator builds it."""

    coefs: list
    intercepts: list
    objective: Objective
    optimizer: object
    history: History
    units: list
    learning_rate_init: float


def make_setup(
    X,
    *,
    solver="adam",
    hidden=(8,),
    n_components=3,
    activation="tanh",
    alpha=1e-4,
    learning_rate_init=1e-2,
    **optimizer_params,
):
    """A fresh network, objective, optimizer and history for X, seeded."""
    units = layer_units(X.shape[1], hidden, n_components)
    activations = layer_activations(len(hidden), activation, "identity")
    scaling = fit_scaling(X, "squared_error", "identity", X.dtype)
    coefs, intercepts = initialize(
        units, activations, X.dtype, np.random.RandomState(0)
    )
    objective = Objective(activations, "squared_error", "identity", alpha, scaling)
    optimizer_class = SGD if solver == "sgd" else Adam
    # fit_stochastic updates one flat vector of all parameters.
    optimizer = optimizer_class(
        [pack(coefs, intercepts, X.dtype)], learning_rate_init, **optimizer_params
    )
    return Setup(
        coefs, intercepts, objective, optimizer, History(), units, learning_rate_init
    )


def run_stochastic(setup, X, **params):
    """``fit_stochastic`` on ``setup`` with small defaults; returns the history.

    The trained network replaces ``setup.coefs`` and ``setup.intercepts``.
    """
    kwargs = dict(
        max_iter=20,
        batch_size=50,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.2,
        learning_rate_init=setup.learning_rate_init,
        incremental=False,
        verbose=False,
    )
    kwargs.update(params)
    setup.coefs, setup.intercepts, history = fit_stochastic(
        X,
        setup.coefs,
        setup.intercepts,
        setup.objective,
        setup.optimizer,
        setup.history,
        np.random.RandomState(TRAIN_SEED),
        **kwargs,
    )
    return history


def run_lbfgs(setup, X, **params):
    """``fit_lbfgs`` on ``setup``; returns ``(coefs, intercepts, history)``."""
    kwargs = dict(max_iter=50, max_fun=15000, tol=1e-4, verbose=False)
    kwargs.update(params)
    return fit_lbfgs(
        X,
        setup.coefs,
        setup.intercepts,
        setup.objective,
        setup.history,
        setup.units,
        **kwargs,
    )


def reconstruction_score(X, coefs, intercepts, setup):
    """Negative mean squared reconstruction error, the validation score."""
    errors = squared_errors(
        X, coefs, intercepts, setup.objective.activations, setup.objective.scaling
    )
    return -float(errors.mean())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("solver", "params"),
    [("adam", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"nesterov": False})],
)
def test_stochastic_loss_decreases(X, solver, params):
    setup = make_setup(X, solver=solver, **params)
    score_before = reconstruction_score(X, setup.coefs, setup.intercepts, setup)
    history = run_stochastic(setup, X, max_iter=15)
    assert history.n_iter == len(history.loss_curve) == 15
    assert history.t == 15 * N_SAMPLES
    assert history.loss == history.loss_curve[-1]
    assert history.loss_curve[-1] < 0.5 * history.loss_curve[0]
    assert history.best_loss == min(history.loss_curve)
    # Training improved the reconstruction itself, not only the objective.
    score_after = reconstruction_score(X, setup.coefs, setup.intercepts, setup)
    assert score_after > score_before


def test_lbfgs_loss_decreases(X):
    setup = make_setup(X)
    start = [a.copy() for a in setup.coefs + setup.intercepts]
    with pytest.warns(ConvergenceWarning):
        coefs, intercepts, history = run_lbfgs(setup, X, max_iter=30)
    assert history.n_iter == len(history.loss_curve) == 30
    assert history.loss_curve[-1] < 0.5 * history.loss_curve[0]
    assert_allclose(history.loss, history.loss_curve[-1], rtol=1e-12)
    # The optimum is returned; the starting arrays are left alone.
    for before, after in zip(start, setup.coefs + setup.intercepts, strict=True):
        assert_allclose(after, before, rtol=0, atol=0)
    assert [c.shape for c in coefs] == [c.shape for c in setup.coefs]
    assert [b.shape for b in intercepts] == [b.shape for b in setup.intercepts]


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_large_tol_stops_after_n_iter_no_change(X, n_iter_no_change, early_stopping):
    setup = make_setup(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        history = run_stochastic(
            setup,
            X,
            max_iter=50,
            tol=1e3,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
        )
    # The first epoch always improves on the initial infinity; then every epoch
    # counts as no improvement and the counter must exceed n_iter_no_change.
    assert history.n_iter == n_iter_no_change + 2
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
    setup = make_setup(X, learning_rate_init=0.05)
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
        np.arange(N_SAMPLES),
        test_size=0.2,
        random_state=np.random.RandomState(TRAIN_SEED),
    )
    validation = X[np.sort(validation_rows)]
    score = reconstruction_score(validation, setup.coefs, setup.intercepts, setup)
    assert_allclose(score, history.best_validation_score, rtol=1e-12)
    assert history.t == history.n_iter * (N_SAMPLES - validation.shape[0])


def test_early_stopping_validation_set_too_small(X):
    setup = make_setup(X)
    with pytest.raises(ValueError, match="validation_fraction"):
        run_stochastic(setup, X[:20], early_stopping=True, validation_fraction=0.05)


@pytest.mark.parametrize("max_fun", [3, 5])
def test_lbfgs_honours_max_fun(X, max_fun, monkeypatch):
    calls = []
    original = skae._training.batch_loss_and_gradients

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(skae._training, "batch_loss_and_gradients", counting)
    setup = make_setup(X)
    with pytest.warns(ConvergenceWarning, match="(?i)evaluations"):
        _, _, history = run_lbfgs(setup, X, max_iter=200, max_fun=max_fun)
    assert 1 <= history.n_iter <= max_fun
    # One whole-data pass is one chunk here; SciPy may overshoot maxfun by one.
    assert len(calls) <= max_fun + 1
    assert np.isfinite(history.loss)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_chunking_does_not_change_the_result(X, monkeypatch):
    """Whole-data passes in row chunks give the loss and gradient of all of X."""
    whole = run_lbfgs(make_setup(X, alpha=0.1), X, max_iter=5, max_fun=20)
    monkeypatch.setattr(skae._training, "CHUNK_ROWS", 64)
    chunked = run_lbfgs(make_setup(X, alpha=0.1), X, max_iter=5, max_fun=20)
    assert_allclose(chunked[2].loss_curve, whole[2].loss_curve, rtol=1e-10)
    for a, b in zip(chunked[0] + chunked[1], whole[0] + whole[1], strict=True):
        assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_convergence_warning_at_max_iter(X, solver):
    setup = make_setup(X, solver=solver)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        history = run_stochastic(setup, X, max_iter=3, tol=0.0)
    assert history.n_iter == 3


def test_lbfgs_convergence_warning_at_max_iter(X):
    setup = make_setup(X)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        _, _, history = run_lbfgs(setup, X, max_iter=2)
    assert history.n_iter == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_learning_rate_raises(X):
    setup = make_setup(X, solver="sgd", learning_rate_init=1e6)
    with pytest.raises(ValueError, match="learning_rate_init"):
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
    results = []
    for data in (X, sp.csr_matrix(X)):
        setup = make_setup(X)
        if solver == "lbfgs":
            coefs, intercepts, history = run_lbfgs(setup, data, max_iter=5)
        else:
            history = run_stochastic(setup, data, max_iter=3)
            coefs, intercepts = setup.coefs, setup.intercepts
        results.append((coefs + intercepts, history.loss_curve))
    (dense_params, dense_curve), (sparse_params, sparse_curve) = results
    assert_allclose(sparse_curve, dense_curve, rtol=1e-10)
    for a, b in zip(sparse_params, dense_params, strict=True):
        assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_training_stays_float32(X, solver):
    X32 = X.astype(np.float32)
    setup = make_setup(X32, solver=solver)
    if solver == "lbfgs":
        coefs, intercepts, history = run_lbfgs(setup, X32, max_iter=5)
    else:
        history = run_stochastic(setup, X32, max_iter=3)
        coefs, intercepts = setup.coefs, setup.intercepts
    for array in coefs + intercepts:
        assert array.dtype == np.float32
    assert history.loss_curve[-1] < history.loss_curve[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("loss", "output_activation"),
    [
        ("squared_error", "identity"),
        ("squared_error", "logistic"),
        ("log_loss", "logistic"),
    ],
)
def test_workspace_gives_the_same_loss_and_gradients(loss, output_activation, dtype):
    """Reused buffers, cut to a shorter last batch, change no result."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(13, N_FEATURES)).astype(dtype)
    X_before = X.copy()
    units = layer_units(N_FEATURES, (6, 4), 3)
    activations = layer_activations(2, "relu", output_activation)
    coefs, intercepts = initialize(units, activations, dtype, rng)
    scaling = fit_scaling(X, loss, output_activation, dtype)
    objective = Objective(activations, loss, output_activation, 0.1, scaling)
    expected = batch_loss_and_gradients(X, coefs, intercepts, objective, 0.1)

    workspace = Workspace(units, 20, dtype)
    gradient = np.full(pack(coefs, intercepts).shape, np.nan, dtype=dtype)
    grads = unpack(gradient, units, dtype)
    for _ in range(2):  # the second call finds the buffers dirty
        loss_value, coef_grads, intercept_grads = batch_loss_and_gradients(
            X, coefs, intercepts, objective, 0.1, workspace, grads
        )
        assert_allclose(
            loss_value, expected[0], rtol=1e-5 if dtype == np.float32 else 1e-12
        )
        assert coef_grads is grads[0] and intercept_grads is grads[1]
        assert gradient.dtype == dtype
        assert_allclose(
            gradient,
            pack(expected[1], expected[2], dtype),
            rtol=1e-5 if dtype == np.float32 else 1e-12,
            atol=1e-7 if dtype == np.float32 else 1e-15,
        )
    assert_array_equal(X, X_before)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_stochastic_training_leaves_the_given_arrays_alone(X):
    setup = make_setup(X)
    start = [a.copy() for a in setup.coefs + setup.intercepts]
    given = setup.coefs + setup.intercepts
    run_stochastic(setup, X, max_iter=2)
    for before, array in zip(start, given, strict=True):
        assert_array_equal(array, before)
    # The trained arrays are views of one flat vector, as the optimizer needs.
    assert all(coef.base is setup.coefs[0].base for coef in setup.coefs)
