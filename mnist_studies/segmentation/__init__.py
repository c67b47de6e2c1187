"""Page-to-digits recognizer of paper 004 (M. Lu, N. Ke, §1 and §4): binarize a page, segment it into digits by
projection, recognize each digit with a LeNet-5.

Every stage is a plain function, so each can be tested and shown on its own:

    read_page        any image Pillow reads (grey, RGB, RGBA, 16-bit) -> float grey in [0, 1]
    binarize         adaptive (Sauvola) threshold; detects dark-on-light or light-on-dark ink -> bool ink mask
    remove_specks    drops connected components smaller than a few pixels
    find_rows        horizontal projection -> row bands (the paper's)
    rows_of_blobs    rows as chains of blobs, each row with its own mask: rows that climb, fall or converge (a
                     photo taken at an angle) stay apart (the photo method's)
    split_row        directional projection within a row -> digit boxes (the paper's "improved" projection): a
                     run of ink is split along empty slanted lines (``slanted_pieces``), and a too-wide blob
                     (touching digits) is cut at the projection minimum within a window around the expected digit
                     width, unless every column there crosses two strokes (a wide 0)
    normalize_digit  MNIST-like: fit in a 20×20 box keeping the aspect ratio, placed in 28×28 by centre of mass
    ink_mask         the paper's binarization, or with method="photo" the stages of ``segmentation.photo`` first
                     (the desk painted out, ink channel, illumination flattened, ruled lines and forms' boxes
                     removed)
    split_touching   touching digits: the row reader (``sequence``) reads a long blob whole, the digit model
                     reads candidate cuts of the other wide boxes (``split_by_recognition``)
    recognize_page   all of the above plus one batched prediction -> PageResult (text, digits with boxes)
    annotate         the page with each box and its label at the upper left (the paper's Figure 2)

Command line: ``mnist-read-digits PAGE [PAGE ...] [--model PATH] [--row-model PATH] [--json] [--min-confidence P]
[--annotate DIR]``
(or ``python -m mnist_studies.segmentation``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

MAX_PIXELS = 40_000_000  # larger pages are refused (about 6,300 × 6,300)
MIN_CONTRAST = 0.08  # a page whose grey levels span less than this is blank
TOUCHING = 1.55  # a blob wider than this many expected digit widths holds touching digits (chosen on
# synthetic pages with seeds 5000-5029, disjoint from the notebook's evaluation pages, which start at 1000)


class PageError(ValueError):
    """A page that cannot be processed; the message is one line that names the problem."""


UNCERTAIN = "?"  # shown instead of a digit read with less than the asked confidence


@dataclass
class Digit:
    label: int
    probability: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)
    row: int
    top3: list[tuple[int, float]] = field(default_factory=list)  # the three most probable labels, best first


@dataclass
class PageResult:
    image: str
    text: str
    digits: list[Digit] = field(default_factory=list)  # boxes in the input image's pixels

    def text_at(self, min_confidence: float = 0.0) -> str:
        """The text with ``UNCERTAIN`` ("?") for every digit read with a probability below ``min_confidence``."""
        lines: dict[int, str] = {}
        for digit in self.digits:
            shown = str(digit.label) if digit.probability >= min_confidence else UNCERTAIN
            lines[digit.row] = lines.get(digit.row, "") + shown
        return "\n".join(lines[r] for r in sorted(lines))

    def to_dict(self) -> dict:
        return {"image": self.image, "text": self.text,
                "digits": [{**asdict(d), "box": list(d.box), "top3": [[int(k), float(p)] for k, p in d.top3]}
                           for d in self.digits]}


# ---------------------------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------------------------


def read_page(path: str | Path, *, max_pixels: int = MAX_PIXELS, colour: bool = False) -> np.ndarray:
    """Read any image Pillow reads as a float grey image in [0, 1] (RGBA is composited on white, 16-bit scaled);
    with ``colour``, a colour page comes back as (H, W, 3) RGB in [0, 1] (for ``photo.ink_contrast``).

    Raises:
        PageError: missing path, a folder, an empty, truncated or non-image file, or a page over ``max_pixels``.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise PageError("no such file")
    if path.is_dir():
        raise PageError("is a folder, not an image")
    if path.stat().st_size == 0:
        raise PageError("empty file")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise PageError(f"page too large: {width}×{height} pixels, the limit is {max_pixels:,} pixels")
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, rgba)
            if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                grey = np.asarray(image, dtype=np.float64)
                top = 65535.0 if image.mode.startswith("I;16") or grey.max() > 255 else 255.0
                return np.clip(grey / top, 0.0, 1.0)
            if colour and image.mode not in ("L", "1", "LA"):
                return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
            return np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    except PageError:
        raise
    except UnidentifiedImageError:
        raise PageError("not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise PageError(f"unreadable image ({error})") from None
    except Image.DecompressionBombError:
        raise PageError(f"page too large (over Pillow's limit of {Image.MAX_IMAGE_PIXELS:,} pixels)") from None


def ink_is_dark(grey: np.ndarray) -> bool:
    """True when the ink is darker than the background (the background is the majority of the page)."""
    from skimage.filters import threshold_otsu

    threshold = threshold_otsu(grey)
    return (grey > threshold).mean() >= 0.5


def binarize(grey: np.ndarray, *, window: int | None = None, k: float = 0.2) -> np.ndarray:
    """Adaptive binarization (scikit-image's Sauvola threshold) → boolean ink mask (True = ink).

    The polarity is detected first (``ink_is_dark``): light-on-dark pages are inverted. A page with less than
    ``MIN_CONTRAST`` between its darkest and lightest percentile is blank: an empty mask.
    """
    from skimage.filters import threshold_otsu, threshold_sauvola

    low, high = np.percentile(grey, [0.5, 99.5])
    if high - low < MIN_CONTRAST:
        return np.zeros(grey.shape, dtype=bool)
    page = grey if ink_is_dark(grey) else 1.0 - grey  # dark ink on a light background from here on
    if window is None:
        window = max(15, (min(page.shape) // 12) | 1)  # odd, about a digit's size on a typical page
    local = page < threshold_sauvola(page, window_size=window, k=k)
    # Sauvola alone turns faint texture of empty regions into specks: ink must also be darker than Otsu's global cut
    return local & (page < threshold_otsu(page))


def remove_specks(mask: np.ndarray, *, max_size: int | None = None) -> np.ndarray:
    """Remove connected ink components of at most ``max_size`` pixels (default: 0.01% of the page, at least 8)."""
    from skimage.morphology import remove_small_objects

    if max_size is None:
        max_size = max(8, int(mask.size * 1e-4))
    return remove_small_objects(mask, max_size=max_size, connectivity=2)


def _runs(profile: np.ndarray, *, min_gap: int = 1) -> list[tuple[int, int]]:
    """[start, end) runs where ``profile > 0``, merging runs separated by fewer than ``min_gap`` empty entries."""
    on = profile > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] < min_gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def find_rows(mask: np.ndarray, *, min_height: int = 5) -> list[tuple[int, int]]:
    """Row bands [y0, y1) by horizontal projection (ink pixels per image row); bands thinner than ``min_height``
    are dropped, gaps of a few pixels inside a digit line are bridged."""
    rows = _runs(mask.sum(axis=1), min_gap=3)
    return [(a, b) for a, b in rows if b - a >= min_height]


def _chains(indices, boxes: np.ndarray, *, min_overlap: float, recent: int) -> list[list[int]]:
    """Blobs (``indices`` into ``boxes``: y0, y1, x0, x1) chained into rows left to right: each joins the row one of
    whose ``recent`` last blobs it overlaps vertically the most, by at least ``min_overlap`` of the lower of the two,
    or starts a row."""
    rows: list[list[int]] = []
    for index in sorted(indices, key=lambda i: boxes[i, 2]):
        y0, y1 = boxes[index, :2]
        best, best_overlap = None, min_overlap
        for r, row in enumerate(rows):
            last = boxes[row[-recent:]]
            overlap = ((np.minimum(y1, last[:, 1]) - np.maximum(y0, last[:, 0]))
                       / np.minimum(y1 - y0, last[:, 1] - last[:, 0])).max()
            if overlap >= best_overlap:
                best, best_overlap = r, overlap
        if best is None:
            rows.append([index])
        else:
            rows[best].append(index)
    return rows


def _joined(a: np.ndarray, b: np.ndarray, band_a: np.ndarray, band_b: np.ndarray, chained_a: np.ndarray,
            chained_b: np.ndarray, *, min_overlap: float, across: float) -> np.ndarray:
    """``_merge_rows``' test for every pair of blobs ``a`` × ``b`` (boxes y0, y1, x0, x1; ``band``: the height of each
    one's row; ``chained``: whether it was chained rather than joined beside): side by side, or one over the other."""
    gap = np.maximum(a[:, None, 2] - b[None, :, 3], b[None, :, 2] - a[:, None, 3]).clip(0)
    lower = np.minimum(a[:, None, 1] - a[:, None, 0], b[None, :, 1] - b[None, :, 0])
    common = np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0])  # < 0: the gap
    beside = (gap <= across) & (common >= min_overlap * lower)
    narrower = np.minimum(a[:, None, 3] - a[:, None, 2], b[None, :, 3] - b[None, :, 2])
    over = (np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 2], b[None, :, 2])) >= 0.5 * narrower
    stacked = (over & chained_a[:, None] & chained_b[None, :]
               & (np.maximum(a[:, None, 1], b[None, :, 1]) - np.minimum(a[:, None, 0], b[None, :, 0])
                  <= np.maximum(band_a[:, None], band_b[None, :]))
               & (-common <= 0.25 * lower))  # at most a quarter of the lower one apart
    return beside | stacked


