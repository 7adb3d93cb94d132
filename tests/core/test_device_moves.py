"""Moves that must not surprise: an optimizer's state follows its parameters when the model
moves to another device or dtype after the optimizer was built (device 'cuda' runs on the CPU
shim here), and tinyres.tensor() takes another library's array (a torch tensor) in its own dtype,
as a copy."""
import shutil

import numpy as np
import pytest

import tinyres
from tests.helpers.cuda_shim.device import build_dir, shim_as_cuda
from tinyres import nn
from tinyres.optim import SGD, Adam, optimizer

OPTIMIZERS = {
    "sgd": lambda params: SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-2),
    "adam": lambda params: Adam(params, lr=0.01, weight_decay=1e-2),
}


@pytest.fixture(scope="module")
def shim(request, tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("g++ is not on PATH")
    with shim_as_cuda(build_dir(request, tmp_path_factory)) as table:
        yield table


def _train(model, opt, steps, dtype="float32", device="cpu", start=0):
    """Steps start, start + 1, ... of model on batches fixed by the step number."""
    for step in range(start, start + steps):
        x = tinyres.tensor(np.random.default_rng(step).standard_normal((8, 4)), dtype=dtype,
                           device=device)
        loss = (model(x) * model(x)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


def _twins(name):
    """Two Linear models with the same weights, and an optimizer for each."""
    tinyres.manual_seed(0)
    a = nn.Linear(4, 3)
    b = nn.Linear(4, 3)
    b.load_state_dict(a.state_dict())
    return a, OPTIMIZERS[name](a.parameters()), b, OPTIMIZERS[name](b.parameters())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_optimizer_state_follows_the_model_to_cuda(shim, monkeypatch, name):
    moved, opt, stay, twin_opt = _twins(name)
    moves = []
    real_move = optimizer.move
    monkeypatch.setattr(optimizer, "move", lambda a, source, target: (
        moves.append((source.name, target.name)), real_move(a, source, target))[1])
    _train(moved, opt, 1)
    moved.to("cuda")  # after the optimizer was built and took a step
    _train(moved, opt, 2, device="cuda", start=1)
    _train(stay, twin_opt, 3)
    buffers = 2 if name == "adam" else 1
    assert moves == [("cpu", "cuda")] * (2 * buffers)  # each buffer of weight and bias, once
    moved.to("cpu")
    for p, q in zip(moved.parameters(), stay.parameters()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-7)
    state, twin_state = opt.state_dict()["state"], twin_opt.state_dict()["state"]
    for i in twin_state:
        for key, value in twin_state[i].items():
            np.testing.assert_allclose(state[i][key], value, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_optimizer_state_follows_a_dtype_change(name):
    changed, opt, twin, twin_opt = _twins(name)
    _train(changed, opt, 1)
    changed.double()  # the buffers were made in float32
    twin.double()  # the reference: the same weights and state, loaded onto float64 params
    twin.load_state_dict(changed.state_dict())
    twin_opt.load_state_dict(opt.state_dict())
    _train(changed, opt, 2, dtype="float64", start=1)
    _train(twin, twin_opt, 2, dtype="float64", start=1)
    for i, entry in opt.state_dict()["state"].items():
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float64, (i, key)
                np.testing.assert_array_equal(value, twin_opt.state_dict()["state"][i][key])
    for p, q in zip(changed.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_a_torch_tensor_becomes_a_tensor_of_its_dtype_holding_a_copy(torch, dtype):
    source = torch.ones(2, 3, dtype=getattr(torch, dtype))
    t = tinyres.tensor(source)
    source.zero_()  # the tensor holds a copy, not a view of torch's memory
    assert t.dtype == np.dtype(dtype) and t.shape == (2, 3)
    assert (t.numpy() == 1).all()
    explicit = tinyres.tensor(torch.arange(3), dtype="float32")
    assert explicit.dtype == np.float32 and explicit.tolist() == [0.0, 1.0, 2.0]


def test_unsupported_and_misspelled_dtypes_are_refused(torch):
    with pytest.raises(TypeError, match="float16"):
        tinyres.tensor(torch.ones(2, dtype=torch.float16))
    with pytest.raises(TypeError, match="flaot32"):  # numpy reads None as float64: not here
        tinyres.zeros(2, dtype="flaot32")


def test_gradients_of_a_moved_model_are_on_its_new_device(shim):
    """The graph keeps no device of its own (a Node used to keep the backend its tensor was
    made on, which Module.to left behind): autograd.grad's results are where the parameters
    are now."""
    model = nn.Linear(4, 3).to("cuda")
    x = tinyres.tensor(np.ones((2, 4)), dtype="float32", device="cuda")
    grads = tinyres.autograd.grad(model(x).sum(), list(model.parameters()))
    assert [g.device for g in grads] == ["cuda", "cuda"]
    assert [g.backend for g in grads] == [p.backend for p in model.parameters()]
