"""Measure the choices behind AutoencoderTransformer's defaults.

Prints two markdown tables:

1. the share of standardised error in the objective (``STANDARDISED_SHARE``):
   held-out MSE on raw digits relative to PCA, the shallow linear autoencoder
   relative to PCA(8), and the unexplained variance of the small columns of a
   data set whose columns differ in scale by 10^6;
2. hidden layers x learning rate x batch size: held-out MSE relative to PCA on
   raw digits at 2 and 8 components, epochs run and seconds, all in one run.

Usage: ``python benchmarks/defaults.py [--quick]``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

import skae._scaling
from skae import AutoencoderTransformer


def held_out_mse(model, X_train, X_test):
    model.fit(X_train)
    return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)


def mixed_scales():
    rng = np.random.RandomState(0)
    X = np.tanh(rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 20)))
    X += 0.05 * rng.normal(size=X.shape)
    X[:, :10] *= 1e3
    X[:, 10:] *= 1e-3
    return train_test_split(X, test_size=0.3, random_state=0)


def share_table(digits, pca):
    X_train, X_test = digits
    S_train, S_test = mixed_scales()
    print(
        "| share | digits k=2 / PCA | k=8 / PCA | linear k=8 / PCA | small-column FVU |"
    )
    print("|---|---|---|---|---|")
    default = skae._scaling.STANDARDISED_SHARE
    try:
        for share in [0.0, 0.1, 0.25, 1.0, 1e9]:
            skae._scaling.STANDARDISED_SHARE = share
            ratios = [
                held_out_mse(AutoencoderTransformer(k, random_state=0), X_train, X_test)
                / pca[k]
                for k in (2, 8)
            ]
            linear = AutoencoderTransformer(
                8, hidden_layer_sizes=(), activation="identity", random_state=0
            )
            linear_ratio = held_out_mse(linear, X_train, X_test) / pca[8]
            ae = AutoencoderTransformer(3, random_state=0).fit(S_train)
            X_hat = ae.inverse_transform(ae.transform(S_test))
            fvu = ((X_hat - S_test) ** 2).mean(axis=0) / S_test.var(axis=0)
            print(
                f"| {share:g} | {ratios[0]:.3f} | {ratios[1]:.3f} | {linear_ratio:.4f} "
                f"| {fvu[10:].mean():.3f} |"
            )
    finally:
        skae._scaling.STANDARDISED_SHARE = default


def grid_table(digits, pca, quick):
    X_train, X_test = digits
    hidden = (
        [(64,), (128,), (256,)]
        if quick
        else [(32,), (64,), (128,), (256,), (128, 64), (256, 128)]
    )
    rates = [1e-3, 3e-3] if quick else [1e-4, 1e-3, 3e-3, 1e-2]
    batches = ["auto"] if quick else [32, "auto", 256]
    print(
        "| hidden | learning_rate_init | batch_size | k=2 / PCA | k=8 / PCA "
        "| epochs | seconds |"
    )
    print("|---|---|---|---|---|---|---|")
    for layers in hidden:
        for rate in rates:
            for batch in batches:
                ratios, epochs, start = [], [], time.perf_counter()
                for k in (2, 8):
                    ae = AutoencoderTransformer(
                        k,
                        hidden_layer_sizes=layers,
                        learning_rate_init=rate,
                        batch_size=batch,
                        random_state=0,
                    )
                    ratios.append(held_out_mse(ae, X_train, X_test) / pca[k])
                    epochs.append(ae.n_iter_)
                seconds = time.perf_counter() - start
                print(
                    f"| {layers} | {rate:g} | {batch} | {ratios[0]:.3f} "
                    f"| {ratios[1]:.3f} | {epochs} | {seconds:.1f} |",
                    flush=True,
                )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X = load_digits().data
    digits = train_test_split(X, test_size=0.3, random_state=0)
    pca = {k: held_out_mse(PCA(k), *digits) for k in (2, 8)}
    share_table(digits, pca)
    print()
    grid_table(digits, pca, args.quick)


if __name__ == "__main__":
    main()
