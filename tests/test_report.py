"""The claims report (``mnist_studies.report``) and the up-to-date check of ``make reproduce``."""

import json
import shutil

import pytest

from mnist_studies import paths, records, report, stamps
from mnist_studies.claims import lenet5 as lenet5_claims
from mnist_studies.claims import stats
from mnist_studies.studies import NOTEBOOK_STUDIES, lenet5, separate_kernels


def _write(study, name, metrics, config=None, profile="quick", extra=None):
    record = records.make_record(study=study, profile=profile, name=name, seed=0, config=config or {},
                                 metrics=metrics, device="CPU: test", extra=extra)
    records.write_record(record)
    return record


def _handmade_records():
    # 004: the improved LeNet-5 at 0.90% and 1.00% error (two seeds cannot tell 0.95 from 0.86 + 0.2: inconclusive);
    # pages at 85% of 200 digits (the whole interval under 92%: not reproduced)
    for seed, error in enumerate((0.90, 1.00)):
        _write("lenet5", f"leakyrelu-seed{seed}", {"test_error_percent": error, "parameters": 1},
               {"step": lenet5.IMPROVED_STEP})
    _write("lenet5", "pages", {"digit_accuracy": 0.85, "digits": 200, "pages": 10})
    # 000: a single seed cannot be tested
    _write("separate_kernels", "sigmoid-seed0", {"gain_points": 2.0}, {"activation": "sigmoid"})
    # 003: only the digit model's evaluation ran: Table II test at 97.0 (interval [-0.92, -0.68] within ±1: reproduced)
    for run, accuracy in enumerate((0.97, 0.97)):
        _write("digit_pairs", f"eval-Digit-run{run}", {"test_accuracy": accuracy, "train_accuracy": 1.0},
               extra={"model": "Digit"})


def _rows(data, study):
    return {row["claim"]: row for row in data["studies"][study]["claims"]}


def test_report_from_handmade_records(isolated_outputs):
    _handmade_records()
    data = report.measure_profile("quick")
    assert set(data["studies"]) == {"lenet5", "separate_kernels", "digit_pairs", "training_choices"}  # 001: none
    choices = list(_rows(data, "training_choices").values())  # 002: no records, but its parameter count needs none
    assert choices[0]["verdict"] == report.REPRODUCED and choices[0]["ours"] == "421,642"
    assert {row["verdict"] for row in choices[1:]} == {report.NOT_RUN}
    lenet = list(_rows(data, "lenet5").values())
    assert lenet[0]["verdict"] == report.INCONCLUSIVE and lenet[0]["n"] == 2 and lenet[0]["ours"] == "0.95 ± 0.07%"
    assert lenet[1]["verdict"] == report.NOT_REPRODUCED
    assert list(_rows(data, "separate_kernels").values())[0]["verdict"] == report.INCONCLUSIVE
    pairs = _rows(data, "digit_pairs")
    assert pairs["Digit: test accuracy, mean of repeated runs"]["verdict"] == report.REPRODUCED
    assert pairs["Digit: test accuracy, mean of repeated runs"]["ours"] == "97.0 ± 0.0%"
    assert pairs["Simple: test accuracy, mean of repeated runs"]["verdict"] == report.NOT_RUN  # no runs of this model
    assert pairs["Simple: best learning rate and its mean validation accuracy"]["verdict"] == report.NOT_RUN

    text = report.render({"quick": data})
    assert "| 001 | 2 | 0 / 0 / 0 / 0 / 0 / 2 |" in text  # the study that did not run: its claims "not run"
    assert "| 004 | 5 | 0 / 0 / 1 / 1 / 0 / 3 |" in text  # the ablation's claims: no ablation runs
    # quick is a reduced profile and says so; the interval says how close the call was
    assert "0.95 ± 0.07% (n = 2); margin 90% interval [-0.46, +0.64] points; at most 0.2 worse | inconclusive, " \
           "reduced |" in text
    assert "- **quick**: 3 run records" in text and "device CPU: test" in text
    assert "incomplete" not in text  # no stamp at all: records written by hand or by a notebook opened directly


def test_a_study_whose_reproduce_has_not_finished_is_marked_incomplete(isolated_outputs):
    _handmade_records()
    stamps.write_stamp("lenet5", "quick", {"fingerprint": "x", "state": "running"})
    stamps.write_stamp("digit_pairs", "quick", {"fingerprint": "y", "state": "done", "wall_seconds": 120})
    data = report.measure_profile("quick")
    assert not data["studies"]["lenet5"]["complete"] and data["studies"]["digit_pairs"]["complete"]
    text = report.render({"quick": data})
    lenet_line = next(line for line in text.splitlines() if "**incomplete**" in line)
    assert "make reproduce PROFILE=quick ONLY=05" in lenet_line and "wall time –" in lenet_line
    assert text.count("**incomplete**") == 1  # 003 finished: wall time shown, not marked
    assert "wall time 2.0 min" in text