def _merge_rows(members: list[list[int]], boxes: np.ndarray, row_of: np.ndarray, *, min_overlap: float,
                across: float) -> list[list[int]]:
    """Rows (lists of blob indices, numbered from 1 in ``row_of``, updated in place) merged where a blob of one lies
    beside a blob of another (at most ``across`` apart horizontally), overlapping it vertically by ``min_overlap``
    of the lower of the two (a chain that a piece of a digit started before its digit, or a row that a wide gap
    split into two chains whose digits then alternated between them), or over it, at most a quarter of the lower
    one's height apart and the two together no higher than the higher of the two rows (the upper and lower pieces
    of large digits broken apart, which chained into two rows; a digit of the next row is a row's height and a gap
    away)."""
    rowed = np.flatnonzero(row_of)
    b = boxes[rowed]
    bands = np.zeros(len(members) + 1)
    for r in range(1, len(members) + 1):
        inside = b[row_of[rowed] == r]
        bands[r] = inside[:, 1].max() - inside[:, 0].min()
    band = bands[row_of[rowed]]
    chained = np.isin(rowed, [i for row in members for i in row])  # not a piece that joined the row beside it
    pairs = []
    for start in range(0, len(b), 256):  # in slices of blobs: a page of thousands of them stays in memory
        part = slice(start, start + 256)
        i, j = np.nonzero(_joined(b[part], b, band[part], band, chained[part], chained, min_overlap=min_overlap,
                                  across=across))
        pairs.extend(zip(start + i, j))
    parent = list(range(len(members) + 1))

    def root(r: int) -> int:
        while parent[r] != r:
            r = parent[r]
        return r

    for i, j in pairs:
        a, c = root(row_of[rowed[i]]), root(row_of[rowed[j]])
        if a != c:
            parent[max(a, c)] = min(a, c)
    merged: dict[int, list[int]] = {}
    for r, row in enumerate(members, start=1):
        merged.setdefault(root(r), []).extend(row)
    renumbered = np.zeros(len(members) + 1, dtype=np.int64)
    for new, old in enumerate(merged, start=1):
        renumbered[[r for r in range(1, len(members) + 1) if root(r) == old]] = new
    row_of[rowed] = renumbered[row_of[rowed]]
    return [sorted(row, key=lambda i: boxes[i, 2]) for row in merged.values()]


