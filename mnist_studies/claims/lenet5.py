"""The claims of study ``lenet5`` (``mnist_studies/studies/lenet5.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.studies.lenet5 import IMPROVED_STEP, PAPER_ERROR, PAPER_PAGE_ACCURACY

# How much worse than the paper's 0.86% still counts as the same result: MNIST's test error moves by about 0.1 point
# from seed to seed for a network of this size, so 0.2 points is two such steps.
ERROR_MARGIN = 0.2


def _measure_improved_error(study_records: list[dict]):
    errors = [r["metrics"]["test_error_percent"] for r in study_records
              if r["name"] != "pages" and r["config"].get("step") == IMPROVED_STEP]
    if not errors:
        return None
    decision = stats.not_worse(errors, PAPER_ERROR, ERROR_MARGIN, lower_is_better=True)
    return claims.Measurement(claims.format_mean_std(errors, "%", 2), len(errors), decision.verdict,
                              decision.interval())


def _measure_pages(study_records: list[dict]):
    found = [r for r in study_records if r["name"] == "pages"]
    if not found:
        return None
    m = found[0]["metrics"]
    accuracy = 100 * m["digit_accuracy"]
    correct = round(m["digit_accuracy"] * m["digits"])
    text = f"{accuracy:.1f}% of {m['digits']} digits on {m['pages']} pages"
    if "segmentation_errors" in m:
        text += (f" (errors: {m['segmentation_errors']} in rows segmented into the wrong number of digits, "
                 f"{m['recognition_errors']} misread)")
    decision = stats.above(correct, m["digits"], PAPER_PAGE_ACCURACY)
    return claims.Measurement(text, 1, decision.verdict, decision.interval("%", 1))


CLAIMS = [
    Claim("The improved LeNet-5 (ReLU/LeakyReLU, 32 kernels, dropout, SPP) has 0.86% test error", "§5",
          f"{PAPER_ERROR}% error", f"our mean error at most {ERROR_MARGIN:g} points worse than {PAPER_ERROR}%: the "
          "difference's 90% interval (our seeds' spread, the paper's one run taken to spread as ours) wholly under "
          f"+{ERROR_MARGIN:g}: reproduced; wholly over: not reproduced; else inconclusive", _measure_improved_error),
    Claim("The page pipeline recognizes new handwritten digits above 92%", "abstract", f"> {PAPER_PAGE_ACCURACY:g}%",
          "per-digit accuracy on synthetic pages of MNIST test digits (our stand-in for new handwriting): its 90% "
          "interval (Wilson) above 92%: reproduced; below: not reproduced; across it: inconclusive", _measure_pages),
]
