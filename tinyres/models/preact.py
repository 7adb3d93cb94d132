"""Pre-activation ResNets (He, Zhang, Ren, Sun, "Identity Mappings in Deep Residual Networks",
ECCV 2016): BN and ReLU move from after the addition into the start of the branch,

    post-activation (2015):  x_{l+1} = relu(x_l + F(x_l)),   F = bn(conv(relu(bn(conv(.)))))
    pre-activation  (2016):  x_{l+1} = x_l + F(x_l),         F = conv(relu(bn(conv(relu(bn(.))))))

so nothing stands on the identity path: x_L = x_l + sum_{i=l}^{L-1} F_i(x_i) for any l < L, and
dL/dx_l = dL/dx_L + sum_i (dL/dx_{i+1}) dF_i/dx_i: the gradient of the top reaches every block
unchanged, plus branch terms. One BN + ReLU after the last block feeds the pooling.

Where the shape changes, the shortcut h(x) is option A (subsample + zero channels, no
parameters; the CIFAR default as in the 2015 CIFAR nets) or a 1x1 projection without BN, as in
He et al.'s code. Our projection sees the block's input x itself (their code projects
relu(bn1(x))): every block is then exactly y = F(x) + h(x), which is what the probes of
tinyres.viz split; the parameter count is the same. The stem (a 3x3 conv on CIFAR; 7x7 conv and
max-pool on ImageNet) has no BN-ReLU of its own: the first block's bn1 + ReLU follow it.
"""
from .. import functional as F
from .. import nn
from .cifar import PadShortcut
from .fused import bn_relu
from .residual import ResidualBlock
from .resnet import conv1x1, conv3x3, init_resnet


class PreActBlock(ResidualBlock):
    """y = x + conv2(relu(bn2(conv1(relu(bn1(x)))))), nothing after the addition;
    (N, inplanes, H, W) -> (N, planes, H/stride, W/stride)."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def branch(self, x):
        """The residual function F(x), starting with its own BN and ReLU; the shortcut is the
        identity, or option A's padding / a 1x1 projection where the shape changes, and nothing
        follows the addition: the identity path stays clean."""
        out = self.conv1(bn_relu(self.bn1, self.relu, x))  # conv1(relu(bn1(x)))
        return self.conv2(bn_relu(self.bn2, self.relu, out))


class PreActBottleneck(ResidualBlock):
    """BN-ReLU-1x1 reduce, BN-ReLU-3x3 (carrying the stride), BN-ReLU-1x1 expand by 4:
    (N, inplanes, H, W) -> (N, 4 * planes, H/stride, W/stride)."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.conv1 = conv1x1(inplanes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def branch(self, x):
        out = self.conv1(bn_relu(self.bn1, self.relu, x))  # conv1(relu(bn1(x)))
        out = self.conv2(bn_relu(self.bn2, self.relu, out))
        return self.conv3(bn_relu(self.bn3, self.relu, out))


