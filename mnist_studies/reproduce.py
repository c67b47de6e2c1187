"""Headless runner behind ``make reproduce``: execute every ``notebooks/NN_*.ipynb`` in order with papermill,
then write the claims report.

    python -m mnist_studies.reproduce --profile quick [--only 01 --only 03] [--force] [--no-report]

Each notebook gets ``profile`` as a papermill parameter and runs on the project kernel. The executed copy is
written as ``NAME.partial.ipynb`` and renamed to ``NAME.ipynb`` only when every cell succeeded; a failing notebook
is kept as ``NAME.failed.ipynb`` (with its traceback) and the runner stops with a message naming notebook and cell.

Only what changed is rerun. A study's fingerprint is the hash of what its results depend on: its notebook's code
cells, the package code that computes results (``records.code_fingerprint``) and its profile settings. Its figures
fingerprint hashes the whole notebook (markdown included) and the figure code (``mnist_studies/plotting/``,
``records.figure_code_fingerprint``). ``runs/<profile>/<study>/reproduce.stamp`` records both with the state
``running`` or ``done``:

- another fingerprint (or ``--force``): the study's run folder is cleared and the study runs from scratch;
- ``running`` (the last run was killed, crashed or stopped with Ctrl-C): resumed — its finished cells are reused
  from their records (``records.completed``), a killed fit resumes from its backup;
- ``done`` with the same figures fingerprint and the executed notebook present: up to date, skipped;
- ``done`` otherwise (a figure or the notebook's text was edited, or the executed copy is gone): redrawn — the
  notebook runs again on the finished runs' records (seconds to minutes: nothing is trained).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from mnist_studies import paths
from mnist_studies.profiles import PROFILE_NAMES, check_profile_name, get_profile
from mnist_studies.studies import NOTEBOOK_STUDIES

KERNEL_NAME = "mnist-studies"


class NotebookFailed(RuntimeError):
    """A notebook raised in one of its cells."""


def list_notebooks(only: list[str] | None = None, folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """The study notebooks in reading order; ``only`` keeps those whose name starts with one of its entries."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        found = [nb for nb in found if any(nb.name.startswith(prefix) for prefix in only)]
        if not found:
            raise ValueError(f"no notebook in {folder} starts with {', '.join(only)}")
    return found


def kernel_name() -> str:
    """The project kernel if it is registered (``make venv`` does it), else the default ``python3`` kernel."""
    from jupyter_client.kernelspec import find_kernel_specs

    return KERNEL_NAME if KERNEL_NAME in find_kernel_specs() else "python3"


def run_notebook(notebook: Path, output_dir: Path, parameters: dict, *, kernel: str | None = None) -> Path:
    """Execute one notebook with papermill; returns the executed copy's path.

    Raises:
        NotebookFailed: a cell raised; the message names the notebook, the cell and the error.
    """
    import papermill as pm

    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / notebook.name
    partial = output_dir / f"{notebook.stem}.partial.ipynb"
    failed = output_dir / f"{notebook.stem}.failed.ipynb"
    final.unlink(missing_ok=True)  # a stale finished copy must not survive a failed rerun
    failed.unlink(missing_ok=True)
    try:
        pm.execute_notebook(
            str(notebook),
            str(partial),
            parameters=parameters,
            kernel_name=kernel or kernel_name(),
            cwd=str(notebook.parent),
            progress_bar=False,
            log_output=True,
        )
    except pm.PapermillExecutionError as error:
        os.replace(partial, failed)
        raise NotebookFailed(
            f"{notebook.name} failed in cell {error.exec_count} ({error.ename}: {error.evalue}); "
            f"the executed copy with the traceback is {failed}"
        ) from None
    except Exception as error:  # the kernel died (killed, out of memory) or could not start
        partial.unlink(missing_ok=True)
        raise NotebookFailed(f"{notebook.name} did not finish ({type(error).__name__}: {error})") from None
    except BaseException:  # Ctrl-C or SIGTERM: nothing half-written stays behind
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)
    return final


# ---------------------------------------------------------------------------------------------------------------
# Up-to-date check
# ---------------------------------------------------------------------------------------------------------------

STAMP_NAME = "reproduce.stamp"


def study_of(notebook: Path) -> str:
    """The study a notebook runs (``studies.NOTEBOOK_STUDIES``)."""
    if notebook.name not in NOTEBOOK_STUDIES:
        raise ValueError(f"{notebook.name} is not a known study notebook; add it to "
                         f"mnist_studies.studies.NOTEBOOK_STUDIES")
    return NOTEBOOK_STUDIES[notebook.name][0]


def _code_cells(notebook: Path) -> bytes:
    """The sources of a notebook's code cells (its markdown and metadata left out)."""
    try:
        cells = json.loads(notebook.read_text())["cells"]
    except (ValueError, KeyError) as error:
        raise ValueError(f"{notebook}: not a readable notebook ({error}); restore it with git") from error
    return "\0".join("".join(c["source"]) for c in cells if c["cell_type"] == "code").encode()


