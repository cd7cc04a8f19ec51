"""Where a second BLAS thread pays off: fits and transforms on 1 and 2 threads.

skae trains on one BLAS thread when the largest matrix product of one step
(a minibatch, or an L-BFGS chunk) is below
``skae._threads.MIN_FLOPS_FOR_THREADS``. This script measures that crossover:
for a grid of widths, hidden layers and batch sizes it times the same
training with the BLAS limited to 1 and to 2 threads (skae's own policy
switched off), idle and with one core kept busy by a spinning process, side
by side in one run, and prints the ratio of 2 threads' time to 1 thread's
against the FLOPs of the largest product. Training is timed per minibatch
step over the epochs after the first (the optimizer is wrapped to note when
each epoch ends), on 30 batches of rows: the validation, the PCA and the
first epoch's warm-up are left out, as they would swamp a short fit. It also
times ``transform`` over chunks of rows. First come the two places where
SciPy's own OpenBLAS follows NumPy's products, which skae runs on one thread:
the eigendecomposition of the PCA start's scatter matrix (up to
``SCATTER_MAX_FEATURES`` columns), and L-BFGS-B's vector work between
evaluations of the objective (an L-BFGS fit on the digits, against the same
fit with that work on the training threads).

At the end it prints the crossover, the smallest FLOPs per product from which
2 threads are at least ``--gain`` faster idle in every configuration, and how
often, and by how much, 2 threads are slower or faster than 1 below and
above the policy's threshold. The crossover hangs on the noisiest
configuration; the second summary does not.

Usage: ``python benchmarks/threads.py [--quick] [--scipy-only] [--repeats 5]
[--dtype float64 float32]``, on an otherwise idle machine (it reports the
load average). About 20 minutes, 5 with ``--quick``, 3 with
``--scipy-only``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import time
import warnings
from contextlib import nullcontext
from functools import partial

import numpy as np
from _common import patched, saved_output
from busy import busy_core
from scipy import linalg
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

import skae
import skae._solvers
import skae._threads
from skae import AutoencoderTransformer

SEED = 0


def data(n_rows, n_features, dtype):
    """A noisy 10-d manifold: timing does not depend on the values."""
    rng = np.random.default_rng(SEED)
    latent = rng.standard_normal((n_rows, 10))
    X = np.tanh(latent @ rng.standard_normal((10, n_features)))
    X += 0.1 * rng.standard_normal(X.shape)
    return X.astype(dtype)


class EpochClock:
    """An optimizer wrapper that notes the time at the end of every epoch."""

    def __init__(self, optimizer):
        self.optimizer, self.ends = optimizer, []

    def step(self, *args):
        return self.optimizer.step(*args)

    def end_epoch(self, time_step):
        self.optimizer.end_epoch(time_step)
        self.ends.append(time.perf_counter())

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


class Timed(AutoencoderTransformer):
    """The estimator, with its optimizer's epochs timed (``clock_``)."""

    def _make_optimizer(self, params):
        self.clock_ = EpochClock(super()._make_optimizer(params))
        return self.clock_


def epoch_seconds(X, hidden, batch, epochs, threads):
    """Seconds per training epoch on ``threads`` BLAS threads, and the model.

    The epochs after the first, from the end of the first to the end of the
    last: the validation, the PCA and the first epoch's page faults and
    thread wake-ups are left out, so that only training steps are timed.
    """
    model = Timed(
        n_components=8,
        hidden_layer_sizes=hidden,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=SEED,
    )
    with threadpool_limits(threads, user_api="blas"):
        model.fit(X)
    ends = model.clock_.ends
    return (ends[-1] - ends[0]) / (len(ends) - 1), model


