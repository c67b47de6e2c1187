"""Headless runner behind ``make reproduce``: execute every ``notebooks/NN_*.ipynb`` in order with papermill.

    python -m mnist_studies.reproduce --profile quick [--only 01 --only 03] [--output-dir outputs/quick]

Each notebook gets ``profile`` as a papermill parameter and runs on the project kernel. The executed copy is
written as ``NAME.partial.ipynb`` and renamed to ``NAME.ipynb`` only when every cell succeeded; a failing notebook
is kept as ``NAME.failed.ipynb`` (with its traceback) and the runner stops with a message naming notebook and cell.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from mnist_studies import paths
from mnist_studies.profiles import PROFILE_NAMES, check_profile_name

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_studies.reproduce", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILE_NAMES)} (default: quick)")
    parser.add_argument("--only", action="append", help="run only notebooks whose name starts with this (repeatable)")
    parser.add_argument("--output-dir", type=Path, help="where executed notebooks go (default: outputs/<profile>)")
    args = parser.parse_args(argv)
    try:
        profile = check_profile_name(args.profile)
        notebooks = list_notebooks(args.only)
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
        start = time.perf_counter()
        try:
            out = run_notebook(notebook, output_dir, {"profile": profile})
        except NotebookFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"[{i}/{len(notebooks)}] {notebook.name} done in {time.perf_counter() - start:.0f} s -> {out}")
    print(f"All {len(notebooks)} notebook(s) done in {time.perf_counter() - total:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
