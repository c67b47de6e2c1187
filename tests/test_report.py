"""The claims report (``mnist_studies.report``) and the up-to-date check of ``make reproduce``."""

import json
import shutil

import pytest

from mnist_studies import paths, profiles, records, report, reproduce
from mnist_studies.studies import digit_pairs, lenet5, separate_kernels


def _write(study, name, metrics, config=None, profile="quick", extra=None):
    record = records.make_record(study=study, profile=profile, name=name, seed=0, config=config or {},
                                 metrics=metrics, device="CPU: test", extra=extra)
    records.write_record(record)
    return record


def _handmade_records():
    # 004: the improved LeNet-5 at 0.90% and 1.00% error (mean 0.95 <= 1.06: reproduced); pages at 85% (not)
    for seed, error in enumerate((0.90, 1.00)):
        _write("lenet5", f"leakyrelu-seed{seed}", {"test_error_percent": error, "parameters": 1},
               {"step": lenet5.IMPROVED_STEP})
    _write("lenet5", "pages", {"digit_accuracy": 0.85, "digits": 200, "pages": 10})
    # 000: a single seed cannot be tested
    _write("separate_kernels", "sigmoid-seed0", {"gain_points": 2.0}, {"activation": "sigmoid"})
    # 003: only the digit model's evaluation ran: Table II test at 97.0 (within 2 points of 97.8: reproduced)
    for run, accuracy in enumerate((0.97, 0.97)):
        _write("digit_pairs", f"eval-Digit-run{run}", {"test_accuracy": accuracy, "train_accuracy": 1.0},
               extra={"model": "Digit"})


def _rows(data, study):
    return {row["claim"]: row for row in data["studies"][study]["claims"]}


def test_report_from_handmade_records(isolated_outputs):
    _handmade_records()
    data = report.measure_profile("quick")
    assert set(data["studies"]) == {"lenet5", "separate_kernels", "digit_pairs"}  # 001, 002: no records
    lenet = list(_rows(data, "lenet5").values())
    assert lenet[0]["verdict"] == report.REPRODUCED and lenet[0]["n"] == 2 and lenet[0]["ours"] == "0.95 ± 0.07%"
    assert lenet[1]["verdict"] == report.NOT_REPRODUCED
    assert list(_rows(data, "separate_kernels").values())[0]["verdict"] == report.INCONCLUSIVE
    pairs = _rows(data, "digit_pairs")
    assert pairs["Digit: test accuracy over 10 runs"]["verdict"] == report.REPRODUCED
    assert pairs["Digit: test accuracy over 10 runs"]["ours"] == "97.0 ± 0.0%"
    assert pairs["Simple: test accuracy over 10 runs"]["verdict"] == report.NOT_RUN  # no runs of this model
    assert pairs["Simple: best learning rate and its mean validation accuracy"]["verdict"] == report.NOT_RUN

    text = report.render({"quick": data})
    assert "| 001 | 2 | 0 / 0 / 0 / 0 / 2 |" in text  # the study that did not run: every claim "not run"
    assert "| 004 | 2 | 1 / 0 / 1 / 0 / 0 |" in text
    assert "0.95 ± 0.07% (n = 2) | reproduced, reduced |" in text  # quick is a reduced profile and says so
    assert "- **quick**: 3 run records" in text and "device CPU: test" in text
    assert "incomplete" not in text  # no stamp at all: records written by hand or by a notebook opened directly


def test_a_study_whose_reproduce_has_not_finished_is_marked_incomplete(isolated_outputs):
    _handmade_records()
    reproduce.write_stamp("lenet5", "quick", fingerprint="x", state="running")
    reproduce.write_stamp("digit_pairs", "quick", fingerprint="y", state="done", wall_seconds=120)
    data = report.measure_profile("quick")
    assert not data["studies"]["lenet5"]["complete"] and data["studies"]["digit_pairs"]["complete"]
    text = report.render({"quick": data})
    lenet_line = next(line for line in text.splitlines() if "**incomplete**" in line)
    assert "make reproduce PROFILE=quick ONLY=05" in lenet_line and "wall time –" in lenet_line
    assert text.count("**incomplete**") == 1  # 003 finished: wall time shown, not marked
    assert "wall time 2.0 min" in text


