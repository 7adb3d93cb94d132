"""Crafted torch.save (.pth) files for load_pth: controls that must load exactly, and files that
must be refused with one clear line (expected message as a regex)."""
import numpy as np

from . import pickle_asm as P
from . import zip_tools as Z
from .case import Case, damaged

W = np.arange(6, dtype=np.float32).reshape(2, 3)  # the tensor most cases describe
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


def cases():
    """The .pth cases (case.Case)."""
    raw = W.tobytes()
    out = []

    def case(name, pickled, storages, expect, **kw):
        out.append(Case(name, "pth", name + ".pth", _pth(pickled, storages, **kw), expect))

    def refused(name, pickled, storages, regex, **kw):
        case(name, pickled, storages, ("error", regex), **kw)

    # --- controls: these load, exactly -----------------------------------------------------------
    case("ok_contiguous", _one(0, (2, 3), (3, 1)), {"0": raw}, ("ok", _digest({"w": W})))
    case("ok_transposed", _one(0, (3, 2), (1, 3)), {"0": raw}, ("ok", _digest({"w": W.T})))
    case("ok_offset_slice", _one(3, (3,), (1,)), {"0": raw}, ("ok", _digest({"w": W[1]})))
    case("ok_zero_stride_small", _one(0, (4, 3), (0, 1)), {"0": raw},
         ("ok", _digest({"w": np.broadcast_to(W[0], (4, 3))})))
    case("ok_big_endian", _one(0, (2, 3), (3, 1)), {"0": W.astype(">f4").tobytes()},
         ("ok", _digest({"w": W})), byteorder=b"big")
    case("ok_deflated_member", _one(0, (2, 3), (3, 1)),
         {"0": Z.deflated("archive/data/0", raw)}, ("ok", _digest({"w": W})))
    case("ok_memo_index_2e32", P.PROTO2 + P.ordered_dict([(P.text("w"), P.tensor(
        P.storage("0", 6), 0, (2, 3), (3, 1)) + b"r\xff\xff\xff\xff")]) + P.STOP,
         {"0": raw}, ("ok", _digest({"w": W})))
    # --- views that do not fit their storage ------------------------------------------------------
    refused("stride_overflow", _one(0, (2, 2), (BIG, 1)), {"0": raw}, "outside its storage")
    refused("stride_wraps_int64", _one(0, (3,), (1 << 60,)), {"0": raw}, "outside its storage")
    refused("stride_wraps_2d", _one(0, (2, 2), (1 << 60, 1 << 60)), {"0": raw},
            "outside its storage")
    refused("stride_2e2000", _one(0, (2,), (1 << 2000,)), {"0": raw}, "outside its storage")
    refused("stride_negative", _one(5, (2, 3), (-3, 1)), {"0": raw}, "stride .* integers >= 0")
    refused("zero_stride_amplify", _one(0, (1 << 15, 1 << 15), (0, 0), numel=1),
            {"0": raw[:4]}, "repeat their storages' elements")
    refused("offset_past_end", _one(7, (2,), (1,)), {"0": raw}, r"offset 7 \+ extent 2")
    refused("offset_negative", _one(-1, (2,), (1,)), {"0": raw}, "offset -1 must hold")
    refused("numel_exceeds_storage", _one(0, (1000, 1000), (1000, 1)), {"0": raw},
            "outside its storage of 6 elements")
    refused("size_is_float", _one(0, (2.0, 3), (3, 1)), {"0": raw}, "size .* integers >= 0")
    refused("size_is_bool", _one(0, (True, 3), (3, 1)), {"0": raw}, "size .* integers >= 0")
    refused("ndim_100", _one(0, (1,) * 100, (1,) * 100), {"0": raw}, "100 dimensions")
    refused("size_stride_lengths", _one(0, (2, 3), (1,)), {"0": raw}, "same length")
    # --- storages that do not match their members ------------------------------------------------
    refused("storage_member_short", _one(0, (2, 3), (3, 1)), {"0": raw[:8]},
            "declares 8 bytes, expected 24")
    refused("storage_member_missing", _one(0, (2, 3), (3, 1)), {}, "missing: no member")
    refused("storage_claims_4e12_bytes", _one(0, (2,), (1,), numel=1 << 40), {"0": raw},
            "claim 4398046511104 bytes, more than")
    refused("storage_key_traversal", _one(0, (2,), (1,), key="../../etc/passwd"), {"0": raw},
            "malformed storage id")
    refused("storage_declared_twice", P.state_dict([
        ("a", P.tensor(P.storage("0", 6), 0, (2,), (1,))),
        ("b", P.tensor(P.storage("0", 600), 0, (2,), (1,)))]), {"0": raw}, "declared twice")
    refused("storage_unknown_type", _one(0, (2,), (1,), kind="ComplexFloatStorage"), {"0": raw},
            "refused the global torch.ComplexFloatStorage")
    refused("persistent_id_malformed", P.PROTO2 + P.ordered_dict([(P.text("w"), P.tup(
        P.text("storage")) + P.BINPERSID)]) + P.STOP, {}, "not a torch storage")
    # --- zip members that lie, bombs, names -------------------------------------------------------
    refused("zip_bomb_1gib", _one(0, (2,), (1,), numel=1 << 28), {"0": Z.bomb("archive/data/0",
            1024)}, "would inflate .* a zip bomb")
    refused("header_says_less", _one(0, (2, 3), (3, 1)), {"0": Z.lying(Z.bomb(
        "archive/data/0", 64, raw), 24)}, "Bad CRC-32")
    refused("header_says_more", _one(0, (1000,), (1,), numel=1000), {"0": Z.lying(Z.stored(
        "archive/data/0", raw), 4000)}, "damaged member|holds 24 bytes")
    refused("member_name_traversal", _one(0, (2,), (1,)), {"0": raw}, "unsafe member name",
            extra=[Z.stored("../../evil", b"x")])
    refused("member_name_absolute", _one(0, (2,), (1,)), {"0": raw}, "unsafe member name",
            extra=[Z.stored("/etc/evil", b"x")])
    refused("member_duplicate", _one(0, (2,), (1,)), {"0": raw}, "appears twice",
            extra=[Z.stored("archive/data/0", raw)])
    refused("two_data_pkl", _one(0, (2,), (1,)), {"0": raw}, "expected one data.pkl",
            extra=[Z.stored("other/data.pkl", b"")])
    refused("byteorder_garbage", _one(0, (2,), (1,)), {"0": raw}, "byteorder: must say",
            byteorder=b"middle")
    refused("compression_bzip2", _one(0, (2,), (1,)), {"0": Z.Member(
        "archive/data/0", raw, 12, 0, 24)}, "compressed with method 12")
    # --- pickles that try to run code or build objects --------------------------------------------
    refused("global_os_system", P.PROTO2 + P.call(P.glob("os", "system"), P.text("echo hi"))
            + P.STOP, {}, "refused the global os.system")
    refused("stack_global_eval", b"\x80\x04" + b"\x8c\x08builtins\x8c\x04eval\x93"
            + P.call(b"", P.text("1")) + P.STOP, {}, "refused the global builtins.eval")
    refused("reduce_storage_class", P.PROTO2 + P.call(P.glob("torch", "FloatStorage"))
            + P.STOP, {}, "calls torch.FloatStorage, which may not be called")
    refused("newobj_opcode", P.PROTO2 + P.glob("collections", "OrderedDict") + P.EMPTY_TUPLE
            + b"\x81" + P.STOP, {}, r"opcode b'\\x81' .* is not allowed")
    refused("build_on_dict", P.PROTO2 + P.EMPTY_DICT + P.EMPTY_DICT + P.BUILD + P.STOP, {},
            "BUILD .* on dict is not allowed")
    refused("nesting_100k", P.PROTO2 + P.EMPTY_DICT + P.text("w") + P.EMPTY_LIST * 100_000
            + b"a" * 99_999 + b"s" + P.STOP, {}, "nested more than 32 levels")
    refused("opcodes_2m", P.PROTO2 + P.NONE + b"0N" * 1_000_000 + P.STOP, {},
            "more than 1000000 opcodes")
    refused("pickle_truncated", _one(0, (2, 3), (3, 1))[:-30], {"0": raw}, "truncated")
    refused("top_level_list", P.PROTO2 + P.value([1, 2]) + P.STOP, {}, "holds a list")
    return out + _archive_damage(raw)


def _archive_damage(raw):
    """Whole-file damage: legacy pickles, empty, truncated and bit-flipped archives."""
    good = _pth(_one(0, (2, 3), (3, 1)), {"0": raw}, byteorder=None)
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
