"""The claims of study ``resnet`` (``mnist_studies/studies/resnet.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

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


_RULE = (f"test accuracy of the best-on-validation checkpoint over seeds: the mean's 90% interval at or above "
         f"{PAPER_ACCURACY_RANGE[0]:g}% (better than {PAPER_ACCURACY_RANGE[1]:g}% also reproduces): reproduced; "
         f"below: not reproduced; else, or one run (\"stable\" needs several): inconclusive")
CLAIMS = [
    Claim("The two-layer CNN's accuracy is stable between 98% and 99%", "§4", "98–99%", _RULE,
          _measure_accuracy("two_layer_cnn")),
    Claim("The ResNet-style network reaches 98–99% test accuracy", "—", "no accuracy reported",
          _RULE.replace(' (\"stable\" needs several)', ""), _measure_accuracy("resnet_paper"), question=True),
]
