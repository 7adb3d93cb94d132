"""The blocks' fused pairs (models/fused.py): relu(bn(x)) and relu(a + b) run as one op each,
give exactly the values and gradients of the two modules run one after the other, and step
aside when a hook must see the value in between."""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest

import tinyres
from tinyres import models, nn

CASES = [  # (builder, input shape): small inputs, every kind of block and stem
    ("cifar_resnet20", (3, 3, 8, 8)),
    ("cifar_preact_resnet20", (3, 3, 8, 8)),
    ("preact_resnet18", (2, 3, 32, 32)),
    ("resnet18", (2, 3, 32, 32)),
    ("resnet50", (2, 3, 32, 32)),
]


def _graph_ops(y):
    """The names of every Function in y's graph."""
    seen, stack, names = set(), [y.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        names.add(fn.name)
        stack.extend(node.grad_fn for node in fn.parents if node is not None)
    return names


def _hook_every_relu(model, calls):
    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.register_forward_hook(lambda m, args, out: calls.append(out))


def _step(model, x):
    """Output, input gradient and every parameter's gradient of one forward and backward."""
    xt = tinyres.tensor(x, requires_grad=True)
    y = model(xt)
    (y * y).sum().backward()
    return y, [y.numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("name,shape", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
def test_fused_blocks_equal_the_modules_one_after_the_other(name, shape, dtype, training):
    fused = models.get(name, num_classes=10).to(dtype=dtype)
    fused.train(training)
    unfused = copy.deepcopy(fused)
    calls = []
    _hook_every_relu(unfused, calls)  # a hook on the ReLU: the modules run as written
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    y_fused, fused_results = _step(fused, x)
    y_plain, plain_results = _step(unfused, x)
    assert calls  # the hooks ran: the unfused path was taken
    ops_fused, ops_plain = _graph_ops(y_fused), _graph_ops(y_plain)
    assert "ReLU" in ops_plain and "ReLU" not in ops_fused  # every ReLU of the model fused
    if "preact" not in name:  # pre-activation blocks add nothing after the addition
        assert "AddReLU" in ops_fused and "Add" in ops_plain
    for got, want in zip(fused_results, plain_results):
        np.testing.assert_array_equal(got, want)
    for a, b in zip(fused.buffers(), unfused.buffers()):  # the same running statistics
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_hook_on_a_batch_norm_sees_its_output_before_the_relu():
    model = models.get("cifar_resnet20", num_classes=10)
    seen = []
    model.layer1[0].bn1.register_forward_hook(lambda m, args, out: seen.append(out.numpy()))
    model(tinyres.randn(2, 3, 8, 8))
    assert len(seen) == 1 and (seen[0] < 0).any()  # not yet through the ReLU


def test_a_hook_on_a_blocks_relu_sees_both_of_its_calls():
    model = models.get("resnet18", num_classes=10)
    block = model.layer1[0]
    seen = []
    block.relu.register_forward_hook(lambda m, args, out: seen.append(out))
    model(tinyres.randn(2, 3, 32, 32))
    assert len(seen) == 2  # after bn1 and after the skip connection's add
    assert all((out.numpy() >= 0).all() for out in seen)


def test_a_subclass_of_batch_norm_or_relu_is_run_as_written():
    class LoggedReLU(nn.ReLU):
        calls = 0

        def forward(self, x):
            LoggedReLU.calls += 1
            return super().forward(x)
    model = models.get("cifar_resnet20", num_classes=10)
    model.layer1[0].relu = LoggedReLU()
    model(tinyres.randn(2, 3, 8, 8))
    assert LoggedReLU.calls == 2


def test_fusing_can_be_switched_off_to_see_every_op(monkeypatch):
    from tinyres.models import fused
    model = models.get("cifar_resnet20", num_classes=10)
    x = tinyres.randn(2, 3, 8, 8, requires_grad=True)
    monkeypatch.setattr(fused, "ENABLED", False)
    ops = _graph_ops(model(x))
    assert {"ReLU", "Add", "BatchNorm"} <= ops and not {"AddReLU", "BatchNormReLU"} & ops
    code = "import tinyres.models.fused as f; print(f.ENABLED)"
    for value, expected in (("0", "False"), ("1", "True")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "TINYRES_FUSED_OPS": value})
        assert out.stdout.strip() == expected, out.stderr
