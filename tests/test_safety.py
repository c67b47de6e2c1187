"""Loading never executes code from a file: .keras files in safe mode, no pickle anywhere."""

import re
from pathlib import Path

import keras
import pytest

from mnist_studies import paths
from mnist_studies import segmentation as seg

SOURCES = sorted(Path(paths.PROJECT_ROOT / "mnist_studies").rglob("*.py")) + sorted(
    paths.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_no_pickle_and_every_model_load_is_in_safe_mode():
    for path in SOURCES:
        text = path.read_text()
        assert not re.search(r"\bpickle\b|allow_pickle\s*=\s*True|joblib\.load", text), path
        for call in re.findall(r"load_model\([^)]*\)", text):
            assert "safe_mode=True" in call, f"{path}: {call}"


def test_a_model_file_with_code_in_it_is_refused(tmp_path):
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)  # arbitrary Python code inside the file
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(x)))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(seg.PageError, match="not a loadable .keras model"):
        seg.load_digit_model(path)
