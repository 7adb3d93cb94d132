"""The benchmark harness (benchmarks/ and `tinyres bench`): fast smoke tests, no timings
asserted. The benchmarks themselves compare against PyTorch and take minutes; they are run by
hand (see benchmarks/RESULTS.md)."""
import json

import pytest

from tinyres import cli
from tinyres.commands import bench_cmd


@pytest.fixture(scope="module")
def benchmarks():
    return bench_cmd._benchmarks_package()


def test_bench_command_lists_the_benchmarks(capsys):
    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    out = capsys.readouterr().out
    for name in ("conv", "batchnorm", "pool", "models", "profile", "train", "parity"):
        assert name in out


def test_compare_alternates_and_reports_medians(benchmarks):
    from benchmarks import timing
    calls = []
    result = timing.compare(lambda: calls.append("a"), lambda: calls.append("b"), repeat=3,
                            warmup=1, settle=False)
    assert calls == ["a", "b"] * 4
    assert set(result) == {"tinyres", "torch", "ratio", "samples"}
    assert len(result["samples"]["tinyres"]) == 3 and result["ratio"] > 0


def test_report_prints_a_table_and_writes_json_and_a_chart(benchmarks, tmp_path, capsys):
    from benchmarks import report
    rows = [{"name": "case", "tinyres": 0.002, "torch": 0.001, "ratio": 2.0, "flops": 4e6},
            {"name": "other", "tinyres": 0.001, "torch": 0.001, "ratio": 1.0}]
    report.table(rows, "title")
    out = capsys.readouterr().out
    assert "case" in out and "2.00" in out and "2.0" in out  # ratio and GFLOP/s
    report.write_json(tmp_path / "r.json", {"rows": rows})
    assert json.loads((tmp_path / "r.json").read_text())["rows"][0]["ratio"] == 2.0
    pytest.importorskip("matplotlib")
    report.bar_chart(tmp_path / "r.png", rows, "title")
    assert (tmp_path / "r.png").stat().st_size > 0


def test_report_gives_each_side_its_share_of_the_peak(benchmarks, capsys):
    from benchmarks import report
    rows = [{"name": "case", "tinyres": 0.002, "torch": 0.001, "ratio": 2.0, "flops": 4e8}]
    report.table(rows, "title", peak=400.0)  # 200 and 400 GFLOP/s: 50% and 100% of 400
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.split()[-2:] == ["50%", "100%"]


def test_fma_peak_calibration_counts_its_flops(benchmarks):
    from benchmarks import bench_peak
    assert bench_peak.fma_loop(0, 1.0) == 16 * bench_peak.CHAINS  # 16 lanes of 1.0 per chain
    assert bench_peak.gflops(1, iterations=100_000) > 1.0


def test_model_flops_count_forward_and_training(benchmarks):
    from benchmarks import workloads
    forward = workloads.flops("resnet18-forward")
    assert 2 * 1.8e9 * 8 < forward < 2 * 1.9e9 * 8  # ResNet-18: 1.82 GMACs per image
    assert 2.9 * forward < workloads.flops("resnet18-train") < 3 * forward


def test_conv_shape_lists_cover_the_models(benchmarks):
    from benchmarks import bench_conv, shapes
    assert sum(n for _, n in bench_conv.resnet50_convs()) == 53
    assert sum(n for _, n in bench_conv.resnet18_convs()) == 20
    assert sum(n for _, n in bench_conv.cifar_convs()) == 55
    assert sum(n for _, n in shapes.resnet50_batchnorms()) == 53
    assert sum(n for _, n in shapes.cifar_batchnorms()) == 55


def test_parity_report_names_every_kind_of_quantity(benchmarks, torch):
    from benchmarks import parity
    lines = parity.report("cifar_resnet20", size=8, n=2)
    assert len(lines) == 1 + 2 * 4 + 2    # eval logits; per dtype: logits, loss, gradient,
    errors = [float(line.split()[4]) for line in lines[:-2]]    # buffer; float32 vs float64
    assert all(float(line.split()[6]) < 1e-3 for line in lines[-2:])
    assert max(errors) < 1e-3 and "float64 train  gradient" in "\n".join(lines)
    assert parity.relative_error([1.0, 2.0], [1.0, 4.0]) == 0.5


def test_parity_over_sizes_prints_each_size_and_the_medians(benchmarks, torch):
    from benchmarks import parity
    lines = parity.size_report("cifar_resnet20", [8, 12, 16], n=2)
    assert len(lines) == 4 and "median over 3 sizes" in lines[-1]
    medians = [float(v) for v in lines[-1].split()[-3::2]]  # ours, torch
    assert all(0 < m < 1e-3 for m in medians)


