import json

import keras
import numpy as np
import pytest
from conftest import kill_after_epoch

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


def _train(init_seed, run_dir=None, **kwargs):
    training.set_seed(init_seed)
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
    assert path == isolated_outputs["results"] / "smoke" / "demo" / "seed0.json"
    assert [p.name for p in path.parent.iterdir()] == ["seed0.json"]  # no temporary file left behind
    back = records.read_records("demo", "smoke")
    assert back[0]["metrics"]["test_accuracy"] == 0.5
    assert back[0]["versions"]["keras"] == keras.__version__
    assert set(back[0]) >= {"config", "seed", "metrics", "history", "timings", "versions", "device", "git_commit"}


def test_a_broken_record_is_refused_by_name(isolated_outputs):
    folder = isolated_outputs["results"] / "smoke" / "demo"
    folder.mkdir(parents=True)
    (folder / "cut.json").write_text('{"schema": 1, "study": "demo", "metr')
    with pytest.raises(records.RecordError, match=r"cut\.json: unreadable run record"):
        records.read_records("demo", "smoke")
    (folder / "cut.json").write_text(json.dumps({"schema": 1, "study": "demo"}))
    with pytest.raises(records.RecordError, match=r"cut\.json: missing keys profile, name, seed, config, metrics"):
        records.read_records("demo", "smoke")


# ---------------------------------------------------------------------------------------------------------------
# Epoch-keyed randomness and resuming (BackupAndRestore)
# ---------------------------------------------------------------------------------------------------------------


def _dropout_model():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(16, activation="relu")(x)
    x = keras.layers.Dropout(0.3)(x)  # a seed generator: its state must be recovered on resume too
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x), name="tiny_dropout")