def rows_of_blobs(mask: np.ndarray, *, min_overlap: float = 0.5, recent: int = 3, whole: float = 0.7,
                  piece: float = 0.45, near: float = 0.5,
                  line: float = 1.5) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Rows as chains of ink blobs (connected components), top to bottom: ``[((y0, y1), row mask), ...]``, each row
    mask the page's mask with that row's blobs alone.

    Blobs at least ``whole`` × the median blob height (whole digits) are chained left to right (``_chains``: each
    joins the row one of whose ``recent`` last blobs it overlaps vertically the most, by at least ``min_overlap`` of
    the lower of the two). A lower blob then joins the row of the blob beside it (within two median heights across)
    that it overlaps vertically the most: the halves of a digit broken by a ruled line, which chained among the
    digits started rows of their own. Lower blobs beside none are chained into rows of their own when they are at
    least ``piece`` × the median (a row of smaller digits), and the rest (a dot, a speck) join the row of the
    nearest blob within ``near`` × the median, in whose band they lie, or are dropped (a speck above every row, where
    a shadow's edge meets the sheet's), as are those wider than ``line`` × the median (an underline too short for
    ``photo.remove_rules``; a projection left it a band of its own, too thin to be a row).
    Rows whose blobs lie side by side are then merged (``_merge_rows``). A row can so climb or fall across the page,
    and rows can overlap in height: the rows of a page photographed at an angle converge, and a horizontal
    projection (``find_rows``) of eight rows seen so read two pairs of them as one row each (eight-row desk photos,
    20 tuning pages: 92.7% of the digits; 98.8% so)."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if not count:
        return []
    boxes = np.array([(s[0].start, s[0].stop, s[1].start, s[1].stop) for s in ndimage.find_objects(labels)])
    heights = boxes[:, 1] - boxes[:, 0]
    typical = float(np.median(heights))
    row_of = np.zeros(count, dtype=np.int64)  # each blob's row, from 1 (0: none)
    members = _chains(np.flatnonzero(heights >= whole * typical), boxes, min_overlap=min_overlap, recent=recent)
    for r, row in enumerate(members, start=1):
        row_of[row] = r

    def gaps_to(rowed: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
        """(horizontal gaps, vertical overlaps) from blob ``index`` to the blobs ``rowed``."""
        y0, y1, x0, x1 = boxes[index]
        return (np.maximum(boxes[rowed, 2] - x1, x0 - boxes[rowed, 3]).clip(0),
                np.minimum(y1, boxes[rowed, 1]) - np.maximum(y0, boxes[rowed, 0]))

    lower = np.flatnonzero(heights < whole * typical)
    rowed = np.flatnonzero(row_of)
    alone = []
    for index in lower:
        if len(rowed):
            across, level = gaps_to(rowed, index)
            beside = (across <= 2 * typical) & (level > 0)
            if beside.any():
                row_of[index] = row_of[rowed[np.flatnonzero(beside)[np.argmax(level[beside])]]]
                continue
        alone.append(index)
    for row in _chains([i for i in alone if heights[i] >= piece * typical], boxes, min_overlap=min_overlap,
                       recent=recent):
        members.append(row)
        row_of[row] = len(members)
    members = _merge_rows(members, boxes, row_of, min_overlap=min_overlap, across=typical)
    rowed = np.flatnonzero(row_of)
    widths = boxes[:, 3] - boxes[:, 2]
    top = np.array([np.inf] + [boxes[row, 0].min() for row in members])  # each row's band
    bottom = np.array([-np.inf] + [boxes[row, 1].max() for row in members])
    for index in (i for i in alone if heights[i] < piece * typical and widths[i] <= line * typical):
        if len(rowed):
            across, level = gaps_to(rowed, index)
            banded = (top[row_of[rowed]] < boxes[index, 1]) & (bottom[row_of[rowed]] > boxes[index, 0])
            gaps = np.where(banded, np.maximum(across, -level.clip(max=0)), np.inf)  # not a speck above every row
            if gaps.min() <= near * typical:
                row_of[index] = row_of[rowed[int(np.argmin(gaps))]]
    by_label = np.concatenate([[0], row_of])[labels]
    rows = []
    for r in range(1, len(members) + 1):
        blobs = np.flatnonzero(row_of == r)
        rows.append(((int(boxes[blobs, 0].min()), int(boxes[blobs, 1].max())), by_label == r,
                     float(np.median((boxes[members[r - 1], 0] + boxes[members[r - 1], 1]) / 2))))
    rows.sort(key=lambda row: row[2])
    return [(band, row_mask) for band, row_mask, _ in rows]


SLANTS = tuple(round(float(s), 1) for s in np.arange(-0.4, 0.45, 0.1))  # the projections' directions (x per y)
ONE_WIDE_DIGIT = 1.8  # a blob narrower than this many expected digit widths that no column crosses in one stroke


def slanted_pieces(run: np.ndarray, width: float, *, slants=SLANTS, min_run: float = 0.7,
                    min_piece: float = 0.25) -> list[np.ndarray]:
    """The ink of a run of columns (a mask) split along empty slanted lines: projected along each of ``slants``
    (a line x = x0 + slant × y), a run wider than ``min_run`` × ``width`` whose projection has an empty bin between
    two pieces at least ``min_piece`` × ``width`` wide holds two digits that overlap without touching (a slanted 1 under
    its neighbour's stroke). The most even split wins, and each piece is split again; returns one mask (the shape of
    ``run``) per piece, or ``[run]``."""
    ys, xs = np.nonzero(run)
    if not slants or not len(xs) or np.ptp(xs) + 1 <= min_run * width:
        return [run]
    best = None
    for slant in slants:
        position = np.floor(xs - slant * (ys - run.shape[0] / 2)).astype(int)
        position -= position.min()
        gaps = np.flatnonzero(np.bincount(position) == 0)
        if not len(gaps):
            continue
        # the widths of the ink left and right of every gap at once (pixels sorted along the projection)
        order = np.argsort(position, kind="stable")
        along, across = position[order], xs[order]
        split = np.searchsorted(along, gaps)  # pixels left of each gap
        left = np.maximum.accumulate(across)[split - 1] - np.minimum.accumulate(across)[split - 1] + 1
        right = (np.maximum.accumulate(across[::-1])[::-1][split] - np.minimum.accumulate(across[::-1])[::-1][split]
                 + 1)
        balance = np.where(np.minimum(left, right) >= min_piece * width, np.abs(left - right), np.inf)
        k = int(np.argmin(balance))
        if np.isfinite(balance[k]) and (best is None or balance[k] < best[0]):
            best = balance[k], position < gaps[k]
    if best is None:
        return [run]
    pieces = []
    for side in (best[1], ~best[1]):
        piece = np.zeros_like(run)
        piece[ys[side], xs[side]] = True
        pieces.extend(slanted_pieces(piece, width, slants=slants, min_run=min_run, min_piece=min_piece))
    return pieces


def split_row(mask: np.ndarray, row: tuple[int, int], *, expected_width: float | None = None,
              min_width: int = 2, touching: float | None = None, slants=SLANTS,
              one_wide_digit: float = ONE_WIDE_DIGIT) -> list[tuple[int, int, int, int]]:
    """Digit boxes (x0, y0, x1, y1) in one row band, by directional projection (the paper's "improved algorithm
    based on directional projection", which it does not describe further; our choices, chosen on synthetic pages
    with seeds 5000-5059, not the study's evaluation pages 1000+).

    Each run of columns with ink is first split along empty slanted lines (``slanted_pieces``, projections along
    ``slants``: digits that overlap without touching; () turns it off, as the photo method does). A piece wider than
    ``TOUCHING`` (1.55) × ``expected_width`` (default: 0.8 × the row height) holds touching digits: it is cut at the
    column of least ink within ±40% of the expected width from its left edge, repeatedly, unless it is narrower than
    ``one_wide_digit`` × the expected width and every column there crosses two strokes or more (the middle of a wide
    0; where touching digits meet, one stroke usually crosses). Each box is then shrunk to the ink it holds. With the
    paper profile's LeNet-5 on 60 tuning pages: 89.2% of digits with vertical projection alone, 91.3% with the
    slanted projections, 92.3% with the crossing rule too (the quick profile's: 89.6% -> 92.9%).
    """
    y0, y1 = row
    band = mask[y0:y1]
    width = expected_width or 0.8 * (y1 - y0)
    boxes = []
    touching = TOUCHING if touching is None else touching
    for run_start, run_end in _runs(band.sum(axis=0)):
        for piece in slanted_pieces(band[:, run_start:run_end], width, slants=slants):
            projection = piece.sum(axis=0)
            crossings = np.count_nonzero(np.diff(piece.astype(np.int8), axis=0, prepend=0) == 1, axis=0)
            for start, end in _runs(projection):
                while end - start > touching * width:
                    lo, hi = int(start + 0.6 * width), int(min(end - 0.3 * width, start + 1.4 * width))
                    if hi <= lo or lo <= start:  # no room to cut, or a cut that would not advance (< 2 px wide)
                        break
                    if end - start < one_wide_digit * width and crossings[lo:hi].min() >= 2:
                        break
                    # least ink, ties broken towards the expected digit width
                    distance = np.abs(np.arange(lo, hi) - (start + width)) / width
                    cut = lo + int(np.argmin(projection[lo:hi] + 0.25 * distance))
                    boxes.append((piece, run_start, start, cut))
                    start = cut
                boxes.append((piece, run_start, start, end))
    out = []
    for piece, offset, x0, x1 in boxes:
        if x1 - x0 < min_width:
            continue
        rows_with_ink = np.flatnonzero(piece[:, x0:x1].any(axis=1))
        if len(rows_with_ink):
            out.append((offset + x0, y0 + int(rows_with_ink[0]), offset + x1, y0 + int(rows_with_ink[-1]) + 1))
    return out


def _row_aspects(mask: np.ndarray, row: tuple[int, int]) -> list[float]:
    """The width / row-height ratios of a row's single blobs (those not wider than the row is high)."""
    y0, y1 = row
    return [(b - a) / (y1 - y0) for a, b in _runs(mask[y0:y1].sum(axis=0)) if b - a <= (y1 - y0)]


def _width_share(ratios: list[list[float]]) -> float:
    """``digit_width_share`` from every row's ``_row_aspects``."""
    flat = [ratio for row in ratios for ratio in row]
    aspect = float(np.median(flat)) if len(flat) >= 3 else None
    return aspect if aspect and aspect < 1.2 else 0.8


def digit_width_share(mask: np.ndarray, rows: list[tuple[int, int]]) -> float:
    """The expected digit width as a share of its row's height: the median width / row-height ratio of the page's
    single blobs (those not wider than their row is high; rows of bigger digits then expect proportionally wider
    digits) where there are at least three and it is under 1.2, else 0.8."""
    return _width_share([_row_aspects(mask, row) for row in rows])


def merge_fragments(boxes: list[tuple[int, int, int, int]], row: tuple[int, int], width: float,
                    *, min_height: float = 0.45) -> list[tuple[int, int, int, int]]:
    """Merge pieces of broken strokes into their digit: a box lower than ``min_height`` × the row height joins the
    nearest full-height box when the horizontal gap is at most half a digit width, and is dropped otherwise."""
    row_height = row[1] - row[0]
    full = [list(b) for b in boxes if b[3] - b[1] >= min_height * row_height]
    for x0, y0, x1, y1 in (b for b in boxes if b[3] - b[1] < min_height * row_height):
        if not full:
            break
        gaps = [max(0, x0 - b[2], b[0] - x1) for b in full]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= 0.5 * width:
            b = full[nearest]
            full[nearest] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
    return sorted(tuple(b) for b in full)


def segment(mask: np.ndarray, *, min_row_share: float = 0.0, touching: float | None = None, slants=SLANTS,
            one_wide_digit: float = ONE_WIDE_DIGIT,
            rows: str = "projection") -> list[tuple[int, tuple[int, int, int, int]]]:
    """All digit boxes of a page as (row index, box), rows top to bottom, digits left to right. ``rows``: how rows
    are found, ``"projection"`` (``find_rows``, the paper's) or ``"blobs"`` (``rows_of_blobs``, the photo method's:
    each row segmented on its own blobs alone). Rows lower than
    ``min_row_share`` × the tallest row are dropped (specks left by a shadow's edge at the page's border would
    otherwise make a row of their own; the photo method uses 0.25). ``touching``: ``split_row``'s cut of wide
    blobs by projection (default ``TOUCHING``; the photo method passes ``np.inf`` and leaves every cut of a blob to
    ``split_by_recognition``). ``slants``: ``split_row``'s slanted projections (the photo method passes (): its
    model reads whole blobs better, touching pairs' tuning pages 96.7% with the blob whole, 94.8% pre-split), and
    ``one_wide_digit`` its crossing rule (0 turns it off)."""
    if rows not in ROW_FINDERS:
        raise ValueError(f"unknown row finder {rows!r}; valid: {', '.join(ROW_FINDERS)}")
    found = rows_of_blobs(mask) if rows == "blobs" else [(band, mask) for band in find_rows(mask)]
    if found and min_row_share:
        tallest = max(y1 - y0 for (y0, y1), _ in found)
        found = [(band, row_mask) for band, row_mask in found if band[1] - band[0] >= min_row_share * tallest]
    aspect = _width_share([_row_aspects(row_mask, band) for band, row_mask in found])
    out = []
    for r, (row, row_mask) in enumerate(found):
        row_width = aspect * (row[1] - row[0])
        boxes = merge_fragments(split_row(row_mask, row, expected_width=row_width, touching=touching, slants=slants,
                                          one_wide_digit=one_wide_digit), row, row_width)
        out.extend((r, box) for box in boxes)
    return out


ROW_FINDERS = ("projection", "blobs")


def normalize_digit(crop: np.ndarray) -> np.ndarray:
    """An MNIST-like 28×28 float image from a cropped ink mask: fit in 20×20 keeping the aspect ratio (anti-aliased),
    then shift so the centre of mass is at the centre, as MNIST was built."""
    from scipy import ndimage
    from skimage.transform import resize

    crop = np.asarray(crop, dtype=np.float64)
    height, width = crop.shape
    if not height or not width:  # a box cut to nothing at the page's edge: a blank, read as "not one digit"
        return np.zeros((28, 28), dtype=np.float32)
    scale = 20.0 / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    small = resize(crop, (new_h, new_w), anti_aliasing=True, preserve_range=True)
    canvas = np.zeros((28, 28))
    top, left = (28 - new_h) // 2, (28 - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = small
    if canvas.sum() > 0:
        cy, cx = ndimage.center_of_mass(canvas)
        canvas = ndimage.shift(canvas, (13.5 - cy, 13.5 - cx), order=1, mode="constant")
    return np.clip(canvas, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------
# Model and pages
# ---------------------------------------------------------------------------------------------------------------


def load_safely(path: Path, what: str):
    """A ``.keras`` file loaded in safe mode, or a ``PageError`` of one line: ``what`` (e.g. "model") not found, or
    not loadable and why."""
    import keras

    if not path.is_file():
        raise PageError(f"{path}: {what} file not found")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 (Keras raises many kinds; the user needs one line)
        raise PageError(f"{path}: not a loadable .keras model ({type(error).__name__}: {error})".splitlines()[0])


def load_digit_model(path: str | Path):
    """Load a ``.keras`` digit classifier in safe mode; its input must be 28×28×1 or 32×32×1, its output 10 classes
    (the digits) or 11 (the digits, then "not one digit", ``strips.NOT_A_DIGIT``, as the shipped model has)."""
    import mnist_studies.models.digit_pairs  # noqa: F401 (registers the project's custom layers)
    import mnist_studies.models.lenet5  # noqa: F401

    path = Path(path)
    model = load_safely(path, "model")
    shape = tuple(model.input_shape[1:])
    if shape not in ((28, 28, 1), (32, 32, 1)) or model.output_shape[-1] not in (10, 11):
        raise PageError(f"{path}: expected a 10- or 11-class model with 28×28×1 or 32×32×1 input, got input "
                        f"{shape} and output {model.output_shape}")
    return model


METHODS = ("paper", "photo")  # the paper's pipeline; with the photo stages of segmentation/photo.py first


def ink_mask(image: np.ndarray, *, method: str = "paper") -> np.ndarray:
    """The ink mask of ``prepare_page`` (in the coordinates of the page it returns)."""
    return prepare_page(image, method=method).mask


@dataclass
class PreparedPage:
    """What ``prepare_page`` made of an image: the page the mask belongs to, the ink mask, and how that page lies on
    the image (``to_input``): rescaled by ``scale``, then turned by ``angle`` degrees (``photo.deskew``) from a page
    of shape ``levelled_from``."""

    page: np.ndarray = field(repr=False)
    mask: np.ndarray = field(repr=False)
    input_shape: tuple[int, int]
    scale: float = 1.0
    angle: float = 0.0
    levelled_from: tuple[int, int] | None = None

    def to_input(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box (x0, y0, x1, y1, ends exclusive) of ``mask`` as the box of the input image that holds it (a turned
        box's bounding box)."""
        if self.scale == 1.0 and not self.angle:
            return box
        from mnist_studies.segmentation import photo

        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0], [x1 - 1, y0], [x0, y1 - 1], [x1 - 1, y1 - 1]], dtype=np.float64)
        if self.angle:
            corners = photo.levelled_to_page(corners, self.levelled_from, self.angle)
        corners = (corners + 0.5) / self.scale - 0.5  # pixel centres of the rescaled page on the input
        height, width = self.input_shape
        left, top = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width - 1, height - 1])
        right, bottom = np.clip(np.floor(corners.max(axis=0)).astype(int) + 1, [left + 1, top + 1], [width, height])
        return int(left), int(top), int(right), int(bottom)


