"""The engine of ``make reproduce`` and ``make status``: what reruns after which edit, stamps, progress, quiet output,
failures and bad input."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from mnist_studies import fingerprints, paths, profiles, records, reproduce, stamps, status
from mnist_studies.progress import StudyProgress, read_manifest
from mnist_studies.studies import NOTEBOOK_STUDIES

# the module whose import closure each kind of run's record is checked against
RUN_MODULES = {
    "separate_kernels": "mnist_studies.studies.separate_kernels",
    "resnet": "mnist_studies.studies.resnet",
    "training_choices": "mnist_studies.studies.training_choices",
    "digit_pairs": "mnist_studies.studies.digit_pairs",
    "lenet5 networks": "mnist_studies.studies.lenet5",
    "lenet5 pages": "mnist_studies.studies.page_reading",
}


# ---------------------------------------------------------------------------------------------------------------
# Run fingerprints: an edit makes stale exactly the runs that can execute it
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the package that ``fingerprints`` hashes instead of the real one (edits stay in the copy)."""
    root = tmp_path / "copy" / "mnist_studies"
    shutil.copytree(fingerprints.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprints, "PACKAGE_DIR", root)
    return root


def _run_fingerprints():
    return {kind: fingerprints.code_fingerprint(module) for kind, module in RUN_MODULES.items()}


def _edit(path):
    path.write_text(path.read_text() + "\n# an edit\n")


def _stale_after(edit, package_copy):
    before = _run_fingerprints()
    _edit(package_copy / edit)
    after = _run_fingerprints()
    return {kind for kind in RUN_MODULES if before[kind] != after[kind]}


def test_a_page_reader_edit_makes_only_the_page_evaluation_stale(package_copy):
    assert _stale_after("segmentation/__init__.py", package_copy) == {"lenet5 pages"}


def test_a_training_edit_makes_every_training_run_stale(package_copy):
    assert _stale_after("training.py", package_copy) == set(RUN_MODULES)


def test_a_docstring_edit_leaves_every_run_current_but_a_code_edit_beside_it_does_not(package_copy):
    path = package_copy / "training.py"
    source = path.read_text()
    docstring = '"""The training core'
    assert docstring in source
    before = _run_fingerprints()
    path.write_text(source.replace(docstring, '"""Shared training helpers,\n\nrewritten over two more lines.', 1))
    assert _run_fingerprints() == before
    path.write_text(source.replace(docstring, 'RATE = 1\n' + docstring, 1))
    assert _run_fingerprints()["digit_pairs"] != before["digit_pairs"]


def test_without_docstrings_keeps_strings_that_are_code():
    source = 'def f():\n    """Doc."""\n    x = "kept"\n    return x\n\n\ndef g(): """inline, kept"""\n'
    assert fingerprints.without_docstrings(source) == (
        'def f():\n    x = "kept"\n    return x\n\n\ndef g(): """inline, kept"""\n')


def test_a_study_module_edit_makes_only_that_study_stale(package_copy):
    assert _stale_after("studies/digit_pairs.py", package_copy) == {"digit_pairs"}
    # the page evaluation runs the LeNet-5 study's code (its model comes from there), so both are stale
    assert _stale_after("studies/lenet5.py", package_copy) == {"lenet5 networks", "lenet5 pages"}


@pytest.mark.parametrize("edit", ["plotting/lenet5.py", "plotting/__init__.py", "report.py", "reproduce.py",
                                  "status.py", "profiles.py", "claims/__init__.py", "claims/lenet5.py",
                                  "claims/digit_pairs.py", "records.py", "benchmark.py"])
def test_figure_report_and_runner_edits_leave_every_run_current(edit, package_copy):
    assert _stale_after(edit, package_copy) == set()


def test_a_figure_edit_changes_only_the_figures_of_the_notebooks_that_draw_it(package_copy):
    lenet = {"mnist_studies.plotting.lenet5"}
    pairs = {"mnist_studies.plotting.digit_pairs"}
    before = fingerprints.figure_files(lenet), fingerprints.figure_files(pairs)
    _edit(package_copy / "plotting" / "lenet5.py")
    assert fingerprints.figure_files(lenet) != before[0] and fingerprints.figure_files(pairs) == before[1]


