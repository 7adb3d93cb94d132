"""ResNet-50 training step on one GPU: tinyres-cuda against the same network in PyTorch CUDA.

One step = forward, cross-entropy, backward, SGD with momentum and weight decay, at batch 64 on
224x224 images (issue 6's workload). Both sides start from the same weights (tinyres's, copied
into the PyTorch network) and take the same batch; TF32 is off on both (full float32 GEMMs);
cuDNN may pick its fastest algorithms (benchmark mode), tinyres uses its own kernels and cuBLAS.
Each step is timed with CUDA events after warm-up; the median of --reps steps is reported, with
each side's peak GPU memory and the relative difference of the first step's losses. With --shim
the same step runs on the CPU shim against PyTorch CPU, at a small size (see gpu_device.py): its
numbers mean nothing, its code paths are checked.

    python -m benchmarks.bench_gpu_model --json gpu_out/bench_gpu_model.json
    python -m benchmarks.bench_gpu_model --shim --batch 2 --size 32 --json gpu_out/...
"""
import argparse
import os

os.environ.setdefault("CUPY_TF32", "0")  # CuPy reads it at its first float32 matrix product

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tinyres  # noqa: E402
import tinyres.functional as F  # noqa: E402
from benchmarks import gpu_device, torch_models  # noqa: E402
from benchmarks.bench_gpu_kernels import gpu_ms, switch_off_tf32, write_report  # noqa: E402

LR, MOMENTUM, DECAY = 0.1, 0.9, 1e-4
TARGET_RATIO = 2.0  # issue 16: tinyres's step at most twice PyTorch's


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


def build(dev, batch, size, model="resnet50"):
    """(tinyres step, torch step) on the same weights and batch."""
    tinyres.manual_seed(0)
    ours = getattr(tinyres.models, model)()
    state = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    ours.to("cuda").train()
    theirs = torch_models.build(model, state).to(dev.torch_device).train()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, size, size), dtype=np.float32)
    y = rng.integers(0, state["fc.weight"].shape[0], batch)  # one label per class of fc
    ours_step = tinyres_step(ours, tinyres.tensor(x, device="cuda"),
                             tinyres.tensor(y, device="cuda"))
    theirs_step = torch_step(theirs, torch.from_numpy(x).to(dev.torch_device),
                             torch.from_numpy(y).to(dev.torch_device))
    return ours_step, theirs_step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", default="gpu_out/bench_gpu_model.json")
    parser.add_argument("--shim", action="store_true",
                        help="run on the CPU shim against PyTorch CPU (code paths only)")
    args = parser.parse_args(argv)
    dev = gpu_device.select(args.shim)
    settings = switch_off_tf32(dev)
    ours, theirs = build(dev, args.batch, args.size, args.model)
    first = (ours().item(), theirs().item())  # same weights, same batch: the same loss
    ours_ms = gpu_ms(ours, *dev.ours_timer, args.warmup, args.reps)
    ours_peak = dev.peak_bytes()[0]  # CuPy's pool keeps what the step needed at its peak
    dev.reset_peak()
    theirs_ms = gpu_ms(theirs, *dev.theirs_timer, args.warmup, args.reps)
    theirs_peak = dev.peak_bytes()[1]
    report = {
        "device": dev.description, "torch": torch.__version__, "settings": settings,
        "model": args.model, "batch": args.batch, "size": args.size,
        "statistic": f"median of {args.reps} steps, "
                     + ("CUDA events" if dev.name == "cuda" else "host clock (shim: meaningless)"),
        "tinyres_ms": ours_ms, "torch_ms": theirs_ms, "ratio": ours_ms / theirs_ms,
        "target_ratio": TARGET_RATIO,
        "tinyres_peak_mb": None if ours_peak is None else ours_peak / 2**20,
        "torch_peak_mb": None if theirs_peak is None else theirs_peak / 2**20,
        "first_loss": {"tinyres": first[0], "torch": first[1],
                       "relative_difference": abs(first[0] - first[1]) / abs(first[1])},
    }
    write_report(args.json, report)
    show(report)
    return 0


def show(report):
    """The report as a few lines for the log."""
    print(f"{report['model']} training step, batch {report['batch']} at {report['size']}x"
          f"{report['size']} on {report['device']} (TF32 off):")
    for side in ("tinyres", "torch"):
        peak = report[f"{side}_peak_mb"]
        shown = "" if peak is None else f"  peak {peak:7.0f} MB"
        print(f"  {side:<7} {report[f'{side}_ms']:8.1f} ms{shown}")
    first = report["first_loss"]
    print(f"  ratio   {report['ratio']:8.2f}   (target <= {TARGET_RATIO})   first losses"
          f" {first['tinyres']:.6f} / {first['torch']:.6f}")


if __name__ == "__main__":
    raise SystemExit(main())
