"""Stage 6, rows: the paper's horizontal projection, or chains of ink blobs that may climb, fall or converge."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging


def ink_runs(profile: np.ndarray, *, min_gap: int = 1) -> list[tuple[int, int]]:
    """[start, end) runs where ``profile > 0``, merging runs separated by fewer than ``min_gap`` empty entries."""
    on = profile > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] < min_gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def find_rows(mask: np.ndarray, *, min_height: int = 5) -> list[tuple[int, int]]:
    """Row bands [y0, y1) by horizontal projection (ink pixels per image row); bands thinner than ``min_height``
    are dropped, gaps of a few pixels inside a digit line are bridged."""
    rows = ink_runs(mask.sum(axis=1), min_gap=3)
    return [(a, b) for a, b in rows if b - a >= min_height]


def _chains(indices, boxes: np.ndarray, *, min_overlap: float, recent: int) -> list[list[int]]:
    """Blobs (``indices`` into ``boxes``: y0, y1, x0, x1) chained into rows left to right: each joins the row one of
    whose ``recent`` last blobs it overlaps vertically the most, by at least ``min_overlap`` of the lower of the two,
    or starts a row."""
    rows: list[list[int]] = []
    for index in sorted(indices, key=lambda i: boxes[i, 2]):
        y0, y1 = boxes[index, :2]
        best, best_overlap = None, min_overlap
        for r, row in enumerate(rows):
            last = boxes[row[-recent:]]
            overlap = ((np.minimum(y1, last[:, 1]) - np.maximum(y0, last[:, 0]))
                       / np.minimum(y1 - y0, last[:, 1] - last[:, 0])).max()
            if overlap >= best_overlap:
                best, best_overlap = r, overlap
        if best is None:
            rows.append([index])
        else:
            rows[best].append(index)
    return rows


def _joined(a: np.ndarray, b: np.ndarray, band_a: np.ndarray, band_b: np.ndarray, chained_a: np.ndarray,
            chained_b: np.ndarray, *, min_overlap: float, across: float) -> np.ndarray:
    """``_merge_rows``' test for every pair of blobs ``a`` × ``b`` (boxes y0, y1, x0, x1; ``band``: the height of each
    one's row; ``chained``: whether it was chained rather than joined beside): side by side, or one over the other."""
    gap = np.maximum(a[:, None, 2] - b[None, :, 3], b[None, :, 2] - a[:, None, 3]).clip(0)
    lower = np.minimum(a[:, None, 1] - a[:, None, 0], b[None, :, 1] - b[None, :, 0])
    common = np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])  # < 0: the gap
    beside = (gap <= across) & (common >= min_overlap * lower)
    narrower = np.minimum(a[:, None, 3] - a[:, None, 2], b[None, :, 3] - b[None, :, 2])
    over = (np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 2], b[None, :, 2])) >= 0.5 * narrower
    stacked = (over & chained_a[:, None] & chained_b[None, :]
               & (np.maximum(a[:, None, 1], b[None, :, 1]) - np.minimum(a[:, None, 0], b[None, :, 0])
                  <= np.maximum(band_a[:, None], band_b[None, :]))
               & (-common <= 0.25 * lower))  # at most a quarter of the lower one apart
    return beside | stacked


def _merge_rows(members: list[list[int]], boxes: np.ndarray, row_of: np.ndarray, *, min_overlap: float,
                across: float) -> list[list[int]]:
    """Rows (lists of blob indices, numbered from 1 in ``row_of``, updated in place) merged where a blob of one lies
    beside a blob of another (at most ``across`` apart horizontally), overlapping it vertically by ``min_overlap``
    of the lower of the two (a chain that a piece of a digit started before its digit, or a row that a wide gap
    split into two chains whose digits then alternated between them), or over it, at most a quarter of the lower
    one's height apart and the two together no higher than the higher of the two rows (the upper and lower pieces
    of large digits broken apart, which chained into two rows; a digit of the next row is a row's height and a gap
    away)."""
    rowed = np.flatnonzero(row_of)
    b = boxes[rowed]
    bands = np.zeros(len(members) + 1)
    for r in range(1, len(members) + 1):
        inside = b[row_of[rowed] == r]
        bands[r] = inside[:, 1].max() - inside[:, 0].min()
    band = bands[row_of[rowed]]
    chained = np.isin(rowed, [i for row in members for i in row])  # not a piece that joined the row beside it
    pairs = []
    for start in range(0, len(b), 256):  # in slices of blobs: a page of thousands of them stays in memory
        part = slice(start, start + 256)
        i, j = np.nonzero(_joined(b[part], b, band[part], band, chained[part], chained, min_overlap=min_overlap,
                                  across=across))
        pairs.extend(zip(start + i, j))
    parent = list(range(len(members) + 1))

    def root(r: int) -> int:
        while parent[r] != r:
            r = parent[r]
        return r

    for i, j in pairs:
        a, c = root(row_of[rowed[i]]), root(row_of[rowed[j]])
        if a != c:
            parent[max(a, c)] = min(a, c)
    merged: dict[int, list[int]] = {}
    for r, row in enumerate(members, start=1):
        merged.setdefault(root(r), []).extend(row)
    renumbered = np.zeros(len(members) + 1, dtype=np.int64)
    for new, old in enumerate(merged, start=1):
        renumbered[[r for r in range(1, len(members) + 1) if root(r) == old]] = new
    row_of[rowed] = renumbered[row_of[rowed]]
    return [sorted(row, key=lambda i: boxes[i, 2]) for row in merged.values()]


