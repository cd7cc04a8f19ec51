"""Write docs/_static/headline.png, the figure that the README and the docs index show.

It is the first figure of the gallery example ``examples/plot_pca_vs_autoencoder.py``
(held-out reconstruction error against ``n_components``, and reconstructed digits),
drawn by running that example. The PNG is committed so that the README can show it;
run this again after changing the example or the estimator::

    python docs/make_headline_figure.py
"""

# SPDX-License-Identifier: BSD-3-Clause

import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plot_pca_vs_autoencoder.py"
OUTPUT = ROOT / "docs" / "_static" / "headline.png"


def main():
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    figure = plt.figure(plt.get_fignums()[0])
    figure.savefig(OUTPUT, dpi=100)
    print(f"Saved {OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
