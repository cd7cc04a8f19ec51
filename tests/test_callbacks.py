"""Tests for scikit-learn's callbacks (sklearn.callback) in AutoencoderTransformer."""

# SPDX-License-Identifier: BSD-3-Clause

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_swiss_roll
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderTransformer
from skae._callbacks import SUPPORTED

NEEDS_CALLBACKS = "callbacks need scikit-learn >= 1.9 (sklearn.callback)"
NEEDS_RICH = "ProgressBar needs rich: pip install '.[progress]'"
needs_callbacks = pytest.mark.skipif(not SUPPORTED, reason=NEEDS_CALLBACKS)
SUBTASKS = {"epoch", "iteration"}


def small(**params):
    """A small, seeded autoencoder that trains on the digits in a moment.

    On all rows (``early_stopping=False``), so that its epochs are the fit's;
    test_auto_reports_the_epochs_trained_on_all_rows covers "auto".
    """
    defaults = dict(
        n_components=4, hidden_layer_sizes=(16,), early_stopping=False, random_state=0
    )
    return AutoencoderTransformer(**{**defaults, **params})


def fixed_epochs(n_epochs, **params):
    """``small`` trained for exactly ``n_epochs`` epochs (or iterations)."""
    return small(max_iter=n_epochs, tol=0.0, n_iter_no_change=n_epochs + 1, **params)


def fit_quietly(estimator, X, y=None):
    """Fit, ignoring the ConvergenceWarning of fits cut at max_iter."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


class Recorder:
    """Records every hook call: (hook, context, fitted_estimator).

    Auto-propagated (it has ``max_propagation_depth``), so that set on a
    meta-estimator it also sees the autoencoder's tasks. Asks to stop after
    ``stop_after`` subtasks, and transforms X with every fitted estimator it
    is given, so that one that cannot transform fails the fit.
    """

    max_propagation_depth = None

    def __init__(self, X=None, stop_after=None):
        self.X, self.stop_after = X, stop_after
        self.calls = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def _record(self, hook, context, fitted_estimator):
        codes = None
        if fitted_estimator is not None and self.X is not None:
            codes = fitted_estimator.transform(self.X)
        self.calls.append((hook, context, fitted_estimator, codes))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self._record("begin", context, fitted_estimator)

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self._record("end", context, fitted_estimator)
        return (
            self.stop_after is not None
            and context.task_name in SUBTASKS
            and len(self.ends()) >= self.stop_after
        )

    def ends(self, estimator_name="AutoencoderTransformer"):
        """(context, fitted_estimator, codes) of each subtask that ended."""
        return [
            (context, fitted, codes)
            for hook, context, fitted, codes in self.calls
            if hook == "end"
            and context.task_name in SUBTASKS
            and context.estimator_name == estimator_name
        ]


@pytest.fixture
def wide_console(monkeypatch):
    """ProgressBar's lines in full, whatever the terminal's width (rich reads
    COLUMNS), and without colour codes, whatever the environment forces."""
    monkeypatch.setenv("COLUMNS", "200")
    for name in ["FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"]:
        monkeypatch.delenv(name, raising=False)


def counting_progress_bar(**params):
    """A ProgressBar that also counts the subtasks it is told have ended."""
    pytest.importorskip("rich", reason=NEEDS_RICH)
    from sklearn.callback import ProgressBar

    class CountingProgressBar(ProgressBar):
        steps = 0

        def on_fit_task_end(self, estimator, context):
            if context.task_name in SUBTASKS:
                self.steps += 1
            super().on_fit_task_end(estimator, context)

    return CountingProgressBar(**params)


@pytest.mark.skipif(SUPPORTED, reason="scikit-learn >= 1.9 has callbacks")
def test_nothing_changes_without_callback_support(digits):
    """Before scikit-learn 1.9 there is no set_callbacks, and fit is as before."""
    ae = small(max_iter=3)
    assert not hasattr(ae, "set_callbacks")
    fit_quietly(ae, digits)
    assert ae.n_iter_ == 3


@needs_callbacks
@pytest.mark.parametrize(
    "params, stops_by_itself",
    [
        # A loose tol stops the stochastic solvers on their own, before max_iter.
        (dict(solver="adam", tol=0.05, n_iter_no_change=2), True),
        (dict(solver="sgd", tol=0.05, n_iter_no_change=2), True),
        (dict(solver="lbfgs"), False),
        # L-BFGS stops at its start point, having run no iteration.
        (dict(solver="lbfgs", tol=1.0), True),
    ],
    ids=["adam", "sgd", "lbfgs", "lbfgs-converged-at-start"],
)
def test_progress_bar_steps_once_per_epoch(
    params, stops_by_itself, digits, capsys, wide_console
):
    """ProgressBar advances once per epoch (L-BFGS iteration): n_iter_ steps."""
    progress = counting_progress_bar()
    ae = small(max_iter=20, **params)
    fit_quietly(ae.set_callbacks(progress), digits)
    assert ae.n_iter_ == len(ae.loss_curve_)
    assert (ae.n_iter_ < 20) == stops_by_itself
    assert progress.steps == ae.n_iter_
    out = capsys.readouterr().out
    assert "AutoencoderTransformer - fit" in out
    assert "100%" in out


@needs_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_one_subtask_per_epoch_with_verbose(solver, digits, capsys):
    """Each subtask is one epoch, and verbose still prints one line per epoch."""
    recorder = Recorder()
    ae = fixed_epochs(4, solver=solver, verbose=True).set_callbacks(recorder)
    fit_quietly(ae, digits)
    ends = recorder.ends()
    assert len(ends) == ae.n_iter_ == 4
    assert [context.task_id for context, _, _ in ends] == [0, 1, 2, 3]
    hooks = [(hook, context.task_name) for hook, context, _, _ in recorder.calls]
    name = "iteration" if solver == "lbfgs" else "epoch"
    assert hooks == [("begin", "fit")] + 4 * [("begin", name), ("end", name)] + [
        ("end", "fit")
    ]
    assert len(re.findall(r"^Iteration \d+, loss = ", capsys.readouterr().out, re.M))


@needs_callbacks
def test_partial_fit_is_a_task_of_one_epoch(digits):
    """Each partial_fit call is a task of its own with one epoch subtask."""
    recorder = Recorder()
    ae = small().set_callbacks(recorder)
    for chunk in np.array_split(digits, 3):
        ae.partial_fit(chunk)
    roots = [c for h, c, _, _ in recorder.calls if h == "begin" and c.parent is None]
    assert [context.task_name for context in roots] == 3 * ["partial_fit"]
    assert len(recorder.ends()) == ae.n_iter_ == 3
    assert len({context.root_uuid for context, _, _ in recorder.ends()}) == 3


@needs_callbacks
def test_nested_in_pipeline(digits):
    """Inside a Pipeline, the epochs are subtasks of the pipeline's step."""
    recorder = Recorder()
    ae = fixed_epochs(3)
    y = np.arange(digits.shape[0]) % 3
    pipe = make_pipeline(StandardScaler(), ae, LogisticRegression(max_iter=50))
    fit_quietly(pipe.set_callbacks(recorder), digits, y)
    ends = recorder.ends()
    assert len(ends) == pipe[1].n_iter_ == 3
    for context, _, _ in ends:
        root = context.parent
        assert root.estimator_name == "AutoencoderTransformer"
        assert root.source_estimator_name == "Pipeline"
        assert root.source_task_name == "fit-transform-autoencodertransformer"
        assert root.parent.estimator_name == "Pipeline" and root.parent.parent is None


