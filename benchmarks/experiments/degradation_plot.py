"""The degradation picture, drawn from degradation.csv like He et al.'s Fig. 6: plain nets on the
left, ResNets on the right; training error thin and dashed, test error bold; one colour per
depth. With several seeds, each line is the mean over the seeds and a shaded band runs from the
lowest to the highest seed at every point (lighter for the training error). The error axis is
logarithmic (whole decades, labelled in percent): the runs start near chance (90%) and end
below a few percent, where a linear axis would squeeze the final gap between 20 and 56 layers
(the degradation itself) into a few pixels. An error of exactly 0 is drawn on a dotted floor
line labelled 0."""
import csv
import math
from collections import defaultdict

from tinyres.viz import log_axis
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
    bottom, top, floor = log_axis.layout([v for runs in curves.values() for run in runs.values()
                                          for key in KEYS for v in run[key]])

    def on_axis(values):  # zeros drawn on the floor line (a log axis cannot show 0)
        return [floor if v == 0 and floor is not None else v for v in values]
    for ax, family, label in ((axes[0], "plain", "plain"), (axes[1], "resnet", "ResNet")):
        for name in sorted((n for n in curves if family in n), key=_depth):
            depth, runs = _depth(name), curves[name]
            color = COLORS.get(depth, None)
            seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
            for key, style, alpha in (("train_error", {"ls": "--", "lw": 1}, 0.12),
                                      ("test_error", {"lw": 2.2}, 0.25)):
                iterations, mean, low, high = band(runs, key)
                if len(runs) > 1:
                    ax.fill_between(iterations, on_axis(low), on_axis(high), color=color,
                                    alpha=alpha, lw=0)
                ax.plot(iterations, on_axis(mean), color=color, **style,
                        label=f"{label}-{depth}{seeds}" if key == "test_error" else None)
        ax.set(title=f"{label} nets", xlabel="iteration")
        ax.grid(True, alpha=0.3)
        legend = "bold: test, dashed: train"
        if any(len(curves[n]) > 1 for n in curves):
            legend += "\nmean of the seeds; band: min to max"
        if ax.lines:
            ax.legend(title=legend, fontsize=9, title_fontsize=8)
    _percent_axis(axes[0], bottom, top, floor)
    axes[0].set_ylabel("error (%, log scale)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path


def _percent_axis(ax, bottom, top, floor):
    """A log y axis from bottom to top (percent), ticks on whole decades labelled as percentages,
    and the floor line where zeros are drawn (floor None: no zeros)."""
    ax.set_yscale("log")
    ax.set_ylim(bottom, top)
    ticks = [10.0 ** e for e in range(round(math.log10(bottom)), round(math.log10(top)) + 1)
             if (floor is None or 10.0 ** e > 1.5 * floor) and 10.0 ** e >= bottom]
    labels = [f"{t:g}%" for t in ticks]
    if floor is not None:
        ax.axhline(floor, color="gray", lw=0.8, ls=(0, (1, 2)))
        ticks, labels = [floor] + ticks, ["0"] + labels
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    ax.minorticks_off()
