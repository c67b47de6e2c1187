"""The reader's two backends (ONNX Runtime by default, Keras) and the cold start: same readings, no TensorFlow, the
library functions the reader replaces to start fast computing what the libraries compute."""

import json
import subprocess
import sys

import numpy as np
import pytest

from mnist_studies import paths, records
from mnist_studies import segmentation as seg
from mnist_studies.segmentation import binarization, geometry
from mnist_studies.segmentation.benchmark import families


@pytest.fixture(scope="module")
def both():
    """The shipped models with each backend."""
    return {backend: (seg.load_digit_model(seg.shipped_path(paths.reader_model_path(), backend)),
                      seg.load_row_model(seg.shipped_path(paths.row_model_path(), backend)))
            for backend in seg.BACKENDS}


@pytest.mark.parametrize("which", ["digit_reader", "row_reader"])
def test_each_shipped_onnx_file_is_the_recorded_export_of_the_shipped_keras_file(which):
    keras_path = paths.SHIPPED_DIR / f"{which}.keras"
    entry = json.loads(keras_path.with_suffix(".json").read_text())["onnx_file"]
    assert entry["sha256"] == records.file_sha256(keras_path.with_suffix(".onnx")), "not the recorded ONNX file"
    assert entry["from_sha256"] == records.file_sha256(keras_path), \
        "exported from another .keras file: re-export (python -m mnist_studies.segmentation.train.export)"
    assert entry["largest_difference"] <= 1e-4 and entry["same_argmax"] == 1.0


def test_both_backends_give_the_same_outputs_and_shapes(both):
    (onnx_digits, onnx_rows), (keras_digits, keras_rows) = both["onnx"], both["keras"]
    rng = np.random.default_rng(4)
    for onnx_model, keras_model in ((onnx_digits, keras_digits), (onnx_rows, keras_rows)):
        assert onnx_model.input_shape == tuple(keras_model.input_shape)
        assert onnx_model.output_shape == tuple(keras_model.output_shape)
        x = rng.random((8, *onnx_model.input_shape[1:]), dtype=np.float32)
        np.testing.assert_allclose(onnx_model.predict_on_batch(x), np.asarray(keras_model.predict_on_batch(x)),
                                   atol=1e-4)


def test_both_backends_read_the_benchmark_pages_alike(both):
    """One page of every family (the benchmark's first seed): the same text and boxes, nearly the same
    probabilities. ``make bench-pages`` compares every page of the benchmark (``texts`` in its record)."""
    for family in families.available():
        image, _ = families.make(family, 2000)
        read = {backend: seg.recognize_page("p", model, grey=image / 255.0, method="photo", row_model=rows)
                for backend, (model, rows) in both.items()}
        assert read["onnx"].text == read["keras"].text, family
        assert [d.box for d in read["onnx"].digits] == [d.box for d in read["keras"].digits], family
        np.testing.assert_allclose([d.probability for d in read["onnx"].digits],
                                   [d.probability for d in read["keras"].digits], atol=1e-4)


