"""Image data (digits, MNIST IDX files) and the small convolutional net."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from isotopy.datasets.images import (
    MNIST_FILES,
    load_digits,
    load_image_data,
    load_mnist,
    read_idx,
    write_idx,
)
from isotopy.errors import InputError
from isotopy.nn import Conv2d, MaxPool2d, Network, conv_net


def _tiny_mnist(folder, n_train=12, n_test=5, gz=False):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for part, n in (("train", n_train), ("test", n_test)):
        write_idx(
            folder / (MNIST_FILES[f"X_{part}"] + suffix),
            rng.integers(0, 256, size=(n, 6, 5), dtype=np.uint8),
        )
        write_idx(
            folder / (MNIST_FILES[f"y_{part}"] + suffix),
            rng.integers(0, 10, size=n, dtype=np.uint8),
        )


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_and_mnist_folder(tmp_path, gz):
    _tiny_mnist(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert data.X_train.shape == (12, 30) and data.X_test.shape == (5, 30)
    assert data.shape == (1, 6, 5) and data.X_train.dtype == np.float32
    assert 0 <= data.X_train.min() and data.X_train.max() <= 1
    raw = read_idx(tmp_path / (MNIST_FILES["X_train"] + (".gz" if gz else "")))
    np.testing.assert_allclose(data.X_train, raw.reshape(12, -1) / 255.0)
    f = tmp_path / "floats.idx"
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5
    write_idx(f, a)
    np.testing.assert_array_equal(read_idx(f), a)


def test_idx_header_is_big_endian_as_specified(tmp_path):
    f = tmp_path / "labels"
    f.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    np.testing.assert_array_equal(read_idx(f), [7, 8, 9])


@pytest.mark.parametrize(
    "payload, match",
    [
        (bytes([1, 2, 8, 1, 0, 0, 0, 1, 5]), "wrong magic number"),
        (bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 5]), "unknown type code 0x42"),
        (bytes([0, 0, 8, 2, 0, 0, 0, 2]), "truncated inside its header"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]), "truncated: its header announces 4 bytes"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 1, 1, 2]), "1 bytes after the data"),
        (b"", "wrong magic number"),
    ],
)
def test_bad_idx_files(tmp_path, payload, match):
    f = tmp_path / "bad-idx1-ubyte"
    f.write_bytes(payload)
    with pytest.raises(InputError, match=match):
        read_idx(f)


def test_bad_mnist_folders(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(InputError, match="has no file 'train-images-idx3-ubyte'"):
        load_mnist(tmp_path)
    _tiny_mnist(tmp_path)
    write_idx(tmp_path / MNIST_FILES["y_test"], np.zeros(4, np.uint8))  # 5 images, 4 labels
    with pytest.raises(InputError, match="test files do not match"):
        load_mnist(tmp_path)
    truncated = tmp_path / (MNIST_FILES["X_train"] + ".gz")
    (tmp_path / MNIST_FILES["X_train"]).unlink()
    truncated.write_bytes(gzip.compress(bytes([0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 2])))
    with pytest.raises(InputError, match="truncated"):
        load_mnist(tmp_path)
    with pytest.raises(InputError, match="choose one of: digits, mnist"):
        load_image_data("cifar")


def test_digits_split_is_stratified_and_seeded():
    a, b = load_digits(seed=0), load_digits(seed=0)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert len(a.X_train) + len(a.X_test) == 1797 and a.X_train.shape[1] == 64
    assert a.n_classes == 10 and set(np.bincount(a.y_test)) <= set(range(40, 50))
    assert not np.array_equal(load_digits(seed=1).y_test, a.y_test)


def test_grouped_conv_equals_separate_networks():
    net = conv_net((1, 8, 8), 10, n_networks=3, seed=5, channels=(4, 6), hidden=16)
    x = torch.rand(7, 64)
    out = net(x)  # (3, 7, 10)
    for i in range(3):
        torch.testing.assert_close(net.select(i)(x), out[i], atol=1e-5, rtol=1e-5)
    conv = net.stages[0]
    ref = torch.nn.functional.conv2d(x.reshape(7, 1, 8, 8), conv.weight[1], conv.bias[1], padding=1)
    torch.testing.assert_close(conv(x.expand(3, -1, -1))[1], ref.reshape(7, -1))
    again = Network.from_config(net.config())
    assert [s.spec() for s in again.stages] == [s.spec() for s in net.stages]
    assert "conv3x3 1→4" in repr(net) and net.names[-2] == "relu_fc"


def test_conv_bad_shapes():
    with pytest.raises(InputError, match="does not fit a 2x2 image"):
        Conv2d((1, 2, 2), 3, kernel=5, padding=0)
    with pytest.raises(InputError, match=r"\(channels, height, width\)"):
        MaxPool2d((8, 8), 2)
    with pytest.raises(InputError, match="must be odd"):
        conv_net((1, 8, 8), kernel=4)


def test_download_from_a_mirror_then_load(tmp_path):
    from isotopy.datasets.images import download_mnist

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    _tiny_mnist(mirror, gz=True)
    calls = []
    target = download_mnist(
        tmp_path / "cache", url=mirror.as_uri() + "/", progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (4, 4) and not list(target.glob(".*tmp"))
    assert load_mnist(target).X_train.shape == (12, 30)
    with pytest.raises(InputError, match="could not download MNIST"):
        download_mnist(tmp_path / "other", url=(tmp_path / "nothing").as_uri() + "/")
    assert not list((tmp_path / "other").iterdir())  # a failed download leaves nothing
