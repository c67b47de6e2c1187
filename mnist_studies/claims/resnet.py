"""The claims of study ``resnet`` (``mnist_studies/studies/resnet.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

import math

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.studies.resnet import PAPER_ACCURACY_RANGE


def _measure_accuracy(model_name: str):
    def measure(study_records: list[dict]):
        found = [r for r in study_records if r["name"] == model_name or r["name"].startswith(f"{model_name}-seed")]
        if not found:
            return claims.needs_gpu(study_records, model_name)
        values = [100 * r["metrics"]["test_accuracy"] for r in found]
        decision = stats.within(values, PAPER_ACCURACY_RANGE[0])
        shown = f"{values[0]:.2f}%" if len(values) == 1 else claims.format_mean_std(values, "%", 2)
        return claims.Measurement(shown, len(values), decision.verdict, decision.interval("%"))

    return measure


def _measure_loss_falls(study_records: list[dict]):
    """Figure 3: the two-layer CNN's training loss falls as training goes on. Each seed's epoch losses against the
    epoch: Spearman's rank correlation negative (one-sided, 5%); and over seeds, paired, the first epoch's loss above
    the last one's (log scale: the loss shrinks by orders of magnitude)."""
    from scipy import stats as scipy_stats

    found = [r for r in study_records if r["name"].startswith("two_layer_cnn-seed") and r["history"].get("loss")]
    if not found:
        return None
    trends = [scipy_stats.spearmanr(range(len(r["history"]["loss"])), r["history"]["loss"], alternative="less")
              for r in found]
    falling = sum(t.pvalue < stats.ALPHA for t in trends)
    first = [math.log10(r["history"]["loss"][0]) for r in found]
    last = [math.log10(r["history"]["loss"][-1]) for r in found]
    drop = stats.paired_greater(first, last)
    trend = stats.Decision(claims.REPRODUCED if falling == len(found) else
                           claims.NOT_REPRODUCED if falling == 0 else claims.PARTLY)
    verdict = stats.combine([trend, drop]) if len(found) > 1 else claims.INCONCLUSIVE
    rho = ", ".join(f"{t.statistic:.2f}" for t in trends)
    return claims.Measurement(f"loss per epoch falls in {falling} of {len(found)} seeds (Spearman ρ {rho}); first "
                              f"epoch {10 ** (sum(first) / len(first)):.3g}, last {10 ** (sum(last) / len(last)):.2g} "
                              "(geometric means)", len(found), verdict,
                              drop.interval(" decades of loss") + "; first epoch's over the last one's")


_RULE = (f"test accuracy of the best-on-validation checkpoint over seeds: the mean's 90% interval at or above "
         f"{PAPER_ACCURACY_RANGE[0]:g}% (better than {PAPER_ACCURACY_RANGE[1]:g}% also reproduces): reproduced; "
         f"below: not reproduced; else, or one run (\"stable\" needs several): inconclusive")
CLAIMS = [
    Claim("The two-layer CNN's accuracy is stable between 98% and 99%", "§4", "98–99%", _RULE,
          _measure_accuracy("two_layer_cnn")),
    Claim("The training loss decreases as the iterations go on", "§3, Figure 3", "qualitative (a falling curve)",
          "the two-layer CNN's loss per epoch: Spearman's correlation with the epoch negative (one-sided, 5%) in every "
          "seed, and the first epoch's loss above the last one's, paired over seeds (90% interval above 0): "
          "reproduced; neither: not reproduced; one run: inconclusive", _measure_loss_falls),
    Claim("The ResNet-style network reaches 98–99% test accuracy", "—", "no accuracy reported",
          _RULE.replace(' (\"stable\" needs several)', ""), _measure_accuracy("resnet_paper"), question=True),
]
