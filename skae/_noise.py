"""Denoising: the corruption of training inputs."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Corruption:
    """How training batches are corrupted before the encoder sees them.

    ``"gaussian"`` adds ``level`` times each column's standard deviation times
    standard normal noise; ``"masking"`` sets each entry to its column's mean
    with probability ``level``. Both act on the scaled input ``(X - mean) /
    sigma``, where a column's mean is 0 and its standard deviation is
    ``column_scale``, so sparse and dense X are corrupted alike. The target
    stays the clean batch.

    Noise comes from generators seeded by ``seed`` and a key, so that a fit is
    reproducible and L-BFGS can see the same corruption of a chunk at every
    evaluation of its objective.
    """

    kind: str
    level: float
    column_scale: np.ndarray
    seed: int

    def generator(self, *key):
        """A new generator for the stream ``key`` (e.g. a chunk's index)."""
        return np.random.default_rng([self.seed, *key])

    def apply(self, X_in, rng, scratch=None):
        """Corrupt the scaled batch ``X_in`` (n_samples, n_features) in place.

        ``scratch`` is an optional array shaped and typed like ``X_in`` for the
        noise, so that the training loop allocates nothing per batch.
        """
        if self.kind == "gaussian":
            noise = rng.standard_normal(X_in.shape, dtype=X_in.dtype, out=scratch)
            noise *= self.level * self.column_scale
            X_in += noise
        else:
            draws = rng.random(X_in.shape, dtype=X_in.dtype, out=scratch)
            X_in[draws < self.level] = 0
        return X_in
