"""`tinyres explain`: the backward walk through one block in visiting order, the addition handing
one gradient to both paths, the numerical split check, and the zero-initialised identity."""
import re

from tinyres.cli import main


def test_explain_walks_the_block_and_checks_the_maths(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    steps = re.findall(r"^\s+(\d+)  (.{24}) (\S+)", out, flags=re.M)
    names = [name.strip() for _, name, _ in steps]
    assert names[0] == "L" and names[-1] == "x (the block's input)" and "?" not in names
    assert names[1] == "y * r"
    assert names.index("z = f + x") < names.index("f = F(x) = bn2(...)") < names.index("conv1(.)")
    assert {"conv1.weight", "bn2.bias"} <= set(names)
    assert [int(step) for step, _, _ in steps] == list(range(1, len(steps) + 1))
    assert "max |dL/df - dL/dz| = 0.0e+00" in out
    assert re.search(r"dL/dx from backward\(\).*max \|difference\| = 0\.0e\+00", out)
    assert "max |F(x)|          = 0.0e+00" in out and "max |y - x|         = 0.0e+00" in out
    assert re.search(r"where x > 0:  max \|dL/dx - dL/dy\| = 0\.0e\+00", out)
    assert re.search(r"where x = 0:  max \|dL/dx\| = 0\.0e\+00", out)
    assert "all-zero gradient: conv1.weight, bn1.weight, bn1.bias, conv2.weight." in out
    # every op names the kernel functions its backward called; the sum at x is autograd's
    kernels = re.findall(r"^\s+kernels: (.*)$", out, flags=re.M)
    assert len(kernels) == len([n for n in names if "weight" not in n and "bias" not in n]) - 1
    assert "conv2d_backward_data, conv2d_backward_weight" in out
    assert re.search(r"autograd summed two gradients of one input: kernels/cpu/\S+: add", out)


def test_explain_takes_sizes_and_refuses_bad_ones(capsys):
    assert main(["explain", "--channels", "3", "--size", "2", "--seed", "5"]) == 0
    assert "(2, 3, 2, 2)" in capsys.readouterr().out
    assert main(["explain", "--batch", "1", "--size", "1"]) == 2
    assert "train-mode batch norm needs two values" in capsys.readouterr().err
