"""Outlier detection by reconstruction error, on AutoencoderTransformer's public API."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS
from ._autoencoder import AutoencoderTransformer

# Rows scored at a time: the squared errors of a chunk are dense float64, so
# sparse or large X is never made dense whole (about 8 MiB a chunk).
_CHUNK_ENTRIES = 2**20

# The detector's own training parameters, passed to the autoencoder under the
# same names; autoencoder_params may not repeat them.
_OWN = (
    "n_components",
    "hidden_layer_sizes",
    "activation",
    "alpha",
    "max_iter",
    "tol",
    "random_state",
    "verbose",
)


def _weighted_quantile(values, q, sample_weight=None):
    """The ``q`` quantile of ``values`` (n_samples,), weighted as frequencies.

    Without weights, NumPy's default (linear) quantile, as IsolationForest's
    ``offset_``; with them, the smallest value whose cumulative weight
    reaches ``q`` of the total (for integer weights, NumPy's "inverted_cdf"
    quantile of the repeated values).
    """
    if sample_weight is None:
        return float(np.quantile(values, q))
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(sample_weight[order])
    index = np.searchsorted(cumulative, q * cumulative[-1], side="left")
    return float(values[order][min(index, len(values) - 1)])


def _scaled_errors(X, autoencoder, scales):
    """Chunks of rows of ``autoencoder``'s squared errors on X over ``scales``.

    X (n_samples, n_features) is validated; each chunk is dense float64 of
    about ``_CHUNK_ENTRIES`` entries, so sparse X is never made dense whole.
    """
    batch = max(1, _CHUNK_ENTRIES // X.shape[1])
    for rows in gen_batches(X.shape[0], batch):
        yield autoencoder.reconstruction_errors(X[rows]) / scales


def _code_statistics(codes, sample_weight):
    """Weighted mean and standard deviation of ``codes`` (n_samples, n_components)."""
    mean = np.average(codes, axis=0, weights=sample_weight)
    scale = np.sqrt(np.average((codes - mean) ** 2, axis=0, weights=sample_weight))
    if not scale.any():
        return mean.astype(np.float64), np.ones_like(scale, dtype=np.float64)
    # A code that does not vary in training (data of lower rank than
    # n_components) would turn round-off into huge distances.
    scale = np.maximum(scale, 1e-3 * scale.max())
    return mean.astype(np.float64), scale.astype(np.float64)


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier detection with an autoencoder's reconstruction error.

    Trains an :class:`AutoencoderTransformer` on (mostly normal) data and
    scores each row by how badly it is reconstructed, with scikit-learn's
    outlier-detector interface: ``predict`` returns +1 for inliers and -1 for
    outliers, ``score_samples`` is lower for more abnormal rows, and
    ``decision_function`` is ``score_samples - offset_``, negative for
    outliers, as for :class:`~sklearn.ensemble.IsolationForest`.

    Each feature's squared error is divided by its error on the training
    rows before the errors of a row are averaged, so that columns in large
    units, or that the model reconstructs badly even on normal rows, do not
    drown the others; the distance of the row's code from the training codes
    is added. ``reconstruction_errors`` returns the scaled errors, which say
    which features of a flagged row are abnormal.

    Read more in the :ref:`User Guide <outlier_detection>`.

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Width of the autoencoder's code. "auto" is the square root of the
        number of features, rounded (8 for the 64 pixels of the digits, 5
        for the 30 columns of breast_cancer, 4 for the 13 of wine), the rule
        ``benchmarks/outliers.py`` chose on those three data sets.

    hidden_layer_sizes : array-like of int, default=(64,)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        Smaller than the transformer's default, to keep fits short:
        ``benchmarks/outliers.py --variants`` measures both (the larger one
        ranks the digits better, at several times the fit time).

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers. Passed to the autoencoder.

    alpha : float, default=0.01
        Strength of the L2 penalty. Passed to the autoencoder.

    max_iter : int, default=500
        Maximum number of epochs. Passed to the autoencoder. Default fits on
        the digits (nine classes) stop on their own after about 230 to 280
        epochs.

    tol : float, default=1e-3
        Tolerance of the autoencoder's stopping rule, relative to PCA's error
        (see :class:`AutoencoderTransformer`). Looser than the transformer's
        default, so that training stops sooner.

    weighting : {"error", None}, default="error"
        How the squared errors of a row's features are weighed.

        - "error", each feature's squared error is divided by its mean squared
          error on the training rows, but not by less than the median of
          these means over the features
        - None, every feature alike, as in the autoencoder's own
          ``score_samples``

        Either way the scaled errors average 1 over the training rows.

    code_weight : float, default=0.3
        Weight of ``code_distances`` in the score, the distance of a row's
        code from the training codes; 0 scores by the reconstruction error
        alone.

    contamination : "auto" or float, default="auto"
        The expected share of outliers in the training data, which sets
        ``offset_``.

        - "auto", the boxplot rule on the training rows' root mean square
          errors ``sqrt(-score_samples)``: a row is an outlier beyond their
          third quartile plus 1.5 times their interquartile range, so no
          share of outliers is assumed
        - float in (0, 0.5], that share of the training rows (weighted by
          ``sample_weight``) scores below ``offset_``, as in
          :class:`~sklearn.ensemble.IsolationForest`

    random_state : int, RandomState instance or None, default=None
        Passed to the autoencoder, which it seeds. Pass an int for
        bitwise-reproducible results across calls.

    verbose : bool, default=False
        Whether the autoencoder prints its loss after every epoch.

    autoencoder_params : dict or None, default=None
        Any other parameter of :class:`AutoencoderTransformer` (``solver``,
        ``noise``, ``early_stopping``, ...), by name. It may not repeat the
        parameters above. The autoencoder trains on all rows
        (``early_stopping=False``, the setting ``benchmarks/outliers.py``
        measured) unless this sets ``early_stopping``.

    Attributes
    ----------
    autoencoder_ : AutoencoderTransformer
        The autoencoder fitted on the training data.

    feature_scales_ : ndarray of shape (`n_features_in_`,)
        The divisor of each feature's squared error (float64), all equal with
        ``weighting=None``.

    code_mean_ : ndarray of shape (n_components,)
        Mean of the training rows' codes (float64).

    code_scale_ : ndarray of shape (n_components,)
        Standard deviation of the training rows' codes (float64), the unit of
        ``code_distances``.

    n_iter_ : int
        Number of epochs (L-BFGS iterations) the autoencoder trained for.

    offset_ : float
        The threshold on ``score_samples``: rows scoring below it are
        outliers, and ``decision_function`` is ``score_samples - offset_``.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    AutoencoderTransformer : The autoencoder, whose ``score_samples`` is the
        unweighted reconstruction error alone.
    sklearn.ensemble.IsolationForest : Outlier detection by random
        partitioning; fast, no training to tune.
    sklearn.neighbors.LocalOutlierFactor : Outlier detection by local density
        (``novelty=True`` to score new data).
    sklearn.svm.OneClassSVM : Outlier detection by a kernel boundary.

    Notes
    -----
    **Scores.** ``score_samples(X)`` is
    ``-(reconstruction_errors(X).mean(axis=1) + code_weight *
    code_distances(X))``: the squared reconstruction errors of
    ``autoencoder_`` divided by ``feature_scales_``, and the mean squared
    distance of the codes from ``code_mean_`` in units of ``code_scale_``.
    Both terms average 1 over the training rows. The median floor of the
    scales keeps features that the autoencoder reconstructs almost exactly (a
    pixel that is always 0) from magnifying tiny errors. On data in one unit,
    such as pixels, the weighting changes little; on tables in mixed units it
    keeps the column of largest units from setting the score alone. The code
    term catches rows that are far out along the directions the autoencoder
    represents, which it may reconstruct well (see the User Guide for the
    numbers of ``benchmarks/outliers.py``).

    **Thresholds.** As for IsolationForest, ``offset_`` is computed from the
    training rows' own scores. The autoencoder reconstructs the rows it was
    trained on better than new normal rows, so on new data more rows than
    ``contamination`` are flagged. To flag a given share of new data, set
    ``offset_`` from the scores of normal rows kept out of training, as the
    gallery example on anomaly detection does.

    **Sample weights.** ``sample_weight`` reaches the autoencoder's ``fit``,
    and weighs the feature scales and the quantiles that set ``offset_``
    as frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderOutlierDetector
    >>> X, y = load_digits(return_X_y=True)
    >>> detector = AutoencoderOutlierDetector(contamination=0.05, random_state=0)
    >>> detector.fit(X[y != 3])
    AutoencoderOutlierDetector(contamination=0.05, random_state=0)
    >>> labels = detector.predict(X)  # +1 inlier, -1 outlier
    >>> sorted(np.unique(labels).tolist())
    [-1, 1]
    >>> bool((labels[y == 3] == -1).mean() > (labels[y != 3] == -1).mean())
    True
    >>> np.allclose(detector.decision_function(X),
    ...             detector.score_samples(X) - detector.offset_)
    True
    """

    _parameter_constraints: dict = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "weighting": [StrOptions({"error"}), None],
        "code_weight": [Interval(Real, 0, None, closed="left")],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "autoencoder_params": [dict, None],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        hidden_layer_sizes=(64,),
        activation="relu",
        alpha=0.01,
        max_iter=500,
        tol=1e-3,
        weighting="error",
        code_weight=0.3,
        contamination="auto",
        random_state=None,
        verbose=False,
        autoencoder_params=None,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.weighting = weighting
        self.code_weight = code_weight
        self.contamination = contamination
        self.random_state = random_state
        self.verbose = verbose
        self.autoencoder_params = autoencoder_params

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on X, then set the feature scales and ``offset_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, mostly normal rows; CSR and CSC matrices are never
            made dense whole.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, a frequency, as in
            :meth:`AutoencoderTransformer.fit`.

        Returns
        -------
        self : object
            The fitted detector.

        See Also
        --------
        fit_predict : Fit, then label the training rows.
        AutoencoderTransformer.fit : The autoencoder's training.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_digits(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
        >>> detector.autoencoder_.n_components_, detector.feature_scales_.shape
        (8, (64,))
        """
        X, sample_weight, autoencoder = self._fit_autoencoder(X, sample_weight)
        self.autoencoder_, self.n_iter_ = autoencoder, autoencoder.n_iter_
        self.feature_scales_ = self._feature_scales(X, autoencoder, sample_weight)
        self.code_mean_, self.code_scale_ = _code_statistics(
            autoencoder.transform(X), sample_weight
        )
        self.offset_ = self._offset(self._score_samples(X), sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit the detector on X and label the rows of X.

        The same as ``fit(X).predict(X)``, and bitwise identical to it for an
        int ``random_state``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, mostly normal rows.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row, passed to :meth:`fit`.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 for inliers, -1 for outliers.

        See Also
        --------
        fit : Train the detector.
        predict : Label rows with a fitted detector.

        Examples
        --------
        >>> from sklearn.datasets import load_wine
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_wine(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(contamination=0.1, random_state=0)
        >>> labels = detector.fit_predict(X)
        >>> int((labels == -1).sum())  # a tenth of the 178 rows
        18
        """
        # Defined here, rather than inherited from OutlierMixin, for its
        # documentation; fit validates X and the parameters.
        return self.fit(X, sample_weight=sample_weight).predict(X)

    def _fit_autoencoder(self, X, sample_weight):
        """Validated X and weights, and the autoencoder fitted on them."""
        previous = {
            name: vars(self)[name]
            for name in ("n_features_in_", "feature_names_in_")
            if name in vars(self)
        }
        try:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32]
            )
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
                if np.all(sample_weight == 1):
                    # As the autoencoder does: weights of 1 are no weights,
                    # and give the offset_ of sample_weight=None bitwise.
                    sample_weight = None
            autoencoder = self._autoencoder(X.shape[1])
            autoencoder.fit(X, sample_weight=sample_weight)
        except BaseException:
            # validate_data has reset what it reads at predict time: restore
            # it, so that a fit that raises leaves a fitted model as it was.
            vars(self).pop("feature_names_in_", None)
            vars(self).update(previous)
            raise
        return X, sample_weight, autoencoder

    def _autoencoder(self, n_features):
        """The unfitted AutoencoderTransformer these parameters describe."""
        extra = dict(self.autoencoder_params or {})
        repeated = sorted(set(extra) & set(_OWN))
        if repeated:
            raise ValueError(
                f"autoencoder_params repeats {repeated}, which are parameters of "
                "AutoencoderOutlierDetector itself: set them there instead."
            )
        own = {name: getattr(self, name) for name in _OWN}
        if own["n_components"] == "auto":
            own["n_components"] = max(1, round(np.sqrt(n_features)))
        unknown = sorted(set(extra) - set(AutoencoderTransformer().get_params()))
        if unknown:
            raise ValueError(
                f"autoencoder_params has {unknown}, which are not parameters of "
                "AutoencoderTransformer."
            )
        # Trained on all rows, as benchmarks/outliers.py measured the defaults:
        # early_stopping="auto" is the autoencoder's choice for reconstruction.
        extra = {"early_stopping": False, **extra}
        return AutoencoderTransformer(**own, **extra)

    def _feature_scales(self, X, autoencoder, sample_weight):
        """Divisors of the squared errors (n_features,), of training mean 1."""
        totals = np.zeros(X.shape[1])
        start = 0
        for errors in _scaled_errors(X, autoencoder, 1.0):
            stop = start + errors.shape[0]
            weights = None if sample_weight is None else sample_weight[start:stop]
            totals += errors.sum(axis=0) if weights is None else weights @ errors
            start = stop
        means = totals / (X.shape[0] if sample_weight is None else sample_weight.sum())
        if self.weighting is None:
            scales = np.full(X.shape[1], means.mean())
        else:
            # The median floor: a feature reconstructed almost exactly (a
            # pixel that is always 0) must not magnify its tiny errors.
            scales = np.maximum(means, np.median(means))
        if not scales.any():
            return np.ones(X.shape[1])  # every training row reconstructed exactly
        # Zero scales occur only with zero training errors everywhere but on
        # under half the features; the largest scale then stands in.
        scales[scales == 0] = scales.max()
        # The scaled errors of a training row average 1 over rows and features.
        return scales * np.mean(means / scales)

    def _offset(self, scores, sample_weight):
        """The threshold on ``score_samples`` that ``contamination`` asks for."""
        if self.contamination != "auto":
            return _weighted_quantile(scores, self.contamination, sample_weight)
        # The boxplot rule on the root of -score_samples, a root mean square:
        # squared errors are skewed to the right, which would flag many normal
        # rows, and their logarithm magnifies the spread of rows that are
        # reconstructed almost exactly.
        roots = np.sqrt(np.maximum(-scores, 0))
        q1, q3 = (_weighted_quantile(roots, q, sample_weight) for q in (0.25, 0.75))
        return -float((q3 + 1.5 * (q3 - q1)) ** 2)

    def _validate_X(self, X):
        """Validate X for the fitted model, keeping sparse input sparse."""
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )

    def score_samples(self, X):
        """Negative scaled reconstruction error and code distance of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score; sparse X is made dense a chunk of rows at a time.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-(reconstruction_errors(X).mean(axis=1) + code_weight *
            code_distances(X))``, float64; the lower, the more abnormal.

        See Also
        --------
        decision_function : These scores less ``offset_``.
        reconstruction_errors : The feature errors behind the scores.
        code_distances : The code term of the scores.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderOutlierDetector
        >>> X, y = load_digits(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X[y != 0])
        >>> scores = detector.score_samples(X)
        >>> bool(scores[y == 0].mean() < scores[y != 0].mean())  # unseen zeros
        True
        """
        return self._score_samples(self._validate_X(X))

    def _score_samples(self, X):
        """``score_samples`` of validated X (n_samples, n_features)."""
        errors = np.concatenate(
            [
                chunk.mean(axis=1)
                for chunk in _scaled_errors(X, self.autoencoder_, self.feature_scales_)
            ]
        )
        return -(errors + self.code_weight * self._code_distances(X))

    def code_distances(self, X):
        """Mean squared distance of each row's code from the training codes' mean.

        Each code is measured in its standard deviation on the training rows
        (``code_mean_``, ``code_scale_``), so the distances average 1 over
        the training rows: a row far out along the directions the
        autoencoder learnt is unusual even when it is reconstructed well.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to measure.

        Returns
        -------
        distances : ndarray of shape (n_samples,)
            Non-negative, float64.

        See Also
        --------
        score_samples : The scores this term enters.

        Examples
        --------
        >>> from sklearn.datasets import load_wine
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_wine(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
        >>> round(float(detector.code_distances(X).mean()), 6)  # on training rows
        1.0
        """
        return self._code_distances(self._validate_X(X))

    def _code_distances(self, X):
        """``code_distances`` of validated X (n_samples, n_features)."""
        codes = self.autoencoder_.transform(X)
        return np.mean(((codes - self.code_mean_) / self.code_scale_) ** 2, axis=1)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Negative for the rows ``predict`` flags as outliers.

        See Also
        --------
        predict : The labels, -1 where this is negative.
        score_samples : The scores before the threshold.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_digits(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(contamination=0.1, random_state=0)
        >>> flagged = detector.fit(X).decision_function(X) < 0
        >>> round(float(flagged.mean()), 2)  # of the training rows
        0.1
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, -1 for outliers (``decision_function(X) < 0``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 or -1, integers.

        See Also
        --------
        decision_function : The scores whose sign gives the labels.
        fit_predict : Fit, then label the training rows.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_digits(return_X_y=True)
        >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
        >>> detector.predict(X[:3]).tolist()
        [1, 1, 1]
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def reconstruction_errors(self, X):
        """Scaled squared error of each feature of each row: which are abnormal.

        The autoencoder's squared errors divided by ``feature_scales_``; their
        row means are ``-score_samples(X)`` less ``code_weight`` times
        ``code_distances(X)``. With ``set_output(transform="pandas")`` a
        DataFrame whose columns are the feature names.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to explain.

        Returns
        -------
        errors : ndarray or DataFrame of shape (n_samples, n_features)
            Dense float64; a feature scores 1 where it is as badly
            reconstructed as on an average training row. Sparse X is made
            dense a chunk of rows at a time, but the result is as large as a
            dense X: pass large sparse data in row chunks.

        See Also
        --------
        score_samples : The scores these errors enter.
        AutoencoderTransformer.reconstruction_errors : The unscaled errors.

        Examples
        --------
        >>> from sklearn.datasets import load_wine
        >>> from skae import AutoencoderOutlierDetector
        >>> X, y = load_wine(return_X_y=True, as_frame=True)
        >>> detector = AutoencoderOutlierDetector(n_components=4, random_state=0)
        >>> detector.set_output(transform="pandas").fit(X[y != 0])
        AutoencoderOutlierDetector(n_components=4, random_state=0)
        >>> errors = detector.reconstruction_errors(X[y == 0])
        >>> errors.shape
        (59, 13)
        >>> worst = errors.iloc[0].nlargest(2)  # the two least normal features
        >>> len(worst.index), bool((worst > 0).all())
        (2, True)
        """
        errors = np.concatenate(
            list(
                _scaled_errors(
                    self._validate_X(X), self.autoencoder_, self.feature_scales_
                )
            )
        )
        return self._wrap(errors, X)

    def set_output(self, *, transform=None):
        """Set the container of ``reconstruction_errors``' output.

        The detector has no ``transform``: the setting applies to
        ``reconstruction_errors``, the one method whose columns are features.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            "default" for NumPy arrays, "pandas" for a DataFrame whose columns
            are the feature names (and whose index is that of X, if X is a
            DataFrame), None to leave it unchanged.

        Returns
        -------
        self : estimator instance
            The detector.

        See Also
        --------
        reconstruction_errors : The method whose output this sets.

        Examples
        --------
        >>> from sklearn.datasets import load_wine
        >>> from skae import AutoencoderOutlierDetector
        >>> X, _ = load_wine(return_X_y=True, as_frame=True)
        >>> detector = AutoencoderOutlierDetector(random_state=0).fit(X)
        >>> errors = detector.set_output(transform="pandas").reconstruction_errors(X)
        >>> errors.columns[:2].tolist()  # the names of the features
        ['alcohol', 'malic_acid']
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(
                "set_output's transform must be 'default', 'pandas' or None, got "
                f"{transform!r}."
            )
        # The attribute scikit-learn's set_output uses, which clone copies.
        self._sklearn_output_config = {"transform": transform}
        return self

    def _wrap(self, errors, X):
        """``errors`` in the container ``set_output`` (or the global config) asks."""
        config = getattr(self, "_sklearn_output_config", {}).get(
            "transform", get_config()["transform_output"]
        )
        if config != "pandas":
            return errors  # "default", or a global "polars" this does not offer
        names = getattr(
            self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]
        )
        import pandas as pd  # optional: imported only when asked for

        return pd.DataFrame(errors, columns=names, index=getattr(X, "index", None))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
