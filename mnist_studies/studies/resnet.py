"""Study 001: the paper's ResNet-style network and its two-layer CNN under one train/validation/test protocol (S. Fan).

Protocol (§3 and the issue): training data split into train and validation (stratified, seeded); 30 epochs, batch
128; the learning rate lowered by a cosine schedule over all steps (the paper lowers it "according to the training
progress" without saying how; our choice, with Adam from 1e-3, the paper names no optimizer); the best epoch by
validation accuracy kept by ``ModelCheckpoint`` and evaluated once on the test set at the end; loss and accuracy
logged to TensorBoard under ``runs/<profile>/resnet/<model>/tensorboard``; the loss of every iteration recorded
for the paper's Figure 3. Batch normalization is judged with population statistics recomputed from training batches
with the current weights before every validation and at the end ("precise BN", ``mnist_studies.batchnorm``): the
moving averages Keras keeps describe earlier weights, and after few updates they make a network that trains at 97%
read 19% (our choice; the paper does not discuss it).
"""

from __future__ import annotations

import time

import keras
import numpy as np

from mnist_studies import batchnorm, data, paths, profiles, records, training
from mnist_studies.models.resnet import BUILDERS

STUDY = "resnet"
PAPER_ACCURACY_RANGE = (98.0, 99.0)  # §4: test accuracy "stable between 98% and 99%"


def load_study_data(cfg: dict) -> dict:
    (x_train, y_train), (x_test, y_test) = data.load_subsets(cfg)
    (x_tr, y_tr), (x_val, y_val) = data.stratified_split(x_train, y_train, val_fraction=cfg["val_fraction"],
                                                          seed=cfg["data_seed"])
    return {"train": (data.to_float(x_tr), y_tr), "val": (data.to_float(x_val), y_val),
            "test": (data.to_float(x_test), y_test), "test_uint8": x_test}


def make_model(model_name: str, cfg: dict, steps_per_epoch: int) -> keras.Model:
    """Build a model by name and compile it with Adam and a cosine learning-rate decay over all steps."""
    if model_name not in BUILDERS:
        raise ValueError(f"unknown model {model_name!r}; valid models: {', '.join(BUILDERS)}")
    with training.distribution_scope():  # every GPU of a multi-GPU machine; a no-op on one device
        model = BUILDERS[model_name]()
        schedule = keras.optimizers.schedules.CosineDecay(cfg["learning_rate"], steps_per_epoch * cfg["epochs"])
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def estimate_seconds(model_name: str, cfg: dict, x: np.ndarray, epochs: int) -> float:
    """Training time estimate on this device: a few timed steps of a throwaway copy, times the steps to run."""
    steps = int(np.ceil(len(x) / cfg["batch_size"]))
    model = make_model(model_name, cfg, steps)
    batch = x[: cfg["batch_size"]]
    labels = np.zeros(len(batch), dtype="int64")
    model.train_on_batch(batch, labels)  # traces
    start = time.perf_counter()
    for _ in range(3):
        model.train_on_batch(batch, labels)
    return (time.perf_counter() - start) / 3 * steps * epochs


def run_name(model_name: str, seed: int) -> str:
    return f"{model_name}-seed{seed}"


