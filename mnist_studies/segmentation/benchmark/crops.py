"""Digit models scored on the crops the reader cuts from a user's labelled images, apart from its segmentation.

    python -m mnist_studies.segmentation.benchmark.crops --labels LABELS.json [--model A.keras ...] IMAGES...

Each labelled image is read once by the shipped reader (photo method). Where it finds as many digits as the label
has, each digit box is kept as the digit model is shown it (``normalize_digit``) with the digit written there; an
image segmented into another number of digits is left out. The shipped model, each model named and the mean of those
named then read the crops: the digits read right, and the images all of whose digits are read right. A model is
scored in seconds instead of a reading of every image, and on real writing rather than MNIST. The reader's own
probabilities can differ: it reads some boxes with the row reader or again with lighter ink.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

from mnist_studies.segmentation.benchmark.labels import read_labels
from mnist_studies.segmentation.pipeline import read_boxes, read_photo
from mnist_studies.segmentation.recognition import normalize_digits, predict_digits


@dataclasses.dataclass
class Crops:
    """Digit crops of labelled images: ``images`` (N, 28, 28) as the digit model is shown them, the ``digits``
    written there (N,), the index into ``names`` of the image each comes from (N,), and the images' file names."""

    images: np.ndarray
    digits: np.ndarray
    image: np.ndarray
    names: list[str]


def collect(paths, labels: dict[str, str], model, row_model, *, progress: bool = False) -> Crops:
    """The crops of the images of ``paths`` that have a label (``read_labels``: rows on lines, digits only), read
    with the photo method by ``model`` and ``row_model``; kept where the reader finds as many digits as the label
    holds, in reading order. ``progress``: a tqdm bar on a terminal's stderr."""
    from tqdm import tqdm

    images, digits, image, names = [], [], [], []
    for path in tqdm(paths, desc="reading", unit="image", disable=None if progress else True, leave=False):
        truth = labels.get(Path(path).name, "").replace("\n", "")
        if not truth:
            continue
        grey, shape = read_photo(path)
        prepared, boxes, _ = read_boxes(path, model, grey=grey, method="photo", row_model=row_model,
                                        input_shape=shape)
        if len(boxes) != len(truth):
            continue
        images.append(normalize_digits([prepared.mask[y0:y1, x0:x1] for _, (x0, y0, x1, y1) in boxes]))
        digits.extend(int(c) for c in truth)
        image.extend([len(names)] * len(truth))
        names.append(Path(path).name)
    empty = np.zeros((0, 28, 28), dtype=np.float32)
    return Crops(np.concatenate(images) if images else empty, np.array(digits, dtype=np.int64),
                 np.array(image, dtype=np.int64), names)


def score(probabilities: np.ndarray, crops: Crops) -> dict:
    """How a model's probabilities of ``crops`` (N, 10 or 11 classes; the most probable digit is the reading, as
    the reader takes it) fare: digits read right, and images all of whose digits are."""
    right = np.asarray(probabilities)[:, :10].argmax(axis=1) == crops.digits
    wrong_images = set(crops.image[~right].tolist())
    return {"digits": len(right), "right": int(right.sum()),
            "images": len(crops.names), "images_right": len(crops.names) - len(wrong_images)}


def describe(name: str, scores: dict) -> str:
    return (f"{name}: {scores['right']:,} of {scores['digits']:,} digits "
            f"({100 * scores['right'] / max(1, scores['digits']):.1f}%), {scores['images_right']} of "
            f"{scores['images']} images all right")


def main(argv: list[str] | None = None) -> int:
    from mnist_studies import paths
    from mnist_studies.segmentation.backends import shipped_path
    from mnist_studies.segmentation.recognition import load_digit_model
    from mnist_studies.segmentation.result import PageError
    from mnist_studies.segmentation.sequence import load_row_model

    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.benchmark.crops",
                                     description="Score digit models on the crops the reader cuts from labelled "
                                                 "images.")
    parser.add_argument("--labels", type=Path, required=True, metavar="LABELS.json")
    parser.add_argument("--model", type=Path, action="append", default=[], dest="models", metavar="MODEL",
                        help="a digit model to score beside the shipped one (.keras or .onnx); may be repeated")
    parser.add_argument("images", type=Path, nargs="+", metavar="IMAGE")
    args = parser.parse_args(argv)
    try:
        labels = read_labels(args.labels)
        models = [load_digit_model(path) for path in args.models]
        shipped = load_digit_model(shipped_path(paths.reader_model_path(), "onnx"))
        crops = collect(args.images, labels, shipped, load_row_model(shipped_path(paths.row_model_path(), "onnx")),
                        progress=True)
    except (ValueError, PageError, OSError) as error:
        print(f"error: {error}".splitlines()[0], file=sys.stderr)
        return 2
    labelled = sum(Path(path).name in labels for path in args.images)
    if not crops.names:
        print(f"error: the reader found the labelled number of digits in none of the {labelled} labelled images",
              file=sys.stderr)
        return 2
    print(f"{len(crops.digits):,} crops of the {len(crops.names)} of {labelled} labelled images the reader cuts into "
          "the labelled number of digits")
    print(describe("shipped", score(predict_digits(shipped, crops.images), crops)))
    read = [predict_digits(model, crops.images)[:, :10] for model in models]
    for path, probabilities in zip(args.models, read):
        print(describe(str(path), score(probabilities, crops)))
    if len(read) > 1:
        print(describe("the mean of those", score(np.mean(read, axis=0), crops)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
