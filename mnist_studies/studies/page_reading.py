"""Study 004, second part: the page recognizer (``mnist_studies.segmentation``) on synthetic pages of MNIST test
digits, read with the study's own improved LeNet-5 (``lenet5.study_model_path``).

A module of its own so that its record's code fingerprint covers the page reader while the LeNet-5 runs' records do
not: an edit to ``mnist_studies/segmentation/`` re-evaluates the pages (seconds) and reuses the trained networks.
"""

from __future__ import annotations

import keras

from mnist_studies import records, segmentation, training
from mnist_studies.segmentation.benchmark import pages
from mnist_studies.studies import lenet5

CODE = __name__  # the module whose import closure the page record's fingerprint covers


def study_model(cfg: dict) -> keras.Model:
    """The improved LeNet-5 that ``lenet5.run_study`` trained for this profile (its first seed)."""
    path = lenet5.study_model_path(cfg["profile"])
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run the study's training first (`lenet5.run_study(cfg)`, or "
                                f"`make reproduce PROFILE={cfg['profile']} ONLY=05`)")
    return segmentation.load_digit_model(path)


def evaluate_pages(cfg: dict, model: keras.Model, *, device: str | None = None) -> dict:
    """Recognize ``cfg["pages"]`` synthetic pages (``benchmark.pages.make_page``) and score them against their
    ground truth with the pipeline ``cfg["page_method"]`` (the paper's, by default): per-digit accuracy (edit
    distance per row), the share of pages read exactly, and the errors split by kind (``pages.error_kinds``: in rows
    read with the right number of digits, the recognizer's; in the others, the segmentation's); writes a record
    (reused as long as the settings and the code it runs, page reader included, are unchanged). ``device``: what
    the record names as the device (default: ``training.describe_device()``)."""
    done = records.completed(lenet5.STUDY, cfg["profile"], "pages", cfg, code=CODE)
    if done:
        return done
    correct = total = exact = misread = missegmented = 0
    per_page = []
    for i in range(cfg["pages"]):
        page = pages.make_page(cfg["page_seed"] + i)
        result = segmentation.recognize_page(f"synthetic-page-{cfg['page_seed'] + i}", model,
                                             grey=page.image / 255.0, method=cfg["page_method"])
        ok, n = pages.score_text(result.text, page.text)
        correct, total, exact = correct + ok, total + n, exact + (result.text == page.text)
        kinds = pages.error_kinds(result.text, page.text)
        misread, missegmented = misread + kinds[0], missegmented + kinds[1]
        per_page.append({"truth": page.text, "predicted": result.text, "correct": ok, "digits": n})
    metrics = {"digit_accuracy": correct / total, "page_accuracy": exact / cfg["pages"], "pages": cfg["pages"],
               "digits": total, "recognition_errors": misread, "segmentation_errors": missegmented}
    record = records.make_record(study=lenet5.STUDY, profile=cfg["profile"], name="pages", seed=cfg["page_seed"],
                                 config=cfg, metrics=metrics,
                                 device=device or training.describe_device(), extra={"pages": per_page}, code=CODE)
    records.write_record(record)
    return record
