"""Names that do not collide: every op's Function is named after its op with the suffix
Function, so none shares a name with an nn layer (ops.conv.Conv2dFunction, nn.Conv2d); errors,
graphs and double_backward_ops() still call an op by its own name."""
import inspect

import tinyres
from tinyres import nn, ops
from tinyres.function import Function, double_backward_ops, op_name


def _op_functions():
    return [cls for module in vars(ops).values() if inspect.ismodule(module)
            for cls in vars(module).values()
            if inspect.isclass(cls) and issubclass(cls, Function) and cls is not Function]


def test_every_op_function_has_the_suffix_and_no_layer_shares_its_name():
    functions = _op_functions()
    assert len(functions) >= 20
    assert [c.__name__ for c in functions if not c.__name__.endswith("Function")] == []
    layers = {name for name, value in vars(nn).items() if inspect.isclass(value)}
    assert {c.__name__ for c in functions} & layers == set()


def test_an_op_is_called_by_its_own_name():
    x = tinyres.tensor([1.0, -1.0], requires_grad=True)
    assert (x + x).grad_fn.name == "Add" and op_name(ops.conv.Conv2dFunction) == "Conv2d"
    assert op_name(Function) == "Function"
    assert "Add" in double_backward_ops() and "_Binary" not in double_backward_ops()