def test_a_new_benchmark_result_redraws_only_the_notebook_that_draws_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)  # where FIGURE_DATA's patterns are looked up
    result = tmp_path / "benchmarks" / "results" / "pages-some-cpu.json"
    result.parent.mkdir(parents=True)
    result.write_text('{"overall": 0.95}')
    pages, pairs = (paths.NOTEBOOKS_DIR / name for name in ("05_lenet5_and_page_recognition.ipynb",
                                                             "04_digit_pairs.ipynb"))
    before = stamps.study_inputs(pages, "smoke"), stamps.study_inputs(pairs, "smoke")
    assert "benchmarks/results/pages-some-cpu.json" in before[0]["figures"]
    result.write_text('{"overall": 0.98}')  # make bench-pages measured again
    after = stamps.study_inputs(pages, "smoke"), stamps.study_inputs(pairs, "smoke")
    assert stamps.changed(before[0]["figures"], after[0]["figures"]) == ["benchmarks/results/pages-some-cpu.json"]
    assert after[0]["results"] == before[0]["results"] and after[1] == before[1]


def test_a_new_shipped_model_redraws_the_notebooks_that_read_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)
    model = tmp_path / "mnist_studies" / "segmentation" / "shipped" / "digit_reader.onnx"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"one model")
    pages, yours, pairs = (paths.NOTEBOOKS_DIR / name for name in (
        "05_lenet5_and_page_recognition.ipynb", "06_read_your_pages.ipynb", "04_digit_pairs.ipynb"))
    before = [stamps.study_inputs(notebook, "smoke") for notebook in (pages, yours, pairs)]
    model.write_bytes(b"another model")  # make reader-model shipped a new one
    after = [stamps.study_inputs(notebook, "smoke") for notebook in (pages, yours, pairs)]
    name = "mnist_studies/segmentation/shipped/digit_reader.onnx"
    for old, new in zip(before[:2], after[:2]):
        assert stamps.changed(old["figures"], new["figures"]) == [name] and old["results"] == new["results"]
    assert after[2] == before[2]


def test_records_written_after_a_mid_run_edit_carry_the_loaded_codes_fingerprint(package_copy, isolated_outputs):
    fingerprints.forget_running()
    before = fingerprints.running_code_fingerprint("mnist_studies.studies.lenet5")  # the study starts
    _edit(package_copy / "studies" / "lenet5.py")  # someone edits it while it trains
    record = records.make_record(study="lenet5", profile="smoke", name="leakyrelu-seed0", seed=0, config={},
                                 metrics={})
    assert record["code_fingerprint"] == before != fingerprints.code_fingerprint("mnist_studies.studies.lenet5")
    assert not records.is_current(record)  # the next run retrains it with the edited code


def test_code_edited_before_its_first_record_marks_the_records_never_reusable(monkeypatch):
    """The first record of a study may be written an hour after its code loaded: an edit in between cannot be told
    from the code that ran, so the fingerprint is marked and no later run reuses the record."""
    module = "mnist_studies.studies.lenet5"
    fingerprints.forget_running()
    monkeypatch.setattr(fingerprints, "LOADED_AT", 0.0)  # every file changed after this process loaded code
    marked = fingerprints.running_code_fingerprint(module)
    assert marked == fingerprints.code_fingerprint(module) + fingerprints.EDITED_WHILE_RUNNING
    fingerprints.forget_running()
    monkeypatch.setattr(fingerprints, "LOADED_AT", time.time() + 3600)  # nothing changed since
    assert fingerprints.running_code_fingerprint(module) == fingerprints.code_fingerprint(module)
    fingerprints.forget_running()


def test_the_import_closure_follows_imports_inside_functions_and_relative_ones():
    assert "mnist_studies.segmentation" in fingerprints.imports_of_source(
        "def f():\n    from mnist_studies import segmentation\n")
    found = fingerprints.imports_of_source("from . import rows\n", module="mnist_studies.segmentation")
    assert "mnist_studies.segmentation.rows" in found
    with pytest.raises(ValueError, match="no such module in the project: mnist_studies.nowhere"):
        fingerprints.import_closure("mnist_studies.nowhere")


