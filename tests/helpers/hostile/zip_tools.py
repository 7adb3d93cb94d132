"""A minimal zip writer for the corpus: each member's bytes and each header field are given
outright, so a case can write honest archives, zip bombs (deflated zeros, never inflated here),
headers that lie about sizes, duplicate and traversing names."""
import struct
import zlib

STORED, DEFLATED = 0, 8


class Member:
    """One member: name, the bytes as stored in the archive, method, CRC and declared size."""

    def __init__(self, name, raw, method, crc, size):
        self.name, self.raw, self.method, self.crc, self.size = name, raw, method, crc, size


def stored(name, data):
    return Member(name, data, STORED, zlib.crc32(data), len(data))


def deflated(name, data):
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, comp.compress(data) + comp.flush(), DEFLATED, zlib.crc32(data), len(data))


def lying(member, size):
    """member with a header that declares `size` uncompressed bytes (data and CRC unchanged)."""
    return Member(member.name, member.raw, member.method, member.crc, size)


def bomb(name, mib, prefix=b""):
    """A deflated member that inflates to prefix + `mib` MiB of zeros: ~1 kB per MiB."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = block.compress(prefix) + block.flush(zlib.Z_FULL_FLUSH) if prefix else b""
    one = zlib.compressobj(9, zlib.DEFLATED, -15)
    step = one.compress(bytes(1 << 20)) + one.flush(zlib.Z_FULL_FLUSH)  # self-contained
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    # CRC left 0 (computing it costs a second a GiB): a loader must refuse a bomb on its sizes
    # alone, and one that inflates it in full runs out of memory before it reaches the check
    return Member(name, head + step * mib + end, DEFLATED, 0, len(prefix) + (mib << 20))


def write(path, members):
    """Write members (in order, duplicates and odd names as given) as a zip archive."""
    out, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        fields = (20, 0, m.method, 0, 0x5821, m.crc, len(m.raw), m.size, len(name), 0)
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0,
                               len(out)) + name
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields) + name + m.raw
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out + central + end))


def flip(path, offset, mask=0xFF):
    """Flip bits of the byte at offset (negative: from the end)."""
    raw = bytearray(open(path, "rb").read())
    raw[offset] ^= mask
    open(path, "wb").write(bytes(raw))


def truncate(path, keep):
    """Keep the first `keep` bytes (negative: all but the last -keep)."""
    raw = open(path, "rb").read()
    open(path, "wb").write(raw[:keep])
