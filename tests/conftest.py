"""Shared fixtures: every test writes run records and figures into its own temporary folders, never the repo."""

import pytest


@pytest.fixture(autouse=True)
def isolated_outputs(tmp_path, monkeypatch):
    """Point MNIST_STUDIES_RUNS, _FIGURES and _REPORTS at temporary folders (kernels inherit them too)."""
    runs, figures, reports = tmp_path / "runs", tmp_path / "figures", tmp_path / "reports"
    monkeypatch.setenv("MNIST_STUDIES_RUNS", str(runs))
    monkeypatch.setenv("MNIST_STUDIES_FIGURES", str(figures))
    monkeypatch.setenv("MNIST_STUDIES_REPORTS", str(reports))
    return {"runs": runs, "figures": figures, "reports": reports, "report": tmp_path / "REPORT.md"}


@pytest.fixture(scope="session")
def mnist():
    """The verified MNIST arrays, loaded once per session."""
    from mnist_studies.data import load_mnist

    return load_mnist()
