"""Arithmetic with broadcasting, relu and the residual add: gradient checks, parity with
PyTorch, bad input."""
import operator

import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((3, 4), ())]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("a_shape,b_shape", SHAPES)
def test_binary_ops_broadcast_like_torch(device, torch, op, a_shape, b_shape):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(a_shape), rng.uniform(0.5, 2, b_shape)]
    check_gradients(op, arrays, device)
    check_against_torch(torch, op, op, arrays, device)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_python_numbers_on_either_side(device, op):
    x = tinyres.tensor([1.0, 2.0, 4.0], device=device)
    np.testing.assert_allclose(op(x, 2).numpy(), op(np.array([1.0, 2, 4]), 2), rtol=1e-6)
    np.testing.assert_allclose(op(2, x).numpy(), op(2, np.array([1.0, 2, 4])), rtol=1e-6)
    assert op(x, 2).dtype == tinyres.float32


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_power_and_negation(device, torch, exponent):
    arrays = [np.random.default_rng(1).uniform(0.5, 2, (3, 4))]
    check_gradients(lambda x: -(x ** exponent), arrays, device)
    check_against_torch(torch, lambda x: -(x ** exponent), lambda x: -(x ** exponent),
                        arrays, device)


def test_relu(device, torch):
    x = np.random.default_rng(2).standard_normal((3, 4, 5))
    x[np.abs(x) < 0.05] = 0.5  # keep finite differences away from the kink
    check_gradients(F.relu, [x], device)
    check_against_torch(torch, F.relu, torch.relu, [x], device)


def test_residual_add_gives_the_same_gradient_to_both_inputs(device, torch):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))]
    check_gradients(F.add, arrays, device)
    y = check_against_torch(torch, F.add, operator.add, arrays, device)
    assert y.grad_fn.name == "Add"


def test_add_relu_is_the_relu_of_the_residual_add(device, torch):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((2, 3, 4, 4))
    b[np.abs(a + b) < 0.05] += 0.5  # keep finite differences away from the kink
    check_gradients(F.add_relu, [a, b], device)
    y = check_against_torch(torch, F.add_relu, lambda a, b: torch.relu(a + b), [a, b], device)
    assert y.grad_fn.name == "AddReLU" and 0.2 < float(np.mean(y.numpy() == 0)) < 0.8
    with pytest.raises(ValueError, match=r"add_relu: argument 'b' must have shape \(2, 3\)"
                                         r" \(the shape of 'a'; a residual add does not"
                                         r" broadcast\), got \(3,\)"):
        F.add_relu(tinyres.randn(2, 3), tinyres.randn(3))


def test_bad_arithmetic_is_refused():
    with pytest.raises(ValueError, match=r"'b' must have shape \(2, 3\) \(the shape of 'a'; a"
                                         r" residual add does not broadcast\), got \(3,\)"):
        F.add(tinyres.randn(2, 3), tinyres.randn(3))
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2,\) cannot be broadcast"):
        tinyres.randn(2, 3) + tinyres.randn(2)
    with pytest.raises(TypeError, match=r"one dtype, got float32 and float64"):
        tinyres.randn(2) * tinyres.randn(2, dtype="float64")
    with pytest.raises(TypeError, match=r"needs a Tensor or a Python number, got list"):
        tinyres.randn(2) + [1, 2]
    with pytest.raises(TypeError, match=r"'x' must be float32 or float64, got dtype int64"):
        F.relu(tinyres.tensor([1, 2]))
