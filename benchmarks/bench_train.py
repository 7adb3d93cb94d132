"""The default training recipe, run by tinyres and by PyTorch side by side.

`tinyres train`'s defaults: cifar_resnet20 (1 input channel) on mnist5k (4,000 train / 1,000
test real MNIST digits), 8 epochs, batch 128, SGD (lr 0.1, momentum 0.9, weight decay 5e-4),
cosine schedule per epoch, random crop with 2 pixels of padding, normalisation. Both sides start
from the same weights (tinyres's initialisation, copied into the PyTorch network) and see the
same batches in the same order (one seeded tinyres DataLoader each); both train in this process
with the same number of threads, alternating epoch by epoch (the engine that goes first swaps
every epoch), so that a change in the machine's load falls on both. Printed: per-epoch train
loss, test loss, test accuracy and seconds for both, then the totals. `--epochs 1` trains
exactly the first epoch of the 8-epoch run (the schedule changes the rate only after it).

    python -m benchmarks.bench_train [--epochs 8] [--threads 2] [--json FILE]
"""
import json
import time


from .common import bare_parser
from .timing import load, machine, pin_threads

DATA, MODEL, BATCH, LR, MOMENTUM, DECAY, SEED = "mnist5k", "cifar_resnet20", 128, 0.1, 0.9, 5e-4, 0


def loaders():
    """(train, test) tinyres DataLoaders with the recipe's batches and transforms."""
    from tinyres.commands.common import make_loader
    return (make_loader(DATA, "train", None, BATCH, "cpu", SEED, train=True),
            make_loader(DATA, "test", None, 256, "cpu"))


class TinyresRecipe:
    """tinyres's side, one epoch per call: what tinyres.train.fit does for each epoch (train,
    step the schedule, evaluate) with the recipe's optimizer and schedule."""

    def __init__(self, model, epochs):
        from tinyres import optim
        self.model = model
        self.train, self.test = loaders()
        self.opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
        self.sched = optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)

    def epoch(self, number):
        from tinyres.train import evaluate, train_epoch
        began = time.perf_counter()
        train_loss, _ = train_epoch(self.model, self.opt, self.train, show_progress=False)
        self.sched.step()
        test_loss, test_accuracy = evaluate(self.model, self.test)
        return {"epoch": number, "train_loss": train_loss, "test_loss": test_loss,
                "test_accuracy": test_accuracy, "seconds": time.perf_counter() - began}


class TorchRecipe:
    """The same loop in PyTorch, one epoch per call, records like TinyresRecipe's."""

    def __init__(self, model, epochs):
        import torch
        self.model = model
        self.train, self.test = loaders()
        self.opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                                   weight_decay=DECAY)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)

    def epoch(self, number):
        import torch
        f = torch.nn.functional
        began = time.perf_counter()
        self.model.train()
        total, seen = 0.0, 0
        for x, y in self.train:
            x, y = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
            loss = f.cross_entropy(self.model(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total, seen = total + loss.item() * len(y), seen + len(y)
        self.sched.step()
        test_loss, test_accuracy = _torch_evaluate(self.model, self.test)
        return {"epoch": number, "train_loss": total / seen, "test_loss": test_loss,
                "test_accuracy": test_accuracy, "seconds": time.perf_counter() - began}


def build_recipes(epochs):
    """(TinyresRecipe, TorchRecipe) of an `epochs`-epoch run, both networks starting from the
    same weights (tinyres's seeded initialisation, copied into PyTorch's)."""
    import tinyres
    from tinyres.commands.common import build_model
    tinyres.manual_seed(SEED)
    ours = build_model(MODEL, tinyres.data.dataset_info(DATA))
    state = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    from . import torch_models  # imports torch: not needed for --help
    theirs = torch_models.build(MODEL, state, num_classes=10, in_channels=1)
    return TinyresRecipe(ours, epochs), TorchRecipe(theirs, epochs)


def alternate(ours, theirs, epochs):
    """(our records, their records): the two recipes' epochs interleaved, the first to run
    swapping every epoch (tinyres first in epoch 1)."""
    mine, ref = [], []
    for number in range(1, epochs + 1):
        sides = [(ours, mine), (theirs, ref)]
        for recipe, records in sides if number % 2 else sides[::-1]:
            records.append(recipe.epoch(number))
    return mine, ref


def _torch_evaluate(model, loader):
    """(mean loss, accuracy) in eval mode, as tinyres.train.evaluate."""
    import torch
    model.eval()
    total, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits, labels = model(torch.from_numpy(x.numpy())), torch.from_numpy(y.numpy())
            total += torch.nn.functional.cross_entropy(logits, labels).item() * len(labels)
            correct += int((logits.argmax(1) == labels).sum())
            seen += len(labels)
    return total / seen, correct / seen


def main(argv=None):
    parser = bare_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    threads = pin_threads(args.threads)
    recipes = build_recipes(args.epochs)
    load_before = load()
    mine, ref = alternate(*recipes, args.epochs)
    epochs = f"{args.epochs} epoch{'s' if args.epochs != 1 else ''}"
    print(f"{MODEL} on {DATA}, {epochs}, batch {BATCH}; {threads}; load {load_before}")
    print(f"{'':5} | {'tinyres: train loss':>19} {'test loss':>9} {'acc':>6} {'s':>6} |"
          f" {'torch: train loss':>17} {'test loss':>9} {'acc':>6} {'s':>6}")
    for a, b in zip(mine, ref):
        print(f"{a['epoch']:5d} | {a['train_loss']:19.4f} {a['test_loss']:9.4f}"
              f" {a['test_accuracy']:6.4f} {a['seconds']:6.1f} | {b['train_loss']:17.4f}"
              f" {b['test_loss']:9.4f} {b['test_accuracy']:6.4f} {b['seconds']:6.1f}")
    ours_s, torch_s = (sum(r["seconds"] for r in h) for h in (mine, ref))
    print(f"total | tinyres {ours_s:.1f} s, test accuracy {mine[-1]['test_accuracy']:.4f} |"
          f" torch {torch_s:.1f} s, test accuracy {ref[-1]['test_accuracy']:.4f} |"
          f" time ratio {ours_s / torch_s:.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": machine(), "threads": threads, "load": load_before,
                       "tinyres": mine, "torch": ref, "ratio": ours_s / torch_s}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
