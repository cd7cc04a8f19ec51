"""Speed, accuracy and memory of skae against MLPRegressor, PyTorch and PCA.

Prints a markdown report (and writes it with ``--output FILE``):

* the "manifold" data set (a 10-d Gaussian latent through a fixed random tanh
  network of 64 units to 784 sigmoid features plus N(0, 0.02^2) noise, float32)
  at k = 2, 8 and 32: seconds per epoch, achieved GFLOP/s and their share of
  the float32 GEMM peak measured in the same run, time relative to the matmuls
  alone, and held-out reconstruction MSE after the same epochs;
* raw digits (small, overhead-bound): seconds per epoch;
* ``transform`` latency for 1 and 1 000 rows;
* peak resident memory above the data of fresh processes fitting the
  manifold set.

Every system trains 784-256-k-256-784 (ReLU hidden layers, identity output,
Adam, lr 1e-3, batch 256, no L2 penalty, no early stopping) for the same
epochs. Systems fit in turn, several times, half a second apart, so that a
shared machine's noise hits all of them alike (PyTorch too: it fits in a
process of its own that waits for its turn); seconds per epoch are whole fits
divided by their epochs (so each system's validation and set-up count, as in
use), median over the repeats. The whole measurement runs twice in child
processes: with the BLAS environment as set, and with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset.

Usage: ``python benchmarks/run.py [--quick] [--output FILE]``. PyTorch is
measured when it is installed (``pip install torch==2.13.0``), never required.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import datetime
import gc
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
from _common import (
    BLAS_VARIABLES,
    SEED,
    blas_settings,
    child_report,
    environment,
    importable,
    machine_lines,
    make_digits,
    make_manifold,
    median_call,
    run_child,
    save_report,
    saved_output,
    saved_reports,
    targets,
)

TARGETS = targets(__file__)
HIDDEN = 256
BATCH = 256
LEARNING_RATE = 1e-3


# ---------------------------------------------------------------- data sets


# ---------------------------------------------------------------- systems
def units(n_features, k):
    return [n_features, HIDDEN, k, HIDDEN, n_features]


def flops_per_sample(layer_units):
    """Matmul FLOPs of one training step per sample: forward, weight gradients
    and the deltas of every layer but the first (the input's is never needed)."""
    products = [
        2 * a * b for a, b in zip(layer_units[:-1], layer_units[1:], strict=True)
    ]
    return 3 * sum(products) - products[0]


class Skae:
    def __init__(self, X, k, dtype):
        self.X, self.k = X.astype(dtype, copy=False), k

    def fit(self, epochs):
        from skae import AutoencoderTransformer

        self.model = AutoencoderTransformer(
            n_components=self.k,
            hidden_layer_sizes=(HIDDEN,),
            **fixed_epochs(epochs),
        ).fit(self.X)

    def reconstruct(self, X):
        return self.model.inverse_transform(self.model.transform(X))

    def transform(self, X):
        return self.model.transform(X)


class MLP:
    """MLPRegressor fit X -> X; its code layer is ReLU like its other layers."""

    def __init__(self, X, k, dtype):
        self.X, self.k = X.astype(dtype, copy=False), k

    def fit(self, epochs):
        from sklearn.neural_network import MLPRegressor

        self.model = MLPRegressor(
            hidden_layer_sizes=(HIDDEN, self.k, HIDDEN), **fixed_epochs(epochs)
        ).fit(self.X, self.X)

    def reconstruct(self, X):
        return self.model.predict(X)

    transform = reconstruct


def fixed_epochs(epochs):
    """The shared training recipe, run for exactly ``epochs`` epochs."""
    return dict(
        activation="relu",
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        batch_size=BATCH,
        alpha=0.0,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        early_stopping=False,
        random_state=SEED,
    )


class Torch:
    def __init__(self, X, k, dtype):
        import torch

        torch.set_num_threads(os.cpu_count())
        self.torch, self.k = torch, k
        self.X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))

    def fit(self, epochs):
        torch = self.torch
        generator = torch.Generator().manual_seed(SEED)
        torch.manual_seed(SEED)
        n_samples, n_features = self.X.shape
        linear = torch.nn.Linear
        self.net = torch.nn.Sequential(
            linear(n_features, HIDDEN),
            torch.nn.ReLU(),
            linear(HIDDEN, self.k),
            linear(self.k, HIDDEN),
            torch.nn.ReLU(),
            linear(HIDDEN, n_features),
        )
        optimizer = torch.optim.Adam(self.net.parameters(), lr=LEARNING_RATE)
        for _ in range(epochs):
            order = torch.randperm(n_samples, generator=generator)
            for start in range(0, n_samples, BATCH):
                batch = self.X[order[start : start + BATCH]]
                optimizer.zero_grad()
                loss = torch.nn.functional.mse_loss(self.net(batch), batch)
                loss.backward()
                optimizer.step()

    def reconstruct(self, X):
        with self.torch.no_grad():
            return self.net(self.torch.from_numpy(X.astype(np.float32))).numpy()


