"""The photo method's fine printed lines: a security background whose thin lines binarize as ink, removed from the
mask when the writing is thicker than they are.

Some printed backgrounds (wavy guilloche lines a pixel or two wide) are not periodic enough for the spectrum
(``patterns``) and binarize whole: lines across the page that join the digits and read as 8s and 1s. Along the
middle of a line (its ridge: the pixels farthest from the paper) the distance to the paper is half its width. A page
has fine lines when at least ``THIN_SHARE`` of its ridge is within ``THIN_RIDGE`` px of the paper (lines up to 3 px
wide) while at least ``THICK_MIN`` ridge pixels lie ``THICK_RIDGE`` px or more inside the ink (strokes about 5 px wide
or more), and when what would be removed runs long: at least ``LONG_SHARE`` of it in pieces of ink ``LONG_LINES``
digit heights long and not straight (a background's lines cross the page; a thin stroke of handwriting stays within
its digit; a notebook's margin or a table's line is straight, and ``lines`` removes it). Then only
the ink within ``REACH`` px of a thick stroke's core is kept (``strip``). Thin writing (a fine pen, small digits) has
no thick strokes and is left alone. Settings chosen on the tuning pages; numbers in docs/experiments.md.
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import geometry, imaging

THIN_RIDGE = 1.5  # px from the paper: the ridge of a line up to 3 px wide
THICK_RIDGE = 2.7  # px from the paper: the ridge of a stroke about 5 px wide or more
THIN_SHARE = 0.4  # of the ridge pixels thin...
THICK_MIN = 50  # ...and at least this many thick ones
CORE = 2.2  # px from the paper: a thick stroke's core, which no line up to 3 px wide has
REACH = 4.0  # px around the cores kept: the strokes they are the middle of
LONG_LINES = 3.0  # ink removed from a piece (of the page's ink) this many digit heights long or wide is a line's...
LONG_SHARE = 0.1  # ...and the page has fine lines when this share of the removed ink is in such pieces
STRAIGHT = 1.5  # px: a long piece whose ink spreads no more across its axis is a straight line (a rule, a margin's
#                 or a table's line, removed by ``lines``), not a background's: alone, it does not make lines fine


def strip(mask: np.ndarray, *, reach: float = REACH) -> np.ndarray:
    """``mask`` with only the ink within ``reach`` px of a thick stroke's core (``CORE`` px or more from the paper)."""
    core = imaging.distance_transform_edt(mask) >= CORE
    if not core.any():
        return np.zeros_like(mask, dtype=bool)
    return np.asarray(mask, dtype=bool) & (imaging.distance_transform_edt(~core) <= reach)


def _ridge(mask: np.ndarray) -> np.ndarray:
    """The distance to the paper of each pixel along the middle of the ink's strokes (their ridge)."""
    distance = imaging.distance_transform_edt(mask)
    return distance[mask & (distance >= imaging.maximum_filter(distance, 3))]


def thick_ridge(mask: np.ndarray) -> int:
    """How many ridge pixels of ``mask`` lie ``THICK_RIDGE`` px or more inside the ink (a pen's stroke, not a line)."""
    return int(np.sum(_ridge(np.asarray(mask, dtype=bool)) >= THICK_RIDGE))


def _spread_across(piece: np.ndarray) -> float:
    """The standard deviation (px) of a piece's ink across its main axis: under a third of a straight line's width
    (0.57 for a 2 px line), several px for a wavy line (4.1 for the tests' 6 px waves) or a digit."""
    points = np.argwhere(piece).astype(np.float64)
    points -= points.mean(axis=0)
    return float(np.sqrt(max(np.linalg.eigvalsh(points.T @ points / len(points))[0], 0.0)))


def find(mask: np.ndarray) -> np.ndarray | None:
    """``mask`` without its fine printed lines (``strip``), or None when it has none (module docstring)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.sum() < THICK_MIN:
        return None
    ridge = _ridge(mask)
    if np.mean(ridge <= THIN_RIDGE) < THIN_SHARE or np.sum(ridge >= THICK_RIDGE) < THICK_MIN:
        return None
    kept = strip(mask)
    height = geometry.digit_height(kept)
    removed = mask & ~kept
    if height is None or not removed.any():
        return None
    labels, count = imaging.label(mask, structure=np.ones((3, 3)))  # the pieces of ink the removed parts were in
    long = np.zeros(count + 1, dtype=bool)
    for k, box in enumerate(imaging.find_objects(labels, count), start=1):
        if box is not None and max(box[0].stop - box[0].start, box[1].stop - box[1].start) >= LONG_LINES * height:
            long[k] = _spread_across(labels[box] == k) > STRAIGHT
    long_ink = int(np.count_nonzero(long[labels[removed]]))
    return kept if long_ink >= LONG_SHARE * removed.sum() else None
