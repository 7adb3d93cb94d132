"""Crafted tinyres checkpoints (.npz with a JSON description) for tinyres.load: a control written
by tinyres.save, and archives that must be refused (npz bombs, lying headers, pickled and
structured dtypes, crafted JSON, names, truncation, bit flips, files that are not zips)."""
import io
import json
import struct

import numpy as np

from . import zip_tools as Z
from .case import Case, damaged

META = "__tinyres__.json"


def npy(array=None, header=None):
    """.npy bytes of array, or a crafted header dict text followed by the array's bytes."""
    if header is None:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()
    text = header.encode("latin1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    body = b"" if array is None else np.ascontiguousarray(array).tobytes()
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


def meta(tree):
    return json.dumps({"format": "tinyres-checkpoint-1", "tree": tree}).encode()


ONE = {"t": "dict", "items": [["w", {"t": "array", "key": "a0"}]]}  # {"w": array a0}
W = np.arange(6, dtype=np.float32).reshape(2, 3)


def cases():
    """The tinyres checkpoint cases (case.Case)."""
    from .runner import digest
    out = []

    def case(name, members, expect):
        out.append(Case(name, "npz", name + ".npz", members, expect))

    def refused(name, array_member, regex, tree=ONE):
        case(name, [array_member, Z.stored(META, meta(tree))], ("error", regex))

    ok = ("ok", digest({"w": W}))
    case("ok_plain", [Z.stored("a0.npy", npy(W)), Z.stored(META, meta(ONE))], ok)
    case("ok_big_endian", [Z.stored("a0.npy", npy(W.astype(">f4"))), Z.stored(META, meta(ONE))],
         ok)
    case("ok_fortran", [Z.stored("a0.npy", npy(np.asfortranarray(W))), Z.stored(META, meta(ONE))],
         ok)
    case("ok_deflated", [Z.deflated("a0.npy", npy(W)), Z.deflated(META, meta(ONE))], ok)
    head = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }"
    refused("npz_bomb_1gib", Z.bomb("a0.npy", 1024, npy(header=head % (1 << 30))),
            "would inflate .* a zip bomb")
    refused("header_claims_6gib", Z.stored("a0.npy", npy(np.zeros(16, np.uint8),
            header=head % (6 << 30))), "claim 6442450944 bytes, more than")
    refused("header_claims_2gib", Z.stored("a0.npy", npy(np.zeros(16, np.uint8),
            header=head % (2 << 30))), "declares 144 bytes, expected 2147483776")
    refused("header_lies_less", Z.lying(Z.stored("a0.npy", npy(W)), 64), "Bad CRC-32")
    refused("dtype_object", Z.stored("a0.npy", npy(header="{'descr': '|O', 'fortran_order':"
            " False, 'shape': (2,), }")), r"dtype '\|O' is not one tinyres saves")
    refused("dtype_structured", Z.stored("a0.npy", npy(header="{'descr': [('a', '<f4')],"
            " 'fortran_order': False, 'shape': (2,), }")), "is not one tinyres saves")
    refused("dtype_void_huge", Z.stored("a0.npy", npy(header="{'descr': '|V999999999',"
            " 'fortran_order': False, 'shape': (2,), }")), "is not one tinyres saves")
    refused("shape_negative", Z.stored("a0.npy", npy(header="{'descr': '<f4', 'fortran_order':"
            " False, 'shape': (-2, 3), }")), "shape must be a tuple")
    refused("header_code", Z.stored("a0.npy", npy(header="__import__('os').system('echo hi')")),
            "header is not a dict literal")
    refused("header_deep_parens", Z.stored("a0.npy", npy(header="(" * 4000 + ")" * 4000)),
            "header is not a dict literal")
    refused("header_length_lies", Z.stored("a0.npy", b"\x93NUMPY\x01\x00\xff\xff{}"),
            "longer than the member")
    refused("not_npy", Z.stored("a0.npy", b"PK\x03\x04 not an array"), "is not an .npy array")
    refused("meta_missing_array", Z.stored("a1.npy", npy(W)), "missing: no member 'a0.npy'")
    refused("meta_unknown_node", Z.stored("a0.npy", npy(W)), "is not one save\\(\\) writes",
            tree={"t": "eval", "code": "1"})
    refused("meta_key_traversal", Z.stored("a0.npy", npy(W)), "is not one save\\(\\) writes",
            tree={"t": "array", "key": "../a0"})
    refused("meta_nested_60", Z.stored("a0.npy", npy(W)), "nested more than 32",
            tree=_nest(60))
    case("meta_json_recursion", [Z.stored("a0.npy", npy(W)), Z.stored(
        META, b'{"format": "tinyres-checkpoint-1", "tree": ' + b"[" * 200_000 + b"]" * 200_000
        + b"}")], ("error", "is not valid JSON"))
    case("meta_not_json", [Z.stored("a0.npy", npy(W)), Z.stored(META, b"\xff\xfe not json")],
         ("error", "is not valid JSON"))
    case("meta_bomb", [Z.stored("a0.npy", npy(W)), Z.bomb(META, 64)],
         ("error", "more than the limit"))
    case("no_meta_plain_npz", [Z.stored("w.npy", npy(W))], ("error", "is not a tinyres checkpoint"))
    case("name_traversal", [Z.stored("a0.npy", npy(W)), Z.stored("../../a0.npy", npy(W)),
                            Z.stored(META, meta(ONE))], ("error", "unsafe member name"))
    case("meta_twice", [Z.stored("a0.npy", npy(W)), Z.stored(META, meta(ONE)),
                        Z.stored(META, meta(ONE))], ("error", "appears twice"))
    return out + _whole_file()


def _nest(depth):
    node = {"t": "list", "items": []}
    for _ in range(depth):
        node = {"t": "list", "items": [node]}
    return node


def _whole_file():
    """README-like text, empty, truncated and bit-flipped checkpoints."""
    good = [Z.stored("a0.npy", npy(W)), Z.stored(META, meta(ONE))]
    array_byte = 30 + len("a0.npy") + 128 + 5  # local header, name, .npy header, 5 bytes in
    return [
        Case("text_file", "npz", "README.md", b"# tinyres\n\nNot a checkpoint.\n",
             ("error", "is not a tinyres checkpoint \\(not a zip")),
        Case("empty_file", "npz", "empty.npz", b"", ("error", "not a zip archive")),
        Case("truncated_half", "npz", "half.npz", damaged(good, lambda p: Z.truncate(p, 300)),
             ("error", "not a zip archive")),
        Case("truncated_tail", "npz", "tail.npz", damaged(good, lambda p: Z.truncate(p, -1)),
             ("error", "not a zip archive")),
        Case("bitflip_array", "npz", "flip1.npz", damaged(good, lambda p: Z.flip(p, array_byte)),
             ("error", "Bad CRC-32")),
        Case("bitflip_directory", "npz", "flip2.npz",
             damaged(good, lambda p: Z.flip(p, -30, 0x40)), ("error", f"no {META} inside")),
    ]
