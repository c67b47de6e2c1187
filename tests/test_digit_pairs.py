import keras
import numpy as np
import pytest
from conftest import same_numbers

from mnist_studies import data, profiles, records
from mnist_studies.models import digit_pairs as dpm
from mnist_studies.studies import digit_pairs as study


@pytest.fixture(scope="module")
def pairs():
    return data.make_digit_pairs(1000, seed=3)


def test_pairs_shapes_ranges_and_targets(pairs, mnist):
    (_, y_train), (_, y_test) = mnist
    train, test = pairs["train"], pairs["test"]
    assert train.x.shape == (1000, 14, 14, 2) and train.x.dtype == np.float32
    assert abs(train.x.mean()) < 1e-4 and abs(train.x.std() - 1) < 1e-4  # normalized by the training statistics
    assert abs(test.x.mean()) < 0.1  # the test set uses the training mean and std, not its own
    assert train.classes.shape == (1000, 2) and set(np.unique(train.target)) == {0.0, 1.0}
    np.testing.assert_array_equal(train.target, train.classes[:, 0] <= train.classes[:, 1])
    # classes are the MNIST labels of the images the pairs were drawn from, train from train, test from test
    np.testing.assert_array_equal(train.classes, y_train[train.index])
    np.testing.assert_array_equal(test.classes, y_test[test.index])


def test_no_image_is_used_twice_in_a_set(pairs):
    for pair_set in pairs.values():
        assert len(np.unique(pair_set.index)) == 2 * len(pair_set)


def test_pair_images_are_the_pooled_mnist_images(pairs, mnist):
    (x_train, _), _ = mnist
    train = pairs["train"]
    pooled = data.average_pool_2x2(x_train[train.index[:5, 1]])
    restored = train.x[:5, :, :, 1]
    # same image up to the affine normalization: correlation 1
    assert np.corrcoef(pooled.ravel(), restored.ravel())[0, 1] > 0.9999


def test_pairs_are_seeded(pairs):
    again = data.make_digit_pairs(1000, seed=3)
    other = data.make_digit_pairs(1000, seed=4)
    np.testing.assert_array_equal(pairs["train"].index, again["train"].index)
    assert not np.array_equal(pairs["train"].index, other["train"].index)


@pytest.mark.parametrize("name", list(dpm.BUILDERS))
def test_parameter_counts_are_about_70k(name):
    model = dpm.BUILDERS[name]()
    assert 55_000 <= model.count_params() <= 80_000, model.count_params()
    assert not model.compiled


def test_the_paper_layer_sizes():
    assert dpm.build_simple_cnn().count_params() == 77_903
    assert dpm.build_cnn_ws1().count_params() == 72_203
    ws1 = dpm.build_cnn_ws1()
    assert ws1.get_layer("fc_shared").kernel.shape == (75, 75)
    assert dpm.build_cnn_ws2().count_params() == 55_599
    assert dpm.build_digit_cnn().count_params() == 68_258
    outputs = dpm.build_cnn_aux().predict(np.zeros((3, 14, 14, 2), "float32"), verbose=0)
    assert {k: v.shape for k, v in outputs.items()} == {"pair": (3, 1), "digits": (3, 2, 10)}


def test_auxiliary_loss_changes_with_alpha(pairs):
    train = pairs["train"].subset(slice(0, 200))
    weights = dpm.build_cnn_aux().get_weights()
    losses = {}
    for alpha in (0.0, 2.0):  # the same weights, two auxiliary weights
        model = study.build_and_compile("Auxiliary @ 2", 1e-3, alpha=alpha)
        model.set_weights(weights)
        x, y = study._inputs_and_targets(model, train)
        losses[alpha] = model.evaluate(x, y, batch_size=len(train), verbose=0, return_dict=True)  # one batch
    # total = pair loss + alpha * digit loss; with alpha = 0 the digit term contributes nothing
    assert losses[0.0]["loss"] == pytest.approx(losses[0.0]["pair_loss"], rel=1e-5)
    assert losses[2.0]["loss"] == pytest.approx(losses[2.0]["pair_loss"] + 2.0 * losses[2.0]["digits_loss"],
                                                rel=1e-4)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        dpm.pair_losses(-1)


