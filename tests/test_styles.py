"""Writing styles drawn onto MNIST training digits for the shipped digit model (segmentation/train/styles.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_studies import data
from mnist_studies.segmentation.train import styles


@pytest.fixture(scope="module")
def ones():
    (x, y), _ = data.load_mnist()
    return x[y == 1][:20]


def test_a_segment_is_drawn_as_thick_as_asked_between_its_ends():
    image = styles.draw_segment(np.zeros((28, 28), np.uint8), (4, 14), (24, 14), width=3.0)
    assert image.dtype == np.uint8
    assert image[14, 4] == 255 and image[14, 24] == 255 and image[13, 14] == 255 and image[15, 14] == 255
    assert image[14, 0] == 0 and image[14, 27] == 0 and image[10, 14] == 0 and image[18, 14] == 0
    assert styles.stroke_width(image) == pytest.approx(3.0, abs=1.0)


def _upper_span(image: np.ndarray) -> float:
    """How wide the ink of the digit's upper third is, over its height."""
    rows, cols = np.nonzero(image > styles.INK)
    height = rows.max() - rows.min() + 1
    upper = rows < rows.min() + height / 3
    return (cols[upper].max() - cols[upper].min() + 1) / height


def test_a_flagged_one_is_wider_at_the_top_and_stays_mnist_like(ones):
    rng = np.random.default_rng(0)
    gains = []
    for one in ones:
        flagged = styles.flag_one(one, rng)
        assert flagged.shape == (28, 28) and flagged.dtype == np.uint8
        rows, cols = np.nonzero(flagged > styles.INK)
        # fitted again in MNIST's 20 x 20 box (a pixel of anti-aliasing either side)
        assert rows.max() - rows.min() <= 21 and cols.max() - cols.min() <= 21
        gains.append(_upper_span(flagged) - _upper_span(one))
    assert min(gains) > 0 and np.mean(gains) > 0.1  # the flag (a slanted 1's top is wide already)


def test_the_flag_goes_down_to_the_left_of_an_upright_stem():
    upright = np.zeros((28, 28), np.uint8)
    upright[4:24, 13:15] = 255
    for seed in range(5):
        flagged = styles.flag_one(upright, np.random.default_rng(seed))
        rows, cols = np.nonzero(flagged > styles.INK)
        stem = np.median(cols[rows > rows.max() - 5])  # the foot of the stem, where no flag reaches
        upper = rows < rows.min() + (rows.max() - rows.min()) / 3
        assert cols[upper].min() < stem - 3  # the flag reaches left...
        assert cols[upper].max() <= stem + 2  # ...and nothing right of the stem (a 7's bar goes right)


def test_a_flag_can_be_drawn_flatter_and_longer_than_the_default():
    """A variant's ``flag`` ranges reach ``flag_one`` through ``add_styles``; given the default ``FLAG`` they draw
    exactly what no ``flag`` draws (the same random draws, in the same order)."""
    upright = np.zeros((28, 28), np.uint8)
    upright[4:24, 13:15] = 255
    images, labels = np.stack([upright] * 4), np.ones(4, dtype=np.int64)
    default = styles.add_styles(images, labels, {1: 1.0}, seed=3)
    assert np.array_equal(default, styles.add_styles(images, labels, {1: 1.0}, seed=3, flag=dict(styles.FLAG)))
    flat = styles.add_styles(images, labels, {1: 1.0}, seed=3, flag={"angle": (20, 20), "length": (0.65, 0.65)})
    steep = styles.add_styles(images, labels, {1: 1.0}, seed=3, flag={"angle": (65, 65), "length": (0.65, 0.65)})

    def flag_end(image):  # how far down the flag's end (the leftmost ink) lies, × the height
        rows, cols = np.nonzero(image > styles.INK)
        return (rows[cols == cols.min()].mean() - rows.min()) / (rows.max() - rows.min())

    assert all(flag_end(a) < 0.35 < 0.45 < flag_end(b) for a, b in zip(flat, steep))  # 0.22 and 0.59 as drawn


