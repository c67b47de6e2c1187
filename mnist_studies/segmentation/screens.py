"""Stage 2d of the photo method: a printed halftone screen (a shaded form field, a photo in a newspaper) smoothed
into the tone it prints, so that its dots do not binarize as ink.

A screen is a square grid of dots whose size follows the tone: peaks in the page's spectrum (``patterns``) at the
grid's pitch, at right angles, that ``patterns.remove_pattern`` lowers only in part (the tone spreads them into side
bands: the dots left read as digits). ``screen_pitch`` finds the grid's pitch; where the binarized page holds
dot-sized pieces in at least ``DOTS`` of the grid's cells (``is_screen``), ``descreen`` blurs the page with a
Gaussian of ``BLUR`` pitches and flattens it again without stretching faint ink: the dots become a tone that the
flattening divides out, and writing, wider than the dots, keeps its strokes. ``remove_screen`` keeps that page
unless the pattern's removal left no screen and binarizes into no more pieces (its writing is sharper). A screen
whose dots merge into a net over most of the paper makes the page look like light ink on a dark page:
``dense_screen`` descreens it before it is inverted. Measured in docs/experiments.md ("Halftone screens", "Dense
and fine halftone screens").
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging
from mnist_studies.segmentation.patterns import PATTERN, Spectrum

FINEST_PITCH, COARSEST_PITCH = 2.0, 12.0  # pixels: the grids taken for a screen (ruled paper's are wider apart)
SIDE = 0.1  # a coarser peak of the same grid: at least this share of the strongest's ratio
AXIS = 0.25  # ...or of this share, on the spectrum's axes
SQUARE = 0.3  # a grid's peak at a right angle, as a share of the first's amplitude: lines have none
DOTS = 0.1  # dot-sized pieces, as a share of the page's grid cells, that make the page a screen
BLUR = 0.5  # the Gaussian's sigma in pitches: the grid's fundamental falls under 1% (experiments.md: 0.4-0.6)
FINE_SCREEN = 3.5  # pixels: a finer screen is blurred as one of twice its pitch. Drawn on the pixel grid, it repeats
# only every two pitches or so (a level screen of 2.5 px every 5 px): empty screens of 2.5 and 3 px read digits
EDGE_GREY = 0.7  # within a pitch of the page's edge, lighter than this is paper: the half dots the edge cuts


def screen_pitch(found: Spectrum | None) -> float | None:
    """The pitch (pixels) of a page's screen from its ``patterns.spectrum_of``, or None when it has none. The
    strongest clear peak (``PATTERN`` times its neighbourhood) between ``FINEST_PITCH`` and ``COARSEST_PITCH`` may be
    a harmonic of the grid or a square grid's diagonal, so from it the search steps to a coarser peak of the same
    grid while there is one at least ``SIDE`` as strong: half its frequency, turned by 45° and 1/√2 as far out (from
    the (1, 1) harmonic), or by atan(1/2) and 1/√5 (from the (2, 1) harmonic)."""
    if found is None:
        return None
    band = (found.radius >= 1 / COARSEST_PITCH) & (found.radius <= 1 / FINEST_PITCH)
    ratio = np.where(band, found.ratio, 0.0)
    row, column = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    if ratio[row, column] < PATTERN:
        return None
    height, width = ratio.shape[0], 2 * (ratio.shape[1] - 1)  # the page's (an odd width's last column aside)
    top = ratio[row, column]
    least = max(PATTERN, SIDE * top)
    fy, fx = np.fft.fftfreq(height)[row], column / width

    def clear(fy: float, fx: float) -> bool:
        if fx < 0:
            fy, fx = -fy, -fx  # the spectrum of a real page: (fy, fx) and (-fy, -fx) are one
        y, x = int(round(fy * height)) % height, int(round(fx * width))
        near = ratio[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2]
        on_axis = x <= 1 or min(y, height - y) <= 1  # the page's edges add a cross of energy along the axes
        return near.size > 0 and near.max() >= (max(least, AXIS * top) if on_axis else least)

    while True:
        coarser = [(fy / 2, fx / 2), ((fy + fx) / 2, (fx - fy) / 2), ((fy - fx) / 2, (fx + fy) / 2),
                   ((2 * fy + fx) / 5, (2 * fx - fy) / 5), ((2 * fy - fx) / 5, (2 * fx + fy) / 5)]
        step = next(((y, x) for y, x in coarser if clear(y, x)), None)
        if step is None:
            return float(1.0 / np.hypot(fy, fx)) if _grid(found.spectrum, fy, fx) else None
        fy, fx = step


def _amplitude_near(spectrum: np.ndarray, fy: float, fx: float) -> float:
    """The largest amplitude of ``spectrum`` (a real page's, ``rfft2``) within a bin of frequency (fy, fx)."""
    height, width = spectrum.shape[0], 2 * (spectrum.shape[1] - 1)
    if fx < 0:
        fy, fx = -fy, -fx  # (fy, fx) and (-fy, -fx) are one
    y, x = int(round(fy * height)), int(round(fx * width))
    rows = np.arange(y - 1, y + 2) % height
    return float(max(np.abs(spectrum[rows, max(x - 1, 0):x + 2]).max(),
                     np.abs(spectrum[-rows % height, 0:1]).max() if x <= 1 else 0.0))  # by column 0: its mirror


def _grid(spectrum: np.ndarray, fy: float, fx: float) -> bool:
    """Whether the peak at (fy, fx) belongs to a grid of dots, not lines: a peak as far out at a right angle, at
    least ``SQUARE`` as strong."""
    return _amplitude_near(spectrum, fx, -fy) >= SQUARE * _amplitude_near(spectrum, fy, fx)


def is_screen(mask: np.ndarray, pitch: float) -> bool:
    """Whether an ink mask is a screen's dots: pieces of ink no larger than a grid cell, at least ``DOTS`` as many
    as the page has cells."""
    labels, count = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labels.ravel())[1:]
    return int((sizes <= pitch * pitch).sum()) >= DOTS * mask.size / (pitch * pitch)


