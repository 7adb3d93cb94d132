"""benchmarks/gpu_check.sh, the script of the one short GPU slot: its time limits fit the slot
(CI runs the script itself on the CPU shim: .ci/run), the benchmarks come before the tests, and
its report reads what the steps wrote, also after a step was cut short."""
import json
import os
import re
import subprocess
import sys

from tests.helpers.paths import ROOT

SCRIPT = open(os.path.join(ROOT, "benchmarks", "gpu_check.sh"), encoding="utf-8").read()


def _limits(mode):
    """({step: cap}, budget) of one mode: the script sets the GPU's first, then the shim's."""
    index = ("gpu", "shim").index(mode)
    block = re.findall(r"CAP=\((.*?)\)", SCRIPT, re.S)[index]
    budget = re.findall(r"^\s*BUDGET=(\d+)", SCRIPT, re.M)[index]
    return {k: int(v) for k, v in re.findall(r"\[(\w+)\]=(\d+)", block)}, int(budget)


def test_the_limits_fit_the_slot():
    for mode, longest in (("gpu", 7 * 60), ("shim", 5 * 60)):  # 15-min slot; CI: 5 min
        caps, budget = _limits(mode)
        assert set(caps) == {"environment", "install", "ready", "model", "kernels",
                             "kernel_tests", "op_tests", "summary"}
        assert sum(caps.values()) <= budget, mode  # every step gets its whole limit
        assert budget + 10 <= longest, mode  # the end: the budget, the summary's kill-after
    gpu_end_minutes = (_limits("gpu")[1] + 10) / 60
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    claimed = float(re.search(r"never more than ([\d.]+) minutes", readme).group(1))
    assert gpu_end_minutes <= claimed < gpu_end_minutes + 0.5  # the README's figure


def test_the_benchmarks_run_before_the_tests_and_a_failed_setup_stops_the_run():
    order = [SCRIPT.index(f'step "{name}"') for name in (
        "install", "ready", "model benchmark", "kernel benchmark", "kernel tests", "op tests")]
    assert order == sorted(order)
    assert '|| stop "pip install -e . failed"' in SCRIPT
    assert "PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INDEX=1" in SCRIPT


def test_the_summary_reports_what_a_cut_run_wrote(tmp_path):
    (tmp_path / "steps.jsonl").write_text(
        json.dumps({"step": "kernel tests", "limit_s": 45, "seconds": 45, "exit": 124,
                    "result": "TIMED OUT after 45s"}) + "\n")
    (tmp_path / "tests.jsonl").write_text("\n".join(json.dumps(line) for line in (
        {"step": "kernels", "test": "t.py::a", "when": "call", "outcome": "passed"},
        {"step": "kernels", "test": "t.py::b", "when": "call", "outcome": "failed",
         "message": "assert 1 == 2"})) + '\n{"step": "kernels", "te')  # a line cut by the kill
    run = subprocess.run([sys.executable, "-m", "benchmarks.gpu_check_summary", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "TIMED OUT after 45s" in run.stdout
    assert "tests, kernels: 1 failed, 1 passed" in run.stdout
    assert "FAILED t.py::b (call): assert 1 == 2" in run.stdout
    assert "model step: no result" in run.stdout
