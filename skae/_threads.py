"""BLAS threads sized to the work: one thread wherever a second would wait."""

# SPDX-License-Identifier: BSD-3-Clause

import threading
from contextlib import contextmanager
from functools import wraps

from threadpoolctl import ThreadpoolController

# Work below which a second BLAS thread does not pay in training: the FLOPs of
# the largest matrix product of one step (a minibatch through the widest
# layer). Measured by ``python benchmarks/threads.py`` on 2 idle cores, per
# step over whole epochs: below it two threads were slower than one in several
# networks, from it on faster, and with another process busy slower at every
# size (its output is in benchmarks/results/; the user guide's "BLAS threads"
# quotes it). Setting it to 0 turns the policy off (the benchmarks compare
# both).
MIN_FLOPS_FOR_THREADS = 15e6

# OpenBLAS runs a product of m * n * k up to this on one thread by itself
# (interface/gemm.c: SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD).
_OPENBLAS_SERIAL_MNK = 65536 * 4

_lock = threading.Lock()
_controller = None
_depth = 0
_saved = []


def _blas_libraries():
    """The loaded BLAS libraries' controllers, found once per process.

    Scanning the loaded libraries takes milliseconds; NumPy's and SciPy's BLAS
    are loaded before skae is imported, so one scan finds them.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller.lib_controllers


def product_size(units, n_rows):
    """``m * n * k`` of the largest matrix product of ``n_rows`` rows.

    ``units`` are the layer widths of the correction networks
    (:func:`skae._network.layer_units`); the PCA paths (``n_features`` by
    ``n_components``) are left out, being narrower than the first layer
    unless the hidden layers are narrower than the code.
    """
    return n_rows * max(a * b for a, b in zip(units[:-1], units[1:], strict=True))


@contextmanager
def blas_threads(size):
    """Run the block on one BLAS thread if its products are too small for more.

    Over small matrices OpenBLAS's threads spin and wait on each other, and
    wait whole scheduler slices when another process keeps a core busy.

    Parameters
    ----------
    size : int
        ``m * n * k`` of the largest matrix product of one training step (a
        minibatch, or an L-BFGS chunk), from :func:`product_size`.
    """
    # OpenBLAS keeps the smallest products on one thread by itself: limiting
    # it then would only cost the limiting (a partial_fit on a few rows).
    if _OPENBLAS_SERIAL_MNK < size and 2 * size < MIN_FLOPS_FOR_THREADS:
        with one_blas_thread():
            yield
    else:
        yield


@contextmanager
def one_blas_thread():
    """Run the block with every BLAS library on one thread.

    The limit only ever lowers the thread count, so that a limit set by the
    user (``threadpoolctl.threadpool_limits``) or by joblib in a worker is
    kept, and every library's setting is restored on exit, after an exception
    too. Nested and concurrent blocks share one limit, which the last to leave
    restores, so no block restores another's limit as the user's setting.
    OpenBLAS (0.3.30) ignores a thread count set from another thread once the
    main thread has set one: the block then runs on the threads it finds.

    Yields the ``(library, count)`` pairs the block lowered, for
    :func:`on_lowered_threads`: none when an enclosing block had lowered them.
    """
    global _depth, _saved
    with _lock:
        lowered = []
        if _depth == 0:
            _saved = []
            for library in _blas_libraries():
                current = library.get_num_threads()
                if current is not None and current > 1:
                    _saved.append((library, current))
                    library.set_num_threads(1)
            lowered = list(_saved)
        _depth += 1
    try:
        yield lowered
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for library, current in _saved:
                    library.set_num_threads(current)
                _saved = []


def on_lowered_threads(lowered, function):
    """``function``, run on the thread counts a :func:`one_blas_thread` block
    lowered (``lowered``, what it yielded), and back on one thread after.

    For code that calls back into ours: SciPy's L-BFGS-B works on its vectors
    with SciPy's own OpenBLAS, which on two threads waits for NumPy's, still
    spinning after the objective's products. Its vector work then runs on one
    thread, and the objective's products on the caller's threads.
    """

    # The signature kept: SciPy reads a callback's to decide what to pass it.
    @wraps(function, updated=())
    def restored(*args, **kwargs):
        for library, count in lowered:
            library.set_num_threads(count)
        try:
            return function(*args, **kwargs)
        finally:
            for library, _ in lowered:
                library.set_num_threads(1)

    return restored
