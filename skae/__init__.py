"""skae: a scikit-learn compatible fully-connected autoencoder in NumPy."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import AutoencoderTransformer
from ._outlier import AutoencoderOutlierDetector

__version__ = "0.1.0.dev0"

# The types of a fitted AutoencoderTransformer or AutoencoderOutlierDetector
# that skops.io.load refuses unless told to trust them (it trusts
# scikit-learn's and NumPy's own): the estimators and their private state.
# tests/test_skops.py keeps this list equal to what
# skops.io.get_untrusted_types reports over every configuration.
SKOPS_TRUSTED_TYPES = [
    "skae._autoencoder.AutoencoderTransformer",
    "skae._optimizers.Adam",
    "skae._optimizers.SGD",
    "skae._outlier.AutoencoderOutlierDetector",
    "skae._pca.Moments",
    "skae._scaling.Scales",
]

__all__ = [
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "SKOPS_TRUSTED_TYPES",
    "__version__",
]
