"""A pickle assembler for crafting files: each function returns the opcode bytes of one value, so
a case can say exactly what a crafted pickle holds (any size, stride, global or opcode)."""
import struct

PROTO2 = b"\x80\x02"
MARK, STOP, TUPLE, REDUCE, BUILD = b"(", b".", b"t", b"R", b"b"
SETITEMS, APPENDS, BINPERSID = b"u", b"e", b"Q"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, NONE = b"}", b"]", b")", b"N"


def integer(value):
    """BININT for 32-bit values, LONG1 (any size up to 255 bytes) otherwise."""
    if isinstance(value, bool):
        return b"\x88" if value else b"\x89"
    if -2**31 <= value < 2**31:
        return b"J" + struct.pack("<i", value)
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


def text(value):
    raw = value.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def blob(value):
    return b"B" + struct.pack("<I", len(value)) + value


def py2str(value):
    """A Python 2 str (BINSTRING): bytes under encoding='bytes'."""
    return b"T" + struct.pack("<i", len(value)) + value


def floating(value):
    return b"G" + struct.pack(">d", value)


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def tup(*items):
    return MARK + b"".join(items) + TUPLE


def value(obj):
    """Opcodes for a plain value: int, float, str, bytes, None, tuple, list."""
    if obj is None:
        return NONE
    if isinstance(obj, (bool, int)):
        return integer(obj)
    if isinstance(obj, float):
        return floating(obj)
    if isinstance(obj, str):
        return text(obj)
    if isinstance(obj, bytes):
        return py2str(obj)
    if isinstance(obj, tuple):
        return tup(*(value(v) for v in obj))
    if isinstance(obj, list):
        return EMPTY_LIST + (MARK + b"".join(value(v) for v in obj) + APPENDS if obj else b"")
    raise TypeError(type(obj))


def call(func, *args):
    """func (opcodes pushing a callable) called with args (opcodes): REDUCE."""
    return func + tup(*args) + REDUCE


def ordered_dict(items):
    """collections.OrderedDict() then SETITEMS of (key opcodes, value opcodes) pairs."""
    body = b"".join(k + v for k, v in items)
    return call(glob("collections", "OrderedDict")) + (MARK + body + SETITEMS if items else b"")


def storage(key, numel, kind="FloatStorage", location="cpu"):
    """torch's persistent id for a storage: ('storage', torch.<kind>, key, location, numel)."""
    return tup(text("storage"), glob("torch", kind), value(key), text(location),
               value(numel)) + BINPERSID


def tensor(storage_ops, offset, size, stride):
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""
    return call(glob("torch._utils", "_rebuild_tensor_v2"), storage_ops, value(offset),
                value(tuple(size)), value(tuple(stride)), b"\x89", ordered_dict([]))


def state_dict(entries):
    """A pickled state_dict: entries is a list of (name, tensor opcodes)."""
    return PROTO2 + ordered_dict([(text(n), t) for n, t in entries]) + STOP
