"""Rows of touching digits, and the crops a page reader cuts from them: what the shipped models learn from.

``make_examples`` writes rows of two to five MNIST digits touching or overlapping as on a page, on paper, blurred
and noisy, binarizes them with the reader's ``binarize`` and cuts from every blob exactly the stretches the reader
reads (``candidate_stretches``). Each stretch is labelled by the share of each digit's ink it holds (``COVERAGE``):
one digit (at least ``digit`` of it and at most ``sliver`` of any other), more than one (``NOT_A_DIGIT``: at least
``more`` of a second digit), a piece (``NOT_A_DIGIT``: at most ``piece`` of its digit, ink at least
``PIECE_MIN_ASPECT`` as wide as high), and nothing in between. Each crop is normalized by ``normalize_digit`` as the
reader does; ``drop_ambiguous`` leaves out pieces that still look like their digit. ``make_rows`` makes the row
reader's rows the same way. Why an eleventh class: docs/page-reader.md, "Recognition".
"""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation.benchmark import pages

NOT_A_DIGIT = 10  # the class index of "not one digit" in an 11-class reader model
PIECE_MIN_ASPECT = 0.1  # a piece whose ink is narrower than this × its height is a sliver: left out
COVERAGE = {"digit": 0.9, "sliver": 0.1, "more": 0.3, "piece": 0.65}  # shares of a digit's ink (module docstring)


SMALL_TAIL = (0.45, 0.75)  # ``small_tail``: the last digits' height, a share of the others' (drawn per row)
AS_TRAINED = {"noise_sigmas": None}  # ``binarize`` as the shipped models' training pages were binarized: before
# ``binarization.NOISE_SIGMAS``, so that ``make reader-model`` rebuilds them from the same pages


def _row(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, count: int, *, jitter: float = 0.0,
         small_tail: float = 0.0, separators: float = 0.0, marks: tuple[str, ...] = pages.SEPARATORS,
         ligatures: float = 0.0, widths: tuple[float, float] | None = None,
         small_sizes: tuple[float, float] = SMALL_TAIL):
    """``count`` random digits side by side at one height, each touching or overlapping its left neighbour (0-12% of the
    height) and moved up or down by up to ``jitter`` × the height (a hand's baseline wanders; a page of the families
    moves each digit by up to 3 px), written on paper as ``pages.make_page`` writes them and binarized by the reader.
    With probability ``small_tail`` the row's last one to three digits are written smaller (``small_sizes`` of the
    height, by default ``SMALL_TAIL``) on the same baseline, as the trailing zeros of an amount often are (``20.000``).
    With probability ``separators`` one of ``marks`` (a period, comma or dash by default; ``pages.draw_separator``, at
    the height of the digit before it) follows the last digit, one inside the row, or both, touching or near its
    neighbours (``1.500``, ``3500.-``); it is not a digit and has no label. With probability ``ligatures`` the row is
    written joined up: its digits further apart and each two neighbours linked by a stroke (``_ligature``), as cursive
    zeros are (``1.000``). With ``widths`` (low, high) each digit is stretched across by a factor drawn log-uniformly
    between them, as real hands write wide zeros. Returns (ink mask, owner: the index of the digit each pixel belongs to
    or -1, labels of the digits left to right)."""
    from skimage.transform import resize

    from mnist_studies.segmentation import binarize

    height = int(rng.integers(28, 56))
    margin = height // 2
    small, share = 0, 1.0  # no draw without small_tail: the rows made before it stay the same
    if small_tail and count > 1 and rng.random() < small_tail:
        small, share = int(rng.integers(1, min(3, count - 1) + 1)), float(rng.uniform(*small_sizes))
    after = set()  # the digits a separator follows; no draw without separators, as for small_tail
    if separators and rng.random() < separators:
        if rng.random() < 0.6:
            after.add(count - 1)
        if count > 1 and (not after or rng.random() < 0.4):
            after.add(int(rng.integers(0, count - 1)))
    joined = bool(ligatures) and count > 1 and rng.random() < ligatures  # no draw without ligatures, as above
    glyphs, x = [], margin
    for k, index in enumerate(rng.integers(len(images), size=count)):
        digit = pages._tight(images[index]) / 255.0
        tall = height if k < count - small else max(3, round(share * height))
        stretch = np.exp(rng.uniform(*np.log(widths))) if widths else 1.0  # no draw without widths, as above
        width = max(3, round(digit.shape[1] * tall / digit.shape[0] * stretch))
        if glyphs:
            x -= int(rng.uniform(0.0, 0.12) * tall)
            if joined:
                x += int(rng.uniform(0.1, 0.4) * tall)
        shift = round(jitter * height)
        top = margin + height - tall + (int(rng.integers(-shift, shift + 1)) if shift else 0)
        glyphs.append((x, top, resize(digit, (tall, width), anti_aliasing=True), int(labels[index])))
        x += width
        if k in after:
            x += int(rng.uniform(-0.05, 0.15) * tall)
            mark = np.zeros((height + 2 * margin, tall + 6))
            used = pages.draw_separator(mark, marks[int(rng.integers(len(marks)))], 1, top + tall, tall, rng)
            glyphs.append((x, 0, mark[:, :used + 3], None))
            x += used + 3 + int(rng.uniform(0.0, 0.1) * tall)
    ink = np.zeros((height + 2 * margin, x + margin))
    owner = np.full(ink.shape, -1)
    digits = []
    for x0, y0, glyph, label in glyphs:
        region = ink[y0:y0 + glyph.shape[0], x0:x0 + glyph.shape[1]]
        stronger = glyph > region
        region[stronger] = glyph[stronger]
        if label is not None:  # a separator belongs to no digit
            owner[y0:y0 + glyph.shape[0], x0:x0 + glyph.shape[1]][stronger] = len(digits)
            digits.append(label)
    if joined:
        for left, right in zip(glyphs, glyphs[1:]):
            if left[3] is not None and right[3] is not None and rng.random() < 0.85:
                _ligature(ink, left, right, rng)
    grey = pages.on_paper(ink, 0.95, blur=rng.uniform(0.4, 1.0), noise=0.02, rng=rng)
    return binarize(grey, **AS_TRAINED), owner, digits


