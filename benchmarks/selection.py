"""What the cross-validated training length costs, and what it chooses.

``early_stopping="auto"`` (the default) chooses by cross-validation inside
``fit`` how many epochs of correction to train; ``early_stopping=False`` is the
former default, which trains on all rows until the training loss stops
improving. On data with thousands of rows the two are compared side by side,
interleaved, in one run (default parameters otherwise, ``random_state=0``,
30 % held out):

- held-out MSE of "auto" over False's (with its target) and over PCA's;
- fit time of "auto" over False's (with its target), the median of
  ``REPEATS`` interleaved fits each;

on raw digits (1 257 training rows) at k = 2 and 8, and at k = 2 on two
generated 20 000-row tables (14 000 training rows): a noisy 3-d manifold in
10 columns, and the same with its columns scaled from 1e-3 to 1e3 (the
mixed-scale set of ``quality.py``, larger). Then the fit
time of a 100-row set (the first 100 rows of raw diabetes, k = 2, against its
target), and what "auto" chose on one small and one large set: the
epochs, ``validation_gain_`` and the pooled held-out curve, which the user
guide shows.

Run ``python benchmarks/selection.py`` on an otherwise idle machine (about
four minutes).
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from _common import saved_output, targets
from sklearn.datasets import load_diabetes, load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

REPEATS = 3
TARGETS = targets(__file__)
MSE_LIMIT, TIME_LIMIT = TARGETS["mse"], TARGETS["time"]
SMALL_FIT_LIMIT = TARGETS["small_fit_seconds"]


def manifold_table(n_samples=20_000):
    """A noisy 3-d manifold in 10 columns."""
    rng = np.random.RandomState(0)
    X = np.tanh(rng.normal(size=(n_samples, 3)) @ rng.normal(size=(3, 10)))
    return X + 0.05 * rng.normal(size=X.shape)


def mixed_scale_table():
    """The same, with its columns scaled from 1e-3 to 1e3."""
    return manifold_table() * np.logspace(-3, 3, 10)


def mse(model, X):
    """Held-out mean squared error of the model's reconstruction of X."""
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def timed_fit(X, k, early_stopping):
    """A fitted default model and its fit time in seconds."""
    model = AutoencoderTransformer(k, early_stopping=early_stopping, random_state=0)
    start = time.perf_counter()
    model.fit(X)
    return model, time.perf_counter() - start


def compare(label, X, k):
    """Print "auto" against False on one data set, fits interleaved."""
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    times = {"auto": [], False: []}
    for _ in range(REPEATS):
        for setting in times:
            model, seconds = timed_fit(X_train, k, setting)
            times[setting].append(seconds)
            if setting == "auto":
                auto = model
            else:
                former = model
    pca = mse(PCA(k).fit(X_train), X_test)
    mse_ratio = mse(auto, X_test) / mse(former, X_test)
    time_ratio = np.median(times["auto"]) / np.median(times[False])
    print(
        f"{label:<24} MSE auto/False {mse_ratio:.3f} "
        f"({'met' if mse_ratio <= MSE_LIMIT else 'MISSED'})   "
        f"auto/PCA {mse(auto, X_test) / pca:.3f}  "
        f"False/PCA {mse(former, X_test) / pca:.3f}   "
        f"time auto/False {time_ratio:.2f} "
        f"({'met' if time_ratio <= TIME_LIMIT else 'MISSED'}): "
        f"{np.median(times['auto']):.2f} s / {np.median(times[False]):.2f} s   "
        f"epochs {auto.n_iter_} / {former.n_iter_}"
    )


def describe(label, model):
    """What "auto" chose: epochs, gain, and the pooled curve at a few epochs."""
    scores = -np.asarray(model.validation_scores_)
    start = -model.best_validation_score_ / (1 - model.validation_gain_)
    marks = sorted({1, 10, 50, 100, model.n_iter_, len(scores)} - {0})
    curve = "  ".join(f"{e}: {scores[e - 1]:.4g}" for e in marks if e <= len(scores))
    print(
        f"{label:<24} epochs chosen {model.n_iter_}, validation_gain_ "
        f"{model.validation_gain_:.3f}, {len(scores)} epochs scored; "
        f"pooled held-out MSE of the PCA start {start:.4g}, by epoch: {curve}"
    )


def main():
    digits = load_digits().data
    print("early_stopping='auto' against the former default early_stopping=False")
    compare("digits k=2", digits, 2)
    compare("digits k=8", digits, 8)
    compare("20 000 rows k=2", manifold_table(), 2)
    compare("20 000 rows, scaled k=2", mixed_scale_table(), 2)

    small = load_diabetes().data[:100]
    seconds = [timed_fit(small, 2, "auto")[1] for _ in range(REPEATS)]
    print(
        f"\n100-row fit (diabetes, k=2): median {np.median(seconds):.2f} s over "
        f"{REPEATS} ({'met' if np.median(seconds) < SMALL_FIT_LIMIT else 'MISSED'}: "
        f"under {SMALL_FIT_LIMIT} s)"
    )

    print("\nwhat 'auto' chose")
    for label, X, k in (
        ("iris-sized: diabetes k=2", load_diabetes().data[:150], 2),
        ("digits k=8", digits, 8),
    ):
        X_train, _ = train_test_split(X, test_size=0.3, random_state=0)
        describe(label, AutoencoderTransformer(k, random_state=0).fit(X_train))


if __name__ == "__main__":
    with saved_output(__file__):
        main()
