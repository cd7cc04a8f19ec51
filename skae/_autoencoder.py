"""The scikit-learn estimator: validate, delegate to the private modules, store."""

# SPDX-License-Identifier: BSD-3-Clause

import copy
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS
from ._callbacks import CallbackSupportMixin, FitTasks
from ._evaluation import (
    CHUNK_ROWS,
    chunk_rows,
    decode,
    encode,
    mean_squared_errors,
    squared_errors,
)
from ._losses import LOSSES
from ._network import Network, NewLayers, layer_activations, layer_units
from ._noise import Corruption
from ._objective import Objective
from ._optimizers import SGD, Adam
from ._pca import (
    SCATTER_MAX_FEATURES,
    SolverOptions,
    chunk_factor,
    fit_axes,
    merge,
    moments,
    principal_axes,
    running,
)
from ._penalties import Penalties
from ._scaling import carry_over, make_scales, match_axes
from ._selection import (
    SHARES,
    HeldOutMonitor,
    Monitors,
    as_of,
    pool,
    shrunk,
    validation_folds,
    validation_split,
)
from ._solvers import Diverged, History, Schedule, lbfgs, stochastic
from ._threads import blas_threads, product_size
from ._warnings import warn_at_caller


def _solver_is_stochastic(estimator):
    """``partial_fit`` exists only for the minibatch solvers, as in MLPRegressor."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers; "
            f"solver={estimator.solver!r} is not one of them."
        )
    return True


def _validate_sample_weight(sample_weight, X):
    """Non-negative float64 weights (n_samples,) of positive sum, or None.

    Weights that are all 1 are no weights: they take the unweighted path, so
    that they give bitwise the model of ``sample_weight=None``.
    """
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    # scikit-learn < 1.7 accepts weights that are all zero.
    if not sample_weight.any():
        raise ValueError(
            "Sample weights must contain at least one non-zero number: a sum of "
            "zero weights leaves nothing to fit or score."
        )
    if np.all(sample_weight == 1):
        return None
    return sample_weight


def _stored_values(X):
    """The entries of X whose range is checked: dense X, or sparse X's stored ones.

    A sparse matrix may store an entry as several duplicates, which count
    summed (as ``toarray`` gives them): those of a canonical copy are checked.
    """
    if not sp.issparse(X):
        return X
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X.data


def _check_split_weights(sample_weight, rows, validation_fraction):
    """Refuse an early-stopping split that leaves one side with zero weight."""
    if sample_weight is None:
        return
    for indices, name in zip(rows, ("training", "validation"), strict=True):
        if not sample_weight[indices].any():
            raise ValueError(
                f"The sample weights of the {name} rows of early_stopping are all "
                f"zero (validation_fraction={validation_fraction!r}): give more "
                "rows a positive weight, change random_state or set "
                "early_stopping=False."
            )


class AutoencoderTransformer(
    CallbackSupportMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Fully-connected autoencoder for non-linear dimensionality reduction.

    The encoder maps each sample through ``hidden_layer_sizes`` to a linear code of
    ``n_components`` units; the decoder mirrors the encoder back to the input
    space. Both are trained together, by gradient descent written in NumPy (or
    SciPy's L-BFGS), to reconstruct their input. ``transform`` returns the codes,
    ``inverse_transform`` decodes codes into samples in the units of X, and
    ``score`` is the negative mean squared reconstruction error, so the estimator
    replaces :class:`~sklearn.decomposition.PCA` in pipelines and grid searches.
    ``score_samples`` and ``reconstruction_errors`` break that error down by
    sample and by entry, to find anomalies and what is anomalous in them.

    The network starts as :class:`~sklearn.decomposition.PCA` with the same
    ``n_components`` (it keeps PCA's projection and reconstruction as linear
    paths) and training adds a nonlinear correction to each, minimising the
    mean squared reconstruction error in the units of X, the quantity
    ``score`` reports. Unscaled data needs no scaler, and balancing columns of
    different units stays the user's choice, as with PCA.

    Read more in the :ref:`User Guide <user_guide>`.

    Parameters
    ----------
    n_components : int, float, "mle" or None, default=None
        Number of units in the code, the width of ``transform``'s output,
        chosen as :class:`~sklearn.decomposition.PCA` chooses it:

        - an int >= 1, at most ``min(n_samples, n_features)`` (strictly less
          with ``svd_solver="arpack"``)
        - a float in (0, 1): the fewest principal axes whose explained
          variance ratio exceeds it (``svd_solver`` "auto", "full" or
          "covariance_eigh")
        - None: ``min(n_samples, n_features)`` (one less with "arpack"): the
          codes span the training data, the PCA start reconstructs it exactly
          and ``fit`` trains nothing, as ``PCA()`` is a drop-in for
        - "mle": Minka's estimate, as PCA's (``n_samples >= n_features``)

        ``partial_fit`` takes an int (at most ``n_features``) or None (then
        ``min(n_samples, n_features)`` of its first chunk), as
        IncrementalPCA. ``n_components_`` is the width chosen.

    whiten : bool, default=False
        Whether ``transform`` divides each code by the standard deviation of
        its principal axis on the training data, ``sqrt(explained_variance_)``
        (floored at the dtype's eps, as PCA's), for codes of unit variance;
        ``inverse_transform`` multiplies them back, exactly. Training and
        ``score`` are unchanged.

    svd_solver : {"auto", "full", "covariance_eigh", "arpack", "randomized"}, \
            default="auto"
        How the PCA start is computed, with PCA's meaning. "auto" chooses as
        PCA does, except that data of at most 1000 columns (dense with at
        least as many rows, sparse with any) takes "covariance_eigh" (in
        float64 from centred chunks, so that sparse and dense data give the
        same start; where columns in mixed units leave axes the rows span
        below the scatter's round-off, from the singular values of the
        centred rows, as "full"), and sparse data wider than that "arpack".
        "full" needs dense X;
        "randomized" also takes sparse X. ARPACK runs with PCA's default
        tolerance, 0: ``tol`` is training's.

    iterated_power : int or "auto", default="auto"
        Power iterations of the randomized solver, as PCA's. Only used when
        the start is "randomized".

    n_oversamples : int, default=10
        Extra random vectors of the randomized solver, as PCA's. Only used
        when the start is "randomized".

    power_iteration_normalizer : {"auto", "QR", "LU", "none"}, default="auto"
        Normaliser of the randomized solver's power iterations, as PCA's.
        Only used when the start is "randomized".

    hidden_layer_sizes : array-like of int, default=(128, 128)
        Widths of the encoder's hidden layers, from the input towards the code; the
        decoder uses them in reverse. ``()`` gives a linear autoencoder, which
        is PCA itself (with an identity output).

    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers. The code layer is always linear.

        - "identity", no-op, ``f(x) = x``
        - "logistic", the logistic sigmoid, ``f(x) = 1 / (1 + exp(-x))``
        - "tanh", the hyperbolic tangent, ``f(x) = tanh(x)``
        - "relu", the rectified linear unit, ``f(x) = max(0, x)``

    output_activation : {"identity", "logistic"}, default="identity"
        Activation of the output layer. A logistic output is squashed into each
        column's training range ([0, 1] itself with ``loss="log_loss"``).

    loss : {"squared_error", "log_loss"}, default="squared_error"
        Reconstruction loss. "log_loss" is the binary cross-entropy; it requires
        ``output_activation="logistic"`` and data in [0, 1].

    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        - "adam", the stochastic gradient optimizer of Kingma and Ba
        - "sgd", stochastic gradient descent with momentum
        - "lbfgs", SciPy's quasi-Newton L-BFGS-B on the whole data set

    alpha : float, default=0.01
        Strength of the L2 penalty on the weights, as in MLPRegressor. It is
        added to the mean squared error divided by the mean column variance,
        so its effect does not depend on the units of X.

    noise : {None, "gaussian", "masking"}, default=None
        Denoising: corrupt each training minibatch afresh before the encoder
        sees it, and train to reconstruct the clean batch.

        - None, no corruption
        - "gaussian", add ``noise_level`` times each column's training
          standard deviation times standard normal noise
        - "masking", replace each entry by its column's training mean with
          probability ``noise_level``

        Never applied by ``transform``, ``score`` or the validation score.
        ``solver="lbfgs"`` corrupts the data once per fit, so that it sees
        one deterministic objective.

    noise_level : float, default=0.1
        The standard deviation of Gaussian noise, in units of each column's
        standard deviation, or the probability of masking an entry (then less
        than 1). Only used when ``noise`` is not None.

    sparsity : float, default=0.0
        Strength of an L1 penalty on the codes: the mean over samples of
        ``sum_j |z_j| / s_j``, with ``s_j`` the code's scale in the network
        (its PCA standard deviation), times the mean column variance, so that
        a level means the same on data of any scale.

    contractive : float, default=0.0
        Strength of the contractive penalty: the mean over samples of the
        squared Frobenius norm of the Jacobian of ``transform``'s codes with
        respect to X (both in the units of X), times the mean column
        variance. It makes the codes insensitive to small moves of the input.

    tied_weights : bool, default=False
        Whether each decoder weight matrix is the transpose of its mirrored
        encoder matrix (the decoder keeps its own biases): about half the
        parameters. ``coefs_`` still lists every layer.

    batch_size : int or "auto", default="auto"
        Size of minibatches for the stochastic solvers; "auto" is
        ``min(200, n_samples)``. Not used by "lbfgs".

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule. Only used when ``solver="sgd"``.

        - "constant" keeps ``learning_rate_init``
        - "invscaling" uses ``learning_rate_init / pow(t, power_t)``, ``t`` being
          the number of samples seen
        - "adaptive" divides the rate by 5 each time the loss stops improving
          for ``n_iter_no_change`` epochs

    learning_rate_init : float, default=0.003
        Initial step size. Only used when ``solver="sgd"`` or ``"adam"``.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule. Only used when ``solver="sgd"``.

    max_iter : int, default=1000
        Maximum number of epochs (stochastic solvers) or iterations ("lbfgs"),
        of each fold and of the training on all rows. 1000 rather than
        MLPRegressor's 200: with ``early_stopping=False``, fits on the digits
        and the swiss roll stop on their own after up to several hundred
        epochs.

    shuffle : bool, default=True
        Whether to shuffle the samples every epoch. Only used when
        ``solver="sgd"`` or ``"adam"``.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the shuffling, the validation split
        and the PCA start's "arpack" and "randomized" solvers.
        Pass an int for bitwise-reproducible results across calls.
        See :term:`Glossary <random_state>`.

    tol : float, default=1e-4
        Tolerance of the stopping rule: training stops once the loss (or the
        validation score) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs. ``tol`` is relative to PCA's mean squared error on
        the training data, where training starts, so it does not depend on the
        units of X (with ``loss="log_loss"`` it is absolute; when the codes
        span the data and PCA's error is 0, it is relative to the mean column
        variance). With "lbfgs" it is the gradient tolerance. PCA's ``tol``,
        ARPACK's tolerance, has no counterpart: the start uses PCA's default.

    verbose : bool, default=False
        Whether to print the loss after every epoch or iteration.

    warm_start : bool, default=False
        Whether ``fit`` continues from the previous solution instead of starting
        afresh. The architecture, ``tied_weights`` and the number of features
        must not change. Unlike MLPRegressor, which restarts its optimizer,
        a warm-start fit with the same ``solver`` continues the optimizer's
        state (Adam's moments, SGD's velocity), as ``partial_fit`` does, so
        that training in stages follows one longer fit; its stopping rule
        (best loss, best validation score) starts anew on the new data.

    momentum : float, default=0.9
        Momentum of the gradient descent. Only used when ``solver="sgd"``.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum. Only used when ``solver="sgd"`` and
        ``momentum > 0``.

    early_stopping : "auto" or bool, default="auto"
        How ``fit`` decides how much nonlinear correction to keep.

        - "auto", choose the number of epochs (L-BFGS iterations) by
          cross-validation inside ``fit``: train on folds of the rows, score
          every epoch on each fold's held-out rows, the PCA start being epoch
          0, then train that many epochs on all rows (or, with a single fold
          on large data and a stochastic solver, keep that fold's best
          epoch). A correction that does not lower the held-out error is not
          kept: the model is then the PCA start. See Notes. With fewer than 4
          rows, or when every fold holds out rows of weight 0 only, there is
          no fold: ``fit`` then trains as with False.
        - True, MLPRegressor's early stopping: hold out
          ``validation_fraction`` of the rows, stop when their score (the
          negative reconstruction MSE) stops improving, and keep the weights
          that scored best, the PCA start included (which is then fitted on
          the other rows only). Only used when ``solver="sgd"`` or ``"adam"``.
        - False, train on all rows until the training loss stops improving,
          with no held-out rows: the most capacity, and no guard against
          overfitting small data.

        ``partial_fit`` trains one epoch per call whatever this is, and refuses
        True. A ``warm_start`` fit after the first continues on all rows, as
        with False: its weights have seen every fold's held-out rows.

    validation_fraction : float, default=0.1
        Share of the training data held out: by each fold of
        ``early_stopping="auto"`` (``1 / validation_fraction`` folds at most),
        or once with ``early_stopping=True``.

    beta_1 : float, default=0.9
        Decay of the first-moment estimates. Only used when ``solver="adam"``.

    beta_2 : float, default=0.999
        Decay of the second-moment estimates. Only used when ``solver="adam"``.

    epsilon : float, default=1e-8
        Numerical-stability term of Adam. Only used when ``solver="adam"``.

    n_iter_no_change : int, default=20
        Number of epochs without improvement by ``tol`` before stopping: of
        the training loss, or of the held-out score with ``early_stopping``
        (each fold's, with "auto"). Only used when ``solver="sgd"`` or
        ``"adam"``, but for the folds of "auto", which stop L-BFGS too. 20
        rather than MLPRegressor's 10: the loss of small data sets (a few
        batches an epoch) is noisy, and stopping after 10 epochs cut the swiss
        roll's training short (Notes).

    max_fun : int, default=15000
        Maximum number of loss evaluations. Only used when ``solver="lbfgs"``.

    Attributes
    ----------
    n_components_ : int
        Width of the code, chosen from ``n_components`` as PCA chooses it.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    coefs_ : list of ndarray
        Weight matrices of the two correction networks, the encoder's layers
        first, then the decoder's; ``coefs_[i]`` has shape (units of layer i,
        units of layer i + 1). They act in the network's units (see Notes), in
        the dtype of the training data.

    intercepts_ : list of ndarray
        Bias vectors, in the same order as ``coefs_``.

    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data, as in PCA.

    components_ : ndarray of shape (n_components, n_features)
        The principal axes of the training data, as PCA's ``components_``: the
        linear paths of the network project onto them and reconstruct from
        them. Rows beyond the rank of the data are zero.

    explained_variance_ : ndarray of shape (n_components,)
        Variance of the training data along each of ``components_``, as PCA's.

    explained_variance_ratio_ : ndarray of shape (n_components,)
        Share of the total variance along each of ``components_``, as PCA's.

    singular_values_ : ndarray of shape (n_components,)
        Singular values of the centred training data, as PCA's.

    noise_variance_ : float
        Mean variance along the axes PCA leaves out, as PCA's.

    n_samples_ : int or float
        Number of samples the PCA was computed from (all the rows given to
        ``partial_fit`` so far). With ``sample_weight``, the number of samples
        the weights stand for, their sum (a float): integer weights give the
        ``n_samples_`` of the repeated rows, and explained variances keep
        PCA's relation ``singular_values_ ** 2 / (n_samples_ - 1)`` (see
        Notes for sums below 2).

    loss_ : float
        Training objective after the last epoch or iteration: the mean
        squared reconstruction error in the units of X, which ``-score``
        reports, plus the L2 penalty times the mean column variance (for
        "log_loss", the mean binary cross-entropy plus the penalty).

    loss_curve_ : list of float
        The mean of the minibatch losses during each epoch (stochastic
        solvers), or ``loss_`` after each iteration ("lbfgs"); empty for a
        linear network, which is PCA and needs no training.

    best_loss_ : float or None
        Smallest ``loss_`` reached; None with ``early_stopping=True``.

    validation_scores_ : list of float or None
        Negative reconstruction MSE on the held-out rows after each epoch: of
        the folds pooled with ``early_stopping="auto"`` (every fold is scored
        at every epoch, one that stopped early with its last score), of the
        validation rows with True; None with False, for a linear network and
        after ``partial_fit``.

    best_validation_score_ : float or None
        With ``early_stopping=True`` the best of ``validation_scores_`` and
        the PCA start's score; with "auto" the score of the number of epochs
        chosen (the PCA start's if none). None when ``validation_scores_``
        is.

    validation_gain_ : float or None
        How much correction ``early_stopping="auto"`` kept: the relative
        reduction of the pooled held-out MSE that the epochs chosen achieve
        against the PCA start, ``1 - best / start``; 0 when the PCA start was
        kept. None when "auto" did not choose.

    correction_share_ : float or None
        The share of the trained correction that ``early_stopping="auto"``
        kept: 1 the whole of it, 0.75, 0.5 or 0.25 when only that share's
        held-out gain was clear of noise (both corrections are multiplied by
        it, so 0 would be PCA), 0 when the PCA start was kept. None when
        "auto" did not choose.

    n_iter_ : int
        Number of epochs or L-BFGS iterations run, over all calls; with
        ``early_stopping="auto"`` those of the training on all rows, the
        number chosen (0 when the PCA start was kept).

    t_ : int
        Number of training samples seen by the solver.

    See Also
    --------
    sklearn.decomposition.PCA : Linear dimensionality reduction, the model this
        estimator's API follows and starts from; prefer it when the autoencoder
        reconstructs held-out data no better, for its speed and determinism.
    sklearn.decomposition.KernelPCA : Nonlinear reduction with a fixed kernel,
        solved exactly without training; prefer it on a few thousand rows
        when a suitable kernel is known.
    sklearn.decomposition.IncrementalPCA : PCA over batches of data; prefer it
        for data streamed in chunks when a linear code is enough.
    sklearn.decomposition.TruncatedSVD : Linear reduction without centring;
        prefer it for sparse data whose mean should not be subtracted.
    sklearn.manifold.Isomap : Embedding that keeps distances along a manifold;
        prefer it for a low-dimensional map of a smooth manifold.
    sklearn.manifold.TSNE : Embedding that keeps neighbourhoods; prefer it to
        draw clusters in two dimensions (it has no ``transform`` for new data).
    sklearn.neural_network.MLPRegressor : Multi-layer perceptron regressor, whose
        training parameters this estimator shares.
    sklearn.neural_network.BernoulliRBM : Restricted Boltzmann machine, another
        unsupervised neural feature learner.

    Notes
    -----
    **Architecture.** The model keeps the PCA of the training data as two
    linear paths and adds a fully-connected correction network to each::

        Z = (X - mean_) @ components_.T + g(X)
        X_hat = mean_ + Z @ components_ + h(Z)

    ``g`` has layers of widths ``n_features, *hidden_layer_sizes,
    n_components`` and ``h`` mirrors it, with ``activation`` on hidden layers
    and linear last layers. Their weights (``coefs_``) start Glorot-uniform,
    biases at zero, except the last layer of each, which starts at zero: a new
    network is exactly PCA, and training improves on it. A linear network
    (``hidden_layer_sizes=()`` or ``activation="identity"``) cannot beat PCA
    (Eckart and Young; Baldi and Hornik, 1989), so ``fit`` returns PCA itself
    without training (``n_iter_ == 0``). With a logistic output the decoder
    has no linear path: ``X_hat = low + (high - low) * sigmoid(h(Z))``, with
    each column's training range (``[0, 1]`` with ``loss="log_loss"``).

    **Objective.** ``fit`` minimises the mean squared reconstruction error in
    the units of X, which ``score`` reports (negated), plus the L2 penalty
    ``alpha * ||W||^2 / n_samples`` times the mean column variance. The
    network minimises the same sum divided by the mean column variance, a
    constant; ``loss_``, ``loss_curve_`` and ``best_loss_`` are in the units
    of ``-score``. As with PCA, columns of large variance weigh more: put a
    :class:`~sklearn.preprocessing.StandardScaler` first to balance them.

    **Regularisers.** ``sparsity`` and ``contractive`` add their penalties to
    this objective, in the same units (times the mean column variance), and
    ``loss_`` includes them. The contractive penalty is that of the codes
    ``transform`` returns, whose Jacobian is ``components_`` plus the
    correction's, so it also counts PCA's constant ``n_components``; its
    gradient is exact for every activation. ``noise`` corrupts only what the
    encoder sees in training; the target, validation scores and ``score``
    use clean data. ``tied_weights`` ties the correction networks, not the
    PCA paths, which are tied already (the decoder's is the encoder's
    transposed). A tied network starts as PCA too, with its encoder's
    *first* layer at zero instead of its last, whose transpose would be the
    decoder's first and leave a ReLU network with no gradient. With
    ``warm_start`` or ``partial_fit`` a tied decoder follows the encoder.
    With any regulariser but ``alpha``, a linear network is trained: PCA no
    longer minimises the regularised objective.

    **Scales.** The network's units condition the optimisation without
    changing the objective. The correction networks see X centred and divided
    by one global scale, the root mean column variance, not by each column's:
    a column that barely varies in training (a pixel that is almost always 0)
    is not magnified, so noise there cannot throw the codes far off. Codes
    enter the decoder whitened; the encoder's corrections are at most the
    size of what PCA leaves unexplained, and the decoder's corrections of each
    column are in units of that column's spread, so that a column of small
    scale gets small corrections.

    **How much correction is kept.** With ``early_stopping="auto"`` the
    number of epochs is a decision ``fit`` makes from held-out rows, with the
    PCA start as the fallback: the correction is trained on folds of the
    training rows from each fold's own PCA, every epoch is scored on the
    fold's held-out rows (epoch 0 being PCA), the folds' errors are pooled,
    and the number of epochs of lowest pooled error is trained on all rows,
    if its gain over PCA exceeds 2.5 standard errors of the rows' gains. If
    it does not, the folds have also scored the correction shrunk to 0.75,
    0.5 and 0.25 of itself at every epoch (PCA being 0); of these, the one
    whose gain exceeds 2.87 standard errors by most is kept
    (``correction_share_``): a smaller share gains less, but its gain varies
    less from row to row, so it can be told from noise on rows with heavy
    tails; 2.87 rather than 2.5 because three more tries give noise three
    more chances (Bonferroni). Else ``fit`` keeps PCA. Folds rather than one
    split, because a hundred rows hold out ten, too few to tell a gain from
    noise; as many folds as hold out 300 rows, so that large data sets need
    one and pay little. A length first and a shrinkage only where the whole
    correction is not clear of noise: training on all rows to the best
    held-out epoch costs less than training until the training loss stops
    improving, and a correction that is clear of noise is kept whole, as it
    was trained. On data that needs one fold (3 000 rows and more), the
    fold's best epoch is the model, as ``early_stopping=True`` keeps its
    split (its PCA start that of the fold's training rows): a refit would
    double the cost for a tenth more rows, and only the whole correction is
    scored (a share's best epoch may be another, which would need that
    refit). L-BFGS, which cannot return to its best iteration, refits. The
    margin of 2.5 standard errors, because the lowest point of a noisy curve
    flatters it: with smaller margins, small data sets came out worse than
    PCA on held-out rows. The alternatives, ``early_stopping=True`` (one
    split, MLPRegressor's) and ``False`` (the former default), are measured
    in the :ref:`user guide <early_stopping>`.

    **Why this design.** ``python benchmarks/design.py`` measures each choice
    of the network against its alternative: two hidden layers of 128 units
    unroll the swiss roll, ``alpha=0.01`` keeps the larger network from
    overfitting the digits, ``n_iter_no_change=20`` lets the swiss roll train
    on, and the scales above keep raw data in mixed units from misleading
    training (the :ref:`user guide <choosing>` shows the table).
    ``python benchmarks/quality.py`` measures the held-out error against
    PCA's on every raw data set scikit-learn ships (:ref:`choosing`).

    **Sample weights.** ``sample_weight`` holds frequencies, as in
    scikit-learn: a weight of 2 counts a row twice and a weight of 0 removes
    it. They weigh everything computed from the training rows: the PCA start
    (weighted mean and scatter), the internal scales, each minibatch's loss
    ``sum_i w_i l_i / sum_i w_i`` (as MLPRegressor's) and its ``sparsity`` and
    ``contractive`` penalties alike, the early-stopping score, the L-BFGS
    objective and ``loss_``. Variances divide by
    ``sum(w) - 1`` as PCA's divide by ``n_samples - 1``, but never by less
    than ``min(sum(w), 1)``: weights that sum to 1 or less (proportions
    rather than counts) give the weighted variance itself, and sums between
    1 and 2 divide by 1. The L2 penalty is divided by ``sum(w)`` instead of
    ``n_samples``, as in MLPRegressor, so weights that sum to 1 strengthen it
    ``n_samples``-fold: scale them to sum to ``n_samples`` to keep ``alpha``'s
    meaning. With "lbfgs", integer weights give the model of the repeated
    rows and zero weights that of the remaining rows, up to round-off
    (without ``noise``: a row of weight 2 is corrupted once, two copies of it
    independently). The
    stochastic solvers minimise the same objective, but an epoch passes over
    the rows, not over their repetitions, in batches of ``batch_size`` rows:
    it holds fewer steps, and the batches differ. A batch whose weights sum
    to 0 is skipped. Weights that are all 1 take the unweighted path, and
    give bitwise the model of ``sample_weight=None``. ``t_`` counts rows, as
    in MLPRegressor. Weights reach the model inside a ``Pipeline`` or
    ``GridSearchCV`` by metadata routing: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)``, then request them
    with ``set_fit_request(sample_weight=True)``, and with
    ``set_score_request(sample_weight=True)`` for weighted scores.

    **partial_fit.** The running mean and scatter of every row seen are
    merged exactly, and the principal axes recomputed at every call, so an
    unrepresentative first chunk (a file sorted by label) does not fix them.
    Each new axis is paired with the previous one it overlaps most, keeps its
    orientation and its code unit in the correction networks (a later chunk
    may swap two axes), and the corrections are re-expressed in the new
    scales so that they compute the same functions. A logistic output keeps
    the range of the first chunk, which no re-expression can widen under a
    sigmoid. The scatter is kept up to 1000 features; wider data keep a
    low-rank running PCA of rank ``2 * n_components + 10``, merged as
    IncrementalPCA merges its SVDs.

    **The PCA start.** ``n_components``, ``whiten``, ``svd_solver`` and its
    parameters mean what they mean for PCA, and ``n_components_`` is the
    width PCA would choose. With the default ``n_components=None`` (or any
    width reaching the data's rank) the start reconstructs the training data
    exactly and ``fit`` trains nothing. Only ``svd_solver="covariance_eigh"``
    (chosen by "auto" for at most 1000 columns: dense with at least as many
    rows, sparse with any) keeps an ``n_features`` squared matrix, accumulated in
    float64 over centred chunks; the other solvers work on X centred
    implicitly (a LinearOperator), so sparse X is never made dense and wide
    X costs ``O(n_features * n_components)`` memory beyond itself. Sample
    weights scale the centred rows by their square roots.

    **Callbacks.** With scikit-learn >= 1.9, ``set_callbacks`` takes the
    callbacks of :mod:`sklearn.callback`: each ``fit`` or ``partial_fit`` call
    is a task whose subtasks are its epochs (L-BFGS iterations), so that
    ``ProgressBar`` advances once per epoch, also inside ``Pipeline`` and
    ``GridSearchCV``. A callback that asks to stop ends training as the
    stopping rule does (the best weights kept with ``early_stopping``, no
    ``ConvergenceWarning``). See :ref:`callbacks`.

    **Divergence.** If the loss or the weights become non-finite, ``fit`` raises
    a ``ValueError`` naming ``learning_rate_init`` and leaves the estimator as it
    was, so a fitted model never outputs NaN.

    References
    ----------
    Baldi, P., & Hornik, K. (1989). Neural networks and principal component
    analysis: learning from examples without local minima. Neural Networks,
    2(1), 53-58. https://doi.org/10.1016/0893-6080(89)90014-2

    Hinton, G. E., & Salakhutdinov, R. R. (2006). Reducing the dimensionality of
    data with neural networks. Science, 313(5786), 504-507.
    https://doi.org/10.1126/science.1127647

    Vincent, P., Larochelle, H., Bengio, Y., & Manzagol, P.-A. (2008).
    Extracting and composing robust features with denoising autoencoders.
    Proceedings of ICML 2008, 1096-1103.
    https://doi.org/10.1145/1390156.1390294

    Rifai, S., Vincent, P., Muller, X., Glorot, X., & Bengio, Y. (2011).
    Contractive auto-encoders: explicit invariance during feature extraction.
    Proceedings of ICML 2011, 833-840.
    https://mlanthology.org/icml/2011/rifai2011icml-contractive/

    Kingma, D. P., & Ba, J. (2015). Adam: a method for stochastic optimization.
    ICLR 2015. https://arxiv.org/abs/1412.6980

    Glorot, X., & Bengio, Y. (2010). Understanding the difficulty of training
    deep feedforward neural networks. Proceedings of AISTATS 2010, PMLR 9,
    249-256. https://proceedings.mlr.press/v9/glorot10a.html

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)  # raw pixel values 0..16
    >>> # A loose tol stops training after a few dozen epochs: a quick example.
    >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
    >>> Z = ae.fit_transform(X)
    >>> Z.shape
    (1797, 8)
    >>> ae.inverse_transform(Z).shape
    (1797, 64)
    >>> isinstance(ae.score(X), float)
    True
    """

    _parameter_constraints: dict = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            StrOptions({"mle"}),
            None,
        ],
        "whiten": ["boolean"],
        "svd_solver": [
            StrOptions({"auto", "full", "covariance_eigh", "arpack", "randomized"})
        ],
        "iterated_power": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
        "power_iteration_normalizer": [StrOptions({"auto", "QR", "LU", "none"})],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "output_activation": [StrOptions({"identity", "logistic"})],
        "loss": [StrOptions(set(LOSSES))],
        "solver": [StrOptions({"adam", "sgd", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "noise": [StrOptions({"gaussian", "masking"}), None],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "contractive": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        n_components=None,
        *,
        whiten=False,
        svd_solver="auto",
        iterated_power="auto",
        n_oversamples=10,
        power_iteration_normalizer="auto",
        hidden_layer_sizes=(128, 128),
        activation="relu",
        output_activation="identity",
        loss="squared_error",
        solver="adam",
        alpha=0.01,
        noise=None,
        noise_level=0.1,
        sparsity=0.0,
        contractive=0.0,
        tied_weights=False,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter=1000,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=20,
        max_fun=15000,
    ):
        self.n_components = n_components
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.loss = loss
        self.solver = solver
        self.alpha = alpha
        self.noise = noise
        self.noise_level = noise_level
        self.sparsity = sparsity
        self.contractive = contractive
        self.tied_weights = tied_weights
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder to reconstruct X.

        Runs the solver until the stopping rule holds or ``max_iter`` epochs
        (L-BFGS iterations) have run. Without ``warm_start`` every call starts
        afresh from the PCA of X; with it, the PCA path is that of the new X
        and the corrections continue from their trained weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; CSR and CSC matrices are never made dense whole.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, a frequency: an integer weight
            counts as that many copies of the row, and 0 as no row at all. The
            weights weigh the PCA start, the training loss and the
            early-stopping score (see Notes). None gives every sample weight 1.

        Returns
        -------
        self : object
            The fitted estimator.

        See Also
        --------
        partial_fit : One epoch over a chunk of data, for data that come in parts.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> ae.fit(X)
        AutoencoderTransformer(n_components=8, random_state=0, tol=0.01)
        >>> [coef.shape for coef in ae.coefs_]  # encoder, then mirrored decoder
        [(64, 128), (128, 128), (128, 8), (8, 128), (128, 128), (128, 64)]
        >>> ae.components_.shape  # the PCA the network starts from
        (8, 64)
        >>> len(ae.loss_curve_) == ae.n_iter_
        True
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    @available_if(_solver_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Run one epoch of the stochastic solver over X.

        Each call continues from the current weights and optimizer state, so
        data too large for one ``fit`` can be streamed in chunks; ``X`` may be a
        :class:`numpy.memmap` slice, of which only minibatches are copied. The
        PCA path is that of every row passed to ``partial_fit`` so far (and to
        a warm-started ``fit`` before it; see Notes), so chunks may come in any
        order.
        Only available for ``solver="adam"`` and ``"sgd"``, and not with
        ``early_stopping``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample of the chunk, as in :meth:`fit`;
            the PCA path is that of all the weighted rows seen so far.

        Returns
        -------
        self : object
            The updated estimator.

        See Also
        --------
        fit : Train on the whole data until the stopping rule holds.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, random_state=0)
        >>> for epoch in range(3):
        ...     for chunk in np.array_split(X, 4):
        ...         ae = ae.partial_fit(chunk)
        >>> ae.n_iter_, ae.t_  # one "epoch" per call; samples seen
        (12, 5391)
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _fit(self, X, y, incremental, sample_weight=None):
        """Shared path of ``fit`` and ``partial_fit``.

        A call that raises leaves the estimator as it was: validation sets
        ``n_features_in_`` and ``feature_names_in_`` before training can fail.
        """
        state = dict(vars(self))
        try:
            return self._fit_or_raise(X, y, incremental, sample_weight)
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            raise

    def _fit_or_raise(self, X, y, incremental, sample_weight):
        """:meth:`_fit`, leaving the estimator changed when it raises."""
        first_pass = not hasattr(self, "coefs_") or not (self.warm_start or incremental)
        X, sample_weight, hidden = self._validate_input(
            X, sample_weight, first_pass, incremental
        )
        tasks = FitTasks(
            self,
            X,
            y,
            "partial_fit" if incremental else "fit",
            1 if incremental else self.max_iter,
        )
        # A copy of the fitted generator: the fitted state changes only once
        # the call succeeds.
        random_state = (
            check_random_state(self.random_state)
            if first_pass
            else copy.deepcopy(self._random_state)
        )
        if first_pass or not self._continues_optimizer():
            self.__dict__.pop("_optimizer", None)
        rows = self._held_out_rows(X, hidden, incremental, sample_weight, random_state)
        stats, axes = self._pca_start(
            X,
            None if rows is None else rows[0],
            sample_weight,
            incremental,
            first_pass,
            random_state,
        )
        n_components = axes.components.shape[0]
        units = layer_units(X.shape[1], hidden, n_components)
        if first_pass:
            draw, history = self._initial_state(X, hidden, units, random_state)
        else:
            self._check_architecture(X, hidden, n_components)
            draw, history = self._current_state(incremental)
        make_start = partial(self._start, first_pass, X.dtype, stats, axes, draw)
        monitor = tasks.monitor(stats, axes)
        selection = None
        with blas_threads(product_size(units, self._step_rows(X.shape[0]))):
            # A warm start continues weights that have seen every fold's
            # held-out rows, which could then judge it no longer.
            if self.early_stopping == "auto" and first_pass and not incremental:
                selection = self._select_length(
                    X, make_start, draw, random_state, sample_weight, tasks
                )
            if selection is not None and selection.fitted is not None:
                network, history, stats, axes = selection.fitted
            else:
                length = None if selection is None else selection.n_epochs
                schedule = self._schedule(X.shape[0], incremental, length)
                network, history = self._train(
                    X, make_start, history, random_state, schedule, rows, monitor,
                    sample_weight,
                )  # fmt: skip
        if selection is not None:
            selection.record(history)
            network = shrunk(network, selection.share)
        self._store(network, history, stats, axes)
        self._random_state = random_state
        tasks.end()
        return self

    def _validate_input(self, X, sample_weight, first_pass, incremental):
        """X (CSR if sparse), the sample weights and the hidden layer widths."""
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32] if first_pass else self.coefs_[0].dtype,
            reset=first_pass,
        )
        if sp.issparse(X):
            # Minibatches are rows: CSR gives them cheaply, without densifying X.
            X = X.tocsr()
        sample_weight = _validate_sample_weight(sample_weight, X)
        return X, sample_weight, self._check_params(X, first_pass, incremental)

    def _held_out_rows(self, X, hidden, incremental, sample_weight, random_state):
        """(training, validation) rows of ``early_stopping=True``, else None.

        A network that trains nothing (PCA itself) holds out no rows.
        """
        activations = layer_activations(
            len(hidden), self.activation, self.output_activation
        )
        if (
            self.early_stopping is not True
            or incremental
            or self.solver == "lbfgs"
            or self._linear(activations)
        ):
            return None
        # The PCA start is fitted on the training rows only, so that the
        # validation score compares it fairly with every epoch after it.
        rows = validation_split(X.shape[0], self.validation_fraction, random_state)
        _check_split_weights(sample_weight, rows, self.validation_fraction)
        return rows

    def _pca_start(self, X, rows, sample_weight, incremental, first_pass, random_state):
        """The :class:`Moments` and :class:`PrincipalAxes` the network starts from.

        ``fit`` computes them as PCA does, with its ``svd_solver``;
        ``partial_fit`` merges the chunk's into those of every row seen
        before, not of the first chunk alone, which may be unrepresentative
        (a sorted file): the exact scatter of narrow data, a low-rank running
        PCA of wide data, as IncrementalPCA keeps.
        """
        options = self._solver_options(random_state)
        if not incremental:
            return fit_axes(
                X, self.n_components, self.svd_solver, options, rows, sample_weight
            )
        n_components = self._incremental_width(X, first_pass)
        wide = X.shape[1] > SCATTER_MAX_FEATURES
        # Twice the code width, and ten more: what the later chunks may move
        # into the top axes.
        rank = min(X.shape[1], 2 * n_components + 10)
        stats = moments(X, None, sample_weight, scatter=not wide)
        if wide:
            stats.factor = chunk_factor(X, stats, rank, options, sample_weight)
        if not first_pass:
            stats = merge(running(self._moments, wide, rank), stats, rank)
        return stats, principal_axes(stats, n_components, eps=np.finfo(X.dtype).eps)

    def _solver_options(self, random_state):
        """The randomized solver's settings, as PCA takes them."""
        return SolverOptions(
            self.iterated_power,
            self.n_oversamples,
            self.power_iteration_normalizer,
            random_state,
        )

    def _incremental_width(self, X, first_pass):
        """The code width of ``partial_fit``: fixed by its first call.

        As in IncrementalPCA: an int, or None for ``min(n_samples,
        n_features)`` of the first chunk.
        """
        if not first_pass:
            # A changed int is refused as a changed architecture.
            if isinstance(self.n_components, Integral):
                return self.n_components
            return self.n_components_
        if self.n_components is None:
            return min(X.shape)
        if not isinstance(self.n_components, Integral):
            raise ValueError(
                f"partial_fit cannot take n_components={self.n_components!r}: "
                "the code width is fixed by the first chunk, before the "
                "spectrum of the data is known. Pass an int (or None), as "
                "IncrementalPCA takes, or train with fit."
            )
        if self.n_components > X.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"n_features={X.shape[1]} for partial_fit: pass a smaller "
                "n_components."
            )
        return self.n_components

    def _initial_state(self, X, hidden, units, random_state):
        """New layers of widths ``units`` and a new history.

        The layers are a :class:`~skae._network.NewLayers`: each run of the
        fit (a fold, the fit on all rows) gets its own.
        """
        activations = layer_activations(
            len(hidden), self.activation, self.output_activation
        )
        layers = NewLayers(units, activations, X.dtype, random_state, self.tied_weights)
        return layers, History()

    def _current_state(self, incremental):
        """The fitted layers and history, to continue from."""
        history = History(
            **{
                name: copy.copy(getattr(self, name + "_"))
                for name in History.__annotations__
            }
        )
        if not incremental:
            # A warm-start fit is judged on its own data, maybe of another
            # scale than the previous fit's: its best loss and validation
            # score start anew.
            history.best_loss, history.best_validation_score = np.inf, None
        coefs, intercepts = self.coefs_, self.intercepts_

        def draw():
            # New lists of the same arrays: neither the solvers nor carry_over
            # write into the arrays, so a diverging fit leaves the model intact.
            return list(coefs), list(intercepts), self._layer_activations

        return draw, history

    def _start(self, first_pass, dtype, stats, axes, draw):
        """The :class:`Network` to train: PCA's paths and the corrections so far.

        ``draw()`` gives the layers ``(coefs, intercepts, activations)``.
        """
        coefs, intercepts, activations = draw()
        mean, components = stats.mean.astype(dtype), axes.components
        if first_pass:
            scales = make_scales(axes, stats, self.loss, self.output_activation, dtype)
        else:
            # Keep each correction with the axis it was learnt for (the axes
            # may swap places and signs) and the logistic output's range, and
            # re-express the corrections in the new scales.
            old = self._scales
            n_hidden = len(coefs) // 2 - 1
            components, old = match_axes(
                components, self.components_, coefs, intercepts, n_hidden, old
            )
            output_range = None
            if old.output_offset is not None:
                output_range = old.output_offset, old.output_scale
            scales = make_scales(
                axes, stats, self.loss, self.output_activation, dtype, output_range
            )
            carry_over(coefs, intercepts, n_hidden, (self.mean_, old), (mean, scales))
        components = components.astype(dtype, copy=False)
        return Network(mean, components, coefs, intercepts, activations, scales)

    def _train(
        self, X, make_start, history, random_state, schedule, rows=None,
        monitor=None, sample_weight=None,
    ):  # fmt: skip
        """Run the solver from ``make_start()``; the trained network and its history.

        ``rows`` are (training, validation) row indices of X, the latter None
        but with ``early_stopping=True``; a ``schedule`` of no epochs keeps
        the start, as the folds of ``early_stopping="auto"`` may choose.
        """
        network = make_start()
        if not self._trainable(network) or not schedule.max_iter:
            # A linear autoencoder cannot beat PCA (Eckart-Young), nor can any
            # network whose start already reconstructs the training rows, and
            # a correction the held-out rows did not support is not kept: the
            # PCA start is the model.
            history.loss = history.best_loss = network.scales.pca_mse
            history.t += X.shape[0]
            return network, history
        objective = self._objective(
            X, network, random_state, schedule, rows, sample_weight
        )
        # The objective trains a copy: the start's arrays go now, not after.
        del network
        try:
            if self.solver == "lbfgs":
                outcome = lbfgs(objective, history, schedule, monitor)
            else:
                outcome = self._train_stochastic(
                    objective, history, random_state, schedule, rows, monitor
                )
        except Diverged as error:
            raise ValueError(
                f"Training diverged: {error}. {self._divergence_advice()} The "
                "model was left as it was before this fit."
            ) from None
        self._warn_unconverged(outcome, schedule)
        return outcome.network, outcome.history

    def _objective(self, X, network, random_state, schedule, rows, sample_weight):
        """The :class:`~skae._objective.Objective` that the solver minimises."""
        corruption = None
        if self.noise is not None:
            corruption = Corruption(
                self.noise,
                self.noise_level,
                network.scales.column_scale,
                int(random_state.randint(np.iinfo(np.int32).max)),
            )
        block_rows = schedule.batch_size
        if self.solver == "lbfgs":
            if rows is not None:
                # L-BFGS goes through its rows in chunks: a copy of the
                # training rows.
                X = X[rows[0]]
                if sample_weight is not None:
                    sample_weight = sample_weight[rows[0]]
            block_rows = min(chunk_rows(network), X.shape[0])
        return Objective(
            X,
            network,
            self.loss,
            Penalties(self.alpha, self.sparsity, self.contractive),
            block_rows,
            tied=self.tied_weights,
            corruption=corruption,
            sample_weight=sample_weight,
            wide_steps=self.solver != "lbfgs",
        )

    def _schedule(self, n_samples, incremental=False, length=None, fold=False):
        """How long the solver runs and what it prints.

        ``max_iter`` epochs, one for ``partial_fit``, or the ``length`` that
        the folds of ``early_stopping="auto"`` chose; a ``fold`` trains
        silently (its epochs are summed up in one line).
        """
        max_iter = self.max_iter if length is None else length
        return Schedule(
            max_iter=1 if incremental else max_iter,
            tol=self.tol,
            verbose=bool(self.verbose) and not fold,
            fixed_length=incremental or length is not None,
            max_iter_is_cap=not incremental and max_iter == self.max_iter,
            batch_size=None if self.solver == "lbfgs" else self._batch_size(n_samples),
            shuffle=self.shuffle,
            n_iter_no_change=self.n_iter_no_change,
            max_fun=self.max_fun,
        )

    def _warn_unconverged(self, outcome, schedule):
        """Warn when the solver stopped before its rule held.

        Not when it ran a length chosen below the cap to its end.
        """
        if outcome.converged or (
            outcome.ran_to_max_iter and not schedule.max_iter_is_cap
        ):
            return
        warn_at_caller(outcome.message, ConvergenceWarning)

    def _divergence_advice(self):
        """What to change when training diverges."""
        if self.solver == "lbfgs":
            return "Try solver='adam' or a larger alpha."
        return (
            f"The step size learning_rate_init={self.learning_rate_init!r} is too "
            "large for this data and network: lower learning_rate_init (for "
            "example by 10x)."
        )

    def _regularised(self):
        """Whether a regulariser changes the objective from the plain error."""
        return self.noise is not None or bool(self.sparsity or self.contractive)

    def _linear(self, activations):
        """Whether PCA is the optimum of a network of these activations.

        A linear autoencoder cannot beat PCA (Eckart-Young), unless a
        regulariser changes the objective.
        """
        identity = set(activations) == {"identity"}
        return not self._regularised() and self.loss == "squared_error" and identity

    def _trainable(self, network):
        """Whether training can improve on the PCA start ``network``."""
        # The start reconstructs the training data exactly when the codes span
        # them (pca_mse is then 0); only a regulariser then has something to do.
        exact = network.linear_decoder and network.scales.pca_mse == 0
        return not self._linear(network.activations) and (
            self._regularised() or not exact
        )

    def _continues_optimizer(self):
        """Whether a fit that continues the fitted weights continues their optimizer.

        It does when the solver that trained them is still the one asked for.
        """
        kind = {"sgd": SGD, "adam": Adam}.get(self.solver)
        return kind is not None and isinstance(getattr(self, "_optimizer", None), kind)

    def _train_stochastic(
        self, objective, history, random_state, schedule, rows, monitor
    ):  # fmt: skip
        """Minibatch epochs with Adam or SGD, continuing the optimizer if asked.

        A fold of ``early_stopping="auto"`` (``rows`` without validation
        rows) does not keep its optimizer.
        """
        # Set by the last stochastic fit, for partial_fit and warm_start to
        # continue (see _fit_or_raise); MLPRegressor restarts it on warm_start.
        if history.n_iter and hasattr(self, "_optimizer"):
            optimizer = copy.deepcopy(self._optimizer)
        else:
            # The training loop updates one flat vector of all parameters.
            optimizer = self._make_optimizer([objective.params.theta])
        outcome = stochastic(
            objective, optimizer, history, schedule, random_state, rows, monitor
        )
        if rows is None or rows[1] is not None:
            self._optimizer = optimizer
        return outcome

    def _select_length(self, X, make_start, draw, random_state, sample_weight, tasks):
        """The :class:`~skae._selection.Selection` of the training length.

        Trains the layers that ``draw()`` gives on each fold's training rows
        (:meth:`_fold_run`), scoring every epoch on its held-out rows
        (:mod:`skae._selection`). None when no fold can be made, or when the
        start on all rows (``make_start()``) cannot be improved on.
        """
        start = make_start()
        n_components = start.components.shape[0]
        if not self._trainable(start):
            # The start is the model: the fit on all rows takes it as it is.
            draw.give_back(start.coefs, start.intercepts)
            return None
        del start
        folds = validation_folds(X.shape[0], self.validation_fraction, random_state)
        # One fold of many rows is kept as it is when it wins, as
        # early_stopping=True keeps its split: a refit on all rows would
        # double the cost for a tenth more rows. L-BFGS cannot go back to its
        # best iteration, so it refits.
        single = len(folds) == 1 and self.solver != "lbfgs"
        runs = []
        for train, held_out in folds:
            if min(train.shape[0], X.shape[1]) < n_components or (
                sample_weight is not None
                and not (sample_weight[train].any() and sample_weight[held_out].any())
            ):
                continue
            runs.append(
                self._fold_run(
                    X,
                    (train, held_out),
                    n_components,
                    draw,
                    random_state,
                    sample_weight,
                    tasks if single else None,
                )  # fmt: skip
            )
        if not runs:
            return None
        selection = pool([monitor for monitor, _ in runs])
        if single and selection.n_epochs:
            network, history, stats, axes = runs[0][1]
            selection.fitted = network, as_of(history, selection.n_epochs), stats, axes
        if self.verbose:
            print(
                f"Cross-validation over {len(runs)} folds chose "
                f"{selection.n_epochs} epochs (0: the PCA start), keeping "
                f"{selection.share:g} of the correction."
            )
        return selection

    def _fold_run(
        self, X, fold, n_components, draw, random_state, sample_weight, tasks
    ):
        """Train the layers ``draw()`` gives on a fold's training rows, from their PCA.

        The fold's :class:`~skae._selection.HeldOutMonitor` and, with
        ``tasks``, what it trained, ``(network, history, stats, axes)`` (None
        without). With ``tasks`` (a single fold, kept if it wins) the run is
        the fit's own: the best held-out epoch is kept as with
        ``early_stopping=True``, and the callbacks, ``verbose`` and the
        warnings see it. Otherwise it runs silently.
        """
        train, held_out = fold
        options = self._solver_options(random_state)
        stats, axes = fit_axes(
            X, n_components, self.svd_solver, options, train, sample_weight
        )
        network = self._start(True, X.dtype, stats, axes, draw)
        monitor = HeldOutMonitor(
            X,
            held_out,
            sample_weight,
            network,
            self.n_iter_no_change,
            self.tol * network.scales.tolerance_unit,
            SHARES if tasks is None else SHARES[:1],
        )
        rows, watch = (train, None), monitor
        if tasks is not None:
            rows, watch = fold, Monitors(monitor, tasks.monitor(stats, axes))
        with warnings.catch_warnings():
            if tasks is None:
                # A fold that runs to max_iter says only that the full fit may.
                warnings.simplefilter("ignore", ConvergenceWarning)
            schedule = self._schedule(X.shape[0], fold=tasks is None)
            # The list's pop hands _train the only reference to the start,
            # which it drops once its objective has copied the parameters.
            make_start, network = [network].pop, None
            network, history = self._train(
                X, make_start, History(), random_state, schedule, rows, watch,
                sample_weight,
            )  # fmt: skip
        # Only a single fold's model may be kept: the others' would stay in
        # memory, a copy of the network each, for nothing.
        return monitor, None if tasks is None else (network, history, stats, axes)

    def _store(self, network, history, stats, axes):
        """Copy the trained network, its PCA and its history into fitted attributes."""
        dtype = network.components.dtype
        self.coefs_, self.intercepts_ = network.coefs, network.intercepts
        for name, value in vars(history).items():
            setattr(self, name + "_", value)
        self.n_components_ = network.components.shape[0]
        self.mean_, self.components_ = network.mean, network.components
        self.explained_variance_ = axes.explained_variance.astype(dtype)
        self.explained_variance_ratio_ = axes.explained_variance_ratio.astype(dtype)
        self.singular_values_ = axes.singular_values.astype(dtype)
        self.noise_variance_ = axes.noise_variance
        self.n_samples_ = stats.n_samples
        self._layer_activations, self._scales = network.activations, network.scales
        self._tied_weights = self.tied_weights
        self._moments = stats

    def _whitening(self):
        """What ``whiten`` divides the codes by: their training standard deviations.

        None without ``whiten``. As PCA's, floored at the dtype's eps: an axis
        of no variance (beyond the data's rank) gives codes of 0, not NaN.
        """
        if not self.whiten:
            return None
        scale = np.sqrt(self.explained_variance_)
        return np.maximum(scale, np.finfo(scale.dtype).eps)

    def _network(self):
        """The fitted model, assembled from the public fitted attributes."""
        return Network(
            self.mean_,
            self.components_,
            self.coefs_,
            self.intercepts_,
            self._layer_activations,
            self._scales,
        )

    def _check_params(self, X, first_pass, incremental):
        """Rules that span several parameters or the data; returns the hidden sizes."""
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, Integral) else tuple(hidden)
        if not all(isinstance(size, Integral) and size >= 1 for size in hidden):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of integers >= 1 (or () for a "
                f"shallow autoencoder), got {self.hidden_layer_sizes!r}."
            )
        if self.loss == "log_loss":
            if self.output_activation != "logistic":
                raise ValueError(
                    "loss='log_loss' needs outputs in (0, 1): set "
                    "output_activation='logistic' (got "
                    f"output_activation={self.output_activation!r})."
                )
            values = _stored_values(X)
            if values.size and (values.min() < 0 or values.max() > 1):
                raise ValueError(
                    "loss='log_loss' needs data in [0, 1], got values in "
                    f"[{values.min():g}, {values.max():g}]. Rescale X (e.g. with "
                    "MinMaxScaler) or use loss='squared_error'."
                )
        if self.noise == "masking" and self.noise_level >= 1:
            raise ValueError(
                "noise='masking' replaces each entry with probability noise_level, "
                f"which must be below 1 (got noise_level={self.noise_level!r}): at 1 "
                "the encoder would never see the data."
            )
        if incremental and self.early_stopping is True:
            raise ValueError(
                "partial_fit does not support early_stopping=True: set "
                "early_stopping=False or train with fit."
            )
        return hidden

    def _check_architecture(self, X, hidden, n_components):
        """Refuse to continue training a network of another shape."""
        expected = layer_units(X.shape[1], hidden, n_components)
        fitted = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        activations = layer_activations(
            len(hidden), self.activation, self.output_activation
        )
        tied = getattr(self, "_tied_weights", self.tied_weights)
        if (
            expected != fitted
            or activations != self._layer_activations
            or tied != self.tied_weights
        ):
            raise ValueError(
                f"Cannot continue training a network of layer widths {fitted} "
                f"and activations {self._layer_activations} with "
                f"hidden_layer_sizes={self.hidden_layer_sizes!r}, "
                f"n_components={self.n_components!r}, "
                f"activation={self.activation!r}, "
                f"output_activation={self.output_activation!r} and "
                f"tied_weights={self.tied_weights!r} (fitted with {tied!r}): "
                "restore them, "
                "or start a new network with fit and warm_start=False."
            )

    def _make_optimizer(self, params):
        """A fresh optimizer for the parameter arrays."""
        if self.solver == "sgd":
            return SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return Adam(
            params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon
        )

    def _step_rows(self, n_samples):
        """Rows of one training step's products: a minibatch or an L-BFGS chunk."""
        if self.solver == "lbfgs":
            return min(CHUNK_ROWS, n_samples)
        size = 200 if self.batch_size == "auto" else self.batch_size
        return min(size, n_samples)

    def _batch_size(self, n_samples):
        """The minibatch size for ``n_samples`` rows, as MLPRegressor resolves it."""
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warn_at_caller(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "training samples; using the whole data as one batch.",
                UserWarning,
            )
        return self._step_rows(n_samples)

    def transform(self, X):
        """Encode X into codes of ``n_components`` units.

        PCA's projection of X plus the encoder's correction, in the units of
        X, as PCA's codes are. Sparse X is never made dense: it goes through
        the first layer by sparse products.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units it was fitted on.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes; float32 when both X and the fitted model are float32,
            float64 otherwise.

        See Also
        --------
        inverse_transform : Decode codes back into the input space.

        Examples
        --------
        >>> import numpy as np
        >>> import scipy.sparse as sp
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> Z = ae.fit(X).transform(X[:5])
        >>> Z.shape
        (5, 8)
        >>> np.allclose(ae.transform(sp.csr_matrix(X[:5])), Z)  # sparse input
        True
        """
        check_is_fitted(self)
        Z = encode(self._validate_X(X), self._network())
        whitening = self._whitening()
        return Z if whitening is None else Z / whitening

    def inverse_transform(self, X):
        """Decode codes back into the input space.

        PCA's reconstruction from the codes plus the decoder's correction, in
        the units of X. ``inverse_transform(transform(X))`` is the
        reconstruction of X; codes that ``transform`` never produced (for
        instance sampled ones) decode into new samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform`` or drawn by the user.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Reconstructions in the units of the training data.

        See Also
        --------
        transform : Encode samples into codes.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> X_hat = ae.fit(X).inverse_transform(ae.transform(X))
        >>> X_hat.shape  # in pixel units, like X
        (1797, 64)
        >>> bool(np.isclose(np.mean((X_hat - X) ** 2), -ae.score(X)))
        True
        >>> ae.inverse_transform(np.zeros((1, 8))).shape  # any code decodes
        (1, 64)
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} columns, but inverse_transform expects codes of "
                f"n_components_={self.n_components_} columns."
            )
        whitening = self._whitening()
        if whitening is not None:
            Z = Z * whitening.astype(Z.dtype)
        return decode(Z, self._network())

    def score_samples(self, X):
        """Negative mean squared reconstruction error of each sample.

        The error is the plain, unweighted mean over features, in squared units
        of X. Samples unlike the training data reconstruct badly, so low scores
        flag anomalies.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units it was fitted on.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((inverse_transform(transform(X)) - X) ** 2, axis=1)``; higher
            means better reconstructed (lower values flag anomalies).

        See Also
        --------
        score : The mean of these scores.
        reconstruction_errors : The error of each feature of each sample.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> scores = ae.fit(X).score_samples(X)
        >>> scores.shape
        (1797,)
        >>> noise = np.random.RandomState(0).uniform(0, 16, size=(5, 64))
        >>> bool(ae.score_samples(noise).mean() < scores.mean())  # not digits
        True
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        return -mean_squared_errors(X, self._network())

    def reconstruction_errors(self, X):
        """Squared reconstruction error of each entry of X.

        ``(inverse_transform(transform(X)) - X) ** 2``, in squared units of X:
        where ``score_samples`` says which samples are reconstructed badly,
        this says which of their features are. Its row means are
        ``-score_samples(X)``, from the same computation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units it was fitted on.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features)
            Dense float64, whatever the format and dtype of X (float32 errors
            of large data could overflow). It is computed a chunk of rows at a
            time, so that besides it only one chunk is held, and sparse X is
            made dense a block of a chunk's columns at a time, never whole;
            the result itself is as large as a dense X, so pass large sparse
            data in row chunks.

        See Also
        --------
        score_samples : Minus the mean of each row of these errors.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> errors = ae.fit(X).reconstruction_errors(X[:5])
        >>> errors.shape
        (5, 64)
        >>> np.allclose(errors.mean(axis=1), -ae.score_samples(X[:5]))
        True
        >>> scratched = X[:5].copy()
        >>> scratched[:, 32:40] = 16  # a stroke across the middle row of pixels
        >>> errors = ae.reconstruction_errors(scratched)
        >>> bool(errors[:, 32:40].mean() > 10 * errors[:, :32].mean())  # found
        True
        """
        check_is_fitted(self)
        X = self._validate_X(X)
        return squared_errors(X, self._network())

    def score(self, X, y=None, sample_weight=None):
        """Negative mean squared reconstruction error over samples and features.

        Unlike :meth:`sklearn.decomposition.PCA.score`, which is a
        log-likelihood, this is minus the plain mean squared error of
        ``inverse_transform(transform(X))``, in squared units of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data in the units it was fitted on.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: the score is then the weighted mean
            ``np.average(score_samples(X), weights=sample_weight)``.

        Returns
        -------
        score : float
            The mean of ``score_samples(X)`` (weighted by ``sample_weight``);
            higher is better, so model selection tools need no scorer.

        See Also
        --------
        score_samples : The score of each sample.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.model_selection import cross_val_score
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> ae.fit(X).score(X) < 0  # minus an error: 0 would be perfect
        True
        >>> cross_val_score(ae, X, cv=3).shape  # held-out scores, no scorer needed
        (3,)
        """
        scores = self.score_samples(X)
        sample_weight = _validate_sample_weight(sample_weight, X)
        return float(np.average(scores, weights=sample_weight))

    def fit_transform(self, X, y=None, sample_weight=None):
        """Train the autoencoder on X and return the codes of X.

        The same as ``fit(X).transform(X)``, and bitwise identical to it for an
        int ``random_state``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; CSR and CSC matrices are never made dense whole.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample, passed to :meth:`fit`.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes of X, in the dtype of the fitted model (float32 for float32
            X, float64 otherwise).

        See Also
        --------
        fit : Train the autoencoder.
        transform : Encode samples into codes.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=8, tol=1e-2, random_state=0)
        >>> Z = ae.fit_transform(X)
        >>> Z.shape
        (1797, 8)
        >>> np.array_equal(Z, ae.fit(X).transform(X))
        True
        """
        # Defined here, rather than inherited from TransformerMixin, for its
        # documentation; fit validates X and the parameters.
        return self.fit(X, y, sample_weight=sample_weight).transform(X)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the code columns, for ``set_output`` and pipelines.

        The names are the lowercased class name followed by the column index,
        ``autoencodertransformer0`` to ``autoencodertransformer{n_components_ - 1}``,
        as for :class:`~sklearn.decomposition.PCA`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only used to check the names against those seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per code column.

        See Also
        --------
        transform : Encode samples into codes, the columns these names label.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X, _ = load_digits(return_X_y=True)
        >>> ae = AutoencoderTransformer(n_components=3, tol=1e-2, random_state=0)
        >>> ae.fit(X).get_feature_names_out().tolist()
        ['autoencodertransformer0', 'autoencodertransformer1',
         'autoencodertransformer2']
        """
        # Defined here for its documentation, as fit_transform above.
        return super().get_feature_names_out(input_features)

    def _validate_X(self, X):
        """Validate X for the fitted model, keeping sparse input sparse."""
        # The common case, a float ndarray of the fitted width, is checked here
        # directly: validate_data's generality (data frames, feature names,
        # conversions) takes longer than encoding a row. Anything else, and
        # every error message, goes through validate_data.
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            and (get_config()["assume_finite"] or np.isfinite(X.sum()))
        ):
            return X
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )

    @property
    def _n_features_out(self):
        """Width of ``transform``'s output, for ``get_feature_names_out``."""
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
