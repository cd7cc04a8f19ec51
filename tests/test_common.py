"""scikit-learn's estimator checks over the default estimator and fast variants."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoencoderTransformer


@parametrize_with_checks(
    [
        AutoencoderTransformer(),
        AutoencoderTransformer(solver="lbfgs"),
        AutoencoderTransformer(solver="sgd"),
        AutoencoderTransformer(output_activation="logistic"),
        AutoencoderTransformer(hidden_layer_sizes=(8, 4)),
    ],
    expected_failed_checks=lambda estimator: {},
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
