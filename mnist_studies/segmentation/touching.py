"""Stage 9 of the photo method, touching and broken digits: wide boxes split and broken strokes merged by what the
models read best."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import sequence
from mnist_studies.segmentation.recognition import digit_probabilities
from mnist_studies.segmentation.splitting import Boxes, shrink_to_ink, tall_pieces


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
            shrunk = shrink_to_ink(mask, (cuts[a], y0, cuts[b], y1))
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
    """Touching digits split by recognition: every box wider than ``min_aspect`` × its height is read as the
    sequence of its stretches that scores best.

    Candidate stretches come from ``candidate_stretches``; each is read by ``model`` (the 11-class shipped model gives
    a piece of a digit, or two digits, a low digit probability). A reading's score is the sum over its digits of
    log(top probability) + a per-digit bonus, less a width penalty for a digit wider than ``max_aspect`` × its height
    and a height penalty for one lower than ``min_height`` × the box (both scaled by ``aspect_scale``). The bonus is
    ``digit_bonus`` (-1.5: a box that may be one digit is split only when its pieces read much better) up to
    ``blob_aspect`` × its height wide, and ``blob_bonus`` in a wider blob. The whole box read as one digit is always a
    candidate, so a wide 0 stays whole. Dynamic programming finds the best reading. Defaults chosen on the tuning pages
    (docs/experiments.md, "Touching digits").

    Returns the digits' (row, box) in order, or with ``grouped`` a tuple of digit boxes per box of ``boxes``.
    """
    wide = [i for i, (_, (x0, y0, x1, y1)) in enumerate(boxes) if x1 - x0 > min_aspect * (y1 - y0)]
    plans, crops = {}, []
    for i in wide:
        cuts, stretches = candidate_stretches(mask, boxes[i][1], step=step, widths=widths, cut_gap=cut_gap)
        crops.extend(box for _, _, box in stretches if box is not None)
        plans[i] = (cuts, stretches)
    top = np.log(np.maximum(digit_probabilities(model, mask, crops, cache).max(axis=1), 1e-9)) if crops else []
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
    left to right; a box joins at most one other). ``cache``: the page's probabilities cache
    (``digit_probabilities``)."""
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
    top = digit_probabilities(model, mask, [box for _, box in boxes] + [union for _, union in pairs], cache).max(axis=1)
    merged, skip = {}, set()
    for k, (i, union) in enumerate(pairs):
        if i in skip:
            continue
        if top[len(boxes) + k] > prefer_parts * float(np.sqrt(top[i] * top[i + 1])):
            merged[i] = union
            skip.add(i + 1)
    return [(row, merged.get(i, box)) for i, (row, box) in enumerate(boxes) if i not in skip or i in merged]


SEQUENCE_FROM = 1.4  # the photo method also reads a blob wider than this × its height with the row reader
UNSURE_SEQUENCE = (0.7, 0.5)  # ... and a box wider than this × its height that the digit model reads less surely
# than this: two digits joined in a box not much wider than one ("10", "11", "90"), which the cuts miss


def split_touching(mask: np.ndarray, boxes: Boxes, model, row_model=None, *, min_aspect: float = SEQUENCE_FROM,
                   unsure: tuple[float, float] = UNSURE_SEQUENCE, cache: dict | None = None) -> Boxes:
    """Touching digits split: every box is cut and the cuts read by the digit model (``split_by_recognition``); with
    a ``row_model``, every blob wider than ``min_aspect`` × its height (1.4: few single digits are that wide), and
    every box wider than ``unsure[0]`` × its height that the digit model reads whole with less than ``unsure[1]``,
    is also read whole by the row reader (``sequence.read_blobs``, one prediction per page), and where the two
    readings differ the one both models find more probable is kept (``more_probable``). The row reader's digits put
    their probabilities into ``cache`` (``digit_probabilities``). Measurements: docs/experiments.md, "Touching
    digits", "The row reader's reading weighed against the cut one" and "Unsure boxes read by the row reader too".
    """

    cache = {} if cache is None else cache
    cuts = split_by_recognition(mask, boxes, model, cache=cache, grouped=True)
    if row_model is None:
        return [(row, digit_box) for (row, _), cut in zip(boxes, cuts) for digit_box in cut]
    whole = [box for _, box in boxes]
    sure = digit_probabilities(model, mask, whole, cache).max(axis=1) if whole else np.zeros(0)
    long = [box for box, p in zip(whole, sure) if box[2] - box[0] > min_aspect * (box[3] - box[1])
            or (box[2] - box[0] > unsure[0] * (box[3] - box[1]) and p < unsure[1])]
    readings = dict(zip(long, sequence.read_blobs(mask, long, row_model)))
    keep_cut = more_probable(mask, {box: cut for (_, box), cut in zip(boxes, cuts) if readings.get(box)}, readings,
                             model, row_model, cache)
    out = []
    for (row, box), cut in zip(boxes, cuts):
        if readings.get(box) and not keep_cut[box]:
            for digit_box, probabilities in readings[box]:
                cache[digit_box] = probabilities
                out.append((row, digit_box))
        else:
            out.extend((row, digit_box) for digit_box in cut)
    return out


