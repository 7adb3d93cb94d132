"""Input checks shared by the ops: each error names the op, the argument, what was expected and
what was received."""
from tinyres.kernels.shapes import output_size

from .. import dtypes
from ..function import is_tensor


def tensor_arg(op, name, value):
    """value must be a Tensor."""
    if not is_tensor(value):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, got {type(value).__name__}")


def floating(op, name, t):
    tensor_arg(op, name, t)
    if not dtypes.is_float(t.dtype):
        raise TypeError(
            f"{op}: argument '{name}' must be float32 or float64, got dtype {t.dtype}"
        )


def ndim(op, name, t, allowed, layout):
    """t.ndim must be in allowed (an int or a tuple); layout describes it, e.g. '(N, C, H, W)'."""
    allowed = (allowed,) if isinstance(allowed, int) else tuple(allowed)
    if t.ndim not in allowed:
        wanted = " or ".join(f"{n}-D" for n in allowed)
        raise ValueError(
            f"{op}: argument '{name}' must be {wanted} {layout}, got shape {t.shape}"
        )


def shape(op, name, t, expected, meaning=""):
    """t.shape must equal expected."""
    if t.shape != tuple(expected):
        why = f" ({meaning})" if meaning else ""
        raise ValueError(
            f"{op}: argument '{name}' must have shape {tuple(expected)}{why}, got {t.shape}"
        )


def same_device_dtype(op, reference_name, reference, **others):
    """Every other tensor (None allowed) shares reference's device and dtype."""
    for name, t in others.items():
        if t is None:
            continue
        tensor_arg(op, name, t)
        if t.device != reference.device:
            raise ValueError(
                f"{op}: argument '{name}' must be on {reference.device} like"
                f" '{reference_name}', got {t.device}"
            )
        if t.dtype != reference.dtype:
            raise TypeError(
                f"{op}: argument '{name}' must have dtype {reference.dtype} like"
                f" '{reference_name}', got {t.dtype}"
            )


def pair(op, name, value, minimum):
    """An int or a pair of ints, each >= minimum -> (int, int)."""
    items = (value, value) if isinstance(value, int) else value
    ok = isinstance(items, (tuple, list)) and len(items) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in items
    )
    if not ok:
        raise ValueError(
            f"{op}: argument '{name}' must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return tuple(items)


def window_fits(op, x, kernel, padding):
    """The kernel window must fit inside the padded input."""
    for axis, window, p in zip(("height", "width"), kernel, padding):
        size = x.shape[2 if axis == "height" else 3]
        if window > size + 2 * p:
            raise ValueError(
                f"{op}: kernel {axis} {window} is larger than the padded input {axis}"
                f" {size} + 2*{p} = {size + 2 * p} (input shape {x.shape})"
            )


def dim_index(op, name, dim, ndim):
    """A possibly negative axis -> its index in [0, ndim)."""
    if not isinstance(dim, int) or not -ndim <= dim < max(ndim, 1):
        raise ValueError(f"{op}: argument '{name}' must be an axis in [{-ndim}, {ndim}), got {dim!r}")
    return dim % max(ndim, 1)


def window_output(x_shape, kernel, stride, padding):
    """(N, C, P, Q) of a window op (conv, pool) on x_shape: P = (H + 2 p - R) // s + 1."""
    n, c, h, w = x_shape
    return (n, c) + tuple(output_size(size, window, s, p)
                          for size, window, s, p in zip((h, w), kernel, stride, padding))


def positive(op, name, value):
    """value must be a real number > 0 (e.g. batch_norm's eps: 0 divides by zero)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{op}: argument '{name}' must be a number > 0, got {value!r}")
