"""Pages as phones and scanners deliver them: uneven light, hard shadows, coloured ink, ruled and squared paper.

Stages run before the paper's binarization (``segmentation.binarize``), each a plain function:

    paper_region,         the sheet of paper in a photo of it lying on a desk: the largest region whose background
    only_paper            (ink closed away) is as light as the paper and of its colour (a shadow keeps the colour, a
                          desk does not); outside it the photo is painted the light of the nearest paper, so that
                          a dark or grained desk does not binarize into specks and the sheet's edge into a frame
    ink_contrast          an RGB page -> the grey image in which the ink stands out most from the paper (luminance,
                          one colour channel, or the colour distance from the paper), the one whose flattened ink
                          stands out most from the flattened paper (Fisher's criterion)
    flatten_illumination  divide out the page's background, estimated at a scale larger than a stroke (a grey
                          closing of a downscaled page, then a median filter): gradients, vignetting and the
                          edge of a hard shadow vanish
    remove_rules          drop thin horizontal and vertical lines spanning the page (ruled and squared paper)
                          or longer than any stroke, straight or tilted by a few degrees (tables, forms, the margin
                          line of a notebook seen at an angle), keeping the pixels where a stroke crosses one
    remove_frames         (remove_rules' first step) drop the boxes a form draws around its digits (a zip code's
                          boxes, a table's cells): the straight lines of a component whose holes hold digits
    skew_angle, deskew    the rotation that levels the rows (the most peaked row projection); the page levelled
    digit_height,         the median height of the page's ink blobs; the factor that brings digits far from
    working_scale         ``DIGIT_HEIGHT`` (40 px) to it (the flattening's scale and the strokes the classifier
                          sees then match those of an ordinary page, whether the photo has 15 px or 300 px digits)

``segmentation.recognize_page(..., method="photo")`` runs them; ``method="paper"`` (the study's page evaluation,
so that the paper's claim stays measured on the paper's method) does not.
"""

from __future__ import annotations

import numpy as np


DIGIT_HEIGHT = 40  # px: the photo method's working scale, the middle of the synthetic pages' 32-64 px rows
KEEP_SCALE = (0.5, 2.0)  # pages whose digits are within these factors of DIGIT_HEIGHT (20-80 px) are not rescaled
MAX_WORKING_PIXELS = 16_000_000  # a page is never enlarged past this (tiny writing on a 12-megapixel photo)
FAINT_INK = 0.2  # flattened pages whose darkest ink is at least this far below the paper get their contrast stretched
NOT_PAPER_BELOW = 0.3  # paper_region: a background darker than this share of the lit paper's is not the sheet
NOT_PAPER_CHROMA = 0.06  # ... nor one whose chromaticity is this far from the paper's (a shadow keeps the colour)
NOISE_FLOOR = 0.02  # ink_contrast: the noise every channel has at least (a phone's sensor, JPEG), so that of channels
#                     as clean as each other the one with the stronger ink wins
LINE_TILTS = 3.0  # degrees: remove_rules finds long lines tilted by up to this much (a photo seen at an angle)


