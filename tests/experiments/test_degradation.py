"""benchmarks/experiments/degradation.py --quick: the whole pipeline (two worker processes,
merged csv, json, picture) on a tiny budget; and the budget arithmetic."""
import csv
import json
import os
import subprocess
import sys

import pytest

from benchmarks.experiments.degradation_recipe import (FULL, MODELS, predicted_seconds,
                                                       split_models)
import tinyres
from tinyres.data import mnist
from tests.helpers.paths import ROOT

@pytest.mark.skipif(not mnist.available(), reason=f"mnist5k needs: {mnist.DOWNLOAD}")
def test_quick_run_over_two_seeds_writes_csv_json_and_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the picture needs: pip install matplotlib")
    weights = tmp_path.parent / "weights"
    done = subprocess.run([sys.executable, "-m", "benchmarks.experiments.degradation", "--quick",
                           "--out", str(tmp_path), "--seeds", "0", "1", "--save-dir",
                           str(weights)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "seeds: [0, 1]" in done.stdout
    with open(tmp_path / "degradation.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["model", "seed", "iteration", "train_error", "test_error"]
    assert [(r["model"], int(r["seed"]), int(r["iteration"])) for r in rows] == [
        (m, s, i) for m in MODELS for s in (0, 1) for i in (1, 2)]
    assert all(0 <= float(r[k]) <= 1 for r in rows for k in ("train_error", "test_error"))
    summary = json.loads((tmp_path / "degradation.json").read_text())
    assert set(summary["models"]) == set(MODELS) and summary["recipe"]["iterations"] == 2
    assert summary["seeds"] == [0, 1]
    for model in summary["models"].values():
        finals = [run["test_error"] for run in model["per_seed"].values()]
        assert sorted(model["per_seed"]) == ["0", "1"]
        assert model["test_error"] == {"mean": sum(finals) / 2, "min": min(finals),
                                       "max": max(finals)}
    assert (tmp_path / "degradation.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(os.listdir(tmp_path)) == ["degradation.csv", "degradation.json",
                                            "degradation.png"]
    # --save-dir: every trained model, for `tinyres lesion --checkpoints`
    assert sorted(os.listdir(weights)) == sorted(f"{m}-seed{s}.npz" for m in MODELS for s in (0, 1))
    state = tinyres.load(str(weights / "cifar_resnet20-seed1.npz"))
    model = tinyres.models.get("cifar_resnet20", num_classes=10, in_channels=1)
    model.load_state_dict(state)


def test_bands_are_the_mean_min_and_max_over_seeds(tmp_path):
    from benchmarks.experiments.degradation_plot import band, plot_csv, read_csv
    path = tmp_path / "d.csv"
    path.write_text("model,seed,iteration,train_error,test_error\n"
                    "cifar_plain20,0,1,0.5,0.4\ncifar_plain20,0,2,0.3,0.2\n"
                    "cifar_plain20,1,1,0.7,0.6\ncifar_plain20,1,2,0.1,0.1\n"
                    "cifar_plain20,2,1,0.6,0.5\n")  # seed 2 stopped after iteration 1
    runs = read_csv(path)["cifar_plain20"]
    iterations, mean, low, high = band(runs, "test_error")
    assert iterations == [1] and low == [40.0] and high == [60.0]
    assert mean == [pytest.approx(50.0)]
    old = tmp_path / "one.csv"  # a csv of one run, written before seeds existed
    old.write_text("model,iteration,train_error,test_error\ncifar_resnet20,1,0.5,0.25\n")
    assert band(read_csv(old)["cifar_resnet20"], "test_error") == ([1], [25.0], [25.0], [25.0])
    pytest.importorskip("matplotlib", reason="the picture needs: pip install matplotlib")
    assert plot_csv(path, tmp_path / "d.png") == tmp_path / "d.png"


def test_the_full_budget_fits_in_45_minutes_with_one_20_and_one_56_layer_net_per_worker():
    groups = split_models(MODELS, 2)
    assert sorted(len(g) for g in groups) == [2, 2]
    assert all({n[-2:] for n in g} == {"20", "56"} for g in groups)
    assert predicted_seconds(FULL, groups) < 40 * 60  # a margin under 45 minutes
