"""The training core: seeding, device choice, optimizers, and a fit helper that wires the standard Keras callbacks.

Typical use in a study runner::

    device = training.configure_device("auto")        # before anything touches TensorFlow's devices
    training.set_seed(seed)                            # Python, NumPy, TF; op determinism on CPU
    model = build_something(...)
    model.compile(optimizer=training.make_optimizer("adam", 1e-3), loss=..., metrics=["accuracy"])
    result = training.fit(model, x, y, validation_data=(xv, yv), epochs=5, batch_size=32, run_dir=run_dir,
                          checkpoint=True, tensorboard=True)
"""

from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

tf.get_logger().setLevel("ERROR")  # no retracing notices when studies build many small models in a loop

DEVICES = ("auto", "cpu", "gpu")
_op_determinism = False  # TensorFlow's public API can turn op determinism on, not query it or turn it off
OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}
# compile() options of the project's training path, chosen by `make bench` (README: measured ratios). XLA
# (jit_compile=True) was measured at 0.2-0.75x of the plain path for the convolutional builders on the 2-core CPU
# (1.2x only for the MLP), so it is not used. steps_per_execution is not set here because it would break the
# per-batch callbacks (IterationLoss, LeNet-5's test accuracy every n iterations); study 003, which has none, sets
# it itself (studies/digit_pairs.STEPS_PER_EXECUTION).
COMPILE_OPTIONS: dict = {}
# Batch size of the validation pass inside fit (Keras' default is the training batch size, or 32 with our epoch
# datasets): evaluating 10,000 images at 32 costs ~1 s more per epoch here than at 1024, and far more on a GPU.
# Validation metrics are means, so only their last float digits change with it.
EVAL_BATCH_SIZE = 1024


# ---------------------------------------------------------------------------------------------------------------
# Device and seeds
# ---------------------------------------------------------------------------------------------------------------


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def describe_device() -> str:
    """A one-line description of what TensorFlow computes on, e.g. ``"GPU: NVIDIA H100 80GB HBM3 (x1)"``."""
    gpus = tf.config.get_visible_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"GPU: {details.get('device_name', gpus[0].name)} (x{len(gpus)})"
    return f"CPU: {_cpu_name()} ({os.cpu_count()} cores)"


def configure_device(device: str = "auto") -> str:
    """Choose where TensorFlow computes; call it before any model is built.

    Args:
        device: ``"auto"`` (a GPU if TensorFlow sees one, else the CPU), ``"cpu"`` (hide every GPU) or ``"gpu"``
            (a GPU, or an error when there is none).

    Returns:
        ``describe_device()`` after the choice.

    Raises:
        ValueError: unknown device name.
        RuntimeError: ``"gpu"`` asked for without a GPU, or a change asked for after TensorFlow has started.
    """
    if device not in DEVICES:
        raise ValueError(f"unknown device {device!r}; valid devices: {', '.join(DEVICES)}")
    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise RuntimeError("device='gpu' was asked for, but TensorFlow sees no GPU; use device='cpu' or 'auto'")
    try:
        if device == "cpu" and gpus:
            tf.config.set_visible_devices([], "GPU")
        elif gpus:
            for gpu in gpus:  # share the GPU politely instead of reserving all of its memory
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError as error:
        if device == "cpu" and tf.config.get_visible_devices("GPU"):
            raise RuntimeError(
                "device='cpu' must be chosen before TensorFlow uses a device; restart the kernel and call "
                "configure_device first"
            ) from error
    return describe_device()


