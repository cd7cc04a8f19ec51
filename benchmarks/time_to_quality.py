"""Wall time to a good model: skae against PyTorch and MLPRegressor.

Users compare the time to a model of a given quality, not seconds per epoch.
For each data set this script trains, side by side in one run, each system
with held-out evaluations at regular points (every epoch on the digits, every
quarter epoch on the manifold set), the evaluation time excluded from the
clock, and prints the wall time (from the call to ``fit``, or the start of
the loop) until the held-out mean squared error first reaches

(a) PCA's at the same ``k``, and
(b) 0.6 times PCA's,

with the held-out MSE after 1, 5, 10 and 20 epochs. skae starts at PCA (its
initial network is PCA itself), so it reaches (a) when training starts, after
computing the PCA; the others start from random weights.

Systems, all with the same architecture (``--hidden`` encoder widths, a code
of ``k`` units, the widths mirrored, ReLU hidden layers, identity output):

- ``skae defaults``: ``AutoencoderTransformer(n_components=k,
  hidden_layer_sizes=hidden, random_state=0, max_iter=...,
  early_stopping=False)``, the stopping rule on the training loss included
  (its curve is one training run, not the folds of ``early_stopping="auto"``);
- ``skae tuned``: the best settings found (``TUNED`` below);
- ``PyTorch``: ``torch.nn.Sequential`` of ``Linear`` and ``ReLU`` layers, its
  default initialisation, Adam at 1e-3, batches of 256, the mean squared
  error, float32, ``torch.set_num_threads(cores)``;
- ``MLPRegressor``: fit X to X with ``hidden_layer_sizes=(*hidden, k,
  *hidden[::-1])`` and its defaults (Adam at 1e-3, batches of 200, ``alpha``
  1e-4), through ``partial_fit`` over shuffled chunks of rows so that it can
  be evaluated within epochs; its code layer is ReLU like its other layers.

PyTorch and MLPRegressor train until they reach (b) after at least 20 epochs
(at most 1000 epochs on the digits, 40 on the manifold set); skae trains for
at most 1000 and 20 epochs, its defaults stopping by their own rule.

PyTorch and MLPRegressor get the digits divided by 16 (pixels in [0, 1], as
image data is usually fed to them; errors are reported in the units of X);
skae gets X as it is, since it needs no scaling. The manifold set of
``benchmarks/run.py`` is in [0, 1] already.

Every system trains in a process of its own (PyTorch's OpenMP threads spin
after each parallel region and would slow a NumPy system that follows), each
``--repeats`` times in rotating order; times are medians. The whole run is
made twice in child processes, with the BLAS environment as set and with
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset, as ``run.py`` does.

Usage::

    python benchmarks/time_to_quality.py               # about 11 minutes
    python benchmarks/time_to_quality.py --quick       # 10 000 rows, fewer epochs
    python benchmarks/time_to_quality.py --blas as-set --datasets manifold

PyTorch is measured when it is installed (``pip install torch==2.13.0``).
Run it on an otherwise idle machine; it prints the load average.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import datetime
import json
import math
import os
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np
from _common import (
    BLAS_VARIABLES,
    SEED,
    blas_environment,
    blas_settings,
    child_report,
    environment,
    importable,
    machine_lines,
    make_digits,
    make_manifold,
    save_report,
    saved_output,
    saved_reports,
    targets,
)

K = 8
TORCH_BATCH = 256
TORCH_LEARNING_RATE = 1e-3
# The best settings found for skae on each data set, with the same network:
# see benchmarks/README.md, "time_to_quality.py".
# On the manifold set no setting tried beat the defaults (an empty entry: no
# tuned run).
TUNED = {"digits": {"learning_rate_init": 0.01}, "manifold": {}}
TARGETS = targets(__file__)
LEVELS = TARGETS["levels"]
# Most epochs: PyTorch and MLPRegressor stop earlier once they have reached
# 0.6 PCA and run MIN_EPOCHS (for the held-out MSE after 20 epochs); skae
# runs at most SKAE_EPOCHS, its defaults stopping on their own rule.
EPOCHS = {
    "full": {"digits": 1000, "manifold": 40},
    "quick": {"digits": 300, "manifold": 10},
}
SKAE_EPOCHS = {"digits": 1000, "manifold": 20}
MIN_EPOCHS = 20
EVALS_PER_EPOCH = {"digits": 1, "manifold": 4}
# Held-out MSE at the PCA start equals PCA's up to round-off (float32 data).
ROUND_OFF = 1e-4


# ---------------------------------------------------------------- data
def load(dataset, quick):
    """Training and test rows of ``dataset``, and the factor the baselines see
    X divided by."""
    if dataset == "digits":
        X_train, X_test = make_digits()
        return X_train, X_test, 16.0
    n_train, n_test = (10_000, 2_000) if quick else (60_000, 10_000)
    X_train, X_test = make_manifold(n_train, n_test)
    return X_train, X_test, 1.0


def pca_mse(X_train, X_test):
    from sklearn.decomposition import PCA

    pca = PCA(n_components=K, random_state=SEED).fit(X_train)
    X_hat = pca.inverse_transform(pca.transform(X_test))
    return float(np.mean((X_hat.astype(np.float64) - X_test) ** 2))


# ---------------------------------------------------------------- timing
class Clock:
    """Wall time since creation, minus the time spent in ``paused`` blocks."""

    def __init__(self):
        self.excluded = 0.0
        self.start = time.perf_counter()

    def now(self):
        return time.perf_counter() - self.start - self.excluded

    @contextmanager
    def paused(self):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.excluded += time.perf_counter() - start


class Curve:
    """Evaluation points ``(seconds, epochs, held-out MSE)`` of one training."""

    def __init__(self, clock, steps_per_epoch, every):
        self.clock, self.points = clock, []
        self.steps_per_epoch, self.every = steps_per_epoch, every

    def due(self, steps):
        return steps % self.every == 0 or steps % self.steps_per_epoch == 0

    def add(self, steps, evaluate):
        """Record the time now, then evaluate with the clock stopped."""
        seconds = self.clock.now()
        with self.clock.paused():
            self.points.append((seconds, steps / self.steps_per_epoch, evaluate()))


def done(points, target, min_epochs):
    """Whether training has reached ``target`` and run ``min_epochs`` epochs."""
    return (
        bool(points)
        and points[-1][1] >= min_epochs
        and min(mse for _, _, mse in points) <= target
    )


def held_out(X_hat, X_test, scale):
    residual = X_hat.astype(np.float64) * scale - X_test
    return float(np.mean(residual**2))


# ---------------------------------------------------------------- systems
def skae_curve(X_train, X_test, scale, hidden, epochs, evals, params):
    """Train skae with the optimizer wrapped to snapshot the weights.

    Snapshots (copies of the flat parameter vector, with the clock stopped)
    are evaluated after the fit, with the fitted PCA and scales, which do not
    change during a fit.
    """
    from skae import AutoencoderTransformer

    n_samples = X_train.shape[0]
    batch = params.get("batch_size", "auto")
    batch = min(200, n_samples) if batch == "auto" else batch
    steps_per_epoch = math.ceil(n_samples / batch)
    clock = Clock()
    curve = Curve(clock, steps_per_epoch, max(1, steps_per_epoch // evals))
    snapshots = []  # (seconds, steps, weights)

    class Recorder:
        def __init__(self, optimizer):
            self.optimizer, self.steps = optimizer, 0

        def snapshot(self, theta):
            seconds = clock.now()
            with clock.paused():
                snapshots.append((seconds, self.steps, theta.copy()))

        def step(self, params, grads, *args):
            if self.steps == 0:
                self.snapshot(params[0])  # the PCA start
            self.optimizer.step(params, grads, *args)
            self.steps += 1
            if curve.due(self.steps):
                self.snapshot(params[0])

        def __getattr__(self, name):
            return getattr(self.optimizer, name)

    class Timed(AutoencoderTransformer):
        def _make_optimizer(self, params):
            return Recorder(super()._make_optimizer(params))

    model = Timed(
        n_components=K,
        hidden_layer_sizes=hidden,
        max_iter=epochs,
        random_state=SEED,
        # One training run to snapshot: the folds of "auto" would add theirs.
        early_stopping=False,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train)
    arrays = model.coefs_ + model.intercepts_
    for seconds, steps, theta in snapshots:
        start = 0
        for array in arrays:
            array[...] = theta[start : start + array.size].reshape(array.shape)
            start += array.size
        X_hat = model.inverse_transform(model.transform(X_test))
        curve.points.append(
            (seconds, steps / steps_per_epoch, held_out(X_hat, X_test, 1))
        )
    return curve.points


def torch_curve(X_train, X_test, scale, hidden, epochs, evals, target, min_epochs):
    import torch

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    X = torch.from_numpy(np.ascontiguousarray(X_train / scale, dtype=np.float32))
    X_eval = torch.from_numpy(np.ascontiguousarray(X_test / scale, dtype=np.float32))
    n_samples, n_features = X.shape
    steps_per_epoch = math.ceil(n_samples / TORCH_BATCH)
    clock = Clock()
    curve = Curve(clock, steps_per_epoch, max(1, steps_per_epoch // evals))
    widths = [n_features, *hidden, K, *hidden[::-1], n_features]
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(torch.nn.Linear(a, b))
        if i != len(hidden) and i != len(widths) - 2:  # linear code and output
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(net.parameters(), lr=TORCH_LEARNING_RATE)

    def evaluate():
        with torch.no_grad():
            return held_out(net(X_eval).numpy(), X_test, scale)

    steps = 0
    curve.add(steps, evaluate)
    for _ in range(epochs):
        if done(curve.points, target, min_epochs):
            break
        order = torch.randperm(n_samples, generator=generator)
        for start in range(0, n_samples, TORCH_BATCH):
            batch = X[order[start : start + TORCH_BATCH]]
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(net(batch), batch)
            loss.backward()
            optimizer.step()
            steps += 1
            if curve.due(steps):
                curve.add(steps, evaluate)
    return curve.points


def mlp_curve(X_train, X_test, scale, hidden, epochs, evals, target, min_epochs):
    from sklearn.neural_network import MLPRegressor

    X = X_train / scale
    X_eval = X_test / scale
    n_samples = X.shape[0]
    batch = min(200, n_samples)
    steps_per_epoch = math.ceil(n_samples / batch)
    every = max(1, steps_per_epoch // evals)
    clock = Clock()
    curve = Curve(clock, steps_per_epoch, every)
    model = MLPRegressor(
        hidden_layer_sizes=(*hidden, K, *hidden[::-1]), random_state=SEED
    )
    rng = np.random.default_rng(SEED)
    steps = 0  # no point at 0: an untrained MLPRegressor cannot predict
    for _ in range(epochs):
        if done(curve.points, target, min_epochs):
            break
        order = rng.permutation(n_samples)
        # Chunks of ``every`` minibatches, so it can be evaluated in between.
        for start in range(0, n_samples, every * batch):
            with clock.paused():
                chunk = X[order[start : start + every * batch]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(chunk, chunk)
            steps += math.ceil(chunk.shape[0] / batch)
            curve.add(steps, lambda: held_out(model.predict(X_eval), X_test, scale))
    return curve.points


def child(args):
    X_train, X_test, scale = load(args.dataset, args.quick)
    hidden = tuple(args.hidden)
    curve_args = (X_train, X_test, scale, hidden, args.epochs, args.evals)
    if args.system.startswith("skae"):
        params = TUNED[args.dataset] if args.system == "skae tuned" else {}
        points = skae_curve(*curve_args, params)
    else:
        # Stopped once they reach 0.6 PCA after at least ``min_epochs``.
        stop = (args.target, args.min_epochs)
        curve = torch_curve if args.system == "PyTorch" else mlp_curve
        points = curve(*curve_args, *stop)
    return {"points": sorted(points)}


# ---------------------------------------------------------------- analysis
def time_to(points, target):
    """Seconds and epochs at the first point whose MSE reaches ``target``."""
    for seconds, epochs, mse in points:
        if mse <= target * (1 + ROUND_OFF):
            return seconds, epochs
    return None, None


def mse_at(points, epochs):
    """Held-out MSE after ``epochs`` whole epochs (None if not trained that far)."""
    for _, at, mse in points:
        if abs(at - epochs) < 1e-9:
            return mse
    return None


def measure(setting, args):
    """Curves of every system on every data set, in child processes."""
    env = blas_environment(setting)
    systems = ["skae defaults", "skae tuned", "MLPRegressor"]
    systems += ["PyTorch"] if importable("torch") else []
    results = {"load_before": os.getloadavg()}
    for dataset in args.datasets:
        X_train, X_test, _ = load(dataset, args.quick)
        pca = pca_mse(X_train, X_test)
        names = [name for name in systems if name != "skae tuned" or TUNED[dataset]]
        runs = {system: [] for system in names}
        for repeat in range(args.repeats):
            shift = repeat % len(names)
            for system in names[shift:] + names[:shift]:
                epochs = EPOCHS["quick" if args.quick else "full"][dataset]
                if system.startswith("skae"):
                    epochs = min(epochs, SKAE_EPOCHS[dataset])
                command = [sys.executable, __file__, "--child", system, dataset]
                command += ["--epochs", str(epochs)]
                command += ["--evals", str(EVALS_PER_EPOCH[dataset])]
                command += ["--target", repr(min(LEVELS.values()) * pca)]
                command += ["--min-epochs", str(MIN_EPOCHS)]
                command += ["--hidden", *map(str, args.hidden)]
                command += ["--quick"] if args.quick else []
                print(
                    f"  {setting}: {dataset}, {system} ({repeat + 1})", file=sys.stderr
                )
                runs[system].append(child_report(command, env)["points"])
        results[dataset] = {"pca_mse": pca, "runs": runs}
    results["load_after"] = os.getloadavg()
    return results


def summarise(runs, pca):
    """Median time to each target over the repeats, and the first run's MSEs."""
    summary = {}
    for system, curves in runs.items():
        row = {}
        for name, factor in LEVELS.items():
            reached = [time_to(points, factor * pca) for points in curves]
            seconds = [s for s, _ in reached if s is not None]
            epochs = [e for s, e in reached if s is not None]
            row[name] = (
                (float(np.median(seconds)), float(np.median(epochs)))
                if len(seconds) == len(curves)
                else (None, None)
            )
        for epochs in (1, 5, 10, 20):
            row[epochs] = mse_at(curves[0], epochs)
        row["trained"] = curves[0][-1][1]
        summary[system] = row
    return summary


