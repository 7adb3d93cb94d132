"""Errors the kernel packages raise; tinyres.backend re-exports them, so the engine imports them
from there and kernels/ imports nothing from tinyres outside tinyres.kernels."""


class DeviceUnavailableError(RuntimeError):
    """A device was asked for that this machine cannot provide (no CuPy, no GPU)."""
