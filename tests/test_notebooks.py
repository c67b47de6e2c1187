"""Every notebook is valid, thin and committed clean, and really executes in the smoke profile."""


import re

import nbformat
import pytest

from mnist_studies import profiles, records, reproduce, stamps
from mnist_studies.progress import read_manifest

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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_unmodified(notebook):
    """JupyterLab rewrites a notebook whose JSON layout or kernel metadata differ from what it would save (and
    marks it modified): committed notebooks are stored exactly as nbformat writes them, with the project kernel
    and the language_info that kernel reports."""
    text = notebook.read_text()
    nb = nbformat.reads(text, as_version=4)
    assert nbformat.writes(nb) + "\n" == text
    assert nb.metadata.kernelspec == {"display_name": "Python (mnist_studies)", "language": "python",
                                      "name": reproduce.KERNEL_NAME}
    assert nb.metadata.language_info["name"] == "python" and nb.metadata.language_info["pygments_lexer"] == "ipython3"
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5) and all(cell.get("id") for cell in nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_in_smoke_profile(notebook, tmp_path, isolated_outputs, monkeypatch):
    manifest = tmp_path / "manifest.jsonl"
    monkeypatch.setenv(records.MANIFEST_ENV, str(manifest))
    out = reproduce.run_notebook(notebook, tmp_path, {"profile": "smoke"})
    assert out == tmp_path / notebook.name and out.exists()
    assert not list(tmp_path.glob("*.partial.ipynb"))
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # the notebook shows the study's output, not TensorFlow's or the kernel's logging (they are in the log file)
    shown = "\n".join(str(o) for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert not re.search(r"[IWE]0000 |oneDNN|cuda drivers|absl::InitializeLog|without encryption", shown)
    assert "Executing Cell" in (tmp_path / f"{notebook.stem}.log").read_text()
    # the progress bar's total (profiles.run_count) is the number of records the study really used
    study = stamps.study_of(notebook)
    assert len(read_manifest(manifest)) == profiles.run_count(study, profiles.get_profile(study, "smoke"))
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
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["99_broken.failed.ipynb", "99_broken.log"]
    assert "boom in cell three" in (tmp_path / "out" / "99_broken.log").read_text()  # the log keeps the story


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
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["98_dies.log"]  # no notebook; the log is kept


@pytest.mark.slow
def test_a_parameter_of_the_wrong_type_fails_with_one_clear_line(tmp_path, isolated_outputs):
    notebook = reproduce.paths.NOTEBOOKS_DIR / "04_digit_pairs.ipynb"
    with pytest.raises(reproduce.NotebookFailed, match=r"ValueError: unknown profile 3; valid profiles: smoke"):
        reproduce.run_notebook(notebook, tmp_path, {"profile": 3})
    assert not (tmp_path / notebook.name).exists() and not isolated_outputs["results"].exists()