def descreen(flat: np.ndarray, pitch: float) -> np.ndarray:
    """A flattened page (dark ink on paper about 1) with its halftone screen of ``pitch`` (``screen_pitch``) smoothed
    away (module docstring)."""
    from mnist_studies.segmentation.light import flatten_illumination

    sigma = BLUR * (2 * pitch if pitch < FINE_SCREEN else pitch)
    blurred = imaging.gaussian_filter(flat, (sigma, sigma))
    smooth = flatten_illumination(blurred, dark_ink=True, stretch_from=None)
    edge = np.zeros(smooth.shape, dtype=bool)  # the blur's reach: a grid cut by the page's edge leaves half dots
    reach = int(np.ceil(sigma / BLUR))
    edge[:reach], edge[-reach:], edge[:, :reach], edge[:, -reach:] = True, True, True, True
    smooth[edge & (smooth > EDGE_GREY)] = 1.0
    return smooth


def _pieces(page: np.ndarray) -> int:
    from mnist_studies.segmentation.binarization import binarize, remove_specks

    return imaging.label(remove_specks(binarize(page)), structure=np.ones((3, 3), dtype=bool))[1]


def remove_screen(flat: np.ndarray, found: Spectrum | None, cleaned: np.ndarray) -> np.ndarray:
    """The page of a flattened ``flat`` to binarize. Where ``flat`` is a screen (``screen_pitch`` of its spectrum
    ``found``, and ``is_screen``): the descreened page, unless ``cleaned`` (``patterns.remove_pattern``'s page, its
    writing sharper) binarizes into fewer pieces, specks aside, or as many and is no longer a screen. Else
    ``cleaned``."""
    from mnist_studies.segmentation.binarization import binarize

    pitch = _pitch_if_screen(flat, found)
    if pitch is None:
        return cleaned
    descreened = descreen(flat, pitch)
    pieces, cleaned_pieces = _pieces(descreened), _pieces(cleaned)
    if pieces < cleaned_pieces or (pieces == cleaned_pieces and is_screen(binarize(cleaned), pitch)):
        return descreened
    return cleaned


def dense_screen(flat: np.ndarray, found: Spectrum | None) -> np.ndarray | None:
    """The descreened page of a flattened page (dark ink on paper about 1) that reads as light ink on a dark page
    (``binarization.ink_is_dark``) only because a screen's dots, merged into a net, cover most of its paper; None
    when it is no screen (a blackboard's chalk). ``found``: the spectrum of the page or of its inverse (the same
    peaks)."""
    pitch = _pitch_if_screen(flat, found)  # binarize takes the net's holes for the ink: dots
    return None if pitch is None else descreen(flat, pitch)


def _pitch_if_screen(flat: np.ndarray, found: Spectrum | None) -> float | None:
    """The pitch of ``flat``'s screen (``screen_pitch`` of its spectrum ``found``) where its binarized ink is one
    (``is_screen``), else None."""
    from mnist_studies.segmentation.binarization import binarize

    pitch = screen_pitch(found)
    return pitch if pitch is not None and is_screen(binarize(flat), pitch) else None
