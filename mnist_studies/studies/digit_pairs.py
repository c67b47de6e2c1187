"""Study 003: digit pairs — weight sharing, auxiliary loss, digit model (Jomeau, Rajaonson, Dandjee).

The paper's three experiments, each writing run records:

1. ``tune_learning_rates``: k-fold cross-validation (scikit-learn's ``KFold``) over a learning-rate grid in
   [1e-4, 1e-2] for every model → Table I (best rate and its mean validation accuracy);
2. ``sweep_alpha``: k-fold validation accuracy of CNNaux for several auxiliary weights α (α = 0 is the siamese
   CNNws2), with the digit CNN as a reference line → Figure 2;
3. ``evaluate_models``: repeated runs per model at its tuned learning rate, each with fresh pairs and a fresh
   initialization → Table II (train and test accuracy, mean ± std) and Figure 3 (training error per epoch).

All models: Adam, mean squared error, 25 epochs, batch 100 (the paper's §IV), from the profile.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from mnist_studies import data, profiles, records, training
from mnist_studies.data import PairSet
from mnist_studies.models.digit_pairs import BUILDERS, pair_losses

STUDY = "digit_pairs"

# The paper's models (Tables I and II): name -> (builder key, auxiliary weight α or None)
MODELS = {
    "Simple": ("simple", None),
    "Shared Weights 1": ("ws1", None),
    "Shared Weights 2": ("ws2", None),
    "Auxiliary @ 0.5": ("aux", 0.5),
    "Auxiliary @ 2": ("aux", 2.0),
    "Auxiliary @ 10": ("aux", 10.0),
    "Auxiliary @ 40": ("aux", 40.0),
    "Digit": ("digit", None),
}
# Table I: optimal learning rate and mean validation accuracy (%) of the paper's 4-fold cross-validation
PAPER_TABLE_I = {
    "Simple": (1e-3, 80.6), "Shared Weights 1": (1e-3, 76.6), "Shared Weights 2": (5e-4, 84.0),
    "Auxiliary @ 0.5": (5e-3, 86.8), "Auxiliary @ 2": (1e-3, 94.4), "Auxiliary @ 10": (5e-3, 97.1),
    "Auxiliary @ 40": (1e-3, 96.8), "Digit": (5e-4, 96.6),
}
# Table II: test and training accuracy (%), mean ± std over 10 runs
PAPER_TABLE_II = {
    "Simple": ((80.2, 1.9), (99.0, 1.4)), "Shared Weights 1": ((79.6, 2.0), (95.8, 2.7)),
    "Shared Weights 2": ((83.5, 1.1), (92.9, 1.2)), "Auxiliary @ 0.5": ((84.6, 1.1), (84.9, 22.3)),
    "Auxiliary @ 2": ((96.4, 0.9), (100.0, 0.0)), "Auxiliary @ 10": ((97.2, 1.2), (100.0, 0.0)),
    "Auxiliary @ 40": ((97.6, 0.3), (100.0, 0.0)), "Digit": ((97.8, 0.2), (100.0, 0.0)),
}


# ---------------------------------------------------------------------------------------------------------------
# Training one model
# ---------------------------------------------------------------------------------------------------------------


# Train steps per call of the compiled train function: one epoch of the paper's 1,000 pairs at batch 100 (the digit
# model's 2,000 digits take two calls). Measured on the 2-core CPU: 1.1x for CNNws2, 1.5x for the digit CNN; the
# weights are the same to the last digit (tested), and no callback of this study needs each batch.
STEPS_PER_EXECUTION = 10


def build_and_compile(model_name: str, learning_rate: float, alpha: float | None = None, *,
                      model: keras.Model | None = None) -> keras.Model:
    """Build one of ``MODELS`` (or "aux" with an explicit ``alpha``) and compile it with Adam and MSE (``model``:
    compile this freshly built model of that kind instead of building one)."""
    if model_name not in MODELS:
        raise ValueError(f"unknown model {model_name!r}; valid models: {', '.join(MODELS)}")
    key, default_alpha = MODELS[model_name]
    model = model if model is not None else BUILDERS[key]()
    optimizer = training.make_optimizer("adam", learning_rate)
    if key == "aux":
        weights = pair_losses(default_alpha if alpha is None else alpha)
        model.compile(optimizer=optimizer, **weights, metrics={"pair": [keras.metrics.BinaryAccuracy(name="acc")]},
                      steps_per_execution=STEPS_PER_EXECUTION)
    elif key == "digit":
        model.compile(optimizer=optimizer, loss="mse", metrics=[keras.metrics.CategoricalAccuracy(name="acc")],
                      steps_per_execution=STEPS_PER_EXECUTION)
    else:
        model.compile(optimizer=optimizer, loss="mse", metrics=[keras.metrics.BinaryAccuracy(name="acc")],
                      steps_per_execution=STEPS_PER_EXECUTION)
    return model


_COMPILED: dict[tuple, keras.Model] = {}  # (model name, α) -> a compiled model reused by every run in this process


def fresh_model(model_name: str, learning_rate: float, alpha: float | None = None) -> keras.Model:
    """A compiled model with fresh weights drawn from the current seed, as ``build_and_compile`` gives, but reusing
    the compiled model (and its traced train step) of earlier runs of the same model and α
    (``training.reset_for_new_run``): about 3 s less per run."""
    if model_name not in MODELS:
        raise ValueError(f"unknown model {model_name!r}; valid models: {', '.join(MODELS)}")
    initial = BUILDERS[MODELS[model_name][0]]()
    key = (model_name, alpha)
    if key not in _COMPILED:
        _COMPILED[key] = build_and_compile(model_name, learning_rate, alpha, model=initial)
        return _COMPILED[key]
    return training.reset_for_new_run(_COMPILED[key], initial, learning_rate)


def _inputs_and_targets(model: keras.Model, pairs: PairSet):
    if model.name == "digit_cnn":
        x, classes = pairs.digits()
        return x, keras.utils.to_categorical(classes, 10)
    if model.name == "cnn_aux":
        return pairs.x, {"pair": pairs.target[:, None], "digits": keras.utils.to_categorical(pairs.classes, 10)}
    return pairs.x, pairs.target[:, None]


def predict_pairs(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """1 where the model predicts "first ≤ second". Pair models: score > 0.5. The digit model compares the two
    predicted classes (``predict_pairs_with_digit_model``)."""
    if model.name == "digit_cnn":
        return predict_pairs_with_digit_model(model, x)
    scores = model.predict(x, batch_size=1000, verbose=0)
    scores = scores["pair"] if isinstance(scores, dict) else scores
    return (scores[:, 0] > 0.5).astype(np.float32)


def predict_pairs_with_digit_model(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """CNNd's pair prediction: classify each digit of the pair, then compare the two predicted classes."""
    n = len(x)
    scores = model.predict(np.concatenate([x[..., :1], x[..., 1:]]), batch_size=1000, verbose=0)
    classes = scores.argmax(axis=1)
    return (classes[:n] <= classes[n:]).astype(np.float32)


