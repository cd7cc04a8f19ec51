"""The documentation: its code examples run, and the Sphinx build passes."""

# SPDX-License-Identifier: BSD-3-Clause

import doctest
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import skae._callbacks

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"


# The pages whose ``>>>`` examples are run, named rather than found, so that a
# page whose examples vanish fails instead of passing with nothing to check. The
# other pages have no examples; test_every_page_with_examples_is_listed keeps
# these lists complete. The pages of PAGES_NEEDING_EXTRAS run only when the
# extras they import are installed.
PAGES_WITH_EXAMPLES = [
    "callbacks.rst",
    "coming_from_pca.rst",
    "quickstart.rst",
    "user_guide.rst",
]
PAGES_NEEDING_EXTRAS = ["deploying.rst"]
NEEDS_SKOPS = "needs the skops extra: pip install '.[skops]'"
NEEDS_ONNX = "needs the onnx extra: pip install '.[onnx]'"
NEEDS_CALLBACKS = "docs/callbacks.rst needs scikit-learn >= 1.9 (sklearn.callback)"
NEEDS_PROGRESS = "docs/callbacks.rst shows ProgressBar: pip install '.[progress]'"


def run_page_examples(page):
    """Run the ``>>>`` examples of a page; they must give the output it shows."""
    failed, attempted = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        raise_on_error=False,
        verbose=False,
    )
    assert attempted > 0, f"docs/{page} has no examples left to run"
    assert failed == 0, f"{failed} of {attempted} examples in docs/{page} failed"


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_page_examples_run(page, monkeypatch):
    """The ``>>>`` examples of each page give the output the page shows.

    They need only the tests extra: the one line that plots (user_guide.rst)
    is marked ``+SKIP`` on the page, so matplotlib is not imported. The
    callbacks page needs scikit-learn >= 1.9 and the progress extra.
    """
    if page == "callbacks.rst":
        if not skae._callbacks.SUPPORTED:
            pytest.skip(NEEDS_CALLBACKS)
        pytest.importorskip("rich", reason=NEEDS_PROGRESS)
        # ProgressBar's lines in full and without colour codes, as the page
        # shows them: rich takes the width and colour from the environment.
        monkeypatch.setenv("COLUMNS", "200")
        for name in ["FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"]:
            monkeypatch.delenv(name, raising=False)
    run_page_examples(page)


def test_deploying_examples_run(tmp_path, monkeypatch):
    """The skops and ONNX recipes of deploying.rst, with both extras installed.

    The page writes its files to the current directory: a temporary one here.
    """
    pytest.importorskip("skops.io", reason=NEEDS_SKOPS)
    for module in ("skl2onnx", "onnxruntime"):
        pytest.importorskip(module, reason=NEEDS_ONNX)
    monkeypatch.chdir(tmp_path)
    run_page_examples("deploying.rst")
    assert {path.name for path in tmp_path.iterdir()} == {
        "autoencoder.skops",
        "encoder.onnx",
    }


def test_every_page_with_examples_is_listed():
    """No page's ``>>>`` examples go untested for want of a place in the lists."""
    pages = sorted(
        path.name
        for path in DOCS.glob("*.rst")
        if ">>>" in path.read_text(encoding="utf-8")
    )
    assert pages == sorted(PAGES_WITH_EXAMPLES + PAGES_NEEDING_EXTRAS)


def test_readme_shows_the_committed_headline_figure():
    """The README's figure is the committed docs/_static/headline.png, kept small."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/_static/headline.png" in readme
    figure = DOCS / "_static" / "headline.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.stat().st_size < 200 * 1024


def test_supported_versions_are_the_floors_of_pyproject():
    """README and install page state the floors that .ci/run installs and tests."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    names = {"numpy": "NumPy", "scipy": "SciPy", "scikit-learn": "scikit-learn"}
    names["threadpoolctl"] = "threadpoolctl"
    python = re.fullmatch(r">=([\d.]+)", project["requires-python"]).group(1)
    stated = [f"Python >= {python}"]
    for requirement in project["dependencies"]:
        name, floor = re.fullmatch(r"([\w.-]+)>=([\d.]+)", requirement).groups()
        stated.append(f"{names[name]} >= {floor}")
    for page in (ROOT / "README.md", DOCS / "install.rst"):
        text = " ".join(page.read_text(encoding="utf-8").split())
        for claim in stated:
            # not followed by more digits: "1.23" must not match "1.23.2"
            assert re.search(re.escape(claim) + r"(?!\.?\d)", text), (
                f"{page.name} does not say {claim!r}"
            )


def test_gallery_examples_are_listed_in_order():
    """Every gallery script has its place in the order the docs teach them."""
    sys.path.insert(0, str(DOCS / "sphinxext"))
    try:
        from skae_docs import GALLERY_ORDER
    finally:
        sys.path.remove(str(DOCS / "sphinxext"))
    assert sorted(GALLERY_ORDER) == sorted(p.name for p in EXAMPLES.glob("plot_*.py"))


# What the docs extra installs, as imported: the build needs every one of them
# (matplotlib draws the gallery's figures, pandas runs some of its examples).
DOCS_EXTRA_MODULES = [
    "sphinx",
    "numpydoc",
    "sphinx_gallery",
    "pydata_sphinx_theme",
    "matplotlib",
    "pandas",
]
NEEDS_DOCS = "needs the docs extra: pip install '.[docs]'"


@pytest.mark.docs
def test_docs_build(tmp_path):
    """``sphinx-build -W`` passes, running every gallery example.

    Every example must draw a figure and print no warning. Each example's time
    is printed, not asserted: the project checks speed with benchmark scripts,
    never with timed tests, whose verdict would depend on the machine's load.

    The docs and examples are copied so that the build's generated files (the
    gallery, the API stubs) go to a temporary directory, not into the checkout.
    """
    for module in DOCS_EXTRA_MODULES:
        pytest.importorskip(module, reason=NEEDS_DOCS)
    shutil.copytree(
        DOCS,
        tmp_path / "docs",
        ignore=shutil.ignore_patterns(
            "_build", "auto_examples", "generated", "sg_execution_times.rst"
        ),
    )
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    html = tmp_path / "html"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(tmp_path / "docs"),
        str(html),
    ]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    elapsed = time.perf_counter() - start
    print(f"docs build: {elapsed:.0f} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]

    gallery = tmp_path / "docs" / "auto_examples"
    scripts = sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
    for script in scripts:
        page = (gallery / f"{script}.rst").read_text(encoding="utf-8")
        # Each example drew at least one figure, and printed no warning: a
        # stray ConvergenceWarning or deprecation would show in its output.
        assert list((gallery / "images").glob(f"sphx_glr_{script}_001.png")), script
        assert "Warning:" not in page, f"{script} printed a warning"
        assert (html / "auto_examples" / f"{script}.html").exists()

    times = (gallery / "sg_execution_times.rst").read_text(encoding="utf-8")
    seconds = {
        name: int(minutes) * 60 + float(secs)
        for name, minutes, secs in re.findall(
            r":ref:`sphx_glr_auto_examples_(plot_\w+)\.py`.*?\n\s+- (\d+):(\d+\.\d+)",
            times,
        )
    }
    print("gallery times (s):", {name: round(s, 1) for name, s in seconds.items()})
    assert sorted(seconds) == scripts
