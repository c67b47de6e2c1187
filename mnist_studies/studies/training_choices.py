"""Study 002: MLP vs CNN, SGD vs Adam, learning rate, ReLU vs sigmoid (M. J. Ranjbar). Grid runner, tables, claims
(figures: ``mnist_studies/plotting/training_choices.py``).

Every cell of the grid model × optimizer × learning rate × activation is trained the paper's way (categorical
cross-entropy, batch 64, 20% of the training data held out for validation, the best model by validation loss kept
by ``ModelCheckpoint``) and writes one run record; the kept best checkpoint (``best.keras``) is evaluated once on the
test set. Training stops early only when the loss becomes NaN (``TerminateOnNaN``); the record says so.
"""

from __future__ import annotations

import itertools
import math
import time

import keras
import numpy as np

from mnist_studies import data, paths, profiles, records, training
from mnist_studies.models.training_choices import ACTIVATIONS, BUILDERS, build

STUDY = "training_choices"
# Thresholds that turn the paper's qualitative claims into checks (see the notebook for the wording).
HIGH_ACCURACY = 0.90  # "reaches high accuracy": validation accuracy at least this
LEARNS = 0.80  # "works": best validation accuracy at least this
BARELY_LEARNS = 0.30  # "barely learns": best validation accuracy at most this (chance is 0.10)
# Train steps per call of the compiled train function: no callback of this study needs each batch (TerminateOnNaN
# then checks every 10 steps, and the epoch's NaN is still caught); the weights are the same as with one step per
# call (tested).
STEPS_PER_EXECUTION = 10
UNSTABLE_DROP = 0.05  # "fluctuates or diverges": best val. accuracy this far below the best learning rate's, or NaN


def grid_cells(cfg: dict) -> list[dict]:
    """The grid of the profile as a list of cells ``{"model", "optimizer", "learning_rate", "activation"}``."""
    for name in cfg["models"]:
        if name not in BUILDERS:
            raise ValueError(f"unknown model {name!r}; valid models: {', '.join(BUILDERS)}")
    for name in cfg["optimizers"]:
        training.make_optimizer(name, 1.0)  # raises on unknown names
    for name in cfg["activations"]:
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; valid activations: {', '.join(ACTIVATIONS)}")
    grid = itertools.product(cfg["models"], cfg["optimizers"], cfg["learning_rates"], cfg["activations"])
    return [dict(model=m, optimizer=o, learning_rate=lr, activation=a) for m, o, lr, a in grid]


def cell_name(cell: dict) -> str:
    return f"{cell['model']}-{cell['optimizer']}-lr{cell['learning_rate']:g}-{cell['activation']}"


def load_study_data(cfg: dict):
    """Train/validation (stratified, seeded, ``val_fraction`` held out) and test sets, scaled, one-hot labels."""
    (x_train, y_train), (x_test, y_test) = data.load_subsets(cfg)
    (x_tr, y_tr), (x_val, y_val) = data.stratified_split(x_train, y_train, val_fraction=cfg["val_fraction"],
                                                          seed=cfg["data_seed"])
    one_hot = lambda y: keras.utils.to_categorical(y, data.NUM_CLASSES)  # noqa: E731 (the paper's labels)
    return {
        "train": (data.to_float(x_tr), one_hot(y_tr)),
        "val": (data.to_float(x_val), one_hot(y_val)),
        "test": (data.to_float(x_test), one_hot(y_test)),
    }


