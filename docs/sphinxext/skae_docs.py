"""Helpers for the Sphinx build: gallery order, offline intersphinx inventories."""

# SPDX-License-Identifier: BSD-3-Clause

import importlib
import inspect
import warnings
import zlib
from pathlib import Path

# The gallery teaches in this order: the tutorial's network first, then the uses
# of an autoencoder, then training. Files not listed (a new example) go last.
GALLERY_ORDER = [
    "plot_tutorial_network.py",
    "plot_pca_vs_autoencoder.py",
    "plot_grid_search.py",
    "plot_denoising.py",
    "plot_regularisers.py",
    "plot_anomaly_detection.py",
    "plot_generate_digits.py",
    "plot_solvers.py",
]


class GalleryOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        if name in GALLERY_ORDER:
            return (GALLERY_ORDER.index(name), name)
        return (len(GALLERY_ORDER), name)

    def __repr__(self):
        return f"<{type(self).__name__}>"


# Offline fallbacks for intersphinx. The build first asks each project's site for
# its objects.inv; where that site cannot be reached (CI and this project's
# machines have no access to it) Sphinx falls back to the inventories written
# below, without a warning, so that ``-W`` builds pass offline and links still
# point at the right pages. The URIs follow each project's documented URL scheme
# for the names installed here; the real inventory, when reachable, wins.

SKLEARN_TERMS = [
    "array-like",
    "early stopping",
    "estimator",
    "feature",
    "fit",
    "fit_transform",
    "hyperparameter",
    "inverse_transform",
    "n_components",
    "n_iter_no_change",
    "partial_fit",
    "random_state",
    "sample",
    "score",
    "score_samples",
    "sparse matrix",
    "transform",
    "transformer",
    "warm_start",
]

PYTHON_BUILTINS = ["bool", "dict", "float", "int", "list", "object", "str", "tuple"]

NUMPY_CLASSES = {
    "numpy.ndarray": "reference/generated/numpy.ndarray.html#$",
    "numpy.dtype": "reference/generated/numpy.dtype.html#$",
    "numpy.float32": "reference/arrays.scalars.html#$",
    "numpy.float64": "reference/arrays.scalars.html#$",
    "numpy.random.RandomState": "reference/random/legacy.html#$",
    "numpy.random.Generator": "reference/random/generator.html#$",
}

SCIPY_MODULES = ["scipy.sparse", "scipy.optimize", "scipy.special", "scipy.stats"]


def _anchor(term):
    """Sphinx's HTML id for a glossary term, e.g. ``term-random_state``."""
    from sphinx.util.nodes import _make_id

    return _make_id(f"term-{term}")


def _public_members(module_name):
    """(name, object) of a module's ``__all__`` (or public names), importable."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in dir(module) if not name.startswith("_")]
    for name in names:
        # Deprecated aliases warn and experimental names raise on access; the
        # inventory only needs what is plainly importable.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                member = getattr(module, name)
            except (AttributeError, ImportError):
                continue
        yield name, member


def _api_entries(module_name, uri):
    """Inventory lines for the classes, their methods and the functions of a module.

    ``uri`` is a format string of the full dotted name, e.g.
    ``"modules/generated/{}.html#$"`` (``$`` stands for the entry's name).
    """
    entries = []
    for name, member in _public_members(module_name):
        full_name = f"{module_name}.{name}"
        if inspect.isclass(member):
            page = uri.format(full_name)
            entries.append((full_name, "py:class", page))
            # Inherited methods too: scikit-learn's class pages list them.
            for attribute in dir(member):
                value = getattr(member, attribute, None)
                if not attribute.startswith("_") and callable(value):
                    method_uri = page.replace("#$", f"#{full_name}.{attribute}")
                    entries.append(
                        (f"{full_name}.{attribute}", "py:method", method_uri)
                    )
        elif callable(member):
            entries.append((full_name, "py:function", uri.format(full_name)))
    return entries


def _sklearn_entries():
    import sklearn

    entries = _api_entries("sklearn", "modules/generated/{}.html#$")
    for name in sklearn.__all__:
        try:
            module = importlib.import_module(f"sklearn.{name}")
        except ImportError:
            continue  # a top-level function, not a submodule
        entries += _api_entries(module.__name__, "modules/generated/{}.html#$")
    entries += [
        (term, "std:term", f"glossary.html#{_anchor(term)}") for term in SKLEARN_TERMS
    ]
    return entries


def _numpy_entries():
    entries = [(name, "py:class", uri) for name, uri in NUMPY_CLASSES.items()]
    for name, member in _public_members("numpy"):
        if callable(member) and not inspect.isclass(member):
            uri = f"reference/generated/numpy.{name}.html#$"
            entries.append((f"numpy.{name}", "py:function", uri))
    return entries


def _scipy_entries():
    entries = []
    for module_name in SCIPY_MODULES:
        entries += _api_entries(module_name, "reference/generated/{}.html#$")
    return entries


def _python_entries():
    entries = [
        (name, "py:class", "library/functions.html#$") for name in PYTHON_BUILTINS
    ]
    entries.append(("None", "py:data", "library/constants.html#$"))
    return entries


def _write_inventory(path, project, version, entries):
    """Write ``entries`` (name, domain:role, uri) as a Sphinx v2 objects.inv."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = sorted({f"{name} {role} 1 {uri} -\n" for name, role, uri in entries})
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))


def write_fallback_inventories(directory):
    """Write objects.inv fallbacks for python, numpy, scipy and sklearn.

    Returns a dict from project key to the inventory's path.
    """
    import numpy
    import scipy
    import sklearn

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    projects = {
        "python": ("Python", "3", _python_entries),
        "numpy": ("NumPy", numpy.__version__, _numpy_entries),
        "scipy": ("SciPy", scipy.__version__, _scipy_entries),
        "sklearn": ("scikit-learn", sklearn.__version__, _sklearn_entries),
    }
    paths = {}
    for key, (project, version, entries) in projects.items():
        path = directory / f"{key}-objects.inv"
        _write_inventory(path, project, version, entries())
        paths[key] = str(path)
    return paths
