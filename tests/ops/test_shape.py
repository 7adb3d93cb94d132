"""Shape ops and reductions: gradient checks, parity with PyTorch, bad input."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients

CASES = [
    ("reshape", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, -1)),
    ("view", lambda x: x.view(4, -1), lambda x: x.view(4, -1)),
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


def test_view_shares_memory_and_reshape_copies_only_when_it_must():
    x = tinyres.randn(2, 3, 4)
    assert np.shares_memory(x.view(6, 4).numpy(), x.numpy())
    assert np.shares_memory(x.reshape(6, 4).numpy(), x.numpy())
    permuted = x.permute(1, 0, 2)
    with pytest.raises(ValueError, match=r"view: a tensor of shape \(3, 2, 4\) laid out with"
                                         r" strides .* use reshape\(\)"):
        permuted.view(-1)
    flat = permuted.reshape(-1)
    assert not np.shares_memory(flat.numpy(), x.numpy())
    np.testing.assert_array_equal(flat.numpy(), x.numpy().transpose(1, 0, 2).reshape(-1))


VIEW_SHAPES = [(24,), (6, 4), (2, 12), (4, 6), (3, 8), (2, 3, 4), (3, 2, 4), (2, 1, 12),
               (1, 24, 1), (4, 3, 2), (2, 2, 6)]


@pytest.mark.parametrize("dims", [(0, 1, 2), (1, 0, 2), (0, 2, 1), (2, 1, 0), (1, 2, 0)])
def test_view_succeeds_exactly_where_torch_view_does(torch, dims):
    """Which new shapes a permuted (2, 3, 4) tensor can be viewed as, against torch, which
    lays out a permute the same way (strides permuted, no copy)."""
    host = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = tinyres.tensor(host).permute(*dims), torch.tensor(host).permute(*dims)
    for shape in VIEW_SHAPES:
        try:
            expected = theirs.view(shape).numpy()
        except RuntimeError:
            with pytest.raises(ValueError, match="use reshape"):
                ours.view(*shape)
            continue
        np.testing.assert_array_equal(ours.view(*shape).numpy(), expected)