def run_cell(cell: dict, study_data: dict, cfg: dict, *, device: str, deterministic: bool) -> dict:
    """Train one grid cell, evaluate its best checkpoint on the test set, write and return its record."""
    name = cell_name(cell)
    done = records.completed(STUDY, cfg["profile"], name, {**cfg, **cell})
    if done:  # finished before this study was stopped and started again
        return done
    run_dir = paths.runs_dir(STUDY, cfg["profile"]) / name  # a killed cell resumes from its last epoch here
    training.set_seed(cfg["seed"], deterministic=deterministic)
    with training.distribution_scope():  # every GPU of a multi-GPU machine; a no-op on one device
        model = build(cell["model"], input_shape=study_data["train"][0].shape[1:], activation=cell["activation"])
        model.compile(optimizer=training.make_optimizer(cell["optimizer"], cell["learning_rate"]),
                      loss="categorical_crossentropy", metrics=["accuracy"], steps_per_execution=STEPS_PER_EXECUTION)
    result = training.fit(model, *study_data["train"], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                          seed=cfg["seed"], validation_data=study_data["val"], run_dir=run_dir, checkpoint=True,
                          monitor="val_loss",
                          callbacks=[keras.callbacks.TerminateOnNaN()], verbose=cfg["verbose"])
    history = result.history
    val_loss = np.array(history["val_loss"], dtype=float)
    diverged = bool(np.isnan(history["loss"]).any() or np.isnan(val_loss).any())
    finite = np.where(np.isnan(val_loss), np.inf, val_loss)
    best_index = int(np.argmin(finite))
    if result.checkpoint_path.exists():  # saved at the epoch of lowest validation loss
        best = keras.saving.load_model(result.checkpoint_path, safe_mode=True)
    else:  # the validation loss was never finite: nothing to select, test the last model
        best = model
    test = best.evaluate(*study_data["test"], batch_size=1024, verbose=0, return_dict=True)
    metrics = {
        "best_epoch": best_index + 1,
        "best_val_loss": float(val_loss[best_index]),
        "best_val_accuracy": history["val_accuracy"][best_index],
        "max_val_accuracy": float(np.nanmax(history["val_accuracy"])),
        "final_val_accuracy": history["val_accuracy"][-1],
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "diverged": diverged,
        "epochs_run": result.epochs_run,
        "parameters": model.count_params(),
    }
    record = records.make_record(
        study=STUDY, profile=cfg["profile"], name=name, seed=cfg["seed"], config={**cfg, **cell}, metrics=metrics,
        history=history, device=device, deterministic=deterministic,
        timings={"epoch_seconds": result.epoch_seconds, "wall_seconds": result.wall_seconds},
        extra={"files": result.files},
    )
    records.write_record(record)
    return record


def estimate_seconds(cfg: dict, study_data: dict, *, timed_steps: int = 3) -> float:
    """The grid's training time on this device: a few timed steps of each model, times the steps of every cell
    (validation left out)."""
    x, y = study_data["train"]
    batch, labels = x[: cfg["batch_size"]], y[: cfg["batch_size"]]
    per_step = {}
    for name in cfg["models"]:
        model = build(name, input_shape=x.shape[1:], activation="relu")
        model.compile(optimizer=training.make_optimizer("sgd", 1e-2), loss="categorical_crossentropy")
        model.train_on_batch(batch, labels)  # traces
        start = time.perf_counter()
        for _ in range(timed_steps):
            model.train_on_batch(batch, labels)
        per_step[name] = (time.perf_counter() - start) / timed_steps
    steps = math.ceil(len(x) / cfg["batch_size"]) * cfg["epochs"]
    return sum(per_step[cell["model"]] for cell in grid_cells(cfg)) * steps


