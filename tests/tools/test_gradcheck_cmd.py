"""`tinyres gradcheck MODEL --layers PATTERN`: only the parameters whose names match are checked,
the time taken is reported, and a pattern that matches nothing is one clear line (exit 2)."""
import re

from tinyres.cli import main
from tinyres.gradcheck_model import matching


def checked_names(out):
    return re.findall(r"^(\S+) +\(", out, flags=re.M)


def test_layers_checks_only_the_matching_parameters_and_reports_the_time(capsys):
    assert main(["gradcheck", "cifar_resnet20", "--elements", "1",
                 "--layers", "layer1.0.bn*, input"]) == 0
    out = capsys.readouterr().out
    assert checked_names(out) == ["input", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
                                  "layer1.0.bn2.weight", "layer1.0.bn2.bias"]
    assert re.search(r"^5 tensors checked in \d+\.\d s, worst relative error .*: all gradients"
                     r" agree$", out, flags=re.M)


def test_a_pattern_that_matches_nothing_is_one_line_listing_some_names(capsys):
    assert main(["gradcheck", "cifar_resnet20", "--layers", "layer1.0.*,layer9.*"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and not captured.out
    assert "--layers 'layer9.*' matches no parameter of cifar_resnet20; names look like:" \
           " conv1.weight, bn1.weight, bn1.bias, layer1.0.conv1.weight" in err


def test_matching_is_fnmatch_on_whole_names():
    names = ["layer1.0.conv1.weight", "layer1.1.conv1.weight", "layer10.0.bn1.bias", "fc.bias"]
    assert matching(names, ["layer1.0.*"]) == names[:1]
    assert matching(names, ["layer1.?.conv1.*", "fc.*"]) == names[:2] + names[3:]
    assert matching(names, ["conv1"]) == []  # whole names: use *conv1* for a part


def _kinked_model(bias):
    """x (1, 1) -> Linear(1, 1) -> ReLU -> Linear(1, 2): the ReLU input is w * 1 + bias."""
    import numpy as np

    from tinyres import nn
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 2)).double()
    model.load_state_dict({"0.weight": np.array([[1.0]]), "0.bias": np.array([bias]),
                           "2.weight": np.array([[1.0], [-2.0]]), "2.bias": np.zeros(2)})
    return model


def test_a_relu_kink_within_the_step_is_measured_again_and_a_wrong_backward_still_fails():
    import tinyres
    from tinyres.gradcheck_model import check_model
    x = tinyres.tensor([[1.0]], dtype="float64", requires_grad=True)
    y = tinyres.tensor([0])
    # the ReLU input is 1 + (-1 + 3e-7) = 3e-7: a step of 1e-6 on the first weight crosses 0
    rows = {r["name"]: r for r in check_model(_kinked_model(-1 + 3e-7), x, y, eps=1e-6)}
    assert rows["0.weight"]["retried"] == 1 and rows["0.weight"]["ok"]
    assert all(r["ok"] for r in rows.values())
    # a wrong backward disagrees at every step: doubling a gradient is caught, not excused
    model = _kinked_model(-1 + 3e-7)
    model[0].weight.register_hook(lambda g: g * 2)
    rows = {r["name"]: r for r in check_model(model, x, y, eps=1e-6)}
    assert not rows["0.weight"]["ok"]  # re-measured too, and still off by 2x
