"""The claims of study ``digit_pairs`` (``mnist_studies/studies/digit_pairs.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.studies.digit_pairs import MODELS, PAPER_TABLE_I, PAPER_TABLE_II

RUNS_IN_PAPER = 10  # Table II: mean ± SD over 10 runs
# An accuracy of 1,000 test pairs has a binomial standard error of about 0.5 points at 97% (1.3 at 80%): a
# difference under 1 point cannot be told from the test set's own sampling, one over it is a different result.
MARGIN = 1.0
_RULE_II = (f"the difference of means (Welch: both sides' SD and n) has its 90% interval inside ±{MARGIN:g} points: "
            f"reproduced; wholly outside: not reproduced; else inconclusive")
_RULE_I = (f"our best rate's 4-fold mean within ±{MARGIN:g} points (90% interval; the paper's folds taken to spread as "
           "ours) and the same best rate; the accuracy alone: partly")


def _measure_table_i(model_name: str):
    def measure(study_records: list[dict]):
        found = [r for r in study_records if r["name"] == f"tuning-{model_name}"]
        if not found:
            return None
        m = found[0]["metrics"]
        paper_rate, paper_accuracy = PAPER_TABLE_I[model_name]
        folds = [100 * a for a in m["val_accuracy_by_rate"][f"{m['best_learning_rate']:g}"]]
        decision = stats.equivalent(folds, paper_accuracy, MARGIN, paper_n=len(folds))
        verdict = decision.verdict
        same_rate = abs(m["best_learning_rate"] - paper_rate) < 1e-12
        if verdict == claims.REPRODUCED and not same_rate:
            verdict = claims.PARTLY
        rate = "the paper's rate" if same_rate else f"not the paper's {paper_rate:g}"
        return claims.Measurement(f"{sum(folds) / len(folds):.1f}% at lr {m['best_learning_rate']:g} ({rate}; "
                                  f"{len(folds)} folds)", 1, verdict, decision.interval())

    return measure


def _measure_table_ii(model_name: str, split: str):
    def measure(study_records: list[dict]):
        group = [r for r in study_records if r["name"].startswith("eval-") and r["extra"]["model"] == model_name]
        if not group:
            return None
        values = [100 * r["metrics"][f"{split}_accuracy"] for r in group]
        paper_mean, paper_std = PAPER_TABLE_II[model_name][0 if split == "test" else 1]
        decision = stats.equivalent(values, paper_mean, MARGIN, paper_std, RUNS_IN_PAPER)
        return claims.Measurement(claims.format_mean_std(values), len(values), decision.verdict, decision.interval())

    return measure


CLAIMS = [
    Claim(f"{name}: best learning rate and its mean validation accuracy", "Table I",
          f"{PAPER_TABLE_I[name][1]:.1f}% at lr {PAPER_TABLE_I[name][0]:g}", _RULE_I, _measure_table_i(name))
    for name in MODELS
] + [
    Claim(f"{name}: {split} accuracy over 10 runs", "Table II",
          "{:.1f} ± {:.1f}%".format(*PAPER_TABLE_II[name][0 if split == "test" else 1]), _RULE_II,
          _measure_table_ii(name, split)) for name in MODELS for split in ("test", "train")
]
