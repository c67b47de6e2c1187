"""How the reader runs a model file: an ``.onnx`` export with ONNX Runtime (the default: no TensorFlow at run time,
so a page reads in a fraction of a second from a cold start) or a ``.keras`` model with Keras (training, and
``--backend keras``). Both give the stages one interface: ``input_shape``, ``output_shape``, ``predict_on_batch``.
``train/export.py`` writes the ``.onnx`` files from the ``.keras`` ones (``make reader-model``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnist_studies.segmentation.result import PageError

BACKENDS = ("onnx", "keras")
SUFFIXES = {"onnx": ".onnx", "keras": ".keras"}


class OnnxModel:
    """An ``.onnx`` model in an ONNX Runtime session (CPU), shaped like a Keras model for the reader's stages."""

    def __init__(self, path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: its graph notices are not the user's business
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.name = Path(path).stem
        feed = self.session.get_inputs()[0]
        self.input_name = feed.name
        self.input_shape = (None, *(int(d) if isinstance(d, int) else None for d in feed.shape[1:]))
        if None in self.input_shape[1:]:
            raise PageError(f"{path}: the model's input shape {feed.shape} is not fixed")
        # the exported output's sizes are symbolic: one blank example tells them
        self.output_shape = (None, *self.predict_on_batch(np.zeros((1, *self.input_shape[1:]), np.float32)).shape[1:])

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: np.ascontiguousarray(x, dtype=np.float32)})[0]


def load_keras(path: Path):
    """A ``.keras`` file loaded in safe mode (no code from the file runs)."""
    import keras

    import mnist_studies.models.digit_pairs  # noqa: F401 (registers the project's custom layers)
    import mnist_studies.models.lenet5  # noqa: F401

    return keras.saving.load_model(path, safe_mode=True)


def load_network(path: str | Path, what: str):
    """The model in ``path`` (``what`` names it in errors: "model", "row reader"), run by ONNX Runtime for an
    ``.onnx`` file and by Keras otherwise; or a ``PageError`` of one line: not found, or not loadable and why."""
    path = Path(path)
    if not path.is_file():
        raise PageError(f"{path}: {what} file not found")
    onnx = path.suffix.lower() == ".onnx"
    try:
        return OnnxModel(path) if onnx else load_keras(path)
    except PageError:
        raise
    except Exception as error:  # noqa: BLE001 (both libraries raise many kinds; the user needs one line)
        kind = "an ONNX model ONNX Runtime can run" if onnx else "a loadable .keras model"
        raise PageError(f"{path}: not {kind} ({type(error).__name__}: {error})".splitlines()[0]) from None


def shipped_path(keras_path: Path, backend: str) -> Path:
    """The shipped model file of ``backend`` ("onnx" or "keras") beside the ``.keras`` one."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    return Path(keras_path).with_suffix(SUFFIXES[backend])
