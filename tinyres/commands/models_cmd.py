"""`tinyres models`: list the models tinyres can build, with their parameter counts."""
from .. import models

NAME = "models"
HELP = "list the available models"


def add_arguments(parser):
    parser.add_argument("--counts", action="store_true",
                        help="also build each model and print its parameter count")


def run(args):
    for name in models.list_models():
        if args.counts:
            params = sum(p.numel() for p in models.get(name).parameters())
            print(f"{name:20s} {params:>12,}")
        else:
            print(name)
