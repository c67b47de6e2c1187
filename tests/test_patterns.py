"""A printed periodic pattern behind the writing, removed in the page's spectrum (segmentation/patterns.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mnist_studies import segmentation as seg
from mnist_studies.segmentation import patterns
from mnist_studies.segmentation.benchmark import pages


def _stripes(shape, *, period: float = 10.0, angle: float = 0.5) -> np.ndarray:
    """Slanted printed lines (``angle`` radians from upright), as behind a cheque's amount: True where printed."""
    y, x = np.mgrid[:shape[0], :shape[1]]
    return np.abs(np.sin((x * np.cos(angle) + y * np.sin(angle)) * np.pi / period)) < 0.3


def _ring(shape) -> np.ndarray:
    """A written 0: a ring 5 px thick in the middle of the page."""
    y, x = np.mgrid[:shape[0], :shape[1]]
    r = np.hypot(y - shape[0] / 2, (x - shape[1] / 2) * 1.4)
    return (r > 20) & (r < 25)


def test_a_striped_background_is_removed_away_from_the_ink_and_the_ink_keeps_its_grey():
    shape = (120, 300)
    rng = np.random.default_rng(0)
    ring = _ring(shape)
    page = np.where(_stripes(shape), 0.55, 0.95) + rng.normal(0, 0.01, shape)
    page[ring] = 0.1
    cleaned = patterns.remove_pattern(page)
    far = ~ndimage.binary_dilation(ring, iterations=8)
    assert cleaned[far].std() < 0.35 * page[far].std()  # the stripes gone from the paper
    assert np.array_equal(cleaned[ring], page[ring])  # the writing untouched
    assert seg.binarize(cleaned)[far].mean() < 0.01 < 0.1 < seg.binarize(page)[far].mean()


@pytest.mark.parametrize("kind", ["plain", "noise", "level rules", "squared paper", "upright boxes"])
def test_a_page_without_a_slanted_pattern_keeps_its_lines(kind):
    """No pattern, nothing changed; rules and boxes are ``lines.remove_rules``' to remove whole (the spectrum lowered
    a form's boxes in part, and their dashes read as digits): they keep their grey."""
    shape = (240, 400)
    rng = np.random.default_rng(1)
    page = np.full(shape, 0.93) + rng.normal(0, 0.01, shape)
    if kind == "noise":
        page = rng.uniform(0, 1, shape)
    y, x = np.mgrid[:shape[0], :shape[1]]
    tilt = np.tan(np.radians(3))  # photographed a little askew
    if kind in ("level rules", "squared paper"):
        page[(y - tilt * x) % 32 < 1.5] = 0.4
    if kind in ("squared paper", "upright boxes"):
        page[(x + tilt * y) % 40 < 1.5] = 0.4
    page[_ring(shape)] = 0.1
    cleaned = patterns.remove_pattern(page)
    if kind in ("plain", "noise"):
        assert cleaned is page
    lines = page < 0.5
    assert np.abs(cleaned - page)[lines].max() < 0.05


def test_digits_written_over_slanted_printed_lines_read_as_written(models, monkeypatch):
    """A row of MNIST test digits over printed lines 10 px apart (a cheque's background): read as written; without
    the stage its lines joined the digits (``6652614074`` for ``66520074``)."""
    model, rows = models
    page = pages.make_page(2, rows=1)
    grey = page.image.astype(float) / 255.0
    striped = np.minimum(grey, np.where(_stripes(grey.shape), 0.55, 1.0))
    assert seg.recognize_page("p", model, grey=striped, method="photo", row_model=rows).text == page.text
    monkeypatch.setattr(patterns, "remove_pattern", lambda flat, found=None: flat)
    assert seg.recognize_page("p", model, grey=striped, method="photo", row_model=rows).text != page.text


def test_a_wavy_printed_background_under_digits_is_removed_though_it_leaves_specks():
    """The benchmark's "printed background" page 2002: the wavy lines are one piece across the page, and what the
    spectrum leaves of them are many specks, so the cleaned page is judged without specks (and must leave well
    under the ink the next stages would keep): it read 1818881 for 27 digits before, and reads them all now."""
    from mnist_studies.segmentation import light
    from mnist_studies.segmentation.benchmark import families

    image, _ = families.make("printed background", 2002)
    flat = light.flatten_illumination(image / 255.0, dark_ink=True)
    cleaned = patterns.remove_pattern(flat)
    assert cleaned is not flat
    assert seg.binarize(cleaned).sum() < 0.7 * seg.binarize(flat).sum()
