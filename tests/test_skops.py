"""skops persistence: an exact round trip, and the list of types to trust.

Needs the ``skops`` extra. Every configuration is fitted for a few epochs on
digits, dumped with ``skops.io.dump`` and loaded with
``trusted=skae.SKOPS_TRUSTED_TYPES``, the recipe of docs/deploying.rst.
"""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import dataclasses
import warnings
from functools import cache

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_common import DETECTORS, ESTIMATORS

import skae
from skae import AutoencoderOutlierDetector, AutoencoderTransformer

sio = pytest.importorskip(
    "skops.io", reason="needs the skops extra: pip install '.[skops]'"
)

NEEDS_PANDAS = "needs pandas, from the tests extra: pip install '.[tests]'"

# (estimator, how it is fitted): the configurations of test_common.py, then
# each solver, activation, output and loss, each kind of input, and each way
# of training that leaves different state behind.
CONFIGURATIONS = [(estimator, "fit") for estimator in ESTIMATORS]
# Small networks: the state's types do not depend on the widths. Two codes:
# with all of them (n_components=None) fit would train nothing.
CONFIGURATIONS += [
    (
        AutoencoderTransformer(
            **{"n_components": 2, "hidden_layer_sizes": (8,), **params}
        ),
        how,
    )
    for params, how in [
        *[(dict(solver=solver), "fit") for solver in ("adam", "sgd", "lbfgs")],
        *[
            (dict(activation=activation), "fit")
            for activation in ("identity", "logistic", "tanh", "relu")
        ],
        (dict(output_activation="logistic", loss="log_loss"), "[0, 1]"),
        (dict(solver="sgd", learning_rate="invscaling"), "fit"),
        ({}, "float32"),
        ({}, "csr"),
        (dict(solver="sgd"), "csc"),
        ({}, "partial_fit"),
        (dict(solver="sgd"), "partial_fit"),
        ({}, "warm_start"),
        (dict(solver="lbfgs"), "warm_start"),
        (dict(early_stopping=True), "fit"),
        ({}, "DataFrame"),
        # The PCA start's parameters, each solver.
        (dict(whiten=True, svd_solver="randomized", iterated_power=2), "fit"),
        (dict(svd_solver="arpack"), "csr"),
        (dict(svd_solver="full", n_components=0.9), "fit"),
        (dict(n_components="mle", whiten=True), "float32"),
    ]
]
CONFIGURATIONS += [(AutoencoderTransformer(hidden_layer_sizes=()), "fit")]
IDS = [f"{how}-{estimator!r}" for estimator, how in CONFIGURATIONS]


def training_data(how):
    """The digits in the container and dtype that ``how`` fits on."""
    X = load_digits().data[:300]
    if how == "[0, 1]":
        return X / 16
    if how == "float32":
        return X.astype(np.float32)
    if how in ("csr", "csc"):
        return sp.csr_matrix(X) if how == "csr" else sp.csc_matrix(X)
    if how == "DataFrame":
        pd = pytest.importorskip("pandas", reason=NEEDS_PANDAS)
        return pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    return X


