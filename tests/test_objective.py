"""Tests for the objective: the loss and gradients of a batch (skae._objective)."""

# SPDX-License-Identifier: BSD-3-Clause

import tracemalloc
import warnings
from functools import partial

import numpy as np
import pytest
from _training_helpers import (
    N_FEATURES,
    moved,
    new_network,
    wide_sparse,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

import skae._sparse
from skae import AutoencoderTransformer
from skae._network import pack, unpack
from skae._noise import Corruption
from skae._objective import Objective, Workspace, batch_loss_and_gradients
from skae._optimizers import SGD, Adam, scratch_for
from skae._penalties import Penalties
from skae._solvers import _wide_step


def perturbed_network(X, rng):
    """A network on X's PCA whose corrections are all non-zero."""
    network = new_network(X)
    network.coefs = [c + rng.normal(size=c.shape) for c in network.coefs]
    network.intercepts = [b + rng.normal(size=b.shape) for b in network.intercepts]
    return network


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


# --- sample weights ------------------------------------------------------------------


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


# --- sparse rows ---------------------------------------------------------------------


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
