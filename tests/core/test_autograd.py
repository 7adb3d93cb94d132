"""The backward pass: topological order, skip connections, accumulation, no_grad, freed graphs,
hooks and retained gradients."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres.testing import assert_close


def test_a_tensor_used_twice_gets_the_sum_of_both_gradients(device):
    x = tinyres.tensor([[-1.0, 2.0, 3.0]], requires_grad=True, device=device)
    y = F.add(F.relu(x * 3.0), x)  # a skip connection: x reaches y on two paths
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 4.0, 4.0]])


def test_diamond_graph_visits_each_node_once_after_all_its_consumers(torch):
    a = tinyres.tensor([0.5, -1.5], requires_grad=True)
    b = a * a
    c = b + b * 3.0
    d = (c * b).sum()
    d.backward()
    ta = torch.tensor([0.5, -1.5], requires_grad=True)
    tb = ta * ta
    ((tb + tb * 3.0) * tb).sum().backward()
    assert_close(a.grad, ta.grad.numpy())


def test_gradients_accumulate_across_backward_calls():
    x = tinyres.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3 + 2, 3 + 4])


def test_no_grad_records_nothing_and_restores_the_mode():
    x = tinyres.randn(3, requires_grad=True)
    with tinyres.no_grad():
        y = x * 2.0
        assert not tinyres.is_grad_enabled()
        with tinyres.enable_grad():
            assert (x * 2.0).requires_grad
    assert tinyres.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @tinyres.no_grad()
    def doubled(t):
        return t * 2.0
    assert not doubled(x).requires_grad


def test_second_backward_through_a_freed_graph_raises():
    x = tinyres.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(tinyres.GraphFreedError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_keeps_saved_arrays_for_a_second_backward():
    x = tinyres.tensor([1.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 12.0])


def test_saved_arrays_are_freed_after_backward():
    x = tinyres.randn(2, 3, requires_grad=True)
    y = x * x
    y.sum().backward()
    assert y.grad_fn._saved == ()


def test_backward_of_a_non_scalar_needs_grad():
    x = tinyres.randn(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element output, got shape \(2, 3\); pass grad="):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match=r"'grad' must have shape \(2, 3\) and dtype float32,"
                                         r" got shape \(3,\)"):
        (x * 2.0).backward(np.ones(3))
    (x * 2.0).backward(np.full((2, 3), 0.5))
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tinyres.randn(2).sum().backward()


def test_only_leaves_that_require_grad_get_grad():
    a = tinyres.randn(3, requires_grad=True)
    b = tinyres.randn(3)
    mid = a * b
    (mid * 2.0).sum().backward()
    assert b.grad is None and mid.grad is None
    assert_close(a.grad, 2 * b.numpy())


def test_hooks_see_and_can_replace_gradients_and_retain_grad_keeps_them():
    x = tinyres.tensor([1.0, -2.0], requires_grad=True)
    mid = x * 3.0
    seen = []
    mid.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = mid.register_hook(lambda g: g * 10.0)
    mid.retain_grad()
    (mid * mid).sum().backward()
    np.testing.assert_allclose(seen[0], [6.0, -12.0])
    np.testing.assert_allclose(mid.grad.numpy(), [60.0, -120.0])
    np.testing.assert_allclose(x.grad.numpy(), [180.0, -360.0])
    handle.remove()
    x.grad = None
    (x * 3.0 * (x * 3.0)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [18.0, -36.0])


def test_a_deep_graph_does_not_hit_the_recursion_limit():
    x = tinyres.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_detach_cuts_the_graph():
    x = tinyres.tensor([2.0], requires_grad=True)
    (x * x.detach()).sum().backward()
    assert x.grad.item() == 2.0


def test_the_graph_does_not_keep_intermediate_arrays_alive():
    """A batch-norm output consumed by a ReLU is saved by neither op: once the user drops it,
    its array is freed before backward (as in PyTorch), and gradients are unchanged."""
    import weakref
    x = tinyres.randn(4, 3, 5, 5, requires_grad=True)
    w = tinyres.ones(3, requires_grad=True)
    y = F.batch_norm(x, None, None, w, None, training=True)
    freed = weakref.ref(y.data)
    z = F.relu(y)
    del y
    assert freed() is None
    z.sum().backward()
    assert x.grad is not None and w.grad is not None


def test_retain_grad_and_hooks_work_on_a_tensor_the_user_keeps():
    x = tinyres.randn(4, 3, 5, 5, requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.shape))
    F.relu(y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), (y.numpy() > 0).astype(np.float32))
    assert seen == [(4, 3, 5, 5)]
