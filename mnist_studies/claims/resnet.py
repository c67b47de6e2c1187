"""The claims of study ``resnet`` (``mnist_studies/studies/resnet.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

from mnist_studies import claims
from mnist_studies.claims import Claim
from mnist_studies.studies.resnet import PAPER_ACCURACY_RANGE, verdict


def _measure_accuracy(model_name: str):
    def measure(study_records: list[dict]):
        found = [r for r in study_records if r["name"] == model_name]
        if not found:
            return claims.needs_gpu(study_records, model_name)
        accuracy = 100 * found[0]["metrics"]["test_accuracy"]
        return claims.Measurement(f"{accuracy:.2f}%", 1, verdict(accuracy / 100),
                                  f"{accuracy - PAPER_ACCURACY_RANGE[0]:+.2f} points from {PAPER_ACCURACY_RANGE[0]:g}%")

    return measure


_RULE = (f"test accuracy of the best-on-validation checkpoint ≥ {PAPER_ACCURACY_RANGE[0]:g}% (better than "
         f"{PAPER_ACCURACY_RANGE[1]:g}% also reproduces)")
CLAIMS = [
    Claim("The ResNet-style network reaches 98–99% test accuracy", "§4", "98–99%", _RULE,
          _measure_accuracy("resnet_paper")),
    Claim("The two-layer CNN reaches 98–99% test accuracy", "§4", "98–99%", _RULE, _measure_accuracy("two_layer_cnn")),
]
