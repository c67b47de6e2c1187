"""The image operations the reader uses, on OpenCV and NumPy. Each computes what the ``scipy.ndimage`` or
``skimage.filters`` function of the same name computes, for the arguments the reader passes (tests hold them equal),
without importing SciPy: importing ``scipy.ndimage`` alone took 0.3 s of a 0.8 s cold start (docs/speed.md)."""

from __future__ import annotations

import functools

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SMALL = 256  # outputs up to this many pixels on a side (a digit's 20 × 20) are resized by cached matrices

CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=np.uint8)  # scipy.ndimage's default structure


def _u8(mask: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(mask, dtype=np.uint8)


def _structure(structure) -> np.ndarray:
    return CROSS if structure is None else np.ascontiguousarray(structure, dtype=np.uint8)


def label(mask: np.ndarray, structure=None) -> tuple[np.ndarray, int]:
    """Connected components numbered in raster order from 1: 4-connected, or 8-connected for a 3 × 3 ``structure``
    (Wu's algorithm numbers them as ``ndimage.label`` does)."""
    mask = np.asarray(mask)
    if not mask.size:
        return np.zeros(mask.shape, dtype=np.int32), 0
    connectivity = 4 if structure is None or not np.asarray(structure).all() else 8
    count, labels = cv2.connectedComponentsWithAlgorithm(_u8(mask != 0), connectivity, cv2.CV_32S, cv2.CCL_WU)
    return labels, count - 1


def find_objects(labels: np.ndarray, max_label: int | None = None) -> list[tuple[slice, slice] | None]:
    """Each label's bounding box as a pair of slices (None for a label with no pixel), labels 1 to ``max_label``."""
    count = int(labels.max(initial=0)) if max_label is None else max_label
    ys, xs = np.nonzero(labels)
    which = labels[ys, xs]
    keep = which <= count
    ys, xs, which = ys[keep], xs[keep], which[keep]
    big = np.iinfo(np.int64).max
    top, left = np.full(count + 1, big), np.full(count + 1, big)
    bottom, right = np.full(count + 1, -1), np.full(count + 1, -1)
    np.minimum.at(top, which, ys)
    np.minimum.at(left, which, xs)
    np.maximum.at(bottom, which, ys)
    np.maximum.at(right, which, xs)
    return [(slice(int(top[i]), int(bottom[i]) + 1), slice(int(left[i]), int(right[i]) + 1)) if bottom[i] >= 0
            else None for i in range(1, count + 1)]


def binary_dilation(mask: np.ndarray, structure=None, iterations: int = 1) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if not mask.size:
        return mask.copy()
    return cv2.dilate(_u8(mask), _structure(structure), iterations=iterations, borderType=cv2.BORDER_CONSTANT,
                      borderValue=0).astype(bool)


def binary_erosion(mask: np.ndarray, structure=None, iterations: int = 1, border_value: int = 0) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if not mask.size:
        return mask.copy()
    return cv2.erode(_u8(mask), _structure(structure), iterations=iterations, borderType=cv2.BORDER_CONSTANT,
                     borderValue=int(bool(border_value))).astype(bool)


def binary_closing(mask: np.ndarray, structure=None) -> np.ndarray:
    """A dilation then an erosion, both with nothing outside the image (ndimage's default ``border_value=0``)."""
    return binary_erosion(binary_dilation(mask, structure), structure)


def edge_values(image: np.ndarray) -> np.ndarray:
    """The values of ``image`` along its four edges (first and last row, first and last column)."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def binary_fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` with the background not 4-connected to the image's edge filled."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.size:
        return mask.copy()
    labels, count = label(~mask)
    enclosed = np.ones(count + 1, dtype=bool)
    enclosed[edge_values(labels)] = False
    enclosed[0] = True  # the mask itself
    return enclosed[labels]


def distance_transform_edt(mask: np.ndarray) -> np.ndarray:
    """Each pixel's Euclidean distance to the nearest pixel of the image that is not in ``mask`` (0 outside it; the
    edge of the image is not background, as in ndimage), float32; infinite everywhere when there is no such pixel."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.size or mask.all():
        return np.full(mask.shape, np.inf, dtype=np.float32)
    return cv2.distanceTransform(_u8(mask), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def any_in_blocks(mask: np.ndarray, factor: int) -> np.ndarray:
    """``mask`` reduced ``factor`` times each way, a pixel set where any of its block is (the last partial blocks cut
    off): a thin line stays a line, where keeping every ``factor``-th pixel keeps a dotted trace of it."""
    mask = np.asarray(mask, dtype=bool)
    if factor <= 1:
        return mask
    rows, cols = mask.shape[0] // factor * factor, mask.shape[1] // factor * factor
    return mask[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor).any(axis=(1, 3))


def maximum_filter(image: np.ndarray, size: int) -> np.ndarray:
    """The maximum of each odd ``size`` × ``size`` window, edges reflected (ndimage's ``mode="reflect"``)."""
    if size % 2 == 0:
        raise ValueError(f"maximum_filter takes an odd window, got {size}")
    image = np.ascontiguousarray(image, dtype=np.float32)
    return cv2.dilate(image, np.ones((size, size), dtype=np.uint8), borderType=cv2.BORDER_REFLECT)


def grey_closing(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flat ``size`` maximum then minimum, edges reflected (ndimage's ``mode="reflect"`` and window origins)."""
    image = np.ascontiguousarray(image, dtype=np.float64)
    kernel = np.ones(size, dtype=np.uint8)
    before = ((size[1] - 1) // 2, (size[0] - 1) // 2)  # OpenCV's anchor is (x, y)
    grown = cv2.dilate(image, kernel, anchor=before, borderType=cv2.BORDER_REFLECT)
    return cv2.erode(grown, kernel, anchor=(size[1] // 2, size[0] // 2), borderType=cv2.BORDER_REFLECT)


# Devillard's exchange network: after these 19 exchanges (min to the first, max to the second) the fifth of nine
# values holds their median
_MEDIAN_OF_NINE = ((1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3), (5, 8), (4, 7),
                   (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2))


def inpaint(image: np.ndarray, mask: np.ndarray, radius: int = 3) -> np.ndarray:
    """``image`` (2-D, float) with the pixels of ``mask`` filled in from around them (OpenCV's Navier-Stokes
    inpainting, on float32): a stroke crossing a painted-out line continues across it."""
    filled = cv2.inpaint(np.asarray(image, dtype=np.float32), _u8(mask), radius, cv2.INPAINT_NS)
    return np.where(mask, filled, image).astype(np.float64)


def median_filter(image: np.ndarray, size, mode: str = "reflect") -> np.ndarray:
    """The median of each ``size`` window (the upper one of an even count, as ndimage's rank), edges ``"reflect"``-ed
    (the edge pixel repeated in the mirror) or ``"nearest"``. Nine values (a 1 × 9 window) go through an exchange
    network, whole arrays at a time; other windows are partitioned in bands of rows, to bound memory."""
    image = np.asarray(image, dtype=np.float64)
    size = (size, size) if np.isscalar(size) else tuple(size)
    edges = {"reflect": "symmetric", "nearest": "edge"}[mode]
    padded = np.pad(image, [(s // 2, s - 1 - s // 2) for s in size], mode=edges)
    count = size[0] * size[1]
    if count == 9 and 1 in size:
        values = [padded[k:k + image.shape[0]] if size[0] == 9 else padded[:, k:k + image.shape[1]] for k in range(9)]
        for low, high in _MEDIAN_OF_NINE:
            values[low], values[high] = np.minimum(values[low], values[high]), np.maximum(values[low], values[high])
        return np.array(values[4])
    windows = sliding_window_view(padded, size)
    out = np.empty(image.shape)
    band = max(1, 4_000_000 // max(1, count * image.shape[1]))
    for top in range(0, image.shape[0], band):
        part = windows[top:top + band].reshape(-1, image.shape[1], count)
        out[top:top + band] = np.partition(part, count // 2, axis=-1)[..., count // 2]
    return out


def nearest_indices(mask: np.ndarray) -> np.ndarray:
    """For each pixel, the (row, column) of the nearest pixel where ``mask`` is False, as ``ndimage.
    distance_transform_edt(mask, return_distances=False, return_indices=True)`` (OpenCV's 5 × 5 distance: a tie or
    a near-tie may pick another of the nearest pixels)."""
    mask = np.asarray(mask, dtype=bool)
    _, nearest = cv2.distanceTransformWithLabels(_u8(mask), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    rows, cols = np.nonzero(~mask)  # OpenCV numbers the zero pixels in raster order from 1
    index = np.clip(nearest - 1, 0, max(len(rows) - 1, 0))
    return np.stack([rows[index], cols[index]])


def affine_transform(image: np.ndarray, matrix: np.ndarray, offset, output_shape, *, cval: float) -> np.ndarray:
    """Bilinear ``ndimage.affine_transform(..., order=1, mode="grid-constant")``: output pixel (row, column) takes
    ``image`` at ``matrix @ (row, column) + offset``, blended with ``cval`` within a pixel of the edge, ``cval``
    beyond."""
    padded = np.pad(np.asarray(image, dtype=np.float64), 1, constant_values=cval)
    rows, cols = np.arange(output_shape[0])[:, None], np.arange(output_shape[1])[None, :]
    out = np.empty(tuple(output_shape))
    sample = []
    for axis in range(2):  # source row, then column, in the padded image
        at = matrix[axis][0] * rows + matrix[axis][1] * cols + (offset[axis] + 1.0)
        at = np.clip(at, 0, padded.shape[axis] - 1)  # beyond the padding: the padding's cval
        low = np.floor(at)
        weight = at - low
        low = low.astype(np.int64)
        sample.append((low, np.minimum(low + 1, padded.shape[axis] - 1), weight))
    (y0, y1, wy), (x0, x1, wx) = sample
    out[...] = ((1.0 - wy) * ((1.0 - wx) * padded[y0, x0] + wx * padded[y0, x1])
                + wy * ((1.0 - wx) * padded[y1, x0] + wx * padded[y1, x1]))
    return out


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = int(4.0 * sigma + 0.5)  # ndimage's truncate=4.0
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / sigma ** 2 * x ** 2)
    return weights / weights.sum()


def gaussian_filter1d(values: np.ndarray, sigma: float) -> np.ndarray:
    """A 1-D Gaussian (truncated at 4 σ), edges ``"reflect"``-ed."""
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    return np.convolve(np.pad(np.asarray(values, dtype=np.float64), radius, mode="symmetric"), kernel, mode="valid")


def gaussian_filter(image: np.ndarray, sigma) -> np.ndarray:
    """A separable Gaussian (``sigma`` per axis, truncated at 4 σ, none along an axis of σ 0), edges ``"mirror"``-ed."""
    image = np.ascontiguousarray(image)
    kernels = [_gaussian_kernel(s) if s > 1e-15 else np.ones(1) for s in sigma]
    return cv2.sepFilter2D(image, -1, kernels[1], kernels[0], borderType=cv2.BORDER_REFLECT_101)


def _mirror(index: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.zeros_like(index)
    period = 2 * n - 2
    index = np.abs(index) % period
    return np.where(index >= n, period - index, index)


def _linear_along(image: np.ndarray, axis: int, coordinates: np.ndarray, *, outside: str) -> np.ndarray:
    """``image`` sampled linearly along ``axis`` at ``coordinates``: beyond the edges ``"mirror"``-ed, or 0 for a
    coordinate outside the image (``"constant"``)."""
    n = image.shape[axis]
    low = np.floor(coordinates).astype(np.int64)
    weight = coordinates - low
    if outside == "mirror":
        first, second = _mirror(low, n), _mirror(low + 1, n)
    else:
        first, second = np.clip(low, 0, n - 1), np.clip(low + 1, 0, n - 1)
    shape = [1, 1]
    shape[axis] = -1
    weight = weight.reshape(shape)
    out = (1.0 - weight) * np.take(image, first, axis=axis) + weight * np.take(image, second, axis=axis)
    if outside == "constant":
        inside = ((coordinates >= 0) & (coordinates <= n - 1)).reshape(shape)
        out = np.where(inside, out, 0.0)
    return out


def _zoom_coordinates(old: int, new: int) -> np.ndarray:
    return (np.arange(new) + 0.5) * (old / new) - 0.5


def zoom(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear ``ndimage.zoom(..., order=1, mode="mirror", grid_mode=True)`` of a 2-D image to ``shape``: output
    pixel centres spread over the input's extent (axis by axis; a small ``shape``: ``smoothed_zoom`` with σ 0)."""
    out = np.asarray(image)
    for axis, (old, new) in enumerate(zip(out.shape, shape)):
        out = _linear_along(out, axis, _zoom_coordinates(old, new), outside="mirror")
    return out.astype(np.asarray(image).dtype, copy=False)


@functools.lru_cache(maxsize=1024)
def _smoothed_zoom_matrix(old: int, new: int, sigma: float) -> np.ndarray:
    """The (new, old) matrix of a Gaussian of ``sigma`` (mirrored edges) followed by a 1-D zoom: each output's two
    taps, each tap's kernel folded back at the edges."""
    coordinates = _zoom_coordinates(old, new)
    low = np.floor(coordinates).astype(np.int64)
    weight = coordinates - low
    kernel = _gaussian_kernel(sigma) if sigma > 1e-15 else np.ones(1)
    offsets = np.arange(len(kernel)) - len(kernel) // 2
    out = np.zeros((new, old))
    rows = np.repeat(np.arange(new), len(kernel))
    for tap, share in ((low, 1.0 - weight), (low + 1, weight)):
        columns = _mirror(_mirror(tap, old)[:, None] + offsets[None, :], old)
        np.add.at(out, (rows, columns.ravel()), (share[:, None] * kernel[None, :]).ravel())
    return out


def smoothed_zoom(image: np.ndarray, sigma, shape: tuple[int, int]) -> np.ndarray:
    """``zoom(gaussian_filter(image, sigma), shape)`` in two matrix products (cached per size), for a small
    ``shape`` (a digit's 20 × 20): only what its samples need is smoothed, however large the image."""
    image = np.asarray(image)
    rows = _smoothed_zoom_matrix(image.shape[0], shape[0], float(sigma[0]))
    cols = _smoothed_zoom_matrix(image.shape[1], shape[1], float(sigma[1]))
    rows_first = shape[0] * image.shape[1] * (image.shape[0] + shape[1])
    cols_first = image.shape[0] * shape[1] * (image.shape[1] + shape[0])
    out = (rows @ image) @ cols.T if rows_first <= cols_first else rows @ (image @ cols.T)
    return out.astype(image.dtype, copy=False)


def shift_each(images: np.ndarray, by: np.ndarray) -> np.ndarray:
    """``shift`` of each image of a stack (N, H, W) by its own (rows, columns) of ``by`` (N, 2), all at once."""
    out = np.asarray(images, dtype=np.float64)
    for axis in (1, 2):
        n = out.shape[axis]
        at = np.arange(n)[None, :] - np.asarray(by, dtype=np.float64)[:, axis - 1:axis]  # (N, n) source positions
        low = np.floor(at)
        weight = at - low
        low = low.astype(np.int64)
        shape = (len(out), n, 1) if axis == 1 else (len(out), 1, n)
        first = np.take_along_axis(out, np.clip(low, 0, n - 1).reshape(shape), axis=axis)
        second = np.take_along_axis(out, np.clip(low + 1, 0, n - 1).reshape(shape), axis=axis)
        weight = weight.reshape(shape)
        inside = ((at >= 0) & (at <= n - 1)).reshape(shape)
        out = np.where(inside, (1.0 - weight) * first + weight * second, 0.0)
    return out


def center_each(images: np.ndarray) -> np.ndarray:
    """Each image of a stack (N, H, W) shifted (``shift_each``) so that its centre of mass (``ndimage.center_of_mass``)
    is at the image's centre; a blank image stays as it is."""
    images = np.asarray(images, dtype=np.float64)
    totals = images.sum(axis=(1, 2))
    written = totals > 0
    rows, cols = np.arange(images.shape[1]), np.arange(images.shape[2])
    centre = np.stack([images.sum(axis=2) @ rows, images.sum(axis=1) @ cols], axis=1)
    centre /= np.where(written, totals, 1.0)[:, None]
    middle = (np.asarray(images.shape[1:]) - 1) / 2.0
    return shift_each(images, np.where(written[:, None], middle - centre, 0.0))


def threshold_otsu(image: np.ndarray) -> float:
    """Otsu's threshold over a 256-bin histogram of the image's range (the centre of the bin that maximizes the
    between-class variance)."""
    values = np.asarray(image).reshape(-1)
    if np.all(values == values[0]):
        return values[0]
    counts, edges = np.histogram(values, bins=256, range=(values.min(), values.max()))  # the edges' linspace counts
    counts = counts.astype(np.float32)
    centres = (edges[:-1] + edges[1:]) / 2.0
    weight1, weight2 = np.cumsum(counts), np.cumsum(counts[::-1])[::-1]
    mean1 = np.cumsum(counts * centres) / weight1
    mean2 = (np.cumsum((counts * centres)[::-1]) / weight2[::-1])[::-1]
    return centres[np.argmax(weight1[:-1] * weight2[1:] * (mean1[:-1] - mean2[1:]) ** 2)]


def threshold_sauvola(image: np.ndarray, window_size: int, k: float) -> np.ndarray:
    """Sauvola's local threshold ``m (1 + k (s / r − 1))`` of a float image (r = 1): the mean and standard deviation
    of each ``window_size`` square, from integral images of the image with its edges reflected."""
    w = window_size
    image = np.asarray(image)
    padded = np.pad(image.astype(np.float64, copy=False), [(w // 2 + 1, w // 2)] * 2, mode="reflect")
    rows, cols = padded.shape

    def window_sums(integral: np.ndarray) -> np.ndarray:
        out = integral[0:rows - w, 0:cols - w].copy()
        out -= integral[0:rows - w, w:cols]
        out -= integral[w:rows, 0:cols - w]
        out += integral[w:rows, w:cols]
        return out

    mean = window_sums(padded.cumsum(axis=0).cumsum(axis=1)) / (w * w)
    squares = window_sums((padded * padded).cumsum(axis=0).cumsum(axis=1)) / (w * w)
    std = np.sqrt(np.clip(squares - mean * mean, 0, None))
    return mean * (1 + k * (std - 1))


def apply_hysteresis_threshold(image: np.ndarray, low: float, high: float) -> np.ndarray:
    """The pixels above ``low`` 4-connected to a pixel above ``high``."""
    low = np.clip(low, a_min=None, a_max=high)
    labels, count = label(image > low)
    touching = np.zeros(count + 1, dtype=bool)
    touching[labels[image > high]] = True
    touching[0] = False
    return touching[labels]
