"""A big photo is read at a reduced size chosen from its digits (``pipeline.read_photo``): the same digits, boxes on
the file, and small writing on a big page still read at full size."""

import numpy as np
import pytest
from PIL import Image

from mnist_studies import segmentation as seg
from mnist_studies.segmentation.benchmark import families


def enlarged(tmp_path, family: str, seed: int, factor: float, suffix: str = ".png"):
    image, truth = families.make(family, seed)
    small = Image.fromarray(image)
    path = tmp_path / f"big{suffix}"
    small.resize((round(small.width * factor), round(small.height * factor)), Image.BICUBIC).save(path)
    return path, image, truth


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_reduce_reads_about_one_kth_of_each_side_and_averages_blocks(tmp_path, suffix):
    path, _, _ = enlarged(tmp_path, "clean", 2000, 3.0, suffix)
    whole = seg.read_page(path, colour=True)
    for k in (2, 3, 5):
        reduced = seg.read_page(path, colour=True, reduce=k)
        if suffix == ".jpg":  # decoded at 1/2 or 1/4 scale first: reduced k-fold or a little less, never more
            assert all(n / k <= m <= 2 * n / k + 1 for m, n in zip(reduced.shape, whole.shape))
        else:  # lossless: k-fold, each pixel the mean of a k × k block (Pillow's reduce)
            assert reduced.shape[:2] == tuple(-(-n // k) for n in whole.shape[:2])
            block = whole[:k, :k].reshape(k * k, -1).mean(axis=0)
            np.testing.assert_allclose(reduced[0, 0], block, atol=1 / 255)


def test_a_big_photo_reads_the_same_digits_at_a_reduced_size_with_boxes_on_the_file(tmp_path, models):
    model, rows = models
    path, image, truth = enlarged(tmp_path, "desk photo", 2003, 4.0, ".jpg")  # 9 megapixels
    small = seg.recognize_page("small", model, grey=image / 255.0, method="photo", row_model=rows)
    grey, shape = seg.read_photo(path)
    assert shape == (image.shape[0] * 4, image.shape[1] * 4)
    assert grey.shape[0] * grey.shape[1] < shape[0] * shape[1] / 4  # reduced at least twofold on each side
    big = seg.recognize_page(path, model, grey=grey, method="photo", row_model=rows, input_shape=shape)
    assert big.text == small.text == truth
    for a, b in zip(small.digits, big.digits):  # the same digits, where they lie on the 4× file
        assert np.abs(np.array(b.box) - 4 * np.array(a.box)).max() <= 16
    assert seg.recognize_page(path, model, method="photo", row_model=rows).text == truth  # reads the file itself


def test_small_writing_on_a_big_page_is_read_at_full_size(tmp_path):
    """Digits about 25 px tall on a 1.6-megapixel page: a reduced page would make them smaller than the working
    height, so the page is read whole."""
    image, _ = families.make("small digits", 2000)
    page = np.full((1300, 1300), 242, np.uint8)
    page[:image.shape[0], :image.shape[1]] = image if image.ndim == 2 else image.mean(axis=2).astype(np.uint8)
    Image.fromarray(page).save(tmp_path / "page.png")
    grey, shape = seg.read_photo(tmp_path / "page.png")
    assert grey.shape[:2] == shape == (1300, 1300)


def test_a_quarter_turned_phone_photo_is_measured_upright(tmp_path):
    image, _ = families.make("clean", 2000)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held upright: the pixels are stored turned
    Image.fromarray(np.rot90(image, 1)).save(tmp_path / "phone.jpg", exif=exif)
    assert seg.page_size(tmp_path / "phone.jpg") == image.shape[:2]
    assert seg.read_page(tmp_path / "phone.jpg").shape == image.shape[:2]
