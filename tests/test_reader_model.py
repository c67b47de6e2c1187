"""The page reader's shipped digit model: its builder, its training code and the committed model itself."""

from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from mnist_studies import data, paths, segmentation
from mnist_studies.models.digit_reader import build_digit_reader, build_ensemble
from mnist_studies.segmentation.train import digit_reader, ensemble


def test_the_builder_gives_the_documented_network():
    model = build_digit_reader()
    assert model.name == "digit_reader"
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.count_params() == 326_826  # the module docstring's count (batch-norm statistics included)
    with pytest.raises(ValueError, match="input_shape"):
        build_digit_reader(input_shape=(14, 14, 1))
    with pytest.raises(ValueError, match="dropout"):
        build_digit_reader(dropout=1.0)


def test_the_ensemble_reads_the_mean_of_its_members_probabilities():
    members = [build_digit_reader(num_classes=11) for _ in range(2)]
    model = build_ensemble(members)
    assert model.name == "digit_reader_ensemble" and model.output_shape == (None, 11)
    assert model.count_params() == 2 * members[0].count_params()
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    mean = (members[0].predict(x, verbose=0) + members[1].predict(x, verbose=0)) / 2
    np.testing.assert_allclose(model.predict(x, verbose=0), mean, atol=1e-6)
    with pytest.raises(ValueError, match="at least two"):
        build_ensemble(members[:1])
    with pytest.raises(ValueError, match="shapes differ"):
        build_ensemble([members[0], build_digit_reader()])


def test_a_member_is_reused_only_when_its_record_says_it_was_trained_with_its_settings(tmp_path, monkeypatch):
    settings = ensemble.member_settings("continental-p9-clutter")
    record = {"config": {**json.loads(json.dumps(settings)), "train_images": 60_000}}
    assert ensemble.trained_with(record, settings)
    assert not ensemble.trained_with(record, ensemble.member_settings("default"))  # styles and clutter differ
    default = {**json.loads(json.dumps(digit_reader.SETTINGS)), "train_images": 60_000}
    assert ensemble.trained_with({"config": default}, digit_reader.SETTINGS)
    assert not ensemble.trained_with({"config": {**default, "styles": {"1": 0.3}}}, digit_reader.SETTINGS)
    assert not ensemble.trained_with({"config": {**record["config"], "styles": {}}}, settings)
    assert not ensemble.trained_with({"config": {**record["config"], "train_images": 50_000}}, settings)
    assert not ensemble.trained_with({"config": {**record["config"], "validation_images": 10_000}}, settings)
    with pytest.raises(ValueError, match="unknown member"):
        ensemble.member_settings("no-such-variant")

    folder = tmp_path / "default"  # a member on disk, trained on 64 images
    folder.mkdir()
    saved = folder / "digit_reader.keras"
    build_digit_reader(num_classes=11).save(saved)
    on_disk = {"config": {**json.loads(json.dumps(digit_reader.SETTINGS)), "train_images": 64},
               "model_file": {"sha256": digit_reader.sha256(saved)}}
    saved.with_suffix(".json").write_text(json.dumps(on_disk))
    trained = []
    monkeypatch.setattr(digit_reader, "train", lambda settings, **kw: trained.append(kw["output"]) or on_disk)
    ensemble.member("default", run_root=tmp_path, train_size=64, verbose=0)
    assert trained == []  # reused
    ensemble.member("default", run_root=tmp_path, train_size=128, verbose=0)  # other images: trained again
    assert trained == [saved]


def test_combining_writes_the_mean_with_its_record_and_onnx_export(tmp_path):
    _, (x_test, y_test) = data.load_mnist()
    x, y = data.to_float(x_test[:256]), y_test[:256].astype(np.int64)
    members = {name: (build_digit_reader(num_classes=11), {"seed": k, "config": {}, "timings": {"wall_seconds": 1.0}})
               for k, name in enumerate(("default", "continental-p9-clutter"))}
    record = ensemble.combine(members, tmp_path / "digit_reader.keras", x_test=x, y_test=y)
    saved = json.loads((tmp_path / "digit_reader.json").read_text())
    assert saved["config"]["members"] == ["default", "continental-p9-clutter"] == list(saved["members"])
    assert saved["model_file"]["sha256"] == digit_reader.sha256(tmp_path / "digit_reader.keras")
    assert (tmp_path / "digit_reader.onnx").is_file() and saved["onnx_file"]["largest_difference"] <= 1e-4
    model = segmentation.load_digit_model(tmp_path / "digit_reader.keras")
    assert record["metrics"]["test_errors"] == digit_reader.test_errors(model, x, y)
    alone = {name: digit_reader.test_errors(m, x, y) for name, (m, _) in members.items()}
    assert record["metrics"]["member_test_errors"] == alone
    assert record["metrics"]["parameters"] == model.count_params()
    assert record["metrics"]["separators"]["examples"] == record["metrics"]["clutter"]["examples"] == 1000


