"""Stage 2 of the photo method, light and paper: the sheet found on a desk, the channel the ink stands out in, and
the light flattened so that the paper is about 1 everywhere."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging

NOT_PAPER_BELOW = 0.3  # paper_region: a background darker than this share of the lit paper's is not the sheet


NOT_PAPER_CHROMA = 0.06  # ... nor one whose chromaticity is this far from the paper's (a shadow keeps the colour)
PAPER_NEUTRAL = 10  # the paper's colour: its lit region's most neutral tenth (percent; a lit desk may be in it)


DESK_GRAIN = 0.022  # ... nor a dim region grained like a desk (``_grained``: desks 3.3-4.9%, shadowed paper 0.9-1.6%)
GRAIN_OVER_PAPER = 1.5  # ... and this many times the lit paper's (a noisy photo's paper is grained too),
SHEET_INSIDE = 0.05  # looked for when the lit paper touches under this share of the photo's edge (a sheet inside it)
LIGHT_DESK_EDGE = 0.5  # a light desk: a grained frame over this share of the photo's edge, around a smooth sheet
INK_INSIDE = 0.45  # that holds this share of the dark pixels (under ``DARK`` × the background): the writing's sheet
DARK = 0.75  # (the closing's background is the paper's light: ink is far under it, a grain's dips are not)
RIM = 2  # paper_and_rim: the band inside the painted sheet's outline where its edge may be left (background windows)


NOISE_FLOOR = 0.02  # ink_contrast: the noise every channel has at least (a phone's sensor, JPEG), so that of channels
#                     as clean as each other the one with the stronger ink wins


CLOSED_AWAY = 0.1  # _sheet: the paper's colour is not taken where the closing changed a colour by more (× the lit)
DIM = 0.6  # _contrast: light under this share of the lit paper's, over squares of twice the window, is dim (a shadow)


WIDE_STROKES = (0.4, 0.005)  # flatten_illumination: ink this much darker than a window's background over this share
# of the page, found only by a window twice as wide, is strokes wider than it (a marker's on a close-up photo): doubled


FAINT_INK = 0.2  # flattened pages whose darkest ink is at least this far below the paper get their contrast stretched
FAINTEST_INK = 0.08  # ... and, read again when nothing was found at FAINT_INK, from this far (``ink_depth``)


def _closing_scale(shape: tuple[int, ...]) -> int:
    """The background estimate's window: 1/25 of the shorter side, at least 15 px (wider than a stroke)."""
    return max(15, min(shape[:2]) // 25)


def background_of(page: np.ndarray, *, doublings: int = 3) -> np.ndarray:
    """The paper's light under dark ink: ``page``'s grey closing with ``_closing_scale``'s window, or with a window
    twice as wide (up to ``doublings`` times, within a quarter of the shorter side) while that one still closes away
    ink ``WIDE_STROKES[0]`` darker than this background over ``WIDE_STROKES[1]`` of the page. A closing cannot close
    a stroke wider than its window: a marker's strokes on a close-up photo became background, divided out to their
    outlines (docs/experiments.md, "A marker's strokes on a close-up photo")."""
    size = _closing_scale(page.shape)
    background = imaging.grey_closing(page, size=(size, size))
    for _ in range(doublings):
        if 2 * size > min(page.shape[:2]) // 4:
            break
        wider = imaging.grey_closing(page, size=(2 * size, 2 * size))
        depth, share = WIDE_STROKES
        if np.mean(wider - background > depth * wider) <= share:
            break
        size, background = 2 * size, wider
    return background


def _sheet(image: np.ndarray, *, darker: float, chroma: float, side: int):
    """``paper_region``'s work on every n-th pixel: (the sheet, the background with the ink closed away, n), or None
    when the paper fills the photo."""

    image = np.asarray(image, dtype=np.float64)
    colour = image[..., :3] if image.ndim == 3 else image[..., None]
    factor = max(1, min(image.shape[:2]) // side)
    small = colour[::factor, ::factor]
    size = _window(small.shape)
    background = np.stack([imaging.grey_closing(small[..., c], size=(size, size)) for c in range(small.shape[2])],
                          axis=-1)
    level = background.mean(axis=-1)
    lit = float(np.percentile(level, 95))
    foreign = level < darker * lit
    bright = level > 0.7 * lit
    if background.shape[2] == 3:
        shares = background / np.maximum(background.sum(axis=-1, keepdims=True), 1e-6)
        # the paper's colour where the closing left the colour as it was: ink lighter than the paper in some channel
        # (blue ink on a yellow note, in the blue channel) is spread by it, not closed away, into a greyish blend
        kept = np.abs(background - small).max(axis=-1) <= CLOSED_AWAY * lit
        neutral = np.linalg.norm(shares - 1 / 3, axis=-1)  # how far from grey: paper is whiter than a wooden desk
        judged = bright & kept if (bright & kept).any() else bright
        paper_colour = np.median(shares[judged & (neutral <= np.percentile(neutral[judged], PAPER_NEUTRAL))], axis=0)
        foreign |= np.linalg.norm(shares - paper_colour, axis=-1) > chroma
    sheet = _largest(~foreign)
    edge = imaging.edge_values
    # a grey desk: the sheet reaches the photo's edge though its lit paper lies inside the photo
    grey_desk = sheet is not None and edge(sheet).any() and edge(bright).mean() < SHEET_INSIDE
    if grey_desk:  # dim paper is paper in shadow unless it is grained like a desk
        sheet = _largest(~foreign & (bright | ~_grained(small, level, size, bright)))
    if sheet is not None and not grey_desk and edge(sheet).mean() > LIGHT_DESK_EDGE:  # a desk as light as paper?
        light_desk = _inside_light_desk(small, level, size, sheet)
        sheet = sheet if light_desk is None else light_desk
    if sheet is None or sheet.mean() > 0.98:
        return None
    shrink = max(1, size // 3) + (size if grey_desk else 0)  # the blurred edge; and the grain's, measured over windows
    return imaging.binary_erosion(sheet, iterations=shrink, border_value=1), background, factor


def _window(shape: tuple[int, ...]) -> int:
    """The background's window on the photo at ``_sheet``'s reduced size: 1/25 of its shorter side, at least 3."""
    return max(3, min(shape[:2]) // 25)


def _largest(mask: np.ndarray) -> np.ndarray | None:
    """The largest connected region of ``mask``, holes filled; None when it is empty."""
    labels, count = imaging.label(mask)
    if not count:
        return None
    return imaging.binary_fill_holes(labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:])))


def _detail(small: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Each of a photo's every n-th pixel's (``small``) difference from the median of its 5 × 5 neighbours, as a share
    of the background ``level``: a desk's grain."""
    grey = small.mean(axis=-1)
    return np.abs(grey - imaging.median_filter(grey, size=5)) / np.maximum(level, 1e-3)


def _grained(small: np.ndarray, level: np.ndarray, size: int, paper: np.ndarray) -> np.ndarray:
    """Where a photo's every n-th pixel (``small``) is grained like a desk: its ``_detail`` has a median over two
    windows above ``DESK_GRAIN`` and above ``GRAIN_OVER_PAPER`` times its median on the lit ``paper``."""
    detail = _detail(small, level)
    floor = max(DESK_GRAIN, GRAIN_OVER_PAPER * float(np.median(detail[paper])))
    return imaging.median_filter(detail, size=2 * size) > floor


def _inside_light_desk(small: np.ndarray, level: np.ndarray, size: int, sheet: np.ndarray) -> np.ndarray | None:
    """The sheet on a desk as light as paper, or None: the largest smooth part of ``sheet`` (a ``_detail`` over two
    windows under ``DESK_GRAIN`` and ``GRAIN_OVER_PAPER`` times its smoothest tenth's, 10-90% of the photo), when the
    grained rest covers ``LIGHT_DESK_EDGE`` of the photo's edge and the smooth part holds the writing (``INK_INSIDE``:
    in a small field, or behind a halftone screen's dots, the writing or the dots are what is grained)."""
    window = imaging.median_filter(_detail(small, level), size=2 * size)
    grained = window > max(DESK_GRAIN, GRAIN_OVER_PAPER * float(np.percentile(window[sheet], 10)))
    inside = _largest(sheet & ~grained)
    if inside is None or not 0.1 < inside.mean() < 0.9:
        return None
    dark = small.mean(axis=-1) < DARK * level
    framed = imaging.edge_values(grained).mean() > LIGHT_DESK_EDGE
    return inside if framed and dark[inside].sum() >= INK_INSIDE * max(int(dark.sum()), 1) else None


def _full_size(small: np.ndarray, factor: int, shape: tuple[int, ...]) -> np.ndarray:
    """An image of every ``factor``-th pixel brought back to ``shape`` (each value repeated over its block)."""
    rows = np.minimum(np.arange(shape[0]) // factor, small.shape[0] - 1)
    cols = np.minimum(np.arange(shape[1]) // factor, small.shape[1] - 1)
    return small[np.ix_(rows, cols)]


def paper_region(image: np.ndarray, *, darker: float = NOT_PAPER_BELOW, chroma: float = NOT_PAPER_CHROMA,
                 side: int = 150) -> np.ndarray | None:
    """The sheet of paper in a photo of it on a desk (grey or RGB in [0, 1], dark ink): a boolean mask, or None
    when the paper fills the photo (less than 2% of it outside the sheet).

    The background (the photo at about ``side`` px on its shorter side, ink closed away per channel) is not the sheet
    where it is darker than ``darker`` × the lit paper's (its 95th percentile: a dark desk) or where its chromaticity is
    more than ``chroma`` from the paper's (a wooden or coloured desk; the paper's colour is the most neutral tenth of
    the lit region's where the closing left its colour, ``CLOSED_AWAY``: a light wooden desk in full light is lighter
    than a sheet in shadow, and blue ink is spread in a yellow note's blue channel). A shadow darkens the paper
    but keeps its colour, so it stays paper. The sheet is the largest connected rest, holes filled, shrunk by a third of
    the window (its blurred edge). Where that reaches the photo's edge though the lit paper lies inside it (a grey desk
    is as dark as paper in shadow), a dim region grained like a desk (``_grained``) is not the sheet either, and the
    sheet is shrunk by a window more (the grain's edge is blurred by its windows; docs/experiments.md, "A grey desk").
    Where the sheet so found reaches half the photo's edge, a desk as light as the paper is looked for the same way: a
    grained frame around a smooth sheet that holds the writing (``_inside_light_desk``; "A light desk").
    """
    found = _sheet(image, darker=darker, chroma=chroma, side=side)
    return None if found is None else _full_size(found[0], found[2], np.shape(image))


def only_paper(image: np.ndarray, *, dark_ink: bool | None = None) -> np.ndarray:
    """``image`` (grey or RGB in [0, 1]) with everything outside the sheet (``paper_region``) painted the light of
    the nearest paper, so that a shadow across the sheet's edge runs on past it (one colour left a wedge that read as a
    1); the image itself when the paper fills it or its ink is light on dark (a blackboard). ``dark_ink``: the page's
    ``ink_is_dark_locally``, when the caller knows it.
    """
    return paper_and_rim(image, dark_ink=dark_ink)[0]


def paper_and_rim(image: np.ndarray, *, dark_ink: bool | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``only_paper``'s image, and where its ink cannot be the writing on the sheet, as a map of the image's size
    (None where nothing was painted): 2 outside the painted sheet, 1 in the band ``RIM`` background windows wide inside
    its outline, 0 within. The outline is found on windows, so the sheet's own edge can lie inside it and be left as a
    thin line of ink, and a shadow's edge across the painted desk as a stroke (``prepare_page`` drops such ink;
    docs/experiments.md, "The sheet's rim"). The photo's edge is not the outline: a sheet it cuts has no rim there.
    """
    image = np.asarray(image, dtype=np.float64)
    if dark_ink is None:
        dark_ink = ink_is_dark_locally(image[..., :3] @ np.array([0.299, 0.587, 0.114]) if image.ndim == 3 else image)
    if not dark_ink:
        return image, None
    found = _sheet(image, darker=NOT_PAPER_BELOW, chroma=NOT_PAPER_CHROMA, side=150)
    if found is None:
        return image, None
    sheet, background, factor = found
    nearest = imaging.nearest_indices(~sheet)
    light = background[nearest[0], nearest[1]]
    if image.ndim == 2:
        light = light[..., 0]
    ys, xs = np.nonzero(~_full_size(sheet, factor, image.shape))  # outside the sheet, at full size
    out = np.array(image, dtype=np.float64)
    colour = out if out.ndim == 2 else out[..., :3]  # a view: an alpha channel is left as it is
    # each pixel takes its block's light, as _full_size would give it, without the full-size image of light
    colour[ys, xs] = light[np.minimum(ys // factor, light.shape[0] - 1), np.minimum(xs // factor, light.shape[1] - 1)]
    inner = imaging.binary_erosion(sheet, iterations=RIM * _window(sheet.shape), border_value=1)
    return out, _full_size(2 - sheet.astype(np.uint8) - inner, factor, image.shape)


def _contrast(grey: np.ndarray) -> float:
    """How well a grey page's ink stands out once its light is flattened: Fisher's criterion (the squared gap
    between the means of the two sides of Otsu's cut over the sum of their variances and ``NOISE_FLOOR`` squared —
    a channel whose ink is faint binarizes badly however clean it is: blue ink in the blue channel).
    Otsu's separability of the page as it is, used before, judged the light instead of the ink: with a hard shadow
    across a photo it chose the channel in which the shadow is deepest, the blue one, where blue ink vanishes."""

    size = _closing_scale(grey.shape)
    background = imaging.grey_closing(grey, size=(size, size))
    dim = background < DIM * float(np.percentile(background[::4, ::4], 95))
    if imaging.binary_erosion(dim, np.ones((3, 3), dtype=np.uint8), size).any():  # a shadow, a dark desk
        # a closing takes each window's brightest pixels, so noise raised it, most where the light is dim: the closing
        # of the 3 × 3 median instead (docs/experiments.md, "Noise in a shadow")
        background = imaging.grey_closing(imaging.median_filter(grey, size=3), size=(size, size))
    flat = np.clip(grey / np.maximum(background, 1e-3), 0.0, 1.0)
    if flat.max() - flat.min() < 1e-6:
        return 0.0
    cut = imaging.threshold_otsu(flat)
    low, high = flat[flat <= cut], flat[flat > cut]
    if not len(low) or not len(high):
        return 0.0
    return float((high.mean() - low.mean()) ** 2 / (high.var() + low.var() + NOISE_FLOOR ** 2))


def _ink_candidate(rgb: np.ndarray, which: int, paper: np.ndarray) -> np.ndarray:
    """One of ``ink_contrast``'s grey images of an RGB page: 0 luminance, 1-3 the red, green, blue channel, 4 one minus
    the colour distance from ``paper`` over the farthest pixel's or black's distance, whichever is larger (over the
    farthest alone, an empty page lit from one side had its dim paper made black ink: 2-19 digits)."""
    if which == 0:
        return rgb @ np.array([0.299, 0.587, 0.114])
    if which < 4:
        return rgb[..., which - 1]
    distance = np.linalg.norm(rgb - paper, axis=-1)
    return 1.0 - distance / max(float(distance.max()), float(np.linalg.norm(paper)), 1e-6)


def ink_contrast(rgb: np.ndarray, *, dark_ink: bool = True) -> np.ndarray:
    """The grey image (dark ink on light paper, in [0, 1]) that separates ink from paper best, from an RGB page in
    [0, 1]: luminance, the red, green or blue channel (blue ink vanishes in the blue channel and is darkest in the
    red one), or one minus the colour distance from the lit paper's colour (the median of the lightest tenth of the
    page; from the page's median, a hard shadow over most of a photo made the lit paper read as ink), whichever has the
    largest ``_contrast`` on every n-th pixel (at most 250,000 of them). Light ink (``dark_ink`` False: chalk on a
    blackboard) is judged on the negative and given back light: its lightest tenth is the chalk, and the distance
    from it made each grainy stroke a ring (docs/experiments.md, "Chalk on a blackboard")."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim == 2:
        return rgb
    rgb = rgb[..., :3]
    if not dark_ink:
        return 1.0 - ink_contrast(1.0 - rgb)
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000))))
    small = rgb[::step, ::step]
    luminance = _ink_candidate(small, 0, None)
    paper = np.median(small[luminance >= np.percentile(luminance, 90)], axis=0)  # the lit paper's colour
    best = int(np.argmax([_contrast(_ink_candidate(small, which, paper)) for which in range(5)]))
    return np.clip(_ink_candidate(rgb, best, paper), 0.0, 1.0)


