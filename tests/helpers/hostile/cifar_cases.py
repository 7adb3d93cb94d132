"""Crafted CIFAR-10 python batches for tinyres.data.cifar10.read_batch: controls in the real
files' format (py2pickle.py) and in Python 3's, and files that must be refused."""
import pickle

import numpy as np

from ..py2pickle import cifar_batch_bytes

from . import pickle_asm as P
from .case import Case

STATE = (3, b"|", None, None, None, -1, -1, 0)  # numpy's BUILD state of dtype('u1')


def array(shape, raw, dtype_args=(b"u1", 0, 1), dtype_state=STATE, fortran=False,
          cls=("numpy", "ndarray"), extra_dtype_build=None):
    """Opcodes of numpy's _reconstruct(ndarray, (0,), b'b') + BUILD, every part chosen."""
    dtype = P.call(P.glob("numpy", "dtype"), *(P.value(a) for a in dtype_args)) \
        + P.value(dtype_state) + P.BUILD
    if extra_dtype_build is not None:
        dtype += P.value(extra_dtype_build) + P.BUILD
    return (P.call(P.glob("numpy.core.multiarray", "_reconstruct"), P.glob(*cls),
                   P.value((0,)), P.py2str(b"b"))
            + P.tup(P.value(1), P.value(tuple(shape)), dtype, P.value(fortran), P.py2str(raw))
            + P.BUILD)


def batch(data_ops, labels_ops):
    """A pickled {b'data': ..., b'labels': ...} dict."""
    return (P.PROTO2 + P.EMPTY_DICT + P.MARK + P.py2str(b"data") + data_ops
            + P.py2str(b"labels") + labels_ops + P.SETITEMS + P.STOP)


def cases():
    """The CIFAR-10 batch cases (case.Case)."""
    from .runner import digest
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
    labels = [3, 0, 9]
    raw, good_labels = data.tobytes(), P.value(labels)
    out = []

    def case(name, content, expect):
        out.append(Case(name, "cifar", name, content, expect))

    def refused(name, data_ops, regex, labels_ops=good_labels):
        case(name, batch(data_ops, labels_ops), ("error", regex))

    ok = ("ok", digest([data, np.array(labels, np.int64)]))
    case("ok_python2_format", cifar_batch_bytes(data, labels), ok)
    case("ok_python3_protocol4", pickle.dumps({b"data": data, b"labels": labels}, protocol=4), ok)
    case("ok_python3_protocol2", pickle.dumps({b"data": data, b"labels": labels}, protocol=2), ok)
    refused("shape_claims_300mb", array((100_000, 3072), raw), r"claims shape \(100000, 3072\)")
    refused("shape_short_rows", array((3, 100), raw[:300]), r"must be an \(N, 3072\) uint8")
    refused("shape_negative", array((-1, 3072), raw), r"must be an \(N, 3072\)")
    refused("dtype_build_itemsize", array((3, 3072), raw, dtype_state=(
        3, b"|", None, None, None, 1 << 31, 1, 0)), "unexpected dtype state")
    refused("dtype_build_twice", array((3, 3072), raw, extra_dtype_build=(
        3, b"<", None, None, None, 8, 8, 0)), "unexpected dtype state")
    refused("dtype_float64", array((3, 3072), raw, dtype_args=(b"f8", 0, 1)),
            "dtype b'f8' is not read")
    refused("dtype_object", array((3, 3072), raw, dtype_args=(b"O", 0, 1)), "dtype b'O'")
    refused("fortran_order", array((3, 3072), raw, fortran=True), "C-ordered uint8")
    refused("reconstruct_matrix", array((3, 3072), raw, cls=("numpy", "matrix")),
            "refused the global numpy.matrix")
    refused("data_as_text", array((3, 3072), raw).replace(P.py2str(raw), P.text("x" * 9216)),
            "C-ordered uint8 array of raw bytes")
    refused("labels_float", array((3, 3072), raw), r"label 1 is 3.9 \(float\)",
            P.value([3, 3.9, 1]))
    refused("labels_text", array((3, 3072), raw), r"label 0 is '7' \(str\)", P.value(["7", 1, 2]))
    refused("labels_bool", array((3, 3072), raw), r"label 2 is True \(bool\)",
            P.value([1, 2, True]))
    refused("labels_out_of_range", array((3, 3072), raw), r"label 1 is 10 \(int\)",
            P.value([1, 10, 2]))
    refused("labels_negative", array((3, 3072), raw), r"label 0 is -1", P.value([-1, 1, 2]))
    refused("labels_count", array((3, 3072), raw), "list of 3 ints in 0..9, got 2 items",
            P.value([1, 2]))
    refused("labels_nested", array((3, 3072), raw), r"label 0 is \? \(list\)",
            P.EMPTY_LIST + P.EMPTY_LIST * 50_000 + b"a" * 50_000 + P.value(1) + b"a"
            + P.value(2) + b"a")
    case("global_os_system", P.PROTO2 + P.call(P.glob("os", "system"), P.text("echo hi"))
         + P.STOP, ("error", "refused the global os.system"))
    case("protocol5_frombuffer", pickle.dumps({b"data": data, b"labels": labels}, protocol=5),
         ("error", "refused the global numpy._core.numeric._frombuffer"))
    case("truncated", cifar_batch_bytes(data, labels)[:5000], ("error", "truncated"))
    case("empty", b"", ("error", "truncated"))
    case("not_a_dict", P.PROTO2 + P.value([1, 2]) + P.STOP, ("error", "got a list"))
    case("file_300mb", _sparse(300 << 20), ("error", "more than limits.MAX_BATCH_FILE_BYTES"))
    return out


def _sparse(size):
    """A writer of a file of `size` zero bytes that uses no disk (a sparse file)."""
    def write(path):
        with open(path, "wb") as f:
            f.truncate(size)
    return write
