"""Crafted torch.save (.pth) files for load_pth: controls that must load exactly, and files that
must be refused with one clear line (expected message as a regex)."""
import numpy as np

from . import pickle_asm as P
from . import zip_tools as Z
from .case import Case, damaged

W = np.arange(6, dtype=np.float32).reshape(2, 3)  # the tensor most cases describe
RAW = W.tobytes()
BIG = 1 << 62


def _pth(pickled, storages, byteorder=b"little", extra=(), prefix="archive/"):
    """The members of a torch.save zip: data.pkl, byteorder, data/<key>."""
    members = [Z.stored(prefix + "data.pkl", pickled)]
    if byteorder is not None:
        members.append(Z.stored(prefix + "byteorder", byteorder))
    members += [m if isinstance(m, Z.Member) else Z.stored(prefix + "data/" + k, m)
                for k, m in storages.items()]
    return members + list(extra)


def _one(offset, size, stride, numel=6, kind="FloatStorage", key="0"):
    """A state_dict pickle of one tensor 'w' viewing storage `key`."""
    return P.state_dict([("w", P.tensor(P.storage(key, numel, kind), offset, size, stride))])


def _digest(arrays):
    from .runner import digest
    return digest(arrays)


def _case(name, pickled, storages, expect, **kw):
    return Case(name, "pth", name + ".pth", _pth(pickled, storages, **kw), expect)


def _refused(name, pickled, storages, regex, **kw):
    return _case(name, pickled, storages, ("error", regex), **kw)


def cases():
    """The .pth cases (case.Case)."""
    return (_controls() + _views() + _storages() + _archives() + _pickles()
            + _archive_damage(RAW))


def _controls():
    """Controls: these load, exactly."""
    return [
        _case("ok_contiguous", _one(0, (2, 3), (3, 1)), {"0": RAW}, ("ok", _digest({"w": W}))),
        _case("ok_transposed", _one(0, (3, 2), (1, 3)), {"0": RAW}, ("ok", _digest({"w": W.T}))),
        _case("ok_offset_slice", _one(3, (3,), (1,)), {"0": RAW}, ("ok", _digest({"w": W[1]}))),
        _case("ok_zero_stride_small", _one(0, (4, 3), (0, 1)), {"0": RAW},
              ("ok", _digest({"w": np.broadcast_to(W[0], (4, 3))}))),
        _case("ok_big_endian", _one(0, (2, 3), (3, 1)), {"0": W.astype(">f4").tobytes()},
              ("ok", _digest({"w": W})), byteorder=b"big"),
        _case("ok_deflated_member", _one(0, (2, 3), (3, 1)),
              {"0": Z.deflated("archive/data/0", RAW)}, ("ok", _digest({"w": W}))),
        _case("ok_memo_index_2e32", P.PROTO2 + P.ordered_dict([(P.text("w"), P.tensor(
            P.storage("0", 6), 0, (2, 3), (3, 1)) + b"r\xff\xff\xff\xff")]) + P.STOP,
              {"0": RAW}, ("ok", _digest({"w": W}))),  # a memo index Python would allocate
    ]


def _views():
    """Views that do not fit their storage."""
    return [
        _refused("stride_overflow", _one(0, (2, 2), (BIG, 1)), {"0": RAW}, "outside its storage"),
        _refused("stride_wraps_int64", _one(0, (3,), (1 << 60,)), {"0": RAW},
                 "outside its storage"),
        _refused("stride_wraps_2d", _one(0, (2, 2), (1 << 60, 1 << 60)), {"0": RAW},
                 "outside its storage"),
        _refused("stride_2e2000", _one(0, (2,), (1 << 2000,)), {"0": RAW}, "outside its storage"),
        _refused("stride_negative", _one(5, (2, 3), (-3, 1)), {"0": RAW},
                 "stride .* integers >= 0"),
        _refused("zero_stride_amplify", _one(0, (1 << 15, 1 << 15), (0, 0), numel=1),
                 {"0": RAW[:4]}, "repeat their storages' elements"),
        _refused("offset_past_end", _one(7, (2,), (1,)), {"0": RAW}, r"offset 7 \+ extent 2"),
        _refused("offset_negative", _one(-1, (2,), (1,)), {"0": RAW}, "offset -1 must hold"),
        _refused("numel_exceeds_storage", _one(0, (1000, 1000), (1000, 1)), {"0": RAW},
                 "outside its storage of 6 elements"),
        _refused("size_is_float", _one(0, (2.0, 3), (3, 1)), {"0": RAW}, "size .* integers >= 0"),
        _refused("size_is_bool", _one(0, (True, 3), (3, 1)), {"0": RAW}, "size .* integers >= 0"),
        _refused("ndim_100", _one(0, (1,) * 100, (1,) * 100), {"0": RAW}, "100 dimensions"),
        _refused("size_stride_lengths", _one(0, (2, 3), (1,)), {"0": RAW}, "same length"),
    ]


