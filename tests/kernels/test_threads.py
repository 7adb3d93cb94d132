"""threads.py: which threads run the Numba-only kernels' tasks (threads.native())."""
from tinyres.kernels.cpu.fast import threads


def test_numba_kernels_keep_off_the_openmp_threads_while_openblas_kernels_use_python_threads(
        monkeypatch):
    monkeypatch.setattr(threads, "NATIVE", True)
    monkeypatch.setitem(threads._state, "blas_region_at", float("-inf"))
    assert threads.native()
    threads.parallel(lambda task: None, [0, 1], numba_only=True)
    assert threads.native()  # a Numba-only kernel on the Python threads holds nothing
    threads.parallel(lambda task: None, [0, 1])  # as an OpenBLAS kernel's region
    if threads.count() > 1:  # (with one thread there is nothing to keep apart)
        assert not threads.native()
        monkeypatch.setattr(threads, "HOLD_SECONDS", 0.0)
        assert threads.native()


def test_tasks_become_one_row_each():
    tasks = threads.task_array([(0, 5, 1, 2), (5, 9, 0, 3)])
    assert tasks.dtype.name == "int64" and tasks.tolist() == [[0, 5, 1, 2], [5, 9, 0, 3]]
    assert threads.task_array([(0, 7)]).shape == (1, 2)


def test_without_openmp_or_when_turned_off_the_kernels_use_python_threads(monkeypatch):
    monkeypatch.setattr(threads, "NATIVE", False)
    monkeypatch.setitem(threads._state, "blas_region_at", float("-inf"))
    assert not threads.native()


def test_a_large_matmul_holds_the_numba_kernels_too(monkeypatch):
    import numpy as np

    from tinyres.kernels.cpu.fast import linear
    monkeypatch.setattr(threads, "NATIVE", True)
    monkeypatch.setitem(threads._state, "blas_region_at", float("-inf"))
    a = np.ones((8, 64), np.float32)
    linear.matmul(a, np.ones((64, 10), np.float32))  # small: one OpenBLAS thread
    assert threads.native()
    monkeypatch.setattr(linear, "SMALL", 0)
    linear.matmul(a, np.ones((64, 10), np.float32))  # as a large one: OpenBLAS's own threads
    assert threads.native() == (threads.count() <= 1)
