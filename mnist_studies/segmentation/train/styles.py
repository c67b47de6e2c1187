"""Writing styles MNIST barely has, drawn onto MNIST training digits for a variant of the digit model
(``digit_reader.VARIANTS``; which ones the shipped model's members use: ``ensemble.MEMBERS``, docs/experiments.md).

Real amounts (cheques, forms) are often written in the continental way: a 1 with a long up-stroke ("flag"), which
the shipped model reads as a 7 or as "not one digit" (72% of MNIST test 1s with the flag drawn here read as 1).
``flag_one`` draws that stroke onto a share of MNIST's 1s, as thick as the digit's own stroke, and normalizes the
result as the reader normalizes a box (``recognition.normalize_digit``). Many write a 9 with its stem down from the
loop's left, like a "P", which the shipped model reads as 8 or "not one digit" (of 500 MNIST test 9s mirrored, 3
read as 9); ``p_nine`` mirrors a 9 and gives it back its slant. A 2 begun inside its top arc has that arc closed
into a loop and is read as 9 or 8 (``looped_two``); ``crossed_seven`` crosses a 7's stem; a 0 with the closing
dash of an amount written on is read as 2 by the twelfth session's mean (289 of 500 MNIST test 0s so drawn,
``tailed_zero``); ``with_mark`` sets a period or comma beside any digit, as a separator merged into its box. Only
MNIST's training images are drawn on; the handwriting fonts and the real development images stay measures of styles
the model never saw.
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation.recognition import normalize_digit

INK = 127  # a pixel above this (of 255) is ink


def stroke_width(image: np.ndarray) -> float:
    """The digit's stroke width in pixels: the median length of its horizontal runs of ink, kept in [1.5, 4]."""
    runs = []
    for row in np.asarray(image) > INK:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
        runs.extend(edges[1::2] - edges[::2])
    return float(np.clip(np.median(runs), 1.5, 4.0)) if runs else 2.0


def draw_segment(image: np.ndarray, start, end, width: float) -> np.ndarray:
    """``image`` (uint8, white ink on black) with an anti-aliased straight stroke of ``width`` pixels from ``start``
    to ``end`` ((x, y), pixel centres) drawn over it."""
    height, cols = image.shape
    y, x = np.mgrid[0:height, 0:cols].astype(np.float64)
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * dx + (y - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return _ink_within(image, np.hypot(x - (x0 + t * dx), y - (y0 + t * dy)), width)


def _ink_within(image: np.ndarray, distance: np.ndarray, width: float) -> np.ndarray:
    """``image`` with full ink where ``distance`` (to a stroke's centre line) is under half ``width``, anti-aliased."""
    return np.maximum(image, np.clip(width / 2 + 0.5 - distance, 0.0, 1.0) * 255).astype(np.uint8)


def renormalize(image: np.ndarray) -> np.ndarray:
    """A digit whose ink has grown past MNIST's 20×20 box, fitted again as the reader fits a box (uint8)."""
    rows, cols = np.nonzero(image > 0)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1] / 255.0
    return np.round(normalize_digit(crop) * 255).astype(np.uint8)


FLAG = {"angle": (35, 65), "length": (0.25, 0.5)}  # flag_one's up-stroke: degrees below the horizontal, × height


def flag_one(image: np.ndarray, rng: np.random.Generator, *, angle=FLAG["angle"],
             length=FLAG["length"]) -> np.ndarray:
    """A 1 with a continental up-stroke: from the top of the stem down to the left, ``length`` (25-50%) of the
    digit's height long, ``angle`` (35-65) degrees below the horizontal (flatter, it is a 7's bar)."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10:
        return image
    top, height = rows.min(), rows.max() - rows.min() + 1
    x_top = cols[rows <= top + 1].mean()
    angle = np.radians(rng.uniform(*angle))
    length = rng.uniform(*length) * height
    end = (x_top - length * np.cos(angle), top + length * np.sin(angle))
    return renormalize(draw_segment(image, (x_top, top + 0.5), end, stroke_width(image)))


def slant(image: np.ndarray) -> float:
    """How far the ink's column moves right per row up (image moments, as deskewing does); 0 for an upright digit."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10 or np.var(rows) == 0:
        return 0.0
    return float(-np.cov(cols, rows, bias=True)[0, 1] / np.var(rows))


