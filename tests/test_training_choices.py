import keras
import numpy as np
import pytest
from conftest import same_numbers

from mnist_studies import profiles, records
from mnist_studies.models import training_choices as tc
from mnist_studies.studies import training_choices as study


def test_cnn_has_the_papers_421642_parameters():
    model = tc.build_cnn()
    assert model.count_params() == 421_642
    assert [layer.count_params() for layer in model.layers if layer.count_params()] == [320, 18496, 401536, 1290]
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize("builder", [tc.build_cnn, tc.build_mlp])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_builders_switch_activation(builder, activation):
    model = builder(activation=activation)
    hidden = [layer for layer in model.layers if hasattr(layer, "activation") and layer.name != "output"]
    assert hidden and all(keras.activations.serialize(layer.activation) == activation for layer in hidden)
    assert keras.activations.serialize(model.get_layer("output").activation) == "softmax"
    assert model.name.endswith(activation)


def test_unknown_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown activation 'tanh'; valid activations: relu, sigmoid"):
        tc.build_cnn(activation="tanh")
    with pytest.raises(ValueError, match="unknown model 'rnn'; valid models: mlp, cnn"):
        tc.build("rnn")
    cfg = profiles.get_profile("training_choices", "smoke")
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        study.grid_cells({**cfg, "optimizers": ["adagrad"]})
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        study.grid_cells({**cfg, "activations": ["elu"]})


def _fake_record(model, opt, lr, act, val_accuracy, diverged=False):
    return {"config": {"model": model, "optimizer": opt, "learning_rate": lr, "activation": act},
            "history": {"val_accuracy": val_accuracy},
            "metrics": {"max_val_accuracy": max(val_accuracy), "best_val_accuracy": max(val_accuracy),
                        "test_accuracy": max(val_accuracy), "diverged": diverged}}


def test_claims_on_hand_made_records():
    recs = [
        _fake_record("cnn", "adam", 1e-3, "relu", [0.95, 0.98]),
        _fake_record("cnn", "sgd", 1e-3, "relu", [0.6, 0.91]),
        _fake_record("cnn", "sgd", 1e-3, "sigmoid", [0.11, 0.11]),
        _fake_record("cnn", "adam", 1e-3, "sigmoid", [0.93, 0.96]),
        _fake_record("cnn", "adam", 1e-1, "relu", [0.1, 0.1], diverged=True),
        _fake_record("mlp", "adam", 1e-3, "relu", [0.93, 0.95]),
    ]
    claims = {c["claim"].split(" (")[0]: c for c in study.check_claims(recs)}
    assert claims["CNN acquires better accuracy than MLP"]["verdict"] == "supported"
    assert claims["Adam reaches high accuracy faster than SGD"]["verdict"] == "supported"
    sig = [c for c in claims.values() if c["claim"].startswith("with sigmoid")][0]
    assert sig["verdict"] == "supported" and "sigmoid 11.0%, ReLU 91.0%" in sig["evidence"]
    large = [c for c in claims.values() if c["claim"].startswith("with Adam")][0]
    assert large["evidence"].startswith("1 of 1")


@pytest.mark.slow
def test_grid_runner_writes_a_record_per_cell_and_keeps_the_lowest_val_loss_checkpoint(isolated_outputs,
                                                                                      fresh_runs):
    cfg = profiles.get_profile("training_choices", "smoke")
    cfg.update(models=["mlp"], optimizers=["adam", "sgd"], learning_rates=[3e-3], epochs=4)
    recs = study.run_study(cfg, device="cpu")
    fresh_runs()
    assert same_numbers(recs, study.run_study(cfg, device="cpu"))  # repeatable to the last digit
    fresh_runs()
    recs = study.run_study(cfg, device="cpu")
    assert sorted(r["name"] for r in records.read_records("training_choices", "smoke")) == [
        "mlp-adam-lr0.003-relu", "mlp-sgd-lr0.003-relu"]
    data = study.load_study_data(cfg)
    for record in recs:
        val_loss = record["history"]["val_loss"]
        assert record["metrics"]["best_epoch"] == int(np.argmin(val_loss)) + 1
        best = keras.saving.load_model(record["extra"]["files"]["checkpoint"], safe_mode=True)
        loss = best.evaluate(*data["val"], verbose=0, return_dict=True)["loss"]
        assert loss == pytest.approx(min(val_loss), rel=1e-4)
    adam = next(r for r in recs if r["config"]["optimizer"] == "adam")
    assert adam["metrics"]["test_accuracy"] > 0.6  # 480 images, 4 epochs: it really learns (chance 0.1)


@pytest.mark.slow
def test_ten_steps_per_call_give_the_numbers_of_one(isolated_outputs, fresh_runs, monkeypatch):
    cfg = profiles.get_profile("training_choices", "smoke")
    cfg.update(models=["cnn"], optimizers=["sgd"], learning_rates=[1e-2], epochs=2)
    assert study.STEPS_PER_EXECUTION == 10
    ten = study.run_study(cfg, device="cpu")
    fresh_runs()
    monkeypatch.setattr(study, "STEPS_PER_EXECUTION", 1)
    assert same_numbers(ten, study.run_study(cfg, device="cpu"))
