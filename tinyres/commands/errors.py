"""Which failures are the user's to fix, and how `tinyres` says each in one line.

A mistake in the arguments, a damaged or crafted file, a full or read-only disk, a missing GPU,
too little memory: none of these is a bug in tinyres, so none shows a traceback. Everything else
(a bug) still does, and `tinyres --debug COMMAND` shows the traceback for these too.
"""
import errno
import zipfile

from ..backend import DeviceUnavailableError
from ..io.errors import one_line
from .usage import UsageError

USER_ERRORS = (UsageError, ValueError, TypeError, OSError, MemoryError, EOFError,
               zipfile.BadZipFile, DeviceUnavailableError)
_DISK = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
         errno.EDQUOT: "the disk quota is exceeded", errno.EACCES: "permission denied",
         errno.EPERM: "permission denied"}


def describe(error):
    """One line saying what went wrong (for `tinyres COMMAND: error: ...`)."""
    if isinstance(error, MemoryError):
        text = f"out of memory ({error})" if str(error) else "out of memory"
    elif isinstance(error, OSError) and error.errno in _DISK:
        where = f" writing {error.filename!r}" if error.filename else ""
        text = f"{_DISK[error.errno]}{where} ({error.strerror})"
    elif isinstance(error, (EOFError, zipfile.BadZipFile)):
        text = f"a damaged or truncated file ({type(error).__name__}: {error})"
    else:
        text = str(error) or type(error).__name__
    return one_line(text, limit=600)
