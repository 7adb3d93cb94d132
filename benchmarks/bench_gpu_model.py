"""ResNet-50 training step on one GPU: tinyres-cuda against the same network in PyTorch CUDA.

One step = forward, cross-entropy, backward, SGD with momentum and weight decay, at batch 64 on
224x224 images (issue 6's workload). Both sides start from the same weights (tinyres's, copied
into the PyTorch network) and take the same batch; TF32 is off on both (full float32 GEMMs);
cuDNN may pick its fastest algorithms (benchmark mode), tinyres uses its own kernels and cuBLAS.
Each step is timed with CUDA events after warm-up; the median of --reps steps is reported, with
each side's peak GPU memory and the relative difference of the first step's losses.

    python -m benchmarks.bench_gpu_model --json gpu_out/bench_gpu_model.json
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
import tinyres.functional as F  # noqa: E402
from benchmarks import torch_models  # noqa: E402
from benchmarks.bench_gpu_kernels import gpu_ms, switch_off_tf32  # noqa: E402

LR, MOMENTUM, DECAY = 0.1, 0.9, 1e-4


def tinyres_step(model, x, y):
    """A closure running one training step of the tinyres model; returns the loss Tensor."""
    opt = tinyres.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def torch_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def build(batch, size):
    """(tinyres step, torch step) on the same weights and batch."""
    tinyres.manual_seed(0)
    ours = tinyres.models.resnet50()
    state = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    ours.to("cuda").train()
    theirs = torch_models.build("resnet50", state).cuda().train()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, size, size), dtype=np.float32)
    y = rng.integers(0, 1000, batch)
    ours_step = tinyres_step(ours, tinyres.tensor(x, device="cuda"),
                             tinyres.tensor(y, device="cuda"))
    theirs_step = torch_step(theirs, torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda())
    return ours_step, theirs_step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", default="gpu_out/bench_gpu_model.json")
    args = parser.parse_args(argv)
    settings = switch_off_tf32()
    ours, theirs = build(args.batch, args.size)
    first = (ours().item(), theirs().item())  # same weights, same batch: the same loss
    pool = cupy.get_default_memory_pool()
    ours_ms = gpu_ms(ours, cupy.cuda.Event, cupy.cuda.get_elapsed_time,
                     cupy.cuda.Device().synchronize, args.warmup, args.reps)
    ours_peak = pool.total_bytes()  # CuPy's pool keeps what the step needed at its peak
    torch.cuda.reset_peak_memory_stats()
    theirs_ms = gpu_ms(theirs, lambda: torch.cuda.Event(enable_timing=True),
                       lambda s, e: s.elapsed_time(e), torch.cuda.synchronize,
                       args.warmup, args.reps)
    theirs_peak = torch.cuda.max_memory_reserved()
    report = {
        "device": torch.cuda.get_device_name(), "cupy": cupy.__version__,
        "torch": torch.__version__, "settings": settings, "batch": args.batch,
        "size": args.size, "statistic": f"median of {args.reps} steps, CUDA events",
        "tinyres_ms": ours_ms, "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms,
        "tinyres_peak_mb": ours_peak / 2**20, "torch_peak_mb": theirs_peak / 2**20,
        "first_loss": {"tinyres": first[0], "torch": first[1],
                       "relative_difference": abs(first[0] - first[1]) / abs(first[1])},
    }
    print(f"ResNet-50 training step, batch {args.batch} at {args.size}x{args.size} on"
          f" {report['device']} (TF32 off):")
    print(f"  tinyres {ours_ms:8.1f} ms  peak {report['tinyres_peak_mb']:7.0f} MB")
    print(f"  torch   {theirs_ms:8.1f} ms  peak {report['torch_peak_mb']:7.0f} MB")
    print(f"  ratio   {report['ratio']:8.2f}   first losses {first[0]:.6f} / {first[1]:.6f}")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
