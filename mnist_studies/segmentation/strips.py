"""Rows of touching digits, and the crops a page reader cuts from them: the examples that teach the shipped digit
model its eleventh class, "not one digit" (``NOT_A_DIGIT``).

Splitting touching digits by recognition (``segmentation.split_by_recognition``) reads every candidate stretch of a
wide blob and keeps the most probable reading. A 10-class model has to call every stretch some digit, and it is
often sure of a half 0 or of a 7 with the left third of a 4: whole rows then read as the wrong number of digits.
With an eleventh class the model can say "this is a piece of a digit, or more than one", and the most probable
reading is the one whose stretches are whole digits.

``make_examples`` builds rows of two to four digits touching or overlapping as they do on a page (the ``touching
pairs`` page family overlaps neighbours by 8% of the height), binarizes them as the reader's ink mask would be, and
cuts windows from them the way the reader's candidate cuts do:

- **one digit** (labelled with the digit): a digit's own span, each edge moved by up to ``edge_jitter`` of its
  width, so a sliver of a neighbour or a missing edge still reads as the digit;
- **a piece** (``NOT_A_DIGIT``): a vertical stretch of 20-45% of a digit at least half as wide as it is high, whose
  ink is at least ``PIECE_MIN_ASPECT`` as wide as high (thinner pieces are bars, and a 1 is a bar: left out);
- **more than one** (``NOT_A_DIGIT``): a digit and 40-80% of its neighbour, or two whole digits.

Each crop is shrunk to its ink and normalized by ``segmentation.normalize_digit``, exactly as the reader prepares
a box, so the model learns the images it will be shown. ``drop_ambiguous`` then leaves out the "not one digit"
crops that still look like the digit they were cut from.
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import pages

NOT_A_DIGIT = 10  # the class index of "not one digit" in an 11-class reader model
PIECE_MIN_ASPECT = 0.35  # a piece whose ink is narrower than this × its height is a bar, which a 1 also is: left out


def _row(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, count: int):
    """``count`` random digits side by side at one height, each touching or overlapping its left neighbour (0-12%
    of the height), binarized at half ink. Returns (mask, [(x0, x1, label), ...])."""
    from skimage.transform import resize

    height = int(rng.integers(28, 48))
    glyphs, spans, x = [], [], 0
    for index in rng.integers(len(images), size=count):
        digit = pages._tight(images[index]) / 255.0
        width = max(3, round(digit.shape[1] * height / digit.shape[0]))
        if spans:
            x -= int(rng.uniform(0.0, 0.12) * height)
        glyphs.append((x, resize(digit, (height, width), anti_aliasing=True)))
        spans.append((x, x + width, int(labels[index])))
        x += width
    row = np.zeros((height, x))
    for x0, glyph in glyphs:
        row[:, x0:x0 + glyph.shape[1]] = np.maximum(row[:, x0:x0 + glyph.shape[1]], glyph)
    return row > 0.5, spans


def _crop(mask: np.ndarray, x0: int, x1: int, *, min_aspect: float = 0.0) -> np.ndarray | None:
    """The window's ink, shrunk to its box, normalized as the reader does; None when it holds (almost) no ink or
    its ink is narrower than ``min_aspect`` × its height."""
    from mnist_studies.segmentation import _shrink, normalize_digit

    box = _shrink(mask, (max(0, x0), 0, max(0, x1), mask.shape[0]))
    if box is None or np.count_nonzero(mask[:, max(0, x0):max(0, x1)]) < 6:
        return None
    left, top, right, bottom = box
    if right - left < min_aspect * (bottom - top):
        return None
    return normalize_digit(mask[top:bottom, left:right])


def make_examples(images: np.ndarray, labels: np.ndarray, count: int, *, seed: int = 0,
                  reject_share: float = 0.5, edge_jitter: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` normalized crops (float32, (count, 28, 28, 1)) with their labels (0-9, or ``NOT_A_DIGIT`` for up
    to ``reject_share`` of them: a draw that gives no usable window is skipped) and the digit each window started
    from (-1 for two whole digits), cut from rows of touching digits made from ``images`` (uint8, MNIST's
    0-255) and ``labels`` (module docstring). Fully determined by ``seed``."""
    rng = np.random.default_rng(seed)
    x_out, y_out, source = [], [], []
    while len(x_out) < count:
        mask, spans = _row(rng, images, labels, int(rng.integers(2, 5)))
        height = mask.shape[0]
        i = int(rng.integers(len(spans)))
        x0, x1, label = spans[i]
        first = label
        width = x1 - x0
        kind = "digit" if rng.random() >= reject_share else str(rng.choice(["piece", "more"]))
        if kind == "digit":
            a = x0 + int(rng.uniform(-edge_jitter, edge_jitter) * width)
            b = x1 + int(rng.uniform(-edge_jitter, edge_jitter) * width)
        elif kind == "piece":
            if width < 0.5 * height:
                continue
            share = rng.uniform(0.2, 0.45)
            a = x0 + int(rng.uniform(0.0, 1.0 - share) * width)
            b, label = a + max(2, int(share * width)), NOT_A_DIGIT
        else:
            if i + 1 >= len(spans):
                continue
            n0, n1, _ = spans[i + 1]
            a = x0 + int(rng.uniform(-edge_jitter, edge_jitter) * width)
            whole = rng.random() < 0.5
            b = n1 if whole else n0 + int(rng.uniform(0.4, 0.8) * (n1 - n0))
            label, first = NOT_A_DIGIT, -1 if whole else first  # two whole digits are never ambiguous
        crop = _crop(mask, a, b, min_aspect=PIECE_MIN_ASPECT if kind == "piece" else 0.0)
        if crop is not None:
            x_out.append(crop)
            y_out.append(label)
            source.append(first)
    return np.stack(x_out)[..., None], np.asarray(y_out, dtype=np.int64), np.asarray(source, dtype=np.int64)


def drop_ambiguous(x: np.ndarray, y: np.ndarray, source: np.ndarray, probabilities: np.ndarray,
                   *, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Leave out the "not one digit" crops that a ten-class model (its ``probabilities`` for ``x``) still reads as
    the digit they were cut from with more than ``threshold``: the right half of a 3 is drawn like a 3, a 7 with a
    sliver of its neighbour is a 7, and teaching the model otherwise would make it doubt real digits. Two whole
    digits (``source`` -1) are kept, however the model reads them: a 6 touching a 1 is not a 6."""
    ambiguous = (y == NOT_A_DIGIT) & (source >= 0) & (probabilities[np.arange(len(y)), source] > threshold)
    return x[~ambiguous], y[~ambiguous]