def _storages():
    """Storages that do not match their members."""
    return [
        _refused("storage_member_short", _one(0, (2, 3), (3, 1)), {"0": RAW[:8]},
                 "declares 8 bytes, expected 24"),
        _refused("storage_member_missing", _one(0, (2, 3), (3, 1)), {}, "missing: no member"),
        _refused("storage_claims_4e12_bytes", _one(0, (2,), (1,), numel=1 << 40), {"0": RAW},
                 "claim 4398046511104 bytes, more than"),
        _refused("storage_key_traversal", _one(0, (2,), (1,), key="../../etc/passwd"), {"0": RAW},
                 "malformed storage id"),
        _refused("storage_declared_twice", P.state_dict([
            ("a", P.tensor(P.storage("0", 6), 0, (2,), (1,))),
            ("b", P.tensor(P.storage("0", 600), 0, (2,), (1,)))]), {"0": RAW}, "declared twice"),
        _refused("storage_unknown_type", _one(0, (2,), (1,), kind="ComplexFloatStorage"),
                 {"0": RAW}, "refused the global torch.ComplexFloatStorage"),
        _refused("persistent_id_malformed", P.PROTO2 + P.ordered_dict([(P.text("w"), P.tup(
            P.text("storage")) + P.BINPERSID)]) + P.STOP, {}, "not a torch storage"),
    ]


def _archives():
    """Zip members that lie, bombs, names."""
    return [
        _refused("zip_bomb_1gib", _one(0, (2,), (1,), numel=1 << 28), {"0": Z.bomb("archive/data/0",
                 1024)}, "would inflate .* a zip bomb"),
        _refused("header_says_less", _one(0, (2, 3), (3, 1)), {"0": Z.lying(Z.bomb(
            "archive/data/0", 64, RAW), 24)}, "Bad CRC-32"),
        _refused("header_says_more", _one(0, (1000,), (1,), numel=1000), {"0": Z.lying(Z.stored(
            "archive/data/0", RAW), 4000)}, "damaged member|holds 24 bytes"),
        _refused("member_name_traversal", _one(0, (2,), (1,)), {"0": RAW}, "unsafe member name",
                 extra=[Z.stored("../../evil", b"x")]),
        _refused("member_name_absolute", _one(0, (2,), (1,)), {"0": RAW}, "unsafe member name",
                 extra=[Z.stored("/etc/evil", b"x")]),
        _refused("member_duplicate", _one(0, (2,), (1,)), {"0": RAW}, "appears twice",
                 extra=[Z.stored("archive/data/0", RAW)]),
        _refused("two_data_pkl", _one(0, (2,), (1,)), {"0": RAW}, "expected one data.pkl",
                 extra=[Z.stored("other/data.pkl", b"")]),
        _refused("byteorder_garbage", _one(0, (2,), (1,)), {"0": RAW}, "byteorder: must say",
                 byteorder=b"middle"),
        _refused("compression_bzip2", _one(0, (2,), (1,)), {"0": Z.Member(
            "archive/data/0", RAW, 12, 0, 24)}, "compressed with method 12"),
    ]


def _pickles():
    """Pickles that try to run code or build objects."""
    return [
        _refused("global_os_system", P.PROTO2 + P.call(P.glob("os", "system"), P.text("echo hi"))
                 + P.STOP, {}, "refused the global os.system"),
        _refused("stack_global_eval", b"\x80\x04" + b"\x8c\x08builtins\x8c\x04eval\x93"
                 + P.call(b"", P.text("1")) + P.STOP, {}, "refused the global builtins.eval"),
        _refused("reduce_storage_class", P.PROTO2 + P.call(P.glob("torch", "FloatStorage"))
                 + P.STOP, {}, "calls torch.FloatStorage, which may not be called"),
        _refused("newobj_opcode", P.PROTO2 + P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE
                 + b"\x81" + P.STOP, {}, r"opcode b'\\x81' .* is not allowed"),
        _refused("build_on_dict", P.PROTO2 + P.EMPTY_DICT + P.EMPTY_DICT + P.BUILD + P.STOP, {},
                 "BUILD .* on dict is not allowed"),
        _refused("nesting_100k", P.PROTO2 + P.EMPTY_DICT + P.text("w") + P.EMPTY_LIST * 100_000
                 + b"a" * 99_999 + b"s" + P.STOP, {}, "nested more than 32 levels"),
        _refused("opcodes_2m", P.PROTO2 + P.NONE + b"0N" * 1_000_000 + P.STOP, {},
                 "more than 1000000 opcodes"),
        _refused("pickle_truncated", _one(0, (2, 3), (3, 1))[:-30], {"0": RAW}, "truncated"),
        _refused("top_level_list", P.PROTO2 + P.value([1, 2]) + P.STOP, {}, "holds a list"),
    ]


def _archive_damage(RAW):
    """Whole-file damage: legacy pickles, empty, truncated and bit-flipped archives."""
    good = _pth(_one(0, (2, 3), (3, 1)), {"0": RAW}, byteorder=None)
    inside_pickle = 30 + len("archive/data.pkl") + 40  # local header, name, 40 bytes in
    return [
        Case("legacy_pickle", "pth", "legacy.pth", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.",
             ("error", "is a pickle, not a zip-format")),  # legacy torch.save's magic number
        Case("empty_file", "pth", "empty.pth", b"", ("error", "not a zip archive")),
        Case("truncated_archive", "pth", "truncated.pth",
             damaged(good, lambda p: Z.truncate(p, -40)), ("error", "not a zip archive")),
        Case("bitflip_in_pickle", "pth", "bitflip.pth",
             damaged(good, lambda p: Z.flip(p, inside_pickle)), ("error", "Bad CRC-32")),
    ]
