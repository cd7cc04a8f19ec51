"""
==========================================
Flagging outliers and explaining the flags
==========================================

:class:`~skae.AutoencoderOutlierDetector` trains an autoencoder on normal rows
and flags the rows it reconstructs badly, with the interface of scikit-learn's
outlier detectors: ``fit``, ``predict`` (+1 inlier, -1 outlier),
``decision_function`` (negative for outliers) and ``score_samples``. Code
written for :class:`~sklearn.ensemble.IsolationForest` runs with it unchanged.
On top, :meth:`~skae.AutoencoderOutlierDetector.reconstruction_errors` says
which features of a flagged row are abnormal.

The data are the breast cancer measurements of scikit-learn, thirty columns in
mixed units (areas in the hundreds, smoothness in hundredths), used raw: the
detector weighs each feature's error by its error on the training rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

# %%
# Normal rows to learn from
# -------------------------
# Half of the benign tumours train the detectors. The other half, with
# malignant tumours drawn to make a tenth of the rows, is the new data to
# screen, much as in ``benchmarks/outliers.py``.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor

from skae import AutoencoderOutlierDetector

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
random_state = np.random.RandomState(0)
benign = random_state.permutation(np.flatnonzero(y == 1))
train, new_benign = benign[: len(benign) // 2], benign[len(benign) // 2 :]
malignant = random_state.choice(np.flatnonzero(y == 0), len(new_benign) // 9, False)
X_train = X.iloc[train].to_numpy()
X_new = X.iloc[np.r_[new_benign, malignant]]
is_malignant = np.r_[np.zeros(len(new_benign), bool), np.ones(len(malignant), bool)]
print(f"{len(X_train)} training rows; {len(X_new)} new rows")
print(f"{is_malignant.sum()} of the new rows are malignant")

# %%
# One loop, three detectors
# -------------------------
# The same lines fit and query each detector; each flags rows with its
# default ``contamination``. For the autoencoder, ``"auto"`` is the boxplot
# rule on the training rows' errors: no share of outliers is assumed.

detectors = {
    "autoencoder": AutoencoderOutlierDetector(random_state=0),
    "isolation forest": IsolationForest(random_state=0),
    "local outlier factor": LocalOutlierFactor(novelty=True),
}
print(f"{'':>22}{'ROC AUC':>9}{'AP':>7}{'benign flagged':>16}{'malignant flagged':>19}")
for name, detector in detectors.items():
    detector.fit(X_train)
    outlier = detector.predict(X_new.to_numpy()) == -1
    # The metrics want higher values for the positive class, the malignant rows.
    abnormality = -detector.decision_function(X_new.to_numpy())
    print(
        f"{name:>22}{roc_auc_score(is_malignant, abnormality):>9.3f}"
        f"{average_precision_score(is_malignant, abnormality):>7.3f}"
        f"{outlier[~is_malignant].mean():>16.1%}{outlier[is_malignant].mean():>19.1%}"
    )

# %%
# The threshold
# -------------
# ``decision_function`` is ``score_samples - offset_``, so a row is flagged
# when its error ``-score_samples`` exceeds ``-offset_`` (log axis: the
# malignant rows' errors span orders of magnitude). The training rows' scores
# set the threshold, and the autoencoder reconstructs the rows it was trained
# on better than new benign rows, so new benign rows cross it more often than
# training rows do.

detector = detectors["autoencoder"]
decision = detector.decision_function(X_new.to_numpy())
error = -detector.score_samples(X_new.to_numpy())
fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
bins = np.geomspace(error.min(), error.max(), 40)
ax.hist(error[~is_malignant], bins=bins, alpha=0.6, label="benign")
ax.hist(error[is_malignant], bins=bins, alpha=0.6, label="malignant")
ax.axvline(-detector.offset_, color="black", linestyle="--", label="-offset_")
ax.set_xscale("log")
ax.set_xlabel("-score_samples (flagged right of -offset_)")
ax.set_ylabel("new rows")
ax.legend()
plt.show()

# %%
# Which features are abnormal
# ---------------------------
# :meth:`~skae.AutoencoderOutlierDetector.reconstruction_errors` returns each
# feature's squared reconstruction error divided by its error on the
# training rows: a feature scores about 1 where it is reconstructed as badly
# as on an average training row. Fitted on a DataFrame, and with
# ``set_output(transform="pandas")``, it returns a DataFrame whose columns are
# the feature names (the same ``random_state`` gives the same model). For the
# four most abnormal new rows, the features the model reconstructs worst:

detector = AutoencoderOutlierDetector(random_state=0).set_output(transform="pandas")
errors = detector.fit(X.iloc[train]).reconstruction_errors(X_new)
most_abnormal = np.argsort(decision)[:4]
fig, axes = plt.subplots(2, 2, figsize=(9, 5.6), layout="constrained")
for ax, row in zip(axes.ravel(), most_abnormal, strict=True):
    worst = errors.iloc[row].nlargest(6)[::-1]
    ax.barh(worst.index, worst.to_numpy(), color="tab:red")
    kind = "malignant" if is_malignant[row] else "benign"
    ax.set_title(f"row {X_new.index[row]} ({kind}), decision {decision[row]:.1f}")
    ax.set_xlabel("scaled squared error")
plt.show()

for row in most_abnormal:
    worst = errors.iloc[row].nlargest(3)
    print(
        f"row {X_new.index[row]}: "
        + ", ".join(f"{n} {v:.0f}" for n, v in worst.items())
    )
