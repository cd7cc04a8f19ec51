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


def _skae_docs():
    """docs/sphinxext/skae_docs.py, the build's helpers and the gallery's checks."""
    sys.path.insert(0, str(DOCS / "sphinxext"))
    try:
        import skae_docs
    finally:
        sys.path.remove(str(DOCS / "sphinxext"))
    return skae_docs


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


def test_readme_quickstart_prints_what_it_shows(capsys):
    """The README's quickstart prints the numbers shown below it.

    Its MSEs and their ratio come from a fit of a few hundred epochs, which
    the BLAS's summation order changes in the last bits only: two decimals
    agree with one thread and with two.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quickstart") : readme.index("## A drop-in")]
    code, shown = re.search(
        r"```python\n(.*?)```.*?```text\n(.*?)```", section, re.DOTALL
    ).groups()
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == shown


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
    order = _skae_docs().GALLERY_ORDER
    assert sorted(order) == sorted(p.name for p in EXAMPLES.glob("plot_*.py"))


# The gallery's checks (docs/sphinxext/skae_docs.py), on made-up cases: each must
# catch what it is there for, or the docs build below would pass for nothing.


def test_numbered_claims_must_be_printed_or_set():
    skae_docs = _skae_docs()
    prose = (
        "The autoencoder's error is 0.57 times PCA's, and 5.31x on wine; 30 % are "
        "held out and ``alpha=0.01`` is a literal. 8x8 digits, 1 000 epochs,\n"
        "N(0, 2^2) noise, :ref:`label 0.9` and a literal block::\n\n"
        "    ratio = 0.42\n\nare not claims."
    )
    claims = skae_docs.numbered_claims(prose)
    assert claims == [("0.57", "x"), ("5.31", "x"), ("30", "%")]
    code = "train_test_split(X, test_size=0.3)"
    assert skae_docs.unprinted_claims(prose, code, "ratio 0.57") == ["5.31 x"]
    assert skae_docs.unprinted_claims(prose, code, "0.57 and 5.31") == []
    assert skae_docs.unprinted_claims(prose, "", "0.57 5.31") == ["30 %"]


def test_stray_reprs_are_found():
    stray = _skae_docs().STRAY_REPR
    assert stray.search("<matplotlib.legend.Legend object at 0x7f3a2c1d0e50>")
    assert stray.search("[<matplotlib.lines.Line2D at 0x7f3a2c1d0e50>]")
    assert stray.search("<Foo object at 0xABC123>")
    assert not stray.search("best epoch: 40, <= 0.5 and > 0.1")


def test_license_cell_is_dropped_from_gallery_pages():
    skae_docs = _skae_docs()
    page = (
        "intro\n\n.. GENERATED FROM PYTHON SOURCE LINES 21-24\n\n"
        ".. code-block:: Python\n\n\n"
        "    # SPDX-License-Identifier: BSD-3-Clause\n\n\n\n"
        ".. GENERATED FROM PYTHON SOURCE LINES 25-31\n\nThe data\n"
    )
    source = [page]
    skae_docs.drop_license_cell(None, "auto_examples/plot_x", source)
    assert "SPDX" not in source[0]
    assert source[0].startswith("intro") and "The data" in source[0]
    source = [page]
    skae_docs.drop_license_cell(None, "user_guide", source)
    assert source == [page]


def test_computation_times_say_where_they_ran():
    skae_docs = _skae_docs()
    page = "Computation times\n=================\n**00:10.000** total execution time"
    source = [page]
    skae_docs.note_build_machine(None, "auto_examples/sg_execution_times", source)
    assert "CPUs, with threads limited to:" in source[0].splitlines()[2]
    assert source[0].endswith("**00:10.000** total execution time")


def test_scraper_fails_on_an_empty_axes(tmp_path):
    """The gallery's scraper saves the figure, then fails on its empty panel."""
    pytest.importorskip("sphinx_gallery", reason=NEEDS_DOCS)
    matplotlib = pytest.importorskip("matplotlib", reason=NEEDS_DOCS)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import ImagePathIterator

    skae_docs = _skae_docs()
    gallery_conf = {
        "image_srcset": [],
        "matplotlib_animations": (False, None),
        "compress_images": (),
        "compress_images_args": [],
        "src_dir": str(tmp_path),
    }

    def scrape():
        images = ImagePathIterator(tmp_path / "sphx_glr_plot_x_{0:03}.png")
        block_vars = {
            "image_path_iterator": images,
            "src_file": str(tmp_path / "plot_x.py"),
            "example_globals": {},
        }
        return skae_docs.matplotlib_scraper(None, block_vars, gallery_conf)

    fig, axes = plt.subplots(1, 2)
    axes[0].plot([0, 1])
    axes[1].set_title("early stopping")
    assert skae_docs.empty_axes(fig) == ["early stopping"]
    with pytest.raises(ValueError, match="plot_x.py draws axes that hold no data"):
        scrape()
    assert plt.get_fignums() == []  # saved and closed before the error

    fig, axes = plt.subplots(1, 2)
    axes[0].plot([0, 1])
    axes[1].imshow([[0, 1]])
    assert "image" in scrape()


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

    # The build itself failed on a figure with an empty axes (the gallery's
    # scraper, tested above); the pages' other checks need the whole page.
    skae_docs = _skae_docs()
    gallery = tmp_path / "docs" / "auto_examples"
    scripts = sorted(path.stem for path in EXAMPLES.glob("plot_*.py"))
    problems = []
    for script in scripts:
        page = (gallery / f"{script}.rst").read_text(encoding="utf-8")
        # Each example drew at least one figure, and printed no warning: a
        # stray ConvergenceWarning or deprecation would show in its output.
        assert list((gallery / "images").glob(f"sphx_glr_{script}_001.png")), script
        assert "Warning:" not in page, f"{script} printed a warning"
        rendered = (html / "auto_examples" / f"{script}.html").read_text("utf-8")
        if "SPDX-License-Identifier" in rendered:
            problems.append(f"{script}: shows its license line as a code cell")
        output = skae_docs.script_output(page)
        for repr_ in skae_docs.STRAY_REPR.findall(output):
            problems.append(f"{script}: prints {repr_!r}, not meant for the reader")
        prose, code = skae_docs.example_prose_and_code(EXAMPLES / f"{script}.py")
        for claim in skae_docs.unprinted_claims(prose, code, output):
            problems.append(f"{script}: its text says {claim!r}, which it never prints")
    assert not problems, "\n".join(problems)

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
