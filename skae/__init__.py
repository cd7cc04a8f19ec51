"""skae: a scikit-learn compatible fully-connected autoencoder in NumPy."""

# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import AutoencoderTransformer

__version__ = "0.1.0.dev0"

__all__ = ["AutoencoderTransformer", "__version__"]
