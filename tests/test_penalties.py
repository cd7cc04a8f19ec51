"""Tests for the code penalties: values, and gradients against finite differences."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_network import SUPPORTED, _central_difference, make_network

from skae._activations import ACTIVATIONS
from skae._evaluation import encode
from skae._network import encode_scaled, pack, scale_input, tie, unpack
from skae._objective import batch_loss_and_gradients
from skae._penalties import Penalties, code_sparsity, contraction

PENALTIES = {
    "sparsity": Penalties(sparsity=0.3),
    "contractive": Penalties(contractive=0.2),
    "all": Penalties(alpha=0.1, sparsity=0.3, contractive=0.2),
}


def _data(loss, rng):
    if loss == "log_loss":
        return rng.uniform(0, 1, size=(7, 5))
    return rng.normal(loc=3.0, scale=[0.1, 1, 2, 5, 10], size=(7, 5))


def _tied(network):
    """``network`` with its decoder's weights replaced by the encoder's transposed."""
    return replace(network, coefs=tie(network.coefs[: network.n_encoder]))


def _gradient_error(X, network, loss, penalties, units, tied):
    """Relative error of the analytic gradient against central differences."""

    def loss_only(theta):
        coefs, intercepts = unpack(theta, units, np.float64, tied)
        moved = replace(network, coefs=coefs, intercepts=intercepts)
        return batch_loss_and_gradients(X, moved, loss, penalties)[0]

    _, coef_grads, intercept_grads = batch_loss_and_gradients(
        X, network, loss, penalties
    )
    if tied:
        n = network.n_encoder
        coef_grads = [coef_grads[i] + coef_grads[-1 - i].T for i in range(n)]
    analytic = np.concatenate([g.ravel() for g in (*coef_grads, *intercept_grads)])
    theta = pack(network.coefs, network.intercepts, tied=tied)
    numeric = _central_difference(loss_only, theta)
    return np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("penalty", sorted(PENALTIES))
@pytest.mark.parametrize(("loss", "output_activation"), SUPPORTED)
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_gradient_matches_finite_difference(
    activation, loss, output_activation, penalty, tied
):
    rng = np.random.RandomState(0)
    X = _data(loss, rng)
    network, units = make_network(X, (4, 3), activation, loss, output_activation, rng)
    if tied:
        network = _tied(network)
    error = _gradient_error(X, network, loss, PENALTIES[penalty], units, tied)
    assert error < 1e-6


@pytest.mark.parametrize("hidden", [(), (4,)])
def test_gradient_of_shallow_networks(hidden):
    """No hidden layer, or one: the Jacobian sweep's shortest cases."""
    rng = np.random.RandomState(1)
    X = _data("squared_error", rng)
    network, units = make_network(X, hidden, "tanh", "squared_error", "identity", rng)
    error = _gradient_error(X, network, "squared_error", PENALTIES["all"], units, False)
    assert error < 1e-6


def test_sparsity_is_the_mean_l1_norm_of_whitened_codes():
    rng = np.random.RandomState(0)
    X = _data("squared_error", rng)
    network, _ = make_network(X, (4,), "relu", "squared_error", "identity", rng)
    C = encode(X, network) / network.scales.code_scale
    value, gradient = code_sparsity(C, 0.5)
    assert_allclose(value, 0.5 * np.abs(C).sum(axis=1).mean(), rtol=1e-12)
    assert_allclose(gradient, 0.5 * np.sign(C) / X.shape[0], rtol=1e-12)


def _numeric_jacobian(x, network, h=1e-6):
    """Jacobian of the codes (in X units) at one sample x, by central differences."""
    columns = []
    for j in range(x.shape[0]):
        step = np.zeros_like(x)
        step[j] = h
        up, down = encode((x + step)[None], network), encode((x - step)[None], network)
        columns.append((up - down)[0] / (2 * h))
    return np.array(columns).T


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_contraction_is_the_squared_frobenius_norm_of_transforms_jacobian(activation):
    rng = np.random.RandomState(0)
    X = _data("squared_error", rng)
    network, _ = make_network(X, (4, 3), activation, "squared_error", "identity", rng)
    outputs = encode_scaled(scale_input(X, network), network)
    value, _, _ = contraction(outputs, network, 1.0)
    expected = np.mean([np.sum(_numeric_jacobian(x, network) ** 2) for x in X])
    assert_allclose(value, expected, rtol=1e-6)


def test_contraction_of_pca_is_the_number_of_components():
    """A new network is PCA, whose codes' Jacobian is ``components_``."""
    rng = np.random.RandomState(0)
    X = _data("squared_error", rng)
    network, _ = make_network(X, (4,), "tanh", "squared_error", "identity", rng)
    network.coefs[network.n_encoder - 1][...] = 0
    outputs = encode_scaled(scale_input(X, network), network)
    value, _, _ = contraction(outputs, network, 1.0)
    assert_allclose(value, network.components.shape[0], rtol=1e-12)


def test_penalties_keep_float32():
    rng = np.random.RandomState(0)
    X = _data("squared_error", rng)
    network, _ = make_network(X, (4, 3), "tanh", "squared_error", "identity", rng)
    network32 = replace(
        network,
        mean=network.mean.astype(np.float32),
        components=network.components.astype(np.float32),
        coefs=[c.astype(np.float32) for c in network.coefs],
        intercepts=[b.astype(np.float32) for b in network.intercepts],
        scales=replace(
            network.scales,
            code_scale=network.scales.code_scale.astype(np.float32),
            code_correction=network.scales.code_correction.astype(np.float32),
            output_correction=network.scales.output_correction.astype(np.float32),
        ),
    )
    _, coef_grads, intercept_grads = batch_loss_and_gradients(
        X.astype(np.float32), network32, "squared_error", PENALTIES["all"]
    )
    assert {g.dtype for g in (*coef_grads, *intercept_grads)} == {np.dtype(np.float32)}
