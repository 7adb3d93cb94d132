"""tinyres-cuda against PyTorch CUDA, kernel by kernel, in one process on one GPU: convolution
(forward, backward-data, backward-weight) on ResNet-50 layer shapes at batch 64, batch norm,
max-pool, ReLU, cross-entropy and an SGD step over ResNet-50's parameter count.

TF32 is off on both sides (PyTorch's flags; CuPy's float32 GEMMs set to plain float32 compute),
cuDNN picks its fastest algorithm (benchmark mode). Each kernel is timed with CUDA events around
each call after warm-up; the median of --reps calls is reported, with the largest difference
between the two results relative to PyTorch's largest value (a check that both computed the
same thing).

    python benchmarks/bench_gpu_kernels.py --json gpu_out/bench_gpu_kernels.json
"""
import argparse
import json
import os
import statistics

os.environ.setdefault("CUPY_TF32", "0")  # CuPy reads it at its first float32 matrix product

import cupy  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import tinyres  # noqa: E402

BATCH = 64
CONVS = [  # label, x (N, C, H, W), w (K, C, R, S), stride, padding: torchvision's ResNet-50
    ("stem 7x7/2", (BATCH, 3, 224, 224), (64, 3, 7, 7), 2, 3),
    ("layer1 1x1 256->64", (BATCH, 256, 56, 56), (64, 256, 1, 1), 1, 0),
    ("layer1 3x3 64", (BATCH, 64, 56, 56), (64, 64, 3, 3), 1, 1),
    ("layer2 3x3/2 128", (BATCH, 128, 56, 56), (128, 128, 3, 3), 2, 1),
    ("layer3 3x3 256", (BATCH, 256, 14, 14), (256, 256, 3, 3), 1, 1),
    ("layer3 down 1x1/2", (BATCH, 512, 28, 28), (1024, 512, 1, 1), 2, 0),
    ("layer4 1x1 2048->512", (BATCH, 2048, 7, 7), (512, 2048, 1, 1), 1, 0),
]


