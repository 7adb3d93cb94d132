"""The model workloads, built the same way for both sides: same architecture, same weights
(tinyres's initial state_dict loaded into the PyTorch twin), same input, same SGD step.

    forward  eval mode under no_grad (inference)
    train    train mode: forward, cross-entropy, backward, SGD (momentum 0.9, weight decay 1e-4),
             zero_grad (gradients set to None on both sides)
"""
import numpy as np

CASES = {
    # name: (model, batch, image size, mode)
    "resnet18-forward": ("resnet18", 8, 224, "forward"),
    "resnet50-forward": ("resnet50", 8, 224, "forward"),
    "resnet18-train": ("resnet18", 8, 224, "train"),
    "resnet50-train": ("resnet50", 8, 224, "train"),
    "cifar_resnet56-train": ("cifar_resnet56", 128, 32, "train"),
    "cifar_resnet20-train": ("cifar_resnet20", 128, 32, "train"),
    "cifar_resnet20-28-train": ("cifar_resnet20", 128, 28, "train"),
}
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.9, 1e-4


def inputs(batch, size, classes, seed=0):
    """A fixed batch of images (N, 3, size, size) float32 and labels (N,) int64."""
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((batch, 3, size, size), dtype=np.float32)
    return images, rng.integers(0, classes, batch)


def flops(case):
    """Floating-point operations of one run (2 per multiply-accumulate of the convolutions and
    the linear layer); training counts forward + backward-data + backward-weight, without the
    first convolution's backward-data (its input needs no gradient)."""
    import tinyres
    name, batch, size, mode = CASES[case]
    rows = tinyres.summary(tinyres.models.get(name), (batch, 3, size, size)).rows
    macs = sum(r["macs"] for r in rows)
    if mode == "forward":
        return 2 * macs
    first = next(r["macs"] for r in rows if r["type"] == "Conv2d")
    return 2 * (3 * macs - first)


def tinyres_run(case, seed=0, copy_state=True):
    """A zero-argument callable that runs the case once with tinyres; also a copy of its
    state_dict (None with copy_state=False: the memory benchmark must not count the copy)."""
    import tinyres
    import tinyres.functional as F
    name, batch, size, mode = CASES[case]
    tinyres.manual_seed(seed)
    model = tinyres.models.get(name)
    state = None
    if copy_state:
        state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    images, labels = inputs(batch, size, 1000 if size == 224 else 10, seed)
    x, t = tinyres.tensor(images), tinyres.tensor(labels)
    if mode == "forward":
        model.eval()

        def run():
            with tinyres.no_grad():
                model(x)
        return run, state
    opt = tinyres.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                            weight_decay=WEIGHT_DECAY)

    def step():
        loss = F.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step, state


def torch_run(case, state=None, seed=0):
    """The same for PyTorch eager (state: tinyres's state_dict to start from)."""
    import torch

    from .torch_models import build
    name, batch, size, mode = CASES[case]
    torch.manual_seed(seed)
    model = build(name, state)
    images, labels = inputs(batch, size, 1000 if size == 224 else 10, seed)
    x, t = torch.from_numpy(images), torch.from_numpy(labels)
    if mode == "forward":
        model.eval()

        def run():
            with torch.no_grad():
                model(x)
        return run
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM,
                          weight_decay=WEIGHT_DECAY)

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return step
