"""Which kernel functions ran an op's backward, as 'kernels/cpu/conv.py: conv2d_backward_data'.

`tinyres explain` hands each Function of a graph a KernelRecorder in place of its Backend
(``fn.k``) before backward: the op calls its kernels as always, the recorder notes each one and
passes the call on. So the listing names the very function a debugger would step into. Autograd
also uses ``fn.k`` to add up two gradients that reach one tensor; those calls, made outside the
op's backward, are kept apart (``sums``).
"""
from collections import OrderedDict

from ..backend import KERNELS


class KernelRecorder:
    """Stands in for a Backend: every kernel looked up is called through, and its place kept
    (file, function), in call order: in ``calls`` while the op's backward runs, else in ``sums``."""

    def __init__(self, backend):
        self.backend = backend
        self.calls, self.sums = [], []
        self.active = False

    def __getattr__(self, name):
        kernel = getattr(self.backend, name)
        if name not in KERNELS:
            return kernel

        def call(*args, **kwargs):
            (self.calls if self.active else self.sums).append(where(kernel))
            return kernel(*args, **kwargs)
        return call

    def watch(self, backward):
        """backward, wrapped so that the calls it makes go to ``calls``."""
        def watched(grad):
            self.active = True
            try:
                return backward(grad)
            finally:
                self.active = False
        return watched


def where(kernel):
    """(file, function) of a kernel table entry: ('kernels/cpu/conv.py', 'conv2d_forward');
    ('numpy', 'multiply') for a NumPy function used as it is."""
    function = getattr(kernel, "py_func", kernel)  # a Numba dispatcher wraps a Python function
    name = getattr(function, "__qualname__", None) or function.__name__  # ufuncs: __name__
    module = (getattr(function, "__module__", None) or "numpy").split(".")
    if module[0] != "tinyres" and module[0] != "kernels":
        return module[0], name
    if module[0] == "tinyres":
        module = module[1:]  # tinyres.kernels is the kernels/ folder of the repository
    return "/".join(module) + ".py", name


def describe(calls):
    """'file: f, g; other file: h' from (file, function) pairs, each named once."""
    files = OrderedDict()
    for path, name in calls:
        names = files.setdefault(path, [])
        if name not in names:
            names.append(name)
    return "; ".join(f"{path}: {', '.join(names)}" for path, names in files.items())


def record_backward(nodes):
    """Give each node's grad_fn a KernelRecorder; returns {id(node): recorder}."""
    recorders = {}
    for node in nodes:
        fn = node.grad_fn
        if fn is not None:
            recorder = KernelRecorder(fn.k)
            fn.k = recorder
            fn.backward = recorder.watch(fn.backward)  # shadows the method on this instance
            recorders[id(node)] = recorder
    return recorders
