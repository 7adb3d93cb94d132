"""linear and matmul: gradient checks, parity with PyTorch, bad input."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients


@pytest.mark.parametrize("x_shape", [(4, 6), (1, 6), (2, 3, 6)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear(device, torch, x_shape, with_bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((5, 6)),
              rng.standard_normal(5) if with_bias else None]
    check_gradients(F.linear, arrays, device)
    check_against_torch(torch, F.linear, torch.nn.functional.linear, arrays, device)


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 2)), ((4,), (4, 3)),
    ((3, 4), (4,)), ((4,), (4,)), ((1, 3, 4), (2, 4, 5)),
])
def test_matmul(device, torch, a_shape, b_shape):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(a_shape), rng.standard_normal(b_shape)]
    check_gradients(lambda a, b: a @ b, arrays, device)
    check_against_torch(torch, lambda a, b: a @ b, torch.matmul, arrays, device)


def test_linear_and_matmul_reject_bad_input():
    with pytest.raises(ValueError, match=r"'x' must end in in_features = 6 .* got shape \(4, 5\)"):
        F.linear(tinyres.randn(4, 5), tinyres.randn(3, 6))
    with pytest.raises(ValueError, match=r"'bias' must have shape \(3,\)"):
        F.linear(tinyres.randn(4, 6), tinyres.randn(3, 6), tinyres.randn(6))
    with pytest.raises(ValueError, match=r"inner sizes differ: a \(2, 3\) has 3 columns"):
        tinyres.randn(2, 3) @ tinyres.randn(4, 2)
    with pytest.raises(TypeError, match=r"'b' must have dtype float32 like 'a', got float64"):
        tinyres.randn(2, 3) @ tinyres.randn(3, 2, dtype="float64")
