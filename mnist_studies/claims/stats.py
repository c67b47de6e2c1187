"""Verdict rules that weigh both sides' variance: equivalence, non-inferiority, a threshold, a paired comparison.

Every rule returns a ``Decision``: the verdict and the interval it was read from, so that REPORT.md shows how close
a call was. Each one-sided test is at 5% (``ALPHA``), so the intervals are two-sided 90% intervals, the two one-sided
tests (TOST) reading of equivalence. A rule that cannot decide says ``INCONCLUSIVE``, never a verdict it did not earn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mnist_studies.claims import INCONCLUSIVE, NOT_REPRODUCED, PARTLY, REPRODUCED

ALPHA = 0.05  # each one-sided test; the intervals below are two-sided 1 - 2 * ALPHA = 90% intervals


@dataclass(frozen=True)
class Decision:
    verdict: str
    low: float | None = None  # the interval the verdict was read from (None: too few runs for one)
    high: float | None = None
    note: str = ""
    signed: bool = True  # an interval of a difference (shown with its sign), or of a level

    def interval(self, unit: str = " points", digits: int = 2) -> str:
        """The interval as REPORT.md shows it, with the rule's note."""
        if self.low is None:
            return self.note
        sign = "+" if self.signed else ""
        text = f"90% interval [{self.low:{sign}.{digits}f}, {self.high:{sign}.{digits}f}]{unit}"
        return f"{text}; {self.note}" if self.note else text


def _t(df: float) -> float:
    from scipy import stats

    return float(stats.t.ppf(1 - ALPHA, df))


def difference_interval(ours: Sequence[float], paper_mean: float, paper_sd: float | None = None,
                        paper_n: int = 1) -> tuple[float, float] | None:
    """The 90% interval of (our mean - the paper's mean), Welch's: each side's variance and size. ``paper_sd`` None
    (a paper that gives one number): the paper's runs are taken to spread as ours do. None with fewer than 2 runs."""
    ours = np.asarray(ours, dtype=float)
    n = len(ours)
    if n < 2:
        return None
    ours_var = float(ours.var(ddof=1)) / n
    unknown = paper_sd is None
    paper_var = (float(ours.var(ddof=1)) if unknown else paper_sd ** 2) / paper_n
    diff = float(ours.mean()) - paper_mean
    se = math.sqrt(ours_var + paper_var)
    if se == 0:
        return diff, diff
    if unknown or paper_n < 2 or paper_var == 0:
        df = n - 1  # the paper's spread is ours, or exact: only our runs estimate a variance
    else:  # Welch-Satterthwaite
        df = (ours_var + paper_var) ** 2 / (ours_var ** 2 / (n - 1) + paper_var ** 2 / (paper_n - 1))
    half = _t(df) * se
    return diff - half, diff + half


def _equivalence_verdict(low: float, high: float, margin: float) -> str:
    if -margin <= low and high <= margin:
        return REPRODUCED
    if low > margin or high < -margin:
        return NOT_REPRODUCED
    return INCONCLUSIVE


def equivalent(ours: Sequence[float], paper_mean: float, margin: float, paper_sd: float | None = None,
               paper_n: int = 1) -> Decision:
    """Reproduced when the difference's 90% interval lies inside ±``margin`` (two one-sided tests), not reproduced
    when it lies wholly outside, inconclusive otherwise (and with fewer than 2 runs). An inconclusive verdict says
    in its note whether more of our runs could decide it (``runs_to_decide``)."""
    interval = difference_interval(ours, paper_mean, paper_sd, paper_n)
    if interval is None:
        return Decision(INCONCLUSIVE, note=f"{len(ours)} run: an interval needs at least 2")
    low, high = interval
    verdict = _equivalence_verdict(low, high, margin)
    note = f"margin ±{margin:g}"
    if verdict == INCONCLUSIVE:
        needed, floor = runs_to_decide(ours, paper_mean, margin, paper_sd, paper_n)
        note += (f"; about {needed} runs would decide, at this mean and SD" if needed is not None else
                 f"; no number of our runs decides: the paper's side alone leaves ±{floor:.2f}")
    return Decision(verdict, low, high, note)


MAX_RUNS = 1000  # ``runs_to_decide`` looks no further