def p_nine(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 9 written the other way round, its stem down from the loop's left ("P"): mirrored left to right, then
    sheared back to the slant the 9 had (a mirrored digit leans the other way). ``rng`` is not used."""
    from scipy import ndimage

    mirrored = np.ascontiguousarray(image[:, ::-1])
    shear = 2 * slant(image)  # the mirror's slant is minus the original's
    centre = (np.asarray(image.shape) - 1) / 2
    matrix = np.array([[1.0, 0.0], [shear, 1.0]])  # input column = output column + shear × (row - centre)
    offset = centre - matrix @ centre
    out = ndimage.affine_transform(mirrored.astype(np.float64), matrix, offset=offset, order=1)
    return renormalize(np.clip(np.round(out), 0, 255).astype(np.uint8))


def crossed_seven(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 7 crossed through its stem, as the continental 7 is: a bar 40-70% of the digit's width, centred on the
    stem 45-65% of the way down, tilted like a 7's top bar (within 10 degrees of level)."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10:
        return image
    top, height = rows.min(), rows.max() - rows.min() + 1
    y = int(round(top + rng.uniform(0.45, 0.65) * height))
    stem = cols[rows == y]
    if not len(stem):
        return image
    x = stem.mean()
    half = rng.uniform(0.2, 0.35) * (cols.max() - cols.min() + 1)
    tilt = np.tan(np.radians(rng.uniform(-10, 10))) * half
    width = stroke_width(image)
    return renormalize(draw_segment(image, (x - half, y + tilt), (x + half, y - tilt), width))


def draw_ring(image: np.ndarray, centre, radius: float, width: float) -> np.ndarray:
    """``image`` with an anti-aliased circle of ``radius`` (stroke ``width``) round ``centre`` ((x, y)) drawn on it."""
    height, cols = image.shape
    y, x = np.mgrid[0:height, 0:cols].astype(np.float64)
    return _ink_within(image, np.abs(np.hypot(x - centre[0], y - centre[1]) - radius), width)


def looped_two(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 2 whose top arc is closed into a loop, as many write it in one movement (the stroke starts inside the arc
    and goes round it): the circle that best fits the ink of the top 35-50% of the digit (least squares), drawn
    round with the digit's own stroke; its radius is kept within 15-35% of the digit's height."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10:
        return image
    top, height = rows.min(), rows.max() - rows.min() + 1
    upper = rows <= top + rng.uniform(0.35, 0.5) * height
    x, y = cols[upper].astype(np.float64), rows[upper].astype(np.float64)
    # x² + y² + D x + E y + F = 0, least squares (Kåsa's fit)
    (d, e, f), *_ = np.linalg.lstsq(np.stack([x, y, np.ones_like(x)], 1), -(x * x + y * y), rcond=None)
    centre = (-d / 2, -e / 2)
    radius = np.sqrt(max(centre[0] ** 2 + centre[1] ** 2 - f, 0.0))
    radius = float(np.clip(radius, 0.15 * height, 0.35 * height))
    return renormalize(draw_ring(image, centre, radius, stroke_width(image)))


def tailed_zero(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 0 with a stroke leaving its right side, as the dash that closes an amount (``1000,-``) or the join to the
    next zero is written without lifting the pen: from the ink's right edge 40-80% of the way down, 40-90% of the
    digit's width long, within 15 degrees of level, as thick as the digit's stroke; fitted again as the reader fits a
    box (the tail is part of the digit's box, and the 0 narrower in it)."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10:
        return image
    top, height = rows.min(), rows.max() - rows.min() + 1
    y = int(round(top + rng.uniform(0.4, 0.8) * (height - 1)))
    at = cols[rows == y]
    if not len(at):
        return image
    margin = image.shape[0] // 2
    canvas = np.pad(image, margin)
    length = rng.uniform(0.4, 0.9) * (cols.max() - cols.min() + 1)
    angle = np.radians(rng.uniform(-15, 15))
    start = (margin + at.max(), margin + y)
    end = (start[0] + length * np.cos(angle), start[1] - length * np.sin(angle))
    return renormalize(draw_segment(canvas, start, end, stroke_width(image)))


STYLES = {0: tailed_zero, 1: flag_one, 2: looped_two, 7: crossed_seven, 9: p_nine}


def with_mark(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The digit with a period or a comma beside its foot, as an amount's separator (``6.740,``) lands in the digit's
    box when it shares the digit's columns: a dot 1.2-2 stroke widths across, or a short stroke down to the left
    (15-30% of the height), 0.5-3 px right of the ink (left in a fifth of them), fitted again as the reader fits a box.
    The shipped model reads 52 of the first 2,000 MNIST test digits so marked wrong (11 unmarked; 0s mostly as 9)."""
    rows, cols = np.nonzero(image > INK)
    if len(rows) < 10:
        return image
    margin = image.shape[0] // 2
    canvas = np.pad(image, margin)
    width = stroke_width(image)
    radius = width * rng.uniform(0.6, 1.0)
    gap = rng.uniform(0.5, 3.0) + radius
    x = margin + (cols.max() + gap if rng.random() < 0.8 else cols.min() - gap)
    y = margin + rows.max() - radius + rng.uniform(-1.0, 1.0)
    if rng.random() < 0.5:
        yy, xx = np.mgrid[0:canvas.shape[0], 0:canvas.shape[1]]
        canvas = _ink_within(canvas, np.hypot(xx - x, yy - y), 2 * radius)
    else:
        length = (rows.max() - rows.min() + 1) * rng.uniform(0.15, 0.3)
        canvas = draw_segment(canvas, (x, y), (x - 0.4 * length, y + length), width)
    return renormalize(canvas)


def add_marks(images: np.ndarray, share: float, *, seed: int = 0) -> np.ndarray:
    """A copy of ``images`` (N, 28, 28 uint8) where ``share`` of them, whatever their digit, get a period or comma
    beside them (``with_mark``); seeded."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share of marked digits must be in [0, 1], got {share}")
    rng = np.random.default_rng([seed, 1])  # not the styles' stream: a variant with both draws each its own
    out = np.array(images, dtype=np.uint8, copy=True)
    for index in rng.choice(len(out), size=int(round(share * len(out))), replace=False):
        out[index] = with_mark(out[index], rng)
    return out


def add_styles(images: np.ndarray, labels: np.ndarray, share: dict[int, float], *, seed: int = 0,
               flag: dict | None = None) -> np.ndarray:
    """A copy of ``images`` (N, 28, 28 uint8) where ``share[d]`` of the digits ``d`` (``STYLES``: 1, flagged) are
    redrawn in that style; the choice of images and strokes is seeded. ``flag``: the 1s' up-stroke, other ranges
    than ``FLAG`` ({"angle": (low, high), "length": (low, high)})."""
    unknown = set(share) - set(STYLES)
    if unknown:
        raise ValueError(f"no style for digits {sorted(unknown)}; styles exist for {sorted(STYLES)}")
    rng = np.random.default_rng(seed)
    out = np.array(images, dtype=np.uint8, copy=True)
    for digit, fraction in sorted(share.items()):
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"share of {digit}s must be in [0, 1], got {fraction}")
        pool = np.flatnonzero(np.asarray(labels) == digit)
        for index in rng.choice(pool, size=int(round(fraction * len(pool))), replace=False):
            out[index] = (flag_one(out[index], rng, **{**FLAG, **flag}) if digit == 1 and flag
                          else STYLES[digit](out[index], rng))
    return out
