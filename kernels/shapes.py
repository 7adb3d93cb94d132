"""Shape rules shared by every backend and the ops' checks (pure Python on shapes, no array
library)."""


def output_size(size, kernel, stride, padding):
    """PyTorch's output length of a window op (convolution, pooling) along one axis:
    floor((size + 2 * padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def broadcast_axes(shape_from, shape_to):
    """The axes of an array of shape_from to sum (keepdims) so that it reshapes to shape_to,
    undoing NumPy broadcasting: the leading axes shape_to lacks, and the axes where shape_to
    has 1 and shape_from does not. E.g. (4, 2, 3) -> (2, 1): axes (0, 2)."""
    lead = len(shape_from) - len(shape_to)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape_to) if n == 1 and shape_from[lead + i] != 1)
