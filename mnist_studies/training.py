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

import os
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


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer by name (``"sgd"`` or ``"adam"``) and learning rate."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    if not learning_rate > 0:
        raise ValueError(f"learning rate must be positive, got {learning_rate!r}")
    return OPTIMIZERS[key](learning_rate=learning_rate)


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
    """Records the training loss of every batch in ``self.losses`` (for per-iteration loss curves).

    Keras reports the running mean of the epoch so far after each batch; with equal batch sizes the loss of batch k
    is ``k * mean_k - (k - 1) * mean_(k-1)``, which this callback recovers.
    """

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_epoch_begin(self, epoch, logs=None):
        self._previous_mean, self._batches = 0.0, 0

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        self._batches += 1
        self.losses.append(self._batches * mean - (self._batches - 1) * self._previous_mean)
        self._previous_mean = mean


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's learning rate at the end of each epoch to the logs (and so to the history)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


@dataclass
class FitResult:
    """What ``fit`` returns: the per-epoch history (plain floats), epoch times, and where files went."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    wall_seconds: float
    checkpoint_path: Path | None = None
    tensorboard_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)

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
    run_dir: str | Path | None = None,
    checkpoint: bool = False,
    monitor: str = "val_loss",
    tensorboard: bool = False,
    csv_log: bool = True,
    callbacks: list | tuple = (),
    verbose: int = 2,
    **fit_kwargs,
) -> FitResult:
    """Fit a compiled model with the standard callbacks and return its history and timings.

    Args:
        model: a compiled ``keras.Model``.
        x, y, batch_size, validation_data: as ``keras.Model.fit``.
        epochs: number of epochs (positive).
        run_dir: folder of this run's files (CSV log, best checkpoint, TensorBoard logs); created if needed.
            Without it no files are written.
        checkpoint: keep the best model by ``monitor`` as ``run_dir/best.keras`` (``ModelCheckpoint``).
        monitor: the quantity the checkpoint watches (lower is better for losses, higher for accuracies).
        tensorboard: write TensorBoard logs to ``run_dir/tensorboard`` (one folder per run, never shared).
        csv_log: write ``run_dir/history.csv`` (``CSVLogger``).
        callbacks: extra callbacks, run after the standard ones.
        verbose: 2 = one line per epoch (the default: readable logs), 0 = silent.
    """
    if not isinstance(epochs, (int, np.integer)) or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    timer = EpochTimer()
    standard = [timer]
    checkpoint_path = tensorboard_dir = None
    files = {}
    if run_dir is not None:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        if csv_log:
            files["history_csv"] = str(run_dir / "history.csv")
            standard.append(keras.callbacks.CSVLogger(files["history_csv"]))
        if checkpoint:
            checkpoint_path = run_dir / "best.keras"
            mode = "max" if "acc" in monitor else "min"
            standard.append(
                keras.callbacks.ModelCheckpoint(checkpoint_path, monitor=monitor, mode=mode, save_best_only=True)
            )
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
        callbacks=standard + list(callbacks),
        verbose=verbose,
        **fit_kwargs,
    )
    wall = time.perf_counter() - start
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    return FitResult(clean, list(timer.epoch_seconds), wall, checkpoint_path, tensorboard_dir, files)
