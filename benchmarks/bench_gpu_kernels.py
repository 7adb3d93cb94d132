"""tinyres-cuda against PyTorch CUDA, kernel by kernel, in one process on one GPU: convolution
(forward, backward-data, backward-weight) on ResNet-50 layer shapes at batch 64, batch norm,
max-pool, ReLU, cross-entropy and an SGD step over ResNet-50's parameter count. With --shim the
same cases run at small sizes on the CPU shim against PyTorch CPU (see gpu_device.py): the
numbers mean nothing there, the code paths are checked.

TF32 is off on both sides (PyTorch's flags; CuPy's float32 GEMMs set to plain float32 compute),
cuDNN picks its fastest algorithm (benchmark mode). Each kernel is timed with CUDA events around
each call after warm-up; the median of --reps calls is reported, with the largest difference
between the two results relative to PyTorch's largest value (a check that both computed the
same thing).

    python -m benchmarks.bench_gpu_kernels --json gpu_out/bench_gpu_kernels.json
    python -m benchmarks.bench_gpu_kernels --shim --json gpu_out/bench_gpu_kernels.json
"""
import argparse
import dataclasses
import json
import os
import statistics

os.environ.setdefault("CUPY_TF32", "0")  # CuPy reads it at its first float32 matrix product

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tinyres  # noqa: E402
from benchmarks import gpu_device  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Sizes:
    batch: int
    convs: tuple  # label, x (N, C, H, W), w (K, C, R, S), stride, padding
    batchnorm: tuple  # (N, C, H, W)
    pool: tuple  # the stem's max-pool input
    relu: tuple
    classes: int
    sgd_params: int


FULL = Sizes(  # torchvision's ResNet-50 at batch 64
    batch=64, convs=(
        ("stem 7x7/2", (64, 3, 224, 224), (64, 3, 7, 7), 2, 3),
        ("layer1 1x1 256->64", (64, 256, 56, 56), (64, 256, 1, 1), 1, 0),
        ("layer1 3x3 64", (64, 64, 56, 56), (64, 64, 3, 3), 1, 1),
        ("layer2 3x3/2 128", (64, 128, 56, 56), (128, 128, 3, 3), 2, 1),
        ("layer3 3x3 256", (64, 256, 14, 14), (256, 256, 3, 3), 1, 1),
        ("layer3 down 1x1/2", (64, 512, 28, 28), (1024, 512, 1, 1), 2, 0),
        ("layer4 1x1 2048->512", (64, 2048, 7, 7), (512, 2048, 1, 1), 1, 0),
    ), batchnorm=(64, 256, 56, 56), pool=(64, 64, 112, 112), relu=(64, 256, 56, 56),
    classes=1000, sgd_params=25_557_032)  # ResNet-50's parameter count, as one flat tensor
SMALL = Sizes(  # the same kinds of layer, small enough for the CPU shim
    batch=2, convs=(
        ("stem 7x7/2", (2, 3, 20, 20), (8, 3, 7, 7), 2, 3),
        ("layer1 1x1", (2, 16, 6, 6), (8, 16, 1, 1), 1, 0),
        ("layer2 3x3/2", (2, 8, 7, 7), (8, 8, 3, 3), 2, 1),
        ("layer3 down 1x1/2", (2, 16, 6, 6), (32, 16, 1, 1), 2, 0),
    ), batchnorm=(2, 8, 6, 6), pool=(2, 8, 10, 10), relu=(2, 8, 6, 6), classes=10,
    sgd_params=10_000)


def switch_off_tf32(dev):
    """Full float32 matrix products in PyTorch and CuPy; returns what was set, for the log."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True
    state = {"torch_matmul_allow_tf32": False, "torch_cudnn_allow_tf32": False,
             "torch_cudnn_benchmark": True, "CUPY_TF32": os.environ.get("CUPY_TF32")}
    if dev.name != "cuda":
        state["cupy_float32_compute_type"] = "CuPy not used (shim: NumPy matmul)"
        return state
    try:  # CuPy's (private) compute-type switch; CUPY_TF32=0 alone already means float32
        from cupy._core import _routines_linalg as linalg
        linalg.set_compute_type(np.float32, linalg.COMPUTE_TYPE_FP32)
        chosen = linalg.compute_type_to_str(linalg.get_compute_type(np.float32))
    except (ImportError, AttributeError) as error:
        chosen = f"unknown ({error})"
    if "TF32" in chosen:
        raise SystemExit(f"CuPy would multiply float32 matrices in TF32 ({chosen})")
    state["cupy_float32_compute_type"] = chosen
    return state


def gpu_ms(fn, make_event, elapsed, synchronize, warmup, reps):
    """Median milliseconds of fn() on the GPU timeline (events recorded around each call)."""
    for _ in range(warmup):
        fn()
    synchronize()
    times = []
    for _ in range(reps):
        start, end = make_event(), make_event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(elapsed(start, end))
    return statistics.median(times)


def first_array(result):
    """The first array of a kernel's result (a tuple, with None for outputs not asked for)."""
    if isinstance(result, (tuple, list)):
        return next(r for r in result if r is not None)
    return result


