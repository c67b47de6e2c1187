"""The reader's image operations (``segmentation.imaging``, OpenCV and NumPy) against the SciPy and scikit-image
functions they stand in for, on random images and masks of many shapes, odd and even windows, and edge cases."""

import numpy as np
from scipy import ndimage
from skimage import filters

from mnist_studies.segmentation import imaging

EIGHT = np.ones((3, 3), dtype=bool)


def _shapes(rng, count, high=120):
    return [tuple(int(n) for n in rng.integers(1, high, 2)) for _ in range(count)]


def test_label_and_find_objects_number_and_box_components_as_ndimage_does():
    rng = np.random.default_rng(0)
    for shape in _shapes(rng, 150):
        mask = rng.random(shape) < rng.uniform(0.05, 0.8)
        for structure in (None, EIGHT):
            labels, count = imaging.label(mask, structure=structure)
            expected, expected_count = ndimage.label(mask, structure=structure)
            assert count == expected_count
            np.testing.assert_array_equal(labels, expected)
            assert imaging.find_objects(labels) == ndimage.find_objects(expected)
    gappy = np.array([[0, 3, 3], [0, 0, 1]])  # label 2 absent, label 3 past max_label
    assert imaging.find_objects(gappy, max_label=2) == ndimage.find_objects(gappy, max_label=2)
    assert imaging.label(np.zeros((0, 4), dtype=bool))[1] == 0


def test_binary_morphology_matches_ndimage_at_the_image_edges():
    rng = np.random.default_rng(1)
    cross = None
    for shape in _shapes(rng, 80, high=60):
        mask = rng.random(shape) < rng.uniform(0.1, 0.7)
        iterations = int(rng.integers(1, 4))
        for structure in (cross, EIGHT):
            np.testing.assert_array_equal(imaging.binary_dilation(mask, structure, iterations),
                                          ndimage.binary_dilation(mask, structure, iterations))
            for border in (0, 1):
                np.testing.assert_array_equal(
                    imaging.binary_erosion(mask, structure, iterations, border_value=border),
                    ndimage.binary_erosion(mask, structure, iterations, border_value=border))
        line = np.ones((1, int(rng.integers(1, 9)) * 2 + 1), dtype=bool)
        np.testing.assert_array_equal(imaging.binary_closing(mask, line), ndimage.binary_closing(mask, line))
        np.testing.assert_array_equal(imaging.binary_fill_holes(mask), ndimage.binary_fill_holes(mask))


def test_grey_closing_and_median_filter_match_ndimage_for_odd_and_even_windows():
    rng = np.random.default_rng(2)
    for shape in _shapes(rng, 40, high=70):
        image = rng.random(shape)
        for size in (3, 4, 9, 10, 15, 16):
            np.testing.assert_array_equal(imaging.grey_closing(image, (size, size)),
                                          ndimage.grey_closing(image, size=(size, size)))
            np.testing.assert_array_equal(imaging.median_filter(image, size),
                                          ndimage.median_filter(image, size=size))
        for size in ((1, 9), (9, 1)):
            np.testing.assert_array_equal(imaging.median_filter(image, size, mode="nearest"),
                                          ndimage.median_filter(image, size=size, mode="nearest"))


def test_distance_transform_and_maximum_filter_match_ndimage():
    rng = np.random.default_rng(5)
    for shape in _shapes(rng, 60, high=80):
        mask = rng.random(shape) < rng.uniform(0.3, 0.95)
        mask.flat[rng.integers(mask.size)] = False  # at least one background pixel to measure from
        np.testing.assert_allclose(imaging.distance_transform_edt(mask), ndimage.distance_transform_edt(mask),
                                   atol=1e-4)
        image = rng.random(shape).astype(np.float32)
        for size in (3, 5):
            np.testing.assert_array_equal(imaging.maximum_filter(image, size),
                                          ndimage.maximum_filter(image, size=size, mode="reflect"))
    assert np.isinf(imaging.distance_transform_edt(np.ones((3, 4), dtype=bool))).all()


def test_nearest_indices_point_at_a_nearest_false_pixel():
    """OpenCV's distance is within a few per cent of the exact one: the pixel found is as near, or nearly."""
    rng = np.random.default_rng(3)
    for shape in _shapes(rng, 30, high=80):
        mask = rng.random(shape) < 0.9
        mask[rng.integers(shape[0]), rng.integers(shape[1])] = False
        found = imaging.nearest_indices(mask)
        distances, exact = ndimage.distance_transform_edt(mask, return_indices=True)
        assert not mask[found[0], found[1]].any()
        grid = np.indices(shape)
        reached = np.hypot(*(found - grid))
        assert np.all(reached <= distances * 1.05 + 1e-9)
        assert np.mean(np.all(found == exact, axis=0)) > 0.9


