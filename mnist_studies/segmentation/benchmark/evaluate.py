"""``make bench-pages``: the page reader on the page families (``families``), beside Tesseract.

    python -m mnist_studies.segmentation.benchmark.evaluate [--model PATH] [--row-model PATH] [--pages 10] [--no-speed]
    python -m mnist_studies.segmentation.benchmark.evaluate --tuning [--pages 50] [--family "touching pairs" ...]

Per family: the share of digits read right (``pages.score_text``) and of pages read exactly, by our reader (photo
method) and by Tesseract (digits only, ``--psm 6``; skipped with a note when not installed), and seconds per page.
Writes ``pages-<device>.json`` (with every page's text, and the pages read otherwise than in the record it replaces
printed) and a bar chart beside it; then one photo per call at several sizes, ours beside Tesseract
(``speed.py``, ``pages-<device>-speed.png``). ``PAGES_PER_FAMILY`` (10, about 190 digits) resolves a family's
accuracy to about ±1 point. The reader's settings are chosen on the tuning pages (from ``TUNING_SEED``),
never on the benchmark's (from ``FIRST_SEED``); ``--tuning``, ``--family`` and ``--no-tesseract`` print only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mnist_studies.segmentation.benchmark import families, pages

TESSERACT_ARGS = ["--psm", "6", "-c", "tessedit_char_whitelist=0123456789"]
FIRST_SEED = 2000  # disjoint from the study's evaluation pages (1000-1029) and the tuning pages (TUNING_SEED on)
TUNING_SEED = 5000  # the pages the reader's settings are chosen on (``--tuning``)


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def read_with_tesseract(image: np.ndarray, folder: Path) -> str:
    """Tesseract's digits of a page, rows separated by newlines (spaces and empty lines dropped)."""
    from PIL import Image

    path = folder / "page.png"
    Image.fromarray(image).save(path)
    done = subprocess.run(["tesseract", str(path), "stdout", *TESSERACT_ARGS], capture_output=True, text=True,
                          timeout=120)
    return digit_rows(done.stdout)


def digit_rows(text: str) -> str:
    """The digits of a reader's output, rows separated by newlines (anything else and empty rows dropped)."""
    rows = [re.sub(r"\D", "", line) for line in text.splitlines()]
    return "\n".join(row for row in rows if row)


def read_with_ours(image: np.ndarray, model, row_model=None) -> str:
    from mnist_studies import segmentation

    grey = image / 255.0
    return segmentation.recognize_page("page", model, grey=grey, method="photo", row_model=row_model).text


def latest_results(folder: Path | None = None) -> dict | None:
    """The newest ``pages-<device>.json`` that ``make bench-pages`` wrote (``benchmarks/results/``), or None."""
    from mnist_studies import paths

    found = sorted((folder or paths.PROJECT_ROOT / "benchmarks" / "results").glob("pages-*.json"),
                   key=lambda p: p.stat().st_mtime)
    return json.loads(found[-1].read_text()) if found else None


PAGES_PER_FAMILY = 10