def fingerprint(notebook: Path, profile: str) -> str:
    """Hash of what a study's results depend on: its notebook's code, the result code and its profile settings."""
    from mnist_studies.records import code_fingerprint

    settings = json.dumps(get_profile(study_of(notebook), profile), sort_keys=True, default=str)
    digest = hashlib.sha256(_code_cells(notebook) + code_fingerprint().encode() + settings.encode())
    return digest.hexdigest()[:16]


def figures_fingerprint(notebook: Path) -> str:
    """Hash of what only a study's figures and text depend on: the whole notebook and the figure code."""
    from mnist_studies.records import figure_code_fingerprint

    return hashlib.sha256(notebook.read_bytes() + figure_code_fingerprint().encode()).hexdigest()[:16]


def stamp_path(study: str, profile: str) -> Path:
    return paths.runs_dir(study, profile) / STAMP_NAME


def read_stamp(study: str, profile: str) -> dict:
    """The study's stamp (``{}`` when there is none or it is unreadable: then the study is simply rerun)."""
    try:
        return json.loads(stamp_path(study, profile).read_text())
    except (OSError, ValueError):
        return {}


def write_stamp(study: str, profile: str, **fields) -> None:
    from mnist_studies.records import write_json_atomic

    write_json_atomic(fields, stamp_path(study, profile))


def plan(notebook: Path, profile: str, output_dir: Path, *, force: bool = False) -> str:
    """What ``make reproduce`` does with one notebook: ``"fresh"`` (never run, results changed, or ``force``),
    ``"resume"`` (its last run was interrupted), ``"skip"`` (up to date) or ``"redraw"`` (finished, but its figures
    or text changed, or the executed copy is missing: rerun on the finished runs' records)."""
    stamp = read_stamp(study_of(notebook), profile)
    if force or stamp.get("fingerprint") != fingerprint(notebook, profile):
        return "fresh"
    if stamp.get("state") != "done":
        return "resume"
    if stamp.get("figures_fingerprint") == figures_fingerprint(notebook) and (output_dir / notebook.name).is_file():
        return "skip"
    return "redraw"


def run_study_notebook(notebook: Path, profile: str, output_dir: Path, *, force: bool = False) -> tuple[str, float]:
    """Plan, then run one study notebook with its stamp kept; returns (what was done, wall seconds)."""
    action = plan(notebook, profile, output_dir, force=force)
    if action == "skip":
        return action, 0.0
    study = study_of(notebook)
    if action == "fresh":  # stale records of other code or settings must not be reused or reported
        shutil.rmtree(paths.runs_dir(study, profile), ignore_errors=True)
    previous = read_stamp(study, profile)
    current = {"fingerprint": fingerprint(notebook, profile), "figures_fingerprint": figures_fingerprint(notebook)}
    write_stamp(study, profile, **current, state="running", notebook=notebook.name)
    start = time.perf_counter()
    run_notebook(notebook, output_dir, {"profile": profile})
    wall = time.perf_counter() - start
    # a redraw keeps the wall time of the training run (the report's "wall time" is the study's cost)
    wall_seconds = previous.get("wall_seconds", wall) if action == "redraw" else wall
    write_stamp(study, profile, **current, state="done", notebook=notebook.name, wall_seconds=wall_seconds,
                resumed=action == "resume")
    return action, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} (default: quick)")
    parser.add_argument("--only", action="append", help="run only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="where executed notebooks go (default: outputs/<profile>)")
    parser.add_argument("--force", action="store_true", help="rerun every notebook, even those up to date")
    parser.add_argument("--no-report", action="store_true", help="do not write the claims report at the end")
    args = parser.parse_args(argv)
    try:
        profile = check_profile_name(args.profile)
        notebooks = list_notebooks(args.only)
        for notebook in notebooks:
            study_of(notebook)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # a kill (SIGTERM) unwinds like Ctrl-C, so the partial notebook of the running study is removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    output_dir = args.output_dir or paths.OUTPUTS_DIR / profile
    print(f"Running {len(notebooks)} notebook(s) with profile={profile!r}; executed copies go to {output_dir}")
    total = time.perf_counter()
    for i, notebook in enumerate(notebooks, start=1):
        print(f"[{i}/{len(notebooks)}] {notebook.name} ...", flush=True)
        try:
            action, wall = run_study_notebook(notebook, profile, output_dir, force=args.force)
        except NotebookFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        if action == "skip":
            print(f"[{i}/{len(notebooks)}] {notebook.name} is up to date (unchanged notebook, code and profile; "
                  f"FORCE=1 reruns it)")
        else:
            how = {"resume": "resumed and finished", "redraw": "redrawn from its records"}.get(action, "done")
            print(f"[{i}/{len(notebooks)}] {notebook.name} {how} in {wall:.0f} s -> {output_dir / notebook.name}")
    print(f"All {len(notebooks)} notebook(s) done in {time.perf_counter() - total:.0f} s.")
    if not args.no_report:
        from mnist_studies import report

        return report.main(["--profile", profile])
    return 0


if __name__ == "__main__":
    sys.exit(main())
