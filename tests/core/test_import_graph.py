"""The layers depend downward only (DESIGN.md): no import cycles, kernels/ imports nothing from
tinyres outside tinyres.kernels, and no import inside tinyres is put off into a function to hold
a cycle together. Read from the source by tests/helpers/import_graph.py (nothing is imported)."""
import pytest

from tests.helpers import import_graph
from tests.helpers.paths import ROOT

# The late imports of tinyres modules that stay, each for a reason other than a cycle:
# the kernel tables load on first use, so `import tinyres` (and `tinyres --help`) neither needs
# CuPy nor pays for importing Numba.
ALLOWED_LATE = {
    ("tinyres.backend", "tinyres.kernels.cpu"),
    ("tinyres.backend", "tinyres.kernels.cuda"),
}
OPTIONAL = {"cupy", "mpi4py", "matplotlib", "tqdm", "numba", "threadpoolctl", "numpy"}


@pytest.fixture(scope="module")
def graph():
    return import_graph.build(ROOT)


def test_no_module_takes_part_in_an_import_cycle(graph):
    assert graph.cycles() == []


def test_kernels_import_nothing_from_the_engine(graph):
    assert [f"{e.source}:{e.line} -> {e.target}" for e in graph.upward()] == []


def test_late_imports_inside_tinyres_are_only_the_lazy_kernel_tables(graph):
    late = {(e.source, e.target) for e in graph.late(internal=True)}
    assert late == ALLOWED_LATE


def test_late_imports_of_outside_packages_are_optional_or_costly_ones(graph):
    assert {e.target for e in graph.late(internal=False)} <= OPTIONAL


def test_the_tool_finds_a_cycle_an_upward_import_and_a_late_import(tmp_path):
    """The checks above could pass by finding nothing: a made-up tree shows they find things."""
    (tmp_path / "tinyres").mkdir()
    (tmp_path / "kernels").mkdir()
    (tmp_path / "tinyres" / "__init__.py").write_text("")
    (tmp_path / "tinyres" / "a.py").write_text("from . import b\n")
    (tmp_path / "tinyres" / "b.py").write_text("def f():\n    from . import a\n")
    (tmp_path / "kernels" / "__init__.py").write_text("")
    (tmp_path / "kernels" / "k.py").write_text("from tinyres.b import f\n")
    made_up = import_graph.build(str(tmp_path))
    assert made_up.cycles() == [["tinyres.a", "tinyres.b"]]
    assert [(e.source, e.target) for e in made_up.upward()] == [("tinyres.kernels.k",
                                                                 "tinyres.b")]
    assert [(e.source, e.target, e.line) for e in made_up.late()] == [("tinyres.b", "tinyres.a",
                                                                       2)]
