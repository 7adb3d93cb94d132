"""The differentiable ops: float64 gradient checks, PyTorch parity, bad input, per device."""
