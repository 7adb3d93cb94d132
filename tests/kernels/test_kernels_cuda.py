"""The cuda backend on a GPU: every kernel equals the NumPy reference (float32 and float64, odd
shapes, stride 2, padding, ties, NaN, every optimizer branch), through the cases that
test_cuda_shim.py runs on the CPU; ResNet-sized shapes that reach the real grid limits; and the
ways tensors get to the device. Skipped where there is no GPU."""
import numpy as np
import pytest

import tinyres
from tests.helpers import kernel_cases
from tests.helpers.kernel_cases import Case, normal
from tinyres.kernels import cuda

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not tinyres.is_available("cuda"),
                       reason="no GPU (the cuda backend needs CuPy, a CUDA driver and NVRTC)"),
]


@pytest.fixture(scope="module")
def cupy():
    import cupy
    return cupy


@pytest.fixture(scope="module")
def table():
    return kernel_cases.with_parts(tinyres.get_backend("cuda").table, cuda.conv)


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", kernel_cases.DTYPES)
@pytest.mark.parametrize("case", kernel_cases.CASES, ids=lambda c: c.id)
def test_cuda_kernel_matches_the_reference(cupy, table, case, dtype, layout):
    if layout == "contiguous":
        to_device = cupy.asarray
    else:  # a kernel that indexed a strided input as if it were contiguous would fail here
        to_device = lambda a: kernel_cases.strided(a, cupy)  # noqa: E731
    kernel_cases.check(case, dtype, table, to_device, cupy.asnumpy)


def _large_cases():
    """Shapes past the launch limits: > 65535 planes (grid y strides), > 4096 rows or blocks
    (grid x strides), channels whose reduction splits over many blocks."""
    im2col_x = (16, 512, 14, 14)  # 16 * 512 * 9 = 73728 rows of columns
    cols = (16, 512 * 9, 14 * 14)
    pool_x = (8, 64, 112, 112)  # ResNet's stem max-pool
    bn_x = (32, 64, 56, 56)
    yield Case("im2col", "large", lambda r, d: (normal(r, im2col_x, d), (3, 3), (1, 1), (1, 1)))
    yield Case("col2im", "large", lambda r, d: (normal(r, cols, d), im2col_x, (3, 3), (1, 1),
                                                (1, 1)))
    yield Case("conv2d_forward", "large", lambda r, d: (
        normal(r, (8, 64, 56, 56), d), normal(r, (64, 64, 3, 3), d), (1, 1), (1, 1)))
    yield Case("maxpool2d_forward", "large", lambda r, d: (
        r.integers(-5, 5, pool_x).astype(d), (3, 3), (2, 2), (1, 1)))

    def pool_backward(r, d):
        _, argmax = kernel_cases.REFERENCE["maxpool2d_forward"](
            r.integers(-5, 5, pool_x).astype(d), (3, 3), (2, 2), (1, 1))
        return normal(r, argmax.shape, d), argmax, pool_x, (3, 3), (2, 2), (1, 1)

    yield Case("maxpool2d_backward", "large", pool_backward)
    yield Case("batchnorm_forward_train", "large", lambda r, d: (
        normal(r, bn_x, d, loc=3.0), normal(r, (64,), d), normal(r, (64,), d), 1e-5))
    yield Case("batchnorm_backward", "large", lambda r, d: (
        normal(r, bn_x, d), normal(r, bn_x, d), normal(r, (64,), d),
        kernel_cases.positive(r, (64,), d), normal(r, (64,), d), True))
    yield Case("relu_forward", "large", lambda r, d: (normal(r, bn_x, d),))
    yield Case("log_softmax_forward", "large", lambda r, d: (normal(r, (5000, 10), d), 1))
    yield Case("cross_entropy_forward", "large", lambda r, d: (
        normal(r, (5000, 1000), d), r.integers(0, 1000, 5000)))


@pytest.mark.parametrize("dtype", kernel_cases.DTYPES)
@pytest.mark.parametrize("case", list(_large_cases()), ids=lambda c: c.id)
def test_cuda_kernel_matches_the_reference_on_large_shapes(cupy, table, case, dtype):
    kernel_cases.check(case, dtype, table, cupy.asarray, cupy.asnumpy)


def test_tensors_reach_the_gpu_every_way(cupy, monkeypatch):
    t = tinyres.tensor([[1.0, -2.0]], device="cuda")
    assert t.device == "cuda" and isinstance(t.data, cupy.ndarray)
    assert tinyres.randn(2, 3).to("cuda").to("cpu").device == "cpu"
    monkeypatch.setenv("TINYRES_DEVICE", "cuda")
    assert tinyres.zeros(2).device == "cuda"
    monkeypatch.setenv("TINYRES_DEVICE", "cpu")
    a = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    from_cupy = tinyres.tensor(a)
    a[0, 0] = 100  # the tensor holds a copy
    assert from_cupy.device == "cuda" and from_cupy.numpy()[0, 0] == 0
    to_cpu = tinyres.tensor(a, device="cpu")
    assert to_cpu.device == "cpu" and to_cpu.numpy()[0, 0] == 100


def test_batches_reach_the_gpu_through_pinned_memory(cupy, table):
    """The loader's host batches go through the backend's asarray, which CuPy stages through
    pinned memory (an asynchronous copy): its pinned allocator must see the batch's bytes."""
    pool, sizes = cupy.cuda.PinnedMemoryPool(), []
    cupy.cuda.set_pinned_memory_allocator(lambda n: (sizes.append(n), pool.malloc(n))[1])
    try:
        batch = np.random.default_rng(0).standard_normal((64, 3, 32, 32)).astype(np.float32)
        expected = batch.copy()
        on_gpu = table["asarray"](batch, np.float32)
        batch[...] = 0  # the staging copy was made before asarray returned
        np.testing.assert_array_equal(cupy.asnumpy(on_gpu), expected)
    finally:
        cupy.cuda.set_pinned_memory_allocator(cupy.get_default_pinned_memory_pool().malloc)
    assert sizes and max(sizes) >= batch.nbytes


def test_gradients_flow_back_across_devices():
    x = tinyres.tensor(np.array([[-1.0, 2.0, 3.0]]), requires_grad=True)  # on the cpu
    (x.to("cuda").relu() * 2.0).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 2.0, 2.0]])


def test_a_torch_cuda_tensor_is_copied_not_shared(cupy, torch):
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch has no CUDA")
    source = torch.ones(3, device="cuda")
    t = tinyres.tensor(source, dtype="float32")
    source.zero_()
    assert t.device == "cuda" and t.numpy().tolist() == [1.0, 1.0, 1.0]
