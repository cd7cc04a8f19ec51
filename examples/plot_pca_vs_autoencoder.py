"""
=====================================
PCA vs. autoencoder on raw digits
=====================================

:class:`~sklearn.decomposition.PCA` finds the best *linear* subspace for
reconstruction; :class:`skae.AutoencoderTransformer` starts from that PCA and
learns a non-linear correction to its encoder and decoder, with the same API.
This example fits both on the raw 8x8 digits
(pixel values 0..16, no scaler), compares their reconstruction error on held-out
digits for several code widths, shows held-out digits next to their
reconstructions, and plots the 2-d codes of each model, coloured by digit class
(the labels are used only for colour, never for training).
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load the data
# -------------
# Like PCA, the autoencoder minimises the squared reconstruction error in the
# units of its input, here pixel values, and needs no scaler to train: the raw
# pixel values are passed as they are, and both models see the same training
# digits (30 % of the digits are held out).

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
# Reconstruction error against the code width
# -------------------------------------------
# For each ``n_components``, both models encode the held-out digits, decode the
# codes and are scored by the mean squared error in pixel units. The
# autoencoder's ``score`` is exactly this error, negated, while PCA's ``score``
# is a log-likelihood, so the error is computed explicitly for both. A fit
# whose held-out error was still falling at ``max_iter`` epochs raises a
# :class:`~sklearn.exceptions.ConvergenceWarning`; it is recorded and shown in
# the table instead.

n_components_list = [1, 2, 4, 8, 16]


def reconstruction_mse(model, X):
    """Mean squared error of ``inverse_transform(transform(X))``."""
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


mse = {"PCA": [], "autoencoder": []}
models, capped = {}, {}
for n_components in n_components_list:
    pca = PCA(n_components=n_components).fit(X_train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        ae = AutoencoderTransformer(n_components=n_components, random_state=0)
        ae.fit(X_train)
    capped[n_components] = any(w.category is ConvergenceWarning for w in caught)
    models["PCA", n_components] = pca
    models["autoencoder", n_components] = ae
    mse["PCA"].append(reconstruction_mse(pca, X_test))
    mse["autoencoder"].append(reconstruction_mse(ae, X_test))

print("n_components  PCA     autoencoder  ratio  epochs")
for n_components, mse_pca, mse_ae in zip(
    n_components_list, mse["PCA"], mse["autoencoder"], strict=True
):
    ae = models["autoencoder", n_components]
    epochs = ae.n_iter_
    note = f"  (reached max_iter={ae.max_iter})" if capped[n_components] else ""
    print(
        f"{n_components:>12}  {mse_pca:6.3f}  {mse_ae:11.3f}  "
        f"{mse_ae / mse_pca:5.2f}  {epochs:>6}{note}"
    )

# %%
# The ratio says how much the non-linear correction gains over the best
# linear subspace of the same width (below 1, the autoencoder reconstructs
# better). Each autoencoder starts as the PCA of its training digits, whose
# ``mean_`` and ``components_`` it keeps as fitted attributes, and training
# lowers the error from there. PCA's error depends only on the number of
# components; the autoencoder's also depends on its training: ``n_iter_``
# shows how many epochs each fit chose to train, by cross-validation on its
# training digits (0 would mean that it kept PCA). A fit that reached
# ``max_iter`` can train longer with a larger ``max_iter``; its
# ``validation_scores_`` show whether the held-out error was still falling
# (see :ref:`early_stopping`).

pca, ae = models["PCA", 8], models["autoencoder", 8]
same_pca = np.allclose(ae.mean_, pca.mean_) and np.allclose(
    ae.components_, pca.components_
)
print(f"8 components: the autoencoder's mean_ and components_ are PCA's: {same_pca}")

# %%
# Original and reconstructed digits
# ---------------------------------
# The error curve, and the first ten held-out digits above their
# reconstructions from codes of 8 numbers: the gap in error is visible as
# sharper strokes.

n_shown = 8
rows = {"held-out digit": X_test[:10]}
for name in ("autoencoder", "PCA"):
    model = models[name, n_shown]
    X_hat = model.inverse_transform(model.transform(X_test[:10]))
    rows[f"{name}\n(MSE {reconstruction_mse(model, X_test):.2f})"] = X_hat

fig = plt.figure(figsize=(9.6, 3.3), layout="constrained")
curve_fig, images_fig = fig.subfigures(1, 2, width_ratios=[1, 2.2])
ax = curve_fig.subplots()
for name, marker in [("PCA", "s"), ("autoencoder", "o")]:
    ax.plot(n_components_list, mse[name], marker=marker, label=name)
ax.set_xscale("log", base=2)
ax.set_xticks(n_components_list, labels=[str(n) for n in n_components_list])
ax.set_xlabel("n_components")
ax.set_ylabel("held-out reconstruction MSE")
ax.legend()
axes = images_fig.subplots(3, 10)
for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row_axes, images, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
images_fig.suptitle(f"Reconstructions from {n_shown} components", fontsize=10)
fig.suptitle("skae's autoencoder vs. PCA on raw digits, 30 % held out")
plt.show()

# %%
# Two-dimensional codes
# ---------------------
# With ``n_components=2`` the codes can be drawn directly. ``transform`` plays
# the same role for both models, and the autoencoder's code is PCA's code plus
# a learnt correction, ``(X - mean_) @ components_.T + g(X)``. With two
# components PCA leaves much of the digits unexplained, and the correction
# grows larger than PCA's code itself (compare the axes' scales); the classes
# keep roughly PCA's layout, but spread apart.

codes = {
    "PCA": models["PCA", 2].transform(X_test),
    "autoencoder": models["autoencoder", 2].transform(X_test),
}

fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
for ax, (name, Z) in zip(axes, codes.items(), strict=True):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=8)
    ax.set_title(f"{name} codes of held-out digits")
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()

# %%
# How well the classes separate in two dimensions can be put in a number:
# the accuracy of a nearest-neighbour classifier on the held-out codes,
# trained on the training digits' codes (chance is one in ten).

for name in ("PCA", "autoencoder"):
    model = models[name, 2]
    knn = KNeighborsClassifier().fit(model.transform(X_train), y_train)
    print(f"{name:12} 2-d codes: 5-NN accuracy {knn.score(codes[name], y_test):.2f}")
