"""Every distinct convolution of ResNet-50 at batch 8 (224x224), or of CIFAR ResNet-56 at batch
128 (32x32): forward, backward-data and backward-weight, the tinyres cpu kernel against
PyTorch's (aten::convolution_backward, what autograd calls).

tinyres gets its inputs in the channel-major layout its own kernels produce inside a model.

    python -m benchmarks.bench_conv [--model resnet50|resnet18|cifar_resnet56] [--batch N]
                                    [--threads 2] [--repeat 5] [--json PATH] [--png PATH]
"""
import numpy as np

from . import common, timing

BLOCKS = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def resnet50_convs(size=224):
    """[((C, K, R, stride, padding, H), count)] for ResNet-50, in order of first use."""
    shapes = [(3, 64, 7, 2, 3, size)]
    inplanes, h = 64, size // 4
    for planes, blocks, stride in BLOCKS:
        for b in range(blocks):
            s = stride if b == 0 else 1
            shapes += [(inplanes, planes, 1, 1, 0, h), (planes, planes, 3, s, 1, h),
                       (planes, 4 * planes, 1, 1, 0, h // s)]
            if b == 0:
                shapes.append((inplanes, 4 * planes, 1, s, 0, h))
            inplanes, h = 4 * planes, h // s
    counts = {}
    for shape in shapes:
        counts[shape] = counts.get(shape, 0) + 1
    return list(counts.items())


def resnet18_convs(size=224):
    """The same for ResNet-18 (BasicBlocks)."""
    shapes = [(3, 64, 7, 2, 3, size)]
    inplanes, h = 64, size // 4
    for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for b in range(2):
            s = stride if b == 0 else 1
            shapes += [(inplanes, planes, 3, s, 1, h), (planes, planes, 3, 1, 1, h // s)]
            if b == 0 and (s != 1 or inplanes != planes):
                shapes.append((inplanes, planes, 1, s, 0, h))
            inplanes, h = planes, h // s
    counts = {}
    for shape in shapes:
        counts[shape] = counts.get(shape, 0) + 1
    return list(counts.items())


def cifar_convs(depth=56, size=32):
    """The same for the CIFAR ResNets (option A shortcuts: no 1x1 convolutions)."""
    n = (depth - 2) // 6
    shapes = [(3, 16, 3, 1, 1, size)]
    inplanes, h = 16, size
    for planes, stride in ((16, 1), (32, 2), (64, 2)):
        for b in range(n):
            s = stride if b == 0 else 1
            shapes += [(inplanes, planes, 3, s, 1, h), (planes, planes, 3, 1, 1, h // s)]
            inplanes, h = planes, h // s
    counts = {}
    for shape in shapes:
        counts[shape] = counts.get(shape, 0) + 1
    return list(counts.items())


MODELS = {"resnet50": (resnet50_convs, 8), "resnet18": (resnet18_convs, 8),
          "cifar_resnet56": (cifar_convs, 128)}


def run_case(shape, batch, repeat, kernels, torch):
    """Three rows (forward, backward-data, backward-weight) for one convolution shape."""
    from tinyres.kernels.cpu.fast.layout import channel_major, from_channel_major
    c, k, r, stride, pad, h = shape
    p = (h + 2 * pad - r) // stride + 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c, h, h), dtype=np.float32)
    w = rng.standard_normal((k, c, r, r), dtype=np.float32) * 0.05
    gy = rng.standard_normal((batch, k, p, p), dtype=np.float32)
    x_cm, gy_cm = from_channel_major(channel_major(x)), from_channel_major(channel_major(gy))
    tx, tw, tgy = (torch.from_numpy(a) for a in (x, w, gy))
    st, pd = (stride, stride), (pad, pad)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            tgy, tx, tw, None, st, pd, (1, 1), False, (0, 0), 1, mask)

    flops = 2 * batch * p * p * k * c * r * r
    name = f"{c}->{k} {r}x{r}/{stride} {h}x{h}"
    cases = [
        ("fwd", lambda: kernels.conv2d_forward(x_cm, w, st, pd),
         lambda: torch.nn.functional.conv2d(tx, tw, None, st, pd)),
        ("bwd-data", lambda: kernels.conv2d_backward_data(gy_cm, w, x.shape, st, pd),
         backward([True, False, False])),
        ("bwd-weight", lambda: kernels.conv2d_backward_weight(gy_cm, x_cm, w.shape, st, pd),
         backward([False, True, False])),
    ]
    rows = []
    with torch.no_grad():
        for what, ours, theirs in cases:
            result = timing.compare(ours, theirs, repeat)
            rows.append({"name": f"{name} {what}", "flops": flops, **result})
    return rows


def main(argv=None):
    p = common.parser(__doc__)
    p.add_argument("--model", choices=list(MODELS), default="resnet50")
    p.add_argument("--batch", type=int, default=None, help="default: 8 (resnet50), 128 (cifar)")
    args = p.parse_args(argv)
    shapes, batch = MODELS[args.model]
    args.batch = args.batch or batch
    title = f"conv kernels, {args.model} shapes, batch {args.batch}"
    meta = common.start(args, title)
    import torch

    import tinyres
    kernels = tinyres.get_backend("cpu")
    rows, total = [], {"tinyres": 0.0, "torch": 0.0}
    for shape, count in shapes():
        for row in run_case(shape, args.batch, args.repeat, kernels, torch):
            row["count"] = count
            rows.append(row)
            for side in total:
                total[side] += count * row[side]
            print(f"  {row['name']:40s} x{count}  ratio {row['ratio']:.2f}", flush=True)
    rows.append({"name": f"sum over {args.model} (x count)", **total,
                 "ratio": total["tinyres"] / total["torch"]})
    common.finish(args, meta, rows, title)


if __name__ == "__main__":
    main()
