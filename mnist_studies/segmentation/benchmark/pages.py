"""Synthetic handwritten pages for measuring the page recognizer honestly.

Pages are composed from MNIST **test** digits (writers disjoint from the training set) with varied size and spacing,
touching pairs, several rows, uneven lighting, noise and blur, dark ink on light paper or the reverse. Each page
comes with its ground truth (the text and every digit's box), so anyone can regenerate and score them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SyntheticPage:
    image: np.ndarray  # uint8 (H, W)
    text: str  # rows separated by newlines
    boxes: list[tuple[int, int, tuple[int, int, int, int]]]  # (row, label, (x0, y0, x1, y1))


def _tight(image: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(image > 30)
    return image[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def make_page(seed: int, *, rows: int | None = None, width: int = 640, dark_ink: bool | None = None,
              touching: float = 0.2, lighting: float = 0.35, noise: float = 0.04, blur: float = 0.8,
              images: np.ndarray | None = None, labels: np.ndarray | None = None,
              separators: float = 0.0) -> SyntheticPage:
    """One synthetic page from MNIST test digits, fully determined by ``seed``.

    Args:
        rows: rows of digits (default: 2 to 4); width: page width in pixels (rows hold 3 to 9 digits).
        dark_ink: dark ink on light paper (default: drawn, 75% dark).
        touching: probability that a digit touches or slightly overlaps its left neighbour.
        lighting, noise, blur: gradient strength, Gaussian noise SD (grey levels in [0, 1]), blur sigma (pixels).
        images, labels: the digit source (default: the MNIST test set).
        separators: probability of a separator (``SEPARATORS``) after a digit, not in the text; 0 draws nothing
            more from the page's random numbers, so pages without separators stay as they were.
    """
    from skimage.transform import resize

    if images is None:
        from mnist_studies.data import load_mnist

        _, (images, labels) = load_mnist()
    rng = np.random.default_rng(seed)
    rows = rows or int(rng.integers(2, 5))
    dark_ink = bool(rng.random() < 0.75) if dark_ink is None else dark_ink
    heights = rng.integers(32, 64, size=rows)
    row_gap = int(rng.integers(14, 30))
    height = int(heights.sum() + row_gap * (rows + 1))
    ink = np.zeros((height, width))
    boxes, lines = [], []
    y = row_gap
    for r, h in enumerate(heights):
        x, line = int(rng.integers(10, 40)), ""
        for _ in range(int(rng.integers(3, 10))):
            index = int(rng.integers(len(images)))
            digit = _tight(images[index])
            w = max(4, round(digit.shape[1] * h / digit.shape[0]))
            if x + w > width - 10:
                break
            glyph = resize(digit / 255.0, (h, w), anti_aliasing=True)
            y0 = y + int(rng.integers(-3, 4))
            y0 = min(max(y0, 0), height - h)
            ink[y0:y0 + h, x:x + w] = np.maximum(ink[y0:y0 + h, x:x + w], glyph)
            boxes.append((r, int(labels[index]), (x, y0, x + w, y0 + h)))
            line += str(int(labels[index]))
            gap = -int(0.08 * h) if rng.random() < touching else int(rng.integers(int(0.15 * h), int(0.6 * h)))
            if separators and rng.random() < separators:
                gap = max(gap, int(0.15 * h))
                x += w + int(0.1 * h)
                x += draw_separator(ink, SEPARATORS[int(rng.integers(len(SEPARATORS)))], x, y0 + h, h, rng)
                w = 0
            x += w + gap
        lines.append(line)
        y += h + row_gap
    gradient = np.linspace(0, 1, width)[None, :] * np.ones((height, 1))
    if rng.random() < 0.5:
        gradient = gradient[:, ::-1]
    paper = 0.95 - lighting * gradient  # uneven lighting: the paper darkens towards one side
    page = on_paper(ink, paper, blur=blur, noise=noise, rng=rng)
    if not dark_ink:
        page = 1 - page
    return SyntheticPage((page * 255).astype(np.uint8), "\n".join(lines), boxes)


SEPARATORS = (".", ",", "-")


def draw_stroke(ink: np.ndarray, y0: float, x0: float, y1: float, x1: float, pen: float) -> None:
    """Draw on ``ink`` (0-1) a straight pen stroke ``pen`` pixels thick from (y0, x0) to (y1, x1): anti-aliased
    lines side by side, clipped to the image."""
    from skimage.draw import line_aa

    height, width = ink.shape
    for offset in np.arange(-pen / 2, pen / 2 + 0.01, 0.7):
        rr, cc, value = line_aa(int(round(y0 + offset)), int(round(x0)), int(round(y1 + offset)), int(round(x1)))
        keep = (rr >= 0) & (rr < height) & (cc >= 0) & (cc < width)
        ink[rr[keep], cc[keep]] = np.maximum(ink[rr[keep], cc[keep]], value[keep])


def draw_separator(ink: np.ndarray, kind: str, x: int, baseline: int, h: int, rng: np.random.Generator) -> int:
    """Draw a separator written by hand in a row of digits ``h`` pixels tall whose bottom is ``baseline``, from
    column ``x``: a period (a dot on the baseline), a comma (a dot with a tail down to the left), a dash (at half
    height, 0.25-0.45 × ``h`` long), a long dash ("--": 0.45-1.0 × ``h``, tilted by up to 10 degrees) or an equals
    sign ("=": two dashes 0.15-0.3 × ``h`` apart, as an amount's end is closed), or a period closed by a rising
    stroke (".-": 0.3-0.7 × ``h`` long, 0-25 degrees up; "./": 0.25-0.5 × ``h``, 30-60 degrees up), as amounts end
    in "3500.-". Returns its width in pixels."""
    from skimage.draw import disk

    pen = max(1.5, 0.09 * h)  # about MNIST's stroke at this height

    def stroke(y0, x0, y1, x1):
        draw_stroke(ink, y0, x0, y1, x1, pen)

    if kind == "-":
        length = rng.uniform(0.25, 0.45) * h
        y = baseline - rng.uniform(0.4, 0.55) * h
        stroke(y, x, y + rng.uniform(-0.05, 0.05) * h, x + length)
        return int(length) + 1
    if kind == "--":
        length = rng.uniform(0.45, 1.0) * h
        y = baseline - rng.uniform(0.2, 0.55) * h
        stroke(y, x, y - np.tan(np.radians(rng.uniform(-10, 10))) * length, x + length)
        return int(length) + 1
    if kind == "=":
        length, gap = rng.uniform(0.25, 0.5) * h, rng.uniform(0.15, 0.3) * h
        y = baseline - rng.uniform(0.2, 0.45) * h
        for top in (y - gap, y):
            start = x + rng.uniform(0, 0.1) * h
            stroke(top, start, top + rng.uniform(-0.05, 0.05) * h, start + length)
        return int(length + 0.1 * h) + 1
    if kind in (".-", "./"):
        used = draw_separator(ink, ".", x, baseline, h, rng)
        length, angle = (rng.uniform(0.3, 0.7), rng.uniform(0, 25)) if kind == ".-" else (rng.uniform(0.25, 0.5),
                                                                                           rng.uniform(30, 60))
        length, angle = length * h, np.radians(angle)
        x0, y0 = x + used + rng.uniform(0.0, 0.1) * h, baseline - rng.uniform(0.05, 0.3) * h
        stroke(y0, x0, y0 - np.sin(angle) * length, x0 + np.cos(angle) * length)
        return int(x0 - x + np.cos(angle) * length) + 1
    radius = pen * rng.uniform(0.6, 0.9)
    centre = (baseline - radius - rng.uniform(0, 0.05) * h, x + radius)
    rr, cc = disk(centre, radius, shape=ink.shape)
    ink[rr, cc] = 1.0
    if kind == ",":
        stroke(centre[0], centre[1] + radius * 0.3, centre[0] + 0.25 * h, centre[1] - 0.12 * h)
    return int(2 * radius) + 1


def on_paper(ink: np.ndarray, paper, *, blur: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Ink (0 = none, 1 = full) written on paper of grey level ``paper`` (a number or an array): the ink darkens the
    paper, the page is blurred (Gaussian, sigma ``blur`` pixels) and gets Gaussian noise (standard deviation
    ``noise``); grey levels in [0, 1]."""
    from scipy import ndimage

    page = paper * (1 - 0.85 * ink)
    page = ndimage.gaussian_filter(page, blur) + rng.normal(0, noise, page.shape)
    return np.clip(page, 0, 1)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _row_pairs(predicted: str, truth: str) -> tuple[list[tuple[str, str]], int]:
    """The (predicted, true) rows of a page, missing predicted rows as empty, and the digits of extra rows."""
    true_rows, predicted_rows = truth.split("\n"), predicted.split("\n") if predicted else []
    predicted_rows += [""] * (len(true_rows) - len(predicted_rows))
    return list(zip(predicted_rows, true_rows)), sum(len(p) for p in predicted_rows[len(true_rows):])


def score_text(predicted: str, truth: str) -> tuple[int, int]:
    """(correct digits, true digits) of a page: per row, the true digits minus the edit distance to the predicted
    row (missing rows count as empty), so a missed, extra or wrong digit each costs one."""
    rows, extra = _row_pairs(predicted, truth)
    total = sum(len(t) for _, t in rows)
    errors = sum(edit_distance(p, t) for p, t in rows) + extra
    return max(0, total - errors), total


def error_kinds(predicted: str, truth: str) -> tuple[int, int]:
    """A page's errors (as ``score_text`` counts them) split by where they come from: (errors in rows read with the
    right number of digits: the recognizer's, errors in rows read with another number of digits, or missing or extra
    rows: mostly the segmentation's)."""
    rows, extra = _row_pairs(predicted, truth)
    recognition = sum(sum(a != b for a, b in zip(p, t)) for p, t in rows if len(p) == len(t))
    return recognition, sum(edit_distance(p, t) for p, t in rows if len(p) != len(t)) + extra
