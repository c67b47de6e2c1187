"""The page reader's row reader: its builder, its CTC decoding, its training rows and code, and the shipped model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from mnist_studies import data, paths, segmentation
from mnist_studies.models.row_reader import build_row_ensemble, build_row_reader
from mnist_studies.segmentation import sequence
from mnist_studies.segmentation.train import digit_reader, ensemble, export, row_reader, strips


def test_the_builder_gives_the_documented_network():
    model = build_row_reader()
    assert model.name == "row_reader"
    assert model.input_shape == (None, 32, 256, 1) and model.output_shape == (None, 64, 11)
    assert model.count_params() == 528_363  # the module docstring's count (batch-norm statistics included)
    with pytest.raises(ValueError, match="divisible by 8"):
        build_row_reader(input_shape=(30, 256, 1))
    with pytest.raises(ValueError, match="dropout"):
        build_row_reader(dropout=1.0)


def test_ctc_decoding_merges_runs_and_keeps_repeats_split_by_a_blank():
    classes = [0, 2, 2, 0, 2, 0, 0, 8, 8, 8, 0, 1]  # blank, "1" twice (a blank between), "7", "0"
    logits = np.full((len(classes), 11), -5.0)
    logits[np.arange(len(classes)), classes] = 5.0
    assert sequence.decode(logits) == [(1, 1, 2), (1, 4, 4), (7, 7, 9), (0, 11, 11)]
    assert sequence.decode(np.full((6, 11), -5.0) + np.eye(11)[0] * 10) == []  # all blank: no digit


def test_a_blob_is_normalized_to_the_row_readers_height_from_the_left():
    mask = np.zeros((60, 200), dtype=bool)
    mask[10:50, 30:150] = True  # 40 px tall, 120 wide
    image, scale = sequence.normalize_blob(mask)
    assert image.shape == sequence.SHAPE and image.dtype == np.float32 and scale == pytest.approx(28 / 40)
    rows, columns = np.flatnonzero(image.max(axis=1) > 0.5), np.flatnonzero(image.max(axis=0) > 0.5)
    assert (rows[0], rows[-1]) == (2, 29) and (columns[0], columns[-1]) == (2, 85)
    wide = np.ones((10, 1000), dtype=bool)  # too wide to be 28 px tall: fits the width instead
    image, scale = sequence.normalize_blob(wide)
    columns = np.flatnonzero(image.max(axis=0) > 0.5)
    assert scale == pytest.approx(252 / 1000) and (columns[0], columns[-1]) == (2, 253)


def test_training_rows_are_touching_digits_with_their_ctc_targets_and_repeatable():
    (x_train, y_train), _ = data.load_mnist()
    x, y = strips.make_rows(x_train[:300], y_train[:300], 40, seed=5)
    assert x.shape == (40, 32, 256, 1) and x.dtype == np.float32 and y.shape == (40, strips.MAX_DIGITS)
    lengths = (y > 0).sum(axis=1)
    assert lengths.min() >= 1 and lengths.max() <= strips.MAX_DIGITS and len(np.unique(lengths)) >= 4
    assert all(np.all(row[:n] > 0) and np.all(row[n:] == 0) for row, n in zip(y, lengths))  # padded with blanks
    assert np.all(y <= 10)
    # wider rows for more digits: the ink reaches further right
    reach = [np.flatnonzero(image[..., 0].max(axis=0) > 0.5).max() for image in x]
    assert np.corrcoef(lengths, reach)[0, 1] > 0.8
    again = strips.make_rows(x_train[:300], y_train[:300], 40, seed=5)
    assert np.array_equal(x, again[0]) and np.array_equal(y, again[1])


def test_training_rows_can_move_each_digit_up_or_down_by_a_share_of_the_height():
    (x_train, y_train), _ = data.load_mnist()

    def tops_and_heights(jitter):
        _, owner, digits = strips._row(np.random.default_rng(3), x_train[:300], y_train[:300], 6, jitter=jitter)
        rows = [np.flatnonzero((owner == k).any(axis=1)) for k in range(len(digits))]
        return np.array([r.min() for r in rows]), max(r.max() - r.min() + 1 for r in rows)

    level, _ = tops_and_heights(0.0)
    assert len(set(level)) == 1, "without jitter every digit starts on the same line"
    moved, height = tops_and_heights(0.1)
    assert len(set(moved)) > 2 and moved.max() - moved.min() <= 2 * round(0.1 * height)
    x, y = strips.make_rows(x_train[:300], y_train[:300], 20, seed=5, jitter=0.1)
    assert x.shape == (20, 32, 256, 1) and np.all((y > 0).sum(axis=1) >= 1)


def _heights_and_bottoms(seed: int, x_train, y_train, **kwargs):
    """The height and the lowest row of each digit of a training row of five digits."""
    _, owner, digits = strips._row(np.random.default_rng(seed), x_train[:300], y_train[:300], 5, small_tail=1.0,
                                   **kwargs)
    rows = [np.flatnonzero((owner == k).any(axis=1)) for k in range(len(digits))]
    return np.array([r.max() - r.min() + 1 for r in rows]), np.array([r.max() for r in rows])


def test_training_rows_can_end_in_smaller_digits_on_the_same_baseline():
    (x_train, y_train), _ = data.load_mnist()
    seen = 0
    for seed in range(6):
        heights, bottoms = _heights_and_bottoms(seed, x_train, y_train)
        small = heights < 0.8 * heights[0]
        assert small[-1] and not small[0] and 1 <= small.sum() <= 3, heights  # the last one to three digits
        assert np.all(np.diff(small.astype(int)) >= 0), "the smaller digits are the row's last"
        assert np.ptp(bottoms) <= 2, "on the others' baseline"
        assert heights[small].max() <= strips.SMALL_TAIL[1] * heights[0] + 2
        seen += small.sum()
    assert seen > 6
    for seed in range(3):  # other sizes: as small as real trailing zeros (a quarter of the row), on the baseline
        heights, bottoms = _heights_and_bottoms(seed, x_train, y_train, small_sizes=(0.25, 0.3))
        small = heights < 0.5 * heights[0]
        assert small[-1] and 1 <= small.sum() <= 3 and np.all(np.diff(small.astype(int)) >= 0), heights
        assert np.all(heights[small] <= 0.3 * heights[0] + 2) and np.ptp(bottoms) <= 2, heights
    plain = [strips._row(np.random.default_rng(seed), x_train[:300], y_train[:300], 5)[1] for seed in range(3)]
    assert all(np.ptp([np.ptp(np.flatnonzero((o == k).any(axis=1))) for k in range(5)]) <= 2 for o in plain)


def test_training_rows_can_hold_separators_that_belong_to_no_digit_and_are_not_read():
    (x_train, y_train), _ = data.load_mnist()
    for seed in range(4):
        mask, owner, digits = strips._row(np.random.default_rng(seed), x_train[:300], y_train[:300], 4,
                                          separators=1.0)
        assert len(digits) == 4 and set(np.unique(owner)) == {-1, 0, 1, 2, 3}, "a separator is not a digit"
        grown = ndimage.binary_dilation(owner >= 0, iterations=2)
        assert (mask & ~grown).sum() >= 4, "no separator drawn"
    _, y = strips.make_rows(x_train[:300], y_train[:300], 20, seed=5, separators=1.0)
    assert np.all((y > 0).sum(axis=1) >= 1) and y.max() <= 10
    # marks of one's choosing: "=" draws two strokes apart from every digit, one above the other
    bars = 0
    for seed in range(6):
        mask, owner, digits = strips._row(np.random.default_rng(seed), x_train[:300], y_train[:300], 3,
                                          separators=1.0, marks=("=",))
        assert len(digits) == 3
        marks, count = ndimage.label(mask & ~ndimage.binary_dilation(owner >= 0, iterations=2))
        sizes = ndimage.sum(np.ones_like(marks), marks, range(1, count + 1))
        bars += int(np.sum(sizes >= 6)) >= 2
    assert bars >= 4, "'=' not drawn as two strokes"


def test_training_rows_can_be_joined_up_by_strokes_that_belong_to_no_digit():
    (x_train, y_train), _ = data.load_mnist()
    linked = 0
    for seed in range(6):
        args = (x_train[:300], y_train[:300], 4)
        mask, owner, digits = strips._row(np.random.default_rng(seed), *args, ligatures=1.0)
        assert len(digits) == 4 and set(np.unique(owner)) == {-1, 0, 1, 2, 3}, "a join is not a digit"
        parts = [set(np.unique(ndimage.label(mask)[0][owner == k])) - {0} for k in range(4)]
        linked += sum(bool(a & b) for a, b in zip(parts, parts[1:]))  # two digits in one piece of ink
        grown = ndimage.binary_dilation(owner >= 0, iterations=2)
        assert (mask & ~grown).sum() >= 3, "no stroke drawn between the digits"
    assert linked >= 12, f"only {linked} of 18 neighbours joined"
    # without ligatures the rows are those made before the setting existed (no random draw is added)
    plain = strips._row(np.random.default_rng(0), x_train[:300], y_train[:300], 4)
    none = strips._row(np.random.default_rng(0), x_train[:300], y_train[:300], 4, ligatures=0.0)
    assert np.array_equal(plain[0], none[0])
    _, y = strips.make_rows(x_train[:300], y_train[:300], 10, seed=5, ligatures=1.0)
    assert np.all((y > 0).sum(axis=1) >= 1) and y.max() <= 10


def test_training_rows_can_stretch_each_digit_across_and_close_with_a_period_and_a_rising_stroke():
    (x_train, y_train), _ = data.load_mnist()
    args = (x_train[:300], y_train[:300], 4)
    plain = strips._row(np.random.default_rng(3), *args)
    assert np.array_equal(plain[0], strips._row(np.random.default_rng(3), *args, widths=None)[0])  # no draw added

    def width(owner, k):
        return np.ptp(np.flatnonzero((owner == k).any(axis=0))) + 1

    for seed in range(3):  # the same digits, drawn twice as wide by a range that holds only 2
        _, narrow, _ = strips._row(np.random.default_rng(seed), *args, widths=(1.0, 1.0))
        _, wide, digits = strips._row(np.random.default_rng(seed), *args, widths=(2.0, 2.0))
        assert len(digits) == 4
        assert all(1.7 <= width(wide, k) / width(narrow, k) <= 2.3 for k in range(4))
    for kind in (".-", "./"):  # a dot, then a stroke rising to the right, apart from it, both on the right side
        ink = np.zeros((60, 60))
        used = strips.pages.draw_separator(ink, kind, 5, 50, 40, np.random.default_rng(1))
        labels, count = ndimage.label(ink > 0.5)
        assert count == 2 and 10 <= used <= 40, (kind, count, used)
        (dot, bar) = sorted(ndimage.find_objects(labels), key=lambda s: s[1].start)
        assert dot[0].stop - dot[0].start < 8 and max(s.stop - s.start for s in bar) > 10  # a dot, then a stroke
        assert bar[0].start < dot[0].start  # that rises above the dot
        ys, xs = np.nonzero(labels == labels[bar][labels[bar] > 0][0])
        assert np.corrcoef(xs, ys)[0, 1] < -0.3  # from the lower left up to the right


def test_a_tuned_variant_starts_from_its_members_weights_and_says_which_to_train_first(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_STUDIES_RUNS", str(tmp_path))
    monkeypatch.setattr(export, "export_onnx", lambda path: {})  # seconds per call; tested elsewhere
    settings = {**row_reader.SETTINGS, **row_reader.VARIANTS["wide-tuned"], "batch_size": 32}
    with pytest.raises(FileNotFoundError, match="train the row reader 'joined-styles-closing-marks' first"):
        row_reader.train(settings, output=tmp_path / "out.keras", run_dir=tmp_path / "run", train_size=32, verbose=0)
    start = build_row_reader()
    (tmp_path / "row_model" / settings["init"]).mkdir(parents=True)
    start.save(tmp_path / "row_model" / settings["init"] / "row_reader.keras")
    assert all(np.array_equal(a, b) for a, b in zip(row_reader._member_weights(settings["init"]), start.get_weights()))
    started = []
    real = row_reader.build_row_reader

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        set_weights = model.set_weights
        model.set_weights = lambda weights: started.append(weights) or set_weights(weights)
        return model

    monkeypatch.setattr(row_reader, "build_row_reader", build)
    record = row_reader.train({**settings, "learning_rate": 0.0}, output=tmp_path / "out.keras",
                              run_dir=tmp_path / "run", train_size=32, verbose=0)
    assert len(started) == 1 and record["config"]["init"] == settings["init"]
    tuned = sequence.load_row_model(tmp_path / "out.keras")  # at a zero rate the member's weights stay (not the
    assert all(np.allclose(a, b) for a, b in zip(tuned.trainable_weights, start.trainable_weights))  # norms' means)


def test_the_training_code_learns_and_writes_a_loadable_model_with_its_record(tmp_path):
    settings = {**row_reader.SETTINGS, "epochs": 2, "batch_size": 32}
    out = tmp_path / "shipped" / "rows.keras"
    record = row_reader.train(settings, output=out, run_dir=tmp_path / "run", train_size=256, verbose=0)
    assert record["history"]["loss"][1] < record["history"]["loss"][0]
    assert out.stat().st_mode & 0o777 == 0o644 and not list(out.parent.glob("*.tmp*"))
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["model_file"]["sha256"] == digit_reader.sha256(out)
    assert saved["metrics"]["test_rows"]["rows"] == 64 and saved["config"]["augmentation"]
    assert saved["metrics"]["test_rows_small_tail"]["rows"] == 64 and saved["config"]["small_tail"] == 0.3
    assert saved["metrics"]["test_rows_separators"]["rows"] == 64 and saved["config"]["separators"] == 0.3
    assert saved["metrics"]["test_rows_closing_marks"]["rows"] == 64
    assert saved["metrics"]["test_rows_joined"]["rows"] == 64
    assert sequence.load_row_model(out).count_params() == saved["metrics"]["parameters"]


def test_training_rows_can_be_written_in_other_styles(monkeypatch):
    """A variant's ``styles`` redraw its share of the training digits before they are put into rows (the digit
    model's styles: continental 1s, mirrored 9s); the test rows stay MNIST's own."""
    from mnist_studies.segmentation.train import styles

    used = []
    real = strips.make_rows
    monkeypatch.setattr(strips, "make_rows", lambda images, *a, **k: used.append(images) or real(images, *a, **k))

    class RowsMade(Exception):
        pass

    def stop():
        raise RowsMade

    monkeypatch.setattr(row_reader, "build_row_reader", stop)  # the rows are all that is checked
    (train_images, train_labels), (test_images, _) = data.load_mnist()
    with pytest.raises(RowsMade):
        row_reader.train({**row_reader.SETTINGS, "styles": {"1": 1.0}}, train_size=256, verbose=0)
    ones = train_labels[:256] == 1
    assert np.array_equal(used[0], styles.add_styles(train_images[:256], train_labels[:256], {1: 1.0}, seed=1))
    assert (used[0][ones] != train_images[:256][ones]).any(axis=(1, 2)).all()  # every 1 redrawn
    assert np.array_equal(used[0][~ones], train_images[:256][~ones])
    assert all(np.array_equal(rows, test_images) for rows in used[1:])


def test_a_digit_model_is_refused_as_a_row_reader_in_one_line():
    with pytest.raises(segmentation.PageError, match="expected a row reader") as error:
        sequence.load_row_model(paths.reader_model_path())
    assert "\n" not in str(error.value)
    with pytest.raises(segmentation.PageError, match="not found"):
        sequence.load_row_model(paths.row_model_path().with_name("missing.keras"))


def test_the_ctc_probability_of_a_reading_sums_every_alignment():
    """``text_log_probability`` against the sum, over every path of the columns' classes, of the paths that
    collapse to the reading (repeats merged, then blanks dropped)."""
    import itertools

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(5, 11)) * 2
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def collapse(path):
        merged = [c for k, c in enumerate(path) if k == 0 or c != path[k - 1]]
        return tuple(c - 1 for c in merged if c)

    totals: dict = {}
    for path in itertools.product(range(11), repeat=5):
        text = collapse(path)
        totals[text] = totals.get(text, 0.0) + np.exp(log_p[np.arange(5), path].sum())
    for text in [(), (3,), (3, 3), (2, 7, 2), (1, 1, 1), (0, 4, 4, 9), (5, 5, 5, 5)]:
        expected = totals.get(text, 0.0)
        got = np.exp(sequence.text_log_probability(log_p, text))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), text
    assert np.exp(sequence.text_log_probability(log_p, (1, 2, 3, 4, 5, 6))) == 0.0  # more digits than columns allow
    assert sum(totals.values()) == pytest.approx(1.0)


def test_the_row_ensemble_reads_the_mean_of_its_members_logits():
    members = [build_row_reader() for _ in range(2)]
    model = build_row_ensemble(members)
    assert model.name == "row_reader_ensemble" and model.output_shape == members[0].output_shape
    x = np.random.default_rng(0).random((4, *sequence.SHAPE, 1), dtype=np.float32)
    mean = (members[0].predict(x, verbose=0) + members[1].predict(x, verbose=0)) / 2
    np.testing.assert_allclose(model.predict(x, verbose=0), mean, atol=1e-5)
    with pytest.raises(ValueError, match="at least two"):
        build_row_ensemble(members[:1])
    with pytest.raises(ValueError, match="shapes differ"):
        build_row_ensemble([members[0], build_row_reader(input_shape=(32, 128, 1))])


def test_row_members_are_reused_or_trained_and_averaged_with_their_record(tmp_path, monkeypatch):
    """``ensemble.py --rows``: a row member on disk trained with its settings is reused, one trained with others is
    trained again; the mean is written with each member's scores, its record and its ONNX export."""
    assert ensemble.member_settings("joined-styles-closing-marks", kind="row")["ligatures"] == 0.3
    with pytest.raises(ValueError, match="unknown member"):
        ensemble.member_settings("continental-p9-clutter", kind="row")  # a digit member
    for name in ensemble.ROW_MEMBERS:
        folder = tmp_path / name
        folder.mkdir()
        saved = folder / "row_reader.keras"
        build_row_reader().save(saved)
        settings = ensemble.member_settings(name, kind="row")
        trained_on = 32 if name == "default" else 64  # the second is out of date for 32 images
        saved.with_suffix(".json").write_text(json.dumps(
            {"config": {**json.loads(json.dumps(settings)), "train_images": trained_on}, "seed": 0,
             "model_file": {"sha256": digit_reader.sha256(saved)}}))
    trained = []

    def train(settings, *, output, **kw):
        trained.append(output.parent.name)
        return json.loads(output.with_suffix(".json").read_text())

    monkeypatch.setattr(row_reader, "train", train)
    record = ensemble.train_rows(output=tmp_path / "shipped" / "row_reader.keras", run_root=tmp_path, train_size=32)
    assert trained == [ensemble.ROW_MEMBERS[1]]
    saved = json.loads((tmp_path / "shipped" / "row_reader.json").read_text())
    assert saved["config"]["members"] == list(ensemble.ROW_MEMBERS) == list(saved["members"])
    assert saved["model_file"]["sha256"] == digit_reader.sha256(tmp_path / "shipped" / "row_reader.keras")
    assert set(saved["metrics"]["members_alone"]) == set(ensemble.ROW_MEMBERS)
    assert saved["metrics"]["test_rows_joined"]["rows"] == 8 == record["metrics"]["test_rows"]["rows"]
    assert (tmp_path / "shipped" / "row_reader.onnx").is_file()
    assert sequence.load_row_model(tmp_path / "shipped" / "row_reader.onnx").output_shape[1:] == (64, 11)


