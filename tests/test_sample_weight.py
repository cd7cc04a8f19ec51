"""sample_weight in fit, partial_fit and score: frequency weights, routed by metadata.

A weight of k counts as k copies of the row and a weight of 0 as no row: the
PCA start is exactly that of the repeated rows, L-BFGS (full batch,
deterministic) follows the repeated rows up to round-off, and the stochastic
solvers minimise the same objective along another path.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoencoderTransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PCA_ATTRIBUTES = (
    "mean_",
    "components_",
    "explained_variance_",
    "explained_variance_ratio_",
    "singular_values_",
    "noise_variance_",
    "n_samples_",
)


@pytest.fixture
def weights():
    """Integer weights 0 to 3 for the 300 digits, zeros included."""
    return np.random.RandomState(1).randint(0, 4, size=300).astype(np.float64)


def small(solver="lbfgs", **params):
    """A small, seeded autoencoder; L-BFGS by default, for deterministic fits.

    Trained on all rows (``early_stopping=False``): the folds of "auto" hold
    out a weighted row as one row and its repetitions apart, so only the
    objective, not the choice of length, can match.
    """
    settings = dict(
        n_components=3,
        hidden_layer_sizes=(8,),
        solver=solver,
        max_iter=20,
        early_stopping=False,
        random_state=0,
    )
    return AutoencoderTransformer(**{**settings, **params})


def assert_same_pca(model, expected, rtol=1e-10):
    for name in PCA_ATTRIBUTES:
        assert_allclose(
            getattr(model, name), getattr(expected, name), rtol=rtol, atol=1e-10
        )


# --- the three equivalences ---------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_unit_weights_are_no_weights_bitwise(digits, solver):
    ones = np.ones(len(digits))
    plain, weighted = small(solver).fit(digits), small(solver).fit(digits, ones)
    for a, b in zip(
        plain.coefs_ + plain.intercepts_,
        weighted.coefs_ + weighted.intercepts_,
        strict=True,
    ):
        assert_array_equal(a, b)
    assert plain.loss_curve_ == weighted.loss_curve_
    assert plain.n_samples_ == weighted.n_samples_ == 300
    assert plain.score(digits) == weighted.score(digits, sample_weight=ones)
    if solver != "lbfgs":
        plain.partial_fit(digits)
        weighted.partial_fit(digits, sample_weight=ones)
        assert_array_equal(plain.transform(digits), weighted.transform(digits))


@pytest.mark.parametrize("output_activation", ["identity", "logistic"])
def test_zero_weights_equal_removed_rows(digits, weights, output_activation):
    kept = weights > 0
    # Extremes in the removed rows must not widen a logistic output's range.
    X = digits.copy()
    X[~kept, 0] = 100.0
    params = dict(output_activation=output_activation)
    removed = small(**params).fit(X[kept])
    weighted = small(**params).fit(X, sample_weight=kept.astype(np.float64))
    assert_same_pca(weighted, removed)
    assert_allclose(weighted.loss_curve_, removed.loss_curve_, rtol=1e-9)
    Z = removed.transform(X[kept])
    assert_allclose(weighted.transform(X[kept]), Z, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize(
    "container, params",
    [
        (np.asarray, {}),
        (sp.csr_matrix, {}),
        # The code penalties are weighted means over the samples too.
        (np.asarray, dict(sparsity=0.05)),
        (np.asarray, dict(contractive=0.05)),
        (np.asarray, dict(tied_weights=True)),
    ],
)
def test_integer_weights_equal_repeated_rows(digits, weights, container, params):
    repeated_rows = digits.repeat(weights.astype(int), axis=0)
    repeated = small(**params).fit(container(repeated_rows))
    weighted = small(**params).fit(container(digits), sample_weight=weights)
    # The PCA start is computed from the same sums: equal up to round-off.
    assert_same_pca(weighted, repeated)
    assert weighted.n_samples_ == weights.sum() == len(repeated_rows)
    # L-BFGS minimises the same objective from the same start, with no
    # randomness: the same model, up to round-off amplified over 20 iterations.
    assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-8)
    Z = repeated.transform(digits)
    assert_allclose(weighted.transform(digits), Z, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_stochastic_solvers_match_repeated_rows_closer_than_two_seeds(digits, solver):
    # 200 rows of weights 0, 1, 3, 4 sum to 400: in batches of 100 rows an
    # epoch over the repeated rows holds 4 steps, one over the weighted rows
    # 2, so the weighted fit runs twice the epochs for as many steps. What
    # still differs is which rows share a batch: the gap to the repeated fit
    # is then within 5 % of the gain over PCA, where two seeds of the same
    # fit differ by up to 9 % (adam) and 25 % (sgd) of it (measured: 1.5 %
    # and 0.2 %).
    X = digits[:200]
    weights = np.random.RandomState(0).permutation(np.repeat([0.0, 1, 3, 4], 50))
    params = dict(hidden_layer_sizes=(16,), batch_size=100)
    repeated = small(solver, max_iter=50, **params)
    repeated.fit(X.repeat(weights.astype(int), axis=0))
    weighted = small(solver, max_iter=100, **params).fit(X, sample_weight=weights)
    assert_same_pca(weighted, repeated)
    pca_score = -repeated._scales.pca_mse
    score = repeated.score(X, sample_weight=weights)
    gain = score - pca_score
    assert gain > 0
    assert abs(weighted.score(X, sample_weight=weights) - score) <= 0.05 * gain


# --- what the weights weigh ---------------------------------------------------------


def test_weighted_score_is_the_weighted_mean_error(digits, weights):
    ae = small().fit(digits, sample_weight=weights)
    errors = -ae.score_samples(digits)
    assert_allclose(
        ae.score(digits, sample_weight=weights),
        -np.average(errors, weights=weights),
        rtol=1e-12,
    )
    assert ae.score(digits, sample_weight=weights) != ae.score(digits)


@pytest.mark.parametrize("hidden", [(), (8,)])
def test_loss_is_the_weighted_training_error(digits, weights, hidden):
    # With alpha=0 the objective is the weighted mean squared error, -score
    # with the same weights; a linear network is PCA, whose error that is.
    ae = small(hidden_layer_sizes=hidden, alpha=0.0, max_iter=30)
    ae.fit(digits, sample_weight=weights)
    assert_allclose(ae.loss_, -ae.score(digits, sample_weight=weights), rtol=1e-10)


def test_weights_summing_to_one_give_weighted_variances(digits, weights):
    # Proportions rather than counts: the same axes as the integer weights,
    # and the weighted variances with no n - 1 correction (see Notes).
    counts = small(hidden_layer_sizes=()).fit(digits, sample_weight=weights)
    shares = small(hidden_layer_sizes=()).fit(digits, sample_weight=weights / 300)
    assert_allclose(shares.components_, counts.components_, atol=1e-10)
    assert_allclose(
        shares.explained_variance_ratio_, counts.explained_variance_ratio_, rtol=1e-9
    )
    assert shares.n_samples_ == pytest.approx(weights.sum() / 300)
    normalised = small(hidden_layer_sizes=()).fit(
        digits, sample_weight=weights / weights.sum()
    )
    assert normalised.n_samples_ == pytest.approx(1.0)
    Z = (digits - normalised.mean_) @ normalised.components_.T
    variance = np.average(Z**2, axis=0, weights=weights)
    assert_allclose(normalised.explained_variance_, variance, rtol=1e-9)
    # And training on them stays finite (the penalty is divided by sum(w)).
    ae = small(solver="adam", max_iter=5).fit(
        digits, sample_weight=weights / weights.sum()
    )
    assert np.isfinite(ae.loss_) and np.all(np.isfinite(ae.transform(digits)))


def test_partial_fit_merges_weighted_statistics(digits, weights):
    ae = small(solver="adam")
    ae.partial_fit(digits[:100])  # unweighted: weights of 1
    ae.partial_fit(digits[100:200], sample_weight=weights[100:200])
    ae.partial_fit(digits[200:], sample_weight=weights[200:])
    all_weights = np.concatenate([np.ones(100), weights[100:]])
    whole = small(solver="adam", max_iter=1).fit(digits, sample_weight=all_weights)
    # partial_fit keeps each component's sign from one call to the next.
    signs = np.sign(np.sum(ae.components_ * whole.components_, axis=1))
    ae.components_ = ae.components_ * signs[:, None]
    assert_same_pca(ae, whole, rtol=1e-9)
    assert ae.n_samples_ == 100 + weights[100:].sum()


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_weighted_input_matches_dense(digits, weights, solver):
    dense = small(solver, max_iter=5).fit(digits, sample_weight=weights)
    sparse = small(solver, max_iter=5).fit(sp.csr_matrix(digits), sample_weight=weights)
    assert_same_pca(sparse, dense)
    assert_allclose(
        sparse.transform(digits), dense.transform(digits), rtol=1e-8, atol=1e-8
    )


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_weighted_fit_stays_float32(digits, weights, solver):
    X32 = digits.astype(np.float32)
    ae = small(solver, max_iter=5).fit(X32, sample_weight=weights.astype(np.float32))
    assert all(c.dtype == np.float32 for c in ae.coefs_ + ae.intercepts_)
    assert ae.transform(X32).dtype == np.float32
    ae64 = small(solver, max_iter=5).fit(digits, sample_weight=weights)
    assert_allclose(ae.components_, ae64.components_, rtol=1e-4, atol=1e-5)
    Z, Z64 = ae.transform(X32), ae64.transform(digits)
    assert np.linalg.norm(Z - Z64) <= 1e-2 * np.linalg.norm(Z64)


def test_early_stopping_with_weights(digits, weights):
    ae = small(solver="adam", early_stopping=True, max_iter=10)
    ae.fit(digits, sample_weight=weights)
    assert len(ae.validation_scores_) == ae.n_iter_
    assert np.all(np.isfinite(ae.validation_scores_))
    # One row of positive weight: the training rows or the validation rows
    # weigh nothing, whichever way the split falls.
    weights = np.zeros(300)
    weights[0] = 1
    with pytest.raises(ValueError, match="rows of early_stopping are all zero"):
        small(solver="adam", early_stopping=True).fit(digits, sample_weight=weights)


def test_batches_of_zero_weight_leave_no_nan(digits):
    weights = np.ones(300)
    weights[:200] = 0
    ae = small(solver="adam", shuffle=False, batch_size=50, max_iter=5)
    ae.fit(digits, sample_weight=weights)
    assert np.isfinite(ae.loss_)
    assert np.all(np.isfinite(ae.transform(digits)))


# --- metadata routing ---------------------------------------------------------------


def test_weights_are_routed_through_a_pipeline(digits, weights):
    with config_context(enable_metadata_routing=True):
        ae = small().set_fit_request(sample_weight=True)
        ae.set_score_request(sample_weight=True)
        # As the last step: fit and score.
        pipe = Pipeline([("scale", MinMaxScaler()), ("ae", ae)])
        pipe.fit(digits, sample_weight=weights)
        X = MinMaxScaler().fit_transform(digits)
        alone = small().fit(X, sample_weight=weights)
        assert_array_equal(pipe[-1].transform(X), alone.transform(X))
        assert pipe.score(digits, sample_weight=weights) == alone.score(
            X, sample_weight=weights
        )
        # As a transformer before a classifier: fit_transform gets them.
        y = np.arange(300) % 3
        clf = LogisticRegression(max_iter=50).set_fit_request(sample_weight=False)
        pipe = Pipeline([("ae", ae), ("clf", clf)]).fit(X, y, sample_weight=weights)
        assert_array_equal(pipe[0].transform(X), alone.transform(X))


def test_weights_are_routed_through_a_grid_search(digits, weights):
    cv = KFold(3)
    with config_context(enable_metadata_routing=True):
        ae = small(max_iter=10).set_fit_request(sample_weight=True)
        ae.set_score_request(sample_weight=True)
        grid = GridSearchCV(ae, {"n_components": [2, 3]}, cv=cv)
        grid.fit(digits, sample_weight=weights)
    train, test = next(cv.split(digits))
    for i, n_components in enumerate([2, 3]):
        model = small(max_iter=10, n_components=n_components)
        model.fit(digits[train], sample_weight=weights[train])
        expected = model.score(digits[test], sample_weight=weights[test])
        assert_allclose(grid.cv_results_["split0_test_score"][i], expected, rtol=1e-12)
    assert grid.best_estimator_.n_samples_ == weights.sum()


def test_every_weighted_method_can_be_requested():
    ae = AutoencoderTransformer()
    with config_context(enable_metadata_routing=True):
        assert ae.set_fit_request(sample_weight=True) is ae
        assert ae.set_partial_fit_request(sample_weight=True) is ae
        assert ae.set_score_request(sample_weight=True) is ae
        routing = ae.get_metadata_routing()
    for method in ("fit", "partial_fit", "score"):
        assert getattr(routing, method).requests == {"sample_weight": True}
    assert routing.transform.requests == {}


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_weights, message",
    [
        (lambda n: -np.ones(n), "Negative values in data passed to `sample_weight`"),
        (lambda n: np.ones(n - 1), r"sample_weight.shape == \(\d+,\), expected"),
        (lambda n: np.full(n, np.nan), "Input sample_weight contains NaN"),
        (lambda n: np.full(n, np.inf), "Input sample_weight contains infinity"),
        (lambda n: np.zeros(n), "at least one non-zero"),
        (lambda n: np.ones((n, 2)), "1D array"),
    ],
    ids=["negative", "length", "nan", "inf", "all-zero", "2d"],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit", "score"])
def test_bad_weights_are_rejected_clearly(digits, make_weights, message, method):
    ae = small(solver="adam", max_iter=2)
    if method == "score":
        ae.fit(digits)
    with pytest.raises(ValueError, match=message):
        getattr(ae, method)(digits, sample_weight=make_weights(len(digits)))
