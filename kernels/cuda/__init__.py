"""The cuda backend (CuPy): placeholder until the CUDA kernels land."""
from tinyres.backend import DeviceUnavailableError


def load_table():
    raise DeviceUnavailableError("device 'cuda' is not implemented yet in this build of tinyres")
