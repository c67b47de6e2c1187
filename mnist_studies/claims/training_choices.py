"""The claims of study ``training_choices`` (``mnist_studies/studies/training_choices.py``) as data: each paper claim,
its rule, and how our measurement is read from the run records (``CLAIMS``, used by ``mnist_studies.report``).

Kept out of the study module so that editing a claim, its rule's wording or its measurement never makes the study's
run records stale (this package is outside every run's code fingerprint, ``fingerprints.NEUTRAL``).
"""

from __future__ import annotations

from mnist_studies import claims
from mnist_studies.claims import Claim, stats
from mnist_studies.models.training_choices import BUILDERS
from mnist_studies.studies.training_choices import BARELY_LEARNS, HIGH_ACCURACY, LEARNS, UNSTABLE_DROP, check_claims

PAPER_CNN_PARAMETERS = 421_642  # the paper's model summary ("Total params: 421,642")
_CHECK_VERDICTS = {"supported": claims.REPRODUCED, "partly supported": claims.PARTLY,
                   "not supported": claims.NOT_REPRODUCED}


def _measure_parameters(study_records: list[dict]):
    """Needs no training: the builder's parameter count (and every CNN record's, if any disagrees)."""
    counts = {BUILDERS["cnn"]().count_params()}
    counts |= {r["metrics"]["parameters"] for r in study_records
               if r["config"].get("model") == "cnn" and "parameters" in r["metrics"]}
    ours = counts.pop()
    return claims.Measurement(f"{ours:,}", 1, claims.REPRODUCED if ours == PAPER_CNN_PARAMETERS and not counts
                              else claims.NOT_REPRODUCED)


def _measure_check(prefix: str):
    """A claim of ``check_claims``: its evidence as our value, its verdict mapped to the report's."""
    def measure(study_records: list[dict]):
        trained = [r for r in study_records if not r["name"].endswith(claims.NEEDS_GPU_SUFFIX)]
        if not trained:
            return claims.needs_gpu(study_records, "grid")
        found = [c for c in check_claims(trained) if c["claim"].startswith(prefix)]
        if not found:
            return None
        verdict = _CHECK_VERDICTS.get(found[0]["verdict"], claims.INCONCLUSIVE)
        return claims.Measurement(found[0]["evidence"], len(trained), verdict)

    return measure


def _measure_relu_better(study_records: list[dict]):
    """ReLU against sigmoid in every cell of the grid (same model, optimizer and rate): best validation accuracy."""
    cells = {}
    for r in study_records:
        if r["name"].endswith(claims.NEEDS_GPU_SUFFIX) or r["config"].get("activation") not in ("relu", "sigmoid"):
            continue
        c = r["config"]
        cells.setdefault((c["model"], c["optimizer"], c["learning_rate"]), {})[c["activation"]] = r
    paired = [v for v in cells.values() if len(v) == 2]
    if not paired:
        return claims.needs_gpu(study_records, "grid")
    relu = [100 * v["relu"]["metrics"]["max_val_accuracy"] for v in paired]
    sigmoid = [100 * v["sigmoid"]["metrics"]["max_val_accuracy"] for v in paired]
    wins = sum(a > b for a, b in zip(relu, sigmoid))
    decision = stats.paired_greater(relu, sigmoid, over="cells")
    verdict = decision.verdict if wins > len(paired) / 2 or decision.verdict != claims.REPRODUCED else claims.PARTLY
    return claims.Measurement(f"ReLU better in {wins} of {len(paired)} cells", len(paired), verdict,
                              decision.interval())


def _measure_adam_better(study_records: list[dict]):
    """Adam against SGD in each model/activation group, each optimizer at its best rate of the grid (the two do not
    share a best rate): best validation accuracy, paired over the groups."""
    best = {}
    for r in study_records:
        c = r["config"]
        if r["name"].endswith(claims.NEEDS_GPU_SUFFIX) or c.get("optimizer") not in ("sgd", "adam"):
            continue
        key = (c["model"], c["activation"], c["optimizer"])
        best[key] = max(best.get(key, 0.0), 100 * r["metrics"]["max_val_accuracy"])
    groups = sorted({(model, activation) for model, activation, _ in best
                     if (model, activation, "sgd") in best and (model, activation, "adam") in best})
    if not groups:
        return claims.needs_gpu(study_records, "grid")
    adam = [best[(*g, "adam")] for g in groups]
    sgd = [best[(*g, "sgd")] for g in groups]
    decision = stats.paired_greater(adam, sgd, over="groups")
    shown = ", ".join(f"{m} {a}: {x:.1f} vs {y:.1f}%" for (m, a), x, y in zip(groups, adam, sgd))
    return claims.Measurement(f"best validation accuracy, Adam vs SGD: {shown}", len(groups), decision.verdict,
                              decision.interval())


PLATEAU = 0.05  # over the last third of the epochs: the training loss fell by under 5% of its value ...
STILL_RISING = 0.01  # ... and the best validation accuracy rose by under 1 point: the run has stopped learning


