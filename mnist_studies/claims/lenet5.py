"""The claims of study ``lenet5`` (``mnist_studies/studies/lenet5.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

import numpy as np

from mnist_studies import claims
from mnist_studies.claims import Claim
from mnist_studies.studies.lenet5 import IMPROVED_STEP, PAPER_ERROR, PAPER_PAGE_ACCURACY, error_verdict, page_verdict


def _measure_improved_error(study_records: list[dict]):
    errors = [r["metrics"]["test_error_percent"] for r in study_records
              if r["name"] != "pages" and r["config"].get("step") == IMPROVED_STEP]
    if not errors:
        return None
    bound = PAPER_ERROR + 0.2
    return claims.Measurement(claims.format_mean_std(errors, "%", 2), len(errors),
                              error_verdict(float(np.mean(errors))),
                              f"{bound - float(np.mean(errors)):+.2f} points below the {bound:.2f}% bound")


def _measure_pages(study_records: list[dict]):
    found = [r for r in study_records if r["name"] == "pages"]
    if not found:
        return None
    m = found[0]["metrics"]
    accuracy = 100 * m["digit_accuracy"]
    text = f"{accuracy:.1f}% of {m['digits']} digits on {m['pages']} pages"
    if "segmentation_errors" in m:
        text += (f" (errors: {m['segmentation_errors']} in rows segmented into the wrong number of digits, "
                 f"{m['recognition_errors']} misread)")
    return claims.Measurement(text, 1,
                              page_verdict(accuracy), f"{accuracy - PAPER_PAGE_ACCURACY:+.1f} points above "
                                                      f"{PAPER_PAGE_ACCURACY:g}%")


CLAIMS = [
    Claim("The improved LeNet-5 (ReLU/LeakyReLU, 32 kernels, dropout, SPP) has 0.86% test error", "§5",
          f"{PAPER_ERROR}% error", f"our mean error ≤ {PAPER_ERROR + 0.2:.2f}% (0.2 points of run-to-run noise)",
          _measure_improved_error),
    Claim("The page pipeline recognizes new handwritten digits above 92%", "abstract", f"> {PAPER_PAGE_ACCURACY:g}%",
          "per-digit accuracy on synthetic pages of MNIST test digits (our stand-in for new handwriting) above 92%",
          _measure_pages),
]