def _ligature(ink: np.ndarray, left, right, rng: np.random.Generator) -> None:
    """Join two neighbouring glyphs ((x, y, image, label), placed on ``ink``) by a stroke as a hand writing them in
    one movement does: from the right edge of the left one's ink, at a random height, to the left edge of the right
    one's, sagging or rising a little on the way (a quadratic curve), as thick as a digit's stroke."""
    ends = []
    for (x0, y0, glyph, _), side in ((left, -1), (right, 0)):
        rows = np.flatnonzero((glyph > 0.5).any(axis=1))
        band = rows[int(rng.uniform(0.1, 0.9) * (len(rows) - 1))]
        cols = np.flatnonzero(glyph[max(band - 1, 0):band + 2].max(axis=0) > 0.5)
        ends.append((y0 + band, x0 + cols[side]))
    (ya, xa), (yb, xb) = ends
    if xb <= xa:
        return
    h = left[2].shape[0]
    sag = rng.uniform(-0.15, 0.3) * h  # down (positive) more often than up: a join dips towards the baseline
    pen = max(1.5, 0.09 * h)
    t = np.linspace(0.0, 1.0, 12)
    ys = (1 - t) ** 2 * ya + 2 * t * (1 - t) * ((ya + yb) / 2 + sag) + t ** 2 * yb
    xs = (1 - t) * xa + t * xb
    for k in range(len(t) - 1):
        pages.draw_stroke(ink, ys[k], xs[k], ys[k + 1], xs[k + 1], pen)


