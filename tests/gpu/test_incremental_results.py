"""The pytest plugin that gpu_check.sh runs its tests with (tests/helpers/incremental_results.py):
a JSON line per test on disk as soon as the test ends, and a time limit per test."""
import json
import os
import subprocess
import sys

from tests.helpers.paths import ROOT

SAMPLE = '''
import time
import pytest

def test_passes():
    pass

def test_fails():
    assert 1 == 2, "one is not two"

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_hangs():
    time.sleep(30)
'''


def test_each_test_gets_a_line_and_a_hung_test_times_out(tmp_path):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    results = tmp_path / "results.jsonl"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "tests.helpers.incremental_results", "--results-jsonl", str(results),
         "--results-step", "sample", "--test-timeout", "1", str(tmp_path / "test_sample.py")],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr  # a failure and a time-out
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    outcomes = {line["test"].split("::")[1]: line for line in lines}
    assert {name: line["outcome"] for name, line in outcomes.items()} == {
        "test_passes": "passed", "test_fails": "failed", "test_skipped": "skipped",
        "test_hangs": "failed"}
    assert "one is not two" in outcomes["test_fails"]["message"]
    assert outcomes["test_skipped"]["message"].endswith("not today")
    assert "ran longer than --test-timeout=1 s" in outcomes["test_hangs"]["message"]
    assert outcomes["test_hangs"]["seconds"] < 10
    assert {line["step"] for line in lines} == {"sample"}
