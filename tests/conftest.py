"""Shared test fixtures: a seeded generator, a small digits subset, docs recipes."""

# SPDX-License-Identifier: BSD-3-Clause

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
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
