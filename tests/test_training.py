"""Tests for the objective and the two solvers (skae._objective, skae._solvers)."""

# SPDX-License-Identifier: BSD-3-Clause

import tracemalloc
import warnings
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

import skae._objective
import skae._sparse
from skae import AutoencoderTransformer
from skae._evaluation import CHUNK_ROWS, mean_squared_errors
from skae._network import (
    Network,
    initialize,
    layer_activations,
    layer_units,
    pack,
    tie,
    unpack,
)
from skae._noise import Corruption
from skae._objective import (
    Objective,
    Workspace,
    batch_loss_and_gradients,
)
from skae._optimizers import SGD, Adam, scratch_for
from skae._pca import moments, principal_axes
from skae._penalties import Penalties
from skae._scaling import make_scales
from skae._selection import validation_split
from skae._solvers import (
    Diverged,
    History,
    Schedule,
    StoppingRule,
    _wide_step,
    lbfgs,
    stochastic,
)

N_SAMPLES, N_FEATURES = 200, 10
TRAIN_SEED = 1


@pytest.fixture(scope="module")
def X():
    """A 200 x 10 curved 3-d manifold plus a little noise, with unequal scales."""
    rng = np.random.RandomState(0)
    X = np.tanh(rng.normal(size=(N_SAMPLES, 3)) @ rng.normal(size=(3, N_FEATURES)))
    X += 0.05 * rng.normal(size=X.shape)
    return X * np.linspace(0.5, 3.0, N_FEATURES) + 1.0


def new_network(
    X,
    hidden=(8,),
    n_components=2,
    activation="tanh",
    loss="squared_error",
    output_activation="identity",
):
    """A new network on X's PCA, as the estimator builds it, seeded."""
    stats = moments(X)
    axes = principal_axes(stats, n_components)
    units = layer_units(X.shape[1], hidden, n_components)
    activations = layer_activations(len(hidden), activation, output_activation)
    coefs, intercepts = initialize(
        units, activations, X.dtype, np.random.RandomState(0)
    )
    scales = make_scales(axes, stats, loss, output_activation, X.dtype)
    return Network(
        stats.mean.astype(X.dtype),
        axes.components.astype(X.dtype),
        coefs,
        intercepts,
        activations,
        scales,
    )


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("loss", "output_activation"),
    [
        ("squared_error", "identity"),
        ("squared_error", "logistic"),
        ("log_loss", "logistic"),
    ],
)
@pytest.mark.parametrize(
    "penalties", [Penalties(0.1), Penalties(0.1, sparsity=0.2, contractive=0.3)]
)
def test_workspace_gives_the_same_loss_and_gradients(
    loss, output_activation, dtype, penalties
):
    """Reused buffers, cut to a shorter last batch, change no result."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(13, N_FEATURES)).astype(dtype)
    X_before = X.copy()
    network = new_network(X, (6, 4), 3, "relu", loss, output_activation)
    # Non-zero corrections, so that every gradient is exercised.
    network.coefs = [
        (c + rng.normal(size=c.shape)).astype(dtype) for c in network.coefs
    ]
    coefs, intercepts = network.coefs, network.intercepts
    units = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    expected = batch_loss_and_gradients(X, network, loss, penalties)

    workspace = Workspace(units, 20, dtype)
    gradient = np.full(pack(coefs, intercepts).shape, np.nan, dtype=dtype)
    grads = unpack(gradient, units, dtype)
    for _ in range(2):  # the second call finds the buffers dirty
        loss_value, coef_grads, intercept_grads = batch_loss_and_gradients(
            X, network, loss, penalties, workspace, grads
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
    start = [a.copy() for a in parameters(setup.network)]
    given = parameters(setup.network)
    run_stochastic(setup, X, max_iter=2)
    for before, array in zip(start, given, strict=True):
        assert_array_equal(array, before)
    # The trained arrays are views of one flat vector, as the optimizer needs.
    coefs = setup.network.coefs
    assert all(coef.base is coefs[0].base for coef in coefs)


# --- sample weights ------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights():
    """Integer weights 0 to 3 for the rows of X, zeros included."""
    return np.random.RandomState(2).randint(0, 4, size=N_SAMPLES).astype(np.float64)


def perturbed_network(X, rng):
    """A network on X's PCA whose corrections are all non-zero."""
    network = new_network(X)
    network.coefs = [c + rng.normal(size=c.shape) for c in network.coefs]
    network.intercepts = [b + rng.normal(size=b.shape) for b in network.intercepts]
    return network


