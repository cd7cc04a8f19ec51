"""Helpers that the benchmark scripts share.

- :func:`saved_output`: every script runs inside it, so that what it prints
  is also saved, dated, in ``results/``, the record the docs quote;
- :func:`targets`: each script's targets, from ``targets.toml``;
- :func:`patched`: a script that compares variants of the model by replacing
  a private name of skae goes through it, which fails loudly when the name is
  gone or no longer used: a rename would otherwise measure the unmodified
  model and print its numbers under the variant's label;
- the manifold and digits data, the BLAS settings, child processes and the
  machine's description, shared by the speed scripts.
"""

# SPDX-License-Identifier: BSD-3-Clause

import datetime
import json
import os
import platform
import re
import select
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def patched(module, **values):
    """Set attributes of ``module`` for the block, restoring them after it.

    Raises AttributeError if ``module`` has no such attribute, and, when a
    callable replaces a callable, RuntimeError if the block never called it.
    """
    missing = [name for name in values if not hasattr(module, name)]
    if missing:
        raise AttributeError(
            f"{module.__name__} has no {', '.join(missing)}: the benchmark "
            "patches a name that was renamed or removed, so it would measure "
            "the unmodified model. Update the benchmark."
        )
    originals = {name: getattr(module, name) for name in values}
    calls = {name: 0 for name, value in values.items() if callable(value)}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name, value in values.items():
        setattr(module, name, counting(name, value) if name in calls else value)
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(module, name, value)
    unused = [name for name, count in calls.items() if count == 0]
    if unused:
        raise RuntimeError(
            f"{module.__name__}.{', '.join(unused)} was patched but never called: "
            "the model no longer goes through it. Update the benchmark."
        )


RESULTS = Path(__file__).parent / "results"
_SAVING = "SKAE_BENCHMARK_SAVING"


def result_path(script, argv, when):
    """``results/<script>[-<options>]-<date>.txt``, one file per run and day."""
    options = re.sub(r"[^A-Za-z0-9.]+", "-", " ".join(argv)).strip("-")
    name = "-".join(filter(None, [Path(script).stem, options, f"{when:%Y-%m-%d}"]))
    return RESULTS / f"{name}.txt"


@contextmanager
def saved_output(script):
    """Copy what the script and its child processes print into a dated file.

    The copy is made at the file descriptor, so that child processes that
    inherit standard output are saved too; a child that is itself a benchmark
    script saves nothing of its own. The file starts with the command, the
    time, the commit and the load average, which say what the numbers are of.
    """
    if os.environ.get(_SAVING):
        yield
        return
    when = datetime.datetime.now(datetime.timezone.utc)
    path = result_path(script, sys.argv[1:], when)
    path.parent.mkdir(exist_ok=True)
    os.environ[_SAVING] = str(path)
    sys.stdout.flush()
    terminal, (read, write) = os.dup(1), os.pipe()
    os.dup2(write, 1)
    os.close(write)
    done = threading.Event()
    copier = threading.Thread(target=_copy, args=(read, terminal, path, done))
    copier.start()
    print(f"$ python benchmarks/{Path(script).name} {' '.join(sys.argv[1:])}")
    print(
        f"{when:%Y-%m-%d %H:%M} UTC, commit {_commit()}, "
        f"load average {os.getloadavg()[0]:.2f}\n",
        flush=True,
    )
    try:
        yield
    finally:
        seconds = (datetime.datetime.now(datetime.timezone.utc) - when).seconds
        print(
            f"\n{seconds} s; load average after: {os.getloadavg()[0]:.2f}; saved to "
            f"{path.relative_to(RESULTS.parent.parent)}",
            flush=True,
        )
        os.dup2(terminal, 1)
        done.set()
        copier.join()
        os.close(read)
        os.close(terminal)
        del os.environ[_SAVING]


def _copy(read, terminal, path, done):
    # A child process (joblib's resource tracker) may outlive the script
    # holding the pipe open, so the end is signalled, not read as EOF.
    with open(path, "wb", buffering=0) as file:
        while True:
            ready, _, _ = select.select([read], [], [], 0.1)
            chunk = os.read(read, 1 << 16) if ready else b""
            if chunk:
                os.write(terminal, chunk)
                file.write(chunk)
            elif done.is_set():
                return


