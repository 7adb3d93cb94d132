"""batch_norm: gradient checks in train and eval mode, parity with PyTorch including the in-place
running-statistics update, and bad input."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import assert_close, check_against_torch, check_gradients

SHAPES = [(3, 4, 5, 6), (1, 2, 3, 3), (4, 3), (2, 3, 7)]


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = rng.standard_normal(shape) * 2 + 0.5
    return x, rng.standard_normal(c), rng.standard_normal(c)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(device, shape, training):
    x, w, b = _inputs(shape)
    c = shape[1]
    mean = tinyres.tensor(np.linspace(-1, 1, c), dtype="float64", device=device)
    var = tinyres.tensor(np.linspace(0.5, 2, c), dtype="float64", device=device)
    check_gradients(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=training),
                    [x, w, b], device)


def test_batch_norm_gradcheck_without_affine(device):
    x, _, _ = _inputs((3, 2, 4, 4))
    check_gradients(lambda x: F.batch_norm(x, None, None, training=True), [x], device)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_torch(device, torch, shape, training):
    x, w, b = _inputs(shape, seed=1)
    c = shape[1]
    start_mean, start_var = np.linspace(-1, 1, c), np.linspace(0.5, 2, c)
    ours = [tinyres.tensor(v, dtype="float32", device=device) for v in (start_mean, start_var)]
    theirs = [torch.tensor(v, dtype=torch.float32) for v in (start_mean, start_var)]
    check_against_torch(
        torch,
        lambda x, w, b: F.batch_norm(x, *ours, w, b, training=training, momentum=0.3),
        lambda x, w, b: torch.nn.functional.batch_norm(x, *theirs, w, b, training=training,
                                                       momentum=0.3),
        [x, w, b], device,
    )
    for mine, ref, name in zip(ours, theirs, ("running_mean", "running_var")):
        assert_close(mine.numpy(), ref.numpy(), name)
    if training:  # the update really happened, with the unbiased variance
        assert not np.allclose(ours[1].numpy(), start_var)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_relu_is_the_relu_of_the_batch_norm(device, torch, shape, training):
    x, w, b = _inputs(shape, seed=2)
    c = shape[1]
    stats = np.linspace(-1, 1, c), np.linspace(0.5, 2, c)
    for dtype in ("float64", "float32"):  # the gradient check, then PyTorch's values
        ours = [tinyres.tensor(v, dtype=dtype, device=device) for v in stats]

        def fused(x, w, b):
            return F.batch_norm_relu(x, *ours, w, b, training=training)
        if dtype == "float64":
            check_gradients(fused, [x, w, b], device)
    theirs = [torch.tensor(v, dtype=torch.float32) for v in stats]
    y = check_against_torch(
        torch, fused, lambda x, w, b: torch.relu(torch.nn.functional.batch_norm(
            x, *theirs, w, b, training=training)), [x, w, b], device)
    assert y.grad_fn.name == "BatchNormReLU" and 0.1 < float(np.mean(y.numpy() == 0)) < 0.9
    for mine, ref, name in zip(ours, theirs, ("running_mean", "running_var")):
        assert_close(mine.numpy(), ref.numpy(), name)  # updated as batch_norm updates them


def test_batch_norm_relu_checks_its_arguments_as_batch_norm_does():
    stats = tinyres.zeros(3), tinyres.ones(3)
    with pytest.raises(ValueError, match=r"batch_norm_relu: .*'weight' must have shape \(3,\)"):
        F.batch_norm_relu(tinyres.randn(2, 3, 4, 4), *stats, weight=tinyres.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm_relu: train mode needs more than 1 value"):
        F.batch_norm_relu(tinyres.randn(1, 3, 1, 1), *stats, training=True)


def test_batch_norm_eval_mode_uses_running_statistics(device):
    x = tinyres.randn(4, 2, 3, 3, device=device)
    mean = tinyres.tensor([1.0, -2.0], device=device)
    var = tinyres.tensor([4.0, 0.25], device=device)
    y = F.batch_norm(x, mean, var, training=False, eps=1e-3).numpy()  # eps must be > 0
    expected = (x.numpy() - np.array([1, -2]).reshape(1, 2, 1, 1)) / np.sqrt(
        np.array([4, 0.25]) + 1e-3).reshape(1, 2, 1, 1)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    np.testing.assert_array_equal(mean.numpy(), [1.0, -2.0])  # eval mode leaves them alone


def test_batch_norm_rejects_bad_input():
    x = tinyres.randn(2, 3, 4, 4)
    stats = tinyres.zeros(3), tinyres.ones(3)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3, 1, 1\)"):
        F.batch_norm(tinyres.randn(1, 3, 1, 1), *stats, training=True)
    with pytest.raises(ValueError, match=r"'weight' must have shape \(3,\).*got \(4,\)"):
        F.batch_norm(x, *stats, weight=tinyres.ones(4))
    with pytest.raises(ValueError, match=r"eval mode .* needs running_mean and running_var"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(TypeError, match=r"'running_mean' must have dtype float32 like 'x'"):
        F.batch_norm(x, tinyres.zeros(3, dtype="float64"), stats[1])
    with pytest.raises(ValueError, match=r"'x' must be 2-D or 3-D or 4-D"):
        F.batch_norm(tinyres.randn(5), None, None, training=True)
