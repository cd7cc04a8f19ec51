"""
=============================================
The tutorial's 2-2-2 autoencoder, with skae
=============================================

Autoencoder tutorials often start with a Keras model like this one: 100 random
points in the unit square, an encoder ``Dense(2, activation="relu")`` that
produces the code, a decoder ``Dense(2, activation="sigmoid")`` that
reconstructs the input, the mean squared error as loss, and plain stochastic
gradient descent for 1 000 epochs::

    model = Sequential([Input(shape=(2,)),
                        Dense(2, activation="relu"),      # encoder -> code
                        Dense(2, activation="sigmoid")])  # decoder
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, X, epochs=1000)

This example trains the same recipe with :class:`skae.AutoencoderTransformer`,
then shows what changes with the Adam optimizer and with a linear code.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# The data
# --------
# The tutorial trains on ``np.random.rand(100, 2)``; seeding the generator makes
# the numbers below repeatable. Predicting every point by the mean point leaves
# a mean squared error equal to the mean variance of the two columns, the
# baseline that every reconstruction below has to beat.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skae import AutoencoderTransformer

X = np.random.RandomState(0).rand(100, 2)
baseline = X.var(axis=0).mean()
print(f"MSE of predicting the mean point: {baseline:.4f}")

# %%
# The tutorial's recipe in skae
# -----------------------------
# Each Keras setting has a parameter of the same meaning:
#
# ==================================  ==========================================
# Keras                               skae
# ==================================  ==========================================
# ``Dense(2, activation="relu")``     ``hidden_layer_sizes=(2,)``,
#                                     ``activation="relu"``
# ``Dense(2, activation="sigmoid")``  ``output_activation="logistic"``
# ``loss="mse"``                      ``loss="squared_error"`` (the default)
# ``optimizer="sgd"`` (rate 0.01)     ``solver="sgd"``,
#                                     ``learning_rate_init=0.01``,
#                                     ``momentum=0``
# ``epochs=1000``, batches of 32      ``max_iter=1000``, ``batch_size=32``
# ==================================  ==========================================
#
# Two things differ by design. skae's code layer is always linear, with
# ``n_components`` units, and the decoder mirrors the encoder: the ReLU layer
# sits *before* a linear code of 2 units and is mirrored after it, so the
# network is 2 - 2 (ReLU) - 2 (code) - 2 (ReLU) - 2 (logistic). And the
# encoder keeps PCA's projection of the input as a linear path, to which the
# ReLU layer adds a correction; with a logistic output the decoder has no such
# path, and everything it outputs goes through its two ReLU units.
#
# ``fit`` runs the loop the tutorial writes out: for each epoch it shuffles the
# points, and for each minibatch of 32 it runs the forward pass, computes the
# loss, back-propagates its gradient and updates the weights. Keras runs all
# 1 000 epochs; skae chooses how many epochs to train by cross-validation
# inside ``fit`` and otherwise stops once the loss stops improving, so
# ``early_stopping=False`` and ``n_iter_no_change=1000`` switch both off here,
# and the :class:`~sklearn.exceptions.ConvergenceWarning` that the 1 000th
# epoch raises is expected.

tutorial = dict(
    n_components=2,
    hidden_layer_sizes=(2,),
    activation="relu",
    output_activation="logistic",
    loss="squared_error",
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.0,
    batch_size=32,
    max_iter=1000,
    n_iter_no_change=1000,
    early_stopping=False,
)


def train(params, seed):
    """Fit an autoencoder with ``params`` for all its epochs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        return AutoencoderTransformer(**params, random_state=seed).fit(X)


ae = train(tutorial, seed=0)
print(f"epochs run: {ae.n_iter_}")
print(f"final training loss (loss_): {ae.loss_:.4f}")
print(f"reconstruction MSE (-score): {-ae.score(X):.4f}")
print("layer shapes:", [coef.shape for coef in ae.coefs_])

