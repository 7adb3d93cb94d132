"""The PyTorch twins of tinyres.models.preact (pre-activation ResNets, He et al. 2016) and of
tinyres.models.vgg (torchvision's VGG-16/19 without batch norm), written with torch.nn, with the
same module names so that state_dicts load both ways."""
import torch
from torch import nn
from torch.nn import functional as F

from .torch_models import PadShortcut, _host


def _conv(i, o, k, stride=1):
    return nn.Conv2d(i, o, k, stride, k // 2, bias=False)


class PreActBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(inplanes), _conv(inplanes, planes, 3, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(planes), _conv(planes, planes, 3)
        self.downsample = downsample

    def branch(self, x):
        return self.conv2(F.relu(self.bn2(self.conv1(F.relu(self.bn1(x))))))

    def forward(self, x):
        return self.branch(x) + (x if self.downsample is None else self.downsample(x))


class PreActBottleneck(PreActBlock):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        nn.Module.__init__(self)
        self.bn1, self.conv1 = nn.BatchNorm2d(inplanes), _conv(inplanes, planes, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(planes), _conv(planes, planes, 3, stride)
        self.bn3, self.conv3 = nn.BatchNorm2d(planes), _conv(planes, 4 * planes, 1)
        self.downsample = downsample

    def branch(self, x):
        out = self.conv2(F.relu(self.bn2(self.conv1(F.relu(self.bn1(x))))))
        return self.conv3(F.relu(self.bn3(out)))


class PreActNet(nn.Module):
    """CIFAR (stem 3x3 conv, 3 stages) or ImageNet (7x7/2 conv + max-pool, 4 stages)."""

    def __init__(self, block, layers, widths, num_classes, cifar, shortcut, in_channels=3):
        super().__init__()
        self.inplanes, self.shortcut, self.cifar = widths[0], shortcut, cifar
        self.conv1 = (_conv(in_channels, 16, 3) if cifar
                      else nn.Conv2d(3, 64, 7, 2, 3, bias=False))
        self.maxpool = None if cifar else nn.MaxPool2d(3, 2, 1)
        for i, (n, w) in enumerate(zip(layers, widths)):
            setattr(self, f"layer{i + 1}", self._make_layer(block, w, n, 1 if i == 0 else 2))
        self.bn = nn.BatchNorm2d(self.inplanes)
        self.fc = nn.Linear(self.inplanes, num_classes)
        self.stages = len(layers)

    def _make_layer(self, block, planes, blocks, stride):
        out, layers = planes * block.expansion, []
        for i in range(blocks):
            s = stride if i == 0 else 1
            short = None
            if s != 1 or self.inplanes != out:
                short = (PadShortcut((out - self.inplanes) // 2) if self.shortcut == "A"
                         else nn.Conv2d(self.inplanes, out, 1, s, bias=False))
            layers.append(block(self.inplanes, planes, s, short))
            self.inplanes = out
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x) if self.cifar else self.maxpool(self.conv1(x))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        x = F.adaptive_avg_pool2d(F.relu(self.bn(x)), 1)
        return self.fc(torch.flatten(x, 1))


class VGG(nn.Module):
    """torchvision's VGG without batch norm."""

    def __init__(self, config, num_classes=1000):
        super().__init__()
        layers, c = [], 3
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, item, 3, padding=1), nn.ReLU(inplace=True)]
                c = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 49, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 4096),
            nn.ReLU(True), nn.Dropout(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def build(name, state_dict=None, **kwargs):
    """The PyTorch twin of a cifar_preact_resnet*, preact_resnet* or vgg* model (kwargs:
    num_classes, and in_channels / shortcut for the CIFAR ones); state_dict loaded when given."""
    from tinyres.models import info
    from tinyres.models.vgg import CONFIGS
    family = info(name).family
    depth = int(name.rsplit("resnet", 1)[1] if "resnet" in name else name[3:])
    if family == "vgg":
        model = VGG(CONFIGS[depth], kwargs.get("num_classes", 1000))
    elif family == "cifar_preact":
        bottleneck = depth == 164
        n = (depth - 2) // (9 if bottleneck else 6)
        model = PreActNet(PreActBottleneck if bottleneck else PreActBlock, [n] * 3,
                          [16, 32, 64], kwargs.get("num_classes", 10), True,
                          kwargs.get("shortcut", "B" if bottleneck else "A"),
                          kwargs.get("in_channels", 3))
    else:
        layers = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3]}[depth]
        model = PreActNet(PreActBottleneck if depth == 50 else PreActBlock, layers,
                          [64, 128, 256, 512], kwargs.get("num_classes", 1000), False, "B")
    if state_dict is not None:
        model.load_state_dict({k: torch.from_numpy(_host(v).copy())
                               for k, v in state_dict.items()})
    return model
