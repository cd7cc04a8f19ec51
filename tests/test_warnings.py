"""Tests that warnings point at the caller's line (skae._warnings)."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderTransformer


def short(solver, **params):
    """A fit that stops at max_iter and says so."""
    return AutoencoderTransformer(
        2, hidden_layer_sizes=(4,), solver=solver, max_iter=2,
        early_stopping=False, random_state=0, **params,
    )  # fmt: skip


def caught(call, category):
    """The warnings of ``category`` that ``call()`` raises."""
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        call()
    found = [record for record in records if issubclass(record.category, category)]
    assert found, f"no {category.__name__}"
    return found


CALLS = {
    "fit": lambda model, X: model.fit(X),
    "fit_transform": lambda model, X: model.fit_transform(X),
    "pipeline": lambda model, X: make_pipeline(StandardScaler(), model).fit(X),
    "grid search": lambda model, X: GridSearchCV(model, {"alpha": [0.01]}, cv=2).fit(X),
}


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("call", CALLS)
def test_convergence_warnings_point_at_the_callers_line(digits, solver, call):
    found = caught(lambda: CALLS[call](short(solver), digits), ConvergenceWarning)
    assert {record.filename for record in found} == {__file__}


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_the_batch_size_warning_points_at_the_callers_line(digits, method):
    model = short("adam", batch_size=1000)
    found = caught(lambda: getattr(model, method)(digits), UserWarning)
    assert {record.filename for record in found} == {__file__}
