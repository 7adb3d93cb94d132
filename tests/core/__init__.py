"""The engine's core: Tensor, autograd, backends and kernel sets, device moves, imports."""
