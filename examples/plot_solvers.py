"""
======================================================
Loss curves of adam, sgd and lbfgs, and early stopping
======================================================

:class:`skae.AutoencoderTransformer` trains with one of three solvers, as
:class:`~sklearn.neural_network.MLPRegressor` does: ``"adam"`` (the default)
and ``"sgd"`` take a step per minibatch, ``"lbfgs"`` a quasi-Newton step per
pass over the whole data. ``loss_curve_`` records the training loss after each
epoch (or L-BFGS iteration); with ``early_stopping=True``,
``validation_scores_`` records the score on held-out training data too. This
example reads both, on raw digits with codes of 8 numbers, and times each fit
next to PCA's.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Five fits
# ---------
# Each solver with its default settings, ``"sgd"`` once more with a larger
# learning rate, and ``"adam"`` with early stopping. To show each solver's
# whole training curve, the first four train on all rows until their stopping
# rule holds (``early_stopping=False``), not for the length that the default
# ``early_stopping="auto"`` would choose by cross-validation. The two ``"sgd"`` fits
# are capped at 150 epochs and the ``"lbfgs"`` fit at 200 iterations, to keep
# this example short; a fit that reaches its ``max_iter`` before its stopping rule
# holds raises a :class:`~sklearn.exceptions.ConvergenceWarning`, which is
# recorded and reported in the table, next to the training loss ``loss_``
# (penalty included), the reconstruction error of the training digits and
# that of the held-out ones.
#
# The times are wall-clock seconds of each ``fit``, measured when this page
# was built, on the machine and with the BLAS threads printed first (the
# documentation's build runs the examples with one BLAS thread).

import os
import platform
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import StrMethodFormatter
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info

from skae import AutoencoderTransformer

blas = {pool["internal_api"]: pool["num_threads"] for pool in threadpool_info()}
print(f"{platform.machine()} machine, {os.cpu_count()} CPUs; threads: {blas}")

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)

settings = {
    "adam": dict(solver="adam", early_stopping=False),
    "sgd": dict(solver="sgd", max_iter=150, early_stopping=False),
    "sgd, learning_rate_init=0.01": dict(
        solver="sgd", learning_rate_init=0.01, max_iter=150, early_stopping=False
    ),
    "lbfgs": dict(solver="lbfgs", max_iter=200, early_stopping=False),
    "adam, early_stopping=True": dict(solver="adam", early_stopping=True),
}
fitted, seconds, capped = {}, {}, {}
for name, params in settings.items():
    model = AutoencoderTransformer(n_components=8, random_state=0, **params)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_train)
    seconds[name] = time.perf_counter() - start
    capped[name] = any(w.category is ConvergenceWarning for w in caught)
    fitted[name] = model

start = time.perf_counter()
pca = PCA(n_components=8).fit(X_train)
pca_seconds = time.perf_counter() - start

print(f"{'':28}  n_iter_  seconds  loss_  training MSE  held-out MSE")
for name, model in fitted.items():
    note = "  (max_iter)" if capped[name] else ""
    print(
        f"{name:28}  {model.n_iter_:7}  {seconds[name]:7.2f}  {model.loss_:5.2f}  "
        f"{-model.score(X_train):12.2f}  {-model.score(X_test):12.2f}{note}"
    )
print(f"{'PCA':28}  {'':7}  {pca_seconds:7.3f}")

# %%
# Every solver's fit takes many times as long as PCA's single decomposition
# (compare the seconds column): training runs many passes over the data.
# An epoch's cost grows with the number of rows and of weights; the user
# guide's :ref:`complexity` paragraph gives it.
#
# Reading the loss curves
# -----------------------
# ``loss_curve_`` is in squared pixel units, like ``-score``: the mean squared
# reconstruction error over all pixels, plus the L2 penalty on the weights.
# Every fit starts from the PCA of the training digits with 8 components,
# whose training error is drawn as a dotted line: the curves start at it (the
# stochastic ones a little above, by the penalty on the initial weights) and
# fall from there. The penalty is divided by the number of rows the loss is
# computed on, as in :class:`~sklearn.neural_network.MLPRegressor`: a
# minibatch for ``"adam"`` and ``"sgd"``, all the training digits for
# ``"lbfgs"``, so ``loss_`` sits further above the training error for the
# stochastic solvers. For those, each entry is also the mean of the minibatch
# losses over one epoch, taken while the weights were still moving, so it runs
# slightly above the loss at the epoch's end.
#
# An L-BFGS iteration and an epoch are different units: an epoch of
# ``"adam"`` or ``"sgd"`` is one update per minibatch, an L-BFGS iteration one
# update from the gradient over all the training digits (and sometimes a few
# more passes for its line search).

batch_size = min(200, len(X_train))
print(
    f"{len(X_train)} training digits: an epoch is "
    f"{int(np.ceil(len(X_train) / batch_size))} updates on minibatches of "
    f"{batch_size},\nan L-BFGS iteration one update on all of them"
)
pca_mse = np.mean((pca.inverse_transform(pca.transform(X_train)) - X_train) ** 2)
print(f"PCA's training MSE, where training starts: {pca_mse:.2f}")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name in ["adam", "sgd", "sgd, learning_rate_init=0.01", "lbfgs"]:
    ax.plot(fitted[name].loss_curve_, label=name)
ax.axhline(pca_mse, color="gray", linestyle=":", label="PCA, where training starts")
ax.set_yscale("log")
ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
ax.yaxis.set_minor_formatter(StrMethodFormatter("{x:g}"))
ax.set_xlabel("epoch (adam, sgd) or iteration (lbfgs)")
ax.set_ylabel("training loss, loss_curve_")
ax.set_title("Training loss by solver")
ax.legend()
plt.show()

# %%
# With ``"adam"`` the loss falls fastest per epoch and levels off, so the
# default stopping rule ends training before ``max_iter``. ``"sgd"`` with the
# default rate has hardly left PCA's error after 150 epochs and is still
# falling; a larger rate, or more epochs, are needed. ``"lbfgs"`` has no
# minibatches and no learning rate to choose, but each iteration costs a pass
# over all the data (or more), and on all rows it stops only at ``max_iter``,
# ``max_fun`` or a tiny gradient: ``max_iter`` is what bounds its time, and
# what keeps it from fitting the training digits too closely, unless
# ``early_stopping="auto"`` chooses the number of iterations.
#
# Early stopping
# --------------
# ``early_stopping=True`` sets 10 % of the training digits aside (the
# ``validation_fraction``), scores them after every epoch, stops once that
# score has not improved by ``tol`` for ``n_iter_no_change`` epochs, and keeps
# the weights of the best epoch, not the last. ``validation_scores_`` are minus
# the held-out mean squared error.

model = fitted["adam, early_stopping=True"]
validation_mse = -np.asarray(model.validation_scores_)
best_epoch = int(np.argmax(model.validation_scores_))

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.plot(model.loss_curve_, label="training loss (loss_curve_)")
ax.plot(validation_mse, label="validation MSE (-validation_scores_)")
ax.axvline(best_epoch, color="gray", linestyle="--", label="best epoch, weights kept")
ax.set_yscale("log")
ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
ax.yaxis.set_minor_formatter(StrMethodFormatter("{x:g}"))
ax.set_xlabel("epoch")
ax.set_ylabel("mean squared error")
ax.set_title("adam with early_stopping=True")
ax.legend()
plt.show()

print(f"validation_fraction: {model.validation_fraction}")
print(f"epochs run: {model.n_iter_}, best epoch: {best_epoch + 1}")
print(f"best validation MSE: {-model.best_validation_score_:.2f}")
print(f"epochs run with early_stopping=False: {fitted['adam'].n_iter_}")

# %%
# The validation error levels off while the training loss is still falling:
# from there on, the network mostly fits the training digits better, not new
# ones. Early stopping ends training there, in fewer epochs than the default
# stopping rule on the training loss; in the table, its held-out error is
# close to the full run's. It is most useful when training longer starts to
# hurt, as with large networks on little or noisy data (see
# :ref:`sphx_glr_auto_examples_plot_denoising.py`).
