"""The one backend interface: the kernel list, the backend registry and device selection.

Ops call ``self.k.<kernel>(...)`` where ``k`` is the Backend of their inputs' device in the
current kernel set. A Backend is a flat, explicit table ``name -> callable``, checked against
``KERNELS`` when it is built: a backend that misses a kernel or adds an unlisted one fails loudly,
and every kernel can be found with grep. The cpu has two tables, chosen with use_kernels():
'fast' (NumPy reference with Numba / BLAS kernels in place of the hot ones) and 'reference'
(the NumPy reference alone, kernels/cpu/*.py: what a learner steps into).

Shape letters: N batch, C input channels, K output channels, H x W input, P x Q output,
R x S kernel window. ``kernel``, ``stride`` and ``padding`` are always (int, int) pairs here;
the ops normalise what users pass. Every kernel runs in float32 and float64 and returns arrays of
its inputs' dtype. Kernels never write to their inputs unless their name ends in ``_``.

Shapes are contracts, memory layouts are not: a kernel may return any strides (the fast cpu
kernels store (N, C, H, W) batches channel-major, see kernels/cpu/fast/layout.py) and must accept
inputs of any strides. Only ``copy`` promises a contiguous result.
"""
import os

from tinyres.kernels.errors import DeviceUnavailableError  # noqa: F401 - raised by the loaders

