"""Writing MNIST does not show: styles read as their MNIST look-alike; where the writer crosses 7s, an uncrossed "7"
is a 1 with a long flag, and whether the writers of pages read together do is judged on their 7s (``by_convention``)."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation.rows import ink_runs

CROSSBAR_BAND = (0.3, 0.8)  # the rows of a box (shares of its height, from the top) a 7's crossbar crosses
CROSSBAR = 2.25  # ... where a row's longest run of ink is at least this many times the band's median run (a stroke)
CROSSING_WRITERS = 5  # pages read together are by writers who cross 7s where this many of their 7s are, and most
LOOK_ALIKES = {6: 4, 8: 9, 2: 0}  # read as the key, a digit written in a style MNIST lacks: a 4 like an "h", a 9
# whose loop runs into its tail, a small 0 closed by a stroke; read as the value where its probability is at least
LOOK_ALIKE = 0.04


def crossed(ink: np.ndarray, *, band: tuple[float, float] = CROSSBAR_BAND, longer: float = CROSSBAR) -> bool:
    """Whether a digit's ink (a boolean box) has a bar across its middle: in some row of ``band`` a run of ink at
    least ``longer`` × the median run of those rows (the stroke's width). A slanted stem, however thick, crosses
    each row in one stroke's width; a crossbar runs across the stem."""
    height = ink.shape[0]
    rows = ink[int(band[0] * height):int(np.ceil(band[1] * height))]
    runs = [end - start for row in rows for start, end in ink_runs(row)]
    return bool(runs) and max(runs) >= longer * float(np.median(runs))


def plain_sevens(mask: np.ndarray, boxes, probabilities: np.ndarray) -> list[int]:
    """The indices of ``boxes`` (row, box on ``mask``) read as 7 (``probabilities``, (N, 10 or 11)) whose ink is not
    ``crossed``."""
    return [i for i, (_, (x0, y0, x1, y1)) in enumerate(boxes)
            if probabilities[i, :10].argmax() == 7 and not crossed(mask[y0:y1, x0:x1].astype(bool))]


def uncrossed_sevens_as_ones(mask: np.ndarray, boxes, probabilities: np.ndarray) -> np.ndarray:
    """``probabilities`` (N, 10 or 11) of ``boxes`` (row, box on ``mask``) with the 7's and the 1's swapped in every
    box read as 7 whose ink is not ``crossed``. Writers who cross their 7s (most of continental Europe and Latin
    America) write the 1 with a long up-stroke, a shape MNIST's uncrossed 7s teach the digit model to read as 7."""
    probabilities = probabilities.copy()
    for i in plain_sevens(mask, boxes, probabilities):
        probabilities[i, [1, 7]] = probabilities[i, [7, 1]]
    return probabilities


def styles_mnist_lacks(probabilities: np.ndarray, *, look_alikes: dict[int, int] = LOOK_ALIKES,
                       least: float = LOOK_ALIKE) -> np.ndarray:
    """``probabilities`` (N, 10 or 11) with the two digits' probabilities swapped in every box read as a key of
    ``look_alikes`` that gives its value at least ``least``. Real writers' styles that MNIST lacks are read as
    their MNIST look-alike, the true digit given a little (the development amounts' 4s read as 6: P(4) up to 0.18;
    their true 6s: under 0.001 in 99 of 100). Of MNIST's 10,000 test digits it changes 2 (44 -> 46 errors)."""
    probabilities = probabilities.copy()
    for i, best in enumerate(probabilities[:, :10].argmax(axis=1)):
        other = look_alikes.get(int(best))
        if other is not None and probabilities[i, other] >= least:
            probabilities[i, [best, other]] = probabilities[i, [other, best]]
    return probabilities


def writers_cross_sevens(results, *, least: int = CROSSING_WRITERS) -> bool:
    """Whether the writers of ``results`` (``PageResult``s) cross their 7s: at least ``least`` of the digits read as 7
    have a crossbar, and more than half of them. ``crossed`` finds one on 14% of MNIST's test 7s (American writers)
    and on 92% of the development amounts' 7s (158 of 172); a 1 with a long up-stroke read as 7 has none."""
    with_bar, without = (sum(result.sevens[k] for result in results) for k in (0, 1))
    return with_bar >= least and with_bar > without


def by_convention(results, crossed_sevens: bool | None) -> list:
    """``results`` (read with ``crossed_sevens=False``, or True) as their writers' convention reads them: with
    ``crossed_sevens`` None, each page's ``as_crossing_writer`` reading where ``writers_cross_sevens``; as they are
    otherwise. Pages read together (one command's, one set of copies') are taken to share the convention."""
    if crossed_sevens is None and writers_cross_sevens(results):
        return [result.as_crossing_writer or result for result in results]
    return list(results)
