"""Edge cases as PyTorch: empty batches (N = 0) give empty outputs and zero gradients in every op
a ResNet uses; what PyTorch refuses (or computes as NaN) is a clear error naming the argument;
and tinyres.functional's defaults are torch's where the names are the same."""
import ast
import inspect
import re

import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres.ops.sync_batchnorm import sync_batch_norm


def _pair(torch, shape, seed=0):
    """The same float64 values as a tinyres and a torch leaf tensor."""
    values = np.random.default_rng(seed).standard_normal(shape)
    return (tinyres.tensor(values, requires_grad=True),
            torch.tensor(values, requires_grad=True))


CASES = {  # name: (input shapes, tinyres op, torch op); every case has N = 0
    "conv2d": ([(0, 3, 8, 8), (4, 3, 3, 3), (4,)],
               lambda F_, x, w, b: F_.conv2d(x, w, b, stride=2, padding=1)),
    "batch_norm_eval": ([(0, 3, 4, 4), (3,), (3,)],
                        lambda F_, x, w, b: F_.batch_norm(x, w.detach() * 0, w.detach() ** 2, w,
                                                          b, training=False)),
    "adaptive_avg_pool2d": ([(0, 3, 6, 6)], lambda F_, x: F_.adaptive_avg_pool2d(x, 1)),
    "max_pool2d": ([(0, 3, 6, 6)], lambda F_, x: F_.max_pool2d(x, 3, 2, 1)),
    "avg_pool2d": ([(0, 3, 6, 6)], lambda F_, x: F_.avg_pool2d(x, 2)),
    "linear": ([(0, 7), (5, 7), (5,)], lambda F_, x, w, b: F_.linear(x, w, b)),
}


@pytest.mark.parametrize("name", CASES)
def test_empty_inputs_give_what_torch_gives(name, torch):
    shapes, op = CASES[name]
    ours, theirs = zip(*(_pair(torch, s, i) for i, s in enumerate(shapes)))
    y, expected = op(F, *ours), op(torch.nn.functional, *theirs)
    assert y.shape == tuple(expected.shape)
    np.testing.assert_array_equal(y.numpy(), expected.detach().numpy())
    (y * 2).sum().backward()
    (expected * 2).sum().backward()
    for a, b in zip(ours, theirs):
        assert a.grad.shape == tuple(b.grad.shape)
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_a_resnet_on_an_empty_batch_gives_an_empty_output():
    model = tinyres.models.cifar_resnet20().eval()
    assert model(tinyres.zeros(0, 3, 32, 32)).shape == (0, 10)
    with pytest.raises(ValueError, match="train mode needs more than 1 value per channel"):
        model.train()(tinyres.zeros(0, 3, 32, 32))  # as torch: no batch statistics from nothing


@pytest.mark.parametrize("eps", [0, 0.0, -1e-5, True, "1e-5"])
def test_batch_norm_needs_a_positive_eps(eps):
    x = tinyres.ones(2, 3, 4, 4)  # a constant channel: eps = 0 would divide by zero
    with pytest.raises(ValueError, match=f"batch_norm: argument 'eps' must be a number > 0, got"
                                         f" {re.escape(repr(eps))}"):
        F.batch_norm(x, None, None, training=True, eps=eps)
    with pytest.raises(ValueError, match="BatchNorm2d: argument 'eps' must be a number > 0"):
        tinyres.nn.BatchNorm2d(3, eps=eps)
    with pytest.raises(ValueError, match="sync_batch_norm: argument 'eps' must be"):
        sync_batch_norm(x, None, None, None, None, 0.1, eps, group=None)


def test_matmul_names_both_shapes_when_batch_axes_do_not_broadcast(torch):
    a, b = tinyres.zeros(2, 3, 4), tinyres.zeros(5, 4, 6)
    with pytest.raises(ValueError, match=r"matmul: the batch axes of a \(2, 3, 4\) and b"
                                         r" \(5, 4, 6\) do not broadcast"):
        F.matmul(a, b)
    with pytest.raises(RuntimeError):  # torch refuses too
        torch.matmul(torch.zeros(2, 3, 4), torch.zeros(5, 4, 6))
    assert F.matmul(tinyres.zeros(2, 1, 3, 4), b).shape == (2, 5, 3, 6)  # these broadcast


def test_flatten_defaults_to_all_axes_like_torch_and_models_keep_the_batch(torch):
    x = np.arange(24.0).reshape(2, 3, 4)
    assert F.flatten(tinyres.tensor(x)).shape == tuple(torch.flatten(torch.tensor(x)).shape)
    assert tinyres.nn.Flatten()(tinyres.tensor(x)).shape == (2, 12)  # nn.Flatten: start_dim=1
    assert tinyres.models.resnet18().eval()(tinyres.zeros(1, 3, 32, 32)).shape == (1, 1000)


def _torch_defaults(torch, name):
    """{parameter: default} of torch.nn.functional.<name> (else torch.<name>), read from its
    signature, or from the first line of its docstring for builtins."""
    tf = torch.nn.functional
    ref = getattr(tf, "_" + name, None) if name == "max_pool2d" else None
    ref = ref or getattr(tf, name, None) or getattr(torch, name)
    try:
        return {p.name: p.default for p in inspect.signature(ref).parameters.values()
                if p.default is not inspect.Parameter.empty}
    except (ValueError, TypeError):
        line = ref.__doc__.strip().splitlines()[0]  # e.g. "conv2d(input, weight, bias=None, ...)"
        params = re.match(rf"{name}\((.*)\)\s*->", line).group(1)
        tree = ast.parse(f"def f({params}): pass").body[0].args
        named = tree.args[len(tree.args) - len(tree.defaults):]
        return {a.arg: ast.literal_eval(d) for a, d in zip(named, tree.defaults)}


@pytest.mark.parametrize("name", F.__all__)
def test_defaults_match_torch_where_the_names_match(name, torch):
    theirs = _torch_defaults(torch, name)
    for p in inspect.signature(getattr(F, name)).parameters.values():
        if p.default is not inspect.Parameter.empty:
            assert p.name in theirs, f"{name}: torch has no argument {p.name!r}"
            assert p.default == theirs[p.name], f"{name}({p.name}=...): ours {p.default!r}," \
                                                f" torch's {theirs[p.name]!r}"
