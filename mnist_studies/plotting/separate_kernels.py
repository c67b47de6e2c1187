"""Figures of study 000 (notebooks/01_separately_trained_kernels.ipynb), drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from mnist_studies import claims
from mnist_studies.studies import separate_kernels as study


def plot_kernels(record: dict):
    """The 30 kernels of one run: pre-trained (as stacked), pre-trained after fine-tuning, conventional after."""
    kernels = record["extra"]["kernels"]
    rows = [("pre-trained, as stacked", "pretrained_initial"), ("pre-trained, fine-tuned", "pretrained_final"),
            ("conventional, trained", "conventional_final")]
    n = np.asarray(kernels["pretrained_initial"]).shape[-1]
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.42, len(rows) * 0.75))
    for r, (label, key) in enumerate(rows):
        stack = np.asarray(kernels[key])
        limit = np.abs(stack).max()
        for k in range(n):
            ax = axes[r, k]
            ax.imshow(stack[..., k], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0 and k % 3 == 0:
                ax.set_title(f"d={k // 3}", fontsize=7)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"Conv kernels ({record['config']['activation']}, seed {record['seed']}); "
                 "each group of 3 comes from the binary model of digit d", fontsize=9)
    return fig


def plot_accuracy_over_seeds(study_records: list[dict]):
    """Test accuracy of each seed (points) and mean ± std (bars), pre-trained vs conventional, per activation."""
    rows = study.summarize(study_records)
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3.4), squeeze=False, sharey=True)
    for ax, row in zip(axes[0], rows):
        group = [r for r in study_records if r["config"]["activation"] == row["activation"]]
        for i, kind in enumerate(study.MODELS):
            values = [100 * r["metrics"][f"{kind}_test_accuracy"] for r in group]
            ax.scatter(np.full(len(values), i) + np.linspace(-0.08, 0.08, len(values)), values, s=14,
                       color=f"C{i}", alpha=0.7)
            mean, std = claims.mean_std(values)
            ax.errorbar(i + 0.25, mean, yerr=std, fmt="o", color=f"C{i}", capsize=4)
        for r in group:  # pair lines
            ax.plot([0, 1], [100 * r["metrics"][f"{k}_test_accuracy"] for k in study.MODELS], color="grey", lw=0.5)
        ax.set_xticks([0, 1], ["pre-trained", "conventional"])
        ax.set_xlim(-0.4, 1.5)
        ax.set_title(f"{row['activation']}: gain {row['gain_points'][0]:+.2f} ± {row['gain_points'][1]:.2f} "
                     f"({row['n_seeds']} seeds)", fontsize=9)
    axes[0, 0].set_ylabel("test accuracy (%)")
    fig.suptitle("Pre-trained vs conventional kernels: test accuracy per seed, mean ± std", fontsize=10)
    fig.tight_layout()
    return fig


def plot_accuracy_per_epoch(study_records: list[dict]):
    """Test accuracy before training and after each epoch (mean ± std over seeds), per activation."""
    activations = list(dict.fromkeys(r["config"]["activation"] for r in study_records))
    fig, axes = plt.subplots(1, len(activations), figsize=(3.2 * len(activations), 3.2), squeeze=False)
    for ax, activation in zip(axes[0], activations):
        group = [r for r in study_records if r["config"]["activation"] == activation]
        for i, kind in enumerate(study.MODELS):
            curves = 100 * np.array([r["history"][kind]["test_accuracy"] for r in group])
            epochs = np.arange(curves.shape[1])
            mean, std = curves.mean(axis=0), curves.std(axis=0)
            ax.plot(epochs, mean, marker="o", color=f"C{i}", label=kind)
            ax.fill_between(epochs, mean - std, mean + std, color=f"C{i}", alpha=0.2)
        ax.set_xticks(epochs)
        ax.set_xlabel("epoch (0 = before training)")
        ax.set_title(activation, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("test accuracy (%)")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig
