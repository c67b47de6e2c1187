"""Training-speed benchmarks behind ``make bench``: every builder on a plain baseline and on the project's path.

    python -m mnist_studies.benchmark [--quick] [--output benchmarks/results]

Each path trains its own freshly built model (same seed) on random inputs of the study's shape and batch size, in
interleaved rounds (``time_case``; the first epoch, with tracing, is not counted): ``plain`` (NumPy arrays into
``model.fit``) and ``project`` (``training.fit(..., seed=...)`` with the study's compile options). ``compute`` trains
the same model on one batch already in memory, the whole epoch in one ``steps_per_execution`` call: ``compute /
plain`` bounds what any input engineering could win. Each case reports images per second, the ratios (median round
and range), one epoch of the study's setting and one repeated short run both ways. Results go to
``<output>/bench-<device>.json`` with a bar chart. What the figures show: docs/speed.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from mnist_studies import records, training


@dataclass(frozen=True)
class Case:
    """One builder in its study's setting."""

    name: str
    build: Callable[[], keras.Model]
    loss: str
    batch_size: int
    real_epoch_images: int  # images per epoch in the study's real (paper) setting
    images: int = 2048  # images per benchmark epoch
    targets: str = "sparse"  # sparse | onehot | binary | packed | pair_aux
    compile_options: dict = field(default_factory=dict)  # the study's own, on top of training.COMPILE_OPTIONS

    @property
    def project_options(self) -> dict:
        """What the project path passes to ``compile``."""
        return {**training.COMPILE_OPTIONS, **self.compile_options}


def _targets(case: Case, model: keras.Model, n: int, rng: np.random.Generator):
    labels = rng.integers(0, 10, n)
    if case.targets == "sparse":
        return labels
    if case.targets == "onehot":
        return keras.utils.to_categorical(labels, 10)
    if case.targets == "binary":
        return (labels % 2).astype("float32")[:, None]
    if case.targets == "packed":
        return keras.utils.to_categorical(rng.integers(0, 2, (n, 10)), 2)
    if case.targets == "pair_aux":
        return {"pair": (labels % 2).astype("float32")[:, None],
                "digits": keras.utils.to_categorical(rng.integers(0, 10, (n, 2)), 10)}
    raise ValueError(f"unknown target kind {case.targets!r}")


def _compile(model, case: Case, project: bool, **options):
    loss = {"pair": "mse", "digits": "mse"} if case.targets == "pair_aux" else case.loss
    options = {**(case.project_options if project else {}), **options}
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, **options)
    return model


def _batch(data, size: int):
    """The first ``size`` rows of an array or of each array in a dict."""
    return {k: v[:size] for k, v in data.items()} if isinstance(data, dict) else data[:size]


