"""Tests for the cross-validated training length of ``early_stopping="auto"``."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, make_swiss_roll
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer
from skae._evaluation import decode, encode
from skae._selection import (
    MIN_VALIDATION_ROWS,
    SHARES,
    HeldOutMonitor,
    pool,
    shrunk,
    validation_folds,
)

# Short fits whose chosen length is their max_iter warn, as they should.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "n_samples, n_folds", [(105, 10), (1257, 3), (20_000, 1), (14, 10), (4, 4)]
)
def test_folds_hold_out_enough_disjoint_rows(n_samples, n_folds):
    folds = validation_folds(n_samples, 0.1, np.random.RandomState(0))
    assert len(folds) == n_folds
    held_out = np.concatenate([rows for _, rows in folds])
    assert np.unique(held_out).shape == held_out.shape  # disjoint
    assert held_out.shape[0] >= min(n_samples, MIN_VALIDATION_ROWS)
    for train, rows in folds:
        assert_array_equal(np.sort(np.concatenate([train, rows])), np.arange(n_samples))
        assert_array_equal(rows, np.sort(rows))


def test_too_few_rows_make_no_fold():
    assert validation_folds(3, 0.1, np.random.RandomState(0)) == []


class _Curve:
    """A monitor as pool reads it, from given per-epoch sums (of each share)."""

    def __init__(self, sums, squares, weights, shares=(1.0,)):
        self.sums, self.squares = np.c_[sums], np.c_[squares]
        self.weights, self.shares = np.asarray(weights), shares


def test_pool_carries_a_stopped_fold_forward_and_takes_the_minimum():
    # Two folds of 2 rows of weight 1; the second stopped after one epoch.
    long = _Curve([4.0, 2.0, 1.0], [0.0, 0.0, 0.0], [1, 1])
    short = _Curve([4.0, 3.0], [0.0, 0.0], [1, 1])
    selection = pool([long, short])
    assert_allclose(selection.curve, [2.0, 1.25, 1.0])
    assert selection.n_epochs == 2


def test_pool_keeps_pca_when_the_gain_is_within_its_noise():
    # The mean row error falls by 0.1, but rows moved by +-1: no evidence.
    n_rows = 10
    noisy = _Curve([10.0, 9.0], [0.0, n_rows * 1.0], np.ones(n_rows))
    assert pool([noisy]).n_epochs == 0
    steady = _Curve([10.0, 9.0], [0.0, n_rows * 0.1**2 * 1.01], np.ones(n_rows))
    assert pool([steady]).n_epochs == 1


def test_pool_keeps_a_share_of_the_correction_whose_gain_clears_the_noise():
    # The whole correction's mean row error falls by 0.1 with rows moved by
    # +-1 (no evidence); half of it falls by 0.06 with every row moved alike;
    # a quarter's by 0.03 with rows moved by +-0.07.
    n_rows = 10
    sums = [[10.0] * 3, [9.0, 9.4, 9.7]]
    squares = [[0.0] * 3, [n_rows * 1.01, n_rows * 0.06**2 * 1.01, n_rows * 0.005]]
    curve = _Curve(sums, squares, np.ones(n_rows), shares=(1.0, 0.5, 0.25))
    selection = pool([curve])
    assert (selection.n_epochs, selection.share) == (1, 0.5)
    assert_allclose(selection.curve, [1.0, 0.94])
    # Whenever the whole correction clears the noise, it is kept whole.
    squares[1][0] = n_rows * 0.1**2 * 1.01
    curve = _Curve(sums, squares, np.ones(n_rows), shares=(1.0, 0.5, 0.25))
    assert pool([curve]).share == 1.0


def test_a_share_of_0_is_pca_and_a_share_of_1_the_model(digits):
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=3, early_stopping=False, random_state=0
    ).fit(digits)
    network = ae._network()
    assert shrunk(network, 1.0) is network
    pca = PCA(2).fit(digits)
    assert_allclose(
        decode(encode(digits, shrunk(network, 0.0)), shrunk(network, 0.0)),
        pca.inverse_transform(pca.transform(digits)),
        atol=1e-8,
    )


def test_pool_never_chooses_epochs_that_are_worse_than_pca():
    worse = _Curve([1.0, 1.5, 2.0], [0.0, 0.5, 2.0], [1, 1])
    selection = pool([worse])
    assert selection.n_epochs == 0
    assert_allclose(selection.curve, [0.5, 0.75, 1.0])


def test_monitor_stops_after_patience_epochs_without_gain(digits):
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=1, early_stopping=False, random_state=0
    ).fit(digits)
    network = ae._network()
    monitor = HeldOutMonitor(digits, np.arange(50), None, network, 2, 0.0, SHARES)
    assert not monitor.end(lambda copied=True: (network, None))
    assert monitor.end(lambda copied=True: (network, None))  # two epochs without a gain
    # The whole correction's column: the start's network, scored three times.
    assert_allclose(np.array(monitor.sums)[:, 0], monitor.sums[0][0])
    assert_array_equal(np.array(monitor.squares)[:, 0], 0.0)


def _linear_data(n_samples, seed=0):
    """Rows on a plane in 6 columns, plus isotropic noise: PCA is the best model."""
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, 6)) * 5 + rng.normal(
        size=(n_samples, 6)
    )


def test_auto_keeps_pca_where_the_data_is_linear():
    X = _linear_data(120)
    ae = AutoencoderTransformer(2, random_state=0).fit(X)
    assert ae.n_iter_ == 0
    assert ae.validation_gain_ == 0 and ae.correction_share_ == 0
    assert ae.loss_curve_ == []
    pca = PCA(2).fit(X)
    X_new = _linear_data(50, seed=1)
    assert_allclose(
        ae.inverse_transform(ae.transform(X_new)),
        pca.inverse_transform(pca.transform(X_new)),
        atol=1e-10,
    )


def test_auto_keeps_the_correction_where_the_data_is_not_linear():
    X = make_swiss_roll(1500, noise=0.05, random_state=0)[0]
    ae = AutoencoderTransformer(2, hidden_layer_sizes=(32, 32), random_state=0)
    ae.fit(X)
    assert ae.n_iter_ > 0
    assert ae.validation_gain_ > 0.5
    assert ae.correction_share_ == 1.0
    assert len(ae.validation_scores_) >= ae.n_iter_
    assert ae.best_validation_score_ == pytest.approx(
        ae.validation_scores_[ae.n_iter_ - 1]
    )
    assert len(ae.loss_curve_) == ae.n_iter_


def test_auto_is_reproducible_and_leaves_the_fold_runs_out_of_the_model(digits):
    params = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    first = AutoencoderTransformer(4, **params).fit(digits)
    second = AutoencoderTransformer(4, **params).fit(digits)
    for a, b in zip(first.coefs_, second.coefs_, strict=True):
        assert_array_equal(a, b)
    assert first.validation_scores_ == second.validation_scores_
    # t_ counts the rows of the training on all rows, not the folds'.
    assert first.t_ == max(first.n_iter_, 1) * digits.shape[0]


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_auto_chooses_the_length_for_every_solver(digits, solver):
    ae = AutoencoderTransformer(
        4, hidden_layer_sizes=(16,), solver=solver, max_iter=40, random_state=0
    ).fit(digits)
    assert ae.validation_gain_ is not None and ae.validation_gain_ >= 0
    assert 0 <= ae.n_iter_ <= 40
    assert len(ae.validation_scores_) > 0
    if ae.n_iter_:
        chosen = ae.validation_scores_[ae.n_iter_ - 1]
        assert ae.best_validation_score_ == chosen <= max(ae.validation_scores_)


def test_auto_works_with_float32_sparse_and_weights(digits):
    params = dict(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    X32 = digits.astype(np.float32)
    ae = AutoencoderTransformer(4, **params).fit(sp.csr_matrix(X32))
    assert ae.coefs_[0].dtype == np.float32
    assert ae.transform(X32).dtype == np.float32
    dense = AutoencoderTransformer(4, **params).fit(X32)
    assert ae.validation_scores_ == pytest.approx(dense.validation_scores_, rel=1e-4)
    weights = np.zeros(digits.shape[0])
    weights[::2] = 1.0
    weighted = AutoencoderTransformer(4, **params).fit(digits, sample_weight=weights)
    assert np.all(np.isfinite(weighted.validation_scores_))


def test_auto_keeps_a_share_of_the_correction_where_only_it_is_clear_of_noise():
    # Raw breast_cancer at 2 components: the whole correction's held-out gain
    # is within 2.5 standard errors (a few rows of large area dominate it),
    # half of it is not; on the rows held out here it beats PCA.
    X = load_breast_cancer().data
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
    ae = AutoencoderTransformer(2, random_state=0).fit(X_train)
    assert 0 < ae.correction_share_ < 1 and ae.n_iter_ > 0
    assert ae.validation_gain_ > 0
    pca = PCA(2).fit(X_train)
    assert -ae.score(X_test) < 0.9 * np.mean(
        (pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2
    )


def test_early_stopping_false_trains_on_every_row_without_validation(digits):
    ae = AutoencoderTransformer(
        4, hidden_layer_sizes=(16,), max_iter=5, early_stopping=False, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        ae.fit(digits)
    assert ae.n_iter_ == 5
    assert ae.validation_scores_ is None and ae.validation_gain_ is None
    assert ae.correction_share_ is None


def test_a_kept_start_that_is_exact_gains_nothing():
    # Held-out rows that the PCA start reconstructs exactly: no 0 / 0.
    exact = _Curve([0.0, 0.0], [0.0, 0.0], [1, 1])
    selection = pool([exact])
    history = type("History", (), {})()
    with np.errstate(all="raise"):
        selection.record(history)
    assert selection.n_epochs == 0
    assert history.validation_gain == 0.0


def test_a_single_fold_of_many_rows_is_kept_at_its_best_epoch():
    # 4 000 rows make one fold (of 3 600 training rows): its best epoch is the
    # model, as early_stopping=True keeps its split, with no refit.
    X = make_swiss_roll(4000, noise=0.05, random_state=0)[0]
    params = dict(hidden_layer_sizes=(16, 16), max_iter=60, random_state=0)
    ae = AutoencoderTransformer(2, **params).fit(X)
    assert ae.n_iter_ > 0
    assert ae.n_samples_ == 3600  # the PCA start of the fold's training rows
    assert ae.correction_share_ == 1.0  # a single fold scores the whole alone
    assert len(ae.loss_curve_) == ae.n_iter_ and ae.t_ == 3600 * ae.n_iter_
    assert ae.best_validation_score_ == ae.validation_scores_[ae.n_iter_ - 1]
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    assert ae.validation_gain_ > 0
    same = AutoencoderTransformer(2, **params).fit(X)
    for a, b in zip(ae.coefs_, same.coefs_, strict=True):
        assert_array_equal(a, b)


def test_a_single_fold_refits_with_lbfgs():
    # L-BFGS cannot return to its best iteration: the chosen length is
    # trained on all rows.
    X = make_swiss_roll(4000, noise=0.05, random_state=0)[0]
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0
    ).fit(X)
    assert ae.n_samples_ == 4000
