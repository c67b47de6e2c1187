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


AROUND = 0.15  # "around 70000 parameters": within 15% (59,500-80,500)
PAPER_PARAMETERS = 70_000
BEST_ACCURACY = 97.0  # "the most performing networks by classifying around 97% of the test pairs correctly"


def _measure_parameters(study_records: list[dict]):
    """Needs no runs: each architecture's parameter count from its builder."""
    from mnist_studies.models.digit_pairs import BUILDERS

    counts = {name: builder().count_params() for name, builder in BUILDERS.items()}
    near = [name for name, n in counts.items() if abs(n - PAPER_PARAMETERS) <= AROUND * PAPER_PARAMETERS]
    verdict = (claims.REPRODUCED if len(near) == len(counts) else claims.PARTLY if near else claims.NOT_REPRODUCED)
    shown = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    return claims.Measurement(shown, len(counts), verdict, f"{len(near)} of {len(counts)} within {AROUND:.0%}")


def _measure_best(study_records: list[dict]):
    """Auxiliary @ 40 and the digit CNN: the two best test accuracies of Table II, each around 97%."""
    groups = {}
    for r in study_records:
        if r["name"].startswith("eval-"):
            groups.setdefault(r["extra"]["model"], []).append(100 * r["metrics"]["test_accuracy"])
    if not {"Auxiliary @ 40", "Digit"} <= set(groups):
        return None
    means = {name: sum(v) / len(v) for name, v in groups.items()}
    top = sorted(means, key=means.get, reverse=True)[:2]
    around = [name for name in ("Auxiliary @ 40", "Digit") if abs(means[name] - BEST_ACCURACY) <= MARGIN]
    ranked = set(top) == {"Auxiliary @ 40", "Digit"}
    verdict = (claims.REPRODUCED if ranked and len(around) == 2 else claims.PARTLY if ranked or around
               else claims.NOT_REPRODUCED)
    shown = ", ".join(f"{name} {means[name]:.1f}%" for name in sorted(means, key=means.get, reverse=True)[:3])
    return claims.Measurement(f"best three: {shown}", len(groups["Digit"]), verdict,
                              f"the two best: {', '.join(top)}")


CLAIMS = [
    Claim("The five architectures have around 70,000 parameters each", "§III", "about 70,000",
          f"every builder within {AROUND:.0%} of 70,000: reproduced; some: partly", _measure_parameters,
          needs_runs=False),
    Claim("Auxiliary @ 40 and the digit CNN are the best models, around 97% test accuracy", "abstract, §VI",
          "97.6 and 97.8%", f"their Table II test means are the two highest and each within ±{MARGIN:g} point of 97%: "
          "reproduced; one of the two: partly", _measure_best),
] + [
    Claim(f"{name}: best learning rate and its mean validation accuracy", "Table I",
          f"{PAPER_TABLE_I[name][1]:.1f}% at lr {PAPER_TABLE_I[name][0]:g}", _RULE_I, _measure_table_i(name))
    for name in MODELS
] + [
    Claim(f"{name}: {split} accuracy over 10 runs", "Table II",
          "{:.1f} ± {:.1f}%".format(*PAPER_TABLE_II[name][0 if split == "test" else 1]), _RULE_II,
          _measure_table_ii(name, split)) for name in MODELS for split in ("test", "train")
]