def test_affine_transform_zoom_gaussian_and_shift_match_ndimage():
    rng = np.random.default_rng(4)
    for shape in _shapes(rng, 60, high=90):
        image = rng.random(shape)
        angle = np.deg2rad(rng.uniform(-8, 8))
        matrix = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        offset = rng.uniform(-5, 5, 2)
        out_shape = tuple(int(n) for n in rng.integers(1, 100, 2))
        np.testing.assert_allclose(
            imaging.affine_transform(image, matrix, offset, out_shape, cval=1.0),
            ndimage.affine_transform(image, matrix, offset, output_shape=out_shape, order=1, mode="grid-constant",
                                     cval=1.0), atol=1e-9)
        new = tuple(int(n) for n in rng.integers(1, 100, 2))
        np.testing.assert_allclose(imaging.zoom(image, new), ndimage.zoom(
            image, [n / o for n, o in zip(new, shape)], order=1, mode="mirror", grid_mode=True), atol=1e-12)
        sigma = rng.uniform(0, 3, 2) * (rng.random(2) < 0.8)
        np.testing.assert_allclose(imaging.gaussian_filter(image, sigma),
                                   ndimage.gaussian_filter(image, sigma, mode="mirror"), atol=1e-12)
        np.testing.assert_allclose(imaging.smoothed_zoom(image, sigma, new), ndimage.zoom(
            ndimage.gaussian_filter(image, sigma, mode="mirror"), [n / o for n, o in zip(new, shape)], order=1,
            mode="mirror", grid_mode=True), atol=1e-12)
        np.testing.assert_allclose(imaging.gaussian_filter1d(image[0], 1.0), ndimage.gaussian_filter1d(image[0], 1.0),
                                   atol=1e-12)
    digits = np.zeros((6, 28, 28))
    digits[:3, 4:24, 6:22] = rng.random((3, 20, 16))
    digits[3:5] = rng.random((2, 28, 28))  # ink up to the edges: what comes from outside is 0
    moves = rng.uniform(-4, 4, (6, 2))
    for digit, moved, by in zip(digits, imaging.shift_each(digits, moves), moves):
        np.testing.assert_allclose(moved, ndimage.shift(digit, by, order=1, mode="constant"), atol=1e-12)
    for digit, centred in zip(digits, imaging.center_each(digits)):  # the last one blank: left as it is
        by = (13.5 - np.asarray(ndimage.center_of_mass(digit))) if digit.any() else (0.0, 0.0)
        np.testing.assert_allclose(centred, ndimage.shift(digit, by, order=1, mode="constant"), atol=1e-12)
    large = rng.random((imaging.SMALL + 31, 2 * imaging.SMALL))
    for shape in ((90, 700), (400, 300)):
        np.testing.assert_allclose(imaging.zoom(large, shape), ndimage.zoom(
            large, [n / o for n, o in zip(shape, large.shape)], order=1, mode="mirror", grid_mode=True), atol=1e-12)


def test_thresholds_match_scikit_image():
    rng = np.random.default_rng(5)
    for shape in _shapes(rng, 40, high=90):
        image = rng.random(shape) ** rng.uniform(0.3, 3)
        assert imaging.threshold_otsu(image) == filters.threshold_otsu(image)
        window = int(rng.integers(1, 20)) * 2 + 1
        np.testing.assert_array_equal(imaging.threshold_sauvola(image, window, 0.2),
                                      filters.threshold_sauvola(image, window_size=window, k=0.2))
        low, high = sorted(rng.uniform(0, 1, 2))
        np.testing.assert_array_equal(imaging.apply_hysteresis_threshold(image, low, high),
                                      filters.apply_hysteresis_threshold(image, low, high))
    flat = np.full((5, 5), 0.3)
    assert imaging.threshold_otsu(flat) == filters.threshold_otsu(flat)


def test_inpaint_fills_a_painted_out_line_from_around_it_and_a_stroke_crossing_it_goes_on():
    """``imaging.inpaint`` (OpenCV's Navier-Stokes) on a rule 3 px thick painted out across a smooth page and a dark
    stroke: the page is filled to within 0.03 of what it was, as ``skimage.restoration.inpaint_biharmonic`` fills it,
    and the stroke goes on across the rule at least half as dark as it is; nothing else changes."""
    from skimage.restoration import inpaint_biharmonic

    y, x = np.mgrid[:60, :90]
    page = 0.6 + 0.3 * x / 90 + 0.05 * np.sin(y / 9)
    page[:, 40:44] = 0.2  # a stroke down the page
    mask = np.zeros(page.shape, dtype=bool)
    mask[28:31] = True  # the rule across it, painted out
    painted = np.where(mask, 0.0, page)
    filled = imaging.inpaint(painted, mask)
    np.testing.assert_array_equal(filled[~mask], page[~mask])
    paper = mask & ((x < 34) | (x > 50))
    assert np.abs(filled - page)[paper].max() < 0.03
    assert np.abs(filled - inpaint_biharmonic(painted, mask))[paper].max() < 0.03
    assert filled[28:31, 41:43].max() < (0.2 + page[28:31, 30].min()) / 2
