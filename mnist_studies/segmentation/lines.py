"""Stage 5 of the photo method, lines: ruled and squared paper's lines, long straight strokes and a form's boxes removed
from the ink mask, keeping the pixels where a digit crosses them; a straight bar at any angle, alone, removed whole."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging, textures
from mnist_studies.segmentation.geometry import DIGIT_HEIGHT

SOLID_LINE = 0.9  # a band of up to half a digit's height, inked across this share of the page in every row, is a
#                  printed bar however thick (handwriting leaves gaps in every row)
LINE_TILTS = 3.0  # degrees: remove_rules finds long lines tilted by up to this much (a photo seen at an angle)
FRAME_TABLE = 2.0  # remove_frames: a frame this many digits' heights tall and wide or more is a table's, whose lines
FRAME_TILTS = 15.0  # are found tilted by up to this much (photographed at an angle, its sides are not parallel) and
FRAME_GAPS = (6, 12)  # broken by up to (0) pixels to tell a frame, (1) to remove its lines (a thin line binarizes in
#                      pieces); a frame of a digit's size keeps LINE_TILTS and 3 px, or an 8's strokes are lines
EMPTY_TABLE = (2, 0.9)  # a table's frame with its cells empty: at least this many cells, and its lines this share
#                         of its ink (its upright lines, left, read as 1s)
FIELD_LINE = (0.85, 1.5)  # in a field narrower than a long line, a level line across this share of its width and at
#                          least this many digits' heights long is a rule too (the printed line under a cheque's amount)
LINE_REMNANT = 2.0  # _drop_line_ends: a piece beside a removed level line, this many times wider than tall, up to
#                     three lines' thickness tall and mostly within its reach, is what its binarization left
BAR_ELONGATION = 12.0  # a blob this elongated (textures.blob_shapes) and at least a long line's length is a bar: a
#                        string of touching digits would need about twelve of them in one piece


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

    mask = np.asarray(mask, dtype=bool)
    height, width = mask.shape
    found = np.zeros_like(mask)
    if width < length or height < 3:
        return found
    step = np.degrees(np.arctan(2.0 / length))
    tilts = np.arange(step, max_degrees + step / 2, step) if max_degrees else np.array([])
    tolerant = imaging.binary_closing(mask, structure=np.ones((1, 2 * gap + 1), dtype=bool))
    tolerant[1:] |= tolerant[:-1].copy()
    tolerant[:-1] |= tolerant[1:].copy()
    offsets = np.arange(width) - width / 2
    for degrees in np.concatenate([[0.0], tilts, -tilts]):
        shift = np.rint(offsets * np.tan(np.radians(degrees))).astype(np.int64)
        found |= _shift_columns(_long_runs(_shift_columns(tolerant, shift), length), shift, back=True)
    return found & mask


def remove_rules(mask: np.ndarray, *, min_coverage: float = 0.5, max_thickness: int = 5,
                 min_length: int | None = 4 * DIGIT_HEIGHT, min_rule: int = 2 * DIGIT_HEIGHT) -> np.ndarray:
    """An ink mask without the lines of ruled or squared paper, tables and forms.

    A rule is a band of at most ``max_thickness`` image rows (columns, for vertical rules) in which ink covers more
    than ``min_coverage`` of the page's width (height), and at least ``min_rule`` pixels: handwriting never does (a
    1 across a cheque's small field, 50 px tall, covered more than half of its height: it is shorter than two
    digits). So is an unbroken straight run of ink at least ``min_length`` pixels long and at most ``max_thickness``
    thick, level or tilted by up to ``LINE_TILTS`` degrees (a table's frame and row lines, a line of a form, an
    underline, the margin line of a notebook photographed at an angle: 160 px, four digits' height at the working
    scale, longer than any stroke of a digit; None leaves them, for a page whose scale is not known yet, and the bars
    of ``remove_bars``). Their pixels are removed, except where ink touches the line on both sides, which is a stroke
    crossing it (the "1" written on a line keeps its pixels), and so are the pieces left beside a removed line no
    thicker than one (``_drop_line_ends``). A field narrower than ``min_length`` (a cheque's amount cut out) loses
    level lines from ``FIELD_LINE`` of its width on. Lines must be within ``LINE_TILTS`` of the axes (a page
    rotated by more is deskewed first); a bar alone, at any angle, goes whole (``remove_bars``).
    """
    out = remove_frames(mask, max_thickness=max_thickness)
    for across, view in ((True, out), (False, out.T)):  # horizontal rules, then vertical (a view: edits reach ``out``)
        before = view.copy()
        coverage = view.mean(axis=1)
        rows = np.flatnonzero((coverage > min_coverage) & (np.count_nonzero(view, axis=1) >= min_rule))
        bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if len(rows) else []
        for band in bands:
            top, bottom = int(band[0]), int(band[-1]) + 1
            solid = bottom - top <= DIGIT_HEIGHT // 2 and coverage[top:bottom].min() > SOLID_LINE
            if bottom - top > max_thickness and not solid:
                continue  # a thick dark band is not a ruling line (a shadow's edge), unless it is a solid bar
            above = view[top - 1] if top > 0 else np.zeros(view.shape[1], dtype=bool)
            below = view[bottom] if bottom < view.shape[0] else np.zeros(view.shape[1], dtype=bool)
            crossing = above & below
            view[top:bottom] &= crossing[None, :]
        if min_length:
            length = min_length
            if across:  # a vertical line across a small field would be a 1 as often as a rule: never shortened
                length = min(min_length, max(int(FIELD_LINE[1] * DIGIT_HEIGHT), int(FIELD_LINE[0] * view.shape[1])))
            _remove_lines(view, _long_lines(view, length), max_thickness)
        _drop_line_ends(view, before, max_thickness, gap=3, flat=across)
    return remove_bars(out, min_length) if min_length else out


def remove_bars(mask: np.ndarray, min_length: int) -> np.ndarray:
    """``mask`` without its straight bars at any angle and of any thickness (a printed band across a page, a stroke
    struck through a field): blobs at least ``min_length`` long and ``BAR_ELONGATION`` times longer than wide
    (``textures.blob_shapes``). A digit joined to such a bar goes with it; a bar across a row joins its digits into
    one blob, not elongated enough to go, which reads badly either way (docs/experiments.md)."""
    labels, _, length, elongated = textures.blob_shapes(mask)
    bars = np.concatenate([[False], (length >= min_length) & (elongated >= BAR_ELONGATION)])
    return mask & ~bars[labels] if bars.any() else mask


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
    """An ink mask without the boxes that forms draw around their digits (a zip code's boxes, a table's cells).

    A frame is a component whose holes (from 16 px and 0.1% of its box) hold, at least ``min_filled`` of them, ink at
    least ``min_content`` as tall as the hole (a digit in its box, not a speck in a 0), and whose straight lines (level
    or tilted by up to ``LINE_TILTS``, at most ``max_thickness`` thick) spanning ``min_span`` of it hold ``min_lines``
    of its ink (a 0 with a piece of another digit in its loop is not one). A table's frame (``FRAME_TABLE``) with
    its cells empty is one too where its lines hold ``EMPTY_TABLE`` of its ink. Those lines are removed except where
    a stroke crosses, and the corners left are dropped: left on the page, a box's sides read as 1s. A circle has no
    straight line, and squared paper's grid written on is no frame (few of its cells hold a digit alone, and with the
    digits that touch it its lines hold 0.5-0.7 of its ink): ``remove_rules`` removes its lines.
    """

    mask = np.asarray(mask, dtype=bool)
    out = mask.copy()
    eight = np.ones((3, 3), dtype=bool)
    labels, components = imaging.label(mask, structure=eight)
    regions, _ = imaging.label(imaging.binary_fill_holes(mask), structure=eight)
    region_of = np.zeros(components + 1, dtype=np.int64)
    region_of[labels[mask]] = regions[mask]  # each component lies in one filled region
    boxes = imaging.find_objects(regions)
    sides = np.array([min(y.stop - y.start, x.stop - x.start) for y, x in boxes], dtype=np.int64)
    tables = sides >= FRAME_TABLE * DIGIT_HEIGHT  # a region's box is its outermost component's, the frame's
    holding = np.bincount(region_of[1:], minlength=len(boxes) + 1)[1:]  # components in each region
    enclosing = np.flatnonzero((holding >= 2) | tables) + 1
    for region in enclosing:
        box = boxes[region - 1]
        inside = regions[box] == region
        frame = labels[box] == labels[box][0][inside[0]][0]  # the region's top row is its outermost component's
        holes, count = imaging.label(imaging.binary_fill_holes(frame) & ~frame)
        large = np.bincount(holes.ravel(), minlength=count + 1)[1:] >= max(16, 0.001 * frame.size)
        held = imaging.find_objects(np.where(mask[box] & ~frame, holes, 0), max_label=count)  # each hole's ink
        filled = [cut is not None and ink is not None and
                  ink[0].stop - ink[0].start >= min_content * (cut[0].stop - cut[0].start)
                  for cut, ink in zip(imaging.find_objects(holes), held)]
        table = tables[region - 1]
        cells = np.count_nonzero(large)
        empty = np.count_nonzero(np.asarray(filled, dtype=bool) & large) < min_filled * cells
        if not cells or empty and not (table and cells >= EMPTY_TABLE[0]):
            continue
        across, down = _frame_lines(frame, min_span, FRAME_GAPS[0] if table else None)
        if np.count_nonzero(across | down) < (EMPTY_TABLE[1] if empty else min_lines) * np.count_nonzero(frame):
            continue  # a digit with a piece of another in its loop (a 0's straight side is not all of it)
        if table:  # its lines to their last pieces
            across, down = _frame_lines(frame, min_span, FRAME_GAPS[1])
        view = out[box]  # a view: edits reach ``out``
        for lines, flat, layout in ((across, True, view), (down.T, False, view.T)):
            before = layout.copy()
            _remove_lines(layout, lines, max_thickness)
            if table:  # and the slivers beside them (a box's: a thin 1 close to its side is as thin)
                _drop_line_ends(layout, before, max_thickness, gap=3, flat=flat)
        pieces, _ = imaging.label(frame & view, structure=eight)  # what is left of the frame: its corners go
        for index, piece in enumerate(imaging.find_objects(pieces), start=1):
            if max(side.stop - side.start for side in piece) <= max_thickness + 1:
                view[piece][pieces[piece] == index] = False
    return out


def _frame_lines(frame: np.ndarray, min_span: float, gap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The level and the upright lines of ``frame`` spanning ``min_span`` of its width or height (``_long_lines``).
    With ``gap``, a table's: tilted by up to ``FRAME_TILTS``, broken by up to ``gap`` pixels, and to their ends (the
    frame padded first: the closing that bridges breaks sees nothing beyond the image, and cut the frame's sides)."""
    pad, options = (gap, {"max_degrees": FRAME_TILTS, "gap": gap}) if gap else (0, {})
    padded, inner = np.pad(frame, pad), (slice(pad, pad + frame.shape[0]), slice(pad, pad + frame.shape[1]))
    across = _long_lines(padded, max(2, int(min_span * frame.shape[1])), **options)[inner]
    down = _long_lines(padded.T, max(2, int(min_span * frame.shape[0])), **options).T[inner]
    return across, down