def test_write_report_keeps_the_other_profiles_and_studies(isolated_outputs):
    _handmade_records()
    out = report.write_report("quick")
    assert out == isolated_outputs["report"] and "## M. Lu, N. Ke" in out.read_text()
    saved = json.loads((isolated_outputs["reports"] / "quick.json").read_text())
    # a later run with the records of one study only keeps the other studies' entries
    shutil.rmtree(paths.runs_dir("separate_kernels", "quick"))
    report.write_report("quick")
    again = json.loads((isolated_outputs["reports"] / "quick.json").read_text())
    assert again["studies"]["separate_kernels"] == saved["studies"]["separate_kernels"]
    # a paper-profile report sits beside it: two column groups, each labelled
    _write("lenet5", "pages", {"digit_accuracy": 0.95, "digits": 500, "pages": 30}, profile="paper")
    text = report.write_report("paper").read_text()
    assert "quick (reduced settings)" in text and "paper (the paper's settings)" in text
    assert "| verdict, quick |" in text and "| verdict, paper |" in text
    assert "95.0% of 500 digits on 30 pages | reproduced |" in text  # paper profile: no "reduced" mark


def test_a_damaged_record_stops_the_report_naming_the_file(isolated_outputs, capsys):
    _handmade_records()
    path = records.record_path("lenet5", "quick", "pages")
    path.write_text(path.read_text()[:40])  # truncated, as by a full disk
    assert report.main(["--profile", "quick"]) == 2
    assert "pages.json" in capsys.readouterr().err
    assert not isolated_outputs["report"].exists()  # nothing half-written


def test_verdict_rules_at_their_boundaries():
    assert report.within(97.8, 98.0, 0.2) == report.REPRODUCED
    assert report.within(97.79, 98.0, 0.2) == report.NOT_REPRODUCED
    assert lenet5.error_verdict(lenet5.PAPER_ERROR + 0.2) == "reproduced"
    assert lenet5.error_verdict(lenet5.PAPER_ERROR + 0.21) == "not reproduced"
    assert lenet5.page_verdict(92.01) == "reproduced" and lenet5.page_verdict(92.0) == "not reproduced"  # "above"
    assert digit_pairs.reproduces(76.4, 80.2, 1.9) and not digit_pairs.reproduces(76.39, 80.2, 1.9)
    assert separate_kernels.verdict([2.0, 2.1, 1.9]) == "reproduced"
    assert separate_kernels.verdict([0.5, 0.6, 0.4]).startswith("partly")
    assert separate_kernels.verdict([1.0, -1.0, 0.1]).startswith("inconclusive")  # 95% CI reaches +2.5 points
    assert separate_kernels.verdict([0.3, 0.4, 0.5]).startswith("partly")  # significant, below 1 point
    assert separate_kernels.verdict([0.1, -0.1, 0.05, -0.05]) == "not reproduced"  # CI well below 1 point
    with pytest.raises(ValueError, match="unknown verdict"):
        report.Measurement("1", 1, "roughly")


def test_every_study_with_a_paper_declares_its_claims():
    counts = {study: len(report.study_claims(study)) for study, paper in
              reproduce.NOTEBOOK_STUDIES.values() if paper}
    assert counts == {"separate_kernels": 1, "resnet": 2, "training_choices": 5, "digit_pairs": 24, "lenet5": 2}