KERNELS = {
    # --- arrays: creation and movement --------------------------------------------------------
    "asarray": "(data, dtype=None) -> array: host data (ndarray, list, number) on this device",
    "to_host": "(a) -> numpy.ndarray with a's values (a itself on the cpu)",
    "zeros": "(shape, dtype) -> array of zeros",
    "ones": "(shape, dtype) -> array of ones",
    "full": "(shape, value, dtype) -> array filled with value",
    "copy": "(a) -> a new contiguous array equal to a",
    "astype": "(a, dtype) -> a converted to dtype (a itself when it already has it)",
    # --- arrays: arithmetic (NumPy broadcasting) ----------------------------------------------
    "add": "(a, b) -> a + b",
    "sub": "(a, b) -> a - b",
    "mul": "(a, b) -> a * b",
    "div": "(a, b) -> a / b",
    "neg": "(a) -> -a",
    "power": "(a, exponent) -> a ** exponent, exponent a Python number",
    "matmul": "(a, b) -> a @ b: (..., M, K) @ (..., K, N) -> (..., M, N)",
    "sum": "(a, axis=None, keepdims=False) -> sum over axis (int, tuple or None)",
    "argmax": "(a, axis) -> int64 index of the first maximum along axis (a NaN counts as it)",
    "equal": "(a, b) -> bool array a == b (training metrics: correct predictions)",
    "sum_to_shape": "(a, shape) -> a summed over the axes along which shape was broadcast",
    "expand": "(a, shape) -> a new array: a broadcast to shape",
    # --- arrays: shapes and indexing ----------------------------------------------------------
    "reshape": "(a, shape) -> a with shape (a view when possible)",
    "transpose": "(a, axes) -> a with its axes permuted (a view)",
    "getitem": "(a, index) -> a[index]; basic indexing only (ints, slices, None, Ellipsis)",
    "getitem_backward": "(g, shape, index) -> zeros(shape) with g written at index",
    "pad": "(a, widths) -> a zero-padded; widths ((before, after), ...) one pair per axis",
    # --- convolution --------------------------------------------------------------------------
    "conv2d_forward": "(x, w, stride, padding) -> y: (N, C, H, W), (K, C, R, S) -> (N, K, P, Q)",
    "conv2d_backward_data": "(gy, w, x_shape, stride, padding) -> gx (N, C, H, W)",
    "conv2d_backward_weight": "(gy, x, w_shape, stride, padding) -> gw (K, C, R, S)",
    # --- batch normalisation over (N, H, W) per channel ---------------------------------------
    "batchnorm_forward_train": (
        "(x, weight, bias, eps, relu=False) -> (y, mean, var, invstd): x (N, C, H, W); weight,"
        " bias (C,) or None; batch mean, biased var and 1/sqrt(var + eps), each (C,); relu=True:"
        " y = max(y, 0), the ReLU that follows in the same pass"
    ),
    "batchnorm_forward_eval": (
        "(x, mean, var, weight, bias, eps, relu=False) -> (y, invstd); given (C,) stats"
    ),
    "batchnorm_backward": (
        "(gy, x, mean, invstd, weight, training, relu_output=None) -> (gx, gweight, gbias);"
        " training=True differentiates through the batch statistics, False treats them as"
        " constants; relu_output (a relu=True forward's y): gy counts only where it is > 0"
    ),
    "batchnorm_update_running_": (
        "(running_mean, running_var, mean, var, count, momentum) -> None: in place,"
        " r = (1 - momentum) * r + momentum * batch; var is biased, stored unbiased (count values)"
    ),
    # --- activations --------------------------------------------------------------------------
    "relu_forward": "(x) -> max(x, 0)",
    "relu_backward": "(gy, y) -> gy where y > 0, else 0",
    "add_relu": "(a, b) -> max(a + b, 0): a residual add and its ReLU in one pass; one shape",
    # --- pooling ------------------------------------------------------------------------------
    "maxpool2d_forward": (
        "(x, kernel, stride, padding) -> (y, argmax): (N, C, H, W) -> (N, C, P, Q) twice;"
        " argmax int64 = h * W + w in the unpadded plane; pads with -inf; first maximum wins"
    ),
    "maxpool2d_backward": (
        "(gy, argmax, x_shape, kernel, stride, padding) -> gx (N, C, H, W): each gradient to"
        " its window's argmax; deterministic (no order-dependent atomics)"
    ),
    "avgpool2d_forward": (
        "(x, kernel, stride, padding, count_include_pad) -> y: (N, C, H, W) -> (N, C, P, Q)"
    ),
    "avgpool2d_backward": (
        "(gy, x_shape, kernel, stride, padding, count_include_pad) -> gx (N, C, H, W)"
    ),
    # --- losses -------------------------------------------------------------------------------
    "log_softmax_forward": "(x, axis) -> x - logsumexp(x, axis)",
    "log_softmax_backward": "(gy, y, axis) -> gy - exp(y) * sum(gy, axis)",
    "cross_entropy_forward": (
        "(logits, target) -> (loss, log_probs): (N, C) float, (N,) int -> () mean loss, (N, C);"
        " a label outside [0, C) raises ValueError: at once where the labels are in host memory,"
        " else at the backend's next device-to-host read (checked on the device, no sync)"
    ),
    "cross_entropy_backward": "(gloss, log_probs, target) -> glogits (N, C); gloss shape ()",
    # --- optimizers (in place, PyTorch's rules) ------------------------------------------------
    "sgd_step_": (
        "(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first) -> None:"
        " param, grad, buf same shape; buf None when momentum == 0; first=True starts buf"
    ),
    "adam_step_": (
        "(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay) -> None:"
        " all arrays one shape; step >= 1 counts this step"
    ),
}


class Backend:
    """One device's kernels in one kernel set: ``backend.conv2d_forward(...)`` etc., exactly the
    names in KERNELS. ``name`` is the device ('cpu', 'cuda'), ``kernels`` the set ('fast',
    'reference')."""

    def __init__(self, name, table, kernels="fast"):
        missing = sorted(set(KERNELS) - set(table))
        extra = sorted(set(table) - set(KERNELS))
        if missing or extra:
            raise ValueError(
                f"backend {name!r} must implement exactly the kernels in KERNELS;"
                f" missing {missing}, unlisted {extra}"
            )
        self.name = name
        self.kernels = kernels
        self.table = dict(table)
        self.__dict__.update(table)  # plain attribute lookup on the hot path

    def __repr__(self):
        return f"Backend({self.name!r}, {self.kernels!r}, {len(self.table)} kernels)"


