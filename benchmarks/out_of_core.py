"""Measure the memory of fitting from a .npy file larger than the memory budget.

Writes float32 files of several sizes (rows of 32 columns lying near a 4-d
manifold), then fits each in a fresh Python process with the recipe of
``docs/scaling_up.rst`` (``fit_out_of_core``: one memory map per chunk), and,
for comparison, with one memory map of the whole file kept open. Each process
reads its own ``/proc/self/status`` (Linux) and reports:

- the peak resident set (``VmHWM``, anonymous and file-backed pages together)
  minus the resident set after the imports;
- anonymous memory (``RssAnon``) at its largest, sampled every 5 ms by a
  thread, minus the same after the imports: the memory only swap could free;
- file-backed pages of the data file still mapped at the end (``RssFile``
  growth): page cache, which the kernel drops when memory runs short;
- the time of one epoch and the final ``score``.

Prints a markdown table. Usage:
``python benchmarks/out_of_core.py [--sizes 512 1024 ...] [--dir DIR]``
(sizes in MiB; the files are written to DIR, a temporary directory by default,
and deleted afterwards).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
from _common import child_report, saved_output

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "scaling_up.rst"
N_FEATURES = 32
CHUNK_MIB = 16
PARAMS = dict(n_components=4, hidden_layer_sizes=(16,), batch_size=1000)


def recipe(name):
    """The code of the ``.. code-block:: python`` named ``name`` in the docs."""
    text = RECIPES.read_text()
    match = re.search(
        rf"\.\. code-block:: python\n\s+:name: {name}\n\n((?:[ \t]+.*\n|\n)+)", text
    )
    return textwrap.dedent(match.group(1))


def write_data(path, n_mib):
    """A float32 .npy file of ``n_mib`` MiB, written chunk by chunk."""
    n_rows = n_mib * 2**20 // (4 * N_FEATURES)
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES)
    )
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(4, N_FEATURES)).astype(np.float32)
    for start in range(0, n_rows, 2**18):
        stop = min(n_rows, start + 2**18)
        latent = rng.normal(size=(stop - start, 4)).astype(np.float32)
        X[start:stop] = np.tanh(latent @ mixing)
    X.flush()
    del X
    return n_rows


# Runs in a fresh interpreter: the recipe, then one of two ways of feeding it.
CHILD = """
import json, sys, threading, time

def status():
    with open("/proc/self/status") as f:
        fields = (line.split(":", 1) for line in f)
        return {
            k: int(v.split()[0]) * 1024 for k, v in fields if v.strip().endswith("kB")
        }

{recipe}

from sklearn.utils import gen_batches

path, chunk_rows, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
params = json.loads(sys.argv[4])
params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
start = status()
largest_anon, done = start["RssAnon"], threading.Event()

def sample():
    global largest_anon
    while not done.wait(0.005):
        largest_anon = max(largest_anon, status()["RssAnon"])

threading.Thread(target=sample, daemon=True).start()
tic = time.perf_counter()
if mode == "chunk maps":
    ae = fit_out_of_core(path, chunk_rows, random_state=0, **params)
else:
    X = np.load(path, mmap_mode="r")
    ae = AutoencoderTransformer(random_state=0, **params)
    for rows in gen_batches(X.shape[0], chunk_rows):
        ae.partial_fit(X[rows])
seconds = time.perf_counter() - tic
done.set()
end = status()
largest_anon = max(largest_anon, end["RssAnon"])
score = score_out_of_core(ae, path, chunk_rows)
print(json.dumps(dict(
    start_rss=start["VmRSS"], peak_growth=end["VmHWM"] - start["VmRSS"],
    anon_growth=largest_anon - start["RssAnon"],
    file_growth=end["RssFile"] - start["RssFile"], seconds=seconds, score=score,
)))
"""


def measure(path, chunk_rows, mode):
    code = CHILD.replace("{recipe}", recipe("recipe-out-of-core"))
    command = [sys.executable, "-c", code, path, str(chunk_rows), mode]
    return child_report(command + [json.dumps(PARAMS)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--dir", default=None, help="where to write the files")
    args = parser.parse_args()
    chunk_rows = CHUNK_MIB * 2**20 // (4 * N_FEATURES)

    import dask
    import numpy
    import sklearn

    print(
        f"{platform.platform()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}, NumPy {numpy.__version__}, scikit-learn "
        f"{sklearn.__version__} (dask {dask.__version__} not used here)"
    )
    print(
        f"float32, {N_FEATURES} columns, chunks of {chunk_rows} rows "
        f"({CHUNK_MIB} MiB), {PARAMS}, one epoch"
    )
    print(
        "| file MiB | rows | memory maps | RSS after imports MiB | peak RSS growth "
        "MiB | anonymous growth MiB | file pages kept MiB | epoch s | score |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        for n_mib in args.sizes:
            path = os.path.join(directory, f"data_{n_mib}.npy")
            n_rows = write_data(path, n_mib)
            for mode in ("chunk maps", "one map"):
                result = measure(path, chunk_rows, mode)
                mib = {
                    k: v / 2**20
                    for k, v in result.items()
                    if k.endswith(("rss", "growth"))
                }
                print(
                    f"| {n_mib} | {n_rows} | {mode} | {mib['start_rss']:.0f} | "
                    f"{mib['peak_growth']:.1f} | {mib['anon_growth']:.1f} | "
                    f"{mib['file_growth']:.1f} | {result['seconds']:.1f} | "
                    f"{result['score']:.4f} |"
                )
            os.remove(path)


if __name__ == "__main__":
    with saved_output(__file__):
        main()
