"""Wide and sparse data: the PCA start's cost against PCA's, held-out error, memory.

Answers issue #19's questions, each measured side by side in one run:

- **start**: seconds of the PCA start (``fit`` of a linear network,
  ``hidden_layer_sizes=()``: the start and nothing else, ``n_iter_ == 0``)
  over those of scikit-learn's ``PCA`` at the same k, interleaved, best of
  ``--repeats``: 10 000 x 784 float32 (k = 8) against ``PCA(svd_solver=
  "auto")``; 2 000 x 20 000 float32 (k = 16) against ``"randomized"``; a
  2 000 x 100 000 CSR matrix of density 0.001 (k = 16) against ``"arpack"``.
- **quality**: held-out (30 %) MSE over PCA's at k = 16, default parameters
  but ``max_iter`` (``--max-iter``), on 64 x 64 grey patches of
  ``load_sample_images()`` (4096 features) against ``PCA()``, and on a TF-IDF
  of the ``.py`` files of numpy, scipy, scikit-learn, pandas, matplotlib and
  sphinx (a real text corpus that ships installed; >= 20 000 columns)
  against ``PCA(svd_solver="arpack")``; then ``partial_fit`` over 4 chunks
  (``--passes`` passes) against ``IncrementalPCA``. The targets are in
  ``targets.toml``.
- **memory**: peak RSS above the data of a default ``fit`` (``--max-iter``
  epochs) of the 100 000-column sparse matrix, in a fresh process, against
  10 % of the dense matrix plus the network's parameters and Adam's state.
- **epoch**: seconds per epoch of a default ``fit`` against
  ``MLPRegressor(hidden_layer_sizes=(128, k, 128))`` fitted X -> X, on a
  2 000 x 20 000 sparse matrix (MLPRegressor needs a dense target).

The machine may be shared: the load average is printed before and after,
and only ratios measured in the same run mean anything.

Run ``python benchmarks/wide.py`` (``--quick`` for smaller data, a check
that it runs).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import glob
import json
import os
import resource
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from _common import child_report, saved_output, targets
from sklearn.datasets import load_sample_images
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.image import extract_patches_2d
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor

from skae import AutoencoderTransformer

TARGETS = targets(__file__)
CORPUS_PACKAGES = ("numpy", "scipy", "sklearn", "pandas", "matplotlib", "sphinx")


def sparse_data(n_samples, n_features, density=0.001, seed=0):
    """A CSR matrix of uniform (0, 1) entries, float64."""
    return sp.random(
        n_samples, n_features, density=density, format="csr", random_state=seed
    )


def start_cases(quick):
    """(name, X, k, PCA's solver) of the start's timing."""
    rng = np.random.RandomState(0)
    scale = 5 if quick else 1
    # Low-rank structure plus noise, so that the top axes are well separated.
    narrow = rng.normal(size=(10_000 // scale, 20)) @ rng.normal(size=(20, 784))
    narrow += rng.normal(size=narrow.shape)
    wide = rng.normal(size=(2_000 // scale, 30)) @ rng.normal(size=(30, 20_000))
    wide += rng.normal(size=wide.shape)
    return [
        ("narrow", narrow.astype(np.float32), 8, "auto"),
        ("wide dense", wide.astype(np.float32), 16, "randomized"),
        ("sparse", sparse_data(2_000 // scale, 100_000 // scale), 16, "arpack"),
    ]


def best_time(function, repeats):
    """Smallest wall time of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def start_table(quick, repeats):
    """Print the start's seconds against PCA's, interleaved, best of ``repeats``."""
    print("PCA start (linear network fit) against PCA, best of", repeats)
    print(
        f"{'data':<12} {'shape':>16} {'k':>3} {'PCA solver':>11} "
        f"{'start s':>8} {'PCA s':>8} {'ratio':>6} {'target':>6}"
    )
    for name, X, k, solver in start_cases(quick):
        start_times, pca_times = [], []
        for _ in range(repeats):
            ae = AutoencoderTransformer(k, hidden_layer_sizes=(), random_state=0)
            start_times.append(best_time(lambda ae=ae, X=X: ae.fit(X), 1)[0])
            pca = PCA(k, svd_solver=solver, random_state=0)
            pca_times.append(best_time(lambda pca=pca, X=X: pca.fit(X), 1)[0])
        assert ae.n_iter_ == 0
        ratio = min(start_times) / min(pca_times)
        print(
            f"{name:<12} {str(X.shape):>16} {k:>3} {solver:>11} "
            f"{min(start_times):8.3f} {min(pca_times):8.3f} {ratio:6.2f} "
            f"{TARGETS['start'][name]:6.2f}"
        )


def patches(quick):
    """64 x 64 grey patches of the sample photographs, (n, 4096) float64 in [0, 1]."""
    per_image = 500 if quick else 2_000
    images = [image.mean(axis=2) / 255 for image in load_sample_images().images]
    return np.vstack(
        [
            extract_patches_2d(
                image, (64, 64), max_patches=per_image, random_state=i
            ).reshape(per_image, -1)
            for i, image in enumerate(images)
        ]
    )


def corpus(quick):
    """TF-IDF of the installed packages' ``.py`` files, one document per file."""
    files = []
    for name in CORPUS_PACKAGES[:3] if quick else CORPUS_PACKAGES:
        try:
            module = __import__(name)
        except ImportError:
            continue
        root = os.path.dirname(module.__file__)
        files += sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True))
    documents = []
    for path in files:
        with open(path, encoding="utf-8", errors="ignore") as file:
            documents.append(file.read())
    vectorizer = TfidfVectorizer(min_df=2, token_pattern=r"(?u)\b[a-zA-Z]{2,}\b")
    return vectorizer.fit_transform(documents).tocsr()