def run_study(cfg: dict, *, device: str = "auto") -> list[dict]:
    """Run every cell of the profile's grid; returns the records (also in ``results/<profile>/training_choices/``).
    A profile marked ``needs_gpu`` is not trained on a CPU: the grid's time here is estimated and recorded
    (``records.write_needs_gpu``), nothing is returned, and the report shows the claims as "needs a GPU"."""
    profiles.check_settings(cfg)  # a setting edited in a notebook is checked before anything runs
    cells = grid_cells(cfg)
    device_name = training.configure_device(device)
    deterministic = cfg.get("deterministic", not device_name.startswith("GPU"))
    study_data = load_study_data(cfg)
    print(f"{STUDY}: {len(cells)} cells, {len(study_data['train'][0]):,} training / {len(study_data['val'][0]):,} "
          f"validation images, {cfg['epochs']} epochs, device {device_name}", flush=True)
    if cfg.get("needs_gpu") and not device_name.startswith("GPU"):
        estimate = estimate_seconds(cfg, study_data)
        records.write_needs_gpu(study=STUDY, profile=cfg["profile"], name="grid", config=cfg,
                                estimated_seconds=estimate, device=device_name)
        print(f"{STUDY}: the grid needs a GPU (estimated {estimate / 3600:.0f} h on this device): not run here; on a "
              f"GPU machine `make reproduce PROFILE={cfg['profile']} ONLY=03` runs it", flush=True)
        return []
    out = []
    for i, cell in enumerate(cells, start=1):
        start = time.perf_counter()
        record = run_cell(cell, study_data, cfg, device=device_name, deterministic=deterministic)
        m = record["metrics"]
        print(f"[{i}/{len(cells)}] {record['name']}: best val acc {m['best_val_accuracy']:.4f} (epoch "
              f"{m['best_epoch']}), test acc {m['test_accuracy']:.4f}{', DIVERGED' if m['diverged'] else ''} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        out.append(record)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Summary and claims (from records)
# ---------------------------------------------------------------------------------------------------------------


def cell_key(r: dict) -> tuple:
    """A grid cell's (model, optimizer, learning rate, activation) from its record."""
    c = r["config"]
    return c["model"], c["optimizer"], c["learning_rate"], c["activation"]


def format_table(study_records: list[dict]) -> str:
    """Markdown table: one row per cell with best validation accuracy, its epoch, and test accuracy."""
    lines = ["| model | optimizer | learning rate | activation | best val. acc. (%) | at epoch | test acc. (%) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in sorted(study_records, key=cell_key):
        m = r["metrics"]
        flag = " (diverged)" if m["diverged"] else ""
        lines.append(f"| {' | '.join(str(v) for v in cell_key(r))} | {100 * m['best_val_accuracy']:.2f}{flag} | "
                     f"{m['best_epoch']} | {100 * m['test_accuracy']:.2f} |")
    return "\n".join(lines)


def epochs_to_reach(record: dict, threshold: float = HIGH_ACCURACY) -> int | None:
    """First epoch (1-based) whose validation accuracy reaches ``threshold``; None if it never does."""
    for epoch, accuracy in enumerate(record["history"]["val_accuracy"], start=1):
        if accuracy >= threshold:
            return epoch
    return None


def check_claims(study_records: list[dict]) -> list[dict]:
    """The paper's four claims, each with our numbers and a verdict: supported / not supported / not testable."""
    by_cell = {cell_key(r): r for r in study_records}
    models = sorted({k[0] for k in by_cell})
    optimizers = sorted({k[1] for k in by_cell})
    rates = sorted({k[2] for k in by_cell})
    activations = sorted({k[3] for k in by_cell})
    claims = []

    # 1. CNN beats MLP: at each optimizer/activation's best learning rate, and over the whole grid
    if {"cnn", "mlp"} <= set(models):
        def best_test(model, opt=None, act=None):
            return max((r["metrics"]["test_accuracy"] for k, r in by_cell.items() if k[0] == model
                        and opt in (None, k[1]) and act in (None, k[3])), default=math.nan)

        groups = [(o, a) for o, a in itertools.product(optimizers, activations)
                  if not math.isnan(best_test("cnn", o, a) + best_test("mlp", o, a))]
        wins = sum(best_test("cnn", o, a) > best_test("mlp", o, a) for o, a in groups)
        best = {m: best_test(m) for m in ("cnn", "mlp")}
        claims.append({
            "claim": "CNN acquires better accuracy than MLP (§8)",
            "evidence": f"best test accuracy CNN {100 * best['cnn']:.2f}% vs MLP {100 * best['mlp']:.2f}%; at each "
                        f"optimizer/activation's best learning rate the CNN is better in {wins} of {len(groups)}",
            "verdict": ("supported" if best["cnn"] > best["mlp"] and wins >= len(groups) / 2 else "partly supported"
                        if best["cnn"] > best["mlp"] else "not supported"),
        })

    # 2. Adam reaches high accuracy faster than SGD: epochs to HIGH_ACCURACY, best learning rate of each optimizer
    if {"adam", "sgd"} <= set(optimizers):
        parts, faster, groups = [], 0, 0
        for model, activation in itertools.product(models, activations):
            reach = {}
            for opt in ("adam", "sgd"):
                epochs = [epochs_to_reach(r) for k, r in by_cell.items() if k[0] == model and k[1] == opt
                          and k[3] == activation]
                reach[opt] = min((e for e in epochs if e is not None), default=None)
            adam, sgd = reach["adam"], reach["sgd"]
            groups += adam is not None or sgd is not None
            faster += adam is not None and (sgd is None or adam < sgd)
            show = lambda e: "never" if e is None else str(e)  # noqa: E731
            parts.append(f"{model}/{activation}: Adam {show(adam)}, SGD {show(sgd)}")
        claims.append({
            "claim": "Adam reaches high accuracy faster than SGD (§8)",
            "evidence": f"epochs to {100 * HIGH_ACCURACY:.0f}% validation accuracy at each optimizer's best "
                        f"learning rate — " + "; ".join(parts),
            "verdict": ("not testable here (neither optimizer reaches it)" if groups == 0 else "supported"
                        if faster == groups else "partly supported" if faster else "not supported"),
        })

    # 3. sigmoid with a small SGD learning rate barely learns while ReLU works (smallest rate in the grid)
    if "sgd" in optimizers and {"relu", "sigmoid"} <= set(activations):
        small = rates[0]
        parts, holds, tested = [], 0, 0
        for model in models:
            sig, relu = by_cell.get((model, "sgd", small, "sigmoid")), by_cell.get((model, "sgd", small, "relu"))
            if not (sig and relu):
                continue
            tested += 1
            s, r = sig["metrics"]["max_val_accuracy"], relu["metrics"]["max_val_accuracy"]
            holds += s <= BARELY_LEARNS and r >= LEARNS
            parts.append(f"{model}: sigmoid {100 * s:.1f}%, ReLU {100 * r:.1f}%")
        claims.append({
            "claim": f"with sigmoid and a small SGD learning rate the network barely learns, ReLU works (§5–7; "
                     f"here lr={small:g})",
            "evidence": f"best validation accuracy with SGD at lr={small:g} — " + "; ".join(parts)
                        + f" (barely learns: ≤{100 * BARELY_LEARNS:.0f}%, works: ≥{100 * LEARNS:.0f}%)",
            "verdict": "supported" if tested and holds == tested else ("partly supported" if holds else
                                                                       "not supported"),
        })

    # 4. with Adam, a too-large learning rate makes the loss fluctuate or diverge (§6's example)
    if len(rates) > 1 and "adam" in optimizers:
        large = rates[-1]
        parts, holds, tested = [], 0, 0
        for model, activation in itertools.product(models, activations):
            group = {k[2]: r for k, r in by_cell.items() if k[:2] == (model, "adam") and k[3] == activation}
            if large not in group:
                continue
            tested += 1
            best_rate = max(group, key=lambda lr: group[lr]["metrics"]["max_val_accuracy"])
            top = group[best_rate]["metrics"]["max_val_accuracy"]
            m = group[large]["metrics"]
            unstable = m["diverged"] or top - m["max_val_accuracy"] >= UNSTABLE_DROP
            holds += unstable
            parts.append(f"{model}/{activation}: {'NaN loss, ' if m['diverged'] else ''}"
                         f"{100 * m['max_val_accuracy']:.1f}% vs {100 * top:.1f}% at lr={best_rate:g}")
        claims.append({
            "claim": f"with Adam, a too-large learning rate makes the loss fluctuate or diverge (§6; here "
                     f"lr={large:g})",
            "evidence": f"{holds} of {tested} Adam model/activation groups do clearly worse at lr={large:g} than at "
                        f"their best rate (≥{100 * UNSTABLE_DROP:.0f} points lower or NaN): " + "; ".join(parts),
            "verdict": "supported" if holds > tested / 2 else ("partly supported" if holds else "not supported"),
        })
    return claims


# ---------------------------------------------------------------------------------------------------------------
# Figures (from records)
# ---------------------------------------------------------------------------------------------------------------
