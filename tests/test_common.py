"""scikit-learn's estimator checks over the default estimator and fast variants."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderOutlierDetector, AutoencoderTransformer

ALL_ROWS = dict(early_stopping=False)
# The default keeps every component (n_components=None, as PCA()), and on the
# checks' data its PCA start is then exact: nothing is trained. The variants
# keep two codes, so that their training runs in the checks.
TWO = dict(n_components=2)

# Also the configurations whose skops round trip tests/test_skops.py checks.
ESTIMATORS = [
    AutoencoderTransformer(),
    AutoencoderTransformer(**TWO),
    # L-BFGS runs its max_iter=500 iterations on the checks' tiny data sets
    # (it memorises them); 50 keep the checks fast and still exercise it.
    AutoencoderTransformer(solver="lbfgs", max_iter=50, **TWO),
    # Without the cross-validated length, weighted and repeated rows give the
    # same model (see FOLDS_SAMPLE_WEIGHT).
    AutoencoderTransformer(solver="lbfgs", max_iter=50, early_stopping=False, **TWO),
    # The variants train on all rows: the folds of "auto" would multiply the
    # checks' fits up to elevenfold, and the two above check "auto".
    AutoencoderTransformer(solver="sgd", **ALL_ROWS, **TWO),
    AutoencoderTransformer(output_activation="logistic", **ALL_ROWS),
    AutoencoderTransformer(hidden_layer_sizes=(8, 4), **ALL_ROWS, **TWO),
    # Each regulariser switched on.
    AutoencoderTransformer(noise="gaussian", noise_level=0.3, **ALL_ROWS),
    AutoencoderTransformer(
        noise="masking", noise_level=0.2, solver="lbfgs", max_iter=50, **ALL_ROWS
    ),
    AutoencoderTransformer(sparsity=0.01, **ALL_ROWS),
    AutoencoderTransformer(contractive=0.01, hidden_layer_sizes=(16,), **ALL_ROWS),
    AutoencoderTransformer(tied_weights=True, **ALL_ROWS, **TWO),
]
# The outlier detector: its default, a fixed contamination, and the plain
# reconstruction error with another solver through autoencoder_params.
DETECTORS = [
    AutoencoderOutlierDetector(),
    AutoencoderOutlierDetector(contamination=0.1, hidden_layer_sizes=(8,)),
    AutoencoderOutlierDetector(
        weighting=None,
        code_weight=0.0,
        autoencoder_params={"solver": "lbfgs"},
        max_iter=50,
    ),
]


# Weighted rows and repeated rows give the same objective, but not the same
# arithmetic: a minibatch of the weighted rows is not one of the repeated rows,
# and even as one full batch (the checks' 15 rows) the sums run in another
# order. Adam divides each step by the root of the squared gradients, so near
# a minimum, where the gradient is mostly round-off, it steps by about
# learning_rate_init whatever the gradient's size: on the checks' data the two
# fits' codes differ by 1e-14 after 100 epochs, 1e-12 after 200 and 1e-3 after
# 400 (logistic output), beyond the checks' rtol=1e-7. Plain SGD (steps in
# proportion to the gradient) and L-BFGS pass; tests/test_sample_weight.py
# checks the equivalences, with tolerances, for every solver.
ADAM_SAMPLE_WEIGHT = (
    "Adam's normalised steps amplify the round-off differences between "
    "weighted and repeated rows over many epochs; the equivalence holds for "
    "the objective, not bitwise for the trajectory."
)
# Denoising corrupts each row it is given: a row of weight 2 once, its two
# copies independently, so the two fits see different noise (any solver).
NOISE_SAMPLE_WEIGHT = (
    "noise corrupts a weighted row once and its repetitions independently: "
    "the fits see different corrupted data."
)
# early_stopping="auto" trains on folds of the rows to choose the length:
# a row of weight 2 is held out as one row, its two copies possibly in two
# folds, so the folds, and the length they choose, differ.
FOLDS_SAMPLE_WEIGHT = (
    "early_stopping='auto' splits rows into cross-validation folds: a weighted "
    "row and its repetitions fall into different folds."
)
# As PCA trains nothing, an autoencoder whose PCA start is already the best
# model it can find reports n_iter_ == 0: on the check's data (two tight blobs
# in 2 columns, reduced to 2 components) PCA is exact.
NO_TRAINING = (
    "n_iter_ is 0 when the PCA start is kept: exact on the check's 2-column "
    "data at n_components=2, and not beaten on held-out rows."
)


# n_components=None keeps every component, as PCA(): the PCA start then
# reconstructs the training data exactly and fit trains nothing (n_iter_ == 0),
# where the check expects at least one iteration of every estimator that has
# max_iter. Unless a regulariser changes the objective, or a logistic output
# has no linear path for the PCA start.
EXACT_START_N_ITER = (
    "with n_components=None the PCA start reconstructs the training data "
    "exactly, so fit trains nothing and n_iter_ is 0, as for PCA()."
)


def trains_nothing(params):
    """Whether fit with ``params`` is PCA alone on the checks' data."""
    return (
        params.get("n_components", "auto") is None
        and params["output_activation"] == "identity"
        and params["noise"] is None
        and not params["sparsity"]
        and not params["contractive"]
    )


def expected_failed_checks(estimator):
    """The checks each configuration is known to fail, with the reason."""
    # The detector trains its autoencoder the same way (on all rows unless its
    # autoencoder_params ask for "auto"). (The default detector happens to
    # pass the two checks on their data; the (8,) network does not.)
    params = estimator.get_params()
    params.update(params.get("autoencoder_params") or {})
    if trains_nothing(params):
        # Weighted and repeated rows then give the same PCA, nothing else.
        return {"check_transformer_n_iter": EXACT_START_N_ITER}
    failures = {}
    if params.get("early_stopping", False) == "auto":
        failures["check_transformer_n_iter"] = NO_TRAINING
    if params.get("noise") is not None:
        reason = NOISE_SAMPLE_WEIGHT
    elif params.get("solver", "adam") == "adam":
        reason = ADAM_SAMPLE_WEIGHT
    elif params.get("early_stopping", False) == "auto":
        reason = FOLDS_SAMPLE_WEIGHT
    else:
        return failures
    failures["check_sample_weight_equivalence_on_dense_data"] = reason
    failures["check_sample_weight_equivalence_on_sparse_data"] = reason
    return failures


@parametrize_with_checks(
    ESTIMATORS + DETECTORS, expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