@pytest.mark.parametrize(
    "penalties",
    [Penalties(), Penalties(0.1), Penalties(0.1, sparsity=0.2, contractive=0.3)],
)
def test_integer_weights_equal_repeated_rows_in_a_batch(X, weights, rng, penalties):
    network = perturbed_network(X, rng)
    repeated = batch_loss_and_gradients(
        X.repeat(weights.astype(int), axis=0), network, "squared_error", penalties
    )
    weighted = batch_loss_and_gradients(
        X, network, "squared_error", penalties, sample_weight=weights
    )
    # The L2 penalty divides by the sum of the weights, the number of repeated
    # rows; the code penalties are weighted means over the rows.
    assert_allclose(weighted[0], repeated[0], rtol=1e-12)
    for a, b in zip(weighted[1] + weighted[2], repeated[1] + repeated[2], strict=True):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_batch_of_zero_weight_contributes_nothing(X, rng):
    network = perturbed_network(X, rng)
    with np.errstate(all="raise"):
        value, coef_grads, intercept_grads = batch_loss_and_gradients(
            X[:10],
            network,
            "squared_error",
            Penalties(0.1, sparsity=0.2, contractive=0.3),
            sample_weight=np.zeros(10),
        )
    assert value == 0.0
    assert all(np.all(g == 0) for g in coef_grads + intercept_grads)


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


def wide_sparse(n_samples=60, n_features=40, density=0.2, dtype=np.float64, seed=0):
    """Sparse CSR rows in [0, 1] (so that the log-loss applies too), seeded."""
    X = sp.random(n_samples, n_features, density=density, random_state=seed)
    return X.astype(dtype).tocsr()