def prepare_page(image: np.ndarray, *, method: str = "paper") -> PreparedPage:
    """The page's ink mask. ``"paper"``: the paper's adaptive binarization of the grey page. ``"photo"``: first the
    desk around the sheet painted out (``photo.only_paper``), the channel that separates ink best
    (``photo.ink_contrast``; ``image`` may be RGB), light flattened
    (``photo.flatten_illumination``), rescaled when its digits are far from 40 px tall (``photo.working_scale``, then
    flattened again at that scale), rotated level (``photo.deskew``), then the binarization, and ruled or squared
    lines removed (``photo.remove_rules``). Returns the page the mask belongs to (the photo method's is flattened,
    rescaled and levelled), the mask, and the map back to the input (``PreparedPage.to_input``: ``recognize_page``
    gives its boxes on the input image)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    if method == "paper":
        grey = image if image.ndim == 2 else image[..., :3] @ np.array([0.299, 0.587, 0.114])
        return PreparedPage(grey, remove_specks(binarize(grey)), grey.shape[:2])
    from mnist_studies.segmentation import photo

    luminance = image if image.ndim == 2 else image[..., :3] @ np.array([0.299, 0.587, 0.114])
    dark_ink = photo.ink_is_dark_locally(luminance)  # judged once, for every stage

    def flattened(grey: np.ndarray) -> np.ndarray:
        flat = photo.flatten_illumination(grey, dark_ink=dark_ink)
        return flat if ink_is_dark(flat) else 1.0 - flat  # light ink on a dark page: dark ink on light paper

    grey = photo.ink_contrast(photo.only_paper(image, dark_ink=dark_ink))
    flat = flattened(grey)
    ink = binarize(flat)
    factor = photo.working_scale(remove_specks(photo.remove_rules(ink, min_length=None)))
    if factor != 1.0:
        flat = flattened(photo.rescale(grey, factor))
        ink = binarize(flat)
    levelled_from = flat.shape
    flat, angle = photo.deskew(flat, ink)
    if angle:  # a page already level keeps the binarization it has
        ink = binarize(flat)
    return PreparedPage(flat, remove_specks(photo.remove_rules(ink)), grey.shape[:2], factor, angle, levelled_from)


def _probabilities(model, mask: np.ndarray, boxes, cache: dict | None = None) -> np.ndarray:
    """The model's probabilities of the ten digits for each box of ``mask`` (one batched prediction; an 11-class
    model's "not one digit" takes its share, so a piece of a digit or two digits read as one get a low
    probability whatever digit they look most like). With a ``cache`` (a dict kept for one page) a box read before
    is not normalized and predicted again."""
    cache = {} if cache is None else cache
    todo = [box for box in dict.fromkeys(boxes) if box not in cache]
    if todo:
        digits = np.stack([normalize_digit(mask[y0:y1, x0:x1]) for x0, y0, x1, y1 in todo])[..., None]
        if tuple(model.input_shape[1:3]) == (32, 32):
            digits = np.pad(digits, [(0, 0), (2, 2), (2, 2), (0, 0)])
        # predict_on_batch in chunks: Keras' predict builds a dataset per call, ~30 ms a page for nothing here
        read = np.concatenate([np.asarray(model.predict_on_batch(digits[k:k + 512]))
                               for k in range(0, len(digits), 512)])
        cache.update(zip(todo, read[:, :10]))
    return np.stack([cache[box] for box in boxes])


def _shrink(mask: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = box
    ys, xs = np.nonzero(mask[y0:y1, x0:x1])
    if not len(ys):
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


Boxes = list[tuple[int, tuple[int, int, int, int]]]  # (row, (x0, y0, x1, y1)) as ``segment`` gives them


def candidate_stretches(mask: np.ndarray, box: tuple[int, int, int, int], *, step: float = 0.2,
                        widths: tuple[float, float] = (0.12, 1.25), cut_gap: float = 0.08):
    """The readings ``split_by_recognition`` weighs for one wide box: its candidate cuts (x positions, the box's
    edges first and last) and the stretches between two cuts it reads, as (start cut index, end cut index, the
    stretch shrunk to its ink, or None when it holds none), sorted by start. Cuts: the columns of least ink of the
    box's projection (local minima) and a grid every ``step`` × its height, at least ``cut_gap`` × its height apart;
    stretches: ``widths`` (shares of the height) wide, and the whole box however wide. ``strips`` cuts the "not one
    digit" training examples the same way, so the model learns the crops it will be shown."""
    x0, y0, x1, y1 = box
    height = y1 - y0
    projection = mask[y0:y1, x0:x1].sum(axis=0)
    minima = [x0 + k for k in range(1, len(projection) - 1)
              if projection[k] <= projection[k - 1] and projection[k] <= projection[k + 1]]
    grid = np.arange(x0, x1, max(1, round(step * height)))
    cuts = [x0]
    for c in sorted(set(int(c) for c in np.concatenate([minima, grid]))):  # at least cut_gap apart
        if c - cuts[-1] >= max(1.0, cut_gap * height) and x1 - c >= max(1.0, cut_gap * height):
            cuts.append(c)
    cuts.append(x1)
    stretches = []
    for a in range(len(cuts)):
        for b in range(a + 1, len(cuts)):
            width = cuts[b] - cuts[a]
            if width > widths[1] * height and b > a + 1:
                break
            shrunk = _shrink(mask, (cuts[a], y0, cuts[b], y1))
            if shrunk is None or width >= widths[0] * height or b == len(cuts) - 1:
                stretches.append((a, b, shrunk))
    if not any(a == 0 and b == len(cuts) - 1 for a, b, _ in stretches):  # the whole box, however wide
        stretches.insert(0, (0, len(cuts) - 1, box))
    return cuts, stretches


