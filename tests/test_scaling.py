"""Tests for the per-feature statistics behind the internal scaling."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import skae._scaling
from skae._network import initialize, layer_activations, layer_units
from skae._scaling import (
    carry_over_weights,
    fit_scaling,
    scale_input,
    scale_output,
    unscale_output,
    update_scaling,
)
from skae._training import decode, encode, fold_input_scaling


@pytest.fixture
def X():
    """200 x 6 columns of very different scales; column 3 is constant."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6)) * np.array([1e-4, 1.0, 30.0, 0.0, 1e5, 2.0])
    X[:, 3] = 7.0
    return X + np.array([0.0, 5.0, -3.0, 0.0, 1e6, 0.0])


def test_statistics_match_numpy_and_are_accumulated_in_chunks(X, monkeypatch):
    monkeypatch.setattr(skae._scaling, "_CHUNK_ROWS", 64)
    scaling = fit_scaling(X, "squared_error", "identity", np.float64)
    assert_allclose(scaling.input_offset, X.mean(axis=0), rtol=1e-12)
    informative = [0, 1, 2, 4, 5]
    assert_allclose(
        1 / scaling.input_inverse[informative], X.std(axis=0)[informative], rtol=1e-10
    )
    assert scaling.loss_scale == pytest.approx(X.var(axis=0).mean(), rel=1e-10)


@pytest.mark.parametrize("output_activation", ["identity", "logistic"])
def test_sparse_statistics_equal_dense(X, output_activation):
    dense = fit_scaling(X, "squared_error", output_activation, np.float64)
    sparse = fit_scaling(
        sp.csr_matrix(X), "squared_error", output_activation, np.float64
    )
    for field in ("input_offset", "input_inverse", "output_offset", "output_scale"):
        assert_allclose(getattr(sparse, field), getattr(dense, field), rtol=1e-9)
    assert_allclose(sparse.weights, dense.weights, rtol=1e-9)


def test_constant_columns_are_neither_seen_nor_predicted(X):
    scaling = fit_scaling(X, "squared_error", "identity", np.float64)
    assert scaling.input_inverse[3] == 0
    assert scaling.output_scale[3] == 0
    assert scaling.weights[3] == 0
    A = np.random.RandomState(1).normal(size=(5, 6))
    assert_array_equal(unscale_output(A, scaling)[:, 3], 7.0)


def test_round_trip_through_the_network_space(X):
    for output_activation in ("identity", "logistic"):
        scaling = fit_scaling(X, "squared_error", output_activation, np.float64)
        informative = [0, 1, 2, 4, 5]
        X_back = unscale_output(scale_output(X, scaling), scaling)
        assert_allclose(X_back[:, informative], X[:, informative], rtol=1e-9)
    Xs = scale_input(X, scaling)
    assert_allclose(Xs[:, [0, 1, 2, 4, 5]].std(axis=0), 1.0, rtol=1e-9)


def test_logistic_output_spans_the_training_range(X):
    scaling = fit_scaling(X, "squared_error", "logistic", np.float64)
    T = scale_output(X, scaling)
    informative = [0, 1, 2, 4, 5]
    assert_allclose(T[:, informative].min(axis=0), 0.0, atol=1e-9)
    assert_allclose(T[:, informative].max(axis=0), 1.0, atol=1e-9)


def test_weights_are_one_for_equal_variances_and_floored_for_tiny_columns():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 4))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    assert_allclose(
        fit_scaling(X, "squared_error", "identity", np.float64).weights, 1.0
    )
    X[:, 0] *= 1e-6
    weights = fit_scaling(X, "squared_error", "identity", np.float64).weights
    share = skae._scaling.STANDARDISED_SHARE
    # In the network's (standardised) space a tiny column keeps the floor s / (1 + s)
    # of an average column's weight, relative to mean variance 3/4 here.
    assert weights[0] == pytest.approx(share * 0.75 / (1 + share) / 0.75, rel=1e-6)
    assert np.all(weights[1:] > weights[0])


def test_log_loss_keeps_the_data_as_its_own_target():
    X = np.random.RandomState(0).uniform(size=(50, 3))
    scaling = fit_scaling(X, "log_loss", "logistic", np.float64)
    assert scaling.weights is None
    assert scaling.loss_scale == 1.0
    assert_array_equal(scale_output(X, scaling), X)


def test_statistics_are_cast_to_the_requested_dtype(X):
    scaling = fit_scaling(X.astype(np.float32), "squared_error", "identity", np.float32)
    for field in ("input_offset", "input_inverse", "output_offset", "output_scale"):
        assert getattr(scaling, field).dtype == np.float32
    assert scale_input(X.astype(np.float32), scaling).dtype == np.float32


# --- running statistics for partial_fit ---------------------------------------------


