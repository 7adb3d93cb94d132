"""load_pth: read a state_dict written by torch.save (zip format) without PyTorch, as data only.

A torch.save file is a zip archive: <name>/data.pkl (a pickle of the object) and <name>/data/<key>
(each storage's raw bytes). The pickle names PyTorch's functions to rebuild tensors from storages;
a pickle may name any function and call it. So the pickle is run by our own small machine
(pickle_vm.py) whose only globals are stand-ins that write down what a tensor claims to be
(storage key, dtype from a fixed table, size, stride, offset). Then, before anything is read:
every view is proved to lie inside its storage, every storage's size is checked against its zip
member's header, and the totals against the limits (limits.py). Only then are the storages read
(each with a hard bound) and every tensor copied out into a fresh C-contiguous numpy array.
"""
import re
from collections import OrderedDict

import numpy as np

from . import pickle_vm
from .errors import BadFileError
from .limits import MAX_ARCHIVE_BYTES, MAX_NESTING, MAX_PICKLE_BYTES, REPEAT_SLACK_BYTES
from .safe_zip import Archive
from .strided import check_view, copy_view

LOADER = "load_pth"
# torch storage type -> (numpy type code, bytes per element); bfloat16 and bool are converted
STORAGE_DTYPES = {
    "FloatStorage": ("f4", 4), "DoubleStorage": ("f8", 8), "HalfStorage": ("f2", 2),
    "BFloat16Storage": ("u2", 2), "LongStorage": ("i8", 8), "IntStorage": ("i4", 4),
    "ShortStorage": ("i2", 2), "CharStorage": ("i1", 1), "ByteStorage": ("u1", 1),
    "BoolStorage": ("u1", 1),
}
BYTEORDERS = {b"little": "<", b"big": ">"}
_KEY = re.compile(r"[0-9A-Za-z_]{1,64}")


class StorageRef(pickle_vm.Description):
    """A storage the pickle refers to: its member key, torch type name and element count."""

    def __init__(self, key, kind, numel):
        self.key, self.kind, self.numel = key, kind, numel


