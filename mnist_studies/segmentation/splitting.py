"""Stage 7, splitting: each row cut into digit boxes by the paper's directional projection."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging
from mnist_studies.segmentation.rows import find_rows, ink_runs, rows_of_blobs

TOUCHING = 1.55  # a blob wider than this many expected digit widths holds touching digits (chosen on
# synthetic pages with seeds 5000-5029, disjoint from the notebook's evaluation pages, which start at 1000)


SLANTS = tuple(round(float(s), 1) for s in np.arange(-0.4, 0.45, 0.1))  # the projections' directions (x per y)


ONE_WIDE_DIGIT = 1.8  # a blob narrower than this many expected digit widths that no column crosses in one stroke


Boxes = list[tuple[int, tuple[int, int, int, int]]]  # (row, (x0, y0, x1, y1)) as ``segment`` gives them


def slanted_pieces(run: np.ndarray, width: float, *, slants=SLANTS, min_run: float = 0.7,
                    min_piece: float = 0.25) -> list[np.ndarray]:
    """The ink of a run of columns (a mask) split along empty slanted lines: projected along each of ``slants``
    (a line x = x0 + slant × y), a run wider than ``min_run`` × ``width`` whose projection has an empty bin between
    two pieces at least ``min_piece`` × ``width`` wide holds two digits that overlap without touching (a slanted 1 under
    its neighbour's stroke). The most even split wins, and each piece is split again; returns one mask (the shape of
    ``run``) per piece, or ``[run]``."""
    ys, xs = np.nonzero(run)
    if not slants or not len(xs) or np.ptp(xs) + 1 <= min_run * width:
        return [run]
    best = None
    for slant in slants:
        position = np.floor(xs - slant * (ys - run.shape[0] / 2)).astype(int)
        position -= position.min()
        gaps = np.flatnonzero(np.bincount(position) == 0)
        if not len(gaps):
            continue
        # the widths of the ink left and right of every gap at once (pixels sorted along the projection)
        order = np.argsort(position, kind="stable")
        along, across = position[order], xs[order]
        split = np.searchsorted(along, gaps)  # pixels left of each gap
        left = np.maximum.accumulate(across)[split - 1] - np.minimum.accumulate(across)[split - 1] + 1
        right = (np.maximum.accumulate(across[::-1])[::-1][split] - np.minimum.accumulate(across[::-1])[::-1][split]
                 + 1)
        balance = np.where(np.minimum(left, right) >= min_piece * width, np.abs(left - right), np.inf)
        k = int(np.argmin(balance))
        if np.isfinite(balance[k]) and (best is None or balance[k] < best[0]):
            best = balance[k], position < gaps[k]
    if best is None:
        return [run]
    pieces = []
    for side in (best[1], ~best[1]):
        piece = np.zeros_like(run)
        piece[ys[side], xs[side]] = True
        pieces.extend(slanted_pieces(piece, width, slants=slants, min_run=min_run, min_piece=min_piece))
    return pieces


def split_row(mask: np.ndarray, row: tuple[int, int], *, expected_width: float | None = None,
              min_width: int = 2, touching: float | None = None, slants=SLANTS,
              one_wide_digit: float = ONE_WIDE_DIGIT) -> list[tuple[int, int, int, int]]:
    """Digit boxes (x0, y0, x1, y1) in one row band, by directional projection.

    The paper's "improved algorithm based on directional projection" is not described further; this is our reading.
    Each run of columns with ink is split along empty slanted lines (``slanted_pieces`` along ``slants``: digits that
    overlap without touching; () turns it off). A piece wider than ``touching`` × ``expected_width`` (default 0.8 × the
    row height) holds touching digits and is cut at the column of least ink within ±40% of the expected width from its
    left edge, again and again, unless it is narrower than ``one_wide_digit`` × the width and every column there crosses
    two strokes (the middle of a wide 0). Each box is shrunk to its ink. Chosen on tuning pages (seeds 5000+), not the
    study's evaluation pages: docs/experiments.md, "Directional projection".
    """
    y0, y1 = row
    band = mask[y0:y1]
    width = expected_width or 0.8 * (y1 - y0)
    boxes = []
    touching = TOUCHING if touching is None else touching
    for run_start, run_end in ink_runs(band.sum(axis=0)):
        for piece in slanted_pieces(band[:, run_start:run_end], width, slants=slants):
            projection = piece.sum(axis=0)
            crossings = np.count_nonzero(np.diff(piece.astype(np.int8), axis=0, prepend=0) == 1, axis=0)
            for start, end in ink_runs(projection):
                while end - start > touching * width:
                    lo, hi = int(start + 0.6 * width), int(min(end - 0.3 * width, start + 1.4 * width))
                    if hi <= lo or lo <= start:  # no room to cut, or a cut that would not advance (< 2 px wide)
                        break
                    if end - start < one_wide_digit * width and crossings[lo:hi].min() >= 2:
                        break
                    # least ink, ties broken towards the expected digit width
                    distance = np.abs(np.arange(lo, hi) - (start + width)) / width
                    cut = lo + int(np.argmin(projection[lo:hi] + 0.25 * distance))
                    boxes.append((piece, run_start, start, cut))
                    start = cut
                boxes.append((piece, run_start, start, end))
    out = []
    for piece, offset, x0, x1 in boxes:
        if x1 - x0 < min_width:
            continue
        rows_with_ink = np.flatnonzero(piece[:, x0:x1].any(axis=1))
        if len(rows_with_ink):
            out.append((offset + x0, y0 + int(rows_with_ink[0]), offset + x1, y0 + int(rows_with_ink[-1]) + 1))
    return out


def _row_aspects(mask: np.ndarray, row: tuple[int, int]) -> list[float]:
    """The width / row-height ratios of a row's single blobs (those not wider than the row is high)."""
    y0, y1 = row
    return [(b - a) / (y1 - y0) for a, b in ink_runs(mask[y0:y1].sum(axis=0)) if b - a <= (y1 - y0)]


