"""Command line of the page recognizer.

    mnist-read-digits PAGE [PAGE ...] [--model PATH] [--row-model PATH] [--json] [--min-confidence P] [--annotate DIR]
                      [--labels LABELS.json]
    python -m mnist_studies.segmentation ...   (the same)

Prints the recognized text of each page (rows separated by newlines; with ``--min-confidence P`` a digit read with
a probability below P prints as ``?``). With ``--json``, standard output carries one JSON document and nothing else
(each digit with its probability, box, row and its three most probable labels); every notice goes to standard
error. Each page that cannot be processed gets one line on stderr naming the file and the problem; the other pages
are still processed, and the exit status is 1 when any page failed (2 for a bad model or bad arguments). A blank
page gives empty text, a note on stderr and exit 0. With ``--labels`` (a JSON object: image file name -> its
digits, rows separated by newlines) the pages are also scored: pages read exactly and digits read right (edit
distance per row, anything but digits dropped from the label), on stdout after the texts (stderr with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mnist_studies import native_logs, paths, segmentation
from mnist_studies.segmentation.benchmark.labels import describe, read_labels, score


def _shipped(path: Path, load, what: str, option: str):
    """A model committed with the code (``make reader-model`` trains them); never trained here."""
    if not path.is_file():
        raise segmentation.PageError(f"{path}: the shipped {what} is missing; restore it (git checkout -- {path}), "
                                     f"retrain it (make reader-model) or give one with {option}")
    return load(path)


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability from 0 to 1, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mnist-read-digits",
                                     description="Recognize the handwritten digits of scanned pages.")
    parser.add_argument("pages", nargs="+", type=Path,
                        help="image files (PNG, JPEG, TIFF, ...; grey, RGB, RGBA or 16-bit)")
    parser.add_argument("--model", type=Path, help="a .keras digit classifier with 28x28x1 or 32x32x1 input "
                                                   "(default: the shipped model, make reader-model)")
    parser.add_argument("--row-model", type=Path, help="a .keras row reader for blobs of touching digits (default: "
                                                       "the shipped one; used by the photo method)")
    parser.add_argument("--json", action="store_true", help="print one JSON list with an object per page (each digit "
                                                             "with its probability and three most probable labels)")
    parser.add_argument("--min-confidence", type=_probability, default=0.0, metavar="P",
                        help="print ? for a digit read with a probability below P (and draw it in blue with "
                             "--annotate); default 0")
    parser.add_argument("--annotate", type=Path, metavar="DIR", help="write each page with boxes and labels to DIR")
    parser.add_argument("--labels", type=Path, metavar="LABELS.json",
                        help="score the pages against a JSON object of file name -> digits (rows on separate lines)")
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
        with native_logs.native_stderr_redirected():  # TensorFlow's CUDA probing at first use
            import keras  # noqa: F401 (TensorFlow starts here, quietly)

            keras.ops.zeros(1)  # first use: device probing
            from mnist_studies.segmentation import sequence

            model = segmentation.load_digit_model(args.model) if args.model else _shipped(
                paths.reader_model_path(), segmentation.load_digit_model, "digit model", "--model")
            row_model = None
            if args.method == "photo":
                row_model = sequence.load_row_model(args.row_model) if args.row_model else _shipped(
                    paths.row_model_path(), sequence.load_row_model, "row reader", "--row-model")
    except segmentation.PageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed, results = 0, []
    for page in args.pages:
        try:
            grey = segmentation.read_page(page, colour=args.method == "photo")
            result = segmentation.recognize_page(page, model, grey=grey, method=args.method, row_model=row_model)
            if args.annotate:
                segmentation.annotate(grey, result, args.annotate / f"{page.stem}_annotated.png",
                                      min_confidence=args.min_confidence)
        except segmentation.PageError as error:
            print(f"error: {page}: {error}", file=sys.stderr)
            failed += 1
            continue
        except MemoryError:
            print(f"error: {page}: not enough memory to process this page", file=sys.stderr)
            failed += 1
            continue
        if not result.digits:
            print(f"note: {page}: no digits found (blank page)", file=sys.stderr)
        results.append(result)
        if not args.json:
            text = result.text_at(args.min_confidence)
            print(text if len(args.pages) == 1 else f"== {page}\n{text}")
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=1))
    if labels is not None:
        print(describe(score(results, labels)), file=sys.stderr if args.json else sys.stdout)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
