"""Figures of study 004 (notebooks/05_lenet5_and_page_recognition.ipynb), drawn from run records; no training here.

Kept out of the result-code fingerprint (``records.code_fingerprint``): editing a figure redraws it
(``make reproduce`` reruns the notebook on the finished runs' records) without retraining anything.
"""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt
import numpy as np

from mnist_studies.plotting import plot_misclassified as plot_misclassified_grid
from mnist_studies.studies import lenet5 as study


def plot_accuracy_every(study_records: list[dict]):
    """Test accuracy every ``evaluate_every`` iterations for each ablation step (mean over seeds)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    colours = len(study.ABLATION) + len(study.MORE_KERNELS)
    for i, step in enumerate(study.steps_in_order(study_records)):
        curves = [r["history"]["test_accuracy_every"] for r in study_records
                  if study.is_training_run(r) and r["config"]["step"] == step]
        if not curves or not curves[0]:
            continue
        iterations = [p[0] for p in curves[0]]
        mean = 100 * np.mean([[p[1] for p in c] for c in curves], axis=0)
        ax.plot(iterations, mean, marker=".", color=plt.cm.viridis(i / max(1, colours - 1)), label=step)
    ax.set(xlabel="iteration", ylabel="test accuracy (%)", title="Test accuracy during training")
    ax.set_ylim(bottom=max(0.0, ax.get_ylim()[0]))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_lr_sweep(study_records: list[dict]):
    """The learning-rate sweep (``study.choose_learning_rate``): validation accuracy every ``evaluate_every``
    iterations for each rate of the grid, the chosen one drawn thick. None when the profile has no sweep."""
    sweep = sorted((r for r in study_records if r["name"].startswith("lr_sweep-")),
                   key=lambda r: r["config"]["learning_rate"])
    if not sweep:
        return None
    best = max(sweep, key=lambda r: r["metrics"]["val_accuracy"])
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for i, r in enumerate(sweep):
        points = r["history"]["val_accuracy_every"]
        chosen = r is best
        ax.plot([p[0] for p in points], [100 * p[1] for p in points], marker=".", lw=2.5 if chosen else 1,
                color=plt.cm.plasma(i / max(1, len(sweep))),
                label=f"{r['config']['optimizer']} {r['config']['learning_rate']:g}: "
                      f"{100 * r['metrics']['val_accuracy']:.2f}%" + (" (chosen)" if chosen else ""))
    ax.set(xlabel="iteration", ylabel="validation accuracy (%)",
           title=f"Learning rate chosen on {sweep[0]['metrics']['val_images']:,} held-out training images")
    ax.set_ylim(bottom=max(0.0, min(ax.get_ylim()[0], 90.0)))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_confusion(record: dict, y_test: np.ndarray):
    """Confusion matrix of the improved model (scikit-learn)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(5, 4.4))
    ConfusionMatrixDisplay.from_predictions(y_test, np.asarray(record["extra"]["predicted"]), ax=ax, colorbar=False,
                                            cmap="Blues")
    ax.set_title(f"{record['config']['step']} (seed {record['seed']}): confusion matrix", fontsize=9)
    fig.tight_layout()
    return fig


def _draw_digits(ax, result) -> None:
    """Each recognized digit's box, its label at the upper left."""
    for digit in result.digits:
        x0, y0, x1, y1 = digit.box
        ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="C3", lw=1))
        ax.text(x0, y0 - 2, str(digit.label), color="C3", fontsize=8, va="bottom")


def plot_hard_page(image: np.ndarray, truth: str, model: keras.Model):
    """The paper's pipeline and the photo method side by side on a hard page (``families.hard_page``: ruled paper
    under a hard shadow): the paper's binarization, the photo method's levelled page and ink mask, and what each
    reads."""
    from mnist_studies import segmentation
    from mnist_studies.segmentation.benchmark import pages

    grey = image / 255.0
    paper_mask = segmentation.ink_mask(grey, method="paper")
    prepared = segmentation.prepare_page(grey, method="photo")
    levelled, photo_mask = prepared.page, prepared.mask
    paper = segmentation.recognize_page("page", model, grey=grey, method="paper")
    photo = segmentation.recognize_page("page", model, grey=grey, method="photo")
    aspect = grey.shape[0] / grey.shape[1]
    fig, axes = plt.subplots(2, 3, figsize=(15, 2 * 5 * aspect + 1.2))

    def score(result):
        right, total = pages.score_text(result.text, truth)
        return f"{right} of {total} digits right"

    panels = [(grey, "1. the photo: ruled paper, a hard shadow"),
              (~paper_mask, "2. the paper's binarization: the shadow's edge and the rules are ink"),
              (None, f"3. the paper's pipeline reads: {score(paper)}"),
              (levelled, "4. photo method: ink channel, background divided out"),
              (~photo_mask, "5. ... binarized, ruled lines removed"),
              (None, f"6. the photo method reads: {score(photo)}")]
    for ax, (shown, title) in zip(axes.ravel(), panels):
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        if shown is not None:
            ax.imshow(shown, cmap="gray", vmin=0, vmax=1)
    for ax, result, page in ((axes[0, 2], paper, grey), (axes[1, 2], photo, grey)):  # boxes on the input page
        ax.imshow(page, cmap="gray", vmin=0, vmax=1)
        _draw_digits(ax, result)
    fig.tight_layout()
    return fig


