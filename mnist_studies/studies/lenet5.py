"""Study 004: LeNet-5, the improved LeNet-5 and its ablation (M. Lu, N. Ke). Runner and tables (claims:
``mnist_studies/claims/lenet5.py``; figures: ``mnist_studies/plotting/lenet5.py``).

Training as §4.2: batch 120, 20 epochs (10,000 updates), test accuracy every 500 iterations, by stochastic gradient
descent. The paper gives no rate: ``choose_learning_rate`` picks one from the profile's ``lr_grid`` on a validation
split of the training set, and every variant trains at it (quick uses Adam: SGD learns little in its 200 updates).
The ablation adds §3's changes one at a time (``ABLATION``); the steps two claims compare run over
``compared_seeds``. The LeakyReLU step is the improved model; its first seed's copy (``study_model_path``) reads the
pages of ``studies/page_reading.py``.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from mnist_studies import claims, data, paths, profiles, records, training
from mnist_studies.models.lenet5 import build_improved_lenet5, build_lenet5

STUDY = "lenet5"
PAPER_ERROR = 0.86  # % (§5: "the false recognition rate was reduced to 0.86%")
PAPER_PAGE_ACCURACY = 92.0  # % (abstract: "above 92%" on new handwritten digits)

# Each ablation step: (name, builder, keyword arguments); every step adds one change to the one before it.
ABLATION = (
    ("classic", "lenet5", {"activation": "sigmoid"}),
    ("+ReLU", "lenet5", {"activation": "relu"}),
    ("+32 kernels", "improved", {"activation": "relu", "filters": 32, "spp_levels": None, "dropout": 0.0,
                                 "c1_kernels": (5,)}),
    ("+dropout", "improved", {"activation": "relu", "filters": 32, "spp_levels": None, "dropout": 0.5,
                              "c1_kernels": (5,)}),
    ("+SPP", "improved", {"activation": "relu", "filters": 32, "spp_levels": (4, 2, 1), "dropout": 0.5,
                          "c1_kernels": (5,)}),
    ("+3x3 pair", "improved", {"activation": "relu", "filters": 32, "spp_levels": (4, 2, 1), "dropout": 0.5}),
    ("+LeakyReLU", "improved", {"activation": "leaky_relu", "filters": 32, "spp_levels": (4, 2, 1), "dropout": 0.5}),
    ("+deformations", "improved", {"activation": "leaky_relu", "filters": 32, "spp_levels": (4, 2, 1),
                                   "dropout": 0.5, "deform": True}),
)
IMPROVED_STEP = "+LeakyReLU"  # the network of §3 (the deformations are §4.2's proposal for further work)
# Beside the chain, not a step of it: the "+32 kernels" network with twice the kernels, for §5's "more convolutional
# kernels are not better" (claims/lenet5.py pairs it with "+32 kernels" over the compared seeds)
MORE_KERNELS = (("64 kernels", "improved", {"activation": "relu", "filters": 64, "spp_levels": None, "dropout": 0.0,
                                            "c1_kernels": (5,)}),)


def study_model_path(profile: str) -> Path:
    """The improved LeNet-5 of the profile's first seed, beside its records:
    ``results/<profile>/lenet5/improved_lenet5.keras`` (weights only, no optimizer state: about 0.5 MB)."""
    return paths.results_dir(STUDY, profile) / "improved_lenet5.keras"


def build_step(step: str) -> keras.Model:
    """The model of one ablation step, by name."""
    for name, builder, kwargs in ABLATION + MORE_KERNELS:
        if name == step:
            model = build_lenet5(**kwargs) if builder == "lenet5" else build_improved_lenet5(**kwargs)
            return model
    raise ValueError(f"unknown ablation step {step!r}; valid steps: "
                     f"{', '.join(n for n, _, _ in ABLATION + MORE_KERNELS)}")


class EvaluateEvery(keras.callbacks.Callback):
    """Test accuracy every ``every`` training iterations (§4.2 records it every 500), as (iteration, accuracy).

    With a ``path`` the points of the finished epochs are kept in that JSON file, so a run resumed at epoch k
    (``training.fit``'s ``BackupAndRestore``) still returns the points of every epoch (like ``training.IterationLoss``).
    """

    def __init__(self, every: int, x, y, batch_size: int = 2000, path: str | Path | None = None):
        super().__init__()
        self.every, self.x, self.y, self.batch_size = int(every), x, y, batch_size
        self.path = Path(path) if path else None
        self.per_epoch: list[list[tuple[int, float]]] = []
        self._iteration = 0

    @property
    def points(self) -> list[tuple[int, float]]:
        return [point for epoch in self.per_epoch for point in epoch]

    def on_train_begin(self, logs=None):
        import json

        self.per_epoch = []
        if self.path and self.path.is_file():
            self.per_epoch = [[tuple(p) for p in epoch] for epoch in json.loads(self.path.read_text())]

    def _iterations(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch = self.per_epoch[:epoch] + [[]]  # a resumed run restarts at its first unfinished epoch
        self._iteration = self._iterations()  # restored on resume

    def on_train_batch_end(self, batch, logs=None):
        # Keras calls this once per call of the train function: every step, or every ``steps_per_execution`` steps
        # (``steps_per_call``); the optimizer's count of updates says how far training is either way
        now = self._iterations()
        if now // self.every > self._iteration // self.every:
            predicted = self.model.predict(self.x, batch_size=self.batch_size, verbose=0).argmax(axis=1)
            self.per_epoch[-1].append((now - now % self.every, float((predicted == self.y).mean())))
        self._iteration = now

    def on_epoch_end(self, epoch, logs=None):
        if self.path:
            records.write_json_atomic(self.per_epoch, self.path)


def planned_runs(cfg: dict) -> list[tuple[str, int]]:
    """The (step, seed) runs of a profile in training order: the improved network over ``seeds`` first (the
    paper's claim and the page recognizer's model), then the ``compared_steps`` over ``compared_seeds`` (claims
    pair them over seeds), then the other steps over ``ablation_seeds``."""
    improved = [(IMPROVED_STEP, seed) for seed in cfg["seeds"]] if IMPROVED_STEP in cfg["steps"] else []
    others = [step for step in cfg["steps"] if step != IMPROVED_STEP]
    compared = [(step, seed) for step in others if step in cfg["compared_steps"] for seed in cfg["compared_seeds"]]
    rest = [(step, seed) for step in others if step not in cfg["compared_steps"] for seed in cfg["ablation_seeds"]]
    return improved + compared + rest


# Settings that plan which runs a profile makes, not how one run trains: left out of each run's record, so that adding
# a seed, a step or pages leaves the runs already made current.
PLANNING_KEYS = ("claim_runs", "seeds", "ablation_seeds", "compared_seeds", "compared_steps", "steps", "pages",
                 "page_seed", "page_method", "lr_grid", "lr_sweep_epochs", "val_fraction")


def run_settings(cfg: dict, step: str, learning_rate: float | None = None) -> dict:
    """The settings of one step's runs (and its records' config): the profile's training settings, with
    ``claim_runs``' overrides for the improved network (the claim), the rate ``choose_learning_rate`` chose (when
    the profile has an ``lr_grid``) and the step's name."""
    own = {key: value for key, value in cfg.items() if key not in PLANNING_KEYS}
    if step == IMPROVED_STEP:
        own.update(cfg.get("claim_runs", {}))
    if learning_rate is not None:
        own["learning_rate"] = learning_rate
    return {**own, "step": step}


