"""`tinyres gradcheck MODEL`: float64 gradient check of a whole model on a tiny input, with the
worst relative error of each parameter, and the time it took."""
import time

import numpy as np

from .. import models
from ..creation import tensor
from ..gradcheck_model import check_model, matching
from ..random import manual_seed
from .usage import UsageError

NAME = "gradcheck"
HELP = "check a whole model's backward against float64 finite differences"


def add_arguments(parser):
    parser.add_argument("model", help="model name (see `tinyres models`)")
    parser.add_argument("--input-size", type=int, default=None,
                        help="image height = width (default: 8 for CIFAR models, 64 otherwise:"
                             " then the last stage's batch norm sees 2x2 maps, not a 1x1 map"
                             " whose 2 values it would normalise to +-1 whatever the input)")
    parser.add_argument("--batch", type=int, default=2, help="batch size (default: 2)")
    parser.add_argument("--elements", type=int, default=3,
                        help="elements checked per parameter (default: 3)")
    parser.add_argument("--num-classes", type=int, default=10, help="(default: 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layers", default=None, metavar="PATTERN",
                        help="check only the parameters whose names match these glob patterns,"
                             " comma-separated, e.g. 'layer1.0.*' ('input' for the input)")


def run(args):
    if args.model not in models.list_models():
        raise UsageError(f"unknown model {args.model!r}; see `tinyres models`")
    if args.batch < 2:
        raise UsageError("--batch must be >= 2: train-mode batch norm needs two samples")
    manual_seed(args.seed)
    model = models.get(args.model, num_classes=args.num_classes).double()
    size = args.input_size or models.info(args.model).check_input
    rng = np.random.default_rng(args.seed)
    x = tensor(rng.standard_normal((args.batch, 3, size, size)), requires_grad=True)
    y = tensor(rng.integers(0, args.num_classes, args.batch))
    only = _selected(args, ["input"] + [name for name, _ in model.named_parameters()])
    start = time.perf_counter()
    rows = check_model(model, x, y, elements=args.elements, seed=args.seed, only=only)
    seconds = time.perf_counter() - start
    print(f"{'parameter':40s} {'shape':>18s} {'checked':>8s} {'max abs err':>12s}"
          f" {'worst rel err':>14s}")
    for row in rows:
        flag = "" if row["ok"] else "  FAIL"
        print(f"{row['name']:40s} {str(row['shape']):>18s} {row['checked']:>8d}"
              f" {row['max_abs_error']:>12.3g} {row['worst_relative_error']:>14.3g}{flag}")
    failed = [row["name"] for row in rows if not row["ok"]]
    worst = max(row["worst_relative_error"] for row in rows)
    retried = sum(row["retried"] for row in rows)
    if retried:
        print(f"{retried} element(s) measured again with steps eps/10 and eps/100, which agreed"
              " with each other: the loss is not smooth within eps there (a ReLU or max-pool"
              " input near its kink)")
    print(f"{len(rows)} tensors checked in {seconds:.1f} s, worst relative error {worst:.3g}:"
          f" {'FAILED ' + ', '.join(failed) if failed else 'all gradients agree'}")
    return 1 if failed else 0


def _selected(args, names):
    """The names --layers picks (None: all); a pattern that matches nothing is a usage error."""
    if args.layers is None:
        return None
    patterns = [p.strip() for p in args.layers.split(",") if p.strip()]
    for pattern in patterns or [args.layers]:
        if not matching(names, [pattern]):
            examples = ", ".join(names[1:4] + [n for n in names if n.startswith("layer1.0.")][:2])
            raise UsageError(f"--layers {pattern!r} matches no parameter of {args.model}; names"
                             f" look like: {examples}, ... (see `tinyres summary {args.model}`)")
    return set(matching(names, patterns))