class GemmFloor:
    """The matmuls of the epochs alone, with the shapes the systems compute."""

    def __init__(self, X, k, dtype):
        rng = np.random.default_rng(SEED)
        self.n_samples = X.shape[0]
        self.units = units(X.shape[1], k)
        self.coefs = [
            rng.standard_normal((a, b)).astype(dtype)
            for a, b in zip(self.units[:-1], self.units[1:], strict=True)
        ]
        self.outputs = [
            rng.standard_normal((BATCH, u)).astype(dtype) for u in self.units
        ]
        self.deltas = [np.empty((BATCH, u), dtype) for u in self.units]
        self.grads = [np.empty_like(c) for c in self.coefs]

    def fit(self, epochs):
        for _ in range(epochs):
            for start in range(0, self.n_samples, BATCH):
                self.step(min(BATCH, self.n_samples - start))

    def step(self, n):
        """The matmuls of one training step on ``n`` rows."""
        outputs = [a[:n] for a in self.outputs]
        deltas = [a[:n] for a in self.deltas]
        for i, coef in enumerate(self.coefs):
            np.matmul(outputs[i], coef, out=outputs[i + 1])
        delta = outputs[-1]
        for i in range(len(self.coefs) - 1, -1, -1):
            np.matmul(outputs[i].T, delta, out=self.grads[i])
            if i > 0:
                delta = np.matmul(delta, self.coefs[i].T, out=deltas[i])


class GemmAdamFloor(GemmFloor):
    """The matmuls and skae's Adam steps of the epochs alone.

    Adam's dozen elementwise passes over every parameter run on one core
    (NumPy's ufuncs are single-threaded), so this is the least a NumPy
    implementation of the same training computes with skae's optimizer:
    against MLPRegressor it bounds what skae's per-epoch ratio can reach.
    """

    def __init__(self, X, k, dtype):
        from skae._optimizers import Adam, scratch_for

        super().__init__(X, k, dtype)
        size = sum(c.size for c in self.coefs) + sum(self.units[1:])
        self.theta = np.zeros(size, dtype)
        rng = np.random.default_rng(SEED)
        self.gradient = rng.standard_normal(size).astype(dtype) * 1e-3
        self.optimizer = Adam([self.theta], learning_rate_init=LEARNING_RATE)
        self.scratch = scratch_for([self.theta])

    def step(self, n):
        super().step(n)
        self.optimizer.step([self.theta], [self.gradient], self.scratch)


def gemm_peak(dtype, n=2048, repeats=7):
    a = np.random.default_rng(SEED).standard_normal((n, n)).astype(dtype)
    c = np.empty_like(a)
    np.matmul(a, a, out=c)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, a, out=c)
        times.append(time.perf_counter() - start)
    return 2 * n**3 / np.median(times) / 1e9


