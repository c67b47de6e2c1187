"""Shared fixtures: every test writes run records and figures into its own temporary folders, never the repo."""

import pytest


@pytest.fixture(autouse=True)
def isolated_outputs(tmp_path, monkeypatch):
    """Point MNIST_STUDIES_RESULTS, _RUNS, _FIGURES and _REPORTS at temporary folders (kernels inherit them), and
    let every test start without remembered code fingerprints (``fingerprints.running_code_fingerprint``)."""
    from mnist_studies import fingerprints

    fingerprints.forget_running()
    runs, figures, reports = tmp_path / "runs", tmp_path / "figures", tmp_path / "reports"
    results = tmp_path / "results"
    monkeypatch.setenv("MNIST_STUDIES_RESULTS", str(results))
    monkeypatch.setenv("MNIST_STUDIES_RUNS", str(runs))
    monkeypatch.setenv("MNIST_STUDIES_FIGURES", str(figures))
    monkeypatch.setenv("MNIST_STUDIES_REPORTS", str(reports))
    return {"results": results, "runs": runs, "figures": figures, "reports": reports,
            "report": tmp_path / "REPORT.md"}


@pytest.fixture(scope="session")
def mnist():
    """The verified MNIST arrays, loaded once per session."""
    from mnist_studies.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def models():
    """The shipped page-reader models (digit model, row reader), run by ONNX Runtime, loaded once."""
    from mnist_studies import paths
    from mnist_studies import segmentation as seg

    return (seg.load_digit_model(seg.shipped_path(paths.reader_model_path(), "onnx")),
            seg.load_row_model(seg.shipped_path(paths.row_model_path(), "onnx")))


@pytest.fixture
def fresh_runs(tmp_path, monkeypatch):
    """Call it to point MNIST_STUDIES_RESULTS and _RUNS at new empty folders: a rerun then recomputes everything
    instead of reusing the finished runs' records (the repeatability checks need that)."""
    count = iter(range(1, 1000))

    def switch():
        n = next(count)
        folder = tmp_path / f"runs-rerun-{n}"
        monkeypatch.setenv("MNIST_STUDIES_RUNS", str(folder))
        monkeypatch.setenv("MNIST_STUDIES_RESULTS", str(tmp_path / f"results-rerun-{n}"))
        return folder

    return switch


def same_numbers(first: list[dict], second: list[dict]) -> bool:
    """Metrics and histories of two lists of records, equal to the last digit (timings excluded)."""
    key = lambda records: [(r["name"], r["metrics"], r["history"]) for r in records]  # noqa: E731
    return key(first) == key(second) and all(r["deterministic"] for r in first + second)


def kill_after_epoch(epoch: int):
    """A callback that stops training at the end of ``epoch`` (0-based) like a kill: after the CSV log and the
    other callbacks' per-epoch files, before the backup (``training.fit`` runs ``BackupAndRestore`` last)."""
    import keras

    class KillAfterEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, finished, logs=None):
            if finished == epoch:
                raise KeyboardInterrupt

    return KillAfterEpoch()
