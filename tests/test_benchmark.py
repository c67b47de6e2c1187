"""The benchmark harness (``make bench``) on a tiny model: it produces a well-formed record."""

import json

import keras

from mnist_studies import benchmark


def _tiny():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(keras.layers.Conv2D(4, 3, activation="relu")(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x), name="tiny")


def test_the_harness_times_both_paths_and_writes_json_and_a_plot(tmp_path, monkeypatch):
    case = benchmark.Case("tiny", _tiny, "sparse_categorical_crossentropy", 32, 1_000, images=256)
    monkeypatch.setattr(benchmark, "default_cases", lambda scale=1.0: [case])
    monkeypatch.setattr(benchmark, "page_latency", lambda: {"pixels": 1, "segmentation_seconds": 0.1,
                                                            "segmentation_and_recognition_seconds": 0.2})
    assert benchmark.main(["--quick", "--output", str(tmp_path)]) == 0
    [path] = list(tmp_path.glob("bench-*.json"))
    assert path.with_suffix(".png").is_file()
    result = json.loads(path.read_text())
    assert result["device"].startswith("CPU") and result["versions"]["keras"]
    [row] = result["cases"]
    assert row["name"] == "tiny" and row["parameters"] == _tiny().count_params()
    for side in ("plain", "project"):
        timing = row[side]
        assert timing["images_per_second"] > 0 and timing["steady_epoch_seconds"] > 0
        assert abs(timing["real_epoch_seconds"] - 1_000 / timing["images_per_second"]) < 1e-6
        assert timing["repeated_run_seconds"] > 0
    rounds = {path: row[path]["images_per_second_per_round"] for path in ("plain", "project", "compute")}
    per_round = sorted(a / b for a, b in zip(rounds["project"], rounds["plain"]))
    assert abs(row["speedup"] - per_round[1]) < 1e-9  # the median of the per-round ratios
    assert row["compute"]["steps_per_execution"] == 256 // 32 and row["compute"]["images_per_second"] > 0
    for key in ("speedup", "ceiling"):  # the median round lies inside the range over the interleaved rounds
        low, high = row[f"{key}_range"]
        assert low <= row[key] <= high
    assert all(len(row[path]["images_per_second_per_round"]) == row["repeats"] == 3
               for path in ("plain", "project", "compute"))
    assert abs(row["ceiling"] - sorted(a / b for a, b in zip(rounds["compute"], rounds["plain"]))[1]) < 1e-9
    assert "lenet5_time_to_99" not in result  # --quick leaves out the long run


def test_the_project_path_compiles_with_the_studys_own_options():
    import numpy as np

    case = benchmark.Case("tiny", _tiny, "sparse_categorical_crossentropy", 32, 1_000, images=128,
                          compile_options={"steps_per_execution": 2})
    x, y = np.zeros((128, 8, 8, 1), "float32"), np.zeros(128, "int64")
    models = benchmark._paths(case, x, y, seed=0).models
    assert models["plain"].steps_per_execution == 1 and models["project"].steps_per_execution == 2
    assert models["compute"].steps_per_execution == 128 // 32  # the ceiling path keeps its whole-epoch call
    # study 003's builders are timed as the study compiles them
    from mnist_studies.studies.digit_pairs import STEPS_PER_EXECUTION

    pairs = [c for c in benchmark.default_cases() if c.name.startswith("003")]
    assert len(pairs) == 5 and all(c.project_options["steps_per_execution"] == STEPS_PER_EXECUTION for c in pairs)
    assert all("steps_per_execution" not in c.project_options for c in benchmark.default_cases()
               if not c.name.startswith("003"))