def switch_off_tf32():
    """Full float32 matrix products in PyTorch and CuPy; returns what was set, for the log."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True
    state = {"torch_matmul_allow_tf32": False, "torch_cudnn_allow_tf32": False,
             "torch_cudnn_benchmark": True, "CUPY_TF32": os.environ.get("CUPY_TF32")}
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


def relative_difference(ours, theirs):
    """max |ours - theirs| / max |theirs|, on the host in float64."""
    a = np.asarray(cupy.asnumpy(first_array(ours)), np.float64)
    b = first_array(theirs).detach().double().cpu().numpy()
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def randn(shape, seed):
    """(cupy array, the torch tensor sharing its memory), float32 normal values."""
    a = cupy.asarray(np.random.default_rng(seed).standard_normal(shape, dtype=np.float32))
    return a, torch.as_tensor(a, device="cuda")


def conv_cases(k):
    """(kernel, shape, ours, theirs) for the three convolution passes of each CONVS shape."""
    for label, x_shape, w_shape, stride, padding in CONVS:
        x, tx = randn(x_shape, 0)
        w, tw = randn(w_shape, 1)
        s, p = (stride, stride), (padding, padding)
        out = [(size + 2 * padding - r) // stride + 1 for size, r in zip(x_shape[2:], w_shape[2:])]
        gy, tgy = randn((x_shape[0], w_shape[0], *out), 2)

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


def batchnorm_cases(k):
    shape = (BATCH, 256, 56, 56)
    x, tx = randn(shape, 3)
    gy, tgy = randn(shape, 4)
    w, tw = randn((256,), 5)
    b, tb = randn((256,), 6)
    rm, rv = cupy.zeros(256, cupy.float32), cupy.ones(256, cupy.float32)
    trm, trv = torch.zeros(256, device="cuda"), torch.ones(256, device="cuda")
    _, mean, _, invstd = k.batchnorm_forward_train(x, w, b, 1e-5)
    _, tmean, tinvstd = torch.ops.aten.native_batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5)

    def ours_forward():  # the op's training forward: batch statistics, then running ones
        y, m, v, s = k.batchnorm_forward_train(x, w, b, 1e-5)
        k.batchnorm_update_running_(rm, rv, m, v, shape[0] * shape[2] * shape[3], 0.1)
        return y

    label = "(64, 256, 56, 56) train"
    yield ("batchnorm_forward_train", label, ours_forward,
           lambda: torch.ops.aten.native_batch_norm(tx, tw, tb, trm, trv, True, 0.1, 1e-5))
    yield ("batchnorm_backward", label,
           lambda: k.batchnorm_backward(gy, x, mean, invstd, w, True),
           lambda: torch.ops.aten.native_batch_norm_backward(
               tgy, tx, tw, trm, trv, tmean, tinvstd, True, 1e-5, (True, True, True)))


def pool_relu_loss_cases(k):
    x, tx = randn((BATCH, 64, 112, 112), 7)  # the stem's max-pool, 3x3/2, padding 1
    y, argmax = k.maxpool2d_forward(x, (3, 3), (2, 2), (1, 1))
    _, tindices = torch.ops.aten.max_pool2d_with_indices(tx, (3, 3), (2, 2), (1, 1))
    gy, tgy = randn(y.shape, 8)
    label = "(64, 64, 112, 112) 3x3/2 pad 1"
    yield ("maxpool2d_forward", label, lambda: k.maxpool2d_forward(x, (3, 3), (2, 2), (1, 1)),
           lambda: torch.ops.aten.max_pool2d_with_indices(tx, (3, 3), (2, 2), (1, 1)))
    yield ("maxpool2d_backward", label, lambda: k.maxpool2d_backward(gy, argmax, x.shape, (3, 3), (2, 2),
                                                                 (1, 1)),
           lambda: torch.ops.aten.max_pool2d_with_indices_backward(
               tgy, tx, (3, 3), (2, 2), (1, 1), (1, 1), False, tindices))
    r, tr = randn((BATCH, 256, 56, 56), 9)
    yield ("relu_forward", "(64, 256, 56, 56)", lambda: k.relu_forward(r), lambda: torch.relu(tr))
    logits, tlogits = randn((BATCH, 1000), 10)
    target = cupy.asarray(np.random.default_rng(11).integers(0, 1000, BATCH))
    ttarget = torch.as_tensor(target, device="cuda")
    tlogits.requires_grad_(True)
    one = cupy.ones((), cupy.float32)
    yield ("cross_entropy_forward", "(64, 1000)", lambda: k.cross_entropy_forward(logits, target),
           lambda: torch.nn.functional.cross_entropy(tlogits, ttarget))
    yield ("cross_entropy fwd+bwd", "(64, 1000)",
           lambda: k.cross_entropy_backward(one, k.cross_entropy_forward(logits, target)[1],
                                            target),
           lambda: torch.autograd.grad(torch.nn.functional.cross_entropy(tlogits, ttarget),
                                       tlogits)[0])


def sgd_cases(k):
    n = 25_557_032  # ResNet-50's parameter count, as one flat tensor
    p, tp = randn((n,), 12)
    p, tp = p.copy(), tp.clone()  # separate parameters: both get updated in place
    g, tg = randn((n,), 13)
    buf, tbuf_seed = randn((n,), 14)
    tp.grad = tg
    opt = torch.optim.SGD([tp], lr=0.1, momentum=0.9, weight_decay=1e-4)
    opt.state[tp]["momentum_buffer"] = tbuf_seed.clone()
    yield ("sgd_step_", "25.6M params, momentum, decay",
           lambda: k.sgd_step_(p, g, buf, 0.1, 0.9, 0.0, 1e-4, False, False), opt.step)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default="gpu_out/bench_gpu_kernels.json")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    settings = switch_off_tf32()
    k = tinyres.get_backend("cuda")
    ours_events = (cupy.cuda.Event, cupy.cuda.get_elapsed_time, cupy.cuda.Device().synchronize)
    theirs_events = (lambda: torch.cuda.Event(enable_timing=True),
                     lambda start, end: start.elapsed_time(end), torch.cuda.synchronize)
    results = []
    print(f"{'kernel':<24} {'shape':<32} {'tinyres ms':>10} {'torch ms':>9} {'ratio':>6}"
          f" {'rel diff':>9}")
    for group in (conv_cases, batchnorm_cases, pool_relu_loss_cases, sgd_cases):
        for kernel, shape, ours, theirs in group(k):
            diff = None
            if kernel != "sgd_step_":  # in place: results are not returned
                diff = relative_difference(ours(), theirs())
            ours_ms = gpu_ms(ours, *ours_events, args.warmup, args.reps)
            theirs_ms = gpu_ms(theirs, *theirs_events, args.warmup, args.reps)
            results.append({"kernel": kernel, "shape": shape, "tinyres_ms": ours_ms,
                            "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms,
                            "relative_difference": diff})
            shown = "-" if diff is None else f"{diff:.1e}"
            print(f"{kernel:<24} {shape:<32} {ours_ms:10.3f} {theirs_ms:9.3f}"
                  f" {ours_ms / theirs_ms:6.2f} {shown:>9}", flush=True)
            cupy.get_default_memory_pool().free_all_blocks()
    report = {"device": torch.cuda.get_device_name(), "cupy": cupy.__version__,
              "torch": torch.__version__, "settings": settings, "warmup": args.warmup,
              "reps": args.reps, "statistic": "median ms, CUDA events", "results": results}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
