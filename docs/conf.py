"""Sphinx configuration for skae's documentation.

Build from the repository root, with the ``docs`` extra installed::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

This also runs every ``examples/plot_*.py`` script for the gallery, with one
BLAS thread (see below); add ``-D plot_gallery=0`` to build the pages without
running them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import platform
import sys
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

import skae

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

from skae_docs import write_fallback_inventories  # noqa: E402

# The gallery's examples fit small networks (minibatches of 200 rows, layers of
# 128 units), on whose matrix products a second BLAS thread costs more in
# waiting than it saves, and much more on a machine that other work keeps busy.
# One thread for the whole build, then; the examples that print times print
# this setting with them.
_blas_threads = threadpool_limits(limits=1)
print(
    f"docs build: {os.cpu_count()} CPUs ({platform.machine()}), BLAS threads "
    f"limited to {[pool['num_threads'] for pool in threadpool_info()]}"
)

project = "skae"
author = "The skae developers"
copyright = "the skae developers, BSD-3-Clause"
release = skae.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "skae_docs",
]

exclude_patterns = ["_build", "sphinxext"]
templates_path = ["_templates"]
default_role = "literal"
# "fit" rather than "AutoencoderTransformer.fit" in the page tables of contents.
toc_object_entries_show_parents = "hide"

# -- API reference -----------------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
# The class template lists the methods; numpydoc's own table would repeat them.
numpydoc_show_class_members = False
# Every docstring that the API pages show is checked by numpydoc, so that a
# missing section or an undocumented parameter fails the -W build. Left out:
# an extended summary (ES01) is not needed on every method, RT02 would forbid
# scikit-learn's named returns (``self : object``), and GL01 (numpydoc < 1.8)
# wants the summary on the line after the opening quotes, unlike this project's
# docstrings and scikit-learn's. get_params and
# set_params, inherited from scikit-learn's BaseEstimator, and set_callbacks
# (scikit-learn >= 1.9), from its CallbackSupportMixin, carry its docstrings,
# which skae does not own. (The class template leaves out set_output and
# get_metadata_routing, whose docstrings link to scikit-learn's own pages.)
numpydoc_validation_checks = {"all", "ES01", "GL01", "RT02"}
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.set_callbacks$",
}

# -- Figures drawn at build time ---------------------------------------------

# The user guide's architecture diagram is drawn by docs/make_architecture_diagram.py
# through matplotlib's plot directive: no image is committed. One PNG, shown at
# its own size (8 inches at 100 dpi, the content column's width), with no links
# to the script or other formats.
plot_formats = [("png", 100)]
plot_html_show_source_link = False
plot_html_show_formats = False

# -- Links to other projects -------------------------------------------------

# Each project's published inventory is tried first; offline (CI has no access
# to these sites) Sphinx falls back, without a warning, to inventories written
# from the installed packages by docs/sphinxext/skae_docs.py.
_fallback = write_fallback_inventories(DOCS / "_build" / "intersphinx-fallback")
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", (None, _fallback["python"])),
    "numpy": ("https://numpy.org/doc/stable/", (None, _fallback["numpy"])),
    "scipy": ("https://docs.scipy.org/doc/scipy/", (None, _fallback["scipy"])),
    "sklearn": ("https://scikit-learn.org/stable/", (None, _fallback["sklearn"])),
}
intersphinx_timeout = 10

# -- Gallery -----------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # quickstart.py is the README's main job, a plain script with a CLI.
    "ignore_pattern": r"__init__\.py|quickstart\.py",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "skae_docs.GalleryOrder",
    # A broken example fails the build at once instead of after the others.
    "abort_on_example_error": True,
    "doc_module": ("skae",),
    "backreferences_dir": "generated/backreferences",
    # matplotlib's scraper, failing the build on a figure with an empty axes.
    "image_scrapers": ("skae_docs.matplotlib_scraper",),
    # Artists returned by the last line of a cell (ax.legend(), plt.title())
    # are not shown as "<matplotlib.legend.Legend object at 0x...>".
    "ignore_repr_types": r"matplotlib[\w.]*",
    "remove_config_comments": True,
    "min_reported_time": 0,
}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
html_css_files = ["skae.css"]
# No left sidebar. It lists the pages of a section: the top-level pages have
# none under them, so it was an empty "Section Navigation"; on the gallery's
# and the API's pages it took a fifth of the width, leaving the text column
# too narrow for the examples' figures and printed tables at 1280 px. The top
# bar, the gallery's index and the previous/next links navigate instead.
html_sidebars = {"**": []}