def measure(model_path: Path, *, row_model_path: Path | None = None, pages_per_family: int = PAGES_PER_FAMILY,
            use_tesseract: bool | None = None, first_seed: int = FIRST_SEED, names: list[str] | None = None) -> dict:
    """Per family (``names``, default every family this machine can make), per reader: digit accuracy, exact pages
    and seconds per page, on the pages with seeds ``first_seed`` on (see the module docstring). Ours reads with the
    digit model ``model_path`` and the row reader ``row_model_path`` (default: the shipped one)."""
    from mnist_studies import paths, segmentation
    from mnist_studies.segmentation import sequence

    start = time.perf_counter()
    model = segmentation.load_digit_model(model_path)
    row_model_path = row_model_path or segmentation.shipped_path(paths.row_model_path(), "onnx")
    row_model = sequence.load_row_model(row_model_path)
    load_seconds = time.perf_counter() - start
    use_tesseract = tesseract_available() if use_tesseract is None else use_tesseract
    readers = {"ours": lambda image, folder: read_with_ours(image, model, row_model)}
    if use_tesseract:
        readers["tesseract"] = read_with_tesseract

    def relative(path: Path) -> str:  # relative to the project, so the record reads the same anywhere
        path = Path(path).resolve()
        return str(path.relative_to(paths.PROJECT_ROOT) if path.is_relative_to(paths.PROJECT_ROOT) else path)

    out = {"model": relative(model_path), "row_model": relative(row_model_path),
           "model_load_seconds": load_seconds, "pages_per_family": pages_per_family, "first_seed": first_seed,
           "tesseract": subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split(
               "\n")[0] if use_tesseract else None, "families": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for family in names or families.available():
            made = [families.make(family, first_seed + i) for i in range(pages_per_family)]
            row = {}
            for name, read in readers.items():
                correct = total = exact = 0
                seconds = 0.0
                texts = []
                for image, truth in made:
                    begin = time.perf_counter()
                    texts.append(read(image, Path(scratch)))
                    seconds += time.perf_counter() - begin
                    ok, n = pages.score_text(texts[-1], truth)
                    correct, total, exact = correct + ok, total + n, exact + (texts[-1] == truth)
                row[name] = {"digit_accuracy": correct / total, "exact_pages": exact / len(made), "digits": total,
                             "digit_errors": total - correct, "seconds_per_page": seconds / len(made),
                             "texts": texts}
            out["families"][family] = row
            shown = ", ".join(f"{name} {100 * r['digit_accuracy']:.1f}% ({r['seconds_per_page']:.2f} s/page)"
                              for name, r in row.items())
            errors = ", ".join(f"{name} {r['digit_errors']}" for name, r in row.items())
            print(f"{family}: {shown}; digit errors: {errors}", flush=True)
    for name in readers:
        rows = [r[name] for r in out["families"].values()]
        digits = sum(r["digits"] for r in rows)
        out.setdefault("overall", {})[name] = {
            "digit_accuracy": sum(r["digit_accuracy"] * r["digits"] for r in rows) / digits,
            "seconds_per_page": float(np.mean([r["seconds_per_page"] for r in rows]))}
        print(f"overall: {name} {100 * out['overall'][name]['digit_accuracy']:.2f}% of {digits} digits, digit errors "
              f"{sum(r['digit_errors'] for r in rows)}", flush=True)
    return out


def changed_texts(results: dict, before: dict | None) -> list[str] | None:
    """The pages (``family/k``) our reader reads otherwise than in ``before`` (an earlier record of the same pages),
    over the families whose texts it holds; None when it holds none to compare with."""
    if not before or before.get("first_seed") != results["first_seed"]:
        return None
    changed, compared = [], False
    for family, row in results["families"].items():
        old = ((before.get("families") or {}).get(family, {}).get("ours") or {}).get("texts")
        if old is not None:
            compared = True
            changed += [f"{family}/{k}" for k, (a, b) in enumerate(zip(old, row["ours"]["texts"])) if a != b]
    return changed if compared else None


def plot(results: dict):
    import matplotlib.pyplot as plt

    names = list(results["families"])
    readers = list(results["families"][names[0]])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(names) + 1.7))
    ypos = np.arange(len(names))
    for k, reader in enumerate(readers):
        values = [100 * results["families"][n][reader]["digit_accuracy"] for n in names]
        ax.barh(ypos + (k - (len(readers) - 1) / 2) * 0.38, values, height=0.38,
                label=f"{reader} ({100 * results['overall'][reader]['digit_accuracy']:.1f}% overall)")
    ax.axvline(97, color="C3", lw=0.8, ls="--", label="target 97% per family")
    ax.set_yticks(ypos, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("digits read right (%)")
    ax.set_title(f"Page families, {results['pages_per_family']} pages each", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)  # below: the bars reach 100%
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> int:
    from mnist_studies import paths, records, segmentation, training

    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.benchmark.evaluate",
                                     description=__doc__.split("\n")[0])
    shipped = {name: segmentation.shipped_path(path, "onnx")  # what the command line reads with by default
               for name, path in (("model", paths.reader_model_path()), ("rows", paths.row_model_path()))}
    parser.add_argument("--model", type=Path, default=shipped["model"],
                        help="the digit model to read with, .onnx or .keras (default: the shipped ONNX one)")
    parser.add_argument("--row-model", type=Path, default=shipped["rows"],
                        help="the row reader for blobs of touching digits (default: the shipped ONNX one)")
    parser.add_argument("--pages", type=int, default=PAGES_PER_FAMILY,
                        help=f"pages per family (default {PAGES_PER_FAMILY})")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--tuning", action="store_true",
                        help=f"measure the tuning pages (seeds from {TUNING_SEED}) and print them; writes nothing")
    parser.add_argument("--family", action="append", choices=families.FAMILIES + (families.FONTS,), metavar="NAME",
                        help="measure this family only (repeatable; default: every family)")
    parser.add_argument("--no-tesseract", action="store_true", help="measure our reader alone")
    parser.add_argument("--no-speed", action="store_true",
                        help="leave out the one-photo-per-call times and the photo-size series (speed.py)")
    args = parser.parse_args(argv)
    if args.family and families.FONTS in args.family and families.FONTS not in families.available():
        parser.error(f"the {families.FONTS!r} family needs Debian's handwriting fonts, and none is installed")
    if args.pages < 1:
        parser.error(f"--pages must be at least 1, got {args.pages}")
    if not args.no_tesseract and not tesseract_available():
        print("note: tesseract is not installed (Debian: apt-get install tesseract-ocr): measuring our reader alone",
              file=sys.stderr)
    if families.FONTS not in families.available() and not args.family:
        print(f"note: no handwriting font is installed: the {families.FONTS!r} family is left out (see "
              f"mnist_studies/segmentation/benchmark/families.py)", file=sys.stderr)
    try:
        results = measure(args.model, row_model_path=args.row_model, pages_per_family=args.pages, names=args.family,
                          use_tesseract=False if args.no_tesseract else None,
                          first_seed=TUNING_SEED if args.tuning else FIRST_SEED)
    except Exception as error:  # a missing or bad model: one line
        from mnist_studies.segmentation import PageError

        if isinstance(error, PageError):
            print(f"error: {error}", file=sys.stderr)
            return 2
        raise
    if args.tuning or args.family or args.no_tesseract:  # the benchmark's record: its pages, every family, both
        why = "the tuning pages" if args.tuning else "some families only" if args.family else "without Tesseract"
        print(f"(not written: {why})", file=sys.stderr)
        return 0
    results["device"] = training.describe_device()
    from mnist_studies import plotting
    from mnist_studies.segmentation.benchmark import speed

    more = {}
    if not args.no_speed:
        print("One photo per call (cold start), by size:", flush=True)
        results["speed"] = speed.measure(use_tesseract=tesseract_available())
        more["speed"] = speed.plot(results["speed"], results["device"])
    before = records.benchmark_path(results, args.output, "pages")
    changed = changed_texts(results, json.loads(before.read_text()) if before.is_file() else None)
    path = records.write_benchmark(results, args.output, "pages", plot(results), dpi=plotting.DPI, more_figures=more)
    print(f"Page families: {path} and {path.with_suffix('.png')}" + (
        f"; speed: {path.with_name(path.stem + '-speed.png')}" if more else ""))
    if changed is None:
        print("(no earlier record with the pages' texts to compare them with)")
    else:
        print(f"{len(changed)} pages read otherwise than in the record replaced" + (f": {', '.join(changed)}"
                                                                                   if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
