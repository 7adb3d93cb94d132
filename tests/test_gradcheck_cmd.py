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
