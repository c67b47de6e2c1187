"""Writing conventions MNIST does not show: where the writer crosses 7s, an uncrossed "7" is a 1 with a long flag."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation.rows import ink_runs

CROSSBAR_BAND = (0.3, 0.8)  # the rows of a box (shares of its height, from the top) a 7's crossbar crosses
CROSSBAR = 2.25  # ... where a row's longest run of ink is at least this many times the band's median run (a stroke)


def crossed(ink: np.ndarray, *, band: tuple[float, float] = CROSSBAR_BAND, longer: float = CROSSBAR) -> bool:
    """Whether a digit's ink (a boolean box) has a bar across its middle: in some row of ``band`` a run of ink at
    least ``longer`` × the median run of those rows (the stroke's width). A slanted stem, however thick, crosses
    each row in one stroke's width; a crossbar runs across the stem."""
    height = ink.shape[0]
    rows = ink[int(band[0] * height):int(np.ceil(band[1] * height))]
    runs = [end - start for row in rows for start, end in ink_runs(row)]
    return bool(runs) and max(runs) >= longer * float(np.median(runs))


def uncrossed_sevens_as_ones(mask: np.ndarray, boxes, probabilities: np.ndarray) -> np.ndarray:
    """``probabilities`` (N, 10 or 11) of ``boxes`` (row, box on ``mask``) with the 7's and the 1's swapped in every
    box read as 7 whose ink is not ``crossed``. Writers who cross their 7s (most of continental Europe and Latin
    America) write the 1 with a long up-stroke, a shape MNIST's uncrossed 7s teach the digit model to read as 7."""
    probabilities = probabilities.copy()
    for i, (_, (x0, y0, x1, y1)) in enumerate(boxes):
        if probabilities[i, :10].argmax() == 7 and not crossed(mask[y0:y1, x0:x1].astype(bool)):
            probabilities[i, [1, 7]] = probabilities[i, [7, 1]]
    return probabilities
