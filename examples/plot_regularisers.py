"""
=========================================================
Sparse codes, tied weights and a contractive encoder
=========================================================

Besides ``alpha`` (L2 on the weights) and denoising (``noise``, see the
denoising example), :class:`skae.AutoencoderTransformer` has three classic
regularisers, each one parameter away:

- ``sparsity``: an L1 penalty on the codes, which pushes each code towards
  zero where the digit does not need it;
- ``tied_weights=True``: the decoder's weights are the encoder's transposed,
  about half the parameters;
- ``contractive``: a penalty on the Jacobian of the codes with respect to the
  input, which makes the codes insensitive to small moves of the digit.

This example trains each on the raw digits (30 % held out, 8 components) and
compares their held-out error, their codes and their sensitivity with the
unregularised model's. ``python benchmarks/regularisers.py`` measures the same
and chooses the levels by grid search.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Four models, one parameter apart
# --------------------------------
# Every model has the default network and training settings but for
# ``max_iter=100`` and ``early_stopping=False``, which keep this example short
# and the training equal: each trains for 100 epochs on all rows, short of
# where it would stop on its own (``python
# benchmarks/regularisers.py`` trains them to the end). Only the regulariser
# differs. The levels are in the units of the reconstruction error, so they
# mean the same on data of any scale.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)

variants = {
    "unregularised": {},
    "sparsity=0.03": {"sparsity": 0.03},
    "tied_weights=True": {"tied_weights": True},
    "contractive=0.01": {"contractive": 0.01},
}
models = {}
with warnings.catch_warnings():
    # Stopped at max_iter on purpose: no need to warn that it has not converged.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, params in variants.items():
        models[name] = AutoencoderTransformer(
            n_components=8,
            max_iter=100,
            early_stopping=False,
            random_state=0,
            **params,
        ).fit(X_train)
pca = PCA(n_components=8).fit(X_train)


def held_out_mse(model):
    """Mean squared reconstruction error on the held-out digits, in pixel units."""
    return np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2)


def near_zero_share(model):
    """Share of held-out codes within 1 % of their scale of zero."""
    scale = np.sqrt(model.explained_variance_)
    return np.mean(np.abs(model.transform(X_test)) < 0.01 * scale)


def sensitivity(model, h=1e-3):
    """Mean squared Frobenius norm of the codes' Jacobian, by central differences."""
    total = 0.0
    for pixel in range(X_test.shape[1]):
        step = np.zeros(X_test.shape[1])
        step[pixel] = h
        moved = model.transform(X_test + step) - model.transform(X_test - step)
        total += np.sum(moved**2)
    return total / (2 * h) ** 2 / X_test.shape[0]


def n_parameters(model):
    """Weights and biases that training adjusts (a tied decoder's are not its own)."""
    n = len(model.coefs_) // 2
    weights = model.coefs_[:n] if model.tied_weights else model.coefs_
    return sum(a.size for a in (*weights, *model.intercepts_))


pca_mse = held_out_mse(pca)
print(
    f"{'':20} {'held-out MSE':>12} {'/ PCA':>6} {'codes near 0':>12} "
    f"{'Jacobian':>9} {'parameters':>10} {'epochs':>6}"
)
print(
    f"{'PCA':20} {pca_mse:12.2f} {1:6.2f} {near_zero_share(pca):12.1%} "
    f"{sensitivity(pca):9.2f} {pca.components_.size:10d} {'-':>6}"
)
for name, model in models.items():
    error = held_out_mse(model)
    print(
        f"{name:20} {error:12.2f} {error / pca_mse:6.2f} "
        f"{near_zero_share(model):12.1%} {sensitivity(model):9.2f} "
        f"{n_parameters(model):10d} {model.n_iter_:6d}"
    )

# %%
# Every variant stays well below PCA's error. PCA's codes have a Jacobian of
# squared norm ``n_components`` (its components are orthonormal); the
# unregularised network's codes are several times more sensitive to the
# pixels. The contractive penalty brings that sensitivity below PCA's at
# little cost in error. The sparse model's codes are near zero more often
# and much smaller overall (the histogram below), which makes them
# insensitive too, at a larger cost in error. The tied model trains about
# half the parameters, also at some cost in error.
#
# What the codes look like
# ------------------------
# The distribution of the first two codes of the held-out digits, in units of
# each code's scale. The L1 penalty piles the codes up at zero.

fig, axes = plt.subplots(1, 2, figsize=(7, 2.8), layout="constrained", sharey=True)
for ax, name in zip(axes, ["unregularised", "sparsity=0.03"], strict=True):
    model = models[name]
    Z = model.transform(X_test)[:, :2] / np.sqrt(model.explained_variance_[:2])
    ax.hist(Z.ravel(), bins=np.linspace(-3, 3, 61), color="tab:blue")
    ax.set_title(name)
    ax.set_xlabel("code / code scale")
axes[0].set_ylabel("held-out codes")
plt.show()

# %%
# The codes of a sparse autoencoder are not the principal components any
# more: the penalty trades some reconstruction error for smaller codes.
# Trained by gradient steps, an L1 penalty brings codes close to zero, but
# rarely to exactly zero, so the share within 1 % of their scale stays small
# while the whole distribution narrows.
