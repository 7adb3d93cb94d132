"""compare_models: depth, parameters, MACs and activation memory of several models, side by side.

    tinyres summary --compare vgg19,resnet34,resnet152

The lecture's claim "ResNet-152 is 8x deeper than VGG-19, yet needs fewer FLOPs" in one table.
Each model is built, summarised (summary.py) at its own input size and dropped before the next.
"""
from . import models
from .summary import summary


def compare_models(names, input_size=None, channels=3):
    """[{'model', 'input', 'depth', 'params', 'macs', 'activation_bytes'}] in names' order;
    input_size None: each model's own (224 ImageNet, 32 CIFAR)."""
    rows = []
    for name in names:
        info = models.info(name)
        size = input_size or info.input_size
        kwargs = {"in_channels": channels} if info.takes("in_channels") else {}
        result = summary(models.get(name, **kwargs), (channels, size, size))
        rows.append({"model": name, "input": (channels, size, size), "depth": result.depth,
                     "params": result.total_params, "macs": result.total_macs,
                     "activation_bytes": result.activation_bytes})
    return rows


def format_comparison(rows):
    """The rows as a text table, with each model's ratio to the first one."""
    first = rows[0]
    lines = [f"{'model':22s} {'input':>11s} {'depth':>6s} {'parameters':>13s} {'GMACs':>7s}"
             f" {'activations':>12s}  ratio to {first['model']} (depth, params, MACs)",
             f"{'':22s} {'':>11s} {'':>6s} {'':>13s} {'':>7s} {'(MiB/image)':>12s}"]
    for row in rows:
        c, h, w = row["input"]
        ratios = ", ".join(f"{row[key] / first[key]:.2f}" for key in ("depth", "params", "macs"))
        lines.append(f"{row['model']:22s} {f'{c}x{h}x{w}':>11s} {row['depth']:6d}"
                     f" {row['params']:13,d} {row['macs'] / 1e9:7.2f}"
                     f" {row['activation_bytes'] / 2**20:12.1f}  {ratios}")
    lines.append("depth: conv + linear layers from input to output (shortcuts not counted);"
                 " activations: every layer's output, one image")
    return "\n".join(lines)
