"""tinyres.save / tinyres.load: checkpoints as .npz files with a JSON description, written
atomically (to a temporary file in the same folder, then renamed over the target).

What can be saved: nested dicts (str or int keys), lists and tuples of Tensors, numpy arrays,
numbers, strings, booleans and None (a state_dict, or a training checkpoint holding the model's
and the optimizer's state, the epoch and the RNG state). Arrays go into the archive as .npy
members; everything else into one JSON member, '__tinyres__.json'. No pickle is involved, so
loading a file cannot run code.
"""
import io
import json
import os
import re
import tempfile
import time
import zipfile

import numpy as np

from ..tensor import Tensor
from . import npy_reader
from .limits import MAX_ARCHIVE_BYTES, MAX_META_BYTES, MAX_NESTING
from .safe_zip import Archive

META = "__tinyres__.json"
FORMAT = "tinyres-checkpoint-1"
TEMP_PREFIX, TEMP_SUFFIX = ".tinyres-", ".tmp"
LOADER = "load"
_ARRAY_KEY = re.compile(r"a[0-9]{1,9}")


def save(obj, path):
    """Write obj to path (a .npz archive); a crash never leaves a half-written file there."""
    arrays = {}
    tree = _encode(obj, arrays, "obj")
    meta = json.dumps({"format": FORMAT, "tree": tree})
    folder = os.path.dirname(os.path.abspath(path))
    pause = _fault_test_pause()
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
                for key, array in arrays.items():
                    buffer = io.BytesIO()
                    np.save(buffer, array, allow_pickle=False)
                    archive.writestr(key + ".npy", buffer.getvalue())
                    if pause:
                        time.sleep(pause)
                archive.writestr(META, meta)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _fault_test_pause():
    """Seconds to sleep after each member written: the fault test
    (tests/training/test_fault.py) kills runs inside save() and widens the window with
    TINYRES_TEST_SAVE_PAUSE. Unset: 0."""
    return float(os.environ.get("TINYRES_TEST_SAVE_PAUSE", 0) or 0)


def remove_stale_temporaries(folder):
    """Remove the temporary files that a killed save() left in folder; returns their names."""
    if not os.path.isdir(folder):
        return []
    stale = [n for n in os.listdir(folder)
             if n.startswith(TEMP_PREFIX) and n.endswith(TEMP_SUFFIX)]
    for name in stale:
        os.remove(os.path.join(folder, name))
    return stale


def load(path, device=None):
    """Read what save() wrote; Tensors come back as Tensors (on device, default: cpu).
    BadFileError (a ValueError) for a file that is not a whole, well-formed tinyres checkpoint."""
    with Archive(path, LOADER, "a tinyres checkpoint") as archive:
        meta, keys = _meta(archive)
        described = {key: npy_reader.header(archive, key + ".npy", f"array {key}") for key in keys}
        total = sum(npy_reader.payload_size(d[0], d[1]) for d in described.values())
        if total > MAX_ARCHIVE_BYTES:
            raise archive.refuse(None, f"its arrays claim {total} bytes, more than"
                                       f" limits.MAX_ARCHIVE_BYTES = {MAX_ARCHIVE_BYTES}")
        arrays = {key: npy_reader.read(archive, key + ".npy", f"array {key}", d)
                  for key, d in described.items()}
    return _decode(meta["tree"], arrays, device)


def load_entry(path, key):
    """The top-level dict entry `key` of a checkpoint (None if absent), reading only its JSON
    description (e.g. a training checkpoint's "config"); the entry must hold no arrays."""
    with Archive(path, LOADER, "a tinyres checkpoint") as archive:
        tree = _meta(archive)[0]["tree"]
        items = tree.get("items", []) if type(tree) is dict and tree.get("t") == "dict" else []
        for name, value in items:
            if name == key:
                if _array_keys(value, archive):
                    raise archive.refuse(META, f"entry {key!r} refers to arrays")
                return _decode(value, {}, None)
    return None


def _encode(obj, arrays, where):
    """obj -> JSON-able tree; arrays collected into `arrays` under unique keys."""
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj.numpy() if isinstance(obj, Tensor) else obj
        return {"t": "tensor" if isinstance(obj, Tensor) else "array", "key": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return {"t": type(obj).__name__,
                "items": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} in {where}")
        return {"t": "dict", "items": [[key, _encode(v, arrays, f"{where}[{key!r}]")]
                                       for key, v in obj.items()]}
    raise TypeError(f"save: cannot save {type(obj).__name__} at {where}; save Tensors, arrays,"
                    " numbers, strings, None, and lists/tuples/dicts of them")


def _meta(archive):
    """The checked JSON description of a checkpoint ({"format": FORMAT, "tree": ...}) and the
    keys of the arrays its tree refers to."""
    if META not in archive.members:
        raise archive.refuse(None, f"is not a tinyres checkpoint (no {META} inside)")
    text = archive.read_small(META, MAX_META_BYTES)
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise archive.refuse(META, f"is not valid JSON ({type(error).__name__})") from error
    if type(meta) is not dict or meta.get("format") != FORMAT or "tree" not in meta:
        found = meta.get("format") if type(meta) is dict else type(meta).__name__
        raise archive.refuse(META, f"has format {str(found)[:40]!r}, expected {FORMAT!r}")
    return meta, _array_keys(meta["tree"], archive)


def _array_keys(tree, archive):
    """The array keys the tree refers to, after checking its shape (no recursion: a crafted
    tree may be deep)."""
    keys, todo = set(), [(tree, 0)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_NESTING:
            raise archive.refuse(META, f"nested more than {MAX_NESTING} levels deep")
        if node is None or type(node) in (bool, int, float, str):
            continue
        kind = node.get("t") if type(node) is dict else None
        if kind in ("tensor", "array") and type(node.get("key")) is str \
                and _ARRAY_KEY.fullmatch(node["key"]):
            keys.add(node["key"])
        elif kind in ("list", "tuple") and type(node.get("items")) is list:
            todo += [(v, depth + 1) for v in node["items"]]
        elif kind == "dict" and type(node.get("items")) is list and all(
                type(p) is list and len(p) == 2 and type(p[0]) in (str, int)
                for p in node["items"]):
            todo += [(v, depth + 1) for _, v in node["items"]]
        else:
            raise archive.refuse(META, f"an entry of type {type(node).__name__} ({str(kind)[:20]})"
                                       " is not one save() writes")
    return sorted(keys)


def _decode(tree, arrays, device):
    """The object that _encode described (the tree was checked by _array_keys)."""
    if not isinstance(tree, dict):
        return tree
    kind = tree["t"]
    if kind == "tensor":
        return Tensor(arrays[tree["key"]], device=device)
    if kind == "array":
        return arrays[tree["key"]]
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays, device) for v in tree["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {key: _decode(v, arrays, device) for key, v in tree["items"]}
    raise ValueError(f"load: unknown entry type {kind!r}")