def test_a_report_rewritten_from_the_same_records_is_the_same_file_but_a_new_record_dates_it(isolated_outputs,
                                                                                            monkeypatch):
    _handmade_records()
    data_path = isolated_outputs["reports"] / "quick.json"
    out = report.write_report("quick")
    first, first_data = out.read_bytes(), data_path.read_bytes()
    later = report._dt.datetime(2031, 1, 1, tzinfo=report._dt.timezone.utc)
    monkeypatch.setattr(report._dt, "datetime", type("Later", (), {"now": staticmethod(lambda tz=None: later)}))
    report.write_report("quick")
    assert out.read_bytes() == first and data_path.read_bytes() == first_data  # only the date would differ
    stamps.write_stamp("lenet5", "quick", {"fingerprint": "x", "state": "done", "wall_seconds": 60})
    report.write_report("quick")
    assert json.loads(data_path.read_text())["generated"].startswith("2031")  # something changed: a new date


def test_write_report_keeps_the_other_profiles_and_studies(isolated_outputs):
    _handmade_records()
    out = report.write_report("quick")
    assert out == isolated_outputs["report"] and "## M. Lu, N. Ke" in out.read_text()
    saved = json.loads((isolated_outputs["reports"] / "quick.json").read_text())
    # a later run with the records of one study only keeps the other studies' entries
    shutil.rmtree(paths.results_dir("separate_kernels", "quick"))
    report.write_report("quick")
    again = json.loads((isolated_outputs["reports"] / "quick.json").read_text())
    assert again["studies"]["separate_kernels"] == saved["studies"]["separate_kernels"]
    # a paper-profile report sits beside it: two column groups, each labelled
    _write("lenet5", "pages", {"digit_accuracy": 0.95, "digits": 500, "pages": 30}, profile="paper")
    text = report.write_report("paper").read_text()
    assert "quick (reduced settings)" in text and "paper (the paper's settings)" in text
    assert "| verdict, quick |" in text and "| verdict, paper |" in text
    shown = stats.above(475, 500, 92).interval("%", 1)
    assert f"95.0% of 500 digits on 30 pages; margin {shown} | reproduced |" in text  # no "reduced"