def _label(mask: np.ndarray, owner: np.ndarray, totals: np.ndarray, box, digits: list[int], *,
           piece_min_aspect: float = PIECE_MIN_ASPECT) -> tuple[int, int]:
    """(label, source) of the stretch ``box`` by ``COVERAGE``: (digit, digit) for one digit, (``NOT_A_DIGIT``, the
    digit it was cut from) for a piece, (``NOT_A_DIGIT``, -1) for more than one, (-1, -1) for neither."""
    x0, y0, x1, y1 = box
    inside = owner[y0:y1, x0:x1][mask[y0:y1, x0:x1]]
    share = np.bincount(inside[inside >= 0], minlength=len(totals)) / np.maximum(totals, 1)
    main = int(np.argmax(share))
    other = float(np.max(np.delete(share, main))) if len(share) > 1 else 0.0
    if other >= COVERAGE["more"]:
        return NOT_A_DIGIT, -1
    if other > COVERAGE["sliver"]:
        return -1, -1
    if share[main] >= COVERAGE["digit"]:
        return digits[main], digits[main]
    if share[main] <= COVERAGE["piece"] and x1 - x0 >= piece_min_aspect * (y1 - y0):
        return NOT_A_DIGIT, digits[main]
    return -1, -1


def make_examples(images: np.ndarray, labels: np.ndarray, count: int, *, seed: int = 0,
                  reject_share: float = 0.5, piece_min_aspect: float = PIECE_MIN_ASPECT
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` normalized crops (float32, (count, 28, 28, 1)) with their labels (0-9, or ``NOT_A_DIGIT`` for
    ``reject_share`` of them) and the digit each crop was cut from (-1 for more than one digit), cut from rows of
    touching digits made from ``images`` (uint8, MNIST's 0-255) and ``labels`` (module docstring). Fully determined
    by ``seed``."""
    from mnist_studies.segmentation import candidate_stretches, ink_runs, normalize_digit, shrink_to_ink

    rng = np.random.default_rng(seed)
    wanted = {"digit": count - round(reject_share * count), "reject": round(reject_share * count)}
    found: dict[str, list] = {"digit": [], "reject": []}
    while any(len(found[kind]) < wanted[kind] for kind in found):
        mask, owner, digits = _row(rng, images, labels, int(rng.integers(2, 6)))
        totals = np.bincount(owner[mask & (owner >= 0)], minlength=len(digits))
        rows = np.flatnonzero(mask.any(axis=1))
        for a, b in ink_runs(mask.sum(axis=0)):
            blob = shrink_to_ink(mask, (a, int(rows[0]), b, int(rows[-1]) + 1))
            if blob is None or blob[2] - blob[0] <= blob[3] - blob[1]:  # the reader splits blobs wider than high
                continue
            stretches = [box for _, _, box in candidate_stretches(mask, blob)[1] if box is not None]
            for k in rng.permutation(len(stretches)):
                label, source = _label(mask, owner, totals, stretches[k], digits, piece_min_aspect=piece_min_aspect)
                kind = "digit" if 0 <= label < NOT_A_DIGIT else "reject"
                if label < 0 or len(found[kind]) >= wanted[kind] or (kind == "reject" and rng.random() < 0.7):
                    continue  # a blob gives many more rejects than digits: take about a third of them
                x0, y0, x1, y1 = stretches[k]
                found[kind].append((normalize_digit(mask[y0:y1, x0:x1]), label, source))
    chosen = found["digit"] + found["reject"]
    order = rng.permutation(len(chosen))
    x = np.stack([chosen[i][0] for i in order])[..., None]
    return x, np.asarray([chosen[i][1] for i in order], dtype=np.int64), np.asarray([chosen[i][2] for i in order],
                                                                                   dtype=np.int64)


SEPARATOR_MARKS = (".", "-", "--", "=")  # "/" and "," are left out: alone and normalized each is drawn like a 1


def make_separators(count: int, *, seed: int = 0) -> np.ndarray:
    """``count`` normalized crops (float32, (count, 28, 28, 1)) of a separator written alone (``SEPARATOR_MARKS``:
    ``pages.draw_separator``) after digits 28-55 px tall, on paper, binarized and cut to its ink as the reader cuts
    a box: the period, dash or "=" that ends an amount (``3500.-``, ``15000=``) is a box of its own, and is
    "not one digit" (``NOT_A_DIGIT``). Fully determined by ``seed``."""
    from mnist_studies.segmentation import binarize, normalize_digit, shrink_to_ink

    rng = np.random.default_rng(seed)
    crops = []
    while len(crops) < count:
        height = int(rng.integers(28, 56))
        ink = np.zeros((2 * height, 2 * height))
        kind = SEPARATOR_MARKS[int(rng.integers(len(SEPARATOR_MARKS)))]
        used = pages.draw_separator(ink, kind, height // 2, height + height // 2, height, rng)
        grey = pages.on_paper(ink[:, :height // 2 + used + height // 2], 0.95,
                              blur=rng.uniform(0.4, 1.0), noise=0.02, rng=rng)
        mask = binarize(grey, **AS_TRAINED)
        box = shrink_to_ink(mask, (0, 0, mask.shape[1], mask.shape[0]))
        if box is not None:
            x0, y0, x1, y1 = box
            crops.append(normalize_digit(mask[y0:y1, x0:x1]))
    return np.stack(crops)[..., None].astype(np.float32)


CLUTTER_KINDS = ("noise", "waves", "dots")  # ``make_clutter``'s backgrounds
CLUTTER_MIN_ASPECT = 0.25  # a narrower slab of clutter is drawn like a 1: left out
CLUTTER_MIN_PIECES = 2  # a slab of at most this many strokes and holes may be drawn like a digit: left out


def _clutter(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A ``size`` × ``size`` grey background with nothing written: random noise (smoothed or not), a printed pattern
    of wavy lines (guilloche) at a random angle, period and width, or a halftone of dots."""
    from scipy import ndimage

    if kind == "noise":
        field = ndimage.gaussian_filter(rng.uniform(0, 1, (size, size)), rng.uniform(0, 1.5))
        return np.clip(0.5 + (field - field.mean()) / (field.std() + 1e-9) * rng.uniform(0.1, 0.3), 0, 1)
    y, x = np.mgrid[:size, :size].astype(float)
    angle = rng.uniform(0, np.pi)
    u, v = np.cos(angle) * x + np.sin(angle) * y, -np.sin(angle) * x + np.cos(angle) * y
    if kind == "waves":
        phase = u / rng.uniform(4, 12) + rng.uniform(0, 6) * np.sin(v / rng.uniform(10, 40))
        ink = np.abs(np.sin(phase)) < rng.uniform(0.08, 0.35)
    else:
        period = rng.uniform(4, 10)
        ink = (np.sin(u * np.pi / period) * np.sin(v * np.pi / period)) ** 2 > rng.uniform(0.3, 0.8)
    return np.clip(rng.uniform(0.85, 0.95) - rng.uniform(0.3, 0.6) * ink + rng.normal(0, 0.02, ink.shape), 0, 1)


def _pieces(mask: np.ndarray) -> int:
    """Connected pieces of ``mask`` larger than a speck (at least 4 px and a tenth of its largest piece)."""
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    sizes = np.bincount(labels.ravel())[1:]
    return int(np.sum(sizes >= max(4, 0.1 * sizes.max()))) if count else 0


def _holes(mask: np.ndarray) -> int:
    """Holes in ``mask``: pieces of its background enclosed by ink, of at least 4 px."""
    from scipy import ndimage

    labels, count = ndimage.label(~np.pad(mask, 1))  # padded: the background outside is one piece, label 1
    return int(np.sum(np.bincount(labels.ravel())[2:] >= 4)) if count > 1 else 0


def make_clutter(count: int, *, seed: int = 0) -> np.ndarray:
    """``count`` normalized crops (float32, (count, 28, 28, 1)) of a page with nothing written (``CLUTTER_KINDS``),
    binarized as the reader does and cut into a slab 28-60 px tall and at least ``CLUTTER_MIN_ASPECT`` as wide as
    its ink is high, as the reader cuts a blob of such a background, of more than ``CLUTTER_MIN_PIECES`` strokes or
    holes (no digit has three): "not one digit" (``NOT_A_DIGIT``). Fully determined by ``seed``."""
    from mnist_studies.segmentation import binarize, normalize_digit, shrink_to_ink

    rng = np.random.default_rng(seed)
    crops = []
    while len(crops) < count:
        height = int(rng.integers(28, 61))
        mask = binarize(_clutter(rng, CLUTTER_KINDS[int(rng.integers(len(CLUTTER_KINDS)))], 3 * height),
                        **AS_TRAINED)
        width = int(height * rng.uniform(CLUTTER_MIN_ASPECT, 1.5))
        y0, x0 = int(rng.integers(0, 2 * height)), int(rng.integers(0, 3 * height - width))
        box = shrink_to_ink(mask, (x0, y0, x0 + width, y0 + height))
        if box is None or box[2] - box[0] < CLUTTER_MIN_ASPECT * (box[3] - box[1]):
            continue
        ink = mask[box[1]:box[3], box[0]:box[2]]
        if max(_pieces(ink), _holes(ink)) > CLUTTER_MIN_PIECES:
            crops.append(normalize_digit(ink))
    return np.stack(crops)[..., None].astype(np.float32)


def drop_ambiguous(x: np.ndarray, y: np.ndarray, source: np.ndarray, probabilities: np.ndarray,
                   *, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Leave out the pieces (``NOT_A_DIGIT`` crops cut from one digit, ``source`` >= 0) that a ten-class model (its
    ``probabilities`` for ``x``) still reads as the digit they were cut from with more than ``threshold``: the right
    half of a 3 is drawn like a 3, and teaching the model otherwise would make it doubt real digits. Crops of more than
    one digit (``source`` -1) are kept, however the model reads them: a 2 with half the 3 it touches is not a 2."""
    ambiguous = (y == NOT_A_DIGIT) & (source >= 0) & (probabilities[np.arange(len(y)), source] > threshold)
    return x[~ambiguous], y[~ambiguous]


MAX_DIGITS = 9  # the most digits in one row of ``make_rows`` (a page's row of touching digits holds up to 9)


def make_rows(images: np.ndarray, labels: np.ndarray, count: int, *, seed: int = 0,
              max_digits: int = MAX_DIGITS, jitter: float = 0.0, small_tail: float = 0.0, separators: float = 0.0,
              marks: tuple[str, ...] = pages.SEPARATORS, ligatures: float = 0.0,
              widths: tuple[float, float] | None = None,
              small_sizes: tuple[float, float] = SMALL_TAIL) -> tuple[np.ndarray, np.ndarray]:
    """``count`` rows of one to ``max_digits`` random digits, each touching or overlapping its left neighbour as in
    ``make_examples``, moved up or down by up to ``jitter`` × the row's height, in a share ``small_tail`` of the rows
    the last digits smaller (``small_sizes`` of the height), in a share ``separators`` with unlabelled separators
    (``marks``, ``_row``) and in a share ``ligatures`` joined up by strokes, each digit stretched across by a factor
    within ``widths``, normalized as the reader shows a blob to its row reader (``sequence.normalize_blob``): float32
    (count, 32, 256, 1) images, and their digits as CTC targets (int64 (count, ``max_digits``): digit d as d + 1, padded
    with the blank, 0). Fully determined by ``seed``."""
    from mnist_studies.segmentation import sequence

    rng = np.random.default_rng(seed)
    x = np.zeros((count, *sequence.SHAPE, 1), dtype=np.float32)
    y = np.zeros((count, max_digits), dtype=np.int64)
    for i in range(count):
        mask, _, digits = _row(rng, images, labels, int(rng.integers(1, max_digits + 1)), jitter=jitter,
                               small_tail=small_tail, separators=separators, marks=marks, ligatures=ligatures,
                               widths=widths, small_sizes=small_sizes)
        x[i, ..., 0] = sequence.normalize_blob(mask)[0]
        y[i, :len(digits)] = np.asarray(digits) + 1
    return x, y