# ---------------------------------------------------------------------------------------------------------------
# Up-to-date check
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def notebook(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    copy = folder / "04_digit_pairs.ipynb"
    shutil.copy(paths.NOTEBOOKS_DIR / copy.name, copy)
    return copy


def _finish(notebook, output_dir, profile="quick"):
    """What a successful run leaves: a done stamp and the executed copy."""
    reproduce.write_stamp("digit_pairs", profile, fingerprint=reproduce.fingerprint(notebook, profile),
                          figures_fingerprint=reproduce.figures_fingerprint(notebook), state="done")
    output_dir.mkdir(exist_ok=True)
    (output_dir / notebook.name).write_text("{}")


def test_an_unchanged_study_is_skipped_and_a_changed_one_rerun(isolated_outputs, notebook, tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    assert reproduce.plan(notebook, "quick", out) == "fresh"  # never ran
    _finish(notebook, out)
    assert reproduce.plan(notebook, "quick", out) == "skip"
    assert reproduce.plan(notebook, "quick", out, force=True) == "fresh"  # FORCE=1

    original = notebook.read_text()
    code = 'results = study.run_study(cfg, device=device)'
    assert code in original
    notebook.write_text(original.replace(code, code.replace("device=device", "device='cpu'"), 1))
    assert reproduce.plan(notebook, "quick", out) == "fresh"  # an edited code cell: results may change
    notebook.write_text(original.replace("# 04 · Digit pairs", "# 04 · Digit pairs!", 1))
    assert notebook.read_text() != original
    assert reproduce.plan(notebook, "quick", out) == "redraw"  # edited text: rerun on the records, no training
    notebook.write_text(original)
    assert reproduce.plan(notebook, "quick", out) == "skip"
    with monkeypatch.context() as patch:  # an edited figure (mnist_studies/plotting/): redrawn, not retrained
        patch.setattr(records, "figure_code_fingerprint", lambda: "edited")
        assert reproduce.plan(notebook, "quick", out) == "redraw"
    assert reproduce.plan(notebook, "quick", out) == "skip"

    changed = json.loads(json.dumps(profiles.PROFILES))
    changed["digit_pairs"]["quick"]["runs"] = 3  # an edited profile
    with monkeypatch.context() as patch:
        patch.setattr(profiles, "PROFILES", changed)
        assert reproduce.plan(notebook, "quick", out) == "fresh"
    assert reproduce.plan(notebook, "quick", out) == "skip"
    (out / notebook.name).unlink()  # the executed notebook is gone: run again (finished cells are reused)
    assert reproduce.plan(notebook, "quick", out) == "redraw"


def test_a_run_killed_in_the_middle_is_not_counted_as_done(isolated_outputs, notebook, tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    out.mkdir()
    finished_cell = records.record_path("digit_pairs", "quick", "cv-Simple-lr0.001")

    def killed(*args, **kwargs):
        assert reproduce.read_stamp("digit_pairs", "quick")["state"] == "running"
        records.write_record(records.make_record(  # one cell finished before the kill
            study="digit_pairs", profile="quick", name="cv-Simple-lr0.001", seed=0, config={}, metrics={}))
        raise reproduce.NotebookFailed("04_digit_pairs.ipynb did not finish (DeadKernelError: killed)")

    monkeypatch.setattr(reproduce, "run_notebook", killed)
    with pytest.raises(reproduce.NotebookFailed):
        reproduce.run_study_notebook(notebook, "quick", out)
    assert reproduce.read_stamp("digit_pairs", "quick")["state"] == "running"
    assert reproduce.plan(notebook, "quick", out) == "resume"  # not "skip": the next run picks up from here
    # resuming keeps the finished cells' records; a fresh start (changed code or settings) clears them
    monkeypatch.setattr(reproduce, "run_notebook", lambda *a, **k: (out / notebook.name).write_text("{}"))
    assert reproduce.run_study_notebook(notebook, "quick", out)[0] == "resume"
    assert finished_cell.exists()
    assert reproduce.plan(notebook, "quick", out) == "skip"
    # an edited figure reruns the notebook on the records: nothing cleared, the study's wall time kept
    reproduce.write_stamp("digit_pairs", "quick", **{**reproduce.read_stamp("digit_pairs", "quick"),
                                                    "wall_seconds": 1234.0})
    monkeypatch.setattr(records, "figure_code_fingerprint", lambda: "edited")
    assert reproduce.run_study_notebook(notebook, "quick", out)[0] == "redraw"
    assert finished_cell.exists() and reproduce.read_stamp("digit_pairs", "quick")["wall_seconds"] == 1234.0
    assert reproduce.plan(notebook, "quick", out) == "skip"
    assert reproduce.run_study_notebook(notebook, "quick", out, force=True)[0] == "fresh"
    assert not finished_cell.exists()


def _fingerprints(package_copy):
    """(code_fingerprint, figure_code_fingerprint) of a copy of the package, computed in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, sys.argv[1]); from mnist_studies import records; "
            "print(records.code_fingerprint(), records.figure_code_fingerprint())")
    out = subprocess.run([sys.executable, "-c", code, str(package_copy)], capture_output=True, text=True, check=True)
    return tuple(out.stdout.split())


def test_figure_code_is_outside_the_result_fingerprint(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(paths.PROJECT_ROOT / "mnist_studies", root / "mnist_studies",
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = _fingerprints(root)
    figure = root / "mnist_studies" / "plotting" / "lenet5.py"
    figure.write_text(figure.read_text() + "\n# a figure edit\n")
    after_figure = _fingerprints(root)
    assert after_figure[0] == before[0] and after_figure[1] != before[1]  # records stay valid; figures redrawn
    runner = root / "mnist_studies" / "studies" / "lenet5.py"
    runner.write_text(runner.read_text() + "\n# a runner edit\n")
    after_runner = _fingerprints(root)
    assert after_runner[0] != after_figure[0] and after_runner[1] == after_figure[1]  # results are stale
    report_module = root / "mnist_studies" / "report.py"
    report_module.write_text(report_module.read_text() + "\n# a report edit\n")
    assert _fingerprints(root) == after_runner  # reporting cannot change a result


def test_the_readme_headline_is_replaced_between_its_markers(isolated_outputs, tmp_path):
    _handmade_records()
    data = {"quick": report.measure_profile("quick")}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.README_START}\nold table\n{report.README_END}\nrest\n")
    assert report.update_readme(readme, data)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "| 004 | 2 | 1 / 0 / 1 / 0 / 0 |" in text
    readme.write_text("no markers")
    assert not report.update_readme(readme, data)
