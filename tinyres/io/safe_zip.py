"""Reading zip archives from strangers (.pth and .npz are zip files): names checked, every member
read with a hard bound, sizes proved before anything is inflated.

A zip member's header declares its size, but the header is part of the file: it may lie (the
compressed data inflates to more, or less), or tell the truth about a "zip bomb" (6 MB that inflate
to 6 GB). So a member is read only when the loader already knows how many bytes it should hold
(from the pickle's or the .npy header's own claims, checked against each other); the read stops
at that many bytes, and a member whose data does not match its header (length or CRC) is refused.
"""
import zipfile
import zlib

from .errors import BadFileError
from .limits import INFLATE_SLACK, MAX_INFLATE_RATIO

_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class Archive:
    """A zip file opened for the loader `loader`; use as a context manager."""

    def __init__(self, path, loader, what):
        self.path, self.loader = path, loader
        if not zipfile.is_zipfile(path):
            raise BadFileError(loader, path, None, f"is not {what} (not a zip archive)")
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
            raise BadFileError(loader, path, None, f"damaged zip archive ({error})") from error
        self.members = {}
        try:
            for info in self.zip.infolist():
                self._check_name(info.filename)
                self.members[info.filename] = info
        except BadFileError:
            self.zip.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.zip.close()

    def refuse(self, entry, reason):
        """A BadFileError about this archive's member `entry`."""
        return BadFileError(self.loader, self.path, entry, reason)

    def _check_name(self, name):
        parts = name.split("/")
        if name in self.members:
            raise self.refuse(f"member {name!r}", "appears twice in the archive")
        if name.startswith("/") or "\\" in name or "\0" in name or ".." in parts \
                or (len(name) > 1 and name[1] == ":"):
            raise self.refuse(f"member {name!r}", "unsafe member name (absolute, '..',"
                                                  " backslash or drive)")

    def read(self, name, size, entry=None):
        """The bytes of member `name`, which must hold exactly `size` bytes (known beforehand)."""
        entry = entry or f"member {name!r}"
        info = self._info(name, entry)
        if info.file_size != size:
            raise self.refuse(entry, f"member {name!r} declares {info.file_size} bytes,"
                                     f" expected {size}")
        self._check_method(info, size, entry)
        return self._read_exactly(info, size, entry)

    def read_small(self, name, limit, entry=None):
        """The bytes of member `name`, whose declared size must be at most `limit`."""
        info = self.members.get(name)
        if info is not None and info.file_size > limit:
            raise self.refuse(entry or f"member {name!r}", f"declares {info.file_size} bytes,"
                                                           f" more than the limit of {limit}")
        return self.read(name, info.file_size if info is not None else 0, entry)

    def peek(self, name, size, entry=None):
        """The first `size` bytes of member `name` (e.g. a header), or all of it if shorter."""
        entry = entry or f"member {name!r}"
        info = self._info(name, entry)
        size = min(size, info.file_size)
        self._check_method(info, info.file_size, entry)
        return self._read_exactly(info, size, entry, whole=False)

    def _info(self, name, entry):
        if name not in self.members:
            raise self.refuse(entry, f"missing: no member {name!r} in the archive")
        return self.members[name]

    def _check_method(self, info, size, entry):
        name = info.filename
        if info.compress_type not in _METHODS or info.flag_bits & 0x1:
            raise self.refuse(entry, f"member {name!r} is encrypted or compressed with method"
                                     f" {info.compress_type} (only stored and deflated are read)")
        if info.compress_type == zipfile.ZIP_DEFLATED and \
                size > INFLATE_SLACK + MAX_INFLATE_RATIO * info.compress_size:
            raise self.refuse(entry, f"member {name!r} would inflate {info.compress_size} bytes to"
                                     f" {size} (more than {MAX_INFLATE_RATIO}-fold: a zip bomb?)")

    def _read_exactly(self, info, size, entry, whole=True):
        try:
            with self.zip.open(info) as f:
                # zipfile stops at the declared size and checks the CRC when it gets there
                data = f.read(size + 1 if whole else size)
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError,
                ValueError) as error:
            raise self.refuse(entry, f"damaged member {info.filename!r} ({error})") from error
        if len(data) != size:
            raise self.refuse(entry, f"member {info.filename!r} holds {len(data)} bytes, its"
                                     f" header says {size}")
        return data
