"""Kernel tables against the NumPy reference kernels (cuda on a GPU and on the CPU shim)."""
