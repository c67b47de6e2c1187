"""Stage 3 of the photo method, scale and skew: the page brought to a working scale where digits are about 40 px tall,
and turned level."""

from __future__ import annotations

import numpy as np

from mnist_studies.segmentation import imaging

DIGIT_HEIGHT = 40  # px: the photo method's working scale, the middle of the synthetic pages' 32-64 px rows


KEEP_SCALE = (0.5, 2.0)  # pages whose digits are within these factors of DIGIT_HEIGHT (20-80 px) are not rescaled


MAX_WORKING_PIXELS = 16_000_000  # a page is never enlarged past this (tiny writing on a 12-megapixel photo)


SKEW = 6.0  # degrees: a page's rows are looked for this far either side of level, and on a page photographed
TURNED = 45.0  # askew this far, an angle beyond ``SKEW`` taken only where its rows are more peaked than anywhere
TURNED_MARGIN = (1.2, 1.1)  # within it by the first factor, or by the second where the ink also falls into more rows
ROW_GAP = 0.05  # rows are runs of the projection above this share of its peak


def skew_angle(mask: np.ndarray, *, max_degrees: float = SKEW, turned: float = TURNED,
               margin: tuple[float, float] = TURNED_MARGIN, step: float = 0.25) -> float:
    """The rotation (degrees, counter-clockwise positive as ``skimage.transform.rotate``) that makes the page's rows
    horizontal: the angle whose horizontal projection of the ink is the most peaked (largest sum of squared row
    sums: the ink is the same at every angle, so this rewards concentrating it in few rows), searched every ``step``
    from -``max_degrees`` to +``max_degrees`` on a downscaled mask. Beyond, up to ``turned`` (every degree, then every
    ``step`` around the best), an angle is taken only when it is ``margin[0]`` times more peaked, or ``margin[1]``
    times and splits the ink into more rows, at least two (``ROW_GAP``): a single short row, a cheque's amount, can
    be almost as peaked at a wrong angle. The ink pixels' coordinates are turned, not the image (200× faster)."""

    factor = max(1, round(min(mask.shape) / 150))
    small = imaging.any_in_blocks(mask, factor)  # a table's thin lines, strided, left dots at a wrong angle
    ys, xs = np.nonzero(small)
    if not len(ys):
        return 0.0
    y, x = ys - small.shape[0] // 2, xs - small.shape[1] // 2  # whole numbers: level rows stay one row each

    def best_of(angles: np.ndarray) -> tuple[float, float, int]:
        best, best_score, best_profile = 0.0, -1.0, np.zeros(1)
        for angle in angles:
            theta = np.deg2rad(angle)  # counter-clockwise on screen: a point right of the centre moves up
            rows = np.floor(y * np.cos(theta) - x * np.sin(theta) + 0.5).astype(np.int64)
            profile = imaging.gaussian_filter1d(np.bincount(rows - rows.min()).astype(float), 1.0)  # no aliasing
            score = float(np.square(profile).sum())
            if score > best_score + 1e-9:
                best, best_score, best_profile = float(angle), score, profile
        on = best_profile > ROW_GAP * best_profile.max()
        return best, best_score, int(np.count_nonzero(np.diff(on.astype(np.int8), prepend=0) == 1))

    near, near_score, near_rows = best_of(np.arange(-max_degrees, max_degrees + step / 2, step))
    if turned <= max_degrees:
        return near
    coarse = np.arange(-np.floor(turned), np.floor(turned) + 0.5, 1.0)
    far, _, _ = best_of(coarse[np.abs(coarse) > max_degrees])
    far, far_score, far_rows = best_of(np.clip(np.arange(far - 1 + step, far + 1, step), -turned, turned))
    if abs(far) > max_degrees and (far_score >= margin[0] * near_score or (
            far_score >= margin[1] * near_score and far_rows >= 2 and far_rows > near_rows)):
        return far
    return near


