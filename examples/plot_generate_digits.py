"""
====================================
Generating digits from sampled codes
====================================

The decoder turns any code into a sample, not only the codes of real data. Fit
a density to the codes of the training digits, draw new codes from it, and
:meth:`skae.AutoencoderTransformer.inverse_transform` turns them into new
digits. The same recipe works with :class:`~sklearn.decomposition.PCA`, whose
decoder is linear; this example compares the two.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Codes and their distribution
# ----------------------------
# Both models compress the training digits into codes of 4 numbers. A mixture
# of 10 Gaussians, fitted to those codes, is their distribution; new codes are
# drawn from it.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.svm import SVC

from skae import AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

models = {
    "autoencoder": AutoencoderTransformer(n_components=4, random_state=0).fit(X_train),
    "PCA": PCA(n_components=4).fit(X_train),
}
generated = {}
for name, model in models.items():
    codes = model.transform(X_train)
    density = GaussianMixture(n_components=10, random_state=0).fit(codes)
    new_codes, _ = density.sample(500)
    # Decoded pixels can leave the data's range a little; clip to 0..16.
    generated[name] = np.clip(model.inverse_transform(new_codes), 0, 16)

# %%
# The generated digits
# --------------------
# 40 of each model's 500 samples, in random order (the mixture returns them
# grouped by its component).

rng = np.random.RandomState(0)
fig = plt.figure(figsize=(12, 2.8), layout="constrained")
for subfig, name in zip(fig.subfigures(1, 2, wspace=0.05), models, strict=True):
    shown = generated[name][rng.permutation(500)[:40]]
    for ax, image in zip(subfig.subplots(4, 10).ravel(), shown, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_axis_off()
    subfig.suptitle(
        f"decoded by {'the autoencoder' if name == 'autoencoder' else name}"
    )
plt.show()

# %%
# How digit-like are they?
# ------------------------
# A support vector classifier trained on the real training digits, with
# calibrated probabilities, serves as a judge: the more a sample looks like
# some digit, the more confident its prediction. Real held-out digits set the
# reference. The distance to the nearest training digit shows whether the
# samples are copies of training digits (distance near 0) or new.

judge = CalibratedClassifierCV(SVC(), ensemble=False).fit(X_train, y_train)
nearest = NearestNeighbors(n_neighbors=1).fit(X_train)
print(f"judge's held-out accuracy: {judge.score(X_test, y_test):.3f}")
print(f"{'':24}  mean confidence  confident (>0.9)  distance to nearest")
for name, samples in [("real held-out digits", X_test), *generated.items()]:
    confidence = judge.predict_proba(samples).max(axis=1)
    distance = nearest.kneighbors(samples)[0].mean()
    print(
        f"{name:24}  {confidence.mean():15.3f}  {(confidence > 0.9).mean():16.0%}  "
        f"{distance:19.1f}"
    )

# %%
# With a code of 4 numbers, the judge is confident about more of the
# autoencoder's samples than of PCA's, about as often as about real digits:
# four linear directions cannot reach the shapes of ten classes, so more of
# PCA's samples are blends. Neither model copies its training digits: a copy
# would be at distance 0, while the samples are about as far from their nearest
# training digit as real held-out digits are.
#
# The classes the judge sees in the samples show whether all ten digits are
# generated, in roughly equal numbers:

for name, samples in generated.items():
    counts = np.bincount(judge.predict(samples), minlength=10)
    print(f"{name:12} predicted digits 0..9: {counts}")
