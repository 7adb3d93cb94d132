"""tinyres.kernels: arrays in, arrays out, no autograd. One sub-package per device."""
