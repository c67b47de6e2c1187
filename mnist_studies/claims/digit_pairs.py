"""The claims of study ``digit_pairs`` (``mnist_studies/studies/digit_pairs.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

import numpy as np

from mnist_studies import claims
from mnist_studies.claims import Claim
from mnist_studies.studies.digit_pairs import MODELS, PAPER_TABLE_I, PAPER_TABLE_II, _verdict, reproduces

_RULE = "our mean within 2 of the paper's standard deviations, or within 2 points where that is wider"


def _band_margin(ours: float, paper: float, paper_std: float | None = None) -> str:
    """How far inside (+) or outside (-) the rule's band around the paper's number ours lies (``reproduces``)."""
    band = max(2.0 * (paper_std or 0.0), 2.0)
    inside = band - abs(ours - paper)
    where = "inside" if inside >= 0 else "outside"
    return f"{abs(inside):.1f} points {where} the ±{band:.1f} band"


def _measure_table_i(model_name: str):
    def measure(study_records: list[dict]):
        found = [r for r in study_records if r["name"] == f"tuning-{model_name}"]
        if not found:
            return None
        m = found[0]["metrics"]
        ours = 100 * m["best_val_accuracy"]
        folds = len(m["val_accuracy_by_rate"][f"{m['best_learning_rate']:g}"])
        return claims.Measurement(f"{ours:.1f}% at lr {m['best_learning_rate']:g} ({folds} fold(s))", 1,
                                  _verdict(reproduces(ours, PAPER_TABLE_I[model_name][1])),
                                  _band_margin(ours, PAPER_TABLE_I[model_name][1]))

    return measure


def _measure_table_ii(model_name: str, split: str):
    def measure(study_records: list[dict]):
        group = [r for r in study_records if r["name"].startswith("eval-") and r["extra"]["model"] == model_name]
        if not group:
            return None
        values = [100 * r["metrics"][f"{split}_accuracy"] for r in group]
        paper_mean, paper_std = PAPER_TABLE_II[model_name][0 if split == "test" else 1]
        return claims.Measurement(claims.format_mean_std(values), len(values),
                                  _verdict(reproduces(float(np.mean(values)), paper_mean, paper_std)),
                                  _band_margin(float(np.mean(values)), paper_mean, paper_std))

    return measure


CLAIMS = [
    Claim(f"{name}: best learning rate and its mean validation accuracy", "Table I",
          f"{PAPER_TABLE_I[name][1]:.1f}% at lr {PAPER_TABLE_I[name][0]:g}", "our best rate's mean validation "
          "accuracy within 2 points", _measure_table_i(name)) for name in MODELS
] + [
    Claim(f"{name}: {split} accuracy over 10 runs", "Table II",
          "{:.1f} ± {:.1f}%".format(*PAPER_TABLE_II[name][0 if split == "test" else 1]), _RULE,
          _measure_table_ii(name, split)) for name in MODELS for split in ("test", "train")
]
