"""Elementwise ops: arithmetic with PyTorch broadcasting, ReLU, the residual add, and the residual
add fused with the ReLU after it (relu(a + b), the end of He et al.'s blocks).

Every op here supports double backward: tensor_backward is its backward in Tensor ops.
"""
from ..function import Function
from . import checks
from .reduce import sum_to_shape


def _broadcast_shape(op, a_shape, b_shape):
    """NumPy's broadcast result shape, or a clear error naming both shapes."""
    out = []
    for i in range(1, max(len(a_shape), len(b_shape)) + 1):
        m = a_shape[-i] if i <= len(a_shape) else 1
        n = b_shape[-i] if i <= len(b_shape) else 1
        if m != n and 1 not in (m, n):
            raise ValueError(f"{op}: shapes {a_shape} and {b_shape} cannot be broadcast together")
        out.append(max(m, n) if 1 in (m, n) else m)
    return tuple(reversed(out))


class _BinaryFunction(Function):
    """a (op) b with broadcasting; backward sums each gradient back to its input's shape."""

    def forward(self, a, b):
        _broadcast_shape(self.name, tuple(a.shape), tuple(b.shape))
        self.shapes = (tuple(a.shape), tuple(b.shape))
        return self.compute(a, b)

    supports_double_backward = True

    def unbroadcast(self, grads):
        """Each input's gradient summed back to that input's shape (over the axes along which
        the input was broadcast), as arrays."""
        return tuple(
            None if g is None else self.k.sum_to_shape(g, s) for g, s in zip(grads, self.shapes)
        )

    def tensor_unbroadcast(self, grads):
        """unbroadcast, for the Tensor gradients of tensor_backward."""
        return tuple(None if g is None else sum_to_shape(g, s) for g, s in zip(grads, self.shapes))

    def inputs(self):
        """The saved a and b as Tensors at their places in the graph."""
        a, b = self.saved
        return self.input_tensor(0, a), self.input_tensor(1, b)


class AddFunction(_BinaryFunction):
    def compute(self, a, b):
        return self.k.add(a, b)

    def backward(self, g):
        # y = a + b: dy/da = dy/db = I, so both inputs get g unchanged (a residual add's two
        # paths each receive the whole gradient); a broadcast input sums g over its axes
        return self.unbroadcast((g, g))

    def tensor_backward(self, g):
        return self.tensor_unbroadcast((g, g))


class SubFunction(_BinaryFunction):
    def compute(self, a, b):
        return self.k.sub(a, b)

    def backward(self, g):
        return self.unbroadcast((g, self.k.neg(g) if self.needs_input_grad[1] else None))

    def tensor_backward(self, g):
        return self.tensor_unbroadcast((g, -g if self.needs_input_grad[1] else None))


class MulFunction(_BinaryFunction):
    def compute(self, a, b):
        self.save_for_backward(a, b)
        return self.k.mul(a, b)

    def backward(self, g):
        a, b = self.saved
        ga = self.k.mul(g, b) if self.needs_input_grad[0] else None
        gb = self.k.mul(g, a) if self.needs_input_grad[1] else None
        return self.unbroadcast((ga, gb))

    def tensor_backward(self, g):
        a, b = self.inputs()
        ga = g * b if self.needs_input_grad[0] else None
        gb = g * a if self.needs_input_grad[1] else None
        return self.tensor_unbroadcast((ga, gb))


class DivFunction(_BinaryFunction):
    def compute(self, a, b):
        self.save_for_backward(a, b)
        return self.k.div(a, b)

    def backward(self, g):
        a, b = self.saved
        k = self.k
        ga = k.div(g, b) if self.needs_input_grad[0] else None
        gb = k.neg(k.div(k.mul(g, a), k.mul(b, b))) if self.needs_input_grad[1] else None
        return self.unbroadcast((ga, gb))

    def tensor_backward(self, g):
        a, b = self.inputs()
        ga = g / b if self.needs_input_grad[0] else None
        gb = -(g * a) / (b * b) if self.needs_input_grad[1] else None
        return self.tensor_unbroadcast((ga, gb))


class NegFunction(Function):
    supports_double_backward = True

    def forward(self, a):
        return self.k.neg(a)

    def backward(self, g):
        return (self.k.neg(g),)

    def tensor_backward(self, g):
        return (-g,)


class PowScalarFunction(Function):
    """a ** exponent for a Python-number exponent."""

    supports_double_backward = True

    def forward(self, a, exponent):
        self.save_for_backward(a)
        self.exponent = exponent
        return self.k.power(a, exponent)

    def backward(self, g):
        (a,) = self.saved
        local = self.k.mul(self.k.power(a, self.exponent - 1), self.exponent)
        return (self.k.mul(g, local),)

    def tensor_backward(self, g):
        (a,) = self.saved
        if self.exponent == 1:  # a ** 0 would differentiate to 0 * a ** -1: nan at a = 0
            return (g,)
        return (g * (self.input_tensor(0, a) ** (self.exponent - 1) * self.exponent),)


class ReLUFunction(Function):
    supports_double_backward = True

    def forward(self, x):
        y = self.k.relu_forward(x)
        self.save_for_backward(y)
        return y

    def backward(self, g):
        # y = max(x, 0): dy/dx = 1 where x > 0 (i.e. y > 0), else 0 (0 at x = 0, as PyTorch)
        (y,) = self.saved
        return (self.k.relu_backward(g, y),)

    def tensor_backward(self, g):
        # the mask 1[y > 0] is constant almost everywhere: g * mask is linear in g alone
        return (g * _relu_mask(self),)


class AddReLUFunction(Function):
    """y = relu(a + b) in one pass: the residual add and the ReLU after it."""

    supports_double_backward = True

    def forward(self, a, b):
        y = self.k.add_relu(a, b)
        self.save_for_backward(y)
        return y

    def backward(self, g):
        # ReLU's backward (g where y > 0), then the add's (both inputs get it unchanged)
        (y,) = self.saved
        g = self.k.relu_backward(g, y)
        return g, g

    def tensor_backward(self, g):
        g = g * _relu_mask(self)  # as ReLUFunction's: the mask is a constant
        return g, g


def _relu_mask(fn):
    """1[y > 0] as a constant Tensor, for fn (a ReLU or AddReLU) whose saved output is y."""
    (y,) = fn.saved
    return fn.constant(fn.k.relu_backward(fn.k.ones(tuple(y.shape), y.dtype), y))


def relu(x):
    """max(x, 0), elementwise; the gradient passes where the output is positive."""
    checks.floating("relu", "x", x)
    return ReLUFunction.apply(x)


def add(a, b):
    """The residual add y = a + b of two tensors of one shape (no broadcasting: a shape mismatch
    between a block's branch and its shortcut is a bug). Backward hands g to both inputs."""
    _check_residual("add", a, b)
    return AddFunction.apply(a, b)


def _check_residual(op, a, b):
    """a and b floating, on one device with one dtype, of one shape."""
    checks.floating(op, "a", a)
    checks.floating(op, "b", b)
    checks.same_device_dtype(op, "a", a, b=b)
    checks.shape(op, "b", b, a.shape, "the shape of 'a'; a residual add does not broadcast")


def add_relu(a, b):
    """relu(add(a, b)), the same values and gradients, in one pass over memory: a residual add
    and the ReLU after it. a and b of one shape, as add's."""
    _check_residual("add_relu", a, b)
    return AddReLUFunction.apply(a, b)