def run_model(model_name: str, study_data: dict, cfg: dict, *, device: str, deterministic: bool) -> dict:
    """Train one network under the protocol with ``cfg["seed"]``; evaluate its best-on-validation checkpoint on the
    test set once."""
    config = {**{k: v for k, v in cfg.items() if k not in ("models", "seeds")}, "model": model_name}
    name = run_name(model_name, cfg["seed"])
    done = records.completed(STUDY, cfg["profile"], name, config)
    if done:  # finished before this study was stopped and started again
        return done
    x, y = study_data["train"]
    steps = int(np.ceil(len(x) / cfg["batch_size"]))
    run_dir = paths.runs_dir(STUDY, cfg["profile"]) / name  # a killed run resumes from its last epoch here
    training.set_seed(cfg["seed"], deterministic=deterministic)
    model = make_model(model_name, cfg, steps)
    iterations = training.IterationLoss(run_dir / "iteration_loss.json")
    precise_bn = batchnorm.PreciseBatchNorm(x, batch_size=cfg["batch_size"], batches=cfg["precise_bn_batches"],
                                            seed=cfg["seed"])
    result = training.fit(model, x, y, epochs=cfg["epochs"], batch_size=cfg["batch_size"], seed=cfg["seed"],
                          validation_data=study_data["val"], run_dir=run_dir, checkpoint=True,
                          monitor="val_accuracy", tensorboard=True,
                          callbacks=[iterations, training.LearningRateLogger(), precise_bn], verbose=cfg["verbose"])
    best = keras.saving.load_model(result.checkpoint_path, safe_mode=True)
    x_test, y_test = study_data["test"]
    probabilities = best.predict(x_test, batch_size=1000, verbose=0)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_test)
    val_accuracy = result.history["val_accuracy"]
    metrics = {
        "test_accuracy": float((predicted == y_test).mean()),
        "best_epoch": int(np.argmax(val_accuracy)) + 1,
        "best_val_accuracy": float(max(val_accuracy)),
        "parameters": model.count_params(),
    }
    record = records.make_record(
        study=STUDY, profile=cfg["profile"], name=name, seed=cfg["seed"],
        config=config,
        metrics=metrics, history={**result.history, "iteration_loss": iterations.losses}, device=device,
        deterministic=deterministic,
        timings={"epoch_seconds": result.epoch_seconds, "wall_seconds": result.wall_seconds,
                 "seconds_per_epoch": float(np.mean(result.epoch_seconds))},
        extra={"files": result.files, "misclassified": {"index": wrong, "true": y_test[wrong],
                                                          "predicted": predicted[wrong]}},
    )
    records.write_record(record)
    return record


def run_study(cfg: dict, *, device: str = "auto") -> list[dict]:
    """Train every model of the profile under the protocol; returns the records of the models trained.

    ``cfg["models"]`` maps each model name to its own ``train_size``, ``epochs`` and ``seeds`` (a profile may give the
    costly ResNet less data than the two-layer CNN, and one seed where a claim needs several); everything else is the
    same protocol for both. A model marked
    ``needs_gpu`` is not trained on a CPU: its time here is estimated and recorded (``records.write_needs_gpu``), and
    the report shows its claim as "needs a GPU".
    """
    profiles.check_settings(cfg)  # a setting edited in a notebook is checked before anything runs
    for model_name in cfg["models"]:
        if model_name not in BUILDERS:
            raise ValueError(f"unknown model {model_name!r}; valid models: {', '.join(BUILDERS)}")
    device_name = training.configure_device(device)
    deterministic = cfg.get("deterministic", not device_name.startswith("GPU"))
    out = []
    for i, (model_name, overrides) in enumerate(cfg["models"].items(), start=1):
        model_cfg = {**cfg, **overrides}
        study_data = load_study_data(model_cfg)
        x = study_data["train"][0]
        print(f"[{i}/{len(cfg['models'])}] {model_name}: {len(x):,} training / {len(study_data['val'][0]):,} "
              f"validation / {len(study_data['test'][0]):,} test images, {model_cfg['epochs']} epochs, device "
              f"{device_name}", flush=True)
        if overrides.get("needs_gpu") and not device_name.startswith("GPU"):  # the profile's CPU-feasible part
            estimate = estimate_seconds(model_name, model_cfg, x, model_cfg["epochs"])
            records.write_needs_gpu(study=STUDY, profile=cfg["profile"], name=model_name, config=model_cfg,
                                    estimated_seconds=estimate, device=device_name)
            print(f"[{i}/{len(cfg['models'])}] {model_name}: needs a GPU (estimated {estimate / 3600:.1f} h on this "
                  f"device): not run here; on a GPU machine `make reproduce PROFILE={cfg['profile']} ONLY=02` "
                  f"runs it", flush=True)
            continue
        if cfg["estimate_time"]:
            estimate = estimate_seconds(model_name, model_cfg, x, model_cfg["epochs"])
            print(f"[{i}/{len(cfg['models'])}] {model_name}: estimated {estimate / 60:.1f} min of training on this "
                  f"device", flush=True)
        for seed in overrides.get("seeds", [cfg["seed"]]):
            record = run_model(model_name, study_data, {**model_cfg, "seed": seed}, device=device_name,
                               deterministic=deterministic)
            m = record["metrics"]
            print(f"[{i}/{len(cfg['models'])}] {model_name} seed {seed}: test accuracy {100 * m['test_accuracy']:.2f}% "
                  f"(best epoch {m['best_epoch']}), {record['timings']['seconds_per_epoch']:.1f} s per epoch",
                  flush=True)
            out.append(record)
    return out