def make_optimizer(cfg: dict, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """``cfg["optimizer"]`` (``"sgd"``: plain, no momentum, as §4.2 names it; or ``"adam"``) at ``learning_rate``:
    constant (``lr_schedule="constant"``) or decayed to zero over the run along a cosine (``"cosine"``: the quick
    profile's short claim runs)."""
    rate = cfg["learning_rate"]
    if cfg["lr_schedule"] == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(rate, decay_steps=cfg["epochs"] * steps_per_epoch)
    return training.OPTIMIZERS[cfg["optimizer"]](learning_rate=rate)


def load_study_data(cfg: dict) -> dict:
    """MNIST padded to 32×32, scaled to [0, 1] (subsets when the profile asks)."""
    (x_train, y_train), (x_test, y_test) = data.load_subsets(cfg)
    return {"train": (data.pad_to_32(data.to_float(x_train)), y_train),
            "test": (data.pad_to_32(data.to_float(x_test)), y_test), "test_uint8": x_test}


def run_name(step: str, seed: int) -> str:
    """The record name (and run folder) of one step and seed, e.g. ``leakyrelu-seed0``."""
    return f"{step.strip('+').replace(' ', '_').lower()}-seed{seed}"


def steps_per_call(cfg: dict, train_size: int) -> int:
    """Train steps per call of the compiled train function: the largest count that divides both the evaluation
    interval and the epoch, so that every evaluation point (and every epoch's end, for the resume backup) falls on
    a call's end. The paper profile: 500 (one epoch of 60,000 images at batch 120, evaluated every 500 iterations);
    quick: 1 (67 steps per epoch, every 50). The weights are the same as with one step per call (tested)."""
    steps_per_epoch = -(-train_size // cfg["batch_size"])
    return math.gcd(cfg["evaluate_every"], steps_per_epoch)


def train_step(step: str, study_data: dict, cfg: dict, seed: int, *, deterministic: bool,
               run_dir: str | Path | None = None, callbacks: tuple = (), steps: int | None = None):
    """Train one ablation step with one seed; returns (model, FitResult, evaluation points). With a ``run_dir`` a
    run killed in the middle resumes from its last finished epoch (``training.fit``). ``steps`` per call of the
    train function: ``steps_per_call`` by default."""
    training.set_seed(seed, deterministic=deterministic)
    train_size = len(study_data["train"][1])
    steps = steps or steps_per_call(cfg, train_size)
    with training.distribution_scope():  # every GPU of a multi-GPU machine; a no-op on one device
        model = build_step(step)
        model.compile(optimizer=make_optimizer(cfg, -(-train_size // cfg["batch_size"])),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"], steps_per_execution=steps)
    x_test, y_test = study_data["test"]
    tracker = EvaluateEvery(cfg["evaluate_every"], x_test, y_test,
                            path=Path(run_dir) / "test_accuracy_every.json" if run_dir else None)
    result = training.fit(model, *study_data["train"], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                          seed=seed, run_dir=run_dir, callbacks=[tracker, *callbacks], verbose=cfg["verbose"])
    return model, result, tracker.points


def sweep_name(rate: float) -> str:
    """The record name of one rate of the learning-rate sweep, e.g. ``lr_sweep-0.03``."""
    return f"lr_sweep-{rate:g}"


def is_training_run(record: dict) -> bool:
    """Whether ``record`` is one run of the ablation (not the page evaluation or a rate of the sweep)."""
    return "step" in record["config"] and "test_error_percent" in record["metrics"]


def sweep_settings(cfg: dict, rate: float) -> dict:
    """The settings of one rate of the sweep: the improved network's, ``lr_sweep_epochs`` long, on the training
    split that leaves ``val_fraction`` of the training set out."""
    return {**run_settings(cfg, IMPROVED_STEP, rate), "epochs": cfg["lr_sweep_epochs"],
            "val_fraction": cfg["val_fraction"], "lr_schedule": "constant"}


def choose_learning_rate(cfg: dict, *, deterministic: bool, device_name: str) -> tuple[float | None, list[dict]]:
    """The rate of ``lr_grid`` whose improved network (the first seed) reaches the best validation accuracy after
    ``lr_sweep_epochs`` on the rest of the training set (stratified, seeded by ``data_seed``); the test set is not
    looked at. Returns (rate, the sweep's records); (None, []) when the profile has no grid (its ``learning_rate``
    holds). Each rate writes a record, so a sweep stopped in the middle resumes."""
    if "lr_grid" not in cfg:
        return None, []
    out, split = [], None
    for rate in cfg["lr_grid"]:
        settings = sweep_settings(cfg, rate)
        done = records.completed(STUDY, cfg["profile"], sweep_name(rate), settings)
        if done:
            print(f"learning rate {rate:g}: validation accuracy {100 * done['metrics']['val_accuracy']:.2f}% "
                  f"(from its record)", flush=True)
            out.append(done)
            continue
        if split is None:
            (x, y), _ = data.load_subsets(settings)
            (x_tr, y_tr), (x_val, y_val) = data.stratified_split(x, y, val_fraction=cfg["val_fraction"],
                                                                 seed=cfg["data_seed"])
            split = {"train": (data.pad_to_32(data.to_float(x_tr)), y_tr),
                     "test": (data.pad_to_32(data.to_float(x_val)), y_val)}  # the tracker scores the validation split
        start = time.perf_counter()
        model, result, points = train_step(IMPROVED_STEP, split, settings, cfg["seeds"][0],
                                           deterministic=deterministic,
                                           run_dir=paths.runs_dir(STUDY, cfg["profile"]) / sweep_name(rate))
        x_val, y_val = split["test"]
        accuracy = float((model.predict(x_val, batch_size=2000, verbose=0).argmax(axis=1) == y_val).mean())
        record = records.make_record(
            study=STUDY, profile=cfg["profile"], name=sweep_name(rate), seed=cfg["seeds"][0], config=settings,
            metrics={"val_accuracy": accuracy, "train_images": len(y_tr), "val_images": len(y_val)},
            history={**result.history, "val_accuracy_every": points}, device=device_name,
            deterministic=deterministic, timings={"epoch_seconds": result.epoch_seconds,
                                                  "wall_seconds": result.wall_seconds})
        records.write_record(record)
        print(f"learning rate {rate:g}: validation accuracy {100 * accuracy:.2f}% "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        out.append(record)
    best = max(out, key=lambda r: r["metrics"]["val_accuracy"])  # the first of equals: the smaller rate
    return best["config"]["learning_rate"], out


def run_study(cfg: dict, *, device: str = "auto") -> list[dict]:
    """The learning-rate sweep (when the profile has one), then every run of ``planned_runs``; writes one record
    per run and saves the improved model of the first seed."""
    profiles.check_settings(cfg)  # a setting edited in a notebook is checked before anything runs
    device_name = training.configure_device(device)
    deterministic = cfg.get("deterministic", not device_name.startswith("GPU"))
    datasets = {}  # by training-set size: the claim's runs may use more images than the ablation
    runs = planned_runs(cfg)
    print(f"{STUDY}: {len(runs)} runs, device {device_name}; {describe_settings(cfg)}", flush=True)
    rate, out = choose_learning_rate(cfg, deterministic=deterministic, device_name=device_name)
    if rate is not None:
        print(f"learning rate chosen on the validation split: {rate:g}", flush=True)
    for i, (step, seed) in enumerate(runs, start=1):
        start = time.perf_counter()
        name = run_name(step, seed)
        settings = run_settings(cfg, step, rate)
        done = records.completed(STUDY, cfg["profile"], name, settings)
        keeps_model = step == IMPROVED_STEP and seed == cfg["seeds"][0]
        if done and keeps_model and not study_model_path(cfg["profile"]).is_file():
            print(f"[{i}/{len(runs)}] {step} seed {seed}: its saved model {study_model_path(cfg['profile'])} is "
                  f"missing: training it again", flush=True)
            done = None
        if done:  # finished before this study was stopped and started again
            print(f"[{i}/{len(runs)}] {step} seed {seed}: test error {done['metrics']['test_error_percent']:.2f}% "
                  f"(from its record)", flush=True)
            out.append(done)
            continue
        if settings["train_size"] not in datasets:
            datasets[settings["train_size"]] = load_study_data(settings)
        study_data = datasets[settings["train_size"]]
        x_test, y_test = study_data["test"]
        model, result, points = train_step(step, study_data, settings, seed, deterministic=deterministic,
                                           run_dir=paths.runs_dir(STUDY, cfg["profile"]) / name)
        probabilities = model.predict(x_test, batch_size=2000, verbose=0)
        predicted = probabilities.argmax(axis=1)
        accuracy = float((predicted == y_test).mean())
        if keeps_model:  # saved before the record that marks the run done
            save_study_model(model, cfg["profile"])
        record = records.make_record(
            study=STUDY, profile=cfg["profile"], name=name, seed=seed, config=settings,
            metrics={"test_accuracy": accuracy, "test_error_percent": 100 * (1 - accuracy),
                     "parameters": model.count_params()},
            history={**result.history, "test_accuracy_every": points}, device=device_name,
            deterministic=deterministic, timings={"epoch_seconds": result.epoch_seconds,
                                                  "wall_seconds": result.wall_seconds},
            extra={"predicted": predicted} if keeps_model else None,
        )
        records.write_record(record)
        print(f"[{i}/{len(runs)}] {step} seed {seed}: test error {100 * (1 - accuracy):.2f}% "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        out.append(record)
    return out


def save_study_model(model: keras.Model, profile: str) -> Path:
    """Save the improved model as ``study_model_path(profile)``: its weights and architecture, without the
    optimizer's state."""
    own = study_model_path(profile)
    own.parent.mkdir(parents=True, exist_ok=True)
    tmp = own.with_suffix(".tmp.keras")
    bare = model.__class__.from_config(model.get_config())  # uncompiled: no optimizer state in the file
    bare.set_weights(model.get_weights())
    bare.save(tmp)
    os.chmod(tmp, 0o644)
    tmp.replace(own)
    return own


def describe_settings(cfg: dict) -> str:
    """One line: the training set and epochs of the claim's runs and of the ablation's."""
    def one(settings):
        size = "all 60,000" if settings["train_size"] is None else f"{settings['train_size']:,}"
        rate = (f"rate from {', '.join(f'{r:g}' for r in cfg['lr_grid'])}" if "lr_grid" in cfg
                else f"rate {settings['learning_rate']:g}")
        return (f"{size} training images, {settings['epochs']} epochs, {settings['optimizer']} at a "
                f"{settings['lr_schedule']} {rate}")

    claim, ablation = one(run_settings(cfg, IMPROVED_STEP)), one(run_settings(cfg, "classic"))
    return f"every run: {claim}" if claim == ablation else f"improved network: {claim}; ablation: {ablation}"


# ---------------------------------------------------------------------------------------------------------------
# Tables (from records; the figures are in mnist_studies/plotting/lenet5.py)
# ---------------------------------------------------------------------------------------------------------------


def steps_in_order(study_records: list[dict]) -> list[str]:
    """The ablation steps present in ``study_records``, in the ablation's order (not the training order), then the
    networks beside it (``MORE_KERNELS``)."""
    present = {r["config"]["step"] for r in study_records if is_training_run(r)}
    return [name for name, _, _ in ABLATION + MORE_KERNELS if name in present]


def ablation_rows(study_records: list[dict]) -> list[dict]:
    """Test error (mean, std, n) and parameters of each step, in the ablation's order."""
    rows = []
    for step in steps_in_order(study_records):
        runs = [r for r in study_records if is_training_run(r) and r["config"]["step"] == step]
        errors = np.array([r["metrics"]["test_error_percent"] for r in runs])
        params = runs[0]["metrics"]["parameters"]
        rows.append({"step": step, "n": len(errors), "error": claims.mean_std(errors), "parameters": params})
    return rows


def format_ablation(study_records: list[dict]) -> str:
    """The ablation as a Markdown table: each step's parameters, runs and test error, the paper's number beside
    the improved network (its verdict is the claim's, in REPORT.md)."""
    lines = ["| step | parameters | runs | test error % (mean ± std) | paper |", "| --- | --- | --- | --- | --- |"]
    for row in ablation_rows(study_records):
        paper = f"{PAPER_ERROR} (REPORT.md judges it)" if row["step"] == IMPROVED_STEP else "–"
        lines.append(f"| {row['step']} | {row['parameters']:,} | {row['n']} | {row['error'][0]:.2f} ± "
                     f"{row['error'][1]:.2f} | {paper} |")
    return "\n".join(lines)