def rows_of_blobs(mask: np.ndarray, *, min_overlap: float = 0.5, recent: int = 3, whole: float = 0.7,
                  piece: float = 0.45, near: float = 0.5,
                  line: float = 1.5) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Rows as chains of ink blobs, top to bottom: ``[((y0, y1), row mask), ...]``, each row mask holding that
    row's blobs alone. A row may climb or fall and rows may overlap in height, as on a photo taken at an angle.

    Whole digits (blobs at least ``whole`` × the median height) are chained left to right (``_chains``, by vertical
    overlap ``min_overlap`` with one of the row's ``recent`` last blobs). A lower blob joins the row of the blob beside
    it (a digit broken by a ruled line); lower blobs beside none chain into rows of their own from ``piece`` × the
    median (smaller digits); the rest join the nearest row within ``near`` × the median or are dropped, as are blobs
    wider than ``line`` × the median (an underline). Rows whose blobs lie side by side, or one over the other, are then
    merged (``_merge_rows``).
    """

    labels, count = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    if not count:
        return []
    boxes = np.array([(s[0].start, s[0].stop, s[1].start, s[1].stop) for s in imaging.find_objects(labels)])
    heights = boxes[:, 1] - boxes[:, 0]
    typical = float(np.median(heights))
    row_of = np.zeros(count, dtype=np.int64)  # each blob's row, from 1 (0: none)
    members = _chains(np.flatnonzero(heights >= whole * typical), boxes, min_overlap=min_overlap, recent=recent)
    for r, row in enumerate(members, start=1):
        row_of[row] = r

    def gaps_to(rowed: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(horizontal gaps, vertical overlaps) from blob ``index`` to the blobs ``rowed``."""
        y0, y1, x0, x1 = boxes[index]
        return (np.maximum(boxes[rowed, 2] - x1, x0 - boxes[rowed, 3]).clip(0),
                np.minimum(y1, boxes[rowed, 1]) - np.maximum(y0, boxes[rowed, 0]))

    lower = np.flatnonzero(heights < whole * typical)
    rowed = np.flatnonzero(row_of)
    alone = []
    for index in lower:
        if len(rowed):
            across, level = gaps_to(rowed, index)
            beside = (across <= 2 * typical) & (level > 0)
            if beside.any():
                row_of[index] = row_of[rowed[np.flatnonzero(beside)[np.argmax(level[beside])]]]
                continue
        alone.append(index)
    for row in _chains([i for i in alone if heights[i] >= piece * typical], boxes, min_overlap=min_overlap,
                       recent=recent):
        members.append(row)
        row_of[row] = len(members)
    members = _merge_rows(members, boxes, row_of, min_overlap=min_overlap, across=typical)
    rowed = np.flatnonzero(row_of)
    widths = boxes[:, 3] - boxes[:, 2]
    top = np.array([np.inf] + [boxes[row, 0].min() for row in members])  # each row's band
    bottom = np.array([-np.inf] + [boxes[row, 1].max() for row in members])
    for index in (i for i in alone if heights[i] < piece * typical and widths[i] <= line * typical):
        if len(rowed):
            across, level = gaps_to(rowed, index)
            banded = (top[row_of[rowed]] < boxes[index, 1]) & (bottom[row_of[rowed]] > boxes[index, 0])
            gaps = np.where(banded, np.maximum(across, -level.clip(max=0)), np.inf)  # not a speck above every row
            if gaps.min() <= near * typical:
                row_of[index] = row_of[rowed[int(np.argmin(gaps))]]
    by_label = np.concatenate([[0], row_of])[labels]
    rows = []
    for r in range(1, len(members) + 1):
        blobs = np.flatnonzero(row_of == r)
        rows.append(((int(boxes[blobs, 0].min()), int(boxes[blobs, 1].max())), by_label == r,
                     float(np.median((boxes[members[r - 1], 0] + boxes[members[r - 1], 1]) / 2))))
    rows.sort(key=lambda row: row[2])
    return [(band, row_mask) for band, row_mask, _ in rows]
