"""The network's units: scales that condition training, not its objective."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._pca import variance_denominator

# Smallest code scale, as a share of the data's global scale: a code direction
# that barely varies in training must not be magnified, or noise along it
# would reach the decoder a thousand times enlarged.
CODE_SCALE_FLOOR = 0.1


@dataclass
class Scales:
    """How the network's units relate to those of X, and its loss to ``loss_``.

    Scales condition the optimisation; none changes the objective, the mean
    squared error in the units of X.

    - The correction networks see ``(X - mean_) / sigma``, ``sigma`` being the
      root mean column variance, and whitened codes ``Z / code_scale``, each
      code's standard deviation (floored at ``CODE_SCALE_FLOOR * sigma``).
      One global ``sigma`` rather than each column's own: a column that
      barely varies in training is not magnified, so noise there stays small.
    - The encoder's correction of code ``j`` is ``code_correction[j]`` times
      its network's output, in whitened units: in the units of X it is
      ``min(smallest code scale, sqrt(residual / n_components))``, where
      ``residual`` is the squared norm PCA leaves per sample. A code moved by
      more than that costs more error than training can remove, so the first
      optimizer steps cannot throw the PCA start away where PCA explains
      nearly everything (columns in mixed units).
    - With an identity output the network predicts ``(X - mean_) / sigma``;
      the decoder's correction of column ``j`` is ``output_correction[j]``
      times its network's output: the column's standard deviation plus what
      PCA leaves unexplained of it (in quadrature, relative to ``sigma``), so
      that a column of small scale gets small corrections. A logistic output
      spans ``output_offset + output_scale * (0, 1)``.
    - The network's loss times ``loss_scale`` is in the units of ``loss_``,
      with ``loss_weights`` per column (or None). ``pca_mse`` is PCA's mean
      squared error on the training data, where training starts; ``tol`` is
      relative to ``tolerance_unit`` (``pca_mse``, or 1 for the log-loss;
      ``sigma**2`` when PCA's error is 0, the codes spanning the data, which
      a regulariser may still train).
    - ``column_scale`` is each column's standard deviation over ``sigma``: the
      scale of Gaussian corruption in the network's input units.
    """

    sigma: float
    pca_mse: float
    code_scale: np.ndarray
    code_correction: np.ndarray
    output_correction: np.ndarray | None
    output_offset: np.ndarray | None
    output_scale: np.ndarray | None
    loss_weights: np.ndarray | None
    loss_scale: float
    tolerance_unit: float
    column_scale: np.ndarray


def _positive(value, dtype):
    """``value``, or 1 where it is too small to divide by in ``dtype``."""
    smallest = np.sqrt(np.finfo(dtype).tiny) / np.finfo(dtype).eps
    return np.where(value > smallest, value, 1.0)


def make_scales(axes, stats, loss, output_activation, dtype, output_range=None):
    """The :class:`Scales` of data with moments ``stats`` and PCA ``axes``.

    This is the one place that tells the (loss, output activation) pairs
    apart; :mod:`skae._losses` only gives their values and deltas. A logistic
    output under the squared error spans each column's training range, or
    ``output_range`` (offsets and scales) when given: a trained network's
    range cannot move without changing what its sigmoid computes.
    """
    n_samples, n_features = stats.n_samples, stats.mean.shape[0]
    residual = axes.residual_variance
    column_variance = residual + axes.explained_variance @ axes.components**2
    sigma = float(_positive(np.sqrt(column_variance.mean()), dtype))
    code_scale = np.maximum(np.sqrt(axes.explained_variance), CODE_SCALE_FLOOR * sigma)
    correction = min(code_scale.min(), np.sqrt(residual.sum() / code_scale.shape[0]))
    # Variances divide by n - 1, as PCA's; the mean squared error by n (sums
    # of weights, with sample weights).
    pca_mse = float(residual.mean()) * variance_denominator(n_samples) / n_samples
    scales = dict(
        sigma=sigma,
        pca_mse=pca_mse,
        code_scale=code_scale.astype(dtype),
        code_correction=(correction / code_scale).astype(dtype),
        output_correction=None,
        output_offset=None,
        output_scale=None,
        loss_weights=None,
        loss_scale=sigma**2,
        # Relative to 0, any improvement would count and training would run
        # to max_iter.
        tolerance_unit=pca_mse if pca_mse > 0 else sigma**2,
        column_scale=(np.sqrt(column_variance) / sigma).astype(dtype),
    )
    if output_activation == "identity":
        output = np.sqrt(column_variance + residual) / sigma
        scales.update(output_correction=output.astype(dtype))
    elif loss == "log_loss":
        scales.update(
            output_offset=np.zeros(n_features, dtype),
            output_scale=np.ones(n_features, dtype),
            loss_scale=1.0,
            tolerance_unit=1.0,
        )
    else:
        # A constant column gets scale 0, and is reconstructed exactly.
        offset, scale = output_range or (stats.low, stats.high - stats.low)
        scale = np.asarray(scale, dtype=np.float64)
        scales.update(
            output_offset=offset.astype(dtype),
            output_scale=scale.astype(dtype),
            loss_weights=((scale / sigma) ** 2).astype(dtype),
        )
    return Scales(**scales)


def _ratio(old, new):
    """``old / new``, and 0 where ``new`` is 0: that correction is switched off."""
    return np.divide(old, new, out=np.zeros_like(old), where=new > 0)


def match_axes(components, previous, coefs, intercepts, n_hidden, scales):
    """Match refitted ``components`` to the ``previous`` ones the network learnt on.

    Refitting the principal axes on more rows may flip a component, or swap
    the order of two (a sorted file: a later chunk's spread overtakes an
    earlier one's), which would hand one code's correction to another axis.
    Each new axis is paired with the previous one it overlaps most (an
    optimal assignment), its sign flipped to agree, and the code units of the
    correction networks and of the old ``scales`` are permuted to follow
    their axes: ``coefs`` and ``intercepts`` are updated in place.

    Returns
    -------
    components : ndarray, ``components`` with flipped signs, in its order
    scales : the old :class:`Scales` with its code entries permuted
    """
    overlap = components @ previous.T
    _, order = linear_sum_assignment(-np.abs(overlap))
    agreement = overlap[np.arange(order.shape[0]), order]
    components = components * np.where(agreement < 0, -1.0, 1.0)[:, None]
    if np.array_equal(order, np.arange(order.shape[0])):
        return components, scales
    code = n_hidden  # the encoder's last layer, which outputs the code
    # A tied decoder's first layer is the encoder's last transposed: both
    # permutations give the same values.
    coefs[code] = coefs[code][:, order]
    intercepts[code] = intercepts[code][order]
    coefs[code + 1] = coefs[code + 1][order]
    permuted = replace(
        scales,
        code_scale=scales.code_scale[order],
        code_correction=scales.code_correction[order],
    )
    return components, permuted


def carry_over(coefs, intercepts, n_hidden, old, new):
    """Re-express the correction networks, in place, from ``old`` scales to ``new``.

    ``old`` and ``new`` are pairs ``(mean, Scales)``. The encoder's input
    ``(X - mean) / sigma``, its output in code units, the decoder's whitened
    input and its output in the units of X are all affine in the scales, so
    the corrections compute the same functions of X and Z afterwards. A
    logistic output keeps its first range: a sigmoid's range cannot move
    without changing what it computes.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Encoder then decoder layers; the first and last of each half are
        replaced by new arrays of the same dtype.
    n_hidden : int
        Hidden layers per half.
    old, new : tuple of (ndarray, Scales)
    """
    (old_mean, old_scales), (new_mean, new_scales) = old, new
    dtype = coefs[0].dtype
    code = n_hidden  # the encoder's last layer, which outputs the code
    first = coefs[0].astype(np.float64)
    moved = (new_mean.astype(np.float64) - old_mean) / old_scales.sigma
    intercepts[0] = (intercepts[0] + moved @ first).astype(dtype)
    coefs[0] = (first * (new_scales.sigma / old_scales.sigma)).astype(dtype)

    old_size = old_scales.code_scale * old_scales.code_correction.astype(np.float64)
    new_size = new_scales.code_scale * new_scales.code_correction.astype(np.float64)
    out = _ratio(old_size, new_size)
    coefs[code] = (coefs[code] * out).astype(dtype)
    intercepts[code] = (intercepts[code] * out).astype(dtype)
    ratio = old_scales.code_scale.astype(np.float64) / new_scales.code_scale
    coefs[code + 1] = (coefs[code + 1] / ratio[:, None]).astype(dtype)

    if old_scales.output_correction is None:
        return
    old_size = old_scales.sigma * old_scales.output_correction.astype(np.float64)
    new_size = new_scales.sigma * new_scales.output_correction.astype(np.float64)
    out = _ratio(old_size, new_size)
    coefs[-1] = (coefs[-1] * out).astype(dtype)
    intercepts[-1] = (intercepts[-1] * out).astype(dtype)