def _drop_line_ends(view: np.ndarray, before: np.ndarray, max_thickness: int, *, gap: int, flat: bool) -> None:
    """Drop, in place, the pieces of ``view`` left beside the near-horizontal lines just removed from it (``before``
    is the mask they were removed from): components at most ``max_thickness`` pixels tall within ``gap`` + 1 pixels
    of a removed pixel, such as the end of a notebook's margin line that the sheet's edge cut shorter than a line
    (it reads as a "1" and joins rows), and flat ones (``LINE_REMNANT``) mostly that near, such as a rule in a noisy
    shadow binarized thicker than a line. A digit that touches a line is taller than that, so it stays."""

    removed = before & ~view
    if not removed.any():
        return
    labels, _ = imaging.label(view, structure=np.ones((3, 3)))
    near = imaging.binary_dilation(removed, structure=np.ones((3, 3), dtype=bool), iterations=gap + 1)
    boxes = imaging.find_objects(labels)
    for index in np.unique(labels[near & view]):
        box = boxes[index - 1] if index else None
        if box is None:
            continue
        height, width = box[0].stop - box[0].start, box[1].stop - box[1].start
        piece = labels[box] == index
        remnant = flat and width >= LINE_REMNANT * height and height <= 3 * max_thickness
        if height <= max_thickness or remnant and 2 * np.count_nonzero(piece & near[box]) >= np.count_nonzero(piece):
            view[box][piece] = False
