"""
=========================================
Denoising digits by encoding and decoding
=========================================

A model that has learnt what digits look like can clean up a noisy one: encode
it, and decode the code. The code is too narrow to carry all the noise, so the
reconstruction keeps mostly the digit. With
:class:`skae.AutoencoderTransformer` this is
``ae.inverse_transform(ae.transform(X_noisy))``, the same call as with
:class:`~sklearn.decomposition.PCA`. This example compares the two on digits
with Gaussian noise, and shows one way to get it wrong.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Noisy digits
# ------------
# Noise of standard deviation 4 on pixel values 0..16, on the training digits
# and on the held-out ones alike: as in practice, the models never see a clean
# digit. The noisy held-out digits are off from the clean ones by a mean
# squared error of about 16.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)
rng = np.random.RandomState(0)
X_train_noisy = X_train + rng.normal(scale=4.0, size=X_train.shape)
X_test_noisy = X_test + rng.normal(scale=4.0, size=X_test.shape)


def mse(A, B):
    """Mean squared error between two sets of images, in squared pixel units."""
    return np.mean((A - B) ** 2)


print(f"noisy vs. clean held-out digits: MSE {mse(X_test_noisy, X_test):.2f}")

# %%
# Encode, decode, compare with the clean digits
# ---------------------------------------------
# The code width sets how much is kept: too narrow loses parts of the digits,
# too wide lets noise through. Both models are tried at three widths.
#
# A network as large as the default one (256 hidden units) can learn the noise
# of its training digits, not only the digits: trained until its training loss
# stops improving, it reconstructs noisy training digits well and cleans new
# ones badly. ``early_stopping=True`` holds out 10 % of the training digits and
# keeps the weights that reconstructed *those* best, which stops training
# before the network starts learning the noise.

widths = [8, 16, 32]
denoised, errors = {}, {}
for n_components in widths:
    models = {
        "PCA": PCA(n_components=n_components),
        "autoencoder": AutoencoderTransformer(
            n_components=n_components, early_stopping=True, random_state=0
        ),
    }
    for name, model in models.items():
        model.fit(X_train_noisy)
        X_hat = model.inverse_transform(model.transform(X_test_noisy))
        denoised[name, n_components] = X_hat
        errors[name, n_components] = mse(X_hat, X_test)

print("MSE of the cleaned held-out digits to the clean ones")
print(f"{'n_components':>12}  {'PCA':>6}  {'autoencoder':>11}")
for n_components in widths:
    print(
        f"{n_components:>12}  {errors['PCA', n_components]:6.2f}  "
        f"{errors['autoencoder', n_components]:11.2f}"
    )

# %%
# Both models remove about half of the noise. Unlike for reconstruction of clean
# digits, where the autoencoder is well ahead (see
# :ref:`sphx_glr_auto_examples_plot_pca_vs_autoencoder.py`), here the two are
# close: the autoencoder does better with a narrow code, PCA with a wider one.
# Noise of this size hides much of the fine structure that the autoencoder's
# non-linearity could add.
#
# The digits
# ----------
# Ten held-out digits: clean, noisy, and cleaned by each model at its best
# width.

best = {
    name: min(widths, key=lambda n, name=name: errors[name, n])
    for name in ("PCA", "autoencoder")
}
rows = {
    "clean": X_test[:10],
    f"noisy\n(MSE {mse(X_test_noisy, X_test):.1f})": X_test_noisy[:10],
}
for name, n_components in best.items():
    label = f"{name}, {n_components}\n(MSE {errors[name, n_components]:.1f})"
    rows[label] = denoised[name, n_components][:10]

fig, axes = plt.subplots(4, 10, figsize=(10, 4.6), layout="constrained")
for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row_axes, images, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle("Denoising held-out digits (noise of standard deviation 4)")
plt.show()

# %%
# Train on data like the data to clean
# ------------------------------------
# A model trained on *clean* digits has never seen a noisy pixel. PCA projects
# the noisy digit onto its subspace anyway. The autoencoder fares much worse:
# it standardises each pixel by its training standard deviation, and pixels at
# the edge of the image that were almost always 0 in training receive noise up
# to a hundred times their training spread; the network, never trained on such
# input, maps it far off.

n_components = 16
clean_trained = {
    "PCA": PCA(n_components=n_components).fit(X_train),
    "autoencoder": AutoencoderTransformer(
        n_components=n_components, random_state=0
    ).fit(X_train),
}
smallest_std = np.sort(X_train.std(axis=0))
print(
    "smallest training standard deviations of non-constant pixels:",
    np.round(smallest_std[smallest_std > 0][:4], 3),
)
for name, model in clean_trained.items():
    X_hat = model.inverse_transform(model.transform(X_test_noisy))
    print(f"trained on clean digits, {name}: MSE {mse(X_hat, X_test):.1f}")

# %%
# Unlike a *denoising autoencoder*, trained to map corrupted inputs to clean
# targets, the models here were only trained to reconstruct their input;
# skae's ``fit`` always reconstructs its input. Denoising works because the
# learnt code has little room for what the digits do not share.
