"""`tinyres explain`: walk through the backward pass of one residual block on a tiny input."""
from ..viz.explain import explain_block
from .usage import UsageError

NAME = "explain"
HELP = "walk through the backward pass of one residual block, node by node"


def add_arguments(parser):
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and input")
    parser.add_argument("--batch", type=int, default=2,
                        help="batch size (default: 2; train-mode BN needs >= 2 values)")
    parser.add_argument("--channels", type=int, default=2, help="channels (default: 2)")
    parser.add_argument("--size", type=int, default=4, help="image height = width (default: 4)")


def run(args):
    for name in ("batch", "channels", "size"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.batch * args.size * args.size < 2:
        raise UsageError("--batch * --size**2 must be >= 2: train-mode batch norm needs two"
                         " values per channel")
    print(explain_block(args.seed, args.batch, args.channels, args.size), end="")
    return 0
