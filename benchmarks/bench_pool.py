"""Pooling and elementwise kernels of the benchmarked models: ResNet's 3x3/2 max-pool stem and
global average pooling, ReLU forward/backward and the residual add on their largest tensors,
and the fused SGD step over all of ResNet-50's parameters; tinyres against PyTorch's ops.

    python -m benchmarks.bench_pool [--threads 2] [--repeat 5] [--json PATH] [--png PATH]
"""
import numpy as np

from . import common, timing


def _cm(a):
    from tinyres.kernels.cpu.fast.layout import channel_major, from_channel_major
    return from_channel_major(channel_major(a))


def pool_cases(k, torch, rng):
    F = torch.nn.functional
    x = rng.standard_normal((8, 64, 112, 112), dtype=np.float32)
    x_cm = _cm(x)
    y, arg = k.maxpool2d_forward(x_cm, (3, 3), (2, 2), (1, 1))
    gy = _cm(rng.standard_normal(y.shape, dtype=np.float32))
    tx = torch.from_numpy(x)
    ty, targ = F.max_pool2d_with_indices(tx, 3, 2, 1)
    tgy = torch.from_numpy(np.ascontiguousarray(gy))
    yield ("maxpool 3x3/2 8x64x112x112 fwd", lambda: k.maxpool2d_forward(x_cm, (3, 3), (2, 2), (1, 1)),
           lambda: F.max_pool2d_with_indices(tx, 3, 2, 1))
    yield ("maxpool 3x3/2 8x64x112x112 bwd", lambda: k.maxpool2d_backward(gy, arg, x.shape),
           lambda: torch.ops.aten.max_pool2d_with_indices_backward(
               tgy, tx, [3, 3], [2, 2], [1, 1], [1, 1], False, targ))
    for shape in ((8, 2048, 7, 7), (128, 64, 8, 8)):
        a = _cm(rng.standard_normal(shape, dtype=np.float32))
        g = rng.standard_normal(shape[:2] + (1, 1), dtype=np.float32)
        ta, tg = torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(g)
        kernel = shape[2:]
        name = "x".join(map(str, shape))
        yield (f"global avgpool {name} fwd",
               lambda a=a, kernel=kernel: k.avgpool2d_forward(a, kernel, kernel, (0, 0), True),
               lambda ta=ta: F.adaptive_avg_pool2d(ta, 1))
        yield (f"global avgpool {name} bwd",
               lambda g=g, shape=shape, kernel=kernel: k.avgpool2d_backward(
                   g, shape, kernel, kernel, (0, 0), True),
               lambda tg=tg, ta=ta: torch.ops.aten._adaptive_avg_pool2d_backward(tg, ta))


def elementwise_cases(k, torch, rng):
    for shape in ((8, 256, 56, 56), (128, 16, 32, 32)):
        a, b = (_cm(rng.standard_normal(shape, dtype=np.float32)) for _ in range(2))
        ta, tb = (torch.from_numpy(np.ascontiguousarray(v)) for v in (a, b))
        name = "x".join(map(str, shape))
        yield (f"relu fwd {name}", lambda a=a: k.relu_forward(a), lambda ta=ta: torch.relu(ta))
        yield (f"relu bwd {name}", lambda a=a, b=b: k.relu_backward(a, b),
               lambda ta=ta, tb=tb: torch.ops.aten.threshold_backward(ta, tb, 0))
        yield (f"add {name}", lambda a=a, b=b: k.add(a, b), lambda ta=ta, tb=tb: ta + tb)


def sgd_case(k, torch, rng):
    """One SGD step (momentum 0.9, weight decay 1e-4) over ResNet-50's 25.6M parameters."""
    sizes = [p.numel() for p in _resnet50_params(torch)]
    params = [rng.standard_normal(n, dtype=np.float32) for n in sizes]
    grads = [rng.standard_normal(n, dtype=np.float32) for n in sizes]
    bufs = [np.zeros(n, np.float32) for n in sizes]
    tp = [torch.from_numpy(p.copy()) for p in params]
    for p, g in zip(tp, grads):
        p.grad = torch.from_numpy(g)
    opt = torch.optim.SGD(tp, lr=0.01, momentum=0.9, weight_decay=1e-4)

    def ours():
        for p, g, b in zip(params, grads, bufs):
            k.sgd_step_(p, g, b, 0.01, 0.9, 0.0, 1e-4, False, False)
    yield ("sgd step, ResNet-50 params", ours, opt.step)


def _resnet50_params(torch):
    from .torch_models import build
    return list(build("resnet50").parameters())


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    title = "pooling, elementwise and SGD kernels"
    meta = common.start(args, title)
    import torch

    import tinyres
    k = tinyres.get_backend("cpu")
    rng = np.random.default_rng(0)
    rows = []
    with torch.no_grad():
        for source in (pool_cases, elementwise_cases, sgd_case):
            for name, ours, theirs in source(k, torch, rng):
                rows.append({"name": name, **timing.compare(ours, theirs, args.repeat)})
                print(f"  {name:40s} ratio {rows[-1]['ratio']:.2f}", flush=True)
    common.finish(args, meta, rows, title)


if __name__ == "__main__":
    main()