@cache
def fitted(index):
    """Configuration ``index`` fitted for a few epochs; do not modify it."""
    estimator, how = CONFIGURATIONS[index]
    X = training_data(how)
    # A few epochs leave every kind of state behind (the optimizer's moments,
    # the random state moved on); convergence does not matter here.
    ae = clone(estimator).set_params(max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if how == "partial_fit":
            for rows in np.array_split(np.arange(X.shape[0]), 3):
                ae.partial_fit(X[rows])
        elif how == "warm_start":
            ae.set_params(warm_start=True).fit(X[:150]).fit(X)
        elif how == "DataFrame":
            ae.set_output(transform="pandas").fit(X)
        else:
            ae.fit(X)
    return ae


def assert_identical(actual, expected, where="model"):
    """The same types, dtypes and bits all the way down, private state included."""
    assert type(actual) is type(expected), where
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype, where
        assert_array_equal(actual, expected, strict=True, err_msg=where)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (a, b) in enumerate(zip(actual, expected, strict=True)):
            assert_identical(a, b, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert actual.keys() == expected.keys(), where
        for key in expected:
            assert_identical(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, np.random.RandomState):
        assert_identical(actual.get_state(), expected.get_state(), where)
    elif dataclasses.is_dataclass(expected) or hasattr(expected, "__dict__"):
        assert_identical(vars(actual), vars(expected), where)
    elif isinstance(expected, (float, np.floating)):
        assert actual == expected or (np.isnan(actual) and np.isnan(expected)), where
    else:
        assert actual == expected, where


def continue_training(ae, X):
    """One more step of training as a user would take it, in place."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if hasattr(ae, "partial_fit") and ae.early_stopping is not True:
            ae.partial_fit(X)
        else:
            ae.set_params(warm_start=True, max_iter=2).fit(X)


@pytest.mark.parametrize("index", range(len(CONFIGURATIONS)), ids=IDS)
def test_round_trip_is_exact(index, tmp_path):
    """Everything the model holds and computes survives, and so does training."""
    original = copy.deepcopy(fitted(index))
    path = tmp_path / "model.skops"
    sio.dump(original, path)
    loaded = sio.load(path, trusted=skae.SKOPS_TRUSTED_TYPES)

    # Private state too: the moments, scales, random state, optimizer.
    assert {"_moments", "_scales", "_random_state"} <= set(vars(loaded))
    assert_identical(loaded, original)
    X = training_data(CONFIGURATIONS[index][1])
    Z, Z_loaded = original.transform(X), loaded.transform(X)
    assert type(Z_loaded) is type(Z)  # a DataFrame after set_output
    Z = np.asarray(Z)
    assert_identical(np.asarray(Z_loaded), Z)
    assert_identical(loaded.inverse_transform(Z), original.inverse_transform(Z))
    assert_identical(loaded.score_samples(X), original.score_samples(X))
    assert_identical(loaded.score(X), original.score(X))

    continue_training(original, X)
    continue_training(loaded, X)
    assert_identical(loaded, original, "model after more training")


# The detectors of test_common.py, then each kind of input.
DETECTOR_CONFIGURATIONS = [(detector, "fit") for detector in DETECTORS] + [
    (AutoencoderOutlierDetector(hidden_layer_sizes=(8,)), how)
    for how in ("float32", "csr", "DataFrame")
]


@cache
def fitted_detector(index):
    """Detector configuration ``index`` fitted for a few epochs; do not modify it."""
    detector, how = DETECTOR_CONFIGURATIONS[index]
    detector = clone(detector).set_params(max_iter=3, random_state=0)
    if how == "DataFrame":
        detector.set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return detector.fit(training_data(how))


@pytest.mark.parametrize(
    "index",
    range(len(DETECTOR_CONFIGURATIONS)),
    ids=[f"{how}-{detector!r}" for detector, how in DETECTOR_CONFIGURATIONS],
)
def test_detector_round_trip_is_exact(index, tmp_path):
    """The detector, its autoencoder and set_output's setting survive."""
    original = copy.deepcopy(fitted_detector(index))
    sio.dump(original, tmp_path / "detector.skops")
    loaded = sio.load(tmp_path / "detector.skops", trusted=skae.SKOPS_TRUSTED_TYPES)
    assert_identical(loaded, original)
    X = training_data(DETECTOR_CONFIGURATIONS[index][1])
    for method in ("predict", "decision_function", "score_samples"):
        assert_identical(getattr(loaded, method)(X), getattr(original, method)(X))
    errors = loaded.reconstruction_errors(X)
    assert type(errors) is type(original.reconstruction_errors(X))  # set_output


def test_trusted_types_are_exactly_those_skops_reports():
    """SKOPS_TRUSTED_TYPES is the union, over every configuration, of the types
    skops does not trust by default: a new type in a fitted model's state must
    be added to it (and reviewed: it is what users are asked to trust).
    """
    reported = set()
    for index in range(len(CONFIGURATIONS)):
        reported |= set(sio.get_untrusted_types(data=sio.dumps(fitted(index))))
    for index in range(len(DETECTOR_CONFIGURATIONS)):
        reported |= set(sio.get_untrusted_types(data=sio.dumps(fitted_detector(index))))
    assert sorted(reported) == sorted(skae.SKOPS_TRUSTED_TYPES)
    assert skae.SKOPS_TRUSTED_TYPES == sorted(set(skae.SKOPS_TRUSTED_TYPES))
    assert "SKOPS_TRUSTED_TYPES" in skae.__all__


def test_pipeline_needs_no_other_type(tmp_path):
    """scikit-learn's steps are trusted by skops already."""
    X, y = load_digits(return_X_y=True)
    ae = AutoencoderTransformer(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    pipe = make_pipeline(StandardScaler(), ae, LogisticRegression(max_iter=50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X[:300], y[:300])
    sio.dump(pipe, tmp_path / "pipeline.skops")
    assert set(sio.get_untrusted_types(file=tmp_path / "pipeline.skops")) <= set(
        skae.SKOPS_TRUSTED_TYPES
    )
    loaded = sio.load(tmp_path / "pipeline.skops", trusted=skae.SKOPS_TRUSTED_TYPES)
    assert_identical(loaded.predict_proba(X), pipe.predict_proba(X))


def test_untrusted_model_is_refused(tmp_path):
    """Without the list, skops refuses to load skae's types."""
    sio.dump(fitted(0), tmp_path / "model.skops")
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(tmp_path / "model.skops")
