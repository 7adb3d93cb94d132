"""load_pth: read a state_dict written by torch.save (zip format) without PyTorch.

A torch.save file is a zip archive: <name>/data.pkl (a pickle of the object) and
<name>/data/<key> (each storage's raw bytes). The pickle names PyTorch's functions to rebuild
tensors from storages. A pickle may name any function and call it, so a restricted unpickler
admits only the tensor-rebuild functions and storage types (answered by our own numpy code) and
OrderedDict, and refuses everything else before anything runs.
"""
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": "f4", "DoubleStorage": "f8", "HalfStorage": "f2", "BFloat16Storage": "u2",
    "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}


class StorageType:
    """Stands for torch.<Kind>Storage inside the pickle: just its numpy dtype."""

    def __init__(self, name):
        self.name = name
        self.code = STORAGE_DTYPES[name]


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                       metadata=None):
    """A numpy copy of the strided view of storage that PyTorch would rebuild."""
    item = storage.dtype.itemsize
    view = np.ndarray(tuple(size), storage.dtype, buffer=storage, offset=offset * item,
                      strides=tuple(s * item for s in stride))
    return np.array(view)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


ALLOWED = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles a torch.save data.pkl: storages come from the archive, globals from ALLOWED."""

    def __init__(self, file, archive, prefix, byteorder):
        super().__init__(file)
        self.archive, self.prefix, self.byteorder = archive, prefix, byteorder
        self.storages = {}

    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return ALLOWED[(module, name)]
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        raise pickle.UnpicklingError(
            f"load_pth: refused to load the global {module}.{name}: only tensor-rebuild"
            " functions, storages and OrderedDict are allowed in a state_dict file"
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], StorageType)):
            raise pickle.UnpicklingError(f"load_pth: unexpected persistent id {pid!r}")
        _, kind, key, _location, _numel = pid
        if key not in self.storages:
            raw = self.archive.read(f"{self.prefix}data/{key}")
            order = "<" if self.byteorder == "little" else ">"
            storage = np.frombuffer(raw, dtype=np.dtype(order + kind.code))
            if kind.name == "BFloat16Storage":  # numpy has no bfloat16: widen the bits
                storage = (storage.astype(np.uint32) << 16).view(np.float32)
            self.storages[key] = storage
        return self.storages[key]


def load_pth(path):
    """A torch.save'd (zip format) state_dict -> OrderedDict name -> numpy array; no torch."""
    if not zipfile.is_zipfile(path):
        raise ValueError(f"load_pth: {path!r} is not a zip-format torch.save file (files saved"
                         " by PyTorch < 1.6 or with _use_new_zipfile_serialization=False are not"
                         " supported)")
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"load_pth: expected one data.pkl in {path!r}, found {pickles}")
        prefix = pickles[0][: -len("data.pkl")]
        names = set(archive.namelist())
        byteorder = archive.read(prefix + "byteorder").decode() if (
            prefix + "byteorder") in names else "little"
        with archive.open(pickles[0]) as f:
            return RestrictedUnpickler(f, archive, prefix, byteorder).load()
