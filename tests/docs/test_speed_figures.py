"""The speed figures the README quotes are those of the committed benchmark runs
(benchmarks/results/models-run{23..28}.json, the fifth round's, written by `python -m
benchmarks.bench_models --json ...`): medians of the six runs' ratios, and the range of the
memory ratios; and the degradation experiment's wall time (benchmarks/results/
degradation-one-seed.json, its /usr/bin/time); the default recipe's two runs
(benchmarks/results/train-run5.json and train-run6.json, bench_train --json).
The runs themselves are timings and stay out of the tests."""
import json
import os
import statistics

from tests.helpers.paths import ROOT

RESULTS = os.path.join(ROOT, "benchmarks", "results")
README = os.path.join(ROOT, "README.md")
QUOTED = {  # case -> how the README's Speed section names it
    "cifar_resnet56-train": "CIFAR ResNet-56 training {}",
    "cifar_resnet20-train": "CIFAR ResNet-20 training {} (32x32)",
    "cifar_resnet20-28-train": "and {} (28x28)",
    "resnet50-train": "ResNet-50 training {}",
    "resnet18-train": "ResNet-18 training {}",
    "resnet50-forward": "ResNet-50 inference {}",
    "resnet18-forward": "ResNet-18 inference {}",
}


RUNS = (23, 24, 25, 26, 27, 28)  # those of the code the README describes (1-22: earlier code)


def _runs():
    runs = []
    for i in RUNS:
        with open(os.path.join(RESULTS, f"models-run{i}.json"), encoding="utf-8") as f:
            runs.append({row["name"]: row for row in json.load(f)["rows"]})
    return runs


def test_the_readme_quotes_the_median_ratio_of_the_committed_runs():
    runs = _runs()
    with open(README, encoding="utf-8") as f:
        text = " ".join(f.read().split())
    for case, phrase in QUOTED.items():
        median = statistics.median(run[case]["ratio"] for run in runs)
        assert phrase.format(f"{median:.2f}") in text, (case, median)
    memory = [statistics.median(run[case]["peak_mb"]["tinyres"] / run[case]["peak_mb"]["torch"]
                                for run in runs) for case in QUOTED]
    assert max(memory) < 1
    assert f"less memory in every case ({min(memory):.2f}-{max(memory):.2f}x" in text


def test_the_readme_quotes_the_recorded_degradation_wall_time():
    with open(os.path.join(RESULTS, "degradation-one-seed.json"), encoding="utf-8") as f:
        run = json.load(f)
    assert run["seeds"] == [0] and run["recipe"]["iterations"] == 900
    # the wall time covers both workers' models: at least the slower worker's training
    assert run["wall_seconds"] >= max(
        run["models"]["cifar_resnet20"]["seconds"] + run["models"]["cifar_resnet56"]["seconds"],
        run["models"]["cifar_plain20"]["seconds"] + run["models"]["cifar_plain56"]["seconds"])
    with open(README, encoding="utf-8") as f:
        text = f.read()
    assert f"900 iterations per model: {run['wall_seconds'] / 60:.0f} min on 2 cores" in text


def _recipe_run(name):
    with open(os.path.join(RESULTS, name), encoding="utf-8") as f:
        run = json.load(f)
    seconds = [sum(e["seconds"] for e in run[side]) for side in ("tinyres", "torch")]
    return seconds, [run[side][-1]["test_accuracy"] for side in ("tinyres", "torch")]


def test_the_readme_quotes_the_committed_default_recipe_runs():
    (ours, theirs), accuracy = _recipe_run("train-run5.json")
    (ours2, theirs2), accuracy2 = _recipe_run("train-run6.json")
    with open(README, encoding="utf-8") as f:
        text = " ".join(f.read().split())
    assert f"took {ours:.1f} s against PyTorch's {theirs:.1f} s ({ours / theirs:.2f}x)" in text
    second = f"and {ours2:.1f} s against {theirs2:.1f} s ({ours2 / theirs2:.2f}x) in a second run"
    assert second in text
    assert len(set(accuracy + accuracy2)) == 1  # one accuracy quoted for both sides and runs
    assert f"{100 * accuracy[0]:.2f}% test accuracy on both sides" in text
