"""The design choices of the model, each measured against what it replaced.

Each variant changes one thing (a scale of :mod:`skae._scaling`, or a default
parameter, ``early_stopping`` among them) and reports the held-out MSE divided
by PCA's, as
``benchmarks/quality.py`` does (30 % held out, seed 0; digits + N(0, 2^2) is
noise added to the held-out rows, error against the clean rows). The class
Notes of ``AutoencoderTransformer`` quote this table.

Run ``python benchmarks/design.py`` (about ten minutes on 2 cores).
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
from _common import patched, saved_output
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_swiss_roll,
)
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

import skae._autoencoder
import skae._scaling
from skae import AutoencoderTransformer

CASES = [
    ("iris k=2", lambda: load_iris(return_X_y=True)[0], 2, 0.0),
    ("diabetes k=1", lambda: load_diabetes(return_X_y=True)[0], 1, 0.0),
    ("wine k=5", lambda: load_wine(return_X_y=True)[0], 5, 0.0),
    ("breast_cancer k=5", lambda: load_breast_cancer(return_X_y=True)[0], 5, 0.0),
    ("digits k=2", lambda: load_digits(return_X_y=True)[0], 2, 0.0),
    ("digits k=2 + noise", lambda: load_digits(return_X_y=True)[0], 2, 2.0),
    ("digits k=8", lambda: load_digits(return_X_y=True)[0], 8, 0.0),
    (
        "swiss roll k=2",
        lambda: make_swiss_roll(3000, noise=0.05, random_state=0)[0],
        2,
        0.0,
    ),
]


def scales_with(**change):
    """``make_scales`` with fields replaced by functions of (scales, axes)."""
    original = skae._scaling.make_scales

    def make_scales(axes, stats, loss, output_activation, dtype):
        scales = original(axes, stats, loss, output_activation, dtype)
        fields = {name: f(scales, axes).astype(dtype) for name, f in change.items()}
        return replace(scales, **fields)

    return make_scales


def residual_only(scales, axes):
    """Output corrections as large as PCA's residual in each column only."""
    return np.sqrt(axes.residual_variance) / scales.sigma


def code_sized(scales, axes):
    """Code corrections as large as each code's own standard deviation."""
    return np.ones_like(scales.code_scale)


FORMER = {
    "hidden_layer_sizes": (256,),
    "alpha": 1e-4,
    "n_iter_no_change": 10,
    "early_stopping": False,
}
VARIANTS = {
    "the model as it is": ({}, None),
    "early_stopping=False (the former default)": ({"early_stopping": False}, None),
    "early_stopping=True (one 10 % split)": ({"early_stopping": True}, None),
    "output corrections sized by PCA's residual only": ({}, residual_only),
    "code corrections sized by each code's scale": ({}, code_sized),
    "one hidden layer (256,)": ({"hidden_layer_sizes": (256,)}, None),
    "alpha=1e-4 (MLPRegressor's)": ({"alpha": 1e-4}, None),
    "alpha=1e-4, code corrections by each code's scale": ({"alpha": 1e-4}, code_sized),
    "alpha=1e-4, output corrections by residual only": ({"alpha": 1e-4}, residual_only),
    "n_iter_no_change=10 (MLPRegressor's)": ({"n_iter_no_change": 10}, None),
    "(256,), alpha=1e-4 (the former defaults)": (FORMER, None),
    "(256,), alpha=1e-4, code corrections by code scale": (FORMER, code_sized),
}


def ratio(params, X, n_components, noise):
    """Autoencoder / PCA held-out MSE on one case."""
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    noisy = X_test + noise * np.random.RandomState(0).normal(size=X_test.shape)
    errors = []
    for model in (
        AutoencoderTransformer(n_components, random_state=0, **params),
        PCA(n_components),
    ):
        model.fit(X_train)
        errors.append(
            np.mean((model.inverse_transform(model.transform(noisy)) - X_test) ** 2)
        )
    return errors[0] / errors[1]


def main():
    names = [name for name, *_ in CASES]
    print(f"{'held-out MSE / PCA, seed 0':<52}" + "".join(f"{n:>20}" for n in names))
    for label, (params, field) in VARIANTS.items():
        patch = {}
        if field is residual_only:
            patch["make_scales"] = scales_with(output_correction=field)
        elif field is code_sized:
            patch["make_scales"] = scales_with(code_correction=field)
        with patched(skae._autoencoder, **patch):
            cells = [ratio(params, load(), k, noise) for _, load, k, noise in CASES]
        print(f"{label:<52}" + "".join(f"{value:>20.3f}" for value in cells))


if __name__ == "__main__":
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    # The one-layer and short-patience variants may stop at max_iter.
    warnings.simplefilter("ignore", ConvergenceWarning)
    with saved_output(__file__):
        main()
