"""Shape ops: reshape and view, permute/transpose, flatten, basic indexing, zero padding, and
moves between dtypes and devices. None of them compute; their backward undoes the move."""
from ..function import Function
from . import checks


class ReshapeFunction(Function):
    supports_double_backward = True

    def forward(self, x, shape):
        self.in_shape = tuple(x.shape)
        return self.k.reshape(x, shape)

    def backward(self, g):
        # reshape (and flatten, which is a reshape) moves no value: each element's gradient
        # is g's element at the same place in memory order, so g is reshaped back
        return (self.k.reshape(g, self.in_shape),)

    def tensor_backward(self, g):
        return (g.reshape(self.in_shape),)


class PermuteFunction(Function):
    supports_double_backward = True

    def forward(self, x, dims):
        self.inverse = tuple(sorted(range(len(dims)), key=lambda i: dims[i]))
        return self.k.transpose(x, dims)

    def backward(self, g):
        return (self.k.transpose(g, self.inverse),)

    def tensor_backward(self, g):
        return (g.permute(*self.inverse),)


class GetItemFunction(Function):
    def forward(self, x, index):
        self.in_shape, self.index = tuple(x.shape), index
        return self.k.getitem(x, index)

    def backward(self, g):
        return (self.k.getitem_backward(g, self.in_shape, self.index),)


class PadFunction(Function):
    def forward(self, x, widths):
        self.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return self.k.pad(x, widths)

    def backward(self, g):
        return (self.k.getitem(g, self.index),)


class CastFunction(Function):
    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return self.k.astype(x, dtype)

    def backward(self, g):
        return (self.k.astype(g, self.in_dtype),)


class ToDeviceFunction(Function):
    def forward(self, x, target):
        self.output_backend = target
        return target.asarray(self.k.to_host(x))

    def backward(self, g):
        return (self.k.asarray(self.output_backend.to_host(g)),)


def reshape(x, shape):
    """x with a new shape of the same size; one entry may be -1. Shares x's memory when the
    layout allows it, else copies (view() never copies)."""
    return ReshapeFunction.apply(x, shape=_new_shape("reshape", x, shape))


def view(x, shape):
    """x with a new shape of the same size (one entry may be -1), sharing x's memory, as
    torch.Tensor.view: a ValueError when x's layout allows no such view (after a permute, or
    the channel-major output of a fast cpu kernel); reshape() copies then."""
    shape = _new_shape("view", x, shape)
    if not _viewable(x.shape, x.data.strides, shape):
        raise ValueError(f"view: a tensor of shape {x.shape} laid out with strides"
                         f" {tuple(x.data.strides)} (bytes) cannot be seen as shape {shape}"
                         " without a copy; use reshape(), which copies when it must")
    return ReshapeFunction.apply(x, shape=shape)


def _new_shape(op, x, shape):
    """shape with its -1 (at most one) worked out; a ValueError unless it holds x's size."""
    checks.tensor_arg(op, "x", x)
    shape = tuple(shape)
    known = 1
    for n in shape:
        known *= n if n != -1 else 1
    size = x.numel()
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or size % known)) or (
        -1 not in shape and known != size
    ):
        raise ValueError(f"{op}: cannot reshape {x.shape} ({size} elements) to {shape}")
    return tuple(size // known if n == -1 else n for n in shape)


def _viewable(shape, strides, new_shape):
    """True when new_shape can read an array of shape and strides in place: each run of old
    axes that merges or splits into new ones must be contiguous within itself (PyTorch's rule,
    computeStride in ATen; the strides' unit does not matter)."""
    if not shape or 0 in shape:  # a 0-d or an empty array: any shape of its size is a view
        return True
    new_axis = len(new_shape) - 1
    base, old_size, new_size = strides[-1], 1, 1
    for axis in range(len(shape) - 1, -1, -1):
        old_size *= shape[axis]
        if axis == 0 or (shape[axis - 1] != 1 and strides[axis - 1] != old_size * base):
            # axes axis.. form one contiguous run: new axes must cover exactly its size
            while new_axis >= 0 and (new_size < old_size or new_shape[new_axis] == 1):
                new_size *= new_shape[new_axis]
                new_axis -= 1
            if new_size != old_size:
                return False
            if axis > 0:
                base, old_size, new_size = strides[axis - 1], 1, 1
    return new_axis == -1


def permute(x, dims):
    checks.tensor_arg("permute", "x", x)
    dims = tuple(checks.dim_index("permute", "dims", d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: argument 'dims' must order all {x.ndim} axes, got {dims}")
    return PermuteFunction.apply(x, dims=dims)


def transpose(x, dim0, dim1):
    dims = list(range(x.ndim))
    a = checks.dim_index("transpose", "dim0", dim0, x.ndim)
    b = checks.dim_index("transpose", "dim1", dim1, x.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return PermuteFunction.apply(x, dims=tuple(dims))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one, as torch.flatten: all of them by default,
    (N, C, H, W) -> (N, C*H*W) with start_dim=1 (what nn.Flatten does)."""
    checks.tensor_arg("flatten", "x", x)
    if x.ndim == 0:
        return reshape(x, (1,))
    start = checks.dim_index("flatten", "start_dim", start_dim, x.ndim)
    end = checks.dim_index("flatten", "end_dim", end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = 1
    for n in x.shape[start:end + 1]:
        merged *= n
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def getitem(x, index):
    """x[index] for basic indices (ints, slices, None, Ellipsis); no index arrays."""
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, (int, slice))):
            raise TypeError(
                "indexing a Tensor takes ints, slices, None and ... only; got"
                f" {type(item).__name__}"
            )
    return GetItemFunction.apply(x, index=index)


def pad(x, pad):
    """PyTorch's F.pad with zeros: pad = (left, right, top, bottom, ...) from the last axis."""
    checks.tensor_arg("pad", "x", x)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or any(p < 0 for p in pad):
        raise ValueError(
            f"pad: argument 'pad' must hold non-negative (before, after) pairs for at most"
            f" {x.ndim} axes, got {tuple(pad)}"
        )
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return PadFunction.apply(x, widths=tuple(widths))
