"""Headless runner behind ``make reproduce``: execute the study notebooks that are not up to date with papermill,
then write the claims report.

    python -m mnist_studies.reproduce --profile quick [--only 01 --only 03] [--force] [--no-report]

Each notebook gets ``profile`` as a papermill parameter and runs on the project kernel; the terminal shows one line
per study start and end and a progress bar over its runs; cell logs go to ``outputs/<profile>/<notebook>.log``. An
executed copy is renamed from ``NAME.partial.ipynb`` only when every cell succeeded (else ``NAME.failed.ipynb``).

What reruns is decided per study, from its stamp (never run, update, resume, redraw, up to date; ``--force`` clears
its records), and per run, from each record's config and code fingerprint (``records.completed``). Records the
finished study did not use are removed. How it works: docs/reproducing.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mnist_studies import fingerprints, paths, profiles, records, stamps
from mnist_studies.profiles import PROFILE_NAMES, check_profile_name, get_profile
from mnist_studies.progress import StudyProgress, duration, read_manifest, runs
from mnist_studies.stamps import study_of  # noqa: F401  (part of this module's interface)

KERNEL_NAME = "mnist-studies"
MANIFEST_NAME = ".manifest.jsonl"


class NotebookFailed(RuntimeError):
    """A notebook raised in one of its cells, or its kernel died."""


def list_notebooks(only: list[str] | None = None, folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """The study notebooks in reading order; ``only`` keeps those whose name starts with one of its entries."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        unknown = [prefix for prefix in only if not any(nb.name.startswith(prefix) for nb in found)]
        if unknown:
            valid = ", ".join(f"{nb.name[:2]} ({nb.stem[3:]})" for nb in found)
            raise ValueError(f"no notebook in {folder} starts with {', '.join(map(repr, unknown))}; valid: {valid}")
        found = [nb for nb in found if any(nb.name.startswith(prefix) for prefix in only)]
    return found


def kernel_name() -> str:
    """The project kernel if it is registered (``make venv`` does it), else the default ``python3`` kernel."""
    from jupyter_client.kernelspec import find_kernel_specs

    return KERNEL_NAME if KERNEL_NAME in find_kernel_specs() else "python3"


def _kernel_manager_logging_to(log_path: Path):
    """A kernel manager whose kernel writes its standard output and error (start-up warnings, native logs) to
    ``log_path`` instead of the terminal."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            handle = open(log_path, "ab")  # noqa: SIM115 (the kernel process holds it; closed when we return)
            try:
                kw["stdout"] = kw["stderr"] = handle
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            finally:
                handle.close()

    return LoggedKernelManager


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables for the block (the kernel inherits them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _papermill_log_to(log_path: Path):
    """Papermill's log (cell starts, the cells' output) to ``log_path`` only, not to the terminal."""
    logger = logging.getLogger("papermill")
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _plain_text(text: str) -> str:
    """``text`` without terminal colour codes (tracebacks from the kernel carry them)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _failure_details(error, notebook: Path, lines: int = 6) -> str:
    """The failing cell's first lines and the error's last lines, indented, for the terminal."""
    import nbformat

    out = []
    try:
        cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
        cell = next((c for c in cells if c.get("execution_count") == error.exec_count), None)
        if cell is not None:
            source = cell.source.splitlines()
            more = ["    ..."] if len(source) > lines else []
            out += ["  cell:"] + [f"    {line}" for line in source[:lines]] + more
    except Exception:  # the details are a courtesy: the error line itself is always shown
        pass
    traceback = [line for line in _plain_text("\n".join(error.traceback or [])).splitlines() if line.strip()]
    if traceback:
        out += ["  error:"] + [f"    {line}" for line in traceback[-lines:]]
    return "\n".join(out)


