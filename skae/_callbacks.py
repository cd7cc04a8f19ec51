"""Tasks for scikit-learn's callbacks (``sklearn.callback``, 1.9 and later)."""

# SPDX-License-Identifier: BSD-3-Clause

import copy

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callback API, and no set_callbacks

    class CallbackSupportMixin:
        """Adds nothing: scikit-learn < 1.9 has no callbacks to support."""


# Whether this scikit-learn has callbacks: AutoencoderTransformer.set_callbacks.
SUPPORTED = hasattr(CallbackSupportMixin, "set_callbacks")


class FitTasks:
    """The callback tasks of one ``fit`` or ``partial_fit`` call.

    The call is the root task; each epoch (or L-BFGS iteration) is a subtask of
    it, as in scikit-learn's own estimators. The hooks see the training data
    as validated (with early stopping, the validation rows included) and, as
    ``y``, the ``y`` given to the call or, when there is none, X itself, the
    target of an autoencoder: :class:`sklearn.callback.ScoringMonitor` scores
    only when both are known. A stop asked for at the end of ``partial_fit``'s
    one epoch changes nothing: the call ends there anyway.

    Parameters
    ----------
    estimator : AutoencoderTransformer
        The estimator being fitted.
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    y : array-like or None
    task_name : {"fit", "partial_fit"}
    max_subtasks : int
        The most epochs (iterations) the call can run.
    """

    def __init__(self, estimator, X, y, task_name, max_subtasks):
        self.estimator = estimator
        self.context = None
        if not hasattr(estimator, "_init_callback_context"):
            return
        self.X, self.y = X, X if y is None else y
        self.context = estimator._init_callback_context(
            task_name=task_name, max_subtasks=max_subtasks
        )
        self.context.call_on_fit_task_begin(estimator=estimator, X=self.X, y=self.y)

    def monitor(self, stats, axes):
        """The solvers' per-epoch hook, or None when no callback is set.

        ``stats`` and ``axes`` are the PCA of the fit, which the snapshots of
        the solvers need to become fitted estimators.
        """
        if self.context is None or not hasattr(self.estimator, "_skl_callbacks"):
            return None
        task_name = "iteration" if self.estimator.solver == "lbfgs" else "epoch"
        return _Monitor(self, stats, axes, task_name)

    def end(self):
        """End the root task; the estimator is fitted by now."""
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                reconstruction_attributes={},
            )


class _Monitor:
    """Begins and ends a subtask around each epoch; see ``fit_stochastic``."""

    def __init__(self, tasks, stats, axes, task_name):
        self.tasks, self.stats, self.axes = tasks, stats, axes
        self.task_name = task_name
        self.task = None

    def _hook_arguments(self, snapshot):
        tasks = self.tasks
        return dict(
            estimator=tasks.estimator,
            X=tasks.X,
            y=tasks.y,
            reconstruction_attributes=lambda: self._attributes(snapshot),
        )

    def _attributes(self, snapshot):
        """Fitted attributes of the estimator as if fit stopped at ``snapshot``."""
        network, history = snapshot()
        fitted = copy.copy(self.tasks.estimator)
        fitted._store(network, history, self.stats, self.axes)
        return vars(fitted)

    def begin(self, snapshot):
        """Begin a subtask, unless one is still running."""
        if self.task is None:
            self.task = self.tasks.context.subcontext(task_name=self.task_name)
            self.task.call_on_fit_task_begin(**self._hook_arguments(snapshot))

    def end(self, snapshot):
        """End the running subtask; whether a callback asks to stop."""
        task, self.task = self.task, None
        return task.call_on_fit_task_end(**self._hook_arguments(snapshot))

    def close(self):
        """End a subtask cut short, with nothing to report."""
        if self.task is not None:
            task, self.task = self.task, None
            task.call_on_fit_task_end(estimator=self.tasks.estimator)
