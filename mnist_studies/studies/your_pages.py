"""Reading your own photos of handwritten digits (``notebooks/06_read_your_pages.ipynb``): the page reader of study
004 with its shipped models, on pages you point it at, scored when you give their labels. Nothing here trains."""

from __future__ import annotations

import dataclasses
import functools
import glob
import json
from pathlib import Path

import numpy as np

from mnist_studies import paths, segmentation
from mnist_studies.segmentation.benchmark import families, labels
from mnist_studies.segmentation.conventions import by_convention

STUDY = "your_pages"
EXAMPLE_FAMILIES = ("desk photo", "form boxes", "ruled paper", "touching pairs")  # what the examples show


@dataclasses.dataclass
class Reading:
    path: Path
    image: np.ndarray  # the page as read (grey or RGB in [0, 1], upright; a big photo reduced: read_photo)
    result: segmentation.PageResult
    shape: tuple[int, int]  # the file's (rows, columns): the result's boxes lie on it


def example_pages(folder: str | Path, count: int, *, first_seed: int = 9000) -> tuple[list[Path], Path]:
    """Write ``count`` synthetic pages (photos of MNIST test digits, from the page families) and their labels to
    ``folder``; returns the image paths and the labels file. Seeds from 9000: pages no setting was chosen on."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, truth = [], {}
    for i in range(count):
        family = EXAMPLE_FAMILIES[i % len(EXAMPLE_FAMILIES)]
        image, text = families.make(family, first_seed + i)
        path = folder / f"example_{i + 1}_{family.replace(' ', '_')}.png"
        Image.fromarray(image).save(path)
        written.append(path)
        truth[path.name] = text
    labels_path = folder / "labels.json"
    labels_path.write_text(json.dumps(truth, indent=1))
    return written, labels_path


def find_images(pattern: str) -> list[Path]:
    """The files a glob pattern names (``~`` expanded), sorted; a pattern that names none gets one clear line.

    Raises:
        ValueError: no file matches ``pattern``.
    """
    found = sorted(Path(p) for p in glob.glob(str(Path(pattern).expanduser()), recursive=True) if Path(p).is_file())
    if not found:
        raise ValueError(f"no image matches {pattern!r}: give a glob of your photos, e.g. '~/photos/*.jpg'")
    return found


@functools.lru_cache(maxsize=1)
def shipped_models():
    """The shipped digit model and row reader (ONNX, as the command line reads), loaded once per kernel (every upload
    reuses them)."""
    return (segmentation.load_digit_model(segmentation.shipped_path(paths.reader_model_path(), "onnx")),
            segmentation.load_row_model(segmentation.shipped_path(paths.row_model_path(), "onnx")))


def read_pages(images: list[Path], *, crossed_sevens: bool | None = None, ink: str = "auto"
               ) -> tuple[list[Reading], list[str]]:
    """Every page read with the shipped models and the photo method (the command line's; ``crossed_sevens`` and
    ``ink`` as its ``--[no-]crossed-sevens`` and ``--ink``: None and "auto" judge them, the 7s on all the pages),
    and one line per page that could not be read."""
    if ink not in segmentation.INK:
        raise ValueError(f"ink must be one of {', '.join(segmentation.INK)}, got {ink!r}")
    model, row_model = shipped_models()
    readings, problems = [], []
    for path in images:
        try:
            image, shape = segmentation.read_photo(path, dark_ink=segmentation.INK[ink])
            result = segmentation.recognize_page(path, model, grey=image, method="photo", row_model=row_model,
                                                 input_shape=shape, crossed_sevens=bool(crossed_sevens),
                                                 dark_ink=segmentation.INK[ink])
        except segmentation.PageError as error:
            problems.append(f"{path}: {error}")
            continue
        readings.append(Reading(Path(path), image, result, shape))
    results = by_convention([reading.result for reading in readings], crossed_sevens)
    return [dataclasses.replace(reading, result=result) for reading, result in zip(readings, results)], problems


def digits_table(result: segmentation.PageResult, *, min_confidence: float = 0.0) -> str:
    """Every digit of a page as a Markdown row: row, label (``?`` under ``min_confidence``), probability, top three."""
    lines = ["| row | digit | probability | top three | box (x0, y0, x1, y1) |", "| --- | --- | --- | --- | --- |"]
    for d in result.digits:
        shown = str(d.label) if d.probability >= min_confidence else f"{d.label}?"
        top = ", ".join(f"{k} {p:.2f}" for k, p in d.top3)
        lines.append(f"| {d.row + 1} | {shown} | {d.probability:.3f} | {top} | {d.box} |")
    return "\n".join(lines)


def scores(readings: list[Reading], labels_path: str | Path) -> str:
    """The command line's scoring (``mnist-read-digits --labels``) of these readings."""
    return labels.describe(labels.score([r.result for r in readings], labels.read_labels(labels_path)))