def more_probable(mask: np.ndarray, cuts: dict, readings: dict, model, row_model, cache: dict) -> dict:
    """For each blob of ``cuts`` ({box: its digit boxes cut by ``split_by_recognition``}), whether the cut reading
    is kept rather than the row reader's (``readings``: {box: ``read_blobs``' reading}). Where their digits differ,
    each reading is scored by both models: the row reader's CTC log-probability of its digits
    (``sequence.text_log_probabilities``) plus the digit model's log-probabilities of its boxes, and the higher
    wins (the row reader's on a tie). The row reader reads overlapping digits no cut can free; the digit model reads
    a single digit better, and a blob the row reader misreads is often cut right."""
    probabilities = {box: digit_probabilities(model, mask, list(cut), cache) for box, cut in cuts.items()}
    texts = {box: ([int(np.argmax(p)) for _, p in readings[box]], [int(d) for d in p.argmax(axis=1)])
             for box, p in probabilities.items()}
    differ = [box for box, (row_text, cut_text) in texts.items() if row_text != cut_text]
    keep_cut = dict.fromkeys(cuts, False)
    if not differ:
        return keep_cut
    ctc = sequence.text_log_probabilities(mask, differ, row_model, [texts[box] for box in differ])
    row_boxes = digit_probabilities(model, mask, [b for box in differ for b, _ in readings[box]])  # not cached:
    # the row reader's probabilities go there for the boxes it keeps
    k = 0
    for box, (row_ctc, cut_ctc) in zip(differ, ctc):
        n = len(readings[box])
        row_digits = float(np.log(np.maximum(row_boxes[k:k + n].max(axis=1), 1e-9)).sum())
        cut_digits = float(np.log(np.maximum(probabilities[box].max(axis=1), 1e-9)).sum())
        keep_cut[box] = cut_ctc + cut_digits > row_ctc + row_digits
        k += n
    return keep_cut


TWO_STROKES = 0.6  # a box read as 1 holding two strokes this tall (× the box), side by side, is read as both


def split_two_strokes(mask: np.ndarray, boxes: Boxes, model, *, tall: float = TWO_STROKES, overlap: float = 0.5,
                      sure: float = 0.5, cache: dict | None = None) -> Boxes:
    """Two 1s side by side (``11``) whose slanted strokes share a column are one box to the row finder, and the
    model reads the pair as one 1 (a wide 1 is still a 1). A box the model reads as 1 that holds exactly two separate
    pieces of ink at least ``tall`` × its height, sharing at most ``overlap`` × the narrower one's columns, each read
    as a digit with at least ``sure``, becomes two boxes, cut in the middle of the columns they share. One 1 is one
    stroke: a flag or foot written apart is shorter. A stroke that goes on outside the box (a neighbour's sliver
    left in it by a cut) leaves the box whole."""
    pairs = {}
    for i, (_, box) in enumerate(boxes):
        x0, y0, x1, y1 = box
        # a pixel round the box: a stroke that goes on outside it is a piece of a neighbour cut off, not a 1
        top, left = max(y0 - 1, 0), max(x0 - 1, 0)
        dy, dx = top - y0, left - x0  # to the box's own coordinates
        strokes = [(slice(r.start + dy, r.stop + dy), slice(c.start + dx, c.stop + dx))
                   for r, c in tall_pieces(mask[top:y1 + 1, left:x1 + 1], tall * (y1 - y0))]
        inside = all(r.start >= 0 and r.stop <= y1 - y0 and c.start >= 0 and c.stop <= x1 - x0 for r, c in strokes)
        if len(strokes) != 2 or not inside:
            continue
        (rows_a, cols_a), (rows_b, cols_b) = sorted(strokes, key=lambda s: s[1].start)
        shared = cols_a.stop - cols_b.start
        if shared > overlap * min(cols_a.stop - cols_a.start, cols_b.stop - cols_b.start):
            continue
        left_end, right_start = x0 + cols_a.stop, x0 + cols_b.start
        if shared > 0:  # each box cut where the columns they share are halved
            left_end = right_start = x0 + (cols_a.stop + cols_b.start) // 2
        pairs[i] = ((x0 + cols_a.start, y0 + rows_a.start, left_end, y0 + rows_a.stop),
                    (right_start, y0 + rows_b.start, x0 + cols_b.stop, y0 + rows_b.stop))
    if not pairs:
        return boxes
    whole = digit_probabilities(model, mask, [boxes[i][1] for i in pairs], cache)
    parts = digit_probabilities(model, mask, [part for pair in pairs.values() for part in pair], cache)
    split = {i: pair for k, (i, pair) in enumerate(pairs.items())
             if whole[k].argmax() == 1 and parts[2 * k:2 * k + 2].max(axis=1).min() >= sure}
    return [(row, part) for i, (row, box) in enumerate(boxes) for part in split.get(i, (box,))]