class _PreActNet(nn.Module):
    """What both families share: stages of pre-activation blocks, then BN, ReLU, pooling and
    the classifier."""

    def _make_layer(self, block, planes, blocks, stride):
        out = planes * block.expansion
        layers = []
        for i in range(blocks):
            s = stride if i == 0 else 1
            layers.append(block(self.inplanes, planes, s, self._shortcut(out, s)))
            self.inplanes = out
        return nn.Sequential(*layers)

    def _shortcut(self, out, stride):
        if stride == 1 and self.inplanes == out:
            return None
        if self.shortcut_option == "A":
            return PadShortcut((out - self.inplanes) // 2)
        return conv1x1(self.inplanes, out, stride)

    def head(self, x):
        """The final BN + ReLU (the last block's output is not activated), pooling, logits."""
        x = bn_relu(self.bn, self.relu, x)  # relu(bn(x))
        return self.fc(F.flatten(self.avgpool(x), 1))


class CifarPreActResNet(_PreActNet):
    """(N, in_channels, H, W) -> (N, num_classes): 3x3 conv with 16 filters, three stages at
    16/32/64 (x4 with bottlenecks) channels, BN, ReLU, global pooling, linear.
    Depth 6n + 2 with basic blocks, 9n + 2 with bottlenecks (164: n = 18)."""

    def __init__(self, depth, num_classes=10, shortcut="A", bottleneck=False, in_channels=3):
        super().__init__()
        per_block = 9 if bottleneck else 6
        if depth < per_block + 2 or (depth - 2) % per_block:
            raise ValueError(f"depth must be {per_block}n + 2 with n >= 1 for"
                             f" {'bottleneck' if bottleneck else 'basic'} blocks, got {depth}")
        if shortcut not in ("A", "B") or (bottleneck and shortcut == "A"):
            raise ValueError(f"shortcut must be 'A' (zero padding, basic blocks only) or 'B'"
                             f" (1x1 projection), got {shortcut!r}")
        block = PreActBottleneck if bottleneck else PreActBlock
        n = (depth - 2) // per_block
        self.shortcut_option, self.inplanes = shortcut, 16
        self.conv1 = conv3x3(in_channels, 16)
        self.layer1 = self._make_layer(block, 16, n, 1)
        self.layer2 = self._make_layer(block, 32, n, 2)
        self.layer3 = self._make_layer(block, 64, n, 2)
        self.bn = nn.BatchNorm2d(64 * block.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64 * block.expansion, num_classes)
        init_resnet(self, False)

    def forward(self, x):
        x = self.conv1(x)  # (N, 16, H, W), activated by the first block's bn1 + ReLU
        return self.head(self.layer3(self.layer2(self.layer1(x))))


class PreActResNet(_PreActNet):
    """The ImageNet-shaped pre-activation ResNet: 7x7/2 conv, 3x3/2 max-pool, four stages at
    64..512 channels (x4 with bottlenecks), BN, ReLU, global pooling, linear."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.shortcut_option, self.inplanes = "B", 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.bn = nn.BatchNorm2d(512 * block.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_resnet(self, False)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))  # (N, 64, H/4, W/4)
        return self.head(self.layer4(self.layer3(self.layer2(self.layer1(x)))))


def cifar_preact_resnet20(num_classes=10, shortcut="A", in_channels=3):
    """Pre-activation ResNet-20 for 32x32 images (He et al. 2016), basic blocks."""
    return CifarPreActResNet(20, num_classes, shortcut, False, in_channels)


def cifar_preact_resnet32(num_classes=10, shortcut="A", in_channels=3):
    """Pre-activation ResNet-32 for 32x32 images (He et al. 2016), basic blocks."""
    return CifarPreActResNet(32, num_classes, shortcut, False, in_channels)


def cifar_preact_resnet44(num_classes=10, shortcut="A", in_channels=3):
    """Pre-activation ResNet-44 for 32x32 images (He et al. 2016), basic blocks."""
    return CifarPreActResNet(44, num_classes, shortcut, False, in_channels)


def cifar_preact_resnet56(num_classes=10, shortcut="A", in_channels=3):
    """Pre-activation ResNet-56 for 32x32 images (He et al. 2016), basic blocks."""
    return CifarPreActResNet(56, num_classes, shortcut, False, in_channels)


def cifar_preact_resnet110(num_classes=10, shortcut="A", in_channels=3):
    """Pre-activation ResNet-110 for 32x32 images (He et al. 2016), basic blocks."""
    return CifarPreActResNet(110, num_classes, shortcut, False, in_channels)


def cifar_preact_resnet164(num_classes=10, shortcut="B", in_channels=3):
    """Pre-activation ResNet-164 for 32x32 images (He et al. 2016), bottleneck blocks."""
    return CifarPreActResNet(164, num_classes, shortcut, True, in_channels)


def preact_resnet18(num_classes=1000):
    """Pre-activation ResNet-18 with ImageNet shapes (He et al. 2016)."""
    return PreActResNet(PreActBlock, [2, 2, 2, 2], num_classes)


def preact_resnet34(num_classes=1000):
    """Pre-activation ResNet-34 with ImageNet shapes (He et al. 2016)."""
    return PreActResNet(PreActBlock, [3, 4, 6, 3], num_classes)


def preact_resnet50(num_classes=1000):
    """Pre-activation ResNet-50 with ImageNet shapes (He et al. 2016)."""
    return PreActResNet(PreActBottleneck, [3, 4, 6, 3], num_classes)