def test_a_record_is_reused_only_while_its_config_and_its_own_code_are_unchanged(isolated_outputs, monkeypatch):
    def write(name, code=None):
        records.write_record(records.make_record(study="lenet5", profile="smoke", name=name, seed=0,
                                                 config={"epochs": 1}, metrics={}, code=code))

    write("leakyrelu-seed0")
    write("pages", code="mnist_studies.studies.page_reading")
    assert records.completed("lenet5", "smoke", "leakyrelu-seed0", {"epochs": 1})
    assert not records.completed("lenet5", "smoke", "leakyrelu-seed0", {"epochs": 2})  # other settings
    assert not records.completed("lenet5", "smoke", "pages", {"epochs": 1})  # made by other code than asked
    assert records.completed("lenet5", "smoke", "pages", {"epochs": 1}, code="mnist_studies.studies.page_reading")
    real = fingerprints.code_fingerprint
    monkeypatch.setattr(fingerprints, "code_fingerprint",  # the page reader was edited
                        lambda *m: "edited" if m == ("mnist_studies.studies.page_reading",) else real(*m))
    fingerprints.forget_running()  # a new process, that loads the edited code
    assert records.completed("lenet5", "smoke", "leakyrelu-seed0", {"epochs": 1})
    assert not records.completed("lenet5", "smoke", "pages", {"epochs": 1}, code="mnist_studies.studies.page_reading")


