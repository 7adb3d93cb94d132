"""The hostile-file corpus (tests/helpers/hostile/): over a hundred crafted .pth, CIFAR-10 and
checkpoint files, each loaded in a child process whose address space is limited (a warm import plus
512 MiB), so that a file that would allocate a GiB fails there, and a file that crashes the
interpreter fails its own test here. Each must give exactly the expected one-line BadFileError
(or, for the controls, load exactly), without a signal and without growing the child's memory."""
import json
import sys

import pytest

from tests.helpers.hostile import corpus
from tests.helpers.hostile.case import Case

CASES = corpus.all_cases()
GROWTH_KB = 64 << 10  # what any one file may add to the child's peak memory


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return corpus.run(CASES, str(tmp_path_factory.mktemp("hostile")))


def test_the_corpus_is_large_and_names_are_unique():
    assert len(CASES) >= 40 and {c.loader for c in CASES} == {"pth", "cifar", "npz"}
    assert len({c.key for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_hostile_file(case, records):
    record = records[case.key]
    assert record["status"] != "crash", f"{case.key} crashed the interpreter: {record}"
    assert corpus.verdict(case, record) in ("ok", "clear"), (case.expect, record)
    assert record["maxrss_kb"] - record["baseline_kb"] < GROWTH_KB, record


def test_the_harness_sees_a_gib_allocation_fail_and_a_segfault_as_one_crash(tmp_path):
    """The limit is low enough that 1 GiB cannot be allocated, and a file that kills the child
    is reported as that file's crash while the files after it are still loaded."""
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps([["alloc", str(1 << 30)], ["segfault", "-"],
                                      ["alloc", "1000"]]))
    first, ready = corpus._child(str(cases_file), [0, 1, 2], 60)
    assert first[0]["type"] == "MemoryError" and 1 not in first and 2 not in first
    assert ready["limit"] < (1 << 30) + 1024 ** 3  # a warm import is well under a GiB
    again, _ = corpus._child(str(cases_file), [1], 60)
    assert again["rc"] == -11  # SIGSEGV, seen as a signal
    assert corpus._child(str(cases_file), [2], 60)[0][2]["status"] == "ok"


def test_a_case_writes_what_it_describes(tmp_path):
    case = Case("x", "pth", "x.bin", b"abc", ("error", "."))
    assert open(case.write(str(tmp_path)), "rb").read() == b"abc" and sys.executable