def held_out_mse(model, X):
    """Mean squared reconstruction error of X (dense or sparse)."""
    return (
        float(-model.score(X))
        if hasattr(model, "score_samples") and isinstance(model, AutoencoderTransformer)
        else _pca_mse(model, X)
    )


def _pca_mse(pca, X):
    """A PCA's mean squared reconstruction error of X, sparse X in row chunks."""
    total = 0.0
    for start in range(0, X.shape[0], 500):
        rows = X[start : start + 500]
        rows = rows.toarray() if sp.issparse(rows) else rows
        total += float(((pca.inverse_transform(pca.transform(rows)) - rows) ** 2).sum())
    return total / (X.shape[0] * X.shape[1])


def quality_table(quick, max_iter, passes, k=16):
    """Print held-out MSE over PCA's (fit and partial_fit) on patches and text."""
    print(f"\nheld-out MSE / PCA's at k={k} (30 % held out), max_iter={max_iter}")
    cases = [("patches", patches(quick), "auto"), ("tf-idf", corpus(quick), "arpack")]
    for name, X, solver in cases:
        X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
        pca = PCA(k, svd_solver=solver, random_state=0).fit(X_train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            ae = AutoencoderTransformer(k, max_iter=max_iter, random_state=0)
            ae.fit(X_train)
            seconds = time.perf_counter() - start
            ratio = held_out_mse(ae, X_test) / _pca_mse(pca, X_test)
            print(
                f"  {name:<8} {str(X.shape):>16} fit          {ratio:.4f}  "
                f"(epochs {ae.n_iter_}, {seconds:.1f} s; target "
                f"{TARGETS['quality']})"
            )
            chunks = np.array_split(np.arange(X_train.shape[0]), 4)
            incremental = IncrementalPCA(k)
            for rows in chunks:
                part = X_train[rows]
                incremental.partial_fit(part.toarray() if sp.issparse(part) else part)
            ae = AutoencoderTransformer(k, random_state=0)
            for _ in range(passes):
                for rows in chunks:
                    ae.partial_fit(X_train[rows])
            ratio = held_out_mse(ae, X_test) / _pca_mse(incremental, X_test)
            print(
                f"  {name:<8} {str(X.shape):>16} partial_fit  {ratio:.4f}  "
                f"(against IncrementalPCA, {passes} passes over 4 chunks)"
            )


def memory_child(n_samples, n_features, max_iter, k=16):
    """In a fresh process: peak RSS of a default fit above that of the data."""
    X = sparse_data(n_samples, n_features)
    small = AutoencoderTransformer(k, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        small.fit(X[:50, :2000])  # libraries and BLAS buffers loaded
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
        before = _rss_peak()
        ae = AutoencoderTransformer(k, max_iter=max_iter, random_state=0).fit(X)
    network = sum(a.nbytes for a in (*ae.coefs_, *ae.intercepts_))
    print(
        json.dumps(
            {
                "peak": _rss_peak() - before,
                "network": network,
                "dense": n_samples * n_features * 8,
                "epochs": ae.n_iter_,
            }
        )
    )


def _rss_peak():
    """This process's peak resident set size since the last reset, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_line(quick, max_iter):
    """Print the sparse fit's peak memory against the issue's budget."""
    n_samples, n_features = (400, 20_000) if quick else (2_000, 100_000)
    command = [sys.executable, __file__, "--memory-child"]
    report = child_report(command + [str(n_samples), str(n_features), str(max_iter)])
    # Adam keeps two moments of every parameter.
    budget = 0.1 * report["dense"] + 3 * report["network"]
    mib = 2.0**20
    print(
        f"\nsparse {n_samples} x {n_features} (density 0.001) default fit, "
        f"{report['epochs']} epochs: peak {report['peak'] / mib:.0f} MiB above the "
        f"data; budget {budget / mib:.0f} MiB (10 % of the dense "
        f"{report['dense'] / mib:.0f} MiB + parameters and Adam's state "
        f"{3 * report['network'] / mib:.0f} MiB): ratio "
        f"{report['peak'] / budget:.2f}"
    )


def epoch_line(quick, epochs=3, k=16):
    """Print seconds per epoch of skae and MLPRegressor (X -> X) on sparse data."""
    X = sparse_data(*((400, 5_000) if quick else (2_000, 20_000)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = AutoencoderTransformer(k, max_iter=epochs, tol=0, random_state=0)
        ae_seconds = best_time(lambda: ae.fit(X), 1)[0] / ae.n_iter_
        mlp = MLPRegressor(
            hidden_layer_sizes=(128, k, 128), max_iter=epochs, tol=0, random_state=0
        )
        target = X.toarray()
        mlp_seconds = best_time(lambda: mlp.fit(X, target), 1)[0] / mlp.n_iter_
    print(
        f"\nseconds per epoch on sparse {X.shape}: skae {ae_seconds:.3f}, "
        f"MLPRegressor {mlp_seconds:.3f} (ratio {ae_seconds / mlp_seconds:.2f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--only", choices=["start", "quality", "memory", "epoch"])
    parser.add_argument("--memory-child", nargs=3, type=int)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    print(f"load average before: {os.getloadavg()}")
    if args.only in (None, "start"):
        start_table(args.quick, args.repeats)
    if args.only in (None, "quality"):
        quality_table(args.quick, args.max_iter, args.passes)
    if args.only in (None, "memory"):
        memory_line(args.quick, min(args.max_iter, 2))
    if args.only in (None, "epoch"):
        epoch_line(args.quick)
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    with saved_output(__file__):
        main()
