"""Pages as phones and scanners deliver them: uneven light, hard shadows, coloured ink, ruled and squared paper.

Stages run before the paper's binarization (``segmentation.binarize``), each a plain function:

    ink_contrast          an RGB page -> the grey image in which the ink stands out most from the paper (luminance,
                          one colour channel, or the colour distance from the paper), chosen by Otsu separability
    flatten_illumination  divide out the page's background, estimated at a scale larger than a stroke (a grey
                          closing of a downscaled page, then a median filter): gradients, vignetting and the
                          edge of a hard shadow vanish
    remove_rules          drop long thin horizontal and vertical lines (ruled and squared paper) from an ink mask,
                          keeping the pixels where a stroke crosses a line

``segmentation.recognize_page(..., method="photo")`` runs them; ``method="paper"`` (the study's page evaluation,
so that the paper's claim stays measured on the paper's method) does not.
"""

from __future__ import annotations

import numpy as np


def _separability(grey: np.ndarray) -> float:
    """Otsu's criterion: between-class variance / total variance of a grey image (1 = two clean levels)."""
    from skimage.filters import threshold_otsu

    values = grey[:: max(1, grey.size // 200_000)].ravel() if grey.ndim == 1 else grey.ravel()
    total = values.var()
    if total <= 1e-12:
        return 0.0
    cut = threshold_otsu(values)
    low, high = values[values <= cut], values[values > cut]
    if not len(low) or not len(high):
        return 0.0
    w = len(low) / len(values)
    return float(w * (1 - w) * (low.mean() - high.mean()) ** 2 / total)


def ink_contrast(rgb: np.ndarray) -> np.ndarray:
    """The grey image (dark ink on light paper, in [0, 1]) that separates ink from paper best, from an RGB page in
    [0, 1]: luminance, the red, green or blue channel (blue ink vanishes in the blue channel and is darkest in the
    red one), or one minus the colour distance from the paper's colour (the page's median)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim == 2:
        return rgb
    rgb = rgb[..., :3]
    paper = np.median(rgb.reshape(-1, 3), axis=0)
    distance = np.linalg.norm(rgb - paper, axis=-1)
    candidates = [rgb @ np.array([0.299, 0.587, 0.114]), rgb[..., 0], rgb[..., 1], rgb[..., 2],
                  1.0 - distance / max(float(distance.max()), 1e-6)]
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    scores = [_separability(c[::step, ::step]) for c in candidates]
    return np.clip(candidates[int(np.argmax(scores))], 0.0, 1.0)


def ink_is_dark_locally(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the paper, judged against the local background (a median filter) rather than
    the page's global levels, which a hard shadow over half the page confuses: dark ink leaves a residual whose
    strongest values are negative."""
    from scipy import ndimage

    grey = np.asarray(grey, dtype=np.float64)
    factor = max(1, round(min(grey.shape) / 100))  # about 100 pixels on the shorter side: fast, strokes still seen
    small = grey[::factor, ::factor]
    residual = small - ndimage.median_filter(small, size=max(5, min(small.shape) // 10))
    low, high = np.percentile(residual, [0.5, 99.5])
    return -low >= high


def flatten_illumination(grey: np.ndarray, *, scale: int | None = None) -> np.ndarray:
    """The page divided by its background, so that the paper is ~1 everywhere whatever the light was.

    The background is the page with the ink closed away: a grey closing (dark ink) of the page downscaled to about
    100 pixels on its shorter side, with a
    square of ``scale`` pixels (default: 1/25 of the page's shorter side, at least 15 — wider than a stroke, narrower
    than a shadow), then a median filter of the same size, upscaled. Light ink on a dark page is handled by the
    polarity check of ``ink_is_dark_locally`` (the page is inverted first when its ink is light, and back after).
    """
    from scipy import ndimage
    from skimage.transform import resize

    grey = np.asarray(grey, dtype=np.float64)
    inverted = not ink_is_dark_locally(grey)
    page = 1.0 - grey if inverted else grey
    factor = max(1, round(min(page.shape) / 100))
    small = page[::factor, ::factor]
    size = max(5, (scale or max(15, min(page.shape) // 25)) // factor)
    background = ndimage.median_filter(ndimage.grey_closing(small, size=(size, size)), size=size)
    background = resize(background, page.shape, order=1, mode="edge", anti_aliasing=False)
    flat = np.clip(page / np.maximum(background, 1e-3), 0.0, 1.0)
    return 1.0 - flat if inverted else flat


def remove_rules(mask: np.ndarray, *, min_length: int | None = None, max_thickness: int = 5) -> np.ndarray:
    """An ink mask without its ruling: horizontal and vertical runs of ink longer than ``min_length`` (default: a
    quarter of the page's shorter side) and at most ``max_thickness`` pixels thick are removed, except where ink
    continues on both sides of the line (a stroke crossing it: the "1" written on a line keeps its pixels)."""
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool)
    length = min_length or max(25, min(mask.shape) // 4)
    out = mask.copy()
    for axis in (0, 1):  # axis 0: horizontal lines (long along x), then vertical ones on what is left (so that
        # a stroke that merely touches a horizontal line is not lengthened into a vertical "line")
        mask = out.copy()
        footprint = np.ones((1, length) if axis == 0 else (length, 1), dtype=bool)
        lines = ndimage.binary_opening(mask, structure=footprint)
        # only thin lines: a run across the line no thicker than max_thickness
        thick = ndimage.binary_opening(lines, structure=np.ones((max_thickness + 1, 1) if axis == 0
                                                                else (1, max_thickness + 1), dtype=bool))
        lines &= ~thick
        if not lines.any():
            continue
        # keep line pixels where a stroke crosses: ink just beyond the line on both sides
        reach = max_thickness + 1
        shift = (lambda a, d: np.roll(a, d, axis=0)) if axis == 0 else (lambda a, d: np.roll(a, d, axis=1))
        off_line = mask & ~lines
        before = np.zeros_like(mask)
        after = np.zeros_like(mask)
        for d in range(1, reach + 1):
            before |= shift(off_line, d)
            after |= shift(off_line, -d)
        out &= ~(lines & ~(before & after))
    return out