def split_by_recognition(mask: np.ndarray, boxes: Boxes, model, *, min_aspect: float = 0.85, step: float = 0.2,
                         widths: tuple[float, float] = (0.12, 1.25), max_aspect: float = 1.1,
                         aspect_scale: float = 0.15, digit_bonus: float = -1.5, blob_aspect: float = 1.7,
                         blob_bonus: float = 0.0, cut_gap: float = 0.08, min_height: float = 0.75,
                         cache: dict | None = None, grouped: bool = False):
    """Touching digits split by recognition. A box wider than ``min_aspect`` × its height may hold several digits
    (0.85: a 1 touching its neighbour makes a box about as wide as high; touching pairs' 100 tuning pages 71 -> 63
    digit errors against 1.0, the other twelve families' 50 tuning pages each 53 -> 54; also splitting narrower
    boxes the classifier is unsure of, as two tall 9s touching, read 0.5 points more of the touching pairs' tuning
    pages but broke faint digits before their second look: left out). Its candidate readings come from
    ``candidate_stretches`` (cuts at the projection's minima and every ``step`` × its height, at least ``cut_gap`` ×
    its height apart: a row of touching digits then needs about a tenth of the readings of every
    column, as accurate on the tuning pages); every stretch is read by the classifier, and the reading of the whole
    box as a sequence of stretches with the highest score wins (dynamic programming): the sum over its digits of
    log(top digit probability) + a per-digit bonus, less a width penalty for a digit wider than ``max_aspect`` × its
    height (its excess over ``aspect_scale``: one digit is rarely that wide, two touching digits usually are) and a
    height penalty for a digit lower than ``min_height`` × the box (its shortfall over ``aspect_scale``: a digit cut
    from a row of touching digits is about as tall as the row, a stroke cut from a digit's end often is not, and a
    lone stroke reads as a sure 1). The bonus is ``digit_bonus`` (-1.5: a box that may be one digit is split only
    when its pieces read much better) in a box up to ``blob_aspect`` × its height wide, and ``blob_bonus`` (0) in a
    wider blob, which must hold several digits (a row of touching digits is one blob: the photo method does not cut
    it by projection first). With the shipped 11-class model a piece of a digit or two digits read as one get a low
    digit probability ("not one digit" takes the rest), which is what makes the most probable reading the right one.
    Reading the whole box as one digit is always one of the candidates, however wide, so a wide 0 stays whole when
    it reads best that way. Defaults chosen on the page families' tuning pages (seeds 5000+, not the benchmark's;
    touching pairs, 100 pages: 94.9% -> 95.7% with the height penalty, the other families unchanged within a digit).
    ``cache``: the page's probabilities cache (``_probabilities``). Returns the digits' (row, box) in order, or with
    ``grouped`` each box's digit boxes (a tuple per box of ``boxes``)."""
    wide = [i for i, (_, (x0, y0, x1, y1)) in enumerate(boxes) if x1 - x0 > min_aspect * (y1 - y0)]
    plans, crops = {}, []
    for i in wide:
        cuts, stretches = candidate_stretches(mask, boxes[i][1], step=step, widths=widths, cut_gap=cut_gap)
        crops.extend(box for _, _, box in stretches if box is not None)
        plans[i] = (cuts, stretches)
    top = np.log(np.maximum(_probabilities(model, mask, crops, cache).max(axis=1), 1e-9)) if crops else []
    chosen, k = {}, 0
    for i in wide:
        cuts, stretches = plans[i]
        x0, y0, x1, y1 = boxes[i][1]
        bonus = blob_bonus if x1 - x0 > blob_aspect * (y1 - y0) else digit_bonus
        best = [(-np.inf, None, None)] * len(cuts)  # (score, previous cut index, box) per cut
        best[0] = (0.0, None, None)
        for a, b, box in stretches:  # sorted by a: every path into a is final before a is extended
            if box is None:
                score = 0.0
            else:
                aspect = (box[2] - box[0]) / max(1, box[3] - box[1])
                score = float(top[k]) + bonus - max(0.0, aspect - max_aspect) / aspect_scale
                score -= max(0.0, min_height - (box[3] - box[1]) / (y1 - y0)) / aspect_scale
                k += 1
            if best[a][0] + score > best[b][0]:
                best[b] = (best[a][0] + score, a, box)
        reading, at = [], len(cuts) - 1
        while at:
            _, previous, box = best[at]
            if box is not None:
                reading.append(box)
            at = previous
        chosen[i] = tuple(reversed(reading)) or (boxes[i][1],)
    readings = [chosen.get(i, (box,)) for i, (_, box) in enumerate(boxes)]
    return readings if grouped else [(row, b) for (row, _), reading in zip(boxes, readings) for b in reading]


