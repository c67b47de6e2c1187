"""Figures of study 002 (notebooks/03_training_choices.ipynb), drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np

from mnist_studies.studies import training_choices as study


def plot_curves(study_records: list[dict], metric: str = "val_accuracy"):
    """Small multiples (the paper's Figures 21–22 for every cell): one panel per model/activation (rows) and
    optimizer (columns), one line per learning rate."""
    keys = sorted({study.cell_key(r) for r in study_records})
    rows = sorted({(k[0], k[3]) for k in keys})
    cols = sorted({k[1] for k in keys})
    rates = sorted({k[2] for k in keys})
    by_cell = {study.cell_key(r): r for r in study_records}
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(3.4 * len(cols), 2.3 * len(rows)), squeeze=False,
                             sharex=True, sharey=True)
    for (i, (model, activation)), (j, opt) in itertools.product(enumerate(rows), enumerate(cols)):
        ax = axes[i, j]
        for c, lr in enumerate(rates):
            r = by_cell.get((model, opt, lr, activation))
            if r is not None:
                values = np.array(r["history"][metric], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, color=plt.cm.viridis(c / max(1, len(rates) - 1)),
                        label=f"lr={lr:g}")
        ax.set_title(f"{model.upper()} / {opt.upper()} / {activation}", fontsize=8)
        ax.grid(alpha=0.3)
        if metric.endswith("loss"):
            ax.set_yscale("log")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel(metric.replace("_", " "))
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_heatmaps(study_records: list[dict]):
    """Heat maps of best validation accuracy and test accuracy: rows model/activation, columns optimizer/rate."""
    keys = sorted({study.cell_key(r) for r in study_records})
    rows = sorted({(k[0], k[3]) for k in keys})
    cols = sorted({(k[1], k[2]) for k in keys})
    by_cell = {study.cell_key(r): r for r in study_records}
    fig, axes = plt.subplots(1, 2, figsize=(2.2 + 1.6 * len(cols), 0.6 + 0.5 * len(rows)), squeeze=False)
    for ax, metric, title in zip(axes[0], ("best_val_accuracy", "test_accuracy"),
                                 ("best validation accuracy (%)", "test accuracy of the best checkpoint (%)")):
        grid = np.full((len(rows), len(cols)), np.nan)
        for (i, (model, act)), (j, (opt, lr)) in itertools.product(enumerate(rows), enumerate(cols)):
            r = by_cell.get((model, opt, lr, act))
            if r is not None:
                grid[i, j] = 100 * r["metrics"][metric]
        ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
        for i, j in itertools.product(range(len(rows)), range(len(cols))):
            if not math.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7,
                        color="black" if grid[i, j] > 60 else "white")
        ax.set_xticks(range(len(cols)), [f"{o}\nlr={lr:g}" for o, lr in cols], fontsize=7)
        ax.set_yticks(range(len(rows)), [f"{m}/{a}" for m, a in rows], fontsize=7)
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_activation_functions():
    """The paper's Figures 19–20: sigmoid and ReLU, with their derivatives (why sigmoid gradients vanish)."""
    z = np.linspace(-6, 6, 601)
    sigmoid = 1 / (1 + np.exp(-z))
    relu = np.maximum(z, 0)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax, f, df, title in ((axes[0], sigmoid, sigmoid * (1 - sigmoid), "sigmoid (Figure 19)"),
                             (axes[1], relu, (z > 0).astype(float), "ReLU (Figure 20)")):
        ax.plot(z, f, label="f(z)")
        ax.plot(z, df, "--", label="f'(z)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("z")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].annotate("max slope 0.25", (0, 0.25), (1.5, 0.45), fontsize=8, arrowprops={"arrowstyle": "->"})
    fig.tight_layout()
    return fig
