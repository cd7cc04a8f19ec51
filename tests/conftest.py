"""Shared test fixtures: a seeded generator, small data sets, docs recipes."""

# SPDX-License-Identifier: BSD-3-Clause

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _training_helpers import N_FEATURES, N_SAMPLES
from sklearn.datasets import load_digits


def pytest_collection_modifyitems(items):
    """Run the tests marked ``docs`` first.

    The docs build alone takes about as long as one core's share of the rest
    of the suite: started last, it would leave the other workers of
    ``pytest -n auto`` idle while it runs.
    """
    items.sort(key=lambda item: item.get_closest_marker("docs") is None)


@pytest.fixture
def rng():
    """A freshly seeded generator, so that every test draws the same numbers."""
    return np.random.RandomState(0)


@pytest.fixture(scope="session")
def digits():
    """The first 300 raw (unscaled, 0..16) digits images, float64, (300, 64)."""
    X, _ = load_digits(return_X_y=True)
    return X[:300].astype(np.float64)


@pytest.fixture(scope="module")
def X():
    """A 200 x 10 curved 3-d manifold plus a little noise, with unequal scales.

    The data of the tests of the objective and the solvers (tests of other
    modules define their own ``X``).
    """
    rng = np.random.RandomState(0)
    X = np.tanh(rng.normal(size=(N_SAMPLES, 3)) @ rng.normal(size=(3, N_FEATURES)))
    X += 0.05 * rng.normal(size=X.shape)
    return X * np.linspace(0.5, 3.0, N_FEATURES) + 1.0


@pytest.fixture(scope="module")
def weights():
    """Integer weights 0 to 3 for the rows of X, zeros included."""
    return np.random.RandomState(2).randint(0, 4, size=N_SAMPLES).astype(np.float64)


@pytest.fixture(scope="session")
def docs_recipe():
    """Code of the ``.. code-block:: python`` of docs/scaling_up.rst with a name.

    The tests run the page's recipes as written, so the page cannot drift from
    what is tested.
    """
    text = (Path(__file__).resolve().parents[1] / "docs" / "scaling_up.rst").read_text()

    def recipe(name):
        match = re.search(
            rf"^\.\. code-block:: python\n +:name: {name}\n\n((?:(?: +.*)?\n)+)",
            text,
            flags=re.MULTILINE,
        )
        assert match, f"no code block named {name} in docs/scaling_up.rst"
        return textwrap.dedent(match.group(1))

    return recipe