# %%
# ``loss_`` is the training loss of the last epoch: the mean squared error in
# squared units of X, like ``-score``, plus the L2 penalty (see :ref:`loss` in
# the user guide).
#
# Four variants, five seeds each
# ------------------------------
# A layer of two ReLU units is fragile: a unit whose input is negative for
# every point outputs 0, gets no gradient and never recovers. In the encoder
# that costs nothing, since PCA's linear path still carries both dimensions of
# the code; in the decoder, the reconstruction then carries one dimension
# instead of two. Training from five different random initialisations shows
# how often that happens, for the tutorial's recipe, for the same network
# trained with Adam, and for the 2-2-2 network whose code is linear
# (``hidden_layer_sizes=()``: input, code, output, nothing else).

variants = {
    "ReLU layers, SGD (the tutorial)": tutorial,
    "ReLU layers, Adam": {**tutorial, "solver": "adam", "learning_rate_init": 0.01},
    "linear code, SGD": {**tutorial, "hidden_layer_sizes": ()},
    "linear code, Adam": {
        **tutorial,
        "hidden_layer_sizes": (),
        "solver": "adam",
        "learning_rate_init": 0.01,
    },
}
seeds = range(5)
models = {
    name: [train(params, seed) for seed in seeds] for name, params in variants.items()
}

print(f"{'':32}  reconstruction MSE for seeds 0..4")
for name, fitted in models.items():
    errors = "  ".join(f"{-model.score(X):.4f}" for model in fitted)
    print(f"{name:32}  {errors}")

lost = {
    name: int(sum(-model.score(X) > baseline / 4 for model in fitted))
    for name, fitted in models.items()
}
print("seeds that lost a dimension (MSE above a quarter of the baseline):")
for name, count in lost.items():
    print(f"  {name:32}  {count} of {len(seeds)}")

# %%
# With two ReLU units, some seeds end near half the baseline: a decoder unit
# died and one of the two dimensions is lost, whichever optimizer is used. The
# linear code has no unit to lose and reconstructs the square almost exactly
# from every seed; what is left is the logistic output, which can only
# approach the edges of the data's range. Adam mostly changes how fast the
# loss falls: the loss curves below are the seed-0 runs.

fig, axes = plt.subplots(1, 2, figsize=(9, 5), layout="constrained")
for name, fitted in models.items():
    axes[0].plot(fitted[0].loss_curve_, label=name)
axes[0].axhline(baseline, color="gray", linestyle=":", label="predicting the mean")
axes[0].set_yscale("log")
axes[0].set_xlabel("epoch")
axes[0].set_ylabel("training loss (loss_curve_)")
axes[0].set_title("loss curves, seed 0")
axes[0].legend(loc="center right")

# The reconstructions of the worst tutorial seed, against the linear code's.
worst = min(models["ReLU layers, SGD (the tutorial)"], key=lambda m: m.score(X))
best = models["linear code, Adam"][0]
axes[1].scatter(*X.T, s=12, color="lightgray", label="data")
for model, label, marker in [
    (worst, "ReLU layers, SGD", "x"),
    (best, "linear code, Adam", "+"),
]:
    X_hat = model.inverse_transform(model.transform(X))
    axes[1].scatter(
        *X_hat.T, s=16, marker=marker, label=f"{label}: MSE {-model.score(X):.4f}"
    )
axes[1].set_aspect("equal")
axes[1].set_title("reconstructions")
axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.08))
plt.show()

# %%
# What to take from this
# ----------------------
# - The tutorial's recipe is one call: ``AutoencoderTransformer(**tutorial)``.
# - On its default settings (Adam, ``learning_rate_init=0.003``,
#   ``early_stopping="auto"``) skae chooses the number of epochs on held-out
#   rows itself, without an epoch count to guess.
# - A linear code keeps every dimension it is given; non-linear layers belong
#   around it, and they need more than two units to be reliable. The
#   :ref:`sphx_glr_auto_examples_plot_pca_vs_autoencoder.py` example shows what
#   they add on real data.