def run_notebook(notebook: Path, output_dir: Path, parameters: dict, *, kernel: str | None = None,
                 log_path: Path | None = None) -> Path:
    """Execute one notebook with papermill; returns the executed copy's path. The cell log, the cells' output and
    the kernel's standard error go to ``log_path`` (default ``output_dir/<notebook>.log``).

    Raises:
        NotebookFailed: a cell raised or the kernel died; the message names the notebook, the cell, the error, the
            executed copy and the log, and ``details`` (an attribute) holds the cell and the error's last lines.
    """
    import papermill as pm

    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / notebook.name
    partial = output_dir / f"{notebook.stem}.partial.ipynb"
    failed = output_dir / f"{notebook.stem}.failed.ipynb"
    log_path = log_path or output_dir / f"{notebook.stem}.log"
    final.unlink(missing_ok=True)  # a stale finished copy must not survive a failed rerun
    failed.unlink(missing_ok=True)
    log_path.write_text("")
    os.chmod(log_path, 0o644)
    try:
        with _papermill_log_to(log_path), _environment(MNIST_STUDIES_NATIVE_LOG=str(log_path)):
            pm.execute_notebook(
                str(notebook),
                str(partial),
                parameters=parameters,
                kernel_name=kernel or kernel_name(),
                cwd=str(notebook.parent),
                progress_bar=False,
                log_output=True,
                kernel_manager_class=_kernel_manager_logging_to(log_path),
            )
    except pm.PapermillExecutionError as error:
        os.replace(partial, failed)
        with open(log_path, "a") as log:  # the log tells the whole story, the error included
            log.write(f"\nFAILED in cell {error.exec_count}: {error.ename}: {error.evalue}\n"
                      + _plain_text("\n".join(error.traceback or [])) + "\n")
        failure = NotebookFailed(
            f"{notebook.name} failed in cell {error.exec_count} ({error.ename}: {error.evalue}); "
            f"the executed copy with the traceback is {failed}, the log {log_path}")
        failure.details = _failure_details(error, failed)
        raise failure from None
    except Exception as error:  # the kernel died (killed, out of memory) or could not start
        partial.unlink(missing_ok=True)
        failure = NotebookFailed(f"{notebook.name} did not finish ({type(error).__name__}: {error}); "
                                 f"see the log {log_path}")
        failure.details = ""
        raise failure from None
    except BaseException:  # Ctrl-C or SIGTERM: nothing half-written stays behind
        partial.unlink(missing_ok=True)
        raise
    os.chmod(partial, 0o644)
    os.replace(partial, final)
    return final


# ---------------------------------------------------------------------------------------------------------------
# What to do with a study
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What ``make reproduce`` does with one notebook, and why.

    ``action`` is ``"new"`` (never run), ``"force"``, ``"update"`` (its results' inputs changed: ``reasons`` names
    them), ``"resume"`` (its last run was interrupted), ``"redraw"`` (only its figures or text changed, or the
    executed copy is missing) or ``"skip"`` (up to date).
    """

    notebook: Path
    study: str
    profile: str
    action: str
    reasons: list[str] = field(default_factory=list)
    stamp: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    planned_runs: int = 0
    notice: str | None = None  # e.g. a damaged stamp that was set aside


def plan(notebook: Path, profile: str, output_dir: Path, *, force: bool = False) -> Plan:
    """Compare a study's stamp with its inputs today (``stamps.study_inputs``); nothing is run or written."""
    study = stamps.study_of(notebook)
    inputs = stamps.study_inputs(notebook, profile)
    runs = profiles.run_count(study, get_profile(study, profile))
    notice = None
    try:
        stamp = stamps.read_stamp(study, profile)
    except stamps.StampError as error:
        stamp, notice = {}, f"{error} (set aside: the study is checked again)"
    common = dict(notebook=notebook, study=study, profile=profile, stamp=stamp, inputs=inputs, planned_runs=runs,
                  notice=notice)
    if force:
        return Plan(action="force", reasons=["FORCE=1"], **common)
    if not stamp:
        return Plan(action="new", **common)
    changed = stamps.changed(stamp.get("inputs", {}).get("results"), inputs["results"])
    if changed:
        return Plan(action="update", reasons=changed, **common)
    if stamp.get("state") != "done":
        return Plan(action="resume", **common)
    missing = missing_records(study, profile, stamp)
    if missing:  # deleted by hand, or lost: the notebook reruns, recomputes them and reuses the others
        return Plan(action="update", reasons=missing, **common)
    changed = stamps.changed(stamp.get("inputs", {}).get("figures"), inputs["figures"])
    if not (output_dir / notebook.name).is_file():
        changed.append(f"{output_dir / notebook.name} (missing)")
    return Plan(action="redraw", reasons=changed, **common) if changed else Plan(action="skip", **common)


