"""The data overview of ``notebooks/00_mnist_data.ipynb``: sample digits per class and class histograms."""

from __future__ import annotations

import numpy as np

from mnist_studies.data import NUM_CLASSES


def class_counts(labels: np.ndarray) -> np.ndarray:
    """Number of images of each class 0..9."""
    return np.bincount(np.asarray(labels), minlength=NUM_CLASSES)