def test_add_styles_redraws_the_asked_share_of_ones_only_and_is_seeded(ones):
    (x, y), _ = data.load_mnist()
    x, y = x[:2000], y[:2000]
    styled = styles.add_styles(x, y, {1: 0.5}, seed=3)
    changed = np.flatnonzero(np.any(styled != x, axis=(1, 2)))
    assert set(y[changed]) == {1}
    assert len(changed) == round(0.5 * np.sum(y == 1))
    assert np.array_equal(styled, styles.add_styles(x, y, {1: 0.5}, seed=3))
    assert not np.array_equal(styled, styles.add_styles(x, y, {1: 0.5}, seed=4))
    assert np.array_equal(x, data.load_mnist()[0][0][:2000])  # the input is left alone
    with pytest.raises(ValueError, match="no style for digits \\[4\\]"):
        styles.add_styles(x, y, {4: 0.5})
    with pytest.raises(ValueError, match="share of 1s"):
        styles.add_styles(x, y, {1: 1.5})


def _upright(image: np.ndarray) -> np.ndarray:
    """The digit sheared to no slant (``styles.slant``), as grey levels."""
    from scipy import ndimage

    shear, centre = styles.slant(image), (np.asarray(image.shape) - 1) / 2
    matrix = np.array([[1.0, 0.0], [-shear, 1.0]])
    return ndimage.affine_transform(image.astype(float), matrix, offset=centre - matrix @ centre, order=1)


def test_a_p_nine_is_the_nine_mirrored_and_leaning_as_it_did():
    (x, y), _ = data.load_mnist()
    nines = x[y == 9][:30]
    mirrored = 0
    for nine in nines:
        drawn = styles.p_nine(nine, np.random.default_rng(0))
        assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
        assert styles.slant(drawn) == pytest.approx(styles.slant(nine), abs=0.12), "leans as the 9 did"
        upright, drawn_upright = _upright(nine), _upright(drawn).ravel()
        mirror, same = (np.corrcoef(drawn_upright, ref.ravel())[0, 1] for ref in (upright[:, ::-1], upright))
        mirrored += mirror > same
    assert mirrored >= 25, "upright, it is the 9's mirror image"
    styled = styles.add_styles(x[:2000], y[:2000], {9: 0.5}, seed=1)
    assert set(y[:2000][np.any(styled != x[:2000], axis=(1, 2))]) == {9}


def _holes(image: np.ndarray) -> list[np.ndarray]:
    """The background regions that ink encloses (not touching the border), as masks."""
    from scipy import ndimage

    labels, count = ndimage.label(image <= styles.INK)
    border = set(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]).tolist())
    return [labels == k for k in range(1, count + 1) if k not in border]


def _holes_in_upper_half(image: np.ndarray) -> int:
    """Enclosed background regions (``_holes``) with their centre in the digit's upper half."""
    rows = np.nonzero(image > styles.INK)[0]
    middle = (rows.min() + rows.max()) / 2
    return sum(1 for hole in _holes(image) if np.nonzero(hole)[0].mean() < middle)


def _drawn(digit: int, style) -> list[tuple[np.ndarray, np.ndarray]]:
    """(MNIST training digit, the same drawn in ``style``) for the first 30 ``digit``s, each drawing checked to be
    an MNIST-like uint8 image fitted in the 20 x 20 box."""
    (x, y), _ = data.load_mnist()
    rng = np.random.default_rng(0)
    pairs = [(image, style(image, rng)) for image in x[y == digit][:30]]
    for _, drawn in pairs:
        assert drawn.shape == (28, 28) and drawn.dtype == np.uint8
        rows, cols = np.nonzero(drawn > styles.INK)
        assert rows.max() - rows.min() <= 21 and cols.max() - cols.min() <= 21
    return pairs


