"""Stage 4, binarization: the paper's adaptive threshold, specks removed, and the lighter ink a second look reads."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging

MIN_CONTRAST = 0.08  # a page whose grey levels span less than this is blank
NOISE_SIGMAS = 1.5  # ink is darker than the paper's median by at least this many times its pixel noise: the most
# that leaves the 500 development amounts read as they were (2: 3 digits fewer; 2.5: 4 amounts); empty pages of
# noise with sigma 0.1-0.3 read as empty from 1.5 (docs/experiments.md, "Heavy noise")


def ink_is_dark(grey: np.ndarray) -> bool:
    """True when the ink is darker than the background (the background is the majority of the page)."""

    threshold = imaging.threshold_otsu(grey)
    return (grey > threshold).mean() >= 0.5


def binarize(grey: np.ndarray, *, window: int | None = None, k: float = 0.2,
             noise_sigmas: float | None = NOISE_SIGMAS, dark_ink: bool | None = None) -> np.ndarray:
    """Adaptive binarization (scikit-image's Sauvola threshold) → boolean ink mask (True = ink).

    The polarity is detected first (``ink_is_dark``; ``dark_ink`` when the caller knows it): light-on-dark pages are
    inverted. A page with less than ``MIN_CONTRAST`` between its darkest and lightest percentile is blank: an empty
    mask. Ink is also darker than Otsu's global cut and than the paper by ``noise_sigmas`` times the page's noise
    (``pixel_noise``; None: no such rule, as the shipped models' training pages were binarized: ``train.strips``).
    """

    low, high = np.percentile(grey, [0.5, 99.5])
    if high - low < MIN_CONTRAST:
        return np.zeros(grey.shape, dtype=bool)
    page = grey if (ink_is_dark(grey) if dark_ink is None else dark_ink) else 1.0 - grey  # dark ink from here on
    if window is None:
        window = max(15, (min(page.shape) // 12) | 1)  # odd, about a digit's size on a typical page
    local = page < imaging.threshold_sauvola(page, window, k)
    # Sauvola alone turns faint texture of empty regions into specks: ink must also be darker than Otsu's global cut,
    # and than the paper by more than its noise (on an empty page of heavy noise, Otsu's cut splits the noise itself)
    ink = local & (page < imaging.threshold_otsu(page))
    if noise_sigmas is None:
        return ink
    return ink & (page < float(np.median(page[::2, ::2])) - noise_sigmas * pixel_noise(page))


def pixel_noise(page: np.ndarray) -> float:
    """The standard deviation of a page's noise from pixel to pixel: the median absolute deviation of the
    differences between horizontal neighbours (every other pixel) × 1.4826 / √2. Ink's edges are too few to move it."""
    step = np.diff(page[::2, ::2], axis=1)
    if not step.size:  # a page under three pixels wide
        return 0.0
    return 1.4826 * float(np.median(np.abs(step - np.median(step)))) / np.sqrt(2)


def remove_specks(mask: np.ndarray, *, max_size: int | None = None) -> np.ndarray:
    """Remove connected ink components of at most ``max_size`` pixels (default: 0.01% of the page, at least 8)."""

    if max_size is None:
        max_size = max(8, int(mask.size * 1e-4))
    # skimage.morphology.remove_small_objects(mask, max_size=..., connectivity=2) (a test holds them equal) without
    # importing skimage.morphology (scipy.spatial: 0.15 s of every cold start)
    labels, _ = imaging.label(mask, structure=np.ones((3, 3), dtype=bool))
    small = np.bincount(labels.ravel()) <= max_size
    small[0] = False
    out = mask.copy()
    out[small[labels]] = 0
    return out


def lighter_ink(flat: np.ndarray, mask: np.ndarray, *, share: float = 0.5) -> np.ndarray:
    """``mask`` grown into the lighter ink connected to it: pixels darker than Otsu's cut moved ``share`` of the way
    towards the paper's level (the page's median) that touch the mask (hysteresis thresholding). A faint pencil's
    light strokes, or MNIST's grey parts under twice a pen's noise, fall under the binarization's cut and leave a
    digit with a gap; grown everywhere, the same ink bridges touching digits and a grid's lines, so the reader looks
    at it only for the digits it is unsure of (``segmentation.recognize_page``)."""

    paper, cut = float(np.median(flat)), float(imaging.threshold_otsu(flat))
    return mask | imaging.apply_hysteresis_threshold(1.0 - flat, 1.0 - (cut + share * (paper - cut)), 1.0 - cut)