def _commit():
    """The commit, marked when the code measured (skae, the scripts) differs."""

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=RESULTS.parent, capture_output=True, text=True
        ).stdout.strip()

    try:
        changed = git("status", "--porcelain", "--", "../skae", "*.py")
        return git("rev-parse", "--short", "HEAD") + (
            " with changes" if changed else ""
        )
    except OSError:
        return "unknown"


def targets(script):
    """The targets of ``script`` (its file name) in ``targets.toml``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    with open(Path(__file__).parent / "targets.toml", "rb") as file:
        return tomllib.load(file)[Path(script).stem]


# The speed scripts (run, time_to_quality, busy, callbacks, deployment)
# measure on the same data, in the same BLAS settings, and describe the
# machine the same way.
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
SEED = 0


def make_manifold(n_train, n_test, dtype=np.float32, seed=SEED):
    """The manifold set, generated in chunks so no float64 copy is made whole."""
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    latent_weights = rng.standard_normal((10, 64))
    latent_bias = 0.1 * rng.standard_normal(64)
    feature_weights = 0.25 * rng.standard_normal((64, 784))
    feature_bias = 0.1 * rng.standard_normal(784)
    n_samples = n_train + n_test
    X = np.empty((n_samples, 784), dtype=dtype)
    for start in range(0, n_samples, 10_000):
        stop = min(start + 10_000, n_samples)
        Z = rng.standard_normal((stop - start, 10))
        hidden = np.tanh(Z @ latent_weights + latent_bias)
        X[start:stop] = expit(hidden @ feature_weights + feature_bias)
        X[start:stop] += rng.normal(0.0, 0.02, (stop - start, 784))
    return X[:n_train], X[n_train:]


def make_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X = load_digits().data
    return train_test_split(X, test_size=0.3, random_state=SEED)


def importable(module):
    """Whether ``module`` (PyTorch, pyod: never dependencies) is installed."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def median_call(function, X, calls):
    function(X)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def blas_settings(choice):
    """The BLAS settings that ``--blas`` names: "as set", "unset" or both."""
    return ["as set", "unset"] if choice == "both" else [choice.replace("-", " ")]


def blas_environment(setting):
    """This process's environment, less the BLAS variables if ``unset``."""
    env = dict(os.environ)
    if setting == "unset":
        for name in BLAS_VARIABLES:
            env.pop(name, None)
    return env


def run_child(command, setting):
    """Run a measuring child process in the BLAS ``setting``; its JSON report."""
    print(f"measuring with the BLAS environment {setting} ...", file=sys.stderr)
    return child_report(command, blas_environment(setting))


def child_report(command, env=None):
    """Run a measuring child process; the JSON report it prints last, on one line."""
    output = subprocess.run(
        command, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def machine_lines(env):
    """A report's "Machine:" and "BLAS:" lines, from :func:`environment`."""
    return [
        f"Machine: {env['cpu']}, {env['cores']} cores. "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        + ".",
        f"BLAS: {'; '.join(env['blas'])}.",
    ]


def saved_reports(args):
    """The reports saved by :func:`save_report` in ``args.from_raw``.

    The saved run's arguments replace ``args``', so the markdown describes it.
    """
    with open(args.from_raw) as file:
        saved = json.load(file)
    vars(args).update(saved["args"])
    return saved["reports"]


def save_report(text, reports, args):
    """Print the markdown report; save it and the raw measurements if asked."""
    if args.raw:
        with open(args.raw, "w") as file:
            json.dump({"args": vars(args), "reports": reports}, file)
    print(text)
    if args.output:
        with open(args.output, "w") as file:
            file.write(text)


def environment():
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    versions.update(scipy=scipy.__version__, sklearn=sklearn.__version__)
    import skae

    versions["skae"] = skae.__version__
    if importable("torch"):
        import torch

        versions["torch"] = torch.__version__
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if "model name" in line
            )
    except (OSError, StopIteration):
        pass
    blas = [
        f"{pool['internal_api']} {pool['version']} ({pool.get('architecture')}, "
        f"{pool['num_threads']} threads)"
        for pool in threadpool_info()
        if pool["user_api"] == "blas"
    ]
    return {"cpu": cpu, "cores": os.cpu_count(), "versions": versions, "blas": blas}
