"""Tests for the per-feature statistics behind the internal scaling."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import skae._scaling
from skae._scaling import fit_scaling, scale_input, scale_output, unscale_output


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