def test_a_shipped_means_members_unpack_into_runs_where_they_are_reused(tmp_path, monkeypatch):
    """A new checkout has no ``runs/``: ``ensemble.py --unpack`` writes the shipped mean's members back, with their
    records, so that rebuilding the mean trains nothing and gives the same model."""
    monkeypatch.setattr(export, "export_onnx", lambda path: {})  # seconds per call; tested elsewhere
    built = []
    for name in ensemble.ROW_MEMBERS:
        folder = tmp_path / "trained" / name
        folder.mkdir(parents=True)
        model = build_row_reader()
        model.save(folder / "row_reader.keras")
        settings = json.loads(json.dumps(ensemble.member_settings(name, kind="row")))
        (folder / "row_reader.json").write_text(json.dumps(
            {"config": {**settings, "train_images": 32}, "seed": 0, "name": "row_reader",
             "model_file": {"sha256": digit_reader.sha256(folder / "row_reader.keras")}}))
        built.append(model)
    shipped = tmp_path / "shipped" / "row_reader.keras"
    ensemble.train_rows(output=shipped, run_root=tmp_path / "trained", train_size=32)
    written = ensemble.unpack(shipped, run_root=tmp_path / "runs", kind="row")
    assert [path.parent.name for path in written] == list(ensemble.ROW_MEMBERS)
    monkeypatch.setattr(row_reader, "train", lambda *a, **k: pytest.fail("a member was trained again"))
    again = tmp_path / "again" / "row_reader.keras"
    ensemble.train_rows(output=again, run_root=tmp_path / "runs", train_size=32)
    x = np.random.default_rng(0).random((2, *sequence.SHAPE, 1), dtype=np.float32)
    first, second = (sequence.load_row_model(path) for path in (shipped, again))
    assert np.allclose(first.predict_on_batch(x), second.predict_on_batch(x), atol=1e-6)
    member = sequence.load_row_model(written[1])  # each member is itself, not the mean
    assert np.allclose(member.predict_on_batch(x), built[1].predict_on_batch(x), atol=1e-6)


