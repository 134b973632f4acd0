"""User data files: every way a file can be wrong gives one clear InputError."""

import numpy as np
import pytest

from isotopy.datasets import load_points
from isotopy.errors import InputError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_with_header_and_labels_renumbered(tmp_path):
    p = write(tmp_path, "d.csv", "x,y,label\n0,0,5\n1,1,7\n0.5,0.2,5\n")
    X, y = load_points(p)
    assert X.dtype == np.float32 and X.shape == (3, 2)
    np.testing.assert_array_equal(y, [0, 1, 0])


def test_npy_and_npz(tmp_path):
    arr = np.array([[0.0, 1.0, 0], [1.0, 2.0, 1], [2.0, 0.5, 1]])
    np.save(tmp_path / "d.npy", arr)
    X, y = load_points(tmp_path / "d.npy")
    assert X.shape == (3, 2) and list(y) == [0, 1, 1]
    np.savez(tmp_path / "d.npz", X=arr[:, :2], y=arr[:, 2].astype(int))
    X2, y2 = load_points(tmp_path / "d.npz")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize(
    "text, match",
    [
        ("0,0,0\nnan,1,1\n", "NaN or infinite value \\(row 2\\)"),
        ("0,0,0\ninf,1,1\n", "NaN or infinite"),
        ("0,0,0\n1,1\n", "row 2 has 2 columns, expected 3"),
        ("0,0,0\n1,1,0\n", "single class"),
        ("0,0,0\n1,abc,1\n", "row 2, column 2 is not a number: 'abc'"),
        ("", "is empty"),
        ("x,y,label\n", "has a header but no points"),
        ("0,0,0.5\n1,1,1\n", "labels .* must be integers"),
        ("0\n1\n", "at least one feature column and a label column"),
    ],
)
def test_bad_csv(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        load_points(write(tmp_path, "bad.csv", text))


def test_limits_and_paths(tmp_path):
    p = write(tmp_path, "d.csv", "".join(f"{i},{i},{i % 2}\n" for i in range(20)))
    with pytest.raises(InputError, match="has 20 points, more than the limit 10"):
        load_points(p, max_points=10)
    with pytest.raises(InputError, match="has 2 feature columns, expected 3"):
        load_points(p, n_features=3)
    with pytest.raises(InputError, match="does not exist"):
        load_points(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="is a folder"):
        load_points(tmp_path)
    with pytest.raises(InputError, match="must end in .csv, .npy or .npz"):
        load_points(write(tmp_path, "d.txt", "1,2,3"))
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable .npz"):
        load_points(tmp_path / "broken.npz")
    np.savez(tmp_path / "noy.npz", X=np.zeros((3, 2)))
    with pytest.raises(InputError, match="must hold arrays 'X' and 'y'; missing y"):
        load_points(tmp_path / "noy.npz")
