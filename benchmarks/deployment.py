"""Cost of deploying a fitted autoencoder: skops files and ONNX graphs.

Fits ``AutoencoderTransformer(2)`` with default parameters otherwise (the default
architecture, 784-128-128-2-128-128-784) on the manifold set of ``run.py``
(60 000 training rows of 784 float32 columns), or on the raw digits in float32
with ``--quick``, then prints in one run:

* skops: ``skops.io.dump`` and ``skops.io.load`` (with
  ``trusted=skae.SKOPS_TRUSTED_TYPES``) times and the file's size;
* ONNX: ``skl2onnx.to_onnx`` export time, the graph's size in bytes, and the
  time onnxruntime takes to create a session from it;
* latency of ``session.run`` against ``transform`` on 1 and on 1 000 rows,
  median per call over interleaved rounds (as ``run.py`` measures
  ``transform``), and the largest difference between the two outputs.

Every time is the median of repeats. Training runs ``--max-iter`` epochs (20
by default): none of these costs depends on how well trained the model is,
only on its architecture. onnxruntime runs with its default session options
(as many intra-op threads as cores).

Usage: ``python benchmarks/deployment.py [--quick] [--max-iter N]``; needs
the ``skops`` and ``onnx`` extras (``pip install ".[skops,onnx]"``). Run it on
an otherwise idle machine.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import skl2onnx
import sklearn
import skops
import skops.io as sio
from _common import make_manifold, median_call, saved_output
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

import skae
import skae.onnx  # registers the converter with skl2onnx
from skae import AutoencoderTransformer


def median_time(function, repeats):
    """Median wall time of ``repeats`` calls of ``function()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def data(quick):
    """Training rows and at least 1 000 other rows, float32."""
    if quick:
        X = load_digits().data.astype(np.float32)
        return X, X[:1000]
    return make_manifold(60_000, 1_000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="raw digits, seconds")
    parser.add_argument("--max-iter", type=int, default=20, help="training epochs")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    calls = {1: 300, 1000: 30} if args.quick else {1: 3000, 1000: 300}

    X_train, X_test = data(args.quick)
    print(f"# Deployment cost ({'digits, --quick' if args.quick else 'manifold'})")
    print()
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, skops {skops.__version__}, "
        f"skl2onnx {skl2onnx.__version__}, onnxruntime {ort.__version__}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}); "
        f"{time.strftime('%Y-%m-%d')}"
    )
    # Two codes, the former default: with every component nothing is trained.
    ae = AutoencoderTransformer(
        2, max_iter=args.max_iter, early_stopping=False, random_state=0
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X_train)
    units = [ae.coefs_[0].shape[0]] + [coef.shape[1] for coef in ae.coefs_]
    print(
        f"Model: default parameters, max_iter={args.max_iter}, fitted on "
        f"{X_train.shape[0]} x {X_train.shape[1]} {X_train.dtype} rows in "
        f"{time.perf_counter() - start:.1f} s; layers {units}."
    )
    print()

    rows = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.skops"
        rows.append(("skops dump", median_time(lambda: sio.dump(ae, path), repeats)))
        rows.append(
            (
                "skops load",
                median_time(
                    lambda: sio.load(path, trusted=skae.SKOPS_TRUSTED_TYPES), repeats
                ),
            )
        )
        skops_bytes = path.stat().st_size

    sample = X_test[:1]
    rows.append(("ONNX export", median_time(lambda: to_onnx(ae, sample), repeats)))
    graph = to_onnx(ae, sample).SerializeToString()
    providers = ["CPUExecutionProvider"]
    rows.append(
        (
            "onnxruntime session",
            median_time(lambda: ort.InferenceSession(graph, providers=providers), 3),
        )
    )
    session = ort.InferenceSession(graph, providers=providers)
    input_name = session.get_inputs()[0].name

    print("| step | seconds |")
    print("|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.4f} |")
    print()
    print(f"skops file: {skops_bytes} bytes; ONNX graph: {len(graph)} bytes")
    print()

    def onnxruntime_run(X):
        return session.run(None, {input_name: X})[0]

    functions = {"transform": ae.transform, "onnxruntime": onnxruntime_run}
    print("| rows | transform ms | onnxruntime ms | ratio | max abs difference |")
    print("|---|---|---|---|---|")
    for n_rows, n_calls in calls.items():
        X = np.ascontiguousarray(X_test[:n_rows])
        # Interleaved rounds, so that drifting load affects both alike.
        rounds = {name: [] for name in functions}
        for _ in range(5):
            for name, function in functions.items():
                rounds[name].append(median_call(function, X, n_calls // 5))
        seconds = {name: float(np.median(times)) for name, times in rounds.items()}
        Z = ae.transform(X)
        difference = np.abs(onnxruntime_run(X) - Z).max()
        print(
            f"| {n_rows} | {1e3 * seconds['transform']:.4f} "
            f"| {1e3 * seconds['onnxruntime']:.4f} "
            f"| {seconds['onnxruntime'] / seconds['transform']:.2f} "
            f"| {difference:.2e} (of {np.abs(Z).max():.3g}) |"
        )


if __name__ == "__main__":
    with saved_output(__file__):
        status = main()
    sys.exit(status)
