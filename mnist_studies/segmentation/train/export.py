"""The shipped models exported to ONNX, for the reader's default backend (``segmentation.backends``).

    python -m mnist_studies.segmentation.train.export [MODEL.keras ...]   (default: both shipped models)

Each ``.keras`` file is exported beside itself as ``.onnx`` with Keras' ``model.export(format="onnx")`` (tf2onnx),
run by ONNX Runtime on random and blank inputs and refused unless it gives the Keras model's outputs to within
``TOLERANCE``; its record (``.json`` beside it) gets an ``onnx_file`` entry: name, SHA-256, the SHA-256 of the
``.keras`` file it came from and the largest difference seen. ``make reader-model`` exports after training
(``digit_reader.write_record``); this command re-exports the models as they are, retraining nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from mnist_studies import paths, records

TOLERANCE = 1e-4  # the largest difference allowed between the two backends' outputs (probabilities, logits)
CHECKS = 64  # random inputs the export is checked on (and one blank)


def export_onnx(keras_path: Path, *, checks: int = CHECKS, seed: int = 0) -> dict:
    """Export ``keras_path`` to ``.onnx`` beside it (written atomically), check it against Keras, and return its
    record entry. Raises ``RuntimeError`` if ONNX Runtime's outputs differ by more than ``TOLERANCE``."""
    try:
        import tf2onnx
    except ImportError:
        raise RuntimeError("exporting to ONNX needs tf2onnx (pinned in requirements.txt: "
                           ".venv/bin/pip install -r requirements.txt)") from None

    from mnist_studies.segmentation.backends import OnnxModel, load_keras

    keras_path = Path(keras_path)
    model = load_keras(keras_path)
    inputs = np.random.default_rng(seed).random((checks, *model.input_shape[1:]), dtype=np.float32)
    inputs = np.concatenate([np.zeros_like(inputs[:1]), inputs])
    expected = np.asarray(model.predict_on_batch(inputs))  # also builds the model, which export needs
    target = keras_path.with_suffix(".onnx")
    partial = target.with_name(f".{target.stem}.partial.onnx")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():  # "Saved artifact at ..."
        warnings.simplefilter("ignore", FutureWarning)  # Keras' tf2onnx shim asks NumPy for np.object
        model.export(str(partial), format="onnx")
    got = OnnxModel(partial).predict_on_batch(inputs)
    largest = float(np.abs(got - expected).max())
    if got.shape != expected.shape or largest > TOLERANCE:
        partial.unlink()
        raise RuntimeError(f"{target}: the ONNX export differs from {keras_path.name} by {largest:.2g} "
                           f"(shapes {got.shape} and {expected.shape}); not written")
    os.replace(partial, target)
    return {"name": target.name, "sha256": records.file_sha256(target), "from_sha256": records.file_sha256(keras_path),
            "largest_difference": largest, "checked_inputs": len(inputs),
            "same_argmax": float(np.mean(got.argmax(-1) == expected.argmax(-1))), "tf2onnx": tf2onnx.__version__}


def export_shipped(keras_path: Path) -> dict:
    """Export ``keras_path`` and write the entry into its record (``.json`` beside it); return the record."""
    record_path = Path(keras_path).with_suffix(".json")
    record = json.loads(record_path.read_text())
    record["onnx_file"] = export_onnx(keras_path)
    records.write_json_atomic(record, record_path)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.train.export",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", type=Path, default=[paths.reader_model_path(), paths.row_model_path()],
                        help="the .keras files (default: the shipped digit model and row reader)")
    args = parser.parse_args(argv)
    for path in args.models:
        if not path.is_file() or not path.with_suffix(".json").is_file():
            print(f"error: {path}: needs the .keras file and its record (.json) beside it", file=sys.stderr)
            return 2
        try:
            entry = export_shipped(path)["onnx_file"]
        except RuntimeError as error:  # tf2onnx missing, or an export that differs from its model
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{path.with_suffix('.onnx')}: same outputs as {path.name} to within "
              f"{entry['largest_difference']:.1g} on {entry['checked_inputs']} inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
