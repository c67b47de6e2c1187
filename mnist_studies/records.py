"""Run records: one JSON file per run (config, seed, metrics, history, timings, versions, device, git commit).

Records are written atomically (a temporary file in the same folder, then ``os.replace``), so a run killed half-way
never leaves a record that looks finished. Figures and tables are produced from records, not from notebook state.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mnist_studies import fingerprints, paths

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("schema", "study", "profile", "name", "seed", "config", "metrics")


class RecordError(ValueError):
    """A run record is malformed or unreadable."""


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on."""
    import keras
    import sklearn
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def git_commit() -> str | None:
    """The project's current commit (with ``-dirty`` when the tree has changes), or None outside a checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=paths.PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def run_code_module(study: str, code: str | None = None) -> str:
    """The module whose import closure a run of ``study`` executes: ``code`` if given, else the study's module."""
    return code or f"mnist_studies.studies.{study}"


def run_code_fingerprint(module: str, *, running: bool = False) -> str | None:
    """``fingerprints.code_fingerprint(module)`` (with ``running``: of the code this process loaded,
    ``fingerprints.running_code_fingerprint``), or None for a module outside the project (a study of your own in a
    notebook: its records are then checked by their config alone)."""
    if fingerprints.module_file(module) is None:
        return None
    return (fingerprints.running_code_fingerprint if running else fingerprints.code_fingerprint)(module)


def _plain(value):
    """Convert NumPy scalars/arrays and paths to JSON-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def make_record(
    *,
    study: str,
    profile: str,
    name: str,
    seed: int,
    config: dict,
    metrics: dict,
    history: dict | None = None,
    timings: dict | None = None,
    device: str | None = None,
    deterministic: bool | None = None,
    extra: dict | None = None,
    code: str | None = None,
) -> dict:
    """Assemble a run record with the environment (versions, git commit, time) filled in.

    ``code`` names the module that computed the run (default: the study's module, ``mnist_studies.studies.<study>``);
    the record stores the fingerprint of its import closure (``fingerprints.code_fingerprint``), so the record is
    reused exactly as long as that code is unchanged.
    """
    module = run_code_module(study, code)
    return _plain(
        {
            "schema": SCHEMA_VERSION,
            "study": study,
            "profile": profile,
            "name": name,
            "seed": seed,
            "config": config,
            "metrics": metrics,
            "history": history or {},
            "timings": timings or {},
            "device": device,
            "deterministic": deterministic,
            "versions": library_versions(),
            "git_commit": git_commit(),
            "code_module": module,
            "code_fingerprint": run_code_fingerprint(module, running=True),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "extra": extra or {},
        }
    )


def record_path(study: str, profile: str, name: str) -> Path:
    """Where the record of run ``name`` lives: ``results/<profile>/<study>/<name>.json``."""
    return paths.results_dir(study, profile) / f"{name}.json"


# ``make reproduce`` sets this for the notebook's kernel: every record the study writes or reuses is noted there
# (one JSON line each), which drives its progress bar and tells it which records the finished study used.
MANIFEST_ENV = "MNIST_STUDIES_MANIFEST"


def note_used(record: dict, *, reused: bool) -> None:
    """Append ``{"name", "reused"}`` to the manifest of the running ``make reproduce`` (a no-op without one)."""
    manifest = os.environ.get(MANIFEST_ENV, "").strip()
    if not manifest:
        return
    line = json.dumps({"study": record["study"], "name": record["name"], "reused": reused,
                       "seconds": _run_seconds(record)})
    with open(manifest, "a") as handle:
        handle.write(line + "\n")


def _run_seconds(record: dict) -> float | None:
    timings = record.get("timings") or {}
    value = timings.get("wall_seconds", timings.get("seconds"))
    return value if isinstance(value, (int, float)) else None


def write_text_atomic(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path`` via a temporary file and ``os.replace`` (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600 files; these are ordinary project files
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), as the records of shipped models and data files give it."""
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_json_atomic(data, path: str | Path) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (``write_text_atomic``)."""
    return write_text_atomic(json.dumps(_plain(data), indent=1, allow_nan=True) + "\n", path)


def benchmark_path(results: dict, folder: str | Path, prefix: str) -> Path:
    """Where ``write_benchmark`` writes ``results``: ``<folder>/<prefix>-<device>.json``."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", str(results["device"]).lower()).strip("-")
    return Path(folder) / f"{prefix}-{slug}.json"


