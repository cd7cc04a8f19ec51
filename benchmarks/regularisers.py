"""What each regulariser buys on raw digits (30 % held out), printed as a table.

Run ``python benchmarks/regularisers.py`` (a few minutes on 2 cores). It
measures the acceptance points of the regularised variants:

1. denoising: a model trained with ``noise`` against the same model trained
   without, on held-out digits corrupted the same way (MSE against the clean
   digits) and on clean held-out digits;
2. with 200 training digits, the best of the four regularisers, each level
   chosen by ``GridSearchCV`` on the training rows only, against the
   unregularised model (``alpha=0``) at the same architecture and epochs;
3. sparse codes: the share of codes within 1 % of their scale of zero, and
   the held-out MSE, against the model without the penalty;
4. tied weights: the parameter count and held-out MSE against untied;
5. what each costs: the time per epoch against the plain model's.

Every model has ``n_components=8`` and the default network unless stated,
and trains on all rows until its stopping rule holds (``early_stopping=False``,
the default before "auto"): the regularisers are compared at equal training.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import numpy as np
from _common import saved_output, targets
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split

from skae import AutoencoderTransformer

N_COMPONENTS = 8
TARGETS = targets(__file__)


def corrupt(X, kind, level, mean, std, rng):
    """X corrupted as ``noise=kind`` corrupts training batches."""
    if kind == "masking":
        return np.where(rng.uniform(size=X.shape) < level, mean, X)
    return X + level * std * rng.standard_normal(X.shape)


def mse(model, X, target):
    """Mean squared error of the model's reconstructions of X against target."""
    return float(np.mean((model.inverse_transform(model.transform(X)) - target) ** 2))


def denoising(X_train, X_test, seed, kind, level):
    """Held-out MSE with and without training noise, on corrupted and clean input."""
    rng = np.random.default_rng(seed)
    noisy = corrupt(
        X_test, kind, level, X_train.mean(axis=0), X_train.std(axis=0, ddof=1), rng
    )
    rows = []
    for noise in (None, kind):
        model = AutoencoderTransformer(
            N_COMPONENTS,
            noise=noise,
            noise_level=level,
            early_stopping=False,
            random_state=seed,
        ).fit(X_train)
        rows.append((mse(model, noisy, X_test), mse(model, X_test, X_test)))
    (plain_noisy, plain_clean), (denoised_noisy, denoised_clean) = rows
    print(
        f"  {kind} {level}: corrupted held-out {denoised_noisy:.3f} against "
        f"{plain_noisy:.3f} ({denoised_noisy / plain_noisy:.3f}x, target <= "
        f"{TARGETS['denoised_noisy']}); "
        f"clean {denoised_clean:.3f} against {plain_clean:.3f} "
        f"({denoised_clean / plain_clean:.3f}x, target <= {TARGETS['denoised_clean']})"
    )


GRIDS = {
    "noise (masking)": {"noise": ["masking"], "noise_level": [0.1, 0.2, 0.4]},
    "noise (gaussian)": {"noise": ["gaussian"], "noise_level": [0.25, 0.5, 1.0]},
    "sparsity": {"sparsity": [0.003, 0.01, 0.03]},
    "contractive": {"contractive": [0.003, 0.01, 0.03]},
    "tied_weights": {"tied_weights": [True]},
}


def small_data(X_train, X_test, seed, epochs):
    """200 training digits: each regulariser tuned by GridSearchCV, and none."""
    rows = np.random.default_rng(seed).choice(X_train.shape[0], 200, replace=False)
    X_small = X_train[rows]
    # Fixed epochs for every model: n_iter_no_change as large as max_iter.
    base = AutoencoderTransformer(
        N_COMPONENTS,
        alpha=0.0,
        max_iter=epochs,
        n_iter_no_change=epochs,
        early_stopping=False,
        random_state=seed,
    )
    plain = mse(base.fit(X_small), X_test, X_test)
    pca = mse(PCA(N_COMPONENTS).fit(X_small), X_test, X_test)
    print(f"  unregularised (alpha=0): held-out MSE {plain:.3f} (PCA's {pca:.3f})")
    best = np.inf
    for name, grid in GRIDS.items():
        start = time.perf_counter()
        search = GridSearchCV(base, grid, cv=3).fit(X_small)
        held_out = mse(search.best_estimator_, X_test, X_test)
        best = min(best, held_out)
        chosen = {k: v for k, v in search.best_params_.items() if k != "noise"}
        print(
            f"  {name:16s} {chosen}: held-out MSE {held_out:.3f} "
            f"({held_out / plain:.3f}x) [{time.perf_counter() - start:.0f} s]"
        )
    print(
        f"  best: {best / plain:.3f}x the unregularised model's "
        f"(target <= {TARGETS['best_regulariser']:.2f})"
    )


