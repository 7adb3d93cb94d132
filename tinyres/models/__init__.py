"""tinyres.models: the ImageNet ResNets (torchvision-exact), the CIFAR ResNets of He et al. 2015,
the plain twins of both, the pre-activation ResNets of He et al. 2016 and VGG-16/19.
``get(name, **kw)`` builds one by name; ``list_models()`` names them; ``info(name)`` says what a
model is (family, input size, options; see registry.py). Every block of every ResNet is a
ResidualBlock (residual.py): y = post_activation(branch(x) + shortcut(x)).
"""
from .cifar import (CifarResNet, cifar_plain20, cifar_plain32, cifar_plain44, cifar_plain56,
                    cifar_plain110, cifar_resnet20, cifar_resnet32, cifar_resnet44,
                    cifar_resnet56, cifar_resnet110, cifar_resnet1202)
from .preact import (CifarPreActResNet, PreActBlock, PreActBottleneck, PreActResNet,
                     cifar_preact_resnet20, cifar_preact_resnet32, cifar_preact_resnet44,
                     cifar_preact_resnet56, cifar_preact_resnet110, cifar_preact_resnet164,
                     preact_resnet18, preact_resnet34, preact_resnet50)
from .registry import FAMILIES, ModelInfo, Registry
from .residual import ResidualBlock
from .resnet import (BasicBlock, Bottleneck, ResNet, plain18, plain34, resnet18, resnet34,
                     resnet50, resnet101, resnet152)
from .vgg import VGG, vgg16, vgg19

REGISTRY = Registry()
REGISTRY.add("resnet", resnet18, resnet34, resnet50, resnet101, resnet152)
REGISTRY.add("plain", plain18, plain34)
REGISTRY.add("cifar_resnet", cifar_resnet20, cifar_resnet32, cifar_resnet44, cifar_resnet56,
             cifar_resnet110, cifar_resnet1202)
REGISTRY.add("cifar_plain", cifar_plain20, cifar_plain32, cifar_plain44, cifar_plain56,
             cifar_plain110)
REGISTRY.add("cifar_preact", cifar_preact_resnet20, cifar_preact_resnet32, cifar_preact_resnet44,
             cifar_preact_resnet56, cifar_preact_resnet110, cifar_preact_resnet164)
REGISTRY.add("preact", preact_resnet18, preact_resnet34, preact_resnet50)
REGISTRY.add("vgg", vgg16, vgg19)
MODELS = {name: info.builder for name, info in REGISTRY.models.items()}


def list_models(family=None):
    """The names get() accepts (those of one family when given)."""
    return REGISTRY.names(family)


def get(name, **kwargs):
    """Build the model called name, e.g. get('cifar_resnet20', num_classes=10)."""
    return REGISTRY.build(name, **kwargs)


def info(name):
    """What the model called name is: a ModelInfo (family, input_size, small_input, options)."""
    return REGISTRY.info(name)


__all__ = (["BasicBlock", "Bottleneck", "CifarPreActResNet", "CifarResNet", "FAMILIES",
            "ModelInfo", "PreActBlock", "PreActBottleneck", "PreActResNet", "ResNet",
            "ResidualBlock", "VGG", "get", "info", "list_models"] + list(MODELS))
