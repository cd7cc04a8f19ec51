"""Warnings attributed to the user's line, however deep they are raised."""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings

# Packages whose frames lie between a warning and the user's call: skae's own,
# scikit-learn's (Pipeline, GridSearchCV, _fit_context), joblib's (the
# sequential Parallel of a search), NumPy's (the errstate decorator) and the
# standard library's contextlib (NumPy < 2 makes errstate a ContextDecorator,
# whose wrapper runs in contextlib).
_INTERNAL = ("skae", "sklearn", "joblib", "numpy", "contextlib")


def _internal(frame):
    """Whether ``frame`` runs code of one of the ``_INTERNAL`` packages."""
    module = frame.f_globals.get("__name__", "")
    return module.partition(".")[0] in _INTERNAL


def warn_at_caller(message, category):
    """``warnings.warn`` at the first caller outside the ``_INTERNAL`` packages.

    A fixed ``stacklevel`` points at the wrong line as soon as a call is added
    between the warning and the user, or the estimator sits in a Pipeline or
    a grid search.
    """
    frame, stacklevel = sys._getframe(1), 2
    while frame.f_back is not None and _internal(frame):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)
