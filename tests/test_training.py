import json

import keras
import numpy as np
import pytest

from mnist_studies import records, training


def _tiny_model():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny")


def _toy_data(n=256, seed=0):
    """Two classes: bright top half vs bright bottom half, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype("float32")
    x[y == 0, :4] += 1.0
    x[y == 1, 4:] += 1.0
    return x, y


def _train(seed, run_dir=None, **kwargs):
    training.set_seed(seed)
    model = _tiny_model()
    model.compile(optimizer=training.make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _toy_data()
    result = training.fit(model, x, y, epochs=3, batch_size=32, validation_data=_toy_data(64, 1),
                          run_dir=run_dir, verbose=0, **kwargs)
    return model, result


def test_same_seed_gives_identical_weights_and_the_model_learns():
    model_a, result_a = _train(7)
    model_b, result_b = _train(7)
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert result_a.history == result_b.history
    assert result_a.history["val_accuracy"][-1] > 0.9  # the toy task is easy: it really learns
    model_c, _ = _train(8)
    assert not np.array_equal(model_a.get_weights()[0], model_c.get_weights()[0])


def test_fit_writes_csv_checkpoint_and_tensorboard(tmp_path):
    model, result = _train(0, run_dir=tmp_path / "run", checkpoint=True, tensorboard=True)
    assert result.epochs_run == 3 and len(result.epoch_seconds) == 3
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert (tmp_path / "run" / "history.csv").read_text().count("\n") == 4
    best = keras.saving.load_model(result.checkpoint_path, safe_mode=True)
    assert best.name == "tiny"
    assert any(result.tensorboard_dir.rglob("events.out.tfevents.*"))


def test_fit_refuses_bad_epochs_and_files_without_run_dir():
    model = _tiny_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = _toy_data(32)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        training.fit(model, x, y, epochs=0)
    with pytest.raises(ValueError, match="need a run_dir"):
        training.fit(model, x, y, epochs=1, checkpoint=True)


def test_optimizer_and_device_names_are_checked():
    assert isinstance(training.make_optimizer("SGD", 0.1), keras.optimizers.SGD)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; valid optimizers: sgd, adam"):
        training.make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        training.make_optimizer("adam", 0)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        training.configure_device("tpu")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        training.set_seed(-1)


def test_device_choice_on_this_machine():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this check is for machines without a GPU")
    assert training.configure_device("auto").startswith("CPU")
    with pytest.raises(RuntimeError, match="sees no GPU"):
        training.configure_device("gpu")


def test_records_are_written_atomically_and_read_back(isolated_outputs):
    record = records.make_record(study="demo", profile="smoke", name="seed0", seed=0, config={"epochs": 1},
                                 metrics={"test_accuracy": np.float32(0.5)}, history={"loss": [1.0, 0.5]})
    path = records.write_record(record)
    assert path == isolated_outputs["runs"] / "smoke" / "demo" / "seed0.json"
    assert [p.name for p in path.parent.iterdir()] == ["seed0.json"]  # no temporary file left behind
    back = records.read_records("demo", "smoke")
    assert back[0]["metrics"]["test_accuracy"] == 0.5
    assert back[0]["versions"]["keras"] == keras.__version__
    assert set(back[0]) >= {"config", "seed", "metrics", "history", "timings", "versions", "device", "git_commit"}


def test_a_broken_record_is_refused_by_name(isolated_outputs):
    folder = isolated_outputs["runs"] / "smoke" / "demo"
    folder.mkdir(parents=True)
    (folder / "cut.json").write_text('{"schema": 1, "study": "demo", "metr')
    with pytest.raises(records.RecordError, match=r"cut\.json: unreadable run record"):
        records.read_records("demo", "smoke")
    (folder / "cut.json").write_text(json.dumps({"schema": 1, "study": "demo"}))
    with pytest.raises(records.RecordError, match=r"cut\.json: missing keys profile, name, seed, config, metrics"):
        records.read_records("demo", "smoke")
