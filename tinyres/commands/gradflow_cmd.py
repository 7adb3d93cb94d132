"""`tinyres gradflow`: gradient norms against depth for several models, in one picture.

    tinyres gradflow --models cifar_resnet56,cifar_plain56 --out gradflow.png
    tinyres gradflow --models cifar_resnet56,cifar_plain56 --no-batchnorm --out nobn.png
    tinyres gradflow --models cifar_resnet56,cifar_preact_resnet56 --out preact.png

Each model is freshly initialised (seed), takes one batch of real data, and one backward pass
of the cross-entropy loss is probed (tinyres.viz.gradient_flow).
"""
import json

import numpy as np

from .. import data, models
from ..creation import tensor
from ..random import manual_seed
from ..viz.gradient_flow import gradient_flow
from ..viz.plot import plot_gradient_flow
from .common import build_model
from .usage import UsageError

NAME = "gradflow"
HELP = "plot gradient norms against depth for several models (ResNets vs plain nets)"
RANDOM = "random"


def add_arguments(parser):
    add = parser.add_argument
    add("--models", default="cifar_resnet56,cifar_plain56",
        help="comma-separated model names (default: cifar_resnet56,cifar_plain56)")
    add("--out", default="gradflow.png", metavar="FILE", help="the picture (.png, .svg, .pdf)")
    add("--data", default="mnist5k", choices=data.DATASETS + (RANDOM,),
        help="where the batch comes from (default: mnist5k; random: Gaussian noise, 3x32x32)")
    add("--data-root", default=None, help="CIFAR-10 folder (cifar10)")
    add("--batch-size", type=int, default=32, help="(default: 32)")
    add("--seed", type=int, default=0, help="seed for the weights and the batch")
    add("--no-batchnorm", action="store_true",
        help="build the CIFAR models without batch normalisation")
    add("--zero-init-residual", action="store_true",
        help="start each residual block as the identity (its last BN scale = 0)")
    add("--json", default=None, metavar="FILE", help="also write the numbers as JSON")
    add("--table", action="store_true", help="print every block's gradient norms")


def load_batch(args):
    """(x, y, DatasetInfo-like) for the chosen data: one shuffled batch, normalised."""
    if args.data == RANDOM:
        rng = np.random.default_rng(args.seed)
        x = tensor(rng.standard_normal((args.batch_size, 3, 32, 32)), dtype="float32")
        return x, tensor(rng.integers(0, 10, args.batch_size)), data.dataset_info("cifar10")
    info = data.dataset_info(args.data)
    if info.needs_root and args.data_root is None:
        raise UsageError(f"{args.data} needs --data-root")
    loader = data.DataLoader(data.get_dataset(args.data, "train", args.data_root),
                             args.batch_size, shuffle=True, seed=args.seed,
                             transform=data.standard_transform(args.data, False))
    x, y = next(iter(loader))
    return x, y, info


def build(name, info, args):
    """A freshly initialised model with the requested batchnorm / zero-init options."""
    manual_seed(args.seed)
    model = models.info(name)
    if not model.takes("in_channels"):
        return build_model(name, info)
    kwargs = {"num_classes": info.num_classes, "in_channels": info.channels}
    if model.takes("batchnorm"):
        kwargs["batchnorm"] = not args.no_batchnorm
    if args.zero_init_residual and model.takes("zero_init_residual"):
        kwargs["zero_init_residual"] = True
    return models.get(name, **kwargs)


def label(name, args):
    zero_init = args.zero_init_residual and models.info(name).takes("zero_init_residual")
    return name + (" (no BN)" if args.no_batchnorm else "") + (
        " (zero-init)" if zero_init else "")


def run(args):
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in models.list_models()]
    if unknown:
        raise UsageError(f"--models: unknown model{'s' if len(unknown) > 1 else ''}"
                         f" {', '.join(map(repr, unknown))}; see `tinyres models`")
    if not names:
        raise UsageError(f"--models must name models from `tinyres models`, got {args.models!r}")
    with_bn = [n for n in names if not models.info(n).takes("batchnorm")]
    if args.no_batchnorm and with_bn:
        raise UsageError(f"--no-batchnorm applies to the CIFAR models with a batchnorm option"
                         f" (cifar_resnet*, cifar_plain*), not {', '.join(with_bn)}")
    if args.batch_size < 2:
        raise UsageError("--batch-size must be >= 2: train-mode batch norm needs two samples")
    x, y, info = load_batch(args)
    flows = []
    for name in names:
        flow = gradient_flow(build(name, info, args), x, y, label=label(name, args))
        flows.append(flow)
        first, last = flow.blocks[0].grad_input, flow.blocks[-1].grad_input
        print(f"{flow.model}: loss {flow.loss:.4f}; |dL/dx| at block 1 {first:.3e}, at block"
              f" {len(flow.blocks)} {last:.3e} (first / last = {first / last:.3g})")
        if args.table:
            print(flow.format())
    try:
        plot_gradient_flow(flows, args.out, title=f"Gradient flow at initialisation on"
                                                  f" {args.data} (batch {args.batch_size})")
    except ImportError as error:
        raise UsageError(str(error)) from error
    print(f"wrote {args.out}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([flow.to_dict() for flow in flows], f, indent=2)
    return 0
