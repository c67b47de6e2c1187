import keras
import numpy as np
import pytest
from conftest import kill_after_epoch, same_numbers

from mnist_studies import profiles, records
from mnist_studies.models import lenet5
from mnist_studies.studies import lenet5 as study


def test_classic_parameter_counts():
    assert lenet5.build_lenet5().count_params() == 61_706
    lecun = lenet5.build_lenet5(c3="lecun")
    assert lecun.get_layer("c3").count_params() == 1_516
    assert lecun.count_params() == 61_706 - 2_416 + 1_516
    assert lecun.output_shape == (None, 10)


def test_lecun_c3_uses_only_the_connected_maps():
    layer = lenet5.LeNetC3()
    x = np.random.default_rng(0).random((1, 14, 14, 6)).astype("float32")
    base = keras.ops.convert_to_numpy(layer(x))
    x2 = x.copy()
    x2[..., 5] += 1.0  # map 5 feeds C3 maps 3, 4, 5, 8, 9, 10, 11, 13, 14, 15 only
    changed = np.flatnonzero(np.abs(keras.ops.convert_to_numpy(layer(x2)) - base).max(axis=(0, 1, 2)) > 0)
    assert changed.tolist() == [j for j, maps in enumerate(lenet5.LECUN_C3_TABLE) if 5 in maps]


@pytest.mark.parametrize("size, levels", [(10, (4, 2, 1)), (5, (4, 2, 1)), (3, (4, 2, 1)), (1, (4, 2, 1)),
                                          (7, (3, 1)), (2, (4,))])