def pair_accuracy(model: keras.Model, pairs: PairSet) -> float:
    return float((predict_pairs(model, pairs.x) == pairs.target).mean())


class PairErrorHistory(keras.callbacks.Callback):
    """Training error on the pair task after every epoch (the paper's Figure 3), for any of the models."""

    def __init__(self, pairs: PairSet):
        super().__init__()
        self.pairs = pairs
        self.errors: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.errors.append(1.0 - pair_accuracy(self.model, self.pairs))


def train_model(model_name: str, learning_rate: float, train: PairSet, cfg: dict, *, alpha: float | None = None,
                track_error: bool = False, seed: int = 0):
    """Train one model on ``train`` pairs for ``cfg["epochs"]``; returns (model, per-epoch train errors or []).

    The training error of a pair model is its pair accuracy metric during each epoch (as the paper's training loop
    counts it); the digit model is trained on single digits, so its pair error is measured after each epoch
    (``PairErrorHistory``).
    """
    model = fresh_model(model_name, learning_rate, alpha)
    x, y = _inputs_and_targets(model, train)
    tracker = PairErrorHistory(train) if track_error and model.name == "digit_cnn" else None
    result = training.fit(model, x, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], seed=seed, verbose=0,
                          callbacks=[tracker] if tracker else [])
    if not track_error:
        return model, []
    if tracker:
        return model, tracker.errors
    accuracy = result.history["pair_acc" if "pair_acc" in result.history else "acc"]
    return model, [1.0 - a for a in accuracy]


