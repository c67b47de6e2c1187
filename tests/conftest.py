"""Shared fixtures: every test writes run records and figures into its own temporary folders, never the repo."""

import pytest


@pytest.fixture(autouse=True)
def isolated_outputs(tmp_path, monkeypatch):
    """Point MNIST_STUDIES_RUNS and MNIST_STUDIES_FIGURES at temporary folders (kernels inherit them too)."""
    runs, figures = tmp_path / "runs", tmp_path / "figures"
    monkeypatch.setenv("MNIST_STUDIES_RUNS", str(runs))
    monkeypatch.setenv("MNIST_STUDIES_FIGURES", str(figures))
    return {"runs": runs, "figures": figures}


@pytest.fixture(scope="session")
def mnist():
    """The verified MNIST arrays, loaded once per session."""
    from mnist_studies.data import load_mnist

    return load_mnist()