def relative_difference(dev, ours, theirs):
    """max |ours - theirs| / max |theirs|, on the host in float64."""
    a = np.asarray(dev.to_numpy(first_array(ours)), np.float64)
    b = first_array(theirs).detach().double().cpu().numpy()
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def randn(dev, shape, seed):
    """(device array, the torch tensor sharing its memory), float32 normal values."""
    a = dev.xp.asarray(np.random.default_rng(seed).standard_normal(shape, dtype=np.float32))
    return a, dev.torch_view(a)


def conv_cases(k, dev, sizes):
    """(kernel, shape, ours, theirs) for the three convolution passes of each conv shape."""
    for label, x_shape, w_shape, stride, padding in sizes.convs:
        x, tx = randn(dev, x_shape, 0)
        w, tw = randn(dev, w_shape, 1)
        s, p = (stride, stride), (padding, padding)
        out = [(size + 2 * padding - r) // stride + 1 for size, r in zip(x_shape[2:], w_shape[2:])]
        gy, tgy = randn(dev, (x_shape[0], w_shape[0], *out), 2)

        def torch_backward(mask, tgy=tgy, tx=tx, tw=tw, s=s, p=p):
            return torch.ops.aten.convolution_backward(tgy, tx, tw, None, s, p, (1, 1), False,
                                                       (0, 0), 1, mask)

        yield ("conv2d_forward", label, lambda x=x, w=w, s=s, p=p: k.conv2d_forward(x, w, s, p),
               lambda tx=tx, tw=tw, s=s, p=p: torch.nn.functional.conv2d(tx, tw, None, s, p))
        yield ("conv2d_backward_data", label,
               lambda gy=gy, w=w, xs=x_shape, s=s, p=p: k.conv2d_backward_data(gy, w, xs, s, p),
               lambda f=torch_backward: f((True, False, False)))
        yield ("conv2d_backward_weight", label,
               lambda gy=gy, x=x, ws=w_shape, s=s, p=p: k.conv2d_backward_weight(gy, x, ws, s, p),
               lambda f=torch_backward: f((False, True, False)))


def batchnorm_cases(k, dev, sizes):
    shape = sizes.batchnorm
    c = shape[1]
    x, tx = randn(dev, shape, 3)
    gy, tgy = randn(dev, shape, 4)
    w, tw = randn(dev, (c,), 5)
    b, tb = randn(dev, (c,), 6)
    rm, rv = dev.xp.zeros(c, np.float32), dev.xp.ones(c, np.float32)
    trm, trv = torch.zeros(c, device=dev.torch_device), torch.ones(c, device=dev.torch_device)
    _, mean, _, invstd = k.batchnorm_forward_train(x, w, b, 1e-5)
    _, tmean, tinvstd = torch.ops.aten.native_batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5)

    def ours_forward():  # the op's training forward: batch statistics, then running ones
        y, m, v, s = k.batchnorm_forward_train(x, w, b, 1e-5)
        k.batchnorm_update_running_(rm, rv, m, v, shape[0] * shape[2] * shape[3], 0.1)
        return y

    label = f"{shape} train"
    yield ("batchnorm_forward_train", label, ours_forward,
           lambda: torch.ops.aten.native_batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5))
    yield ("batchnorm_backward", label,
           lambda: k.batchnorm_backward(gy, x, mean, invstd, w, True),
           lambda: torch.ops.aten.native_batch_norm_backward(
               tgy, tx, tw, trm, trv, tmean, tinvstd, True, 1e-5, (True, True, True)))


