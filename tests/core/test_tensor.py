"""Tensor construction, properties and conversions."""
import copy

import numpy as np
import pytest

import tinyres


def test_dtype_inference_follows_pytorch():
    assert tinyres.tensor([1.0, 2.0]).dtype == tinyres.float32
    assert tinyres.tensor([1, 2]).dtype == tinyres.int64
    assert tinyres.tensor(np.zeros(2)).dtype == tinyres.float64  # ndarrays keep their dtype
    assert tinyres.tensor([1, 2], dtype="float64").dtype == tinyres.float64
    assert tinyres.zeros(2, 3).dtype == tinyres.float32


def test_tensor_copies_its_data():
    data = np.zeros(3, np.float32)
    t = tinyres.tensor(data)
    data[0] = 5
    assert t.numpy()[0] == 0


def test_properties_and_conversions(device):
    t = tinyres.randn(2, 3, 4, device=device, requires_grad=True)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.numel() == 24 and len(t) == 2
    assert t.device == device and t.is_leaf and t.grad is None
    assert tinyres.tensor([[2.5]], device=device).item() == 2.5
    assert not t.detach().requires_grad
    assert t.double().dtype == tinyres.float64
    assert tinyres.tensor([1.0, 2.0]).tolist() == [1.0, 2.0]
    assert "requires_grad=True" in repr(t)


def test_randn_is_reproducible_under_a_seed():
    tinyres.manual_seed(7)
    a = tinyres.randn(5).numpy()
    tinyres.manual_seed(7)
    np.testing.assert_array_equal(a, tinyres.randn(5).numpy())


def test_numbers_combine_with_tensors_but_arrays_must_be_wrapped():
    out = np.float32(2.0) * tinyres.tensor([3.0, 4.0])
    np.testing.assert_array_equal(out.numpy(), [6.0, 8.0])
    with pytest.raises(TypeError, match=r"got ndarray \(wrap arrays with tinyres.tensor\(\)\)"):
        np.array([1.0, 2.0], np.float32) * tinyres.tensor([3.0, 4.0])


def test_bad_construction_is_refused():
    with pytest.raises(TypeError, match="requires_grad=True needs a floating dtype"):
        tinyres.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="dtype must be one of .*got 'float16'"):
        tinyres.tensor([1.0], dtype="float16")
    with pytest.raises(ValueError, match=r"item\(\) needs a one-element tensor, got shape \(2,\)"):
        tinyres.tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="device must be one of"):
        tinyres.zeros(2, device="tpu")
    with pytest.raises(TypeError, match="int64 tensor with the non-integer 1.5 would truncate"):
        tinyres.tensor([1, 2]) + 1.5
    assert (tinyres.tensor([1, 2]) + 1).tolist() == [2, 3]


def test_backend_is_the_kernel_table_of_the_tensors_device(device):
    t = tinyres.zeros(2, device=device)
    assert t.backend is tinyres.get_backend(device) and t.backend.name == t.device == device
    with pytest.raises(AttributeError):
        t.backend = tinyres.get_backend("cpu")  # read-only: move_() changes the device


def test_set_data_holds_the_array_itself_and_checks_it(device):
    t = tinyres.zeros(2, 3, device=device)
    array = t.backend.full((2, 3), 7.0, t.dtype)
    assert t.set_data_(array) is t and t.data is array  # no copy: whoever holds t sees it
    assert t.tolist() == [[7.0] * 3] * 2
    with pytest.raises(ValueError, match=r"shape \(2, 3\) and dtype float32, got \(3, 2\)"):
        t.set_data_(t.backend.zeros((3, 2), t.dtype))
    with pytest.raises(ValueError, match="dtype float32, got .* and float64"):
        t.set_data_(t.backend.zeros((2, 3), tinyres.float64))


def test_move_changes_device_and_dtype_in_place_and_drops_the_gradient(device):
    t = tinyres.tensor([1.5, 2.5], requires_grad=True)
    (t * t).sum().backward()
    assert t.move_(device, "float64") is t
    assert (t.device, t.dtype, t.grad) == (device, tinyres.float64, None)
    assert t.backend is tinyres.get_backend(device) and t.tolist() == [1.5, 2.5]
    (t * t).sum().backward()  # the graph uses the moved tensor's device and dtype
    assert (t.grad.device, t.grad.dtype, t.grad.tolist()) == (device, tinyres.float64, [3.0, 5.0])


def test_deepcopy_makes_a_leaf_whose_gradient_is_its_own():
    t = tinyres.tensor([1.0, 2.0], requires_grad=True)
    t.grad = tinyres.tensor([5.0, 5.0])
    seen = []
    t.register_hook(lambda g: seen.append(g))
    c = copy.deepcopy(t)
    assert c.requires_grad and c.is_leaf and np.array_equal(c.grad.numpy(), [5.0, 5.0])
    c.grad = None
    (c * c).sum().backward()  # reaches the copy, not the original (whose grad is untouched)
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(t.grad.numpy(), [5.0, 5.0])
    assert len(seen) == 1  # the hook came along
    c.data[0] = 9.0  # the data is a copy
    assert t.numpy()[0] == 1.0
    with pytest.raises(RuntimeError, match=r"only leaf tensors .* deep-copy t.detach\(\)"):
        copy.deepcopy(t * 2)


def test_a_deep_copied_model_trains_its_own_parameters():
    model = tinyres.models.cifar_resnet20(num_classes=3)
    twin = copy.deepcopy(model)
    twin(tinyres.randn(2, 3, 8, 8)).sum().backward()
    assert all(p.grad is not None for p in twin.parameters())
    assert all(p.grad is None for p in model.parameters())
    assert type(twin.conv1.weight) is tinyres.nn.Parameter