def _paths(case: Case, x, y, seed: int) -> Callable[[str, int, int], list[float]]:
    """The three ways to train one case, each with its own model: ``run(path, start, n)`` trains ``n`` more epochs
    from epoch ``start`` and returns the seconds of each (``run.models`` holds the models)."""
    import tensorflow as tf

    models = {}
    for path in ("plain", "project", "compute"):
        keras.utils.set_random_seed(seed)
        spe = {"steps_per_execution": case.images // case.batch_size} if path == "compute" else {}
        models[path] = _compile(case.build(), case, path != "plain", **spe)
    steps = case.images // case.batch_size
    batch = (tf.constant(_batch(x, case.batch_size)), tf.nest.map_structure(tf.constant, _batch(y, case.batch_size)))
    one_batch = tf.data.Dataset.from_tensors(batch).repeat()

    def run(path, start, n):
        timer = training.EpochTimer()
        model, epochs = models[path], start + n
        if path == "plain":  # NumPy arrays straight into fit
            model.fit(x, y, batch_size=case.batch_size, epochs=epochs, initial_epoch=start, verbose=0,
                      callbacks=[timer])
        elif path == "project":  # the studies' path
            training.fit(model, x, y, batch_size=case.batch_size, epochs=epochs, initial_epoch=start, seed=seed,
                         verbose=0, callbacks=[timer])
        else:  # the arithmetic alone: one in-memory batch, the whole epoch in one call
            model.fit(one_batch, epochs=epochs, initial_epoch=start, steps_per_epoch=steps, verbose=0,
                      callbacks=[timer])
        return list(timer.epoch_seconds)

    run.models = models
    return run


def time_case(case: Case, *, epochs: int = 2, repeats: int = 3, seed: int = 0) -> dict:
    """The three paths of one case, interleaved: ``repeats`` rounds, each training every path ``epochs`` more epochs
    in a rotating order, so that a slow spell of the machine falls on all of them. The first epoch of each call is
    dropped (tracing, pipeline start); ratios are per round, and the median round is reported with the range."""
    rng = np.random.default_rng(seed)
    probe = case.build()
    x = rng.normal(size=(case.images, *probe.input_shape[1:])).astype("float32")
    y = _targets(case, probe, case.images, rng)
    out = {"name": case.name, "parameters": probe.count_params(), "batch_size": case.batch_size,
           "images": case.images, "epochs": epochs, "repeats": repeats,
           "project_compile_options": case.project_options}
    run = _paths(case, x, y, seed)
    names = ("plain", "project", "compute")
    rounds: dict[str, list[float]] = {name: [] for name in names}  # steady images per second, per round
    first: dict[str, float] = {}
    for r in range(repeats):
        for path in names[r % 3:] + names[: r % 3]:
            seconds = run(path, r * epochs, epochs)
            first.setdefault(path, seconds[0])  # includes tracing
            rounds[path].append(case.images / float(np.median(seconds[1:] or seconds)))
    for path in names:
        ips = float(np.median(rounds[path]))
        out[path] = {"images_per_second": ips, "images_per_second_per_round": rounds[path],
                     "first_epoch_seconds": first[path], "steady_epoch_seconds": case.images / ips,
                     "real_epoch_seconds": case.real_epoch_images / ips}
    out["compute"]["steps_per_execution"] = case.images // case.batch_size
    for key, path in (("speedup", "project"), ("ceiling", "compute")):
        ratios = [a / b for a, b in zip(rounds[path], rounds["plain"])]
        out[key], out[f"{key}_range"] = float(np.median(ratios)), [min(ratios), max(ratios)]
    # a repeated short run (one epoch): plain builds and traces again, the project reuses the compiled model
    keras.utils.set_random_seed(seed + 1)
    start = time.perf_counter()
    model = _compile(case.build(), case, False)
    model.fit(x, y, batch_size=case.batch_size, epochs=1, verbose=0)
    out["plain"]["repeated_run_seconds"] = time.perf_counter() - start
    keras.utils.set_random_seed(seed + 1)
    start = time.perf_counter()
    compiled = run.models["project"]
    training.reset_for_new_run(compiled, case.build(), 1e-3)
    training.fit(compiled, x, y, batch_size=case.batch_size, epochs=1, seed=seed + 1, verbose=0)
    out["project"]["repeated_run_seconds"] = time.perf_counter() - start
    out["repeated_run_speedup"] = out["plain"]["repeated_run_seconds"] / out["project"]["repeated_run_seconds"]
    return out


def default_cases(scale: float = 1.0) -> list[Case]:
    """Every builder of the project in its study's setting (``scale`` shrinks the benchmark epochs)."""
    from mnist_studies.models import digit_pairs, lenet5, resnet, separate_kernels, training_choices
    from mnist_studies.studies.digit_pairs import STEPS_PER_EXECUTION

    n = lambda images: max(256, int(images * scale))  # noqa: E731
    pairs = {"compile_options": {"steps_per_execution": STEPS_PER_EXECUTION}}  # as study 003 compiles them
    return [
        Case("002 CNN (421,642)", lambda: training_choices.build_cnn(), "categorical_crossentropy", 64, 48_000,
             n(2048), "onehot"),
        Case("002 MLP", lambda: training_choices.build_mlp(), "categorical_crossentropy", 64, 48_000, n(8192),
             "onehot"),
        Case("004 LeNet-5", lambda: lenet5.build_lenet5(), "sparse_categorical_crossentropy", 120, 60_000, n(4096)),
        Case("004 improved LeNet-5", lambda: lenet5.build_improved_lenet5(), "sparse_categorical_crossentropy", 120,
             60_000, n(2048)),
        Case("003 simple CNN", lambda: digit_pairs.build_simple_cnn(), "mse", 100, 1_000, n(2000), "binary", **pairs),
        Case("003 CNNws1", lambda: digit_pairs.build_cnn_ws1(), "mse", 100, 1_000, n(2000), "binary", **pairs),
        Case("003 CNNws2", lambda: digit_pairs.build_cnn_ws2(), "mse", 100, 1_000, n(2000), "binary", **pairs),
        Case("003 CNNaux", lambda: digit_pairs.build_cnn_aux(), "mse", 100, 1_000, n(2000), "pair_aux", **pairs),
        Case("003 digit CNN", lambda: digit_pairs.build_digit_cnn(), "mse", 100, 2_000, n(4000), "onehot", **pairs),
        Case("001 two-layer CNN", lambda: resnet.build_two_layer_cnn(), "sparse_categorical_crossentropy", 128,
             54_000, n(4096)),
        Case("001 ResNet (paper)", lambda: resnet.build_resnet(), "sparse_categorical_crossentropy", 128, 54_000,
             n(256)),
        Case("000 ten binary CNNs (packed)", lambda: separate_kernels.build_packed_binary_classifiers(),
             "categorical_crossentropy", 32, 60_000, n(4096), "packed"),
    ]


def time_to_accuracy(target: float = 0.99, max_epochs: int = 10) -> dict:
    """Wall time for the improved LeNet-5 (project path, batch 120, Adam 1e-3) to reach ``target`` MNIST test
    accuracy, evaluated after every epoch on the full test set."""
    from mnist_studies import data
    from mnist_studies.models.lenet5 import build_improved_lenet5

    (x, y), (x_test, y_test) = data.load_mnist()
    x, x_test = data.pad_to_32(data.to_float(x)), data.pad_to_32(data.to_float(x_test))
    keras.utils.set_random_seed(0)
    model = build_improved_lenet5()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], **training.COMPILE_OPTIONS)
    start, curve = time.perf_counter(), []
    for epoch in range(max_epochs):
        training.fit(model, x, y, batch_size=120, epochs=epoch + 1, initial_epoch=epoch, seed=0, verbose=0)
        accuracy = model.evaluate(x_test, y_test, batch_size=2000, verbose=0, return_dict=True)["accuracy"]
        curve.append((time.perf_counter() - start, float(accuracy)))
        print(f"  LeNet-5 epoch {epoch + 1}: test accuracy {accuracy:.4f} ({curve[-1][0]:.0f} s)", flush=True)
        if accuracy >= target:
            break
    reached = next((t for t, a in curve if a >= target), None)
    return {"target": target, "seconds": reached, "epochs": len(curve), "curve": curve}


