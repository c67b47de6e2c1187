"""A printed background's fine lines that binarize whole, removed from the ink mask when the writing is thicker
(segmentation/fine_lines.py), and the ink-weighted digit height that scale decisions rest on (geometry.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mnist_studies import segmentation as seg
from mnist_studies.segmentation import fine_lines, geometry
from mnist_studies.segmentation.benchmark import families, pages


def _wavy_lines(shape, *, period: int = 14, width: float = 1.0) -> np.ndarray:
    """Printed wavy lines top to bottom, ``period`` px apart and about ``2 × width`` px wide: True where printed."""
    y, x = np.mgrid[:shape[0], :shape[1]]
    centre = (x + 6 * np.sin(y / 9.0)) % period
    return np.minimum(centre, period - centre) < width


def _thick_rows(seed: int = 2):
    """Three rows of MNIST test digits written with a broad pen (strokes about 6 px wide): (mask, text)."""
    page = pages.make_page(seed, rows=3)
    ink = page.image < 128
    return ndimage.binary_dilation(ink, iterations=1), page.text


@pytest.mark.parametrize("pen", ["broad", "ordinary"])
def test_fine_lines_across_a_page_of_writing_are_removed_and_the_writing_kept(pen):
    writing = _thick_rows()[0] if pen == "broad" else pages.make_page(3, rows=2).image < 128
    lines = _wavy_lines(writing.shape)
    found = fine_lines.find(writing | lines)
    assert found is not None
    far = ~ndimage.binary_dilation(writing, iterations=5)
    assert found[lines & far].sum() == 0, "a printed line left away from the writing"
    assert found[writing].mean() > 0.97, "the writing cut"


def test_a_fine_pen_broad_writing_alone_and_short_thin_strokes_are_left_alone():
    from skimage.morphology import skeletonize

    writing, _ = _thick_rows()
    assert fine_lines.find(writing) is None  # nothing thin
    ordinary = pages.make_page(3, rows=2).image < 128
    fine = ndimage.binary_dilation(skeletonize(ordinary))  # strokes 3 px wide: no core to tell writing by
    assert fine_lines.find(fine | _wavy_lines(fine.shape)) is None
    # thin marks that stay short, however many (hairlines, dots, dashes), are not a background's lines
    dashes = np.zeros_like(writing)
    for y in range(3, writing.shape[0] - 3, 9):
        for x in range(3 + y % 7, writing.shape[1] - 12, 14):
            dashes[y, x:x + 8] = True
    dashes &= ~ndimage.binary_dilation(writing, iterations=2)  # apart from the digits
    assert fine_lines.find(writing | dashes) is None
    # one long thin line over broad writing: most of the ridge is the writing's, so nothing is taken for a background
    one = np.zeros_like(writing)
    x = np.arange(200, 420)
    one[(writing.shape[0] - 6 + 2 * np.sin(x / 9.0)).astype(int), x] = True
    assert fine_lines.find(writing | one) is None


def test_a_page_whose_background_binarizes_whole_reads_as_written(models):
    """Tuning page 5008 of the "printed background" family: its wavy lines binarize whole and join the digits (read
    379091 / 194166101 / 1279 / 1907011 before the stage); then, the page's 26 digits are read right."""
    model, rows = models
    image, truth = families.make("printed background", 5008)
    text = seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows).text
    assert pages.score_text(text, truth)[0] >= len(truth.replace("\n", "")) - 1, (text, truth)


def test_the_digit_height_is_weighted_by_ink_so_specks_do_not_outvote_the_digits():
    writing, _ = _thick_rows()
    height = geometry.digit_height(writing)
    assert height == pytest.approx(45, abs=6)
    specked = writing.copy()
    rng = np.random.default_rng(0)
    for _ in range(60):  # short dashes left of a pattern: many more blobs than digits, little ink
        y, x = rng.integers(0, writing.shape[0] - 6), rng.integers(0, writing.shape[1])
        specked[y:y + 5, x] = True
    assert geometry.digit_height(specked) == pytest.approx(height, abs=3)


def test_a_straight_line_alone_does_not_make_a_page_s_lines_fine(monkeypatch):
    """A notebook's margin line, 2 px wide and leaning, beside broad writing: long and thin, it was taken for a printed
    background's line, and ``strip`` kept only the ink near thick strokes. It is straight (``STRAIGHT``): no longer."""
    writing, _ = _thick_rows()
    margin = np.zeros_like(writing)
    y = np.arange(writing.shape[0])
    margin[y, (3 + 0.03 * y).astype(int)] = margin[y, (4 + 0.03 * y).astype(int)] = True
    assert fine_lines.find(writing | margin) is None
    monkeypatch.setattr(fine_lines, "STRAIGHT", 0.0)
    assert fine_lines.find(writing | margin) is not None


def test_a_thin_pens_digits_in_a_notebook_table_are_not_stripped_with_its_lines(models, monkeypatch):
    """``notebook_table`` 7045: its margin line and two of its table's lines, left by the first look, made the page's
    lines fine, and the digits written with a thin pen went with them (read ``311`` for ``3161``, the 8 of ``9184``
    a sliver on a row of its own). Straight lines alone no longer do; the page reads exactly."""
    image, text = families.notebook_table(7045)
    model, rows = models
    assert seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows).text == text
    monkeypatch.setattr(fine_lines, "STRAIGHT", 0.0)
    assert seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows).text != text
