"""Figure helpers shared by the studies: fixed dpi, PNG without timestamps, shown in notebooks, then closed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from mnist_studies import paths

DPI = 110


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def save_figure(fig: matplotlib.figure.Figure, name: str, profile: str, *, show: bool = True) -> Path:
    """Save ``fig`` as ``figures/<profile>/<name>.png`` (atomically, no timestamp), show it in a notebook, close it."""
    folder = paths.figures_dir(profile)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".png")
    os.fchmod(fd, 0o644)  # mkstemp makes 0600 files; a figure is an ordinary project file
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=DPI, format="png", metadata={"Software": None}, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    if show and _in_notebook():
        from IPython.display import display

        display(fig)
    plt.close(fig)
    return path


def show_figure(fig: matplotlib.figure.Figure) -> None:
    """Show ``fig`` in a notebook and close it, without saving it (a figure of your own photos stays yours)."""
    if _in_notebook():
        from IPython.display import display

        display(fig)
    plt.close(fig)


def image_grid(ax_grid, images, titles=None, *, cmap="gray_r", vmin=None, vmax=None):
    """Draw ``images`` (N, H, W[, 1]) into an array of axes, one per image; extra axes are blanked."""
    axes = np.asarray(ax_grid).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(images):
            ax.axis("off")
            continue
        image = np.asarray(images[i])
        ax.imshow(image.squeeze(), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
    return axes


def plot_misclassified(images, y_true, y_pred, *, title: str, limit: int = 40, cols: int = 10):
    """A grid of the first ``limit`` misclassified images, each titled "true→predicted"."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    count = min(limit, len(wrong))
    rows = max(1, int(np.ceil(count / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.9, rows * 1.05), squeeze=False)
    shown = wrong[:count]
    image_grid(axes, np.asarray(images)[shown], [f"{t}→{p}" for t, p in zip(y_true[shown], y_pred[shown])])
    fig.suptitle(f"{title}: {len(wrong)} misclassified test digits (first {count}; true→predicted)", fontsize=9)
    fig.tight_layout()
    return fig
