"""The claims of study ``lenet5`` (``mnist_studies/studies/lenet5.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

import numpy as np

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.studies.lenet5 import IMPROVED_STEP, PAPER_ERROR, PAPER_PAGE_ACCURACY, is_training_run

# How much worse than the paper's 0.86% still counts as the same result: MNIST's test error moves by about 0.1 point
# from seed to seed for a network of this size, so 0.2 points is two such steps.
ERROR_MARGIN = 0.2


def _measure_improved_error(study_records: list[dict]):
    errors = [r["metrics"]["test_error_percent"] for r in study_records
              if is_training_run(r) and r["config"]["step"] == IMPROVED_STEP]
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
    return {r["seed"]: r for r in study_records if is_training_run(r) and r["config"]["step"] == step}


def _iterations_to(record: dict, level: float = CONVERGED) -> float:
    """The first evaluation at or above ``level``; a run that never gets there counts one interval past its end."""
    points = record["history"]["test_accuracy_every"]
    never = points[-1][0] + (points[-1][0] - points[-2][0] if len(points) > 1 else points[-1][0]) if points else 0
    return next((float(i) for i, accuracy in points if accuracy >= level), float(never))


def _reaches(record: dict, level: float = CONVERGED) -> bool:
    return any(accuracy >= level for _, accuracy in record["history"]["test_accuracy_every"])


def _paired_steps(study_records: list[dict], a: str, b: str, value,
                  informative=lambda run_a, run_b: True) -> tuple[list[float], list[float], int] | None:
    """(values of step ``a``, of step ``b``, pairs left out) over the seeds both have, leaving out the pairs that
    say nothing (``informative`` false: e.g. neither run reached the level that is timed)."""
    runs_a, runs_b = _step_runs(study_records, a), _step_runs(study_records, b)
    seeds = sorted(set(runs_a) & set(runs_b))
    if not seeds:
        return None
    kept = [k for k in seeds if informative(runs_a[k], runs_b[k])]
    return [value(runs_a[k]) for k in kept], [value(runs_b[k]) for k in kept], len(seeds) - len(kept)


def _left_out(count: int, why: str) -> str:
    return f"; {count} pair{'s' if count != 1 else ''} left out: {why}" if count else ""


def _measure_relu_converges(study_records: list[dict]):
    """The ablation's +ReLU step against the classic (sigmoid) network: fewer iterations to 97% test accuracy. A pair
    in which neither run reaches 97% within its training says nothing about which is faster and is left out (it
    read as a tie, "not reproduced", when the quick profile's short runs reached 97% in none)."""
    pairs = _paired_steps(study_records, "classic", "+ReLU", _iterations_to,
                          informative=lambda classic, relu: _reaches(classic) or _reaches(relu))
    if pairs is None:
        return None
    sigmoid, relu, left_out = pairs
    decision = stats.paired_greater(sigmoid, relu)
    last = {k: r["history"]["test_accuracy_every"][-1][0] for k, r in _step_runs(study_records, "classic").items()}
    last_iteration = max(last.values(), default=0)
    shown = lambda runs: ", ".join(f"{i:,.0f}" if i <= last_iteration else "never" for i in runs) or "-"  # noqa: E731
    return claims.Measurement(f"iterations to {CONVERGED:.0%} test accuracy: ReLU {shown(relu)}, sigmoid "
                              f"{shown(sigmoid)}{_left_out(left_out, f'neither run reached {CONVERGED:.0%}')}",
                              len(relu), decision.verdict, decision.interval(" iterations", 0))


def _test_accuracy_fall(record: dict) -> float:
    """Overfitting as the test accuracy shows it: points lost from its best evaluation to the last one."""
    accuracies = [accuracy for _, accuracy in record["history"]["test_accuracy_every"]]
    return 100 * (max(accuracies) - accuracies[-1])


def _measure_dropout(study_records: list[dict]):
    """The ablation's +dropout step against the step before it: a smaller fall of the test accuracy from its best
    evaluation to the end of training. (The gap between training and test accuracy was used before: the training
    accuracy is measured with dropout active, which lowers it, so that gap shrinks with any dropout, overfitting or
    not.) A pair in which neither run's test accuracy falls at all shows no overfitting to mitigate: left out."""
    pairs = _paired_steps(study_records, "+32 kernels", "+dropout", _test_accuracy_fall,
                          informative=lambda a, b: _test_accuracy_fall(a) > 0 or _test_accuracy_fall(b) > 0)
    if pairs is None:
        return None
    without, with_dropout, left_out = pairs
    decision = stats.paired_greater(without, with_dropout)
    shown = lambda falls: ", ".join(f"{g:.2f}" for g in falls) or "-"  # noqa: E731
    return claims.Measurement(f"test accuracy's fall from its best: {shown(with_dropout)} points with dropout, "
                              f"{shown(without)} without{_left_out(left_out, 'no fall in either run')}",
                              len(without), decision.verdict, decision.interval())


KERNEL_MARGIN = 0.1  # points of test error: a smaller gain from 64 kernels than one seed-to-seed step is "not better"


def _measure_more_kernels(study_records: list[dict]):
    """§5: more kernels help up to a point ("+32 kernels" against "+ReLU", LeNet-5's 6 and 16), "but more convolutional
    kernels are not better" (64 against 32, with the compute they cost). Test error paired over seeds."""
    error = lambda run: run["metrics"]["test_error_percent"]  # noqa: E731
    fewer, more = _paired_steps(study_records, "+ReLU", "+32 kernels", error), \
        _paired_steps(study_records, "+32 kernels", "64 kernels", error)
    if more is None:
        return None
    parts, shown = [], []
    if fewer is not None:
        relu, kernels32, _ = fewer
        rise = stats.paired_greater(relu, kernels32)
        parts.append(rise)
        shown.append(f"6/16 -> 32 kernels, error fallen by: {rise.interval()}")
    kernels32, kernels64, _ = more
    gain = stats.paired_not_greater(kernels32, kernels64, KERNEL_MARGIN)
    parts.append(gain)
    shown.append(f"32 -> 64 kernels, error fallen by: {gain.interval()}")
    runs32, runs64 = _step_runs(study_records, "+32 kernels"), _step_runs(study_records, "64 kernels")
    seconds = lambda runs: np.mean([r["timings"]["wall_seconds"] for r in runs.values()])  # noqa: E731
    value = (f"test error: 32 kernels {claims.format_mean_std(kernels32, '%', 2)}, 64 kernels "
             f"{claims.format_mean_std(kernels64, '%', 2)}"
             + (f", LeNet-5's 6/16 (+ReLU) {claims.format_mean_std(relu, '%', 2)}" if fewer is not None else "")
             + f"; 64 kernels train {seconds(runs64) / max(seconds(runs32), 1e-9):.1f}x as long")
    return claims.Measurement(value, len(kernels64), stats.combine(parts), "; ".join(shown))


CLAIMS = [
    Claim("The improved LeNet-5 (3×3 pair, LeakyReLU, 32 kernels, dropout, SPP) has 0.86% test error", "§5",
          f"{PAPER_ERROR}% error", f"our mean error at most {ERROR_MARGIN:g} points worse than {PAPER_ERROR}%: the "
          "difference's 90% interval (our seeds' spread, the paper's one run taken to spread as ours) wholly under "
          f"+{ERROR_MARGIN:g}: reproduced; wholly over: not reproduced; else inconclusive", _measure_improved_error),
    Claim("The page pipeline recognizes new handwritten digits above 92%", "abstract", f"> {PAPER_PAGE_ACCURACY:g}%",
          "per-digit accuracy on synthetic pages of MNIST test digits (our stand-in for new handwriting): its 90% "
          "interval (Wilson) above 92%: reproduced; below: not reproduced; across it: inconclusive", _measure_pages),
    Claim("With ReLU the network converges quickly (than with sigmoid)", "§5", "qualitative",
          f"the ablation's ReLU step reaches {CONVERGED:.0%} test accuracy in fewer iterations than the classic "
          "(sigmoid) network, paired over the ablation's seeds (pairs where neither reaches it left out): the 90% "
          "interval of the difference above 0",
          _measure_relu_converges),
    Claim("Adding dropout slightly mitigates overfitting", "§5", "qualitative",
          "the test accuracy falls less from its best evaluation to the end of training with the ablation's dropout "
          "step than without, paired over the ablation's seeds (pairs where neither falls left out): the 90% "
          "interval of the difference above 0",
          _measure_dropout),
    Claim("More convolutional kernels help, but more kernels are not better", "§5", "qualitative (the paper settles "
          "on 32 per layer)",
          "test error paired over the compared seeds: the ablation's 32-kernel step under LeNet-5's 6 and 16 (+ReLU; "
          "90% interval of the difference above 0), and 64 kernels (the same network) not better than 32 by more than "
          f"{KERNEL_MARGIN:g} points (90% interval of the fall at most +{KERNEL_MARGIN:g}); both: reproduced, one: "
          "partly; the training time beside them",
          _measure_more_kernels),
]
