"""How close tinyres's ResNets are to PyTorch's: the same weights and input through both, one
eval-mode forward and one training step (forward, cross-entropy, backward), in float32 and
float64; printed: the largest relative error of each kind of quantity (logits, loss, parameter
gradients, BN buffers), error = max |ours - torch| / max |torch|; and, to show what float32
rounding alone does to a training step, how far each side's float32 gradients are from
PyTorch's float64 ones.

tests/nn_models/test_resnet_parity.py builds its twins and steps with these functions and asserts the
tolerances; this script prints the figures behind them.

    python -m benchmarks.parity [--models resnet18,resnet50] [--size 64] [--batch 2]
    python -m benchmarks.parity --models resnet18 --sizes 32,40,48,56,64

--sizes prints only the float32-vs-float64 gradient errors of both sides, at each input size
and their medians: one size can show a large error in either engine (a ReLU or max-pool input
within rounding of its kink takes the other branch in float32), the median over sizes cannot.
"""
import statistics

import numpy as np

import tinyres
import tinyres.functional as F

from .common import bare_parser


def randomise_batchnorm(model, rng):
    """Non-trivial BN state (weight, bias, running statistics), so that eval mode really
    exercises the running statistics."""
    for m in model.modules():
        if isinstance(m, tinyres.nn.BatchNorm2d):
            c = m.num_features
            for tensor, values in ((m.weight, rng.uniform(0.5, 1.5, c)),
                                   (m.bias, rng.normal(0, 0.1, c)),
                                   (m.running_mean, rng.normal(0, 0.1, c)),
                                   (m.running_var, rng.uniform(0.5, 2, c))):
                tensor.set_data_(tensor.backend.asarray(values, tensor.dtype))


def twins(name, device="cpu", dtype="float32"):
    """(tinyres model on device in dtype, the PyTorch reference with the same weights)."""
    from .torch_models import build
    tinyres.manual_seed(0)
    ours = tinyres.models.get(name)
    randomise_batchnorm(ours, np.random.default_rng(0))
    theirs = build(name, ours.state_dict())
    if dtype == "float64":
        theirs.double()
    return ours.to(device, dtype), theirs


def batch(dtype, size=64, n=2, classes=1000):
    """A fixed (n, 3, size, size) input and n labels."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, 3, size, size)).astype(dtype)
    return x, rng.integers(0, classes, n)


def eval_logits(ours, theirs, x, device="cpu"):
    """(ours, theirs) eval-mode logits of x, as numpy arrays."""
    import torch
    ours.eval()
    theirs.eval()
    with tinyres.no_grad():
        mine = ours(tinyres.tensor(x, device=device)).numpy()
    with torch.no_grad():
        ref = theirs(torch.from_numpy(x)).numpy()
    return mine, ref


def train_step(ours, theirs, x, y, device="cpu"):
    """One forward + cross-entropy + backward on both, train mode;
    returns {what: (ours, theirs)} for the logits, the loss, every parameter's gradient and
    every buffer (the BN running statistics after the step)."""
    import torch
    ours.train()
    theirs.train()
    logits = ours(tinyres.tensor(x, device=device))
    loss = F.cross_entropy(logits, tinyres.tensor(y, device=device))
    loss.backward()
    t_logits = theirs(torch.from_numpy(x))
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(y))
    t_loss.backward()
    pairs = {"logits": (logits.numpy(), t_logits.detach().numpy()),
             "loss": (loss.numpy(), t_loss.detach().numpy())}
    t_params, t_buffers = dict(theirs.named_parameters()), dict(theirs.named_buffers())
    for name, p in ours.named_parameters():
        pairs[f"gradient of {name}"] = (p.grad.numpy(), t_params[name].grad.numpy())
    for name, b in ours.named_buffers():
        pairs[f"buffer {name}"] = (b.numpy(), t_buffers[name].numpy())
    return pairs


def relative_error(mine, ref):
    """max |mine - ref| / max |ref|, in float64 (0 when both are all zeros)."""
    mine, ref = np.asarray(mine, np.float64), np.asarray(ref, np.float64)
    scale = np.abs(ref).max(initial=0.0)
    diff = np.abs(mine - ref).max(initial=0.0)
    return diff / scale if scale > 0 else diff


def worst_by_kind(pairs):
    """{kind: (error, what)}: the largest relative error among the quantities of each kind
    (logits, loss, gradient, buffer)."""
    worst = {}
    for what, (mine, ref) in pairs.items():
        kind, error = what.split(" ")[0], relative_error(mine, ref)
        if kind not in worst or error > worst[kind][0]:
            worst[kind] = (error, what)
    return worst


def report(name, size, n):
    """Lines of figures for one model: ours against PyTorch in each dtype, then both float32
    gradients against PyTorch's float64 ones (how much float32 itself moves them)."""
    ours, theirs = twins(name)
    classes = ours.fc.weight.shape[0]
    x, _ = batch(np.float32, size, n, classes)
    error = relative_error(*eval_logits(ours, theirs, x))
    lines = [f"{name:10s} float32 eval   logits    {error:.1e}"]
    steps = {}
    for dtype in ("float32", "float64"):
        ours, theirs = twins(name, dtype=dtype)
        x, y = batch(getattr(np, dtype), size, n, classes)
        steps[dtype] = train_step(ours, theirs, x, y)
        for kind, (error, what) in worst_by_kind(steps[dtype]).items():
            lines.append(f"{name:10s} {dtype} train  {kind:9s} {error:.1e}  (worst: {what})")
    exact = {what: ref for what, (_, ref) in steps["float64"].items()}
    for side, index in (("ours", 0), ("torch", 1)):
        float32 = {what: pair[index] for what, pair in steps["float32"].items()
                   if what.startswith("gradient")}
        error, what = worst_by_kind({w: (v, exact[w]) for w, v in float32.items()})["gradient"]
        lines.append(f"{name:10s} {side:5s} float32 vs float64 gradient {error:.1e}"
                     f"  (worst: {what})")
    return lines


