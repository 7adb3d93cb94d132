"""VGG-16 and VGG-19 (Simonyan and Zisserman 2015, configurations D and E) exactly as torchvision
builds them without batch norm: the same module names, shapes and initialisation.

Plain nets built from the layers the ResNets use: 3x3 convolutions (with bias) and ReLUs in five
groups separated by 2x2 max-pools, an adaptive average pool to 7x7, and a classifier of three
linear layers with ReLU and dropout. At 224x224: 138,357,544 and 143,667,240 parameters, 15.47
and 19.63 GMACs (torchvision's figures).
"""
from .. import functional as F
from .. import nn

POOL = "M"
CONFIGS = {
    16: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL,
         512, 512, 512, POOL],
    19: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, 256, POOL, 512, 512, 512, 512, POOL,
         512, 512, 512, 512, POOL],
}


def make_features(config, in_channels=3):
    """The convolutional part: conv3x3 + ReLU per number, a 2x2 max-pool per 'M'."""
    layers = []
    for item in config:
        if item == POOL:
            layers.append(nn.MaxPool2d(2, stride=2))
        else:
            layers += [nn.Conv2d(in_channels, item, 3, padding=1), nn.ReLU(inplace=True)]
            in_channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """(N, 3, H, W) -> (N, num_classes) for H and W multiples of 224: the features are
    (N, 512, H/32, W/32), and tinyres's adaptive pooling needs 7 to divide H/32 and W/32."""

    def __init__(self, config, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = make_features(config)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))  # (N, 512, 7, 7)
        return self.classifier(F.flatten(x, 1))  # (N, num_classes)


def vgg16(num_classes=1000, dropout=0.5):
    """VGG-16 (configuration D): 13 convolutions and 3 linear layers."""
    return VGG(CONFIGS[16], num_classes, dropout)


def vgg19(num_classes=1000, dropout=0.5):
    """VGG-19 (configuration E): 16 convolutions and 3 linear layers."""
    return VGG(CONFIGS[19], num_classes, dropout)