def test_a_looped_two_has_its_top_arc_closed_into_a_loop():
    closed = sum(_holes_in_upper_half(drawn) > _holes_in_upper_half(two) for two, drawn in _drawn(2, styles.looped_two))
    assert closed >= 24, f"only {closed} of 30 twos got a loop at the top"


def test_a_crossed_seven_has_a_bar_across_its_stem_below_the_top():
    crossed = 0
    for seven, drawn in _drawn(7, styles.crossed_seven):
        rows, cols = np.nonzero(drawn > styles.INK)
        top, height = rows.min(), rows.max() - rows.min() + 1
        band = (rows > top + 0.35 * height) & (rows < top + 0.75 * height)  # away from the top bar
        widest = max(np.ptp(cols[rows == r]) + 1 for r in np.unique(rows[band]))
        crossed += widest >= 0.35 * (cols.max() - cols.min() + 1) and widest > 2.5 * styles.stroke_width(seven)
    assert crossed >= 25, f"only {crossed} of 30 sevens were crossed"
    (x, y), _ = data.load_mnist()
    styled = styles.add_styles(x[:2000], y[:2000], {2: 0.5, 7: 0.5}, seed=1)
    assert set(y[:2000][np.any(styled != x[:2000], axis=(1, 2))]) == {2, 7}


def test_a_tailed_zero_keeps_its_loop_and_gets_a_stroke_out_of_its_right_side():
    tailed = closed = 0
    for zero, drawn in _drawn(0, styles.tailed_zero):
        rows, cols = np.nonzero(drawn > styles.INK)
        top, height, width = rows.min(), rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        closed += len(_holes(drawn)) >= min(1, len(_holes(zero)))  # squeezed narrower, a thick 0 may close up
        right = cols > cols.min() + 0.75 * width  # the right quarter: the tail, level, in the lower part
        tail_rows = rows[right]
        tailed += (width / height > _aspect(zero) + 0.2 and np.ptp(tail_rows) < 0.45 * height
                   and tail_rows.mean() > top + 0.3 * height)
    assert tailed >= 25, f"only {tailed} of 30 zeros got a tail"
    assert closed >= 24, f"only {closed} of 30 zeros kept their loop"


def _aspect(image: np.ndarray) -> float:
    rows, cols = np.nonzero(image > styles.INK)
    return (cols.max() - cols.min() + 1) / (rows.max() - rows.min() + 1)


def test_a_marked_digit_gets_a_small_blob_beside_its_foot_and_stays_mnist_like():
    bar = styles.draw_segment(np.zeros((28, 28), np.uint8), (14, 4), (14, 23), width=3.0)  # a "1"
    from scipy import ndimage

    apart = 0
    for seed in range(20):
        marked = styles.with_mark(bar, np.random.default_rng(seed))
        ink = marked > styles.INK
        rows = np.flatnonzero(ink.any(axis=1))
        assert marked.dtype == np.uint8 and rows[-1] - rows[0] + 1 <= 20  # fitted again into MNIST's 20x20 box
        labels, count = ndimage.label(ink, structure=np.ones((3, 3)))
        sizes = np.bincount(labels.ravel())[1:]
        assert count in (1, 2)  # the bar and its mark, apart or touching (as on a page)
        if count == 1:
            continue
        apart += 1
        mark = np.argmin(sizes) + 1
        mark_rows = np.flatnonzero((labels == mark).any(axis=1))
        assert sizes.min() < 0.5 * sizes.max() and mark_rows.min() > rows[0] + 0.6 * (rows[-1] - rows[0])
    assert apart >= 10


def test_marks_go_on_the_share_asked_seeded():
    (x, _), _ = data.load_mnist()
    digits = x[:200]
    marked = styles.add_marks(digits, 0.5, seed=3)
    assert sum(not np.array_equal(a, b) for a, b in zip(marked, digits)) == 100
    assert np.array_equal(styles.add_marks(digits, 0.5, seed=3), marked)
    with pytest.raises(ValueError, match="share of marked digits"):
        styles.add_marks(digits, 1.5)
