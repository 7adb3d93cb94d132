"""Weights I/O: tinyres checkpoints (atomic .npz) and torch.save files read without torch."""
import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import tinyres
from tinyres.io import checkpoint
from tinyres.io.errors import BadFileError


def test_save_and_load_round_trip_nested_state(tmp_path):
    model = tinyres.models.cifar_resnet20()
    state = {"model": model.state_dict(), "epoch": 3, "lr": 0.1, "name": "run", "none": None,
             "history": [0.5, 0.25], "pair": (1, 2), "by_index": {0: np.arange(3), 1: True}}
    path = tmp_path / "ckpt.npz"
    tinyres.save(state, path)
    back = tinyres.load(path)
    assert list(back["model"]) == list(state["model"])
    for key, value in state["model"].items():
        assert isinstance(back["model"][key], tinyres.Tensor)
        np.testing.assert_array_equal(back["model"][key].numpy(), value.numpy())
        assert back["model"][key].dtype == value.dtype
    assert (back["epoch"], back["lr"], back["name"], back["none"]) == (3, 0.1, "run", None)
    assert back["history"] == [0.5, 0.25] and back["pair"] == (1, 2)
    np.testing.assert_array_equal(back["by_index"][0], np.arange(3))
    assert back["by_index"][1] is True
    fresh = tinyres.models.cifar_resnet20()
    fresh.load_state_dict(back["model"])


def test_a_crash_while_saving_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    tinyres.save({"step": 1}, path)

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(checkpoint.np, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        tinyres.save({"step": 2, "w": np.zeros(3)}, path)
    assert tinyres.load(path) == {"step": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_save_refuses_what_it_cannot_store(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save set at obj\['bad'\]"):
        tinyres.save({"bad": {1, 2}}, tmp_path / "x.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="is not a tinyres checkpoint"):
        tinyres.load(tmp_path / "plain.npz")


def test_load_pth_reads_torch_state_dicts(torch, tmp_path):
    from benchmarks.torch_models import build
    model = build("resnet18")
    state = model.state_dict()
    state["half"] = torch.arange(4, dtype=torch.float16)
    state["transposed"] = torch.arange(6.0).reshape(2, 3).t()
    state["bf16"] = torch.tensor([1.5, -2.25], dtype=torch.bfloat16)
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    loaded = tinyres.io.load_pth(path)
    assert list(loaded) == list(state)
    for key, value in state.items():
        expected = value.float().numpy() if key == "bf16" else value.numpy()
        np.testing.assert_array_equal(loaded[key], expected)
        assert loaded[key].shape == expected.shape
    ours = tinyres.models.resnet18()
    del loaded["half"], loaded["transposed"], loaded["bf16"]
    ours.load_state_dict(loaded)
    np.testing.assert_array_equal(ours.fc.weight.numpy(), state["fc.weight"].numpy())


def test_load_pth_reads_every_kind_of_view_torch_writes(torch, tmp_path):
    """Views of shared storages, zero strides, 0-d and empty tensors, integer and bool dtypes:
    each comes back equal to torch's own load, as a fresh C-contiguous array."""
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    state = {"slice": base[1:3, 2:5], "column": base[:, 1], "transposed": base.t(),
             "expanded": torch.ones(3).expand(4, 3), "scalar": torch.tensor(2.5),
             "empty": torch.zeros(0, 3), "long": torch.arange(5), "bool": torch.tensor(
                 [True, False, True]), "uint8": torch.arange(4, dtype=torch.uint8),
             "tied_a": base, "tied_b": base}
    torch.save(state, tmp_path / "views.pth")
    loaded = tinyres.io.load_pth(tmp_path / "views.pth")
    for key, value in torch.load(tmp_path / "views.pth", weights_only=True).items():
        np.testing.assert_array_equal(loaded[key], value.numpy(), err_msg=key)
        assert loaded[key].dtype == value.numpy().dtype and loaded[key].flags.c_contiguous
    assert loaded["tied_a"] is loaded["tied_b"]  # one storage, one view: one array, as torch


def test_load_pth_works_without_torch(torch, tmp_path):
    path = tmp_path / "sd.pth"
    torch.save({"w": torch.ones(2, 3)}, path)
    code = ("import sys; sys.modules['torch'] = None\n"  # any 'import torch' now fails
            "import tinyres\n"
            f"sd = tinyres.io.load_pth({str(path)!r})\n"
            "assert sd['w'].shape == (2, 3) and sd['w'].sum() == 6\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_load_pth_refuses_a_pickle_that_would_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"w": _RunsCode()}, protocol=2))
        archive.writestr("evil/byteorder", "little")
    with pytest.raises(BadFileError, match=r"evil/data.pkl: refused the global"
                                           r" (posix|os)\.system"):
        tinyres.io.load_pth(path)
    assert not (tmp_path / "pwned").exists()


def test_load_pth_rejects_files_that_are_not_zip_archives(tmp_path):
    path = tmp_path / "legacy.pth"
    path.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(BadFileError, match="is a pickle, not a zip-format torch.save file"):
        tinyres.io.load_pth(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x/other.txt", "hi")
    (tmp_path / "nopickle.pth").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match=r"expected one data.pkl"):
        tinyres.io.load_pth(tmp_path / "nopickle.pth")