def float32_gradient_errors(name, size, n):
    """{"ours": e, "torch": e}: each side's worst float32 gradient error against PyTorch's
    float64 gradients, for one (n, 3, size, size) batch."""
    steps = {}
    for dtype in ("float32", "float64"):
        ours, theirs = twins(name, dtype=dtype)
        x, y = batch(getattr(np, dtype), size, n, ours.fc.weight.shape[0])
        steps[dtype] = train_step(ours, theirs, x, y)
    exact = {what: ref for what, (_, ref) in steps["float64"].items()}
    errors = {}
    for side, index in (("ours", 0), ("torch", 1)):
        pairs = {w: (pair[index], exact[w]) for w, pair in steps["float32"].items()
                 if w.startswith("gradient")}
        errors[side] = worst_by_kind(pairs)["gradient"][0]
    return errors


def size_report(name, sizes, n):
    """Lines: the float32 gradient errors of both sides at each size, then their medians."""
    rows = {size: float32_gradient_errors(name, size, n) for size in sizes}
    lines = [f"{name:16s} size {size:4d}  float32 vs float64 gradient: ours {e['ours']:.1e}"
             f"  torch {e['torch']:.1e}" for size, e in rows.items()]
    medians = {side: statistics.median(e[side] for e in rows.values())
               for side in ("ours", "torch")}
    lines.append(f"{name:16s} median over {len(sizes)} sizes:   ours {medians['ours']:.1e}"
                 f"  torch {medians['torch']:.1e}")
    return lines


def main(argv=None):
    p = bare_parser(__doc__)
    p.add_argument("--models", default="resnet18,resnet50", help="comma-separated names")
    p.add_argument("--size", type=int, default=64, help="image height = width (default: 64)")
    p.add_argument("--batch", type=int, default=2, help="images per batch (default: 2)")
    p.add_argument("--sizes", help="comma-separated image sizes: float32 gradient errors of"
                   " both sides at each, and their medians")
    args = p.parse_args(argv)
    if args.sizes:
        sizes = [int(v) for v in args.sizes.split(",")]
        print(f"float32 vs float64 gradients, {args.batch}x3xSxS inputs, cpu;"
              " error = max |float32 - torch float64| / max |torch float64|")
        for name in args.models.split(","):
            print("\n".join(size_report(name, sizes, args.batch)), flush=True)
        return
    print(f"tinyres vs PyTorch, {args.batch}x3x{args.size}x{args.size}, cpu;"
          " error = max |ours - torch| / max |torch|")
    for name in args.models.split(","):
        print("\n".join(report(name, args.size, args.batch)), flush=True)


if __name__ == "__main__":
    main()
