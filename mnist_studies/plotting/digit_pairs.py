"""Figures of study 003 (notebooks/04_digit_pairs.ipynb), drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_alpha_sweep(alpha_records: list[dict]):
    """Figure 2: mean ± std validation accuracy of CNNaux against α, the digit CNN as a reference line."""
    sweep = sorted((r for r in alpha_records if r["metrics"]["alpha"] is not None), key=lambda r: r["metrics"]["alpha"])
    alphas = np.array([r["metrics"]["alpha"] for r in sweep])
    accs = 100 * np.array([r["metrics"]["val_accuracies"] for r in sweep])
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    positions = np.arange(len(alphas))  # α spans 0 … 40+: equally spaced categories read best
    ax.errorbar(positions, accs.mean(axis=1), yerr=accs.std(axis=1), marker="o", capsize=4, label="CNNaux")
    ax.annotate("α = 0: siamese (CNNws2)", (0, accs.mean(axis=1)[0]), (0.3, accs.mean(axis=1)[0] - 4), fontsize=8)
    for r in alpha_records:
        if r["metrics"]["alpha"] is None:
            digit = 100 * np.array(r["metrics"]["val_accuracies"])
            ax.axhline(digit.mean(), color="C1", ls="--", label=f"digit CNN ({digit.mean():.1f}%)")
            ax.axhspan(digit.mean() - digit.std(), digit.mean() + digit.std(), color="C1", alpha=0.15)
    ax.set_xticks(positions, [f"{a:g}" for a in alphas])
    ax.set_xlabel("auxiliary loss weight α")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("Influence of α (paper's Figure 2)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_training_error(evaluation: list[dict]):
    """Figure 3: average training error per epoch of every model (mean over runs)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name in dict.fromkeys(r["extra"]["model"] for r in evaluation):
        curves = 100 * np.array([r["history"]["train_error"] for r in evaluation if r["extra"]["model"] == name])
        ax.plot(np.arange(1, curves.shape[1] + 1), curves.mean(axis=0), label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training error (%)")
    ax.set_title("Average training error per epoch (paper's Figure 3)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
