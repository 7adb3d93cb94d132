"""tinyres.nn: Module and the layers a ResNet is made of, shaped like torch.nn."""
from . import init  # noqa: F401
from .activation import ReLU  # noqa: F401
from .batchnorm import BatchNorm2d  # noqa: F401
from .container import Flatten, Identity, Sequential  # noqa: F401
from .conv import Conv2d  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .linear import Linear  # noqa: F401
from .module import Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
