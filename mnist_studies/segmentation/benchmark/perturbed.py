"""Labelled images read as they are and as copies that differ by what no reader should notice.

    python -m mnist_studies.segmentation.benchmark.perturbed --labels LABELS.json IMAGES... [--out DIR]
                                                             [--[no-]crossed-sevens]

Each labelled image is read (photo method, shipped models) as it is and as each copy of ``PERTURBATIONS``: one pixel
cut off its top and left, a margin of four pixels of its paper's colour added round it, saved again as a JPEG of
quality 95. The writing is the same, so the copies' scores are what the reader scores on new images of the same
kind, and the pages a copy reads otherwise show how many readings sit on a knife's edge. A change to the reader
chosen because it gains on the images as they are, but that does not gain on the copies, fits those images' pixels
rather than their writing. With ``--out``, each reading is written as ``mnist-read-digits --json`` writes it, for
``benchmark.labels`` to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from mnist_studies.segmentation.benchmark.labels import describe, read_labels, tally
from mnist_studies.segmentation.conventions import by_convention
from mnist_studies.segmentation.pipeline import read_photo, recognize_page
from mnist_studies.segmentation.result import PageError


def _resaved(image: np.ndarray) -> np.ndarray:
    """``image`` (grey or RGB, values in [0, 1]) saved as a JPEG of quality 95 and read back."""
    _, data = cv2.imencode(".jpg", np.round(image * 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 95])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED) / 255.0


def _framed(image: np.ndarray) -> np.ndarray:
    """``image`` with a margin of 4 pixels of its median colour (its paper's) round it."""
    paper = np.median(image.reshape(-1, image.shape[2]) if image.ndim == 3 else image.ravel(), axis=0)
    return cv2.copyMakeBorder(image, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=np.atleast_1d(paper).tolist())


PERTURBATIONS = {
    "shifted": lambda image: image[1:, 1:],  # one pixel cut off the top and the left
    "framed": _framed,  # 4 px more paper round it
    "resaved": _resaved,  # a JPEG of quality 95
}


def read(paths, model, row_model, perturbation: str | None = None, *, progress: bool = False,
         crossed_sevens: bool | None = None):
    """``recognize_page``'s results (photo method) for each image of ``paths`` as ``read_photo`` reads it, or its
    copy made by ``PERTURBATIONS[perturbation]``, with ``crossed_sevens`` as the command line's (None: judged on
    all the images, ``conventions.by_convention``), and a one-line message for each image that could not be read."""
    from tqdm import tqdm

    change = PERTURBATIONS[perturbation] if perturbation else None
    results, failed = [], []
    for path in tqdm(paths, desc=perturbation or "as they are", unit="image", disable=None if progress else True,
                     leave=False):
        try:
            grey, shape = read_photo(path)
            if change is not None:
                grey = np.ascontiguousarray(change(grey))
                shape = grey.shape[:2]
            results.append(recognize_page(path, model, grey=grey, method="photo", row_model=row_model,
                                          input_shape=shape, crossed_sevens=bool(crossed_sevens)))
        except PageError as error:
            failed.append(f"error: {path}: {error}")
    return by_convention(results, crossed_sevens), failed


def summary(readings: dict[str, dict[str, str]], labels: dict[str, str]) -> list[str]:
    """One line per reading ({name: {file name: text}}, the first the images as they are): its score on the labelled
    pages and, for the others, the pages it reads otherwise than the first; then the copies' mean score."""
    (first_name, first), *copies = readings.items()
    scores = {name: {**tally([(reading[n], labels[n]) for n in reading if n in labels]), "unlabelled": 0}
              for name, reading in readings.items()}
    lines = [f"{first_name}: {describe(scores[first_name])}"]
    for name, reading in copies:
        otherwise = sum(text != first.get(n) for n, text in reading.items() if n in labels)
        lines.append(f"{name}: {describe(scores[name])}; {otherwise} page(s) read otherwise than {first_name}")
    if copies:
        exact = np.mean([scores[name]["exact"] for name, _ in copies])
        correct = np.mean([scores[name]["correct"] for name, _ in copies])
        pages, digits = scores[first_name]["pages"], scores[first_name]["digits"]
        lines.append(f"the copies' mean: {exact:.1f} of {pages} pages exact ({100 * exact / max(1, pages):.1f}%), "
                     f"{correct:,.1f} of {digits:,} digits ({100 * correct / max(1, digits):.1f}%)")
    return lines


def main(argv: list[str] | None = None) -> int:
    from mnist_studies import paths
    from mnist_studies.segmentation.backends import shipped_path
    from mnist_studies.segmentation.recognition import load_digit_model
    from mnist_studies.segmentation.sequence import load_row_model

    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.benchmark.perturbed",
                                     description="Read labelled images as they are and as copies no reader should "
                                                 "tell apart from them.")
    parser.add_argument("--labels", type=Path, required=True, metavar="LABELS.json")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write each reading's JSON (mnist-read-digits "
                                                                 "--json's form) to DIR")
    parser.add_argument("--crossed-sevens", action=argparse.BooleanOptionalAction, default=None,
                        help="read as mnist-read-digits --[no-]crossed-sevens reads (default: judged on the 7s)")
    parser.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    args = parser.parse_args(argv)
    try:
        labels = read_labels(args.labels)
        model = load_digit_model(shipped_path(paths.reader_model_path(), "onnx"))
        row_model = load_row_model(shipped_path(paths.row_model_path(), "onnx"))
    except (ValueError, PageError, OSError) as error:
        print(f"error: {error}".splitlines()[0], file=sys.stderr)
        return 2
    images = [path for path in args.images if path.name in labels]
    if not images:
        print(f"error: none of the {len(args.images)} images has a label in {args.labels}", file=sys.stderr)
        return 2
    readings, failed = {}, []
    for perturbation in (None, *PERTURBATIONS):
        results, failed = read(images, model, row_model, perturbation, progress=True,
                               crossed_sevens=args.crossed_sevens)
        name = perturbation or "as they are"
        readings[name] = {Path(r.image).name: r.text for r in results}
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name.replace(' ', '-')}.json").write_text(json.dumps([r.to_dict() for r in results]))
    for line in failed:  # the same images fail however they are changed
        print(line, file=sys.stderr)
    print("\n".join(summary(readings, labels)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
