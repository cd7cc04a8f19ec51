"""Outlier detection: AutoencoderOutlierDetector against scikit-learn's and pyod's.

Three novelty-detection protocols on data that ships with scikit-learn, five
seeds each; every detector is fitted on normal rows only and scores held-out
rows, and the anomalies are the positive class of ROC AUC and average
precision (AP):

- ``digits``: ``load_digits`` split 70 / 30 (``random_state=seed``); for each
  class in turn, fitted on the training digits of the nine others and scoring
  all the test digits, the left-out class being the anomalies (about 10 %),
  the gallery's protocol: 10 fits per seed;
- ``breast_cancer``: half of the benign rows (drawn with the seed) train, and
  the other half plus malignant rows drawn to make 10 % of the test set score;
- ``wine``: the same, with classes 1 and 2 normal and class 0 drawn as the
  outliers, as the public outlier benchmarks (ODDS) build it.

The detectors, all with their defaults on raw data (no scaler), except the
seed: ``AutoencoderOutlierDetector``; ``skae, unweighted``, the plain mean
squared error of the same fitted autoencoder (``autoencoder_.score_samples``,
no fit of its own: its fit time is the detector's); ``IsolationForest``,
``LocalOutlierFactor(novelty=True)``, ``OneClassSVM``; ``PCA`` reconstruction
error at the detector's ``n_components`` (``round(sqrt(n_features))``); pyod's
``AutoEncoder`` when pyod is installed (it needs torch and tqdm: ``pip install
pyod torch==2.13.0 tqdm`` on these machines), never a dependency of skae.

It prints, per data set and detector, the mean ROC AUC and AP over the fits,
the total fit and scoring seconds, then the means over the data sets and the
targets; then what ``contamination="auto"`` flags among the held-out normal
rows and anomalies. Timings are wall-clock on whatever else the machine runs:
the load average is printed before and after.

Run ``python benchmarks/outliers.py`` (add ``--seeds 1`` for a quick look).
``--variants`` adds two rows: the detector with the transformer's network and
stopping rule (``hidden_layer_sizes=(128, 128)``, ``max_iter=1000``,
``tol=1e-4``), and the default detector's score without its code term
(``-reconstruction_errors(X).mean(axis=1)``, from the same fit);
``--no-pyod`` skips pyod.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import datetime
import os
import time
import warnings

import numpy as np
from _common import environment, importable, machine_lines, saved_output, targets
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM

from skae import AutoencoderOutlierDetector

DATASETS = ("digits", "breast_cancer", "wine")
SKLEARN = ("IsolationForest", "LocalOutlierFactor", "OneClassSVM", "PCA")
TRANSFORMER_NETWORK = "skae, (128, 128) network, tol 1e-4"
TARGETS = targets(__file__)


def digits_cases(seed):
    """(name, X_train, X_test, is_anomaly) for each left-out digit."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed
    )
    for digit in range(10):
        yield X_train[y_train != digit], X_test, y_test == digit