def set_seed(seed: int, *, deterministic: bool | None = None) -> bool:
    """Seed Python, NumPy and TensorFlow (``keras.utils.set_random_seed``) and set op determinism.

    Args:
        seed: a non-negative integer.
        deterministic: turn TensorFlow op determinism on (same seed, same numbers, to the last digit).
            Default: on when no GPU is visible (deterministic GPU kernels are slower or missing). TensorFlow
            cannot turn it off again within a process.

    Returns:
        Whether op determinism is on, for the run record.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    keras.utils.set_random_seed(int(seed))
    if deterministic is None:
        deterministic = not tf.config.get_visible_devices("GPU")
    global _op_determinism
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        _op_determinism = True
    return _op_determinism


_STRATEGY: tf.distribute.Strategy | None = None


def get_strategy(name: str | tf.distribute.Strategy = "auto") -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy to build and train models under.

    Args:
        name: ``"auto"`` (``MirroredStrategy`` over all GPUs when more than one is visible, else the default
            single-device strategy), ``"mirrored"`` (``MirroredStrategy`` over every visible GPU, or the CPU), or
            a strategy, returned as it is.

    Build and compile a model under ``strategy.scope()`` (or ``distribution_scope()``) and pass the strategy to
    ``fit``; the batch size is then global (split across the replicas).
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(tf.config.get_visible_devices("GPU")) > 1 \
            else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; valid: 'auto', 'mirrored' or a tf.distribute.Strategy")


def distribution_scope():
    """``get_strategy("auto").scope()``, made once per process: studies build their models inside it, so the paper
    profile uses every GPU of a multi-GPU machine and is unchanged on one device."""
    global _STRATEGY
    if _STRATEGY is None:
        _STRATEGY = get_strategy("auto")
    return _STRATEGY.scope()


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer by name (``"sgd"`` or ``"adam"``) and learning rate."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    if not learning_rate > 0:
        raise ValueError(f"learning rate must be positive, got {learning_rate!r}")
    return OPTIMIZERS[key](learning_rate=learning_rate)


def reset_for_new_run(compiled: keras.Model, initial: keras.Model, learning_rate: float) -> keras.Model:
    """Make an already compiled (and traced) model start a new run: ``initial``'s weights, a fresh optimizer state
    (step 0, zero moments) and ``learning_rate``. Returns ``compiled``.

    Studies that train one architecture many times (folds, seeds, rates) build ``initial`` from the run's seed
    (cheap) and reuse one compiled model, so Keras does not trace its train step again for every run (~3 s per run
    of the digit-pair models on a 2-core CPU). Training then gives what compiling ``initial`` itself gives.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning rate must be positive, got {learning_rate!r}")
    compiled.set_weights(initial.get_weights())
    for variable in compiled.optimizer.variables:
        variable.assign(keras.ops.zeros(variable.shape, variable.dtype))
    compiled.optimizer.learning_rate = learning_rate
    return compiled


# ---------------------------------------------------------------------------------------------------------------
# Fitting
# ---------------------------------------------------------------------------------------------------------------


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch (seconds) in ``self.epoch_seconds``."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)


