"""Tests for the network's units: the scales and their carry-over between updates."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skae._evaluation import decode, encode
from skae._network import Network, initialize, layer_activations, layer_units
from skae._pca import merge, moments, principal_axes
from skae._scaling import CODE_SCALE_FLOOR, carry_over, make_scales, match_axes


@pytest.fixture
def X():
    """Correlated columns in units 1e-3 to 1e3."""
    rng = np.random.RandomState(0)
    return np.tanh(rng.normal(size=(400, 4)) @ rng.normal(size=(4, 7))) * np.logspace(
        -3, 3, 7
    )


def scales_of(X, n_components, output_activation="identity", loss="squared_error"):
    stats = moments(X)
    axes = principal_axes(stats, n_components)
    return stats, axes, make_scales(axes, stats, loss, output_activation, X.dtype)


def test_sigma_is_the_rms_of_the_centred_data_and_codes_are_floored(X):
    _, axes, scales = scales_of(X, 3)
    assert_allclose(scales.sigma, np.sqrt(X.var(axis=0, ddof=1).mean()), rtol=1e-12)
    expected = np.maximum(
        np.sqrt(axes.explained_variance), CODE_SCALE_FLOOR * scales.sigma
    )
    assert_allclose(scales.code_scale, expected, rtol=1e-12)
    assert np.all(scales.code_correction <= 1)
    pca_mse = axes.residual_variance.mean() * (len(X) - 1) / len(X)
    assert_allclose(scales.pca_mse, pca_mse, rtol=1e-12)
    assert scales.tolerance_unit == scales.pca_mse
    assert scales.loss_scale == scales.sigma**2


def test_a_column_that_barely_varies_is_not_magnified(X):
    # The network's input is divided by one global scale: a column a million
    # times smaller than the rest stays a million times smaller.
    _, _, scales = scales_of(X, 2)
    scaled_std = X.std(axis=0) / scales.sigma
    assert scaled_std.max() < 3
    assert scaled_std.min() < 1e-5


def test_constant_data_gives_unit_scales():
    _, _, scales = scales_of(np.ones((5, 3)), 2)
    assert scales.sigma == 1.0
    assert np.all(scales.code_scale > 0)
    assert np.all(np.isfinite(scales.output_correction))


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_logistic_output_spans_the_training_range(loss):
    X = np.random.RandomState(0).uniform(0.2, 0.7, size=(50, 3))
    _, _, scales = scales_of(X, 2, "logistic", loss)
    assert scales.output_correction is None
    if loss == "log_loss":
        assert_allclose(scales.output_offset, 0)
        assert_allclose(scales.output_scale, 1)
    else:
        assert_allclose(scales.output_offset, X.min(axis=0))
        assert_allclose(scales.output_scale, np.ptp(X, axis=0))
    # A constant column has no range, and is reconstructed exactly.
    X[:, 1] = 0.5
    _, _, scales = scales_of(X, 2, "logistic", loss)
    if loss == "squared_error":
        assert scales.output_scale[1] == 0


def random_network(X, n_components, output_activation, dtype):
    """A network on X's scales whose corrections are all non-zero."""
    stats, axes, scales = scales_of(X.astype(dtype), n_components, output_activation)
    units = layer_units(X.shape[1], (5, 4), n_components)
    activations = layer_activations(2, "tanh", output_activation)
    rng = np.random.RandomState(1)
    coefs, intercepts = initialize(units, activations, dtype, rng)
    coefs = [(c + rng.normal(size=c.shape)).astype(dtype) for c in coefs]
    intercepts = [(b + rng.normal(size=b.shape)).astype(dtype) for b in intercepts]
    network = Network(
        stats.mean.astype(dtype),
        axes.components.astype(dtype),
        coefs,
        intercepts,
        activations,
        scales,
    )
    return network, stats


@pytest.mark.parametrize("output_activation", ["identity", "logistic"])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
def test_carried_over_corrections_compute_the_same_function(
    X, output_activation, dtype, rtol
):
    X = X[:, 3:] / X[:, 3:].std(axis=0)
    if output_activation == "logistic":
        X = X - X.min(axis=0)
    network, stats = random_network(X[:100], 2, output_activation, dtype)
    merged = merge(stats, moments(X[100:].astype(dtype)))
    axes = principal_axes(merged, 2)
    scales = make_scales(axes, merged, "squared_error", output_activation, dtype)
    scales = replace(
        scales,
        output_offset=network.scales.output_offset,
        output_scale=network.scales.output_scale,
    )
    coefs, intercepts = list(network.coefs), list(network.intercepts)
    mean = merged.mean.astype(dtype)
    carry_over(coefs, intercepts, 2, (network.mean, network.scales), (mean, scales))
    # The same linear paths (the PCA is the old one), in the new units.
    moved = Network(
        mean, network.components, coefs, intercepts, network.activations, scales
    )
    moved_linear_only = replace(
        moved, coefs=[0 * c for c in coefs], intercepts=[0 * b for b in intercepts]
    )
    old_linear_only = replace(
        network,
        coefs=[0 * c for c in network.coefs],
        intercepts=[0 * b for b in network.intercepts],
    )
    # Corrections of the codes and of the reconstructions, in X's units.
    Z_old = encode(X, network) - encode(X, old_linear_only)
    Z_new = encode(X, moved) - encode(X, moved_linear_only)
    assert_allclose(Z_new, Z_old, rtol=rtol, atol=rtol * np.abs(Z_old).max())
    Z = encode(X, network)
    X_old = decode(Z, network) - decode(Z, old_linear_only)
    X_new = decode(Z, moved) - decode(Z, moved_linear_only)
    assert_allclose(X_new, X_old, rtol=rtol, atol=rtol * np.abs(X_old).max())


@pytest.mark.parametrize("tied", [False, True])
def test_matched_axes_keep_each_correction_with_its_axis(X, tied):
    # A later chunk swaps the first two axes and flips one: every code,
    # correction included, must still be the same function of X, in the new
    # order (the sorted-file case of partial_fit).
    X = X[:, 3:] / X[:, 3:].std(axis=0)
    network, _ = random_network(X, 3, "identity", np.float64)
    coefs, intercepts = list(network.coefs), list(network.intercepts)
    if tied:
        coefs[3] = coefs[2].T
        network = replace(network, coefs=list(coefs))
    order, signs = np.array([1, 0, 2]), np.array([1.0, -1.0, 1.0])
    refitted = network.components[order] * signs[:, None]
    components, scales = match_axes(
        refitted, network.components, coefs, intercepts, 2, network.scales
    )
    assert_allclose(components, network.components[order])
    if tied:
        assert_allclose(coefs[3], coefs[2].T)
    moved = replace(
        network,
        components=components,
        coefs=coefs,
        intercepts=intercepts,
        scales=scales,
    )
    Z = encode(X, network)
    assert_allclose(encode(X, moved), Z[:, order], rtol=1e-12, atol=1e-12)
    assert_allclose(decode(Z[:, order], moved), decode(Z, network), rtol=1e-12)