def test_profiles_of_both_sides_find_the_convolutions(benchmarks, torch, monkeypatch):
    from benchmarks import profile_step, workloads
    monkeypatch.setitem(workloads.CASES, "tiny-train", ("cifar_resnet20", 2, 8, "train"))
    for result in (profile_step.profile("tiny-train", 1),
                   profile_step.profile_torch("tiny-train", 1)):
        convolutions = profile_step.convolution_seconds(result)
        assert 0 < convolutions < result["total"]
        assert sum(k["calls"] for name, k in result["kernels"].items() if "conv" in name) >= 19


def test_the_default_recipe_alternates_the_engines_epoch_by_epoch(benchmarks):
    from benchmarks import bench_train
    order = []

    class Recipe:
        def __init__(self, name):
            self.name = name

        def epoch(self, number):
            order.append((self.name, number))
            return {"epoch": number, "by": self.name}

    ours, theirs = bench_train.alternate(Recipe("tinyres"), Recipe("torch"), 4)
    assert order == [("tinyres", 1), ("torch", 1), ("torch", 2), ("tinyres", 2),
                     ("tinyres", 3), ("torch", 3), ("torch", 4), ("tinyres", 4)]
    assert [r["epoch"] for r in ours] == [1, 2, 3, 4] and {r["by"] for r in ours} == {"tinyres"}
    assert [r["epoch"] for r in theirs] == [1, 2, 3, 4] and {r["by"] for r in theirs} == {"torch"}


def test_the_recipe_profile_finds_the_convolutions_of_an_epoch(benchmarks, monkeypatch):
    from benchmarks import bench_train, profile_step
    import tinyres
    from tinyres.commands.common import build_model
    from tinyres.data import mnist
    if not mnist.available():
        pytest.skip(f"mnist5k needs: {mnist.DOWNLOAD}")

    class OneBatch(bench_train.TinyresRecipe):  # the recipe's loop on its first batches only
        def __init__(self, model, epochs):
            super().__init__(model, epochs)
            self.train = [batch for batch, _ in zip(self.train, range(2))]
            self.test = [batch for batch, _ in zip(self.test, range(1))]

    tinyres.manual_seed(0)
    recipe = OneBatch(build_model("cifar_resnet20", tinyres.data.dataset_info("mnist5k")), 2)
    result = profile_step.profile_run(profile_step._epochs(recipe), 1)
    assert 0 < profile_step.convolution_seconds(result) < result["total"]
    assert result["kernels"]["conv2d_forward"]["calls"] == 2 * 19 + 19


def test_the_switch_benchmark_alternates_steps_with_the_choice_on_and_off(benchmarks):
    from benchmarks import bench_switch
    from tinyres.kernels.cpu.fast import blas, conv, conv_direct_weight_oc
    from tinyres.models import fused
    seen = []
    seconds = bench_switch.alternate(lambda: seen.append(fused.ENABLED), repeat=3)
    assert seen == [False, True, True, False, False, True]  # who goes first swaps each round
    assert len(seconds[True]) == len(seconds[False]) == 3 and fused.ENABLED
    found = blas.AVAILABLE
    small = ((8, 256, 14, 14), (512, 256, 3, 3), (2, 2), (1, 1), "float32")  # a 7x7 output
    rule = conv._strided_by_output_channels(*small)

    def seen_with(switch, probe):
        seen = []
        bench_switch.alternate(lambda: seen.append(probe()), 1, switch)
        return dict(zip((False, True), seen))  # the first round runs off, then on
    assert seen_with("native-gemm", lambda: blas.AVAILABLE) == {False: False, True: found}
    assert seen_with("stem-rows", lambda: conv._weight_by_kernel_rows(
        (8, 3, 224, 224), (64, 3, 7, 7), (2, 2), (3, 3), "float32")) == {
            False: False, True: conv_direct_weight_oc.applies_rows(
                (8, 3, 224, 224), (64, 3, 7, 7), (2, 2), (3, 3), "float32")}
    strided = seen_with("strided-rows", lambda: conv._strided_by_output_channels(*small))
    assert strided[True] == rule  # on: the rule as it is (by output rows where they apply)
    assert strided[False] == conv.conv_direct_oc.applies(*small)  # off: the rule before
    assert blas.AVAILABLE == found and conv._strided_by_output_channels(*small) == rule
