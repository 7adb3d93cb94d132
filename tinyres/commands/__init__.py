"""The sub-commands of the `tinyres` command, in the order `tinyres --help` lists them."""
from . import bench_cmd, models_cmd, summary_cmd

COMMANDS = [models_cmd, summary_cmd, bench_cmd]
