"""Scoring read pages against a user's labels: a JSON object of image file name -> the digits written.

Two readings of the same labelled pages (``mnist-read-digits --json`` outputs, before and after a change) are
compared with

    python -m mnist_studies.segmentation.benchmark.labels --labels LABELS.json BEFORE.json AFTER.json

which prints both scores, the pages gained and lost, and whether that difference could be chance (McNemar's exact
test on the pages read exactly by one of the two): a change that gains 12 pages and loses 9 of 500 is noise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from mnist_studies.segmentation.benchmark.pages import score_text


def _read_json(path: Path, what: str):
    """The JSON document in ``path``, or a one-line ValueError naming the file as not ``what``."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not {what} ({error})".splitlines()[0]) from None


def read_labels(path: str | Path) -> dict[str, str]:
    """The labels file: {image file name: its digits, rows on separate lines}, separators and spaces dropped.

    Raises:
        ValueError: one line naming the file and what is wrong with it.
    """
    path = Path(path)
    labels = _read_json(path, "a readable JSON labels file")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError(f"{path}: labels must be a JSON object of file name -> digits as a string")
    return {Path(name).name: "\n".join(re.sub(r"\D", "", row) for row in text.strip().splitlines())
            for name, text in labels.items()}


def score(results: list, labels: dict[str, str]) -> dict:
    """How read pages (``PageResult``) fare against their labels: pages exact and digits right (``score_text``),
    over the pages that have a label (the others are counted apart)."""
    scored = [(r.text, labels[Path(r.image).name]) for r in results if Path(r.image).name in labels]
    return {**tally(scored), "unlabelled": len(results) - len(scored)}


def tally(scored: list[tuple[str, str]]) -> dict:
    """Pages exact and digits right (``score_text``) of (text read, truth) pairs."""
    digits = [score_text(text, truth) for text, truth in scored]
    return {"pages": len(scored), "exact": sum(text == truth for text, truth in scored),
            "digits": sum(n for _, n in digits), "correct": sum(c for c, _ in digits)}


def describe(scores: dict) -> str:
    """"labels: 12 of 20 pages exact (60.0%), 180 of 200 digits (90.0%)"."""
    line = (f"labels: {scores['exact']} of {scores['pages']} pages exact "
            f"({100 * scores['exact'] / max(1, scores['pages']):.1f}%), {scores['correct']:,} of {scores['digits']:,} "
            f"digits ({100 * scores['correct'] / max(1, scores['digits']):.1f}%)")
    return line + (f"; {scores['unlabelled']} page(s) without a label left out" if scores["unlabelled"] else "")


def read_outputs(path: str | Path) -> dict[str, str]:
    """A ``mnist-read-digits --json`` output as {image file name: text read}.

    Raises:
        ValueError: one line naming the file and what is wrong with it.
    """
    path = Path(path)
    what = "the JSON output of mnist-read-digits --json"
    results = _read_json(path, what)
    try:
        return {Path(r["image"]).name: r["text"] for r in results}
    except (TypeError, KeyError) as error:
        raise ValueError(f"{path}: not {what} (no {error} in an entry)".splitlines()[0]) from None


def compare(before: dict[str, str], after: dict[str, str], labels: dict[str, str]) -> dict:
    """Two readings ({file name: text}) of the labelled pages both read: pages exact and digits right for each, the
    pages only one reads exactly (gained: ``after``; lost: ``before``) and McNemar's exact two-sided p-value of that
    split (a binomial test of gained against gained + lost at one half)."""
    from scipy.stats import binomtest

    names = sorted(set(before) & set(after) & set(labels))
    scores = {}
    for key, reading in (("before", before), ("after", after)):
        scores[key] = {**tally([(reading[name], labels[name]) for name in names]), "unlabelled": 0}
    gained = [name for name in names if after[name] == labels[name] != before[name]]
    lost = [name for name in names if before[name] == labels[name] != after[name]]
    split = len(gained) + len(lost)
    p_value = binomtest(len(gained), split, 0.5).pvalue if split else 1.0
    return {**scores, "gained": gained, "lost": lost, "p_value": float(p_value),
            "changed": [name for name in names if before[name] != after[name]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.segmentation.benchmark.labels",
                                     description="Compare two readings of the same labelled pages.")
    parser.add_argument("--labels", type=Path, required=True, metavar="LABELS.json")
    parser.add_argument("before", type=Path, help="mnist-read-digits --json output, before a change")
    parser.add_argument("after", type=Path, help="the same pages read after it")
    parser.add_argument("--list", action="store_true", help="also list every page read otherwise: truth, before, after")
    args = parser.parse_args(argv)
    try:
        labels, before, after = read_labels(args.labels), read_outputs(args.before), read_outputs(args.after)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = compare(before, after, labels)
    if not result["before"]["pages"]:
        print(f"error: no page of {args.after} is in both {args.before} and {args.labels}", file=sys.stderr)
        return 2
    for key in ("before", "after"):
        print(f"{key:>6}: {describe(result[key])}")
    print(f"gained {len(result['gained'])}, lost {len(result['lost'])} pages "
          f"(McNemar's exact p = {result['p_value']:.2g}: "
          f"{'unlikely to be chance' if result['p_value'] < 0.05 else 'could be chance'})")
    if args.list:
        for name in result["changed"]:
            mark = "+" if name in result["gained"] else "-" if name in result["lost"] else " "
            print(f"  {mark} {name}: {labels[name]!r} read {before[name]!r} -> {after[name]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