def write_benchmark(results: dict, folder: str | Path, prefix: str, figure=None, *, dpi: int = 120,
                    more_figures: dict | None = None) -> Path:
    """A benchmark's results as ``<folder>/<prefix>-<device>.json`` (the device of ``results["device"]`` as a file
    name: ``cpu-amd-epyc-2-cores``) and, when given, its matplotlib ``figure`` beside it as ``.png`` and each of
    ``more_figures`` (name -> figure) as ``<prefix>-<device>-<name>.png``; all written atomically. Returns the JSON's
    path."""
    path = write_json_atomic(results, benchmark_path(results, folder, prefix))
    pngs = {path.with_suffix(".png"): figure} if figure is not None else {}
    pngs.update({path.with_name(f"{path.stem}-{name}.png"): fig for name, fig in (more_figures or {}).items()})
    for png, fig in pngs.items():
        fd, tmp = tempfile.mkstemp(dir=png.parent, prefix=f".{png.name}.", suffix=".png")
        os.fchmod(fd, 0o644)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=dpi, format="png", metadata={"Software": None})
            os.replace(tmp, png)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path


def write_record(record: dict) -> Path:
    """Write a record made by ``make_record`` to its ``record_path`` atomically; returns the path."""
    validate_record(record, source="record to write")
    path = write_json_atomic(record, record_path(record["study"], record["profile"], record["name"]))
    note_used(record, reused=False)
    return path


def write_needs_gpu(*, study: str, profile: str, name: str, config: dict, estimated_seconds: float, device: str,
                    code: str | None = None) -> dict:
    """Record that run ``name`` was not run on this CPU because it needs a GPU, with the estimate of its time here
    (``<name>.needs-gpu``; the report shows the claim it decides as "needs a GPU (estimated X h ...)"). A current
    record of the same config on the same device is kept as it is: a rerun leaves the committed estimate alone."""
    from mnist_studies.claims import NEEDS_GPU_SUFFIX

    kept = completed(study, profile, f"{name}{NEEDS_GPU_SUFFIX}", config, code=code)
    if kept is not None and kept.get("device") == device:
        return kept
    record = make_record(study=study, profile=profile, name=f"{name}{NEEDS_GPU_SUFFIX}", seed=0, config=config,
                         metrics={"needs_gpu": True, "estimated_seconds": float(estimated_seconds)}, device=device,
                         code=code)
    write_record(record)
    return record


def validate_record(record, *, source: str = "record") -> dict:
    """Check that ``record`` has the keys every record needs; raises ``RecordError`` naming what is missing."""
    if not isinstance(record, dict):
        raise RecordError(f"{source}: expected a JSON object, got {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise RecordError(f"{source}: missing keys {', '.join(missing)}")
    if not isinstance(record["metrics"], dict):
        raise RecordError(f"{source}: 'metrics' must be an object")
    return record


def read_record(path: str | Path) -> dict:
    """Read and validate one record; a truncated or malformed file raises ``RecordError`` naming it."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise RecordError(f"{path}: unreadable run record ({error}); delete it (or `git checkout` it) and run "
                          f"`make reproduce` again: only that run is redone") from error
    return validate_record(record, source=str(path))


def is_current(record: dict, config: dict | None = None, *, running: bool = False) -> bool:
    """Whether ``record`` was made by the code its module executes today (with ``running``: by the code this
    process loaded) and, if given, with ``config``."""
    module = record.get("code_module") or run_code_module(record["study"])
    same_code = record.get("code_fingerprint") == run_code_fingerprint(module, running=running)
    return same_code and (config is None or record["config"] == _plain(config))


def completed(study: str, profile: str, name: str, config: dict, *, code: str | None = None) -> dict | None:
    """The record of run ``name`` if it already finished with exactly ``config`` and today's code, else None.

    Grids and multi-seed studies call this before each cell, so a study started again after a kill, a crash or
    Ctrl-C skips the cells it finished (records are written atomically: a record on disk is a finished run). A
    record written under another configuration or by other code (the import closure of ``code``, see
    ``make_record``) is not reused; a damaged one raises ``RecordError`` naming it.
    """
    path = record_path(study, profile, name)
    if not path.is_file():
        return None
    record = read_record(path)
    if record.get("code_module", run_code_module(study)) != run_code_module(study, code) \
            or not is_current(record, config, running=True):
        return None
    note_used(record, reused=True)
    return record


def read_records(study: str, profile: str) -> list[dict]:
    """All records of ``study`` under ``profile``, sorted by name (empty when none ran)."""
    folder = paths.results_dir(study, profile)
    return [read_record(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