def grid_search():
    """A search over two candidates, two splits, of fits of two epochs each."""
    return GridSearchCV(
        make_pipeline(StandardScaler(), fixed_epochs(2)),
        {"autoencodertransformer__n_components": [2, 4]},
        cv=2,
    )


N_GRID_SEARCH_EPOCHS = 2 * (2 * 2 + 1)  # candidates x splits, then the refit


@needs_callbacks
def test_nested_in_grid_search(digits):
    """Inside GridSearchCV, each fit of every candidate and split reports its
    epochs, under the search's and the pipeline's tasks."""
    recorder = Recorder()
    fit_quietly(grid_search().set_callbacks(recorder), digits)
    assert len(recorder.ends()) == N_GRID_SEARCH_EPOCHS
    for context, _, _ in recorder.ends():
        path = []
        while context is not None:
            path.append(context.estimator_name)
            context = context.parent
        assert path[-1] == "GridSearchCV" and "Pipeline" in path


@needs_callbacks
def test_progress_bar_in_grid_search(digits, capsys, wide_console):
    """ProgressBar shows the autoencoder's bars under the search's, with every
    depth shown, and steps once per epoch of every fit."""
    progress = counting_progress_bar(max_propagation_depth=None)
    fit_quietly(grid_search().set_callbacks(progress), digits)
    assert progress.steps == N_GRID_SEARCH_EPOCHS
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert "Pipeline - fit-final-estimator | AutoencoderTransformer - fit" in out


@needs_callbacks
@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam", early_stopping=True),
        dict(solver="sgd"),
        dict(solver="lbfgs"),
    ],
    ids=["adam-early-stopping", "sgd", "lbfgs"],
)
def test_callback_stops_training_as_max_iter_would(params, digits):
    """A stop asked for after epoch k leaves the model of a fit with max_iter=k:
    the best weights restored with early stopping, the same attributes, and no
    ConvergenceWarning (the stop was asked for, as the stopping rule's is)."""
    n_epochs = 3
    recorder = Recorder(stop_after=n_epochs)
    stopped = small(max_iter=50, tol=0.0, **params).set_callbacks(recorder)
    stopped.fit(digits)
    with pytest.warns(ConvergenceWarning):
        reference = small(max_iter=n_epochs, tol=0.0, **params).fit(digits)
    assert stopped.n_iter_ == len(stopped.loss_curve_) == n_epochs
    for name in ["loss_", "loss_curve_", "best_loss_", "t_", "n_iter_"]:
        assert getattr(stopped, name) == getattr(reference, name), name
    for name in ["validation_scores_", "best_validation_score_"]:
        assert getattr(stopped, name) == getattr(reference, name), name
    for mine, theirs in zip(stopped.coefs_, reference.coefs_, strict=True):
        assert_array_equal(mine, theirs)
    if stopped.early_stopping:
        assert stopped.best_validation_score_ == max(stopped.validation_scores_)
    # The fitted estimator given at the stop is the one fit returns.
    _, last, _ = recorder.ends()[-1]
    assert_array_equal(last.transform(digits), stopped.transform(digits))