def test_stroke_width_makes_strokes_bolder_or_thinner_and_is_identity_at_inference():
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 6:22, 13:15] = 1.0  # a "1" two pixels wide
    layer = digit_reader.StrokeWidth(strength=1.0, seed=3)
    assert np.array_equal(np.asarray(layer(image, training=False)), image)
    inks = {float(np.asarray(layer(image, training=True)).sum()) for _ in range(12)}
    assert min(inks) < image.sum() < max(inks)  # some draws thinner, some bolder


def test_the_training_code_learns_and_writes_a_loadable_model_with_its_record(tmp_path):
    settings = {**digit_reader.SETTINGS, "epochs": 2, "batch_size": 64,
                "not_a_digit": {**digit_reader.SETTINGS["not_a_digit"], "epochs": 2, "separators": 3_000}}
    out = tmp_path / "shipped" / "reader.keras"
    record = digit_reader.train(settings, output=out, run_dir=tmp_path / "run", train_size=1024, validation=256,
                                verbose=0)
    for phase in ("digits", "not_a_digit"):  # both phases learn
        assert record["history"][phase]["loss"][1] < record["history"][phase]["loss"][0]
    assert record["metrics"]["not_a_digit_on_test_digit_crops"]["examples"] > 0
    assert record["metrics"]["separators"]["examples"] == 32  # held-out separators, scored
    assert out.stat().st_mode & 0o777 == 0o644 and not list(out.parent.glob("*.tmp*"))
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["model_file"]["sha256"] == digit_reader.sha256(out)
    assert saved["config"]["augmentation"] == digit_reader.SETTINGS["augmentation"]
    model = segmentation.load_digit_model(out)
    assert model.output_shape == (None, 11)  # the ten digits and "not one digit"
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert digit_reader.test_errors(model, data.to_float(x_test), y_test) == saved["metrics"]["test_errors"]
    # the last 256 of the 1,024 images held out: never trained on, scored apart
    assert saved["config"]["train_images"] == 768 and saved["config"]["validation_images"] == 256
    held = data.to_float(x_train[768:1024]), y_train[768:1024].astype(np.int64)
    assert digit_reader.test_errors(model, *held) == saved["metrics"]["validation_errors"]
    assert "digits_phase_validation_errors" in saved["metrics"]

    # phase 1 is kept and reused by a second run with the same settings: only phase 2 trains again
    first = (tmp_path / "run" / "digits.keras").stat().st_mtime_ns
    again = digit_reader.train(settings, output=out, run_dir=tmp_path / "run", train_size=1024, validation=256,
                               verbose=0)
    assert (tmp_path / "run" / "digits.keras").stat().st_mtime_ns == first
    assert again["metrics"]["digits_phase_test_errors"] == record["metrics"]["digits_phase_test_errors"]


def test_a_variant_or_a_validation_run_never_replaces_the_shipped_model(tmp_path):
    settings = {**digit_reader.SETTINGS, "epochs": 1}
    with pytest.raises(ValueError, match="validation must be"):  # before any training
        digit_reader.train(settings, output=tmp_path / "m.keras", run_dir=tmp_path / "run", train_size=1024,
                           validation=1024)
    default, default_backups = digit_reader.outputs(None, 0)  # a member of the shipped mean, never the mean itself
    assert default.parent == default_backups == paths.runs_dir("reader_model") / "default"
    candidate, candidate_backups = digit_reader.outputs("continental", 0)
    assert candidate.parent == candidate_backups == paths.runs_dir("reader_model") / "continental"
    trial, trial_backups = digit_reader.outputs("continental", 10_000)
    assert trial != paths.reader_model_path() and trial_backups != paths.runs_dir("reader_model")
    assert digit_reader.outputs(None, 10_000) != (trial, trial_backups)  # one place per variant
    assert not (tmp_path / "m.keras").exists()


