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


CONVERGED = 0.97  # "converges quickly": iterations until the test accuracy first reaches 97%


def _step_runs(study_records: list[dict], step: str) -> dict[int, dict]:
    return {r["seed"]: r for r in study_records if r["name"] != "pages" and r["config"].get("step") == step}


def _iterations_to(record: dict, level: float = CONVERGED) -> float:
    """The first evaluation at or above ``level``; a run that never gets there counts one interval past its end."""
    points = record["history"]["test_accuracy_every"]
    never = points[-1][0] + (points[-1][0] - points[-2][0] if len(points) > 1 else points[-1][0]) if points else 0
    return next((float(i) for i, accuracy in points if accuracy >= level), float(never))


def _paired_steps(study_records: list[dict], a: str, b: str, value) -> tuple[list[float], list[float]] | None:
    runs_a, runs_b = _step_runs(study_records, a), _step_runs(study_records, b)
    seeds = sorted(set(runs_a) & set(runs_b))
    if not seeds:
        return None
    return [value(runs_a[k]) for k in seeds], [value(runs_b[k]) for k in seeds]


def _measure_relu_converges(study_records: list[dict]):
    """The ablation's +ReLU step against the classic (sigmoid) network: fewer iterations to 97% test accuracy."""
    pairs = _paired_steps(study_records, "classic", "+ReLU", _iterations_to)
    if pairs is None:
        return None
    sigmoid, relu = pairs
    decision = stats.paired_greater(sigmoid, relu)
    last = {k: r["history"]["test_accuracy_every"][-1][0] for k, r in _step_runs(study_records, "classic").items()}
    last_iteration = max(last.values(), default=0)
    shown = lambda runs: ", ".join(f"{i:,.0f}" if i <= last_iteration else "never" for i in runs)  # noqa: E731
    return claims.Measurement(f"iterations to {CONVERGED:.0%} test accuracy: ReLU {shown(relu)}, sigmoid "
                              f"{shown(sigmoid)}", len(relu),
                              decision.verdict, decision.interval(" iterations", 0))


def _overfit_gap(record: dict) -> float:
    return 100 * record["history"]["accuracy"][-1] - (100 - record["metrics"]["test_error_percent"])


def _measure_dropout(study_records: list[dict]):
    """The ablation's +dropout step against the step before it: a smaller gap between training and test accuracy."""
    pairs = _paired_steps(study_records, "+32 kernels", "+dropout", _overfit_gap)
    if pairs is None:
        return None
    without, with_dropout = pairs
    decision = stats.paired_greater(without, with_dropout)
    return claims.Measurement(f"train - test accuracy: {', '.join(f'{g:.2f}' for g in with_dropout)} points with "
                              f"dropout, {', '.join(f'{g:.2f}' for g in without)} without", len(without),
                              decision.verdict, decision.interval())


CLAIMS = [
    Claim("The improved LeNet-5 (ReLU/LeakyReLU, 32 kernels, dropout, SPP) has 0.86% test error", "§5",
          f"{PAPER_ERROR}% error", f"our mean error at most {ERROR_MARGIN:g} points worse than {PAPER_ERROR}%: the "
          "difference's 90% interval (our seeds' spread, the paper's one run taken to spread as ours) wholly under "
          f"+{ERROR_MARGIN:g}: reproduced; wholly over: not reproduced; else inconclusive", _measure_improved_error),
    Claim("The page pipeline recognizes new handwritten digits above 92%", "abstract", f"> {PAPER_PAGE_ACCURACY:g}%",
          "per-digit accuracy on synthetic pages of MNIST test digits (our stand-in for new handwriting): its 90% "
          "interval (Wilson) above 92%: reproduced; below: not reproduced; across it: inconclusive", _measure_pages),
    Claim("With ReLU the network converges quickly (than with sigmoid)", "§5", "qualitative",
          f"the ablation's ReLU step reaches {CONVERGED:.0%} test accuracy in fewer iterations than the classic "
          "(sigmoid) network, paired over the ablation's seeds: the 90% interval of the difference above 0",
          _measure_relu_converges),
    Claim("Adding dropout slightly mitigates overfitting", "§5", "qualitative",
          "the gap between the last epoch's training accuracy (dropout active) and the test accuracy is smaller with "
          "the ablation's dropout step than without, paired over the ablation's seeds: the 90% interval above 0",
          _measure_dropout),
]
