"""MNIST, offline: the vendored IDX files, verified by SHA-256, plus the helpers every study needs.

``load_mnist()`` returns exactly what ``keras.datasets.mnist.load_data()`` returns:
``(x_train, y_train), (x_test, y_test)``, uint8, shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_studies import paths

FILES = {
    "x_train": "train-images.idx3-ubyte.gz",
    "y_train": "train-labels.idx1-ubyte.gz",
    "x_test": "t10k-images.idx3-ubyte.gz",
    "y_test": "t10k-labels.idx1-ubyte.gz",
}
CHECKSUMS_FILE = "SHA256SUMS"
NUM_CLASSES = 10
RESTORE_HINT = (
    "restore it with `git checkout -- data/mnist` (or copy the original file from the MNIST distribution), "
    "or point MNIST_STUDIES_DATA at a folder that holds the four files and SHA256SUMS"
)


class MnistDataError(RuntimeError):
    """A vendored MNIST file is missing, truncated or altered."""


def _read_checksums(folder: Path) -> dict[str, str]:
    sums_path = folder / CHECKSUMS_FILE
    if not sums_path.is_file():
        raise MnistDataError(f"{sums_path}: checksum list is missing; {RESTORE_HINT}")
    sums = {}
    for line in sums_path.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            sums[name.lstrip("*")] = digest.lower()
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _parse_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (magic 0x00000801 labels or 0x00000803 images)."""
    raw = gzip.decompress(path.read_bytes())
    magic = int.from_bytes(raw[:4], "big")
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        raise MnistDataError(f"{path}: not an unsigned-byte IDX file (magic {magic:#010x}); {RESTORE_HINT}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise MnistDataError(f"{path}: holds {data.size} values, header says {shape}; {RESTORE_HINT}")
    return data.reshape(shape)


def verify_mnist_dir(folder: str | Path) -> None:
    """Check that ``folder`` holds the four MNIST files with the SHA-256 sums listed in ``SHA256SUMS``.

    Raises:
        MnistDataError: naming the first missing, truncated or altered file and how to restore it.
    """
    folder = Path(folder)
    sums = _read_checksums(folder)
    for name in FILES.values():
        path = folder / name
        if name not in sums:
            raise MnistDataError(f"{folder / CHECKSUMS_FILE}: has no checksum for {name}; {RESTORE_HINT}")
        if not path.is_file():
            raise MnistDataError(f"{path}: file is missing; {RESTORE_HINT}")
        actual = _sha256(path)
        if actual != sums[name]:
            raise MnistDataError(
                f"{path}: SHA-256 {actual[:12]}… does not match {sums[name][:12]}… "
                f"(truncated or altered, {path.stat().st_size} bytes); {RESTORE_HINT}"
            )


@functools.lru_cache(maxsize=2)
def _load_verified(folder: Path) -> tuple[np.ndarray, ...]:
    verify_mnist_dir(folder)
    arrays = tuple(_parse_idx(folder / FILES[key]) for key in ("x_train", "y_train", "x_test", "y_test"))
    for array in arrays:
        array.setflags(write=False)  # the cache is shared: callers get copies
    return arrays


def load_mnist(data_dir: str | Path | None = None):
    """Load MNIST like ``keras.datasets.mnist.load_data()``, from verified local files.

    Args:
        data_dir: folder with the four gzipped IDX files and ``SHA256SUMS``. Default: ``$MNIST_STUDIES_DATA``
            or the vendored ``data/mnist``. When neither is given and no vendored copy exists at all, falls back to
            ``keras.datasets.mnist.load_data()`` (which needs the internet; a failed download is one clear line).

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as fresh uint8 arrays.

    Raises:
        MnistDataError: a file is missing, truncated or altered (checksum mismatch), or MNIST is not here and the
            download failed.
    """
    explicit = data_dir is not None or bool(os.environ.get("MNIST_STUDIES_DATA", "").strip())
    folder = Path(data_dir).resolve() if data_dir is not None else paths.mnist_dir()
    if not folder.exists():
        if explicit:
            raise MnistDataError(f"{folder}: MNIST folder does not exist; {RESTORE_HINT}")
        return _download()
    x_train, y_train, x_test, y_test = (a.copy() for a in _load_verified(folder))
    return (x_train, y_train), (x_test, y_test)


def _download():
    """MNIST through Keras' download, for an installed package without ``MNIST_STUDIES_DATA``; one line if it fails."""
    import keras  # only for the online fallback

    try:
        return keras.datasets.mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception for a failed fetch
        files = ", ".join(FILES.values())
        why = (str(error).splitlines() or [""])[0]
        raise MnistDataError(
            f"MNIST is not here and could not be downloaded ({type(error).__name__}: {why}); "
            f"set MNIST_STUDIES_DATA to a folder that holds {files} and {CHECKSUMS_FILE} (the checkout's data/mnist)"
        ) from error


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared by the studies
# ---------------------------------------------------------------------------------------------------------------


def to_float(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (N, H, W) or (N, H, W, 1) to float32 in [0, 1] with a channel axis: (N, H, W, 1)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(f"expected images of shape (N, H, W) or (N, H, W, C), got {images.shape}")
    return images.astype(np.float32) / 255.0


def pad_to_32(images: np.ndarray) -> np.ndarray:
    """Zero-pad 28×28 images by 2 pixels on each side to 32×32 (LeNet-5's input); keeps dtype and channel axis."""
    images = np.asarray(images)
    if images.shape[1:3] != (28, 28):
        raise ValueError(f"expected 28x28 images, got shape {images.shape}")
    pad = [(0, 0), (2, 2), (2, 2)] + [(0, 0)] * (images.ndim - 3)
    return np.pad(images, pad)


def stratified_split(x: np.ndarray, y: np.ndarray, *, val_fraction: float = 0.2, seed: int = 0):
    """Seeded stratified train/validation split (scikit-learn's ``train_test_split``).

    Returns:
        ``(x_train, y_train), (x_val, y_val)``.
    """
    from sklearn.model_selection import train_test_split

    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    x_tr, x_val, y_tr, y_val = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return (x_tr, y_tr), (x_val, y_val)


def balanced_subset(x: np.ndarray, y: np.ndarray, n: int, *, seed: int = 0):
    """A seeded class-balanced subset of ``n`` images: ``n // 10`` per class, the remainder to the first classes.

    The images are returned in a seeded random order (not grouped by class).

    Raises:
        ValueError: ``n`` is not positive or asks for more images of a class than the data holds.
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"subset size must be a positive integer, got {n!r}")
    if n > len(y):
        raise ValueError(f"subset of {n} images asked for, but the data holds only {len(y)}")
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), n // len(classes))
    per_class[: n % len(classes)] += 1
    chosen = []
    for label, count in zip(classes, per_class):
        pool = np.flatnonzero(y == label)
        if count > len(pool):
            raise ValueError(f"subset of {n} images needs {count} of class {label}, but the data holds {len(pool)}")
        chosen.append(rng.choice(pool, size=count, replace=False))
    index = rng.permutation(np.concatenate(chosen))
    return x[index], y[index]


def load_subsets(cfg: dict):
    """``load_mnist()`` cut to a profile's class-balanced subsets: ``cfg["train_size"]`` training and
    ``cfg["test_size"]`` test images (None or absent: all), drawn with ``cfg["data_seed"]``. Returns uint8 arrays
    like ``load_mnist``."""
    (x_train, y_train), (x_test, y_test) = load_mnist()
    if cfg.get("train_size"):
        x_train, y_train = balanced_subset(x_train, y_train, cfg["train_size"], seed=cfg.get("data_seed", 0))
    if cfg.get("test_size"):
        x_test, y_test = balanced_subset(x_test, y_test, cfg["test_size"], seed=cfg.get("data_seed", 0))
    return (x_train, y_train), (x_test, y_test)


# ---------------------------------------------------------------------------------------------------------------
# Digit pairs (paper 003)
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class PairSet:
    """Pairs of 14×14 digits: ``x`` (N, 14, 14, 2) float32, ``target`` (N,) 1.0 when first ≤ second,
    ``classes`` (N, 2) the two digit classes, ``index`` (N, 2) the MNIST indices of the two images in their split."""

    x: np.ndarray
    target: np.ndarray
    classes: np.ndarray
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.target)

    def subset(self, rows) -> "PairSet":
        return PairSet(self.x[rows], self.target[rows], self.classes[rows], self.index[rows])

    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs as single digits (2N, 14, 14, 1) with their classes (2N,): firsts, then seconds."""
        x = np.concatenate([self.x[..., :1], self.x[..., 1:]])
        return x, np.concatenate([self.classes[:, 0], self.classes[:, 1]])


def average_pool_2x2(images: np.ndarray) -> np.ndarray:
    """Average-pool (N, 28, 28) images by 2×2 to (N, 14, 14), as float32."""
    n, h, w = images.shape
    return images.reshape(n, h // 2, 2, w // 2, 2).astype(np.float32).mean(axis=(2, 4))


def make_digit_pairs(n_pairs: int = 1000, *, seed: int = 0) -> dict[str, PairSet]:
    """Training and test pairs as the course behind paper 003 built them.

    ``n_pairs`` pairs from the MNIST training split and ``n_pairs`` from the test split; each image average-pooled
    2×2 to 14×14; the pairs of a set come from one random permutation of its split, so no image is used twice in a
    set; target 1 when the first digit ≤ the second; inputs normalized with the training pairs' mean and std.

    Returns:
        ``{"train": PairSet, "test": PairSet}``.
    """
    if not isinstance(n_pairs, (int, np.integer)) or n_pairs < 1:
        raise ValueError(f"n_pairs must be a positive integer, got {n_pairs!r}")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    if 2 * n_pairs > len(y_test):
        raise ValueError(f"{n_pairs} pairs need {2 * n_pairs} test images, but MNIST has {len(y_test)}")
    rng = np.random.default_rng(seed)
    sets = {}
    for split, (x, y) in (("train", (x_train, y_train)), ("test", (x_test, y_test))):
        index = rng.permutation(len(y))[: 2 * n_pairs].reshape(n_pairs, 2)
        images = average_pool_2x2(x[index.ravel()]).reshape(n_pairs, 2, 14, 14).transpose(0, 2, 3, 1)
        classes = y[index]
        target = (classes[:, 0] <= classes[:, 1]).astype(np.float32)
        sets[split] = PairSet(images, target, classes, index)
    mean, std = sets["train"].x.mean(), sets["train"].x.std()
    for pair_set in sets.values():
        pair_set.x = ((pair_set.x - mean) / std).astype(np.float32)
    return sets
