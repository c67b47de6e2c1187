"""The page reader's shipped models, each the mean of networks trained with different settings or seeds
(``make reader-model``): the digit model, then (``--rows``) the row reader.

    python -m mnist_studies.segmentation.train.ensemble [--rows] [--member NAME ...] [--output PATH.keras]
    python -m mnist_studies.segmentation.train.ensemble [--rows] --unpack   # the shipped members, back in runs/

Each member of ``MEMBERS`` is ``digit_reader.train`` with its settings (``digit_reader.SETTINGS`` for "default", a
variant's changes for the others), kept in ``runs/reader_model/<member>/`` and reused there when it was trained with
the same settings (so a killed run resumes). The members' class probabilities are averaged in one model
(``models.digit_reader.build_ensemble``), measured once on MNIST's test set (never used to choose anything) and
written to ``paths.reader_model_path()`` with its record (the members' records, the mean's test error and rejection
scores, versions, device, SHA-256) and its ONNX export. With ``--rows`` the same for the row reader: each member of
``ROW_MEMBERS`` is ``row_reader.train`` with its settings, kept in ``runs/row_model/<member>/``; their logits are
averaged (``models.row_reader.build_row_ensemble``) and the mean is measured on rows of MNIST test digits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

from mnist_studies import data, paths, records, training
from mnist_studies.models.digit_reader import build_ensemble
from mnist_studies.models.row_reader import build_row_ensemble
from mnist_studies.segmentation.train import digit_reader, row_reader, strips

# Why these (docs/experiments.md, "A mean of two members trained with marks"): alone they make 46 and 56 MNIST test
# errors (the second over the 0.5% bound); their mean makes 44 and reads 343 of the 500 development amounts (345 with
# touching.split_two_strokes; the mean of three it replaced: 325; a third member with tailed 0s: 337)
MEMBERS = ("continental-p9-loop2-marks-clutter", "continental-p9-loop2-marks-clutter-seed8")
# Why these (docs/experiments.md, "A mean of two row readers"): the reader trained on plain rows and the one trained
# on joined-up rows closed by marks; the mean of their logits reads 354 of the 500 development amounts (alone: 345
# and 347)
ROW_MEMBERS = ("default", "joined-styles-closing-marks")
KINDS = {"digit": (digit_reader, "digit_reader.keras"),  # what each kind of member is trained by, and the file it
         "row": (row_reader, "row_reader.keras")}  # is kept in


def member_settings(name: str, *, kind: str = "digit") -> dict:
    """The training settings of member ``name`` of ``kind`` ("digit" or "row"): "default" or a key of that
    training module's ``VARIANTS``."""
    module = KINDS[kind][0]
    if name != "default" and name not in module.VARIANTS:
        raise ValueError(f"unknown member {name!r}: 'default' or one of {', '.join(sorted(module.VARIANTS))}")
    return {**module.SETTINGS, **module.VARIANTS.get(name, {})}


def trained_with(record: dict, settings: dict, *, train_images: int = 60_000) -> bool:
    """Whether a member's ``record`` says it was trained with ``settings`` on ``train_images`` MNIST images."""
    config = record.get("config", {})
    wanted = json.loads(json.dumps(settings))
    return (all(config.get(key) == value for key, value in wanted.items())
            and config.get("styles", {}) == wanted.get("styles", {})
            and config.get("train_images") == train_images and not config.get("validation_images"))


def member(name: str, *, run_root: Path, train_size: int | None = None, verbose: int = 2, kind: str = "digit"):
    """Member ``name``'s model and record: reused from ``run_root/<name>/digit_reader.keras`` (``row_reader.keras``
    for a row member) when its record says it was trained with the member's settings (and the file is the recorded
    one), trained there otherwise."""
    from mnist_studies.segmentation.backends import load_keras

    module, filename = KINDS[kind]
    settings, folder = member_settings(name, kind=kind), run_root / name
    output = folder / filename
    try:
        record = json.loads(output.with_suffix(".json").read_text())
    except (OSError, json.JSONDecodeError):
        record = {}  # none yet, or damaged: trained again
    images = 60_000 if train_size is None else train_size
    if (output.is_file() and trained_with(record, settings, train_images=images)
            and record.get("model_file", {}).get("sha256") == digit_reader.sha256(output)):
        print(f"Member {name!r} reused: {output} (trained with its settings)", flush=True)
    else:
        print(f"Member {name!r}: training into {folder}", flush=True)
        record = module.train(settings, output=output, run_dir=folder, train_size=train_size, verbose=verbose)
    return load_keras(output), record


