"""Helpers for the Sphinx build: the gallery's order and checks, offline inventories."""

# SPDX-License-Identifier: BSD-3-Clause

import importlib
import inspect
import io
import re
import tokenize
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
    "plot_outlier_detector.py",
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


# Checks of the gallery. The build runs every example; these make it fail on what
# a reader would otherwise find in the rendered page: a panel with nothing drawn
# in it, an object's repr where a number was meant, a number in the prose that
# the example never prints. tests/test_docs.py applies the last two to the built
# pages; the scraper below applies the first while the figures still exist.


def empty_axes(figure):
    """Titles (or positions) of the axes of ``figure`` that hold no data.

    An axes holds data when a line, collection, image or patch was drawn in it
    (``Axes.has_data``); one left empty, such as the unused panel of a
    ``subplots`` grid, is reported.
    """
    return [
        ax.get_title() or f"axes {number} of {len(figure.axes)}"
        for number, ax in enumerate(figure.axes, 1)
        if not ax.has_data()
    ]


def matplotlib_scraper(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, failing on a figure with an empty axes.

    The figures are saved (and closed) first, so that the error is raised once,
    as the example's error, which stops the build.
    """
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper as scrape

    problems = []
    for number in plt.get_fignums():
        empty = empty_axes(plt.figure(number))
        if empty:
            problems.append(f"figure {number}: {', '.join(map(repr, empty))}")
    rst = scrape(block, block_vars, gallery_conf, **kwargs)
    if problems:
        raise ValueError(
            f"{Path(block_vars['src_file']).name} draws axes that hold no data "
            f"({'; '.join(problems)}): remove them or draw in them"
        )
    return rst


# The first code cell of a gallery page, when all it holds is the license line
# that every file of the project starts with.
_LICENSE_CELL = re.compile(
    r"\.\. GENERATED FROM PYTHON SOURCE LINES \d+-\d+\n\n"
    r"\.\. code-block:: Python\n\n+"
    r"    # SPDX-License-Identifier: [^\n]*\n(?:[ \t]*\n)*"
)


def drop_license_cell(app, docname, source):
    """Sphinx ``source-read`` handler: no cell of just a license line in the gallery.

    The examples carry their SPDX line after the docstring, which sphinx-gallery
    renders as a code cell of its own; the downloadable script keeps it.
    """
    if docname.startswith("auto_examples/"):
        source[0] = _LICENSE_CELL.sub("", source[0], count=1)


def build_machine():
    """The machine and BLAS threads of this process, in one sentence."""
    import os
    import platform

    from threadpoolctl import threadpool_info

    threads = sorted(
        {f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()}
    )
    return (
        f"Measured on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, with threads limited to: {', '.join(threads)} "
        "(the building machine and setting)."
    )


def note_build_machine(app, docname, source):
    """Sphinx ``source-read`` handler: the computation times say where they ran.

    sphinx-gallery's page of the examples' times gives no machine and no
    thread setting, without which a time says little.
    """
    if docname.endswith("sg_execution_times"):
        source[0] = re.sub(
            r"(Computation times\n=+\n)", rf"\1{build_machine()}\n\n", source[0]
        )


# An object's default repr, such as "<matplotlib.legend.Legend object at 0x7f...>",
# printed when a cell ends with an expression whose value is not meant for the
# reader.
STRAY_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>|<matplotlib\.[\w.]+")

# A numbered claim in prose: a number with decimals ("0.57"), or any number
# given as a share or ratio ("30 %", "5 times", "2x"). Whole numbers on their own
# ("8 components", "1 000 epochs") are settings or counts and are not checked.
_CLAIM = re.compile(
    r"(?<![\w.^])(\d+(?:\.\d+)?)(?:\s?(%|x|×)(?!\w)|\s(times)\b)?(?![\w.]*\d)"
)


def _prose(text):
    """``text`` (reStructuredText) without literal blocks, literals and roles."""
    kept, in_literal = [], False
    for line in text.splitlines():
        if in_literal:
            if not line.strip() or line.startswith((" ", "\t")):
                continue
            in_literal = False
        if line.rstrip().endswith("::"):
            in_literal = True
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"``.*?``", " ", text, flags=re.DOTALL)
    return re.sub(r":\w+:`.*?`", " ", text, flags=re.DOTALL)


def numbered_claims(text):
    """The numbered claims of prose ``text``, as (number, unit) pairs.

    ``unit`` is ``"%"``, ``"x"`` or ``""``.
    """
    claims = []
    for match in _CLAIM.finditer(_prose(text)):
        number, unit = match.group(1), match.group(2) or match.group(3) or ""
        unit = {"×": "x", "times": "x"}.get(unit, unit)
        if "." in number or unit:
            claims.append((number, unit))
    return claims


def _code_values(code):
    """The numeric literals of Python ``code``, as floats."""
    values = set()
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.NUMBER:
            try:
                values.add(float(token.string.replace("_", "")))
            except ValueError:
                pass  # complex literals
    return values


def unprinted_claims(prose, code, output):
    """The numbered claims of ``prose`` that neither ``output`` nor ``code`` holds.

    A claim is backed when the example prints it (the same digits, as a whole
    token of ``output``; a share also as a fraction) or when it is a setting
    written in the code (``test_size=0.3`` backs "30 %").
    """
    printed = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w]*\d)", output))
    settings = _code_values(code)
    missing = []
    for number, unit in numbered_claims(prose):
        value = float(number)
        candidates = {value, value / 100} if unit == "%" else {value}
        if number in printed or candidates & settings:
            continue
        if unit == "%" and f"{value / 100:g}" in printed:
            continue
        missing.append(f"{number}{' ' + unit if unit else ''}")
    return missing


def script_output(rst):
    """Everything an example printed, from its page generated by sphinx-gallery.

    The page shows printed text in blocks after ``.. rst-class::
    sphx-glr-script-out`` and HTML reprs (a DataFrame's table) in ``.. raw::
    html`` blocks; their indented lines are returned, HTML tags removed.
    """
    lines, taking = [], False
    for line in rst.splitlines():
        if line.startswith((".. rst-class:: sphx-glr-script-out", ".. raw:: html")):
            taking = True
            continue
        if taking and line.strip() and not line.startswith((" ", "\t")):
            taking = False
        if taking:
            lines.append(line)
    return re.sub(r"<[^>]*>", " ", "\n".join(lines))


def example_prose_and_code(path):
    """The prose (docstring and text cells) and the code of a gallery script."""
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    _, blocks = split_code_and_text_blocks(str(path))
    prose = "\n\n".join(b.content for b in blocks if b.type == "text")
    code = "\n\n".join(b.content for b in blocks if b.type == "code")
    return prose, code


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


def setup(app):
    """The Sphinx extension: the gallery's pages tidied."""
    app.connect("source-read", drop_license_cell)
    app.connect("source-read", note_build_machine)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