def runs_to_decide(ours: Sequence[float], paper_mean: float, margin: float, paper_sd: float | None = None,
                   paper_n: int = 1) -> tuple[int | None, float]:
    """How many of our runs ``equivalent`` would need to decide, if more runs kept our mean and SD: (the smallest
    such number up to ``MAX_RUNS``, or None), and the interval's half-width with unlimited runs of ours (what the
    paper's own spread and size leave: an interval that wide around our difference may never fit the margin)."""
    ours = np.asarray(ours, dtype=float)
    mean, sd = float(ours.mean()), float(ours.std(ddof=1))

    def decides(n: int) -> tuple[bool, float]:
        base = np.array([-1.0, 1.0] * (n // 2) + [0.0] * (n % 2))  # n runs with mean 0 and SD 1
        interval = difference_interval(mean + sd * base / base.std(ddof=1), paper_mean, paper_sd, paper_n)
        return _equivalence_verdict(*interval, margin) != INCONCLUSIVE, (interval[1] - interval[0]) / 2

    if sd == 0 or not decides(MAX_RUNS)[0]:
        return None, decides(10 * MAX_RUNS)[1]
    lo, hi = len(ours), MAX_RUNS  # decides(lo) is False (the runs we have), decides(hi) True; more runs, a
    while hi - lo > 1:  # narrower interval: the first n that decides is found by halving
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decides(mid)[0] else (mid, hi)
    return hi, decides(10 * MAX_RUNS)[1]


def not_worse(ours: Sequence[float], paper_mean: float, margin: float, *, lower_is_better: bool,
              paper_sd: float | None = None, paper_n: int = 1) -> Decision:
    """Non-inferiority: reproduced when ours is at most ``margin`` worse than the paper's (the whole interval on the
    good side of it), not reproduced when the whole interval is more than ``margin`` worse, else inconclusive."""
    interval = difference_interval(ours, paper_mean, paper_sd, paper_n)
    if interval is None:
        return Decision(INCONCLUSIVE, note=f"{len(ours)} run: an interval needs at least 2")
    low, high = interval
    worse_low, worse_high = (low, high) if lower_is_better else (-high, -low)  # "how much worse", either way
    if worse_high <= margin:
        verdict = REPRODUCED
    elif worse_low > margin:
        verdict = NOT_REPRODUCED
    else:
        verdict = INCONCLUSIVE
    return Decision(verdict, low, high, f"at most {margin:g} worse")


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson's 90% interval of a proportion, in percent."""
    if n == 0:
        return 0.0, 100.0
    z = _normal()
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def _normal() -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - ALPHA))


def above(successes: int, n: int, threshold: float) -> Decision:
    """A rate "above ``threshold``" percent: reproduced when the 90% interval lies above it, not reproduced when it
    lies below, inconclusive when it straddles it."""
    low, high = wilson(successes, n)
    verdict = REPRODUCED if low > threshold else NOT_REPRODUCED if high < threshold else INCONCLUSIVE
    return Decision(verdict, low, high, f"against {threshold:g}%", signed=False)


def within(values: Sequence[float], low_bound: float, high_bound: float | None = None) -> Decision:
    """A mean "between ``low_bound`` and ``high_bound``" (None: at least ``low_bound``; better than the range also
    reproduces): reproduced when the mean's 90% interval lies above ``low_bound``, not reproduced when below it."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return Decision(INCONCLUSIVE, note=f"{len(values)} run: an interval needs several seeds")
    mean, se = float(values.mean()), float(values.std(ddof=1)) / math.sqrt(len(values))
    half = _t(len(values) - 1) * se
    low, high = mean - half, mean + half
    verdict = REPRODUCED if low >= low_bound else NOT_REPRODUCED if high < low_bound else INCONCLUSIVE
    return Decision(verdict, low, high, f"against {low_bound:g}%", signed=False)


def paired_greater(a: Sequence[float], b: Sequence[float], *, over: str = "seeds") -> Decision:
    """"A is greater than B" over paired runs (same seeds): reproduced when the mean paired difference's 90% interval
    lies above 0 (one-sided test at 5%), not reproduced when it lies at or below 0, else inconclusive."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(d) < 2:
        return Decision(INCONCLUSIVE, note=f"{len(d)} pair: a paired test needs at least 2")
    mean, se = float(d.mean()), float(d.std(ddof=1)) / math.sqrt(len(d))
    half = _t(len(d) - 1) * se
    low, high = mean - half, mean + half
    verdict = REPRODUCED if low > 0 else NOT_REPRODUCED if high <= 0 else INCONCLUSIVE
    return Decision(verdict, low, high, f"paired, over {over}" + (_pairs_note(d, 0.0) if verdict == INCONCLUSIVE
                                                                  else ""))


