"""The CUDA shim: the cuda backend's .cu kernels built by g++, on NumPy arrays."""
