"""``make status``: where every study of a profile stands, without running anything (no TensorFlow is imported).

    python -m mnist_studies.status [--profile quick]

For each notebook: its state (*up to date*; *stale*, naming the changed files or settings; *redraw*, when only
figures or text changed; *interrupted*; *never run*), the runs whose records are current (same code fingerprint)
beside the runs its profile plans, the last wall time, and an estimate of the time to bring it up to date (the last
wall time, scaled by the share of runs that are not current; while a study is running, its pace so far). Without a
stamp, the wall time in the committed ``reports/<profile>.json`` serves as the estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mnist_studies import paths, records
from mnist_studies.claims import NEEDS_GPU_SUFFIX
from mnist_studies.profiles import PROFILE_NAMES, check_profile_name
from mnist_studies.progress import duration
from mnist_studies.reproduce import describe, list_notebooks, plan


@dataclass
class StudyStatus:
    notebook: str
    state: str
    current_runs: int
    planned_runs: int
    last_wall: float | None
    to_finish: float | None


def running_now(stamp: dict) -> bool:
    """Whether the process that wrote a ``running`` stamp is still alive on this machine."""
    if stamp.get("state") != "running" or stamp.get("host") != socket.gethostname() or not stamp.get("pid"):
        return False
    try:
        os.kill(stamp["pid"], 0)
    except (OSError, TypeError):
        return False
    return True


def reported_wall(study: str, profile: str) -> float | None:
    """The study's wall time in the committed ``reports/<profile>.json`` (an estimate when no stamp has one)."""
    try:
        entry = json.loads((paths.reports_dir() / f"{profile}.json").read_text())["studies"].get(study, {})
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    value = entry.get("wall_seconds")
    return value if isinstance(value, (int, float)) else None


def study_status(notebook: Path, profile: str, output_dir: Path) -> StudyStatus:
    """The status of one study notebook under ``profile`` (reads its stamp and records; writes nothing)."""
    p = plan(notebook, profile, output_dir)
    found = records.read_records(p.study, profile)  # a damaged record raises RecordError naming the file
    current = min(sum(records.is_current(r) for r in found), p.planned_runs)
    planned = p.planned_runs
    last = p.stamp.get("wall_seconds") or p.stamp.get("previous_wall_seconds") or reported_wall(p.study, profile)
    live = running_now(p.stamp)
    state = {"new": "never run", "update": f"stale ({describe(p)})",
             "resume": f"{'running now' if live else 'interrupted'} ({current} of {planned} runs finished)",
             "redraw": describe(p), "skip": "up to date"}[p.action]
    if p.notice:
        state = f"damaged stamp ({p.notice})"
    waiting = [r for r in found if r["name"].endswith(NEEDS_GPU_SUFFIX) and records.is_current(r)]
    if waiting:
        hours = sum(r["metrics"]["estimated_seconds"] for r in waiting) / 3600
        state += f"; needs a GPU for the rest (estimated {hours:.0f} h on {waiting[0]['device']})"
    left = max(planned - current, 0)
    if p.action == "skip":
        to_finish = 0.0
    elif p.action == "redraw":
        to_finish = None  # seconds to minutes: nothing trains
    elif live and current and p.stamp.get("started"):
        to_finish = (time.time() - p.stamp["started"]) / current * left
    elif last is not None and planned:
        to_finish = last * left / planned
    else:
        to_finish = None
    return StudyStatus(notebook.stem, state, min(current, planned), planned, last, to_finish)


def format_table(rows: list[StudyStatus]) -> str:
    header = ("notebook", "state", "runs current/planned", "last wall time", "to finish")
    def to_finish(r: StudyStatus) -> str:
        if r.to_finish == 0:
            return "–"
        if r.state.startswith("redraw") or not r.planned_runs:
            return "seconds (no training)"
        return duration(r.to_finish) if r.to_finish is not None else "unknown"

    body = [(r.notebook, r.state, f"{r.current_runs}/{r.planned_runs}", duration(r.last_wall) if r.last_wall else "–",
             to_finish(r)) for r in rows]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    widths[1] = min(widths[1], 96)

    def fmt(line):
        cells = [str(c) if i != 1 or len(str(c)) <= widths[1] else str(c)[: widths[1] - 1] + "…"
                 for i, c in enumerate(line)]
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.status", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} (default: quick)")
    parser.add_argument("--only", action="append", help="only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="where executed notebooks are (default: outputs/<profile>)")
    args = parser.parse_args(argv)
    try:
        profile = check_profile_name(args.profile)
        notebooks = list_notebooks(args.only)
        output_dir = args.output_dir or paths.OUTPUTS_DIR / profile
        rows = [study_status(nb, profile, output_dir) for nb in notebooks]
    except (ValueError, records.RecordError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"profile {profile!r}: records in {paths.results_dir(profile=profile)}, executed notebooks in {output_dir}")
    print(format_table(rows))
    stale = [r for r in rows if not r.state.startswith("up to date")]
    if stale:
        redraws = [r for r in stale if r.state.startswith("redraw")]
        known = [r.to_finish for r in stale if r.to_finish is not None and r not in redraws]
        unknown = len(stale) - len(redraws) - len(known)
        cost = (f"about {duration(sum(known))} of training" if known else
                "no training, only redrawing" if not unknown else "unknown training time")
        print(f"{len(stale)} of {len(rows)} not up to date; `make reproduce PROFILE={profile}` brings them up to date "
              f"({cost}{', plus studies never run' if known and unknown else ''}).")
    else:
        print(f"All {len(rows)} up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
