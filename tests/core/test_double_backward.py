"""Second derivatives: tinyres.autograd.grad, backward(create_graph=True) through the ops that
support double backward, gradgradcheck on them and on planted wrong double backwards, and the
error for an op that has none."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres.autograd import grad
from tinyres.function import Function, double_backward_ops
from tinyres.gradcheck import gradgradcheck
from tinyres.testing import assert_close


def randn(rng, *shape, device="cpu", low=None):
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, low + 1, shape)
    return tinyres.tensor(values, dtype="float64", device=device, requires_grad=True)


BUILT_IN = ["Add", "AddReLU", "Div", "Linear", "MatMul", "Mul", "Neg", "Permute", "PowScalar",
            "ReLU", "Reshape", "Sub", "Sum"]
CASES = {  # name: (function, input shapes); Div's divisor is kept away from 0
    "add, sub, neg (broadcast)": (lambda a, b: -(a + b) - b * a, [(3, 4), (4,)]),
    "mul, div (broadcast)": (lambda a, b: a * a / b, [(3, 4), (3, 1)]),
    "pow, sum, mean": (lambda a: (a ** 3).sum(axis=1) + (a ** 2).mean(), [(3, 4)]),
    "relu": (lambda a: F.relu(a) * a, [(3, 4)]),
    "linear": (lambda x, w, b: F.linear(x, w, b) * x.sum(), [(2, 3, 4), (5, 4), (5,)]),
    "matmul, transpose, reshape": (lambda a, b: (a @ b).T.reshape(-1) * 2.0,
                                   [(2, 3, 4), (4, 5)]),
    "residual add": (lambda a, b: F.add(F.relu(a) * b, b), [(2, 3), (2, 3)]),
    "residual add and relu": (lambda a, b: F.add_relu(a * b, b) * a, [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradgradcheck_passes_on_the_ops_with_double_backward(device, case):
    fn, shapes = CASES[case]
    rng = np.random.default_rng(0)
    inputs = [randn(rng, *s, device=device, low=1.0 if s == (3, 1) else None) for s in shapes]
    assert gradgradcheck(fn, inputs)


def test_second_derivatives_equal_pytorchs(torch):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    ours = [tinyres.tensor(a, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    results = []
    for (a, b), lib, linear in ((ours, tinyres, F.linear),
                                (theirs, torch, torch.nn.functional.linear)):
        y = (linear(a, b) ** 3).sum()
        gx, gw = lib.autograd.grad(y, (a, b), create_graph=True)
        penalty = (gx * gx).sum() + (gw * a[:2]).sum()  # a gradient penalty, as in WGAN-GP
        results.append(lib.autograd.grad(penalty, (a, b)))
    for mine, torchs in zip(*results):
        assert_close(mine, torchs.numpy())


def test_create_graph_leaves_a_differentiable_grad_and_hooks_see_tensors():
    x = tinyres.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append(g.requires_grad))
    (y * x).sum().backward(create_graph=True)  # x.grad = 3 x^2, with a graph
    assert seen == [True] and x.grad.requires_grad
    (second,) = grad(x.grad.sum(), x)
    assert_close(second, 6 * x.numpy())


def test_grad_writes_no_grad_and_checks_its_arguments():
    x = tinyres.tensor([1.0, 2.0], requires_grad=True)
    unused = tinyres.tensor([1.0], requires_grad=True)
    (gx,) = grad((x * x).sum(), x)
    assert_close(gx, np.array([2.0, 4.0], np.float32))
    assert x.grad is None
    with pytest.raises(RuntimeError, match=r"inputs\[1\] was not used.*allow_unused=True"):
        grad((x * 2.0).sum(), [x, unused])
    assert grad((x * 2.0).sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match=r"outputs\[0\] does not require grad"):
        grad(x.detach().sum(), x)
    with pytest.raises(ValueError, match=r"argument 'grad_outputs\[0\]' must have shape \(2,\)"):
        grad(x * 2.0, x, [np.ones(3, np.float32)])


def test_an_op_without_double_backward_is_named_with_the_list_of_those_that_have_one():
    x = tinyres.randn(1, 1, 4, 4, dtype="float64", requires_grad=True)
    w = tinyres.randn(1, 1, 3, 3, dtype="float64", requires_grad=True)
    y = F.conv2d(x, w).sum()
    with pytest.raises(RuntimeError, match=r"create_graph=True\): Conv2d has no double backward"
                                           r".* tinyres's ops that have one: (.*); a Function of"
                                           r" yours has one when it sets") as error:
        y.backward(create_graph=True)
    listed = error.value.args[0].split("that have one: ")[1].split("; ")[0].split(", ")
    assert listed == double_backward_ops() == BUILT_IN  # Cube (below) is not tinyres's


class Cube(Function):
    """x ** 3, backward correct; tensor_backward planted with one of two bugs."""

    supports_double_backward = True
    bug = None

    def forward(self, x):
        self.save_for_backward(x)
        return self.k.mul(x, self.k.mul(x, x))

    def backward(self, g):
        (x,) = self.saved
        return (self.k.mul(g, self.k.mul(self.k.mul(x, x), 3.0)),)

    def tensor_backward(self, g):
        (x,) = self.saved
        x = self.input_tensor(0, x)
        if self.bug == "detached":  # the right value, but its dependence on x is not recorded
            return (g * self.constant(self.k.mul(x.data, x.data)) * 3.0,)
        if self.bug == "sign":
            return (-(g * x * x * 3.0),)
        return (g * x * x * 3.0,)


@pytest.mark.parametrize("bug,message", [
    (None, None),
    ("detached", r"gradgradcheck: second derivatives wrong: the gradient of the first-order"
                 r" gradient w.r.t. input 0 \('x'\) of shape \(2, 3\): gradient wrong at element"
                 r" \(\d, \d\): numeric .*, analytic 0 .* 6 of 6 checked elements differ"),
    ("sign", r"gradgradcheck: input 0 \('x'\): the first derivative from backward\(create_graph"
             r"=True\) differs from backward\(\)'s at element \(\d, \d\)"),
])
def test_gradgradcheck_catches_a_planted_wrong_double_backward(monkeypatch, bug, message):
    monkeypatch.setattr(Cube, "bug", bug)
    x = randn(np.random.default_rng(2), 2, 3)
    if message is None:
        assert gradgradcheck(Cube.apply, [x], names=["x"])
    else:
        with pytest.raises(tinyres.GradcheckError, match=message):
            gradgradcheck(Cube.apply, [x], names=["x"])
