"""Every .cu file of the cuda backend compiles for sm_90 (H100/H200), for float32 and float64,
without a GPU: with nvcc (as CI has it), and with NVRTC, the compiler CuPy uses at run time,
where its library is installed."""
import shutil
import subprocess

import pytest

from tinyres.kernels import cuda
from tinyres.kernels.cuda import runtime

DTYPES = ("float32", "float64")
SOURCES = {source.path.name: source for source in cuda.SOURCES}


def _expressions(source):
    return [e for dtype in DTYPES for e in source.expressions(dtype)]


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH")
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_cu_file_compiles_with_nvcc_for_sm90(name, tmp_path):
    source = SOURCES[name]
    expressions = _expressions(source)
    # taking each instantiation's address makes nvcc emit it, as name_expressions make NVRTC
    wrapper = tmp_path / f"instantiate_{name}"
    wrapper.write_text(
        f'#include "{source.path}"\n'
        "void* tinyres_instances[] = {\n"
        + "".join(f"    (void*)&{e},\n" for e in expressions)
        + "};\n"
    )
    ptx = tmp_path / "out.ptx"
    result = subprocess.run(
        ["nvcc", "--ptx", "-arch=sm_90", "-std=c++17", "-Werror", "all-warnings",
         str(wrapper), "-o", str(ptx)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    entries = [line for line in ptx.read_text().splitlines() if ".entry" in line]
    assert len(entries) == len(expressions), entries


def _nvrtc():
    """cupy.cuda.nvrtc when CuPy is installed and libnvrtc loads, else None."""
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception:  # noqa: BLE001 - ImportError, or the library missing at run time
        return None
    return nvrtc


NVRTC = _nvrtc()


@pytest.mark.skipif(NVRTC is None, reason="CuPy or NVRTC (pip install nvidia-cuda-nvrtc) is"
                    " not installed")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_cu_file_compiles_with_nvrtc_as_cupy_compiles_it(name, dtype):
    source = SOURCES[name]
    program = NVRTC.createProgram(source.path.read_text(), name, [], [])
    try:
        expressions = source.expressions(dtype)
        for expression in expressions:
            NVRTC.addNameExpression(program, expression)
        try:
            NVRTC.compileProgram(program, ["-arch=compute_90", *runtime.NVRTC_OPTIONS])
        except NVRTC.NVRTCError as error:
            pytest.fail(f"{error}\n{NVRTC.getProgramLog(program)}")
        for expression in expressions:
            assert NVRTC.getLoweredName(program, expression)
        assert NVRTC.getPTX(program)
    finally:
        NVRTC.destroyProgram(program)


def test_every_kernel_a_source_names_is_defined_in_its_file():
    for source in cuda.SOURCES:
        text = source.path.read_text()
        for kernel in source.kernels:
            assert f"__global__ void {kernel}(" in text, (source.path.name, kernel)
