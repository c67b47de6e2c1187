"""Study 000: separately trained kernels (Z. Yang, 2024). Runner, summary and claims
(figures: ``mnist_studies/plotting/separate_kernels.py``).

For each seed and activation the runner

1. trains the ten one-vs-rest binary classifiers (``binary_epochs``, Adam), packed in one Keras model
   (``build_packed_binary_classifiers``) whose loss is the mean of the ten: no weight is shared and Adam's update is
   per parameter, so this equals ten separate fits on the same batches at less overhead;
2. stacks their 3 kernels each into 30 and trains the pre-trained comprehensive classifier (``epochs``, Adam);
3. trains the conventional classifier from the *same* dense-layer initialization and batch order, so that the pair
   differs only in the initial conv layer (a paired comparison);
4. writes one record with both test accuracies, the ten one-vs-rest accuracies, per-epoch histories and the three
   kernel sets for the figures.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from mnist_studies import claims, data, profiles, records, training
from mnist_studies.models.separate_kernels import (
    build_comprehensive_classifier,
    build_packed_binary_classifiers,
    stack_kernels,
    unpack_binary_classifiers,
)

STUDY = "separate_kernels"
PAPER_GAIN_POINTS = 2.0  # §4: "an increase of approximately 2% in accuracy"
GAIN_RANGE = (1.0, 3.0)  # what we accept as "approximately 2 points"
MODELS = ("pretrained", "conventional")


def load_study_data(cfg: dict):
    """MNIST scaled to [0, 1] with a channel axis; class-balanced subsets when the profile asks for them."""
    (x_train, y_train), (x_test, y_test) = data.load_subsets(cfg)
    return data.to_float(x_train), y_train, data.to_float(x_test), y_test


def train_binary_models(x, y, *, activation: str, cfg: dict, seed: int = 0) -> tuple[list[keras.Model], np.ndarray]:
    """Train the ten one-vs-rest classifiers together (see the module docstring).

    Returns:
        The ten separate binary models (with the trained weights) and the packed model they were trained in.
    """
    packed = build_packed_binary_classifiers(x.shape[1:], data.NUM_CLASSES, kernel_size=cfg["kernel_size"],
                                             activation=activation)
    # the mean of the ten binary cross-entropies: each model's weights see only its own loss (scaled by 1/10,
    # which Adam's per-parameter normalization cancels)
    packed.compile(optimizer=training.make_optimizer("adam", cfg["learning_rate"]), loss="categorical_crossentropy")
    targets = one_vs_rest_targets(y)
    training.fit(packed, x, targets, epochs=cfg["binary_epochs"], batch_size=cfg["batch_size"], seed=seed,
                 verbose=0)
    return unpack_binary_classifiers(packed, activation=activation), packed


def one_vs_rest_targets(y) -> np.ndarray:
    """One-hot (not digit d, digit d) targets for each digit d: shape (N, 10, 2)."""
    is_digit = (np.asarray(y)[:, None] == np.arange(data.NUM_CLASSES)[None, :]).astype("float32")
    return np.stack([1.0 - is_digit, is_digit], axis=-1)


def one_vs_rest_scores(packed: keras.Model, x, y) -> dict[str, list[float]]:
    """Accuracy and balanced accuracy (mean of the two class recalls) of each binary model on (x, y)."""
    from sklearn.metrics import balanced_accuracy_score

    predicted = packed.predict(x, batch_size=1024, verbose=0).argmax(axis=-1)  # (N, 10): 1 = "is digit d"
    accuracy, balanced = [], []
    for digit in range(predicted.shape[1]):
        truth = (y == digit).astype(int)
        accuracy.append(float((predicted[:, digit] == truth).mean()))
        balanced.append(float(balanced_accuracy_score(truth, predicted[:, digit])))
    return {"accuracy": accuracy, "balanced_accuracy": balanced}


def _train_comprehensive(model, x, y, x_test, y_test, cfg, seed):
    model.compile(
        optimizer=training.make_optimizer("adam", cfg["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    before = model.evaluate(x_test, y_test, batch_size=1024, verbose=0, return_dict=True)
    result = training.fit(model, x, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], seed=seed,
                          validation_data=(x_test, y_test), verbose=cfg["verbose"])  # same order for both models
    history = {
        "loss": result.history["loss"],
        "accuracy": result.history["accuracy"],
        # validation_data is the test set: nothing is selected on it, it only traces the curve
        "test_loss": [before["loss"]] + result.history["val_loss"],
        "test_accuracy": [before["accuracy"]] + result.history["val_accuracy"],
    }
    return history, result.epoch_seconds


def run_cell(seed: int, activation: str, study_data, cfg: dict, *, device: str, deterministic: bool) -> dict:
    """One seed × activation: binary models, the pre-trained/conventional pair; returns the written record."""
    done = records.completed(STUDY, cfg["profile"], f"{activation}-seed{seed}", {**cfg, "activation": activation})
    if done:  # finished before this study was stopped and started again
        print(f"  {activation} seed {seed}: {done['metrics']['gain_points']:+.2f} points (from its record)")
        return done
    x, y, x_test, y_test = study_data
    start = time.perf_counter()
    training.set_seed(seed, deterministic=deterministic)
    binary_models, packed = train_binary_models(x, y, activation=activation, cfg=cfg, seed=seed)
    binary_seconds = time.perf_counter() - start
    ovr = one_vs_rest_scores(packed, x_test, y_test)
    kernels, biases = stack_kernels(binary_models)

    histories, epoch_seconds, final_kernels = {}, {}, {}
    for kind in MODELS:
        keras.utils.set_random_seed(seed + 1000)  # the same dense-layer initialization for both models
        model = build_comprehensive_classifier(
            x.shape[1:],
            kernel_size=cfg["kernel_size"],
            activation=activation,
            initial_kernels=kernels if kind == "pretrained" else None,
            initial_biases=biases if kind == "pretrained" and cfg["transfer_biases"] else None,
        )
        print(f"  {activation} seed {seed}: {model.name}")
        histories[kind], epoch_seconds[kind] = _train_comprehensive(model, x, y, x_test, y_test, cfg, seed)
        final_kernels[kind] = keras.ops.convert_to_numpy(model.get_layer("conv").kernel)

    metrics = {f"{kind}_test_accuracy": histories[kind]["test_accuracy"][-1] for kind in MODELS}
    metrics["gain_points"] = 100 * (metrics["pretrained_test_accuracy"] - metrics["conventional_test_accuracy"])
    metrics["one_vs_rest_test_accuracy"] = ovr["accuracy"]
    metrics["one_vs_rest_balanced_accuracy"] = ovr["balanced_accuracy"]
    record = records.make_record(
        study=STUDY,
        profile=cfg["profile"],
        name=f"{activation}-seed{seed}",
        seed=seed,
        config={**cfg, "activation": activation},
        metrics=metrics,
        history=histories,
        timings={"binary_seconds": binary_seconds, "epoch_seconds": epoch_seconds,
                 "wall_seconds": time.perf_counter() - start},
        device=device,
        deterministic=deterministic,
        extra={"kernels": {"pretrained_initial": kernels[..., 0, :], "pretrained_final":
                           final_kernels["pretrained"][..., 0, :], "conventional_final":
                           final_kernels["conventional"][..., 0, :]}},
    )
    records.write_record(record)
    print(f"  {activation} seed {seed}: pre-trained {metrics['pretrained_test_accuracy']:.4f}, conventional "
          f"{metrics['conventional_test_accuracy']:.4f} ({metrics['gain_points']:+.2f} points), "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return record


def run_study(cfg: dict, *, device: str = "auto") -> list[dict]:
    """Run the profile ``cfg``: the first activation (the paper's sigmoid) over ``seeds``, the other activations over
    ``ablation_seeds``. Returns the records (also written to ``results/<profile>/separate_kernels/``)."""
    profiles.check_settings(cfg)  # a setting edited in a notebook is checked before anything runs
    device_name = training.configure_device(device)
    deterministic = cfg.get("deterministic", not device_name.startswith("GPU"))
    study_data = load_study_data(cfg)
    first, *others = cfg["activations"]
    cells = [(first, s) for s in cfg["seeds"]] + [(a, s) for a in others for s in cfg["ablation_seeds"]]
    print(f"{STUDY}: {len(cells)} runs on {len(study_data[1]):,} training images, device {device_name}")
    out = []
    for i, (activation, seed) in enumerate(cells, start=1):
        print(f"[{i}/{len(cells)}] activation={activation} seed={seed}", flush=True)
        out.append(run_cell(seed, activation, study_data, cfg, device=device_name, deterministic=deterministic))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------------------


def verdict(gains_points) -> str:
    """Our verdict on "about +2 points", from the paired gains of several seeds:

    - reproduced: the mean gain lies in [1, 3] points and a paired t-test rejects "no gain" at 5%;
    - partly: a significant gain outside that range;
    - not reproduced: the 95% confidence interval of the mean gain lies below 1 point (no gain, or a loss);
    - inconclusive: anything else — too few or too noisy seeds to tell "no gain" from "about 2 points".

    With a single seed no test is possible: "not tested (1 seed)"."""
    from scipy import stats

    gains = np.asarray(gains_points, dtype=float)
    if len(gains) < 2:
        return "not tested (1 seed)"
    mean, sem = gains.mean(), stats.sem(gains)
    if sem == 0:
        p_value, upper = (0.0 if mean != 0 else 1.0), mean
    else:
        p_value = stats.ttest_1samp(gains, 0.0).pvalue
        upper = stats.t.interval(0.95, len(gains) - 1, loc=mean, scale=sem)[1]
    if p_value < 0.05 and GAIN_RANGE[0] <= mean <= GAIN_RANGE[1]:
        return "reproduced"
    if p_value < 0.05 and mean > 0:
        return "partly (significant gain, but not about 2 points)"
    if upper < GAIN_RANGE[0]:
        return "not reproduced"
    return f"inconclusive (95% CI of the gain reaches {upper:+.1f} points over {len(gains)} seeds)"


def summarize(study_records: list[dict]) -> list[dict]:
    """One row per activation: test accuracies (mean ± std over seeds), the paired gain and its verdict."""
    from scipy import stats

    rows = []
    for activation in dict.fromkeys(r["config"]["activation"] for r in study_records):
        group = [r for r in study_records if r["config"]["activation"] == activation]
        pre = [100 * r["metrics"]["pretrained_test_accuracy"] for r in group]
        conv = [100 * r["metrics"]["conventional_test_accuracy"] for r in group]
        gains = [r["metrics"]["gain_points"] for r in group]
        p_value = float(stats.ttest_rel(pre, conv).pvalue) if len(group) > 1 and np.std(gains) > 0 else math.nan
        rows.append({
            "activation": activation,
            "n_seeds": len(group),
            "pretrained": claims.mean_std(pre),
            "conventional": claims.mean_std(conv),
            "gain_points": claims.mean_std(gains),
            "p_value": p_value,
            "verdict": verdict(gains),
        })
    return rows


def format_summary(rows: list[dict]) -> str:
    """The summary as a Markdown table (test accuracy in %, mean ± std over seeds)."""
    lines = [
        "| activation | seeds | pre-trained | conventional | gain (points) | paper | paired t-test p | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [row["activation"], str(row["n_seeds"])]
        cells += [f"{row[k][0]:.2f} ± {row[k][1]:.2f}" for k in ("pretrained", "conventional")]
        cells += [f"{row['gain_points'][0]:+.2f} ± {row['gain_points'][1]:.2f}", f"+{PAPER_GAIN_POINTS:.0f}",
                  "–" if math.isnan(row["p_value"]) else f"{row['p_value']:.3g}", row["verdict"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_one_vs_rest(study_records: list[dict], activation: str) -> str:
    """Markdown table: mean accuracy and balanced accuracy of each digit's one-vs-rest model over seeds."""
    group = [r for r in study_records if r["config"]["activation"] == activation]
    accuracy = 100 * np.array([r["metrics"]["one_vs_rest_test_accuracy"] for r in group])
    balanced = 100 * np.array([r["metrics"]["one_vs_rest_balanced_accuracy"] for r in group])
    lines = [f"| digit ({activation}, {len(group)} seeds) | accuracy (%) | balanced accuracy (%) |",
             "| --- | --- | --- |"]
    lines += [f"| {d} | {accuracy[:, d].mean():.2f} | {balanced[:, d].mean():.2f} |" for d in range(accuracy.shape[1])]
    return "\n".join(lines)
