"""Scoring read pages against a user's labels: a JSON object of image file name -> the digits written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mnist_studies.segmentation.benchmark.pages import score_text


def read_labels(path: str | Path) -> dict[str, str]:
    """The labels file: {image file name: its digits, rows on separate lines}, separators and spaces dropped.

    Raises:
        ValueError: one line naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        labels = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable JSON labels file ({error})".splitlines()[0]) from None
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise ValueError(f"{path}: labels must be a JSON object of file name -> digits as a string")
    return {Path(name).name: "\n".join(re.sub(r"\D", "", row) for row in text.strip().splitlines())
            for name, text in labels.items()}


def score(results: list, labels: dict[str, str]) -> dict:
    """How read pages (``PageResult``) fare against their labels: pages exact and digits right (``score_text``),
    over the pages that have a label (the others are counted apart)."""
    scored = [(r.text, labels[Path(r.image).name]) for r in results if Path(r.image).name in labels]
    digits = [score_text(text, truth) for text, truth in scored]
    return {"pages": len(scored), "exact": sum(text == truth for text, truth in scored),
            "digits": sum(n for _, n in digits), "correct": sum(c for c, _ in digits),
            "unlabelled": len(results) - len(scored)}


def describe(scores: dict) -> str:
    """"labels: 12 of 20 pages exact (60.0%), 180 of 200 digits (90.0%)"."""
    line = (f"labels: {scores['exact']} of {scores['pages']} pages exact "
            f"({100 * scores['exact'] / max(1, scores['pages']):.1f}%), {scores['correct']:,} of {scores['digits']:,} "
            f"digits ({100 * scores['correct'] / max(1, scores['digits']):.1f}%)")
    return line + (f"; {scores['unlabelled']} page(s) without a label left out" if scores["unlabelled"] else "")