def test_alpha_zero_leaves_the_digit_head_untrained_by_the_auxiliary_term(pairs):
    """With α = 0 the gradient reaching the towers comes from the pair loss only: training on different digit
    targets gives identical weights."""
    import keras

    train = pairs["train"].subset(slice(0, 200))
    results = []
    for shift in (0, 3):
        keras.utils.set_random_seed(0)
        model = study.build_and_compile("Auxiliary @ 2", 1e-3, alpha=0.0)
        x, y = study._inputs_and_targets(model, train)
        y["digits"] = np.roll(y["digits"], shift, axis=-1)  # wrong digit targets must not matter at α = 0
        model.fit(x, y, epochs=1, batch_size=100, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_digit_model_pair_prediction_is_the_comparison_of_its_classes(pairs):
    model = dpm.build_digit_cnn()
    x = pairs["test"].x[:50]
    first = model.predict(x[..., :1], verbose=0).argmax(axis=1)
    second = model.predict(x[..., 1:], verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(study.predict_pairs_with_digit_model(model, x), (first <= second).astype(float))


def test_alpha_zero_trains_exactly_like_the_siamese_network(pairs):
    """The α sweep reuses CNNws2's cells for α = 0 (``sweep_model``): the two must train identically."""
    train = pairs["train"].subset(slice(0, 200))
    scores = []
    for name, alpha in (("Shared Weights 2", None), ("Auxiliary @ 2", 0.0)):
        keras.utils.set_random_seed(4)
        model = study.build_and_compile(name, 1e-3, alpha=alpha)
        x, y = study._inputs_and_targets(model, train)
        model.fit(x, y, epochs=2, batch_size=100, shuffle=False, verbose=0)
        out = model.predict(pairs["test"].x[:100], verbose=0)
        scores.append(out["pair"] if isinstance(out, dict) else out)
    np.testing.assert_array_equal(scores[0], scores[1])
    assert study.sweep_model(0.0) == ("Shared Weights 2", None)
    assert study.sweep_model(10.0) == ("Auxiliary @ 10", None)
    assert study.sweep_model(5.0) == ("Auxiliary @ 2", 5.0)


@pytest.mark.slow
def test_smoke_study_runs_records_and_a_rerun_reuses_every_record(isolated_outputs, fresh_runs):
    cfg = profiles.get_profile("digit_pairs", "smoke")
    out = study.run_study(cfg, device="cpu")
    assert len(out["tuning"]) == 4 and len(out["alpha"]) == 3 and len(out["evaluation"]) == 8
    names = [r["name"] for r in records.read_records("digit_pairs", "smoke")]
    # 4 tuning cells + the digit reference's cell (its rate is not in the grid); α = 0 and 2 reuse tuning cells
    assert len([n for n in names if n.startswith("cv-")]) == 5 and len(names) == 5 + 4 + 3 + 8
    assert out["alpha"][0]["extra"]["cell"] == "cv-Shared Weights 2-lr0.001"
    digit = [r for r in out["evaluation"] if r["extra"]["model"] == "Digit"]
    assert all(len(r["history"]["train_error"]) == cfg["epochs"] for r in digit)

    cells = {r["name"]: r for r in records.read_records("digit_pairs", "smoke")}
    simple = out["tuning"][0]  # a Table I row is timed as the cells it sums up took to train
    assert simple["timings"]["wall_seconds"] == pytest.approx(sum(
        cells[f"cv-Simple-lr{lr:g}"]["timings"]["wall_seconds"] for lr in cfg["lr_grid"]))
    assert all(r["timings"]["wall_seconds"] > 0 for r in out["evaluation"])

    # started again (after a kill, say, or to redraw): every record is complete, so nothing trains and nothing is
    # rewritten, the summaries included (a rerun once rewrote them with a re-read's timings)
    created = {r["name"]: r["created"] for r in records.read_records("digit_pairs", "smoke")}
    again = study.run_study(cfg, device="cpu")
    assert {r["name"]: r["created"] for r in records.read_records("digit_pairs", "smoke")} == created
    assert [r["metrics"] for r in again["evaluation"]] == [r["metrics"] for r in out["evaluation"]]
    # one more run per model: only those train (how many runs a profile makes is not in a run's record)
    more = study.run_study({**cfg, "runs": cfg["runs"] + 1}, device="cpu")
    after = {r["name"]: r["created"] for r in records.read_records("digit_pairs", "smoke")}
    assert {n: after[n] for n in created} == created and len(after) == len(created) + 4
    assert [r["metrics"] for r in more["evaluation"] if not r["name"].endswith(f"run{cfg['runs']}")] == \
        [r["metrics"] for r in out["evaluation"]]
    fresh_runs()  # recomputed from scratch in another folder: the same numbers to the last digit
    recomputed = study.run_study(cfg, device="cpu")
    assert all(same_numbers(out[part], recomputed[part]) for part in ("tuning", "alpha", "evaluation"))


def test_a_reused_compiled_model_trains_like_a_freshly_compiled_one(pairs):
    """``fresh_model`` reuses one compiled model per (model, α) across runs; a run must not notice."""
    train = pairs["train"].subset(slice(0, 200))
    cfg = {"epochs": 2, "batch_size": 100}
    first_run = []
    for lr in (5e-3, 1e-3):  # the second call reuses the compiled model of the first, at another rate
        keras.utils.set_random_seed(6)
        model, _ = study.train_model("Simple", lr, train, cfg, seed=6)
        first_run.append(model.predict(pairs["test"].x[:100], verbose=0))
    assert len(study._COMPILED) >= 1
    keras.utils.set_random_seed(6)
    model = study.build_and_compile("Simple", 1e-3)  # a model compiled from scratch, same seed and rate
    x, y = study._inputs_and_targets(model, train)
    from mnist_studies import training

    training.fit(model, x, y, epochs=2, batch_size=100, seed=6, verbose=0)
    np.testing.assert_array_equal(first_run[1], model.predict(pairs["test"].x[:100], verbose=0))
    assert not np.array_equal(first_run[0], first_run[1])


@pytest.mark.parametrize("name", ["Shared Weights 2", "Auxiliary @ 2", "Digit"])
def test_many_steps_per_execution_train_to_the_same_weights(pairs, monkeypatch, name):
    """The study runs ``STEPS_PER_EXECUTION`` train steps per call; one step per call must give the same model."""
    from mnist_studies import training

    train = pairs["train"].subset(slice(0, 250))  # 3 batches of 100: a short last call too
    weights, histories = {}, {}
    for steps in (1, study.STEPS_PER_EXECUTION):
        monkeypatch.setattr(study, "STEPS_PER_EXECUTION", steps)
        keras.utils.set_random_seed(4)
        model = study.build_and_compile(name, 1e-3)
        assert model.steps_per_execution == steps
        x, y = study._inputs_and_targets(model, train)
        histories[steps] = training.fit(model, x, y, epochs=2, batch_size=100, seed=4, verbose=0).history
        weights[steps] = model.get_weights()
    for a, b in zip(weights[1], weights[study.STEPS_PER_EXECUTION]):
        np.testing.assert_array_equal(a, b)
    assert histories[1] == histories[study.STEPS_PER_EXECUTION]
