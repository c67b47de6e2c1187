"""The page reader as one call: load, prepare, segment, split, recognize, build the result."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from mnist_studies.segmentation import conventions, geometry, imaging, light, sequence
from mnist_studies.segmentation.binarization import lighter_ink
from mnist_studies.segmentation.loading import page_size, read_page
from mnist_studies.segmentation.preparation import PreparedPage, first_look, prepare_page
from mnist_studies.segmentation.recognition import digit_probabilities
from mnist_studies.segmentation.result import Digit, PageResult
from mnist_studies.segmentation.splitting import Boxes, segment, tall_pieces
from mnist_studies.segmentation.touching import merge_by_recognition, split_touching, split_two_strokes

SECOND_LOOK_BELOW = 0.9  # the photo method reads a digit it is less sure of again with its lighter ink
CONTEXT_BELOW = 0.5  # ... and a digit still less probable than this by the row reader too, with its neighbours
NOT_A_DIGIT_ABOVE = 0.999  # the photo method drops a box the 11-class model is this sure is not one digit
SMALL_DIGIT = 0.3  # the photo method keeps a low box on the baseline this tall (× the row) as a digit of its own
MANY_STROKES = 4  # the photo method drops a box holding more pieces of ink than this, each at least half its height
MANY_HOLES = 50  # ... or enclosing more holes than this (a grainy pencil digit: 10; a cloth's weave: thousands)
SCATTERED = 0.25  # ... or whose largest piece holds less than this share of its ink (digits: 0.36 or more)
SMALL_ROW = 0.5  # the photo method drops a row whose boxes are all lower than this × the other rows' median box
CLOSING_MARK = (0.6, 0.9)  # the photo method drops a row's last box lower than this × its other boxes (their
# median height) and read less surely than this: the "=", "-" or ".-" that closes an amount (``drop_closing_marks``)
LOOP = 0.05  # ... unless paper enclosed by its ink is at least this share of its box: a small 0, 6, 8 or 9
FAINT_SURE = (0.9, 0.1)  # a page read only once its faint ink was stretched keeps its digits when their median
#                         probability is at least this and at most this share are below even odds (``faint_writing``)
FAINT_DIGIT = 10  # ... and its digits' median box is at least this many pixels tall on the image
FAINT_INK_SHARE = 0.2  # ... and its ink covers at most this share of the page (pencil: 3-12%; crumpled paper: 24-25%)
INK = {"auto": None, "dark": True, "light": False}  # ``recognize_page``'s ``dark_ink`` by name (``--ink``)
LARGE_PIXELS = 1_000_000  # a larger photo is read at a reduced size (``read_photo``)
PREVIEW_PIXELS = 500_000  # ... chosen on a preview of about this size


def read_photo(path: str | Path, *, dark_ink: bool | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """The image the photo method reads, and the file's (rows, columns). Up to ``LARGE_PIXELS`` the whole image; a
    larger one (a phone's 12-megapixel photo) is first read as a preview of about ``PREVIEW_PIXELS`` to measure its
    digits, then read reduced by the largest whole factor that leaves them at least the working height
    (``geometry.DIGIT_HEIGHT``), so a big photo costs little more than a small one. A photo whose digits the preview
    cannot tell is read whole. ``dark_ink`` as ``recognize_page``'s."""
    rows, cols = page_size(path)
    if rows * cols <= LARGE_PIXELS:
        return read_page(path, colour=True), (rows, cols)
    preview = int(np.ceil(np.sqrt(rows * cols / PREVIEW_PIXELS)))
    height = geometry.digit_height(first_look(read_page(path, colour=True, reduce=preview),
                                              dark_ink=dark_ink).scale_mask)
    reduce = 1 if height is None else max(1, int(height * preview // geometry.DIGIT_HEIGHT))
    return read_page(path, colour=True, reduce=reduce), (rows, cols)


def recognize_page(path: str | Path, model, *, grey: np.ndarray | None = None, method: str = "paper",
                   second_look: float = SECOND_LOOK_BELOW, row_model=None,
                   input_shape: tuple[int, int] | None = None, crossed_sevens: bool = False,
                   dark_ink: bool | None = None) -> PageResult:
    """Read the digits of one page.

    Args:
        path: the image file (or, with ``grey``, only the name the result carries).
        model: the digit model (``load_digit_model``).
        grey: the page already read (grey, or RGB for the photo method; ``read_photo``).
        method: ``"paper"`` (the paper's pipeline) or ``"photo"`` (light, scale, lines and touching digits too).
        second_look: the photo method reads a digit less probable than this again with its lighter ink (0: never).
        row_model: the row reader of touching digits (``load_row_model``), used by the photo method.
        input_shape: (rows, columns) of the file when ``grey`` is it reduced (``read_photo``): boxes are given on it.
        crossed_sevens: the writer crosses 7s, a 7 without a crossbar is a 1 (else the result holds that reading too).
        dark_ink: the ink is darker than the paper (True) or lighter (False: chalk); None: judged (``INK``: by name).

    Returns a ``PageResult`` whose boxes lie on the input image, however the page was rescaled and levelled to read it.
    """
    prepared, boxes, probabilities = read_boxes(path, model, grey=grey, method=method, second_look=second_look,
                                                row_model=row_model, input_shape=input_shape,
                                                crossed_sevens=crossed_sevens, dark_ink=dark_ink)
    if not boxes:
        return PageResult(str(path), "", [])
    return build_result(path, prepared, boxes, probabilities)


def read_boxes(path: str | Path, model, *, grey: np.ndarray | None = None, method: str = "paper",
               second_look: float = SECOND_LOOK_BELOW, row_model=None,
               input_shape: tuple[int, int] | None = None,
               crossed_sevens: bool = False, dark_ink: bool | None = None) -> tuple[PreparedPage, Boxes, np.ndarray]:
    """``recognize_page`` before its result (same arguments): the prepared page, the digit boxes kept (row, box on
    its working-scale ``mask``) and their ten digits' probabilities, (N, 10). The photo method reads a page where it
    found nothing but ink too faint to stretch, or rules (``FirstLook.read_again``), again with its rules filled in
    from around them and its ink stretched from ``light.FAINTEST_INK`` (never enlarged), and keeps what it reads there
    when it is writing (``faint_writing``)."""
    if grey is None and method == "photo":
        grey, input_shape = read_photo(path, dark_ink=dark_ink)
    image = read_page(path) if grey is None else grey
    options = dict(method=method, second_look=second_look, row_model=row_model, crossed_sevens=crossed_sevens)
    prepared = _prepared(image, method, input_shape, dark_ink=dark_ink)
    boxes, probabilities = _read_prepared(prepared, model, **options)
    if boxes or not prepared.read_again:
        return prepared, boxes, probabilities
    faint = _prepared(image, method, input_shape, stretch_from=light.FAINTEST_INK, without_rules=True,
                      dark_ink=dark_ink, enlarge=False)
    faint_boxes, faint_probabilities = _read_prepared(faint, model, **options)
    if faint_writing(faint.mask, faint_boxes, faint_probabilities, scale=faint.scale):
        return faint, faint_boxes, faint_probabilities
    return prepared, boxes, probabilities


def faint_writing(mask: np.ndarray, boxes: Boxes, probabilities: np.ndarray, *, scale: float = 1.0,
                  sure: tuple[float, float] = FAINT_SURE) -> bool:
    """Whether the digits read in ``mask``, a page's ink only once its faint ink was stretched, are writing: ink on at
    most ``FAINT_INK_SHARE`` of the page, two digits or more, legible (their median box at least ``FAINT_DIGIT`` px
    tall on the image, the mask being ``scale`` times it), their median probability at least ``sure[0]`` and at most
    ``sure[1]`` of them below even odds. Stretched, a blank page's shading reads as unsure digits (folds, an empty
    sheet's rules), as tall "8"s over a quarter of the page (crumpled paper), as a sure 1 (an edge) or as specks."""
    if len(boxes) < 2 or np.count_nonzero(mask) > FAINT_INK_SHARE * mask.size:
        return False
    best = probabilities.max(axis=1)
    height = float(np.median([box[3] - box[1] for _, box in boxes])) / scale
    return height >= FAINT_DIGIT and float(np.median(best)) >= sure[0] and float(np.mean(best < 0.5)) <= sure[1]


def _prepared(image: np.ndarray, method: str, input_shape: tuple[int, int] | None, **options) -> PreparedPage:
    prepared = prepare_page(image, method=method, **options)  # light, scale, skew, binarization, lines
    if input_shape is not None and tuple(input_shape) != image.shape[:2]:  # read reduced: boxes on the file
        prepared = dataclasses.replace(prepared, scale=prepared.scale * image.shape[1] / input_shape[1],
                                       input_shape=tuple(input_shape))
    return prepared


def _read_prepared(prepared: PreparedPage, model, *, method: str, second_look: float, row_model,
                   crossed_sevens: bool) -> tuple[Boxes, np.ndarray]:
    """``read_boxes`` on a prepared page: its digit boxes and their probabilities."""
    boxes = find_digits(prepared.mask, method=method)  # rows, then digit boxes by projection
    if not boxes:
        return [], np.zeros((0, 10))
    cache: dict = {}  # each box is read once, whichever stage asks first
    if method == "photo":  # broken strokes merged, touching digits split, two 1s in one box parted
        boxes = split_touching(prepared.mask, merge_by_recognition(prepared.mask, boxes, model, cache=cache), model,
                               row_model, cache=cache)
        boxes = split_two_strokes(prepared.mask, boxes, model, cache=cache)
    probabilities = read_digits(model, prepared, boxes, cache, second_look=second_look if method == "photo" else 0)
    if method == "photo":  # what the model calls "not one digit" almost surely (noise, a pattern, a texture)
        kept = np.flatnonzero(probabilities.sum(axis=1) > 1.0 - NOT_A_DIGIT_ABOVE)
        kept = kept[drop_closing_marks(prepared.mask, [boxes[i] for i in kept], probabilities[kept])]
        kept = kept[drop_small_rows([boxes[i] for i in kept])]
        kept = kept[[not (too_many_strokes(prepared.mask, boxes[i][1]) or too_many_holes(prepared.mask, boxes[i][1])
                          or scattered(prepared.mask, boxes[i][1])) for i in kept]]
        boxes, probabilities = [boxes[i] for i in kept], probabilities[kept]
        if row_model is not None:
            probabilities = read_in_context(prepared.mask, boxes, probabilities, row_model)
        probabilities = conventions.styles_mnist_lacks(probabilities)  # a 4 written like an "h" read as 6, ...
    if crossed_sevens:
        probabilities = conventions.uncrossed_sevens_as_ones(prepared.mask, boxes, probabilities)
    return boxes, probabilities


def read_in_context(mask: np.ndarray, boxes: Boxes, probabilities: np.ndarray, row_model, *,
                    below: float = CONTEXT_BELOW) -> np.ndarray:
    """``probabilities`` with each digit read with less than ``below`` also read by the row reader, the box with
    its neighbours in its row as one blob (``sequence.read_blobs``), and the two readings' geometric mean kept
    (scaled to the digit model's total, so "not one digit" keeps its share); where the row reader reads another
    number of digits in that blob, the digit model's reading stands. A digit the digit model gives less than even
    odds is about as often wrong as right; the row reader sees it at its row's scale, beside its neighbours."""
    unsure = [i for i in range(len(boxes)) if probabilities[i].max() < below]
    if not unsure:
        return probabilities
    blobs, places = [], []
    for i in unsure:
        row = boxes[i][0]
        around = [j for j in (i - 1, i, i + 1) if 0 <= j < len(boxes) and boxes[j][0] == row]
        x0, y0, x1, y1 = zip(*(boxes[j][1] for j in around))
        blobs.append((min(x0), min(y0), max(x1), max(y1)))
        places.append((i, around.index(i), len(around)))
    probabilities = probabilities.copy()
    for (i, place, count), reading in zip(places, sequence.read_blobs(mask, blobs, row_model)):
        if len(reading) == count:
            mean = np.sqrt(np.maximum(probabilities[i], 1e-9) * np.maximum(reading[place][1], 1e-9))
            probabilities[i] = mean / mean.sum() * probabilities[i].sum()
    return probabilities


def drop_closing_marks(mask: np.ndarray, boxes: Boxes, probabilities: np.ndarray, *, lower: float = CLOSING_MARK[0],
                       unsure: float = CLOSING_MARK[1], loop: float = LOOP) -> np.ndarray:
    """The indices of ``boxes`` to keep: all but the last box of each row of three or more that is lower than
    ``lower`` × the median height of the row's other boxes and whose digit is less probable than ``unsure``. Amounts
    end in "=", "-" or ".-" (``15000=``), a mark the model never learned and reads as an unsure 2, 3 or 6; a small
    digit that ends a row (``3.400``'s zeros) is read surely and stays, and so does one whose ink in ``mask``
    encloses paper (at least ``loop`` × its box): no closing mark is a loop, a small 0 read unsurely is."""
    keep = np.ones(len(boxes), dtype=bool)
    for row in {row for row, _ in boxes}:
        members = sorted((i for i, (r, _) in enumerate(boxes) if r == row), key=lambda i: boxes[i][1][0])
        if len(members) < 3:
            continue
        *others, last = members
        heights = [boxes[i][1][3] - boxes[i][1][1] for i in others]
        x0, y0, x1, y1 = boxes[last][1]
        if y1 - y0 < lower * float(np.median(heights)) and probabilities[last].max() < unsure:
            ink = mask[y0:y1, x0:x1].astype(bool)
            enclosed = np.count_nonzero(imaging.binary_fill_holes(ink) & ~ink)
            keep[last] = enclosed > 0 and enclosed >= loop * ink.size
    return np.flatnonzero(keep)


def too_many_strokes(mask: np.ndarray, box, *, most: int = MANY_STROKES) -> bool:
    """Whether the box of ``mask`` holds more than ``most`` separate pieces of ink each at least half its height: not
    one digit, whatever the model reads, but parallel lines (a printed pattern's wavy lines taken as one box). A digit
    is one stroke or a few, broken ones shorter."""
    x0, y0, x1, y1 = box
    return len(tall_pieces(mask[y0:y1, x0:x1], 0.5 * (y1 - y0))) > most


def too_many_holes(mask: np.ndarray, box, *, most: int = MANY_HOLES) -> bool:
    """Whether the ink of the box of ``mask`` encloses more than ``most`` holes of 4 pixels or more: not one digit but
    a mesh (a cloth's weave binarized into one net across the page, read as a page-sized 1)."""
    x0, y0, x1, y1 = box
    ink = mask[y0:y1, x0:x1].astype(bool)
    labels, count = imaging.label(imaging.binary_fill_holes(ink) & ~ink)
    return count > most and int((np.bincount(labels.ravel())[1:] >= 4).sum()) > most


def scattered(mask: np.ndarray, box, *, largest: float = SCATTERED) -> bool:
    """Whether the ink of the box of ``mask`` is scattered: its largest 8-connected piece holds less than ``largest``
    of it. A digit is mostly one stroke, even broken; a crumpled sheet's folds binarize into blobs that the rows
    group into page-tall boxes of a dozen or more pieces, read as sure 8s."""
    x0, y0, x1, y1 = box
    labels, count = imaging.label(mask[y0:y1, x0:x1], structure=np.ones((3, 3), dtype=bool))
    if count < 2:
        return False
    sizes = np.bincount(labels.ravel())[1:]
    return int(sizes.max()) < largest * int(sizes.sum())


def drop_small_rows(boxes: Boxes, *, lower: float = SMALL_ROW) -> np.ndarray:
    """The indices of ``boxes`` to keep: all but those of a row whose boxes are all lower than ``lower`` × the median
    height of the other rows' boxes. Pieces of a printed line or pattern that the page's edge cuts off (a form's rule
    above a cheque's amount, a guilloche's crests) form a row of short boxes read as 1s or 4s; handwriting's rows
    are of one size. A page of one row keeps it."""
    rows = np.array([row for row, _ in boxes])
    heights = np.array([box[3] - box[1] for _, box in boxes], dtype=np.float64)
    keep = np.ones(len(boxes), dtype=bool)
    for row in np.unique(rows):
        others = heights[rows != row]
        if len(others) and heights[rows == row].max() < lower * float(np.median(others)):
            keep[rows == row] = False
    return np.flatnonzero(keep)


def find_digits(mask: np.ndarray, *, method: str) -> Boxes:
    """The digit boxes of a mask: the paper's projection, or the photo method's rows of blobs whose wide blobs are
    left whole for recognition to split."""
    if method == "photo":
        return segment(mask, min_row_share=0.25, touching=np.inf, slants=(), rows="blobs", small_digit=SMALL_DIGIT)
    return segment(mask)


def read_digits(model, prepared: PreparedPage, boxes: Boxes, cache: dict, *, second_look: float) -> np.ndarray:
    """The ten digits' probabilities of every box; a box read with less than ``second_look`` is read again with
    the lighter ink connected to it (``lighter_ink``), and the surer reading kept."""
    probabilities = digit_probabilities(model, prepared.mask, [box for _, box in boxes], cache)
    unsure = np.flatnonzero(probabilities.max(axis=1) < second_look)
    if len(unsure):
        again = digit_probabilities(model, lighter_ink(prepared.page, prepared.mask), [boxes[i][1] for i in unsure])
        surer = again.max(axis=1) > probabilities[unsure].max(axis=1)
        probabilities[unsure[surer]] = again[surer]
    return probabilities


def build_result(path: str | Path, prepared: PreparedPage, boxes: Boxes, probabilities: np.ndarray) -> PageResult:
    """The ``PageResult``: each digit's label, probability and three most probable labels, its box on the input; its
    7s counted with and without a crossbar, and the page as read where its writer crosses 7s
    (``as_crossing_writer``, where a 7 has none: ``conventions.by_convention`` chooses between the two)."""
    plain = conventions.plain_sevens(prepared.mask, boxes, probabilities)
    result = _result(path, prepared, boxes, probabilities)
    result.sevens = (int(np.count_nonzero(probabilities.argmax(axis=1) == 7)) - len(plain), len(plain))
    if plain:
        result.as_crossing_writer = _result(path, prepared, boxes, conventions.uncrossed_sevens_as_ones(
            prepared.mask, boxes, probabilities))
    return result


def _result(path: str | Path, prepared: PreparedPage, boxes: Boxes, probabilities: np.ndarray) -> PageResult:
    ranked = np.argsort(-probabilities, axis=1, kind="stable")[:, :3]
    found = [Digit(int(ranked[i, 0]), float(probabilities[i, ranked[i, 0]]), prepared.to_input(box), row,
                   [(int(k), float(probabilities[i, k])) for k in ranked[i]])
             for i, (row, box) in enumerate(boxes)]
    result = PageResult(str(path), "", found)
    result.text = result.text_at(0.0)
    return result
