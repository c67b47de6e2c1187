"""Command line of the page recognizer.

    mnist-read-digits PAGE [PAGE ...] [--model PATH] [--row-model PATH] [--backend onnx|keras] [--json]
                      [--min-confidence P] [--annotate DIR] [--labels LABELS.json] [--[no-]crossed-sevens]
                      [--ink auto|dark|light] [--method photo|paper]
    python -m mnist_studies.segmentation ...   (the same)

Prints each page's text (rows on separate lines; ``?`` for a digit read with less than ``--min-confidence``) once
every page is read, since whether the writers cross 7s is judged on all their 7s (a progress bar meanwhile where
stderr is a terminal; Ctrl-C prints those read so far, exit 130). With ``--json``, stdout carries one JSON document
and nothing else (each digit with its probability, box, row and three most probable labels); notices go to stderr.
A page that cannot be processed gets one line on stderr naming the file and the problem, and the others are still
read; exit status 1 when any page failed, 2 for a bad model or arguments, 0 for a blank page (with a note). With
``--labels`` (a JSON object: file name -> its digits, rows on separate lines) the pages are also scored (pages exact,
digits right by edit distance per row, non-digits dropped), after the texts (on stderr with --json)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from mnist_studies import native_logs, paths, segmentation
from mnist_studies.segmentation import conventions
from mnist_studies.segmentation.benchmark.labels import describe, read_labels, score


def _model_files(args) -> tuple[Path, Path | None]:
    """The digit model and row reader to read with: given with --model / --row-model, or the shipped files of
    --backend (``make reader-model`` trains and exports them; never trained here)."""
    def shipped(keras_path: Path, what: str, option: str) -> Path:
        path = segmentation.shipped_path(keras_path, args.backend)
        if not path.is_file():
            remake = "re-export it (python -m mnist_studies.segmentation.train.export), " if args.backend == "onnx" \
                else ""
            raise segmentation.PageError(f"{path}: the shipped {what} is missing; restore it (git checkout -- {path}), "
                                         f"{remake}retrain it (make reader-model) or give one with {option}")
        return path

    digit = args.model or shipped(paths.reader_model_path(), "digit model", "--model")
    if args.method != "photo":
        return digit, None
    return digit, args.row_model or shipped(paths.row_model_path(), "row reader", "--row-model")


def _load_models(args):
    """The loaded models; Keras (and TensorFlow) start only when a ``.keras`` file is read."""
    digit, rows = _model_files(args)
    with_keras = any(p is not None and p.suffix.lower() != ".onnx" for p in (digit, rows))
    with native_logs.native_stderr_redirected() if with_keras else contextlib.nullcontext():
        if with_keras:  # TensorFlow's CUDA probing at first use, quietly
            import keras

            keras.ops.zeros(1)
        return segmentation.load_digit_model(digit), segmentation.load_row_model(rows) if rows else None


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability from 0 to 1, got {text}")
    return value


def _read_pages(args, model, row_model) -> tuple[list, int, bool]:
    """Every page of ``args.pages`` read: (page, ``PageResult``) for each page read, the number that failed (each with
    one line on stderr), and whether Ctrl-C stopped the reading (the pages read until then are kept)."""
    read, failed, pages = [], 0, args.pages
    if len(pages) > 1:  # a progress bar where stderr is a terminal (tqdm costs a single page's start 0.05 s)
        from tqdm import tqdm

        pages = tqdm(pages, desc="reading", unit="page", disable=None, leave=False)
    try:
        for page in pages:
            try:
                if args.method == "photo":  # a big photo is read at a reduced size (read_photo)
                    grey, shape = segmentation.read_photo(page, dark_ink=segmentation.INK[args.ink])
                else:
                    grey = segmentation.read_page(page)
                    shape = grey.shape[:2]
                read.append((page, segmentation.recognize_page(
                    page, model, grey=grey, method=args.method, row_model=row_model, input_shape=shape,
                    crossed_sevens=bool(args.crossed_sevens), dark_ink=segmentation.INK[args.ink])))
            except segmentation.PageError as error:
                print(f"error: {page}: {error}", file=sys.stderr)
                failed += 1
            except MemoryError:
                print(f"error: {page}: not enough memory to process this page", file=sys.stderr)
                failed += 1
    except KeyboardInterrupt:
        print(f"note: interrupted after {len(read) + failed} of {len(args.pages)} pages; those read follow",
              file=sys.stderr)
        return read, failed, True
    return read, failed, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mnist-read-digits",
                                     description="Recognize the handwritten digits of scanned pages.")
    parser.add_argument("pages", nargs="+", type=Path,
                        help="image files (PNG, JPEG, TIFF, ...; grey, RGB, RGBA or 16-bit)")
    parser.add_argument("--model", type=Path, help="a digit classifier (.onnx or .keras) with 28x28x1 or 32x32x1 "
                                                   "input (default: the shipped model, make reader-model)")
    parser.add_argument("--row-model", type=Path, help="a row reader (.onnx or .keras) for blobs of touching digits "
                                                       "(default: the shipped one; used by the photo method)")
    parser.add_argument("--backend", choices=segmentation.BACKENDS, default="onnx",
                        help="run the shipped models with ONNX Runtime (default: no TensorFlow, fast start) or with "
                             "Keras; a --model or --row-model file is run by the one its suffix names")
    parser.add_argument("--json", action="store_true", help="print one JSON list with an object per page (each digit "
                                                             "with its probability and three most probable labels)")
    parser.add_argument("--min-confidence", type=_probability, default=0.0, metavar="P",
                        help="print ? for a digit read with a probability below P (and draw it in blue with "
                             "--annotate); default 0")
    parser.add_argument("--annotate", type=Path, metavar="DIR", help="write each page with boxes and labels to DIR")
    parser.add_argument("--labels", type=Path, metavar="LABELS.json",
                        help="score the pages against a JSON object of file name -> digits (rows on separate lines)")
    parser.add_argument("--crossed-sevens", action=argparse.BooleanOptionalAction, default=None,
                        help="the writers cross 7s (as in most of continental Europe and Latin America): read a 7 "
                             "without a crossbar as the 1 with a long up-stroke such writers make; "
                             "--no-crossed-sevens: they do not; default: judged on the 7s of all the pages read "
                             f"(so where at least {conventions.CROSSING_WRITERS} have a crossbar, and most do)")
    parser.add_argument("--ink", choices=segmentation.INK, default="auto",
                        help="dark: ink darker than the paper; light: lighter (chalk on a board, a white marker); "
                             "auto (default): judged on each page")
    parser.add_argument("--method", choices=segmentation.METHODS, default="photo",
                        help="photo (default): even out light and shadows, pick the ink's colour channel, remove "
                             "ruled lines, then the paper's pipeline; paper: the paper's pipeline alone")
    args = parser.parse_args(argv)

    try:
        labels = read_labels(args.labels) if args.labels else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        model, row_model = _load_models(args)
    except segmentation.PageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    read, failed, interrupted = _read_pages(args, model, row_model)
    as_read = [result for _, result in read]
    results = conventions.by_convention(as_read, args.crossed_sevens)
    if any(result is not first for result, first in zip(results, as_read)):  # judged: the writers cross 7s
        with_bar, without = (sum(result.sevens[k] for result in as_read) for k in (0, 1))
        print(f"note: {with_bar} of the {with_bar + without} digits read as 7 have a crossbar: the writers cross 7s, "
              f"so the {without} without one are read as 1s (--no-crossed-sevens keeps them 7s)", file=sys.stderr)
    for (page, _), result in zip(read, results):
        if args.annotate:  # drawn on the image as it is, boxes and all
            segmentation.annotate(segmentation.read_page(page, colour=True), result,
                                  args.annotate / f"{page.stem}_annotated.png", min_confidence=args.min_confidence)
        if not result.digits:
            print(f"note: {page}: no digits found (blank page)", file=sys.stderr)
        if not args.json:
            text = result.text_at(args.min_confidence)
            print(text if len(args.pages) == 1 else f"== {page}\n{text}")
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=1))
    if labels is not None:
        print(describe(score(results, labels)), file=sys.stderr if args.json else sys.stdout)
    return 130 if interrupted else 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
