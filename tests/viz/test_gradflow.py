"""`tinyres gradflow` and plot_gradient_flow: a PNG comparing models, the numbers as JSON, and a
clear error naming `pip install matplotlib` where matplotlib is missing."""
import json
import sys

import pytest

from tinyres.cli import main

ARGS = ["gradflow", "--models", "cifar_resnet20,cifar_plain20", "--data", "random",
        "--batch-size", "2"]


def test_gradflow_writes_a_png_and_json(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="pictures need: pip install matplotlib")
    png, numbers = tmp_path / "flow.png", tmp_path / "flow.json"
    assert main(ARGS + ["--out", str(png), "--json", str(numbers), "--table"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    flows = json.loads(numbers.read_text())
    assert [f["model"] for f in flows] == ["cifar_resnet20", "cifar_plain20"]
    assert len(flows[0]["blocks"]) == 9 and len(flows[0]["layers"]) == 20
    out = capsys.readouterr().out
    assert "cifar_plain20: loss" in out and "layer3.2" in out and f"wrote {png}" in out


def test_gradflow_options_and_errors(tmp_path, capsys, monkeypatch):
    assert main(["gradflow", "--models", "cifar_resnet21", "--out", "x.png"]) == 2
    assert "--models: unknown model 'cifar_resnet21'" in capsys.readouterr().err
    assert main(["gradflow", "--models", "resnet18", "--no-batchnorm"]) == 2
    assert "--no-batchnorm applies to the CIFAR models" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    assert main(ARGS + ["--out", str(tmp_path / "f.png"), "--no-batchnorm",
                        "--zero-init-residual"]) == 2
    err = capsys.readouterr().err
    assert "needs matplotlib" in err and "pip install matplotlib" in err


def test_log_axes_keep_flat_lines_flat_and_zeros_visible():
    from tinyres.viz import log_axis
    flat = [4.322e-3] * 26 + [4.322e-3 * (1 + 4e-16)]
    assert log_axis.decades(flat) == (-3, -2)  # a whole decade, not a band of rounding noise
    assert log_axis.layout(flat) == (1e-3, 1e-2, None)
    assert "is 0.004322 at all 27 points" in log_axis.flat_note(flat, "|dL/dx|")
    assert log_axis.flat_note([1.0, 2.0], "x") is None
    bottom, top, floor = log_axis.layout([0.0, 0.1064, 0.2429, 0.0])
    assert floor == pytest.approx(1e-2) and bottom < floor and top == 1.0


def test_gradflow_compares_post_and_pre_activation(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="pictures need: pip install matplotlib")
    out = tmp_path / "pre.png"
    assert main(["gradflow", "--models", "cifar_resnet20,cifar_preact_resnet20", "--data",
                 "random", "--batch-size", "2", "--out", str(out), "--table"]) == 0
    text = capsys.readouterr().out
    assert "cifar_preact_resnet20: loss" in text and out.exists()
    assert main(["gradflow", "--models", "cifar_preact_resnet20", "--no-batchnorm"]) == 2
    assert "not cifar_preact_resnet20" in capsys.readouterr().err
