"""
=========================================
Denoising digits by encoding and decoding
=========================================

A model that has learnt what digits look like can clean up a noisy one: encode
it, and decode the code. The code is too narrow to carry all the noise, so the
reconstruction keeps mostly the digit. With
:class:`skae.AutoencoderTransformer` this is
``ae.inverse_transform(ae.transform(X_noisy))``, the same call as with
:class:`~sklearn.decomposition.PCA`.

A *denoising autoencoder* (Vincent et al., 2008) goes further: it is trained
to map corrupted digits to the clean ones. With ``noise="gaussian"`` (or
``"masking"``) ``fit`` corrupts every training minibatch afresh and keeps the
clean batch as the target. This example trains PCA, a plain autoencoder and a
denoising one on clean digits, and cleans noisy held-out digits with each.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Noisy held-out digits
# ---------------------
# Both models are trained on the clean training digits. The held-out digits
# get Gaussian noise of standard deviation 2 on pixel values 0..16; the mean
# squared error of the noisy digits to the clean ones, printed below, is what
# cleaning has to beat.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
rng = np.random.RandomState(0)
X_test_noisy = X_test + rng.normal(scale=2.0, size=X_test.shape)


def mse(A, B):
    """Mean squared error between two sets of images, in squared pixel units."""
    return np.mean((A - B) ** 2)


def reconstruct(model, X):
    """Encode then decode X, in pixel units."""
    return model.inverse_transform(model.transform(X))


noisy_mse = mse(X_test_noisy, X_test)
print(f"noisy vs. clean held-out digits: MSE {noisy_mse:.2f}")

# %%
# Three models, trained on clean digits
# -------------------------------------
# All three have codes of 16 numbers. The denoising autoencoder adds Gaussian
# noise of half each pixel's standard deviation (``noise_level=0.5``) to its
# training batches. Each model reconstructs the held-out digits from clean
# input and from noisy input, and each reconstruction is compared with the
# *clean* digit.

n_components = 16
models = {
    "PCA": PCA(n_components=n_components).fit(X_train),
    "autoencoder": AutoencoderTransformer(
        n_components=n_components, random_state=0
    ).fit(X_train),
    "denoising autoencoder": AutoencoderTransformer(
        n_components=n_components, noise="gaussian", noise_level=0.5, random_state=0
    ).fit(X_train),
}
errors = {}
print("MSE of the reconstructions to the clean held-out digits")
print(f"{'':22}  {'from clean digits':>17}  {'from noisy digits':>17}  {'/ PCA':>5}")
for name, model in models.items():
    errors[name] = mse(reconstruct(model, X_test_noisy), X_test)
    ratio = errors[name] / errors["PCA"]
    print(
        f"{name:22}  {mse(reconstruct(model, X_test), X_test):17.2f}  "
        f"{errors[name]:17.2f}  {ratio:5.2f}"
    )

# %%
# The error of a reconstruction from a noisy digit has two parts: what the
# model fails to reconstruct even from the clean digit, and the noise that
# passes through the code. PCA projects onto 16 of the 64 pixel dimensions,
# so it keeps a quarter of the noise, and at this width its reconstructions
# of the noisy digits are hardly closer to the clean digits than the noisy
# digits themselves. The plain autoencoder reconstructs the digits themselves
# much better, and so ends up closer. The denoising autoencoder has learnt to
# undo noise: its reconstructions from noisy digits are the closest of the
# three, and the noise in training also kept it from overfitting, so its
# error on clean digits stays close to the plain autoencoder's.
#
# The digits
# ----------
# Ten held-out digits: clean, noisy, and reconstructed from the noisy digits
# by each model.

rows = {
    "clean": X_test[:10],
    f"noisy\n(MSE {noisy_mse:.2f})": X_test_noisy[:10],
}
for name, model in models.items():
    rows[f"{name}\n(MSE {errors[name]:.2f})"] = reconstruct(model, X_test_noisy[:10])

fig, axes = plt.subplots(5, 10, figsize=(9, 5.4), layout="constrained")
for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row_axes, images, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
fig.suptitle("Held-out digits with noise of standard deviation 2, cleaned")
plt.show()

# %%
# When the training digits are noisy too, a network as large as the default
# one can learn their noise; ``early_stopping=True`` keeps the weights that
# reconstruct held-out training digits best and stops before that.
# ``python benchmarks/regularisers.py`` measures denoising with masking noise
# as well, and ``noise_level`` can be tuned by ``GridSearchCV`` like any other
# parameter.