def chunks_of(X):
    """Three unequal row chunks of X, the first too short to see every column vary."""
    return [X[:3], X[3:120], X[120:]]


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize(
    "loss, output_activation",
    [
        ("squared_error", "identity"),
        ("squared_error", "logistic"),
        ("log_loss", "logistic"),
    ],
)
def test_updates_over_chunks_equal_statistics_of_all_rows(
    X, container, loss, output_activation
):
    if loss == "log_loss":
        X = (X - X.min(axis=0)) / np.ptp(X, axis=0).clip(1e-300)
    X[:3, 2] = X[0, 2]  # column 2 is constant in the first chunk only
    first, *rest = chunks_of(container(X))
    scaling = fit_scaling(first, loss, output_activation, np.float64)
    assert scaling.input_inverse[2] == 0
    for chunk in rest:
        scaling = update_scaling(scaling, chunk, loss, output_activation)
    whole = fit_scaling(container(X), loss, output_activation, np.float64)
    assert scaling.n_samples_seen == X.shape[0]
    for field in ("input_offset", "input_inverse", "mean", "var"):
        assert_allclose(getattr(scaling, field), getattr(whole, field), rtol=1e-10)
    assert scaling.loss_scale == pytest.approx(whole.loss_scale, rel=1e-10)
    if output_activation == "identity":
        assert_allclose(scaling.weights, whole.weights, rtol=1e-10)
        assert_allclose(scaling.output_scale, whole.output_scale, rtol=1e-10)
    else:
        # A sigmoid's range cannot move under trained weights: the first chunk's.
        start = fit_scaling(first, loss, output_activation, np.float64)
        assert_array_equal(scaling.output_offset, start.output_offset)
        assert_array_equal(scaling.output_scale, start.output_scale)


def random_network(n_features, activation, output_activation, dtype=np.float64):
    """A (n_features, 5, 3, 5, n_features) network with random biases too."""
    units = layer_units(n_features, (5,), 3)
    activations = layer_activations(1, activation, output_activation)
    rng = np.random.RandomState(0)
    coefs, intercepts = initialize(units, activations, dtype, rng)
    intercepts = [rng.normal(size=b.shape).astype(dtype) for b in intercepts]
    return coefs, intercepts, activations


def reconstruct(X, coefs, intercepts, activations, scaling):
    """The network's reconstruction of raw rows X, in the units of X."""
    encoder = fold_input_scaling(coefs[:2], intercepts[:2], scaling)
    Z = encode(X, *encoder, activations[:2])
    return decode(Z, coefs[2:], intercepts[2:], activations[2:], scaling)


@pytest.mark.parametrize("output_activation", ["identity", "logistic"])
# float32's own forward pass is off by up to 8e-6 of a column's spread here
# (measured against float64 arithmetic on the same weights).
@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 3e-5)])
def test_carried_over_weights_compute_the_same_function(
    X, output_activation, dtype, atol
):
    X = X.astype(dtype)
    old = fit_scaling(X[:100], "squared_error", output_activation, dtype)
    moved = X[100:] * 3 + 1
    moved[:, 3] = X[0, 3]  # still constant
    new = update_scaling(old, moved, "squared_error", output_activation)
    assert not np.allclose(new.input_offset, old.input_offset)
    coefs, intercepts, activations = random_network(6, "tanh", output_activation, dtype)
    before = reconstruct(X, coefs, intercepts, activations, old)
    carry_over_weights(coefs, intercepts, old, new)
    assert all(a.dtype == dtype for a in coefs + intercepts)
    after = reconstruct(X, coefs, intercepts, activations, new)
    # In units of each column's spread over all rows (they differ by 1e9).
    spread = np.where(new.var > 0, np.sqrt(new.var), 1.0)
    assert_allclose(after / spread, before / spread, rtol=0, atol=atol)


def test_a_column_that_starts_to_vary_enters_like_a_new_input(X):
    X[:100, 2] = 5.0
    old = fit_scaling(X[:100], "squared_error", "identity", np.float64)
    new = update_scaling(old, X[100:], "squared_error", "identity")
    assert old.input_inverse[2] == 0 < new.input_inverse[2]
    coefs, intercepts, activations = random_network(6, "relu", "identity")
    old_coefs, old_intercepts = [c.copy() for c in coefs], list(intercepts)
    carry_over_weights(coefs, intercepts, old, new)
    # Its encoder weights stay as initialised, not zero, so that a ReLU encoder
    # that has seen only constant columns is not left dead.
    assert_array_equal(coefs[0][2], old_coefs[0][2])
    # The decoder goes on predicting the constant the column had.
    assert_allclose(reconstruct(X, coefs, intercepts, activations, new)[:, 2], 5.0)
    # Where the column sits at its new mean, the function is the old one.
    X[:, 2] = new.input_offset[2]
    assert_allclose(
        reconstruct(X, coefs, intercepts, activations, new),
        reconstruct(X, old_coefs, old_intercepts, activations, old),
        rtol=1e-10,
    )


def test_a_column_that_varied_stays_informative_over_many_updates():
    # Relative spread 1e-12 is informative for 100 rows (the round-off allowance
    # is 100 * eps = 2e-14) but not for the 6000 rows seen after 60 updates.
    rng = np.random.RandomState(0)
    X = 1.0 + 1e-12 * rng.normal(size=(100, 1))
    scaling = fit_scaling(X, "squared_error", "identity", np.float64)
    assert scaling.input_inverse[0] > 0
    for _ in range(59):
        scaling = update_scaling(scaling, X, "squared_error", "identity")
    assert scaling.n_samples_seen == 6000
    assert_allclose(scaling.input_inverse[0], 1 / X.std(), rtol=1e-6)
    # fit on the same 6000 rows calls it constant: the allowance is n * eps.
    tiled = np.tile(X, (60, 1))
    assert (
        fit_scaling(tiled, "squared_error", "identity", np.float64).input_inverse[0]
        == 0
    )