# ---------------------------------------------------------------------------------------------------------------
# Study plans and stamps
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def notebook(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    copy = folder / "04_digit_pairs.ipynb"
    shutil.copy(paths.NOTEBOOKS_DIR / copy.name, copy)
    return copy


def _fake_run(out, notebook, used=("cv-Simple-lr0.001",)):
    """Stands in for papermill: notes ``used`` records in the manifest like a study would, writes the copy."""
    def run(nb, output_dir, parameters, **kwargs):
        for name in used:
            record = records.make_record(study="digit_pairs", profile=parameters["profile"], name=name, seed=0,
                                         config={}, metrics={})
            if records.record_path("digit_pairs", parameters["profile"], name).exists():
                records.note_used(record, reused=True)
            else:
                records.write_record(record)
        (output_dir / nb.name).write_text("{}")
        return output_dir / nb.name
    return run


def test_plans_after_each_kind_of_edit(isolated_outputs, notebook, tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    out.mkdir()
    assert reproduce.plan(notebook, "quick", out).action == "new"
    monkeypatch.setattr(reproduce, "run_notebook", _fake_run(out, notebook))
    assert reproduce.run_study_notebook(notebook, "quick", out).action == "new"
    assert reproduce.plan(notebook, "quick", out).action == "skip"
    assert reproduce.plan(notebook, "quick", out, force=True).action == "force"

    original = notebook.read_text()
    code = "results = study.run_study(cfg, device=device)"
    notebook.write_text(original.replace(code, code.replace("device=device", "device='cpu'"), 1))
    p = reproduce.plan(notebook, "quick", out)
    assert p.action == "update" and p.reasons == ["04_digit_pairs.ipynb (code cells)"]
    notebook.write_text(original.replace("# 04 · Digit pairs", "# 04 · Digit pairs!", 1))
    assert reproduce.plan(notebook, "quick", out).action == "redraw"  # text only: rerun on the records
    notebook.write_text(original)
    assert reproduce.plan(notebook, "quick", out).action == "skip"

    real = fingerprints.code_files
    with monkeypatch.context() as patch:  # a source file the study can execute was edited
        patch.setattr(fingerprints, "code_files",
                      lambda *m: {**real(*m), "mnist_studies/training.py": "edited"})
        p = reproduce.plan(notebook, "quick", out)
        assert p.action == "update" and p.reasons == ["mnist_studies/training.py"]
        assert "changed: mnist_studies/training.py" in reproduce.describe(p)
    with monkeypatch.context() as patch:  # a figure module was edited
        patch.setattr(fingerprints, "figure_files", lambda modules=None: {"mnist_studies/plotting/x.py": "edited"})
        assert reproduce.plan(notebook, "quick", out).action == "redraw"
    changed = json.loads(json.dumps(profiles.PROFILES))
    changed["digit_pairs"]["quick"]["runs"] = 3
    with monkeypatch.context() as patch:
        patch.setattr(profiles, "PROFILES", changed)
        p = reproduce.plan(notebook, "quick", out)
        assert p.action == "update" and p.reasons == ["profile quick of digit_pairs (mnist_studies/profiles.py)"]
    (out / notebook.name).unlink()  # the executed notebook is gone: redrawn from the records
    assert reproduce.plan(notebook, "quick", out).action == "redraw"
    records.record_path("digit_pairs", "quick", "cv-Simple-lr0.001").unlink()  # a record deleted by hand
    p = reproduce.plan(notebook, "quick", out)
    assert p.action == "update" and len(p.reasons) == 1  # named by its file (under the isolated results folder)
    assert p.reasons[0].endswith("digit_pairs/cv-Simple-lr0.001.json (missing)")
    assert reproduce.run_study_notebook(notebook, "quick", out).used == {"cv-Simple-lr0.001": False}  # recomputed


def test_an_interrupted_study_resumes_keeps_its_time_and_prunes_records_of_other_settings(
        isolated_outputs, notebook, tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    out.mkdir()
    stale = records.record_path("digit_pairs", "quick", "cv-Simple-lr0.1")  # from settings since changed
    records.write_record(records.make_record(study="digit_pairs", profile="quick", name="cv-Simple-lr0.1", seed=0,
                                             config={}, metrics={}))

    def killed(*args, **kwargs):
        assert stamps.read_stamp("digit_pairs", "quick")["state"] == "running"
        records.write_record(records.make_record(study="digit_pairs", profile="quick", name="cv-Simple-lr0.001",
                                                 seed=0, config={}, metrics={}))
        raise reproduce.NotebookFailed("04_digit_pairs.ipynb did not finish (DeadKernelError: killed)")

    monkeypatch.setattr(reproduce, "run_notebook", killed)
    with pytest.raises(reproduce.NotebookFailed):
        reproduce.run_study_notebook(notebook, "quick", out)
    stamp = stamps.read_stamp("digit_pairs", "quick")
    assert stamp["state"] == "running" and stamp["spent_seconds"] >= 0
    assert reproduce.plan(notebook, "quick", out).action == "resume"
    assert stale.exists()  # nothing is removed before the study finished

    monkeypatch.setattr(reproduce, "run_notebook", _fake_run(out, notebook, ("cv-Simple-lr0.001", "tuning-Simple")))
    outcome = reproduce.run_study_notebook(notebook, "quick", out)
    assert outcome.action == "resume" and outcome.used == {"cv-Simple-lr0.001": True, "tuning-Simple": False}
    assert not stale.exists()  # the finished study did not use it: removed, the report will not see it
    stamp = stamps.read_stamp("digit_pairs", "quick")
    assert (stamp["state"], stamp["runs"], stamp["reused"]) == ("done", 2, 1)
    assert not (paths.results_dir("digit_pairs", "quick") / reproduce.MANIFEST_NAME).exists()
    # a redraw reuses every run and keeps the study's wall time (its cost, not the redraw's)
    stamps.write_stamp("digit_pairs", "quick", {**stamp, "wall_seconds": 1234.0})
    (out / notebook.name).unlink()
    assert reproduce.run_study_notebook(notebook, "quick", out).action == "redraw"
    assert stamps.read_stamp("digit_pairs", "quick")["wall_seconds"] == 1234.0
    # FORCE=1 reuses nothing
    assert reproduce.run_study_notebook(notebook, "quick", out, force=True).used == {
        "cv-Simple-lr0.001": False, "tuning-Simple": False}


def test_a_rerun_that_reuses_every_run_leaves_the_committed_stamp_as_it_was(isolated_outputs, notebook, tmp_path,
                                                                           monkeypatch):
    out = tmp_path / "outputs"
    out.mkdir()
    monkeypatch.setattr(reproduce, "run_notebook", _fake_run(out, notebook))
    reproduce.run_study_notebook(notebook, "quick", out)
    path = stamps.stamp_path("digit_pairs", "quick")
    committed = path.read_bytes()
    assert not {"pid", "host", "started", "finished", "reused"} & set(json.loads(committed))  # in runs/ instead
    (out / notebook.name).unlink()  # a fresh clone has no executed notebook: the study is redrawn, nothing trained
    assert reproduce.plan(notebook, "quick", out).action == "redraw"
    reproduce.run_study_notebook(notebook, "quick", out)
    assert path.read_bytes() == committed
    assert stamps.read_stamp("digit_pairs", "quick")["reused"] == 1  # this sitting's counts, from runs/


def test_a_damaged_stamp_is_set_aside_with_a_notice(isolated_outputs, notebook, tmp_path):
    path = stamps.stamp_path("digit_pairs", "quick")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(stamps.StampError, match=r"digit_pairs/reproduce.stamp: damaged stamp .* delete it"):
        stamps.read_stamp("digit_pairs", "quick")
    p = reproduce.plan(notebook, "quick", tmp_path)
    assert p.action == "new" and "damaged stamp" in p.notice


def test_unknown_only_patterns_and_profiles_get_one_line(capsys):
    assert reproduce.main(["--profile", "smoke", "--only", "07"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no notebook in" in err and "'07'; valid: 00 (mnist_data), 01" in err
    assert status.main(["--profile", "fast"]) == 2
    assert "unknown profile 'fast'; valid profiles: smoke, quick, paper" in capsys.readouterr().err


def test_progress_counts_trained_and_reused_runs_and_prints_plain_lines_without_a_terminal(tmp_path):
    import io

    manifest = tmp_path / "m.jsonl"
    stream = io.StringIO()
    progress = StudyProgress("04 digit_pairs", manifest, 4, estimate=100.0, stream=stream, interval=3600)
    manifest.write_text('{"name": "a", "reused": true}\n{"name": "b", "reused": false}\n{"name": "a", "reused": true}'
                        '\n{"name": "c", "rea')  # a torn last line, as while the kernel writes it
    progress.poll()
    progress.close()
    assert read_manifest(manifest) == {"a": True, "b": False}
    assert "04 digit_pairs: 2/4 runs (1 reused, 1 trained)" in stream.getvalue() and "left" in stream.getvalue()


def test_progress_says_nothing_of_the_time_left_when_it_has_no_estimate_or_nothing_is_left(tmp_path):
    import io

    manifest = tmp_path / "m.jsonl"
    for total, lines, estimate in ((2, '{"name": "a", "reused": true}\n', None),  # reused, no estimate: no "?"
                                   (1, '{"name": "a", "reused": true}\n', 100.0)):  # all done: nothing left
        stream = io.StringIO()
        progress = StudyProgress("02 resnet", manifest, total, estimate=estimate, stream=stream, interval=3600)
        manifest.write_text(lines)
        progress.poll()
        progress.close()
        assert "runs (1 reused, 0 trained)" in stream.getvalue()
        assert "left" not in stream.getvalue() and "?" not in stream.getvalue(), stream.getvalue()


def test_files_the_project_writes_are_readable_by_others(isolated_outputs, tmp_path):
    import matplotlib.pyplot as plt

    from mnist_studies import plotting

    old = os.umask(0o022)
    try:
        figure = plotting.save_figure(plt.figure(), "99_test", "smoke", show=False)
        record = records.write_json_atomic({"a": 1}, tmp_path / "r.json")
    finally:
        os.umask(old)
    assert figure.stat().st_mode & 0o777 == 0o644 and record.stat().st_mode & 0o777 == 0o644


# ---------------------------------------------------------------------------------------------------------------
# make status
# ---------------------------------------------------------------------------------------------------------------


def test_status_names_states_runs_and_estimates_without_running_anything(isolated_outputs, notebook, tmp_path,
                                                                         monkeypatch, capsys):
    out = tmp_path / "outputs"
    out.mkdir()
    monkeypatch.setattr(reproduce, "run_notebook", _fake_run(out, notebook))
    row = status.study_status(notebook, "quick", out)
    assert row.state == "never run" and row.current_runs == 0
    assert row.planned_runs == profiles.run_count("digit_pairs", profiles.get_profile("digit_pairs", "quick"))
    reproduce.run_study_notebook(notebook, "quick", out)
    stamp = stamps.read_stamp("digit_pairs", "quick")
    stamps.write_stamp("digit_pairs", "quick", {**stamp, "wall_seconds": 600.0})
    row = status.study_status(notebook, "quick", out)
    assert (row.state, row.current_runs, row.last_wall, row.to_finish) == ("up to date", 1, 600.0, 0.0)
    real = fingerprints.code_files
    monkeypatch.setattr(fingerprints, "code_files", lambda *m: {**real(*m), "mnist_studies/training.py": "edited"})
    row = status.study_status(notebook, "quick", out)
    assert row.state == "stale (changed: mnist_studies/training.py)"
    assert (row.current_runs, row.to_finish) == (0, 600.0)  # the record was made by the old training code
    text = status.format_table([row])
    assert "04_digit_pairs" in text and "stale (changed: mnist_studies/training.py)" in text


def test_make_status_answers_in_a_fresh_interpreter_without_tensorflow(isolated_outputs):
    code = ("import sys; from mnist_studies import status; rc = status.main(['--profile', 'quick']); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'status imported TensorFlow'; "
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "05_lenet5_and_page_recognition" in done.stdout and "never run" in done.stdout


# ---------------------------------------------------------------------------------------------------------------
# The terminal: quiet, with progress, and a useful failure
# ---------------------------------------------------------------------------------------------------------------


LOG_NOISE = re.compile(r"[IWE]0000 |oneDNN|cuda drivers|absl::InitializeLog|without encryption|Executing Cell")


@pytest.mark.slow
def test_make_reproduce_is_quiet_shows_progress_and_keeps_the_log(isolated_outputs, tmp_path):
    out = tmp_path / "outputs"
    command = [sys.executable, "-m", "mnist_studies.reproduce", "--profile", "smoke", "--only", "05",
               "--output-dir", str(out), "--no-report"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    terminal = done.stdout + done.stderr
    assert done.returncode == 0, terminal[-3000:]
    assert not LOG_NOISE.search(terminal), terminal
    lines = terminal.splitlines()
    runs = profiles.run_count("lenet5", profiles.get_profile("lenet5", "smoke"))  # 2 steps, 2 rates, the pages
    assert runs == 5 and lines[1].startswith(f"[1/1] 05_lenet5_and_page_recognition: never run; {runs} runs")
    assert any(re.search(rf"05 lenet5: \d/{runs} runs \(0 reused, \d trained\), .* elapsed, about .* left", line)
               for line in lines)
    assert "done in" in lines[-2] and f"{runs} runs (0 reused, {runs} trained)" in lines[-2]
    log = (out / "05_lenet5_and_page_recognition.log").read_text()
    # what the terminal does not show is in the log: papermill's cells and TensorFlow's native lines (which ones
    # depends on the machine: "oneDNN custom operations are on" only on CPUs with the instructions it uses)
    assert "Executing Cell" in log and re.search(r"[IWE]0000 ", log)
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert "05_lenet5_and_page_recognition: up to date" in again.stdout


@pytest.mark.slow
def test_a_failing_cell_is_shown_with_its_error_and_the_log(tmp_path, monkeypatch, capsys):
    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('profile = "quick"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("def check(x):\n    raise ValueError(f'bad value {x}')\ncheck(7)")]
    nbformat.write(nb, folder / "00_mnist_data.ipynb")
    monkeypatch.setattr(reproduce, "list_notebooks", lambda only=None: [folder / "00_mnist_data.ipynb"])
    assert reproduce.main(["--profile", "smoke", "--output-dir", str(tmp_path / "out"), "--no-report"]) == 1
    err = capsys.readouterr().err
    assert "00_mnist_data.ipynb failed in cell 3 (ValueError: bad value 7)" in err
    assert "check(7)" in err and "ValueError: bad value 7" in err.split("error:")[-1]
    assert "00_mnist_data.log" in err and (tmp_path / "out" / "00_mnist_data.failed.ipynb").exists()


def test_lower_layers_never_import_higher_ones():
    tools = {"mnist_studies.report", "mnist_studies.reproduce", "mnist_studies.status", "mnist_studies.benchmark"}
    assert not fingerprints.imports_of_module("mnist_studies.report") & tools  # the report needs no runner
    low = ["claims", "fingerprints", "stamps", "records", "progress", "paths", "profiles", "training", "data"]
    studies = [f"studies.{s}" for s, _ in NOTEBOOK_STUDIES.values()] + ["studies.page_reading"]
    for module in low + studies:
        assert not fingerprints.imports_of_module(f"mnist_studies.{module}") & tools, module