def _about_100_across(grey: np.ndarray) -> np.ndarray:
    """Every n-th pixel of ``grey`` (float), about 100 on the shorter side: fast, and strokes are still seen."""
    grey = np.asarray(grey, dtype=np.float64)
    factor = max(1, round(min(grey.shape) / 100))
    return grey[::factor, ::factor]


LIGHT_INK_MARGIN = 1.25  # the light residuals must be this many times the dark ones to call the ink light,
LIGHT_INK_CONTRAST = 0.2  # and at least this share of the photo's range of greys (0.5th to 99.5th percentile)


def ink_is_dark_locally(grey: np.ndarray) -> bool:
    """Whether the ink is darker than the paper, judged against the local background (a median filter) rather than
    the page's global levels, which a hard shadow over half the page confuses: dark ink leaves a residual whose
    strongest values are negative. Dark ink is the common case: the ink is light only when the light residuals are
    ``LIGHT_INK_MARGIN`` times the dark ones (a tie, as on a page without ink or behind a cheque's printed pattern,
    made pages read inverted: a margin as a 1, a pattern as 888888), and ``LIGHT_INK_CONTRAST`` of the photo's
    range (an empty sheet's lit corners on a dark desk are no chalk: 0.07-0.1 of it; chalk, 0.37 or more)."""

    small = _about_100_across(grey)
    residual = small - imaging.median_filter(small, size=max(5, min(small.shape) // 10))
    low, high = np.percentile(residual, [0.5, 99.5])
    darkest, lightest = np.percentile(small, [0.5, 99.5])
    return -low * LIGHT_INK_MARGIN >= high or high < LIGHT_INK_CONTRAST * (lightest - darkest)


FRAMED = (0.35, 0.3)  # a photo's middle darker than this and its border lighter by this: a dark board in a light
# frame (``framed_middle``)


def framed_middle(grey: np.ndarray, *, dark: float = FRAMED[0], gap: float = FRAMED[1]) -> tuple[slice, slice] | None:
    """The middle half (each side) of a photo whose middle is a dark surface in a light frame, or None: the median of
    the middle below ``dark`` and that of the border (a twentieth of the shorter side) above it by ``gap``. A
    blackboard photographed with the wall around it: the board's edge against the wall outweighs the chalk in
    ``ink_is_dark_locally``'s residuals, so the ink is judged in the middle alone. A light sheet on a dark desk is
    the other way round, and paper in a shadow keeps its dark ink there."""
    height, width = np.shape(grey)
    small = _about_100_across(grey)
    rows, columns = small.shape
    border = max(2, round(0.05 * min(rows, columns)))
    frame = np.concatenate([small[:border].ravel(), small[-border:].ravel(), small[:, :border].ravel(),
                            small[:, -border:].ravel()])
    middle = float(np.median(small[rows // 4:3 * rows // 4, columns // 4:3 * columns // 4]))
    if middle < dark and float(np.median(frame)) > middle + gap:
        return slice(height // 4, 3 * height // 4), slice(width // 4, 3 * width // 4)
    return None


def flatten_illumination(grey: np.ndarray, *, scale: int | None = None, dark_ink: bool | None = None,
                         stretch_from: float | None = FAINT_INK) -> np.ndarray:
    """The page divided by its background, so that the paper is ~1 everywhere whatever the light was.

    The background is the page with the ink closed away: a grey closing (dark ink) with a square of ``scale`` pixels
    (default: ``background_of``'s, 1/25 of the shorter side, wider for a marker's strokes). A closing keeps the edges
    of anything larger than its square exactly where they are, so a hard shadow's edge divides out instead of leaving
    a ridge (a smoothed background, as a median of a downscaled page gave, left a dashed line along it that read as
    digits). Light ink on a dark page is handled by the polarity check of ``ink_is_dark_locally`` (the page is
    inverted first when its ink is light, and back after; ``dark_ink`` gives the answer when the caller knows it).
    Ink whose darkest is at least ``stretch_from`` below the paper is stretched to a pen's contrast (faint pencil;
    None: never, as a smoothed screen's faint ripple). Below ``FAINT_INK`` a blank page's shading can be that deep,
    so a page is stretched from ``FAINTEST_INK`` only when nothing was read otherwise (``pipeline.read_boxes``).
    """

    grey = np.asarray(grey, dtype=np.float64)
    inverted = not (ink_is_dark_locally(grey) if dark_ink is None else dark_ink)
    page = 1.0 - grey if inverted else grey
    background = imaging.grey_closing(page, size=(scale, scale)) if scale else background_of(page)
    flat = np.clip(page / np.maximum(background, 1e-3), 0.0, 1.0)
    darkest = 1.0 - ink_depth(flat)
    if stretch_from is not None and 1.0 - darkest > stretch_from:  # faint ink (pencil) to a pen's contrast
        flat = np.clip((flat - darkest) / (1.0 - darkest), 0.0, 1.0)
    return 1.0 - flat if inverted else flat


def ink_depth(flat: np.ndarray) -> float:
    """How far the darkest ink of a flattened page (dark ink, paper about 1) lies below the paper: one minus its
    0.5th percentile (1 once ``flatten_illumination`` has stretched it)."""
    return 1.0 - float(np.percentile(flat, 0.5))
