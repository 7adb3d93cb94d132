"""Identity ops: differentiable no-ops that give one point of the graph a tensor of its own.

A hook or a retained gradient on that tensor then sees exactly the gradient that flows through
that point, e.g. through the skip connection of a residual block and not its branch. The output
shares the input's array (nothing is copied), as a view would.
"""
from ..function import Function
from . import checks


class IdentityFunction(Function):
    """y = x; backward hands the gradient through unchanged."""

    def forward(self, x):
        return x

    def backward(self, g):
        return (g,)


class PickFunction(Function):
    """y = inputs[index], recorded as depending on all the inputs.

    Several Picks over the same inputs make every input an ancestor of every output, so the
    backward pass visits all the outputs before any input: their gradients can be seen together.
    """

    def forward(self, *arrays, index):
        self.index, self.count = index, len(arrays)
        return arrays[index]

    def backward(self, g):
        return tuple(g if i == self.index else None for i in range(self.count))


def identity(x):
    """x as a new node of the graph: same shape, same values, shared memory."""
    checks.tensor_arg("identity", "x", x)
    return IdentityFunction.apply(x)
