"""Tests for the reconstruction losses, their gradients and output deltas."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skae._activations import ACTIVATIONS
from skae._losses import (
    LOSSES,
    log_loss,
    log_loss_gradient,
    loss_and_output_delta,
    output_delta,
    squared_error,
    squared_error_gradient,
)

N_SAMPLES, N_FEATURES = 4, 3
SUPPORTED_PAIRS = [
    ("squared_error", "identity"),
    ("squared_error", "logistic"),
    ("log_loss", "logistic"),
]


def _targets_outputs(dtype=np.float64):
    """Targets in [0, 1] and outputs strictly inside (0, 1), away from the clip."""
    rng = np.random.RandomState(0)
    T = rng.uniform(0, 1, size=(N_SAMPLES, N_FEATURES)).astype(dtype)
    A = rng.uniform(0.05, 0.95, size=(N_SAMPLES, N_FEATURES)).astype(dtype)
    return T, A


def _weights(weighted, dtype=np.float64):
    if not weighted:
        return None
    return np.random.RandomState(1).uniform(0.5, 2.0, size=N_FEATURES).astype(dtype)


def _numeric_gradient(function, X, h=1e-6):
    """Central finite-difference gradient of the scalar ``function`` at ``X``."""
    gradient = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        step = np.zeros_like(X)
        step[index] = h
        gradient[index] = (function(X + step) - function(X - step)) / (2 * h)
    return gradient


@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_value(weighted):
    T, A = _targets_outputs()
    weights = _weights(weighted)
    w = np.ones(N_FEATURES) if weights is None else weights
    expected = np.sum(w * (A - T) ** 2) / (N_SAMPLES * N_FEATURES)
    assert_allclose(squared_error(T, A, weights), expected, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_log_loss_value(weighted):
    T, A = _targets_outputs()
    weights = _weights(weighted)
    w = np.ones(N_FEATURES) if weights is None else weights
    terms = -(T * np.log(A) + (1 - T) * np.log(1 - A))
    expected = np.sum(w * terms) / (N_SAMPLES * N_FEATURES)
    assert_allclose(log_loss(T, A, weights), expected, rtol=1e-12)


def test_squared_error_has_no_half_factor():
    T = np.zeros((2, 2))
    A = np.full((2, 2), 3.0)
    assert_allclose(squared_error(T, A), 9.0, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_gradient_matches_finite_difference(loss, weighted):
    value, gradient = LOSSES[loss]
    T, A = _targets_outputs()
    weights = _weights(weighted)
    numeric = _numeric_gradient(lambda A: value(T, A, weights), A)
    assert_allclose(gradient(T, A, weights), numeric, rtol=1e-6, atol=1e-9)


def test_registry_pairs_values_with_gradients():
    assert LOSSES["squared_error"] == (squared_error, squared_error_gradient)
    assert LOSSES["log_loss"] == (log_loss, log_loss_gradient)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_loss_finite_at_saturated_outputs(dtype):
    T = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
    A = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    value = log_loss(T, A)
    gradient = log_loss_gradient(T, A)
    assert np.isfinite(value)
    assert np.all(np.isfinite(gradient))
    # Wrong saturated outputs are heavily penalised, but not infinitely.
    assert value > 1.0
    # Right saturated outputs cost (almost) nothing.
    assert_allclose(log_loss(T[:, :2], A[:, :2]), 0.0, atol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_output_delta_matches_finite_difference(loss, output_activation, weighted):
    rng = np.random.RandomState(0)
    Z = rng.normal(scale=1.5, size=(N_SAMPLES, N_FEATURES))
    T = rng.uniform(0, 1, size=(N_SAMPLES, N_FEATURES))
    weights = _weights(weighted)
    function = ACTIVATIONS[output_activation][0]
    value = LOSSES[loss][0]
    numeric = _numeric_gradient(lambda Z: value(T, function(Z), weights), Z)
    delta = output_delta(loss, output_activation, T, function(Z), weights)
    assert delta.shape == Z.shape
    assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_float32_in_float32_out(loss, weighted):
    value, gradient = LOSSES[loss]
    T, A = _targets_outputs(np.float32)
    weights = _weights(weighted, np.float32)
    assert gradient(T, A, weights).dtype == np.float32
    T64, A64 = T.astype(np.float64), A.astype(np.float64)
    w64 = None if weights is None else weights.astype(np.float64)
    assert_allclose(value(T, A, weights), value(T64, A64, w64), rtol=1e-5)
    assert_allclose(
        gradient(T, A, weights), gradient(T64, A64, w64), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_output_delta_float32(loss, output_activation, weighted):
    T, A = _targets_outputs(np.float32)
    weights = _weights(weighted, np.float32)
    delta = output_delta(loss, output_activation, T, A, weights)
    assert delta.dtype == np.float32
    T64, A64 = T.astype(np.float64), A.astype(np.float64)
    w64 = None if weights is None else weights.astype(np.float64)
    expected = output_delta(loss, output_activation, T64, A64, w64)
    assert_allclose(delta, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_loss_and_output_delta_match_the_separate_functions(
    loss, output_activation, weighted, dtype
):
    T, A = _targets_outputs(dtype)
    weights = _weights(weighted, dtype)
    expected_value = LOSSES[loss][0](T, A, weights)
    expected_delta = output_delta(loss, output_activation, T, A, weights)
    scratch = np.empty_like(A)
    value, delta = loss_and_output_delta(
        loss, output_activation, T, A.copy(), weights, scratch=scratch
    )
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(value, expected_value, rtol=rtol)
    assert delta.dtype == dtype
    assert_allclose(delta, expected_delta, rtol=rtol)


# --- sample weights: each row's loss weighted, sum_i w_i l_i / sum_i w_i -----------

SAMPLE_WEIGHT = np.array([2.0, 0.0, 1.0, 3.0])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_integer_sample_weights_equal_repeated_rows(loss, weighted):
    value, gradient = LOSSES[loss]
    T, A = _targets_outputs()
    weights = _weights(weighted)
    counts = SAMPLE_WEIGHT.astype(int)
    T_rep, A_rep = T.repeat(counts, axis=0), A.repeat(counts, axis=0)
    assert_allclose(
        value(T, A, weights, SAMPLE_WEIGHT), value(T_rep, A_rep, weights), rtol=1e-12
    )
    # Each row's gradient is the sum of its copies'.
    G_rep = gradient(T_rep, A_rep, weights)
    expected = np.zeros_like(A)
    np.add.at(expected, np.repeat(np.arange(N_SAMPLES), counts), G_rep)
    assert_allclose(gradient(T, A, weights, SAMPLE_WEIGHT), expected, rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_sample_weighted_output_delta_matches_finite_difference(
    loss, output_activation, weighted
):
    rng = np.random.RandomState(0)
    Z = rng.normal(scale=1.5, size=(N_SAMPLES, N_FEATURES))
    T = rng.uniform(0, 1, size=(N_SAMPLES, N_FEATURES))
    weights, sample_weight = _weights(weighted), rng.uniform(0, 2, N_SAMPLES)
    function = ACTIVATIONS[output_activation][0]
    value = LOSSES[loss][0]
    numeric = _numeric_gradient(
        lambda Z: value(T, function(Z), weights, sample_weight), Z
    )
    delta = output_delta(
        loss, output_activation, T, function(Z), weights, sample_weight
    )
    assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_sample_weighted_loss_and_output_delta(loss, output_activation, dtype):
    T, A = _targets_outputs(dtype)
    weights = _weights(True, dtype)
    expected_value = LOSSES[loss][0](T, A, weights, SAMPLE_WEIGHT)
    expected_delta = output_delta(loss, output_activation, T, A, weights, SAMPLE_WEIGHT)
    value, delta = loss_and_output_delta(
        loss,
        output_activation,
        T,
        A.copy(),
        weights,
        scratch=np.empty_like(A),
        sample_weight=SAMPLE_WEIGHT,
    )
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(value, expected_value, rtol=rtol)
    assert delta.dtype == dtype
    assert_allclose(delta, expected_delta, rtol=rtol)
    # A row of weight 0 gets no gradient.
    assert np.all(delta[1] == 0)


@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED_PAIRS)
def test_zero_sum_sample_weights_contribute_nothing(loss, output_activation):
    T, A = _targets_outputs()
    zeros = np.zeros(N_SAMPLES)
    with np.errstate(all="raise"):
        value, delta = loss_and_output_delta(
            loss, output_activation, T, A.copy(), sample_weight=zeros
        )
    assert value == 0.0
    assert np.all(delta == 0)
