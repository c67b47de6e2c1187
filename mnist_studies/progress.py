"""Progress of a running study for ``make reproduce``: a tqdm bar on a terminal, one plain line per finished run
when standard output is not a terminal (CI logs, ``make reproduce > log``).

The bar counts the study's runs (``profiles.run_count``) as the notebook's kernel notes them in the manifest
(``records.note_used``). Runs reused from their records arrive at once, so the time left is estimated from the runs
trained in this sitting only (or, before the first one finishes, from the study's last wall time).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path


def duration(seconds: float | None) -> str:
    """``42 s``, ``12 min``, ``2.6 h`` (``?`` for None)."""
    if seconds is None:
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def runs(n: int) -> str:
    """``1 run``, ``3 runs``."""
    return f"{n} run" if n == 1 else f"{n} runs"


def read_manifest(path: Path) -> dict[str, bool]:
    """``{record name: reused}`` from a manifest (later lines win; a torn last line is ignored)."""
    used: dict[str, bool] = {}
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return used
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        used[entry["name"]] = bool(entry["reused"]) and used.get(entry["name"], True)
    return used


def _terminal_width(stream) -> int:
    """The columns of the terminal ``stream`` writes to; 0 when it is not one (or one of size 0, as some CI
    pseudo-terminals are: a bar cannot be drawn there, so plain lines are printed)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (AttributeError, OSError, ValueError):
        return 0


class StudyProgress:
    """Watches a manifest in a background thread and shows the study's progress until ``close()``."""

    def __init__(self, label: str, manifest: Path, total: int, *, estimate: float | None = None, stream=None,
                 interval: float = 1.0):
        self.label, self.manifest, self.total, self.estimate = label, manifest, total, estimate
        self.stream = stream or sys.stdout
        self.interval = interval
        self.start = time.monotonic()
        self.first_trained_at: float | None = None
        self.used: dict[str, bool] = {}
        self._stop = threading.Event()
        self._bar = None
        width = _terminal_width(self.stream)
        if width:
            from tqdm import tqdm

            self._bar = tqdm(total=total or None, desc=f"  {label}", unit="run", file=self.stream, leave=False,
                             ncols=min(width, 120),
                             bar_format="{desc} {bar} {n_fmt}/{total_fmt} runs [{elapsed}{postfix}]")
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    @property
    def reused(self) -> int:
        return sum(self.used.values())

    @property
    def trained(self) -> int:
        return len(self.used) - self.reused

    def eta(self) -> float | None:
        """Seconds left: the mean time per run trained in this sitting × the runs left; before any trained run
        finished, the study's last wall time minus the time spent."""
        left = max(self.total - len(self.used), 0)
        elapsed = time.monotonic() - self.start
        if self.total and not left:
            return 0.0
        if self.trained:
            return elapsed / self.trained * left
        if self.estimate is not None:
            return max(self.estimate - elapsed, 0.0)
        return None

    def _line(self) -> str:
        total = f"/{self.total}" if self.total else ""
        return (f"  {self.label}: {len(self.used)}{total} runs ({self.reused} reused, {self.trained} trained), "
                f"{duration(time.monotonic() - self.start)} elapsed{self._left()}")

    def _left(self) -> str:
        """", about 2 min left", or nothing when there is no estimate or nothing is left."""
        eta = self.eta()
        return "" if eta is None or eta == 0 else f", about {duration(eta)} left"

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        used = read_manifest(self.manifest)
        changed = len(used) != len(self.used)
        self.used = used
        if self._bar is not None:
            self._bar.n = min(len(used), self.total) if self.total else len(used)
            self._bar.set_postfix_str(f"{self.reused} reused{self._left().replace(', about', ', ~')}", refresh=False)
            self._bar.refresh()
        elif changed:
            print(self._line(), file=self.stream, flush=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.poll()
        if self._bar is not None:
            self._bar.close()