def merge_by_recognition(mask: np.ndarray, boxes: Boxes, model, *, max_gap: float = 0.25, max_aspect: float = 1.6,
                         prefer_parts: float = 1.0, cache: dict | None = None) -> Boxes:
    """Broken strokes merged by recognition: two neighbouring boxes of a row, at most ``max_gap`` × the row's
    digit height apart, whose union is no wider than ``max_aspect`` × its height, may be one digit whose stroke
    broke (a 4 with an open top, a 5 whose bar came loose). Each such pair is read as one digit and as two; the union
    is kept when its top probability beats ``prefer_parts`` × the geometric mean of the parts' (pairs are decided
    left to right; a box joins at most one other). ``cache``: the page's probabilities cache (``_probabilities``)."""
    pairs = []
    for i in range(len(boxes) - 1):
        (row_a, a), (row_b, b) = boxes[i], boxes[i + 1]
        if row_a != row_b:
            continue
        union = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        height = union[3] - union[1]
        if b[0] - a[2] <= max_gap * height and union[2] - union[0] <= max_aspect * height:
            pairs.append((i, union))
    if not pairs:
        return boxes
    top = _probabilities(model, mask, [box for _, box in boxes] + [union for _, union in pairs], cache).max(axis=1)
    merged, skip = {}, set()
    for k, (i, union) in enumerate(pairs):
        if i in skip:
            continue
        if top[len(boxes) + k] > prefer_parts * float(np.sqrt(top[i] * top[i + 1])):
            merged[i] = union
            skip.add(i + 1)
    return [(row, merged.get(i, box)) for i, (row, box) in enumerate(boxes) if i not in skip or i in merged]


