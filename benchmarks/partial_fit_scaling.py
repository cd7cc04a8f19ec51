"""Measure partial_fit's running statistics on chunks that are not alike.

``partial_fit`` takes its PCA path (and the network's scales) from the mean
and scatter of the data. This compares three ways of getting them, on raw
digits (30 % held out) whose training rows are
sorted by label and cut into chunks of 200 rows, fed in a new random order each
epoch, as an out-of-core loop over a sorted file would:

- ``first chunk``: the statistics of the first chunk, frozen (what
  ``partial_fit`` did before it kept running statistics);
- ``running``: the statistics of every row seen so far, merged exactly, the PCA
  path recomputed and the corrections carried over at each update (what
  ``partial_fit`` does);
- ``all data``: the statistics of the whole training set, known in advance (an
  oracle no streaming loop has);

and, for reference, ``running`` on the same training rows shuffled before they
are cut into chunks, which is what the sorted file costs.

Prints a markdown table: held-out MSE (mean and standard deviation over seeds),
and the number of columns reconstructed worse than by their training mean (the
estimator's contract is none), for 2 and 8 components.

Usage: ``python benchmarks/partial_fit_scaling.py [--quick]``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time

import numpy as np
from _common import patched, saved_output
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

import skae._autoencoder
from skae import AutoencoderTransformer
from skae._pca import moments


def variant(name, X_train):
    """Patch how the estimator gets and updates its statistics."""
    values = {
        "first chunk": dict(merge=lambda old, new, rank=None: old),
        "running": {},
        "all data": dict(
            moments=lambda X, *args, **kwargs: moments(X_train),
            merge=lambda old, new, rank=None: old,
        ),
    }[name]
    return patched(skae._autoencoder, **values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 20 epochs")
    args = parser.parse_args()
    seeds = range(2) if args.quick else range(5)
    n_epochs = 20 if args.quick else 60

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=0)
    X_sorted = X_train[np.argsort(y_train, kind="stable")]
    chunks = list(gen_batches(X_sorted.shape[0], 200))
    mean, var = X_train.mean(axis=0), X_test.var(axis=0)
    mean_error = ((X_test - mean) ** 2).mean(axis=0)

    print(
        f"{len(chunks)} chunks of 200 rows sorted by label, {n_epochs} epochs, "
        f"seeds {list(seeds)}"
    )
    print("| components | statistics | held-out MSE | columns worse than mean | s |")
    print("|---|---|---|---|---|")
    X_shuffled = X_train[np.random.RandomState(0).permutation(X_train.shape[0])]
    for n_components in (2, 8):
        for name, X_chunks in (
            ("first chunk", X_sorted),
            ("running", X_sorted),
            ("all data", X_sorted),
            ("running, rows shuffled", X_shuffled),
        ):
            with variant(name.split(",")[0], X_train):
                errors, worse, start = [], [], time.perf_counter()
                for seed in seeds:
                    ae = AutoencoderTransformer(n_components, random_state=seed)
                    order = np.random.RandomState(seed)
                    for _ in range(n_epochs):
                        for i in order.permutation(len(chunks)):
                            ae.partial_fit(X_chunks[chunks[i]])
                    X_hat = ae.inverse_transform(ae.transform(X_test))
                    column_error = ((X_hat - X_test) ** 2).mean(axis=0)
                    errors.append(column_error.mean())
                    informative = var > 0
                    worse.append(
                        int(np.sum(column_error[informative] > mean_error[informative]))
                    )
            print(
                f"| {n_components} | {name} | {np.mean(errors):.3f} "
                f"± {np.std(errors):.3f} | {worse} | "
                f"{time.perf_counter() - start:.0f} |"
            )


if __name__ == "__main__":
    with saved_output(__file__):
        main()
