"""The activation shapes of the benchmarked models, for the per-kernel benchmarks."""
from collections import Counter

RESNET50_STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


def resnet50_batchnorms(batch=8, size=224):
    """[((N, C, H, W), count)] of every batch norm (and the ReLU after most) in ResNet-50."""
    shapes = [(batch, 64, size // 2, size // 2)]
    h = size // 4
    for planes, blocks, stride in RESNET50_STAGES:
        for b in range(blocks):
            s = stride if b == 0 else 1
            shapes += [(batch, planes, h, h), (batch, planes, h // s, h // s),
                       (batch, 4 * planes, h // s, h // s)]
            if b == 0:
                shapes.append((batch, 4 * planes, h // s, h // s))
            h //= s
    return sorted(Counter(shapes).items(), key=lambda item: -item[0][2])


def cifar_batchnorms(batch=128, size=32, depth=56):
    """The same for a CIFAR ResNet (option A): 2 per block plus the stem."""
    n = (depth - 2) // 6
    shapes = [(batch, 16, size, size)] * (1 + 2 * n)
    shapes += [(batch, 32, size // 2, size // 2)] * (2 * n)
    shapes += [(batch, 64, size // 4, size // 4)] * (2 * n)
    return sorted(Counter(shapes).items(), key=lambda item: -item[0][2])
