"""`tinyres graph MODEL --out FILE`: the autograd graph of a model's forward pass, as Graphviz
DOT text (.dot) or drawn (.svg, .png, .pdf: needs Graphviz's `dot` program)."""
import os

from .. import models
from ..creation import randn
from ..random import manual_seed
from ..viz.graph import FORMATS, render, to_dot
from .usage import UsageError

NAME = "graph"
HELP = "write the autograd graph of a model's forward pass as DOT text (or SVG/PNG via dot)"


def add_arguments(parser):
    parser.add_argument("model", help="model name (see `tinyres models`)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="FILE.dot (text), or FILE.svg / .png / .pdf (drawn with Graphviz)")
    parser.add_argument("--input-size", type=int, default=None,
                        help="image height = width (default: the smallest the model takes: 8 for"
                             " CIFAR models, 32 for ImageNet ResNets, 224 for VGG)")
    parser.add_argument("--channels", type=int, default=3, help="input channels (default: 3)")
    parser.add_argument("--seed", type=int, default=0)


def run(args):
    if args.model not in models.list_models():
        raise UsageError(f"unknown model {args.model!r}; see `tinyres models`")
    extension = os.path.splitext(args.out)[1].lstrip(".").lower()
    if extension not in ("dot",) + FORMATS:
        raise UsageError(f"--out must end in .dot, .svg, .png or .pdf, got {args.out!r}")
    manual_seed(args.seed)
    info = models.info(args.model)
    cifar = info.takes("in_channels")
    kwargs = {"in_channels": args.channels} if cifar else {}
    if not cifar and args.channels != 3:
        raise UsageError(f"{args.model} takes 3-channel images; --channels applies to CIFAR"
                         " models")
    model = models.get(args.model, **kwargs)
    size = args.input_size or info.small_input
    out = model(randn(2, args.channels, size, size))  # two images: train-mode BN needs a batch
    dot = to_dot(out, module=model, title=f"{args.model}: autograd graph of the forward pass")
    if extension == "dot":
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(dot)
    else:
        render(dot, args.out)
    lines = dot.splitlines()
    edges = [line for line in lines if "->" in line]
    nodes = [line for line in lines if "[label=" in line and "->" not in line]
    skips = [line for line in edges if '"skip"' in line]
    print(f"wrote {args.out}: {len(nodes)} nodes, {len(edges)} edges, {len(skips)} skip"
          " connections highlighted")
    return 0