def moved(network, tied=False, seed=0):
    """``network`` with every weight and bias moved off its PCA start.

    At the start the code and output layers are zero, which would leave
    parts of the gradients untested.
    """
    rng = np.random.RandomState(seed)
    dtype = network.coefs[0].dtype

    def shift(array, size):
        return array + (size * rng.uniform(-1, 1, array.shape)).astype(dtype)

    coefs = [shift(coef, 0.3) for coef in network.coefs]
    if tied:
        coefs = tie(coefs[: len(coefs) // 2])
    intercepts = [shift(intercept, 0.1) for intercept in network.intercepts]
    return replace(network, coefs=coefs, intercepts=intercepts)


SPARSE_CASES = {
    "tanh": {},
    "relu, deeper": dict(network=dict(hidden=(8, 6), activation="relu")),
    "no hidden layer": dict(network=dict(hidden=())),
    "log-loss": dict(network=dict(loss="log_loss", output_activation="logistic")),
    "squared error, logistic": dict(network=dict(output_activation="logistic")),
    "tied": dict(tied=True),
    "penalties": dict(penalties=Penalties(alpha=0.1, sparsity=0.05, contractive=0.02)),
    "weights": dict(weights=True),
    "masking": dict(noise="masking"),
    "gaussian": dict(noise="gaussian"),
}


def batch_results(X, network, case, corrupt_seed=0):
    """``batch_loss_and_gradients`` of rows X (dense or sparse) in ``case``."""
    loss = case.get("network", {}).get("loss", "squared_error")
    weights = None
    if case.get("weights"):
        weights = np.random.RandomState(1).randint(0, 4, X.shape[0]).astype(float)
    corrupt = None
    if "noise" in case:
        corruption = Corruption(
            case["noise"], 0.2, network.scales.column_scale, corrupt_seed
        )
        corrupt = partial(corruption.apply, rng=corruption.generator(0))
    value, coef_grads, intercept_grads = batch_loss_and_gradients(
        X,
        network,
        loss,
        case.get("penalties", Penalties(alpha=0.01)),
        corrupt=corrupt,
        sample_weight=weights,
    )
    return value, [a.copy() for a in (*coef_grads, *intercept_grads)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(SPARSE_CASES))
def test_sparse_batch_gives_the_dense_loss_and_gradients(monkeypatch, name, dtype):
    case = SPARSE_CASES[name]
    X = wide_sparse(dtype=dtype)
    network = new_network(X.toarray(), **case.get("network", {}))
    network = moved(network, case.get("tied", False))
    # Blocks of 6 columns: several, and a shorter last one.
    monkeypatch.setattr(skae._sparse, "BLOCK_BYTES", 6 * 60 * np.dtype(dtype).itemsize)
    dense_value, dense_grads = batch_results(X.toarray(), network, case)
    sparse_value, sparse_grads = batch_results(X, network, case)
    # The two differ by the order of the sums only (over blocks of columns,
    # and X @ W - mean @ W for (X - mean) @ W, where the data's entries and
    # means are of one size): a few units in the last place of each sum's
    # largest term, here far below 1e-10 relative in float64; float32's
    # eps is 1.2e-7, and its sums over 40 columns lose some digits more.
    rtol = 1e-10 if dtype == np.float64 else 2e-4
    assert sparse_value == pytest.approx(dense_value, rel=rtol)
    for sparse_grad, dense_grad in zip(sparse_grads, dense_grads, strict=True):
        assert sparse_grad.dtype == dtype
        scale = np.abs(dense_grad).max()
        assert_allclose(sparse_grad, dense_grad, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("name", ["tanh", "log-loss", "penalties", "weights"])
def test_sparse_batch_in_one_block_or_many(monkeypatch, name):
    case = SPARSE_CASES[name]
    X = wide_sparse()
    network = moved(new_network(X.toarray(), **case.get("network", {})))
    one_value, one_block = batch_results(X, network, case)
    # A column per block: the most blocks there can be.
    monkeypatch.setattr(skae._sparse, "BLOCK_BYTES", X.shape[0] * 8)
    many_value, many_blocks = batch_results(X, network, case)
    assert many_value == pytest.approx(one_value, rel=1e-12)
    for many, one in zip(many_blocks, one_block, strict=True):
        assert_allclose(many, one, rtol=1e-12, atol=1e-14 * np.abs(one).max())


def test_sparse_batch_memory_is_bounded_by_the_blocks(monkeypatch):
    # 200 rows by 20 000 columns: a dense copy of the batch is 32 MB.
    X = wide_sparse(200, 20_000, density=0.001)
    # The estimator's network: moments() would hold a 20 000-square scatter.
    ae = AutoencoderTransformer(4, hidden_layer_sizes=(16,), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        network = moved(ae.fit(X)._network())
    grads = (
        [np.empty_like(coef) for coef in network.coefs],
        [np.empty_like(intercept) for intercept in network.intercepts],
    )
    monkeypatch.setattr(skae._sparse, "BLOCK_BYTES", 2**18)
    tracemalloc.start()
    try:
        batch_loss_and_gradients(
            X, network, "squared_error", Penalties(alpha=0.01), grads=grads
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Arrays of the network's widths (the first layer's 2.6 MB included,
    # for the PCA projections), and a few blocks of 256 KiB each.
    widths = 2 * network.coefs[0].nbytes + 8 * 2**18
    assert peak < widths < X.shape[0] * X.shape[1] * 8 / 4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_rows_products(dtype):
    X = wide_sparse(30, 50, dtype=dtype)
    rng = np.random.RandomState(0)
    mean = rng.uniform(size=50).astype(dtype)
    W = rng.normal(size=(50, 7)).astype(dtype)
    delta = rng.normal(size=(30, 7)).astype(dtype)
    rows = skae._sparse.ScaledRows(X, mean, 1 / 3)
    X_in = (X.toarray() - mean) * dtype(1 / 3)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(rows @ W, X_in @ W, rtol=rtol, atol=rtol)
    assert_allclose(rows.T @ delta, X_in.T @ delta, rtol=rtol, atol=rtol)
    # Into a view of a larger array, as a tied or packed gradient may be.
    out = np.zeros((50, 9), dtype)
    rows.transpose_matmul(delta, out[:, 1:8])
    assert_allclose(out[:, 1:8], X_in.T @ delta, rtol=rtol, atol=rtol)
    assert not out[:, [0, 8]].any()
    # CSC rows (transform takes them) go through SciPy's own product.
    columns = skae._sparse.ScaledRows(X.tocsc(), mean, 1 / 3)
    assert_allclose(columns.T @ delta, X_in.T @ delta, rtol=rtol, atol=rtol)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
@pytest.mark.parametrize("noise", [None, "masking"])
def test_sparse_training_matches_dense(X, solver, noise):
    assert_sparse_matches_dense(X, lambda: make_setup(X, solver=solver), solver, noise)


WIDE_STEP_CASES = {
    **{name: case for name, case in SPARSE_CASES.items() if name != "tied"},
    "sparsity": dict(penalties=Penalties(alpha=0.1, sparsity=0.05)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer_class", [Adam, SGD])
@pytest.mark.parametrize("name", list(WIDE_STEP_CASES))
def test_wide_steps_make_the_whole_step(monkeypatch, name, optimizer_class, dtype):
    """Stepping the wide layers block by block changes no step."""
    case = WIDE_STEP_CASES[name]
    X = wide_sparse(dtype=dtype)
    network = moved(new_network(X.toarray(), **case.get("network", {})))
    # Blocks of 6 columns and of 7 rows of the first layer: several, and a
    # shorter last one.
    monkeypatch.setattr(skae._sparse, "BLOCK_BYTES", 6 * 60 * np.dtype(dtype).itemsize)
    penalties = case.get("penalties", Penalties(alpha=0.01))
    weights = None
    if case.get("weights"):
        weights = np.random.RandomState(1).randint(0, 4, X.shape[0]).astype(float)
    thetas = []
    for wide in (False, True):
        corruption = None
        if "noise" in case:
            scale = network.scales.column_scale
            corruption = Corruption(case["noise"], 0.2, scale, 0)
        loss = case.get("network", {}).get("loss", "squared_error")
        objective = Objective(
            X, network, loss, penalties, 20, corruption=corruption,
            sample_weight=weights, wide_steps=wide,
        )  # fmt: skip
        assert objective.wide_steps == (wide and not penalties.contractive)
        params = objective.params
        optimizer = optimizer_class([params.theta], 0.01)
        scratch, corrupt = scratch_for([params.theta]), objective.corrupter()
        for rows in gen_batches(X.shape[0], 20):
            if objective.wide_steps:
                _wide_step(objective, np.arange(60)[rows], corrupt, optimizer, scratch)
            else:
                objective.value_and_grad(np.arange(60)[rows], corrupt)
                optimizer.step([params.theta], [params.gradient], scratch)
        thetas.append(params.theta)
    # The same updates of the same gradients, up to the order of the sums of
    # the first layer's gradient (SciPy's kernels over the whole of X or over
    # blocks of its columns).
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(thetas[1], thetas[0], rtol=rtol, atol=rtol)
    if not penalties.contractive:
        # The whole network's gradient is never held: only the narrow layers'.
        assert params.gradient.size < params.theta.size - network.coefs[0].size
