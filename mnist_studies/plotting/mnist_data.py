"""Figures of notebooks/00_mnist_data.ipynb, drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from mnist_studies.data import NUM_CLASSES
from mnist_studies.plotting import image_grid
from mnist_studies.studies import mnist_data as study


def plot_samples_per_class(images, labels, *, samples_per_class: int = 10, seed: int = 0):
    """A grid with one row per class and ``samples_per_class`` randomly chosen digits in each row."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(NUM_CLASSES, samples_per_class, figsize=(samples_per_class * 0.7, NUM_CLASSES * 0.7))
    for digit in range(NUM_CLASSES):
        chosen = rng.choice(np.flatnonzero(labels == digit), size=samples_per_class, replace=False)
        image_grid(axes[digit], images[chosen])
        axes[digit, 0].set_ylabel(str(digit), rotation=0, labelpad=10, fontsize=11)
    fig.suptitle("MNIST training digits, one row per class")
    return fig


def plot_class_histograms(y_train, y_test):
    """Bar charts of the class counts of the training and test sets."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, labels, title in zip(axes, (y_train, y_test), ("train", "test")):
        counts = study.class_counts(labels)
        ax.bar(range(NUM_CLASSES), counts, color="tab:blue")
        ax.set_xticks(range(NUM_CLASSES))
        ax.set_xlabel("digit")
        ax.set_title(f"{title}: {counts.sum():,} images")
        for digit, count in enumerate(counts):
            ax.text(digit, count, str(count), ha="center", va="bottom", fontsize=7)
    axes[0].set_ylabel("images")
    fig.tight_layout()
    return fig
