"""ResNet-18/34/50/101/152 exactly as torchvision builds them (names, shapes, initialisation),
and their plain twins: the same code with the skip connections left out (residual=False).

Skeleton of He et al. 2015, "Deep Residual Learning for Image Recognition", Table 1:
stem 7x7/2 conv + 3x3/2 max-pool, four stages at 64/128/256/512 channels (stride 2 from the
second), global average pooling, one linear layer.
"""
from .. import functional as F
from .. import nn
from .fused import add_relu, bn_relu
from .residual import ResidualBlock


def conv3x3(in_planes, out_planes, stride=1, bias=False):
    """3x3 convolution with padding 1."""
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=bias)


def conv1x1(in_planes, out_planes, stride=1, bias=False):
    """1x1 convolution (a projection)."""
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=bias)


class BasicBlock(ResidualBlock):
    """Two 3x3 convs: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
    (N, inplanes, H, W) -> (N, planes, H/stride, W/stride). residual=False drops the shortcut."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, residual=True,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        bias = norm_layer is nn.Identity  # without normalisation the convs need their bias
        self.conv1 = conv3x3(inplanes, planes, stride, bias)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, bias=bias)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride
        self.residual = residual

    def branch(self, x):
        out = bn_relu(self.bn1, self.relu, self.conv1(x))  # relu(bn1(conv1(x)))
        return self.bn2(self.conv2(out))

    def post_activation(self, out):
        return self.relu(out)

    def join(self, out, shortcut):
        return add_relu(self.relu, out, shortcut)  # relu(out + shortcut)


class Bottleneck(ResidualBlock):
    """1x1 reduce, 3x3 (carrying the stride, as torchvision), 1x1 expand by 4:
    y = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x));
    (N, inplanes, H, W) -> (N, 4 * planes, H/stride, W/stride)."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, residual=True,
                 norm_layer=nn.BatchNorm2d):
        super().__init__()
        bias = norm_layer is nn.Identity
        self.conv1 = conv1x1(inplanes, planes, bias=bias)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes, stride, bias)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion, bias=bias)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride
        self.residual = residual

    def branch(self, x):
        out = bn_relu(self.bn1, self.relu, self.conv1(x))  # relu(bn1(conv1(x)))
        out = bn_relu(self.bn2, self.relu, self.conv2(out))
        return self.bn3(self.conv3(out))

    def post_activation(self, out):
        return self.relu(out)

    def join(self, out, shortcut):
        return add_relu(self.relu, out, shortcut)  # relu(out + shortcut)


def init_resnet(model, zero_init_residual):
    """torchvision's initialisation: Kaiming-normal (fan_out, relu) convs, BN weight 1 and bias
    0; zero_init_residual zeroes each block's last BN weight so every block starts as identity."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in model.modules():
            last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else (
                getattr(m, "bn2", None) if isinstance(m, BasicBlock) else None)
            if isinstance(last, nn.BatchNorm2d) and last.affine:
                nn.init.zeros_(last.weight)


class ResNet(nn.Module):
    """The ImageNet ResNet: (N, 3, H, W) -> (N, num_classes) logits."""

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False,
                 residual=True):
        super().__init__()
        self.inplanes = 64
        self.residual = residual
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_resnet(self, zero_init_residual)

    def _make_layer(self, block, planes, blocks, stride=1):
        """A stage: the first block changes width/stride (with a 1x1 projection shortcut)."""
        downsample = None
        out = planes * block.expansion
        if self.residual and (stride != 1 or self.inplanes != out):
            downsample = nn.Sequential(conv1x1(self.inplanes, out, stride), nn.BatchNorm2d(out))
        layers = [block(self.inplanes, planes, stride, downsample, self.residual)]
        self.inplanes = out
        layers += [block(out, planes, residual=self.residual) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(bn_relu(self.bn1, self.relu, self.conv1(x)))  # (N, 64, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 512 * e, H/32, W/32)
        x = F.flatten(self.avgpool(x), 1)  # (N, 512 * e)
        return self.fc(x)


def resnet18(num_classes=1000, zero_init_residual=False):
    """ResNet-18 (basic blocks) as torchvision builds it (He et al. 2015, Table 1)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, zero_init_residual)


def resnet34(num_classes=1000, zero_init_residual=False):
    """ResNet-34 (basic blocks) as torchvision builds it (He et al. 2015, Table 1)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, zero_init_residual)


def resnet50(num_classes=1000, zero_init_residual=False):
    """ResNet-50 (bottleneck blocks) as torchvision builds it (He et al. 2015, Table 1)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, zero_init_residual)


def resnet101(num_classes=1000, zero_init_residual=False):
    """ResNet-101 (bottleneck blocks) as torchvision builds it (He et al. 2015, Table 1)."""
    return ResNet(Bottleneck, [3, 4, 23, 3], num_classes, zero_init_residual)


def resnet152(num_classes=1000, zero_init_residual=False):
    """ResNet-152 (bottleneck blocks) as torchvision builds it (He et al. 2015, Table 1)."""
    return ResNet(Bottleneck, [3, 8, 36, 3], num_classes, zero_init_residual)


def plain18(num_classes=1000):
    """ResNet-18 without its skip connections (He et al.'s 18-layer plain net)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, residual=False)


def plain34(num_classes=1000):
    """ResNet-34 without its skip connections (He et al.'s 34-layer plain net)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], num_classes, residual=False)
