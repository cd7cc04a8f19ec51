"""Draw the diagram of the autoencoder's architecture that the user guide shows.

The user guide's ``.. plot::`` directive (matplotlib's plot directive) runs this
script at every docs build, so no image is committed. Run it alone to look at
the figure::

    python docs/make_architecture_diagram.py

It draws the default network (``hidden_layer_sizes=(128, 128)``): PCA's
projection and reconstruction as linear paths, and a correction network beside
each, in the notation of the user guide's "Mathematical formulation".
"""

# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

PCA_COLOUR = "#1f77b4"
CORRECTION_COLOUR = "#d95f02"
DATA_COLOUR = "#555555"


def _layer(ax, x, height, label, colour, width=3.2, y=0.0):
    """A layer drawn as a box centred at (x, y), its width written inside."""
    box = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.3",
        facecolor="white",
        edgecolor=colour,
        linewidth=1.6,
    )
    ax.add_patch(box)
    ax.text(x, y, label, ha="center", va="center", rotation=90, fontsize=9)


def _arrow(ax, start, end, colour, rad=0.0, style="-|>", width=1.4):
    """An arrow from ``start`` to ``end``, bent by ``rad``."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            connectionstyle=f"arc3,rad={rad}",
            color=colour,
            linewidth=width,
            shrinkA=0,
            shrinkB=0,
        )
    )


def _sum(ax, x, y=0.0):
    """The node where a linear path and a correction add up."""
    ax.add_patch(
        plt.Circle((x, y), 1.3, facecolor="white", edgecolor="black", linewidth=1.2)
    )
    ax.text(x, y, "+", ha="center", va="center", fontsize=11)


def draw():
    """The architecture diagram, as a new matplotlib figure."""
    fig, ax = plt.subplots(figsize=(8, 3.2), layout="constrained")
    ax.set_xlim(-1, 101)
    ax.set_ylim(-17, 16.5)
    ax.set_axis_off()

    tall, hidden, code = 16, 12, 5
    # Input, centred and scaled by one global sigma.
    _layer(ax, 2, tall, "$x$  ($d$)", DATA_COLOUR)
    _arrow(ax, (4, 0), (9.5, 0), DATA_COLOUR)
    ax.text(6.8, 1.2, r"$\frac{x-\mu}{\sigma}$", ha="center", fontsize=10)
    _layer(ax, 12, tall, r"$x_{\mathrm{in}}$  ($d$)", DATA_COLOUR)

    # Encoder: correction g through the hidden layers, PCA's projection above.
    for x0, x1 in [(13.8, 19.6), (23.4, 27.6), (31.4, 35.6)]:
        _arrow(ax, (x0, 0), (x1, 0), CORRECTION_COLOUR)
    _layer(ax, 21.5, hidden, "128", CORRECTION_COLOUR)
    _layer(ax, 29.5, hidden, "128", CORRECTION_COLOUR)
    _layer(ax, 37.5, code, "$k$", CORRECTION_COLOUR)
    _arrow(ax, (39.4, 0), (42.4, 0), CORRECTION_COLOUR)
    ax.text(40.9, -1.8, r"$\times c$", ha="center", va="top", fontsize=9)
    _sum(ax, 44)
    _arrow(ax, (12, 9.5), (44, 1.4), PCA_COLOUR, rad=-0.25)
    ax.text(
        27,
        13.5,
        r"PCA projection $E=V^{\top}\sigma/s$",
        ha="center",
        color=PCA_COLOUR,
        fontsize=9,
    )
    ax.text(
        29.5,
        -8.5,
        "encoder correction $g$\n(hidden layers: activation)",
        ha="center",
        va="top",
        color=CORRECTION_COLOUR,
        fontsize=8.5,
    )

    # The code: whitened inside the network, in the units of X for transform.
    _arrow(ax, (45.3, 0), (48.2, 0), "black")
    _layer(ax, 50, code, "$C$  ($k$)", "black", width=2.8)
    _arrow(ax, (50, -3.2), (50, -10.5), "black")
    ax.text(
        50,
        -11,
        "$z = s \\odot C$\ntransform(X)",
        ha="center",
        va="top",
        fontsize=9,
    )

    # Decoder: correction h mirrors g, PCA's reconstruction above.
    for x0, x1 in [(51.6, 56.6), (60.4, 64.6), (68.4, 72.6)]:
        _arrow(ax, (x0, 0), (x1, 0), CORRECTION_COLOUR)
    _layer(ax, 58.5, hidden, "128", CORRECTION_COLOUR)
    _layer(ax, 66.5, hidden, "128", CORRECTION_COLOUR)
    _layer(ax, 74.5, hidden, "$d$", CORRECTION_COLOUR)
    _arrow(ax, (76.4, 0), (79.4, 0), CORRECTION_COLOUR)
    ax.text(77.9, -1.8, r"$\times o$", ha="center", va="top", fontsize=9)
    _sum(ax, 81)
    _arrow(ax, (50, 3.2), (81, 1.4), PCA_COLOUR, rad=-0.7)
    ax.text(
        66,
        13.5,
        r"PCA reconstruction $D=\mathrm{diag}(s)\,V/\sigma$",
        ha="center",
        color=PCA_COLOUR,
        fontsize=9,
    )
    ax.text(
        66.5,
        -8.5,
        "decoder correction $h$\n(mirrors $g$)",
        ha="center",
        va="top",
        color=CORRECTION_COLOUR,
        fontsize=8.5,
    )

    # Output, back in the units of X.
    _arrow(ax, (82.3, 0), (85.2, 0), "black")
    _layer(ax, 87, tall, "$A$  ($d$)", "black", width=2.8)
    _arrow(ax, (88.8, 0), (95.4, 0), DATA_COLOUR)
    ax.text(92.1, 1.2, r"$\mu+\sigma A$", ha="center", fontsize=9)
    _layer(ax, 98, tall, r"$\hat{x}$  ($d$)", DATA_COLOUR)
    ax.text(
        98,
        -11,
        "inverse_\ntransform(z)",
        ha="center",
        va="top",
        fontsize=9,
    )
    return fig


if __name__ == "__main__":
    draw()
    plt.show()