def _stopped(history: dict) -> bool:
    """The run has stopped learning: over its last third of the epochs (at least 3) the training loss fell by under
    ``PLATEAU`` of its value and the best validation accuracy rose by under ``STILL_RISING`` over the epochs before.
    A slow steady fall (sigmoid with a small rate: the loss falls 1% while the accuracy climbs) is not a stop."""
    loss, accuracy = history["loss"], history["val_accuracy"]
    tail = max(3, len(loss) // 3)
    if len(loss) < tail + 1:
        return False
    return loss[-1] >= (1 - PLATEAU) * loss[-tail] and max(accuracy[-tail:]) - max(accuracy[:-tail]) < STILL_RISING


def _measure_local_minimum(study_records: list[dict]):
    """The grid's smallest rate in each model/optimizer/activation group: stuck when its training loss has stopped
    falling while its best validation accuracy stays at least ``UNSTABLE_DROP`` below the group's best rate's."""
    groups = {}
    for r in study_records:
        c = r["config"]
        if r["name"].endswith(claims.NEEDS_GPU_SUFFIX) or not {"loss", "val_accuracy"} <= set(r.get("history", {})):
            continue
        groups.setdefault((c["model"], c["optimizer"], c["activation"]), {})[c["learning_rate"]] = r
    groups = {k: v for k, v in groups.items() if len(v) > 1}
    if not groups:
        return claims.needs_gpu(study_records, "grid")
    stuck, moving = [], []
    for (model, optimizer, activation), runs in sorted(groups.items()):
        smallest = runs[min(runs)]
        best = max(100 * r["metrics"]["max_val_accuracy"] for r in runs.values())
        low = 100 * smallest["metrics"]["max_val_accuracy"]
        name = f"{model}/{optimizer}/{activation}"
        if best - low >= 100 * UNSTABLE_DROP and _stopped(smallest["history"]):
            stuck.append(f"{name} (loss {smallest['history']['loss'][-1]:.3g}, {low:.1f}% vs {best:.1f}%)")
        elif best - low >= 100 * UNSTABLE_DROP:
            moving.append(f"{name} (still learning)")
    rate = min(min(runs) for runs in groups.values())
    value = (f"at the grid's smallest rate ({rate:g}), stuck in {len(stuck)} of {len(groups)} groups"
             + (f": {'; '.join(stuck)}" if stuck else "") + (f"; behind but {', '.join(moving)}" if moving else ""))
    verdict = claims.REPRODUCED if stuck else claims.INCONCLUSIVE if moving else claims.NOT_REPRODUCED
    return claims.Measurement(value, len(groups), verdict)


CLAIMS = [
    Claim("The CNN has 421,642 parameters", "model summary", f"{PAPER_CNN_PARAMETERS:,}", "exactly equal",
          _measure_parameters, needs_runs=False),
    Claim("The CNN acquires better accuracy than the MLP", "§8", "qualitative",
          "best test accuracy CNN > MLP, and in at least half of the optimizer/activation groups",
          _measure_check("CNN acquires")),
    Claim("Adam reaches high accuracy faster than SGD", "§8", "qualitative",
          f"fewer epochs to {100 * HIGH_ACCURACY:.0f}% validation accuracy in every model/activation group",
          _measure_check("Adam reaches")),
    Claim("Adam is better than SGD", "§8", "qualitative",
          "each model/activation group's best validation accuracy over the grid's rates, Adam against SGD, paired over "
          "the groups: the 90% interval of the difference above 0: reproduced; at or below 0: not reproduced; else "
          "inconclusive", _measure_adam_better),
    Claim("With sigmoid and a small SGD learning rate the network barely learns; ReLU works", "§5–7", "qualitative",
          f"best validation accuracy ≤ {100 * BARELY_LEARNS:.0f}% (sigmoid) and ≥ {100 * LEARNS:.0f}% (ReLU) for "
          "both models at the grid's smallest SGD rate", _measure_check("with sigmoid")),
    Claim("With Adam, a too-large learning rate makes the loss fluctuate or diverge", "§6", "qualitative",
          f"at the grid's largest rate, more than half of the Adam groups ≥ {100 * UNSTABLE_DROP:.0f} points below "
          "their best rate, or NaN", _measure_check("with Adam")),
    Claim("ReLU mostly does a better job than sigmoid", "§8", "qualitative",
          "best validation accuracy with ReLU above sigmoid's over the grid's cells (same model, optimizer, rate), "
          "paired: the 90% interval above 0 and ReLU better in most cells: reproduced; the interval at or below 0: "
          "not reproduced", _measure_relu_better),
    Claim("A too-low learning rate finds only a local minimum", "§5, §8", "qualitative",
          "a loss curve cannot tell a local minimum from a saddle; read as a plateau above the best: at the grid's "
          f"smallest rate the run has stopped learning (over the last third of the epochs the training loss fell by "
          f"under {100 * PLATEAU:.0f}% and the best validation accuracy rose by under {100 * STILL_RISING:.0f} point) "
          f"while its best validation accuracy stays ≥ {100 * UNSTABLE_DROP:.0f} "
          "points below the group's best rate, in at least one model/optimizer/activation group (the paper says "
          "\"can\"): reproduced; every group's smallest rate within that of its best: not reproduced; behind but "
          "still learning (more epochs would tell): inconclusive", _measure_local_minimum),
]