def near_zero_share(model, X):
    """Share of codes within 1 % of their scale (the PCA code's deviation) of 0."""
    scale = np.sqrt(model.explained_variance_)
    return float(np.mean(np.abs(model.transform(X)) < 0.01 * scale))


def sparse_codes(X_train, X_test, seed, level):
    """Near-zero codes and held-out MSE with and without the L1 penalty."""
    plain = AutoencoderTransformer(
        N_COMPONENTS, early_stopping=False, random_state=seed
    ).fit(X_train)
    sparse = AutoencoderTransformer(
        N_COMPONENTS, sparsity=level, early_stopping=False, random_state=seed
    )
    sparse.fit(X_train)
    ratio = mse(sparse, X_test, X_test) / mse(plain, X_test, X_test)
    print(
        f"  sparsity={level}: {near_zero_share(sparse, X_test):.1%} of held-out codes "
        f"near zero against {near_zero_share(plain, X_test):.1%}; held-out MSE "
        f"{ratio:.3f}x (target <= {TARGETS['sparse_codes_mse']:.2f})"
    )


def tied_weights(X_train, X_test, seed):
    """Parameter count and held-out MSE, tied against untied."""
    results = {}
    for tied in (False, True):
        model = AutoencoderTransformer(
            N_COMPONENTS, tied_weights=tied, early_stopping=False, random_state=seed
        ).fit(X_train)
        n = len(model.coefs_) // 2
        weights = model.coefs_[:n] if tied else model.coefs_
        count = sum(a.size for a in (*weights, *model.intercepts_))
        results[tied] = count, mse(model, X_test, X_test), model.n_iter_
    (untied, untied_mse, untied_epochs), (tied, tied_mse, tied_epochs) = (
        results[False],
        results[True],
    )
    print(
        f"  tied: {tied} parameters against {untied} ({tied / untied:.2f}x); "
        f"held-out MSE {tied_mse:.3f} against {untied_mse:.3f} "
        f"({tied_mse / untied_mse:.3f}x); epochs {tied_epochs} against {untied_epochs}"
    )


def cost(X_train, seed, epochs=20):
    """Seconds per epoch of each variant, fixed epochs, on the training digits."""
    variants = {"none": {}, **SETTINGS}
    times = {}
    for name, params in variants.items():
        model = AutoencoderTransformer(
            N_COMPONENTS,
            max_iter=epochs,
            n_iter_no_change=epochs,
            early_stopping=False,
            random_state=seed,
        )
        start = time.perf_counter()
        model.set_params(**params).fit(X_train)
        times[name] = (time.perf_counter() - start) / epochs
    line = ", ".join(
        f"{name} {seconds * 1e3:.0f} ms ({seconds / times['none']:.1f}x)"
        for name, seconds in times.items()
    )
    print(f"  {line}")


SETTINGS = {
    "masking": {"noise": "masking", "noise_level": 0.2},
    "gaussian": {"noise": "gaussian", "noise_level": 0.5},
    "sparsity": {"sparsity": 0.03},
    "contractive": {"contractive": 0.01},
    "tied": {"tied_weights": True},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=args.seed)
    sections = [
        ("1. Denoising", lambda: denoising(X_train, X_test, args.seed, "masking", 0.2)),
        ("", lambda: denoising(X_train, X_test, args.seed, "gaussian", 0.5)),
        (
            "2. 200 training digits, fixed epochs",
            lambda: small_data(X_train, X_test, args.seed, args.epochs),
        ),
        ("3. Sparse codes", lambda: sparse_codes(X_train, X_test, args.seed, 0.03)),
        ("4. Tied weights", lambda: tied_weights(X_train, X_test, args.seed)),
        ("5. Time per epoch", lambda: cost(X_train, args.seed)),
    ]
    print(
        f"raw digits, {X_train.shape[0]} training / {X_test.shape[0]} held out, "
        f"n_components={N_COMPONENTS}, seed {args.seed}"
    )
    for title, run in sections:
        if title:
            print(title)
        start = time.perf_counter()
        run()
        print(f"  [{time.perf_counter() - start:.0f} s]")


if __name__ == "__main__":
    with saved_output(__file__):
        main()
