"""Overhead of scikit-learn's ProgressBar callback on a default fit.

Fits ``AutoencoderTransformer(2)`` with its default parameters (but
``n_components``, the former default of 2, since with every component
nothing is trained; ``max_iter``, a few epochs trained on all rows with
``early_stopping=False``; and ``random_state``) on the manifold set of
``run.py`` (60 000 x 784, float32), with and without
``set_callbacks(ProgressBar())``, and prints the seconds per epoch of each,
side by side, and their ratio, against the overhead targets.toml allows.

The two fits alternate, several times, so that a shared machine's noise hits
both alike; seconds per epoch are whole fits (PCA start included) divided by
their epochs, median over the repeats. rich animates the bar only when
standard output is a terminal, which costs more than drawing it once at the
end: the report says which was measured.

Usage: ``python benchmarks/callbacks.py [--quick]``; ``--quick`` fits 5 000
rows for 2 epochs, once, as a check that the script runs. Needs scikit-learn
>= 1.9 and rich (``pip install ".[progress]"``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import gc
import statistics
import sys
import time
import warnings

from _common import make_manifold, saved_output, targets
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer

TARGET = targets(__file__)["overhead"]


def seconds_per_epoch(X, epochs, progress):
    """Seconds per epoch of one default fit of ``epochs`` epochs."""
    ae = AutoencoderTransformer(
        2, max_iter=epochs, early_stopping=False, random_state=0
    )
    if progress:
        from sklearn.callback import ProgressBar

        ae.set_callbacks(ProgressBar())
    gc.collect()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X)
    elapsed = time.perf_counter() - start
    assert ae.n_iter_ == epochs
    return elapsed / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small check")
    args = parser.parse_args()
    n_rows, epochs, repeats = (5_000, 2, 1) if args.quick else (60_000, 5, 3)
    try:
        from sklearn.callback import ProgressBar

        ProgressBar()
    except ImportError as error:
        sys.exit(f"{error}: needs scikit-learn >= 1.9 and pip install '.[progress]'")

    X, _ = make_manifold(n_rows, 0)
    times = {False: [], True: []}
    for repeat in range(repeats):
        # Alternate which goes first, so that neither always follows the other.
        for progress in (False, True) if repeat % 2 == 0 else (True, False):
            times[progress].append(seconds_per_epoch(X, epochs, progress))

    without = statistics.median(times[False])
    with_bar = statistics.median(times[True])
    overhead = with_bar / without - 1
    drawn = "animated (a terminal)" if sys.stdout.isatty() else "drawn at the end"
    print()
    print(
        f"Default fit, {n_rows} x {X.shape[1]} float32, {epochs} epochs, "
        f"median of {repeats}; the bar {drawn}."
    )
    print()
    print("| | s/epoch |")
    print("|---|---|")
    print(f"| without ProgressBar | {without:.3f} |")
    print(f"| with ProgressBar | {with_bar:.3f} |")
    print(f"| ratio | {with_bar / without:.4f} |")
    print()
    verdict = "within" if overhead < TARGET else "over"
    print(f"Overhead {overhead:+.2%}: {verdict} the {TARGET:.0%} target.")
    if args.quick:
        print("(--quick: too small and too short to judge the target.)")


if __name__ == "__main__":
    with saved_output(__file__):
        main()
