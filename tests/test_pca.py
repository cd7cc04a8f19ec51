"""Tests for the running moments and the principal axes of the linear paths."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA

import skae._pca
from skae._pca import check_width, merge, moments, principal_axes


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
