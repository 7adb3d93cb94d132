"""benchmarks/degradation.py --quick: the whole pipeline (two worker processes, merged csv, json,
picture) on a tiny budget; and the budget arithmetic."""
import csv
import json
import os
import subprocess
import sys

import pytest

from benchmarks.degradation_recipe import (FULL, MODELS, predicted_seconds,
                                           split_models)
from tinyres.data import mnist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.skipif(not mnist.available(), reason=f"mnist5k needs: {mnist.DOWNLOAD}")
def test_quick_run_writes_csv_json_and_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the picture needs: pip install matplotlib")
    done = subprocess.run([sys.executable, "-m", "benchmarks.degradation", "--quick", "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "degradation.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["model", "iteration", "train_error", "test_error"]
    assert [(r["model"], int(r["iteration"])) for r in rows] == [
        (m, i) for m in MODELS for i in (1, 2)]
    assert all(0 <= float(r[k]) <= 1 for r in rows for k in ("train_error", "test_error"))
    summary = json.loads((tmp_path / "degradation.json").read_text())
    assert set(summary["models"]) == set(MODELS) and summary["recipe"]["iterations"] == 2
    assert (tmp_path / "degradation.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(tmp_path)) == ["degradation.csv", "degradation.json",
                                            "degradation.png"]


def test_the_full_budget_fits_in_45_minutes_with_one_20_and_one_56_layer_net_per_worker():
    groups = split_models(MODELS, 2)
    assert sorted(len(g) for g in groups) == [2, 2]
    assert all({n[-2:] for n in g} == {"20", "56"} for g in groups)
    assert predicted_seconds(FULL, groups) < 40 * 60  # a margin under 45 minutes