def cross_validate(model_name: str, learning_rate: float, pairs: PairSet, cfg: dict, *, alpha=None,
                   seed: int = 0) -> list[float]:
    """Validation accuracy of each fold (``sklearn.model_selection.KFold`` with ``cfg["folds"]`` shuffled splits).

    Only the first ``cfg["validation_folds"]`` folds are trained (all when the key is absent): a profile may use
    one fold of two as a hold-out split to save time.
    """
    from sklearn.model_selection import KFold

    accuracies = []
    folds = KFold(n_splits=cfg["folds"], shuffle=True, random_state=seed)
    for fold, (train_rows, val_rows) in enumerate(folds.split(pairs.x)):
        if fold >= cfg.get("validation_folds", cfg["folds"]):
            break
        training.set_seed(seed * 100 + fold, deterministic=cfg["deterministic"])
        model, _ = train_model(model_name, learning_rate, pairs.subset(train_rows), cfg, alpha=alpha,
                               seed=seed * 100 + fold)
        accuracies.append(pair_accuracy(model, pairs.subset(val_rows)))
    return accuracies


# ---------------------------------------------------------------------------------------------------------------
# The three experiments
# ---------------------------------------------------------------------------------------------------------------


# Settings that plan which runs a profile makes, not how one run trains: left out of each run's record, so that a
# profile with more runs, rates or α reuses the runs already made (the tuning's summary keeps its grid).
PLANNING_KEYS = ("models", "lr_grid", "alphas", "runs")


def run_config(cfg: dict, **run: object) -> dict:
    """The config one run's record holds: the profile's settings without ``PLANNING_KEYS``, and the run's own."""
    return {**{key: value for key, value in cfg.items() if key not in PLANNING_KEYS}, **run}


def _record(cfg, name, seed, metrics, device, history=None, extra=None, seconds=None, config=None):
    record = records.make_record(study=STUDY, profile=cfg["profile"], name=name, seed=seed,
                                 config=cfg if config is None else config, metrics=metrics, history=history,
                                 device=device, deterministic=cfg["deterministic"], extra=extra,
                                 timings={"wall_seconds": seconds} if seconds is not None else None)
    records.write_record(record)
    return record


def _summary(cfg, name, config, cells, metrics, device, extra) -> dict:
    """The record that sums up finished cells (a Table I row, a Figure 2 point): reused as it is when it was
    written with the same config and code, so that a study run again to redraw rewrites nothing; its wall time is
    its cells' (the time they took when they were trained, not the time to read them back)."""
    done = records.completed(STUDY, cfg["profile"], name, config)
    if done:
        return done
    seconds = sum((cell.get("timings") or {}).get("wall_seconds") or 0.0 for cell in cells)
    return _record(cfg, name, cfg["tuning_seed"], metrics, device, config=config, extra=extra, seconds=seconds)


