"""The degradation picture, drawn from degradation.csv like He et al.'s Fig. 6: plain nets on the
left, ResNets on the right; training error thin and dashed, test error bold; one colour per
depth."""
import csv
from collections import defaultdict

from tinyres.viz.deps import pyplot

COLORS = {20: "tab:orange", 56: "tab:red"}


def read_csv(path):
    """{model: {'iteration': [...], 'train_error': [...], 'test_error': [...]}}."""
    curves = defaultdict(lambda: defaultdict(list))
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            curve = curves[row["model"]]
            curve["iteration"].append(int(row["iteration"]))
            curve["train_error"].append(100 * float(row["train_error"]))
            curve["test_error"].append(100 * float(row["test_error"]))
    return curves


def _depth(name):
    return int("".join(c for c in name.rsplit("_", 1)[-1] if c.isdigit()))


def plot_csv(csv_path, png_path, title=None):
    """Draw the csv's curves into png_path; returns png_path."""
    plt = pyplot()
    curves = read_csv(csv_path)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, family, label in ((axes[0], "plain", "plain"), (axes[1], "resnet", "ResNet")):
        for name in sorted((n for n in curves if family in n), key=_depth):
            depth, curve = _depth(name), curves[name]
            color = COLORS.get(depth, None)
            ax.plot(curve["iteration"], curve["train_error"], ls="--", lw=1, color=color)
            ax.plot(curve["iteration"], curve["test_error"], lw=2.2, color=color,
                    label=f"{label}-{depth}")
        ax.set(title=f"{label} nets", xlabel="iteration")
        ax.grid(True, alpha=0.3)
        ax.legend(title="bold: test, dashed: train", fontsize=9, title_fontsize=8)
    axes[0].set_ylabel("error (%)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
