"""Image data for the k-NN experiments: scikit-learn's bundled digits and MNIST IDX files.

Both come back as an :class:`ImageData` of flattened float32 images scaled to [0, 1]
(digits: 8 x 8, 17 grey levels, 1797 images; MNIST: 28 x 28, 60,000 + 10,000 images) with
int64 labels 0..9, and the image shape (C, H, W) the convolutional stages need.

The IDX format (LeCun et al., the MNIST distribution files): a big-endian header

    magic = 0x00 0x00 <type code> <number of dimensions D>, then D uint32 sizes,

followed by the values in row-major order. Type codes: 0x08 uint8, 0x09 int8, 0x0B int16,
0x0C int32, 0x0D float32, 0x0E float64. Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import functools
import gzip
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, lookup
from ..files import atomic_write

__all__ = [
    "ImageData",
    "IMAGE_DATASETS",
    "load_image_data",
    "load_digits",
    "load_mnist",
    "read_idx",
    "write_idx",
    "download_mnist",
    "MNIST_FILES",
    "MNIST_ENV",
    "mnist_dir_from_env",
    "subset",
]

MNIST_ENV = "ISOTOPY_MNIST_DIR"  # environment variable naming a folder of the MNIST files

_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_FILES = {
    "X_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "X_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
# The usual public mirror (the original yann.lecun.com address now often refuses requests).
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"


@dataclass
class ImageData:
    """Train / test images, flattened: X (n, C·H·W) float32 in [0, 1], y (n,) int64."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    shape: tuple[int, int, int]  # (C, H, W)

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def __repr__(self) -> str:
        return (
            f"ImageData({self.name!r}, train={len(self.X_train)}, test={len(self.X_test)}, "
            f"shape={self.shape}, classes={self.n_classes})"
        )


# ---------------------------------------------------------------------------------- IDX
def read_idx(path) -> np.ndarray:
    """Read one IDX file (optionally gzipped) into an array of its own shape and type.

    Raises InputError, with one sentence, for a missing file, a wrong magic number, an
    unknown type code, or a body shorter or longer than the header announces.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"IDX file {str(path)!r} does not exist")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise InputError(f"IDX file {str(path)!r} cannot be read ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InputError(
            f"IDX file {str(path)!r} has a wrong magic number "
            f"({raw[:4].hex() or 'empty file'}); an IDX file starts with "
            f"00 00, a type code and the number of dimensions"
        )
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise InputError(
            f"IDX file {str(path)!r} has unknown type code 0x{code:02x}; valid "
            f"codes are " + ", ".join(f"0x{c:02x}" for c in _IDX_TYPES)
        )
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise InputError(f"IDX file {str(path)!r} is truncated inside its header")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(dims)) * dtype.itemsize
    body = len(raw) - 4 - 4 * ndim
    if body < expected:
        raise InputError(
            f"IDX file {str(path)!r} is truncated: its header announces "
            f"{expected} bytes of data for shape {dims}, it holds {body}"
        )
    if body > expected:
        raise InputError(
            f"IDX file {str(path)!r} has {body - expected} bytes after the data "
            f"its header announces for shape {dims}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * ndim).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write an array as an IDX file (gzipped if the name ends in .gz); temp name + rename."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise InputError(f"IDX cannot hold dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(_IDX_TYPES[code]).tobytes()
    path = Path(path)

    def write(tmp):
        with (gzip.open if path.suffix == ".gz" else open)(tmp, "wb") as f:
            f.write(data)

    atomic_write(path, write)


def _find(folder: Path, stem: str) -> Path:
    for cand in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (folder / cand).is_file():
            return folder / cand
    raise InputError(f"MNIST folder {str(folder)!r} has no file {stem!r} (or {stem}.gz)")


def download_mnist(folder, *, url: str = MNIST_URL, progress=None) -> Path:
    """Fetch the four MNIST files (gzipped) into ``folder`` unless already there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, stem in enumerate(MNIST_FILES.values()):
        target = folder / (stem + ".gz")
        if not target.exists():
            try:  # no partial file is left behind
                source = url + stem + ".gz"
                atomic_write(target, lambda tmp, src=source: urllib.request.urlretrieve(src, tmp))
            except OSError as e:
                raise InputError(
                    f"could not download MNIST from {url} ({e}); give "
                    f"--mnist-dir with the four IDX files instead"
                ) from None
        if progress is not None:
            progress(i + 1, len(MNIST_FILES))
    return folder