def _load_cpu(kernels):
    from tinyres.kernels import cpu
    if kernels == "reference":
        return cpu.REFERENCE
    cpu.fast.heap.keep_freed_memory()  # no page faults for each step's fresh activations
    return cpu.TABLE


def _load_cuda(kernels):
    from tinyres.kernels.cuda import load_table
    return load_table()  # raises DeviceUnavailableError saying what is missing


_LOADERS = {"cpu": _load_cpu, "cuda": _load_cuda}
_BACKENDS = {}  # (device, kernel set) -> Backend
DEVICES = tuple(_LOADERS)


def normalize_device(device):
    """'cpu' | 'cuda' | 'cuda:0' | None (the default device) -> 'cpu' or 'cuda'."""
    if device is None:
        return default_device()
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
    name = "cuda" if device == "cuda:0" else device
    if name not in _LOADERS:
        raise ValueError(f"device must be one of {DEVICES} (or 'cuda:0'), got {device!r}")
    return name


def default_device():
    """The device new tensors go to: $TINYRES_DEVICE (any case; empty means unset), else 'cpu'."""
    raw = os.environ.get("TINYRES_DEVICE", "")
    env = raw.strip().lower() or "cpu"
    if env == "cuda:0":
        return "cuda"
    if env not in _LOADERS:
        raise ValueError(f"TINYRES_DEVICE must be one of {DEVICES}, got {raw!r}")
    return env


KERNEL_SETS = ("fast", "reference")
_chosen = None  # the set use_kernels() chose; None: $TINYRES_KERNELS, else 'fast'


def check_kernels(kernels, what="kernels"):
    """kernels if it names a kernel set, else a ValueError naming `what`."""
    if kernels not in KERNEL_SETS:
        raise ValueError(f"{what} must be one of {KERNEL_SETS}, got {kernels!r}")
    return kernels


def current_kernels():
    """The kernel set ops run with now: use_kernels()'s choice, else $TINYRES_KERNELS, else
    'fast'."""
    if _chosen is not None:
        return _chosen
    return check_kernels(os.environ.get("TINYRES_KERNELS", "fast"), "TINYRES_KERNELS")


class use_kernels:  # noqa: N801 - used like a function, and as a context manager
    """Run every op from now on with a kernel set: 'fast' (Numba / BLAS, the default) or
    'reference' (one short NumPy function per kernel, kernels/cpu/*.py). Process-wide.

        tinyres.use_kernels("reference")             # from here on
        with tinyres.use_kernels("reference"): ...   # inside the block only

    An op runs with the set that is current when it is called, and its backward with the same
    kernels (the Function keeps its Backend). Tensors made before a switch stay valid: on the
    cpu both sets hold plain numpy arrays, so mixing them is harmless. The cuda device has one
    table (CuPy) whatever the set.
    """

    def __init__(self, kernels):
        global _chosen
        check_kernels(kernels, "use_kernels: argument 'kernels'")
        self.previous, _chosen = _chosen, kernels

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _chosen
        _chosen = self.previous


def get_backend(device=None, kernels=None):
    """The Backend for a device in a kernel set (default: the current one, see use_kernels),
    built on first use. The cuda device has one table, whatever the set."""
    name = normalize_device(device)
    kernels = current_kernels() if kernels is None else check_kernels(kernels, "kernels")
    if name != "cpu":
        kernels = "fast"
    backend = _BACKENDS.get((name, kernels))
    if backend is None:
        backend = Backend(name, _LOADERS[name](kernels), kernels)
        _BACKENDS[(name, kernels)] = backend
    return backend


def is_available(device):
    """True when ``get_backend(device)`` would succeed here."""
    try:
        get_backend(device)
    except DeviceUnavailableError:
        return False
    return True


def available_devices():
    """The devices usable on this machine, 'cpu' first."""
    return [name for name in DEVICES if is_available(name)]


def move(array, source, target):
    """Copy an array from one Backend to another through host memory."""
    if source is target:
        return array
    return target.asarray(source.to_host(array))