def _seeded_fit(run_dir, callbacks=(), epochs=4):
    training.set_seed(3)
    model = _dropout_model()
    model.compile(optimizer=training.make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _toy_data()
    result = training.fit(model, x, y, epochs=epochs, batch_size=32, seed=11, run_dir=run_dir, checkpoint=True,
                          monitor="val_accuracy", validation_data=_toy_data(64, 1), callbacks=list(callbacks),
                          verbose=0)
    return model, result


def test_a_run_interrupted_between_epochs_resumes_to_the_uninterrupted_result(tmp_path):
    model_a, result_a = _seeded_fit(tmp_path / "straight")
    with pytest.raises(KeyboardInterrupt):
        _seeded_fit(tmp_path / "killed", callbacks=[kill_after_epoch(1)])
    assert (tmp_path / "killed" / "backup").is_dir()
    model_b, result_b = _seeded_fit(tmp_path / "killed")
    # the kill came after epoch 2 was logged (CSV) but before it was backed up: epoch 2 is run again, its logged
    # row replaced
    assert result_b.resumed_from_epoch == 1 and result_b.epochs_run == 3
    assert result_b.history == result_a.history  # all four epochs, bit for bit
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not (tmp_path / "killed" / "backup").exists()  # removed once the fit completed
    assert (tmp_path / "killed" / "history.csv").read_text().count("\n") == 5


def test_a_backup_of_other_settings_is_discarded_not_resumed(tmp_path, capsys):
    with pytest.raises(KeyboardInterrupt):
        _seeded_fit(tmp_path / "run", callbacks=[kill_after_epoch(2)])
    assert (tmp_path / "run" / "backup" / training.SIGNATURE_FILE).is_file()
    training.set_seed(3)
    model = _dropout_model()  # the same run with another learning rate (a setting edited by hand)
    model.compile(optimizer=training.make_optimizer("adam", 1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    result = training.fit(model, *_toy_data(), epochs=4, batch_size=32, seed=11, run_dir=tmp_path / "run",
                          verbose=0)
    assert result.resumed_from_epoch == 0 and result.epochs_run == 4
    assert "a backup of another run" in capsys.readouterr().out
    assert (tmp_path / "run" / "history.csv").read_text().count("\n") == 5  # the old rows are gone


def test_the_run_signature_sees_model_optimizer_loss_data_and_seed():
    def signature(units=16, rate=1e-2, loss=None, seed=11, shift=0.0):
        loss = loss or keras.losses.SparseCategoricalCrossentropy()
        inputs = keras.Input((8, 8, 1))
        x = keras.layers.Dense(units)(keras.layers.Flatten()(inputs))
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
        model.compile(optimizer=training.make_optimizer("adam", rate), loss=loss)
        x, y = _toy_data()
        return training.run_signature(model, x + shift, y, batch_size=32, seed=seed)

    base = signature()
    assert signature() == base  # fresh objects and layer names, same settings (no object addresses or names)
    assert signature(loss=keras.losses.SparseCategoricalCrossentropy()) == base
    changed = [signature(units=8), signature(rate=1e-3), signature(loss="mse"), signature(seed=12),
               signature(shift=1e-3)]
    assert len({base, *changed}) == 6


def test_validation_runs_in_large_batches():
    training.set_seed(0)
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.compile(optimizer=training.make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy")
    x_val, y_val = _toy_data(3000, 1)
    result = training.fit(model, *_toy_data(), epochs=1, batch_size=32, seed=0, validation_data=(x_val, y_val),
                          verbose=0)
    by_batch = {size: model.evaluate(x_val, y_val, batch_size=size, verbose=0) for size in (32, 1024)}
    assert by_batch[32] != by_batch[1024]  # the batch size shows in the last digits of the mean
    assert result.history["val_loss"][-1] == by_batch[training.EVAL_BATCH_SIZE]


def test_epoch_dataset_order_depends_on_seed_and_epoch_only():
    x = np.arange(20, dtype="float32")[:, None]
    epoch = training.tf.Variable(0, dtype="int64")

    def order(seed):
        ds = training.epoch_dataset(x, x, batch_size=6, seed=seed, epoch=epoch)
        batches = [b[0].numpy()[:, 0] for b in ds]
        assert [len(b) for b in batches] == [6, 6, 6, 2]
        return np.concatenate(batches)

    first = order(1)
    assert sorted(first) == list(range(20))  # every row once per epoch
    np.testing.assert_array_equal(first, order(1))
    assert not np.array_equal(first, order(2))
    epoch.assign(1)
    assert not np.array_equal(first, order(1))
    epoch.assign(0)
    np.testing.assert_array_equal(first, order(1))


def test_the_seeded_path_learns_like_the_plain_path():
    _, plain = _train(5)
    _, seeded = _train(5, seed=5)  # fit's seed: the epoch-keyed tf.data path
    assert abs(plain.history["val_accuracy"][-1] - seeded.history["val_accuracy"][-1]) < 0.05
    assert seeded.history["val_accuracy"][-1] > 0.9


DISTRIBUTED_SCRIPT = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from mnist_studies import training

rng = np.random.default_rng(0)
x = rng.normal(size=(512, 6)).astype("float32")
y = (x[:, 0] - x[:, 1] > 0).astype("int64")
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
training.set_seed(0)
with strategy.scope():
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    model.compile(optimizer=training.make_optimizer("adam", 1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
result = training.fit(model, x, y, epochs=5, batch_size=64, seed=0, strategy=strategy, verbose=0)
outside = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
try:
    training.fit(outside, x, y, epochs=1, strategy=strategy, verbose=0)
    refused = False
except ValueError:
    refused = True
print(strategy.num_replicas_in_sync, result.history["accuracy"][-1], refused)
"""


@pytest.mark.slow
def test_fit_under_mirrored_strategy_on_two_logical_cpus_learns(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "distributed.py"
    script.write_text(DISTRIBUTED_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    replicas, accuracy, refused = done.stdout.split()[-3:]
    assert replicas == "2" and float(accuracy) > 0.9 and refused == "True"


def test_strategy_names_are_checked():
    assert training.get_strategy("auto") is training.tf.distribute.get_strategy()  # one CPU device here
    with pytest.raises(ValueError, match="unknown strategy 'tpu'"):
        training.get_strategy("tpu")