@needs_callbacks
def test_stop_message_with_verbose(digits, capsys):
    ae = small(max_iter=50, verbose=True).set_callbacks(Recorder(stop_after=2))
    ae.fit(digits)
    assert capsys.readouterr().out.endswith("A callback stopped training.\n")


@needs_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_fitted_estimator_mid_fit_is_usable(solver, digits):
    """The estimator a callback gets after epoch j is fitted as by j epochs:
    it transforms and scores, and it keeps its weights as training goes on."""
    recorder = Recorder(X=digits)
    ae = fixed_epochs(4, solver=solver).set_callbacks(recorder)
    fit_quietly(ae, digits)
    ends = recorder.ends()
    assert len(ends) == 4
    for epoch, (_, fitted, codes_then) in enumerate(ends, start=1):
        assert fitted is not ae
        assert fitted.n_iter_ == len(fitted.loss_curve_) == epoch
        assert fitted.loss_curve_ == ae.loss_curve_[:epoch]
        assert codes_then.shape == (digits.shape[0], 4)
        # Copies, not views of the weights that training went on updating.
        assert_array_equal(fitted.transform(digits), codes_then)
        assert isinstance(fitted.score(digits), float)
        assert fitted.inverse_transform(codes_then).shape == digits.shape
    assert not np.array_equal(ends[0][2], ends[-1][2])
    assert_allclose(ends[-1][2], ae.transform(digits), rtol=1e-12)
    # Each epoch begins from the model the previous one ended with.
    begins = [
        (context, fitted)
        for hook, context, fitted, _ in recorder.calls
        if hook == "begin" and context.task_name in SUBTASKS
    ]
    assert [fitted.n_iter_ for _, fitted in begins] == [0, 1, 2, 3]
    assert_array_equal(begins[1][1].transform(digits), ends[0][2])
    # The whole fit's task ends with the fitted estimator itself, copied.
    hook, context, fitted, codes = recorder.calls[-1]
    assert (hook, context.task_name) == ("end", "fit")
    assert_array_equal(codes, ae.transform(digits))


@needs_callbacks
def test_fitted_estimator_of_a_linear_network(digits):
    """A linear network is PCA and trains no epoch: only the fit task runs."""
    recorder = Recorder(X=digits)
    ae = small(hidden_layer_sizes=()).set_callbacks(recorder)
    ae.fit(digits)
    assert ae.n_iter_ == 0 and recorder.ends() == []
    assert [hook for hook, *_ in recorder.calls] == ["begin", "end"]


@needs_callbacks
def test_scoring_monitor_with_the_reconstruction_score(digits):
    """ScoringMonitor records -MSE after each epoch with a scorer that calls
    score: fit has no y, so the hooks get X, the autoencoder's target."""
    from sklearn.callback import ScoringMonitor

    monitor = ScoringMonitor(
        scoring={"reconstruction": lambda estimator, X, y: estimator.score(X)}
    )
    ae = fixed_epochs(3).set_callbacks(monitor)
    fit_quietly(ae, digits)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == ae.n_iter_ == 3
    assert epochs[-1]["reconstruction"] == pytest.approx(ae.score(digits))
    assert [row["task_name"] for row in rows if row not in epochs] == ["fit"]


@needs_callbacks
def test_auto_reports_the_epochs_trained_on_all_rows(digits):
    """The folds of early_stopping="auto" train silently; the callbacks see the
    epochs of the training on all rows, which the fitted attributes describe."""
    recorder = Recorder()
    ae = small(early_stopping="auto", max_iter=30).set_callbacks(recorder)
    fit_quietly(ae, digits)
    assert len(recorder.ends()) == ae.n_iter_ == len(ae.loss_curve_)


@needs_callbacks
def test_auto_on_one_fold_reports_the_epochs_of_the_fold_it_keeps():
    """On many rows "auto" makes one fold and keeps its best epoch: the
    callbacks see that fold's epochs, the ones after the best included."""
    X = make_swiss_roll(4000, noise=0.05, random_state=0)[0]
    recorder = Recorder()
    ae = AutoencoderTransformer(
        2, hidden_layer_sizes=(8,), max_iter=30, random_state=0
    ).set_callbacks(recorder)
    fit_quietly(ae, X)
    assert 0 < ae.n_iter_ <= len(recorder.ends()) == len(ae.validation_scores_)
