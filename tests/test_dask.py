"""dask-ml's Incremental and GridSearchCV on a dask.distributed cluster.

Needs the ``dask`` extra; the recipes are those of docs/scaling_up.rst, run as
written. The cluster runs worker processes on loopback and is closed, with all
its processes, at the end of the module.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

for _module in ("dask.array", "distributed", "dask_ml"):
    pytest.importorskip(_module, reason="needs the dask extra: pip install '.[dask]'")

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import psutil  # noqa: E402  (a dependency of distributed)
from dask_ml.wrappers import Incremental  # noqa: E402
from distributed import get_task_stream  # noqa: E402

from skae import AutoencoderTransformer  # noqa: E402

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # dask 2025.1 warns when local threads are chosen while the cluster's client
    # exists; the "threads" runs choose them on purpose.
    pytest.mark.filterwarnings(
        "ignore:Running on a single-machine scheduler:UserWarning"
    ),
]

PARAMS = dict(n_components=3, hidden_layer_sizes=(8,), random_state=0)


@pytest.fixture(scope="module")
def cluster(docs_recipe):
    """The namespace of the docs' cluster recipe: ``cluster`` and ``client``."""
    before = {process.pid for process in psutil.Process().children(recursive=True)}
    namespace = {}
    exec(docs_recipe("recipe-dask-cluster"), namespace)
    yield namespace
    exec(docs_recipe("recipe-dask-close"), namespace)
    # multiprocessing's resource tracker, started with the first worker, serves
    # the whole interpreter and ends with it: not the cluster's to stop.
    started = [
        process
        for process in psutil.Process().children(recursive=True)
        if process.pid not in before
        and "multiprocessing.resource_tracker" not in " ".join(process.cmdline())
    ]
    _, alive = psutil.wait_procs(started, timeout=10)
    assert not alive, f"processes left running after cluster.close(): {alive}"


@pytest.fixture
def X():
    """2000 rows near a 3-d manifold in 10 columns, float64."""
    rng = np.random.RandomState(0)
    return np.tanh(rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 10)))


@pytest.fixture(params=["threads", "cluster"])
def scheduler(request):
    """Run dask's computations on local threads, or on the cluster's workers."""
    if request.param == "threads":
        with dask.config.set(scheduler="threads"):
            yield None
    else:
        client = request.getfixturevalue("cluster")["client"]
        with dask.config.set(scheduler=client.get):
            yield client


def test_incremental_transform_and_score_on_dask_arrays(X):
    blocks = da.from_array(X, chunks=(500, -1))
    with dask.config.set(scheduler="threads"):
        inc = Incremental(AutoencoderTransformer(**PARAMS), random_state=0)
        inc.partial_fit(blocks)
        ae = inc.estimator_

        Z = inc.transform(blocks)
        assert isinstance(Z, da.Array)
        assert_allclose(Z.compute(), ae.transform(X), rtol=1e-12, atol=1e-12)
        # Documented in docs/scaling_up.rst: dask-ml maps transform over the
        # blocks without declaring the narrower output, so the lazy array
        # claims X's shape. If this fails, dask-ml fixed it: update the page.
        assert Z.shape == X.shape
        assert Z.compute().shape == (2000, 3)
        Z = blocks.map_blocks(
            ae.transform, chunks=(blocks.chunks[0], (ae.n_components_,)), dtype=X.dtype
        )
        assert Z.shape == (2000, 3)
        assert_allclose(Z[:, 2].compute(), ae.transform(X)[:, 2], rtol=1e-12)

        assert inc.score(blocks, None) == ae.score(X)
        with pytest.raises(TypeError, match="'y'"):
            inc.score(blocks)  # documented: dask-ml's score needs y
        score = blocks.map_blocks(ae.score_samples, drop_axis=1, dtype=X.dtype)
        assert float(score.mean().compute()) == pytest.approx(ae.score(X), rel=1e-12)


def test_docs_incremental_recipe(tmp_path, monkeypatch, docs_recipe):
    rng = np.random.RandomState(0)
    data = np.tanh(rng.normal(size=(30_000, 4)) @ rng.normal(size=(4, 16)))
    np.save(tmp_path / "data.npy", data.astype(np.float32))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with dask.config.set(scheduler="threads"):
        exec(docs_recipe("recipe-dask-ml"), namespace)
    ae = namespace["ae"]
    assert ae.n_iter_ == 5 * 3  # 5 epochs of 3 blocks of 10_000 rows
    assert namespace["Z"].shape == (30_000, 8)
    assert namespace["Z"].dtype == np.float32
    assert_allclose(namespace["codes"], namespace["Z"].compute(), rtol=1e-6, atol=1e-6)
    assert namespace["score"] == pytest.approx(ae.score(data.astype(np.float32)))
    # Measured: MSE 0.0037 of the variance (rank-4 data, 8 components).
    assert -namespace["score"] < 0.01 * data.var(axis=0).mean()


# The cluster starts with the first test that asks for it and runs until the end
# of the module: the tests that use it come last.


def test_incremental_runs_partial_fit_once_per_block(X, scheduler):
    blocks = da.from_array(X, chunks=(500, -1))
    inc = Incremental(AutoencoderTransformer(**PARAMS), random_state=0)
    if scheduler is None:
        for _ in range(3):
            inc.partial_fit(blocks)
    else:
        with get_task_stream(scheduler) as tasks:
            for _ in range(3):
                inc.partial_fit(blocks)
        workers = set(scheduler.scheduler_info()["workers"])
        assert {task["worker"] for task in tasks.data} <= workers
        assert any(task["key"][0].startswith("fit-") for task in tasks.data)
    # Three epochs of partial_fit on the 4 blocks, y=None, in the order that
    # dask-ml draws from random_state=0 (the same order on every call).
    order = list(range(4))
    check_random_state(0).shuffle(order)
    ae = AutoencoderTransformer(**PARAMS)
    for _ in range(3):
        for i in order:
            ae.partial_fit(X[500 * i : 500 * (i + 1)])
    assert inc.estimator_.n_iter_ == 12
    assert inc.estimator_.t_ == 3 * 2000
    for fitted, expected in zip(inc.estimator_.coefs_, ae.coefs_, strict=True):
        assert_array_equal(fitted, expected)


def test_grid_search_on_the_cluster_matches_the_local_one(cluster, docs_recipe):
    namespace = dict(cluster)
    with get_task_stream(cluster["client"]) as tasks:
        exec(docs_recipe("recipe-dask-search"), namespace)
    remote = namespace["search"]
    # The fits ran on the cluster's worker processes.
    workers = set(cluster["client"].scheduler_info()["workers"])
    assert tasks.data
    assert {task["worker"] for task in tasks.data} <= workers

    local = clone(remote).fit(namespace["X"])
    assert remote.best_params_ == local.best_params_
    scores = [f"split{i}_test_score" for i in range(3)] + ["mean_test_score"]
    for key in scores:
        assert_allclose(remote.cv_results_[key], local.cv_results_[key], rtol=1e-13)
    # dask's nannies start workers with one BLAS thread (OPENBLAS_NUM_THREADS=1
    # and friends), and OpenBLAS's threaded kernels may round differently (one
    # split score of twelve was 1 ulp off with two threads): with one thread
    # locally too, the arithmetic is the same, bit for bit.
    with threadpool_limits(limits=1):
        local = clone(remote).fit(namespace["X"])
    for key in scores:
        assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    # The candidates differ clearly: the comparison is not between ties.
    assert np.ptp(local.cv_results_["mean_test_score"]) > 1.0
