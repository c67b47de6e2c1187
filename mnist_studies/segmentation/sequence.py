"""Reading a blob of touching digits as a sequence: the shipped row reader (``models.row_reader``, trained by
``segmentation.train``) reads the whole blob and says which digits it holds, in order, with no cut at all.

    normalize_blob  a blob's ink mask -> 32 × 256 float image (28 px tall, at most 252 wide, left-aligned)
    load_row_model  a row reader (``.onnx`` or ``.keras``), its shapes checked
    read_blobs      the digits of each blob, left to right: (box, probabilities of the ten digits) each
    text_log_probabilities  how probable the row reader finds other readings of the same blobs (CTC forward)

Why: a 1 that overlaps both neighbours cannot be cut free by any straight line (``split_by_recognition``); a reader
trained with the CTC loss on rows of touching digits needs no cut. Each digit's box is the blob's columns between
the midpoints of its neighbours' positions, shrunk to its ink; its probabilities are the reader's at the column
where it is surest of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_studies.segmentation.backends import load_network
from mnist_studies.segmentation.geometry import resize
from mnist_studies.segmentation.result import PageError
from mnist_studies.segmentation.splitting import shrink_to_ink

SHAPE = (32, 256)  # the row reader's input (height, width)
HEIGHT = 28  # a blob's height in it (MNIST's digits are 20 of 28; a blob keeps 2 px above and below)
COLUMN = 4  # input columns per output column (the row reader's two width-halving pools)


def normalize_blob(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """A blob's ink mask as the row reader's input: shrunk to its ink, scaled (anti-aliased) to ``HEIGHT`` px tall,
    or less where it would be wider than the canvas, placed 2 px from the left and centred vertically in
    ``SHAPE``. Returns (float32 image, the scale used)."""

    out = np.zeros(SHAPE, dtype=np.float32)
    ys, xs = np.nonzero(crop)
    if not len(ys):
        return out, 1.0
    crop = np.asarray(crop[ys.min():ys.max() + 1, xs.min():xs.max() + 1], dtype=np.float64)
    height, width = crop.shape
    scale = min(HEIGHT / height, (SHAPE[1] - 4) / width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    top = (SHAPE[0] - new_h) // 2
    out[top:top + new_h, 2:2 + new_w] = resize(crop, (new_h, new_w))
    return np.clip(out, 0.0, 1.0), scale


def load_row_model(path: str | Path):
    """Load a row reader (``.onnx``: ONNX Runtime; ``.keras``: Keras, in safe mode); its input must be ``SHAPE`` × 1
    and its output (columns, 11)."""
    path = Path(path)
    model = load_network(path, "row reader")
    if tuple(model.input_shape[1:]) != SHAPE + (1,) or model.output_shape[1:] != (SHAPE[1] // COLUMN, 11):
        raise PageError(f"{path}: expected a row reader with {SHAPE[0]}×{SHAPE[1]}×1 input and "
                        f"({SHAPE[1] // COLUMN}, 11) output, got input {model.input_shape} and output "
                        f"{model.output_shape}")
    return model


def decode(logits: np.ndarray) -> list[tuple[int, int, int]]:
    """Greedy CTC decoding of one blob's logits (columns, 11): (digit, first column, last column) for each digit
    read, left to right (a run of the same class is one digit; the blank, class 0, separates repeats)."""
    best = np.argmax(logits, axis=-1)
    found: list[list[int]] = []
    previous = 0
    for column, c in enumerate(best):
        if c and c == previous:
            found[-1][2] = column
        elif c:
            found.append([int(c) - 1, column, column])
        previous = c
    return [tuple(f) for f in found]


def _log_probabilities(mask: np.ndarray, boxes, model) -> tuple[list[float], np.ndarray]:
    """The scales ``normalize_blob`` used and the row reader's log-probabilities (blobs, columns, 11) of ``boxes``."""
    images, scales = zip(*(normalize_blob(mask[y0:y1, x0:x1]) for x0, y0, x1, y1 in boxes))
    logits = np.asarray(model.predict_on_batch(np.stack(images)[..., None])).astype(np.float64)
    logits -= logits.max(axis=-1, keepdims=True)
    return list(scales), logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


def read_blobs(mask: np.ndarray, boxes: list[tuple[int, int, int, int]], model) -> list[list[tuple[tuple, np.ndarray]]]:
    """The digits the row reader ``model`` reads in each blob of ``boxes`` (of ``mask``; one batched prediction),
    left to right: (box shrunk to its ink, probabilities of the ten digits) each (module docstring); [] for a blob in
    which it reads none."""
    if not boxes:
        return []
    scales, log_probabilities = _log_probabilities(mask, boxes, model)
    out = []
    for (x0, y0, x1, y1), scale, blob_log_probabilities in zip(boxes, scales, log_probabilities):
        digits = decode(blob_log_probabilities)
        blob_probabilities = np.exp(blob_log_probabilities)
        ink = np.flatnonzero(mask[y0:y1, x0:x1].any(axis=0))
        left = x0 + int(ink[0]) if len(ink) else x0
        centres = [left + ((first + last + 1) / 2 * COLUMN - 2) / scale for _, first, last in digits]
        edges = [x0] + [int(round((a + b) / 2)) for a, b in zip(centres, centres[1:])] + [x1]
        read = []
        for (digit, first, last), a, b in zip(digits, edges, edges[1:]):
            surest = first + int(np.argmax(blob_probabilities[first:last + 1, digit + 1]))
            read.append((shrink_to_ink(mask, (a, y0, max(b, a + 1), y1)) or (a, y0, max(b, a + 1), y1),
                         blob_probabilities[surest, 1:].copy()))
        out.append(read)
    return out


def text_log_probability(log_probabilities: np.ndarray, digits) -> float:
    """log P(``digits`` | a blob) under the row reader, from its per-column log-probabilities (columns, 11; the
    blank is class 0, digit d class d + 1): the CTC forward algorithm, summing over every way the digits can be laid
    over the columns (a digit over one column or several, blanks between, a blank required between repeats)."""
    labels = [0]
    for d in digits:
        labels += [int(d) + 1, 0]
    labels = np.array(labels)
    skip = np.zeros(len(labels), dtype=bool)  # a digit may follow the previous digit with no blank between
    skip[2:] = (labels[2:] != 0) & (labels[2:] != labels[:-2])
    alpha = np.full(len(labels), -np.inf)
    alpha[:2] = log_probabilities[0, labels[:2]]
    for column in log_probabilities[1:]:
        step, jump = np.full_like(alpha, -np.inf), np.full_like(alpha, -np.inf)
        step[1:] = alpha[:-1]  # from the label before
        jump[2:][skip[2:]] = alpha[:-2][skip[2:]]  # from the digit before, over a blank
        alpha = np.logaddexp(np.logaddexp(alpha, step), jump) + column[labels]
    return float(np.logaddexp(alpha[-1], alpha[-2]) if len(labels) > 1 else alpha[-1])


def text_log_probabilities(mask: np.ndarray, boxes, model, texts) -> list[list[float]]:
    """For each blob of ``boxes``, ``text_log_probability`` of each of its candidate readings in ``texts`` (a list
    of digit sequences per blob), from one batched prediction of ``model``."""
    if not boxes:
        return []
    _, log_probabilities = _log_probabilities(mask, boxes, model)
    return [[text_log_probability(blob, text) for text in candidates]
            for blob, candidates in zip(log_probabilities, texts)]
