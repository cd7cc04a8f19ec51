"""Dense training against models recorded by another version of skae."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer

# A directory of recorded models. Bitwise equality only holds on one machine
# with one BLAS, so the test runs only when asked: once with the version
# whose arithmetic must not change (which records the models) and once with
# the new one, e.g. around a change meant for sparse input only.
REFERENCE = os.environ.get("SKAE_DENSE_REFERENCE")
RECORDED = "models recorded in SKAE_DENSE_REFERENCE, for the next version to match"

CASES = {
    "adam": dict(solver="adam"),
    "sgd": dict(solver="sgd"),
    "lbfgs": dict(solver="lbfgs"),
    "adam-regularised": dict(
        solver="adam", noise="gaussian", sparsity=0.01, early_stopping=True
    ),
    "sgd-weighted-float32": dict(solver="sgd", early_stopping=False),
}


@pytest.mark.skipif(REFERENCE is None, reason="set SKAE_DENSE_REFERENCE to a directory")
@pytest.mark.parametrize("case", list(CASES))
def test_dense_models_are_bitwise_those_recorded(case):
    X, _ = load_digits(return_X_y=True)
    sample_weight = None
    if case.endswith("float32"):
        X = X.astype(np.float32)
        sample_weight = np.random.RandomState(0).randint(0, 3, X.shape[0])
    ae = AutoencoderTransformer(
        8, hidden_layer_sizes=(32,), max_iter=15, random_state=0, **CASES[case]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X, sample_weight=sample_weight)
    arrays = {f"coef{i}": coef for i, coef in enumerate(ae.coefs_)}
    arrays.update({f"intercept{i}": b for i, b in enumerate(ae.intercepts_)})
    arrays.update(codes=ae.transform(X), scores=ae.score_samples(X))
    arrays.update(loss_curve=np.array(ae.loss_curve_))
    path = Path(REFERENCE) / f"{case}.npz"
    if not path.exists():
        np.savez(path, **arrays)
        pytest.skip(RECORDED)
    recorded = np.load(path)
    assert sorted(recorded.files) == sorted(arrays)
    for name, array in arrays.items():
        assert_array_equal(array, recorded[name], err_msg=name, strict=True)