def cell(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def ratio_line(label, numerator, denominator, target, neither="neither reached"):
    if numerator is None and denominator is None:
        return f"| {label} | {neither} | {target:.2f} | - |"
    if numerator is None or denominator is None:
        # Reached by skae but not by the other: met; not reached by skae: missed.
        value = "not reached" if numerator is None else "other never"
        mark = "**missed**" if numerator is None else "met"
        return f"| {label} | {value} | {target:.2f} | {mark} |"
    value = numerator / denominator
    mark = "met" if value <= target else "**missed**"
    return f"| {label} | {value:.2f} | {target:.2f} | {mark} |"


def markdown(reports, args):
    lines = [f"# skae time to quality, {datetime.date.today().isoformat()}", ""]
    lines += machine_lines(reports[0][1]["environment"])
    lines += [
        f"Architecture: hidden {tuple(args.hidden)}, k={K}, ReLU. skae tuned: "
        + "; ".join(
            f"{d}: " + (", ".join(f"{k}={v!r}" for k, v in TUNED[d].items()) or "none")
            for d in args.datasets
        )
        + f". Median of {args.repeats} runs; evaluations per epoch: "
        + ", ".join(f"{d} {EVALS_PER_EPOCH[d]}" for d in args.datasets)
        + " (times are to the first evaluation that reaches the target).",
        "",
    ]
    for setting, report in reports:
        lines += [
            f"## BLAS environment {setting}: "
            + ", ".join(f"{k}={v}" for k, v in report["blas_env"].items()),
            "",
            "Load average before and after: "
            + f"{report['load_before'][0]:.2f}, {report['load_after'][0]:.2f}.",
            "",
        ]
        for dataset in args.datasets:
            data = report[dataset]
            pca = data["pca_mse"]
            summary = summarise(data["runs"], pca)
            lines += [
                f"### {dataset}: PCA({K}) held-out MSE {pca:.4g}",
                "",
                "| system | s to PCA | epochs | s to 0.6 PCA | epochs "
                "| MSE / PCA after 1 | 5 | 10 | 20 epochs |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            for system, row in summary.items():
                after = [
                    cell(None if row[e] is None else row[e] / pca, 3)
                    for e in (1, 5, 10, 20)
                ]
                lines.append(
                    f"| {system} | {cell(row['PCA'][0])} | {cell(row['PCA'][1])} "
                    f"| {cell(row['0.6 PCA'][0])} | {cell(row['0.6 PCA'][1])} "
                    f"| {' | '.join(after)} |"
                )
            lines += ["", "| target | measured | target | |", "|---|---|---|---|"]
            for skae in [name for name in summary if name.startswith("skae")]:
                for name in LEVELS:
                    mine = summary[skae][name][0]
                    if "PyTorch" in summary:
                        lines.append(
                            ratio_line(
                                f"{skae} / PyTorch, time to {name}",
                                mine,
                                summary["PyTorch"][name][0],
                                TARGETS["pytorch_time"],
                            )
                        )
                    lines.append(
                        ratio_line(
                            f"{skae} / MLPRegressor, time to {name}",
                            mine,
                            summary["MLPRegressor"][name][0],
                            TARGETS["mlp_time"],
                        )
                    )
                if dataset == "manifold" and "PyTorch" in summary:
                    for epochs in (5, 10, 20):
                        lines.append(
                            ratio_line(
                                f"{skae} / PyTorch, held-out MSE after {epochs} epochs",
                                summary[skae][epochs],
                                summary["PyTorch"][epochs],
                                TARGETS["pytorch_mse"],
                                neither="not trained so long",
                            )
                        )
            lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--blas", choices=["both", "as-set", "unset"], default="both")
    parser.add_argument("--datasets", nargs="+", default=["digits", "manifold"])
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 128])
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--output", help="also write the markdown report here")
    parser.add_argument("--raw", help="also write the measurements here, as JSON")
    parser.add_argument("--from-raw", help="only format measurements saved by --raw")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--evals", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--min-epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.child:
        args.system, args.dataset = args.child
        print(json.dumps(child(args)))
        return
    if args.from_raw:
        print(markdown(saved_reports(args), args))
        return
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    reports = []
    for setting in blas_settings(args.blas):
        report = measure(setting, args)
        report["environment"] = environment()
        report["blas_env"] = {
            name: (os.environ.get(name) if setting == "as set" else None)
            for name in BLAS_VARIABLES
        }
        reports.append((setting, report))
    save_report(markdown(reports, args), reports, args)


if __name__ == "__main__":
    with saved_output(__file__):
        main()