def sweep_model(alpha: float) -> tuple[str, float | None]:
    """Which model trains CNNaux with auxiliary weight ``alpha``: α = 0 *is* the siamese CNNws2 (the digit term
    has weight 0, so it trains exactly like it: tested), a paper α is its ``Auxiliary @ α`` model, any other α is
    CNNaux with that weight. Returns (model name, explicit α or None); shared cells are trained once."""
    if alpha == 0:
        return "Shared Weights 2", None
    if f"Auxiliary @ {alpha:g}" in MODELS:
        return f"Auxiliary @ {alpha:g}", None
    return "Auxiliary @ 2", float(alpha)


def cv_cell(model_name: str, learning_rate: float, pairs: PairSet, cfg: dict, *, device: str,
            alpha: float | None = None) -> dict:
    """The k-fold validation of one (model, learning rate[, α]) cell: its record, reused when already complete.

    The learning-rate tuning and the α sweep share these cells (same pairs, folds and seeds), so a cell they both
    need is trained once.
    """
    label = model_name if alpha is None else f"Auxiliary alpha {alpha:g}"
    name = f"cv-{label}-lr{learning_rate:g}"
    config = run_config(cfg, model=model_name, learning_rate=learning_rate, alpha=alpha)
    done = records.completed(STUDY, cfg["profile"], name, config)
    if done:
        return done
    start = time.perf_counter()
    accuracies = cross_validate(model_name, learning_rate, pairs, cfg, alpha=alpha, seed=cfg["tuning_seed"])
    metrics = {"val_accuracies": accuracies, "val_accuracy": float(np.mean(accuracies))}
    return _record(cfg, name, cfg["tuning_seed"], metrics, device, config=config,
                   extra={"model": model_name, "learning_rate": learning_rate, "alpha": alpha},
                   seconds=time.perf_counter() - start)


def tune_learning_rates(cfg: dict, *, device: str) -> list[dict]:
    """Experiment 1 (Table I): k-fold validation accuracy of every model at every rate of ``cfg["lr_grid"]``."""
    pairs = data.make_digit_pairs(cfg["n_pairs"], seed=cfg["tuning_seed"])["train"]
    out = []
    for i, model_name in enumerate(cfg["models"], start=1):
        start = time.perf_counter()
        cells = {lr: cv_cell(model_name, lr, pairs, cfg, device=device) for lr in cfg["lr_grid"]}
        means = {lr: c["metrics"]["val_accuracy"] for lr, c in cells.items()}
        best = max(means, key=means.get)
        metrics = {"best_learning_rate": best, "best_val_accuracy": means[best],
                   "val_accuracy_by_rate": {f"{lr:g}": c["metrics"]["val_accuracies"] for lr, c in cells.items()}}
        out.append(_summary(cfg, f"tuning-{model_name}", run_config(cfg, model=model_name, lr_grid=cfg["lr_grid"]),
                            cells.values(), metrics, device, extra={"model": model_name}))
        print(f"[tuning {i}/{len(cfg['models'])}] {model_name}: best lr {best:g}, mean validation accuracy "
              f"{100 * means[best]:.1f}% ({time.perf_counter() - start:.0f} s)", flush=True)
    return out


