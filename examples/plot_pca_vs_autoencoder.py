"""
=====================================
PCA vs. autoencoder on raw digits
=====================================

:class:`~sklearn.decomposition.PCA` finds the best *linear* subspace for
reconstruction; :class:`skae.AutoencoderTransformer` learns a non-linear encoder
and decoder with the same API. This example fits both on the raw 8x8 digits
(pixel values 0..16, no scaler), compares their reconstruction error on held-out
digits for several code widths, and plots the 2-d codes of each, coloured by
digit class (the labels are used only for colour, never for training).
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Load the data
# -------------
# The autoencoder standardises its input internally, so the raw pixel values are
# passed as they are; both models see the same 70 % of the digits.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

# %%
# Reconstruction error against the code width
# -------------------------------------------
# For each ``n_components``, both models encode the held-out digits, decode the
# codes and are scored by the mean squared error in pixel units. The
# autoencoder's ``score`` is exactly this error, negated, while PCA's ``score``
# is a log-likelihood, so the error is computed explicitly for both.

n_components_list = [1, 2, 4, 8, 16]


def reconstruction_mse(model, X):
    """Mean squared error of ``inverse_transform(transform(X))``."""
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


mse = {"PCA": [], "autoencoder": []}
autoencoders = {}
for n_components in n_components_list:
    pca = PCA(n_components=n_components).fit(X_train)
    ae = AutoencoderTransformer(n_components=n_components, random_state=0).fit(X_train)
    autoencoders[n_components] = ae
    mse["PCA"].append(reconstruction_mse(pca, X_test))
    mse["autoencoder"].append(reconstruction_mse(ae, X_test))

fig, ax = plt.subplots(figsize=(5, 3.5))
for name, marker in [("PCA", "s"), ("autoencoder", "o")]:
    ax.plot(n_components_list, mse[name], marker=marker, label=name)
ax.set_xscale("log", base=2)
ax.set_xticks(n_components_list, labels=[str(n) for n in n_components_list])
ax.set_xlabel("n_components")
ax.set_ylabel("held-out reconstruction MSE")
ax.set_title("Raw digits, 30 % held out")
ax.legend()
fig.tight_layout()

# %%
# The ratio of the two errors says how much the non-linear encoder gains over
# the best linear subspace of the same width (below 1, the autoencoder
# reconstructs better). PCA's error depends only on the number of components,
# while the autoencoder's also depends on its training: ``n_iter_`` and
# ``loss_curve_`` show how long each fit trained and whether its loss was still
# falling when it stopped.

for n_components, mse_pca, mse_ae in zip(
    n_components_list, mse["PCA"], mse["autoencoder"], strict=True
):
    print(
        f"n_components={n_components:>2}  PCA {mse_pca:6.3f}  "
        f"autoencoder {mse_ae:6.3f}  ratio {mse_ae / mse_pca:.2f}"
    )

# %%
# Two-dimensional codes
# ---------------------
# With ``n_components=2`` the codes can be drawn directly. ``transform`` plays
# the same role for both models; the autoencoder's codes have no preferred
# orientation or scale, so only the arrangement of the classes is comparable.

pca_2d = PCA(n_components=2).fit(X_train)
codes = {
    "PCA": pca_2d.transform(X_test),
    "autoencoder": autoencoders[2].transform(X_test),
}

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (name, Z) in zip(axes, codes.items(), strict=True):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=8)
    ax.set_title(f"{name} codes of held-out digits")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()