@pytest.fixture(scope="module")
def shipped():
    path = paths.reader_model_path()
    return path, json.loads(path.with_suffix(".json").read_text())


def test_the_shipped_model_loads_in_safe_mode_matches_its_record_and_meets_the_bound(shipped):
    path, record = shipped
    assert record["model_file"]["sha256"] == digit_reader.sha256(path), "the model file is not the recorded one"
    model = segmentation.load_digit_model(path)  # safe mode
    assert model.count_params() == record["metrics"]["parameters"]
    _, (x_test, y_test) = data.load_mnist()
    errors = digit_reader.test_errors(model, data.to_float(x_test), y_test)
    assert abs(errors - record["metrics"]["test_errors"]) <= 2  # other CPUs may round a borderline image otherwise
    assert errors / len(y_test) <= digit_reader.TEST_ERROR_BOUND
    assert record["config"]["members"] == list(ensemble.MEMBERS)  # `make reader-model` trains what ships
    for name in ensemble.MEMBERS:
        assert ensemble.trained_with(record["members"][name], ensemble.member_settings(name)), f"{name}: not shipped"


def test_the_command_line_reads_with_the_shipped_model_without_study_code(tmp_path):
    """No --model: the shipped model reads a clean synthetic page exactly, and no study module is imported."""
    from PIL import Image

    from mnist_studies.segmentation.benchmark import pages

    page = pages.make_page(7, rows=2)
    Image.fromarray(page.image).save(tmp_path / "page.png")
    code = ("import sys; from mnist_studies.segmentation.__main__ import main; status = main([sys.argv[1]]); "
            "studies = [m for m in sys.modules if m.startswith('mnist_studies.studies')]; "
            "assert not studies, f'study code imported: {studies}'; sys.exit(status)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "page.png")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == page.text.split()


def test_touching_digit_crops_are_labelled_and_repeatable():
    """The eleventh class's examples: MNIST-like crops of the reader's own candidate stretches, whole digits labelled
    with the digit, pieces and crops of more than one digit labelled ``NOT_A_DIGIT``, the same for the same seed."""
    from mnist_studies.segmentation.train import strips

    (x_train, y_train), _ = data.load_mnist()
    x, y, source = strips.make_examples(x_train[:500], y_train[:500], 300, seed=3)
    assert x.shape == (300, 28, 28, 1) and x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert set(np.unique(y)) <= set(range(11)) and np.sum(y == strips.NOT_A_DIGIT) == 150
    digits = y != strips.NOT_A_DIGIT
    assert len(np.unique(y[digits])) >= 8 and np.array_equal(y[digits], source[digits])  # its own label
    again = strips.make_examples(x_train[:500], y_train[:500], 300, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((x, y, source), again))
    other = strips.make_examples(x_train[:500], y_train[:500], 300, seed=4)[0]
    assert not np.array_equal(x, other)
    # a piece that still reads as the digit it was cut from is left out; more than one digit (source -1) is kept
    # whatever the model reads
    pairs, pieces = source == -1, (y == strips.NOT_A_DIGIT) & (source >= 0)
    assert pairs.any() and pieces.any() and np.all(y[pairs] == strips.NOT_A_DIGIT)
    read = np.full((300, 10), 0.05)
    read[np.arange(300), np.maximum(source, 0)] = 0.9  # a "model" sure that every crop is its source digit
    kept_x, kept_y = strips.drop_ambiguous(x, y, source, read)
    assert np.array_equal(kept_y, y[digits | pairs]) and len(kept_x) == (digits | pairs).sum()
    assert len(strips.drop_ambiguous(x, y, source, np.full((300, 10), 0.1))[1]) == 300


def test_separators_alone_are_mnist_like_crops_of_every_mark_and_repeatable():
    """The "not one digit" examples of a period, dash or "=" ending an amount: normalized as the reader normalizes a
    box, each mark drawn, the same for the same seed."""
    from scipy import ndimage

    from mnist_studies.segmentation.train import strips

    x = strips.make_separators(200, seed=3)
    assert x.shape == (200, 28, 28, 1) and x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    ink = x[..., 0] > 0.5
    assert ink.any(axis=(1, 2)).all()
    rows, cols = ink.any(axis=2).sum(axis=1), ink.any(axis=1).sum(axis=1)
    pieces = np.array([ndimage.label(i)[1] for i in ink])
    flat = cols > 2 * rows
    assert (flat & (pieces == 1)).mean() > 0.25  # dashes
    assert ((pieces == 2) & (cols > rows)).mean() > 0.15  # "=": two strokes one above the other
    assert ((rows > 12) & (cols > 12) & (ink.mean(axis=(1, 2)) > 0.3)).mean() > 0.15  # periods: a dot fills the box
    assert not (rows > 2 * cols).any()  # nothing drawn like a 1
    assert np.array_equal(x, strips.make_separators(200, seed=3))
    assert not np.array_equal(x, strips.make_separators(200, seed=4))
    crops, labels = np.zeros((5, 28, 28, 1), np.float32), np.arange(5)
    more_x, more_y = digit_reader.with_rejects(crops, labels, {"separators": 7}, seed=3)  # phase 2's examples
    assert np.array_equal(more_x[5:], x[:7]) and more_y.tolist() == [0, 1, 2, 3, 4] + [strips.NOT_A_DIGIT] * 7
    assert digit_reader.with_rejects(crops, labels, {"separators": 0}, seed=3)[1] is labels
    both_x, both_y = digit_reader.with_rejects(crops, labels, {"clutter": 4, "separators": 7}, seed=3)
    assert np.array_equal(both_x[5:12], x[:7]) and np.array_equal(both_x[12:], strips.make_clutter(4, seed=4))
    assert both_y.tolist() == [0, 1, 2, 3, 4] + [strips.NOT_A_DIGIT] * 11


def test_backgrounds_with_nothing_written_are_crops_of_many_pieces_and_never_drawn_like_a_1():
    """The "not one digit" examples of a printed pattern, noise or dots behind an amount: normalized as the reader
    normalizes a box, each of more than two strokes or holes (one stroke may be a 1 or a dash, two an "=" or a 7),
    none a narrow bar, every kind drawn, the same for the same seed."""
    from scipy import ndimage

    from mnist_studies.segmentation.train import strips

    x = strips.make_clutter(120, seed=3)
    assert x.shape == (120, 28, 28, 1) and x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    ink = x[..., 0] > 0.3 * x.max(axis=(1, 2, 3))[:, None, None]  # fine dots normalize to faint grey
    rows, cols = ink.any(axis=2).sum(axis=1), ink.any(axis=1).sum(axis=1)
    assert (cols >= 0.2 * rows).all()  # the normalized box keeps the slab's shape: no 1-like bar
    pieces = np.array([ndimage.label(i)[1] for i in ink])
    holes = np.array([ndimage.label(~np.pad(i, 1))[1] - 1 for i in ink])
    assert (np.maximum(pieces, holes) > 2).mean() > 0.95  # normalizing may close a hole or join two specks
    assert (pieces > 8).mean() > 0.3 and (holes > 2).mean() > 0.3  # dots and waves, noise with holes
    assert np.array_equal(x, strips.make_clutter(120, seed=3))
    assert not np.array_equal(x, strips.make_clutter(120, seed=4))


def test_a_stretch_is_labelled_by_the_ink_it_holds():
    """``strips._label``: a stretch holding one whole digit (a sliver of its neighbour allowed) is that digit; one
    holding a third of a second digit is "more than one"; a part of one digit, a bar too, is a piece of it."""
    from mnist_studies.segmentation.train import strips

    mask = np.zeros((20, 40), dtype=bool)
    mask[2:18, 2:22] = True  # digit 0 (a 7), 20 columns
    mask[2:18, 22:32] = True  # digit 1 (a 1), 10 columns
    owner = np.full(mask.shape, -1)
    owner[:, :22], owner[:, 22:32] = 0, 1
    totals = np.bincount(owner[mask], minlength=2)
    label = lambda x0, x1: strips._label(mask, owner, totals, (x0, 2, x1, 18), [7, 1])  # noqa: E731
    assert label(2, 22) == (7, 7) and label(2, 23) == (7, 7)  # whole, and with a 10% sliver of the 1
    assert label(2, 26) == (strips.NOT_A_DIGIT, -1) and label(2, 32) == (strips.NOT_A_DIGIT, -1)
    assert label(4, 14) == (strips.NOT_A_DIGIT, 7)  # half of the 7
    assert label(2, 4) == (strips.NOT_A_DIGIT, 7)  # a bar cut from the 7 (what would read as a sure 1)
    assert label(2, 3) == (-1, -1)  # a sliver narrower than PIECE_MIN_ASPECT × its height: left out
    assert label(2, 24)[0] == -1 and label(2, 18)[0] == -1  # 20% of the 1, or 80% of the 7: neither answer


def test_an_eleven_class_model_reads_digits_over_its_first_ten_outputs():
    """``with_not_a_digit`` keeps the ten-class model's readings (its new output starts at zero), and the page
    reader reads the ten digits' probabilities of either kind of model."""
    from mnist_studies.segmentation.train import strips

    ten = build_digit_reader()
    eleven = digit_reader.with_not_a_digit(ten)
    assert eleven.output_shape == (None, 11)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    p10, p11 = np.asarray(ten(x)), np.asarray(eleven(x))
    assert np.array_equal(np.argmax(p10, axis=1), np.argmax(p11[:, :10], axis=1))
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:35, 18:22] = True  # a 1
    box = [(18, 5, 22, 35)]
    read = segmentation.digit_probabilities(eleven, mask, box)
    assert read.shape == (1, 10) and read.sum() < 1.0  # "not one digit" takes its share
    assert strips.NOT_A_DIGIT == 10


