"""The sub-commands of the `tinyres` command, in the order `tinyres --help` lists them."""
from . import (bench_cmd, eval_cmd, explain_cmd, gradcheck_cmd, gradflow_cmd, graph_cmd,
               lesion_cmd, models_cmd, summary_cmd, train_cmd)

COMMANDS = [train_cmd, eval_cmd, summary_cmd, gradcheck_cmd, models_cmd, explain_cmd,
            gradflow_cmd, graph_cmd, lesion_cmd, bench_cmd]