def _width_share(ratios: list[list[float]]) -> float:
    """``digit_width_share`` from every row's ``_row_aspects``."""
    flat = [ratio for row in ratios for ratio in row]
    aspect = float(np.median(flat)) if len(flat) >= 3 else None
    return aspect if aspect and aspect < 1.2 else 0.8


def digit_width_share(mask: np.ndarray, rows: list[tuple[int, int]]) -> float:
    """The expected digit width as a share of its row's height: the median width / row-height ratio of the page's
    single blobs (those not wider than their row is high; rows of bigger digits then expect proportionally wider
    digits) where there are at least three and it is under 1.2, else 0.8."""
    return _width_share([_row_aspects(mask, row) for row in rows])


def merge_fragments(boxes: list[tuple[int, int, int, int]], row: tuple[int, int], width: float,
                    *, min_height: float = 0.45, small_digit: float | None = None) -> list[tuple[int, int, int, int]]:
    """Merge pieces of broken strokes into their digit: a box lower than ``min_height`` × the row height joins the
    nearest full-height box when the horizontal gap is at most half a digit width, and is dropped otherwise. With
    ``small_digit`` s, a low box is a small digit of its own (the smaller zeros of ``3.400``) when it stands on the
    row's baseline (its bottom within 15% of the row height of the full boxes' median bottom), is at least s × the
    row height tall and at least as wide as tall (a period is narrower), and overlaps no full box's columns."""
    row_height = row[1] - row[0]
    full = [list(b) for b in boxes if b[3] - b[1] >= min_height * row_height]
    low = [b for b in boxes if b[3] - b[1] < min_height * row_height]
    if small_digit is not None and full:
        baseline = float(np.median([b[3] for b in full]))
        columns = [(b[0], b[2]) for b in full]

        def own_digit(box) -> bool:
            x0, y0, x1, y1 = box
            return (y1 - y0 >= small_digit * row_height and x1 - x0 >= y1 - y0
                    and abs(y1 - baseline) <= 0.15 * row_height and all(x1 <= a or x0 >= b for a, b in columns))

        small = [b for b in low if own_digit(b)]
        low = [b for b in low if not own_digit(b)]
    else:
        small = []
    for x0, y0, x1, y1 in low:
        if not full:
            break
        gaps = [max(0, x0 - b[2], b[0] - x1) for b in full]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= 0.5 * width:
            b = full[nearest]
            full[nearest] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
    return sorted([tuple(b) for b in full] + small)


ROW_FINDERS = ("projection", "blobs")


def segment(mask: np.ndarray, *, min_row_share: float = 0.0, touching: float | None = None, slants=SLANTS,
            one_wide_digit: float = ONE_WIDE_DIGIT, rows: str = "projection",
            small_digit: float | None = None) -> list[tuple[int, tuple[int, int, int, int]]]:
    """All digit boxes of a page as (row index, box), rows top to bottom, digits left to right.

    Args:
        rows: ``"projection"`` (``find_rows``, the paper's) or ``"blobs"`` (``rows_of_blobs``, the photo method's).
        min_row_share: rows lower than this × the tallest row are dropped (specks along a shadow's edge).
        touching, slants, one_wide_digit: ``split_row``'s cut of wide blobs, slanted projections and crossing rule; the
            photo method passes ``np.inf`` and () and leaves every cut to recognition (``touching``).
    """
    if rows not in ROW_FINDERS:
        raise ValueError(f"unknown row finder {rows!r}; valid: {', '.join(ROW_FINDERS)}")
    found = rows_of_blobs(mask) if rows == "blobs" else [(band, mask) for band in find_rows(mask)]
    if found and min_row_share:
        tallest = max(y1 - y0 for (y0, y1), _ in found)
        found = [(band, row_mask) for band, row_mask in found if band[1] - band[0] >= min_row_share * tallest]
    aspect = _width_share([_row_aspects(row_mask, band) for band, row_mask in found])
    out = []
    for r, (row, row_mask) in enumerate(found):
        row_width = aspect * (row[1] - row[0])
        boxes = merge_fragments(split_row(row_mask, row, expected_width=row_width, touching=touching, slants=slants,
                                          one_wide_digit=one_wide_digit), row, row_width, small_digit=small_digit)
        out.extend((r, box) for box in boxes)
    return out


def shrink_to_ink(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = box
    ys, xs = np.nonzero(mask[y0:y1, x0:x1])
    if not len(ys):
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


def tall_pieces(mask: np.ndarray, min_height: float) -> list[tuple[slice, slice]]:
    """The bounding boxes (row and column slices of ``mask``) of its 8-connected pieces of ink at least
    ``min_height`` px tall: the strokes of a box, without the specks, flags and feet that are shorter."""
    labels, count = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    if not count:
        return []
    return [s for s in imaging.find_objects(labels, count) if s is not None and s[0].stop - s[0].start >= min_height]