def paired_equivalent(a: Sequence[float], b: Sequence[float], margin: float, *, over: str = "seeds") -> Decision:
    """"A and B are close" over paired runs: reproduced when the mean paired difference's 90% interval lies inside
    ±``margin``, not reproduced when it lies wholly outside, else inconclusive."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    decision = equivalent(d, 0.0, margin, paper_sd=0.0)
    return Decision(decision.verdict, decision.low, decision.high,
                    f"paired, over {over}; {decision.note}" if decision.low is not None else decision.note)


def paired_not_greater(a: Sequence[float], b: Sequence[float], margin: float, *, over: str = "seeds") -> Decision:
    """"A is no better than B" over paired runs: reproduced when the mean paired difference's 90% interval lies at
    or under +``margin``, not reproduced when it lies wholly over it, else inconclusive."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(d) < 2:
        return Decision(INCONCLUSIVE, note=f"{len(d)} pair: a paired test needs at least 2")
    low, high = difference_interval(d, 0.0, 0.0)
    verdict = REPRODUCED if high <= margin else NOT_REPRODUCED if low > margin else INCONCLUSIVE
    return Decision(verdict, low, high, f"paired, over {over}; at most +{margin:g}"
                    + (_pairs_note(d, margin) if verdict == INCONCLUSIVE else ""))


def pairs_to_decide(d: Sequence[float], boundary: float) -> int | None:
    """How many pairs a paired one-sided test against ``boundary`` would need to decide, if more pairs kept the
    paired differences' mean and SD ``d`` has: the smallest number up to ``MAX_RUNS`` whose 90% interval leaves
    ``boundary`` on one side, or None (no spread, or a mean on the boundary)."""
    d = np.asarray(d, dtype=float)
    sd, gap = float(d.std(ddof=1)), abs(float(d.mean()) - boundary)
    if sd == 0 or gap == 0:
        return None
    return next((n for n in range(len(d) + 1, MAX_RUNS + 1) if _t(n - 1) * sd / math.sqrt(n) < gap), None)


def _pairs_note(d: np.ndarray, boundary: float) -> str:
    needed = pairs_to_decide(d, boundary)
    return (f"; about {needed} pairs would decide, at this mean and SD" if needed is not None else
            "; no number of pairs decides at this mean")


def combine(decisions: Sequence[Decision]) -> str:
    """One verdict for a claim made of parts: reproduced when every part is; partly when some parts are and some
    are not; not reproduced when a part is not and none is; inconclusive when a part cannot be decided and none
    failed."""
    verdicts = {d.verdict for d in decisions}
    if verdicts == {REPRODUCED}:
        return REPRODUCED
    if verdicts == {NOT_REPRODUCED}:
        return NOT_REPRODUCED
    if REPRODUCED in verdicts and NOT_REPRODUCED in verdicts:
        return PARTLY
    return NOT_REPRODUCED if NOT_REPRODUCED in verdicts else INCONCLUSIVE


def mean_between(values: Sequence[float], low: float = -math.inf, high: float = math.inf) -> Decision:
    """A mean "from ``low`` up to under ``high``": reproduced when its 90% interval lies inside, not reproduced when it
    lies wholly outside (under ``low`` or from ``high`` on), else inconclusive (and with fewer than 2 runs)."""
    interval = difference_interval(values, 0.0, 0.0)
    if interval is None:
        return Decision(INCONCLUSIVE, note=f"{len(values)} run: an interval needs at least 2")
    lo, hi = interval
    verdict = (REPRODUCED if low <= lo and hi < high else NOT_REPRODUCED if hi < low or lo >= high else INCONCLUSIVE)
    return Decision(verdict, lo, hi, signed=False)
