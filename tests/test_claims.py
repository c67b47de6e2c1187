"""The verdict rules (``mnist_studies/claims``): every rule can fail, weighs both sides' spread, and says
inconclusive when the runs cannot decide; the report counts the papers' claims and our questions apart."""

import numpy as np
import pytest

from mnist_studies import report
from mnist_studies.claims import INCONCLUSIVE, NOT_REPRODUCED, PARTLY, REPRODUCED, stats
from mnist_studies.claims import digit_pairs as pair_claims
from mnist_studies.claims import lenet5 as lenet5_claims
from mnist_studies.claims import resnet as resnet_claims
from mnist_studies.claims import separate_kernels as kernel_claims
from mnist_studies.claims import training_choices as choice_claims
from mnist_studies.studies import lenet5

# ---------------------------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------------------------


def test_equivalence_reproduces_inside_the_margin_fails_outside_and_is_inconclusive_across_it():
    assert stats.equivalent([97.7, 97.8, 97.9, 97.8], 97.8, 1.0, 0.2, 10).verdict == REPRODUCED
    assert stats.equivalent([90.1, 90.3, 89.9, 90.0], 97.8, 1.0, 0.2, 10).verdict == NOT_REPRODUCED
    assert stats.equivalent([96.3, 97.9, 95.5, 97.4], 97.8, 1.0, 0.2, 10).verdict == INCONCLUSIVE
    assert stats.equivalent([97.8], 97.8, 1.0, 0.2, 10).verdict == INCONCLUSIVE  # one run: no interval


def test_equivalence_weighs_our_spread_and_the_papers():
    close_but_noisy = [95.0, 99.0, 96.0, 99.5]  # mean 97.4: inside ±1 of 97.8, but the runs cannot show it
    assert stats.equivalent(close_but_noisy, 97.8, 1.0, 0.2, 10).verdict == INCONCLUSIVE
    # the paper's own spread counts too: 84.9 ± 22.3 over 10 runs cannot be told from 87, but 99.3 lies 2 of its
    # standard errors away
    assert stats.equivalent([88.0, 86.0, 87.0, 85.0], 84.9, 1.0, 22.3, 10).verdict == INCONCLUSIVE
    assert stats.equivalent([85.0, 85.2, 84.8, 85.0], 84.9, 1.0, 22.3, 10).verdict == INCONCLUSIVE  # even a match
    assert stats.equivalent([99.3, 99.4, 99.2, 99.5, 99.3], 84.9, 1.0, 22.3, 10).verdict == NOT_REPRODUCED
    # a difference of ~5 standard errors well outside the margin fails even with the paper's SD at 2 points
    assert stats.equivalent([93.0, 93.2, 92.9, 93.1] * 3, 97.8, 1.0, 0.2, 10).verdict == NOT_REPRODUCED


def test_an_interval_exactly_on_the_margin_reproduces():
    decision = stats.equivalent([98.8, 98.8, 98.8], 97.8, 1.0, 0.0, 10)  # no spread: the interval is the point +1.0
    assert (decision.low, decision.high) == pytest.approx((1.0, 1.0)) and decision.verdict == REPRODUCED
    assert stats.equivalent([98.81, 98.81, 98.81], 97.8, 1.0, 0.0, 10).verdict == NOT_REPRODUCED


def test_an_undecided_equivalence_says_how_many_runs_would_decide_it():
    ours = [83.5, 85.0, 82.5, 84.0, 84.5, 83.0, 85.5, 82.0, 84.0, 83.5]  # 83.75 ± 1.1 against 83.5 ± 1.1 (n = 10)
    decision = stats.equivalent(ours, 83.5, 1.0, 1.1, 10)
    needed, floor = stats.runs_to_decide(ours, 83.5, 1.0, 1.1, 10)
    assert decision.verdict == INCONCLUSIVE and f"about {needed} runs would decide" in decision.note
    # the number is the first that decides: as many runs with this mean and SD reproduce, one fewer cannot tell
    sd = float(np.std(ours, ddof=1))

    def verdict_at(n):
        base = np.tile([-1.0, 1.0], n)[:n]
        base = (base - base.mean()) / base.std(ddof=1)
        return stats.equivalent(np.mean(ours) + sd * base, 83.5, 1.0, 1.1, 10).verdict

    assert 10 < needed < 40 and verdict_at(needed) == REPRODUCED and verdict_at(needed - 1) == INCONCLUSIVE
    # the paper's side bounds the interval: a paper mean of 4 folds with our spread (3 points) leaves
    # 1.645 x 3 / 2 = ±2.5, so no number of our runs brings a difference of 1 inside ±1 or wholly outside it
    folds = [81.0, 84.0, 78.0, 83.0]
    assert stats.runs_to_decide(folds, 80.5 - 1.0 + 0.0, 1.0, paper_n=4)[0] is None
    assert stats.runs_to_decide(folds, 80.5, 1.0, paper_n=4)[1] == pytest.approx(1.645 * np.std(folds, ddof=1) / 2,
                                                                                 rel=1e-3)
    assert "no number of our runs decides" in stats.equivalent(folds, 79.5, 1.0, paper_n=4).note
    assert "runs would decide" not in stats.equivalent([90.1, 90.3, 89.9, 90.0], 97.8, 1.0, 0.2, 10).note  # decided


