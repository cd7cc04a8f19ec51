"""Tests for the BLAS thread policy: limits lowered, never raised, always restored."""

# SPDX-License-Identifier: BSD-3-Clause

import threading
import warnings

import numpy as np
import pytest
from joblib import Parallel, delayed
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import skae._pca
import skae._solvers
import skae._threads
from skae import AutoencoderTransformer
from skae._objective import Objective
from skae._threads import blas_threads

# A fit whose largest product is 200 x 128 x 128: small enough for one thread.
SMALL = dict(n_components=4, max_iter=3, random_state=0)


def blas_threads_now():
    """The thread count of every loaded BLAS library."""
    return [
        pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
    ]


@pytest.fixture
def two_threads():
    """Every BLAS library on 2 threads for the test, so the policy has work."""
    if not blas_threads_now():
        pytest.skip("no BLAS library threadpoolctl can control")
    with threadpool_limits(2, user_api="blas"):
        yield [2] * len(blas_threads_now())


@pytest.fixture
def observed(monkeypatch):
    """The BLAS thread counts seen while the estimator trains and encodes."""
    seen = []
    train, encode = AutoencoderTransformer._train, skae._autoencoder.encode

    def observe(function):
        def wrapper(*args, **kwargs):
            seen.append(blas_threads_now())
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(AutoencoderTransformer, "_train", observe(train))
    monkeypatch.setattr(skae._autoencoder, "encode", observe(encode))
    return seen


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.usefixtures("quiet")
def test_small_fit_runs_on_one_thread_and_restores(digits, two_threads, observed):
    ae = AutoencoderTransformer(**SMALL).fit(digits)
    # The folds of early_stopping="auto" and the training on all rows alike.
    assert observed and all(seen == [1] * len(two_threads) for seen in observed)
    assert blas_threads_now() == two_threads
    # Whole-data passes were measured faster on two threads at every size:
    # transform runs on the caller's threads.
    ae.transform(digits)
    assert observed[-1] == two_threads
    assert blas_threads_now() == two_threads


@pytest.mark.usefixtures("quiet")
def test_large_work_keeps_the_threads(digits, two_threads, observed, monkeypatch):
    monkeypatch.setattr(skae._threads, "MIN_FLOPS_FOR_THREADS", 1e3)
    AutoencoderTransformer(**SMALL).fit(digits)
    assert observed and all(seen == two_threads for seen in observed)
    assert blas_threads_now() == two_threads


