"""summary(model, input_shape): a table of layers with output shapes, parameters and MACs.

It runs one forward pass (eval mode, no graph, zeros in) and records every leaf module's output
with a forward hook. Multiply-accumulates are counted as torchvision's published figures count
them: convolutions K*C*R*S*P*Q and linear layers in*out per image; normalisation, activations,
pooling and additions do no multiply-accumulates.

Two more totals for comparing architectures (compare.py): depth, the number of conv and linear
layers on the path from input to output (a projection shortcut is beside that path, not on it:
the convention of "ResNet-34" and "VGG-19"), and activation memory, the bytes of every leaf
module's output for the input given (the activations a training step keeps for backward are of
that order: tinyres keeps most of them; an in-place ReLU in another engine saves a few).
"""
from .creation import zeros
from .grad_mode import no_grad
from .nn import Conv2d, Linear


WEIGHT_LAYERS = ("Conv2d", "Linear")
SHORTCUT = "downsample"  # the module name of a block's projection shortcut


class Summary:
    """rows: dicts (name, type, output_shape, params, macs); totals for the whole model."""

    def __init__(self, model_name, input_shape, rows, total_params, trainable_params):
        self.model_name, self.input_shape, self.rows = model_name, input_shape, rows
        self.total_params, self.trainable_params = total_params, trainable_params
        self.total_macs = sum(row["macs"] for row in rows)
        self.depth = sum(1 for row in rows if row["type"] in WEIGHT_LAYERS
                         and SHORTCUT not in row["name"].split("."))
        self.activation_bytes = sum(row["output_bytes"] for row in rows)

    def __str__(self):
        widths = (38, 16, 20, 12, 16)
        header = ("layer", "type", "output shape", "params", "MACs")
        rule = "-" * (sum(widths) + len(widths) - 1)
        lines = [f"{self.model_name} on input {self.input_shape}", rule, _row(header, widths),
                 rule]
        for row in self.rows:
            cells = (row["name"], row["type"], str(row["output_shape"]),
                     f"{row['params']:,}", f"{row['macs']:,}")
            lines.append(_row(cells, widths))
        lines += [rule, f"total params: {self.total_params:,}"
                        f" (trainable {self.trainable_params:,})",
                  f"total MACs: {self.total_macs:,} ({self.total_macs / 1e9:.3f} G)",
                  f"depth: {self.depth} conv/linear layers; layer outputs:"
                  f" {self.activation_bytes / 2**20:.1f} MiB"]
        return "\n".join(lines)

    __repr__ = __str__


def _row(cells, widths):
    """Name and type left-aligned, the numbers right-aligned."""
    left = " ".join(f"{c:<{w}}" for c, w in zip(cells[:2], widths[:2]))
    return left + " " + " ".join(f"{c:>{w}}" for c, w in zip(cells[2:], widths[2:]))


def layer_macs(module, output_shape):
    """Multiply-accumulates of one leaf module for its output (batch included)."""
    if isinstance(module, Conv2d):
        n, out_channels, p, q = output_shape
        r, s = module.kernel_size
        return n * out_channels * p * q * module.in_channels * r * s
    if isinstance(module, Linear):
        rows = 1
        for size in output_shape[:-1]:
            rows *= size
        return rows * module.in_features * module.out_features
    return 0


def summary(model, input_shape, device=None):
    """Summary of model on zeros of input_shape: (C, H, W) for one image, or (N, C, H, W)."""
    shape = tuple(input_shape)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4:
        raise ValueError(f"summary: input_shape must be (C, H, W) or (N, C, H, W), got {input_shape}")
    params = list(model.parameters())
    device = device or (params[0].device if params else None)
    dtype = params[0].dtype if params else None
    rows, handles = [], []
    for name, module in model.named_modules():
        if next(module.children(), None) is None and module is not model:
            handles.append(module.register_forward_hook(_recorder(name, module, rows)))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(zeros(*shape, dtype=dtype, device=device))
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes:
            module.training = training
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return Summary(type(model).__name__, shape, rows, total, trainable)


def _recorder(name, module, rows):
    def record(mod, args, output):
        own = sum(p.numel() for p in mod._parameters.values() if p is not None)
        rows.append({"name": name, "type": type(mod).__name__, "output_shape": output.shape,
                     "params": own, "macs": layer_macs(mod, output.shape),
                     "output_bytes": output.numel() * output.dtype.itemsize})
    return record
