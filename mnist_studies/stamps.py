"""A study's stamp: what its last ``make reproduce`` ran on, and how it ended.

``results/<profile>/<study>/reproduce.stamp`` (JSON, committed with the records) holds the study's *inputs* when it
last ran, each as a hash, so that ``make reproduce`` and ``make status`` can say what changed since:

- ``results``: what its numbers can depend on: the notebook's code cells, the profile's settings, and every project
  source file that the notebook's imports can execute (``fingerprints.import_closure``, figure code left out);
- ``figures``: what only its figures and text depend on: the whole notebook, the modules of
  ``mnist_studies/plotting/`` that it imports, and the committed results it draws (``FIGURE_DATA``);

and ``state`` (``running`` until the notebook finished, then ``done``), the study's cost (``wall_seconds`` of its last
full run) and the runs it used. What changes at every sitting (process, host, times, runs reused and trained) goes to
``runs/<profile>/<study>/sitting.json`` (``SITTING_KEYS``, git-ignored), so a rerun that reuses everything leaves the
committed stamp as it was. The stamp decides whether the *notebook* reruns; its runs retrain by ``records.completed``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from mnist_studies import fingerprints, paths, profiles, records
from mnist_studies.studies import NOTEBOOK_STUDIES

STAMP_NAME = "reproduce.stamp"
SITTING_NAME = "sitting.json"
# what one sitting of `make reproduce` was: kept beside the runs' working files, never committed
SITTING_KEYS = ("pid", "host", "started", "finished", "spent_seconds", "last_wall_seconds", "reused", "trained")
# Committed files a notebook's figures draw, by the module that reads them: data, not code, so no import closure
# finds them (notebook 05 draws the last `make bench-pages`; 05's hard page and 06's examples are read with the
# shipped models); a new file redraws the figures, reruns nothing.
SHIPPED_MODELS = "mnist_studies/segmentation/shipped/*"
FIGURE_DATA = {"mnist_studies.segmentation.benchmark.evaluate": ("benchmarks/results/pages-*.json",),
               "mnist_studies.segmentation": (SHIPPED_MODELS,),
               "mnist_studies.studies.your_pages": (SHIPPED_MODELS,)}
STATES = ("running", "done")


class StampError(ValueError):
    """A stamp is damaged or hand-edited into something unreadable."""


def study_of(notebook: Path) -> str:
    """The study a notebook runs (``studies.NOTEBOOK_STUDIES``)."""
    if notebook.name not in NOTEBOOK_STUDIES:
        raise ValueError(f"{notebook.name} is not a known study notebook; add it to "
                         f"mnist_studies.studies.NOTEBOOK_STUDIES")
    return NOTEBOOK_STUDIES[notebook.name][0]


def stamp_path(study: str, profile: str) -> Path:
    return paths.results_dir(study, profile) / STAMP_NAME


def read_stamp(study: str, profile: str) -> dict:
    """The study's stamp, ``{}`` when it never ran.

    Raises:
        StampError: the file is not a JSON object with a known ``state``; the message names it and what to do.
    """
    path = stamp_path(study, profile)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise StampError(f"{path}: unreadable stamp ({error})") from error
    try:
        stamp = json.loads(text)
    except ValueError as error:
        stamp = error
    if not isinstance(stamp, dict) or stamp.get("state") not in STATES:
        raise StampError(f"{path}: damaged stamp (not a JSON object with a state of {', '.join(STATES)}); delete it "
                         f"and run `make reproduce PROFILE={profile}`: the study is checked again and its finished "
                         f"runs are reused from their records")
    return {**stamp, **read_sitting(study, profile, stamp)}


def sitting_path(study: str, profile: str) -> Path:
    return paths.runs_dir(study, profile) / SITTING_NAME


def read_sitting(study: str, profile: str, stamp: dict) -> dict:
    """The last sitting's ``SITTING_KEYS`` when they belong to ``stamp`` (same fingerprint and state), else {}."""
    try:
        sitting = json.loads(sitting_path(study, profile).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(sitting, dict) or [sitting.get("fingerprint"), sitting.get("state")] != \
            [stamp.get("fingerprint"), stamp.get("state")]:
        return {}
    return {key: sitting[key] for key in SITTING_KEYS if key in sitting}


def write_stamp(study: str, profile: str, fields: dict) -> Path:
    """Write the study's stamp (``fields``, with a ``state``) atomically: its ``SITTING_KEYS`` to the sitting file,
    the rest to the stamp, which is left untouched when it would not change."""
    if fields.get("state") not in STATES:
        raise ValueError(f"a stamp's state must be one of {', '.join(STATES)}, got {fields.get('state')!r}")
    stamp = {key: value for key, value in fields.items() if key not in SITTING_KEYS}
    sitting = {key: fields[key] for key in SITTING_KEYS if key in fields}
    records.write_json_atomic({"fingerprint": stamp.get("fingerprint"), "state": stamp["state"], **sitting},
                              sitting_path(study, profile))
    path = stamp_path(study, profile)
    try:
        if json.loads(path.read_text()) == json.loads(json.dumps(stamp)):
            return path
    except (OSError, ValueError):
        pass
    return records.write_json_atomic(stamp, path)


def shown(path: Path) -> str:
    """``path`` relative to the project when it lies inside it (for messages), else as it is."""
    path = Path(path)
    return str(path.relative_to(paths.PROJECT_ROOT) if path.is_relative_to(paths.PROJECT_ROOT) else path)


def code_cells(notebook: Path) -> list[str]:
    """The sources of a notebook's code cells (markdown and metadata left out)."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{notebook}: not a readable notebook ({error}); restore it with `git checkout "
                         f"{shown(notebook)}`") from error


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def study_inputs(notebook: Path, profile: str) -> dict[str, dict[str, str]]:
    """``{"results": {name: hash}, "figures": {name: hash}}`` of a study notebook under ``profile`` (see above)."""
    study = study_of(notebook)
    cells = code_cells(notebook)
    settings = json.dumps(profiles.get_profile(study, profile), sort_keys=True, default=str)
    imported = fingerprints.notebook_imports(cells)
    modules = imported | {f"mnist_studies.studies.{study}"}
    results = {f"{notebook.name} (code cells)": _sha("\0".join(cells).encode()),
               f"profile {profile} of {study} (mnist_studies/profiles.py)": _sha(settings.encode()),
               **fingerprints.code_files(*sorted(modules))}
    figures = {f"{notebook.name}": _sha(notebook.read_bytes()), **fingerprints.figure_files(imported),
               **figure_data(imported)}
    return {"results": results, "figures": figures}


def figure_data(modules: set[str]) -> dict[str, str]:
    """``{path: hash}`` of the committed results (``FIGURE_DATA``) that ``modules`` read for figures."""
    found = {}
    for module in sorted(set(FIGURE_DATA) & set(modules)):
        for pattern in FIGURE_DATA[module]:
            for path in sorted(paths.PROJECT_ROOT.glob(pattern)):
                found[shown(path)] = _sha(path.read_bytes())
    return found


def changed(before: dict[str, str] | None, after: dict[str, str]) -> list[str]:
    """Names whose hash differs between two input maps (added and removed ones included), sorted."""
    before = before or {}
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
