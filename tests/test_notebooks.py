"""Every notebook is valid, thin and committed clean, and really executes in the smoke profile."""


import nbformat
import pytest

from mnist_studies import reproduce

NOTEBOOKS = reproduce.list_notebooks()


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_mnist_data.ipynb"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_with_one_parameters_cell_and_no_outputs(notebook):
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    assert 'profile: str = "quick"' in tagged[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "commit notebooks without outputs"
            assert "%autoreload" not in cell.source


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_in_smoke_profile(notebook, tmp_path, isolated_outputs):
    out = reproduce.run_notebook(notebook, tmp_path, {"profile": "smoke"})
    assert out == tmp_path / notebook.name and out.exists()
    assert not list(tmp_path.glob("*.partial.ipynb"))
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = list((isolated_outputs["figures"] / "smoke").glob(f"{notebook.name[:2]}_*.png"))
    assert figures, "every notebook saves its figures under figures/<profile>/"


@pytest.mark.slow
def test_a_failing_notebook_is_reported_by_cell_and_leaves_no_finished_copy(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('profile = "quick"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('fine')"),
        nbformat.v4.new_code_cell("raise ValueError('boom in cell three')"),
    ]
    source = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, source)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "99_broken.ipynb").write_text("stale")  # a finished copy from an earlier run
    with pytest.raises(reproduce.NotebookFailed, match=r"99_broken\.ipynb failed in cell 4 \(ValueError: boom"):
        reproduce.run_notebook(source, tmp_path / "out", {"profile": "smoke"})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["99_broken.failed.ipynb"]


def test_reproduce_refuses_an_unknown_profile(capsys):
    assert reproduce.main(["--profile", "fast"]) == 2
    assert "unknown profile 'fast'; valid profiles: smoke, quick, paper" in capsys.readouterr().err


@pytest.mark.slow
def test_a_dying_kernel_is_reported_and_leaves_nothing_half_written(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('profile = "quick"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os; os._exit(9)  # like the out-of-memory killer")]
    source = tmp_path / "98_dies.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(reproduce.NotebookFailed, match=r"98_dies\.ipynb did not finish"):
        reproduce.run_notebook(source, tmp_path / "out", {"profile": "smoke"})
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_a_parameter_of_the_wrong_type_fails_with_one_clear_line(tmp_path, isolated_outputs):
    notebook = reproduce.paths.NOTEBOOKS_DIR / "04_digit_pairs.ipynb"
    with pytest.raises(reproduce.NotebookFailed, match=r"ValueError: unknown profile 3; valid profiles: smoke"):
        reproduce.run_notebook(notebook, tmp_path, {"profile": 3})
    assert not (tmp_path / notebook.name).exists() and not isolated_outputs["runs"].exists()
