"""How much correction the data supports: the training length, cross-validated.

``fit`` with ``early_stopping="auto"`` trains the correction on a few folds of
the training rows, scores every epoch on each fold's held-out rows (epoch 0
is the PCA start), and pools the scores. The number of epochs whose pooled
held-out error is lowest is then trained on all rows; 0 keeps PCA. Few rows
give few held-out rows per fold, so there are more folds: at least
``MIN_VALIDATION_ROWS`` rows are held out over all folds, as far as the rows
allow, and never more folds than ``1 / validation_fraction``. Many rows need
one fold, whose best epoch is then kept as it is (see ``Selection.fitted``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import math
from dataclasses import dataclass
from itertools import islice

import numpy as np
from sklearn.model_selection import KFold, train_test_split

from ._evaluation import mean_squared_errors

# Held-out rows over all folds, as far as the data has them: one 10 % split
# of 3 000 rows holds out this many; smaller sets get more folds (three on the
# digits' 1 257 training rows, every row held out once on iris' 105), larger
# ones one. See benchmarks/quality.py and benchmarks/selection.py.
MIN_VALIDATION_ROWS = 300

# Fewer rows make no folds: fit then trains as with early_stopping=False (see
# AutoencoderTransformer's early_stopping).
MIN_ROWS = 4


def validation_split(n_samples, validation_fraction, random_state):
    """Training and (sorted) validation row indices, for early stopping."""
    rows, validation_rows = train_test_split(
        np.arange(n_samples), test_size=validation_fraction, random_state=random_state
    )
    if validation_rows.shape[0] < 2:
        raise ValueError(
            "The validation set is too small for early_stopping=True: increase "
            f"validation_fraction={validation_fraction!r} or the number of samples."
        )
    validation_rows.sort()
    return rows, validation_rows


def validation_folds(n_samples, validation_fraction, random_state):
    """(training rows, sorted held-out rows) of each fold, or [] for tiny data.

    The folds are the first of a shuffled ``KFold`` of ``1 /
    validation_fraction`` splits (at most ``n_samples``), as many as hold out
    ``MIN_VALIDATION_ROWS`` rows together.
    """
    if n_samples < MIN_ROWS:
        return []
    n_splits = min(n_samples, max(2, round(1 / validation_fraction)))
    n_folds = min(n_splits, math.ceil(MIN_VALIDATION_ROWS * n_splits / n_samples))
    seed = int(random_state.randint(np.iinfo(np.int32).max))
    splits = KFold(n_splits, shuffle=True, random_state=seed).split(
        np.empty((n_samples, 1))
    )
    return [(train, np.sort(held_out)) for train, held_out in islice(splits, n_folds)]


class HeldOutMonitor:
    """A solver monitor that scores each epoch's network on held-out rows.

    After the start (the PCA start) and after every epoch it records, over
    the held-out rows, the sum of their squared errors and the sum of the
    squares of how much each row's error moved from the start's (each
    weighted by ``sample_weight``), for the pooled mean and its standard
    error. It asks the solver to stop once ``patience`` epochs in a row have
    not improved on the best by ``tolerance`` (a mean squared error).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    rows : ndarray of int
        The held-out rows of X.
    sample_weight : ndarray of shape (n_samples,) or None
    start : Network
        The network before training.
    patience : int
    tolerance : float
    """

    def __init__(self, X, rows, sample_weight, start, patience, tolerance):
        self.X, self.rows, self.patience, self.tolerance = X, rows, patience, tolerance
        self.weights = np.ones(rows.shape[0])
        if sample_weight is not None:
            self.weights = sample_weight[rows]
        self.start = self._errors(start)
        self.sums, self.squares = [self.weights @ self.start], [0.0]
        self.count = 0

    def _errors(self, network):
        return mean_squared_errors(self.X, network, self.rows)

    @property
    def total(self):
        """The held-out rows' total weight."""
        return float(self.weights.sum())

    def begin(self, snapshot):
        """Nothing to do before an epoch."""

    def end(self, snapshot):
        """Score the epoch just run; whether to stop."""
        # Read at once and not kept: views, not a copy of the parameters.
        errors = self._errors(snapshot(copied=False)[0])
        self.sums.append(float(self.weights @ errors))
        self.squares.append(float(self.weights @ (errors - self.start) ** 2))
        improved = self.sums[-1] < min(self.sums[:-1]) - self.tolerance * self.total
        self.count = 0 if improved else self.count + 1
        return self.count >= self.patience

    def close(self):
        """Nothing to release."""


