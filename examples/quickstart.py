"""Quickstart: skae's autoencoder next to PCA on raw handwritten digits.

Fits ``AutoencoderTransformer`` and ``PCA`` on 70 % of scikit-learn's digits
(raw pixel values 0..16, no scaler), prints the held-out reconstruction error of
both at 8 and 2 components, and saves a figure of held-out digits above their
autoencoder and PCA reconstructions from 8 components. The figure is drawn with
matplotlib's Agg renderer, so no display is needed.

Usage::

    python examples/quickstart.py [--output quickstart.png]
"""

import argparse

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from skae import AutoencoderTransformer


def reconstruct(model, X):
    """Encode then decode X, in the units of X."""
    return model.inverse_transform(model.transform(X))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="quickstart.png", help="figure path (PNG)")
    args = parser.parse_args()

    X, _ = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X, test_size=0.3, random_state=0)

    models, mse = {}, {}
    for n_components in (8, 2):
        for name, model in [
            ("autoencoder", AutoencoderTransformer(n_components, random_state=0)),
            ("PCA", PCA(n_components)),
        ]:
            model.fit(X_train)
            errors = reconstruct(model, X_test) - X_test
            models[name, n_components] = model
            mse[name, n_components] = np.mean(errors**2)

    print("Held-out reconstruction MSE on raw digits (pixel values 0..16):")
    print(f"{'n_components':>12}  {'autoencoder':>11}  {'PCA':>7}  {'AE / PCA':>8}")
    for n_components in (8, 2):
        ae, pca = mse["autoencoder", n_components], mse["PCA", n_components]
        print(f"{n_components:>12}  {ae:>11.3f}  {pca:>7.3f}  {ae / pca:>8.2f}")

    rows = {"original": X_test[:10]}
    for name in ("autoencoder", "PCA"):
        label = f"{name}\nMSE {mse[name, 8]:.2f}"
        rows[label] = reconstruct(models[name, 8], X_test[:10])
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(3, 10)
    for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
        for ax, image in zip(row_axes, images, strict=True):
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(label, fontsize=9)
    fig.suptitle("Held-out digits and their reconstructions from 8 components")
    fig.savefig(args.output, dpi=100)
    print(f"Saved figure to {args.output}")


if __name__ == "__main__":
    main()