def test_not_worse_looks_one_way():
    assert stats.not_worse([0.5, 0.6, 0.55], 0.86, 0.2, lower_is_better=True).verdict == REPRODUCED  # better is fine
    assert stats.not_worse([1.6, 1.7, 1.65], 0.86, 0.2, lower_is_better=True).verdict == NOT_REPRODUCED
    assert stats.not_worse([0.7, 1.2], 0.86, 0.2, lower_is_better=True).verdict == INCONCLUSIVE
    assert stats.not_worse([97.0, 97.1, 96.9], 99.0, 0.5, lower_is_better=False).verdict == NOT_REPRODUCED


def test_a_threshold_needs_its_whole_interval_on_one_side():
    assert stats.above(1900, 2000, 92).verdict == REPRODUCED  # 95.0%
    assert stats.above(1700, 2000, 92).verdict == NOT_REPRODUCED  # 85.0%
    assert stats.above(543, 579, 92).verdict == INCONCLUSIVE  # 93.8% of 579 digits: [91.9, 95.2]
    low, high = stats.wilson(543, 579)
    assert 91.5 < low < 92 < 95 < high < 95.5


def test_within_and_paired_comparisons():
    assert stats.within([98.85], 98).verdict == INCONCLUSIVE  # "stable" on one run
    assert stats.within([98.7, 98.9, 98.8, 99.1], 98).verdict == REPRODUCED
    assert stats.within([96.0, 96.2, 95.9], 98).verdict == NOT_REPRODUCED
    assert stats.paired_greater([2, 3, 2.5, 3.1], [1, 1.2, 0.9, 1.1]).verdict == REPRODUCED
    assert stats.paired_greater([1, 1.2, 0.9, 1.1], [2, 3, 2.5, 3.1]).verdict == NOT_REPRODUCED
    assert stats.paired_greater([1, 1, 1, 1], [1, 1, 1, 1]).verdict == NOT_REPRODUCED  # no gain at all
    assert stats.paired_greater([1, 2, 1, 2], [2, 1, 2, 1]).verdict == INCONCLUSIVE  # no gain, but noisy
    assert stats.paired_greater([1.5, 0.2, 2.0, 0.1], [1, 1, 1, 1]).verdict == INCONCLUSIVE


# ---------------------------------------------------------------------------------------------------------------
# Each paper's claims, fed clearly different numbers
# ---------------------------------------------------------------------------------------------------------------


def _record(name, metrics, config=None, extra=None, history=None):
    return {"name": name, "metrics": metrics, "config": config or {}, "extra": extra or {}, "history": history or {}}


def _claim(claims, text):
    return next(c for c in claims if c.text.startswith(text))


def _table_ii(model, test_values, train=1.0):
    return [_record(f"eval-{model}-run{i}", {"test_accuracy": t / 100, "train_accuracy": train},
                    extra={"model": model}) for i, t in enumerate(test_values)]


def test_every_table_ii_claim_fails_on_a_clearly_different_accuracy():
    for model, ((paper_test, _), _) in pair_claims.PAPER_TABLE_II.items():
        claim = _claim(pair_claims.CLAIMS, f"{model}: test accuracy")
        off = [paper_test - 15 + d for d in (-0.1, 0.0, 0.1)] * 4
        assert claim.measure(_table_ii(model, off)).verdict == NOT_REPRODUCED, model


def test_table_ii_digit_test_96_6_against_97_8_is_not_reproduced_without_doubt():
    claim = _claim(pair_claims.CLAIMS, "Digit: test accuracy")
    assert claim.measure(_table_ii("Digit", [96.6, 96.5, 96.7, 96.6, 96.4, 96.8] * 2)).verdict != REPRODUCED


def test_table_i_needs_the_papers_learning_rate_as_well():
    folds = [0.806, 0.805, 0.807, 0.806]
    records = lambda rate: [_record("tuning-Simple", {  # noqa: E731
        "best_learning_rate": rate, "best_val_accuracy": 0.806, "val_accuracy_by_rate": {f"{rate:g}": folds}})]
    claim = _claim(pair_claims.CLAIMS, "Simple: best learning rate")
    assert claim.measure(records(1e-3)).verdict == REPRODUCED  # the paper's rate and accuracy
    assert claim.measure(records(5e-3)).verdict == PARTLY  # the accuracy at another rate
    far = [_record("tuning-Simple", {"best_learning_rate": 1e-3, "best_val_accuracy": 0.70,
                                     "val_accuracy_by_rate": {"0.001": [0.70, 0.701, 0.699, 0.70]}})]
    assert claim.measure(far).verdict == NOT_REPRODUCED


