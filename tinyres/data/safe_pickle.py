"""A restricted unpickler for the CIFAR-10 python batches: loads dicts, lists, strings, numbers and
uint8 numpy arrays, and refuses every other global (a pickle can otherwise run any function).

The real batches (pickled by Python 2's cPickle, protocol 2) name exactly three globals, all to
rebuild the b"data" array: numpy.core.multiarray._reconstruct, numpy.ndarray and numpy.dtype. They
need no builtins: dicts, lists, str and int have their own opcodes. numpy 2 renamed numpy.core to
numpy._core, so both spellings map to the same function, which we take from numpy itself rather
than importing the deprecated module.
"""
import pickle

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's array-rebuilding function

ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """pickle.Unpickler that resolves only the globals in ALLOWED."""

    def find_class(self, module, name):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: only"
                f" {sorted(f'{m}.{n}' for m, n in ALLOWED)} are allowed"
            ) from None


def load(path):
    """The object pickled in `path`, read the way Python 2 pickles must be (encoding="bytes":
    Python 2 str stays bytes, so dict keys are b"data", b"labels")."""
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding="bytes").load()
