"""A printed halftone screen behind the writing, smoothed into its tone (segmentation/screens.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_studies import segmentation as seg
from mnist_studies.segmentation import light, patterns, screens
from mnist_studies.segmentation.benchmark import families, pages


def _screen(shape=(240, 400), *, pitch=5.0, angle=0.5, darkest=None, seed=0) -> np.ndarray:
    """An empty page printed with a halftone screen (``families.halftone_screen``), ink 0.95 times as light."""
    return 0.95 * families.halftone_screen(shape, np.random.default_rng(seed), pitch=pitch, angle=angle,
                                           darkest=darkest)


def _flat(grey: np.ndarray) -> np.ndarray:
    return light.flatten_illumination(grey, dark_ink=True)


@pytest.mark.parametrize("pitch, angle", [(3.0, 0.0), (3.5, 0.48), (4.3, 0.72), (5.6, 0.2), (6.5, 0.79), (9.0, 1.2)])
def test_a_screens_pitch_is_found_at_any_angle_though_its_strongest_peak_is_a_harmonic_or_a_diagonal(pitch, angle):
    found = patterns.spectrum_of(_flat(_screen(pitch=pitch, angle=angle)))
    assert screens.screen_pitch(found) == pytest.approx(pitch, rel=0.04)


def test_a_page_without_a_screen_has_no_pitch_or_is_not_taken_for_one():
    """Plain digits have no clear peak; ruled paper's lines have (their harmonics fall among a screen's pitches), but
    no peak at a right angle; a cheque's wavy printed lines neither."""
    for image in (pages.make_page(4, rows=2).image, families.make("ruled paper", 4)[0],
                  families.make("printed background", 4)[0]):
        flat = _flat(image / 255.0)
        found = patterns.spectrum_of(flat)
        cleaned = patterns.remove_pattern(flat, found)
        assert screens.screen_pitch(found) is None
        assert screens.remove_screen(flat, found, cleaned) is cleaned


@pytest.mark.parametrize("pitch, angle, darkest", [(4.0, 0.78, 0.6), (3.0, 0.3, 0.5), (6.0, 0.2, 0.4), (8.0, 0.1, 0.6)])
def test_an_empty_screen_is_smoothed_into_paper_and_its_dots_are_not_ink(pitch, angle, darkest):
    """Thousands of dots binarize as ink, and the pattern's removal leaves hundreds of pixels of them (they read as
    digits); the descreened page has none (the last screen's rows cut by the page's edge too), and is the one kept."""
    flat = _flat(_screen(pitch=pitch, angle=angle, darkest=darkest, seed=1))
    found = patterns.spectrum_of(flat)
    cleaned = patterns.remove_pattern(flat, found)
    assert seg.binarize(flat).mean() > 0.2 and seg.remove_specks(seg.binarize(cleaned)).sum() > 500
    pitch = screens.screen_pitch(found)
    assert screens.is_screen(seg.binarize(flat), pitch)
    assert not seg.binarize(screens.descreen(flat, pitch)).any()
    assert screens.remove_screen(flat, found, cleaned) is not cleaned


def test_digits_written_over_a_screen_read_as_written_and_a_screen_alone_as_nothing(models, monkeypatch):
    """Writing over a screen: the pattern's removal binarizes into fewer pieces than the blurred page, so its page is
    kept, and the digits are read as written. An empty screen reads as empty, and without the stage as digits."""
    model, rows = models
    for seed in (5000, 5001, 5002):
        image, truth = families.make("halftone screen", seed)
        assert seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows).text == truth
    empty = _screen((600, 800), pitch=4.0, angle=0.78, darkest=0.6, seed=2)
    assert seg.recognize_page("p", model, grey=empty, method="photo", row_model=rows).text == ""
    monkeypatch.setattr(screens, "remove_screen", lambda flat, found, cleaned: cleaned)
    assert len(seg.recognize_page("p", model, grey=empty, method="photo", row_model=rows).text) >= 5
