"""Helpers of the tests of skae._objective and skae._solvers: networks, runs, cases.

Networks built as the estimator builds them, the setups and runs of the two
solvers, and the sparse cases of a batch. ``tests/conftest.py`` holds the
fixtures ``X`` and ``weights`` of these tests.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import scipy.sparse as sp

from skae._evaluation import CHUNK_ROWS, mean_squared_errors
from skae._network import (
    Network,
    initialize,
    layer_activations,
    layer_units,
    pack,
    tie,
)
from skae._noise import Corruption
from skae._objective import Objective, batch_loss_and_gradients
from skae._optimizers import SGD, Adam
from skae._pca import moments, principal_axes
from skae._penalties import Penalties
from skae._scaling import make_scales
from skae._selection import validation_split
from skae._solvers import History, Schedule, lbfgs, stochastic

N_SAMPLES, N_FEATURES = 200, 10
TRAIN_SEED = 1


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


def perturbed_network(X, rng):
    """A network on X's PCA whose corrections are all non-zero."""
    network = new_network(X)
    network.coefs = [c + rng.normal(size=c.shape) for c in network.coefs]
    network.intercepts = [b + rng.normal(size=b.shape) for b in network.intercepts]
    return network


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
