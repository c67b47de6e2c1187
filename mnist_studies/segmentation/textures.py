"""Stage 2c of the photo method: a photo of a textured surface with nothing written on it (wood grain, brushed
metal) told from writing, so that it reads as empty instead of as rows of 3s and 8s.

Grain binarizes into hundreds of streaks: blobs several times longer than wide. A page of digits has a few blobs per
row, and most of them are not streaks (a 1 is). A first look (``preparation.first_look``) with at least ``MANY``
blobs of ``MIN_PIXELS`` or more whose median elongation (``elongation``: whichever way they run) is at least
``STREAK`` is a texture, and its page reads as empty. Measured in docs/experiments.md ("A texture reads as empty").

A printed background with nothing written on it (a cheque's wavy security lines that the spectrum did not remove)
binarizes into a few dozen lines across the page instead: it is a texture too when at least ``CROSSING`` pieces
each span at least ``ACROSS`` of the page's height or width, hold at least ``CROSSING_INK`` of its ink, and no stroke
is as thick as a pen's (``fine_lines.THICK_RIDGE``; writing on such lines is ``fine_lines``' work). A page of digits
has no such pieces: measured in docs/experiments.md ("An empty printed background").
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import fine_lines, imaging

MANY = 100  # blobs: 57 benchmark tuning pages have at most 53 (median 18), 500 real amounts 9, wood 250-618
STREAK = 3.5  # median elongation: those pages' is at most 2.2, wood grain's at least 6.4, a light desk's 3.7 or more
MIN_PIXELS = 16  # smaller blobs (specks, a texture's grit) are not counted
CROSSING = 10  # pieces across the page: empty printed backgrounds have 36-70 pieces, real amounts at most 5 across
ACROSS = 0.5  # of the page's height or width that a piece spans to be across it
CROSSING_INK = 0.9  # of the ink in those pieces


def blob_shapes(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8-connected blobs of ``mask``: their labels, and for each blob its size (pixels), length (the long side of
    the bar of the same spread, ``sqrt(12 var)`` along its main axis) and elongation (the square root of the ratio of
    the largest to the smallest variance of its pixels' positions: the same whichever way it lies; a pixel's own
    extent, 1/12, keeps a one-pixel line finite)."""
    labels, count = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    if not count:
        return labels, np.zeros(0), np.zeros(0), np.zeros(0)
    ys, xs = np.nonzero(labels)
    which = labels[ys, xs]
    size = np.bincount(which, minlength=count + 1)[1:].astype(np.float64)

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(which, values.astype(np.float64), minlength=count + 1)[1:] / size

    my, mx = mean(ys), mean(xs)
    syy, sxx, sxy = mean(ys * ys) - my * my, mean(xs * xs) - mx * mx, mean(xs * ys) - mx * my
    half, spread = (sxx + syy) / 2, np.sqrt(((sxx - syy) / 2) ** 2 + sxy ** 2)
    largest, smallest = half + spread, np.maximum(half - spread, 0.0)  # the covariance's eigenvalues
    return labels, size, np.sqrt(12 * (largest + 1 / 12)), np.sqrt((largest + 1 / 12) / (smallest + 1 / 12))


def elongation(mask: np.ndarray) -> np.ndarray:
    """The elongation (``blob_shapes``) of each blob of ``mask`` of at least ``MIN_PIXELS`` pixels."""
    _, size, _, elongated = blob_shapes(mask)
    return elongated[size >= MIN_PIXELS]


def lines_across(mask: np.ndarray, blobs: tuple[np.ndarray, np.ndarray] | None = None) -> bool:
    """Whether an ink mask is a printed background's thin lines across the page, with no pen's stroke (module
    docstring). ``blobs``: the mask's labels and blob sizes (``blob_shapes``), when the caller has them."""
    mask = np.asarray(mask, dtype=bool)
    labels, size = blob_shapes(mask)[:2] if blobs is None else blobs
    count = len(size)
    if count < CROSSING:
        return False
    height, width = mask.shape
    span = np.array([max((rows.stop - rows.start) / height, (columns.stop - columns.start) / width)
                     for rows, columns in imaging.find_objects(labels, count)])
    across = span >= ACROSS
    if across.sum() < CROSSING or size[across].sum() < CROSSING_INK * size.sum():
        return False
    return fine_lines.thick_ridge(mask) < fine_lines.THICK_MIN


def is_texture(mask: np.ndarray) -> bool:
    """Whether an ink mask is a texture's streaks or a printed background's lines rather than writing (module
    docstring)."""
    labels, size, _, elongated = blob_shapes(mask)
    streaks = elongated[size >= MIN_PIXELS]
    return (len(streaks) >= MANY and float(np.median(streaks)) >= STREAK) or lines_across(mask, (labels, size))
