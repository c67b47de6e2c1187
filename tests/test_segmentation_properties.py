"""Property tests (hypothesis) of the page recognizer's stages on random synthetic pages and random images."""

import os

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnist_studies import segmentation as seg
from mnist_studies.segmentation.benchmark import pages

# derandomize: the same 25 examples on every run, so CI is repeatable (a fresh draw each run once hung CI on a case
# the earlier runs never drew). To search wider: HYPOTHESIS_EXPLORE=1 pytest tests/test_segmentation_properties.py
SETTINGS = settings(max_examples=500 if os.environ.get("HYPOTHESIS_EXPLORE") else 25,
                    derandomize=not os.environ.get("HYPOTHESIS_EXPLORE"), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def untrained_model():
    """Any 10-class 28×28 model will do: the properties are about boxes, not about the labels."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


def _check_page(grey, model):
    mask = seg.remove_specks(seg.binarize(grey))
    assert mask.shape == grey.shape and mask.dtype == bool
    height, width = grey.shape
    boxes = seg.segment(mask)
    rows = [r for r, _ in boxes]
    assert rows == sorted(rows)  # rows top to bottom
    for _, (x0, y0, x1, y1) in boxes:
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height  # every box inside the image, never empty
    result = seg.recognize_page("page", model, grey=grey)
    assert [d.box for d in result.digits] == [box for _, box in boxes]  # one recognized digit per box, in order
    assert all(0 <= d.label <= 9 and 0.0 <= d.probability <= 1.0 for d in result.digits)
    assert result.text.replace("\n", "") == "".join(str(d.label) for d in result.digits)
    assert len(result.text.splitlines()) == len(set(rows))
    return result


@SETTINGS
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 4), width=st.integers(200, 700),
       touching=st.floats(0, 1), lighting=st.floats(0, 0.6), noise=st.floats(0, 0.1), dark_ink=st.booleans())
def test_synthetic_pages_never_crash_and_boxes_stay_inside(untrained_model, seed, rows, width, touching, lighting,
                                                           noise, dark_ink):
    page = pages.make_page(seed, rows=rows, width=width, touching=touching, lighting=lighting, noise=noise,
                           dark_ink=dark_ink)
    result = _check_page(page.image / 255.0, untrained_model)
    assert len(result.digits) >= 1  # a page with digits is never read as blank


@SETTINGS
@given(seed=st.integers(0, 2**31 - 1), height=st.integers(1, 120), width=st.integers(1, 160),
       kind=st.sampled_from(["noise", "constant", "stripes", "dots"]))
def test_any_image_is_handled_without_crashing(untrained_model, seed, height, width, kind):
    rng = np.random.default_rng(seed)
    if kind == "noise":
        grey = rng.random((height, width))
    elif kind == "constant":
        grey = np.full((height, width), rng.random())
    elif kind == "stripes":
        grey = np.tile((np.arange(width) // max(1, rng.integers(1, 10))) % 2, (height, 1)).astype(float)
    else:
        grey = np.ones((height, width))
        grey[rng.random((height, width)) < 0.02] = 0.0
    _check_page(grey, untrained_model)