def _closing_scale(shape: tuple[int, ...]) -> int:
    """The background estimate's window: 1/25 of the shorter side, at least 15 px (wider than a stroke)."""
    return max(15, min(shape[:2]) // 25)


def _sheet(image: np.ndarray, *, darker: float, chroma: float, side: int):
    """``paper_region``'s work on every n-th pixel: (the sheet, the background with the ink closed away, n), or None
    when the paper fills the photo."""
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float64)
    colour = image[..., :3] if image.ndim == 3 else image[..., None]
    factor = max(1, min(image.shape[:2]) // side)
    small = colour[::factor, ::factor]
    size = max(3, min(small.shape[:2]) // 25)
    background = np.stack([ndimage.grey_closing(small[..., c], size=(size, size)) for c in range(small.shape[2])],
                          axis=-1)
    level = background.mean(axis=-1)
    lit = float(np.percentile(level, 95))
    foreign = level < darker * lit
    if background.shape[2] == 3:
        shares = background / np.maximum(background.sum(axis=-1, keepdims=True), 1e-6)
        paper_colour = np.median(shares[level > 0.7 * lit], axis=0)
        foreign |= np.linalg.norm(shares - paper_colour, axis=-1) > chroma
    labels, count = ndimage.label(~foreign)
    if not count:
        return None
    sheet = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:])))
    if sheet.mean() > 0.98:
        return None
    return ndimage.binary_erosion(sheet, iterations=max(1, size // 3), border_value=1), background, factor


def _full_size(small: np.ndarray, factor: int, shape: tuple[int, ...]) -> np.ndarray:
    """An image of every ``factor``-th pixel brought back to ``shape`` (each value repeated over its block)."""
    rows = np.minimum(np.arange(shape[0]) // factor, small.shape[0] - 1)
    cols = np.minimum(np.arange(shape[1]) // factor, small.shape[1] - 1)
    return small[np.ix_(rows, cols)]


def paper_region(image: np.ndarray, *, darker: float = NOT_PAPER_BELOW, chroma: float = NOT_PAPER_CHROMA,
                 side: int = 150) -> np.ndarray | None:
    """The sheet of paper in a photo (grey or RGB in [0, 1], dark ink): a boolean mask, or None when the paper fills
    the photo (everything outside the sheet under 2% of it).

    The background (every n-th pixel of the photo, about ``side`` on its shorter side, the ink closed away per
    channel as ``flatten_illumination`` does) is not the sheet where it is darker than ``darker`` × the lit paper's
    (its 95th percentile: a dark desk, the floor) or where its chromaticity (each channel's share of their sum,
    which a shadow keeps) is more than ``chroma`` from the lit paper's (a wooden or coloured desk). The sheet is the
    largest connected rest with its holes filled (ink, shadows and whatever lies inside it), shrunk by a third of
    the window (the sheet's blurred edge). A hard shadow over the paper stays paper: it darkens it to 0.4-0.55, not
    under 0.3, and keeps its colour. So a grained desk of the paper's own grey is not told from a shadowed sheet
    (83% of the digits of 20 such photos, seeds 7000+, and 2-3 s per page; telling them apart by texture is the
    next step). Without it a photo of a page on a wooden or black desk lost whole pages, the
    desk's grain binarized into specks and the sheet's edge into a frame around every row: the "desk photo"
    family's first 60 tuning pages read 49.4% of their digits without it, 98.1% with it (``only_paper``).
    """
    found = _sheet(image, darker=darker, chroma=chroma, side=side)
    return None if found is None else _full_size(found[0], found[2], np.shape(image))


def only_paper(image: np.ndarray, *, dark_ink: bool | None = None) -> np.ndarray:
    """``image`` (grey or RGB in [0, 1]) with everything outside the sheet (``paper_region``) painted the paper's
    light where the sheet is nearest (its background, ink closed away), so that a shadow across the sheet's edge
    runs on past it; the image itself when the paper fills it, or when its ink is light on dark paper (a
    blackboard: its paper is not the lightest thing in the photo; ``dark_ink``: the page's ``ink_is_dark_locally``,
    when the caller knows it). Painted one colour (the sheet's median), the corner that a shadow's edge makes with
    the sheet's edge was a wedge narrower than the flattening's window, which binarized into a "1" above the first
    row: the "desk photo" family's first 60 tuning pages 97.0% -> 98.1% of the digits."""
    from scipy import ndimage

    image = np.asarray(image, dtype=np.float64)
    if dark_ink is None:
        dark_ink = ink_is_dark_locally(image[..., :3] @ np.array([0.299, 0.587, 0.114]) if image.ndim == 3 else image)
    if not dark_ink:
        return image
    found = _sheet(image, darker=NOT_PAPER_BELOW, chroma=NOT_PAPER_CHROMA, side=150)
    if found is None:
        return image
    sheet, background, factor = found
    nearest = ndimage.distance_transform_edt(~sheet, return_distances=False, return_indices=True)
    light = background[nearest[0], nearest[1]]
    if image.ndim == 2:
        light = light[..., 0]
    outside = ~_full_size(sheet, factor, image.shape)
    out = np.array(image, dtype=np.float64)
    colour = out if out.ndim == 2 else out[..., :3]  # a view: an alpha channel is left as it is
    colour[outside] = _full_size(light, factor, image.shape)[outside]
    return out


def _contrast(grey: np.ndarray) -> float:
    """How well a grey page's ink stands out once its light is flattened: Fisher's criterion (the squared gap
    between the means of the two sides of Otsu's cut over the sum of their variances and ``NOISE_FLOOR`` squared —
    a channel whose ink is faint binarizes badly however clean it is: blue ink in the blue channel).
    Otsu's separability of the page as it is, used before, judged the light instead of the ink: with a hard shadow
    across a photo it chose the channel in which the shadow is deepest, the blue one, where blue ink vanishes."""
    from scipy import ndimage
    from skimage.filters import threshold_otsu

    size = _closing_scale(grey.shape)
    flat = np.clip(grey / np.maximum(ndimage.grey_closing(grey, size=(size, size)), 1e-3), 0.0, 1.0)
    if flat.max() - flat.min() < 1e-6:
        return 0.0
    cut = threshold_otsu(flat)
    low, high = flat[flat <= cut], flat[flat > cut]
    if not len(low) or not len(high):
        return 0.0
    return float((high.mean() - low.mean()) ** 2 / (high.var() + low.var() + NOISE_FLOOR ** 2))


def _ink_candidate(rgb: np.ndarray, which: int, paper: np.ndarray) -> np.ndarray:
    """One of ``ink_contrast``'s grey images of an RGB page: 0 luminance, 1-3 the red, green, blue channel, 4 one minus
    the colour distance from ``paper``."""
    if which == 0:
        return rgb @ np.array([0.299, 0.587, 0.114])
    if which < 4:
        return rgb[..., which - 1]
    distance = np.linalg.norm(rgb - paper, axis=-1)
    return 1.0 - distance / max(float(distance.max()), 1e-6)


def ink_contrast(rgb: np.ndarray) -> np.ndarray:
    """The grey image (dark ink on light paper, in [0, 1]) that separates ink from paper best, from an RGB page in
    [0, 1]: luminance, the red, green or blue channel (blue ink vanishes in the blue channel and is darkest in the
    red one), or one minus the colour distance from the lit paper's colour (the median of the lightest tenth of the
    page; from the page's median, a hard shadow over most of a photo made the lit paper read as ink), whichever has the
    largest ``_contrast`` on every n-th pixel (at most 250,000 of them)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    if rgb.ndim == 2:
        return rgb
    rgb = rgb[..., :3]
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000))))
    small = rgb[::step, ::step]
    luminance = _ink_candidate(small, 0, None)
    paper = np.median(small[luminance >= np.percentile(luminance, 90)], axis=0)  # the lit paper's colour
    best = int(np.argmax([_contrast(_ink_candidate(small, which, paper)) for which in range(5)]))
    return np.clip(_ink_candidate(rgb, best, paper), 0.0, 1.0)


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


def flatten_illumination(grey: np.ndarray, *, scale: int | None = None, dark_ink: bool | None = None) -> np.ndarray:
    """The page divided by its background, so that the paper is ~1 everywhere whatever the light was.

    The background is the page with the ink closed away: a grey closing (dark ink) with a square of ``scale`` pixels
    (default: 1/25 of the page's shorter side, at least 15 — wider than a stroke). A closing keeps the edges of
    anything larger than its square exactly where they are, so a hard shadow's edge divides out instead of leaving a
    ridge (a smoothed background, as a median of a downscaled page gave, left a dashed line along it that read as
    digits). Light ink on a dark page is handled by the polarity check of ``ink_is_dark_locally`` (the page is
    inverted first when its ink is light, and back after; ``dark_ink`` gives the answer when the caller knows it).
    """
    from scipy import ndimage

    grey = np.asarray(grey, dtype=np.float64)
    inverted = not (ink_is_dark_locally(grey) if dark_ink is None else dark_ink)
    page = 1.0 - grey if inverted else grey
    size = scale or _closing_scale(page.shape)
    background = ndimage.grey_closing(page, size=(size, size))
    flat = np.clip(page / np.maximum(background, 1e-3), 0.0, 1.0)
    darkest = float(np.percentile(flat, 0.5))
    if 1.0 - darkest > FAINT_INK:  # faint ink (pencil) is stretched to the contrast of a pen; a blank page is not
        flat = np.clip((flat - darkest) / (1.0 - darkest), 0.0, 1.0)
    return 1.0 - flat if inverted else flat


def _long_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """The pixels of ``mask`` in horizontal runs of at least ``length`` ink pixels (cumulative sums: the time does not
    grow with ``length``; only the pixel rows with that much ink are looked at)."""
    height, width = mask.shape
    if width < length:
        return np.zeros_like(mask, dtype=bool)
    candidates = np.flatnonzero(np.count_nonzero(mask, axis=1) >= length)
    if len(candidates) < height:
        out = np.zeros_like(mask, dtype=bool)
        if len(candidates):
            out[candidates] = _long_runs(mask[candidates], length)
        return out
    counts = np.concatenate([np.zeros((height, 1), np.int64), np.cumsum(mask, axis=1)], axis=1)
    starts = (counts[:, length:] - counts[:, :-length]) == length  # windows [x, x + length) all ink
    spans = np.zeros((height, width + 1), np.int64)
    spans[:, :width - length + 1] += starts
    spans[:, length:] -= starts
    return np.cumsum(spans, axis=1)[:, :width] > 0


def _shift_columns(mask: np.ndarray, shift: np.ndarray, *, back: bool = False) -> np.ndarray:
    """``out[y, x] = mask[y + shift[x], x]`` (False where that falls off the image), or with ``back`` the inverse
    ``out[y + shift[x], x] = mask[y, x]``: a shear done as slice copies over the runs of columns that move alike."""
    height, width = mask.shape
    out = np.zeros_like(mask)
    edges = np.flatnonzero(np.diff(shift)) + 1
    for start, stop in zip(np.concatenate([[0], edges]), np.concatenate([edges, [width]])):
        step = int(shift[start]) * (-1 if back else 1)
        if abs(step) >= height:
            continue
        if step >= 0:
            out[:height - step, start:stop] = mask[step:, start:stop]
        else:
            out[-step:, start:stop] = mask[:height + step, start:stop]
    return out


def _long_lines(mask: np.ndarray, length: int, *, max_degrees: float = LINE_TILTS, gap: int = 3) -> np.ndarray:
    """The pixels of ``mask`` on near-horizontal lines at least ``length`` pixels long, level or tilted by up to
    ``max_degrees`` (either way), with breaks of up to ``gap`` pixels (a line binarizes with gaps where it fades or
    crosses another): ``_long_runs`` of the mask sheared by each tilt (columns moved up or down), in steps that drift
    by at most two pixels along ``length``, of the mask with its breaks closed and each pixel row OR-ed with its
    neighbours above and below (a one-pixel line whose tilt falls between two steps stays one run; both commute with
    moving whole columns, so they are done once); the runs sheared back, on the mask."""
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    found = np.zeros_like(mask)
    if width < length or height < 3:
        return found
    step = np.degrees(np.arctan(2.0 / length))
    tilts = np.arange(step, max_degrees + step / 2, step) if max_degrees else np.array([])
    tolerant = ndimage.binary_closing(mask, structure=np.ones((1, 2 * gap + 1), dtype=bool))
    tolerant[1:] |= tolerant[:-1].copy()
    tolerant[:-1] |= tolerant[1:].copy()
    offsets = np.arange(width) - width / 2
    for degrees in np.concatenate([[0.0], tilts, -tilts]):
        shift = np.rint(offsets * np.tan(np.radians(degrees))).astype(np.int64)
        found |= _shift_columns(_long_runs(_shift_columns(tolerant, shift), length), shift, back=True)
    return found & mask


def remove_rules(mask: np.ndarray, *, min_coverage: float = 0.5, max_thickness: int = 5,
                 min_length: int | None = 4 * DIGIT_HEIGHT) -> np.ndarray:
    """An ink mask without the lines of ruled or squared paper, tables and forms.

    A rule is a band of at most ``max_thickness`` image rows (columns, for vertical rules) in which ink covers more
    than ``min_coverage`` of the page's width (height): handwriting never does. So is an unbroken straight run of
    ink at least ``min_length`` pixels long and at most ``max_thickness`` thick, level or tilted by up to
    ``LINE_TILTS`` degrees (a table's frame and row lines, a line of a form, an underline, the margin line of a
    notebook photographed at an angle: 160 px, four digits' height at the working scale, longer than any stroke of a
    digit; None leaves them, for a page whose scale is not known yet). Their pixels are removed, except where ink
    touches the line on both sides, which is a stroke crossing it (the "1" written on a line keeps its pixels), and so
    are the pieces left beside a removed line no thicker than one (``_drop_line_ends``). Lines must be within
    ``LINE_TILTS`` of the axes (a page rotated by more is deskewed first).
    """
    out = remove_frames(mask, max_thickness=max_thickness)
    for view in (out, out.T):  # horizontal rules, then vertical ones (a view: edits reach ``out``)
        before = view.copy()
        coverage = view.mean(axis=1)
        rows = np.flatnonzero(coverage > min_coverage)
        bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if len(rows) else []
        for band in bands:
            top, bottom = int(band[0]), int(band[-1]) + 1
            if bottom - top > max_thickness:
                continue  # a thick dark band is not a ruling line (a shadow edge, a table border)
            above = view[top - 1] if top > 0 else np.zeros(view.shape[1], dtype=bool)
            below = view[bottom] if bottom < view.shape[0] else np.zeros(view.shape[1], dtype=bool)
            crossing = above & below
            view[top:bottom] &= crossing[None, :]
        if min_length:
            _remove_lines(view, _long_lines(view, min_length), max_thickness)
        _drop_line_ends(view, before, max_thickness, gap=3)
    return out


def _remove_lines(view: np.ndarray, lines: np.ndarray, max_thickness: int) -> None:
    """Remove, in place, the near-horizontal ``lines`` found in ``view``, except where ink touches a line on both
    sides (a stroke crossing it) and where a "line" is thicker than ``max_thickness`` (a filled shape)."""
    lines = lines & ~_long_runs(lines.T, max_thickness + 1).T
    rest = view & ~lines
    above, below = np.zeros_like(lines), np.zeros_like(lines)  # ink just beyond the line, on either side
    for step in range(1, max_thickness + 2):
        above[step:] |= rest[:-step]
        below[:-step] |= rest[step:]
    view[lines & ~(above & below)] = False


def remove_frames(mask: np.ndarray, *, max_thickness: int = 5, min_span: float = 0.85, min_content: float = 0.3,
                  min_filled: float = 0.5, min_lines: float = 0.6) -> np.ndarray:
    """An ink mask without the boxes that forms draw around the digits written in them (a zip code's boxes, a
    table's cells, a row of boxes drawn as one grid).

    A frame is a component whose holes (at least 16 px and 0.1% of its box: each cell of squared paper's grid,
    most of them empty) hold, at least ``min_filled`` of them, other ink at
    least ``min_content`` as tall as the hole (a digit in its box, not a speck in a 0), and whose straight lines
    (level or tilted by up to ``LINE_TILTS``, at most ``max_thickness`` thick) spanning at least ``min_span`` of its
    width or height hold at least ``min_lines`` of its ink (a 0 or a 6 with a piece of another digit in its loop, taken
    for a frame, lost its straight side: 3 digits more wrong on 60 tuning pages each of clean and squared paper).
    Those lines are removed, except where a stroke crosses one, and so are the corners left. A box's sides are shorter
    than the lines ``remove_rules`` removes and, left on the page, read as 1s beside every digit (a row of boxes of
    MNIST digits: 15% of the digits read). A circle drawn around a number has no straight line and stays as it is;
    the grid of squared paper is no frame (its digits cross its lines, so few of its cells hold one alone): taken
    for one, its broken lines left pieces that joined rows, where ``remove_rules`` removes them."""
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool)
    out = mask.copy()
    eight = np.ones((3, 3), dtype=bool)
    labels, components = ndimage.label(mask, structure=eight)
    regions, _ = ndimage.label(ndimage.binary_fill_holes(mask), structure=eight)
    region_of = np.zeros(components + 1, dtype=np.int64)
    region_of[labels[mask]] = regions[mask]  # each component lies in one filled region
    enclosing = np.flatnonzero(np.bincount(region_of[1:]) >= 2)  # the regions holding more than one component
    boxes = ndimage.find_objects(regions)
    for region in enclosing:
        box = boxes[region - 1]
        inside = regions[box] == region
        frame = labels[box] == labels[box][0][inside[0]][0]  # the region's top row is its outermost component's
        holes, count = ndimage.label(ndimage.binary_fill_holes(frame) & ~frame)
        large = np.bincount(holes.ravel(), minlength=count + 1)[1:] >= max(16, 0.001 * frame.size)
        held = ndimage.find_objects(np.where(mask[box] & ~frame, holes, 0), max_label=count)  # each hole's ink
        filled = [cut is not None and ink is not None and
                  ink[0].stop - ink[0].start >= min_content * (cut[0].stop - cut[0].start)
                  for cut, ink in zip(ndimage.find_objects(holes), held)]
        if not large.any() or np.count_nonzero(np.asarray(filled) & large) < min_filled * np.count_nonzero(large):
            continue
        across = _long_lines(frame, max(2, int(min_span * frame.shape[1])))
        down = _long_lines(frame.T, max(2, int(min_span * frame.shape[0]))).T
        if np.count_nonzero(across | down) < min_lines * np.count_nonzero(frame):
            continue  # a digit with a piece of another in its loop (a 0's straight side is not all of it)
        view = out[box]  # a view: edits reach ``out``
        _remove_lines(view, across, max_thickness)
        _remove_lines(view.T, down.T, max_thickness)
        pieces, _ = ndimage.label(frame & view, structure=eight)  # what is left of the frame: its corners go
        for index, piece in enumerate(ndimage.find_objects(pieces), start=1):
            if max(side.stop - side.start for side in piece) <= max_thickness + 1:
                view[piece][pieces[piece] == index] = False
    return out


def _drop_line_ends(view: np.ndarray, before: np.ndarray, max_thickness: int, *, gap: int) -> None:
    """Drop, in place, the pieces of ``view`` left beside the near-horizontal lines just removed from it (``before``
    is the mask they were removed from): components at most ``max_thickness`` pixels tall within ``gap`` + 1 pixels
    of a removed pixel, such as the end of a notebook's margin line that the sheet's edge cut shorter than a line
    (it reads as a "1" and joins rows). A digit that touches a line is taller than a line is thick, so it stays."""
    from scipy import ndimage

    removed = before & ~view
    if not removed.any():
        return
    labels, _ = ndimage.label(view, structure=np.ones((3, 3)))
    near = ndimage.binary_dilation(removed, structure=np.ones((3, 3), dtype=bool), iterations=gap + 1)
    boxes = ndimage.find_objects(labels)
    for index in np.unique(labels[near & view]):
        box = boxes[index - 1] if index else None
        if box is not None and box[0].stop - box[0].start <= max_thickness:
            view[box][labels[box] == index] = False


def lighter_ink(flat: np.ndarray, mask: np.ndarray, *, share: float = 0.5) -> np.ndarray:
    """``mask`` grown into the lighter ink connected to it: pixels darker than Otsu's cut moved ``share`` of the way
    towards the paper's level (the page's median) that touch the mask (hysteresis thresholding). A faint pencil's
    light strokes, or MNIST's grey parts under twice a pen's noise, fall under the binarization's cut and leave a
    digit with a gap; grown everywhere, the same ink bridges touching digits and a grid's lines, so the reader looks
    at it only for the digits it is unsure of (``segmentation.recognize_page``)."""
    from skimage.filters import apply_hysteresis_threshold, threshold_otsu

    paper, cut = float(np.median(flat)), float(threshold_otsu(flat))
    return mask | apply_hysteresis_threshold(1.0 - flat, 1.0 - (cut + share * (paper - cut)), 1.0 - cut)


def skew_angle(mask: np.ndarray, *, max_degrees: float = 6.0, step: float = 0.25) -> float:
    """The rotation (degrees, counter-clockwise positive as ``skimage.transform.rotate``) that makes the page's rows
    horizontal: the angle whose horizontal projection of the ink is the most peaked (largest sum of squared row
    sums: the ink is the same at every angle, so this rewards concentrating it in few rows), searched from
    -``max_degrees`` to +``max_degrees`` on a downscaled mask. The ink pixels' coordinates are rotated, not the
    image (the same row sums, lightly smoothed, about 200× faster than rotating the mask at every angle; as
    accurate on the rotated page family: 0.4° mean error)."""
    from scipy.ndimage import gaussian_filter1d

    factor = max(1, round(min(mask.shape) / 150))
    small = np.asarray(mask, dtype=bool)[::factor, ::factor]
    ys, xs = np.nonzero(small)
    if not len(ys):
        return 0.0
    y, x = ys - small.shape[0] // 2, xs - small.shape[1] // 2  # whole numbers: level rows stay one row each
    best, best_score = 0.0, -1.0
    for angle in np.arange(-max_degrees, max_degrees + step / 2, step):
        theta = np.deg2rad(angle)  # counter-clockwise on screen: a point right of the centre moves up
        rows = np.floor(y * np.cos(theta) - x * np.sin(theta) + 0.5).astype(np.int64)
        profile = gaussian_filter1d(np.bincount(rows - rows.min()).astype(float), 1.0)  # no aliasing near 0°
        score = float(np.square(profile).sum())
        if score > best_score + 1e-9:
            best, best_score = float(angle), score
    return best


def levelled_to_page(points: np.ndarray, shape: tuple[int, int], angle: float) -> np.ndarray:
    """Points (N, 2) as (x, y) in a page that ``deskew`` turned by ``angle`` degrees back to where they lie on the
    page before (of ``shape`` (rows, columns)): the inverse map of ``skimage.transform.rotate(..., resize=True)``,
    built the way it builds it."""
    from skimage.transform import SimilarityTransform

    points = np.asarray(points, dtype=np.float64)
    if not angle:
        return points
    rows, cols = shape
    center = np.array((cols, rows)) / 2.0 - 0.5
    turn = (SimilarityTransform(translation=-center) + SimilarityTransform(rotation=np.deg2rad(angle))
            + SimilarityTransform(translation=center))
    corners = turn.inverse(np.array([[0, 0], [0, rows - 1], [cols - 1, rows - 1], [cols - 1, 0]]))
    return (SimilarityTransform(translation=corners.min(axis=0)) + turn)(points)


def deskew(grey: np.ndarray, mask: np.ndarray, *, min_degrees: float = 0.5) -> tuple[np.ndarray, float]:
    """``grey`` (dark ink on light paper) rotated so that its rows are horizontal (``skew_angle`` of ``mask``), and
    the angle; pages within ``min_degrees`` of level are returned as they are."""
    from skimage.transform import rotate

    angle = skew_angle(mask)
    if abs(angle) < min_degrees:
        return grey, 0.0
    return rotate(grey, angle, resize=True, order=1, cval=1.0, mode="constant"), angle


def digit_height(mask: np.ndarray) -> float | None:
    """The median height of the ink blobs (8-connected components) of ``mask``, leaving out those under 4 pixels
    and those over half the page in either direction (a shadow's edge, a table's frame); None when fewer than three
    remain. Pass a mask without rules (``remove_rules``): the grid of squared paper joins every digit into one blob."""
    from scipy import ndimage

    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    height, width = mask.shape
    heights = [s[0].stop - s[0].start for s in ndimage.find_objects(labels)
               if 4 <= s[0].stop - s[0].start <= height / 2 and s[1].stop - s[1].start <= width / 2]
    return float(np.median(heights)) if len(heights) >= 3 else None


def working_scale(mask: np.ndarray, *, target: int = DIGIT_HEIGHT, keep: tuple[float, float] = KEEP_SCALE,
                  max_pixels: int = MAX_WORKING_PIXELS) -> float:
    """The factor to rescale a page by so that its digits (``digit_height``) are ``target`` pixels tall, or 1.0 when
    that factor is within ``keep`` (an ordinary page) or the height cannot be told. An enlarged page stays within
    ``max_pixels`` (5 px specks on a 12-megapixel photo would otherwise ask for 770 megapixels); a shrunk one keeps at
    least 80 pixels on its shorter side, as blobs over half the page are not counted. Measured on the page families'
    tuning pages: 15 px digits read 93.5% -> 99.4%, 150 px digits 93.8% -> 97.8% (their strokes are wider than the
    background estimate's window and their light parts break apart at full size), the other families unchanged."""
    height = digit_height(mask)
    if height is None:
        return 1.0
    factor = target / height
    if keep[0] <= factor <= keep[1]:
        return 1.0
    factor = min(factor, float(np.sqrt(max_pixels / mask.size)))
    return 1.0 if keep[0] <= factor <= keep[1] else factor


def rescale(grey: np.ndarray, factor: float) -> np.ndarray:
    """``grey`` (H, W) resized by ``factor`` (bilinear; anti-aliased when shrinking), values kept in [0, 1]."""
    from skimage.transform import rescale as _rescale

    if factor == 1.0:
        return grey
    return np.clip(_rescale(grey, factor, order=1, anti_aliasing=factor < 1, preserve_range=True), 0.0, 1.0)
