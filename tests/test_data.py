import shutil

import numpy as np
import pytest

from mnist_studies import data, paths

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_load_mnist_matches_keras_layout(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.max() == 255 and x_train.min() == 0


def test_load_mnist_returns_fresh_writable_copies():
    (x1, _), _ = data.load_mnist()
    x1[0, 0, 0] = 77
    (x2, _), _ = data.load_mnist()
    assert x2[0, 0, 0] == 0


@pytest.fixture
def mnist_copy(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(paths.VENDORED_MNIST_DIR, folder)
    return folder


def test_altered_file_is_refused_by_name(mnist_copy):
    target = mnist_copy / "t10k-labels.idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[100] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.raises(data.MnistDataError, match=r"t10k-labels\.idx1-ubyte\.gz: SHA-256 .*git checkout"):
        data.load_mnist(mnist_copy)


def test_truncated_file_is_refused_by_name(mnist_copy):
    target = mnist_copy / "train-labels.idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(data.MnistDataError, match=r"train-labels\.idx1-ubyte\.gz: SHA-256 .*1000 bytes"):
        data.load_mnist(mnist_copy)


def test_missing_file_is_refused_by_name(mnist_copy):
    (mnist_copy / "train-images.idx3-ubyte.gz").unlink()
    with pytest.raises(data.MnistDataError, match=r"train-images\.idx3-ubyte\.gz: file is missing"):
        data.load_mnist(mnist_copy)


def test_a_file_without_a_checksum_line_is_refused_not_loaded_unverified(mnist_copy):
    sums = mnist_copy / "SHA256SUMS"
    sums.write_text("".join(line + "\n" for line in sums.read_text().splitlines() if "t10k-labels" not in line))
    with pytest.raises(data.MnistDataError, match=r"SHA256SUMS: has no checksum for t10k-labels\.idx1-ubyte\.gz"):
        data.load_mnist(mnist_copy)


def test_environment_variable_selects_the_folder(mnist_copy, monkeypatch):
    (mnist_copy / "SHA256SUMS").unlink()
    monkeypatch.setenv("MNIST_STUDIES_DATA", str(mnist_copy))
    with pytest.raises(data.MnistDataError, match="SHA256SUMS: checksum list is missing"):
        data.load_mnist()
    monkeypatch.setenv("MNIST_STUDIES_DATA", str(mnist_copy / "nowhere"))
    with pytest.raises(data.MnistDataError, match="does not exist"):
        data.load_mnist()


def test_no_mnist_here_and_no_download_is_one_line_naming_the_variable_and_the_files(tmp_path, monkeypatch):
    """An installed package outside the checkout, offline: Keras' own error says nothing of what to do."""
    import keras

    from mnist_studies import paths

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/mnist.npz: None -- [Errno -2] Name or "
                        "service not known")

    monkeypatch.delenv("MNIST_STUDIES_DATA", raising=False)
    monkeypatch.setattr(paths, "mnist_dir", lambda: tmp_path / "no-checkout" / "data" / "mnist")
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.MnistDataError) as raised:
        data.load_mnist()
    message = str(raised.value)
    assert "\n" not in message and "MNIST_STUDIES_DATA" in message and "could not be downloaded" in message
    assert all(name in message for name in (*data.FILES.values(), data.CHECKSUMS_FILE)), message


def test_to_float_and_pad_to_32():
    images = np.full((3, 28, 28), 255, dtype=np.uint8)
    scaled = data.to_float(images)
    assert scaled.shape == (3, 28, 28, 1) and scaled.dtype == np.float32 and scaled.max() == 1.0
    padded = data.pad_to_32(scaled)
    assert padded.shape == (3, 32, 32, 1)
    assert padded[:, :2].sum() == 0 and padded[:, 2:30, 2:30].min() == 1.0
    with pytest.raises(ValueError, match="28x28"):
        data.pad_to_32(np.zeros((1, 32, 32)))


def test_stratified_split_is_stratified_and_seeded(mnist):
    (x, y), _ = mnist
    x, y = x[:5000], y[:5000]
    (x_tr, y_tr), (x_val, y_val) = data.stratified_split(x, y, val_fraction=0.2, seed=3)
    assert len(y_val) == 1000 and len(y_tr) == 4000
    np.testing.assert_allclose(np.bincount(y_val) / 1000, np.bincount(y) / 5000, atol=0.002)
    (_, again), _ = data.stratified_split(x, y, val_fraction=0.2, seed=3)
    (_, other), _ = data.stratified_split(x, y, val_fraction=0.2, seed=4)
    assert np.array_equal(y_tr, again) and not np.array_equal(y_tr, other)


def test_balanced_subset_is_balanced_and_seeded(mnist):
    (x, y), _ = mnist
    xs, ys = data.balanced_subset(x, y, 1003, seed=1)
    assert xs.shape == (1003, 28, 28)
    assert np.bincount(ys).tolist() == [101, 101, 101] + [100] * 7
    xs2, ys2 = data.balanced_subset(x, y, 1003, seed=1)
    assert np.array_equal(xs, xs2) and np.array_equal(ys, ys2)
    assert not np.array_equal(data.balanced_subset(x, y, 1003, seed=2)[1], ys)
    # each picked image really is an image of its label: find it back in the data
    first = np.flatnonzero((x == xs[0]).all(axis=(1, 2)))
    assert y[first[0]] == ys[0]


@pytest.mark.parametrize("n", [0, -5, 70000, 2.5])
def test_balanced_subset_refuses_bad_sizes(mnist, n):
    (x, y), _ = mnist
    with pytest.raises(ValueError, match="subset"):
        data.balanced_subset(x, y, n)


def test_load_subsets_applies_a_profiles_sizes():
    (x, y), (xt, yt) = data.load_subsets({"train_size": 100, "test_size": 50, "data_seed": 2})
    assert x.shape == (100, 28, 28) and xt.shape == (50, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [10] * 10 and np.bincount(yt).tolist() == [5] * 10
    (x_all, _), (xt_all, _) = data.load_subsets({"train_size": None})
    assert len(x_all) == 60000 and len(xt_all) == 10000
