"""Helpers that the benchmark scripts share.

A script that compares variants of the model by replacing a private name of
skae goes through :func:`patched`, which fails loudly when the name is gone or
no longer used: a rename would otherwise measure the unmodified model and
print its numbers under the variant's label.
"""

# SPDX-License-Identifier: BSD-3-Clause

import datetime
import os
import re
import select
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path


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
            if not chunk and done.is_set():
                return
            os.write(terminal, chunk)
            file.write(chunk)


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
