"""Tests for the activation functions and their derivatives."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skae._activations import (
    ACTIVATIONS,
    SECOND_DERIVATIVES,
    activate_inplace,
    multiply_derivative_inplace,
)

ACTIVATION_NAMES = sorted(ACTIVATIONS)


def _inputs(dtype=np.float64):
    """Pre-activations kept away from 0, where ReLU has its kink."""
    rng = np.random.RandomState(0)
    magnitude = rng.uniform(0.1, 3.0, size=(6, 5))
    sign = np.where(rng.uniform(size=(6, 5)) < 0.5, -1.0, 1.0)
    return (sign * magnitude).astype(dtype)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_derivative_matches_finite_difference(name):
    function, derivative = ACTIVATIONS[name]
    Z = _inputs()
    h = 1e-6
    numeric = (function(Z + h) - function(Z - h)) / (2 * h)
    analytic = derivative(function(Z))
    assert analytic.shape == Z.shape
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_second_derivative_matches_finite_difference(name):
    function, derivative = ACTIVATIONS[name]
    Z = _inputs()
    h = 1e-6
    numeric = (derivative(function(Z + h)) - derivative(function(Z - h))) / (2 * h)
    analytic = SECOND_DERIVATIVES[name](function(Z))
    assert analytic.dtype == Z.dtype
    assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_keeps_float32(name):
    function, derivative = ACTIVATIONS[name]
    Z = _inputs(np.float32)
    A = function(Z)
    assert A.dtype == np.float32
    assert derivative(A).dtype == np.float32
    assert_allclose(A, function(Z.astype(np.float64)), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_does_not_modify_input(name):
    function, derivative = ACTIVATIONS[name]
    Z = _inputs()
    Z_copy = Z.copy()
    A = function(Z)
    A_copy = A.copy()
    derivative(A)
    assert_array_equal(Z, Z_copy)
    assert_array_equal(A, A_copy)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_derivative_zero_for_negative_inputs(dtype):
    relu, relu_derivative = ACTIVATIONS["relu"]
    Z = _inputs(dtype)
    slope = relu_derivative(relu(Z))
    assert slope.dtype == dtype
    assert np.any(Z < 0) and np.any(Z > 0)
    assert_array_equal(slope[Z < 0], 0)
    assert_array_equal(slope[Z > 0], 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_inplace_forms_match_the_functions(name, dtype):
    """The training loop's in-place forms compute what the registry's do."""
    function, derivative = ACTIVATIONS[name]
    Z = _inputs(dtype)
    A = function(Z)
    Z_inplace = Z.copy()
    assert activate_inplace(name, Z_inplace) is Z_inplace
    assert_allclose(Z_inplace, A, rtol=1e-7 if dtype == np.float64 else 1e-6)
    delta = _inputs(dtype)[::-1].copy()
    expected = delta * derivative(A)
    assert multiply_derivative_inplace(name, delta, A) is delta
    assert delta.dtype == dtype
    assert_allclose(delta, expected, rtol=1e-7 if dtype == np.float64 else 1e-6)
