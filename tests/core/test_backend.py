"""The backend interface: every backend implements exactly the listed kernels; devices."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinyres
from tinyres import backend as backends
from tinyres.kernels import cpu, cuda


def test_cpu_tables_implement_exactly_the_kernel_list():
    assert set(cpu.REFERENCE) == set(backends.KERNELS)
    assert set(cpu.TABLE) == set(backends.KERNELS)
    assert set(cpu.fast.FAST) <= set(backends.KERNELS)
    assert {"conv2d_backward_data", "maxpool2d_forward",
            "maxpool2d_backward"} <= set(cpu.fast.FAST)


def test_cuda_table_implements_exactly_the_kernel_list_without_a_gpu():
    assert set(cuda.TABLE) == set(backends.KERNELS)
    assert all(callable(kernel) for kernel in cuda.TABLE.values())


def _run_without_cupy(code):
    """Run code in a fresh interpreter where `import cupy` fails; returns its stdout."""
    script = "import sys\nsys.modules['cupy'] = None  # import cupy now raises ImportError\n"
    result = subprocess.run([sys.executable, "-c", script + textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tinyres_and_the_cuda_kernels_import_without_cupy():
    out = _run_without_cupy("""
        import tinyres
        from tinyres.backend import KERNELS
        from tinyres.kernels import cuda
        from tinyres.kernels.cuda import batchnorm, conv, elementwise, loss, optim, pool
        assert set(cuda.TABLE) == set(KERNELS)
        try:
            tinyres.zeros(2, device="cuda")
        except tinyres.backend.DeviceUnavailableError as error:
            print(error)
        print(tinyres.available_devices())
    """)
    assert "CuPy is not installed: pip install cupy-cuda13x" in out
    assert "['cpu']" in out


@pytest.mark.skipif(tinyres.is_available("cuda"), reason="this machine has a GPU")
def test_without_a_gpu_the_cuda_error_says_what_is_missing():
    with pytest.raises(backends.DeviceUnavailableError) as info:
        cuda.load_table()
    message = str(info.value)
    assert ("CuPy is not installed" in message
            or "CuPy is installed but no CUDA GPU/driver is available: " in message), message


def test_every_available_backend_implements_exactly_the_kernel_list(device):
    assert set(tinyres.get_backend(device).table) == set(backends.KERNELS)


def test_a_backend_missing_or_adding_a_kernel_is_refused():
    table = dict(cpu.TABLE)
    del table["conv2d_backward_data"]
    with pytest.raises(ValueError, match=r"missing \['conv2d_backward_data'\]"):
        backends.Backend("broken", table)
    with pytest.raises(ValueError, match=r"unlisted \['extra'\]"):
        backends.Backend("broken", {**cpu.TABLE, "extra": len})


def test_every_kernel_has_a_shape_docstring():
    for name, doc in backends.KERNELS.items():
        assert "->" in doc, name


def test_device_names_and_default(monkeypatch):
    assert backends.normalize_device("cuda:0") == "cuda"
    assert backends.normalize_device(None) == "cpu"
    monkeypatch.setenv("TINYRES_DEVICE", "gpu")
    with pytest.raises(ValueError, match="TINYRES_DEVICE must be one of"):
        tinyres.zeros(1)
    monkeypatch.setenv("TINYRES_DEVICE", "cpu")
    assert tinyres.zeros(1).device == "cpu"


@pytest.mark.skipif(tinyres.is_available("cuda"), reason="this machine has a GPU")
def test_asking_for_cuda_without_a_gpu_says_why():
    with pytest.raises(backends.DeviceUnavailableError, match="cuda"):
        tinyres.zeros(2, device="cuda")
    assert tinyres.available_devices() == ["cpu"]


def test_mixed_devices_or_dtypes_in_one_op_are_refused():
    a = tinyres.randn(2)
    with pytest.raises(TypeError, match="one dtype"):
        a + tinyres.randn(2, dtype="float64")


def test_moving_to_the_same_device_is_a_no_op():
    a = tinyres.randn(2)
    assert a.to("cpu") is a
    np.testing.assert_array_equal(backends.move(a.data, a.backend, a.backend), a.data)