def step_seconds(X, hidden, batch, epochs, threads):
    """Seconds per minibatch step of training on ``threads`` BLAS threads."""
    seconds, _ = epoch_seconds(X, hidden, batch, epochs, threads)
    return seconds / (X.shape[0] // batch)


def transform_seconds(model, X, threads, calls):
    """Median seconds of ``model.transform(X)`` on ``threads`` BLAS threads."""
    times = []
    with threadpool_limits(threads, user_api="blas"):
        model.transform(X)
        for _ in range(calls):
            start = time.perf_counter()
            model.transform(X)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


def eigh_seconds(n_features, n_components, threads):
    """Seconds of the start's ``eigh`` on ``threads`` threads, right after the
    NumPy product that forms its scatter matrix (on the threads as set)."""
    X = data(4 * n_features, n_features, np.float64)
    scatter = X.T @ X
    top = [n_features - n_components, n_features - 1] if n_components else None
    driver = None if top is None else "evx"
    with threadpool_limits(threads, user_api="blas"):
        start = time.perf_counter()
        linalg.eigh(scatter, subset_by_index=top, driver=driver)
        return time.perf_counter() - start


def measure_eighs(repeats):
    """Print the eigendecompositions' table (milliseconds) for a few widths."""
    print("Scatter eigendecomposition after NumPy's product (milliseconds)")
    print()
    print(
        "| n_features | eigenpairs | idle 1 thread | idle 2 | 2 / 1 "
        "| busy 1 thread | busy 2 | 2 / 1 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n_features in (64, 256, 784, 1000):
        for n_components in (8, None):
            row = one_and_two_threads(
                partial(eigh_seconds, n_features, n_components), repeats
            )
            cells = [
                f"{1e3 * row[f'{label} {n}']:.1f}"
                for label in ("idle", "busy")
                for n in (1, 2)
            ]
            cells.insert(2, f"{row['idle 2'] / row['idle 1']:.2f}")
            cells.append(f"{row['busy 2'] / row['busy 1']:.2f}")
            top = "all" if n_components is None else f"top {n_components}"
            print(f"| {n_features} | {top} | " + " | ".join(cells) + " |")
    print()


def lbfgs_seconds(X, solver_threads):
    """Seconds and model of an L-BFGS fit on X, L-BFGS-B's own vector work on
    one thread (skae's) or on the training threads ("training")."""
    model = AutoencoderTransformer(
        8, solver="lbfgs", max_iter=100, early_stopping=False, random_state=SEED
    )
    start = time.perf_counter()
    if solver_threads == "training":
        with patched(skae._solvers, one_blas_thread=lambda: nullcontext([])):
            model.fit(X)
    else:
        model.fit(X)
    return time.perf_counter() - start, model


def measure_lbfgs(repeats):
    """Print L-BFGS fits on the digits with L-BFGS-B's work on 1 thread or not."""
    X = load_digits().data
    times, models = {"one": [], "training": []}, {}
    lbfgs_seconds(X, "one")
    for repeat in range(repeats):
        for threads in ("one", "training") if repeat % 2 == 0 else ("training", "one"):
            seconds, models[threads] = lbfgs_seconds(X, threads)
            times[threads].append(seconds)
    one, training = (float(np.median(times[k])) for k in ("one", "training"))
    same = np.array_equal(models["one"].coefs_[0], models["training"].coefs_[0])
    print(
        "L-BFGS on the digits (100 iterations, 8 components, early_stopping=False):"
        f" {one:.2f} s with L-BFGS-B's vector work on one thread, {training:.2f} s"
        f" on the training threads ({training / one:.2f}x); iterations "
        f"{models['one'].n_iter_} and {models['training'].n_iter_}, same first "
        f"layer bitwise: {same}"
    )
    print()


def largest_flops(n_features, hidden, rows):
    """FLOPs of the largest matrix product over ``rows`` rows, as skae counts."""
    units = [n_features, *hidden, 8, *hidden[::-1], n_features]
    return 2 * skae._threads.product_size(units, rows)


def one_and_two_threads(seconds, repeats, warm_up=None):
    """Median of ``seconds(threads)`` on 1 and 2 threads, idle and one core busy.

    The two thread counts alternate in order, so that drifting load affects
    both alike. Keys are "idle 1", "idle 2", "busy 1" and "busy 2".
    """
    medians = {}
    for busy in (False, True):
        times = {1: [], 2: []}
        with busy_core(busy):
            if warm_up is not None:
                warm_up()
            # Busy times vary more, and 2 threads' can be 50x longer.
            for repeat in range(min(repeats, 3) if busy else repeats):
                for threads in (1, 2) if repeat % 2 == 0 else (2, 1):
                    times[threads].append(seconds(threads))
        label = "busy" if busy else "idle"
        for threads in (1, 2):
            medians[f"{label} {threads}"] = float(np.median(times[threads]))
    return medians


def measure_fits(configs, dtype, repeats, target_seconds):
    rows = []
    for n_features, hidden, batch in configs:
        n_batches = 30
        X = data(n_batches * batch, n_features, dtype)
        # Enough epochs for about target_seconds of timed training.
        first, _ = epoch_seconds(X, hidden, batch, 2, 1)
        epochs = int(np.clip(np.ceil(target_seconds / first), 2, 50)) + 1
        row = {"n_features": n_features, "hidden": hidden, "batch": batch}
        row["flops"] = largest_flops(n_features, hidden, batch)
        row |= one_and_two_threads(
            partial(step_seconds, X, hidden, batch, epochs),
            repeats,
            warm_up=partial(epoch_seconds, X, hidden, batch, 2, 2),
        )
        rows.append(row)
        print_row(row, "batch")
    return rows


def measure_transforms(configs, dtype, repeats):
    rows = []
    for n_features, hidden, n_rows in configs:
        X = data(max(n_rows, 200), n_features, dtype)
        _, model = epoch_seconds(X, hidden, 200, 2, 1)
        X = X[:n_rows]
        flops = largest_flops(n_features, hidden, n_rows)
        calls = int(np.clip(0.05 * 10e9 / (4 * flops), 5, 500))
        row = {"n_features": n_features, "hidden": hidden, "rows": n_rows}
        row["flops"] = flops
        row |= one_and_two_threads(
            partial(transform_seconds, model, X, calls=calls), repeats
        )
        rows.append(row)
        print_row(row, "rows")
    return rows


def ratio(row, label):
    return row[f"{label} 2"] / row[f"{label} 1"]


def print_row(row, size):
    """One table row; ``size`` is the row's batch size or number of rows."""
    print(
        f"| {row['n_features']} | {row['hidden']} | {row[size]} "
        f"| {row['flops'] / 1e6:.1f} | {row['idle 1'] * 1e3:.3f} "
        f"| {row['idle 2'] * 1e3:.3f} | {ratio(row, 'idle'):.2f} "
        f"| {row['busy 1'] * 1e3:.3f} | {row['busy 2'] * 1e3:.3f} "
        f"| {ratio(row, 'busy'):.2f} |",
        flush=True,
    )


def sides(rows, threshold):
    """How 2 threads compare with 1 on each side of the policy's threshold."""
    below = [ratio(r, "idle") for r in rows if r["flops"] < threshold]
    above = [ratio(r, "idle") for r in rows if r["flops"] >= threshold]
    busy = [ratio(r, "busy") for r in rows]
    return (
        f"below {threshold / 1e6:.0f} MFLOP 2 threads are slower idle in "
        f"{sum(b > 1 for b in below)} of {len(below)} configurations (2 / 1 from "
        f"{min(below):.2f} to {max(below):.2f}); from it on, {min(above):.2f} to "
        f"{max(above):.2f}; with a core busy, {min(busy):.2f} to {max(busy):.2f} "
        "at any size."
    )


def crossover(rows, gain):
    """Smallest FLOPs from which 2 threads are ``gain`` faster idle throughout.

    Returns the largest size at which they are not (in some configuration),
    and the smallest size above it.
    """
    sizes = sorted({row["flops"] for row in rows})
    pays = {
        size: all(ratio(r, "idle") <= 1 - gain for r in rows if r["flops"] == size)
        for size in sizes
    }
    failing = [size for size in sizes if not pays[size]]
    if not failing:
        return 0.0, sizes[0]
    above = [size for size in sizes if size > failing[-1]]
    return failing[-1], (above[0] if above else np.inf)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--scipy-only", action="store_true", help="only eigh and L-BFGS-B"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"])
    parser.add_argument(
        "--gain", type=float, default=0.1, help="speed-up that makes 2 threads pay"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    # The policy off: the BLAS runs on the threads threadpool_limits sets.
    threshold = skae._threads.MIN_FLOPS_FOR_THREADS
    with patched(skae._threads, MIN_FLOPS_FOR_THREADS=0):
        report(args, threshold)


def report(args, threshold):
    """Measure and print the tables, with skae's thread policy off."""
    blas = [
        f"{pool['internal_api']} {pool['version']} ({pool.get('architecture')}, "
        f"{pool['num_threads']} threads)"
        for pool in threadpool_info()
        if pool["user_api"] == "blas"
    ]
    print(f"skae {skae.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"BLAS: {'; '.join(blas)}")
    print("BLAS environment:", {k: v for k, v in os.environ.items() if "BLAS" in k})
    print(f"median of {args.repeats}")
    print(f"load average before: {os.getloadavg()}")
    print()
    measure_eighs(args.repeats)
    measure_lbfgs(args.repeats)
    if args.scipy_only:
        return
    if args.quick:
        widths, hiddens, batches = (64, 784), ((128, 128),), (32, 200, 1024)
        extras, rows = [(784, (256,), 256), (784, (256,), 384)], (10, 100, 2048)
    else:
        widths, hiddens = (64, 256, 784), ((32,), (128, 128), (512,))
        batches = (32, 200, 1024)
        # run.py's network, skae's defaults at batches of 256, and 154 MFLOP
        extras = [(784, (256,), 256), (784, (128, 128), 256)]
        extras += [(784, (256,), 384), (784, (128, 128), 768)]
        rows = (10, 30, 100, 300, 1000, 2048)
    configs = [(f, h, b) for f in widths for h in hiddens for b in batches]
    configs = sorted(configs + extras, key=lambda c: largest_flops(*c))
    transform_configs = [(f, (128, 128), r) for f in widths for r in rows]
    transform_configs.sort(key=lambda c: largest_flops(*c))
    header = (
        "| MFLOP, largest product | idle 1 thread | idle 2 | 2 / 1 "
        "| busy 1 thread | busy 2 | 2 / 1 |"
    )
    results = {}
    for dtype in map(np.dtype, args.dtype):
        print(f"## {dtype.name}")
        print()
        print(
            "Training (milliseconds per minibatch step, epochs after the first; "
            "busy: one other process spinning on one core)"
        )
        print()
        print("| n_features | hidden | batch " + header)
        print("|---|---|---|---|---|---|---|---|---|---|")
        fits = measure_fits(configs, dtype, args.repeats, 0.2 if args.quick else 0.3)
        print()
        print("Transform (milliseconds per call)")
        print()
        print("| n_features | hidden | rows " + header)
        print("|---|---|---|---|---|---|---|---|---|---|")
        transforms = measure_transforms(transform_configs, dtype, args.repeats)
        print()
        results[dtype.name] = fits, transforms
    for name, (fits, transforms) in results.items():
        for what, rows in (("fits", fits), ("transforms", transforms)):
            below, above = crossover(rows, args.gain)
            print(
                f"Crossover ({name} {what}): 2 threads are >= {args.gain:.0%} faster "
                f"idle in every configuration from {above / 1e6:.1f} MFLOP per "
                f"product on, not at {below / 1e6:.1f} MFLOP."
            )
            print(f"Threshold ({name} {what}): {sides(rows, threshold)}")
    print(f"skae._threads.MIN_FLOPS_FOR_THREADS is {threshold / 1e6:.1f} MFLOP.")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    with saved_output(__file__):
        main()
