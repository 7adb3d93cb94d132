"""The CIFAR-10 ResNets of He et al. 2015, section 4.2, and their plain twins.

6n + 2 layers: a 3x3 conv with 16 filters, three stages of n BasicBlocks at 16/32/64 filters on
32x32/16x16/8x8 maps (stride 2 in the first conv of stages 2 and 3), global average pooling and
a linear layer. Shortcuts (section 3.3): option "A" is the identity, zero-padded with extra
channels and subsampled where the shape changes (no parameters); option "B" projects with a
1x1 convolution + BN where the shape changes. Depths 20/32/44/56/110/1202 give n = 3/5/7/9/18/200.
"""
from .. import functional as F
from .. import nn
from .fused import bn_relu
from .resnet import BasicBlock, conv1x1, conv3x3, init_resnet


class PadShortcut(nn.Module):
    """Option A: (N, C, H, W) -> (N, C + 2 * pad, H / 2, W / 2) by taking every second pixel and
    adding `pad` all-zero channels on each side."""

    def __init__(self, pad):
        super().__init__()
        self.pad = pad

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))

    def extra_repr(self):
        return f"pad={self.pad}"


class CifarResNet(nn.Module):
    """(N, in_channels, H, W) -> (N, num_classes); residual=False builds the plain twin and
    batchnorm=False leaves normalisation out (the convolutions then get biases)."""

    def __init__(self, depth, num_classes=10, shortcut="A", zero_init_residual=False,
                 residual=True, batchnorm=True, in_channels=3):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110, ...),"
                             f" got {depth}")
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' (zero padding) or 'B' (projection),"
                             f" got {shortcut!r}")
        blocks = (depth - 2) // 6
        self.shortcut_option, self.residual = shortcut, residual
        self.norm = nn.BatchNorm2d if batchnorm else nn.Identity
        self.inplanes = 16
        self.conv1 = conv3x3(in_channels, 16, bias=not batchnorm)
        self.bn1 = self.norm(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, blocks, 1)
        self.layer2 = self._make_layer(32, blocks, 2)
        self.layer3 = self._make_layer(64, blocks, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)
        init_resnet(self, zero_init_residual)

    def _shortcut(self, planes, stride):
        if not self.residual or (stride == 1 and self.inplanes == planes):
            return None
        if self.shortcut_option == "A":
            return PadShortcut((planes - self.inplanes) // 2)
        return nn.Sequential(conv1x1(self.inplanes, planes, stride), self.norm(planes))

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for i in range(blocks):
            s = stride if i == 0 else 1
            layers.append(BasicBlock(self.inplanes, planes, s, self._shortcut(planes, s),
                                     self.residual, self.norm))
            self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = bn_relu(self.bn1, self.relu, self.conv1(x))  # relu(bn1(conv1(x))): (N, 16, H, W)
        x = self.layer3(self.layer2(self.layer1(x)))  # (N, 64, H/4, W/4)
        return self.fc(F.flatten(self.avgpool(x), 1))


def cifar_resnet20(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                   in_channels=3):
    """ResNet-20 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(20, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_resnet32(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                   in_channels=3):
    """ResNet-32 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(32, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_resnet44(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                   in_channels=3):
    """ResNet-44 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(44, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_resnet56(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                   in_channels=3):
    """ResNet-56 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(56, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_resnet110(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                    in_channels=3):
    """ResNet-110 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(110, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_resnet1202(num_classes=10, shortcut="A", zero_init_residual=False, batchnorm=True,
                     in_channels=3):
    """ResNet-1202 for 32x32 images (He et al. 2015, section 4.2)."""
    return CifarResNet(1202, num_classes, shortcut, zero_init_residual, True, batchnorm,
                       in_channels)


def cifar_plain20(num_classes=10, batchnorm=True, in_channels=3):
    """The 20-layer plain net: ResNet-20 without skip connections."""
    return CifarResNet(20, num_classes, "A", False, False, batchnorm, in_channels)


def cifar_plain32(num_classes=10, batchnorm=True, in_channels=3):
    """The 32-layer plain net: ResNet-32 without skip connections."""
    return CifarResNet(32, num_classes, "A", False, False, batchnorm, in_channels)


def cifar_plain44(num_classes=10, batchnorm=True, in_channels=3):
    """The 44-layer plain net: ResNet-44 without skip connections."""
    return CifarResNet(44, num_classes, "A", False, False, batchnorm, in_channels)


def cifar_plain56(num_classes=10, batchnorm=True, in_channels=3):
    """The 56-layer plain net: ResNet-56 without skip connections."""
    return CifarResNet(56, num_classes, "A", False, False, batchnorm, in_channels)


def cifar_plain110(num_classes=10, batchnorm=True, in_channels=3):
    """The 110-layer plain net: ResNet-110 without skip connections."""
    return CifarResNet(110, num_classes, "A", False, False, batchnorm, in_channels)
