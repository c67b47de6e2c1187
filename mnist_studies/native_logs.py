"""Keep TensorFlow's native start-up lines out of terminals and notebooks.

TensorFlow's C++ layer writes lines such as ``I0000 … port.cc] oneDNN custom operations are on`` and ``Could not
find cuda drivers`` straight to file descriptor 2 while it is imported, whatever ``TF_CPP_MIN_LOG_LEVEL`` says (they
are logged before Abseil's logging is initialised). A Jupyter kernel forwards that descriptor into the notebook, so
they would open every executed notebook. ``install()`` (called when ``mnist_studies`` is imported) makes the first
``import tensorflow`` run with descriptor 2 sent to ``$MNIST_STUDIES_NATIVE_LOG`` (``make reproduce`` points it at
the notebook's log file) or, without it, to ``/dev/null``. Python errors are unaffected: they are exceptions.
Set ``MNIST_STUDIES_NATIVE_LOG=-`` to see the lines.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys

ENV = "MNIST_STUDIES_NATIVE_LOG"


@contextlib.contextmanager
def native_stderr_redirected(target: str | None = None):
    """Send file descriptor 2 to ``target`` (a file, appended to; /dev/null when None) for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    sink = os.open(target or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(sink, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(sink)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` through the other finders and executes it with descriptor 2 redirected."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once is enough; and find_spec below must not find us again
        spec = importlib.util.find_spec(name)
        target_log = os.environ.get(ENV, "").strip()
        if spec is None or spec.loader is None or target_log == "-":
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            with native_stderr_redirected(target_log or None):
                execute(module)

        spec.loader.exec_module = exec_module
        return spec


def install() -> None:
    """Quiet the first ``import tensorflow`` of this process (no-op if it was imported already)."""
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())