def turn_map(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The page of ``shape`` (rows, columns) turned by ``angle`` degrees about its centre (counter-clockwise),
    enlarged to hold all of it: the 3 × 3 matrix that maps (x, y, 1) on the turned page to the page, and the turned
    page's shape. Built as ``skimage.transform.rotate(..., resize=True)`` builds it (a test holds them equal), without
    importing ``skimage.transform`` (scipy.spatial and scipy.linalg: 0.25 s of a cold start)."""
    rows, cols = shape
    cx, cy = cols / 2.0 - 0.5, rows / 2.0 - 0.5
    cos, sin = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))

    def move(x: float, y: float) -> np.ndarray:
        return np.array([[1.0, 0.0, x], [0.0, 1.0, y], [0.0, 0.0, 1.0]])

    turn = move(cx, cy) @ np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]]) @ move(-cx, -cy)
    corners = np.array([[0, 0, 1], [0, rows - 1, 1], [cols - 1, rows - 1, 1], [cols - 1, 0, 1]], dtype=float)
    corners = corners @ np.linalg.inv(turn).T
    low, high = corners[:, :2].min(axis=0), corners[:, :2].max(axis=0)
    out_cols, out_rows = np.around(high - low + 1)
    return turn @ move(*low), (int(out_rows), int(out_cols))


def levelled_to_page(points: np.ndarray, shape: tuple[int, int], angle: float) -> np.ndarray:
    """Points (N, 2) as (x, y) in a page that ``deskew`` turned by ``angle`` degrees back to where they lie on the
    page before (of ``shape`` (rows, columns)): ``turn_map``."""
    points = np.asarray(points, dtype=np.float64)
    if not angle:
        return points
    matrix, _ = turn_map(shape, angle)
    return points @ matrix[:2, :2].T + matrix[:2, 2]


def deskew(grey: np.ndarray, mask: np.ndarray, *, min_degrees: float = 0.5) -> tuple[np.ndarray, float]:
    """``grey`` (dark ink on light paper) rotated so that its rows are horizontal (``skew_angle`` of ``mask``;
    bilinear, white where the page was not), and the angle; pages within ``min_degrees`` of level are returned as
    they are."""

    angle = skew_angle(mask)
    if abs(angle) < min_degrees:
        return grey, 0.0
    turned = turn(grey, angle, cval=1.0)
    return np.clip(turned, min(grey.min(), 1.0), max(grey.max(), 1.0), out=turned), angle


def turn(image: np.ndarray, angle: float, *, cval: float) -> np.ndarray:
    """``image`` turned by ``angle`` degrees as ``deskew`` turns a page (``turn_map``; bilinear, ``cval`` where the
    image was not)."""
    matrix, shape = turn_map(image.shape, angle)
    # ndimage indexes (row, column): the (x, y) matrix with its axes swapped
    return imaging.affine_transform(image, matrix[[1, 0]][:, [1, 0]], matrix[[1, 0], 2], shape, cval=cval)


def digit_height(mask: np.ndarray) -> float | None:
    """The height of the ink blobs (8-connected components) of ``mask``, their median weighted by ink, leaving out
    those under 4 pixels, those over half the page wide (a table's frame) and those over half the page tall and six
    times taller than wide (a shadow's edge): the digits of a small field, taller than half of it, count. None when
    fewer than three remain. Weighted by ink, the many short pieces a printed pattern leaves do not outvote the
    digits. Pass a mask without rules (``remove_rules``): the grid of squared paper joins every digit into one blob."""

    labels, count = imaging.label(mask, structure=np.ones((3, 3)))
    height, width = mask.shape
    ink = np.bincount(labels.ravel(), minlength=count + 1)
    heights, weights = [], []
    for k, s in enumerate(imaging.find_objects(labels, count), start=1):
        if s is None:
            continue
        h, w = s[0].stop - s[0].start, s[1].stop - s[1].start
        if 4 <= h and w <= width / 2 and not (h > height / 2 and h > 6 * w):
            heights.append(h)
            weights.append(ink[k])
    if len(heights) < 3:
        return None
    order = np.argsort(heights, kind="stable")
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(heights)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def working_scale(mask: np.ndarray, *, target: int = DIGIT_HEIGHT, keep: tuple[float, float] = KEEP_SCALE,
                  max_pixels: int = MAX_WORKING_PIXELS) -> float:
    """The factor that brings a page's digits (``digit_height``) to ``target`` px tall, or 1.0 when it is within
    ``keep`` (an ordinary page) or the height cannot be told.

    An enlarged page stays within ``max_pixels`` (specks on a 12-megapixel photo would ask for hundreds of megapixels);
    a shrunk one keeps at least 80 px on its shorter side. Why rescale: the flattening's window and the strokes the
    classifier sees then match an ordinary page's (docs/experiments.md, "Working scale").
    """
    height = digit_height(mask)
    if height is None:
        return 1.0
    factor = target / height
    if keep[0] <= factor <= keep[1]:
        return 1.0
    factor = min(factor, float(np.sqrt(max_pixels / mask.size)))
    return 1.0 if keep[0] <= factor <= keep[1] else factor


def resize(image: np.ndarray, shape: tuple[int, int], *, anti_aliasing: bool = True) -> np.ndarray:
    """``image`` (2-D, float) resized to ``shape``: Gaussian-smoothed along each axis it shrinks (σ = (factor − 1) / 2,
    with ``anti_aliasing``), interpolated bilinearly with mirrored edges and clipped to its range. This is what
    ``skimage.transform.resize(..., order=1, preserve_range=True)`` computes (a test holds them equal), without
    importing ``skimage.transform``, whose imports (scipy.spatial, scipy.linalg) cost 0.1 s of every cold start."""

    image = np.asarray(image, dtype=np.float32 if image.dtype == np.float32 else np.float64)
    factors = np.divide(image.shape, shape)
    sigma = np.maximum(0, (factors - 1) / 2) if anti_aliasing else np.zeros(2)
    if max(shape) <= imaging.SMALL:  # a digit's box: only the samples' rows and columns are smoothed
        out = imaging.smoothed_zoom(image, sigma, shape)
    else:
        out = imaging.zoom(imaging.gaussian_filter(image, sigma) if anti_aliasing else image, shape)
    return np.clip(out, image.min(), image.max(), out=out)


def rescale(grey: np.ndarray, factor: float) -> np.ndarray:
    """``grey`` (H, W) resized by ``factor`` (bilinear; anti-aliased when shrinking), values kept in [0, 1]."""
    if factor == 1.0:
        return grey
    shape = tuple(int(n) for n in np.maximum(np.round(factor * np.asarray(grey.shape)), 1))  # as skimage's rescale
    return np.clip(resize(grey, shape, anti_aliasing=factor < 1), 0.0, 1.0)