def test_spp_output_size_for_any_map_size(size, levels):
    layer = lenet5.SpatialPyramidPooling(levels)
    x = np.random.default_rng(1).random((2, size, size + 1, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    assert out.shape == (2, 3 * sum(n * n for n in levels))
    # the 1x1 level (when present) is the global maximum; every bin is non-empty so no value is -inf
    if 1 in levels:
        np.testing.assert_allclose(out[:, -3:], x.max(axis=(1, 2)))
    assert np.isfinite(out).all()


def test_spp_bins_cover_the_map_even_when_it_is_small():
    for length in range(1, 12):
        for bins in (1, 2, 4):
            edges = lenet5.SpatialPyramidPooling.bin_edges(length, bins)
            assert len(edges) == bins and all(b > a for a, b in edges)
            assert edges[0][0] == 0 and edges[-1][1] == length


def test_improved_model_round_trips_through_a_keras_file(tmp_path):
    model = lenet5.build_improved_lenet5(deform=True)
    assert model.get_layer("spp").output.shape == (None, 21 * 32)
    path = tmp_path / "improved.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = np.random.default_rng(2).random((3, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    lecun = lenet5.build_lenet5(c3="lecun")
    lecun.save(tmp_path / "lecun.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "lecun.keras").predict(x, verbose=0),
                               lecun.predict(x, verbose=0), atol=1e-6)


def test_ablation_steps_add_one_change_at_a_time():
    names = [name for name, _, _ in study.ABLATION]
    assert names[0] == "classic" and study.IMPROVED_STEP in names
    assert study.build_step("+SPP").get_layer("spp")
    # beside the chain: "+32 kernels" with 64 (§5's "more kernels are not better"), listed after the chain's steps
    assert study.build_step("64 kernels").count_params() == 307_262 > study.build_step("+32 kernels").count_params()
    records = [{"config": {"step": step}, "metrics": {"test_error_percent": 1.0}} for step in ("64 kernels", "classic")]
    assert study.steps_in_order(records) == ["classic", "64 kernels"]
    with pytest.raises(ValueError, match="unknown ablation step"):
        study.build_step("+batchnorm")
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        lenet5.build_improved_lenet5(activation="gelu")


def test_the_improved_networks_c1_is_two_3x3_convolutions_and_the_ablation_adds_them_as_a_step():
    improved = lenet5.build_improved_lenet5()
    assert improved.count_params() == 126_974  # 118,238 with one 5x5 C1
    assert lenet5.build_improved_lenet5(c1_kernels=(5,)).count_params() == 118_238
    assert [layer.name for layer in improved.layers if layer.name.startswith("c1")] == ["c1a", "c1b"]
    assert improved.get_layer("c1b").output.shape[1:] == (28, 28, 32)  # the 5x5's output size (§3.2 (1))
    assert study.build_step("+SPP").count_params() == 118_238
    assert study.build_step("+3x3 pair").count_params() == study.build_step(study.IMPROVED_STEP).count_params()
    with pytest.raises(ValueError, match="c1_kernels must shrink the map by 4 pixels"):
        lenet5.build_improved_lenet5(c1_kernels=(3,))


def test_the_improved_network_trains_first_over_its_own_seeds():
    paper = profiles.get_profile("lenet5", "paper")
    runs = study.planned_runs(paper)
    assert runs[:3] == [(study.IMPROVED_STEP, 0), (study.IMPROVED_STEP, 1), (study.IMPROVED_STEP, 2)]
    compared = [(step, seed) for step in paper["compared_steps"] for seed in paper["compared_seeds"]]  # the pairs next
    assert runs[3:3 + len(compared)] == compared
    assert runs[3 + len(compared):] == [(step, 0) for step in paper["steps"]
                                        if step != study.IMPROVED_STEP and step not in paper["compared_steps"]]
    # besides the runs: one record per rate of the sweep and the pages' record
    assert len(runs) == profiles.run_count("lenet5", paper) - len(paper["lr_grid"]) - 1
    quick = profiles.get_profile("lenet5", "quick")
    assert len(study.planned_runs(quick)) == len(quick["seeds"]) + (len(quick["steps"]) - 1) * len(
        quick["ablation_seeds"]) == profiles.run_count("lenet5", quick) - 1  # the pages' record besides
    # tables and figures keep the ablation's order whatever the training order
    fake = [{"name": f"{step}-{seed}", "config": {"step": step}, "metrics": {"test_error_percent": 1.0 + seed,
                                                                            "parameters": 1}}
            for step, seed in runs]
    assert [row["step"] for row in study.ablation_rows(fake)] == paper["steps"]
    seeds = {study.IMPROVED_STEP: len(paper["seeds"]),
             **{step: len(paper["compared_seeds"]) for step in paper["compared_steps"]}}
    assert [row["n"] for row in study.ablation_rows(fake)] == [seeds.get(s, 1) for s in paper["steps"]]


def test_the_claims_runs_take_their_own_settings_and_the_ablation_keeps_the_profiles():
    quick = profiles.get_profile("lenet5", "quick")
    claim, ablation = study.run_settings(quick, study.IMPROVED_STEP), study.run_settings(quick, "+SPP")
    assert (claim["train_size"], claim["lr_schedule"], claim["evaluate_every"]) == (None, "cosine", 500)
    assert (ablation["train_size"], ablation["lr_schedule"]) == (quick["train_size"], "constant")
    assert "claim_runs" not in claim and "claim_runs" not in ablation and claim["step"] == study.IMPROVED_STEP
    paper = profiles.get_profile("lenet5", "paper")
    assert study.run_settings(paper, study.IMPROVED_STEP) == {**study.run_settings(paper, "+SPP"),
                                                              "step": study.IMPROVED_STEP}
    # what plans the runs (seeds, steps, pages, the sweep's grid) is not a run's setting: adding a seed keeps the
    # runs already made; the rate the sweep chose is
    planned = study.run_settings(paper, "+SPP", 0.03)
    assert not set(planned) & set(study.PLANNING_KEYS) and planned["learning_rate"] == 0.03
    assert planned == study.run_settings({**paper, "seeds": [0, 1, 2, 3], "pages": 7}, "+SPP", 0.03)
    cosine = study.make_optimizer({**claim, "epochs": 2}, steps_per_epoch=10)
    assert float(cosine._learning_rate(0)) == pytest.approx(quick["learning_rate"])  # first and last update
    assert float(cosine._learning_rate(20)) == pytest.approx(0.0, abs=1e-9)
    constant = study.make_optimizer(ablation, steps_per_epoch=10)
    assert float(constant.learning_rate) == pytest.approx(quick["learning_rate"])
    with pytest.raises(ValueError, match="claim_runs: setting 'epochs'"):
        profiles.check_settings({**quick, "claim_runs": {"epochs": 0}})


@pytest.mark.slow
def test_smoke_ablation_learns_is_repeatable_and_saves_the_study_model(isolated_outputs, fresh_runs):
    cfg = profiles.get_profile("lenet5", "smoke")
    cfg["epochs"] = 2
    out = study.run_study(cfg, device="cpu")
    improved = next(r for r in out if study.is_training_run(r) and r["config"]["step"] == study.IMPROVED_STEP)
    assert improved["metrics"]["test_accuracy"] > 0.6  # 1,200 images, 2 epochs (chance 0.1)
    points = improved["history"]["test_accuracy_every"]
    assert [p[0] for p in points] == list(range(5, 21, 5))  # every 5 iterations of 10 per epoch
    assert study.study_model_path("smoke").exists()
    assert len(records.read_records("lenet5", "smoke")) == 2 + len(cfg["lr_grid"])  # the runs and the sweep's
    assert improved["config"]["learning_rate"] in cfg["lr_grid"]
    fresh_runs()
    assert same_numbers(out, study.run_study(cfg, device="cpu"))  # repeatable to the last digit


@pytest.mark.slow
def test_the_learning_rate_is_chosen_on_held_out_training_images_and_the_sweep_resumes(isolated_outputs, fresh_runs):
    cfg = {**profiles.get_profile("lenet5", "smoke"), "optimizer": "sgd", "lr_grid": [1e-5, 0.1], "lr_sweep_epochs": 2,
           "val_fraction": 0.25}
    cfg.pop("learning_rate", None)
    rate, sweep = study.choose_learning_rate(cfg, deterministic=True, device_name="cpu")
    assert rate == 0.1  # 1e-5 barely moves the weights in 20 updates
    assert [r["name"] for r in sweep] == ["lr_sweep-1e-05", "lr_sweep-0.1"]
    assert [r["metrics"]["val_images"] for r in sweep] == [300, 300]  # a quarter of the 1,200 training images
    assert sweep[1]["metrics"]["val_accuracy"] > sweep[0]["metrics"]["val_accuracy"]
    assert not any(study.is_training_run(r) for r in sweep)  # the ablation's tables and claims leave them out
    fresh_runs()
    again, reused = study.choose_learning_rate(cfg, deterministic=True, device_name="cpu")
    assert again == rate and same_numbers(sweep, reused)  # from the records, not trained again
    assert study.run_settings(cfg, "classic", rate)["learning_rate"] == 0.1


@pytest.mark.slow
def test_a_run_killed_mid_fit_resumes_to_the_same_weights_and_test_accuracy_points(isolated_outputs, tmp_path):
    cfg = {**profiles.get_profile("lenet5", "smoke"), "epochs": 3, "evaluate_every": 3,  # 10 iterations per epoch
           "learning_rate": 1e-3}
    study_data = study.load_study_data(cfg)

    def train(run_dir, callbacks=()):
        return study.train_step(study.IMPROVED_STEP, study_data, cfg, 0, deterministic=True, run_dir=run_dir,
                                callbacks=callbacks)

    straight, straight_fit, straight_points = train(tmp_path / "straight")
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "killed", callbacks=(kill_after_epoch(1),))  # epoch 1's points saved, its backup not made
    resumed, resumed_fit, resumed_points = train(tmp_path / "killed")
    assert resumed_fit.resumed_from_epoch == 1  # epoch 0 was not trained again
    assert [p[0] for p in straight_points] == list(range(3, 31, 3))  # the iteration count runs on across epochs
    assert resumed_points == straight_points  # epoch 1's saved points were dropped and measured again
    assert resumed_fit.history == straight_fit.history
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_steps_per_call_divide_the_evaluation_interval_and_the_epoch():
    paper, quick = profiles.get_profile("lenet5", "paper"), profiles.get_profile("lenet5", "quick")
    assert study.steps_per_call(paper, 60_000) == 500  # one call per epoch, evaluated at its end
    assert study.steps_per_call(quick, 8_000) == 1  # 67 steps per epoch, every 50: no common divisor
    assert study.steps_per_call(study.run_settings(quick, study.IMPROVED_STEP), 60_000) == 500  # the claim's runs
    assert study.steps_per_call({**quick, "evaluate_every": 20}, 2_400) == 20


@pytest.mark.slow
def test_several_steps_per_call_give_the_same_weights_and_points(isolated_outputs):
    cfg = {**profiles.get_profile("lenet5", "smoke"), "epochs": 2, "learning_rate": 1e-3}  # 10 steps/epoch, every 5
    study_data = study.load_study_data(cfg)
    one, one_fit, one_points = study.train_step(study.IMPROVED_STEP, study_data, cfg, 0, deterministic=True, steps=1)
    assert study.steps_per_call(cfg, len(study_data["train"][1])) == 5
    five, five_fit, five_points = study.train_step(study.IMPROVED_STEP, study_data, cfg, 0, deterministic=True)
    assert five.steps_per_execution == 5
    assert [p[0] for p in five_points] == [5, 10, 15, 20] and five_points == one_points
    assert five_fit.history == one_fit.history
    for a, b in zip(one.get_weights(), five.get_weights()):
        np.testing.assert_array_equal(a, b)
