"""
===============================================
Anomaly detection with the reconstruction error
===============================================

A model trained to reconstruct normal data reconstructs unusual data badly.
:meth:`skae.AutoencoderTransformer.score_samples` returns minus each sample's
mean squared reconstruction error, so low scores flag anomalies. Here the
autoencoder is trained on the digits of nine classes and asked to flag the
tenth, never seen in training, among held-out digits of all ten; its ROC AUC is
compared with PCA's, scored both by reconstruction error and by PCA's own
:meth:`~sklearn.decomposition.PCA.score_samples` (a Gaussian log-likelihood).
:class:`~skae.AutoencoderOutlierDetector` then sets a threshold, and
:meth:`~skae.AutoencoderTransformer.reconstruction_errors` shows which pixels
of the anomalies are anomalous.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Leave one class out
# -------------------
# For each digit class in turn, both models are fitted on the training digits
# of the other nine classes (8 components each). The held-out digits are then
# scored; those of the left-out class are the anomalies (about one in ten).
# ``tol=1e-3`` stops each autoencoder fit earlier than the default, to keep the
# ten fits short.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split

from skae import AutoencoderOutlierDetector, AutoencoderTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)


def pca_reconstruction_score(pca, X):
    """Minus the per-sample mean squared reconstruction error of PCA."""
    return -np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2, axis=1)


scorers = {
    "autoencoder": lambda ae, pca, X: ae.score_samples(X),
    "PCA, reconstruction error": lambda ae, pca, X: pca_reconstruction_score(pca, X),
    "PCA, log-likelihood": lambda ae, pca, X: pca.score_samples(X),
}
auc = {name: [] for name in scorers}
scores, autoencoders = {}, {}
for digit in range(10):
    inliers = X_train[y_train != digit]
    ae = AutoencoderTransformer(n_components=8, tol=1e-3, random_state=0).fit(inliers)
    pca = PCA(n_components=8).fit(inliers)
    autoencoders[digit] = ae
    is_anomaly = y_test == digit
    for name, scorer in scorers.items():
        score = scorer(ae, pca, X_test)
        # roc_auc_score wants higher values for the positive class, the anomalies.
        auc[name].append(roc_auc_score(is_anomaly, -score))
        scores[name, digit] = score

print("ROC AUC of flagging the left-out digit")
print(f"{'left out':>8}" + "".join(f"{name:>28}" for name in scorers))
for digit in range(10):
    print(f"{digit:>8}" + "".join(f"{auc[name][digit]:>28.3f}" for name in scorers))
print(f"{'mean':>8}" + "".join(f"{np.mean(auc[name]):>28.3f}" for name in scorers))

# %%
# The autoencoder separates the unseen class better for every digit left out.
# PCA's two scores give similar AUCs: under probabilistic PCA, the
# log-likelihood is dominated by the reconstruction error divided by the
# variance of the discarded components.

fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
width = 0.27
for offset, name in zip((-width, 0, width), scorers, strict=True):
    ax.bar(np.arange(10) + offset, auc[name], width, label=name)
ax.set_xticks(range(10))
ax.set_xlabel("digit left out of training (the anomaly)")
ax.set_ylabel("ROC AUC")
ax.set_ylim(0.5, 1)
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=8)
plt.show()

# %%
# One case in detail
# ------------------
# With the digit 3 left out: the distribution of the scores of normal and
# anomalous held-out digits, and the ROC curves.

digit = 3
is_anomaly = y_test == digit
fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4), layout="constrained")
for ax, name in zip(axes, ["autoencoder", "PCA, reconstruction error"], strict=True):
    error = -scores[name, digit]
    bins = np.linspace(0, np.percentile(error, 99), 40)
    ax.hist(
        error[~is_anomaly], bins=bins, alpha=0.6, density=True, label="other digits"
    )
    ax.hist(error[is_anomaly], bins=bins, alpha=0.6, density=True, label=f"{digit}s")
    ax.set_xlabel("reconstruction MSE (-score_samples)")
    ax.set_title(name)
    ax.legend()
plt.show()

# %%
# The ROC curves of the three scores for the same digit.

fig, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
for name in scorers:
    RocCurveDisplay.from_predictions(
        is_anomaly, -scores[name, digit], name=name, ax=ax, plot_chance_level=False
    )
ax.set_title(f"ROC, digit {digit} left out")
plt.show()

# %%
# Choosing a threshold
# --------------------
# In practice there is no labelled anomaly to compute an AUC: a threshold is
# set from normal data alone. :class:`~skae.AutoencoderOutlierDetector` does
# it, with scikit-learn's outlier-detector interface: with
# ``contamination=0.05``, ``predict`` flags (-1) the digits scoring below
# ``offset_``, the score that 5 % of its training digits fall below. Taking it
# from the training digits themselves is a trap, though: the network
# reconstructs the digits it was trained on better than new ones, so the
# threshold ends up too strict.

detector = AutoencoderOutlierDetector(
    n_components=8, contamination=0.05, random_state=0
)
flagged = detector.fit(X_train[y_train != digit]).predict(X_test) == -1
print(
    "threshold from the training digits: "
    f"{flagged[~is_anomaly].mean():.1%} of held-out normal digits flagged"
)

# %%
# Setting aside a share of the normal training digits, never used by ``fit``,
# and setting ``offset_`` to the score 5 % of them fall below gives a
# threshold that holds on new data.

X_fit, X_calibration = train_test_split(
    X_train[y_train != digit], test_size=0.2, random_state=0
)
detector.fit(X_fit)
detector.offset_ = np.percentile(detector.score_samples(X_calibration), 5)
flagged = detector.predict(X_test) == -1
print(f"threshold from set-aside digits: score_samples < {detector.offset_:.2f}")
print(f"  held-out normal digits flagged: {flagged[~is_anomaly].mean():.1%}")
print(f"  held-out {digit}s flagged:          {flagged[is_anomaly].mean():.1%}")
ae = detector.autoencoder_  # the fitted AutoencoderTransformer

# %%
# Which pixels are anomalous
# --------------------------
# ``score_samples`` says which digits are anomalous;
# :meth:`~skae.AutoencoderTransformer.reconstruction_errors` says where, with
# the squared error of each pixel (its row means are ``-score_samples``).
# For the four held-out 3s that score lowest, the model that never saw a 3
# reconstructs the closest shape it knows, and the error maps mark the strokes
# it could not reproduce.

threes = X_test[is_anomaly]
lowest = threes[np.argsort(ae.score_samples(threes))[:4]]
rows = {
    "digit": lowest,
    "reconstruction": ae.inverse_transform(ae.transform(lowest)),
    "squared error": ae.reconstruction_errors(lowest),
}
fig, axes = plt.subplots(3, 4, figsize=(6, 4.8), layout="constrained")
for axes_row, (label, images) in zip(axes, rows.items(), strict=True):
    error = label == "squared error"
    for ax, image in zip(axes_row, images, strict=True):
        ax.imshow(
            image.reshape(8, 8),
            cmap="Reds" if error else "gray_r",
            vmin=0,
            vmax=rows["squared error"].max() if error else 16,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    axes_row[0].set_ylabel(label)
plt.show()

# %%
# Averaged over the held-out digits, the error of each pixel shows where the
# 3s depart from everything the model learnt: the other digits' errors are
# small and spread over the strokes, the 3s' concentrate on a few pixels,
# where the strokes of a 3 differ from those of every digit in training.

errors = ae.reconstruction_errors(X_test)
maps = {
    "other digits": errors[~is_anomaly].mean(axis=0),
    f"{digit}s": errors[is_anomaly].mean(axis=0),
}
fig, axes = plt.subplots(1, 2, figsize=(6, 3.2), layout="constrained")
for ax, (title, mean_error) in zip(axes, maps.items(), strict=True):
    image = ax.imshow(
        mean_error.reshape(8, 8),
        cmap="Reds",
        vmin=0,
        vmax=max(m.max() for m in maps.values()),
    )
    ax.set_title(f"mean squared error, {title}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()
