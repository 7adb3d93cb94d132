"""The degradation picture, drawn from degradation.csv like He et al.'s Fig. 6: plain nets on the
left, ResNets on the right; training error thin and dashed, test error bold; one colour per
depth. With several seeds, each line is the mean over the seeds and a shaded band runs from the
lowest to the highest seed at every point (lighter for the training error)."""
import csv
from collections import defaultdict

from tinyres.viz.deps import pyplot

COLORS = {20: "tab:orange", 56: "tab:red"}
KEYS = ("train_error", "test_error")


def read_csv(path):
    """{model: {seed: {'iteration': [...], 'train_error': [...], 'test_error': [...]}}}, errors
    in percent; a csv without a seed column (one run) is seed 0."""
    curves = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            curve = curves[row["model"]][int(row.get("seed") or 0)]
            curve["iteration"].append(int(row["iteration"]))
            for key in KEYS:
                curve[key].append(100 * float(row[key]))
    return curves


def band(runs, key):
    """(iterations, mean, low, high) of one error over the seeds' runs, at the iterations all
    of them reached."""
    iterations = sorted(set.intersection(*(set(run["iteration"]) for run in runs.values())))
    values = []
    for run in runs.values():
        at = dict(zip(run["iteration"], run[key]))
        values.append([at[i] for i in iterations])
    columns = list(zip(*values))
    return (iterations, [sum(c) / len(c) for c in columns], [min(c) for c in columns],
            [max(c) for c in columns])


def _depth(name):
    return int("".join(c for c in name.rsplit("_", 1)[-1] if c.isdigit()))


def plot_csv(csv_path, png_path, title=None):
    """Draw the csv's curves into png_path; returns png_path."""
    plt = pyplot()
    curves = read_csv(csv_path)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, family, label in ((axes[0], "plain", "plain"), (axes[1], "resnet", "ResNet")):
        for name in sorted((n for n in curves if family in n), key=_depth):
            depth, runs = _depth(name), curves[name]
            color = COLORS.get(depth, None)
            seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
            for key, style, alpha in (("train_error", {"ls": "--", "lw": 1}, 0.12),
                                      ("test_error", {"lw": 2.2}, 0.25)):
                iterations, mean, low, high = band(runs, key)
                if len(runs) > 1:
                    ax.fill_between(iterations, low, high, color=color, alpha=alpha, lw=0)
                ax.plot(iterations, mean, color=color, **style,
                        label=f"{label}-{depth}{seeds}" if key == "test_error" else None)
        ax.set(title=f"{label} nets", xlabel="iteration")
        ax.grid(True, alpha=0.3)
        legend = "bold: test, dashed: train"
        if any(len(curves[n]) > 1 for n in curves):
            legend += "\nmean of the seeds; band: min to max"
        if ax.lines:
            ax.legend(title=legend, fontsize=9, title_fontsize=8)
    axes[0].set_ylabel("error (%)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path