SEQUENCE_FROM = 1.4  # the photo method also reads a blob wider than this × its height with the row reader


def split_touching(mask: np.ndarray, boxes: Boxes, model, row_model=None, *, min_aspect: float = SEQUENCE_FROM,
                   cache: dict | None = None) -> Boxes:
    """Touching digits split: with a ``row_model``, every blob wider than ``min_aspect`` × its height (1.4: few
    single digits are that wide) is read whole by it (``sequence.read_blobs``, one prediction for the page), and the
    others, and a long blob in which it reads no digit, by ``split_by_recognition`` (cuts read by the digit model
    ``model``); without one, every box by the cuts. On the touching pairs' 100 tuning pages (seeds 5000+), with the
    shipped digit model: 57 digit errors of 1,667 with the cuts alone, 23 (98.6%) with the shipped row reader (29
    on the next 100 pages), which learnt from rows whose digits move up and down (``row_model``'s ``jitter``);
    keeping the blob's reading with more digits, the cuts' or the row reader's, read 25 and 33 with it (and 35 with
    a row reader trained on level rows, whose own readings alone read 54). The other twelve families' 50 tuning
    pages each: 48 errors, 54 with the longer reading (multi-row 12 against 18). Reading the long blobs by the row
    reader alone also takes their hundreds of cuts off the digit model: the touching pairs' 10 benchmark pages, read
    alternately both ways in one run, 0.13 s per page instead of 0.42 (AMD EPYC, 2 cores; loading left out).
    The row reader's digits take its probabilities (into ``cache``, the page's probabilities cache,
    ``_probabilities``)."""
    from mnist_studies.segmentation import sequence

    cache = {} if cache is None else cache
    if row_model is None:
        return split_by_recognition(mask, boxes, model, cache=cache)
    long = [box for _, box in boxes if box[2] - box[0] > min_aspect * (box[3] - box[1])]
    readings = dict(zip(long, sequence.read_blobs(mask, long, row_model)))
    rest = [(row, box) for row, box in boxes if not readings.get(box)]  # one batched prediction for their cuts
    cut = iter(split_by_recognition(mask, rest, model, cache=cache, grouped=True))
    out = []
    for row, box in boxes:
        if readings.get(box):
            for digit_box, probabilities in readings[box]:
                cache[digit_box] = probabilities
                out.append((row, digit_box))
        else:
            out.extend((row, digit_box) for digit_box in next(cut))
    return out


