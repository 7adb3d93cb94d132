"""Which registered model a state_dict belongs to, so that a wrong checkpoint gets one clear line:
"this checkpoint holds cifar_resnet20, not cifar_resnet56", not two hundred key names.

Building every registered model to compare with would take seconds (the ImageNet ResNets
initialise millions of weights), so the depth is read from the key names first: blocks per stage
(`layerS.B.` prefixes), two or three convolutions per block (bottlenecks have `conv3`), plus the
stem and the classifier. Only the registered names of that depth (a ResNet and its plain twin)
are built and compared key by key and shape by shape; a state_dict that matches none of them is
not named.
"""
import re

from ..wording import some_of
from . import get, info, list_models

BLOCK_KEY = re.compile(r"^layer(\d+)\.(\d+)\.")
OPTION_KEYS = ("fc.", "conv1.weight")  # their shapes depend on num_classes and in_channels


def _shapes(state_dict):
    """{key: shape} of a state_dict whose values are arrays or Tensors."""
    return {key: tuple(getattr(value, "shape", ())) for key, value in state_dict.items()}


def candidates(keys):
    """Registered names whose depth fits these state_dict keys (no model is built)."""
    blocks = {}
    for key in keys:
        match = BLOCK_KEY.match(key)
        if match:
            stage, index = int(match[1]), int(match[2])
            blocks[stage] = max(blocks.get(stage, 0), index + 1)
    if not blocks:
        return []
    convs = 3 if any(".conv3." in key for key in keys) else 2
    depth = convs * sum(blocks.values()) + 2  # + the stem convolution and the classifier
    family = ("cifar_resnet", "cifar_plain") if len(blocks) == 3 else ("resnet", "plain")
    return [name for name in (f"{family[0]}{depth}", f"{family[1]}{depth}")
            if name in list_models()]


def _build_like(name, shapes):
    """The registered model `name` with the state_dict's classes, channels and options."""
    kwargs, model = {}, info(name)
    if "fc.weight" in shapes and len(shapes["fc.weight"]) == 2:
        kwargs["num_classes"] = shapes["fc.weight"][0]
    if model.takes("in_channels") and "conv1.weight" in shapes \
            and len(shapes["conv1.weight"]) == 4:
        kwargs["in_channels"] = shapes["conv1.weight"][1]
    if model.takes("batchnorm"):
        kwargs["batchnorm"] = "bn1.weight" in shapes
    if model.takes("shortcut") and any(".downsample." in key for key in shapes):
        kwargs["shortcut"] = "B"
    return get(name, **kwargs)


def identify(state_dict):
    """The registered model names whose state_dict has exactly these keys and shapes (a ResNet
    and its plain twin can both fit: they have the same parameters)."""
    shapes = _shapes(state_dict)
    found = []
    for name in candidates(list(shapes)):
        try:
            theirs = _shapes(_build_like(name, shapes).state_dict())
        except (TypeError, ValueError):  # options this model does not take
            continue
        if theirs.keys() == shapes.keys() and all(
                theirs[k] == shapes[k] for k in shapes if not k.startswith(OPTION_KEYS)):
            found.append(name)
    return found


def mismatch(state_dict, model, wanted=None, recorded=None):
    """None when state_dict has exactly model's keys and the names (when both are known) agree;
    else one line saying which model the checkpoint holds (`recorded`, the name it was saved
    with, else identified from its keys), which one was asked for (`wanted`, else identified)
    and a few of the differing keys."""
    recorded = recorded if isinstance(recorded, str) else None
    expected = model.state_dict()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    other_name = recorded is not None and wanted is not None and recorded != wanted
    if not missing and not unexpected and not other_name:  # a plain twin has the same keys
        return None
    holds = recorded or " or ".join(identify(state_dict))
    wanted = wanted or " or ".join(identify(expected))
    details = []
    if missing:
        details.append(f"{len(missing)} of the model's keys missing ({some_of(missing)})")
    if unexpected:
        details.append(f"{len(unexpected)} unexpected keys ({some_of(unexpected)})")
    if holds and wanted and holds != wanted:
        head = f"this checkpoint holds {holds}, not {wanted}"
    else:
        head = f"this checkpoint's keys do not fit {wanted or 'the model'}"
    return head + (f": {'; '.join(details)}" if details else "")
