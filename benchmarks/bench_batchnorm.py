"""Batch normalisation kernels on every distinct batch-norm shape of ResNet-50 (batch 8, 224) and
CIFAR ResNet-56 (batch 128, 32): training forward, backward, and eval forward, the tinyres cpu
kernel against aten::native_batch_norm / native_batch_norm_backward.

    python -m benchmarks.bench_batchnorm [--threads 2] [--repeat 5] [--json PATH] [--png PATH]
"""
import numpy as np

from . import common, shapes, timing


def run_shape(shape, repeat, kernels, torch):
    from tinyres.kernels.cpu.fast.layout import channel_major, from_channel_major
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    gy = rng.standard_normal(shape, dtype=np.float32)
    c = shape[1]
    w, b = np.ones(c, np.float32), np.zeros(c, np.float32)
    x_cm, gy_cm = from_channel_major(channel_major(x)), from_channel_major(channel_major(gy))
    _, mean, var, invstd = kernels.batchnorm_forward_train(x_cm, w, b, 1e-5)
    tx, tgy, tw, tb = (torch.from_numpy(a) for a in (x, gy, w, b))
    rm, rv = torch.zeros(c), torch.ones(c)
    _, smean, sinv = torch.ops.aten.native_batch_norm(tx, tw, tb, rm, rv, True, 0.1, 1e-5)
    cases = [
        ("fwd-train", lambda: kernels.batchnorm_forward_train(x_cm, w, b, 1e-5),
         lambda: torch.ops.aten.native_batch_norm(tx, tw, tb, rm, rv, True, 0.1, 1e-5)),
        ("bwd-train", lambda: kernels.batchnorm_backward(gy_cm, x_cm, mean, invstd, w, True),
         lambda: torch.ops.aten.native_batch_norm_backward(
             tgy, tx, tw, rm, rv, smean, sinv, True, 1e-5, [True, True, True])),
        ("fwd-eval", lambda: kernels.batchnorm_forward_eval(x_cm, mean, var, w, b, 1e-5),
         lambda: torch.ops.aten.native_batch_norm(tx, tw, tb, rm, rv, False, 0.1, 1e-5)),
    ]
    name = "x".join(str(n) for n in shape)
    return [{"name": f"{name} {what}", "bytes": x.nbytes,
             **timing.compare(ours, theirs, repeat)} for what, ours, theirs in cases]


def main(argv=None):
    args = common.parser(__doc__).parse_args(argv)
    title = "batch-norm kernels, ResNet-50 (batch 8) and CIFAR ResNet-56 (batch 128) shapes"
    meta = common.start(args, title)
    import torch

    import tinyres
    kernels = tinyres.get_backend("cpu")
    rows = []
    with torch.no_grad():
        for shape, count in shapes.resnet50_batchnorms() + shapes.cifar_batchnorms():
            for row in run_shape(shape, args.repeat, kernels, torch):
                row["count"] = count
                rows.append(row)
                print(f"  {row['name']:40s} x{count}  ratio {row['ratio']:.2f}", flush=True)
    common.finish(args, meta, rows, title)


if __name__ == "__main__":
    main()
