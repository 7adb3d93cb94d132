"""Kernel sets: use_kernels('reference') runs every op through the NumPy reference table, gives
the fast table's results to float32 rounding on whole models (float64: to ~1e-12), and is
reachable from $TINYRES_KERNELS and `--kernels` on the command line."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import assert_close_deep
from tinyres import models, optim
from tinyres.autograd import topological_order
from tinyres.backend import get_backend
from tinyres.cli import main
from tinyres.kernels import cpu


def test_use_kernels_selects_the_cpu_table_and_restores_it_as_a_context_manager():
    assert tinyres.current_kernels() == "fast" and get_backend("cpu").table == cpu.TABLE
    with tinyres.use_kernels("reference") as chosen:
        assert tinyres.current_kernels() == "reference"
        backend = get_backend("cpu")
        assert backend.kernels == "reference" and backend.table == cpu.REFERENCE
        assert backend.conv2d_forward is cpu.conv.conv2d_forward
        assert chosen is not None
    assert tinyres.current_kernels() == "fast"
    assert get_backend("cpu", "reference") is get_backend("cpu", kernels="reference")
    with pytest.raises(ValueError, match=r"argument 'kernels' must be one of \('fast',"
                                         r" 'reference'\), got 'numba'"):
        tinyres.use_kernels("numba")
    assert tinyres.current_kernels() == "fast"


def test_the_environment_variable_chooses_the_default_set(monkeypatch):
    monkeypatch.setenv("TINYRES_KERNELS", "reference")
    assert tinyres.current_kernels() == "reference"
    assert get_backend("cpu").kernels == "reference"
    with tinyres.use_kernels("fast"):
        assert get_backend("cpu").kernels == "fast"  # an explicit choice wins
    monkeypatch.setenv("TINYRES_KERNELS", "turbo")
    with pytest.raises(ValueError, match="TINYRES_KERNELS must be one of"):
        get_backend("cpu")


def _step(kernels, dtype, built_under=None):
    """A CIFAR ResNet-20 SGD step on 4 random 16x16 images: (loss, grads, state after)."""
    with tinyres.use_kernels(built_under or kernels):
        tinyres.manual_seed(0)
        model = models.cifar_resnet20().to(dtype=dtype)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    with tinyres.use_kernels(kernels):
        x = tinyres.tensor(rng.standard_normal((4, 3, 16, 16)), dtype=dtype)
        y = tinyres.tensor(rng.integers(0, 10, 4))
        loss = F.cross_entropy(model(x), y)
        ops = {node.grad_fn.k for node in topological_order(loss) if node.grad_fn}
        opt.zero_grad()
        loss.backward()
        opt.step()
    grads = {n: p.grad.numpy() for n, p in model.named_parameters()}
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    return loss.item(), grads, state, ops


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-4), ("float64", 1e-12)])
def test_a_resnet20_train_step_gives_the_same_numbers_on_both_tables(dtype, rtol):
    loss, grads, state, ops = _step("fast", dtype)
    ref_loss, ref_grads, ref_state, ref_ops = _step("reference", dtype)
    assert ops == {get_backend("cpu", "fast")} and ref_ops == {get_backend("cpu", "reference")}
    assert ref_loss == pytest.approx(loss, rel=rtol)
    for name in grads:
        assert_close_deep(ref_grads[name], grads[name], f"gradient of {name}", rtol)
    for name in state:  # parameters after the step, BN running statistics
        assert_close_deep(ref_state[name], state[name], name, rtol)


def test_a_model_built_before_the_switch_runs_on_the_current_set():
    """Ops use the set current when they run, whatever made their inputs: a model built on the
    fast table and stepped under 'reference' gives exactly the all-reference numbers."""
    mixed = _step("reference", "float64", built_under="fast")
    pure = _step("reference", "float64")
    assert mixed[3] == pure[3] == {get_backend("cpu", "reference")}
    assert mixed[0] == pure[0]
    for name in pure[1]:
        np.testing.assert_array_equal(mixed[1][name], pure[1][name])


def test_resnet18_forward_is_the_same_on_both_tables():
    tinyres.manual_seed(0)
    model = models.resnet18(num_classes=10).eval()
    x = tinyres.randn(2, 3, 64, 64)
    with tinyres.no_grad():
        fast = model(x).numpy()
        with tinyres.use_kernels("reference"):
            reference = model(x).numpy()
    assert_close_deep(reference, fast, "resnet18 logits", 1e-4)


def test_the_commands_take_kernels_and_explain_names_the_reference_functions(capsys):
    assert main(["explain", "--kernels", "reference"]) == 0
    out = capsys.readouterr().out
    assert "Kernel set: reference" in out
    assert "kernels/cpu/conv.py: conv2d_backward_data, conv2d_backward_weight" in out
    assert "kernels/cpu/batchnorm.py: batchnorm_backward" in out
    assert "numba" not in out and tinyres.current_kernels() == "fast"  # restored afterwards
    assert main(["explain"]) == 0
    assert "Kernel set: fast" in capsys.readouterr().out
    assert main(["summary", "cifar_resnet20", "--totals", "--kernels", "reference"]) == 0
    assert "269,722 parameters" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["explain", "--kernels", "slow"])
    assert "invalid choice: 'slow'" in capsys.readouterr().err