class IterationLoss(keras.callbacks.Callback):
    """Records the training loss of every batch; ``self.losses`` is the flat list over all epochs.

    Keras reports the running mean of the epoch so far after each batch; with equal batch sizes the loss of batch k
    is ``k * mean_k - (k - 1) * mean_(k-1)``, which this callback recovers. With a ``path`` the losses of the
    finished epochs are kept in that JSON file, so a run resumed at epoch k (``fit``'s ``BackupAndRestore``) still
    returns the losses of every epoch.
    """

    def __init__(self, path: str | Path | None = None):
        super().__init__()
        self.path = Path(path) if path else None
        self.per_epoch: list[list[float]] = []

    @property
    def losses(self) -> list[float]:
        return [loss for epoch in self.per_epoch for loss in epoch]

    def on_train_begin(self, logs=None):
        import json

        self.per_epoch = []
        if self.path and self.path.is_file():
            self.per_epoch = json.loads(self.path.read_text())

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch = self.per_epoch[:epoch] + [[]]  # a resumed run restarts at its first unfinished epoch
        self._previous_mean, self._batches = 0.0, 0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self._batches += 1
        self.per_epoch[-1].append(self._batches * mean - (self._batches - 1) * self._previous_mean)
        self._previous_mean = mean

    def on_epoch_end(self, epoch, logs=None):
        if self.path:
            from mnist_studies.records import write_json_atomic

            write_json_atomic(self.per_epoch, self.path)


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's learning rate at the end of each epoch to the logs (and so to the history)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class EpochSeeds(keras.callbacks.Callback):
    """Keys every random draw of an epoch to ``(seed, epoch)``, so that a resumed run draws what an uninterrupted one
    draws: it sets the epoch of ``epoch_dataset``'s shuffling order and the state of every ``SeedGenerator`` in the
    model (dropout, random augmentation layers) at the start of each epoch.

    Keras' own array shuffling and seed generators continue from wherever the process's random state is, which a
    run resumed by ``BackupAndRestore`` cannot recover; this callback makes the state a function of the epoch.
    """

    def __init__(self, epoch_variable: tf.Variable):
        super().__init__()
        self.epoch_variable = epoch_variable

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_variable.assign(epoch)
        for layer in self.model._flatten_layers():
            for generator in getattr(layer, "_seed_generators", None) or []:
                state = generator.state.value  # [the generator's own seed, a counter]: restart the counter
                generator.state.assign(tf.stack([state[0], tf.constant(epoch << 20, dtype=state.dtype)]))


def epoch_dataset(x, y, *, batch_size: int, seed: int, epoch: tf.Variable) -> tf.data.Dataset:
    """A ``tf.data`` pipeline over in-memory arrays whose shuffling order is a function of ``(seed, epoch)`` only.

    ``x`` and ``y`` are arrays or (nested) dicts of arrays with the same first dimension. Each pass draws the
    permutation ``stateless_shuffle(range(n), seed=(seed, epoch))`` with the *current* value of ``epoch`` (set by
    ``EpochSeeds``), gathers batches from tensors held once in memory, and prefetches.
    """
    xs, ys = tf.nest.map_structure(tf.constant, x), tf.nest.map_structure(tf.constant, y)
    n = len(tf.nest.flatten(x)[0])
    for array in tf.nest.flatten(x) + tf.nest.flatten(y):
        if len(array) != n:
            raise ValueError(f"inputs and targets must have the same number of rows, got {len(array)} and {n}")

    def permutation(_):
        key = tf.stack([tf.constant(int(seed), tf.int64), epoch.read_value()])
        return tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), seed=key)

    def gather(rows):
        return tf.nest.map_structure(lambda t: tf.gather(t, rows), (xs, ys))

    batches = tf.data.Dataset.from_tensors(0).map(permutation).unbatch().batch(batch_size)
    return batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _read_csv_history(path: Path) -> dict[str, list[float]]:
    import csv

    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    # CSVLogger writes "NA" for a quantity an epoch did not log (its val_ columns when there is no validation)
    keys = [k for k in keys if any(row[k] != "NA" for row in rows)]
    return {key: [math.nan if row[key] == "NA" else float(row[key]) for row in rows] for key in keys}


