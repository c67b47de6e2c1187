"""Where things live: every path the project reads or writes is defined here once.

Environment variables let a test or a user redirect the writable folders without touching code:

- ``MNIST_STUDIES_DATA``: folder with the four gzipped MNIST IDX files and ``SHA256SUMS``.
- ``MNIST_STUDIES_RESULTS``: root of the run records and study stamps (``results/<profile>/<study>/``; committed
  for the quick and paper profiles, so a fresh clone reports and resumes from them).
- ``MNIST_STUDIES_RUNS``: root of what a run leaves besides its record: backups, checkpoints, TensorBoard logs,
  saved models (git-ignored).
- ``MNIST_STUDIES_FIGURES``: root of the figures (``figures/<profile>/``).
- ``MNIST_STUDIES_REPORTS``: folder of the claims report's data (``reports/<profile>.json``); ``REPORT.md`` is
  written next to it (the project root by default).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
VENDORED_MNIST_DIR = PROJECT_ROOT / "data" / "mnist"
OUTPUTS_DIR = PROJECT_ROOT / "outputs"  # executed notebooks (git-ignored)


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def mnist_dir() -> Path:
    """The MNIST folder: ``$MNIST_STUDIES_DATA`` if set, else the vendored ``data/mnist``."""
    return _from_env("MNIST_STUDIES_DATA", VENDORED_MNIST_DIR)


def results_dir(study: str | None = None, profile: str | None = None) -> Path:
    """Root of run records and study stamps (``results/<profile>/<study>/``); not created here."""
    root = _from_env("MNIST_STUDIES_RESULTS", PROJECT_ROOT / "results")
    parts = [p for p in (profile, study) if p]
    return root.joinpath(*parts)


def runs_dir(study: str | None = None, profile: str | None = None) -> Path:
    """Root of the runs' working files (``runs/<profile>/<study>/``: backups, checkpoints, logs); not created."""
    root = _from_env("MNIST_STUDIES_RUNS", PROJECT_ROOT / "runs")
    parts = [p for p in (profile, study) if p]
    return root.joinpath(*parts)


def figures_dir(profile: str | None = None) -> Path:
    """Folder of the figures of one profile (``figures/<profile>/``); not created here."""
    root = _from_env("MNIST_STUDIES_FIGURES", PROJECT_ROOT / "figures")
    return root / profile if profile else root


def reports_dir() -> Path:
    """Folder of the claims report's data, one ``<profile>.json`` per profile (committed)."""
    return _from_env("MNIST_STUDIES_REPORTS", PROJECT_ROOT / "reports")


def report_path() -> Path:
    """``REPORT.md``: in the project root, or next to ``$MNIST_STUDIES_REPORTS`` when that is set."""
    return reports_dir().parent / "REPORT.md" if os.environ.get("MNIST_STUDIES_REPORTS", "").strip() else \
        PROJECT_ROOT / "REPORT.md"


SHIPPED_DIR = Path(__file__).resolve().parent / "segmentation" / "shipped"  # package data: installed with the code


def reader_model_path() -> Path:
    """The page reader's shipped digit model (``mnist_studies/segmentation/shipped/digit_reader.keras``, committed;
    ``make reader-model`` retrains it) and, with suffix ``.json``, its record."""
    return SHIPPED_DIR / "digit_reader.keras"


def row_model_path() -> Path:
    """The page reader's shipped row reader, which reads blobs of touching digits whole
    (``mnist_studies/segmentation/shipped/row_reader.keras``, committed; ``make reader-model`` retrains it) and,
    with suffix ``.json``, its record."""
    return SHIPPED_DIR / "row_reader.keras"
