"""AutoencoderOutlierDetector: scikit-learn's outlier-detector contract."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderOutlierDetector

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NEEDS_PANDAS = "needs pandas, from the tests extra: pip install '.[tests]'"


@pytest.fixture(scope="module")
def digits():
    """Training digits without the 3s, and test digits whose 3s are anomalies."""
    X, y = load_digits(return_X_y=True)
    X_train, y_train, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]
    return X_train[y_train != 3], X_test, y_test == 3


def small(**params):
    """A detector that trains in a fraction of a second."""
    return AutoencoderOutlierDetector(
        hidden_layer_sizes=(16,), max_iter=30, random_state=0, **params
    )


@pytest.fixture(scope="module")
def fitted(digits):
    return small().fit(digits[0])


def test_scikit_learn_semantics(digits, fitted):
    X_train, X_test, _ = digits
    labels = fitted.predict(X_test)
    assert labels.dtype.kind == "i"
    assert set(np.unique(labels)) == {-1, 1}
    scores = fitted.score_samples(X_test)
    assert_array_equal(fitted.decision_function(X_test), scores - fitted.offset_)
    assert_array_equal(labels == -1, fitted.decision_function(X_test) < 0)
    assert_array_equal(small().fit_predict(X_train), fitted.predict(X_train))


def test_anomalies_score_lower_than_by_pca(digits, fitted):
    X_train, X_test, is_anomaly = digits
    pca = PCA(fitted.autoencoder_.n_components_).fit(X_train)
    pca_errors = np.mean(
        (pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2, 1
    )
    auc = roc_auc_score(is_anomaly, -fitted.score_samples(X_test))
    assert auc > roc_auc_score(is_anomaly, pca_errors) + 0.03
    labels = fitted.predict(X_test)
    assert (labels[is_anomaly] == -1).mean() > 3 * (labels[~is_anomaly] == -1).mean()


@pytest.mark.parametrize("contamination", [0.05, 0.2, 0.5])
def test_contamination_is_the_share_of_training_rows_flagged(digits, contamination):
    X_train = digits[0]
    detector = small(contamination=contamination).fit(X_train)
    flagged = (detector.predict(X_train) == -1).mean()
    assert abs(flagged - contamination) <= 1 / len(X_train)


def test_auto_contamination_flags_a_few_training_rows(digits, fitted):
    flagged = (fitted.predict(digits[0]) == -1).mean()
    assert 0 < flagged < 0.15


def test_score_is_scaled_error_plus_code_distance(digits, fitted):
    X_train, X_test, _ = digits
    expected = -(
        fitted.reconstruction_errors(X_test).mean(axis=1)
        + fitted.code_weight * fitted.code_distances(X_test)
    )
    assert_allclose(fitted.score_samples(X_test), expected, rtol=1e-12)
    # Both terms average 1 over the training rows, whatever the units of X.
    assert_allclose(fitted.reconstruction_errors(X_train).mean(), 1, rtol=1e-10)
    assert_allclose(fitted.code_distances(X_train).mean(), 1, rtol=1e-10)


def test_weighting_none_ranks_as_the_autoencoder(digits):
    X_train, X_test, _ = digits
    detector = small(weighting=None, code_weight=0.0).fit(X_train)
    assert np.ptp(detector.feature_scales_) == 0
    assert_allclose(
        detector.score_samples(X_test) * detector.feature_scales_[0],
        detector.autoencoder_.score_samples(X_test),
        rtol=1e-10,
    )


def test_weighting_balances_columns_in_mixed_units():
    """On raw wine, whose proline column is in units 100 times larger than
    most, the plain error is proline's error; the weighted one ranks better.
    """
    X, y = load_wine(return_X_y=True)
    X_train, X_test = X[y != 0][::2], np.vstack([X[y != 0][1::2], X[y == 0][:10]])
    is_anomaly = np.r_[np.zeros(len(X[y != 0][1::2]), bool), np.ones(10, bool)]
    aucs = {}
    for weighting in ("error", None):
        detector = small(weighting=weighting, code_weight=0.0).fit(X_train)
        aucs[weighting] = roc_auc_score(is_anomaly, -detector.score_samples(X_test))
    assert aucs["error"] > aucs[None] + 0.02


def test_explanations_find_the_abnormal_features(digits, fitted):
    X_test = digits[1][:20].copy()
    X_test[:, 32:40] = 16  # a stroke across the middle row of pixels
    errors = fitted.reconstruction_errors(X_test)
    assert errors.shape == X_test.shape
    worst = np.argsort(errors, axis=1)[:, -4:]
    assert np.isin(worst, np.arange(32, 40)).mean() > 0.75


def test_same_random_state_same_bits(digits, fitted):
    X_train, X_test, _ = digits
    again = clone(fitted).fit(X_train)
    assert_array_equal(again.score_samples(X_test), fitted.score_samples(X_test))
    assert again.offset_ == fitted.offset_


def test_sample_weight(digits):
    """Zero weights remove rows; weights reach the autoencoder."""
    X_train, X_test, _ = digits
    params = dict(autoencoder_params={"solver": "lbfgs"}, contamination=0.1)
    weights = np.ones(len(X_train))
    weights[::3] = 0
    weighted = small(**params).fit(X_train, sample_weight=weights)
    removed = small(**params).fit(X_train[weights > 0])
    assert_allclose(weighted.feature_scales_, removed.feature_scales_, rtol=1e-6)
    assert_allclose(
        weighted.score_samples(X_test), removed.score_samples(X_test), rtol=1e-6
    )
    # The quantile of the weighted rows is one of their scores.
    kept_scores = weighted.score_samples(X_train[weights > 0])
    assert np.min(np.abs(kept_scores - weighted.offset_)) == 0
    assert abs(weighted.offset_ - removed.offset_) < 1e-2 * abs(removed.offset_)
    with pytest.raises(ValueError, match="non-zero"):
        small().fit(X_train, sample_weight=np.zeros(len(X_train)))


def test_unit_weights_are_no_weights(digits, fitted):
    X_train, X_test, _ = digits
    ones = small().fit(X_train, sample_weight=np.ones(len(X_train)))
    assert ones.offset_ == fitted.offset_
    assert_array_equal(ones.score_samples(X_test), fitted.score_samples(X_test))


def test_float32_input(digits):
    X_train, X_test, is_anomaly = digits
    detector = small().fit(X_train.astype(np.float32))
    assert detector.autoencoder_.coefs_[0].dtype == np.float32
    scores = detector.score_samples(X_test.astype(np.float32))
    assert scores.dtype == np.float64
    float64 = small().fit(X_train).score_samples(X_test)
    assert (
        abs(roc_auc_score(is_anomaly, -scores) - roc_auc_score(is_anomaly, -float64))
        < 0.02
    )


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_input_scores_as_dense(digits, fitted, container):
    X_train, X_test, _ = digits
    detector = small().fit(container(X_train))
    assert_allclose(
        detector.score_samples(container(X_test)),
        fitted.score_samples(X_test),
        rtol=1e-6,
    )
    assert_allclose(
        fitted.score_samples(container(X_test)), fitted.score_samples(X_test)
    )


def test_set_output_names_the_features_of_the_explanations(digits):
    pd = pytest.importorskip("pandas", reason=NEEDS_PANDAS)
    X_train, X_test, _ = digits
    columns = [f"pixel{i}" for i in range(X_train.shape[1])]
    frame = pd.DataFrame(X_test, columns=columns, index=np.arange(len(X_test)) + 7)
    detector = small().set_output(transform="pandas")
    detector.fit(pd.DataFrame(X_train, columns=columns))
    errors = detector.reconstruction_errors(frame)
    assert list(errors.columns) == columns
    assert_array_equal(errors.index, frame.index)
    assert isinstance(
        clone(detector).fit(X_train).reconstruction_errors(X_test), pd.DataFrame
    )
    plain = detector.set_output(transform="default").reconstruction_errors(frame)
    assert isinstance(plain, np.ndarray)
    assert_array_equal(errors.to_numpy(), plain)
    # In a pipeline whose steps output DataFrames.
    pipe = make_pipeline(StandardScaler(), small()).set_output(transform="pandas")
    labels = pipe.fit(pd.DataFrame(X_train, columns=columns)).predict(frame)
    assert set(np.unique(labels)) <= {-1, 1}
    with pytest.raises(ValueError, match="transform must be"):
        small().set_output(transform="arrow")


@pytest.mark.parametrize("contamination", [0.0, 0.6, -0.1, "none"])
def test_bad_contamination_names_the_parameter(digits, contamination):
    with pytest.raises(ValueError, match="contamination"):
        small(contamination=contamination).fit(digits[0])


def test_bad_autoencoder_params(digits):
    X_train = digits[0]
    with pytest.raises(ValueError, match=r"repeats \['n_components'\]"):
        small(autoencoder_params={"n_components": 3}).fit(X_train)
    with pytest.raises(ValueError, match=r"\['colour'\]"):
        small(autoencoder_params={"colour": "red"}).fit(X_train)
    with pytest.raises(ValueError, match="solver"):
        small(autoencoder_params={"solver": "newton"}).fit(X_train)


def test_failed_fit_leaves_the_model_unchanged(digits):
    X_train, X_test, _ = digits
    detector = small().fit(X_train)
    before = detector.score_samples(X_test)
    with pytest.raises(ValueError, match="solver"):
        detector.set_params(autoencoder_params={"solver": "newton"}).fit(
            X_train[:, :10]
        )
    assert detector.n_features_in_ == X_train.shape[1]
    assert_array_equal(detector.score_samples(X_test), before)


def test_grid_search_reaches_the_autoencoder(digits):
    X_train, X_test, is_anomaly = digits
    X = np.vstack([X_train[:200], X_test[is_anomaly][:20]])
    y = np.r_[np.ones(200), -np.ones(20)]  # +1 inliers, as predict labels them
    search = GridSearchCV(
        small(),
        {
            "n_components": [2, 8],
            "autoencoder_params": [None, {"solver": "lbfgs"}],
        },
        scoring="roc_auc",
        cv=StratifiedKFold(2),
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.autoencoder_.n_components_ in (2, 8)
