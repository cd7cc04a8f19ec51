"""The out-of-core recipe of docs/scaling_up.rst: partial_fit over memory-mapped chunks.

The memory test fits files of 256 and 512 MiB in fresh processes and reads
their peak resident set from Linux's /proc/self/status.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

pytestmark = pytest.mark.out_of_core

MiB = 2**20
N_FEATURES = 32
PARAMS = dict(n_components=4, hidden_layer_sizes=(16,), batch_size=1000)


def write_data(path, n_rows):
    """Float32 rows near a 4-d manifold in 32 columns, written chunk by chunk.

    Returns the mean column variance of the first chunk, the error of
    predicting the means.
    """
    X = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES)
    )
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(4, N_FEATURES)).astype(np.float32)
    for start in range(0, n_rows, 2**18):
        stop = min(n_rows, start + 2**18)
        X[start:stop] = np.tanh(rng.normal(size=(stop - start, 4)) @ mixing)
    variance = float(X[: 2**18].var(axis=0).mean())
    X.flush()
    del X
    return variance


@pytest.fixture(scope="module")
def recipe(docs_recipe):
    """The functions of the docs' recipe, defined as the page writes them."""
    namespace = {}
    exec(docs_recipe("recipe-out-of-core"), namespace)
    return namespace


def test_recipe_fits_and_scores_like_in_memory(tmp_path, recipe):
    path = tmp_path / "data.npy"
    variance = write_data(path, 20_000)
    fit, score = recipe["fit_out_of_core"], recipe["score_out_of_core"]
    ae = fit(path, 3000, n_epochs=5, random_state=0, **PARAMS)
    assert ae.n_iter_ == 5 * 7  # one partial_fit per chunk and epoch
    assert ae.t_ == 5 * 20_000
    X = np.load(path)
    assert score(ae, path, 3000) == pytest.approx(ae.score(X), rel=1e-6)
    # Measured: MSE 0.15 of the variance after 5 epochs (predicting the means: 1).
    assert -ae.score(X) < 0.25 * variance
    again = fit(path, 3000, n_epochs=5, random_state=0, **PARAMS)
    assert_array_equal(again.transform(X), ae.transform(X))


# Runs in a fresh interpreter, so that the peak resident set is this fit's alone.
CHILD = """
import json, sys

def status():
    with open("/proc/self/status") as f:
        fields = (line.split(":", 1) for line in f)
        return {
            k: int(v.split()[0]) * 1024 for k, v in fields if v.strip().endswith("kB")
        }

{recipe}

path, chunk_rows, params = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
start = status()
ae = fit_out_of_core(path, chunk_rows, random_state=0, **params)
end = status()
print(json.dumps(dict(
    peak_growth=end["VmHWM"] - start["VmRSS"],
    score=score_out_of_core(ae, path, chunk_rows),
)))
"""


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(),
    reason="needs Linux's /proc/self/status, which no extra can provide",
)
def test_peak_memory_does_not_grow_with_the_file(tmp_path, docs_recipe):
    code = CHILD.replace("{recipe}", docs_recipe("recipe-out-of-core"))
    chunk_rows = 16 * MiB // (4 * N_FEATURES)
    peak_growth = {}
    for n_mib in (256, 512):
        path = tmp_path / f"data_{n_mib}.npy"
        variance = write_data(path, n_mib * MiB // (4 * N_FEATURES))
        output = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(path),
                str(chunk_rows),
                json.dumps(PARAMS),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path.unlink()
        result = json.loads(output)
        # One epoch reaches MSE 0.05-0.07 of the variance (measured): it trained.
        assert -result["score"] < 0.2 * variance
        peak_growth[n_mib] = result["peak_growth"] / MiB
    # Measured: 20.8 to 20.9 MiB for either file, the 16 MiB chunk and a few MiB
    # of minibatch and statistics temporaries. The budget is an eighth of the
    # larger file; a copy of it, or of a tenth of it, would exceed it.
    assert peak_growth[512] < 64, peak_growth
    # Doubling the file must not move the peak: less than 4 MiB (under 2 % of
    # the extra 256 MiB) between the two, where runs differ by under 1 MiB.
    assert abs(peak_growth[512] - peak_growth[256]) < 4, peak_growth