class TorchChild:
    """PyTorch fitted in a process of its own, each time its turn comes.

    Sharing a process would let PyTorch's OpenMP threads, which spin for a
    while after each parallel region, steal the cores from OpenBLAS's (and
    OpenBLAS's idle threads spin likewise), slowing whichever system follows.
    The child generates the same data and waits for the parent's word, so its
    fits take turns with the others' and a machine's slow minutes, which
    come and go, hit every system alike.
    """

    def __init__(self, n_train, n_test, k):
        command = [sys.executable, __file__, "--torch", str(k)]
        command += ["--rows", str(n_train), "--test-rows", str(n_test)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ask("ready")

    def ask(self, request):
        """Send one request line; the child's JSON answer."""
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the PyTorch child ended ({self.process.wait()})")
        return json.loads(answer)

    def fit(self, epochs):
        self.ask(f"fit {epochs}")

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def torch_child(args):
    """The PyTorch child's side of :class:`TorchChild`: fit or score when asked."""
    X_train, X_test = make_manifold(args.rows, args.test_rows)
    system = Torch(X_train, args.torch, np.float32)
    for request in sys.stdin:
        match request.split():
            case ["fit", epochs]:
                system.fit(int(epochs))
                answer = "done"
            case ["mse"]:
                answer = held_out_mse(system, X_test)
            case ["ready"]:
                answer = "ready"
            case _:
                raise ValueError(f"unknown request {request!r}")
        print(json.dumps(answer), flush=True)


# Seconds between fits, so that each system's threads, which spin for a while
# after their last parallel work, are asleep before the next system starts.
PAUSE = 0.5


def race(systems, epochs, repeats):
    """Fit every system for ``epochs`` epochs, in turn, ``repeats`` times.

    Returns the seconds per epoch of each fit: whole fits, so each system's
    one-off work (validation, statistics, initialisation) counts as in use.
    """
    times = {name: [] for name in systems}
    names = list(systems)
    for repeat in range(repeats):
        # Rotate who goes first, so no system always follows the same one.
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(PAUSE)
            start = time.perf_counter()
            systems[name].fit(epochs)
            times[name].append((time.perf_counter() - start) / epochs)
    return times


def held_out_mse(system, X_test):
    if isinstance(system, TorchChild):
        return system.ask("mse")  # on the same test rows, generated there
    return float(np.mean((system.reconstruct(X_test) - X_test) ** 2))


# ---------------------------------------------------------------- measurements
def manifold_runs(X_train, X_test, ks, epochs, repeats):
    from sklearn.decomposition import PCA

    results, latency = [], None
    for k in ks:
        flops = flops_per_sample(units(X_train.shape[1], k)) * X_train.shape[0]
        systems = {
            "skae float32": Skae(X_train, k, np.float32),
            "skae float64": Skae(X_train, k, np.float64),
            "MLPRegressor float32": MLP(X_train, k, np.float32),
            "MLPRegressor float64": MLP(X_train, k, np.float64),
            "matmuls alone float32": GemmFloor(X_train, k, np.float32),
            "matmuls alone float64": GemmFloor(X_train, k, np.float64),
            "matmuls and Adam alone float32": GemmAdamFloor(X_train, k, np.float32),
            "matmuls and Adam alone float64": GemmAdamFloor(X_train, k, np.float64),
        }
        if importable("torch"):
            systems["PyTorch float32"] = TorchChild(len(X_train), len(X_test), k)
        times = race(systems, epochs, repeats)
        for name, system in systems.items():
            seconds = float(np.median(times[name]))
            row = {
                "k": k,
                "system": name,
                "seconds": seconds,
                "gflops": flops / seconds / 1e9,
            }
            if not name.startswith("matmuls"):
                row["mse"] = held_out_mse(system, X_test)
            results.append(row)
        start = time.perf_counter()
        pca = PCA(n_components=k, random_state=SEED).fit(X_train)
        results.append(
            {
                "k": k,
                "system": "PCA float32",
                "fit_seconds": time.perf_counter() - start,
                "mse": float(
                    np.mean(
                        (pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2
                    )
                ),
            }
        )
        if k == 8:
            latency = transform_latency(systems, pca, X_test)
        if "PyTorch float32" in systems:
            systems["PyTorch float32"].close()
        del systems
        gc.collect()
    return results, latency


def latency_targets(latency):
    """The target lines of transform latency, skae against PCA."""
    pca = latency["PCA float32 transform"]
    skae = latency["skae float32 transform"]
    calls = (
        ("1", "1 row", "transform_1_row"),
        ("1000", "1000 rows", "transform_1000_rows"),
    )
    return [
        ratio_line(
            f"transform {label}, skae / PCA", skae[rows] / pca[rows], TARGETS[key]
        )
        for rows, label, key in calls
    ]


def transform_latency(systems, pca, X_test):
    functions = {
        "skae float32 transform": systems["skae float32"].transform,
        "PCA float32 transform": pca.transform,
        "MLPRegressor float32 predict": systems["MLPRegressor float32"].transform,
    }
    latency = {name: {} for name in functions}
    for rows, calls in ((1, 3000), (1000, 300)):
        X = np.ascontiguousarray(X_test[:rows])
        # Interleaved rounds, so drifting load affects all three alike.
        rounds = {name: [] for name in functions}
        for _ in range(5):
            for name, function in functions.items():
                rounds[name].append(median_call(function, X, calls // 5))
        for name in functions:
            latency[name][str(rows)] = float(np.median(rounds[name]))
    return latency


def digits_runs(epochs, repeats):
    """The same recipe on raw digits (float64), where overhead dominates."""
    X_train, X_test = make_digits()
    results = []
    for k in (2, 8):
        systems = {
            "skae float64": Skae(X_train, k, np.float64),
            "MLPRegressor float64": MLP(X_train, k, np.float64),
        }
        times = race(systems, epochs, repeats)
        for name, system in systems.items():
            results.append(
                {
                    "k": k,
                    "system": name,
                    "seconds": float(np.median(times[name])),
                    "mse": held_out_mse(system, X_test),
                }
            )
    return results


# ---------------------------------------------------------------- memory
def _status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB -> MB
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(system, n_train, dtype):
    """In a fresh process: peak RSS of a one-epoch fit above the data's."""
    name = {"skae": Skae, "MLPRegressor": MLP, "PyTorch": Torch}.get(system)
    epochs = 1
    X, _ = make_manifold(n_train, 0, dtype)
    # A first small fit loads the libraries and lets BLAS allocate its
    # per-thread buffers, which do not grow with the data.
    if name is not None:
        name(X[: 4 * BATCH], 8, dtype).fit(epochs)
    else:
        from sklearn.decomposition import PCA

        PCA(n_components=8, random_state=SEED).fit(X[: 4 * BATCH])
    gc.collect()
    # Writing 5 resets the peak (VmHWM) to the current RSS (Linux >= 4.0), so
    # the peak below is the fit's, not the data generation's.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    baseline = _status("VmRSS")
    if name is None:
        PCA(n_components=8, random_state=SEED).fit(X)
    else:
        name(X, 8, dtype).fit(epochs)
    peak = _status("VmHWM")
    return {
        "data_mb": X.nbytes / 2**20,
        "baseline_mb": baseline,
        "peak_above_mb": peak - baseline,
    }


def memory_runs(n_train):
    systems = [("skae", "float32"), ("skae", "float64"), ("MLPRegressor", "float32")]
    systems += [("MLPRegressor", "float64"), ("PCA", "float32")]
    if importable("torch"):
        systems.append(("PyTorch", "float32"))
    results = []
    for system, dtype in systems:
        command = [sys.executable, __file__, "--memory", system, dtype]
        report = child_report(command + ["--rows", str(n_train)])
        results.append({"system": f"{system} {dtype}", **report})
    return results


# ---------------------------------------------------------------- report


def child(args):
    X_train, X_test = make_manifold(args.rows, args.test_rows)
    report = {
        "environment": environment(),
        "blas_env": {name: os.environ.get(name) for name in BLAS_VARIABLES},
        "peak": {"float32": gemm_peak(np.float32), "float64": gemm_peak(np.float64)},
    }
    report["manifold"], report["latency"] = manifold_runs(
        X_train, X_test, args.ks, args.epochs, args.repeats
    )
    report["digits"] = digits_runs(args.digits_epochs, args.digits_repeats)
    if args.with_memory:
        report["memory"] = memory_runs(args.rows)
    return report


def table_row(*cells):
    return "| " + " | ".join(map(str, cells)) + " |"


def ratio_line(label, value, target):
    mark = "met" if value <= target else "**missed**"
    return f"| {label} | {value:.2f} | {target:.2f} | {mark} |"


def markdown(reports, args):
    lines = [
        f"# skae benchmarks, {datetime.date.today().isoformat()}",
        "",
    ]
    lines += machine_lines(reports[0][1]["environment"])
    lines += [
        f"Manifold set: {args.rows} training and {args.test_rows} test rows, "
        f"fits of {args.epochs} epochs, median of {args.repeats} fits in turn; "
        f"digits: fits of {args.digits_epochs} epochs, median of "
        f"{args.digits_repeats}. Seconds per epoch are whole fits divided by "
        "their epochs.",
        "",
    ]
    for setting, report in reports:
        peak32, peak64 = report["peak"]["float32"], report["peak"]["float64"]
        lines += [
            f"## BLAS environment {setting}: "
            + ", ".join(f"{k}={v}" for k, v in report["blas_env"].items()),
            "",
            f"GEMM peak (square 2048 np.matmul): float32 {peak32:.0f} GFLOP/s, "
            f"float64 {peak64:.0f} GFLOP/s.",
            "",
            table_row(
                "k",
                "system",
                "s/epoch",
                "GFLOP/s",
                "% of f32 peak",
                "x matmuls alone",
                "held-out MSE",
            ),
            "|---|---|---|---|---|---|---|",
        ]
        rows = report["manifold"]
        by = {(r["k"], r["system"]): r for r in rows}
        for r in rows:
            mse = f"{r['mse']:.4f}" if "mse" in r else ""
            if "seconds" not in r:
                fit = f"fit {r['fit_seconds']:.2f} s"
                lines.append(table_row(r["k"], r["system"], fit, "", "", "", mse))
                continue
            dtype = r["system"].split()[-1]
            floor = by[(r["k"], f"matmuls alone {dtype}")]["seconds"]
            lines.append(
                table_row(
                    r["k"],
                    r["system"],
                    f"{r['seconds']:.3f}",
                    f"{r['gflops']:.0f}",
                    f"{100 * r['gflops'] / peak32:.0f}",
                    f"{r['seconds'] / floor:.2f}",
                    mse,
                )
            )
        lines += ["", "| target | measured | target | |", "|---|---|---|---|"]
        for k in sorted({r["k"] for r in rows}):
            skae32 = by[(k, "skae float32")]
            skae64 = by[(k, "skae float64")]
            if (k, "PyTorch float32") in by:
                torch = by[(k, "PyTorch float32")]
                lines.append(
                    ratio_line(
                        f"k={k} skae f32 / PyTorch s/epoch",
                        skae32["seconds"] / torch["seconds"],
                        TARGETS["pytorch_seconds"],
                    )
                )
            lines.append(
                ratio_line(
                    f"k={k} skae f32 / MLPRegressor f32 s/epoch",
                    skae32["seconds"] / by[(k, "MLPRegressor float32")]["seconds"],
                    TARGETS["mlp_seconds"],
                )
            )
            lines.append(
                ratio_line(
                    f"k={k} skae f64 / MLPRegressor f64 s/epoch",
                    skae64["seconds"] / by[(k, "MLPRegressor float64")]["seconds"],
                    TARGETS["mlp_seconds"],
                )
            )
            for dtype in ("float32", "float64"):
                # Not a target: the least skae's ratio above can be in NumPy.
                floor = by[(k, f"matmuls and Adam alone {dtype}")]["seconds"]
                mlp = by[(k, f"MLPRegressor {dtype}")]["seconds"]
                lines.append(
                    table_row(
                        f"k={k} matmuls and Adam alone {dtype} / MLPRegressor",
                        f"{floor / mlp:.2f}",
                        f"{TARGETS['mlp_seconds']:.2f}",
                        "bound",
                    )
                )
            for dtype, row in (("float32", skae32), ("float64", skae64)):
                lines.append(
                    ratio_line(
                        f"k={k} skae {dtype} / matmuls alone",
                        row["seconds"] / by[(k, f"matmuls alone {dtype}")]["seconds"],
                        TARGETS["matmuls"],
                    )
                )
            if k == 8 and (k, "PyTorch float32") in by:
                lines.append(
                    ratio_line(
                        "k=8 skae f32 / PyTorch held-out MSE",
                        skae32["mse"] / torch["mse"],
                        TARGETS["pytorch_mse"],
                    )
                )
        digits = {(r["k"], r["system"]): r for r in report["digits"]}
        for k in (2, 8):
            lines.append(
                ratio_line(
                    f"digits k={k} skae / MLPRegressor s/epoch",
                    digits[(k, "skae float64")]["seconds"]
                    / digits[(k, "MLPRegressor float64")]["seconds"],
                    TARGETS["digits_mlp_seconds"],
                )
            )
        latency = report["latency"]
        if latency is not None:  # measured with the k=8 models only
            lines += latency_targets(latency)
        lines += ["", "Raw digits (float64, 1257 training rows):", ""]
        lines += ["| k | system | s/epoch | held-out MSE |", "|---|---|---|---|"]
        for r in report["digits"]:
            seconds = f"{r['seconds'] * 1e3:.1f} ms"
            lines.append(table_row(r["k"], r["system"], seconds, f"{r['mse']:.3f}"))
        if latency is not None:
            lines += ["", "Transform latency (k=8 models, median per call):", ""]
            lines += ["| call | 1 row | 1000 rows |", "|---|---|---|"]
            for name, values in latency.items():
                one, thousand = values["1"] * 1e6, values["1000"] * 1e3
                lines.append(table_row(name, f"{one:.0f} us", f"{thousand:.2f} ms"))
        if "memory" in report:
            lines += [
                "",
                f"Peak resident memory above the data, fresh process, one epoch on "
                f"{args.rows} x 784 (k=8):",
                "",
                "| system | data | peak above data |",
                "|---|---|---|",
            ]
            for r in report["memory"]:
                data, peak = f"{r['data_mb']:.0f} MB", f"{r['peak_above_mb']:.1f} MB"
                lines.append(table_row(r["system"], data, peak))
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 000 training rows")
    parser.add_argument("--output", help="also write the markdown report here")
    parser.add_argument("--raw", help="also write the measurements here, as JSON")
    parser.add_argument("--from-raw", help="only format measurements saved by --raw")
    parser.add_argument("--blas", choices=["both", "as-set", "unset"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--torch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--test-rows", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--ks", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--with-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch:
        torch_child(args)
        return
    if args.memory:
        system, dtype = args.memory
        print(json.dumps(memory_child(system, args.rows, np.dtype(dtype))))
        return
    if args.rows is None:
        args.rows = 10_000 if args.quick else 60_000
    if args.test_rows is None:
        args.test_rows = 2_000 if args.quick else 10_000
    if args.epochs is None:
        args.epochs = 3 if args.quick else 5
    if args.repeats is None:
        args.repeats = 3
    args.digits_epochs, args.digits_repeats = (10, 3) if args.quick else (20, 7)
    if args.child:
        warnings.simplefilter("ignore")
        print(json.dumps(child(args)))
        return

    warnings.simplefilter("ignore")
    if args.from_raw:
        print(markdown(saved_reports(args), args))
        return
    reports = []
    for setting in blas_settings(args.blas):
        command = [sys.executable, __file__, "--child", "--rows", str(args.rows)]
        command += ["--test-rows", str(args.test_rows), "--epochs", str(args.epochs)]
        command += ["--repeats", str(args.repeats)]
        command += ["--ks", *map(str, args.ks)] + (["--quick"] if args.quick else [])
        # Memory does not depend on the BLAS kernels: measured once.
        command += ["--with-memory"] if not reports else []
        reports.append((setting, run_child(command, setting)))
    save_report(markdown(reports, args), reports, args)


if __name__ == "__main__":
    with saved_output(__file__):
        main()
