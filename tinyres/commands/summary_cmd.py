"""`tinyres summary MODEL`: layers, output shapes, parameters and MACs of a model."""
from .. import models
from ..summary import summary

NAME = "summary"
HELP = "print a model's layers with output shapes, parameters and multiply-accumulates"


def add_arguments(parser):
    parser.add_argument("model", help="a model name (see `tinyres models`)")
    parser.add_argument("--input-size", type=int, default=None,
                        help="image height = width (default: 224 for ImageNet models, 32 for"
                             " CIFAR models)")
    parser.add_argument("--channels", type=int, default=3, help="input channels (default: 3)")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="classifier outputs (default: the model's own)")
    parser.add_argument("--totals", action="store_true", help="print only the totals")


def run(args):
    kwargs = {} if args.num_classes is None else {"num_classes": args.num_classes}
    if args.model.startswith("cifar") and args.channels != 3:
        kwargs["in_channels"] = args.channels
    model = models.get(args.model, **kwargs)
    size = args.input_size or (32 if args.model.startswith("cifar") else 224)
    result = summary(model, (args.channels, size, size))
    if args.totals:
        print(f"{args.model}: {result.total_params:,} parameters,"
              f" {result.total_macs / 1e9:.3f} GMACs at {args.channels}x{size}x{size}")
    else:
        print(result)
