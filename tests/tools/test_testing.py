"""tinyres.testing: assert_close reads like torch.testing.assert_close (tolerances, messages);
assert_gradcheck passes a correct op and fails a broken one (a sign error, a missing sum over
the batch, a transposed weight gradient) naming the input and its worst element."""
import numpy as np
import pytest

import tinyres
from tinyres.function import Function
from tinyres.testing import assert_close, assert_gradcheck


def torch_message(torch, actual, expected, **tolerances):
    with pytest.raises(AssertionError) as error:
        torch.testing.assert_close(torch.from_numpy(actual), torch.from_numpy(expected),
                                   **tolerances)
    return str(error.value)


def our_message(actual, expected, **tolerances):
    with pytest.raises(AssertionError) as error:
        assert_close(actual, expected, **tolerances)
    return str(error.value)


def test_assert_close_fails_with_torchs_message(torch):
    expected = np.arange(12, dtype=np.float64).reshape(3, 4)
    actual = expected.copy()
    actual[0, 1] += 0.5
    actual[2, 3] += 1.0
    actual[1, 1] -= 1e-3
    mine = our_message(tinyres.tensor(actual), expected)
    assert mine == torch_message(torch, actual, expected)
    assert mine.startswith("Tensor-likes are not close!\n\nMismatched elements: 3 / 12 (25.0%)\n"
                           "Greatest absolute difference: 1.0 at index (2, 3) (up to 1e-07")
    assert our_message(actual, expected, rtol=0.1, atol=0.0) == torch_message(
        torch, actual, expected, rtol=0.1, atol=0.0)
    scalar = (np.array(1.5), np.array(0.0))
    assert our_message(*scalar) == torch_message(torch, *scalar)
    integers = (np.array([1, 2]), np.array([1, 3]))
    assert our_message(*integers).startswith("Tensor-likes are not equal!\n\nMismatched elements:"
                                             " 1 / 2 (50.0%)\nGreatest absolute difference: 1 at"
                                             " index (1,)\n")


def test_assert_close_uses_torchs_default_tolerances_per_dtype():
    one = np.ones(3, np.float32)
    assert_close(one + 1.2e-6, one)          # float32: rtol 1.3e-6
    assert_close(one * 0 + 9e-6, one * 0)    # float32: atol 1e-5
    with pytest.raises(AssertionError, match=r"up to 1e-05 allowed\)\nGreatest relative"
                                             r" difference: .* \(up to 1.3e-06 allowed\)$"):
        assert_close(one + 2e-5, one)
    with pytest.raises(AssertionError, match=r"\(up to 1e-07 allowed\)$"):
        assert_close(np.ones(3) + 1e-6, np.ones(3))
    assert_close(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]))
    with pytest.raises(AssertionError, match="Greatest absolute difference: nan at index"):
        assert_close(np.array([np.nan]), np.array([np.nan]))


def test_assert_close_refuses_mismatched_shapes_dtypes_and_half_tolerances():
    with pytest.raises(AssertionError, match=r"^The values for attribute 'shape' do not match:"
                                             r" \(3, 4\) != \(2, 4\)\.$"):
        assert_close(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(AssertionError, match="'dtype' do not match: float32 != float64"):
        assert_close(tinyres.zeros(2), np.zeros(2))
    assert_close(tinyres.zeros(2), np.zeros(2), check_dtype=False)
    with pytest.raises(ValueError, match="give both rtol and atol"):
        assert_close(np.zeros(2), np.zeros(2), rtol=1e-3)
    with pytest.raises(TypeError, match="argument 'expected' must be a Tensor"):
        assert_close(np.zeros(2), "zeros")
    with pytest.raises(AssertionError, match=r"^gradient of w\n\nTensor-likes are not close!"):
        assert_close(np.zeros(2), np.ones(2), msg="gradient of w")


class MyLinear(Function):
    """y = x @ w.T + b, written as a learner would, with an optional planted bug."""

    bug = None

    def forward(self, x, w, b):
        k = self.k
        self.save_for_backward(x, w)
        return k.add(k.matmul(x, k.transpose(w, (1, 0))), b)

    def backward(self, g):
        x, w = self.saved
        k = self.k
        gx = k.matmul(g, w)
        gw = k.matmul(k.transpose(g, (1, 0)), x)
        gb = k.sum(g, 0)
        if self.bug == "sign":
            gx = k.neg(gx)
        elif self.bug == "batch sum":  # the first sample's share only
            gb = k.getitem(g, 0)
        elif self.bug == "transposed":  # x.T @ g: the (in, out) layout of the weight
            gw = k.matmul(k.transpose(x, (1, 0)), g)
        return gx, gw, gb


def linear_inputs():
    rng = np.random.default_rng(1)  # not 0: gradcheck draws its direction with seed 0
    return [rng.standard_normal((5, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)]


@pytest.mark.parametrize("bug,message", [
    (None, None),
    ("sign", r"input 0 \('x'\) of shape \(5, 4\): gradient wrong at element \(\d, \d\): numeric"
             r" \S+, analytic \S+ .*; 20 of 20 checked elements differ"),
    ("batch sum", r"input 2 \('b'\) of shape \(4,\): gradient wrong at element \(\d,\)"),
    ("transposed", r"input 1 \('w'\) of shape \(4, 4\): gradient wrong at element \(\d, \d\)"),
])
def test_assert_gradcheck_on_a_correct_and_on_broken_ops(monkeypatch, bug, message):
    monkeypatch.setattr(MyLinear, "bug", bug)
    if message is None:
        assert_gradcheck(MyLinear.apply, linear_inputs(), names=["x", "w", "b"])
    else:
        with pytest.raises(AssertionError, match=message):
            assert_gradcheck(MyLinear.apply, linear_inputs(), names=["x", "w", "b"])


def test_assert_gradcheck_takes_tensors_as_they_are():
    x = tinyres.tensor(np.linspace(-1, 1, 6), dtype="float64", requires_grad=True)
    assert_gradcheck(lambda t, c: t * c, [x, tinyres.tensor(2.0, dtype="float64")])
