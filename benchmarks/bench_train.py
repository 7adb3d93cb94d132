"""The default training recipe, run by tinyres and by PyTorch side by side.

`tinyres train`'s defaults: cifar_resnet20 (1 input channel) on mnist5k (4,000 train / 1,000
test real MNIST digits), 8 epochs, batch 128, SGD (lr 0.1, momentum 0.9, weight decay 5e-4),
cosine schedule per epoch, random crop with 2 pixels of padding, normalisation. Both sides start
from the same weights (tinyres's initialisation, copied into the PyTorch network) and see the
same batches in the same order (one seeded tinyres DataLoader each); each trains in this process
with the same number of threads, one after the other. Printed: per-epoch train loss, test loss,
test accuracy and seconds for both, then the totals. `--epochs 1` trains exactly the first epoch
of the 8-epoch run (the schedule changes the rate only after it).

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


def train_tinyres(model, epochs):
    """Per-epoch records of tinyres.train.fit on the recipe."""
    from tinyres import optim
    from tinyres.train import RunConfig, fit
    train, test = loaders()
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    run = RunConfig(epochs, show_progress=False, log=lambda s: None)
    return fit(model, opt, train, run, test, sched)


def train_torch(model, epochs):
    """The same loop in PyTorch: per-epoch records like fit()'s."""
    import torch
    f = torch.nn.functional
    train, test = loaders()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=DECAY)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    history = []
    for epoch in range(epochs):
        began = time.perf_counter()
        model.train()
        total, seen = 0.0, 0
        for x, y in train:
            x, y = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
            loss = f.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, seen = total + loss.item() * len(y), seen + len(y)
        sched.step()
        test_loss, test_accuracy = _torch_evaluate(model, test)
        history.append({"epoch": epoch + 1, "train_loss": total / seen, "test_loss": test_loss,
                        "test_accuracy": test_accuracy, "seconds": time.perf_counter() - began})
    return history


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
    import tinyres
    from tinyres.commands.common import build_model
    tinyres.manual_seed(SEED)
    ours = build_model(MODEL, tinyres.data.dataset_info(DATA))
    state = {k: v.numpy().copy() for k, v in ours.state_dict().items()}
    from . import torch_models  # imports torch: not needed for --help
    theirs = torch_models.build(MODEL, state, num_classes=10, in_channels=1)
    load_before = load()
    mine, ref = train_tinyres(ours, args.epochs), train_torch(theirs, args.epochs)
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
