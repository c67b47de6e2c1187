"""Figures of ``notebooks/06_read_your_pages.ipynb``: a photo beside what the reader read on it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


def plot_reading(image: np.ndarray, result, *, min_confidence: float = 0.0, title: str = "",
                 shape: tuple[int, int] | None = None):
    """The photo, and beside it the same photo with a box and label per digit read (red; blue with a "?" and its
    probability when the reader is less sure than ``min_confidence``), the paper's Figure 2. ``shape``: the file's
    (rows, columns) when ``image`` is it reduced (``segmentation.read_photo``; the boxes are on the file)."""
    shown = np.clip(image, 0, 1)
    height, width = shape or shown.shape[:2]
    fig, axes = plt.subplots(1, 2, figsize=(12, max(2.5, 6 * height / max(width, 1))), squeeze=False)
    for ax in axes[0]:
        ax.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1,
                  extent=(-0.5, width - 0.5, height - 0.5, -0.5))
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_title(title or result.image, fontsize=9)
    axes[0, 1].set_title(f"read: {result.text_at(min_confidence).replace(chr(10), ' / ') or '(nothing)'}",
                         fontsize=9)
    for d in result.digits:
        x0, y0, x1, y1 = d.box
        sure = d.probability >= min_confidence
        colour = "tab:red" if sure else "tab:blue"
        axes[0, 1].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=1.2))
        label = str(d.label) if sure else f"{d.label}? {d.probability:.2f}"
        axes[0, 1].text(x0, y0 - 2, label, color=colour, fontsize=8, va="bottom")
    fig.tight_layout()
    return fig
