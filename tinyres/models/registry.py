"""The model registry: every model name with its builder, family, input size and options.

Commands ask the registry what a model is (``info(name).takes('in_channels')``, its input size)
instead of guessing from its name. A new family is added here, once.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """name; builder(**options) -> Module; family (see FAMILIES); input_size: the images it is
    made for (224 ImageNet, 32 CIFAR); small_input: the smallest size that runs (for quick
    checks); check_input: the size gradient checks use (small, yet the last stage's batch norm
    averages over more than two values per channel); options: the keywords builder takes
    besides num_classes."""

    name: str
    builder: object
    family: str
    input_size: int
    small_input: int
    check_input: int
    options: tuple

    def takes(self, option):
        """True when the builder accepts the keyword `option`."""
        return option == "num_classes" or option in self.options


FAMILIES = {
    "resnet": "ResNets with ImageNet shapes, as torchvision (He et al. 2015)",
    "plain": "the ImageNet ResNets without their skip connections",
    "cifar_resnet": "the CIFAR ResNets of He et al. 2015, section 4.2",
    "cifar_plain": "the CIFAR ResNets without their skip connections",
    "cifar_preact": "pre-activation ResNets for CIFAR (He et al. 2016)",
    "preact": "pre-activation ResNets with ImageNet shapes (He et al. 2016)",
    "vgg": "VGG-16/19 as torchvision, without batch norm (Simonyan and Zisserman 2015)",
}
_SHAPES = {  # family -> (input_size, small_input, check_input, options)
    "resnet": (224, 32, 64, ("zero_init_residual",)),
    "plain": (224, 32, 64, ()),
    "cifar_resnet": (32, 8, 8, ("shortcut", "zero_init_residual", "batchnorm", "in_channels")),
    "cifar_plain": (32, 8, 8, ("batchnorm", "in_channels")),
    "cifar_preact": (32, 8, 8, ("shortcut", "in_channels")),
    "preact": (224, 32, 64, ()),
    "vgg": (224, 224, 224, ("dropout",)),
}


class Registry:
    """name -> ModelInfo, in the order models were added."""

    def __init__(self):
        self.models = {}

    def add(self, family, *builders):
        """Register builders (named by their __name__) as members of family."""
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {sorted(FAMILIES)}, got {family!r}")
        input_size, small_input, check_input, options = _SHAPES[family]
        for builder in builders:
            self.models[builder.__name__] = ModelInfo(builder.__name__, builder, family,
                                                      input_size, small_input, check_input,
                                                      options)

    def info(self, name):
        """The ModelInfo of name; ValueError listing the names when it is unknown."""
        if name not in self.models:
            raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(self.models)}")
        return self.models[name]

    def build(self, name, **kwargs):
        """The model called name, built with kwargs (each must be one of its options)."""
        info = self.info(name)
        wrong = [key for key in kwargs if not info.takes(key)]
        if wrong:
            raise ValueError(f"{name} takes no option {wrong[0]!r}; its options:"
                             f" {', '.join(('num_classes',) + info.options)}")
        return info.builder(**kwargs)

    def names(self, family=None):
        """Every name, or those of one family."""
        return [n for n, i in self.models.items() if family is None or i.family == family]