def mnist_dir_from_env() -> Path | None:
    """The folder named by ``$ISOTOPY_MNIST_DIR``, or None when it is unset or empty."""
    value = os.environ.get(MNIST_ENV, "").strip()
    return Path(value) if value else None


def load_mnist(folder=None, *, download: bool = False) -> ImageData:
    """MNIST from a folder of the four IDX files (plain or .gz).

    With ``download=True`` missing files are fetched first (needs the internet); without a
    folder, ``$ISOTOPY_MNIST_DIR`` is used when set, else ``~/.cache/isotopy/mnist``.
    """
    if folder is None:
        folder = mnist_dir_from_env()
    folder = Path(folder) if folder is not None else Path.home() / ".cache/isotopy/mnist"
    if download:
        download_mnist(folder)
    if not folder.is_dir():
        raise InputError(f"MNIST folder {str(folder)!r} does not exist")
    arrays = {key: read_idx(_find(folder, stem)) for key, stem in MNIST_FILES.items()}
    for part in ("train", "test"):
        X, y = arrays[f"X_{part}"], arrays[f"y_{part}"]
        if X.ndim != 3 or y.ndim != 1 or len(X) != len(y):
            raise InputError(
                f"MNIST {part} files do not match: images of shape {X.shape}, "
                f"labels of shape {y.shape}"
            )
        if y.size and (y.min() < 0 or y.max() > 9):
            raise InputError(f"MNIST {part} labels must be 0..9")
    h, w = arrays["X_train"].shape[1:]
    if arrays["X_test"].shape[1:] != (h, w):
        raise InputError("MNIST train and test images differ in size")

    def flat(X):
        return X.reshape(len(X), -1).astype(np.float32) / 255.0

    return ImageData(
        "mnist",
        flat(arrays["X_train"]),
        arrays["y_train"].astype(np.int64),
        flat(arrays["X_test"]),
        arrays["y_test"].astype(np.int64),
        (1, h, w),
    )


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as _load

    d = _load()
    X = (d.data / 16.0).astype(np.float32)
    X.flags.writeable = False
    return X, d.target.astype(np.int64)


def load_digits(*, test_size: float = 0.25, seed: int = 0) -> ImageData:
    """scikit-learn's bundled 8 x 8 digits (1797 images), split stratified by ``seed``."""
    from ..train.runs import train_test_split

    X, y = _digits_arrays()
    Xtr, ytr, Xte, yte = train_test_split(X, y, test_size=test_size, seed=seed)
    return ImageData("digits", Xtr, ytr, Xte, yte, (1, 8, 8))


def subset(
    data: ImageData, *, n_train: int | None = None, n_test: int | None = None, seed: int = 0
) -> ImageData:
    """A random subset of the training and test images (each kept whole when None).

    Draws without replacement with ``np.random.default_rng(seed)`` and keeps the images'
    order; asking for more images than there are keeps them all.
    """
    from ..errors import check_positive_int

    rng = np.random.default_rng(seed)

    def pick(X, y, k, what):
        if k is None or check_positive_int(k, what) >= len(X):
            return X, y
        idx = np.sort(rng.choice(len(X), size=k, replace=False))
        return X[idx], y[idx]

    Xtr, ytr = pick(data.X_train, data.y_train, n_train, "n_train")
    Xte, yte = pick(data.X_test, data.y_test, n_test, "n_test")
    return ImageData(data.name, Xtr, ytr, Xte, yte, data.shape)


IMAGE_DATASETS = {
    "digits": "scikit-learn's 8x8 digits, 1797 images (bundled, no download)",
    "mnist": "MNIST 28x28, 60,000 train + 10,000 test (IDX files)",
}


def load_image_data(
    name: str = "digits", *, mnist_dir=None, download: bool = False, seed: int = 0
) -> ImageData:
    """``"digits"`` (split by ``seed``) or ``"mnist"`` (its own fixed split)."""
    lookup(IMAGE_DATASETS, name, "image dataset")
    if name == "digits":
        return load_digits(seed=seed)
    return load_mnist(mnist_dir, download=download)