class Monitors:
    """Solver monitors told of every epoch together; stop when one asks."""

    def __init__(self, *monitors):
        self.monitors = [monitor for monitor in monitors if monitor is not None]

    def begin(self, snapshot):
        """Tell each monitor an epoch begins."""
        for monitor in self.monitors:
            monitor.begin(snapshot)

    def end(self, snapshot):
        """Tell each monitor the epoch ended; whether any asks to stop."""
        return any([monitor.end(snapshot) for monitor in self.monitors])

    def close(self):
        """Tell each monitor training ended."""
        for monitor in self.monitors:
            monitor.close()


@dataclass
class Selection:
    """What the folds say: the epochs to train and the held-out errors behind it.

    ``curve`` (n_run + 1,) is the pooled held-out mean squared error after
    each number of epochs, that of the PCA start first; ``n_epochs`` is the
    number chosen, 0 to keep PCA. ``fitted``, when set, is the model to keep
    as it is: ``(network, history, stats, axes)`` of a single fold's
    training, stopped at its best held-out epoch.
    """

    curve: np.ndarray
    n_epochs: int
    fitted: tuple | None = None

    def record(self, history):
        """Write the pooled held-out scores into ``history``, as negative MSE."""
        history.validation_scores = (-self.curve[1:]).tolist()
        best, start = self.curve[self.n_epochs], self.curve[0]
        history.best_validation_score = -float(best)
        # Relative reduction of the held-out error against the PCA start; a
        # kept start gains nothing, also when it reconstructs the rows exactly
        # (start == 0, where the ratio would be 0 / 0).
        history.validation_gain = float(1 - best / start) if self.n_epochs else 0.0


def as_of(history, n_epochs):
    """``history`` cut back to its first ``n_epochs`` epochs, for a kept best epoch."""
    rows_per_epoch = history.t // history.n_iter
    history.loss_curve = history.loss_curve[:n_epochs]
    history.loss = history.loss_curve[-1]
    history.n_iter, history.t = n_epochs, rows_per_epoch * n_epochs
    return history


# How many standard errors the held-out gain over the PCA start must exceed.
# The pooled curve's minimum flatters the correction (it is chosen on the
# rows that score it), and another sample of held-out rows varies as much
# again: with 1 or 2, small sets (iris, diabetes, linnerud) came out worse
# than PCA on some of benchmarks/quality.py's splits.
Z_SCORE = 2.5


def pool(monitors):
    """The :class:`Selection` of the folds' monitors.

    A fold that stopped early keeps its last scores for the epochs after it,
    so that every epoch is scored on all the held-out rows. The number of
    epochs whose pooled error is lowest is kept if its gain over the PCA
    start exceeds ``Z_SCORE`` standard errors of the weighted mean of the
    held-out rows' changes from the start (with Kish's effective number of
    rows); else 0.
    """
    length = max(len(monitor.sums) for monitor in monitors)
    sums, squares = np.zeros(length), np.zeros(length)
    for monitor in monitors:
        for total, values in ((sums, monitor.sums), (squares, monitor.squares)):
            values = np.asarray(values)
            total += np.pad(values, (0, length - values.shape[0]), mode="edge")
    weights = np.concatenate([monitor.weights for monitor in monitors])
    total = weights.sum()
    curve = sums / total
    # The sums, not the curve: the first epoch of least error, as a monitor
    # that keeps its best weights counts it, whatever the division rounds.
    best = int(np.argmin(sums))
    gain = curve[0] - curve[best]
    spread = max(squares[best] / total - gain**2, 0.0)
    error = np.sqrt(spread * (weights @ weights)) / total
    return Selection(curve=curve, n_epochs=best if gain > Z_SCORE * error else 0)
