"""Reading the CIFAR-10 python batches as data: a pickle machine that knows dicts, lists, strings,
numbers and one kind of array, and never builds a numpy object from the file's opcodes.

The real batches (pickled by Python 2's cPickle, protocol 2) name exactly three globals, all to
rebuild the b"data" array: numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b"b") makes an
empty array, numpy.dtype("u1", 0, 1) its element type, and two BUILD opcodes fill in the shape
and the raw bytes. numpy's own versions of these functions trust the BUILD state (a crafted one
can change a dtype's size under an array that uses it and read the process's heap). Here the
three names resolve to stand-ins that only write the claims down (ArrayClaim, DtypeClaim); the
reader (cifar10.py) then checks them and makes the array itself from the raw bytes.
Batches re-pickled by Python 3 (numpy._core, protocol 2-4) load too.
"""
import os

from ..io import pickle_vm
from ..io.errors import BadFileError
from ..io.limits import MAX_BATCH_FILE_BYTES

# numpy's BUILD state for dtype('u1'), as numpy 1.x under Python 2 and numpy 2 under Python 3
U1_STATES = ((3, b"|", None, None, None, -1, -1, 0), (3, "|", None, None, None, -1, -1, 0))


class DtypeClaim(pickle_vm.Description):
    """numpy.dtype('u1', 0, 1) and its BUILD state: the only element type a batch holds."""

    def __init__(self):
        self.built = False

    def build(self, state):
        if self.built or not any(state == known for known in U1_STATES):
            raise pickle_vm.PickleRefused("an unexpected dtype state (only uint8 is read)")
        self.built = True


class ArrayClaim(pickle_vm.Description):
    """numpy's _reconstruct(ndarray, (0,), b'b') and its BUILD: shape, dtype and raw bytes."""

    def __init__(self):
        self.shape = self.dtype = self.raw = None

    def build(self, state):
        if self.raw is not None or type(state) is not tuple or len(state) != 5:
            raise pickle_vm.PickleRefused("an array state that is not (1, shape, dtype, fortran,"
                                          " bytes)")
        version, shape, dtype, fortran, raw = state
        if version != 1 or type(shape) is not tuple or not isinstance(dtype, DtypeClaim) \
                or not dtype.built or fortran not in (0, False) or type(raw) is not bytes:
            raise pickle_vm.PickleRefused("an array state other than a C-ordered uint8 array of"
                                          " raw bytes")
        self.shape, self.dtype, self.raw = shape, "uint8", raw


def _reconstruct(cls, shape, code):
    if getattr(cls, "name", None) != "numpy.ndarray" or shape != (0,) or code not in (b"b", "b"):
        raise pickle_vm.PickleRefused("_reconstruct is read only as _reconstruct(ndarray, (0,),"
                                      " b'b')")
    return ArrayClaim()


def _dtype(name, align=0, copy=1):
    if name not in (b"u1", "u1") or align not in (0, False) or copy not in (1, True):
        raise pickle_vm.PickleRefused(f"the dtype {name!r:.20} is not read (only 'u1': uint8)")
    return DtypeClaim()


def _latin1(text, encoding="latin1"):
    """_codecs.encode: how Python 3 pickles bytes at protocol 2 (text -> bytes, latin-1)."""
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise pickle_vm.PickleRefused("_codecs.encode is read only as (text, 'latin1')")
    return text.encode("latin1")


_RECONSTRUCT = pickle_vm.StandIn("numpy.core.multiarray._reconstruct", _reconstruct)
GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): pickle_vm.StandIn("numpy.ndarray"),
    ("numpy", "dtype"): pickle_vm.StandIn("numpy.dtype", _dtype),
    ("_codecs", "encode"): pickle_vm.StandIn("_codecs.encode", _latin1),
}
ALLOWED = "(only numpy's uint8-array rebuilding functions are allowed in a CIFAR-10 batch)"


def load(path, loader="cifar10"):
    """The value pickled in `path`, with ArrayClaims for arrays. Python 2 str stays bytes (so
    dict keys are b"data", b"labels"). BadFileError for anything else."""
    size = os.path.getsize(path)
    if size > MAX_BATCH_FILE_BYTES:
        raise BadFileError(loader, path, None, f"is {size} bytes, more than"
                           f" limits.MAX_BATCH_FILE_BYTES = {MAX_BATCH_FILE_BYTES}")
    with open(path, "rb") as f:
        data = f.read(MAX_BATCH_FILE_BYTES + 1)
    try:
        return pickle_vm.run(data, GLOBALS, allowed=ALLOWED)
    except pickle_vm.PickleRefused as error:
        raise BadFileError(loader, path, None, f"is not a CIFAR-10 python batch: {error}") \
            from error