def _improved(errors):
    return [_record(f"leakyrelu-seed{i}", {"test_error_percent": e}, {"step": lenet5.IMPROVED_STEP})
            for i, e in enumerate(errors)]


def test_the_improved_lenet5_is_judged_on_its_mean_not_its_best_seed():
    claim = lenet5_claims.CLAIMS[0]
    assert claim.measure(_improved([0.70, 1.60, 1.70, 1.65])).verdict != REPRODUCED  # best seed 0.70 < 0.86
    assert claim.measure(_improved([1.9, 2.0, 2.1])).verdict == NOT_REPRODUCED
    assert claim.measure(_improved([0.80, 0.82, 0.78])).verdict == REPRODUCED


def test_the_page_claim_needs_its_interval_above_92_percent():
    claim = lenet5_claims.CLAIMS[1]
    pages = lambda accuracy, digits: [_record("pages", {  # noqa: E731
        "digit_accuracy": accuracy, "digits": digits, "pages": digits // 20})]
    assert claim.measure(pages(0.85, 2000)).verdict == NOT_REPRODUCED
    assert claim.measure(pages(0.938, 579)).verdict == INCONCLUSIVE
    assert claim.measure(pages(0.96, 2000)).verdict == REPRODUCED


def test_the_two_layer_cnn_needs_several_seeds_for_stable():
    claim = resnet_claims.CLAIMS[0]
    assert claim.measure([_record("two_layer_cnn", {"test_accuracy": 0.9903})]).verdict == INCONCLUSIVE
    seeds = [_record(f"two_layer_cnn-seed{i}", {"test_accuracy": a}) for i, a in enumerate((0.95, 0.951, 0.949))]
    assert claim.measure(seeds).verdict == NOT_REPRODUCED


def test_the_kernels_gain_needs_its_paired_test():
    claim = kernel_claims.CLAIMS[0]
    gains = lambda values: [_record(f"sigmoid-seed{i}", {"gain_points": g}, {"activation": "sigmoid"})  # noqa: E731
                            for i, g in enumerate(values)]
    assert claim.measure(gains([2.0, 2.1, 1.9, 2.2])).verdict == REPRODUCED
    assert claim.measure(gains([6.0, -2.0, 5.0, -3.0])).verdict != REPRODUCED  # mean 1.5 in range, p far over 0.05
    assert claim.measure(gains([-0.5, 0.1, -0.2, 0.0])).verdict == NOT_REPRODUCED


def _cell(model, optimizer, activation, val_accuracy, rate=1e-3):
    return _record(f"{model}-{optimizer}-{rate:g}-{activation}",
                   {"test_accuracy": max(val_accuracy), "max_val_accuracy": max(val_accuracy)},
                   {"model": model, "optimizer": optimizer, "learning_rate": rate, "activation": activation},
                   history={"val_accuracy": val_accuracy})


def test_adam_faster_in_half_the_groups_is_not_reproduced():
    fast, slow = [0.95, 0.97], [0.5, 0.95]
    cells = [_cell("cnn", "adam", "relu", fast), _cell("cnn", "sgd", "relu", slow),  # Adam faster
             _cell("mlp", "adam", "relu", slow), _cell("mlp", "sgd", "relu", fast)]  # SGD faster
    assert _claim(choice_claims.CLAIMS, "Adam reaches").measure(cells).verdict != REPRODUCED
    everywhere = cells[:2] + [_cell("mlp", "adam", "relu", fast), _cell("mlp", "sgd", "relu", slow)]
    assert _claim(choice_claims.CLAIMS, "Adam reaches").measure(everywhere).verdict == REPRODUCED


def test_a_record_with_another_parameter_count_fails_the_count():
    claim = choice_claims.CLAIMS[0]
    assert claim.measure([]).verdict == REPRODUCED
    other = _record("cnn-adam", {"parameters": 421_000}, {"model": "cnn"})
    assert claim.measure([other]).verdict == NOT_REPRODUCED


# ---------------------------------------------------------------------------------------------------------------
# The report: our questions apart, agreement counted honestly
# ---------------------------------------------------------------------------------------------------------------


def _entry(claims, shared=(0, 0)):
    return {"claims": claims, "shared_runs": list(shared)}


def _row(claim, verdict, needs_runs=True, question=False):
    return {"claim": claim, "verdict": verdict, "needs_runs": needs_runs, "question": question}


def test_agreement_counts_only_claims_judged_in_both_profiles_on_runs_of_their_own():
    quick = {"resnet": _entry([_row("a", REPRODUCED), _row("b", NOT_REPRODUCED), _row("q", REPRODUCED,
                                                                                        question=True)]),
             "training_choices": _entry([_row("count", REPRODUCED, needs_runs=False), _row("c", REPRODUCED)]),
             "digit_pairs": _entry([_row("d", REPRODUCED)], shared=(93, 101))}
    paper = {"resnet": _entry([_row("a", REPRODUCED), _row("b", REPRODUCED), _row("q", REPRODUCED, question=True)]),
             "training_choices": _entry([_row("count", REPRODUCED, needs_runs=False),
                                         _row("c", report.NEEDS_GPU)]),
             "digit_pairs": _entry([_row("d", REPRODUCED)])}
    rows, agree, judged = report.agreement({"quick": {"studies": quick}, "paper": {"studies": paper}})
    assert (agree, judged) == (1, 2)  # a agrees, b does not; c judged in one profile only; q is a question
    assert {r["claim"]: r["kind"] for r in rows} == {"a": "own runs", "b": "own runs", "count": "no runs",
                                                     "d": "shared runs"}


def test_our_questions_are_shown_apart_and_left_out_of_the_papers_counts():
    data = {"profile": "paper", "reduced": False, "generated": "now", "studies": {"resnet": {
        "paper": "001", "notebook": "02_resnet_and_two_layer_cnn.ipynb", "wall_seconds": None, "complete": True,
        "device": "CPU", "versions": {}, "git_commit": None, "runs": 1, "last_run": None, "figures": [],
        "claims": [_row("The two-layer CNN's accuracy is stable between 98% and 99%", INCONCLUSIVE) |
                   {"ours": "99.03%", "n": 1, "margin": None},
                   _row("The training loss decreases as the iterations go on", REPRODUCED) |
                   {"ours": "falls", "n": 1, "margin": None},
                   _row("The ResNet-style network reaches 98–99% test accuracy", REPRODUCED, question=True) |
                   {"ours": "98.5%", "n": 1, "margin": None}]}}}
    text = report.render({"paper": data})
    assert "| 001 | 2 | 1 / 0 / 0 / 1 / 0 / 0 |" in text  # the paper's two claims: one inconclusive, one reproduced
    questions = text.split("## Our questions", 1)[1]
    assert "The ResNet-style network" in questions and "The ResNet-style network" not in text.split(
        "## Our questions", 1)[0].split("## S. Fan", 1)[1]


# ---------------------------------------------------------------------------------------------------------------
# Claims judged from runs made for other claims
# ---------------------------------------------------------------------------------------------------------------


def _kernels(activation, accuracies, gain=1.0):
    return [_record(f"{activation}-seed{k}", {"pretrained_test_accuracy": a / 100, "gain_points": gain},
                    {"activation": activation}) | {"seed": k} for k, a in enumerate(accuracies)]


def test_sigmoid_the_most_effective_fails_when_another_activation_is_better_on_every_seed():
    claim = _claim(kernel_claims.CLAIMS, "Of the activations")
    best = _kernels("sigmoid", [98.0, 98.2, 98.1]) + _kernels("relu", [97.0, 97.1, 96.9])
    assert claim.measure(best).verdict == REPRODUCED
    worse = _kernels("sigmoid", [94.0, 93.8, 94.1]) + _kernels("relu", [97.0, 97.1, 96.9])
    assert claim.measure(worse).verdict == NOT_REPRODUCED


def test_the_two_best_pair_models_must_rank_first_and_sit_near_97():
    claim = _claim(pair_claims.CLAIMS, "Auxiliary @ 40 and the digit CNN")
    best = _table_ii("Auxiliary @ 40", [97.4] * 3) + _table_ii("Digit", [97.2] * 3) + _table_ii("Simple", [80.0] * 3)
    assert claim.measure(best).verdict == REPRODUCED
    third = _table_ii("Auxiliary @ 40", [97.4] * 3) + _table_ii("Digit", [90.0] * 3) + _table_ii("Simple", [95.0] * 3)
    assert claim.measure(third).verdict == PARTLY  # the digit CNN third and far from 97%
    low = _table_ii("Auxiliary @ 40", [80.0] * 3) + _table_ii("Digit", [81.0] * 3) + _table_ii("Simple", [95.0] * 3)
    assert claim.measure(low).verdict == NOT_REPRODUCED


def test_the_pair_models_parameter_counts_are_checked_against_70000():
    measured = _claim(pair_claims.CLAIMS, "The five architectures").measure([])
    assert measured.verdict == PARTLY and "3 of 5" in measured.margin  # CNNws2 and CNNaux have 55,599


def _step(step, seed, every, train_accuracy=0.99, error=1.0):
    return _record(f"{step}-seed{seed}", {"test_error_percent": error}, {"step": step},
                   history={"test_accuracy_every": every, "accuracy": [train_accuracy]}) | {"seed": seed}


def test_relu_converging_quickly_and_dropout_mitigating_overfitting_can_fail():
    slow, fast = [[500, 0.90], [1000, 0.95], [1500, 0.98]], [[500, 0.98], [1000, 0.99], [1500, 0.99]]
    relu = _claim(lenet5_claims.CLAIMS, "With ReLU")
    runs = lambda classic, with_relu: [_step("classic", k, classic) for k in range(3)] + [  # noqa: E731
        _step("+ReLU", k, with_relu) for k in range(3)]
    assert relu.measure(runs(slow, fast)).verdict == REPRODUCED
    assert relu.measure(runs(fast, slow)).verdict == NOT_REPRODUCED
    dropout = _claim(lenet5_claims.CLAIMS, "Adding dropout")
    falling, steady = [[500, 0.98], [1000, 0.99], [1500, 0.985]], [[500, 0.98], [1000, 0.99], [1500, 0.99]]
    steps = lambda without, with_dropout: [  # noqa: E731
        _step("+32 kernels", k, without) for k in range(3)] + [_step("+dropout", k, with_dropout) for k in range(3)]
    assert dropout.measure(steps(falling, steady)).verdict == REPRODUCED  # falls 0.5 points without, 0 with
    assert dropout.measure(steps(steady, falling)).verdict == NOT_REPRODUCED
    assert dropout.measure(steps(falling, steady)[::3][:1] + steps(falling, steady)[3:4]).verdict == INCONCLUSIVE


def test_pairs_that_cannot_tell_are_left_out_not_read_as_ties():
    """Neither run reaching 97% within a short run, or neither test accuracy falling, says nothing about which
    converges faster or overfits less: such pairs are left out (they read as ties, "not reproduced", before)."""
    never = [[100, 0.80], [200, 0.90]]
    relu = _claim(lenet5_claims.CLAIMS, "With ReLU")
    measured = relu.measure([_step("classic", k, never) for k in range(3)] + [_step("+ReLU", k, never)
                                                                              for k in range(3)])
    assert measured.verdict == INCONCLUSIVE and "3 pairs left out: neither run reached 97%" in measured.value
    steady = [[500, 0.98], [1000, 0.99], [1500, 0.99]]
    dropout = _claim(lenet5_claims.CLAIMS, "Adding dropout")
    measured = dropout.measure([_step("+32 kernels", k, steady) for k in range(3)] + [
        _step("+dropout", k, steady) for k in range(3)])
    assert measured.verdict == INCONCLUSIVE and "3 pairs left out: no fall in either run" in measured.value
    # the training accuracy (measured with dropout active) plays no part: a lower one with dropout proves nothing
    lowered = [_step("+32 kernels", k, steady, train_accuracy=1.0) for k in range(3)] + [
        _step("+dropout", k, steady, train_accuracy=0.95) for k in range(3)]
    assert dropout.measure(lowered).verdict == INCONCLUSIVE


def test_relu_mostly_better_than_sigmoid_over_the_grid_can_fail():
    claim = _claim(choice_claims.CLAIMS, "ReLU mostly")
    grid = lambda relu, sigmoid: [  # noqa: E731
        _cell(model, opt, act, [v + 0.001 * i], rate=rate)
        for i, (model, opt, rate) in enumerate([(m, o, r) for m in ("cnn", "mlp") for o in ("sgd", "adam")
                                                for r in (1e-3, 1e-2)])
        for act, v in (("relu", relu), ("sigmoid", sigmoid))]
    assert claim.measure(grid(0.97, 0.60)).verdict == REPRODUCED
    assert claim.measure(grid(0.60, 0.97)).verdict == NOT_REPRODUCED


def test_paired_closeness_no_gain_and_combined_parts():
    assert stats.paired_equivalent([80.1, 79.9, 80.2], [80.0, 80.0, 80.1], 1.0).verdict == REPRODUCED
    assert stats.paired_equivalent([83.0, 83.1, 82.9], [80.0, 80.0, 80.1], 1.0).verdict == NOT_REPRODUCED
    assert stats.paired_equivalent([81.5, 78.0, 80.9], [80.0, 80.0, 80.1], 1.0).verdict == INCONCLUSIVE
    assert stats.paired_not_greater([95.0, 95.1, 94.9], [95.0, 95.0, 95.0], 1.0).verdict == REPRODUCED
    assert stats.paired_not_greater([97.0, 97.1, 96.9], [95.0, 95.0, 95.0], 1.0).verdict == NOT_REPRODUCED
    assert stats.paired_not_greater([93.0, 92.9, 93.1], [95.0, 95.0, 95.0], 1.0).verdict == REPRODUCED  # worse is fine
    yes, no, maybe = (stats.Decision(v) for v in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE))
    assert stats.combine([yes, yes]) == REPRODUCED and stats.combine([no, no]) == NOT_REPRODUCED
    assert stats.combine([yes, no]) == PARTLY and stats.combine([yes, no, maybe]) == PARTLY
    assert stats.combine([yes, maybe]) == INCONCLUSIVE and stats.combine([no, maybe]) == NOT_REPRODUCED


def _with_mean_and_sd(n: int, mean: float, sd: float) -> list[float]:
    base = np.array([-1.0, 1.0] * (n // 2) + [0.0] * (n % 2))
    return list(mean + sd * base / base.std(ddof=1))


@pytest.mark.parametrize("rule, boundary, differences", [
    # 004-6's 32 -> 64 kernels over three seeds: interval [+0.01, +0.11] against "at most +0.1"
    (lambda d: stats.paired_not_greater(d, [0.0] * len(d), 0.1), 0.1, [0.05, 0.09, 0.03]),
    (lambda d: stats.paired_greater(d, [0.0] * len(d)), 0.0, [0.3, -0.1, 0.5, 0.2]),
])
def test_an_undecided_paired_rule_says_how_many_pairs_would_decide(rule, boundary, differences):
    needed = stats.pairs_to_decide(differences, boundary)
    mean, sd = float(np.mean(differences)), float(np.std(differences, ddof=1))
    assert rule(differences).verdict == INCONCLUSIVE
    assert f"about {needed} pairs would decide" in rule(differences).note
    assert rule(_with_mean_and_sd(needed - 1, mean, sd)).verdict == INCONCLUSIVE  # the smallest number that decides
    assert rule(_with_mean_and_sd(needed, mean, sd)).verdict == REPRODUCED
    assert stats.pairs_to_decide([0.5, 0.5, 0.5], 0.5) is None  # on the boundary with no spread: nothing decides


def _runs(model, tests, trains=None):
    trains = trains or [100.0] * len(tests)
    return [_record(f"eval-{model}-run{i}", {"test_accuracy": t / 100, "train_accuracy": tr / 100},
                    extra={"model": model}) for i, (t, tr) in enumerate(zip(tests, trains))]


def test_the_parallel_weight_sharing_gain_of_3_3_points_can_fail():
    claim = _claim(pair_claims.CLAIMS, "The parallel weight sharing")
    simple = [80.0, 79.5, 80.5, 80.2, 79.8] * 4
    assert claim.measure(_runs("Simple", simple) + _runs("Shared Weights 2", [s + 3.3 for s in simple])).verdict \
        == REPRODUCED
    assert claim.measure(_runs("Simple", simple) + _runs("Shared Weights 2", simple)).verdict == NOT_REPRODUCED
    noisy = [s + 3.3 + d for s, d in zip(simple, [3.0, -3.0, 2.5, -2.5, 0.0] * 4)]  # the right mean, unsteady
    assert claim.measure(_runs("Simple", simple) + _runs("Shared Weights 2", noisy)).verdict == REPRODUCED
    # the gain is paired run by run: the same gain on every run, whatever the runs' own spread
    wide = [70.0, 90.0, 75.0, 85.0, 80.0] * 4
    assert claim.measure(_runs("Simple", wide) + _runs("Shared Weights 2", [s + 3.3 for s in wide])).verdict \
        == REPRODUCED


def test_simple_and_shared_weights_1_close_can_fail_on_either_accuracy():
    claim = _claim(pair_claims.CLAIMS, "The simple CNN and Shared Weights 1")
    tests, trains = [80.0, 79.0, 81.0, 80.5], [99.0, 98.8, 99.2, 99.1]
    same = _runs("Simple", tests, trains) + _runs("Shared Weights 1", [t + 0.1 for t in tests], trains)
    assert claim.measure(same).verdict == REPRODUCED
    apart = _runs("Simple", tests, trains) + _runs("Shared Weights 1", [t - 5 for t in tests], [t - 4 for t in trains])
    assert claim.measure(apart).verdict == NOT_REPRODUCED
    one = _runs("Simple", tests, trains) + _runs("Shared Weights 1", tests, [t - 4 for t in trains])
    assert claim.measure(one).verdict == PARTLY  # close in test accuracy, not in training accuracy


def test_both_models_overfit_needs_a_gap_that_counts_in_each():
    claim = _claim(pair_claims.CLAIMS, "The simple CNN and Shared Weights 1 overfit")
    tests = [80.0, 79.0, 81.0, 80.5]
    gap = lambda model, by: _runs(model, tests, [t + by for t in tests])  # noqa: E731
    assert claim.measure(gap("Simple", 18.0) + gap("Shared Weights 1", 16.0)).verdict == REPRODUCED
    assert claim.measure(gap("Simple", 0.5) + gap("Shared Weights 1", 0.3)).verdict == NOT_REPRODUCED
    assert claim.measure(gap("Simple", 18.0) + gap("Shared Weights 1", 0.3)).verdict == PARTLY
    assert claim.measure(gap("Simple", 18.0)) is None  # a model without runs: not judged
    unsteady = _runs("Simple", tests, [t + g for t, g in zip(tests, [0.0, 6.0, -1.0, 5.0])])
    assert claim.measure(unsteady + gap("Shared Weights 1", 16.0)).verdict == INCONCLUSIVE


def test_the_converging_models_must_each_end_near_zero_training_error():
    claim = _claim(pair_claims.CLAIMS, "The digit, simple and auxiliary models reach 0%")
    models = pair_claims.CONVERGING
    assert claim.measure([r for m in models for r in _runs(m, [90.0] * 4, [100.0, 99.9, 100.0, 99.9])]).verdict \
        == REPRODUCED
    one_stuck = [r for m in models for r in _runs(m, [90.0] * 4, [95.0, 94.0, 95.0, 94.5] if m == "Digit"
                                                   else [100.0] * 4)]
    assert claim.measure(one_stuck).verdict == PARTLY
    assert claim.measure([r for m in models for r in _runs(m, [90.0] * 4, [95.0, 94.0, 95.0, 94.5])]).verdict \
        == NOT_REPRODUCED


def test_shared_weights_not_converged_fails_when_they_train_to_zero_error():
    claim = _claim(pair_claims.CLAIMS, "Shared Weights 1 and 2 have not converged")
    stuck = _runs("Shared Weights 1", [80.0] * 4, [95.0, 94.0, 96.0, 95.5]) + _runs(
        "Shared Weights 2", [83.0] * 4, [93.0, 92.5, 93.5, 92.9])
    assert claim.measure(stuck).verdict == REPRODUCED
    converged = _runs("Shared Weights 1", [80.0] * 4, [99.9, 100.0, 99.8, 99.9]) + _runs(
        "Shared Weights 2", [83.0] * 4, [99.9, 99.8, 100.0, 99.9])
    assert claim.measure(converged).verdict == NOT_REPRODUCED
    far = _runs("Shared Weights 1", [80.0] * 4, [70.0, 71.0, 69.0, 70.0]) + _runs(
        "Shared Weights 2", [83.0] * 4, [70.0, 71.0, 69.0, 70.0])
    assert claim.measure(far).verdict == NOT_REPRODUCED  # 30% error is not "below 10%"


def test_auxiliary_comparable_to_digit_and_under_2_percent_can_fail():
    comparable = _claim(pair_claims.CLAIMS, "Auxiliary @ 10 and @ 40 perform comparably")
    under = _claim(pair_claims.CLAIMS, "Auxiliary @ 10 and @ 40 achieve")
    digit = [98.5, 98.3, 98.6, 98.4]
    good = _runs("Digit", digit) + _runs("Auxiliary @ 10", digit) + _runs("Auxiliary @ 40", [d + 0.1 for d in digit])
    assert comparable.measure(good).verdict == REPRODUCED and under.measure(good).verdict == REPRODUCED
    bad = _runs("Digit", digit) + _runs("Auxiliary @ 10", [d - 5 for d in digit]) + _runs(
        "Auxiliary @ 40", [d - 4 for d in digit])
    assert comparable.measure(bad).verdict == NOT_REPRODUCED and under.measure(bad).verdict == NOT_REPRODUCED


def _alpha(alpha, folds):
    return _record(f"alpha-{'digit-reference' if alpha is None else f'{alpha:g}'}",
                   {"alpha": alpha, "val_accuracies": [f / 100 for f in folds]})


def test_the_alpha_trend_needs_the_rise_the_digit_level_and_no_gain_past_40():
    claim = _claim(pair_claims.CLAIMS, "The accuracy rises with α")
    digit = [95.0, 96.0, 95.5, 95.2]
    trend = lambda at0, at40, at100: [_alpha(None, digit), _alpha(0.0, at0), _alpha(40.0, at40),  # noqa: E731
                                      _alpha(100.0, at100)]
    assert claim.measure(trend([82.0, 83.0, 82.5, 82.1], digit, digit)).verdict == REPRODUCED
    assert claim.measure(trend(digit, [82.0, 83.0, 82.5, 82.1], digit)).verdict == NOT_REPRODUCED  # falls, then rises
    still_rising = trend([82.0, 83.0, 82.5, 82.1], digit, [d + 3 for d in digit])
    assert claim.measure(still_rising).verdict == PARTLY  # rises and reaches the digit CNN, but gains past 40


def test_the_training_loss_falling_can_fail():
    claim = _claim(resnet_claims.CLAIMS, "The training loss decreases")
    runs = lambda losses: [_record(f"two_layer_cnn-seed{k}", {}, history={"loss": [v * (1 + 0.01 * k) for v in losses]})  # noqa: E731
                           for k in range(3)]
    assert claim.measure(runs([0.3, 0.1, 0.05, 0.02, 0.01])).verdict == REPRODUCED
    assert claim.measure(runs([0.01, 0.02, 0.05, 0.1, 0.3])).verdict == NOT_REPRODUCED
    assert claim.measure(runs([0.3, 0.1, 0.05, 0.02, 0.01])[:1]).verdict == INCONCLUSIVE  # one run


def test_adam_better_than_sgd_compares_each_at_its_best_rate_and_can_fail():
    claim = _claim(choice_claims.CLAIMS, "Adam is better")
    groups = [(m, a) for m in ("cnn", "mlp") for a in ("relu", "sigmoid")]
    grid = lambda adam, sgd: [  # noqa: E731
        cell for i, (m, a) in enumerate(groups) for cell in (
            _cell(m, "adam", a, [adam + 0.002 * i], rate=1e-3), _cell(m, "adam", a, [0.10], rate=0.1),  # diverged
            _cell(m, "sgd", a, [sgd + 0.001 * i], rate=0.1), _cell(m, "sgd", a, [0.50], rate=1e-3))]
    assert claim.measure(grid(0.98, 0.95)).verdict == REPRODUCED  # Adam's diverged rate does not count
    assert claim.measure(grid(0.95, 0.98)).verdict == NOT_REPRODUCED


def _curve(rate, loss, val_accuracy, optimizer="sgd"):
    record = _cell("mlp", optimizer, "sigmoid", val_accuracy, rate=rate)
    record["history"]["loss"] = loss
    return record


def test_local_minimum_needs_a_stopped_run_behind_the_best_rate():
    claim = _claim(choice_claims.CLAIMS, "A too-low learning rate")
    best = _curve(0.1, [2.0, 1.0, 0.5, 0.3, 0.2, 0.15], [0.5, 0.8, 0.9, 0.94, 0.96, 0.97])
    stuck = _curve(0.001, [2.3, 1.5, 1.2, 1.19, 1.19, 1.18], [0.3, 0.6, 0.71, 0.71, 0.705, 0.70])
    assert claim.measure([best, stuck]).verdict == REPRODUCED
    learning = _curve(0.001, [2.30, 2.29, 2.28, 2.27, 2.26, 2.25], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])  # 1% loss fall
    assert claim.measure([best, learning]).verdict == INCONCLUSIVE
    falling = _curve(0.001, [2.3, 1.5, 1.2, 0.9, 0.7, 0.5], [0.3, 0.6, 0.71, 0.71, 0.705, 0.70])  # accuracy flat
    assert claim.measure([best, falling]).verdict == INCONCLUSIVE
    close = _curve(0.001, stuck["history"]["loss"], [0.5, 0.8, 0.9, 0.94, 0.95, 0.95])  # stopped, within 5 points
    assert claim.measure([best, close]).verdict == NOT_REPRODUCED
    assert claim.measure([best]) is None  # one rate: no smallest rate to compare


def test_more_kernels_help_up_to_32_and_64_are_not_better_each_part_can_fail():
    claim = _claim(lenet5_claims.CLAIMS, "More convolutional kernels")

    def runs(relu, k32, k64):
        made = []
        for step, errors in (("+ReLU", relu), ("+32 kernels", k32), ("64 kernels", k64)):
            for k, error in enumerate(errors):
                made.append(_step(step, k, [[500, 0.99]], error=error))
                made[-1]["timings"] = {"wall_seconds": 100.0 * (4 if step == "64 kernels" else 1)}
        return made

    assert claim.measure(runs([1.1, 1.0, 1.2], [0.82, 0.86, 0.82], [])) is None  # no 64-kernel runs: not run
    assert claim.measure(runs([1.1, 1.0, 1.2], [0.82, 0.86, 0.82], [0.80, 0.85, 0.83])).verdict == REPRODUCED
    measured = claim.measure(runs([1.1, 1.0, 1.2], [0.82, 0.86, 0.82], [0.60, 0.66, 0.61]))  # 64 clearly better
    assert measured.verdict == PARTLY and "4.0x as long" in measured.value
    assert claim.measure(runs([0.80, 0.84, 0.81], [0.82, 0.86, 0.82], [0.60, 0.66, 0.61])).verdict == NOT_REPRODUCED
    assert claim.measure(runs([1.1, 1.0, 1.2], [0.82, 0.86, 0.82], [0.70, 0.90, 0.75])).verdict == INCONCLUSIVE
