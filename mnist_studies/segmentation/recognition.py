"""Stage 8, recognition: a digit box normalized as MNIST was, and read by the digit model in one batched prediction."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_studies.segmentation import imaging
from mnist_studies.segmentation.backends import load_network
from mnist_studies.segmentation.geometry import resize
from mnist_studies.segmentation.result import PageError


def normalize_digit(crop: np.ndarray) -> np.ndarray:
    """An MNIST-like 28×28 float image from a cropped ink mask: fit in 20×20 keeping the aspect ratio (anti-aliased),
    then shift so the centre of mass is at the centre, as MNIST was built."""
    return normalize_digits([crop])[0]


def normalize_digits(crops) -> np.ndarray:
    """``normalize_digit`` of each crop, as one (N, 28, 28) array: the centring is done for all at once."""
    canvases = np.zeros((len(crops), 28, 28))
    for canvas, crop in zip(canvases, crops):
        crop = np.asarray(crop, dtype=np.float64)
        height, width = crop.shape
        if not height or not width:  # a box cut to nothing at the page's edge: a blank, read as "not one digit"
            continue
        scale = 20.0 / max(height, width)
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        top, left = (28 - new_h) // 2, (28 - new_w) // 2
        canvas[top:top + new_h, left:left + new_w] = resize(crop, (new_h, new_w))
    return np.clip(imaging.center_each(canvases), 0.0, 1.0).astype(np.float32)


def load_digit_model(path: str | Path):
    """Load a digit classifier (``.onnx``: ONNX Runtime; ``.keras``: Keras, in safe mode); its input must be 28×28×1
    or 32×32×1, its output 10 classes (the digits) or 11 (the digits, then "not one digit", ``strips.NOT_A_DIGIT``,
    as the shipped model has)."""
    path = Path(path)
    model = load_network(path, "model")
    shape = tuple(model.input_shape[1:])
    if shape not in ((28, 28, 1), (32, 32, 1)) or model.output_shape[-1] not in (10, 11):
        raise PageError(f"{path}: expected a 10- or 11-class model with 28×28×1 or 32×32×1 input, got input "
                        f"{shape} and output {model.output_shape}")
    return model


def digit_probabilities(model, mask: np.ndarray, boxes, cache: dict | None = None) -> np.ndarray:
    """The model's probabilities of the ten digits for each box of ``mask`` (one batched prediction; an 11-class
    model's "not one digit" takes its share, so a piece of a digit or two digits read as one get a low
    probability whatever digit they look most like). With a ``cache`` (a dict kept for one page) a box read before
    is not normalized and predicted again."""
    cache = {} if cache is None else cache
    todo = [box for box in dict.fromkeys(boxes) if box not in cache]
    if todo:
        read = predict_digits(model, normalize_digits([mask[y0:y1, x0:x1] for x0, y0, x1, y1 in todo]))
        cache.update(zip(todo, read[:, :10]))
    return np.stack([cache[box] for box in boxes])


def predict_digits(model, digits: np.ndarray) -> np.ndarray:
    """The model's output (every class) for normalized digits (N, 28, 28), padded to 32×32 where its input is."""
    digits = np.asarray(digits, dtype=np.float32)[..., None]
    if tuple(model.input_shape[1:3]) == (32, 32):
        digits = np.pad(digits, [(0, 0), (2, 2), (2, 2), (0, 0)])
    # predict_on_batch in chunks: Keras' predict builds a dataset per call, ~30 ms a page for nothing here
    return np.concatenate([np.asarray(model.predict_on_batch(digits[k:k + 512])) for k in range(0, len(digits), 512)])
