"""Claims as data: what a paper claims (``Claim``), our measurement of it (``Measurement``) and the verdicts.

Each study's claims are in this package (``mnist_studies/claims/<study>.py``: ``CLAIMS``, read from the study's run
records); ``mnist_studies.report`` measures and renders them. The package is outside every run's code fingerprint
(``fingerprints.NEUTRAL``): editing a claim, its rule's wording or its measurement never retrains anything. This
``__init__`` imports nothing of the project, so the study modules may use its vocabulary (verdicts, ``mean_std``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

REPRODUCED = "reproduced"
PARTLY = "partly"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"  # too few runs to decide (one seed where a test needs several)
NEEDS_GPU = "needs a GPU"  # the profile's runs were estimated, not run, on a CPU (records.write_needs_gpu)
NOT_RUN = "not run in this profile"
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, INCONCLUSIVE, NEEDS_GPU, NOT_RUN)


@dataclass(frozen=True)
class Measurement:
    """Our number for one claim: ``value`` as shown (e.g. "97.4 ± 0.2 %"), over ``n`` runs, and the verdict;
    ``margin`` says how far the number is from the rule's boundary (e.g. "+0.3 points"; negative: on the other side),
    so that a reader sees how close a call was."""

    value: str
    n: int
    verdict: str
    margin: str | None = None

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {self.verdict!r}; valid verdicts: {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, as data.

    Attributes:
        text: what the paper claims, in a line.
        section: where (e.g. "§4", "Table II").
        paper: the paper's number with its spread, or its qualitative statement.
        rule: when our measurement counts as reproducing it.
        measure: the study's records of one profile -> ``Measurement``, or None when none of the records
            measure this claim (the report then says "not run in this profile").
        needs_runs: False for a claim that needs no training (a parameter count): it is measured in every
            profile, with or without records.
        question: True for a question of ours that the paper does not claim (REPORT.md shows it apart, out of
            the paper's counts).
    """

    text: str
    section: str
    paper: str
    rule: str
    measure: Callable[[list[dict]], Measurement | None]
    needs_runs: bool = True
    question: bool = False


def needs_gpu(study_records: list[dict], name: str) -> Measurement | None:
    """The "needs a GPU" measurement of run ``name`` when the profile only estimated it on a CPU
    (``records.write_needs_gpu``), else None."""
    found = [r for r in study_records if r["name"] == f"{name}{NEEDS_GPU_SUFFIX}"]
    if not found:
        return None
    hours = found[0]["metrics"]["estimated_seconds"] / 3600
    return Measurement(f"needs a GPU (estimated {hours:.0f} h on {found[0]['device']})", 0, NEEDS_GPU)


NEEDS_GPU_SUFFIX = ".needs-gpu"  # the record of a run estimated, not run: ``<name>.needs-gpu``


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def format_mean_std(values: Sequence[float], unit: str = "%", digits: int = 1) -> str:
    mean, std = mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}{unit}"


def within(ours: float, paper: float, tolerance: float) -> str:
    """``REPRODUCED`` when ``|ours - paper| <= tolerance``, else ``NOT_REPRODUCED`` (the boundary reproduces)."""
    return REPRODUCED if abs(ours - paper) <= tolerance + 1e-9 else NOT_REPRODUCED