def test_a_damaged_stamp_stops_the_report_naming_the_file(isolated_outputs, capsys):
    _handmade_records()
    stamps.stamp_path("lenet5", "quick").write_text('{"state": "do')  # hand-edited, cut short
    assert report.main(["--profile", "quick"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lenet5/reproduce.stamp: damaged stamp" in err and "delete it" in err
    assert not isolated_outputs["report"].exists()


def test_a_damaged_record_stops_the_report_naming_the_file(isolated_outputs, capsys):
    _handmade_records()
    path = records.record_path("lenet5", "quick", "pages")
    path.write_text(path.read_text()[:40])  # truncated, as by a full disk
    assert report.main(["--profile", "quick"]) == 2
    assert "pages.json" in capsys.readouterr().err
    assert not isolated_outputs["report"].exists()  # nothing half-written


def test_the_kernel_gain_rule_at_its_boundaries():
    """The 000 rule (``separate_kernels.verdict``); the other rules' boundaries are tested in test_claims.py."""
    assert separate_kernels.verdict([2.0, 2.1, 1.9]) == "reproduced"
    assert separate_kernels.verdict([0.5, 0.6, 0.4]).startswith("partly")
    assert separate_kernels.verdict([1.0, -1.0, 0.1]).startswith("inconclusive")  # 95% CI reaches +2.5 points


def test_every_study_with_a_paper_declares_its_claims():
    counts = {study: len(report.study_claims(study)) for study, paper in
              NOTEBOOK_STUDIES.values() if paper}
    assert counts == {"separate_kernels": 2, "resnet": 3, "training_choices": 8, "digit_pairs": 34, "lenet5": 5}


def test_the_readme_headline_is_replaced_between_its_markers(isolated_outputs, tmp_path):
    _handmade_records()
    data = {"quick": report.measure_profile("quick")}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.README_START}\nold table\n{report.README_END}\nrest\n")
    assert report.update_readme(readme, data)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "| 004 | 5 | 0 / 0 / 1 / 1 / 0 / 3 |" in text
    readme.write_text("no markers")
    assert not report.update_readme(readme, data)


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_the_committed_report_is_what_the_committed_records_say(profile, tmp_path, monkeypatch):
    """``make report PROFILE=...`` on a fresh clone rebuilds ``reports/<profile>.json`` from ``results/`` (the
    committed run records and stamps) to the byte, but for the time it was generated."""
    committed = paths.PROJECT_ROOT / "reports" / f"{profile}.json"
    monkeypatch.setenv("MNIST_STUDIES_RESULTS", str(paths.PROJECT_ROOT / "results"))
    monkeypatch.setenv("MNIST_STUDIES_FIGURES", str(paths.PROJECT_ROOT / "figures"))
    monkeypatch.setenv("MNIST_STUDIES_REPORTS", str(tmp_path / "reports"))
    (tmp_path / "reports").mkdir()
    shutil.copy(committed, tmp_path / "reports" / committed.name)
    report.write_report(profile, output=tmp_path / "REPORT.md")
    rebuilt = json.loads((tmp_path / "reports" / committed.name).read_text())
    expected = json.loads(committed.read_text())
    rebuilt.pop("generated"), expected.pop("generated")
    assert rebuilt == expected


@pytest.mark.parametrize("profile", ["quick", "paper"])
def test_every_committed_run_record_says_what_it_ran_on(profile):
    """Each committed run record holds its config, timings, versions and device (the page evaluation's once wrote
    an empty device: its notebook did not pass one)."""
    found = sorted((paths.PROJECT_ROOT / "results" / profile).glob("*/*.json"))
    runs = [(path, json.loads(path.read_text())) for path in found]
    runs = [(path, record) for path, record in runs if "metrics" in record]
    assert len(runs) > 20
    for path, record in runs:
        assert record["device"] and record["versions"].get("tensorflow") and "config" in record, path
        assert "timings" in record, path


@pytest.mark.slow
def test_runs_that_need_a_gpu_are_estimated_on_a_cpu_and_reported_as_such(isolated_outputs):
    from mnist_studies import profiles
    from mnist_studies.studies import resnet, training_choices

    cfg = profiles.get_profile("resnet", "smoke")
    cfg["models"]["resnet_paper"]["needs_gpu"] = True
    trained = resnet.run_study(cfg, device="cpu")
    assert [r["name"] for r in trained] == ["two_layer_cnn-seed0"]  # the CPU-feasible part ran
    grid = {**profiles.get_profile("training_choices", "smoke"), "needs_gpu": True}
    assert training_choices.run_study(grid, device="cpu") == []
    data = report.measure_profile("smoke")
    resnet_rows = _rows(data, "resnet")
    the_resnet = resnet_rows["The ResNet-style network reaches 98–99% test accuracy"]
    assert the_resnet["verdict"] == report.NEEDS_GPU
    assert the_resnet["ours"].startswith("needs a GPU (estimated ") and " h on CPU" in the_resnet["ours"]
    assert {row["verdict"] for name, row in resnet_rows.items() if row is not the_resnet} & {report.NEEDS_GPU} == set()
    choices = list(_rows(data, "training_choices").values())
    assert choices[0]["verdict"] == report.REPRODUCED  # the parameter count needs no GPU
    assert {row["verdict"] for row in choices[1:]} == {report.NEEDS_GPU}
    text = report.render({"smoke": data})
    assert "| needs a GPU |" in text
    assert "| 002 | 8 | 1 / 0 / 0 / 0 / 7 / 0 |" in text


def test_quick_and_paper_verdicts_are_compared_claim_by_claim(isolated_outputs):
    _handmade_records()
    quick = report.measure_profile("quick")
    paper = json.loads(json.dumps(quick))
    paper["profile"], paper["reduced"] = "paper", False
    paper["studies"]["lenet5"]["claims"][1]["verdict"] = report.REPRODUCED  # pages: quick not, paper reproduced
    rows, agree, judged = report.agreement({"quick": quick, "paper": paper})
    # judged in both on runs of their own: 000, 003's Digit test and train, 004's two (002's count needs no runs)
    assert judged == 5 and agree == 4
    assert [r["claim"] for r in rows if not r["agree"]] == [lenet5_claims.CLAIMS[1].text]
    assert [r["kind"] for r in rows if r["claim"] == "The CNN has 421,642 parameters"] == ["no runs"]
    text = report.render({"quick": quick, "paper": paper})
    assert "## Quick vs paper" in text and "agrees with the paper profile on **4 of 5**" in text
    assert "| not reproduced | reproduced | **no** |" in text
    assert "## Quick vs paper" not in report.render({"quick": quick})  # one profile: nothing to compare