def pool_relu_loss_cases(k, dev, sizes):
    x, tx = randn(dev, sizes.pool, 7)  # the stem's max-pool, 3x3/2, padding 1
    y, argmax = k.maxpool2d_forward(x, (3, 3), (2, 2), (1, 1))
    _, tindices = torch.ops.aten.max_pool2d_with_indices(tx, (3, 3), (2, 2), (1, 1))
    gy, tgy = randn(dev, y.shape, 8)
    label = f"{sizes.pool} 3x3/2 pad 1"
    yield ("maxpool2d_forward", label, lambda: k.maxpool2d_forward(x, (3, 3), (2, 2), (1, 1)),
           lambda: torch.ops.aten.max_pool2d_with_indices(tx, (3, 3), (2, 2), (1, 1)))
    yield ("maxpool2d_backward", label,
           lambda: k.maxpool2d_backward(gy, argmax, x.shape, (3, 3), (2, 2), (1, 1)),
           lambda: torch.ops.aten.max_pool2d_with_indices_backward(
               tgy, tx, (3, 3), (2, 2), (1, 1), (1, 1), False, tindices))
    r, tr = randn(dev, sizes.relu, 9)
    yield ("relu_forward", f"{sizes.relu}", lambda: k.relu_forward(r), lambda: torch.relu(tr))
    logits, tlogits = randn(dev, (sizes.batch, sizes.classes), 10)
    target = dev.xp.asarray(np.random.default_rng(11).integers(0, sizes.classes, sizes.batch))
    ttarget = dev.torch_view(target)
    tlogits.requires_grad_(True)
    one = dev.xp.ones((), np.float32)
    label = f"({sizes.batch}, {sizes.classes})"
    yield ("cross_entropy_forward", label, lambda: k.cross_entropy_forward(logits, target),
           lambda: torch.nn.functional.cross_entropy(tlogits, ttarget))
    yield ("cross_entropy fwd+bwd", label,
           lambda: k.cross_entropy_backward(one, k.cross_entropy_forward(logits, target)[1],
                                            target),
           lambda: torch.autograd.grad(torch.nn.functional.cross_entropy(tlogits, ttarget),
                                       tlogits)[0])


def sgd_cases(k, dev, sizes):
    n = sizes.sgd_params
    p, tp = randn(dev, (n,), 12)
    p, tp = p.copy(), tp.clone()  # separate parameters: both get updated in place
    g, tg = randn(dev, (n,), 13)
    buf, tbuf_seed = randn(dev, (n,), 14)
    tp.grad = tg
    opt = torch.optim.SGD([tp], lr=0.1, momentum=0.9, weight_decay=1e-4)
    opt.state[tp]["momentum_buffer"] = tbuf_seed.clone()
    yield ("sgd_step_", f"{n / 1e6:.3g}M params, momentum, decay",
           lambda: k.sgd_step_(p, g, buf, 0.1, 0.9, 0.0, 1e-4, False, False), opt.step)


def time_case(dev, kernel, ours, theirs, args):
    """One table row: both sides' median ms, their ratio, and how far apart their results are."""
    diff = None
    if kernel != "sgd_step_":  # in place: results are not returned
        diff = relative_difference(dev, ours(), theirs())
    ours_ms = gpu_ms(ours, *dev.ours_timer, args.warmup, args.reps)
    theirs_ms = gpu_ms(theirs, *dev.theirs_timer, args.warmup, args.reps)
    return {"tinyres_ms": ours_ms, "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms,
            "relative_difference": diff}


def write_report(path, report):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="gpu_out/bench_gpu_kernels.json")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--shim", action="store_true",
                        help="small sizes on the CPU shim against PyTorch CPU (code paths only)")
    args = parser.parse_args(argv)
    dev = gpu_device.select(args.shim)
    sizes = SMALL if args.shim else FULL
    report = {"device": dev.description, "torch": torch.__version__,
              "arrays": f"{dev.xp.__name__} {dev.xp.__version__}",
              "settings": switch_off_tf32(dev), "warmup": args.warmup, "reps": args.reps,
              "statistic": "median ms, CUDA events" if dev.name == "cuda" else
              "median ms, host clock (shim: meaningless)", "results": []}
    k = tinyres.get_backend("cuda")
    print(f"{'kernel':<24} {'shape':<32} {'tinyres ms':>10} {'torch ms':>9} {'ratio':>6}"
          f" {'rel diff':>9}")
    failed = 0
    for group in (conv_cases, batchnorm_cases, pool_relu_loss_cases, sgd_cases):
        for kernel, shape, ours, theirs in group(k, dev, sizes):
            try:
                row = time_case(dev, kernel, ours, theirs, args)
            except Exception as error:  # noqa: BLE001 - report it, time the other kernels
                failed += 1
                row = {"error": f"{type(error).__name__}: {error}"}
                print(f"{kernel:<24} {shape:<32} FAILED {row['error']}", flush=True)
            else:
                shown = "-" if row["relative_difference"] is None else \
                    f"{row['relative_difference']:.1e}"
                print(f"{kernel:<24} {shape:<32} {row['tinyres_ms']:10.3f}"
                      f" {row['torch_ms']:9.3f} {row['ratio']:6.2f} {shown:>9}", flush=True)
            report["results"].append({"kernel": kernel, "shape": shape, **row})
            write_report(args.json, report)  # after every row: a killed run keeps what it did
            dev.free_memory()
    print(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
