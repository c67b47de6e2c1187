"""Notebook 06's helpers (``studies/your_pages.py``): reading your own photos, scored with your labels."""

import json

import nbformat
import pytest

from mnist_studies import records, reproduce
from mnist_studies.studies import your_pages as study


def test_example_pages_come_with_their_labels_and_read_well(tmp_path):
    images, labels = study.example_pages(tmp_path, 2)
    assert [p.name for p in images] == ["example_1_desk_photo.png", "example_2_form_boxes.png"]
    readings, problems = study.read_pages(images + [tmp_path / "labels.json"])  # a file that is no image
    assert len(readings) == 2 and len(problems) == 1 and "labels.json: not an image" in problems[0]
    assert study.scores(readings, labels).startswith("labels: ")
    truth = json.loads(labels.read_text())
    digits = sum(len(t.replace("\n", "")) for t in truth.values())
    correct = int(study.scores(readings, labels).split(", ")[1].split(" of ")[0].replace(",", ""))
    assert correct >= 0.9 * digits
    crossed, _ = study.read_pages(images, crossed_sevens=True)  # MNIST's 7s are plain: as a 1 with a long flag
    changed = [(a, b) for plain, read in zip(readings, crossed)
               for a, b in zip(plain.result.text, read.result.text, strict=True) if a != b]
    assert changed and set(changed) == {("7", "1")}
    as_light, _ = study.read_pages(images[:1], ink="light")  # --ink light: the dark writing taken for the paper
    assert as_light[0].result.text != readings[0].result.text
    with pytest.raises(ValueError, match="ink must be one of auto, dark, light, got 'white'"):
        study.read_pages(images, ink="white")


def test_a_glob_that_finds_nothing_gets_one_line(tmp_path):
    with pytest.raises(ValueError, match=r"no image matches '.*\*\.jpg': give a glob of your photos"):
        study.find_images(str(tmp_path / "*.jpg"))


def test_the_digit_table_marks_the_digits_read_with_less_than_the_asked_confidence():
    from mnist_studies.segmentation import Digit, PageResult

    result = PageResult("p", "17", [Digit(1, 0.99, (0, 0, 5, 10), 0, [(1, 0.99), (7, 0.01), (4, 0.0)]),
                                     Digit(7, 0.6, (6, 0, 11, 10), 0, [(7, 0.6), (1, 0.3), (2, 0.1)])])
    rows = study.digits_table(result, min_confidence=0.9).splitlines()[2:]
    assert rows[0].startswith("| 1 | 1 | 0.990 |") and rows[1].startswith("| 1 | 7? | 0.600 | 7 0.60, 1 0.30, 2 0.10")


@pytest.mark.slow
def test_the_notebook_reads_your_photos_from_a_glob_and_scores_them_with_your_labels(tmp_path, isolated_outputs,
                                                                                    monkeypatch):
    images, labels = study.example_pages(tmp_path / "photos", 2, first_seed=9100)
    monkeypatch.setenv(records.MANIFEST_ENV, str(tmp_path / "manifest.jsonl"))
    notebook = reproduce.paths.NOTEBOOKS_DIR / "06_read_your_pages.ipynb"
    out = reproduce.run_notebook(notebook, tmp_path, {"profile": "smoke", "images": str(tmp_path / "photos" / "*.png"),
                                                      "labels": str(labels)})
    shown = "\n".join(str(o) for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "2 page(s): example_1_desk_photo.png, example_2_form_boxes.png" in shown
    assert "labels: " in shown and " of 2 pages exact" in shown
    assert not list((isolated_outputs["figures"]).rglob("06_*.png"))  # your photos' figures are not saved
