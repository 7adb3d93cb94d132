"""tinyres.models: the ImageNet ResNets (torchvision-exact), the CIFAR ResNets of He et al. 2015
and the plain twins of both. ``get(name, **kw)`` builds one by name; ``list_models()`` names them.
"""
from .cifar import (CifarResNet, cifar_plain20, cifar_plain32, cifar_plain44, cifar_plain56,
                    cifar_plain110, cifar_resnet20, cifar_resnet32, cifar_resnet44,
                    cifar_resnet56, cifar_resnet110, cifar_resnet1202)
from .resnet import (BasicBlock, Bottleneck, ResNet, plain18, plain34, resnet18, resnet34,
                     resnet50, resnet101, resnet152)

MODELS = {
    builder.__name__: builder
    for builder in (
        resnet18, resnet34, resnet50, resnet101, resnet152, plain18, plain34,
        cifar_resnet20, cifar_resnet32, cifar_resnet44, cifar_resnet56, cifar_resnet110,
        cifar_resnet1202, cifar_plain20, cifar_plain32, cifar_plain44, cifar_plain56,
        cifar_plain110,
    )
}


def list_models():
    """The names get() accepts."""
    return list(MODELS)


def get(name, **kwargs):
    """Build the model called name, e.g. get('cifar_resnet20', num_classes=10)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return MODELS[name](**kwargs)


__all__ = ["BasicBlock", "Bottleneck", "CifarResNet", "ResNet", "get", "list_models"] + list(MODELS)