def unpack(shipped: Path, *, run_root: Path, kind: str = "digit") -> list[Path]:
    """Write each member of the mean ``shipped`` (a ``.keras`` file with its record beside it) to
    ``run_root/<name>/`` with its training record, so that ``member`` reuses it instead of training it again (a new
    checkout has no ``runs/``); return the files written."""
    from mnist_studies.segmentation.backends import load_keras

    record = json.loads(Path(shipped).with_suffix(".json").read_text())
    mean, filename = load_keras(shipped), KINDS[kind][1]
    written = []
    for index, name in enumerate(record["config"]["members"]):
        inner = mean.get_layer(f"member_{index}")  # build_mean's wrapper of the member, its layers and weights
        trained = record["members"][name]
        output = Path(run_root) / name / filename
        digit_reader.save_model(keras.Model(inner.input, inner.output, name=trained.get("name", inner.name)), output)
        trained = {**trained, "model_file": {"name": filename, "sha256": digit_reader.sha256(output)}}
        records.write_json_atomic(trained, output.with_suffix(".json"))
        written.append(output)
    return written


def combine(members: dict, output: Path, *, x_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Average ``members`` ({name: (model, record)}) into one model, measure it on the test images (float, (N, 28, 28,
    1)), save it to ``output`` with its record and ONNX export (``digit_reader.write_record``); return the record."""
    start = time.perf_counter()
    models = [model for model, _ in members.values()]
    model = build_ensemble(models)
    probabilities = {name: m.predict(x_test, batch_size=training.EVAL_BATCH_SIZE, verbose=0)
                     for name, m in zip(members, models)}
    read = np.mean(list(probabilities.values()), axis=0)  # what the mean model reads, without running them again
    alone = {name: np.argmax(p[:, :10], axis=1) for name, p in probabilities.items()}
    errors = int(np.sum(np.argmax(read[:, :10], axis=1) != y_test))  # as digit_reader.test_errors counts them
    seed = digit_reader.SETTINGS["not_a_digit"]["seed"] + len(digit_reader.REJECTS) + 2  # the members' held-out sets
    first, *others = alone.values()
    digit_reader.save_model(model, output)
    record = {
        "name": "digit_reader",
        "config": {"members": list(members), "builder": "models.digit_reader.build_ensemble",
                   "classes": "0-9, then 10 = not one digit (segmentation/train/strips.py)"},
        "metrics": {"test_errors": errors, "test_images": len(y_test), "test_error": errors / len(y_test),
                    "test_images_most_probably_not_a_digit": int(np.sum(np.argmax(read, axis=1)
                                                                        == strips.NOT_A_DIGIT)),
                    "parameters": model.count_params(),
                    "member_test_errors": {name: int(np.sum(p != y_test)) for name, p in alone.items()},
                    "test_images_the_members_read_differently": int(np.sum(np.any([p != first for p in others],
                                                                                  axis=0))),
                    **{kind: digit_reader.rejection_scores(model, make(1000, seed=seed + k))
                       for k, (kind, make) in enumerate(digit_reader.REJECTS.items())}},
        **_members_record(members, start),
    }
    return digit_reader.write_record(record, output)


def _members_record(members: dict, start: float) -> dict:
    """The part of a mean's record that is its members': their seeds, records and training times."""
    return {"seed": {name: rec.get("seed") for name, (_, rec) in members.items()},
            "members": {name: rec for name, (_, rec) in members.items()},
            "timings": {"combine_seconds": time.perf_counter() - start,
                        "members_wall_seconds": {name: rec.get("timings", {}).get("wall_seconds")
                                                 for name, (_, rec) in members.items()}}}


def train(names=MEMBERS, *, output: Path | None = None, run_root: Path | None = None,
          train_size: int | None = None, verbose: int = 2) -> dict:
    """Train (or reuse) the members ``names`` and write their mean to ``output`` (default: the shipped model's
    place); return its record. ``train_size`` (a prefix of MNIST's training set) is for tests."""
    output = Path(output or paths.reader_model_path())
    run_root = Path(run_root or paths.runs_dir("reader_model"))
    members = {name: member(name, run_root=run_root, train_size=train_size, verbose=verbose) for name in names}
    _, (x_test, y_test) = data.load_mnist()
    return combine(members, output, x_test=data.to_float(x_test), y_test=y_test.astype(np.int64))


def combine_rows(members: dict, output: Path, *, sets: dict) -> dict:
    """Average the logits of row readers ``members`` ({name: (model, record)}) into one model, measure it and each
    member on ``sets`` (``row_reader.test_sets``), save it to ``output`` with its record and ONNX export; return the
    record."""
    start = time.perf_counter()
    model = build_row_ensemble([m for m, _ in members.values()])
    digit_reader.save_model(model, output)
    record = {
        "name": "row_reader",
        "config": {"members": list(members), "builder": "models.row_reader.build_row_ensemble",
                   "classes": "0 = CTC blank, d + 1 = digit d (segmentation/sequence.py)"},
        "metrics": {"parameters": model.count_params(), **row_reader.measure(model, sets),
                    "members_alone": {name: row_reader.measure(m, sets) for name, (m, _) in members.items()}},
        **_members_record(members, start),
    }
    return digit_reader.write_record(record, output)


def train_rows(names=ROW_MEMBERS, *, output: Path | None = None, run_root: Path | None = None,
               train_size: int | None = None, verbose: int = 2) -> dict:
    """Train (or reuse) the row readers ``names`` and write the mean of their logits to ``output`` (default: the
    shipped row reader's place); return its record. ``train_size`` is for tests (``row_reader.train``)."""
    output = Path(output or paths.row_model_path())
    run_root = Path(run_root or paths.runs_dir("row_model"))
    members = {name: member(name, run_root=run_root, train_size=train_size, verbose=verbose, kind="row")
               for name in names}
    _, (test_raw, test_labels) = data.load_mnist()
    sets = row_reader.test_sets(test_raw, test_labels, row_reader.SETTINGS, train_size=train_size)
    return combine_rows(members, output, sets=sets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.train.ensemble",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--rows", action="store_true", help="the row reader's mean instead of the digit model's")
    parser.add_argument("--output", type=Path, help="where the .keras file goes (default: the shipped model's place)")
    parser.add_argument("--member", action="append", metavar="NAME",
                        help=f"a member: 'default' or a variant of digit_reader (row_reader with --rows) "
                             f"(repeatable; default: {', '.join(MEMBERS)}; with --rows: {', '.join(ROW_MEMBERS)})")
    parser.add_argument("--unpack", action="store_true", help="write the shipped mean's members to runs/ (where "
                                                                 "they are reused) instead of training")
    args = parser.parse_args(argv)
    kind = "row" if args.rows else "digit"
    if args.unpack:
        shipped = paths.row_model_path() if args.rows else paths.reader_model_path()
        for path in unpack(shipped, run_root=paths.runs_dir("row_model" if args.rows else "reader_model"), kind=kind):
            print(f"Member unpacked: {path}")
        return 0
    names = tuple(args.member or (ROW_MEMBERS if args.rows else MEMBERS))
    try:
        for name in names:
            member_settings(name, kind=kind)
    except ValueError as error:
        parser.error(str(error))
    if len(set(names)) < 2:
        parser.error(f"an ensemble needs at least two different members, got {', '.join(names)}")
    training.configure_device("auto")
    what = "row reader" if args.rows else "digit model"
    print(f"The page reader's {what}: the mean of {', '.join(names)} ({training.describe_device()})", flush=True)
    if args.rows:
        record = train_rows(names, output=args.output)
        m = record["metrics"]
        alone = ", ".join(f"{name} {100 * r['test_rows']['rows_exact']:.1f}%"
                          for name, r in m["members_alone"].items())
        print(f"Rows of test digits read exactly: {100 * m['test_rows']['rows_exact']:.1f}% (alone: {alone}); "
              f"joined up: {100 * m['test_rows_joined']['rows_exact']:.1f}%: {args.output or paths.row_model_path()}")
        return 0
    record = train(names, output=args.output)
    m = record["metrics"]
    alone = ", ".join(f"{name} {n}" for name, n in m["member_test_errors"].items())
    print(f"MNIST test error {100 * m['test_error']:.2f}% ({m['test_errors']} of {m['test_images']}; alone: {alone}): "
          f"{args.output or paths.reader_model_path()}")
    if m["test_error"] > digit_reader.TEST_ERROR_BOUND:
        print(f"warning: above the {100 * digit_reader.TEST_ERROR_BOUND:.1f}% the shipped model must reach",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
