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
import tempfile
import zipfile

import numpy as np

from ..tensor import Tensor

META = "__tinyres__.json"
FORMAT = "tinyres-checkpoint-1"


def save(obj, path):
    """Write obj to path (a .npz archive); a crash never leaves a half-written file there."""
    arrays = {}
    tree = _encode(obj, arrays, "obj")
    meta = json.dumps({"format": FORMAT, "tree": tree})
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tinyres-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
                for key, array in arrays.items():
                    buffer = io.BytesIO()
                    np.save(buffer, array, allow_pickle=False)
                    archive.writestr(key + ".npy", buffer.getvalue())
                archive.writestr(META, meta)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path, device=None):
    """Read what save() wrote; Tensors come back as Tensors (on device, default: cpu)."""
    with np.load(path, allow_pickle=False) as archive:
        if META not in archive.zip.namelist():
            raise ValueError(f"load: {path!r} is not a tinyres checkpoint (no {META} inside)")
        meta = json.loads(archive.zip.read(META))
        if meta.get("format") != FORMAT:
            raise ValueError(f"load: {path!r} has format {meta.get('format')!r}, expected {FORMAT!r}")
        arrays = {name: archive[name] for name in archive.files if name != META}
    return _decode(meta["tree"], arrays, device)


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
        return {"t": "dict", "items": [[k, _encode(v, arrays, f"{where}[{k!r}]")]
                                       for k, v in obj.items()]}
    raise TypeError(f"save: cannot save {type(obj).__name__} at {where}; save Tensors, arrays,"
                    " numbers, strings, None, and lists/tuples/dicts of them")


def _decode(tree, arrays, device):
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
        return {k: _decode(v, arrays, device) for k, v in tree["items"]}
    raise ValueError(f"load: unknown entry type {kind!r}")