def test_settings_restored_after_an_exception(digits, two_threads):
    ae = AutoencoderTransformer(2, solver="sgd", learning_rate_init=1e6, random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        ae.fit(digits)
    assert blas_threads_now() == two_threads
    with pytest.raises(RuntimeError, match="inside"), blas_threads(10**6):
        raise RuntimeError("inside")
    assert blas_threads_now() == two_threads


@pytest.mark.usefixtures("quiet")
def test_user_limit_of_one_is_kept(digits, two_threads, observed, monkeypatch):
    with threadpool_limits(1, user_api="blas"):
        AutoencoderTransformer(**SMALL).fit(digits)
        # Work large enough for threads does not raise the user's limit either.
        monkeypatch.setattr(skae._threads, "MIN_FLOPS_FOR_THREADS", 1e3)
        AutoencoderTransformer(**SMALL).fit(digits)
        assert blas_threads_now() == [1] * len(two_threads)
    assert observed and all(seen == [1] * len(two_threads) for seen in observed)
    assert blas_threads_now() == two_threads


def test_tiny_products_leave_the_blas_alone(monkeypatch):
    # OpenBLAS multiplies so small a product on one thread by itself.
    def fail():
        raise AssertionError("the BLAS libraries were looked up")

    monkeypatch.setattr(skae._threads, "_blas_libraries", fail)
    with blas_threads(1 * 784 * 256):
        pass


class FakeLibrary:
    """A BLAS library controller that records the thread counts set."""

    def __init__(self, num_threads):
        self.num_threads, self.calls = num_threads, []

    def get_num_threads(self):
        return self.num_threads

    def set_num_threads(self, num_threads):
        self.calls.append(num_threads)
        self.num_threads = num_threads


def test_nested_and_concurrent_blocks_restore_once(monkeypatch):
    # Fake libraries: OpenBLAS ignores a thread count set from another thread
    # once the main thread has set one, so real ones cannot show the logic.
    libraries = [FakeLibrary(4), FakeLibrary(1), FakeLibrary(None)]
    monkeypatch.setattr(skae._threads, "_blas_libraries", lambda: libraries)
    with blas_threads(10**6):
        with blas_threads(10**6):
            assert [lib.num_threads for lib in libraries] == [1, 1, None]
        assert [lib.num_threads for lib in libraries] == [1, 1, None]
    assert [lib.num_threads for lib in libraries] == [4, 1, None]
    # A library already on one thread, or that cannot tell, is never touched.
    assert [lib.calls for lib in libraries] == [[1, 4], [], []]

    inside = threading.Barrier(2)
    counts = []

    def work():
        with blas_threads(10**6):
            inside.wait()  # both threads inside, then leaving in either order
            counts.append(libraries[0].num_threads)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert counts == [1, 1]
    assert libraries[0].num_threads == 4
    assert libraries[0].calls == [1, 4, 1, 4]


def on_one_thread(function):
    """``function`` run on one BLAS thread, whatever the caller's limit."""

    def wrapped(*args, **kwargs):
        with threadpool_limits(1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapped


@pytest.mark.usefixtures("quiet")
def test_results_are_those_of_one_thread(digits, two_threads, monkeypatch):
    # OpenBLAS's results depend on its thread count (float32 products, and some
    # float64 ones, are summed in another order), so the policy's training is
    # bitwise that of training on one thread, and close to it on two. The PCA
    # start runs on the caller's threads (its scatter matrix is one large
    # product, its axes an eigendecomposition), and OpenBLAS 0.3.20 (NumPy
    # 1.23) computes them differently on two: they are computed on one thread
    # here, so that only training is compared.
    for name in ("fit_axes",):
        step = on_one_thread(getattr(skae._autoencoder, name))
        monkeypatch.setattr(skae._autoencoder, name, step)
    params = dict(SMALL, max_iter=5)
    for dtype in (np.float64, np.float32):
        X = digits.astype(dtype)
        policy = AutoencoderTransformer(**params).fit(X)
        with monkeypatch.context() as patch:
            patch.setattr(skae._threads, "MIN_FLOPS_FOR_THREADS", 0)
            with threadpool_limits(1, user_api="blas"):
                one = AutoencoderTransformer(**params).fit(X)
            two = AutoencoderTransformer(**params).fit(X)
        for coef, coef_one, coef_two in zip(
            policy.coefs_, one.coefs_, two.coefs_, strict=True
        ):
            assert_array_equal(coef, coef_one)
            tolerance = 1e-4 if dtype == np.float32 else 1e-10
            assert_allclose(coef, coef_two, rtol=tolerance, atol=tolerance)


def _fit_in_worker(X):
    """Thread counts before and after a fit, and the estimator's codes."""
    before = blas_threads_now()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        Z = AutoencoderTransformer(**SMALL).fit_transform(X)
    return before, blas_threads_now(), Z


def test_joblib_workers_keep_their_limit(digits):
    # loky workers start with the BLAS limited to cpu_count // n_jobs threads.
    results = Parallel(n_jobs=2, backend="loky")(
        delayed(_fit_in_worker)(digits) for _ in range(2)
    )
    for before, after, Z in results:
        assert after == before
        assert_allclose(Z, results[0][2], rtol=1e-10)


def test_scatter_eigh_runs_on_one_thread_up_to_the_scatter_bound(
    two_threads, monkeypatch
):
    seen = []
    eigh = skae._pca.linalg.eigh

    def observe(*args, **kwargs):
        seen.append(blas_threads_now())
        return eigh(*args, **kwargs)

    monkeypatch.setattr(skae._pca.linalg, "eigh", observe)
    scatter = np.diag(np.arange(1.0, 7.0)) + 0.1  # distinct eigenvalues
    expected = eigh(scatter, subset_by_index=[4, 5], driver="evx")
    values, vectors = skae._pca._eigh(scatter, subset_by_index=[4, 5], driver="evx")
    # The same LAPACK call, on fewer threads: equal up to round-off (OpenBLAS
    # 0.3.21.dev, SciPy 1.11's, sums in another order on one thread).
    assert_allclose(values, expected[0], rtol=1e-12)
    assert_allclose(np.abs(vectors), np.abs(expected[1]), rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(skae._pca, "SCATTER_MAX_FEATURES", 5)
    skae._pca._eigh(scatter)
    assert seen == [[1] * len(two_threads), two_threads]
    assert blas_threads_now() == two_threads


@pytest.mark.usefixtures("quiet")
@pytest.mark.parametrize("policy_limits", [False, True])
def test_lbfgs_own_work_on_one_thread_objective_on_the_training_threads(
    digits, two_threads, monkeypatch, policy_limits
):
    if not policy_limits:
        monkeypatch.setattr(skae._threads, "MIN_FLOPS_FOR_THREADS", 1e3)
    seen = {"solver": [], "objective": []}
    minimize, value_and_grad = skae._solvers.minimize, Objective.value_and_grad

    def observed_minimize(*args, **kwargs):
        seen["solver"].append(blas_threads_now())
        return minimize(*args, **kwargs)

    def observed_value_and_grad(self, *args, **kwargs):
        seen["objective"].append(blas_threads_now())
        return value_and_grad(self, *args, **kwargs)

    monkeypatch.setattr(skae._solvers, "minimize", observed_minimize)
    monkeypatch.setattr(Objective, "value_and_grad", observed_value_and_grad)
    AutoencoderTransformer(
        4, solver="lbfgs", max_iter=5, early_stopping=False, random_state=0
    ).fit(digits)
    one = [1] * len(two_threads)
    assert seen["solver"] == [one]
    training = one if policy_limits else two_threads
    assert seen["objective"] and all(s == training for s in seen["objective"])
    assert blas_threads_now() == two_threads
