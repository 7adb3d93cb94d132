"""`tinyres eval CHECKPOINT`: loss and accuracy of a trained model on a dataset split."""
import os

from .. import data
from ..compile_notice import compile_notice
from ..io import load, load_pth
from ..models.identify import mismatch
from ..progress import note
from ..train import checkpoint_path, evaluate
from .common import build_model, make_loader
from .usage import UsageError

NAME = "eval"
HELP = "evaluate a checkpoint (from tinyres train, tinyres.save or torch.save) on a dataset"


def add_arguments(parser):
    parser.add_argument("checkpoint", help="a .npz checkpoint or folder (tinyres train), or a"
                                           " .pth state_dict saved by torch.save")
    parser.add_argument("--model", default=None, help="model name (default: from the checkpoint)")
    parser.add_argument("--data", default=None, choices=data.DATASETS,
                        help="dataset (default: from the checkpoint)")
    parser.add_argument("--data-root", default=None, help="CIFAR-10 folder (cifar10)")
    parser.add_argument("--split", default="test", choices=("train", "test"),
                        help="which part of the dataset to evaluate on (default: test)")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="images per forward pass: speed and memory depend on it, the"
                             " result does not (eval-mode batch norm) (default: 256)")
    parser.add_argument("--device", default=None, help="cpu or cuda")


def read_weights(path):
    """(state_dict, config) from a tinyres checkpoint, a saved state_dict or a .pth file."""
    if path.endswith(".pth") or path.endswith(".pt"):
        return load_pth(path), {}
    state = load(checkpoint_path(path))
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        config = state.get("config")
        return state["model"], config if isinstance(config, dict) else {}
    return state, {}


def check_fits(weights, model, wanted, recorded):
    """UsageError in one line when the checkpoint holds another model than the one asked for."""
    problem = mismatch(weights, model, wanted, recorded)
    if problem and isinstance(recorded, str) and recorded != wanted:
        problem += f"; leave out --model to evaluate it as {recorded}"
    if problem:
        raise UsageError(problem)


def run(args):
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be >= 1, got {args.batch_size}")
    if not os.path.exists(args.checkpoint):
        raise UsageError(f"no such checkpoint: {args.checkpoint}")
    weights, config = read_weights(args.checkpoint)
    model_name = args.model or config.get("model")
    data_name = args.data or config.get("data")
    if model_name is None or data_name is None:
        raise UsageError("the checkpoint does not say which model and data it is for; pass"
                         " --model and --data")
    info = data.dataset_info(data_name)
    model = build_model(model_name, info)
    check_fits(weights, model, model_name, config.get("model"))
    model.load_state_dict(weights)
    model.to(args.device)
    loader = make_loader(data_name, args.split, args.data_root, args.batch_size, args.device)
    with compile_notice(note):
        loss, accuracy = evaluate(model, loader)
    print(f"{model_name} on {data_name} {args.split} ({len(loader.dataset)} images):"
          f" loss {loss:.4f}, accuracy {accuracy:.4f}")
    return 0
