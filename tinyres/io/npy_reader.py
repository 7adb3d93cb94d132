"""Reading one .npy member of a zip archive without trusting it (tinyres checkpoints are .npz).

An .npy file is a magic string, a header (a Python dict literal: dtype, order, shape) and the raw
array bytes. numpy's np.load trusts the header's shape and allocates before it reads; a 6 MB
.npz member can then ask for 6 GB. Here the header is read first (a bounded peek), its dtype must
be in a fixed table, its shape gives the payload's size in Python integers, and that size must
equal what the zip header declares, all before one payload byte is read.
"""
import ast
import struct

import numpy as np

from .limits import MAX_NDIM, MAX_NPY_HEADER

MAGIC = b"\x93NUMPY"
# the dtypes tinyres.save writes (state, optimizer buffers, RNG words), in numpy's descr spelling
KINDS = {"f": (2, 4, 8), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "b": (1,)}


def header(archive, name, entry):
    """(dtype, shape, fortran_order, header bytes) of .npy member `name`, checked."""
    head = archive.peek(name, len(MAGIC) + 6 + MAX_NPY_HEADER, entry)
    if head[:len(MAGIC)] != MAGIC or len(head) < len(MAGIC) + 4:
        raise archive.refuse(entry, f"member {name!r} is not an .npy array")
    major = head[len(MAGIC)]
    if major not in (1, 2, 3):
        raise archive.refuse(entry, f".npy format version {major} is not read")
    fmt = "<H" if major == 1 else "<I"
    start = len(MAGIC) + 2 + struct.calcsize(fmt)
    length = struct.unpack(fmt, head[len(MAGIC) + 2:start])[0]
    if length > MAX_NPY_HEADER or start + length > len(head):
        raise archive.refuse(entry, f".npy header of {length} bytes is longer than the member or"
                                    f" than limits.MAX_NPY_HEADER = {MAX_NPY_HEADER}")
    text = head[start:start + length].decode("latin1")
    try:
        fields = ast.literal_eval(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        raise archive.refuse(entry, f".npy header is not a dict literal ({type(error).__name__})") \
            from error
    dtype, shape, fortran = _check_fields(fields, archive, entry)
    return dtype, shape, fortran, start + length


def _check_fields(fields, archive, entry):
    if type(fields) is not dict or set(fields) != {"descr", "fortran_order", "shape"}:
        raise archive.refuse(entry, ".npy header must be a dict with keys descr, fortran_order"
                                    " and shape")
    descr, fortran, shape = fields["descr"], fields["fortran_order"], fields["shape"]
    if type(descr) is not str or len(descr) != 3 or descr[0] not in "<>|" \
            or descr[1] not in KINDS or not descr[2].isdigit() \
            or int(descr[2]) not in KINDS[descr[1]]:
        raise archive.refuse(entry, f"dtype {descr!r:.40} is not one tinyres saves (floats,"
                                    " integers, booleans)")
    if type(fortran) is not bool:
        raise archive.refuse(entry, "fortran_order must be True or False")
    if type(shape) is not tuple or len(shape) > MAX_NDIM or \
            not all(type(n) is int and n >= 0 for n in shape):
        raise archive.refuse(entry, f"shape must be a tuple of at most {MAX_NDIM} integers >= 0")
    return np.dtype(descr), shape, fortran


def payload_size(dtype, shape):
    """Bytes of an array of this dtype and shape (Python integers: no overflow)."""
    size = dtype.itemsize
    for n in shape:
        size *= n
    return size


def read(archive, name, entry, described):
    """The array of member `name`, described = header(...); a fresh C-ordered native-endian copy."""
    dtype, shape, fortran, start = described
    raw = archive.read(name, start + payload_size(dtype, shape), entry)
    if dtype.kind == "b":  # a bool byte other than 0 or 1 is undefined in numpy: normalise it
        flat = np.frombuffer(raw, np.uint8, offset=start) != 0
    else:
        flat = np.frombuffer(raw, dtype, offset=start)
    array = flat.reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=array.dtype.newbyteorder("="), order="C", copy=True)