@dataclass
class FitResult:
    """What ``fit`` returns: the per-epoch history (plain floats), epoch times, and where files went."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    wall_seconds: float
    checkpoint_path: Path | None = None
    tensorboard_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)
    resumed_from_epoch: int = 0

    @property
    def epochs_run(self) -> int:
        return len(self.epoch_seconds)


def fit(
    model: keras.Model,
    x,
    y=None,
    *,
    epochs: int,
    batch_size: int | None = None,
    validation_data=None,
    seed: int | None = None,
    run_dir: str | Path | None = None,
    checkpoint: bool = False,
    monitor: str = "val_loss",
    tensorboard: bool = False,
    csv_log: bool = True,
    resume: bool = True,
    strategy: tf.distribute.Strategy | None = None,
    callbacks: list | tuple = (),
    verbose: int = 2,
    **fit_kwargs,
) -> FitResult:
    """Fit a compiled model with the standard callbacks and return its history and timings.

    Args:
        model: a compiled ``keras.Model`` (under ``strategy``'s scope when given; ``batch_size`` is then global).
        x, y, batch_size, validation_data: as ``keras.Model.fit``; validation runs in batches of ``EVAL_BATCH_SIZE``
            unless ``validation_batch_size`` is given. ``epochs``: positive.
        seed: feed in-memory arrays through ``epoch_dataset``, every random draw keyed to ``(seed, epoch)``, so that a
            resumed run equals an uninterrupted one; without it Keras shuffles.
        run_dir: this run's files (CSV log, best checkpoint, TensorBoard logs, backup); none written without it.
        checkpoint, monitor: keep the best model by ``monitor`` as ``run_dir/best.keras``.
        tensorboard, csv_log: ``run_dir/tensorboard`` (one folder per run) and ``run_dir/history.csv``.
        resume: back up after every epoch (``BackupAndRestore``); a killed run continues from its last finished epoch.
            A backup of another run (``run_signature``) is discarded with a notice.
        callbacks: extra callbacks, after the standard ones. ``verbose``: 2 = one line per epoch, 0 = silent.
    """
    if strategy is not None and getattr(model, "distribute_strategy", None) is not strategy:
        raise ValueError("the model was not built under the strategy given to fit; build and compile it inside "
                         "strategy.scope()")
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if validation_data is not None and not isinstance(validation_data, tf.data.Dataset):
        fit_kwargs.setdefault("validation_batch_size", EVAL_BATCH_SIZE)
    timer = EpochTimer()
    standard = [timer]
    checkpoint_path = tensorboard_dir = None
    files = {}
    resumed_from = 0
    backup = []
    signature = (run_signature(model, x, y, batch_size=batch_size, seed=seed, validation_data=validation_data)
                 if run_dir is not None and resume else None)
    if seed is not None and y is not None and not isinstance(x, tf.data.Dataset):
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        x, y = epoch_dataset(x, y, batch_size=batch_size or 32, seed=seed, epoch=epoch), None
        batch_size = None
        fit_kwargs["shuffle"] = False  # the dataset shuffles
        standard.append(EpochSeeds(epoch))
    if run_dir is not None:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        backup_dir = run_dir / "backup"
        if resume and backup_dir.is_dir() and _read_signature(backup_dir) != signature:
            print(f"{backup_dir}: a backup of another run (other model, settings or data); starting from scratch",
                  flush=True)
            shutil.rmtree(backup_dir)
        resuming = resume and backup_dir.is_dir()
        if resume:
            backup_dir.mkdir(exist_ok=True)
            (backup_dir / SIGNATURE_FILE).write_text(signature + "\n")
        if resuming:
            resumed_from = _backup_epoch(backup_dir)
        if csv_log:
            files["history_csv"] = str(run_dir / "history.csv")
            _keep_csv_rows(Path(files["history_csv"]), resumed_from)
            standard.append(keras.callbacks.CSVLogger(files["history_csv"], append=resuming))
        if resume:  # last, after every callback that logs the epoch: a kill in between repeats the epoch
            backup = [keras.callbacks.BackupAndRestore(str(backup_dir))]
        if checkpoint:
            checkpoint_path = run_dir / "best.keras"
            mode = "max" if "acc" in monitor else "min"
            best = None
            if resuming and csv_log and Path(files["history_csv"]).is_file():
                seen = _read_csv_history(Path(files["history_csv"])).get(monitor, [])
                best = (max if mode == "max" else min)(seen) if seen else None
            standard.append(keras.callbacks.ModelCheckpoint(
                checkpoint_path, monitor=monitor, mode=mode, save_best_only=True, initial_value_threshold=best))
            files["checkpoint"] = str(checkpoint_path)
        if tensorboard:
            tensorboard_dir = run_dir / "tensorboard"
            standard.append(keras.callbacks.TensorBoard(log_dir=str(tensorboard_dir), update_freq="epoch"))
            files["tensorboard"] = str(tensorboard_dir)
    elif checkpoint or tensorboard:
        raise ValueError("checkpoint and tensorboard need a run_dir to write to")

    start = time.perf_counter()
    history = model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=int(epochs),
        validation_data=validation_data,
        callbacks=standard + list(callbacks) + backup,
        verbose=verbose,
        **fit_kwargs,
    )
    wall = time.perf_counter() - start
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    if resumed_from and "history_csv" in files:  # Keras' History holds only the epochs run after the resume
        clean = _read_csv_history(Path(files["history_csv"]))
    return FitResult(clean, list(timer.epoch_seconds), wall, checkpoint_path, tensorboard_dir, files, resumed_from)


SIGNATURE_FILE = "run_signature.txt"  # in the backup folder: which run the backup belongs to


def _digest_data(digest, data) -> None:
    """Feed arrays (or dicts/tuples/lists of them) into ``digest``; a ``tf.data.Dataset`` by its element spec."""
    if isinstance(data, dict):
        for key in sorted(data):
            digest.update(str(key).encode())
            _digest_data(digest, data[key])
    elif isinstance(data, (tuple, list)):
        for item in data:
            _digest_data(digest, item)
    elif isinstance(data, tf.data.Dataset):
        digest.update(repr(data.element_spec).encode())
    elif data is not None:
        array = np.ascontiguousarray(data)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.data if array.dtype != object else repr(array.tolist()).encode())


def _architecture(model: keras.Model) -> list:
    """Each layer's class and configuration without its name (Keras numbers unnamed layers per process: a model
    built again in the same notebook kernel gets new names, not a new architecture)."""
    parts = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            parts.append([type(layer).__name__, _architecture(layer)])
            continue
        try:
            config = {k: v for k, v in layer.get_config().items() if k != "name"}
        except NotImplementedError:
            config = [tuple(w.shape) for w in layer.weights]
        parts.append([type(layer).__name__, config])
    return parts


def run_signature(model: keras.Model, x, y=None, *, batch_size=None, seed=None, validation_data=None) -> str:
    """A hash of what a run's backup depends on: the model's architecture, its optimizer's settings and loss, the
    data, the batch size and the seed (not ``epochs``: a finished backup may be continued for more epochs)."""
    import hashlib
    import json

    architecture = _architecture(model)
    optimizer = keras.optimizers.serialize(model.optimizer) if model.optimizer is not None else None
    if optimizer is not None:
        optimizer["config"].pop("name", None)  # numbered per process too ("adam_1")
    loss = keras.saving.serialize_keras_object(model.loss)
    settings = json.dumps({"architecture": architecture, "optimizer": optimizer, "loss": loss,
                           "batch_size": batch_size, "seed": seed}, sort_keys=True, default=repr)
    digest = hashlib.sha256(settings.encode())
    for data in (x, y, validation_data):
        _digest_data(digest, data)
    return digest.hexdigest()[:16]


def _read_signature(backup_dir: Path) -> str | None:
    try:
        return (backup_dir / SIGNATURE_FILE).read_text().strip()
    except OSError:
        return None


def _keep_csv_rows(path: Path, rows: int) -> None:
    """Keep the header and the first ``rows`` epochs of a CSV log (all of it gone when ``rows`` is 0)."""
    if rows == 0 or not path.is_file():
        path.unlink(missing_ok=True)
        return
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: rows + 1]))


def _backup_epoch(backup_dir: Path) -> int:
    """The number of epochs a ``BackupAndRestore`` folder says are finished (0 when it has no usable metadata)."""
    import json

    try:
        return int(json.loads((backup_dir / "training_metadata.json").read_text())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
