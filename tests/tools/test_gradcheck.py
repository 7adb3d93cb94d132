"""tinyres.gradcheck itself: it passes correct gradients and catches wrong ones, naming them."""
import numpy as np
import pytest

import tinyres
from tinyres.function import Function
from tinyres.testing import assert_gradcheck


class WrongSquare(Function):
    """x ** 2 with a deliberately wrong backward (3x instead of 2x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return self.k.mul(x, x)

    def backward(self, g):
        (x,) = self.saved
        return (self.k.mul(g, self.k.mul(x, 3.0)),)


def test_gradcheck_passes_a_correct_gradient():
    rng = np.random.default_rng(0)
    assert_gradcheck(lambda a, b: (a * b, a.sum()), [rng.standard_normal((3, 4)),
                                                     rng.standard_normal(4)])


def test_gradcheck_catches_a_wrong_gradient_and_names_it():
    x = tinyres.tensor(np.linspace(1, 2, 6).reshape(2, 3), requires_grad=True)
    with pytest.raises(tinyres.GradcheckError,
                       match=r"input 1 \('x'\) of shape \(2, 3\): gradient wrong at element"
                             r" \(\d, \d\): numeric .*, analytic .*6 of 6 checked"):
        tinyres.gradcheck(lambda c, x: WrongSquare.apply(x) + c,
                          (tinyres.zeros(2, 3, dtype="float64", requires_grad=True), x),
                          names=("c", "x"))


def test_gradcheck_can_sample_elements_and_leaves_inputs_untouched():
    x = tinyres.randn(50, dtype="float64", requires_grad=True)
    before = x.numpy().copy()
    assert tinyres.gradcheck(lambda t: t * t, x, elements=5)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_gradcheck_needs_float64():
    with pytest.raises(TypeError, match="must be float64"):
        tinyres.gradcheck(lambda t: t * t, tinyres.randn(3, requires_grad=True))
