"""Tests for the running moments and the principal axes of the linear paths."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA

import skae._pca
from skae._pca import (
    check_width,
    merge,
    moments,
    principal_axes,
    variance_denominator,
)


@pytest.fixture
def X():
    """Correlated columns of different scales, one of them constant."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) * [1, 10, 0.1, 3, 1, 1]
    X[:, 4] = 2.5
    return X


def test_moments_match_numpy_and_are_accumulated_in_chunks(X, monkeypatch):
    monkeypatch.setattr(skae._pca, "_CHUNK_ROWS", 7)
    stats = moments(X)
    centred = X - X.mean(axis=0)
    assert stats.n_samples == 300
    assert_allclose(stats.mean, X.mean(axis=0), rtol=1e-13)
    assert_allclose(stats.scatter, centred.T @ centred, rtol=1e-11, atol=1e-9)
    assert_allclose(stats.low, X.min(axis=0))
    assert_allclose(stats.high, X.max(axis=0))


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_moments_equal_dense(X, container):
    X = np.where(np.abs(X) < 1, 0, X)
    dense, sparse = moments(X), moments(container(X))
    for name in ("mean", "scatter", "low", "high"):
        assert_allclose(getattr(sparse, name), getattr(dense, name), atol=1e-9)


@pytest.mark.parametrize("sizes", [(1, 299), (100, 100, 100), (37, 200, 63)])
def test_merged_chunks_equal_the_moments_of_all_rows(X, sizes):
    bounds = np.cumsum((0, *sizes))
    stats = moments(X[: bounds[1]])
    for start, stop in zip(bounds[1:-1], bounds[2:], strict=True):
        stats = merge(stats, moments(X[start:stop]))
    whole = moments(X)
    assert stats.n_samples == whole.n_samples
    for name in ("mean", "scatter", "low", "high"):
        assert_allclose(getattr(stats, name), getattr(whole, name), atol=1e-9)


@pytest.mark.parametrize("n_components", [1, 3, 5])
def test_principal_axes_are_pcas(X, n_components):
    axes = principal_axes(moments(X), n_components)
    pca = PCA(n_components, svd_solver="full").fit(X)
    assert_allclose(axes.components, pca.components_, atol=1e-9)
    for name in (
        "explained_variance",
        "explained_variance_ratio",
        "singular_values",
        "noise_variance",
    ):
        assert_allclose(getattr(axes, name), getattr(pca, name + "_"), rtol=1e-9)
    # What the components leave of each column's variance.
    residual = X - pca.inverse_transform(pca.transform(X))
    assert_allclose(
        axes.residual_variance, residual.var(axis=0, ddof=1), rtol=1e-7, atol=1e-9
    )


def test_more_components_than_features_are_zero(X):
    axes = principal_axes(moments(X[:, :3]), 5)
    assert axes.components.shape == (5, 3)
    assert_allclose(axes.components[:3] @ axes.components[:3].T, np.eye(3), atol=1e-12)
    assert np.all(axes.components[3:] == 0)
    assert np.all(axes.explained_variance[3:] == 0)
    assert axes.noise_variance == 0.0


def test_one_sample_gives_finite_axes():
    axes = principal_axes(moments(np.array([[1.0, 2.0, 3.0]])), 2)
    for value in vars(axes).values():
        assert np.all(np.isfinite(value))


def test_too_wide_data_is_refused_with_the_limit():
    with pytest.raises(ValueError, match="at most 2048 features"):
        check_width(2049)
    check_width(2048)


# --- sample weights: frequency weights, a weight of k is k copies of the row ------


@pytest.fixture
def weights():
    """Integer weights 0 to 3, zeros included, for the 300 rows of X."""
    return np.random.RandomState(1).randint(0, 4, size=300).astype(np.float64)


def assert_same_moments(stats, expected, rtol=1e-12, atol=1e-9):
    assert stats.n_samples == expected.n_samples
    assert stats.n_rows <= expected.n_rows
    for name in ("mean", "scatter", "low", "high"):
        assert_allclose(getattr(stats, name), getattr(expected, name), rtol, atol)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix, sp.csr_array])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_integer_weights_equal_repeated_rows(X, weights, container, dtype, monkeypatch):
    monkeypatch.setattr(skae._pca, "_CHUNK_ROWS", 7)
    X = np.where(np.abs(X) < 1, 0, X).astype(dtype)
    # Weighted sums are accumulated in float64 whatever the dtype of X, so the
    # reference is the float64 moments of the same values, repeated.
    repeated = moments(X.astype(np.float64).repeat(weights.astype(int), axis=0))
    weighted = moments(container(X), sample_weight=weights)
    assert_same_moments(weighted, repeated, atol=1e-7)
    assert weighted.n_rows == np.count_nonzero(weights)
    # And so are the principal axes and all their variances, noise_variance
    # included, whose rank bound is the number of repeated rows. (X has rank
    # 4: beyond it the components are any basis of the null space.)
    for n_components in (2, 4):
        expected = principal_axes(repeated, n_components)
        axes = principal_axes(weighted, n_components)
        for name, value in vars(expected).items():
            assert_allclose(getattr(axes, name), value, rtol=1e-9, atol=1e-9)


