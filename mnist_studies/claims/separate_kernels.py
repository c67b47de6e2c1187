"""The claims of study ``separate_kernels`` (``mnist_studies/studies/separate_kernels.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

import numpy as np

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.studies.separate_kernels import GAIN_RANGE, PAPER_GAIN_POINTS, verdict


def _margin(gains: list[float]) -> str | None:
    """The paired t-test's p-value and the 95% confidence interval of the mean gain."""
    from scipy import stats

    if len(gains) < 2 or np.std(gains) == 0:
        return None
    low, high = stats.t.interval(0.95, len(gains) - 1, loc=np.mean(gains), scale=stats.sem(gains))
    return f"p = {stats.ttest_1samp(gains, 0.0).pvalue:.3f}, 95% CI [{low:+.1f}, {high:+.1f}] points"


def _measure_gain(study_records: list[dict]):
    gains = [r["metrics"]["gain_points"] for r in study_records if r["config"]["activation"] == "sigmoid"]
    if not gains:
        return None
    ours = verdict(gains)
    label = (claims.INCONCLUSIVE if ours.startswith(("not tested", "inconclusive"))
             else claims.PARTLY if ours.startswith("partly") else ours)
    return claims.Measurement(claims.format_mean_std(gains, " points", 2), len(gains), label, _margin(gains))


def _by_seed(study_records: list[dict], activation: str, metric: str) -> dict[int, float]:
    return {r["seed"]: r["metrics"][metric] for r in study_records if r["config"]["activation"] == activation}


def _measure_sigmoid_best(study_records: list[dict]):
    """Sigmoid's pre-trained classifier against each other activation's, paired by seed."""
    others = sorted({r["config"]["activation"] for r in study_records} - {"sigmoid"})
    if not others or not _by_seed(study_records, "sigmoid", "gain_points"):
        return None
    sigmoid = _by_seed(study_records, "sigmoid", "pretrained_test_accuracy")
    decisions, shown = [], []
    for other in others:
        theirs = _by_seed(study_records, other, "pretrained_test_accuracy")
        seeds = sorted(set(sigmoid) & set(theirs))
        decisions.append(stats.paired_greater([100 * sigmoid[k] for k in seeds], [100 * theirs[k] for k in seeds]))
        gains = _by_seed(study_records, other, "gain_points")
        shown.append(f"{other} {100 * sum(theirs.values()) / len(theirs):.1f}% "
                     f"(gain {sum(gains.values()) / len(gains):+.1f})")
    gains = _by_seed(study_records, "sigmoid", "gain_points")
    verdicts = [d.verdict for d in decisions]
    verdict = (claims.NOT_REPRODUCED if claims.NOT_REPRODUCED in verdicts else claims.REPRODUCED
               if set(verdicts) == {claims.REPRODUCED} else claims.INCONCLUSIVE)
    value = (f"pre-trained test accuracy: sigmoid {100 * sum(sigmoid.values()) / len(sigmoid):.1f}% (gain "
             f"{sum(gains.values()) / len(gains):+.1f}), " + ", ".join(shown))
    return claims.Measurement(value, len(sigmoid), verdict,
                              "; ".join(f"vs {o}: {d.interval()}" for o, d in zip(others, decisions)))


CLAIMS = [
    Claim("Pre-trained kernels (ten one-vs-rest CNNs, sigmoid) raise the 10-class CNN's test accuracy", "§4",
          f"about +{PAPER_GAIN_POINTS:.0f} points", f"paired gain in [{GAIN_RANGE[0]:g}, {GAIN_RANGE[1]:g}] points "
          "and paired t-test p < 0.05; a significant gain outside it: partly; 95% CI below 1 point: not reproduced; "
          "else inconclusive", _measure_gain),
    Claim("Of the activations tried, sigmoid proves the most effective", "§4", "qualitative",
          "the pre-trained classifier's test accuracy with sigmoid above each other activation's, paired by seed "
          "(90% interval of the difference above 0): reproduced; below or at 0: not reproduced; else inconclusive. "
          "Read as the largest gain from pre-training instead, the gains are shown beside",
          _measure_sigmoid_best),
]
