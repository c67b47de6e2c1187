"""``make bench-pages``' speed part (one photo per call, the photo-size series) and its check of the texts."""

from mnist_studies.segmentation.benchmark import evaluate, speed


def test_one_photo_per_call_is_timed_measured_and_scored_and_plotted(tmp_path):
    result = speed.measure(use_tesseract=False, megapixels=(1,), repeats=1)
    assert [image["name"] for image in result["images"]] == ["scan", "photo", "1mp"]
    scan, small, big = result["images"]
    assert 0.9 <= big["megapixels"] <= 1.1 and scan["megapixels"] < small["megapixels"] < big["megapixels"]
    for image in (scan, small, big):
        assert image["ours"]["seconds"] > 0 and image["ours"]["peak_mb"] > 50  # a Python process with numpy
        assert image["ours"]["digit_accuracy"] >= 0.9 and "tesseract" not in image
    assert speed.plot(result, "a CPU").axes[0].get_xlabel() == "image size (megapixels)"


def test_pages_read_otherwise_than_in_the_last_record_are_named():
    def record(texts, first_seed=2000):
        return {"first_seed": first_seed, "families": {"clean": {"ours": {"texts": texts}}}}

    assert evaluate.changed_texts(record(["12", "34"]), record(["12", "34"])) == []
    assert evaluate.changed_texts(record(["12", "35"]), record(["12", "34"])) == ["clean/1"]
    assert evaluate.changed_texts(record(["12", "35"]), record(["12", "34"], first_seed=5000)) is None  # other pages
    assert evaluate.changed_texts(record(["12"]), None) is None
    assert evaluate.changed_texts(record(["12"]), {"first_seed": 2000, "families": {"clean": {"ours": {}}}}) is None