def test_the_row_ensemble_command_refuses_unknown_or_single_members_in_one_line(capsys):
    for argv, problem in ((["--rows", "--member", "default", "--member", "continental-p9-clutter"], "unknown member"),
                          (["--rows", "--member", "default", "--member", "default"], "at least two different")):
        with pytest.raises(SystemExit) as exit_:
            ensemble.main(argv)
        assert exit_.value.code == 2
        assert problem in capsys.readouterr().err


@pytest.fixture(scope="module")
def shipped():
    path = paths.row_model_path()
    return sequence.load_row_model(path), json.loads(path.with_suffix(".json").read_text()), path


def test_the_shipped_row_reader_loads_in_safe_mode_matches_its_record_and_reads_test_rows(shipped):
    model, record, path = shipped
    assert record["model_file"]["sha256"] == digit_reader.sha256(path), "not the recorded model file"
    assert model.count_params() == record["metrics"]["parameters"]
    assert record["config"]["members"] == list(ensemble.ROW_MEMBERS)  # `make reader-model` trains what ships
    for name in ensemble.ROW_MEMBERS:
        settings = ensemble.member_settings(name, kind="row")
        assert ensemble.trained_with(record["members"][name], settings), f"{name}: not shipped"
    _, (x_test, y_test) = data.load_mnist()
    x, y = strips.make_rows(x_test, y_test, 300, seed=row_reader.SETTINGS["test_seed"],
                            jitter=row_reader.SETTINGS["jitter"])  # the record's first 300
    scores = row_reader.scores(model, x, y)
    assert scores["digit_accuracy"] >= 0.98 and scores["rows_exact"] >= 0.9
    assert abs(scores["digit_accuracy"] - record["metrics"]["test_rows"]["digit_accuracy"]) < 0.02


def test_a_1_hidden_in_its_neighbours_is_found_by_the_row_reader(shipped):
    """A touching-pairs tuning page whose row "6173" the digit model's cuts read as "673" (no straight cut frees the
    1 between the 6 and the 7), and that the row reader, reading the blob whole, reads right. (The page was 5048's
    "913286" until a candidate digit model freed that 1 by its cuts; 5026 hides its 1 from both.)"""
    from mnist_studies.segmentation.benchmark import families

    image, truth = families.make("touching pairs", 5026)
    assert truth.split("\n")[1] == "6173"
    digits = segmentation.load_digit_model(paths.reader_model_path())
    cut = segmentation.recognize_page("p", digits, grey=image / 255.0, method="photo")
    assert cut.text.split("\n")[1] == "673"
    whole = segmentation.recognize_page("p", digits, grey=image / 255.0, method="photo", row_model=shipped[0])
    assert whole.text.split("\n")[1] == "6173"
    assert all(0.0 < d.probability <= 1.0 and len(d.top3) == 3 for d in whole.digits)
    boxes = [d.box for d in whole.digits if d.row == 1]
    assert all(a[0] < b[0] and a[2] <= b[2] for a, b in zip(boxes, boxes[1:]))  # left to right
