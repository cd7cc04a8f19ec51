"""Held-out reconstruction error of the autoencoder against PCA, on the data users have.

Every case holds out 30 % of the rows (``train_test_split(..., test_size=0.3,
random_state=0)``), fits ``AutoencoderTransformer`` with default parameters
except ``n_components`` (and ``random_state``), and prints the held-out mean
squared error in the units of X divided by PCA's at the same ``n_components``:
below 1 is better than PCA.

- raw ``load_wine`` and ``load_breast_cancer`` (columns in mixed units);
- ``mixed_scales``: a noisy 3-d manifold in 10 columns whose scales run from
  1e-3 to 1e3, with the worst column's held-out R^2;
- raw ``load_digits`` at every k from 1 to 16, and at k=2 and 8 for seeds 0-4;
- digits trained on clean rows, held-out rows plus N(0, sigma^2) noise, error
  against the clean rows (denoising off the training distribution);
- the swiss roll (3000 points, noise 0.05) at k=2 for seeds 0-4.

Run ``python benchmarks/quality.py`` (about two minutes on 2 cores); the
README, the docs and the class Notes quote its output.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

SEEDS = range(5)


def split(X):
    """The 70 / 30 split every case uses."""
    return train_test_split(X, test_size=0.3, random_state=0)


def mixed_scales():
    """A noisy 3-d manifold in 10 columns of scales 1e-3 ... 1e3, split 70 / 30."""
    rng = np.random.RandomState(0)
    X = np.tanh(rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 10)))
    X += 0.05 * rng.normal(size=X.shape)
    X *= np.logspace(-3, 3, 10)
    return split(X)


def reconstruct(model, X):
    """``inverse_transform(transform(X))`` of a fitted model."""
    return model.inverse_transform(model.transform(X))


def mse(model, X, target=None):
    """Held-out mean squared error of the model's reconstruction of X."""
    target = X if target is None else target
    return float(np.mean((reconstruct(model, X) - target) ** 2))


def ratio(n_components, X_train, X_test, seed=0, noisy=None):
    """Autoencoder / PCA held-out MSE, and the autoencoder fitted."""
    ae = AutoencoderTransformer(n_components, random_state=seed).fit(X_train)
    pca = PCA(n_components).fit(X_train)
    X_in = X_test if noisy is None else noisy
    return mse(ae, X_in, X_test) / mse(pca, X_in, X_test), ae


def worst_r2(model, X_test):
    """The smallest per-column R^2 of the model's held-out reconstruction."""
    residual = ((reconstruct(model, X_test) - X_test) ** 2).mean(axis=0)
    return float((1 - residual / X_test.var(axis=0)).min())


def seeds_row(label, values):
    """One printed row: a label, the value for each seed, and their worst."""
    cells = "  ".join(f"{value:.3f}" for value in values)
    return f"{label:<40} {cells}   worst {max(values):.3f}"


def main():
    start = time.perf_counter()
    print("held-out MSE, autoencoder / PCA (below 1: better than PCA)\n")
    print("mixed units, seed 0")
    for name, loader in (("wine", load_wine), ("breast_cancer", load_breast_cancer)):
        X_train, X_test = split(loader(return_X_y=True)[0])
        cells = [f"k={k}: {ratio(k, X_train, X_test)[0]:.3f}" for k in (2, 5)]
        print(f"  raw {name:<16} " + "   ".join(cells))
    X_train, X_test = mixed_scales()
    for k in (2, 5):
        value, ae = ratio(k, X_train, X_test)
        print(
            f"  mixed_scales k={k}        {value:.3f}   worst column R^2 "
            f"{worst_r2(ae, X_test):.3f}"
        )

    X_train, X_test = split(load_digits(return_X_y=True)[0])
    print("\nraw digits, k = 1 .. 16, seed 0")
    fits = [ratio(k, X_train, X_test) for k in range(1, 17)]
    values = [value for value, _ in fits]
    for first in (0, 8):
        print(
            "  "
            + "  ".join(
                f"{k + 1:>2}: {v:.3f}"
                for k, v in enumerate(values)
                if first <= k < first + 8
            )
        )
    print(f"  worst {max(values):.3f}, epochs {[ae.n_iter_ for _, ae in fits]}")

    rng = np.random.RandomState(0)
    noise = {sigma: sigma * rng.normal(size=X_test.shape) for sigma in (1, 2)}
    print("\nseeds 0 .. 4")
    for k in (2, 8):
        rows = {"clean": [], 1: [], 2: []}
        epochs = []
        for seed in SEEDS:
            value, ae = ratio(k, X_train, X_test, seed)
            rows["clean"].append(value)
            epochs.append(ae.n_iter_)
            pca = PCA(k).fit(X_train)
            for sigma, N in noise.items():
                rows[sigma].append(
                    mse(ae, X_test + N, X_test) / mse(pca, X_test + N, X_test)
                )
        print(seeds_row(f"  digits k={k}", rows["clean"]) + f"   epochs {epochs}")
        for sigma in (1, 2):
            print(seeds_row(f"  digits k={k}, held-out + N(0, {sigma}^2)", rows[sigma]))
    X_train, X_test = split(make_swiss_roll(3000, noise=0.05, random_state=0)[0])
    fits = [ratio(2, X_train, X_test, seed) for seed in SEEDS]
    epochs = [ae.n_iter_ for _, ae in fits]
    print(seeds_row("  swiss roll k=2", [v for v, _ in fits]) + f"   epochs {epochs}")
    print(f"\n{time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
