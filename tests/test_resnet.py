import keras
import numpy as np
import pytest
from conftest import same_numbers

from mnist_studies import data, profiles, training
from mnist_studies.models import resnet
from mnist_studies.studies import resnet as study


def _count(model, kind=None, suffix=None):
    return sum(bool((kind and layer.__class__.__name__ == kind) or (suffix and layer.name.endswith(suffix)))
               for layer in model.layers)


@pytest.mark.parametrize("layout, additions, projections, params", [
    ("paper", 9, 2, 4_332_874),
    ("resnet18", 8, 3, 11_182_410),
])
def test_resnet_layouts(layout, additions, projections, params):
    model = resnet.build_resnet(**resnet.RESNET_LAYOUTS[layout])
    assert model.output_shape == (None, 10)
    assert _count(model, kind="Add") == additions
    assert _count(model, suffix="_proj_conv") == projections
    assert model.count_params() == params
    assert model.name == ("resnet_paper" if layout == "paper" else "resnet18")


def test_resnet_halves_the_resolution_per_stage_and_takes_other_shapes():
    model = resnet.build_resnet()
    assert model.get_layer("stage1_block3_out").output.shape[1:] == (28, 28, 64)
    assert model.get_layer("stage2_block1_out").output.shape[1:] == (14, 14, 128)
    assert model.get_layer("stage3_block3_out").output.shape[1:] == (7, 7, 256)
    small = resnet.build_resnet((32, 32, 3), 5, blocks_per_stage=(1, 1), widths=(8, 16))
    assert small.output_shape == (None, 5) and small.name == "resnet"
    with pytest.raises(ValueError, match="same length"):
        resnet.build_resnet(blocks_per_stage=(1, 1), widths=(8,))


def test_two_layer_cnn():
    model = resnet.build_two_layer_cnn()
    assert model.output_shape == (None, 10) and model.count_params() == 35_338
    assert model.get_layer("conv1").kernel_size == (5, 5) and model.get_layer("conv2").kernel_size == (3, 3)
    with pytest.raises(ValueError, match="input_shape must be"):
        resnet.build_two_layer_cnn((28, 28))


def test_the_learning_rate_schedule_lowers_the_rate():
    cfg = {"learning_rate": 1e-3, "epochs": 3}
    model = study.make_model("two_layer_cnn", cfg, steps_per_epoch=4)
    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    y = np.arange(64) % 10
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[training.LearningRateLogger()])
    rates = history.history["learning_rate"]
    assert rates[0] < 1e-3 and rates[0] > rates[1] > rates[2]
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        study.make_model("vgg", cfg, 1)


def test_iteration_loss_recovers_the_loss_of_each_batch():
    keras.utils.set_random_seed(0)
    model = resnet.build_two_layer_cnn()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")  # frozen weights
    x = np.random.default_rng(1).random((48, 28, 28, 1)).astype("float32")
    y = np.arange(48) % 10
    tracker = training.IterationLoss()
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[tracker])
    expected = [model.evaluate(x[i:i + 16], y[i:i + 16], verbose=0) for i in (0, 16, 32)]
    np.testing.assert_allclose(tracker.losses, expected, rtol=1e-4)


@pytest.mark.slow
def test_the_best_validation_model_is_the_one_tested(isolated_outputs, fresh_runs):
    cfg = profiles.get_profile("resnet", "smoke")
    cfg.update(models={"two_layer_cnn": {"train_size": 600, "epochs": 3}}, verbose=0)
    (record,) = study.run_study(cfg, device="cpu")
    history = record["history"]
    assert record["metrics"]["best_epoch"] == int(np.argmax(history["val_accuracy"])) + 1
    assert len(history["iteration_loss"]) == 3 * int(np.ceil(540 / 128))
    best = keras.saving.load_model(record["extra"]["files"]["checkpoint"], safe_mode=True)
    data = study.load_study_data({**cfg, "train_size": 600})
    assert best.evaluate(*data["val"], verbose=0, return_dict=True)["accuracy"] == pytest.approx(
        max(history["val_accuracy"]), abs=1e-6)
    predicted = best.predict(data["test"][0], verbose=0).argmax(axis=1)
    assert record["metrics"]["test_accuracy"] == pytest.approx(float((predicted == data["test"][1]).mean()))
    assert record["metrics"]["test_accuracy"] > 0.5  # 540 images, 3 epochs: it learns (chance 0.1)
    logs = isolated_outputs["runs"] / "smoke" / "resnet" / "two_layer_cnn-seed0" / "tensorboard"
    assert any(logs.rglob("events*"))
    fresh_runs()
    assert same_numbers([record], study.run_study(cfg, device="cpu"))  # repeatable to the last digit


def _accuracy(model, x, y, *, training):
    predicted = np.concatenate([np.asarray(model(x[i:i + 128], training=training)).argmax(axis=1)
                                for i in range(0, len(x), 128)])
    return float((predicted == y).mean())


def test_precise_batch_norm_makes_inference_match_training_after_a_short_fit(mnist):
    from mnist_studies import batchnorm

    (x, y), _ = mnist
    x, y = data.to_float(x[:1280]), y[:1280]
    training.set_seed(0)
    inputs = h = keras.Input((28, 28, 1))
    for filters in (16, 32):
        h = keras.layers.Conv2D(filters, 3, use_bias=False)(h)
        h = keras.layers.BatchNormalization(momentum=0.99)(h)  # Keras' default: slow moving averages
        h = keras.layers.MaxPooling2D(2)(keras.layers.ReLU()(h))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(h)))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=128, epochs=3, verbose=0)  # 30 updates
    trained = _accuracy(model, x, y, training=True)  # batch statistics, as in training
    stale = _accuracy(model, x, y, training=False)  # the moving averages of earlier weights
    assert trained > 0.85 and stale < trained - 0.3  # measured: 0.92 and 0.49
    assert batchnorm.recalibrate(model, x, batches=10) == 1280
    assert abs(_accuracy(model, x, y, training=False) - trained) < 0.02
    assert [layer.momentum for layer in batchnorm.batch_norm_layers(model)] == [0.99, 0.99]  # restored
    assert batchnorm.recalibrate(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), x) == 0
