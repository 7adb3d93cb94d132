"""Write CIFAR-10 batch files byte-for-byte in the format of the real ones: Python 2 cPickle,
protocol 2, str as SHORT_BINSTRING/BINSTRING, the uint8 array through
numpy.core.multiarray._reconstruct. Python 3's pickle cannot produce this (its protocol 2 pickles
bytes through _codecs.encode), so the opcodes are written here by hand."""
import struct

import numpy as np


def _str(value):
    """A Python 2 str (bytes here)."""
    if len(value) < 256:
        return b"U" + bytes([len(value)]) + value
    return b"T" + struct.pack("<i", len(value)) + value


def _int(value):
    if 0 <= value < 256:
        return b"K" + bytes([value])
    if 0 <= value < 65536:
        return b"M" + struct.pack("<H", value)
    return b"J" + struct.pack("<i", value)


def _global(module, name):
    return b"c" + module + b"\n" + name + b"\n"


def _uint8_array(array):
    """cPickle's bytes for a 2-D uint8 ndarray, as numpy 1.x under Python 2 wrote them."""
    rows, cols = array.shape
    dtype = (_global(b"numpy", b"dtype") + _str(b"u1") + _int(0) + _int(1) + b"\x87R"
             + b"(" + _int(3) + _str(b"|") + b"NNN" + _int(-1) + _int(-1) + _int(0) + b"tb")
    return (_global(b"numpy.core.multiarray", b"_reconstruct") + _global(b"numpy", b"ndarray")
            + _int(0) + b"\x85" + _str(b"b") + b"\x87R"
            + b"(" + _int(1) + _int(rows) + _int(cols) + b"\x86" + dtype + b"\x89"
            + _str(np.ascontiguousarray(array).tobytes()) + b"tb")


def cifar_batch_bytes(data, labels, batch_label=b"training batch 1 of 5"):
    """The pickle of {b"batch_label", b"labels", b"data", b"filenames"} for data (N, 3072) uint8."""
    names = [_str(b"img_%d.png" % i) for i in range(len(labels))]
    items = (_str(b"data") + _uint8_array(data)
             + _str(b"labels") + b"](" + b"".join(_int(int(v)) for v in labels) + b"e"
             + _str(b"batch_label") + _str(batch_label)
             + _str(b"filenames") + b"](" + b"".join(names) + b"e")
    return b"\x80\x02}(" + items + b"u."