def test_elastic_distortion_bends_each_digit_its_own_smooth_way_and_only_while_training():
    """``Elastic``: identity at inference; while training each image gets its own field (not one per batch), the
    fields along x and along y differ (``keras.ops.image.elastic_transform`` draws them alike), they are smooth, and
    the digit stays where it was, bent by about a pixel."""
    from mnist_studies import data

    (x, _), _ = data.load_mnist()
    digits = data.to_float(np.repeat(x[:1], 8, axis=0))
    assert np.array_equal(np.asarray(digit_reader.Elastic(3.5, 4.0, seed=0)(digits, training=False)), digits)
    bent = np.asarray(digit_reader.Elastic(3.5, 4.0, seed=0)(digits, training=True))
    assert bent.shape == digits.shape and not np.allclose(bent[0], bent[1])  # a field per image
    assert 0.0 < np.abs(bent - digits).mean() and np.corrcoef(bent[0].ravel(), digits[0].ravel())[0, 1] > 0.5
    rows, cols = np.mgrid[:28, :28].astype(np.float32)
    moved = {}
    for axis, ramp in (("x", cols), ("y", rows)):  # linear interpolation of a ramp returns the displacement exactly
        layer = digit_reader.Elastic(3.5, 4.0, seed=7)  # the same seed: the same noise for both ramps
        moved[axis] = (np.asarray(layer(np.repeat(ramp[None, ..., None], 8, axis=0), training=True))[..., 0]
                       - ramp)[:, 8:20, 8:20]  # inside: the fill outside the image stays away
    for field in moved.values():
        assert 0.3 < np.abs(field).mean() < 3.0  # about a pixel
        assert np.abs(np.diff(field, axis=2)).mean() < 0.3 * np.abs(field).mean()  # smooth
    assert np.corrcoef(moved["x"].ravel(), moved["y"].ravel())[0, 1] < 0.5
    assert digit_reader.augmentation({**digit_reader.SETTINGS["augmentation"], "elastic": {"alpha": 3.5,
                                                                                          "sigma": 4.0}},
                                     seed=0).layers[0].name.startswith("elastic")
    assert not any(isinstance(layer, digit_reader.Elastic)
                   for layer in digit_reader.augmentation(digit_reader.SETTINGS["augmentation"]).layers)
    model = keras.Sequential([keras.Input((28, 28, 1)), digit_reader.Elastic(3.5, 4.0, seed=0), keras.layers.Flatten(),
                              keras.layers.Dense(10)])  # in a compiled graph the batch size is unknown until it runs
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert np.isfinite(model.fit(digits, np.zeros(8), batch_size=4, verbose=0).history["loss"][0])
