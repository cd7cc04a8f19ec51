"""Tests for the layer plan, initialisation, packing and backpropagation."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA

from skae._activations import ACTIVATIONS
from skae._evaluation import decode, encode
from skae._network import (
    Network,
    NewLayers,
    forward,
    initialize,
    layer_activations,
    layer_units,
    pack,
    penalty,
    unpack,
)
from skae._objective import batch_loss_and_gradients
from skae._pca import moments, principal_axes
from skae._penalties import Penalties
from skae._scaling import make_scales

SUPPORTED = [
    ("squared_error", "identity"),
    ("squared_error", "logistic"),
    ("log_loss", "logistic"),
]


@pytest.mark.parametrize(
    ("n_features", "hidden", "n_components", "expected"),
    [
        (64, (32,), 2, [64, 32, 2, 32, 64]),
        (10, (), 3, [10, 3, 10]),
        (8, (6, 4), 2, [8, 6, 4, 2, 4, 6, 8]),
        (5, [4], 2, [5, 4, 2, 4, 5]),
    ],
)
def test_layer_units(n_features, hidden, n_components, expected):
    assert layer_units(n_features, hidden, n_components) == expected


@pytest.mark.parametrize(
    ("n_hidden", "expected"),
    [
        (0, ["identity", "logistic"]),
        (1, ["tanh", "identity", "tanh", "logistic"]),
        (2, ["tanh", "tanh", "identity", "tanh", "tanh", "logistic"]),
    ],
)
def test_layer_activations(n_hidden, expected):
    names = layer_activations(n_hidden, "tanh", "logistic")
    assert names == expected
    # One activation per weight layer of the matching layer plan.
    units = layer_units(7, (5,) * n_hidden, 2)
    assert len(names) == len(units) - 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", [(), (4,), (6, 3)])
def test_initialize_shapes_dtype_and_bounds(hidden, dtype):
    units = layer_units(9, hidden, 2)
    activations = layer_activations(len(hidden), "logistic", "identity")
    coefs, intercepts = initialize(units, activations, dtype, np.random.RandomState(0))
    assert len(coefs) == len(intercepts) == len(units) - 1
    for i, (coef, intercept, name) in enumerate(
        zip(coefs, intercepts, activations, strict=True)
    ):
        assert coef.shape == (units[i], units[i + 1])
        assert intercept.shape == (units[i + 1],)
        assert coef.dtype == dtype
        assert intercept.dtype == dtype
        assert_array_equal(intercept, 0)
        if i in (len(hidden), len(coefs) - 1):
            # The corrections' last layers start at zero: the network is PCA.
            assert_array_equal(coef, 0)
            continue
        factor = 2.0 if name == "logistic" else 6.0
        bound = np.sqrt(factor / (units[i] + units[i + 1]))
        assert np.all(np.abs(coef) <= bound)
        # Uniform draws fill a good part of the range, not a tiny corner of it.
        assert np.abs(coef).max() > 0.3 * bound


def test_initialize_same_seed_same_arrays():
    units = layer_units(6, (4,), 2)
    activations = layer_activations(1, "relu", "identity")
    first = initialize(units, activations, np.float64, np.random.RandomState(0))
    second = initialize(units, activations, np.float64, np.random.RandomState(0))
    other = initialize(units, activations, np.float64, np.random.RandomState(1))
    for a, b in zip(first[0] + first[1], second[0] + second[1], strict=True):
        assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], other[0][0])


@pytest.mark.parametrize("tied", [False, True])
def test_new_layers_are_the_same_numbers_in_new_arrays(tied):
    units = layer_units(6, (4,), 2)
    activations = layer_activations(1, "tanh", "identity")
    drawn = np.random.RandomState(0)
    coefs, intercepts = initialize(units, activations, np.float64, drawn, tied)
    random_state = np.random.RandomState(0)
    layers = NewLayers(units, activations, np.float64, random_state, tied)
    # The generator moved on as one draw moves it.
    assert random_state.randint(10**9) == drawn.randint(10**9)
    calls = [layers() for _ in range(3)]
    for call in calls:
        assert call[2] is activations
        for array, expected in zip(call[0] + call[1], coefs + intercepts, strict=True):
            assert_array_equal(array, expected)
    # No two calls share an array: each run trains (and frees) its own.
    first, second = calls[0][0] + calls[0][1], calls[1][0] + calls[1][1]
    assert not any(np.shares_memory(a, b) for a, b in zip(first, second, strict=True))
    # Layers given back come out of the next call as they are.
    layers.give_back(calls[2][0], calls[2][1])
    assert layers()[0][0] is calls[2][0][0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", [(), (4,), (6, 3)])
def test_pack_unpack_round_trip(hidden, dtype):
    units = layer_units(5, hidden, 2)
    activations = layer_activations(len(hidden), "tanh", "identity")
    rng = np.random.RandomState(0)
    coefs, intercepts = initialize(units, activations, dtype, rng)
    intercepts = [rng.normal(size=b.shape).astype(dtype) for b in intercepts]
    theta = pack(coefs, intercepts)
    n_params = sum(a * b + b for a, b in zip(units[:-1], units[1:], strict=True))
    assert theta.shape == (n_params,)
    assert theta.dtype == np.float64
    new_coefs, new_intercepts = unpack(theta, units, dtype)
    for new, old in zip(new_coefs + new_intercepts, coefs + intercepts, strict=True):
        assert new.dtype == dtype
        assert_array_equal(new, old)


def test_forward_returns_every_layer():
    units = layer_units(5, (4,), 2)
    activations = layer_activations(1, "relu", "logistic")
    rng = np.random.RandomState(0)
    coefs, intercepts = initialize(units, activations, np.float64, rng)
    X = rng.normal(size=(7, 5))
    outputs = forward(X, coefs, intercepts, activations)
    assert [o.shape for o in outputs] == [(7, u) for u in units]
    assert outputs[0] is X
    expected = ACTIVATIONS["logistic"][0](outputs[-2] @ coefs[-1] + intercepts[-1])
    assert_allclose(outputs[-1], expected, rtol=1e-12)


def test_penalty_formula():
    coefs = [np.ones((2, 3)), np.full((3, 2), 2.0)]
    # alpha * (6 * 1 + 6 * 4) / n_samples
    assert_allclose(penalty(coefs, 0.5, 10), 0.5 * 30 / 10, rtol=1e-12)


def _central_difference(function, theta, h=1e-6):
    """Central finite-difference gradient of the scalar ``function``."""
    gradient = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        gradient[i] = (function(theta + step) - function(theta - step)) / (2 * h)
    return gradient


def make_network(X, hidden, activation, loss, output_activation, rng):
    """A network on X's PCA whose corrections, biases included, are all non-zero."""
    stats = moments(X)
    axes = principal_axes(stats, 2)
    units = layer_units(X.shape[1], hidden, 2)
    activations = layer_activations(len(hidden), activation, output_activation)
    coefs, intercepts = initialize(units, activations, np.float64, rng)
    coefs = [c + rng.normal(scale=0.3, size=c.shape) for c in coefs]
    intercepts = [rng.normal(scale=0.1, size=b.shape) for b in intercepts]
    scales = make_scales(axes, stats, loss, output_activation, np.float64)
    network = Network(
        stats.mean, axes.components, coefs, intercepts, activations, scales
    )
    return network, units