def plot_directional_projection(grey: np.ndarray, truth: str):
    """Study 004's segmentation of one page two ways: by vertical projection alone, and by directional projection
    (``segmentation.split_row``: each run of ink also projected along slanted lines, a piece split off along an empty
    slanted line drawn in a colour of its own; a wide blob whose every column crosses two strokes left whole)."""
    from mnist_studies import segmentation

    mask = segmentation.remove_specks(segmentation.binarize(grey))
    rows = segmentation.find_rows(mask)
    share = segmentation.digit_width_share(mask, rows)
    digits = len(truth.replace("\n", ""))
    aspect = grey.shape[0] / grey.shape[1]
    fig, axes = plt.subplots(2, 1, figsize=(10, 2 * 10 * aspect + 1.0))
    for ax, slants, name in ((axes[0], (), "vertical projection alone, every wide blob cut"),
                             (axes[1], segmentation.SLANTS, "directional projection (our reading of the paper)")):
        shown = np.where(mask[..., None], 0.55, 1.0) * np.ones(3)
        if slants:
            colours = plt.get_cmap("tab10")(np.arange(10))[:, :3]
            for y0, y1 in rows:
                band = mask[y0:y1]
                for start, end in segmentation.ink_runs(band.sum(axis=0)):
                    pieces = segmentation.slanted_pieces(band[:, start:end], share * (y1 - y0), slants=slants)
                    for k, piece in enumerate(pieces if len(pieces) > 1 else []):
                        ys, xs = np.nonzero(piece)
                        shown[y0 + ys, start + xs] = colours[k % 10]
        boxes = segmentation.segment(mask, slants=slants, one_wide_digit=segmentation.ONE_WIDE_DIGIT if slants else 0)
        ax.imshow(shown)
        for _, (x0, y0, x1, y1) in boxes:
            ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color="C3", lw=0.8))
        ax.set_title(f"{name}: {len(boxes)} boxes for {digits} digits", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_pipeline(grey: np.ndarray, model: keras.Model):
    """The recognizer stage by stage on one page: original, binarized, projections, boxes, normalized digits,
    annotated result."""
    from mnist_studies import segmentation

    mask = segmentation.remove_specks(segmentation.binarize(grey))
    boxes = segmentation.segment(mask)
    result = segmentation.recognize_page("page", model, grey=grey)
    aspect = grey.shape[0] / grey.shape[1]
    fig = plt.figure(figsize=(12, 2 * 6 * aspect + 1.6))
    grid = fig.add_gridspec(3, 2, height_ratios=[6 * aspect, 6 * aspect, 1.2])
    ax = fig.add_subplot(grid[0, 0])
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    ax.set_title("1. original page", fontsize=9)
    ax = fig.add_subplot(grid[0, 1])
    ax.imshow(~mask, cmap="gray")
    ax.set_title("2. adaptive binarization (Sauvola), specks removed", fontsize=9)
    ax = fig.add_subplot(grid[1, 0])
    ax.imshow(~mask, cmap="gray", alpha=0.35)
    ax.plot(mask.sum(axis=1) * (mask.shape[1] / 4) / max(1, mask.sum(axis=1).max()), np.arange(mask.shape[0]),
            color="C0", label="horizontal projection → rows")
    for y0, y1 in segmentation.find_rows(mask):
        ax.axhspan(y0, y1, color="C1", alpha=0.12)
        band = mask[y0:y1].sum(axis=0)
        ax.plot(np.arange(mask.shape[1]), y1 - band * (y1 - y0) / max(1, band.max()), color="C2", lw=0.8)
    ax.set_title("3. projections: rows (blue), digits within each row (green)", fontsize=9)
    ax = fig.add_subplot(grid[1, 1])
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    _draw_digits(ax, result)
    ax.set_title(f"5. recognized (label at the upper left): {result.text!r}", fontsize=9)
    strip = [segmentation.normalize_digit(mask[y0:y1, x0:x1]) for _, (x0, y0, x1, y1) in boxes[:20]]
    ax = fig.add_subplot(grid[2, :])
    if strip:
        ax.imshow(np.concatenate(strip, axis=1), cmap="gray_r")
    ax.set_title("4. digits normalized like MNIST (20×20 box in 28×28, centred by mass), first 20", fontsize=9)
    for a in fig.axes:
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    return fig


def plot_misclassified(record: dict, test_images: np.ndarray, y_test: np.ndarray, *, limit: int = 30):
    """The misclassified test digits of the run whose predictions the record keeps (the improved model)."""
    return plot_misclassified_grid(test_images, y_test, record["extra"]["predicted"], limit=limit,
                title=f"{record['config']['step']} (seed {record['seed']})")
