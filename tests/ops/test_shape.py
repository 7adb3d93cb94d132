"""Shape ops and reductions: gradient checks, parity with PyTorch, bad input."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients

CASES = [
    ("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    ("transpose", lambda x: x.transpose(0, -1), lambda x: x.transpose(0, -1)),
    ("flatten", lambda x: F.flatten(x, 1), lambda x: x.flatten(1)),
    ("flatten_default", lambda x: F.flatten(x), lambda x: x.flatten()),
    ("flatten_all", lambda x: x.flatten(), lambda x: x.flatten()),
    ("getitem", lambda x: x[1:, ::2, 3], lambda x: x[1:, ::2, 3]),
    ("getitem_newaxis", lambda x: x[None, ..., -1], lambda x: x[None, ..., -1]),
    ("pad", lambda x: F.pad(x, (1, 2, 0, 3)),
     lambda x: __import__("torch").nn.functional.pad(x, (1, 2, 0, 3))),
    ("sum_all", lambda x: x.sum(), lambda x: x.sum()),
    ("sum_axis", lambda x: x.sum(axis=1), lambda x: x.sum(dim=1)),
    ("sum_keepdims", lambda x: x.sum((0, 2), keepdims=True), lambda x: x.sum((0, 2), keepdim=True)),
    ("mean_all", lambda x: x.mean(), lambda x: x.mean()),
    ("mean_dim", lambda x: x.mean(dim=-1), lambda x: x.mean(dim=-1)),
    ("double_cast", lambda x: x.double() * 2, lambda x: x.double() * 2),
]


@pytest.mark.parametrize("name,ours,theirs", CASES, ids=[c[0] for c in CASES])
def test_shape_ops(device, torch, name, ours, theirs):
    x = [np.random.default_rng(0).standard_normal((2, 3, 4))]
    check_gradients(ours, x, device)
    check_against_torch(torch, ours, theirs, x, device)


def test_shape_ops_reject_bad_input():
    x = tinyres.randn(2, 3, 4)
    with pytest.raises(ValueError, match=r"cannot reshape \(2, 3, 4\) \(24 elements\) to \(5, -1\)"):
        x.reshape(5, -1)
    with pytest.raises(ValueError, match=r"'dims' must order all 3 axes"):
        x.permute(0, 0, 1)
    with pytest.raises(ValueError, match=r"'axis' must be an axis in \[-3, 3\), got 3"):
        x.sum(axis=3)
    with pytest.raises(TypeError, match=r"ints, slices, None and \.\.\. only; got list"):
        x[[0, 1]]
    with pytest.raises(ValueError, match=r"'pad' must hold non-negative \(before, after\) pairs"):
        F.pad(x, (1,))