class TensorSpec(pickle_vm.Description):
    """What the pickle says a tensor is: a view (offset, size, stride) of a StorageRef."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                       metadata=None):
    """Stands for torch._utils._rebuild_tensor_v2: writes the claim down, builds nothing."""
    if not isinstance(storage, StorageRef):
        raise pickle_vm.PickleRefused(f"_rebuild_tensor_v2 needs a storage, got"
                                      f" {type(storage).__name__}")
    if hooks is not None and (type(hooks) not in (dict, OrderedDict) or hooks):
        raise pickle_vm.PickleRefused("tensors with backward hooks are not read")
    return TensorSpec(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    if not isinstance(data, TensorSpec):
        raise pickle_vm.PickleRefused(f"_rebuild_parameter needs a tensor, got"
                                      f" {type(data).__name__}")
    return data


def _ordered_dict(*args):
    if args:
        raise pickle_vm.PickleRefused("OrderedDict is only built empty (then filled)")
    return OrderedDict()


GLOBALS = {
    ("collections", "OrderedDict"): pickle_vm.StandIn("collections.OrderedDict", _ordered_dict),
    ("torch._utils", "_rebuild_tensor_v2"):
        pickle_vm.StandIn("torch._utils._rebuild_tensor_v2", _rebuild_tensor_v2),
    ("torch._utils", "_rebuild_parameter"):
        pickle_vm.StandIn("torch._utils._rebuild_parameter", _rebuild_parameter),
    **{("torch", name): pickle_vm.StandIn(f"torch.{name}") for name in STORAGE_DTYPES},
}


class _Storages:
    """persistent_load for the pickle: ('storage', type, key, location, numel) -> StorageRef."""

    def __init__(self):
        self.refs = {}

    def __call__(self, pid):
        if not (type(pid) is tuple and len(pid) == 5 and pid[0] == "storage"):
            raise pickle_vm.PickleRefused("a persistent id that is not a torch storage")
        _, kind, key, location, numel = pid
        name = kind.name.split(".")[-1] if isinstance(kind, pickle_vm.StandIn) else None
        if name not in STORAGE_DTYPES or type(key) is not str or not _KEY.fullmatch(key) \
                or type(location) is not str or type(numel) is not int or numel < 0:
            raise pickle_vm.PickleRefused("a malformed storage id (type, key, location, numel)")
        ref = self.refs.setdefault(key, StorageRef(key, name, numel))
        if (ref.kind, ref.numel) != (name, numel):
            raise pickle_vm.PickleRefused(f"storage {key!r} is declared twice, differently")
        return ref


def load_pth(path):
    """A torch.save'd (zip format) state_dict -> OrderedDict name -> numpy array; no torch.
    Nested dicts/lists of tensors and plain values (e.g. {"state_dict": ..., "epoch": 3}) come
    back with the same nesting. BadFileError for anything damaged, crafted or too large."""
    _refuse_legacy(path)
    with Archive(path, LOADER, "a zip-format torch.save file") as archive:
        pickles = [n for n in archive.members if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(pickles) != 1:
            raise archive.refuse(None, f"expected one data.pkl in the archive, found {pickles}")
        prefix = pickles[0][:-len("data.pkl")]
        order = _byteorder(archive, prefix)
        storages = _Storages()
        try:
            tree = pickle_vm.run(archive.read_small(pickles[0], MAX_PICKLE_BYTES), GLOBALS,
                                 storages, "(only tensor-rebuild functions, torch storage types"
                                           " and OrderedDict are allowed in a state_dict file)")
        except pickle_vm.PickleRefused as error:
            raise archive.refuse(pickles[0], error) from error
        if type(tree) not in (dict, OrderedDict):
            raise archive.refuse(pickles[0], f"holds a {type(tree).__name__}, not a dict of"
                                             " tensors (a state_dict)")
        specs = _collect(tree, archive, pickles[0])
        return _Materialiser(archive, prefix, order, storages.refs).build(tree, specs)


def _refuse_legacy(path):
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x80\x02" or head[:1] == b"\x80":
        raise BadFileError(LOADER, path, None, "is a pickle, not a zip-format torch.save file:"
                           " legacy files (PyTorch < 1.6, or _use_new_zipfile_serialization=False)"
                           " are not read; load and re-save it with a recent PyTorch")


def _byteorder(archive, prefix):
    name = prefix + "byteorder"
    if name not in archive.members:
        return "<"  # files from before PyTorch wrote a byteorder member are little-endian
    raw = archive.read_small(name, 16)
    if raw not in BYTEORDERS:
        raise archive.refuse(name, f"must say b'little' or b'big', got {raw[:16]!r}")
    return BYTEORDERS[raw]


def _collect(tree, archive, where):
    """[(entry name, TensorSpec)] for every tensor in tree; refuses other objects and nesting
    deeper than MAX_NESTING (walked with an explicit stack: no recursion)."""
    found, todo = [], [("", tree, 0)]
    while todo:
        name, node, depth = todo.pop()
        if depth > MAX_NESTING:
            raise archive.refuse(where, f"nested more than {MAX_NESTING} levels deep at {name!r}")
        if isinstance(node, TensorSpec):
            found.append((name, node))
        elif type(node) in (dict, OrderedDict):
            todo += [(f"{name}.{key}" if name else str(key), v, depth + 1)
                     for key, v in node.items()]
        elif type(node) in (list, tuple):
            todo += [(f"{name}[{i}]", v, depth + 1) for i, v in enumerate(node)]
        elif node is not None and type(node) not in (bool, int, float, str, bytes):
            raise archive.refuse(where, f"entry {name!r} is a {type(node).__name__}; only"
                                        " tensors, numbers, strings and containers are read")
    return found


class _Materialiser:
    """Checks every claim, then reads the storages and copies each tensor out."""

    def __init__(self, archive, prefix, order, refs):
        self.archive, self.prefix, self.order, self.refs = archive, prefix, order, refs
        self.arrays, self.views = {}, {}

    def build(self, tree, specs):
        stored = sum(ref.numel * STORAGE_DTYPES[ref.kind][1] for ref in self.refs.values())
        if stored > MAX_ARCHIVE_BYTES:
            raise self.archive.refuse(None, f"its storages claim {stored} bytes, more than"
                                            f" limits.MAX_ARCHIVE_BYTES = {MAX_ARCHIVE_BYTES}")
        budget = stored + REPEAT_SLACK_BYTES
        for name, spec in specs:
            ref = spec.storage
            try:
                numel = check_view(spec.size, spec.stride, spec.offset, ref.numel)
            except ValueError as error:
                raise self.archive.refuse(f"tensor {name!r}", error) from error
            key = (ref.key, spec.offset, spec.size, spec.stride)
            if key not in self.views:
                budget -= numel * STORAGE_DTYPES[ref.kind][1]
                self.views[key] = None
            if budget < 0:
                raise self.archive.refuse(f"tensor {name!r}", "the tensors repeat their storages'"
                                          " elements more than limits.REPEAT_SLACK_BYTES allows")
        return self._replace(tree)

    def _replace(self, node):
        if isinstance(node, TensorSpec):
            return self._tensor(node)
        if type(node) in (dict, OrderedDict):
            return OrderedDict((k, self._replace(v)) for k, v in node.items())
        if type(node) in (list, tuple):
            return type(node)(self._replace(v) for v in node)
        return node

    def _tensor(self, spec):
        key = (spec.storage.key, spec.offset, spec.size, spec.stride)
        if self.views[key] is None:  # identical views (tied weights) share one array, as in torch
            storage = self._storage(spec.storage)
            self.views[key] = copy_view(storage, spec.size, spec.stride, spec.offset)
        return self.views[key]

    def _storage(self, ref):
        if ref.key not in self.arrays:
            code, size = STORAGE_DTYPES[ref.kind]
            raw = self.archive.read(f"{self.prefix}data/{ref.key}", ref.numel * size,
                                    f"storage {ref.key!r}")
            array = np.frombuffer(raw, np.dtype(self.order + code)).astype(np.dtype(code))
            if ref.kind == "BFloat16Storage":  # numpy has no bfloat16: its bits are float32's top
                array = (array.astype(np.uint32) << 16).view(np.float32)
            elif ref.kind == "BoolStorage":
                array = array != 0
            self.arrays[ref.key] = array
        return self.arrays[ref.key]
