"""
=========================================
Denoising digits by encoding and decoding
=========================================

A model that has learnt what digits look like can clean up a noisy one: encode
it, and decode the code. The code is too narrow to carry all the noise, so the
reconstruction keeps mostly the digit. With
:class:`skae.AutoencoderTransformer` this is
``ae.inverse_transform(ae.transform(X_noisy))``, the same call as with
:class:`~sklearn.decomposition.PCA`. This example trains both on clean digits,
cleans noisy held-out digits with each at the same code widths, and then shows
what changes when the training digits are noisy too.
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
# Encode, decode, compare with the clean digits
# ---------------------------------------------
# For each code width, both models reconstruct the held-out digits from clean
# input and from noisy input, and each reconstruction is compared with the
# *clean* digit. The ratio is the autoencoder's error over PCA's on the noisy
# digits (below 1, the autoencoder's reconstructions are closer to the clean
# digits).

widths = [2, 8, 16, 32]
models, errors = {}, {}
for n_components in widths:
    models["PCA", n_components] = PCA(n_components=n_components).fit(X_train)
    models["autoencoder", n_components] = AutoencoderTransformer(
        n_components=n_components, random_state=0
    ).fit(X_train)
    for name in ("PCA", "autoencoder"):
        model = models[name, n_components]
        errors[name, n_components, "clean"] = mse(reconstruct(model, X_test), X_test)
        errors[name, n_components, "noisy"] = mse(
            reconstruct(model, X_test_noisy), X_test
        )

print("MSE of the reconstructions to the clean held-out digits")
print(f"{'':12}  {'from clean digits':>19}  {'from noisy digits':>19}")
print(
    f"{'n_components':>12}  {'PCA':>6}  {'autoencoder':>11}  {'PCA':>6}  "
    f"{'autoencoder':>11}  {'ratio':>5}"
)
for n_components in widths:
    line = f"{n_components:>12}"
    for source in ("clean", "noisy"):
        line += f"  {errors['PCA', n_components, source]:6.2f}"
        line += f"  {errors['autoencoder', n_components, source]:11.2f}"
    ratio = (
        errors["autoencoder", n_components, "noisy"]
        / errors["PCA", n_components, "noisy"]
    )
    print(f"{line}  {ratio:5.2f}")

# %%
# The error of a reconstruction from a noisy digit has two parts: what the
# model fails to reconstruct even from the clean digit, and the noise that
# passes through the code. PCA projects onto a subspace of ``n_components`` of
# the 64 pixel dimensions, so it keeps that share of the noise, and its error
# grows in proportion to the width. The autoencoder lets somewhat more noise
# through at every width, but it reconstructs the digits themselves so much
# better that its reconstructions of the noisy digits are the closer ones to
# the clean digits, by a wide margin at narrow codes. At the widest code both
# models reconstruct clean digits almost exactly, what is left is mostly the
# noise that gets through, and the two are level.
#
# The width sets the trade: a narrow code loses more of the digit than it
# removes noise, and the reconstructions end up further from the clean digits
# than the noisy digits themselves; a wide code keeps the digit and more of
# the noise. Only the widths whose error is below the noisy digits' actually
# clean them.
#
# The digits
# ----------
# Ten held-out digits: clean, noisy, and reconstructed from the noisy digits by
# each model with codes of 16 numbers.

n_shown = 16
rows = {
    "clean": X_test[:10],
    f"noisy\n(MSE {noisy_mse:.2f})": X_test_noisy[:10],
}
for name in ("autoencoder", "PCA"):
    label = f"{name}, {n_shown}\n(MSE {errors[name, n_shown, 'noisy']:.2f})"
    rows[label] = reconstruct(models[name, n_shown], X_test_noisy[:10])

fig, axes = plt.subplots(4, 10, figsize=(10, 4.6), layout="constrained")
for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row_axes, images, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle(
    "Held-out digits with noise of standard deviation 2, cleaned by models "
    "trained on clean digits"
)
plt.show()

# %%
# Training on noisy digits
# ------------------------
# Clean digits to train on are not always at hand. Trained on noisy training
# digits (the same noise), PCA hardly changes: the noise adds the same
# variance in every direction, so the leading axes stay where they were.
#
# A network as large as the default one (two hidden layers of 128 units) can
# learn the noise of its training digits, not only the digits: trained until
# its training loss stops improving, it reconstructs its own noisy training
# digits much better than new ones, and cleans new digits worse than PCA.
# ``early_stopping=True`` holds out 10 % of the training digits and keeps the
# weights that reconstructed *those* best, which stops training before the
# network starts learning the noise.

X_train_noisy = X_train + rng.normal(scale=2.0, size=X_train.shape)
n_components = 16
noisy_trained = {
    "PCA": PCA(n_components=n_components).fit(X_train_noisy),
    "autoencoder": AutoencoderTransformer(
        n_components=n_components, random_state=0
    ).fit(X_train_noisy),
    "autoencoder, early_stopping=True": AutoencoderTransformer(
        n_components=n_components, early_stopping=True, random_state=0
    ).fit(X_train_noisy),
}
hidden = noisy_trained["autoencoder"].hidden_layer_sizes
print(
    f"n_components={n_components}, hidden_layer_sizes={hidden}, trained on noisy digits"
)
print(
    f"{'':35}  {'epochs':>6}  {'noisy training':>14}  {'noisy held-out':>14}  "
    f"{'cleaned held-out':>16}"
)
for name, model in noisy_trained.items():
    epochs = model.n_iter_ if name != "PCA" else "-"
    print(
        f"{name:35}  {epochs:>6}  "
        f"{mse(reconstruct(model, X_train_noisy), X_train_noisy):14.2f}  "
        f"{mse(reconstruct(model, X_test_noisy), X_test_noisy):14.2f}  "
        f"{mse(reconstruct(model, X_test_noisy), X_test):16.2f}"
    )
print(
    f"{'autoencoder trained on clean digits':35}  "
    f"{models['autoencoder', n_components].n_iter_:>6}  {'':14}  {'':14}  "
    f"{errors['autoencoder', n_components, 'noisy']:16.2f}"
)

# %%
# The first two error columns compare each reconstruction with its own noisy
# input, the last with the clean held-out digit. The autoencoder trained to
# the end reconstructs its noisy training digits far better than noisy digits
# it has not seen: it has learnt noise that does not come back. Early
# stopping ends training after far fewer epochs and cleans new digits better
# than PCA, close to the model trained on clean digits.
#
# Unlike a *denoising autoencoder*, trained to map corrupted inputs to clean
# targets, the models here were only trained to reconstruct their input;
# skae's ``fit`` always reconstructs its input. Denoising works because the
# learnt code has little room for what the digits do not share.