def page_latency(repeats: int = 3) -> dict:
    """Median latency of the page recognizer on a ~1-megapixel synthetic page: segmentation alone, and
    segmentation plus recognition (an untrained improved LeNet-5: latency does not depend on the weights)."""
    from mnist_studies import segmentation as seg
    from mnist_studies.models.lenet5 import build_improved_lenet5
    from mnist_studies.segmentation.benchmark import pages

    page = pages.make_page(7, rows=12, width=1000)
    grey = page.image / 255.0
    model = build_improved_lenet5()
    seg.recognize_page("warm-up", model, grey=grey)
    segment, full = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        seg.segment(seg.remove_specks(seg.binarize(grey)))
        segment.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = seg.recognize_page("page", model, grey=grey)
        full.append(time.perf_counter() - start)
    return {"pixels": int(grey.size), "digits": len(result.digits), "segmentation_seconds": float(np.median(segment)),
            "segmentation_and_recognition_seconds": float(np.median(full))}


def plot(results: dict):
    import matplotlib.pyplot as plt

    cases = results["cases"]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(cases) + 1.2))
    names = [c["name"] for c in cases]
    ypos = np.arange(len(cases))
    def spread(key):  # error bars: the range over the interleaved rounds
        return np.array([[c[key] - c[f"{key}_range"][0], c[f"{key}_range"][1] - c[key]] for c in cases]).T

    ax.barh(ypos - 0.27, [c["speedup"] for c in cases], height=0.27, xerr=spread("speedup"), capsize=2,
            label="steady-state throughput (range over rounds)")
    ax.barh(ypos, [c["ceiling"] for c in cases], height=0.27, color="C7", xerr=spread("ceiling"), capsize=2,
            label="ceiling: arithmetic alone (no input, no per-step Python)")
    ax.barh(ypos + 0.27, [c["repeated_run_speedup"] for c in cases], height=0.27, label="repeated short run")
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.axvline(1.5, color="C3", lw=0.8, ls="--", label="target 1.5×")
    ax.set_yticks(ypos, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("project path / plain baseline (higher is faster)")
    ax.set_title(f"Training speed-up on {results['device']}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def run(cases: list[Case], *, epochs: int = 2, repeats: int = 3, accuracy: bool = True, pages: bool = True) -> dict:
    device = training.configure_device("auto")
    out = {"device": device, "versions": records.library_versions(), "git_commit": records.git_commit(),
           "compile_options": training.COMPILE_OPTIONS, "cases": []}
    for i, case in enumerate(cases, start=1):
        result = time_case(case, epochs=epochs, repeats=repeats)
        out["cases"].append(result)
        low, high = result["speedup_range"]
        print(f"[{i}/{len(cases)}] {case.name}: plain {result['plain']['images_per_second']:,.0f} img/s, project "
              f"{result['project']['images_per_second']:,.0f} img/s ({result['speedup']:.2f}x, rounds {low:.2f}-"
              f"{high:.2f}; ceiling {result['ceiling']:.2f}x); repeated run "
              f"{result['plain']['repeated_run_seconds']:.1f} s -> {result['project']['repeated_run_seconds']:.1f} s "
              f"({result['repeated_run_speedup']:.2f}x)", flush=True)
    if pages:
        out["page_latency"] = page_latency()
        print(f"page recognizer, {out['page_latency']['pixels']:,} pixels: segmentation "
              f"{out['page_latency']['segmentation_seconds']:.2f} s, with recognition "
              f"{out['page_latency']['segmentation_and_recognition_seconds']:.2f} s", flush=True)
    if accuracy:
        out["lenet5_time_to_99"] = time_to_accuracy()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--quick", action="store_true", help="smaller epochs, no time-to-99%% run")
    args = parser.parse_args(argv)
    results = run(default_cases(0.25 if args.quick else 1.0), accuracy=not args.quick)
    from mnist_studies import plotting

    path = records.write_benchmark(results, args.output, "bench", plot(results), dpi=plotting.DPI)
    print(f"Benchmark results: {path} and {path.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
