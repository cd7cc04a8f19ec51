"""Running column moments of the data and the principal axes they give."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.sparse.linalg import LinearOperator, svds
from sklearn.decomposition._pca import _infer_dimension
from sklearn.utils import gen_batches
from sklearn.utils.sparsefuncs import mean_variance_axis, min_max_axis

from ._threads import one_blas_thread

# Rows per chunk when a statistic is accumulated over dense X, so that no
# float64 copy of a float32 X is ever made whole. 1024 rows of 784 float64
# columns (6 MiB) were 20 % faster than 4096 on 60 000 rows, and a quarter of
# the peak memory.
_MOMENT_ROWS = 1024

# Widest data whose n_features x n_features scatter matrix is kept when
# nobody asks for it (svd_solver="auto", and partial_fit): PCA's own bound
# for its covariance solver. Beyond it the start is a truncated SVD, and
# partial_fit keeps a low-rank running PCA.
SCATTER_MAX_FEATURES = 1000


@dataclass
class Moments:
    """Statistics of all the rows seen so far, in float64.

    With sample weights ``w_i`` (frequency weights: an integer weight counts
    as that many copies of the row), ``n_samples`` is ``sum_i w_i`` (a float;
    the number of rows, an int, without weights), ``mean`` is the weighted
    mean and ``sum_squares`` is ``sum_i w_i (x_i - mean)**2`` per column
    (n_features,). ``low`` and ``high`` are the column minima and maxima, and
    ``n_rows`` the number of rows, of the rows of positive weight: a row of
    weight 0 counts for nothing, as if it had been removed.

    Of the centred rows' second moments, narrow data keep the exact
    ``scatter``, ``sum_i w_i (x_i - mean)(x_i - mean)^T`` (n_features,
    n_features); wide data a ``factor`` (rank, n_features) whose
    ``factor.T @ factor`` is the scatter's best approximation of that rank;
    otherwise both are None.
    """

    n_samples: float
    mean: np.ndarray
    sum_squares: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_rows: int
    scatter: np.ndarray | None = None
    factor: np.ndarray | None = None


@dataclass
class PrincipalAxes:
    """PCA of :class:`Moments`, under the names and conventions of PCA.

    ``components`` (n_components, n_features) has orthonormal rows, zero rows
    beyond the rank of the data; variances divide by
    :func:`variance_denominator`, ``n_samples - 1``.
    ``residual_variance`` (n_features,) is each column's variance left
    unexplained by the components, zero when they span the data (``exact``).
    """

    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    singular_values: np.ndarray
    noise_variance: float
    residual_variance: np.ndarray
    exact: bool = False


def variance_denominator(n_samples):
    """What a scatter is divided by to give variances: ``n_samples - 1``, as PCA.

    ``n_samples`` may be a sum of weights (:class:`Moments`). The denominator
    is never less than ``min(n_samples, 1)``: one sample has no spread to
    correct for, and weights summing to 1 or less (proportions, not counts)
    give the weighted variance with no correction, ``scatter / n_samples``.
    It is continuous in ``n_samples`` and ``n - 1`` for every integer ``n >= 2``.
    """
    return max(n_samples - 1, min(n_samples, 1))


def _scatter(centred, dtype, peak):
    """``centred.T @ centred`` in float64, its product computed in ``dtype``.

    float32 data's product is computed in float32, as PCA's (twice as fast),
    scaled by a power of two (exact) where its squares would overflow:
    ``peak`` bounds the absolute values of ``centred``.
    """
    if dtype == np.float64:
        return centred.T @ centred
    scale = 2.0 ** np.ceil(np.log2(peak)) if peak > 2.0**50 else 1.0
    part = (centred / scale if scale > 1 else centred).astype(dtype)
    return (part.T @ part).astype(np.float64) * scale**2


def _chunk_moments(part, weights, scatter):
    """:class:`Moments` of one chunk of rows, dense or CSR/CSC, in float64.

    A dense chunk (a sparse one when ``scatter`` is wanted, which only narrow
    data ask for) is centred before anything is squared, in float64: the
    uncentred sums of squares lose every digit of a column offset by 1e8, and
    overflow float32 near 1e19. Only the scatter's product is computed in the
    dtype of the data (:func:`_scatter`), and with it the sums of squares,
    its diagonal: the passes over the chunk are few, as they cost as much as
    the product on float32 data.
    """
    dtype = part.dtype
    n_rows = part.shape[0]
    n_samples = n_rows if weights is None else float(weights.sum())
    low, high = (
        min_max_axis(part, axis=0)
        if sp.issparse(part)
        else (part.min(axis=0), part.max(axis=0))
    )
    low, high = low.astype(np.float64), high.astype(np.float64)
    if sp.issparse(part) and not scatter:
        # Wide sparse rows stay sparse: sklearn's variances are centred sums.
        mean, variance = mean_variance_axis(
            part.astype(np.float64), axis=0, weights=weights
        )
        return Moments(n_samples, mean, variance * n_samples, low, high, n_rows)
    part = part.toarray() if sp.issparse(part) else np.asarray(part)
    if weights is None:
        mean = part.sum(axis=0, dtype=np.float64) / n_rows
    else:
        mean = (weights @ part.astype(np.float64)) / n_samples
    centred = np.subtract(part, mean, dtype=np.float64)
    peak = float(np.maximum(high - mean, mean - low).max()) if n_rows else 0.0
    if weights is not None:
        root = np.sqrt(weights)
        centred *= root[:, None]
        peak *= float(root.max())
    if not scatter:
        sum_squares = np.einsum("ij,ij->j", centred, centred)
        return Moments(n_samples, mean, sum_squares, low, high, n_rows)
    product = _scatter(centred, dtype, peak)
    stats = Moments(n_samples, mean, np.diag(product).copy(), low, high, n_rows)
    stats.scatter = product
    return stats


def moments(X, rows=None, sample_weight=None, scatter=True):
    """:class:`Moments` of X (n_samples, n_features), dense or CSR/CSC.

    With ``rows`` (indices), of those rows only, gathered chunk by chunk and
    merged (:func:`merge`). Sparse X is never made dense whole; with
    ``scatter`` (narrow data), one chunk of rows at a time.
    ``sample_weight`` (X.shape[0],), non-negative float64, weighs each row of
    X, of which those of weight 0 are left out; at least one of ``rows`` must
    have a positive weight.
    """
    rows = _kept_rows(X.shape[0], rows, sample_weight)
    total = None
    for batch in gen_batches(rows.shape[0], _MOMENT_ROWS):
        chunk = rows[batch]
        weights = None if sample_weight is None else sample_weight[chunk]
        stats = _chunk_moments(X[chunk], weights, scatter)
        total = stats if total is None else merge(total, stats)
    return total


def _kept_rows(n_samples, rows, sample_weight):
    """``rows`` (all by default) less those of weight 0, which count for nothing."""
    rows = np.arange(n_samples) if rows is None else rows
    return rows if sample_weight is None else rows[sample_weight[rows] > 0]


def _merge_factors(old, new, delta, rank):
    """Low-rank factor of the merged scatter, as IncrementalPCA merges its SVDs."""
    stacked = np.vstack([old, new, delta[None, :]])
    _, singular_values, vt = linalg.svd(stacked, full_matrices=False)
    kept = singular_values.shape[0] if rank is None else rank
    return singular_values[:kept, None] * vt[:kept]


def merge(old, new, rank=None):
    """The :class:`Moments` of the union of two sets of rows.

    Chan, Golub and LeVeque's pairwise update: exact up to round-off, whatever
    the order in which chunks arrive; ``n_samples`` may be sums of weights.
    Low-rank factors are merged as IncrementalPCA does, the result truncated
    to ``rank`` rows when given.
    """
    n_samples = old.n_samples + new.n_samples
    delta = new.mean - old.mean
    share = old.n_samples * new.n_samples / n_samples
    merged = Moments(
        n_samples,
        old.mean + delta * (new.n_samples / n_samples),
        old.sum_squares + new.sum_squares + delta**2 * share,
        np.minimum(old.low, new.low),
        np.maximum(old.high, new.high),
        old.n_rows + new.n_rows,
    )
    if old.scatter is not None and new.scatter is not None:
        merged.scatter = old.scatter + new.scatter + np.outer(delta, delta) * share
    if old.factor is not None and new.factor is not None:
        merged.factor = _merge_factors(
            old.factor, new.factor, delta * np.sqrt(share), rank
        )
    return merged


def choose_solver(svd_solver, shape, sparse, n_components):
    """The solver ``svd_solver="auto"`` stands for, as PCA chooses it.

    As PCA, the covariance for tall narrow data, a full SVD for small data or
    when the whole spectrum decides ``n_components``, randomized otherwise,
    and ARPACK for sparse X. Unlike PCA, the covariance is taken by any data,
    dense or sparse, of at most ``SCATTER_MAX_FEATURES`` columns and at least
    as many rows (not ten times as many), and by sparse data of at most
    ``SCATTER_MAX_FEATURES`` columns whatever its rows: it is computed in float64 from
    centred chunks of rows, so that sparse and dense data, float32 or
    float64, give the same PCA to float64 round-off.
    """
    if svd_solver != "auto":
        return svd_solver
    n_samples, n_features = shape
    if n_features <= SCATTER_MAX_FEATURES and (sparse or n_samples >= n_features):
        # Sparse X too when it has fewer rows than columns: ARPACK's result
        # depends on the rows' order and repetition at round-off, which
        # L-BFGS's training then amplifies (weighted rows against repeated).
        return "covariance_eigh"
    if sparse:
        return "arpack"
    whole = not isinstance(n_components, Integral)
    if max(shape) <= 500 or whole or n_components >= 0.8 * min(shape):
        return "full"
    return "randomized"


def check_n_components(n_components, solver, n_samples, n_features):
    """Refuse the ``n_components`` PCA would refuse for this data and solver."""
    bound = min(n_samples, n_features)
    spectrum = solver in ("full", "covariance_eigh")
    if isinstance(n_components, Integral):
        top = bound - 1 if solver == "arpack" else bound
        if n_components > top:
            raise ValueError(
                f"n_components={n_components} must be between 1 and "
                f"min(n_samples, n_features)={bound}"
                + (" minus 1" if solver == "arpack" else "")
                + f" with svd_solver={solver!r} ({n_samples} samples, "
                f"{n_features} features): pass a smaller n_components."
            )
    elif n_components is not None and not spectrum:
        raise ValueError(
            f"n_components={n_components!r} is chosen from the whole spectrum, "
            f"which svd_solver={solver!r} does not compute: pass an int, or "
            "svd_solver='full' or 'covariance_eigh' (dense or narrow data)."
        )
    elif n_components == "mle" and n_samples < n_features:
        raise ValueError(
            "n_components='mle' is only supported if n_samples >= n_features, "
            f"as in PCA (got {n_samples} samples, {n_features} features)."
        )


def _n_components(
    n_components, variance, total, n_samples, n_features, solver, negligible=0.0
):
    """The number of axes ``n_components`` asks for, as PCA resolves it.

    ``variance`` holds the variances along the axes found, in decreasing
    order: the whole spectrum for a float or "mle", whose variances below
    ``negligible`` are round-off.
    """
    if n_components is None:
        bound = min(n_samples, n_features)
        return bound - 1 if solver == "arpack" else bound
    if n_components == "mle":
        return _minka(variance, n_samples, negligible)
    if isinstance(n_components, Integral):
        return int(n_components)
    ratio = np.cumsum(variance / total) if total > 0 else np.ones_like(variance)
    # side="right": the kept axes explain more than the fraction asked for,
    # as in PCA.
    k = int(np.searchsorted(ratio, n_components, side="right")) + 1
    return min(k, variance.shape[0])


def _minka(variance, n_samples, negligible):
    """Minka's estimate of the dimension, as PCA's "mle" computes it.

    PCA's formula takes the logarithm of the gaps between variances, so equal
    ones (several exactly zero, as float32 data with constant columns give)
    make it fail, and so do variances at round-off level (float32 data):
    Minka's estimate is then that of the variances above round-off.
    """
    try:
        return int(_infer_dimension(variance, n_samples))
    except ValueError:
        kept = variance[variance > negligible]
        return int(_infer_dimension(kept, n_samples)) if kept.size > 1 else 1


def _axes(variance, vectors, stats, n_components, solver, eps, squared=False):
    """:class:`PrincipalAxes` from the variances (decreasing) and their axes.

    ``vectors`` (len(variance), n_features) are the axes found by a solver
    computing in precision ``eps``, from the scatter or, ``squared``, from
    singular values, whose squares resolve variances far smaller. Variances
    within round-off of zero are axes beyond the data's rank: their rows of
    ``components`` are zero, as are the rows beyond the axes found.
    """
    n_features = stats.mean.shape[0]
    denominator = variance_denominator(stats.n_samples)
    # The rank is at most the number of samples: a sum of integer weights is
    # the number of rows they repeat, and fractional weights cannot make the
    # rank smaller than that of the rows themselves.
    n_samples = int(max(stats.n_samples, stats.n_rows))
    bound = min(n_samples, n_features)
    column_variance = stats.sum_squares / denominator
    total = float(column_variance.sum())
    largest = variance.max() if variance.size else 0.0
    # Round-off of variances computed in precision eps: eigenvalues of a
    # scatter are off by about eps times the largest, squared singular values
    # by its square.
    resolution = bound * eps
    negligible = largest * (resolution**2 if squared else resolution)
    k = _n_components(
        n_components, variance, total, n_samples, n_features, solver, negligible
    )
    found = min(k, variance.shape[0])
    explained = np.zeros(k)
    explained[:found] = np.where(variance[:found] > negligible, variance[:found], 0.0)
    components = np.zeros((k, n_features))
    components[:found] = vectors[:found] * (explained[:found] > 0)[:, None]
    biggest = np.abs(components).argmax(axis=1)
    signs = np.sign(components[np.arange(k), biggest])
    components *= np.where(signs == 0, 1.0, signs)[:, None]

    # What the axes leave, a difference of sums accurate to about eps.
    left = total - explained.sum()
    exact = k >= bound or left <= total * resolution
    if exact or k >= bound:
        noise = 0.0
    elif variance.shape[0] >= bound:
        noise = float(variance[k:bound].mean())
    else:
        noise = max(left, 0.0) / (bound - k)
    residual = column_variance - (components**2).T @ explained
    return PrincipalAxes(
        components=components,
        explained_variance=explained,
        explained_variance_ratio=explained / total if total > 0 else explained * 0,
        singular_values=np.sqrt(explained * denominator),
        noise_variance=noise,
        residual_variance=np.zeros(n_features) if exact else np.clip(residual, 0, None),
        exact=bool(exact),
    )


def principal_axes(stats, n_components, solver="covariance_eigh", eps=None):
    """The :class:`PrincipalAxes` of ``stats``, from its scatter or its factor.

    ``n_components`` is anything PCA takes; an int asks only for the top of
    the scatter's spectrum, which is cheaper than all of it. ``eps`` is the
    precision the scatter was computed in (float64's by default).
    """
    eps = np.finfo(np.float64).eps if eps is None else eps
    n_features = stats.mean.shape[0]
    if stats.scatter is None:
        _, singular_values, vt = linalg.svd(stats.factor, full_matrices=False)
        variance = singular_values**2 / variance_denominator(stats.n_samples)
        return _axes(variance, vt, stats, n_components, solver, eps, squared=True)
    # Symmetrised: merges add outer products, which round-off leaves uneven.
    scatter = (stats.scatter + stats.scatter.T) / 2
    subset = None
    if isinstance(n_components, Integral) and n_components < n_features:
        subset = [n_features - n_components, n_features - 1]
    # LAPACK's "evx" finds a few eigenpairs several times faster than "evr".
    driver = None if subset is None else "evx"
    eigenvalues, vectors = _eigh(scatter, subset_by_index=subset, driver=driver)
    variance = np.clip(eigenvalues[::-1], 0, None) / variance_denominator(
        stats.n_samples
    )
    return _axes(variance, vectors[:, ::-1].T, stats, n_components, solver, eps)


def _eigh(scatter, **options):
    """``scipy.linalg.eigh`` of a scatter matrix, on one BLAS thread up to
    ``SCATTER_MAX_FEATURES`` columns.

    NumPy and SciPy wheels each bring their own OpenBLAS. Right after NumPy's
    product (the scatter's), NumPy's threads still spin on both cores, and
    SciPy's LAPACK on two threads of its own waits for them: on one thread
    the decomposition was faster from 784 columns on, and as fast below
    (``python benchmarks/threads.py --scipy-only`` prints both).
    """
    if scatter.shape[0] > SCATTER_MAX_FEATURES:
        return linalg.eigh(scatter, **options)
    with one_blas_thread():
        return linalg.eigh(scatter, **options)


def centred_operator(X, mean, weights=None):
    """``diag(sqrt(weights)) (X - mean)`` as a LinearOperator, X never copied.

    X (n_samples, n_features) is dense or sparse; products are computed in the
    dtype of X. Rows of weight 0 count for nothing, which is how a subset of
    the rows is taken without gathering it.
    """
    dtype = X.dtype
    mean = mean.astype(dtype)
    root = None if weights is None else np.sqrt(weights).astype(dtype)

    def matmat(V):
        V = np.asarray(V, dtype=dtype).reshape(X.shape[1], -1)
        out = np.asarray(X @ V) - mean @ V
        return out if root is None else out * root[:, None]

    def rmatmat(U):
        U = np.asarray(U, dtype=dtype).reshape(X.shape[0], -1)
        if root is not None:
            U = U * root[:, None]
        return np.asarray(X.T @ U) - np.outer(mean, U.sum(axis=0))

    return LinearOperator(
        shape=X.shape,
        dtype=dtype,
        matvec=matmat,
        matmat=matmat,
        rmatvec=rmatmat,
        rmatmat=rmatmat,
    )


@dataclass
class SolverOptions:
    """PCA's parameters of the randomized solver, and its random state."""

    iterated_power: object = "auto"
    n_oversamples: int = 10
    power_iteration_normalizer: str = "auto"
    random_state: object = None


def _own_generator(options):
    """A generator seeded by one draw from ``options.random_state``.

    The draws a solver needs depend on the data's shape; taking one seed
    whatever the shape keeps the draws after it (the network's weights) the
    same for weighted rows and for the rows repeated.
    """
    seed = options.random_state.randint(np.iinfo(np.int32).max)
    return np.random.RandomState(seed)


def _randomized(operator, n_components, options):
    """Top singular values and right vectors of ``operator``, as PCA's randomized.

    Halko, Martinsson and Tropp's range finder with ``options``' power
    iterations and normaliser, on whichever side of the operator is smaller,
    with scikit-learn's meaning of "auto" for both.
    """
    transpose = operator.shape[0] < operator.shape[1]
    op = operator.T if transpose else operator
    n_iter = options.iterated_power
    if n_iter == "auto":
        n_iter = 7 if n_components < 0.1 * min(op.shape) else 4
    normalizer = options.power_iteration_normalizer
    if normalizer == "auto":
        normalizer = "none" if n_iter <= 2 else "LU"
    normalize = {
        "none": lambda A: A,
        "LU": lambda A: linalg.lu(A, permute_l=True, check_finite=False)[0],
        "QR": lambda A: linalg.qr(A, mode="economic", check_finite=False)[0],
    }[normalizer]
    size = min(n_components + options.n_oversamples, min(op.shape))
    Q = _own_generator(options).normal(size=(op.shape[1], size)).astype(op.dtype)
    for _ in range(n_iter):
        Q = normalize(op.T @ normalize(op @ Q))
    Q = linalg.qr(op @ Q, mode="economic", check_finite=False)[0]
    B = (op.T @ Q).T
    u_hat, singular_values, vt = linalg.svd(B, full_matrices=False)
    if transpose:
        vt = (Q @ u_hat).T
    return singular_values[:n_components], vt[:n_components]


def _truncated(operator, n_components, solver, options):
    """Top singular values (decreasing) and right vectors of ``operator``."""
    if solver == "randomized":
        return _randomized(operator, n_components, options)
    # ARPACK's start vector as PCA draws it; tol=0 is PCA's default tol.
    v0 = _own_generator(options).uniform(-1, 1, min(operator.shape))
    _, singular_values, vt = svds(operator, k=n_components, tol=0, v0=v0)
    order = np.argsort(singular_values)[::-1]
    return singular_values[order], vt[order]


def fit_axes(X, n_components, svd_solver, options, rows=None, sample_weight=None):
    """The :class:`Moments` and :class:`PrincipalAxes` of X, as PCA computes them.

    ``n_components`` and ``svd_solver`` are anything PCA takes; ``rows`` and
    ``sample_weight`` restrict and weigh the rows as in :func:`moments`. Only
    ``"covariance_eigh"`` forms the scatter matrix; the other solvers work on
    the implicitly centred X (:func:`centred_operator`), so memory beyond X
    is O(n_features * n_components), except for ``"full"``, which centres a
    dense copy of X as PCA does.
    """
    solver = choose_solver(svd_solver, X.shape, sp.issparse(X), n_components)
    if solver == "full" and sp.issparse(X):
        raise ValueError(
            "svd_solver='full' needs dense X, as in PCA: use 'arpack', "
            "'randomized' or 'covariance_eigh' for sparse data."
        )
    scatter = solver == "covariance_eigh"
    stats = moments(X, rows, sample_weight, scatter=scatter)
    check_n_components(n_components, solver, stats.n_rows, X.shape[1])
    eps = np.finfo(X.dtype).eps
    if scatter:
        axes = principal_axes(stats, n_components, solver, eps)
        if svd_solver == "auto" and _lost_to_round_off(axes, stats):
            variance, vt = _spectrum(X, stats, rows, sample_weight)
            axes = _axes(variance, vt, stats, n_components, solver, eps, squared=True)
        return stats, axes
    weights = _row_weights(X.shape[0], rows, sample_weight)
    if solver == "full":
        centred = _centred_copy(X, stats.mean, rows, sample_weight)
        _, singular_values, vt = linalg.svd(centred, full_matrices=False)
    else:
        k = _n_components(n_components, None, 0.0, stats.n_rows, X.shape[1], solver)
        operator = centred_operator(X, stats.mean, weights)
        singular_values, vt = _truncated(operator, k, solver, options)
    singular_values = singular_values.astype(np.float64)
    # What partial_fit continues from: exact for "full", the top for the others.
    stats.factor = singular_values[:, None] * vt.astype(np.float64)
    variance = singular_values**2 / variance_denominator(stats.n_samples)
    return stats, _axes(variance, vt, stats, n_components, solver, eps, squared=True)


def _lost_to_round_off(axes, stats):
    """Whether axes the rows can span came out as round-off of the scatter.

    A scatter's eigenvalues are accurate to about eps times the largest: in
    mixed units (a column in the tens of millions beside columns near 1, as
    a stock's volume beside its prices) the small columns' variances are
    below that, and their axes are lost although the rows span them.
    """
    rank_bound = min(stats.n_rows - 1, stats.mean.shape[0])
    return bool(np.any(axes.explained_variance[:rank_bound] == 0))


def _spectrum(X, stats, rows=None, sample_weight=None):
    """Variances and axes (rows of ``vt``) from the singular values of the
    centred rows, whose squares resolve variances eps**2 times the largest.

    The SVD is that of the triangular factor of the centred rows' QR, which
    has their singular values and is accumulated a chunk of rows at a time
    (as :func:`moments`), so that X is not copied whole.
    """
    rows = _kept_rows(X.shape[0], rows, sample_weight)
    factor = np.zeros((0, X.shape[1]))
    for batch in gen_batches(rows.shape[0], _MOMENT_ROWS):
        centred = _centred_copy(X, stats.mean, rows[batch], sample_weight, np.float64)
        stacked = np.vstack([factor, centred])
        factor = linalg.qr(stacked, mode="r", check_finite=False)[0]
    _, singular_values, vt = linalg.svd(factor, full_matrices=False)
    return singular_values**2 / variance_denominator(stats.n_samples), vt


def _row_weights(n_samples, rows, sample_weight):
    """Weights of every row of X for ``rows`` and ``sample_weight``, or None."""
    if rows is None:
        return sample_weight
    weights = np.zeros(n_samples)
    weights[rows] = 1.0 if sample_weight is None else sample_weight[rows]
    return weights


def _centred_copy(X, mean, rows, sample_weight, dtype=None):
    """``sqrt(w) (X[rows] - mean)``, dense, in ``dtype`` (that of X by default).

    X may be sparse: only its ``rows`` are made dense.
    """
    dtype = X.dtype if dtype is None else dtype
    rows = np.arange(X.shape[0]) if rows is None else rows
    part = X[rows]
    part = part.toarray() if sp.issparse(part) else np.asarray(part, dtype=dtype)
    centred = np.subtract(part, mean.astype(dtype), dtype=dtype)
    if sample_weight is not None:
        centred *= np.sqrt(sample_weight[rows]).astype(dtype)[:, None]
    return centred


def chunk_factor(X, stats, rank, options, sample_weight=None):
    """A low-rank ``factor`` of the scatter of a chunk X with moments ``stats``.

    Exact (the centred rows themselves) for a chunk of at most ``rank`` rows,
    else the top ``rank`` singular triplets of the implicitly centred chunk,
    by the randomized solver: sparse X is never made dense.
    """
    weights = sample_weight
    if X.shape[0] <= rank:
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        return _centred_copy(dense.astype(np.float64), stats.mean, None, weights)
    operator = centred_operator(X, stats.mean, weights)
    singular_values, vt = _randomized(operator, min(rank, min(X.shape)), options)
    return singular_values.astype(np.float64)[:, None] * vt.astype(np.float64)


def running(stats, wide, rank):
    """``stats`` with what partial_fit keeps: the scatter, or a ``rank`` factor.

    A fit may have left the other one (a truncated SVD of narrow data, or the
    covariance of wide data asked for by ``svd_solver``).
    """
    if wide and stats.factor is None:
        eigenvalues, vectors = _eigh(stats.scatter)
        top = np.clip(eigenvalues[::-1][:rank], 0, None)
        return replace(
            stats,
            scatter=None,
            factor=np.sqrt(top)[:, None] * vectors[:, ::-1].T[:rank],
        )
    if not wide and stats.scatter is None:
        return replace(stats, scatter=stats.factor.T @ stats.factor, factor=None)
    return stats
