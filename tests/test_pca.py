"""Tests for the running moments and the principal axes of the linear paths."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA

import skae._pca
from skae import AutoencoderTransformer
from skae._pca import (
    choose_solver,
    fit_axes,
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
    monkeypatch.setattr(skae._pca, "_MOMENT_ROWS", 7)
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


def stock_days(n_days=65, seed=0):
    """A stock's open, high, low, close and volume: prices near 30 that move
    by cents, a volume of tens of millions (as matplotlib's msft.csv)."""
    rng = np.random.RandomState(seed)
    close = 28 + np.cumsum(rng.normal(scale=0.3, size=n_days))
    prices = close[:, None] + rng.normal(scale=0.2, size=(n_days, 4))
    volume = 6e7 + 1.5e7 * rng.normal(size=n_days)
    return np.column_stack([prices, volume])


@pytest.mark.parametrize("n_components", [3, 4])
def test_auto_keeps_the_axes_that_mixed_units_hide_from_the_scatter(n_components):
    # The scatter's eigenvalues are accurate to about 1e-16 times the volume's
    # variance (2e14), more than the prices' variances beyond the first: from
    # it, the third and fourth axes came out as zero.
    X = stock_days()
    pca = PCA(n_components, svd_solver="full").fit(X)
    _, axes = fit_axes(X, n_components, "auto", {})
    assert_allclose(axes.explained_variance, pca.explained_variance_, rtol=1e-6)
    assert_allclose(np.abs(axes.components), np.abs(pca.components_), atol=1e-6)


@pytest.mark.parametrize("n_components", [2, 3, 4])
def test_mixed_units_held_out_error_is_pcas(n_components):
    X = stock_days()
    model = AutoencoderTransformer(n_components, random_state=0).fit(X[:45])
    pca = PCA(n_components, svd_solver="full").fit(X[:45])
    errors = [np.mean((m.inverse_transform(m.transform(X[45:])) - X[45:]) ** 2)
              for m in (model, pca)]  # fmt: skip
    assert errors[0] <= errors[1] * 1.001


def test_the_exact_spectrum_weighs_and_selects_rows_as_the_scatter():
    X = stock_days(200)
    weights = np.random.RandomState(1).randint(0, 3, size=200).astype(float)
    rows = np.arange(0, 200, 2)
    _, weighted = fit_axes(X, 4, "auto", {}, rows, weights)
    repeated = X[rows].repeat(weights[rows].astype(int), axis=0)
    _, expected = fit_axes(repeated, 4, "auto", {})
    assert_allclose(weighted.explained_variance, expected.explained_variance, rtol=1e-6)
    _, sparse = fit_axes(sp.csr_array(X[rows]), 4, "auto", {})
    _, dense = fit_axes(X[rows], 4, "auto", {})
    assert_allclose(sparse.explained_variance, dense.explained_variance, rtol=1e-9)


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
    monkeypatch.setattr(skae._pca, "_MOMENT_ROWS", 7)
    X = np.where(np.abs(X) < 1, 0, X).astype(dtype)
    # Weighted sums are accumulated in float64 whatever the dtype of X, so the
    # reference is the float64 moments of the same values, repeated; only the
    # scatter's products of float32 data are float32 (as PCA's).
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    repeated = moments(X.astype(np.float64).repeat(weights.astype(int), axis=0))
    weighted = moments(container(X), sample_weight=weights)
    assert_same_moments(weighted, repeated, rtol=rtol, atol=1e-7)
    assert weighted.n_rows == np.count_nonzero(weights)
    # And so are the principal axes and all their variances, noise_variance
    # included, whose rank bound is the number of repeated rows. (X has rank
    # 4: beyond it the components are any basis of the null space.)
    for n_components in (2, 4):
        expected = principal_axes(repeated, n_components)
        axes = principal_axes(weighted, n_components, eps=np.finfo(dtype).eps)
        for name, value in vars(expected).items():
            assert_allclose(getattr(axes, name), value, rtol=rtol * 1e3, atol=1e-9)


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


# --- the PCA drop-in: n_components as PCA takes it ---------------------------------


def linear(n_components=None, **params):
    """A linear network: PCA itself, which fit computes without training."""
    return AutoencoderTransformer(n_components, hidden_layer_sizes=(), **params)


def assert_same_pca(ae, pca, rtol=1e-7):
    """The PCA attributes of ``ae`` are ``pca``'s, each axis up to its sign."""
    assert ae.n_components_ == pca.n_components_
    for name in ("explained_variance_", "explained_variance_ratio_", "mean_"):
        assert_allclose(getattr(ae, name), getattr(pca, name), rtol=rtol, atol=1e-10)
    # Beyond the data's rank PCA's axes are any basis of the null space, ours 0.
    rank = ae.explained_variance_ > 0
    assert np.all(pca.explained_variance_[~rank] < 1e-12)
    assert np.all(ae.components_[~rank] == 0)
    assert_allclose(
        np.abs(ae.components_[rank]), np.abs(pca.components_[rank]), atol=1e-6
    )
    assert_allclose(ae.noise_variance_, pca.noise_variance_, rtol=1e-6, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_components", [5, 0.8, 0.95, None, "mle"])
def test_n_components_is_chosen_as_pca_chooses_it(digits, n_components):
    ae = linear(n_components).fit(digits)
    pca = PCA(n_components).fit(digits)
    assert_same_pca(ae, pca)
    assert ae.n_iter_ == 0
    # With hidden layers the width chosen is the same.
    deep = AutoencoderTransformer(n_components, max_iter=2, random_state=0)
    assert deep.fit(digits).n_components_ == pca.n_components_


def test_the_default_is_pca_and_trains_nothing(digits):
    # AutoencoderTransformer() is PCA(): every component, reconstructing the
    # training data exactly, with nothing left for the correction to learn.
    ae = AutoencoderTransformer().fit(digits)
    pca = PCA().fit(digits)
    assert ae.n_components_ == min(digits.shape) == pca.n_components_
    assert ae.n_iter_ == 0 and ae.loss_curve_ == []
    assert_allclose(
        ae.explained_variance_ratio_, pca.explained_variance_ratio_, atol=1e-12
    )
    assert_allclose(ae.inverse_transform(ae.transform(digits)), digits, atol=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_codes_spanning_the_data_train_nothing():
    # Rank 3 in 6 columns: 3 codes already reconstruct every row, and the
    # components beyond the rank are zero rows, as the docs say.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 6)) + 5
    ae = AutoencoderTransformer(5, random_state=0).fit(X)
    assert ae.n_iter_ == 0
    assert np.all(ae.components_[3:] == 0) and np.all(ae.explained_variance_[3:] == 0)
    assert_allclose(ae.components_[:3] @ ae.components_[:3].T, np.eye(3), atol=1e-12)
    assert_allclose(ae.inverse_transform(ae.transform(X)), X, atol=1e-9)
    # Fewer codes than the rank train as before.
    fewer = AutoencoderTransformer(2, max_iter=3, early_stopping=False, random_state=0)
    assert fewer.fit(X).n_iter_ == 3


@pytest.mark.parametrize(
    "params, shape, message",
    [
        (dict(n_components=7), (5, 10), r"n_components=7 must be between 1 and "),
        (dict(n_components=11), (50, 10), r"min\(n_samples, n_features\)=10"),
        (
            dict(n_components=0.9, svd_solver="randomized"),
            (50, 10),
            "n_components=0.9 is chosen from the whole spectrum",
        ),
        (dict(n_components="mle"), (5, 10), "n_components='mle' is only supported"),
        (
            dict(n_components=9, svd_solver="arpack"),
            (50, 9),
            "min\\(n_samples, n_features\\)=9 minus 1",
        ),
    ],
)
def test_n_components_that_pca_refuses_are_refused(params, shape, message):
    X = np.random.RandomState(0).normal(size=shape)
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer(**params).fit(X)
    with pytest.raises(ValueError):
        PCA(**params).fit(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_failed_refit_leaves_the_model_as_it_was(digits):
    ae = AutoencoderTransformer(3, max_iter=2, random_state=0).fit(digits)
    before = ae.transform(digits)
    with pytest.raises(ValueError, match="n_components=70"):
        ae.set_params(n_components=70).fit(digits)
    assert_array_equal(ae.transform(digits), before)


def test_partial_fit_takes_an_int_or_none_as_incremental_pca(digits):
    ae = AutoencoderTransformer(random_state=0).partial_fit(digits[:40])
    assert ae.n_components_ == 40  # min(n_samples, n_features) of the first chunk
    ae.partial_fit(digits[40:100])
    assert ae.n_components_ == 40
    with pytest.raises(ValueError, match="partial_fit cannot take n_components=0.9"):
        AutoencoderTransformer(0.9).partial_fit(digits)
    with pytest.raises(ValueError, match="at most n_features=64"):
        AutoencoderTransformer(65).partial_fit(digits)


# --- whiten --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_whitened_linear_network_is_whitened_pca(digits, dtype):
    X = digits.astype(dtype)
    ae = linear(5, whiten=True).fit(X)
    pca = PCA(5, whiten=True).fit(X)
    Z, Z_pca = ae.transform(X), pca.transform(X)
    assert Z.dtype == dtype
    signs = np.sign(np.sum(Z * Z_pca, axis=0))
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    assert_allclose(Z * signs, Z_pca, rtol=rtol, atol=rtol * np.abs(Z_pca).max())
    assert_allclose(Z.var(axis=0, ddof=1), 1, rtol=rtol)
    assert_allclose(ae.inverse_transform(Z), pca.inverse_transform(Z_pca), atol=1e-3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_whitening_is_undone_exactly_and_changes_nothing_else(digits):
    params = dict(n_components=4, hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    plain = AutoencoderTransformer(**params).fit(digits)
    white = AutoencoderTransformer(whiten=True, **params).fit(digits)
    Z = white.transform(digits)
    assert_allclose(Z * np.sqrt(white.explained_variance_), plain.transform(digits))
    assert_allclose(
        white.inverse_transform(Z), plain.inverse_transform(plain.transform(digits))
    )
    assert white.score(digits) == plain.score(digits)
    # Codes of the axes beyond the data's rank are 0, not NaN.
    full = linear(64, whiten=True).fit(digits)
    assert np.all(np.isfinite(full.transform(digits)))


# --- defects of the PCA path ------------------------------------------------------


@pytest.mark.parametrize(
    "make_X",
    [
        # A large common offset in float32, which the uncentred sparse scatter
        # accumulated in float32 rotated the components.
        lambda rng: (1000 + rng.normal(size=(50, 6))).astype(np.float32),
        # One column offset by 1e8 in float64.
        lambda rng: rng.normal(size=(50, 6)) + [0, 0, 1e8, 0, 0, 0],
        # float32 values near 1e19, whose squares overflow float32 summed.
        lambda rng: (rng.normal(size=(50, 6)) * 1e19).astype(np.float32),
    ],
)
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_input_gives_the_pca_of_the_same_data_dense(rng, make_X, container):
    X = make_X(rng)
    dense = linear(2).fit(X)
    sparse = linear(2).fit(container(X))
    for name in ("mean_", "explained_variance_", "components_"):
        assert_allclose(getattr(sparse, name), getattr(dense, name), rtol=1e-6)
    assert np.isfinite(sparse.score(container(X)))
    # And the PCA of the data in float64 (to float32 round-off for float32).
    pca = PCA(2, svd_solver="full").fit(X.astype(np.float64))
    assert_allclose(dense.explained_variance_, pca.explained_variance_, rtol=1e-5)


def test_log_loss_range_counts_duplicate_entries_summed():
    # Two stored entries of 0.6 at the same place are one entry of 1.2.
    X = sp.csr_matrix(
        (np.array([0.6, 0.6, 0.5]), np.array([0, 0, 1]), np.array([0, 2, 3])),
        shape=(2, 2),
    )
    assert X.toarray()[0, 0] == pytest.approx(1.2)
    ae = AutoencoderTransformer(1, output_activation="logistic", loss="log_loss")
    with pytest.raises(ValueError, match="needs data in \\[0, 1\\]"):
        ae.fit(X)
    assert not X.has_canonical_format  # the user's matrix is left as it was


def test_partial_fit_keeps_each_correction_with_its_axis_when_axes_swap(
    rng, monkeypatch
):
    # A sorted file: the first chunk spreads most along the first column, the
    # second so much more along the second that the two axes swap places.
    first = rng.normal(size=(200, 4)) * [3.0, 1.0, 0.3, 0.1]
    second = rng.normal(size=(200, 4)) * [3.0, 100.0, 0.3, 0.1]
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), batch_size=20, random_state=0
    )
    for _ in range(10):
        ae.partial_fit(first)
    assert np.abs(ae.components_[0, 0]) > 0.99
    code_layer = ae.coefs_[1].copy()
    # No training in the next call: only what the refitted start does to the
    # correction is left to see.
    monkeypatch.setattr(
        AutoencoderTransformer,
        "_train",
        lambda self, X, make_start, history, *_: (make_start(), history),
    )
    ae.partial_fit(second[:20])
    assert np.abs(ae.components_[0, 1]) > 0.99  # the axes swapped

    def cosine(a, b):
        return abs(a @ b) / np.linalg.norm(a) / np.linalg.norm(b)

    # The code unit of each axis moved with it (rescaled to the new scales).
    for new, old in ((0, 1), (1, 0)):
        assert cosine(ae.coefs_[1][:, new], code_layer[:, old]) > 1 - 1e-12
        assert cosine(code_layer[:, new], code_layer[:, old]) < 1 - 1e-3


# --- any width -------------------------------------------------------------------


@pytest.fixture(scope="module")
def wide():
    """300 rows of 1500 columns (wider than narrow data), rank 10 plus noise."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 1500))
    return X + 0.1 * rng.normal(size=X.shape) + 50


@pytest.mark.parametrize(
    "svd_solver, container",
    [
        ("auto", np.asarray),
        ("randomized", np.asarray),
        ("arpack", np.asarray),
        ("full", np.asarray),
        ("auto", sp.csr_matrix),
        ("randomized", sp.csr_matrix),
    ],
)
def test_wide_data_start_is_pcas_without_the_scatter(wide, svd_solver, container):
    ae = linear(5, svd_solver=svd_solver, random_state=0).fit(container(wide))
    pca = PCA(5, svd_solver="full").fit(wide)
    assert_allclose(ae.explained_variance_, pca.explained_variance_, rtol=1e-6)
    assert_allclose(np.abs(ae.components_ @ pca.components_.T), np.eye(5), atol=1e-6)
    assert ae._moments.scatter is None
    assert ae.score(container(wide)) == pytest.approx(
        -np.mean((pca.inverse_transform(pca.transform(wide)) - wide) ** 2), rel=1e-6
    )


def test_full_solver_refuses_sparse_input(wide):
    with pytest.raises(ValueError, match="svd_solver='full' needs dense X"):
        linear(5, svd_solver="full").fit(sp.csr_matrix(wide))


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_wide_partial_fit_keeps_a_low_rank_running_pca(wide, container):
    ae = linear(5, random_state=0)
    for rows in np.array_split(np.arange(300), 4):
        ae.partial_fit(container(wide[rows]))
    assert ae._moments.scatter is None
    assert ae._moments.factor.shape[0] <= 2 * 5 + 10
    pca = PCA(5, svd_solver="full").fit(wide)
    # IncrementalPCA's low-rank merge, with room for 20 axes, is this close.
    assert_allclose(ae.explained_variance_, pca.explained_variance_, rtol=1e-3)
    assert_allclose(ae.mean_, pca.mean_, rtol=1e-12)


def test_weighted_wide_start_equals_repeated_rows(wide):
    weights = np.random.RandomState(1).randint(0, 3, size=300).astype(float)
    weighted = linear(4, svd_solver="arpack", random_state=0)
    weighted.fit(wide, sample_weight=weights)
    repeated = PCA(4, svd_solver="full").fit(wide.repeat(weights.astype(int), axis=0))
    assert_allclose(
        weighted.explained_variance_, repeated.explained_variance_, rtol=1e-8
    )
    assert_allclose(weighted.mean_, repeated.mean_, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("svd_solver", ["randomized", "arpack", "full"])
def test_small_axes_of_float32_wide_data_are_not_round_off(svd_solver):
    # Axes of variance 1e-5 of the first are data, not round-off, and a start
    # that leaves them out is not exact: training runs.
    rng = np.random.RandomState(0)
    scales = np.logspace(0, -2.5, 8)  # variances 1 ... 1e-5
    basis = np.linalg.qr(rng.normal(size=(1500, 8)))[0].T
    X = ((rng.normal(size=(300, 8)) * scales) @ basis).astype(np.float32)
    ae = linear(8, svd_solver=svd_solver, random_state=0).fit(X)
    assert np.all(ae.explained_variance_ > 0)
    deep = AutoencoderTransformer(
        4, svd_solver=svd_solver, max_iter=2, early_stopping=False, random_state=0
    )
    assert deep.fit(X).n_iter_ == 2


def test_auto_takes_the_covariance_of_narrow_sparse_data_with_few_rows():
    # ARPACK's result would move with the rows' repetition at round-off.
    assert choose_solver("auto", (15, 30), True, 2) == "covariance_eigh"
    assert choose_solver("auto", (15, 30), False, 2) == "full"
    assert choose_solver("auto", (15, 3000), True, 2) == "arpack"


@pytest.mark.parametrize("svd_solver", ["arpack", "randomized"])
def test_truncated_solvers_leave_the_weights_drawn_after_them_alone(svd_solver):
    # A solver's draws depend on the data's shape; the network's weights,
    # drawn after them, must not: weighted rows then train as repeated rows.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 40))  # fewer rows than columns: draws per row
    weights = rng.randint(1, 3, size=10)
    params = dict(
        n_components=2,
        svd_solver=svd_solver,
        solver="sgd",
        early_stopping=False,
        max_iter=3,
        random_state=0,
    )
    weighted = AutoencoderTransformer(**params).fit(X, sample_weight=weights)
    repeated = AutoencoderTransformer(**params).fit(X.repeat(weights, axis=0))
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        assert_allclose(a, b, atol=1e-10)