def test_integer_weights_equal_repeated_rows_of_wide_data():
    # Fewer samples than features: noise_variance averages the eigenvalues up
    # to the number of samples, the repeated rows for integer weights.
    X = np.random.RandomState(3).normal(size=(6, 20))
    weights = np.array([0.0, 1, 2, 3, 1, 1])
    expected = principal_axes(moments(X.repeat(weights.astype(int), axis=0)), 2)
    axes = principal_axes(moments(X, sample_weight=weights), 2)
    for name, value in vars(expected).items():
        assert_allclose(getattr(axes, name), value, rtol=1e-9, atol=1e-12)


def test_zero_weights_equal_removed_rows(X, weights):
    # The column extremes of the removed rows do not count either.
    X = X.copy()
    X[weights == 0, 0] = 1e6
    kept = weights > 0
    stats = moments(X, sample_weight=kept.astype(np.float64))
    assert_same_moments(stats, moments(X[kept]))
    assert stats.n_samples == kept.sum() == stats.n_rows


def test_weighted_moments_of_some_rows(X, weights):
    rows = np.arange(0, 300, 3)
    stats = moments(X, rows, weights)
    assert_same_moments(stats, moments(X[rows], sample_weight=weights[rows]))


@pytest.mark.parametrize("sizes", [(1, 299), (100, 100, 100), (37, 200, 63)])
def test_merged_weighted_chunks_equal_the_moments_of_all_rows(X, weights, sizes):
    bounds = np.cumsum((0, *sizes))
    # The chunks may come weighted or not, in any mix.
    stats = moments(X[: bounds[1]])
    weights = weights.copy()
    weights[: bounds[1]] = 1
    for start, stop in zip(bounds[1:-1], bounds[2:], strict=True):
        if weights[start:stop].any():
            stats = merge(stats, moments(X[start:stop], None, weights[start:stop]))
    assert_same_moments(stats, moments(X, sample_weight=weights))


def test_fractional_weights_scale_the_sums_not_the_axes(X):
    rng = np.random.RandomState(2)
    weights = rng.uniform(0.5, 2.0, size=300)
    stats = moments(X, sample_weight=weights)
    mean = np.average(X, axis=0, weights=weights)
    centred = X - mean
    assert_allclose(stats.n_samples, weights.sum(), rtol=1e-14)
    assert_allclose(stats.mean, mean, rtol=1e-12)
    assert_allclose(stats.scatter, (centred * weights[:, None]).T @ centred, atol=1e-9)
    # Scaling every weight scales the scatter, and leaves the axes alone.
    doubled = moments(X, sample_weight=3 * weights)
    assert_allclose(doubled.scatter, 3 * stats.scatter, rtol=1e-12, atol=1e-9)
    assert_allclose(
        principal_axes(doubled, 3).components,
        principal_axes(stats, 3).components,
        atol=1e-9,
    )


@pytest.mark.parametrize(
    "n_samples, expected",
    [(1, 1), (2, 1), (300, 299), (1.5, 1.0), (2.5, 1.5), (1.0, 1.0), (0.25, 0.25)],
)
def test_variance_denominator(n_samples, expected):
    assert variance_denominator(n_samples) == expected


def test_weights_summing_to_one_give_the_weighted_variance(X, weights):
    # Proportions, not counts: no correction for the spread of one sample.
    normalised = weights / weights.sum()
    stats = moments(X, sample_weight=normalised)
    axes = principal_axes(stats, 6)
    mean = np.average(X, axis=0, weights=normalised)
    variance = np.average((X - mean) ** 2, axis=0, weights=normalised)
    assert_allclose(
        axes.explained_variance @ axes.components**2 + axes.residual_variance,
        variance,
        rtol=1e-9,
        atol=1e-12,
    )
    assert np.all(np.isfinite(axes.singular_values))
    # The rank bound is the number of rows kept, not the sum of the weights.
    assert (
        axes.noise_variance == principal_axes(moments(X[weights > 0]), 6).noise_variance
    )
