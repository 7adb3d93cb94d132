"""`tinyres summary MODEL`: layers, output shapes, parameters and MACs of a model.
`tinyres summary --compare vgg19,resnet34,resnet152`: depth, parameters, MACs and activation
memory of several models side by side."""
from .. import models
from ..compare import compare_models, format_comparison
from ..summary import summary
from .usage import UsageError

NAME = "summary"
HELP = "print a model's layers with output shapes, parameters and multiply-accumulates"


def add_arguments(parser):
    parser.add_argument("model", nargs="?", help="a model name (see `tinyres models`)")
    parser.add_argument("--compare", default=None, metavar="M1,M2,...",
                        help="compare models side by side: depth, parameters, MACs, activation"
                             " memory (e.g. vgg19,resnet34,resnet152)")
    parser.add_argument("--input-size", type=int, default=None,
                        help="image height = width (default: 224 for ImageNet models, 32 for"
                             " CIFAR models)")
    parser.add_argument("--channels", type=int, default=3, help="input channels (default: 3)")
    parser.add_argument("--num-classes", type=int, default=None,
                        help="classifier outputs (default: the model's own)")
    parser.add_argument("--totals", action="store_true", help="print only the totals")


def run(args):
    if args.compare is not None:
        return compare(args)
    if args.model is None:
        raise UsageError("name a model (see `tinyres models`), or give --compare M1,M2,...")
    info = models.info(args.model)
    kwargs = {} if args.num_classes is None else {"num_classes": args.num_classes}
    if info.takes("in_channels") and args.channels != 3:
        kwargs["in_channels"] = args.channels
    model = models.get(args.model, **kwargs)
    size = args.input_size or info.input_size
    result = summary(model, (args.channels, size, size))
    if args.totals:
        print(f"{args.model}: {result.total_params:,} parameters,"
              f" {result.total_macs / 1e9:.3f} GMACs at {args.channels}x{size}x{size}")
    else:
        print(result)


def compare(args):
    names = [n.strip() for n in args.compare.split(",") if n.strip()]
    unknown = [n for n in names if n not in models.list_models()]
    if args.model is not None or not names or unknown:
        raise UsageError(f"--compare takes model names from `tinyres models` separated by"
                         f" commas, and no MODEL; got {args.compare!r}"
                         + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    print(format_comparison(compare_models(names, args.input_size, args.channels)))
    return 0
