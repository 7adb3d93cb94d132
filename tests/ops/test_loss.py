"""log_softmax and cross_entropy: gradient checks, parity with PyTorch, stability, bad labels."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients


@pytest.mark.parametrize("shape,dim", [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((3,), 0)])
def test_log_softmax(device, torch, shape, dim):
    x = [np.random.default_rng(0).standard_normal(shape) * 3]
    check_gradients(lambda x: F.log_softmax(x, dim), x, device)
    check_against_torch(torch, lambda x: F.log_softmax(x, dim),
                        lambda x: torch.nn.functional.log_softmax(x, dim), x, device)


@pytest.mark.parametrize("batch,classes", [(1, 2), (5, 10), (16, 3)])
def test_cross_entropy(device, torch, batch, classes):
    rng = np.random.default_rng(batch)
    logits = rng.standard_normal((batch, classes)) * 2
    target = rng.integers(0, classes, batch)
    check_gradients(lambda x, t: F.cross_entropy(x, t), [logits, target], device)
    check_against_torch(torch, F.cross_entropy, torch.nn.functional.cross_entropy,
                        [logits, target], device)


def test_cross_entropy_is_stable_for_huge_logits(device):
    logits = tinyres.tensor([[1000.0, 0.0], [-1000.0, 1000.0]], requires_grad=True, device=device)
    loss = F.cross_entropy(logits, tinyres.tensor([0, 0], device=device))
    loss.backward()
    assert np.isclose(loss.item(), 1000.0)  # (0 + 2000) / 2, no overflow to inf/nan
    np.testing.assert_allclose(logits.grad.numpy(), [[0, 0], [-0.5, 0.5]], atol=1e-6)


def test_cross_entropy_rejects_bad_labels():
    logits = tinyres.randn(3, 4)
    with pytest.raises(ValueError, match=r"'target' must be in \[0, 4\) for 4 classes, got"
                                         r" label 4"):
        F.cross_entropy(logits, tinyres.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=r"'target' must be in \[0, 4\).*got label -1"):
        F.cross_entropy(logits, tinyres.tensor([0, -1, 1]))
    with pytest.raises(TypeError, match=r"'target' must hold integer class indices, got dtype"
                                        r" float32"):
        F.cross_entropy(logits, tinyres.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"'target' must have shape \(3,\).*got \(2,\)"):
        F.cross_entropy(logits, tinyres.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"'logits' must be 2-D \(N, C\), got shape \(4,\)"):
        F.cross_entropy(tinyres.randn(4), tinyres.tensor([0]))
