"""Stage 2b of the photo method: a printed periodic pattern behind the writing (a cheque's security lines, stripes,
a fine grid) removed in the page's spectrum, so that it does not binarize as ink.

A pattern repeats, so its energy sits in a few isolated peaks of the page's 2D Fourier spectrum; handwriting's energy
is spread over all frequencies. ``remove_pattern`` lowers every peak that stands ``PEAK`` times above its
neighbourhood (the median of the ``NEIGHBOURHOOD`` × ``NEIGHBOURHOOD`` bins around it) to that neighbourhood's level,
and only when the page has a clear pattern: its strongest peak ``PATTERN`` times above its neighbourhood, far above
what noise reaches (about 4 times on a page of pure noise). Straight strokes have spectral lines too, and lowering those
thins them, so the page is only replaced away from the ink: within ``KEEP_NEAR_INK`` pixels of the cleaned page's ink
the page keeps its own grey. The cleaned page is kept only when it binarizes into fewer pieces than the page did: what
the spectrum removes only in part turns into dashes (a form's boxes, which ``lines.remove_rules`` removes whole, read as
digits; a wavy pattern, not quite periodic, as 1s). A wavy pattern under writing is one piece across the page that the
spectrum breaks into many specks, so the pieces are also counted without specks, and then the cleaned page must leave
under ``INK_REMOVED`` of the ink the next stages keep once rules are removed (ruled lines lowered in part leave dashes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_studies.segmentation import imaging

PEAK = 3.0  # a frequency this many times its neighbourhood's amplitude belongs to the pattern...
PATTERN = 10.0  # ...when the page's strongest one stands this many times above its own (a clear pattern)
NEIGHBOURHOOD = 9  # bins on a side of the neighbourhood a peak is compared with
FINEST_LIGHT = 0.04  # cycles per pixel: slower changes are the light's and the digits' layout, never a pattern
KEEP_NEAR_INK = 3  # pixels around the cleaned page's ink where the page keeps its own grey
INK_REMOVED = 0.7  # the cleaned page must leave under this share of the ink the next stages would keep


def _neighbourhood_median(amplitude: np.ndarray) -> np.ndarray:
    """About the median of the ``NEIGHBOURHOOD`` × ``NEIGHBOURHOOD`` bins around each bin: the median along the
    rows, then along the columns (separable, so a tenth of a square median's time on a large page; an isolated peak
    vanishes from both). The spectrum's rows wrap (negative frequencies last): shifted to be contiguous first."""

    shifted = np.fft.fftshift(amplitude, axes=0)
    rows = imaging.median_filter(shifted, size=(1, NEIGHBOURHOOD), mode="nearest")
    return np.fft.ifftshift(imaging.median_filter(rows, size=(NEIGHBOURHOOD, 1), mode="nearest"), axes=0)


@dataclass
class Spectrum:
    """A page's spectrum (less its mean), each bin's amplitude over its neighbourhood's (``ratio``) and its frequency
    in cycles per pixel (``radius``): computed once, read by this stage and by ``screens``."""

    spectrum: np.ndarray
    ratio: np.ndarray
    radius: np.ndarray


def spectrum_of(page: np.ndarray) -> Spectrum | None:
    """``Spectrum`` of a page, or None when the page is too small to have one (under two neighbourhoods a side)."""
    page = np.asarray(page, dtype=np.float64)
    if min(page.shape) < 2 * NEIGHBOURHOOD:
        return None
    spectrum = np.fft.rfft2(page - page.mean())
    amplitude = np.abs(spectrum)
    radius = np.hypot(np.fft.fftfreq(page.shape[0])[:, None], np.fft.rfftfreq(page.shape[1])[None, :])
    return Spectrum(spectrum, amplitude / np.maximum(_neighbourhood_median(amplitude), 1e-12), radius)


def pattern_gain(page: np.ndarray, found: Spectrum | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(the spectrum of ``page`` less its mean, the gain that lowers its pattern's peaks), or None when the page
    has no clear periodic pattern. ``found``: the page's ``spectrum_of``, when the caller has it."""

    found = spectrum_of(page) if found is None else found
    if found is None:
        return None
    ratio = np.where(found.radius >= FINEST_LIGHT, found.ratio, 0.0)
    if ratio.max() < PATTERN:
        return None
    peaks = imaging.binary_dilation(ratio >= PEAK, structure=np.ones((3, 3), dtype=bool))
    return found.spectrum, np.where(peaks, np.minimum(1.0, 1.0 / np.maximum(found.ratio, 1e-12)), 1.0)


def remove_pattern(flat: np.ndarray, found: Spectrum | None = None) -> np.ndarray:
    """A flattened page (dark ink on paper about 1) with its periodic printed pattern removed away from the ink
    (module docstring); the page itself when it has none. ``found``: the page's ``spectrum_of``, when the caller
    has it."""

    from mnist_studies.segmentation.binarization import binarize, remove_specks
    from mnist_studies.segmentation.lines import remove_rules

    page = np.asarray(flat, dtype=np.float64)
    gained = pattern_gain(page, found)
    if gained is None:
        return flat
    spectrum, gain = gained
    cleaned = np.clip(np.fft.irfft2(spectrum * gain, s=page.shape) + page.mean(), 0.0, 1.0)
    near_ink = imaging.binary_dilation(binarize(cleaned), iterations=KEEP_NEAR_INK)
    result = np.where(near_ink, page, cleaned)
    eight = np.ones((3, 3), dtype=bool)
    before, after = binarize(page), binarize(result)
    if imaging.label(after, structure=eight)[1] < imaging.label(before, structure=eight)[1]:
        return result
    # a wavy pattern under writing: counted without specks, and most of the ink the next stages keep removed
    before, after = remove_specks(before), remove_specks(after)
    fewer = imaging.label(after, structure=eight)[1] < imaging.label(before, structure=eight)[1]
    if fewer and remove_rules(after, min_length=None).sum() < INK_REMOVED * remove_rules(before, min_length=None).sum():
        return result
    return flat