def subsampled_case(X, is_normal, seed, share=0.1):
    """Half the normal rows train; the rest plus drawn outliers (``share``) test."""
    random_state = np.random.RandomState(seed)
    normal = random_state.permutation(np.flatnonzero(is_normal))
    train, test_normal = normal[: len(normal) // 2], normal[len(normal) // 2 :]
    n_outliers = round(len(test_normal) * share / (1 - share))
    outliers = random_state.choice(np.flatnonzero(~is_normal), n_outliers, False)
    is_anomaly = np.r_[np.zeros(len(test_normal), bool), np.ones(n_outliers, bool)]
    return X[train], X[np.r_[test_normal, outliers]], is_anomaly


def cases(dataset, seed):
    """The fits of one seed of one protocol."""
    if dataset == "digits":
        return digits_cases(seed)
    if dataset == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return [subsampled_case(X, y == 1, seed)]  # 1 is benign
    X, y = load_wine(return_X_y=True)
    return [subsampled_case(X, y != 0, seed)]


class PCAReconstruction:
    """PCA's reconstruction error as an outlier score (higher is more normal).

    Its ``n_components`` is the detector's "auto": sqrt(n_features), rounded.
    """

    def fit(self, X):
        self.pca_ = PCA(round(np.sqrt(X.shape[1]))).fit(X)
        return self

    def score_samples(self, X):
        X_hat = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.mean((X_hat - X) ** 2, axis=1)


class PyodAutoEncoder:
    """pyod's AutoEncoder with its defaults, scored the scikit-learn way round."""

    def __init__(self, seed):
        from pyod.models.auto_encoder import AutoEncoder

        self.model = AutoEncoder(random_state=seed, verbose=0)

    def fit(self, X):
        self.model.fit(X)
        return self

    def score_samples(self, X):
        return -self.model.decision_function(X)


def detectors(seed, with_pyod, variants):
    """Fresh detectors for one fit, by name."""
    made = {
        "skae": AutoencoderOutlierDetector(random_state=seed),
        "IsolationForest": IsolationForest(random_state=seed),
        "LocalOutlierFactor": LocalOutlierFactor(novelty=True),
        "OneClassSVM": OneClassSVM(),
        "PCA": PCAReconstruction(),
    }
    if variants:
        # The detector's default network and stopping rule against the
        # transformer's: what the smaller default costs or saves.
        made[TRANSFORMER_NETWORK] = AutoencoderOutlierDetector(
            hidden_layer_sizes=(128, 128), max_iter=1000, tol=1e-4, random_state=seed
        )
    if with_pyod:
        made["pyod AutoEncoder"] = PyodAutoEncoder(seed)
    return made


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def measure(dataset, seeds, with_pyod, variants):
    """Per detector: lists of ROC AUC and AP, fit and score seconds; auto flags."""
    results, flagged = {}, {"normal": [], "anomalies": []}

    def record(name, is_anomaly, scores, fit_time, score_time):
        row = results.setdefault(name, {"auc": [], "ap": [], "fit": 0.0, "score": 0.0})
        row["auc"].append(roc_auc_score(is_anomaly, -scores))
        row["ap"].append(average_precision_score(is_anomaly, -scores))
        row["fit"] += fit_time
        row["score"] += score_time

    for seed in seeds:
        for X_train, X_test, is_anomaly in cases(dataset, seed):
            for name, detector in detectors(seed, with_pyod, variants).items():
                _, fit_time = timed(detector.fit, X_train)
                scores, score_time = timed(detector.score_samples, X_test)
                record(name, is_anomaly, scores, fit_time, score_time)
                if name == "skae":
                    plain, plain_time = timed(
                        detector.autoencoder_.score_samples, X_test
                    )
                    record("skae, unweighted", is_anomaly, plain, 0.0, plain_time)
                    if variants:
                        errors, errors_time = timed(
                            detector.reconstruction_errors, X_test
                        )
                        record(
                            "skae, no code term",
                            is_anomaly,
                            -errors.mean(axis=1),
                            0.0,
                            errors_time,
                        )
                    outlier = detector.predict(X_test) == -1
                    flagged["normal"].append(outlier[~is_anomaly].mean())
                    flagged["anomalies"].append(outlier[is_anomaly].mean())
    return results, flagged


def table(all_results):
    """The markdown table of every data set and the means over them."""
    names = list(all_results[DATASETS[0]])
    header = ["detector"]
    for dataset in DATASETS:
        header += [f"{dataset} AUC", "AP", "fit s", "score s"]
    header += ["mean AUC", "mean AP"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        cells, aucs, aps = [name], [], []
        for dataset in DATASETS:
            row = all_results[dataset][name]
            aucs.append(np.mean(row["auc"]))
            aps.append(np.mean(row["ap"]))
            cells += [f"{aucs[-1]:.3f}", f"{aps[-1]:.3f}"]
            cells += [f"{row['fit']:.1f}", f"{row['score']:.2f}"]
        cells += [f"{np.mean(aucs):.3f}", f"{np.mean(aps):.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def beats(all_results, dataset, rivals):
    """Whether skae's mean AUC and AP on ``dataset`` are above every rival's."""
    rows = all_results[dataset]
    return all(
        np.mean(rows["skae"][metric]) > np.mean(rows[rival][metric])
        for rival in rivals
        for metric in ("auc", "ap")
    )


def target_lines(all_results, with_pyod):
    """Whether the targets of TARGETS are met, one line each."""
    first, needed_others = TARGETS["beat_sklearn_on"], TARGETS["beat_sklearn_on_others"]
    won = [d for d in DATASETS if beats(all_results, d, SKLEARN)]
    others = [d for d in won if d != first]
    lines = [
        f"- best AUC and AP of the scikit-learn detectors on {first}: "
        f"{'met' if first in won else 'missed'}; on {needed_others} other data "
        f"set(s): {'met' if len(others) >= needed_others else 'missed'} "
        f"(won: {', '.join(won) or 'none'})"
    ]
    if with_pyod:
        ahead = [d for d in DATASETS if beats(all_results, d, ["pyod AutoEncoder"])]
        lines.append(
            f"- ahead of pyod's AutoEncoder on all three: "
            f"{'met' if len(ahead) == len(DATASETS) else 'missed'} "
            f"(ahead on: {', '.join(ahead) or 'none'})"
        )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also the detector with the transformer's network and without "
        "its code term",
    )
    parser.add_argument("--no-pyod", action="store_true", help="skip pyod")
    args = parser.parse_args()
    with_pyod = importable("pyod.models.auto_encoder") and not args.no_pyod
    load_before = os.getloadavg()
    all_results, all_flagged = {}, {}
    with warnings.catch_warnings():
        # Whether each fit ran to convergence is not what this measures.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for dataset in DATASETS:
            all_results[dataset], all_flagged[dataset] = measure(
                dataset, range(args.seeds), with_pyod, args.variants
            )
    lines = [f"outliers.py, {datetime.datetime.now():%Y-%m-%d %H:%M}", ""]
    lines += machine_lines(environment())
    lines += [
        f"Seeds 0-{args.seeds - 1}; pyod "
        + ("measured" if with_pyod else "not measured")
        + f". Load average before {load_before[0]:.2f}, after "
        f"{os.getloadavg()[0]:.2f} (1 min).",
        "",
    ]
    lines += table(all_results)
    lines += ["", "Targets:"] + target_lines(all_results, with_pyod)
    lines += ["", 'contamination="auto", share flagged among held-out rows:']
    for dataset, flagged in all_flagged.items():
        lines.append(
            f"- {dataset}: normal rows {np.mean(flagged['normal']):.1%}, "
            f"anomalies {np.mean(flagged['anomalies']):.1%}"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    with saved_output(__file__):
        main()