SECOND_LOOK_BELOW = 0.9  # the photo method reads a digit it is less sure of again with its lighter ink


def recognize_page(path: str | Path, model, *, grey: np.ndarray | None = None, method: str = "paper",
                   second_look: float = SECOND_LOOK_BELOW, row_model=None) -> PageResult:
    """Read, binarize (``ink_mask`` with ``method``), segment and recognize one page with one batched prediction.
    ``grey`` is the page already read (grey, or RGB for the photo method). The photo method also splits touching
    digits (``split_touching``: with a ``row_model``, the shipped row reader the command line passes, a long blob
    read whole; the other wide boxes cut and the cuts read by the digit model), and reads a digit whose probability
    is under ``second_look`` again with the lighter ink connected to it (``photo.lighter_ink``), keeping the surer
    reading
    (tuning pages: faint pencil 98.6% -> 99.1%, touching pairs 95.6% -> 95.8%, clean unchanged; 0 turns it off).
    Each digit's box is given on the input image, however the photo method rescaled and levelled it to read it."""
    grey = read_page(path, colour=method == "photo") if grey is None else grey
    prepared = prepare_page(grey, method=method)
    mask = prepared.mask
    boxes = (segment(mask, min_row_share=0.25, touching=np.inf, slants=(), rows="blobs") if method == "photo"
             else segment(mask))
    if not boxes:
        return PageResult(str(path), "", [])
    cache = {}  # each box is read once, whichever stage asks first
    if method == "photo":
        boxes = split_touching(mask, merge_by_recognition(mask, boxes, model, cache=cache), model, row_model,
                               cache=cache)
    probabilities = _probabilities(model, mask, [box for _, box in boxes], cache)
    unsure = np.flatnonzero(probabilities.max(axis=1) < second_look) if method == "photo" else []
    if len(unsure):
        from mnist_studies.segmentation import photo

        again = _probabilities(model, photo.lighter_ink(prepared.page, mask), [boxes[i][1] for i in unsure])
        surer = again.max(axis=1) > probabilities[unsure].max(axis=1)
        probabilities[unsure[surer]] = again[surer]
    ranked = np.argsort(-probabilities, axis=1, kind="stable")[:, :3]
    found = [Digit(int(ranked[i, 0]), float(probabilities[i, ranked[i, 0]]), prepared.to_input(box), row,
                   [(int(k), float(probabilities[i, k])) for k in ranked[i]])
             for i, (row, box) in enumerate(boxes)]
    result = PageResult(str(path), "", found)
    result.text = result.text_at(0.0)
    return result


SURE_COLOUR, UNSURE_COLOUR = (220, 40, 40), (30, 110, 230)  # red boxes; blue for digits under min_confidence


def annotate(grey: np.ndarray, result: PageResult, out_path: str | Path, *, min_confidence: float = 0.0) -> Path:
    """Save the page with a box around each digit and its label at the box's upper left (the paper's Figure 2);
    digits read with a probability below ``min_confidence`` are drawn in blue with their probability."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray((np.clip(grey, 0, 1) * 255).astype(np.uint8)).convert("RGB")  # grey or RGB pages
    draw = ImageDraw.Draw(image)
    for digit in result.digits:
        x0, y0, x1, y1 = digit.box
        sure = digit.probability >= min_confidence
        colour = SURE_COLOUR if sure else UNSURE_COLOUR
        shown = np.floor(100 * digit.probability) / 100  # rounded down: 0.998 under a 0.999 bar does not show 1.00
        label = str(digit.label) if sure else f"{digit.label}? {shown:.2f}"
        size = max(11, (y1 - y0) // 4)  # labels that stay readable on a phone photo's large digits
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour, width=max(2, size // 8))
        draw.text((x0 + 1, max(0, y0 - size - 1)), label, fill=colour, font=ImageFont.load_default(size=size))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    image.save(out_path)
    return out_path
