"""scikit-learn's estimator checks over the default estimator and fast variants."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer

# Also the configurations whose skops round trip tests/test_skops.py checks.
ESTIMATORS = [
    AutoencoderTransformer(),
    # L-BFGS runs its max_iter=500 iterations on the checks' tiny data sets
    # (it memorises them); 50 keep the checks fast and still exercise it.
    AutoencoderTransformer(solver="lbfgs", max_iter=50),
    AutoencoderTransformer(solver="sgd"),
    AutoencoderTransformer(output_activation="logistic"),
    AutoencoderTransformer(hidden_layer_sizes=(8, 4)),
    # Each regulariser switched on.
    AutoencoderTransformer(noise="gaussian", noise_level=0.3),
    AutoencoderTransformer(
        noise="masking", noise_level=0.2, solver="lbfgs", max_iter=50
    ),
    AutoencoderTransformer(sparsity=0.01),
    AutoencoderTransformer(contractive=0.01, hidden_layer_sizes=(16,)),
    AutoencoderTransformer(tied_weights=True),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda estimator: {})
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
