"""Figures of study 001 (notebooks/02_resnet_and_two_layer_cnn.ipynb), drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from mnist_studies.plotting import plot_misclassified as plot_misclassified_grid


def plot_training_curves(study_records: list[dict]):
    """Training loss per iteration (the paper's Figure 3), validation accuracy and the learning rate per epoch."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for i, r in enumerate(study_records):
        losses = np.array(r["history"]["iteration_loss"])
        axes[0].plot(np.arange(1, len(losses) + 1), losses, lw=0.6, alpha=0.8, color=f"C{i}", label=r["name"])
        epochs = np.arange(1, len(r["history"]["val_accuracy"]) + 1)
        axes[1].plot(epochs, 100 * np.array(r["history"]["val_accuracy"]), marker=".", color=f"C{i}",
                     label=r["name"])
        axes[2].plot(epochs, r["history"]["learning_rate"], color=f"C{i}", label=r["name"])
    axes[0].set(xlabel="iteration", ylabel="training loss", yscale="log", title="Training loss per iteration")
    axes[1].set(xlabel="epoch", ylabel="validation accuracy (%)", title="Validation accuracy")
    axes[2].set(xlabel="epoch", ylabel="learning rate (end of epoch)", title="Cosine learning-rate schedule")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_misclassified(record: dict, test_images: np.ndarray, *, limit: int = 40):
    """The misclassified test digits of one model, titled "true→predicted"."""
    wrong = record["extra"]["misclassified"]
    index = np.asarray(wrong["index"], dtype=int)
    return plot_misclassified_grid(test_images[index], wrong["true"], wrong["predicted"], title=record["name"],
                                   limit=limit)