def missing_records(study: str, profile: str, stamp: dict) -> list[str]:
    """The records a finished study's stamp lists that are gone (``<file> (missing)``), or, for a stamp that lists
    only how many it used, how many are missing."""
    folder = paths.results_dir(study, profile)
    if "records" in stamp:
        return [f"{stamps.shown(folder / f'{name}.json')} (missing)" for name in stamp["records"]
                if not (folder / f"{name}.json").is_file()]
    found, expected = len(list(folder.glob("*.json"))), stamp.get("runs", 0)
    if found >= expected:
        return []
    return [f"{expected - found} of its {expected} records in {stamps.shown(folder)} (missing)"]


def describe(p: Plan) -> str:
    """One line on what will happen and why."""
    names = ", ".join(p.reasons[:4]) + (f" and {len(p.reasons) - 4} more" if len(p.reasons) > 4 else "")
    return {"new": "never run", "force": "rerun from scratch (FORCE=1)",
            "update": f"changed: {names}", "resume": "resuming the interrupted run",
            "redraw": f"redraw from its records ({names})", "skip": "up to date"}[p.action]


@dataclass
class Outcome:
    action: str
    wall: float
    used: dict[str, bool] = field(default_factory=dict)
    output: Path | None = None
    log: Path | None = None


def _prune_unused(study: str, profile: str, used: dict[str, bool]) -> list[str]:
    """Remove the study's records that the finished notebook did not use (left by other settings)."""
    removed = []
    for path in sorted(paths.results_dir(study, profile).glob("*.json")):
        if path.stem not in used:
            path.unlink()
            removed.append(path.stem)
    return removed


