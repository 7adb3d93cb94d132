"""Every .cu file of the cuda backend compiles for sm_90 (H100/H200), for float32 and float64,
without a GPU: with nvcc (where it is on PATH), and through CuPy's own NVRTC path with its
run-time options (CI installs cupy-cuda13x and nvidia-cuda-nvrtc for it: both install and
compile without a GPU)."""
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


def _cupy_compiler():
    """cupy.cuda.compiler when CuPy is installed and libnvrtc loads, else None."""
    try:
        from cupy.cuda import compiler, nvrtc
        nvrtc.getVersion()
    except Exception:  # noqa: BLE001 - ImportError, or the library missing at run time
        return None
    return compiler


COMPILER = _cupy_compiler()


@pytest.mark.skipif(COMPILER is None, reason="CuPy or NVRTC (pip install cupy-cuda13x"
                    " nvidia-cuda-nvrtc) is not installed")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_cu_file_compiles_with_nvrtc_as_cupy_compiles_it(name, dtype, monkeypatch, tmp_path):
    """CuPy's own NVRTC path (RawModule's): its options (-ftz=true from its cache layer, then
    --device-as-default-execution-space, --pch, -arch=sm_90 for a cubin) and its name-expression
    handling. Only the architecture is given, as a GPU would report it: CuPy asks the device."""
    monkeypatch.setenv("CUPY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(COMPILER, "_get_arch_for_options_for_nvrtc",
                        lambda arch=None: (f"-arch=sm_{arch}", "cubin"))
    source = SOURCES[name]
    expressions = source.expressions(dtype)
    options = runtime.NVRTC_OPTIONS + ("-ftz=true",)  # what _compile_with_cache_cuda adds
    try:
        cubin, mapping = COMPILER._compile_using_nvrtc_no_warning(
            source.path.read_text(), options, arch="90", filename=name,
            name_expressions=list(expressions))
    except COMPILER.CompileException as error:
        pytest.fail(str(error))
    assert cubin[:4] == b"\x7fELF"  # machine code for sm_90, not PTX
    assert set(mapping) == set(expressions) and all(mapping.values())


def test_every_kernel_a_source_names_is_defined_in_its_file():
    for source in cuda.SOURCES:
        text = source.path.read_text()
        for kernel in source.kernels:
            assert f"__global__ void {kernel}(" in text, (source.path.name, kernel)
