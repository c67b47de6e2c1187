"""A printed halftone screen behind the writing, smoothed into its tone (segmentation/screens.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_studies import segmentation as seg
from mnist_studies.segmentation import light, lines, patterns, pipeline, screens
from mnist_studies.segmentation.benchmark import families, pages


def _screen(shape=(240, 400), *, pitch=5.0, angle=0.5, darkest=None, seed=0, paper=0.95) -> np.ndarray:
    """An empty page of grey ``paper`` printed with a halftone screen (``families.halftone_screen``)."""
    return paper * families.halftone_screen(shape, np.random.default_rng(seed), pitch=pitch, angle=angle,
                                            darkest=darkest)


def _flat(grey: np.ndarray) -> np.ndarray:
    return light.flatten_illumination(grey, dark_ink=True)


@pytest.mark.parametrize("pitch, angle, darkest", [(3.0, 0.0, None), (3.5, 0.48, None), (4.3, 0.72, None),
                                                   (5.6, 0.2, None), (6.5, 0.79, None), (9.0, 1.2, None),
                                                   (7.0, 0.1, 0.5), (9.0, 0.3, 0.5), (11.0, 0.2, 0.5)])
def test_a_screens_pitch_is_found_at_any_angle_though_its_strongest_peak_is_a_harmonic_or_a_diagonal(pitch, angle,
                                                                                                     darkest):
    """The last three's strongest peaks are (2, 1) harmonics: turned by atan(1/2) from the grid, √5 times as far out."""
    found = patterns.spectrum_of(_flat(_screen(pitch=pitch, angle=angle, darkest=darkest)))
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
    assert seg.binarize(flat).mean() > 0.15 and seg.remove_specks(seg.binarize(cleaned)).sum() > 500
    pitch = screens.screen_pitch(found)
    assert screens.is_screen(seg.binarize(flat), pitch)
    assert not seg.binarize(screens.descreen(flat, pitch)).any()
    assert screens.remove_screen(flat, found, cleaned) is not cleaned


def test_digits_written_over_a_screen_read_as_written_and_a_screen_alone_as_nothing(models, monkeypatch):
    """Writing over a screen: the pattern's removal binarizes into fewer pieces than the blurred page, so its page is
    kept, and the digits are read as written. An empty screen reads as empty, and without the stage as digits (with
    an empty table's frame not looked for either: the net of its merged dots is one, ``lines.EMPTY_TABLE``)."""
    model, rows = models
    for seed in (5000, 5001, 5002):
        image, truth = families.make("halftone screen", seed)
        assert seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows).text == truth
    empty = _screen(pitch=7.0, angle=1.1, darkest=0.6, paper=0.92)
    assert seg.recognize_page("p", model, grey=empty, method="photo", row_model=rows).text == ""
    monkeypatch.setattr(screens, "remove_screen", lambda flat, found, cleaned: cleaned)
    monkeypatch.setattr(lines, "EMPTY_TABLE", (10**9, 1.0))
    assert len(seg.recognize_page("p", model, grey=empty, method="photo", row_model=rows).text) >= 5


@pytest.mark.parametrize("pitch, angle, seed, stage", [(5.5, 0.2, 0, "dense"), (7.0, 1.1, 0, "dense"),
                                                        (2.5, 0.0, 0, "fine"), (2.5, 0.0, 1, "fine")])
def test_an_empty_screen_whose_dots_merge_or_that_is_finer_than_the_pixel_grid_draws_reads_as_empty(
        models, monkeypatch, pitch, angle, seed, stage):
    """Dots covering up to 85% of the paper merge into a net: the page is mostly dark and was taken for light ink on
    a dark page, its paper's holes for the ink (``screens.dense_screen``). A level screen of 2.5 px repeats on the
    pixels only every 5 px, which a blur of half its pitch leaves as rings (``screens.FINE_SCREEN``). Each reads
    empty, and as digits without its rule."""
    from mnist_studies.segmentation.binarization import ink_is_dark

    model, rows = models
    page = _screen(pitch=pitch, angle=angle, darkest=0.85, seed=seed, paper=0.92)
    assert stage == "fine" or not ink_is_dark(_flat(page))
    assert seg.recognize_page("p", model, grey=page, method="photo", row_model=rows).text == ""
    if stage == "dense":
        monkeypatch.setattr(screens, "dense_screen", lambda flat, found: None)
    else:  # (the rings' boxes are also scattered pieces of ink: ``pipeline.scattered``, turned off to test the rule)
        monkeypatch.setattr(screens, "FINE_SCREEN", 0.0)
        monkeypatch.setattr(pipeline, "scattered", lambda mask, box: False)
    assert seg.recognize_page("p", model, grey=page, method="photo", row_model=rows).text != ""