def run_study_notebook(notebook: Path, profile: str, output_dir: Path, *, force: bool = False,
                       label: str | None = None, stream=None) -> Outcome:
    """Plan, then run one study notebook with its stamp and progress kept; returns what was done."""
    p = plan(notebook, profile, output_dir, force=force)
    if p.action == "skip":
        return Outcome("skip", 0.0)
    if p.action == "force":  # nothing of earlier runs is reused: records, backups, checkpoints
        shutil.rmtree(paths.results_dir(p.study, profile), ignore_errors=True)
        shutil.rmtree(paths.runs_dir(p.study, profile), ignore_errors=True)
    previous = p.stamp
    resuming = p.action == "resume"
    spent_before = previous.get("spent_seconds", 0.0) if resuming else 0.0
    last_full = previous.get("wall_seconds") or previous.get("previous_wall_seconds")  # the study's last full cost
    current = {"profile": profile, "notebook": notebook.name,
               "fingerprint": fingerprints.digest(p.inputs["results"]),
               "figures_fingerprint": fingerprints.digest(p.inputs["figures"]), "inputs": p.inputs,
               "planned_runs": p.planned_runs, "wall_seconds": last_full,
               "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    manifest = paths.results_dir(p.study, profile) / MANIFEST_NAME
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    stamps.write_stamp(p.study, profile, {**current, "state": "running", "spent_seconds": spent_before})
    start = time.perf_counter()
    progress = StudyProgress(label or notebook.stem, manifest, p.planned_runs,
                             estimate=last_full if p.action != "redraw" else None, stream=stream)
    finished = False
    try:
        with _environment(**{records.MANIFEST_ENV: str(manifest)}):
            output = run_notebook(notebook, output_dir, {"profile": profile})
        finished = True
    finally:
        progress.close()
        wall = time.perf_counter() - start
        if not finished:  # killed, failed or stopped: keep the time spent, so the next run's total is right
            stamps.write_stamp(p.study, profile, {**current, "state": "running",
                                                    "spent_seconds": spent_before + wall})
    used = read_manifest(manifest)
    manifest.unlink(missing_ok=True)
    _prune_unused(p.study, profile, used)
    reused = sum(used.values())
    # the study's cost: the time of this sitting (and of the interrupted ones before it); when runs were reused, or
    # the study has none (a notebook that only draws), the last full run's time stays the study's cost
    total = spent_before + wall
    wall_seconds = last_full if (reused or not used) and last_full and not resuming else total
    stamps.write_stamp(p.study, profile, {**current, "state": "done", "spent_seconds": total,
                                          "wall_seconds": wall_seconds, "last_wall_seconds": wall, "runs": len(used),
                                          "records": sorted(used),
                                          "reused": reused, "trained": len(used) - reused,
                                          "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    return Outcome(p.action, wall, used, output, output_dir / f"{notebook.stem}.log")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} (default: quick)")
    parser.add_argument("--only", action="append", help="run only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="where executed notebooks go (default: outputs/<profile>)")
    parser.add_argument("--force", action="store_true", help="rerun every notebook from scratch, reusing no run")
    parser.add_argument("--no-report", action="store_true", help="do not write the claims report at the end")
    args = parser.parse_args(argv)
    try:
        profile = check_profile_name(args.profile)
        notebooks = list_notebooks(args.only)
        for notebook in notebooks:
            stamps.study_of(notebook)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # a kill (SIGTERM) unwinds like Ctrl-C: the partial notebook is removed and the stamp keeps the time spent
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    output_dir = args.output_dir or paths.OUTPUTS_DIR / profile
    print(f"make reproduce: {len(notebooks)} notebook(s), profile {profile!r}; executed copies and logs in "
          f"{output_dir}", flush=True)
    total = time.perf_counter()
    for i, notebook in enumerate(notebooks, start=1):
        tag = f"[{i}/{len(notebooks)}] {notebook.stem}"
        try:
            p = plan(notebook, profile, output_dir, force=args.force)
            if p.notice:
                print(f"notice: {p.notice}", file=sys.stderr)
            if p.action == "skip":
                print(f"{tag}: up to date (FORCE=1 reruns it)", flush=True)
                continue
            last = p.stamp.get("wall_seconds") or p.stamp.get("previous_wall_seconds")
            estimate = f"; last full run {duration(last)}" if last and p.action != "redraw" else ""
            print(f"{tag}: {describe(p)}; {runs(p.planned_runs)}{estimate}", flush=True)
            outcome = run_study_notebook(notebook, profile, output_dir, force=args.force,
                                         label=notebook.stem[:2] + " " + p.study)
        except (KeyboardInterrupt, SystemExit) as stop:  # Ctrl-C, or a kill (SIGTERM, see below)
            # the notebook's event loop and coroutines, stopped mid-run, are collected from here to the exit: without
            # this, their "never awaited" warnings and "Exception ignored" tracebacks followed the one line below
            sys.unraisablehook = lambda unraisable: None
            warnings.simplefilter("ignore", RuntimeWarning)
            print(f"\nstopped: {notebook.stem} was interrupted; its finished runs are kept, and "
                  f"`make reproduce PROFILE={profile} ONLY={notebook.name[:2]}` continues from them.", file=sys.stderr)
            return stop.code if isinstance(stop, SystemExit) and isinstance(stop.code, int) else 130
        except NotebookFailed as error:
            print(f"error: {error}", file=sys.stderr)
            if getattr(error, "details", ""):
                print(error.details, file=sys.stderr)
            print(f"The finished runs are kept: `make reproduce PROFILE={profile} ONLY={notebook.name[:2]}` "
                  f"continues from them.", file=sys.stderr)
            return 1
        except (ValueError, records.RecordError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        reused = sum(outcome.used.values())
        print(f"{tag}: done in {duration(outcome.wall)}: {runs(len(outcome.used))} ({reused} reused, "
              f"{len(outcome.used) - reused} trained) -> {outcome.output} (log {outcome.log.name})", flush=True)
    print(f"All {len(notebooks)} notebook(s) done in {duration(time.perf_counter() - total)}.", flush=True)
    if not args.no_report:
        from mnist_studies import report

        return report.main(["--profile", profile])
    return 0


if __name__ == "__main__":
    sys.exit(main())