@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_matches_finite_difference(activation, loss, output_activation, alpha):
    rng = np.random.RandomState(0)
    if loss == "log_loss":
        X = rng.uniform(0, 1, size=(7, 5))
    else:
        X = rng.normal(loc=3.0, scale=[0.1, 1, 2, 5, 10], size=(7, 5))
    network, units = make_network(X, (4, 3), activation, loss, output_activation, rng)

    def loss_only(theta):
        coefs, intercepts = unpack(theta, units, np.float64)
        moved = replace(network, coefs=coefs, intercepts=intercepts)
        return batch_loss_and_gradients(X, moved, loss, Penalties(alpha))[0]

    theta = pack(network.coefs, network.intercepts)
    value, coef_grads, intercept_grads = batch_loss_and_gradients(
        X, network, loss, Penalties(alpha)
    )
    assert_allclose(value, loss_only(theta), rtol=1e-14)
    for grad, param in zip(
        coef_grads + intercept_grads,
        network.coefs + network.intercepts,
        strict=True,
    ):
        assert grad.shape == param.shape
    analytic = pack(coef_grads, intercept_grads)
    numeric = _central_difference(loss_only, theta)
    relative_error = np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric)
    assert relative_error < 1e-6


def test_penalty_adds_l2_gradient():
    """The penalty adds ``2 * alpha * W / n_samples`` to each weight gradient."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(7, 5))
    network, _ = make_network(X, (4,), "tanh", "squared_error", "identity", rng)
    _, with_penalty, _ = batch_loss_and_gradients(
        X, network, "squared_error", Penalties(0.1)
    )
    _, without, _ = batch_loss_and_gradients(X, network, "squared_error", Penalties())
    for a, b, coef in zip(with_penalty, without, network.coefs, strict=True):
        assert_allclose(a - b, 2 * 0.1 * coef / 7, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("hidden", [(), (6,), (6, 4)])
def test_a_new_network_is_pca(hidden):
    """With its last layers at zero, the network reconstructs exactly as PCA."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 8)) @ rng.normal(size=(8, 8)) + 3
    stats = moments(X)
    axes = principal_axes(stats, 3)
    units = layer_units(8, hidden, 3)
    activations = layer_activations(len(hidden), "relu", "identity")
    coefs, intercepts = initialize(units, activations, np.float64, rng)
    scales = make_scales(axes, stats, "squared_error", "identity", np.float64)
    network = Network(
        stats.mean, axes.components, coefs, intercepts, activations, scales
    )
    pca = PCA(3, svd_solver="full").fit(X)
    Z = encode(X, network)
    assert_allclose(Z, pca.transform(X), atol=1e-10)
    assert_allclose(decode(Z, network), pca.inverse_transform(Z), atol=1e-10)