def test_reading_a_page_from_the_command_line_starts_neither_tensorflow_nor_the_slow_imports(tmp_path):
    """The default backend reads with ONNX Runtime, and the image operations are OpenCV's and NumPy's: TensorFlow,
    Keras, SciPy and scikit-image are never imported (a skewed page, so the deskew runs too)."""
    from PIL import Image

    image, truth = families.make("rotated ±4°", 2000)
    Image.fromarray(image).save(tmp_path / "page.png")
    check = ("import sys\nfrom mnist_studies.segmentation.__main__ import main\n"
             f"assert main([{str(tmp_path / 'page.png')!r}]) == 0\n"
             "slow = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'scipy', 'skimage'))\n"
             "print('imported:', slow)\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "imported: []"
    assert done.stdout.splitlines()[0] == truth.split("\n")[0] or len(done.stdout.splitlines()) > 1


def test_the_command_line_reads_with_keras_when_asked(tmp_path, capsys):
    from PIL import Image

    from mnist_studies.segmentation.__main__ import main

    image, _ = families.make("clean", 2001)
    Image.fromarray(image).save(tmp_path / "page.png")
    assert main([str(tmp_path / "page.png")]) == 0
    default = capsys.readouterr().out
    assert main([str(tmp_path / "page.png"), "--backend", "keras"]) == 0
    assert capsys.readouterr().out == default


def test_a_missing_shipped_onnx_file_is_one_line_that_says_how_to_remake_it(tmp_path, monkeypatch, capsys):
    from mnist_studies.segmentation.__main__ import main

    monkeypatch.setattr(paths, "reader_model_path", lambda: tmp_path / "digit_reader.keras")
    assert main([str(tmp_path / "page.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "digit_reader.onnx: the shipped digit model is missing" in err
    assert "mnist_studies.segmentation.train.export" in err


def test_a_file_that_is_not_an_onnx_model_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(seg.PageError, match="not an ONNX model ONNX Runtime can run") as error:
        seg.load_digit_model(bad)
    assert "\n" not in str(error.value)


def test_resize_rescale_and_remove_specks_compute_what_scikit_image_computes():
    """The reader's own resize, rescale and speck removal (they keep scikit-image's heavy modules out of a cold
    start) against scikit-image's functions, on random images and masks of every shape (the interpolations equal to
    rounding: they add the same terms in another order)."""
    from skimage.morphology import remove_small_objects
    from skimage.transform import rescale, resize

    rng = np.random.default_rng(0)
    for k in range(120):
        height, width = rng.integers(1, 90, 2)
        image = rng.random((height, width)) if k % 3 else (rng.random((height, width)) < 0.4).astype(float)
        shape = tuple(int(n) for n in rng.integers(1, 60, 2))
        np.testing.assert_allclose(geometry.resize(image, shape),
                                   resize(image, shape, anti_aliasing=True, preserve_range=True), rtol=0, atol=1e-12)
        factor = float(rng.uniform(0.2, 3.0))
        np.testing.assert_allclose(geometry.rescale(image, factor), np.clip(
            rescale(image, factor, order=1, anti_aliasing=factor < 1, preserve_range=True), 0, 1), rtol=0, atol=1e-12)
        mask, size = rng.random((height, width)) < 0.3, int(rng.integers(0, 10))
        np.testing.assert_array_equal(binarization.remove_specks(mask, max_size=size),
                                      remove_small_objects(mask, max_size=size, connectivity=2))


def test_deskew_turns_a_page_as_scikit_image_s_rotate_does(monkeypatch):
    from skimage.transform import SimilarityTransform, rotate

    rng = np.random.default_rng(1)
    for _ in range(40):
        page = rng.random(tuple(rng.integers(5, 300, 2)))
        angle = float(rng.choice([-1, 1]) * rng.uniform(0.5, 6.0))
        monkeypatch.setattr(geometry, "skew_angle", lambda mask, angle=angle: angle)
        turned, found = geometry.deskew(page, page > 0.5)
        expected = rotate(page, angle, resize=True, order=1, cval=1.0, mode="constant")
        assert found == angle and turned.shape == expected.shape
        # equal inside; on the edge a sample a hair outside the page may be blended with white or not
        np.testing.assert_allclose(turned[1:-1, 1:-1], expected[1:-1, 1:-1], atol=1e-9)
        rows, cols = page.shape
        centre = np.array((cols, rows)) / 2.0 - 0.5
        turn = (SimilarityTransform(translation=-centre) + SimilarityTransform(rotation=np.deg2rad(angle))
                + SimilarityTransform(translation=centre))
        corners = turn.inverse(np.array([[0, 0], [0, rows - 1], [cols - 1, rows - 1], [cols - 1, 0]]))
        points = rng.random((5, 2)) * [cols, rows]
        np.testing.assert_allclose(geometry.levelled_to_page(points, page.shape, angle),
                                   (SimilarityTransform(translation=corners.min(axis=0)) + turn)(points), atol=1e-9)


def test_an_export_that_differs_from_its_keras_model_is_refused_and_not_written(tmp_path, monkeypatch):
    import keras

    from mnist_studies.segmentation import backends
    from mnist_studies.segmentation.train import export

    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, keras.layers.Dense(11, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.save(tmp_path / "tiny.keras")
    entry = export.export_onnx(tmp_path / "tiny.keras", checks=4)
    assert entry["sha256"] == records.file_sha256(tmp_path / "tiny.onnx") and entry["largest_difference"] < 1e-6
    (tmp_path / "tiny.onnx").unlink()
    predict = backends.OnnxModel.predict_on_batch
    monkeypatch.setattr(backends.OnnxModel, "predict_on_batch", lambda self, x: predict(self, x) + 1e-3)
    with pytest.raises(RuntimeError, match="differs from tiny.keras"):
        export.export_onnx(tmp_path / "tiny.keras", checks=4)
    assert not list(tmp_path.glob("*.onnx"))
