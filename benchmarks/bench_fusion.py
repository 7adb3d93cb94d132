"""What fusing each batch norm and residual add with the ReLU after it saves (tinyres alone):
bench_switch.py with --switch fused, under the name the fourth round's figures were taken with
(benchmarks/RESULTS.md).

    python -m benchmarks.bench_fusion [--cases cifar_resnet56-train ...] [--repeat 11]
"""
from . import bench_switch


def main(argv=None):
    bench_switch.main(argv, switch="fused")


if __name__ == "__main__":
    main()