def sweep_alpha(cfg: dict, *, device: str) -> list[dict]:
    """Experiment 2 (Figure 2): k-fold validation accuracy of CNNaux for each α, and of the digit CNN."""
    pairs = data.make_digit_pairs(cfg["n_pairs"], seed=cfg["tuning_seed"])["train"]
    out = []
    runs = [("Auxiliary", alpha) for alpha in cfg["alphas"]] + [("Digit", None)]
    for i, (label, alpha) in enumerate(runs, start=1):
        start = time.perf_counter()
        if alpha is None:
            lr, cell = cfg["digit_lr"], cv_cell("Digit", cfg["digit_lr"], pairs, cfg, device=device)
        else:
            model_name, explicit_alpha = sweep_model(alpha)
            lr = cfg["alpha_sweep_lr"]
            cell = cv_cell(model_name, lr, pairs, cfg, device=device, alpha=explicit_alpha)
        accuracies = cell["metrics"]["val_accuracies"]
        name = f"alpha-{alpha:g}" if alpha is not None else "alpha-digit-reference"
        metrics = {"alpha": alpha, "val_accuracies": accuracies, "val_accuracy": float(np.mean(accuracies))}
        out.append(_summary(cfg, name, run_config(cfg, alpha=alpha), [cell], metrics, device,
                            extra={"learning_rate": lr, "cell": cell["name"]}))
        shown = f"alpha={alpha:g}" if alpha is not None else "digit CNN"
        print(f"[alpha {i}/{len(runs)}] {shown}: {100 * np.mean(accuracies):.1f} ± {100 * np.std(accuracies):.1f}% "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    return out


def evaluate_models(cfg: dict, learning_rates: dict[str, float], *, device: str) -> list[dict]:
    """Experiment 3 (Table II, Figure 3): ``cfg["runs"]`` runs per model, each with fresh pairs and weights."""
    out = []
    for i, model_name in enumerate(cfg["models"], start=1):
        start = time.perf_counter()
        for run in range(cfg["runs"]):
            seed = cfg["seed"] + run
            name = f"eval-{model_name}-run{run}"
            config = run_config(cfg, model=model_name, learning_rate=learning_rates[model_name])
            done = records.completed(STUDY, cfg["profile"], name, config)
            if done:
                out.append(done)
                continue
            run_start = time.perf_counter()
            pairs = data.make_digit_pairs(cfg["n_pairs"], seed=seed)
            training.set_seed(seed, deterministic=cfg["deterministic"])
            model, errors = train_model(model_name, learning_rates[model_name], pairs["train"], cfg,
                                        track_error=True, seed=seed)
            metrics = {"train_accuracy": pair_accuracy(model, pairs["train"]),
                       "test_accuracy": pair_accuracy(model, pairs["test"]),
                       "learning_rate": learning_rates[model_name], "parameters": model.count_params()}
            out.append(_record(cfg, name, seed, metrics, device, config=config,
                               history={"train_error": errors}, extra={"model": model_name},
                               seconds=time.perf_counter() - run_start))
        group = [r["metrics"]["test_accuracy"] for r in out[-cfg["runs"]:]]
        print(f"[evaluate {i}/{len(cfg['models'])}] {model_name}: test accuracy {100 * np.mean(group):.1f} ± "
              f"{100 * np.std(group):.1f}% over {cfg['runs']} runs ({time.perf_counter() - start:.0f} s)", flush=True)
    return out


def run_study(cfg: dict, *, device: str = "auto") -> dict[str, list[dict]]:
    """All three experiments of the profile; returns their records by experiment."""
    profiles.check_settings(cfg)  # a setting edited in a notebook is checked before anything runs
    device_name = training.configure_device(device)
    cfg = {**cfg, "deterministic": cfg.get("deterministic", not device_name.startswith("GPU"))}
    unknown = [m for m in cfg["models"] if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; valid models: {', '.join(MODELS)}")
    used = cfg.get("validation_folds", cfg["folds"])
    folds = f"{cfg['folds']}-fold" if used == cfg["folds"] else f"{used} of {cfg['folds']} folds"
    print(f"{STUDY}: {len(cfg['models'])} models, {cfg['n_pairs']} pairs per set, {cfg['epochs']} epochs, "
          f"tuning on {folds} over {cfg['lr_grid']}, {cfg['runs']} runs per model, device {device_name}", flush=True)
    tuning = tune_learning_rates(cfg, device=device_name)
    learning_rates = {r["extra"]["model"]: r["metrics"]["best_learning_rate"] for r in tuning}
    alpha = sweep_alpha(cfg, device=device_name)
    evaluation = evaluate_models(cfg, learning_rates, device=device_name)
    return {"tuning": tuning, "alpha": alpha, "evaluation": evaluation}
